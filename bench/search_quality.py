"""Search quality: keyword-only, vector-only and hybrid on the 9,877 Hugging Face Daily Papers.

Three query sets, all judged automatically:
  (a) keywords: each ``ai_keywords`` phrase tagged on at least MIN_TAGGED papers is a query; the
      papers tagged with it are the relevant ones (a sample of QUERIES phrases, fixed seed);
  (b) titles: a paper's title is a known-item query; that paper alone is relevant;
  (c) descriptions: one sentence of a paper's abstract with every word of its title taken out (and
      short of DESCRIPTION_WORDS words), as someone describes a paper whose name they forgot; that
      paper alone is relevant. Made from the data at run time, never stored.
Metrics: nDCG@10, MRR@10, Recall@100. The three modes run the production ranking code
(``dailypapers.search.api``: ``keyword_top``, ``vector_top``, ``fuse``) over an in-memory Tantivy index
and the paper vectors, with the vector half's similarity floor; ``--sweep`` also tries other RRF
constants. ``--distractors N`` adds the first N ``arxiv-listings`` papers to the corpus (never
relevant: they make every set harder).

Documents are embedded at ``--precision`` (default: what the site chooses for this CPU; int8 is
measured on every CPU, also where the site refuses it, which is how those refusals were decided),
and cached per precision and CPU level under $DAILYPAPERS_HOME/bench/ (int8 vectors depend on the
CPU's kernels; the Hugging Face papers in one file, distractors in blocks of DISTRACTOR_BLOCK, so a
larger N reuses a smaller one's work); queries are always fp32, as the site encodes them. The data is
read from ../shared at run time. Run under scripts/with-cpu to measure a smaller CPU's kernels.

    python bench/search_quality.py [--queries 400] [--sweep] [--distractors N] [--sets a,b,c]
                                   [--precision fp32|int8] [--summary]
"""

import argparse
import datetime as dt
import gzip
import json
import math
import os
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DAILYPAPERS_SHARED") or REPO.parent / "shared")
HF_DATA = SHARED / "data" / "hf-daily-papers.jsonl.gz"
LISTINGS = SHARED / "data" / "arxiv-listings.jsonl.gz"
MIN_TAGGED = 3
SEED = 4
DESCRIPTION_WORDS = 12
URL_HINT = re.compile(r"https?:|www\.|github", re.IGNORECASE)
DISTRACTOR_BLOCK = 5000

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")


def read_jsonl(path, limit=None):
    with gzip.open(path, "rt") as fh:
        for n, line in enumerate(fh):
            if limit is not None and n >= limit:
                return
            yield json.loads(line)


def load_corpus(distractors):
    papers = list(read_jsonl(HF_DATA))
    if distractors:
        papers += distractor_papers(distractors, {p["arxiv_id"] for p in papers})
    return papers


def distractor_papers(count, seen=frozenset()):
    """The first ``count`` listings papers, less those also in the Hugging Face set (marked so)."""
    return [{**p, "distractor": True} for p in read_jsonl(LISTINGS, count) if p["arxiv_id"] not in seen]


def index_rows(papers):
    from dailypapers.search.keyword import IndexRow

    for pk, paper in enumerate(papers, start=1):
        published = dt.date.fromisoformat(paper["published"][:10]) if paper.get("published") else None
        yield IndexRow(pk=pk, title=paper["title"], abstract=paper.get("abstract") or "",
                       authors=paper.get("authors") or [], categories=paper.get("categories") or [],
                       published=published, has_code=bool(paper.get("github_url")))


def embeddings(papers, precision):
    """(n, 384) float32 for the corpus: the Hugging Face papers, then the distractors, each cached."""
    import numpy as np

    hf = [p for p in papers if not p.get("distractor")]
    parts = [_cached_vectors(f"{len(hf)}", hf, precision)]
    distractors = papers[len(hf):]
    for start in range(0, len(distractors), DISTRACTOR_BLOCK):
        block = distractors[start : start + DISTRACTOR_BLOCK]
        parts.append(_cached_vectors(f"listings-{start}-{start + len(block)}", block, precision))
    return np.concatenate(parts)


def documents_name(precision):
    """The documents' name in tables and cache files: model, length, precision and the CPU's level."""
    from dailypapers.search import embedder

    return f"{embedder.MODEL_ID}/{embedder.doc_max_tokens()}/onnx-{precision}@{embedder.this_cpu().level}"


