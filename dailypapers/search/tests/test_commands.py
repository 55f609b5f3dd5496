import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command

from dailypapers.papers.models import Paper
from dailypapers.search import jobs, store
from dailypapers.search.models import PaperEmbedding

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, verbosity=0)
    return out.getvalue()


def test_embed_embeds_every_paper_once(corpus):
    assert "embedded 6 papers" in run("embed")
    assert PaperEmbedding.objects.filter(vector__isnull=False).count() == 6
    assert "embedded 0 papers" in run("embed")


def test_two_runs_never_claim_the_same_rows(corpus):
    jobs.enqueue_missing()
    alice_token, alice = jobs.claim(4)
    bob_token, bob = jobs.claim(4)
    assert len(alice) == 4 and len(bob) == 2
    assert not {row.pk for row in alice} & {row.pk for row in bob}
    assert jobs.claim(4)[1] == []  # everything is claimed until the lease runs out


def test_a_dead_runs_claims_expire(corpus):
    from dailypapers.search.models import CLAIM_LEASE

    jobs.enqueue_missing()
    with time_machine.travel(dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC), tick=False) as clock:
        jobs.claim(6)
        assert jobs.claim(6)[1] == []
        clock.shift(CLAIM_LEASE * 2)
        assert len(jobs.claim(6)[1]) == 6


def _dead_pid():
    import subprocess
    import sys

    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    return int(child.stdout)


def test_it_takes_over_a_dead_holders_claims_at_once_and_respects_a_live_ones(corpus):
    import os
    import socket

    host = socket.gethostname()
    jobs.enqueue_missing()
    _, rows = jobs.claim(6)
    assert {row.pk for row in rows} and set(PaperEmbedding.objects.values_list("claimed_by", flat=True)) == {
        f"{host}:{os.getpid()}"}
    holders = {f"{host}:{os.getppid()}": 2, "another-host:1": 2, f"{host}:{_dead_pid()}": 2}
    pks = iter(PaperEmbedding.objects.order_by("pk").values_list("pk", flat=True))
    for holder, count in holders.items():
        PaperEmbedding.objects.filter(pk__in=[next(pks) for _ in range(count)]).update(claimed_by=holder)
    taken = jobs.claim(6)[1]  # only the dead local holder's two rows; the lease has 10 minutes to run
    assert len(taken) == 2
    assert set(PaperEmbedding.objects.filter(pk__in=[r.pk for r in taken]).values_list("claimed_by", flat=True)) == {
        f"{host}:{os.getpid()}"}
    assert jobs.claim(6)[1] == []


def test_embed_rejects_a_batch_size_below_one(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="at least 1"):
        run("embed", "--batch-size", "0")


def test_embed_logs_each_committed_batch_at_verbosity_2(corpus):
    out = io.StringIO()
    call_command("embed", "--batch-size", "4", stdout=out, verbosity=2)
    lines = out.getvalue().splitlines()
    assert lines[:2] == ["committed a batch of 4 papers", "committed a batch of 2 papers"]
    assert lines[2].startswith("embedded 6 papers (") and len(lines) == 3


def test_refresh_queues_papers_whose_text_changed(corpus):
    jobs.embed_pending()
    Paper.objects.filter(arxiv_id="2603.00001").update(title="A different title")
    assert jobs.mark_changed() == 1
    assert PaperEmbedding.objects.filter(vector__isnull=True).count() == 1
    assert jobs.embed_pending() == 1


def test_reindex_builds_when_stale_and_is_a_no_op_otherwise(embedded):
    assert "built gen-000001: 6 papers, 6 vectors" in run("reindex")
    assert "up to date" in run("reindex")
    assert "built gen-000002" in run("reindex", "--force")


def test_reindex_while_another_build_runs_does_nothing(embedded):
    with store.writer_lock() as held:
        assert held
        assert jobs.reindex_if_stale(force=True) is None
    assert jobs.reindex_if_stale(force=True) is not None


def test_old_generations_are_pruned(embedded, index_dir):
    for _ in range(4):
        jobs.reindex_if_stale(force=True)
    assert sorted(p.name for p in index_dir.glob("gen-*")) == ["gen-000003", "gen-000004"]
    assert store.current_name() == "gen-000004"


def test_the_worker_turns_embed_a_bounded_batch_and_reindex(corpus, monkeypatch):
    monkeypatch.setattr(jobs, "WORKER_EMBED_LIMIT", 4)
    assert jobs.run_embed() is True  # a full turn: papers still wait, the worker runs it again at once
    assert jobs.run_embed() is False  # the last two
    assert jobs.run_reindex().vectors == 6
