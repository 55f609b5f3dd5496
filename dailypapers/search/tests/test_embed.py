"""Document embedding: the precisions the CPU allows, their vectors against sentence-transformers, and
``embed`` killed with -9 mid-run then restarted (nothing lost, nothing embedded twice)."""

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from django.core.exceptions import ImproperlyConfigured

from dailypapers.papers.models import Paper
from dailypapers.papers.upsert import upsert_papers
from dailypapers.search import cpu, embedder, minilm
from dailypapers.search.models import PaperEmbedding, vector_from_bytes
from dailypapers.search.tests.conftest import PAPERS, record

TEXTS = [embedder.document_text(p.title, p.abstract) for p in PAPERS]
AVX2_EPYC = cpu.Cpu("x86_64", "AMD EPYC 7B12", frozenset({"avx", "avx2", "fma"}))
SAPPHIRE_RAPIDS = cpu.Cpu("x86_64", "Intel Xeon", frozenset({"avx2", "avx512f", "avx512_vnni", "amx_int8"}))


@pytest.fixture
def on_cpu(monkeypatch):
    """Pretend the process runs on the given CPU (what ``cpu.detect`` would have read)."""
    def use(which):
        monkeypatch.setattr(cpu, "detect", lambda: which)
        embedder.this_cpu.cache_clear()

    yield use
    embedder.this_cpu.cache_clear()


def cosines(a, b):
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def int8_encoder():
    minilm.ensure(("int8",))
    return minilm.Encoder(minilm.path("int8"), threads=1, max_tokens=128).encode


def test_int8_documents_stay_close_to_the_library_whatever_their_order_and_padding(reference):
    int8 = int8_encoder()
    batched = int8(TEXTS, 4)  # lengths differ: each batch is padded to its own longest
    assert np.all(cosines(reference(TEXTS), batched) > 0.97)
    # Activations are quantized with one scale per batch, so a vector depends a little on its batch
    # companions: close, not equal.
    reordered = int8(TEXTS[::-1], 32)[::-1]
    alone = np.stack([int8([text], 1)[0] for text in TEXTS])
    assert np.all(cosines(batched, reordered) > 0.98) and np.all(cosines(batched, alone) > 0.98)


def test_the_fp32_document_path_equals_the_library(settings, reference, on_cpu):
    settings.SEARCH_EMBED_PRECISION = "fp32"
    on_cpu(AVX2_EPYC)
    assert np.all(cosines(reference(TEXTS), embedder.encode_documents(TEXTS)) > 0.9999)


def test_it_finds_the_right_paper_with_int8_documents_and_fp32_queries():
    documents = embedder.normalize(int8_encoder()(TEXTS, 32))
    query = embedder.embed_query("predicting how a protein folds from its sequence")
    assert int(np.argmax(documents @ query)) == 0  # "Folding proteins with attention"


def test_the_precision_defaults_from_the_cpu_and_names_the_vectors(settings, on_cpu):
    settings.SEARCH_EMBED_MAX_TOKENS = 96
    on_cpu(AVX2_EPYC)
    assert embedder.fingerprint() == "all-MiniLM-L6-v2/96/onnx-fp32"
    on_cpu(SAPPHIRE_RAPIDS)
    assert embedder.fingerprint() == "all-MiniLM-L6-v2/96/onnx-int8"
    assert embedder.same_model("all-MiniLM-L6-v2/96/onnx-int8", "all-MiniLM-L6-v2/96/onnx-fp32")
    assert not embedder.same_model("all-MiniLM-L6-v2/96/onnx-int8", "all-MiniLM-L6-v2/128/onnx-int8")


@pytest.mark.parametrize(("precision", "message"), [("int8", "no int8 dot-product"), ("bf16", "no bf16 path"),
                                                    ("int4", "expected auto, fp32 or int8")])
