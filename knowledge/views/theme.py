"""A portal's colour, made safe to read: text on it is white or near-black, whichever contrasts
more, and links in it on the white page are darkened until they pass WCAG AA (4.5:1)."""

import re
from dataclasses import dataclass

DEFAULT_BRAND = "#2563eb"
WHITE = "#ffffff"
INK = "#111827"  # the page's text colour
HEX = re.compile(r"#[0-9a-fA-F]{6}")
READABLE = 4.5  # WCAG AA for body text


@dataclass(frozen=True)
class Theme:
    brand: str  # the portal's colour: the header band and buttons
    on_brand: str  # text on the brand colour
    brand_ink: str  # the brand colour as text (links) on white, readable


def theme_for(colour: str) -> Theme:
    """The theme of a portal whose colour is `colour` (anything not a #rrggbb falls back)."""
    brand = colour.lower() if isinstance(colour, str) and HEX.fullmatch(colour) else DEFAULT_BRAND
    on_brand = WHITE if contrast(brand, WHITE) >= contrast(brand, INK) else INK
    return Theme(brand=brand, on_brand=on_brand, brand_ink=_darkened_until_readable(brand))


def contrast(first: str, second: str) -> float:
    """WCAG's contrast ratio of two #rrggbb colours, 1 to 21."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(colour[index : index + 2]) for index in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _darkened_until_readable(colour: str) -> str:
    red, green, blue = (int(colour[index : index + 2], 16) for index in (1, 3, 5))
    shade = colour
    for step in range(21):
        factor = 1 - step * 0.05
        shade = f"#{round(red * factor):02x}{round(green * factor):02x}{round(blue * factor):02x}"
        if contrast(shade, WHITE) >= READABLE:
            return shade
    return shade
