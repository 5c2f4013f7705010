"""Django integration for the TikTok Pixel.

``INSTALLED_APPS += ["tiktok_pixel.contrib.django"]``, one ``TIKTOK_PIXEL`` setting, the
middleware, then ``request.tiktok_pixel.track(...)`` in views and ``{% tiktok_pixel %}`` in the
``<head>`` of templates. See the README's "Django" section.
"""
