"""Two web nodes and two workers on one PostgreSQL and one Redis, as docs/deploy.md sets them up.

Each node is `dailypapers serve` with a home of its own; each has a worker (`dailypapers worker`).
What a reader does through one node is seen through the other at once, and the jobs that work on
shared data (sync, embedding) run once across the cluster. Runs in `make test`'s PostgreSQL + Redis
pass (scripts/with-postgres, scripts/with-redis).
"""

import datetime as dt
import http.client
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import psycopg
import pytest
import redis

from conftest import missing
from dailypapers.lib import calendar
from dailypapers.ops.tests.server import free_port
from dailypapers.sources.tests.replay import ReplayServer, ok

DAY = dt.date(2026, 3, 2)
SETTLE_S = 90  # how long the workers get for a first sync and embedding of the few papers here


def entry(n, day, title=None, upvotes=3):
    return {"paper": {"id": f"2603.{n:05d}", "title": title or f"Invented cluster paper {n}",
                      "summary": f"An invented abstract about lanterns, number {n}.",
                      "authors": [{"name": "Alice Quark", "hidden": False}], "publishedAt": f"{day}T00:00:00.000Z",
                      "upvotes": upvotes, "submittedOnDailyAt": f"{day}T04:00:00.000Z",
                      "submittedOnDailyBy": {"user": "charlie"}},
            "numComments": 0, "title": title or f"Invented cluster paper {n}"}


def _require_services():
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")) or \
            not os.environ.get("CACHE_URL", "").startswith("redis"):
        missing("two nodes need PostgreSQL and Redis (scripts/with-postgres scripts/with-redis pytest "
                "tests/cluster)", "the two-node tests")


def _fresh_database():
    """A database of the cluster's own on the suite's server, and its URL."""
    name = f"dp_cluster_{os.getpid()}"
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    return name, urllib.parse.urlparse(os.environ["DATABASE_URL"])._replace(path=f"/{name}").geturl()


