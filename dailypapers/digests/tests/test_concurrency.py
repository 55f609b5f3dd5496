"""``dailypapers send_digests`` as real processes against one database and one SMTP server: two at
once, and one killed with -9 mid-send then run again."""

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from urllib.parse import quote

import pytest
from django.db import connection

from dailypapers.digests import sender

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


class SharedDatabase:
    """The database the child processes use, read and written with plain SQL (%s placeholders)."""

    def __init__(self, sqlite_file=None):
        self.sqlite_file = sqlite_file

    def query(self, sql, params=()):
        if self.sqlite_file is None:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else None
        # Django keeps datetimes in SQLite as naive UTC text.
        params = [p.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ") if isinstance(p, dt.datetime) else p
                  for p in params]
        with sqlite3.connect(self.sqlite_file) as database:
            return database.execute(sql.replace("%s", "?"), params).fetchall()

    def statuses(self):
        return dict(self.query("SELECT status, count(*) FROM digests_digest GROUP BY status"))


@pytest.fixture
def shared_database(transactional_db, tmp_path):
    """Environment for child processes that see this test's data, and that database: the test
    database itself on PostgreSQL; on SQLite, whose test database lives in memory, a copy on disk."""
    # SECRET_KEY given: two processes starting at once on a fresh home race to generate one.
    env = {**os.environ, "DAILYPAPERS_HOME": str(tmp_path), "SITE_URL": "https://papers.example.org",
           "SECRET_KEY": "digests-concurrency-test-key"}
    seed(SUBSCRIBERS)
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = postgres_url(connection.settings_dict)
        return env, SharedDatabase()
    env.pop("DATABASE_URL", None)
    database = tmp_path / "dailypapers.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(database) as copy:
        connection.connection.backup(copy)  # schema and rows: no migrate needed in the children
    return env, SharedDatabase(database)


def test_two_runs_at_the_same_time_send_no_duplicates(shared_database, smtp_server):
    env, database = shared_database
    env["EMAIL_URL"] = f"smtp://127.0.0.1:{smtp_server.port}"

    runs = [dailypapers(env, "send_digests") for _ in range(2)]
    outputs = [finish(run) for run in runs]

    counts = smtp_server.count_by_recipient()
    assert len(counts) == SUBSCRIBERS and set(counts.values()) == {1}, outputs
    assert database.query("SELECT count(*) FROM digests_digest") == [(SUBSCRIBERS,)]
    print(outputs)  # how the work was split, for whoever reads the log (-s)


def wait_for(condition, what, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def test_a_run_killed_mid_send_then_rerun_gives_everyone_exactly_one_digest(shared_database, smtp_server):
    """kill -9 while every connection waits on the server (it stalls after ACCEPTED messages), the
    rows of the dead run's lease freed as its 10 minutes would, then a second run."""
    env, database = shared_database
    env["EMAIL_URL"] = f"smtp://127.0.0.1:{smtp_server.port}"
    smtp_server.stall_after = accepted = 60
    run = dailypapers(env, "send_digests")
    wait_for(lambda: smtp_server.stalled == sender.CONNECTIONS, "every connection to wait on the server")
    # Whatever the server accepted is marked before the kill: the sender records each answer at once.
    wait_for(lambda: database.statuses().get("sent") == accepted, "the accepted digests to be marked sent")

    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)

    assert len(smtp_server.received) == accepted
    assert database.statuses() == {"sent": accepted, "queued": SUBSCRIBERS - accepted}
    leased = database.query("SELECT count(*) FROM digests_digest WHERE status = 'queued' AND not_before > %s",
                            [dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)])[0][0]
    assert 0 < leased <= sender.LEASE_BATCH  # held by the dead run
    database.query("UPDATE digests_digest SET not_before = %s WHERE status = 'queued'",
                   [dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)])  # its lease ran out
    smtp_server.stall_after = None

    finish(dailypapers(env, "send_digests"))

    counts = smtp_server.count_by_recipient()
    assert len(counts) == SUBSCRIBERS and set(counts.values()) == {1}
    assert database.statuses() == {"sent": SUBSCRIBERS}
    message_ids = {item.message["Message-ID"].strip() for item in smtp_server.received}
    assert message_ids == {mid for (mid,) in database.query("SELECT message_id FROM digests_digest")}
    assert Counter(dict(database.query(
        "SELECT subscription_id, count(*) FROM digests_digest GROUP BY subscription_id")).values()) == {1: SUBSCRIBERS}
