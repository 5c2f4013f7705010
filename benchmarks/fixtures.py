"""The reference page: 1 identify + 3 tracks, as a shop's product-to-checkout pages send them."""

from __future__ import annotations

from tiktok_pixel import PageEvents, PixelConfig

CODE = "C3MV4QR3G487IS97GFI0"
CONFIG = PixelConfig(pixel_codes=CODE)


def reference_page(config: PixelConfig = CONFIG) -> PageEvents:
    page = PageEvents(config)
    page.identify(email="ann@example.com", phone_number="+44 7700 900123", external_id="u-1")
    item = {"content_id": "sku-1", "content_name": "Enamel mug", "price": 12.5, "quantity": 2}
    page.track("ViewContent", contents=[item], value=25, currency="EUR", content_type="product")
    page.track("AddToCart", contents=[item], value=25, currency="EUR", content_type="product")
    page.track("InitiateCheckout", contents=[item], value=25, currency="EUR", num_items=2)
    return page
