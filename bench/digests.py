"""Digest throughput: N subscribers (default 100,000) over the real Hugging Face papers, mailed to a
local SMTP sink.

    python bench/digests.py [--subscribers N] [--connections C] [--senders K] [--account-share F] [--data PATH]
                            [--postgres URL] [--profile PREFIX]
    scripts/with-postgres sh -c '.venv/bin/python bench/digests.py --postgres "$DATABASE_URL"'

In a throwaway DAILYPAPERS_HOME on the SQLite default (with ``--postgres URL``: in a fresh database
created beside the one URL names, dropped afterwards): imports the 9,877-paper JSONL with its
all-MiniLM-L6-v2 vectors (the cache bench/recommend.py writes under $TMPDIR/dailypapers-bench, else
computed once by the search embedder), creates N confirmed subscribers all due at one Monday slot (a
fifth weekly, a tenth with a category or keyword focus, one in fifty following an organization, and
``--account-share`` (a tenth) account holders, each with three upvotes from the last month, so the
For-you recommender picks papers for them), starts an aiosmtpd sink in its own process on a loopback
port, then times the two phases of one `send_digests` pass:

- built: claim (conditional UPDATE) + choose the papers + write the outbox row and sent-paper log;
- sent: lease + render (text and HTML) + SMTP over ``--connections C`` reused connections (the
  command's default unless given) + mark sent; with ``--senders K`` by K processes at once (as K
  overlapping cron runs would), each with its own connections.

``--profile PREFIX`` writes cProfile stats of each phase (this process only) to PREFIX-build.prof
and PREFIX-send.prof; the profiler slows the run several times over, so its timings are not the
bench's figures.

"""

import argparse
import contextlib
import datetime as dt
import io
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "hf-daily-papers.jsonl.gz"
VECTOR_CACHE = Path(tempfile.gettempdir()) / "dailypapers-bench"
UPVOTES_PER_ACCOUNT = 3
CATEGORIES = ["cs.CL", "cs.CV", "cs.LG", "cs.RO"]
KEYWORDS = ["diffusion", "reasoning", "agent", "video"]


def sink(port_pipe, stop_event, counts):
    """The SMTP sink process: accept everything, count messages, bytes and its own CPU time (µs)."""
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)

    class Counter:
        async def handle_DATA(self, server, session, envelope):
            with counts.get_lock():
                counts[0] += 1
                counts[1] += len(envelope.content)
            return "250 OK"

    class Loopback(Controller):
        def _trigger_server(self):
            self.port = self.server.sockets[0].getsockname()[1]
            super()._trigger_server()

    controller = Loopback(Counter(), hostname="127.0.0.1", port=0)
    controller.start()
    port_pipe.send(controller.port)
    while not stop_event.wait(0.5):
        counts[2] = int(time.process_time() * 1e6)
    controller.stop()


def start_sink():
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    stop, counts = context.Event(), context.Array("q", 3)
    process = context.Process(target=sink, args=(send, stop, counts), daemon=True)
    process.start()
    return process, receive.recv(), stop, counts


def setup_django(home, port, database_url=None):
    os.environ.pop("DATABASE_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.update({"DAILYPAPERS_HOME": home, "DJANGO_SETTINGS_MODULE": "dailypapers.settings",
                       "EMAIL_URL": f"smtp://127.0.0.1:{port}", "SITE_URL": "https://papers.example.org",
                       "LOG_LEVEL": "WARNING"})
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


@contextlib.contextmanager
def fresh_database(url):
    """A new empty PostgreSQL database beside the one in ``url`` (None: SQLite, nothing to do)."""
    if not url:
        yield None
        return
    import psycopg

    name = f"bench_digests_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def load(data):
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("import", str(data), "--no-progress", stdout=io.StringIO())
    return time.perf_counter() - started


def monday_slot():
    """A Monday slot right after a Friday with papers: the daily digest has Friday's papers, the
    weekly one the whole week's."""
    from django.db.models import Max

    from dailypapers.digests import schedule
    from dailypapers.papers.models import Submission

    friday = Submission.objects.filter(feed_day__week_day=6).aggregate(day=Max("feed_day"))["day"]
    return schedule.next_slot("daily", dt.datetime.combine(friday, dt.time(12), tzinfo=dt.UTC))


