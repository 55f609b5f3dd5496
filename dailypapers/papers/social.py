"""Social preview images: the 1200×630 PNG that OpenGraph and Twitter cards show for a paper (title,
first authors, organization, site name), drawn here with Pillow, no outside service.

Each image is written once under ``$DAILYPAPERS_HOME/social`` with a name that hashes what it shows,
so an edited title or a renamed organization gets a new file and an unchanged paper is never redrawn.
"""

import hashlib
import json
import os
import re
import uuid
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

SIZE = (1200, 630)
MARGIN = 80
TITLE_LINES = 4
AUTHORS_SHOWN = 3
# DejaVu (Debian's fonts-dejavu-core) when present; else the font that ships inside Pillow.
FONT_FILES = {
    True: ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",),
    False: ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",),
}
COLOURS = {"bg": "#111827", "text": "#f3f4f6", "muted": "#9ca3af", "accent": "#a5b4fc"}
GRADIENT = ((251, 191, 36), (249, 115, 22), (99, 102, 241))  # the logo's: amber, orange, indigo


def card_text(paper):
    """What the image shows, as plain strings."""
    names = [link.name for link in paper.ordered_authors]
    authors = ", ".join(names[:AUTHORS_SHOWN]) + (f" and {len(names) - AUTHORS_SHOWN} more" if len(names) >
                                                   AUTHORS_SHOWN else "")
    org = paper.organization.name if paper.organization_id else ""
    return {"title": paper.title, "authors": authors, "organization": org, "site": settings.SITE_NAME,
            "arxiv_id": paper.arxiv_id}


def image_path(paper):
    """The paper's image file, drawn now if this version of its text has none yet."""
    text = card_text(paper)
    digest = hashlib.sha256(json.dumps(text, sort_keys=True).encode()).hexdigest()[:16]
    folder = Path(settings.HOME) / "social"
    path = folder / f"{re.sub(r'[^A-Za-z0-9.-]', '_', paper.arxiv_id)}-{digest}.png"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{uuid.uuid4().hex}.tmp")  # a name of its own per process and thread
        draw_card(text).save(tmp, format="PNG", optimize=True)
        os.replace(tmp, path)  # two requests drawing at once both finish; nobody reads half a file
    return path


def draw_card(text):
    image = Image.new("RGB", SIZE, COLOURS["bg"])
    draw = ImageDraw.Draw(image)
    _draw_band(image)
    width = SIZE[0] - 2 * MARGIN
    y = MARGIN
    kicker = _font(28, bold=True)
    draw.text((MARGIN, y), f"arXiv:{text['arxiv_id']}", font=kicker, fill=COLOURS["accent"])
    y += 60
    title_font = _font(60 if len(text["title"]) < 90 else 50, bold=True)
    for line in _wrap(text["title"], title_font, width, TITLE_LINES):
        draw.text((MARGIN, y), line, font=title_font, fill=COLOURS["text"])
        y += int(title_font.size * 1.22)
    y += 24
    for key, size in (("authors", 30), ("organization", 30)):
        if text[key]:
            font = _font(size, bold=key == "organization")
            line = _wrap(text[key], font, width, 1)[0]
            draw.text((MARGIN, y), line, font=font, fill=COLOURS["muted" if key == "authors" else "text"])
            y += int(size * 1.5)
    _draw_site_name(draw, text["site"])
    return image


def _draw_band(image):
    """The logo's gradient as a band along the bottom edge."""
    band = Image.new("RGB", (SIZE[0], 1))
    for x in range(SIZE[0]):
        band.putpixel((x, 0), _gradient_at(x / (SIZE[0] - 1)))
    image.paste(band.resize((SIZE[0], 14)), (0, SIZE[1] - 14))


def _gradient_at(t):
    (a, b), u = ((GRADIENT[0], GRADIENT[1]), t / 0.55) if t < 0.55 else ((GRADIENT[1], GRADIENT[2]), (t - 0.55) / 0.45)
    return tuple(round(p + (q - p) * u) for p, q in zip(a, b, strict=True))


def _draw_site_name(draw, site):
    font = _font(30, bold=True)
    y = SIZE[1] - MARGIN - 24
    draw.rounded_rectangle((MARGIN, y, MARGIN + 32, y + 32), radius=8, fill=GRADIENT[1])
    draw.text((MARGIN + 48, y - 2), site, font=font, fill=COLOURS["text"])


def _font(size, bold=False):
    for path in FONT_FILES[bold]:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _wrap(text, font, width, max_lines):
    """Greedy word wrap to ``width`` pixels, at most ``max_lines``; cut text ends in "…"."""
    lines = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] += " …"
    return [_fit(line, font, width) for line in lines] or [""]


def _fit(line, font, width):
    """Cut one line (a long word can be wider than the card) to ``width`` pixels."""
    if font.getlength(line) <= width:
        return line
    while line and font.getlength(line + "…") > width:
        line = line[:-1]
    return line.rstrip(" …") + "…"
