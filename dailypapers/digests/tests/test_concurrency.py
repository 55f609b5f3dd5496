"""Two ``dailypapers send_digests`` processes at once, against one database and one SMTP server."""

import os
import sqlite3
import subprocess
import sys
from urllib.parse import quote

import pytest
from django.db import connection

from dailypapers.digests.models import Digest

from .seed import seed

SUBSCRIBERS = 200


def dailypapers(env, *args):
    return subprocess.Popen([sys.executable, "-m", "dailypapers.cli", *args], env=env,  # noqa: S603
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process, timeout=240):
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    return out


def postgres_url(settings_dict):
    """The test database's URL, for the child processes."""
    user, password = quote(settings_dict["USER"] or ""), quote(settings_dict["PASSWORD"] or "")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict["HOST"] or "localhost"
    return f"postgres://{credentials}{host}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"


@pytest.fixture
def shared_database(transactional_db, tmp_path):
    """Environment for child processes that see this test's data: the test database itself on
    PostgreSQL; on SQLite, whose test database lives in memory, a copy of it on disk."""
    # SECRET_KEY given: two processes starting at once on a fresh home race to generate one.
    env = {**os.environ, "DAILYPAPERS_HOME": str(tmp_path), "SITE_URL": "https://papers.example.org",
           "SECRET_KEY": "digests-concurrency-test-key"}
    seed(SUBSCRIBERS)
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = postgres_url(connection.settings_dict)
        return env, lambda: Digest.objects.count()
    env.pop("DATABASE_URL", None)
    database = tmp_path / "dailypapers.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(database) as copy:
        connection.connection.backup(copy)  # schema and rows: no migrate needed in the children
    return env, lambda: sqlite3.connect(database).execute("SELECT count(*) FROM digests_digest").fetchone()[0]


def test_two_runs_at_the_same_time_send_no_duplicates(shared_database, smtp_server):
    env, digests_in_database = shared_database
    env["EMAIL_URL"] = f"smtp://127.0.0.1:{smtp_server.port}"

    runs = [dailypapers(env, "send_digests") for _ in range(2)]
    outputs = [finish(run) for run in runs]

    counts = smtp_server.count_by_recipient()
    assert len(counts) == SUBSCRIBERS and set(counts.values()) == {1}, outputs
    assert digests_in_database() == SUBSCRIBERS
    print(outputs)  # how the work was split, for whoever reads the log (-s)
