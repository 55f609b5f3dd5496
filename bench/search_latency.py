"""Search latency at 100k and 1M papers: keyword, vector, full hybrid, similar papers; building blocks; peak RSS.

The corpus is grown from ``arxiv-listings.jsonl.gz``: its 74,728 papers as they are, then copies with
a fifth of their words swapped for words drawn from the corpus's own word frequencies, each with its
source paper's authors (so hydrating a page loads real author lists). Vectors have real structure:
paper n's is the MiniLM embedding of its source listings paper (the quality harness's caches: its
Hugging Face file and its distractor blocks, computed when missing), the originals as they are, the
copies moved a little (a seventh of another real paper's vector and noise, renormalized: cosine ~0.97
to the source); random unit vectors would make HNSW look far worse than it is on real data.

Phase 1 (once per size, cached under $DAILYPAPERS_HOME/bench/latency-N/, each step resumable): an
SQLite database with the N papers and their authors, the Tantivy index, the vectors and the HNSW graph
(above SEARCH_HNSW_THRESHOLD; rebuilt alone when its storage type or connectivity changes), the ONNX
query encoder. Phase 2 runs in a fresh process, so its peak RSS is the serving process's: 200
realistic 1–5-word queries (``ai_keywords`` phrases), warm (one pass first), each query's vector cache
cleared so encoding is always paid. Only then does it load the exact reference (every vector: it would
inflate the serving RSS) for recall@10, at several HNSW search breadths (ef).

    python bench/search_latency.py [--sizes 100000,1000000] [--queries 200] [--rebuild]
        [--build-only] [--efs 64,128,256,512]
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
    draws = _draws(rng, len(vocab), weights / weights.sum())
    for n in range(size):
        paper = real[n % len(real)]
        title, abstract = paper["title"], paper["abstract"]
        if n >= len(real):
            title, abstract = _swapped(title, vocab, draws, rng), _swapped(abstract, vocab, draws, rng)
        yield title, abstract, paper.get("authors") or [], paper.get("categories") or [], paper.get("published")


def _draws(rng, size, p, chunk=4_000_000):
    """Word indexes drawn by frequency, without end (a fixed pool ran dry at 1M papers: every later
    copy was its source paper word for word)."""
    while True:
        yield from rng.choice(size, size=chunk, p=p).tolist()


def _swapped(text, vocab, draws, rng):
    words = text.split()
    for position in rng.integers(0, len(words), size=max(1, int(len(words) * SWAP_FRACTION))).tolist():
        words[position] = vocab[next(draws)]
    return " ".join(words)


def quality_module():
    """bench/search_quality.py, for its corpus reader and embedding cache (bench/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("search_quality", REPO / "bench" / "search_quality.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# How the vectors are made; part of the cached build's key (changing it rebuilds the vectors alone).
VECTOR_SCHEME = "listings-own+0.15-other+0.01-noise"


def structured_vectors(size):
    import numpy as np

    base = _base_vectors(listings())
    rng = np.random.default_rng(SEED)
    out = np.empty((size, base.shape[1]), dtype=np.float32)
    out[: min(size, len(base))] = base[:size]
    for start in range(len(base), size, 100_000):
        end = min(size, start + 100_000)
        own, other = np.arange(start, end) % len(base), rng.integers(0, len(base), end - start)
        mixed = base[own] + 0.15 * base[other] + rng.normal(0, 0.01, (end - start, base.shape[1]))
        out[start:end] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
    return out


def _base_vectors(real):
    """The listings papers' own vectors, in their order: the quality harness's corpus with every listings
    paper as a distractor holds each of them once (those also among the Hugging Face papers as those)."""
    search_quality = quality_module()
    papers = search_quality.load_corpus(len(real))
    matrix = search_quality.embeddings(papers)
    row = {paper["arxiv_id"]: n for n, paper in enumerate(papers)}
    return matrix[[row[paper["arxiv_id"]] for paper in real]]


def build(workdir, size):
    """Every missing step of phase 1; returns the timings of all steps (seconds)."""
    from django.conf import settings
    from django.core.management import call_command

    from dailypapers.search import keyword, onnx_export, vectors

    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "build.json"
    timings = json.loads(path.read_text()) if path.exists() else {}
    hnsw = {"dtype": settings.SEARCH_HNSW_DTYPE, "connectivity": vectors.HNSW_CONNECTIVITY,
            "expansion_add": vectors.HNSW_EXPANSION_ADD, "vectors": VECTOR_SCHEME}
    if timings.get("hnsw") != hnsw:
        timings.pop("vector_build_s", None)  # other vectors or another graph: rebuild that step alone
    if timings.get("keyword_schema") != keyword.SCHEMA_VERSION:
        timings.pop("corpus_s", None)  # the Tantivy index is written in the corpus step
    if "corpus_s" not in timings:
        (workdir / "db.sqlite3").unlink(missing_ok=True)  # a step killed half-way starts over
    call_command("migrate", verbosity=0)
    for name, step in (("corpus_s", lambda: _corpus(size)), ("vector_build_s", lambda: _vectors(size, hnsw))):
        if name not in timings:
            started = time.perf_counter()
            step()
            timings[name] = round(time.perf_counter() - started, 1)
            timings["hnsw"], timings["keyword_schema"] = hnsw, keyword.SCHEMA_VERSION
            path.write_text(json.dumps(timings))
    _publish(size)
    onnx_export.ensure()
    return timings


def _generation_dir():
    from dailypapers.search import store

    return store.index_root() / "gen-000001"


def _corpus(size):
    """The papers and their authors into the database and into Tantivy, in one pass (generating the
    corpus is most of the time)."""
    import datetime as dt
    import shutil

    from dailypapers.search import keyword
    from dailypapers.search.keyword import IndexRow

    target = _generation_dir() / "tantivy"
    shutil.rmtree(target, ignore_errors=True)
    writer = _RowWriter()

    def rows():
        for n, (title, abstract, authors, categories, published) in enumerate(synthetic_papers(listings(), size)):
            day = dt.date.fromisoformat(published[:10]) if published else None
            writer.add(n + 1, title, abstract, authors[:200], categories, day)
            yield IndexRow(pk=n + 1, title=title, abstract=abstract, authors=authors, categories=categories,
                           published=day)

    keyword.create(rows(), target, threads=os.cpu_count() or 1)
    writer.close()


class _RowWriter:
    """Papers, authors and their links into the database through executemany: Django's bulk_create
    managed ~350 papers/s here, a million would have taken most of an hour."""

    BATCH = 20_000

    def __init__(self):
        from dailypapers.papers.models import Author, Paper, PaperAuthor

        self.tables = {model: (_insert_sql(model), _defaults(model), []) for model in (Paper, Author, PaperAuthor)}
        self.Paper, self.Author, self.PaperAuthor = Paper, Author, PaperAuthor
        self.slugs = {}

    def add(self, pk, title, abstract, authors, categories, published):
        self._row(self.Paper, id=pk, arxiv_id=f"bench/{pk:07d}", title=title, abstract=abstract,
                  category_codes=" ".join(categories), published=published)
        for position, name in enumerate(authors):
            author_id = self.slugs.get(name)
            if author_id is None:
                author_id = self.slugs[name] = len(self.slugs) + 1
                self._row(self.Author, id=author_id, name=name[:255], slug=f"bench-{author_id}")
            self._row(self.PaperAuthor, paper_id=pk, author_id=author_id, position=position, name=name[:255])
        if len(self.tables[self.PaperAuthor][2]) >= self.BATCH:
            self.flush()

    def _row(self, model, **values):
        from django.db import connection

        _, defaults, pending = self.tables[model]
        row = dict(defaults)
        for name, value in values.items():
            plain = value is None or isinstance(value, str | int)
            row[name] = value if plain else model._meta.get_field(name).get_db_prep_save(value, connection)
        pending.append(tuple(row.values()))

    def flush(self):
        from django.db import connection, transaction

        with transaction.atomic(), connection.cursor() as cursor:
            for sql, _, pending in self.tables.values():  # papers and authors before their links
                if pending:
                    cursor.executemany(sql, pending)
                    pending.clear()

    def close(self):
        from django.db import connection

        self.flush()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _insert_sql(model):
    from django.db import connection

    columns = [field.column for field in _columns(model)]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    return (f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({quoted}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(columns))})")


def _columns(model):
    """The columns an INSERT names: all but PaperAuthor's id (the links are numbered by the database)."""
    return [field for field in model._meta.concrete_fields
            if not (field.primary_key and model.__name__ == "PaperAuthor")]


def _defaults(model):
    """{field name: its default as the database stores it} for every column the INSERT names."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    out = {}
    for field in _columns(model):
        stamped = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        value = now if stamped else field.get_default()
        out[field.attname] = field.get_db_prep_save(value, connection)
    return out


def _vectors(size, hnsw):
    import numpy as np
    from django.conf import settings

    from dailypapers.search import vectors

    directory = _generation_dir()
    (directory / vectors.HNSW).unlink(missing_ok=True)
    vectors.write(directory, np.arange(1, size + 1), structured_vectors(size),
                  hnsw=size >= settings.SEARCH_HNSW_THRESHOLD, dtype=hnsw["dtype"],
                  connectivity=hnsw["connectivity"])


def _publish(size):
    """Point CURRENT at the generation (a manifest as ``reindex`` writes one)."""
    import datetime as dt
    from dataclasses import asdict

    from dailypapers.search import store, vectors

    directory = _generation_dir()
    manifest = store.Manifest(name=directory.name, built_at=dt.datetime.now(dt.UTC).isoformat(),
                              max_paper_id=size, papers=size, vectors=size,
                              hnsw=(directory / vectors.HNSW).exists(), model="bench")
    (directory / store.MANIFEST).write_text(json.dumps(asdict(manifest), indent=1))
    (directory.parent / store.CURRENT).write_text(directory.name)


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


def measure(count, efs):
    """Phase 2: the serving loop (peak RSS taken after it), then the exact reference and recall."""
    from dailypapers.search import api, embedder, keyword, live
    from dailypapers.search.query import parse

    queries = bench_queries(count)
    generation = live.snapshot().generation
    encoder = embedder.query_encoder()
    samples = {name: [] for name in ("encode", "keyword", "ann", "hybrid", *STAGES)}
    vectors_seen = []
    for warm in (True, False):
        for text in queries:
            ms_encode, vector = timed(encoder, text)
            query = keyword.text_query(parse(text))
            ms_keyword, _ = timed(generation.keyword.top, query, api.KEYWORD_K)
            ms_ann, _ = timed(generation.vectors.search, vector, api.VECTOR_K)
            embedder._cached_query.cache_clear()  # a new query: encoding is part of the price
            ms_hybrid, results = timed(lambda t: api.search(t, limit=20), text)
            if warm:
                continue
            vectors_seen.append(vector)
            for name, value in (("encode", ms_encode), ("keyword", ms_keyword), ("ann", ms_ann),
                                ("hybrid", ms_hybrid)):
                samples[name].append(value)
            for name in STAGES:
                samples[name].append(results.timings.get(name, 0.0))
    samples["similar"] = similar_papers_ms(generation, count)
    serving_rss_mb = peak_rss_mb()
    recall = recall_by_ef(generation.vectors, vectors_seen, efs)
    return samples, serving_rss_mb, recall, encoder, crossover(generation.vectors, queries[:50], encoder)


def similar_papers_ms(generation, count):
    """``api.similar_papers`` (the paper page's six) for ``count`` papers drawn at random, warm: reading
    the paper's stored vector, the nearest-neighbour search, loading six cards. The bench corpus keeps
    its vectors in the generation only, so the drawn papers get their database rows first (dated before
    the generation, as if it had been built from them)."""
    import datetime as dt

    import numpy as np

    from dailypapers.papers.models import Paper
    from dailypapers.search import api
    from dailypapers.search.models import PaperEmbedding, vector_to_bytes

    rows = random.Random(SEED).sample(range(len(generation.vectors)), count)
    pks = [int(generation.vectors.ids[row]) for row in rows]
    long_ago = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    PaperEmbedding.objects.bulk_create(
        [PaperEmbedding(paper_id=pk, vector=vector_to_bytes(np.asarray(generation.vectors.matrix[row])),
                        model="bench", embedded_at=long_ago) for pk, row in zip(pks, rows, strict=True)],
        ignore_conflicts=True)
    papers = list(Paper.objects.filter(pk__in=pks))
    for paper in papers:  # warm
        api.similar_papers(paper)
    return [timed(api.similar_papers, paper)[0] for paper in papers]


# The stages of one api.search call (SearchResults.timings).
STAGES = ("rank_ms", "hydrate_ms", "highlight_ms")


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def recall_by_ef(index, query_vectors, efs):
    """{ef: (recall@10 against exact, top-100 p50 ms, p95 ms)}, and the exact top-10's p50/p95."""
    from dailypapers.search import vectors

    exact_ms, truths = [], []
    for vector in query_vectors:
        ms, exact = timed(vectors.top_k, index.matrix, index.ids, vector, 10)
        exact_ms.append(ms)
        truths.append({pk for pk, _ in exact})
    out = {"exact": (percentile(exact_ms, 50), percentile(exact_ms, 95))}
    if index.hnsw is None:
        return out
    default = index.hnsw.expansion_search
    for ef in efs:
        index.hnsw.expansion_search = ef
        found = [timed(index.search, vector, 100) for vector in query_vectors]
        recall = statistics.mean(len(truth & {pk for pk, _ in approx[:10]}) / len(truth)
                                 for truth, (_, approx) in zip(truths, found, strict=True))
        ms = [m for m, _ in found]
        out[ef] = (recall, percentile(ms, 50), percentile(ms, 95))
    index.hnsw.expansion_search = default
    return out


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


def serve(workdir, count, efs):
    setup_django(workdir)
    from django.conf import settings

    from dailypapers.search import vectors

    samples, serving_rss, recall, encoder, exact_by_size = measure(count, efs)
    row = {name: (percentile(v, 50), percentile(v, 95)) for name, v in samples.items()}
    blocks = row["encode"][0] + row["keyword"][0] + row["ann"][0]
    print(json.dumps({"rows": row, "recall": recall, "exact_by_size": exact_by_size,
                      "serving_rss_mb": serving_rss, "rss_mb": peak_rss_mb(), "ratio": row["hybrid"][0] / blocks,
                      "encoder": "onnx" if "onnx" in type(encoder).__module__ + repr(encoder) else "torch",
                      "hnsw_dtype": settings.SEARCH_HNSW_DTYPE, "connectivity": vectors.HNSW_CONNECTIVITY,
                      "expansion": settings.SEARCH_HNSW_EXPANSION}))


def report(size, build_timings, result, load_before):
    rows = result["rows"]
    print(f"\n### {size:,} papers (load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, "
          f"{os.cpu_count()} cores)\n")
    print("| step | p50 ms | p95 ms |\n| --- | ---: | ---: |")
    names = {"encode": "query encoding alone", "keyword": "Tantivy top-100 alone",
             "ann": f"vector top-100 alone (ef {result['expansion']})",
             "hybrid": "full hybrid search (parse, encode, both halves, fusion, hydrate 20, highlight)",
             "rank_ms": "  of which: parse, encode, both halves, fusion", "hydrate_ms": "  of which: hydrate 20 cards",
             "highlight_ms": "  of which: highlight", "similar": "similar papers (the paper page's 6, with cards)"}
    for name, label in names.items():
        print(f"| {label} | {rows[name][0]:.2f} | {rows[name][1]:.2f} |")
    print("\n| HNSW ef | recall@10 vs exact | top-100 p50 ms | p95 ms |\n| --- | ---: | ---: | ---: |")
    for ef, (recall, p50, p95) in ((k, v) for k, v in result["recall"].items() if k != "exact"):
        print(f"| {ef} | {recall:.3f} | {p50:.2f} | {p95:.2f} |")
    exact = result["recall"]["exact"]
    print(f"\nexact top-10 (the reference) p50 {exact[0]:.2f} ms, p95 {exact[1]:.2f} ms; "
          f"hybrid p50 ÷ (encode + Tantivy + ANN p50) = {result['ratio']:.2f}; peak RSS serving "
          f"{result['serving_rss_mb']:.0f} MB ({result['rss_mb']:.0f} MB after loading every vector for the "
          f"reference); query encoder {result['encoder']}; HNSW {result['hnsw_dtype']}, M = "
          f"{result['connectivity']}; build (s) " + ", ".join(f"{k} {v}" for k, v in build_timings.items()
                                                           if k != "hnsw"))
    print("exact top-100 p50 by size: " + ", ".join(f"{int(n):,}: {ms:.2f} ms"
                                                  for n, ms in result["exact_by_size"].items()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rebuild", action="store_true", help="build every step again")
    parser.add_argument("--build-only", action="store_true", help="phase 1 only")
    parser.add_argument("--efs", default="64,128,256,512", help="HNSW search breadths for the recall table")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    efs = [int(ef) for ef in args.efs.split(",")]
    if args.serve:
        return serve(Path(args.serve), args.queries, efs)
    for size in (int(s) for s in args.sizes.split(",")):
        workdir = bench_home() / f"latency-{size}"
        if args.rebuild:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
        # Built in a child process too: the parent stays small and Django is set up per size.
        subprocess.run([sys.executable, __file__, "--build-one", str(size)], check=True)  # noqa: S603
        if args.build_only:
            continue
        load = os.getloadavg()[0]
        child = subprocess.run([sys.executable, __file__, "--serve", str(workdir), "--queries", str(args.queries),  # noqa: S603
                                "--efs", args.efs], check=True, capture_output=True, text=True)
        report(size, json.loads((workdir / "build.json").read_text()), json.loads(child.stdout.splitlines()[-1]),
               load)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--build-one":
        size = int(sys.argv[2])
        workdir = bench_home() / f"latency-{size}"
        workdir.mkdir(parents=True, exist_ok=True)
        setup_django(workdir)
        print(json.dumps(build(workdir, size)))
    else:
        main()
