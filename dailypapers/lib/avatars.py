"""Avatars of organizations and submitters, kept by the site itself.

A reader's browser never asks a third party's CDN for them (that would tell it who reads which page):
the worker fetches each avatar once (``sources/avatars.py``), it is decoded and re-encoded here as a
small PNG (so nothing but pixels survives: no SVG script, no polyglot), and pages link to the copy
under ``/avatars/``. An avatar not fetched yet, or not an image, shows the name's initial instead.
"""

import functools
import hashlib
import io
import os
import re
import time
import urllib.parse
from pathlib import Path

from django.conf import settings
from PIL import Image, UnidentifiedImageError

SIZE = 96  # pixels a side: twice the largest avatar a page shows
MAX_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 4096 * 4096  # refuse to decode anything bigger (a decompression bomb)
RETRY_FAILED = 24 * 3600  # seconds before an avatar that failed is tried again
NAME = re.compile(r"[0-9a-f]{32}\.png")


def source_url(url):
    """The absolute http(s) address of a stored avatar URL (HF sends some relative to its site), or ""."""
    url = (url or "").strip()
    if url.startswith("/") and not url.startswith("//"):
        url = urllib.parse.urljoin(settings.HF_BASE_URL, url)
    return url if url.lower().startswith(("https://", "http://")) else ""


def file_name(url):
    """The kept file's name: a hash of where the avatar came from."""
    return _file_name(url, settings.HF_BASE_URL)


@functools.lru_cache(maxsize=4096)
def _file_name(url, base):  # pages ask once per card: hash each address once per process
    return hashlib.sha256(source_url(url).encode()).hexdigest()[:32] + ".png"


def directory():
    return Path(settings.HOME) / "avatars"


def _kept(url):
    """Where the avatar of ``url`` is (or would be) kept."""
    return os.path.join(settings.HOME, "avatars", file_name(url))


def local_url(url):
    """``/avatars/<name>.png`` once the avatar of ``url`` is kept here, else ""."""
    if not url or not os.path.isfile(kept := _kept(url)):
        return ""
    return "/avatars/" + os.path.basename(kept)


def due(url):
    """Whether ``url`` should be fetched: not kept yet, and not failed within ``RETRY_FAILED``."""
    if not source_url(url) or os.path.isfile(kept := _kept(url)):
        return False
    failed = Path(kept + ".failed")
    return not failed.is_file() or time.time() - failed.stat().st_mtime > RETRY_FAILED


def store(url, data):
    """Keep ``data`` (the fetched bytes) as the avatar of ``url``; ValueError if it is not an image."""
    if len(data) > MAX_BYTES:
        raise ValueError(f"{len(data)} bytes: larger than {MAX_BYTES}")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ValueError(f"{image.width}x{image.height} pixels: too large to decode")
            picture = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValueError(f"not an image this site can read ({exc.__class__.__name__})") from None
    picture.thumbnail((SIZE, SIZE))
    _write(Path(_kept(url)), picture)


def mark_failed(url):
    directory().mkdir(parents=True, exist_ok=True)
    Path(_kept(url) + ".failed").touch()


def _write(path, picture):
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    picture.save(temporary, "PNG", optimize=True)
    os.replace(temporary, path)  # readers see the whole file or none