def embed_papers():
    """Store every paper's vector, from the shared cache when it has them all."""
    import numpy as np
    from django.utils import timezone

    from dailypapers.papers.models import Paper
    from dailypapers.search import embedder
    from dailypapers.search.models import PaperEmbedding, vector_to_bytes

    papers = list(Paper.objects.values_list("pk", "arxiv_id", "title", "abstract"))
    vectors = cached_vectors([arxiv_id for _, arxiv_id, _, _ in papers])
    if vectors is None:
        print("no vector cache: embedding the papers (slow the first time)", file=sys.stderr)
        vectors = embedder.encode_documents([embedder.document_text(t, a) for _, _, t, a in papers])
        VECTOR_CACHE.mkdir(parents=True, exist_ok=True)
        np.savez(VECTOR_CACHE / f"hf-vectors-{embedder.fingerprint().replace('/', '-')}.npz",
                 ids=np.array([arxiv_id for _, arxiv_id, _, _ in papers]), vectors=vectors)
    now = timezone.now()
    PaperEmbedding.objects.bulk_create(
        (PaperEmbedding(paper_id=pk, vector=vector_to_bytes(vector), model=embedder.fingerprint(), embedded_at=now)
         for (pk, *_), vector in zip(papers, vectors, strict=True)), batch_size=2000)


def cached_vectors(arxiv_ids):
    import numpy as np

    for cache in sorted(VECTOR_CACHE.glob("hf-vectors-*.npz")):
        stored = np.load(cache, allow_pickle=False)
        index = {arxiv_id: i for i, arxiv_id in enumerate(stored["ids"])}
        if all(arxiv_id in index for arxiv_id in arxiv_ids):
            return stored["vectors"][[index[arxiv_id] for arxiv_id in arxiv_ids]]
    return None


def upvotes(users, slot):
    """UPVOTES_PER_ACCOUNT upvotes each on papers featured in the month before ``slot``."""
    import random

    from dailypapers.papers.models import Paper, Upvote

    recent = list(Paper.objects.featured_between((slot - dt.timedelta(days=30)).date(), slot.date())
                  .values_list("pk", flat=True))
    rng = random.Random(6)
    Upvote.objects.bulk_create((Upvote(user=user, paper_id=paper_id) for user in users
                                for paper_id in rng.sample(recent, UPVOTES_PER_ACCOUNT)), batch_size=5000)


