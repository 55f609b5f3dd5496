"""Faults survived: kill -9 mid-sync then a restart; many writers at once on SQLite without "locked"."""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from dailypapers.sources.tests.replay import ReplayServer, ok, slow

DAYS = [dt.date(2026, 3, 2) + dt.timedelta(days=n) for n in range(5)]  # Monday..Friday


def entry(n, day):
    return {"paper": {"id": f"2603.{n:05d}", "title": f"Invented paper {n}", "summary": "S.",
                      "authors": [{"name": "Alice Quark"}], "publishedAt": "2026-02-27T00:00:00.000Z",
                      "upvotes": n, "submittedOnDailyAt": f"{day}T04:00:00.000Z"}, "numComments": 0}


def run(env, *args, **kwargs):
    return subprocess.run([sys.executable, "-m", "dailypapers.cli", *args], env=env, capture_output=True,
                          text=True, **kwargs)


def snapshot(env):
    code = ("import json; from dailypapers.sources.export import export_rows; "
            "print(json.dumps(sorted((r['arxiv_id'], r['upvotes'], r['daily_date']) for r in export_rows())))")
    return json.loads(run(env, "shell", "--no-imports", "-c", code, check=True).stdout)


@pytest.fixture
def site(tmp_path, transactional_db):
    """A throwaway site in its own home, on the suite's database engine (its own SQLite file, or the test
    PostgreSQL database this test session created)."""
    from django.db import connection

    env = os.environ | {"DAILYPAPERS_HOME": str(tmp_path), "SOURCES_ENABLED": "hf", "HF_BACKFILL_DAYS": "6",
                        "HF_MIN_INTERVAL_S": "0", "LOG_FORMAT": "text"}
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        env["DATABASE_URL"] = f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    else:
        env.pop("DATABASE_URL", None)
        run(env, "migrate", "-v0", check=True)
    return env


def test_kill_9_during_a_sync_then_a_restart_loses_and_duplicates_nothing(site):
    with ReplayServer() as replay:
        replay.add("/api/daily_papers", None, ok("[]", content_type="application/json"))
        for i, day in enumerate(DAYS):
            body = json.dumps([entry(i * 10 + k, day) for k in range(1, 4)])
            # Day 3 answers slowly: that is where the run gets killed.
            reply = slow(body, delay=30) if i == 2 else ok(body, content_type="application/json")
            replay.add("/api/daily_papers", {"date": day.isoformat(), "p": 0, "limit": 100}, reply)
        env = site | {"HF_BASE_URL": replay.url("")}
        now = ["--now", "2026-03-06T15:00:00+00:00"]
        process = subprocess.Popen([sys.executable, "-m", "dailypapers.cli", "sync", "--force", *now], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while len(replay.requests) < 3 and time.time() < deadline:
            time.sleep(0.1)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        stored = {row[0] for row in snapshot(env)}
        assert {"2603.00001", "2603.00011"} <= stored and "2603.00021" not in stored  # two whole days

        replay.routes[("/api/daily_papers", (("date", "2026-03-04"), ("limit", "100"), ("p", "0")))] = [
            ok(json.dumps([entry(20 + k, DAYS[2]) for k in range(1, 4)]), content_type="application/json")]
        restarted = run(env, "sync", "--force", *now, timeout=120)
        assert restarted.returncode == 0, restarted.stderr
        rows = snapshot(env)
    assert sorted(r[0] for r in rows) == sorted(f"2603.{i * 10 + k:05d}" for i in range(5) for k in range(1, 4))
    assert len(rows) == len({r[0] for r in rows}) == 15


def test_many_writers_at_once_never_see_database_is_locked(site):
    """Four processes upsert overlapping papers at the same time (the web server, the worker and a sync
    all write); IMMEDIATE transactions and the busy timeout make them queue instead of failing."""
    code = ("import sys, datetime as dt\n"
            "from dailypapers.papers.records import PaperRecord\n"
            "from dailypapers.papers.upsert import upsert_papers\n"
            "w = int(sys.argv[-1])\n"
            "for round_ in range(15):\n"
            "    records = [PaperRecord(arxiv_id=f'2603.{n:05d}', title=f'Paper {n}', authors=['Alice Quark'],\n"
            "               hf_upvotes=round_ * 10 + w, featured_on=dt.date(2026, 3, 2)) for n in range(1, 40)]\n"
            "    result = upsert_papers(records)\n"
            "    assert not result.rejected, result.rejected\n")
    writers = [subprocess.Popen([sys.executable, "-m", "dailypapers.cli", "shell", "--no-imports", "-c",
                                 code.replace("sys.argv[-1]", str(w))], env=site, stderr=subprocess.PIPE, text=True)
               for w in range(4)]
    errors = [w.communicate(timeout=300)[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0, 0, 0], errors
    assert not any("locked" in e for e in errors)
    rows = snapshot(site)
    assert len(rows) == 39 and all(upvotes >= 140 for _, upvotes, _ in rows)
