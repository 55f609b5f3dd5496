"""Search latency at 100k and 1M papers: keyword, vector, full hybrid; building blocks; peak RSS.

The corpus is grown from ``arxiv-listings.jsonl.gz``: its 74,728 papers as they are, then copies with
a fifth of their words swapped for words drawn from the corpus's own word frequencies. Vectors have
real structure: each is a MiniLM embedding of a real paper (the quality harness's cache of the 9,877
Hugging Face papers) plus a third of another one plus a little noise, renormalized; random unit
vectors would make HNSW look far worse than it is on real data.

Phase 1 (once per size, cached under $DAILYPAPERS_HOME/bench/latency-N/): the index generation
(Tantivy, vectors, HNSW above SEARCH_HNSW_THRESHOLD), the ONNX query encoder, and an SQLite database
with the N papers for hydration. Phase 2 runs in a fresh process, so its peak RSS is the serving
process's: 200 realistic 1–5-word queries (``ai_keywords`` phrases), warm (one pass first), each
query's vector cache cleared so encoding is always paid.

    python bench/search_latency.py [--sizes 100000,1000000] [--queries 200] [--rebuild]
"""

import argparse
import gzip
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DAILYPAPERS_SHARED") or REPO.parent / "shared")
LISTINGS = SHARED / "data" / "arxiv-listings.jsonl.gz"
SWAP_FRACTION = 0.2
SEED = 7


def bench_home():
    return Path(os.environ.get("DAILYPAPERS_HOME") or REPO / "var") / "bench"


def setup_django(workdir):
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'db.sqlite3'}"
    os.environ["SEARCH_INDEX_DIR"] = str(workdir / "index")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    import django

    django.setup()


# -- phase 1: build ---------------------------------------------------------------------------------


def listings():
    with gzip.open(LISTINGS, "rt") as fh:
        return [json.loads(line) for line in fh]


