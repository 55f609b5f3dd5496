"""Text clean-up shared by every source, so that one paper read from two sources compares equal."""

import re
import unicodedata

from django.utils.text import slugify

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_line(value):
    """Fold runs of white space (arXiv wraps titles at 80 columns) and drop control characters."""
    if value is None:
        return ""
    return " ".join(_CONTROL.sub("", unicodedata.normalize("NFC", str(value))).split())


def slug_for(name, fallback="x"):
    """A URL slug that keeps non-Latin names readable (``李明`` stays ``李明``)."""
    slug = slugify(name, allow_unicode=True)[:200].strip("-")
    return slug or fallback


WEB_SCHEMES = ("http://", "https://")


def web_url(value):
    """``value`` when it is an http(s) URL, else "": what may become an href or a src. Write paths already
    refuse other schemes; output goes through this too, so a ``javascript:`` URL that reached the
    database some other way (a shell, a restored backup) still never becomes a link."""
    value = (value or "").strip()
    return value if value.lower().startswith(WEB_SCHEMES) else ""
