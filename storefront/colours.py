"""Brand colours: parsing and WCAG 2 contrast against the design system's surfaces (ADR 0091)."""

from __future__ import annotations

import re

HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")
# frontend/static/css/app.css: --mp-paper and --mp-surface, where brand-coloured text and buttons sit.
PAPER = "#ffffff"
SURFACE = "#f4f5f8"
INK = "#1d2330"  # --mp-ink
# WCAG 2.1 AA for normal text: what axe's colour-contrast rule checks in the journeys.
MIN_CONTRAST = 4.5


def colour_parse(value: str) -> str | None:
    """`#rrggbb` in lower case, or None when `value` is not a six-digit hex colour."""
    match = HEX.match((value or "").strip())
    return f"#{match.group(1).lower()}" if match else None


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two `#rrggbb` colours (1 to 21)."""
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_on(background: str) -> str:
    """White or the design system's ink, whichever reads better on `background`."""
    return PAPER if contrast(background, PAPER) >= contrast(background, INK) else INK