def synthetic_papers(real, size):
    """(title, abstract, authors, categories, published) for ``size`` papers grown from ``real``."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    counts = {}
    for paper in real:
        for word in paper["abstract"].split():
            counts[word] = counts.get(word, 0) + 1
    vocab = list(counts)
    weights = np.array([counts[w] for w in vocab], dtype=np.float64)
    draws = iter(rng.choice(len(vocab), size=4_000_000, p=weights / weights.sum()).tolist())
    for n in range(size):
        paper = real[n % len(real)]
        title, abstract = paper["title"], paper["abstract"]
        if n >= len(real):
            title, abstract = _swapped(title, vocab, draws, rng), _swapped(abstract, vocab, draws, rng)
        yield title, abstract, paper.get("authors") or [], paper.get("categories") or [], paper.get("published")


def _swapped(text, vocab, draws, rng):
    words = text.split()
    for position in rng.integers(0, len(words), size=max(1, int(len(words) * SWAP_FRACTION))).tolist():
        try:
            words[position] = vocab[next(draws)]
        except StopIteration:
            break
    return " ".join(words)


def quality_module():
    """bench/search_quality.py, for its corpus reader and embedding cache (bench/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("search_quality", REPO / "bench" / "search_quality.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def structured_vectors(size):
    import numpy as np

    search_quality = quality_module()
    base = search_quality.embeddings(search_quality.load_corpus(0))
    rng = np.random.default_rng(SEED)
    out = np.empty((size, base.shape[1]), dtype=np.float32)
    for start in range(0, size, 100_000):
        end = min(size, start + 100_000)
        first, second = rng.integers(0, len(base), end - start), rng.integers(0, len(base), end - start)
        mixed = base[first] + 0.33 * base[second] + rng.normal(0, 0.02, (end - start, base.shape[1]))
        out[start:end] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
    return out


def build(workdir, size):
    import datetime as dt

    import numpy as np
    from django.conf import settings
    from django.core.management import call_command

    from dailypapers.search import keyword, onnx_export, store, vectors
    from dailypapers.search.keyword import IndexRow

    workdir.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    real = listings()
    timings = {}
    started = time.perf_counter()
    _insert_papers(synthetic_papers(real, size))
    timings["database_s"] = time.perf_counter() - started
    root = store.index_root()
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / "gen-000001.tmp"
    started = time.perf_counter()
    rows = (IndexRow(pk=n + 1, title=t, abstract=a, authors=au, categories=c,
                     published=dt.date.fromisoformat(p[:10]) if p else None)
            for n, (t, a, au, c, p) in enumerate(synthetic_papers(real, size)))
    keyword.create(rows, tmp / "tantivy", threads=os.cpu_count() or 1)
    timings["tantivy_build_s"] = time.perf_counter() - started
    matrix = structured_vectors(size)
    started = time.perf_counter()
    use_hnsw = size >= settings.SEARCH_HNSW_THRESHOLD
    vectors.write(tmp, np.arange(1, size + 1), matrix, hnsw=use_hnsw, dtype=settings.SEARCH_HNSW_DTYPE)
    timings["vector_build_s"] = time.perf_counter() - started
    manifest = store.Manifest(name="gen-000001", built_at=dt.datetime.now(dt.UTC).isoformat(), max_paper_id=size,
                              papers=size, vectors=size, hnsw=use_hnsw, model="bench",
                              seconds=round(sum(timings.values()), 1))
    store.publish(root, tmp, manifest)
    onnx_export.ensure()
    (workdir / "build.json").write_text(json.dumps(timings))
    return timings


def _insert_papers(papers):
    from django.db import transaction

    from dailypapers.papers.models import Paper

    batch = []
    for n, (title, abstract, _, categories, _) in enumerate(papers):
        batch.append(Paper(pk=n + 1, arxiv_id=f"bench/{n + 1:07d}", title=title, abstract=abstract,
                           category_codes=" ".join(categories)))
        if len(batch) == 5000:
            with transaction.atomic():
                Paper.objects.bulk_create(batch)
            batch = []
    with transaction.atomic():
        Paper.objects.bulk_create(batch)


# -- phase 2: measure -------------------------------------------------------------------------------


def bench_queries(count):
    search_quality = quality_module()
    phrases = {k.strip().lower() for p in search_quality.read_jsonl(search_quality.HF_DATA)
               for k in p.get("ai_keywords") or [] if 1 <= len(k.split()) <= 5}
    return random.Random(SEED).sample(sorted(phrases), count)


def timed(fn, *args):
    started = time.perf_counter()
    value = fn(*args)
    return (time.perf_counter() - started) * 1000, value


def measure(count):
    from dailypapers.search import api, embedder, keyword, live, vectors
    from dailypapers.search.query import parse

    queries = bench_queries(count)
    snap = live.snapshot()
    generation = snap.generation
    encoder = embedder.query_encoder()
    samples = {name: [] for name in ("encode", "keyword", "ann", "exact", "hybrid")}
    recalls = []
    for warm in (True, False):
        for text in queries:
            ms_encode, vector = timed(encoder, text)
            query = keyword.text_query(parse(text))
            ms_keyword, _ = timed(generation.keyword.top, query, api.KEYWORD_K)
            ms_ann, approx = timed(generation.vectors.search, vector, api.VECTOR_K)
            ms_exact, exact = timed(vectors.top_k, generation.vectors.matrix, generation.vectors.ids, vector, 10)
            embedder._cached_query.cache_clear()  # a new query: encoding is part of the price
            ms_hybrid, _ = timed(lambda t: api.search(t, limit=20), text)
            if warm:
                continue
            for name, value in zip(samples, (ms_encode, ms_keyword, ms_ann, ms_exact, ms_hybrid), strict=True):
                samples[name].append(value)
            truth = {pk for pk, _ in exact}
            recalls.append(len(truth & {pk for pk, _ in approx[:10]}) / len(truth))
    return samples, statistics.mean(recalls), encoder, crossover(generation.vectors, queries[:50], encoder)


def crossover(index, queries, encoder):
    """Exact top-100 p50 (ms) over the first n vectors: where exact stops being cheap enough."""
    from dailypapers.search import vectors

    out = {}
    for n in (10_000, 25_000, 50_000, 100_000):
        if n <= len(index):
            ids, matrix = index.ids[:n], index.matrix[:n]
            out[n] = percentile([timed(vectors.top_k, matrix, ids, encoder(q), 100)[0] for q in queries], 50)
    return out


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def serve(workdir, count):
    setup_django(workdir)
    from django.conf import settings

    samples, recall, encoder, exact_by_size = measure(count)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row = {name: (percentile(v, 50), percentile(v, 95)) for name, v in samples.items()}
    blocks = row["encode"][0] + row["keyword"][0] + row["ann"][0]
    print(json.dumps({"rows": row, "recall_at_10": recall, "exact_by_size": exact_by_size, "rss_mb": rss_mb,
                      "ratio": row["hybrid"][0] / blocks,
                      "encoder": "onnx" if hasattr(encoder, "session") else "torch",
                      "hnsw_dtype": settings.SEARCH_HNSW_DTYPE,
                      "expansion": settings.SEARCH_HNSW_EXPANSION}))


def report(size, build_timings, result):
    rows = result["rows"]
    print(f"\n### {size:,} papers (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)\n")
    print("| step | p50 ms | p95 ms |\n| --- | ---: | ---: |")
    names = {"encode": "query encoding alone", "keyword": "Tantivy top-100 alone",
             "ann": "vector top-100 alone (HNSW or exact)", "exact": "exact top-10 (recall reference)",
             "hybrid": "full hybrid search (parse, encode, both halves, fusion, hydrate 20, highlight)"}
    for name, label in names.items():
        print(f"| {label} | {rows[name][0]:.2f} | {rows[name][1]:.2f} |")
    print(f"\nrecall@10 of the vector half against exact: {result['recall_at_10']:.3f}; "
          f"hybrid p50 ÷ (encode + Tantivy + ANN p50) = {result['ratio']:.2f}; peak RSS "
          f"{result['rss_mb']:.0f} MB; query encoder {result['encoder']}; build "
          + ", ".join(f"{k} {v:.0f}" for k, v in build_timings.items()))
    print("exact top-100 p50 by size: " + ", ".join(f"{int(n):,}: {ms:.2f} ms"
                                                  for n, ms in result["exact_by_size"].items()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(Path(args.serve), args.queries)
    for size in (int(s) for s in args.sizes.split(",")):
        workdir = bench_home() / f"latency-{size}"
        if args.rebuild or not (workdir / "build.json").exists():
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
            # Built in a child process too: the parent stays small and Django is set up per size.
            subprocess.run([sys.executable, __file__, "--build-one", str(size)], check=True)  # noqa: S603
        child = subprocess.run([sys.executable, __file__, "--serve", str(workdir), "--queries", str(args.queries)],  # noqa: S603
                               check=True, capture_output=True, text=True)
        report(size, json.loads((workdir / "build.json").read_text()), json.loads(child.stdout.splitlines()[-1]))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--build-one":
        size = int(sys.argv[2])
        workdir = bench_home() / f"latency-{size}"
        workdir.mkdir(parents=True, exist_ok=True)
        setup_django(workdir)
        print(json.dumps(build(workdir, size)))
    else:
        main()