def subscribers(count, slot, account_share):
    """Bulk-create the subscribers (and the account holders' users) due at ``slot``."""
    from django.contrib.auth import get_user_model

    from dailypapers.digests.models import Subscription
    from dailypapers.papers.models import Organization

    holders = range(1, count, round(1 / account_share)) if account_share else range(0)
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"reader{n}", email=f"reader{n}@example.net") for n in holders
    )
    upvotes(users, slot)
    user_of = dict(zip(holders, users, strict=True))
    rows = [Subscription(email=f"reader{n}@example.net", frequency="weekly" if n % 5 == 0 else "daily",
                         status=Subscription.Status.ACTIVE, next_digest_at=slot, created_at=slot,
                         user=user_of.get(n),
                         focus_categories=CATEGORIES[n // 10 % 4] if n % 10 == 2 else "",
                         focus_keywords=KEYWORDS[n // 10 % 4] if n % 10 == 3 else "")
            for n in range(count)]
    created = Subscription.objects.bulk_create(rows, batch_size=5000)
    top_org = Organization.objects.order_by("-papers__hf_upvotes").first()
    through = Subscription.focus_organizations.through
    through.objects.bulk_create(through(subscription_id=s.pk, organization_id=top_org.pk)
                                for s in created[4::50])


def timed(function, profile=None):
    """(result, wall seconds, CPU seconds of this process and of the children it waited for);
    with ``profile`` (a path), cProfile stats of this process are written there."""
    started, cpu = time.perf_counter(), cpu_seconds()
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        result = profiler.runcall(function)
        profiler.dump_stats(profile)
    else:
        result = function()
    return result, time.perf_counter() - started, cpu_seconds() - cpu


def cpu_seconds():
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def send(one_pass, now, senders):
    """The send phase in this process and ``senders - 1`` forked ones; returns how many were sent."""
    from django.db import connections

    from dailypapers.digests.models import Digest

    connections.close_all()  # each process opens its own
    context = multiprocessing.get_context("fork")
    others = [context.Process(target=one_pass.send_ready, args=(now,)) for _ in range(senders - 1)]
    for process in others:
        process.start()
    one_pass.send_ready(now)
    for process in others:
        process.join()
    return Digest.objects.filter(status="sent").count()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--senders", type=int, default=1, help="processes sending at once")
    parser.add_argument("--connections", type=int, default=None, help="SMTP connections per sending process")
    parser.add_argument("--account-share", type=float, default=0.1, help="share of account holders (picks)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--postgres", metavar="URL", help="run on PostgreSQL, in a fresh database beside URL's")
    parser.add_argument("--profile", type=Path, help="write cProfile stats of each phase to PROFILE-build/-send.prof")
    args = parser.parse_args()
    if not args.data.exists():
        sys.exit(f"no data at {args.data}")
    sink_process, port, stop, counts = start_sink()
    with tempfile.TemporaryDirectory(prefix="bench-digests-") as home, fresh_database(args.postgres) as url:
        setup_django(home, port, url)
        run(args, counts)
    stop.set()
    sink_process.join(10)


def run(args, counts):
    from django.db import connection

    from dailypapers.digests import sender
    from dailypapers.digests.models import Digest, SentPaper

    import_s = load(args.data)
    embed_papers()
    slot = monday_slot()
    _, create_s, _ = timed(lambda: subscribers(args.subscribers, slot, args.account_share))
    now = slot + dt.timedelta(minutes=5)
    one_pass = sender.Sender(args.connections)
    print(f"{connection.vendor}, {os.cpu_count()} cores; {args.data.name} imported in {import_s:.1f} s; "
          f"{args.subscribers:,} subscribers created in {create_s:.1f} s; slot {slot:%a %Y-%m-%d %H:%M} UTC")

    queued, build_s, build_cpu = timed(lambda: sum(one_pass.queue(chunk, now) for chunk in sender.due_chunks(now)),
                                       phase_profile(args, "build"))
    sink_cpu_before = counts[2]
    sent, send_s, send_cpu = timed(lambda: send(one_pass, now, args.senders), phase_profile(args, "send"))
    time.sleep(1)  # let the sink record its CPU time
    received, size, sink_cpu = counts[0], counts[1], (counts[2] - sink_cpu_before) / 1e6

    with_picks = Digest.objects.exclude(pick_ids=[]).count()
    print(f"built  {queued:>7,} digests ({with_picks:,} with picks) in {build_s:6.1f} s = "
          f"{queued / build_s:6.0f} digests/s "
          f"(CPU {build_cpu:.1f} s = {queued / build_cpu:.0f}/CPU-s; {SentPaper.objects.count():,} sent-paper rows)")
    connections = one_pass.connections
    senders = f"{args.senders} process{'es' * (args.senders > 1)} x {connections} connections"
    print(f"sent   {sent:>7,} digests by {senders} in {send_s:6.1f} s = {sent / send_s:6.0f} digests/s "
          f"(CPU {send_cpu:.1f} s = {sent / send_cpu:.0f}/CPU-s; sink received {received:,}, "
          f"{size / max(received, 1) / 1024:.1f} KiB each, using {sink_cpu:.1f} CPU-s)")
    print(f"total  {build_s + send_s:6.1f} s for the pass; peak RSS {peak_rss_mib():.0f} MiB; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if received != sent or Digest.objects.exclude(status="sent").exists():
        sys.exit("MISMATCH between the outbox, the command's count and the sink")


def phase_profile(args, phase):
    return f"{args.profile}-{phase}.prof" if args.profile else None


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
