"""Reading paper files from disk: JSONL (plain or gzip), ``/api/daily_papers`` JSON responses, folders of
them and tar archives of them. Yields PaperRecord, or ParseProblem for what could not be read — a bad
line or entry never stops the rest of the file.
"""

import datetime as dt
import gzip
import io
import json
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

from dailypapers.papers.records import RecordError

from . import hf

_DATE_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
# One response body, not a corpus: refuse anything this large rather than load it into memory.
MAX_JSON_BYTES = 200 * 1024 * 1024


@dataclass
class ParseProblem:
    origin: str
    reason: str


def read_paths(paths):
    """Every record in the given files, folders and archives, in a stable (sorted) order."""
    for path in map(Path, paths):
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file() and _kind(p.name)):
                yield from _read_file(child)
        elif path.is_file():
            if not _kind(path.name):
                yield ParseProblem(str(path), "unknown file type (expected .jsonl, .json, .tar.gz, optionally .gz)")
                continue
            yield from _read_file(path)
        else:
            yield ParseProblem(str(path), "no such file or folder")


def _kind(name):
    name = name.lower()
    if name.endswith((".tar.gz", ".tgz", ".tar")):
        return "tar"
    if name.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
        return "jsonl"
    if name.endswith((".json", ".json.gz")):
        return "json"
    return None


def _read_file(path):
    if _kind(path.name) == "tar":
        yield from _read_tar(path)
        return
    with path.open("rb") as raw:
        yield from read_stream(raw, path.name, str(path))


def _read_tar(path):
    """Members in name order. A compressed tar cannot seek back, so the members are read once, in
    archive order, then parsed sorted: the date-named files then apply oldest first, as a live sync would."""
    try:
        with tarfile.open(path, "r:*") as archive:
            members = {m.name: archive.extractfile(m).read() for m in archive
                       if m.isfile() and _kind(m.name) in ("json", "jsonl")}
    except (tarfile.TarError, OSError, EOFError) as exc:
        yield ParseProblem(str(path), f"unreadable archive: {exc}")
        return
    for name in sorted(members):
        yield from read_stream(io.BytesIO(members.pop(name)), name, f"{path.name}/{name}")


def read_stream(raw, name, origin):
    """Records from one binary stream named ``name`` (its suffix says the format)."""
    if name.lower().endswith(".gz"):
        raw = gzip.GzipFile(fileobj=raw)
    if _kind(name) == "jsonl":
        yield from _read_jsonl(raw, origin)
    else:
        yield from _read_api_json(raw, name, origin)


def _read_jsonl(raw, origin):
    lineno = 0
    try:
        for lineno, line in enumerate(io.TextIOWrapper(raw, encoding="utf-8", errors="replace"), start=1):
            if not line.strip():
                continue
            try:
                yield _with_origin(hf.record_from_jsonl(json.loads(line)), f"{origin}:{lineno}")
            except (json.JSONDecodeError, RecordError) as exc:
                yield ParseProblem(f"{origin}:{lineno}", _reason(exc))
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        yield ParseProblem(f"{origin}:{lineno + 1}", f"file ends early or is corrupt: {exc}")


def _read_api_json(raw, name, origin):
    try:
        data = raw.read(MAX_JSON_BYTES + 1)
        if len(data) > MAX_JSON_BYTES:
            yield ParseProblem(origin, f"larger than {MAX_JSON_BYTES // 2**20} MiB")
            return
        payload = json.loads(data)
        entries = hf.entries_of(payload)
    except (json.JSONDecodeError, UnicodeDecodeError, RecordError, OSError, EOFError) as exc:
        yield ParseProblem(origin, _reason(exc))
        return
    feed_day = _date_from_name(name) or hf.payload_date(payload)
    for index, entry in enumerate(entries):
        try:
            yield _with_origin(hf.record_from_api_entry(entry, feed_day), f"{origin}#{index}")
        except (RecordError, KeyError, TypeError, AttributeError) as exc:
            yield ParseProblem(f"{origin}#{index}", _reason(exc))


def _date_from_name(name):
    match = _DATE_NAME.search(Path(name).name)
    if not match:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def _with_origin(record, origin):
    record.origin = origin
    return record


def _reason(exc):
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON ({exc.msg} at column {exc.colno})"
    return str(exc) or type(exc).__name__
