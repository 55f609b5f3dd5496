"""The index directory: numbered generations, a CURRENT pointer, one writer at a time.

    $DAILYPAPERS_HOME/index/
        CURRENT              the name of the live generation, replaced atomically
        gen-000007/          manifest.json, tantivy/, ids.npy, vectors.npy[, hnsw.usearch]
        .lock                held (flock) by the one process building a generation

Only ``build.build_generation`` (the worker, or ``dailypapers reindex``) writes here. Web processes
read CURRENT on every search (one small file read) and open a new generation the moment it changes,
so a rebuild reaches them without a restart; the old one stays valid while in use (its files are
removed only after two newer generations exist, and an open memory map survives the removal).
"""

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings

from . import keyword, vectors

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
PREFIX = "gen-"
KEEP_GENERATIONS = 2


def index_root():
    return Path(settings.SEARCH_INDEX_DIR or Path(settings.HOME) / "index")


@dataclass
class Manifest:
    name: str
    built_at: str  # ISO 8601, UTC: the database was read after this instant
    max_paper_id: int
    papers: int
    vectors: int
    hnsw: bool
    model: str
    seconds: float = 0.0

    @property
    def built_at_datetime(self):
        return dt.datetime.fromisoformat(self.built_at)


class Generation:
    def __init__(self, path):
        self.path = Path(path)
        written = json.loads((self.path / MANIFEST).read_text())
        # Keys this version does not know (a newer writer's) are ignored, not an error.
        self.manifest = Manifest(**{k: v for k, v in written.items() if k in Manifest.__dataclass_fields__})
        self.keyword = keyword.open_index(self.path / "tantivy")
        self.vectors = vectors.VectorIndex.open(self.path, expansion=settings.SEARCH_HNSW_EXPANSION)


def current_name(root=None):
    try:
        return ((root or index_root()) / CURRENT).read_text().strip() or None
    except FileNotFoundError:
        return None


_open = {}
_open_lock = threading.Lock()


def current():
    """The live Generation, reopened when CURRENT names a new one; None before the first build."""
    root = index_root()
    name = current_name(root)
    if name is None:
        return None
    cached = _open.get(root)
    if cached is not None and cached[0] == name:
        return cached[1]
    with _open_lock:
        cached = _open.get(root)
        if cached is None or cached[0] != name:
            _open[root] = (name, Generation(root / name))
        return _open[root][1]


def forget():
    """Drop opened generations (tests)."""
    _open.clear()


@contextlib.contextmanager
def writer_lock():
    """Yield True holding the build lock, or False at once when another process holds it."""
    root = index_root()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def next_name(root):
    numbers = [int(p.name[len(PREFIX):]) for p in root.glob(f"{PREFIX}*") if p.name[len(PREFIX):].isdigit()]
    return f"{PREFIX}{max(numbers, default=0) + 1:06d}"


def publish(root, tmp_dir, manifest):
    """Move a finished build into place and point CURRENT at it (call with the writer lock held)."""
    (tmp_dir / MANIFEST).write_text(json.dumps(asdict(manifest), indent=1))
    final = root / manifest.name
    os.replace(tmp_dir, final)
    pointer = root / f"{CURRENT}.tmp"
    pointer.write_text(manifest.name)
    os.replace(pointer, root / CURRENT)
    _prune(root, manifest.name)
    return final


def _prune(root, live):
    generations = sorted(p for p in root.glob(f"{PREFIX}*") if p.is_dir() and not p.name.endswith(".tmp"))
    for old in generations[:-KEEP_GENERATIONS]:
        if old.name != live:
            shutil.rmtree(old, ignore_errors=True)
    # Half-written builds of a run that died (we hold the lock, so none is in progress).
    for tmp in root.glob("*.tmp"):
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
