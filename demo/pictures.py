"""Product pictures for the demo catalog, drawn at seed time from a category's icon and colours."""

from __future__ import annotations

import io
import random
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

BASE_DIR = Path(__file__).resolve().parent.parent
# The icon font the pages use (npm's bootstrap-icons, copied by `make assets`); node_modules first
# because `make install` fills it before the copy.
ICON_FONTS = (
    BASE_DIR / "node_modules" / "bootstrap-icons" / "font" / "fonts" / "bootstrap-icons.woff",
    BASE_DIR / "frontend" / "static" / "vendor" / "bootstrap-icons" / "fonts" / "bootstrap-icons.woff",
)
ICON_MAP = BASE_DIR / "node_modules" / "bootstrap-icons" / "font" / "bootstrap-icons.json"
SIZE = 640


@lru_cache(maxsize=1)
def _icon_codepoints() -> dict[str, int]:
    import json

    try:
        return {str(k): int(v) for k, v in json.loads(ICON_MAP.read_text()).items()}
    except (OSError, ValueError):
        return {}


@lru_cache(maxsize=4)
def _icon_font(size: int) -> ImageFont.FreeTypeFont | None:
    for path in ICON_FONTS:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return None


def _hex(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def product_picture(*, icon: str, colours: tuple[str, str], seed: str, accent: str = "") -> Image.Image:
    """A square picture: a two-colour gradient, soft shapes placed by `seed` (so each product differs
    and the same product always gets the same picture), and the category's icon in the middle.

    Without the icon font (assets not installed) the shapes alone make the picture."""
    rng = random.Random(seed)
    top, bottom = _hex(colours[0]), _hex(colours[1])
    tint = _hex(accent) if accent else _mix(top, (255, 255, 255), 0.55)
    # Drawn at a quarter of the size and scaled up: the gradient and the blur of the shapes cost
    # a sixteenth, and the scaling smooths them anyway.
    small = SIZE // 4
    background = Image.new("RGB", (small, small), top)
    draw = ImageDraw.Draw(background, "RGBA")
    for y in range(small):
        draw.line((0, y, small, y), fill=_mix(top, bottom, y / small))
    for _ in range(rng.randint(4, 7)):
        radius = rng.randint(15, 55)
        x, y = rng.randint(-radius, small), rng.randint(-radius, small)
        draw.ellipse((x, y, x + 2 * radius, y + 2 * radius), fill=(*tint, rng.randint(40, 90)))
    picture = background.filter(ImageFilter.GaussianBlur(1.5)).resize((SIZE, SIZE), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(picture)
    # A plate under the icon, like a product photographed on a round stand.
    plate = rng.randint(SIZE * 31 // 100, SIZE * 36 // 100)
    centre = SIZE // 2
    draw.ellipse((centre - plate, centre - plate, centre + plate, centre + plate), fill=(255, 255, 255))
    font = _icon_font(SIZE * 3 // 8)
    codepoint = _icon_codepoints().get(icon)
    if font is not None and codepoint is not None:
        draw.text((centre, centre), chr(codepoint), font=font, fill=bottom, anchor="mm")
    else:
        draw.regular_polygon((centre, centre, SIZE // 5), n_sides=rng.randint(3, 8), fill=bottom)
    return picture


def jpeg_bytes(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=82)
    return out.getvalue()


def thumbnail_bytes(picture: Image.Image, size: tuple[int, int]) -> bytes:
    """The thumbnail as the catalog makes one of an upload (WebP within `size`)."""
    small = picture.copy()
    small.thumbnail(size)
    out = io.BytesIO()
    small.save(out, format="WEBP", quality=82)
    return out.getvalue()
