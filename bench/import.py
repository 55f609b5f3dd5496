"""Import throughput: the 9,877-paper HF JSONL into a fresh database, then again (all unchanged).

Prints papers/s on SQLite and, when BENCH_POSTGRES_URL is set (``make bench-import`` starts a
throwaway cluster for it), on PostgreSQL in the same run. Search indexing is not part of import.

    python bench/import.py [PATH]
"""

import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "hf-daily-papers.jsonl.gz"
PAPERS = 9877


def dailypapers(env, *args):
    command = [sys.executable, "-m", "dailypapers.cli", *args]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True, cwd=REPO)  # noqa: S603


def timed_import(env, data):
    started = time.perf_counter()
    result = dailypapers(env, "import", "--no-progress", str(data))
    return time.perf_counter() - started, result.stdout.strip()


def fresh_postgres(url):
    """A new empty database beside the one in ``url``, so runs never see each other's rows."""
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}")), name


def drop_postgres(url, name):
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def run(label, env, data):
    dailypapers(env, "migrate", "--noinput", "-v0")
    first, summary1 = timed_import(env, data)
    again, summary2 = timed_import(env, data)
    print(f"{label:<11} first import {first:6.1f} s = {PAPERS / first:6.0f} papers/s   ({summary1})")
    print(f"{'':<11} re-import    {again:6.1f} s = {PAPERS / again:6.0f} papers/s   ({summary2})")


def main():
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA
    if not data.exists():
        sys.exit(f"no data at {data}")
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    print(f"importing {data.name}, {os.cpu_count()} cores (times include process start-up, ~1 s)")
    with tempfile.TemporaryDirectory() as home:
        run("SQLite", base | {"DAILYPAPERS_HOME": home}, data)
    pg_url = os.environ.get("BENCH_POSTGRES_URL")
    if not pg_url:
        print("PostgreSQL  skipped: set BENCH_POSTGRES_URL (make bench-import does)")
        return
    url, name = fresh_postgres(pg_url)
    try:
        with tempfile.TemporaryDirectory() as home:
            run("PostgreSQL", base | {"DAILYPAPERS_HOME": home, "DATABASE_URL": url}, data)
    finally:
        drop_postgres(pg_url, name)


if __name__ == "__main__":
    main()
