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
