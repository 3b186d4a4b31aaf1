"""The design system's colour tokens, read from the project stylesheet, and their WCAG contrast."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

STYLESHEET = Path(__file__).resolve().parent / "static" / "css" / "app.css"
_TOKEN = re.compile(r"--mp-([a-z-]+):\s*(#[0-9a-fA-F]{6});(?:\s*/\*\s*(.*?)\s*\*/)?")

# Every text-on-background pair the components use: (text token, background token, where).
TEXT_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("ink", "paper", "body text"),
    ("ink", "surface", "text on soft panels"),
    ("ink-muted", "paper", "secondary text"),
    ("ink-muted", "surface", "secondary text on soft panels, picture fallback"),
    ("price-was", "paper", "compare-at price"),
    ("brand", "paper", "marketplace links and outline buttons"),
    ("paper", "brand", "marketplace buttons"),
    ("paper", "brand-strong", "marketplace buttons, hover"),
    ("vendor", "paper", "dashboard links"),
    ("paper", "vendor", "dashboard header and buttons"),
    ("ops", "paper", "ops links"),
    ("paper", "ops", "ops header and buttons"),
    ("success-ink", "success-soft", "status: done"),
    ("warning-ink", "warning-soft", "status: someone must act"),
    ("danger-ink", "danger-soft", "status: failed or lost"),
    ("info-ink", "info-soft", "status: in progress"),
    ("neutral-ink", "neutral-soft", "status: closed"),
)
AA_NORMAL_TEXT = 4.5


@dataclass(frozen=True)
class Token:
    name: str
    value: str
    note: str


@dataclass(frozen=True)
class ContrastPair:
    text: Token
    background: Token
    use: str
    ratio: float

    @property
    def passes_aa(self) -> bool:
        return self.ratio >= AA_NORMAL_TEXT


@cache
def colour_tokens() -> dict[str, Token]:
    """`--mp-<name>: #rrggbb;` declarations of the stylesheet, in file order."""
    text = STYLESHEET.read_text(encoding="utf-8")
    return {name: Token(name, value.lower(), note or "") for name, value, note in _TOKEN.findall(text)}


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2.x contrast ratio of two sRGB colours, 1.0 to 21.0."""
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def contrast_pairs() -> list[ContrastPair]:
    tokens = colour_tokens()
    return [
        ContrastPair(tokens[text], tokens[background], use,
                     round(contrast_ratio(tokens[text].value, tokens[background].value), 2))
        for text, background, use in TEXT_PAIRS
    ]