def _cached_vectors(name, papers, precision):
    import numpy as np

    from dailypapers.search import cpu, embedder, minilm

    cache_dir = Path(os.environ.get("DAILYPAPERS_HOME") or REPO / "var") / "bench"
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"quality-{documents_name(precision).replace('/', '_')}-{name}.npy"
    if path.exists():
        return np.load(path)
    minilm.ensure((precision,))
    encoder = minilm.Encoder(minilm.path(precision), cpu.cores(), embedder.doc_max_tokens())
    texts = [embedder.document_text(p["title"], p.get("abstract") or "") for p in papers]
    started, parts = time.perf_counter(), []
    for start in range(0, len(texts), 256):
        parts.append(embedder.normalize(encoder.encode(texts[start : start + 256])))
        done = start + len(parts[-1])
        rate = done / (time.perf_counter() - started)
        print(f"\r  embedding {name}: {done}/{len(texts)} ({rate:.1f} docs/s)", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    matrix = np.concatenate(parts)
    np.save(path, matrix)
    return matrix


def keyword_queries(papers, count):
    tagged = defaultdict(set)
    for pk, paper in enumerate(papers, start=1):
        for phrase in paper.get("ai_keywords") or []:
            tagged[phrase.strip().lower()].add(pk)
    phrases = sorted(p for p, pks in tagged.items() if len(pks) >= MIN_TAGGED and p)
    sample = random.Random(SEED).sample(phrases, min(count, len(phrases)))
    return [(phrase, tagged[phrase]) for phrase in sample]


def title_queries(papers, count):
    hf = [pk for pk, p in enumerate(papers, start=1) if not p.get("distractor")]
    sample = random.Random(SEED).sample(hf, min(count, len(hf)))
    return [(papers[pk - 1]["title"], {pk}) for pk in sample]


def description_queries(papers, count):
    """(c): per sampled paper, one abstract sentence of at least 8 words with the title's words (as the
    index analyzes them: stems, folded) removed, cut to DESCRIPTION_WORDS words."""
    from dailypapers.search import keyword

    rng = random.Random(SEED)
    hf = [pk for pk, p in enumerate(papers, start=1) if not p.get("distractor")]
    queries = []
    for pk in rng.sample(hf, len(hf)):
        paper = papers[pk - 1]
        title_terms = set(keyword.analyze(paper["title"]))
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", paper.get("abstract") or "")
                     if len(s.split()) >= 8 and not URL_HINT.search(s)]  # "code at https://…" says nothing
        if not sentences:
            continue
        words = [w for w in re.findall(r"[^\W\d_][\w'-]*", rng.choice(sentences))
                 if not title_terms.intersection(keyword.analyze(w))]
        if len(words) >= 4:
            queries.append((" ".join(words[:DESCRIPTION_WORDS]), {pk}))
        if len(queries) == count:
            break
    return queries


