"""Online backups and restores of the database: SQLite's backup API, or pg_dump / pg_restore.

A backup is consistent while the site runs (SQLite copies a snapshot page by page; pg_dump reads in
one transaction). Restore replaces the whole database: stop the web server and the worker first.
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connection

PG_BIN_DIRS = ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"]


class BackupError(RuntimeError):
    pass


def backup(path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "sqlite":
        _sqlite_copy(_live_sqlite(), path)
    elif connection.vendor == "postgresql":
        _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(path), _dbname()])
    else:
        raise BackupError(f"no backup method for {connection.vendor}")
    return path


def restore(path):
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    if connection.vendor == "sqlite":
        _check_sqlite_file(path)
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            source.backup(_live_sqlite())
        finally:
            source.close()
    elif connection.vendor == "postgresql":
        connection.close()  # our own session must not hold locks on the tables being replaced
        _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "--dbname", _dbname(), str(path)])
    else:
        raise BackupError(f"no restore method for {connection.vendor}")


def _live_sqlite():
    connection.ensure_connection()
    return connection.connection


def _sqlite_copy(source, path):
    tmp = path.with_suffix(path.suffix + ".partial")
    target = sqlite3.connect(tmp)
    try:
        source.backup(target)
    finally:
        target.close()
    os.replace(tmp, path)  # a crash mid-backup never leaves a half file under the final name


def _check_sqlite_file(path):
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            ok = db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not an SQLite database: {exc}") from None
    if ok != "ok":
        raise BackupError(f"{path} fails its integrity check: {ok}")


def _dbname():
    """A libpq connection string for the live database (password through the environment, not argv)."""
    s = connection.settings_dict
    parts = {"dbname": s["NAME"], "host": s.get("HOST") or "", "port": str(s.get("PORT") or ""),
             "user": s.get("USER") or ""}
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


def _run(argv):
    env = os.environ | ({"PGPASSWORD": connection.settings_dict["PASSWORD"]}
                        if connection.settings_dict.get("PASSWORD") else {})
    result = subprocess.run(argv, env=env, capture_output=True, text=True)  # noqa: S603 - argv from settings
    if result.returncode != 0:
        raise BackupError(f"{Path(argv[0]).name} failed: {result.stderr.strip()[:500]}")


def _pg_tool(name):
    found = shutil.which(name) or next((f"{d}/{name}" for d in PG_BIN_DIRS if os.access(f"{d}/{name}", os.X_OK)),
                                       None)
    if not found:
        raise BackupError(f"{name} not found (install postgresql-client)")
    return found