def test_it_refuses_a_precision_this_cpu_cannot_run_fast(settings, on_cpu, precision, message):
    settings.SEARCH_EMBED_PRECISION = precision
    on_cpu(AVX2_EPYC)
    with pytest.raises(ImproperlyConfigured, match=message):
        embedder.encode_documents(["a paper"])


# -- kill -9 mid-run, then a restart --------------------------------------------------------------------
KILL_CORPUS = 48
KILL_BATCH = 8


def _site_env(tmp_path):
    """The environment of an ``embed`` subprocess on this test's database (SQLite file or PostgreSQL)."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "postgresql":
        url = f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    else:
        url = f"sqlite:///{s['NAME']}"
    return os.environ | {"DATABASE_URL": url, "DAILYPAPERS_HOME": str(tmp_path), "SEARCH_INDEX_DIR": str(tmp_path),
                         "LOG_FORMAT": "text", "PYTHONUNBUFFERED": "1"}


def _lines(stream):
    """The stream's lines through a queue, so the test can wait for one with a deadline."""
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in stream], daemon=True).start()
    return lines


def _wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def _embed(env, *args):
    command = [sys.executable, "-m", "dailypapers.cli", "embed", "--batch-size", str(KILL_BATCH), *args]
    if "--processes" not in args:
        command += ["--processes", "1"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603


def test_it_survives_kill_9_mid_run_and_a_restart_takes_over_at_once(transactional_db, tmp_path):
    long_abstract = "We study a method and report results on several benchmarks with careful ablations. " * 8
    upsert_papers([record(100 + n, f"Invented paper number {n}", f"Paper {n}. {long_abstract}")
                   for n in range(KILL_CORPUS)])
    env = _site_env(tmp_path)
    process = _embed(env, "-v", "2")
    lines, holder = _lines(process.stdout), f"{socket.gethostname()}:{process.pid}"
    # Kill it after its first batch is committed, while it holds its next claim (encoding that batch).
    assert "committed a batch of 8 papers" in lines.get(timeout=120)
    _wait_for(lambda: PaperEmbedding.objects.filter(claimed_by=holder).exists(), 30, "the second claim")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)

    embedded = PaperEmbedding.objects.filter(vector__isnull=False).count()
    assert KILL_BATCH <= embedded < KILL_CORPUS  # killed mid-run, after whole batches only
    assert embedded % KILL_BATCH == 0  # a batch is one transaction: never half written
    assert PaperEmbedding.objects.filter(claimed_by=holder, vector__isnull=True).count() == KILL_BATCH

    restart = _embed(env)  # the dead holder's claims (10-minute lease) are taken over at once
    out, err = restart.communicate(timeout=300)
    assert restart.returncode == 0, err[-2000:]
    assert f"embedded {KILL_CORPUS - embedded} papers" in out

    rows = PaperEmbedding.objects.filter(paper__in=Paper.objects.all())
    assert rows.count() == Paper.objects.count() == KILL_CORPUS  # one row per paper (a OneToOne)
    assert not rows.filter(vector__isnull=True).exists() and not rows.exclude(claimed_by="").exists()
    assert set(rows.values_list("model", flat=True)) == {embedder.fingerprint()}
    vectors = np.stack([vector_from_bytes(v) for v in rows.values_list("vector", flat=True)])
    assert vectors.shape == (KILL_CORPUS, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-3)
    assert len({v.tobytes() for v in vectors}) == KILL_CORPUS  # each paper its own vector


def test_it_embeds_with_several_processes_each_paper_once(transactional_db, tmp_path):
    upsert_papers([record(300 + n, f"Invented paper number {n}", f"Paper {n} about topic {n % 5}.")
                   for n in range(KILL_CORPUS)])
    process = _embed(_site_env(tmp_path), "--processes", "2")
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-2000:]
    assert f"embedded {KILL_CORPUS} papers with 2 processes" in out
    rows = PaperEmbedding.objects.all()
    assert rows.count() == KILL_CORPUS and not rows.filter(vector__isnull=True).exists()
    holders = set(rows.values_list("claimed_by", flat=True))
    assert holders == {""}  # every claim released
