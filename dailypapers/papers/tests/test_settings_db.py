"""The database settings do what settings.py promises, on whichever engine this run uses.

SQLite: every connection is in WAL mode with a busy timeout and foreign keys on. pytest-django's
SQLite test database lives in memory, where journal_mode can only report "memory", so WAL is proven
on a real file opened with the OPTIONS settings.py builds for SQLite (on both runs); the live test
connection is checked for what an in-memory database can show. PostgreSQL: a run started with a
postgres DATABASE_URL (as ``scripts/with-postgres`` does) really talks to PostgreSQL 15 or later.
"""

import os
import sqlite3

import pytest
from django.conf import settings
from django.db import connection
from django.db.utils import ConnectionHandler

from dailypapers import settings as project_settings

DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES_URL = DATABASE_URL.startswith(("postgres://", "postgresql://", "pgsql://"))


def _sqlite_config(monkeypatch, tmp_path):
    """The config settings.py builds with no DATABASE_URL, pointed at a file in tmp_path."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = project_settings._database()
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    return {**config, "NAME": str(tmp_path / "wal-check.sqlite3")}


def _pragma(conn, name):
    with conn.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


def test_sqlite_file_database_uses_wal_and_busy_timeout(monkeypatch, tmp_path, django_db_blocker):
    config = _sqlite_config(monkeypatch, tmp_path)
    handler = ConnectionHandler({"default": config})
    conn = handler["default"]
    # A private connection to a scratch file, not the test database: pytest-django allows it explicitly.
    with django_db_blocker.unblock():
        try:
            assert _pragma(conn, "journal_mode") == "wal"
            assert _pragma(conn, "busy_timeout") == config["OPTIONS"]["timeout"] * 1000 > 0
            assert _pragma(conn, "foreign_keys") == 1
            assert _pragma(conn, "synchronous") == 1  # NORMAL
        finally:
            handler.close_all()
    # WAL is recorded in the file itself: a plain connection without the init command still sees it.
    raw = sqlite3.connect(config["NAME"])
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        raw.close()


def test_sqlite_busy_timeout_follows_the_environment(monkeypatch, tmp_path, django_db_blocker):
    monkeypatch.setenv("SQLITE_BUSY_TIMEOUT_S", "7")
    config = _sqlite_config(monkeypatch, tmp_path)
    handler = ConnectionHandler({"default": config})
    with django_db_blocker.unblock():
        try:
            assert _pragma(handler["default"], "busy_timeout") == 7000
        finally:
            handler.close_all()


@pytest.mark.django_db
def test_this_run_uses_the_engine_database_url_selects():
    """The SQLite run is on SQLite; the PostgreSQL run (DATABASE_URL=postgres://...) is on PostgreSQL 15+.

    One test checks whichever engine this run uses, so neither CI run ever reports a skip.
    """
    connection.ensure_connection()
    if ON_POSTGRES_URL:
        assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
        assert connection.vendor == "postgresql"
        assert connection.pg_version >= 150000
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_database(), version()")
            database, version = cursor.fetchone()
        assert database.startswith("test_"), "pytest-django must run on its own test database"
        assert version.startswith("PostgreSQL ")
    else:
        assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
        assert connection.vendor == "sqlite"
        timeout_ms = settings.DATABASES["default"]["OPTIONS"]["timeout"] * 1000
        assert _pragma(connection, "busy_timeout") == timeout_ms
        assert _pragma(connection, "foreign_keys") == 1
        # An in-memory database cannot use WAL; an on-disk one (SQLITE_TEST_ON_DISK=1) must.
        expected = "memory" if connection.is_in_memory_db() else "wal"
        assert _pragma(connection, "journal_mode") == expected