def _drop_database(name):
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class Node:
    def __init__(self, name, home, env):
        self.name, self.port = name, free_port()
        self.env = env | {"DAILYPAPERS_HOME": str(home), "BIND": f"127.0.0.1:{self.port}"}
        self.processes, self.logs = {}, {}

    def run(self, *args, check=True):
        return subprocess.run([sys.executable, "-m", "dailypapers.cli", *args], env=self.env, check=check,
                              capture_output=True, text=True, timeout=300)

    def start(self, role, *args):
        log = open(self.env["DAILYPAPERS_HOME"] + f"/{role}.log", "w")  # noqa: SIM115 - closed in stop()
        self.logs[role] = log
        self.processes[role] = subprocess.Popen([sys.executable, "-m", "dailypapers.cli", role, *args], env=self.env,
                                                stdout=log, stderr=subprocess.STDOUT)

    def log(self, role):
        with open(self.env["DAILYPAPERS_HOME"] + f"/{role}.log") as text:
            return text.read()

    def stop(self):
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in self.logs.values():
            log.close()

    def get(self, path, token=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()

    def post(self, path, token, body=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        payload = json.dumps(body).encode() if body is not None else b""
        connection.request("POST", path, body=payload, headers={"Authorization": f"Bearer {token}",
                                                                "Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")

    def until_up(self):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if self.get("/healthz")[0] in (200, 503):
                    return
            except OSError:
                time.sleep(0.5)
        raise AssertionError(f"{self.name} did not start:\n{self.log('serve')}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, search_model):
    _require_services()
    database, url = _fresh_database()
    cache_url = urllib.parse.urlparse(os.environ["CACHE_URL"])._replace(path="/9").geturl()
    redis.Redis.from_url(cache_url).flushdb()
    replay = ReplayServer().__enter__()
    today = calendar.current_feed_day()
    replay.add("/api/daily_papers", None, ok("[]", content_type="application/json"))
    replay.add("/api/daily_papers", {"date": today.isoformat(), "p": "0", "limit": "100"},
               ok(json.dumps([entry(900 + n, today) for n in range(1, 6)]), content_type="application/json"))
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")} | {
        "DATABASE_URL": url, "CACHE_URL": cache_url, "SECRET_KEY": "cluster-test-secret-0123456789abcdefghij",
        "LOG_FORMAT": "text", "PYTHONUNBUFFERED": "1", "SOURCES_ENABLED": "hf", "HF_BACKFILL_DAYS": "2",
        "HF_BASE_URL": replay.url("").rstrip("/"), "PAGE_CACHE_SECONDS": "600", "SITE_URL": "http://cluster.test",
    }
    nodes = [Node(name, tmp_path_factory.mktemp(name), env) for name in ("a", "b")]
    try:
        nodes[0].run("migrate", "--noinput", "-v0")
        day_file = tmp_path_factory.mktemp("data") / f"{DAY}.json"
        day_file.write_text(json.dumps([entry(n, DAY, upvotes=n) for n in range(1, 31)]))
        nodes[0].run("import", "--no-progress", str(day_file))
        for node in nodes:
            node.run("collectstatic", "--noinput", "-v0")
            node.start("serve", "--with-worker", "no", "--workers", "1", "--threads", "4")
            node.start("worker")
        for node in nodes:
            node.until_up()
        yield nodes, replay, today
    finally:
        for node in nodes:
            node.stop()
        replay.__exit__(None, None, None)
        _drop_database(database)


def _token(node, username):
    out = node.run("shell", "-c", (
        "from django.utils import timezone\n"
        "from dailypapers.accounts.models import ApiToken, User\n"
        f"user = User.objects.create_user('{username}', '{username}@example.org', 'pw-unused-here-123')\n"
        "user.email_verified_at = timezone.now(); user.save()\n"
        "print(ApiToken.issue(user, 'cluster')[1])\n")).stdout
    return out.strip().splitlines()[-1]


def _count_on(node, path, arxiv_id):
    status, _, body = node.get(path)
    assert status == 200
    return {item["paper"]["id"]: item["paper"]["upvotes"] for item in json.loads(body)}[arxiv_id]


def test_a_vote_through_one_node_is_seen_through_the_other_at_once(cluster):
    (a, b), _, _ = cluster
    token = _token(a, "alice")
    day_api = f"/api/daily_papers?date={DAY}"
    before = _count_on(b, day_api, "2603.00007")
    assert b.get(day_api)[1].get("X-Page-Cache") == "hit"  # node b now holds a cached answer
    status, _ = a.post("/api/v1/papers/2603.00007/upvote", token)
    assert status == 200
    assert _count_on(b, day_api, "2603.00007") == before + 1
    page = b.get(f"/papers/date/{DAY}")[2].decode()
    assert f'data-count="{before + 1}"' in page


def test_a_comment_through_one_node_is_on_the_other(cluster):
    (a, b), _, _ = cluster
    token = _token(a, "bob")
    b.get("/papers/2603.00003")  # cached on b first
    status, _ = a.post("/api/v1/papers/2603.00003/comments", token, {"body": "Seen from the other node?"})
    assert status in (200, 201)
    assert "Seen from the other node?" in b.get("/papers/2603.00003")[2].decode()
    status, _, body = b.get("/api/v1/papers/2603.00003/comments")
    assert status == 200 and "Seen from the other node?" in body.decode()


def test_an_import_through_one_node_is_listed_and_found_on_the_other(cluster, tmp_path):
    (a, b), _, _ = cluster
    later = DAY + dt.timedelta(days=1)
    b.get(f"/papers/date/{later}")
    kept = ["/api/v1/search?q=quixotic+zanzibar", "/api/v1/papers", "/api/v1/days"]
    for path in kept:  # each cached by B, as the second asking shows
        b.get(path)
        assert b.get(path)[1].get("X-Page-Cache") == "hit", path
    day_file = tmp_path / f"{later}.json"
    day_file.write_text(json.dumps([entry(77, later, title="Quixotic lanterns of Zanzibar")]))
    a.run("import", "--no-progress", str(day_file))
    assert "Quixotic lanterns of Zanzibar" in b.get(f"/papers/date/{later}")[2].decode()
    for path in kept:
        status, _, body = b.get(path)
        assert status == 200 and (later.isoformat() if path.endswith("days") else "2603.00077") in body.decode(), path


def _counts(node):
    """(papers, papers with a vector, live embedding claims) in the cluster's database."""
    out = node.run("shell", "-c", (
        "from dailypapers.search.models import PaperEmbedding\n"
        "from dailypapers.papers.models import Paper\n"
        "print(Paper.objects.count(), PaperEmbedding.objects.filter(vector__isnull=False).count(),"
        " PaperEmbedding.objects.filter(claimed_until__isnull=False).count())\n")).stdout.split()
    return tuple(map(int, out[-3:]))


def test_sync_and_embedding_run_once_across_the_cluster(cluster):
    (a, b), replay, today = cluster
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline:
        papers, vectors, claims = _counts(a)
        if papers >= 35 and vectors == papers and claims == 0:  # 30 imported, 5 synced (+1 imported later)
            break
        time.sleep(2)
    assert vectors == papers and claims == 0, (papers, vectors, claims)
    assert "2603.00901" in a.get("/api/v1/papers?limit=100")[2].decode()  # the synced day is in
    asked = [r.query.get("date", [None])[0] for r in replay.requests if r.path == "/api/daily_papers"]
    assert asked.count(today.isoformat()) == 1, asked  # two workers, one fetch of the day


def _generation(node):
    """The manifest of the index generation a node serves (its worker builds it from the database)."""
    index = Path(node.env["DAILYPAPERS_HOME"]) / "index"
    try:
        return json.loads((index / (index / "CURRENT").read_text().strip() / "manifest.json").read_text())
    except OSError:
        return None


def test_each_node_serves_an_index_generation_of_the_same_papers(cluster):
    (a, b), _, _ = cluster
    papers, vectors, _ = _counts(a)
    deadline, same = time.monotonic() + SETTLE_S * 2, None
    while time.monotonic() < deadline:
        built = [_generation(node) for node in (a, b)]
        same = all(g and (g["papers"], g["vectors"]) == (papers, vectors) for g in built)
        if same:
            break
        time.sleep(3)
    assert same, built
    assert built[0]["max_paper_id"] == built[1]["max_paper_id"] and built[0]["model"] == built[1]["model"]


def test_two_workers_send_each_due_digest_once(cluster, tmp_path):
    (a, b), _, _ = cluster
    # Papers on the last day the digest due now covers (digests/schedule.py), so it has content.
    last = dt.date.fromisoformat(a.run("shell", "-c", (
        "from django.utils import timezone\n"
        "from dailypapers.digests import schedule\n"
        "now = timezone.now()\n"
        "print(schedule.period_for('daily', now, now).last)\n")).stdout.split()[-1])
    day_file = tmp_path / f"{last}.json"
    day_file.write_text(json.dumps([entry(500 + n, last) for n in range(5)]))
    a.run("import", "--no-progress", str(day_file))
    a.run("shell", "-c", (
        "import datetime as dt\n"
        "from django.utils import timezone\n"
        "from dailypapers.digests.models import Subscription\n"
        "now = timezone.now()\n"
        "for i in range(20):\n"
        "    Subscription.objects.create(email=f'digest{i}@example.org', status='active', frequency='daily',"
        " next_digest_at=now - dt.timedelta(minutes=1), created_at=now - dt.timedelta(days=7))\n"))
    script = ("from dailypapers.digests.models import Digest\n"
              "print(Digest.objects.filter(status='queued').count(), Digest.objects.filter(status='sent').count(),"
              " Digest.objects.values('subscription').distinct().count())\n")
    deadline = time.monotonic() + SETTLE_S * 2
    while time.monotonic() < deadline:
        queued, sent, subscribers = map(int, a.run("shell", "-c", script).stdout.split()[-3:])
        if subscribers == 20 and queued == 0:
            break
        time.sleep(3)
    assert subscribers == 20 and queued == 0 and sent > 0, (queued, sent, subscribers)
    received = []
    for node in (a, b):
        mail = Path(node.env["DAILYPAPERS_HOME"]) / "mail"
        for message in mail.glob("*.eml") if mail.exists() else ():
            received += re.findall(r"^To: (digest\d+@example\.org)$", message.read_text(errors="replace"), re.M)
    assert len(received) == sent and len(set(received)) == sent  # each digest mailed once, by one worker


def test_a_worker_killed_mid_embedding_leaves_its_work_to_the_other(cluster, tmp_path):
    (a, b), _, _ = cluster
    later = DAY + dt.timedelta(days=2)
    day_file = tmp_path / f"{later}.json"
    day_file.write_text(json.dumps([entry(1000 + n, later) for n in range(800)]))
    a.run("import", "--no-progress", str(day_file))
    workers = {node.processes["worker"].pid: node for node in (a, b)}
    deadline, victim = time.monotonic() + 60, None
    # Polled straight from the database, every 50 ms: short invented abstracts embed at hundreds a
    # second, and a `shell` per look (seconds under load) once looked only after the last batch.
    with psycopg.connect(a.env["DATABASE_URL"], autocommit=True) as db:
        while victim is None and time.monotonic() < deadline:
            holders = [row[0] for row in db.execute(
                "SELECT DISTINCT claimed_by FROM search_paperembedding WHERE claimed_until IS NOT NULL")]
            pids = [int(pid) for _, _, pid in (h.rpartition(":") for h in holders) if pid.isdigit()]
            victim = next((pid for pid in pids if pid in workers), None)
            time.sleep(0.05)
    assert victim is not None, "no worker claimed the new papers"
    workers[victim].processes["worker"].kill()  # kill -9, mid-batch
    survivor = next(node for pid, node in workers.items() if pid != victim)
    deadline = time.monotonic() + SETTLE_S * 2
    while time.monotonic() < deadline:
        papers, vectors, claims = _counts(survivor)
        if vectors == papers and claims == 0:
            break
        time.sleep(2)
    assert (vectors, claims) == (papers, 0)  # nothing lost; each paper has its one vector