def ndcg10(ranked, relevant):
    gain = sum(1 / math.log2(i + 2) for i, pk in enumerate(ranked[:10]) if pk in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
    return gain / ideal


def mrr10(ranked, relevant):
    return next((1 / (i + 1) for i, pk in enumerate(ranked[:10]) if pk in relevant), 0.0)


def recall100(ranked, relevant):
    return len(set(ranked[:100]) & relevant) / len(relevant)


def lists(snap, query):
    """The keyword top-100, the raw vector top-100 ``[(pk, cosine)]`` (no floor) and the papers titled
    exactly as the query, for one query."""
    from dailypapers.search import api, keyword
    from dailypapers.search.query import parse

    parsed = parse(query)
    text = keyword.text_query(parsed)
    kw = [pk for pk, _ in api.keyword_top(snap, text, 100)[0]] if text is not None else []
    return kw, api.vector_top(snap, parsed.text, min_similarity=-1.0), api.exact_titles(snap, parsed)


def variants(sweep):
    """(name, function(kw, vec) -> ranked pks): the three production modes, then the sweep's."""
    from dailypapers.search import api, fusion

    def floor(vec, value):
        return [pk for pk, sim in vec if sim >= value]

    def fused(kw, vec):
        return [pk for pk, _ in api.fuse(kw, floor(vec, api.MIN_SIMILARITY))]

    modes = [
        ("keyword", lambda kw, vec, titled: kw),
        ("vector", lambda kw, vec, titled: floor(vec, api.MIN_SIMILARITY)),
        # What search() ranks: the fused lists, papers titled exactly as the query first.
        (f"hybrid (k={api.RRF_K}, weights {api.RRF_WEIGHTS}, floor {api.MIN_SIMILARITY}, exact titles first)",
         lambda kw, vec, titled: api.titled_first(titled, *api.fused_order(
             kw, floor(vec, api.MIN_SIMILARITY)))[0]),
        ("  hybrid without the exact-title lead", lambda kw, vec, titled: fused(kw, vec)),
        ("  keyword with the exact-title lead", lambda kw, vec, titled: api.titled_first(titled, kw, {})[0]),
    ]
    if not sweep:
        return modes
    for k in (10, 30, 60, 100):
        for weight in (1.0, 0.5, 0.3):
            for value in (0.25, 0.4):
                modes.append((f"  k={k} semantic weight {weight} floor {value}",
                              lambda kw, vec, titled, k=k, w=weight, f=value: api.titled_first(titled, [
                                  pk for pk, _ in fusion.rrf([kw, floor(vec, f)], k=k, weights=[1.0, w])], {})[0]))
    return modes


def evaluate(snap, queries, sweep):
    modes = variants(sweep)
    totals = {name: [0.0, 0.0, 0.0] for name, _ in modes}
    for query, relevant in queries:
        kw, vec, titled = lists(snap, query)
        for name, rank in modes:
            ranked = rank(kw, vec, titled)
            for i, metric in enumerate((ndcg10, mrr10, recall100)):
                totals[name][i] += metric(ranked, relevant)
    return {name: [v / len(queries) for v in values] for name, values in totals.items()}


def print_table(title, results):
    print(f"\n{title}\n\n| mode | nDCG@10 | MRR@10 | Recall@100 |\n| --- | ---: | ---: | ---: |")
    for name, (ndcg, mrr, recall) in results.items():
        print(f"| {name} | {ndcg:.3f} | {mrr:.3f} | {recall:.3f} |")


QUERY_SETS = {
    "a": ("(a) ai_keywords phrases as queries", keyword_queries),
    "b": ("(b) titles as known-item queries", title_queries),
    "c": ("(c) descriptions: an abstract sentence without the title's words", description_queries),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=400, help="queries per set")
    parser.add_argument("--sweep", action="store_true", help="also try other RRF k, weights and floors")
    parser.add_argument("--distractors", type=int, default=0, help="add this many arxiv-listings papers")
    parser.add_argument("--sets", default="a,b,c", help="which query sets: a, b, c")
    parser.add_argument("--precision", choices=["fp32", "int8"], help="documents' precision (default: the site's)")
    parser.add_argument("--summary", action="store_true", help="one line per set: the hybrid mode only")
    args = parser.parse_args()

    import django

    django.setup()
    from dailypapers.search import embedder, keyword, live, setup

    setup.prepare_search()  # the fp32 query model
    precision = args.precision or embedder.choice().precision
    papers = load_corpus(args.distractors)
    distractors = sum(1 for p in papers if p.get("distractor"))
    print(f"corpus: {len(papers)} papers ({distractors} distractors); documents "
          f"{documents_name(precision)}", file=sys.stderr)
    matrix = embeddings(papers, precision)
    import numpy as np

    ids = np.arange(1, len(papers) + 1, dtype=np.int64)
    snap = live.Snapshot(None, keyword.create(index_rows(papers)), (ids, matrix))
    for name in args.sets.split(","):
        title, make = QUERY_SETS[name]
        queries = make(papers, args.queries)
        started = time.perf_counter()
        results = evaluate(snap, queries, args.sweep)
        if args.summary:
            hybrid = next(v for k, v in results.items() if k.startswith("hybrid"))
            print(f"| {documents_name(precision)} | {name} | {results['vector'][0]:.4f} | {hybrid[0]:.4f} "
                  f"| {hybrid[1]:.4f} |", flush=True)
            continue
        print_table(f"{title}: {len(queries)} queries, {len(papers)} papers, documents {documents_name(precision)} "
                    f"({time.perf_counter() - started:.0f} s)", results)


if __name__ == "__main__":
    main()
