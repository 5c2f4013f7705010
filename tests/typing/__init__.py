"""User-style code checked by ``mypy --strict`` (``make typecheck``), never run or collected.

Each file is written as a site would use the library. Lines that must stay type errors carry
``# type: ignore[code]``: with ``warn_unused_ignores`` (part of ``--strict``) an ignore that no
longer silences an error fails the check, so a misuse that starts to type-check is caught, the
way typeshed's and django-stubs' test cases work.
"""
