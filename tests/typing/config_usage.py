"""``PixelConfig``: what users pass at start-up, and what they read back."""

from __future__ import annotations

import json
from collections.abc import Sequence

from tiktok_pixel import PixelConfig, SettingError
from tiktok_pixel.mappings import MappingConfig

# One code, as the README's first snippet writes it.
one = PixelConfig(pixel_codes="C3MV4QR3G487IS97GFI0", default_phone_region="GB")
# Several codes: a list, a tuple, any sequence of strings.
listed = PixelConfig(pixel_codes=["C3MV4QR3G487IS97GFI0", "D4NW5RS4H598JT08HGJ1"])
tupled = PixelConfig(pixel_codes=("C3MV4QR3G487IS97GFI0",))
from_settings: Sequence[str] = ["C3MV4QR3G487IS97GFI0"]
sequenced = PixelConfig(from_settings)
existing = PixelConfig(use_existing_pixel=True, consent="hold")

# Read back, the stored value is a tuple of normalised codes.
codes: tuple[str, ...] = one.pixel_codes
first: str = listed.pixel_codes[0]
mappings: MappingConfig = one.mappings
currency: str | None = one.default_currency

# Mapping specs come as JSON gives them.
spec = json.loads('{"set": "tiktok_2025", "currency": "EUR"}')
with_spec = PixelConfig("C3MV4QR3G487IS97GFI0", mappings=spec)
with_dict = PixelConfig("C3MV4QR3G487IS97GFI0", mappings={"presets": ["order_placed"]})
from_mapping = PixelConfig.from_mapping({"pixel_codes": "C3MV4QR3G487IS97GFI0"})

# A start-up error says which setting, respelled the way a front end names it.
try:
    PixelConfig("nope")
except SettingError as exc:
    setting: str = exc.setting
    message: str = exc.spelled(lambda name: name.upper())

# Misuses that must stay errors.
PixelConfig(pixel_codes=42)  # type: ignore[arg-type]
PixelConfig("C3MV4QR3G487IS97GFI0", consent="granted")  # type: ignore[arg-type]
PixelConfig("C3MV4QR3G487IS97GFI0", True)  # type: ignore[call-arg]
PixelConfig("C3MV4QR3G487IS97GFI0", pixel_code="x")  # type: ignore[call-arg]
one.pixel_codes = ("C3MV4QR3G487IS97GFI0",)  # type: ignore[misc]
wrong: list[str] = one.pixel_codes  # type: ignore[assignment]
