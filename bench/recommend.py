""""For you" ranking quality: Recall@20 of held-out papers, against "newest first" and "most upvoted".

The shared data has no saves, so the real signal of one person's taste used here is the papers a
Hugging Face user submitted to Daily Papers (``submitted_by``: 146 users with 5 or more). For every
such submission after a user's first (in time order) the user's earlier submissions are the
positives, exactly what "For you" would know then; the held-out paper must be found among the
candidates: every paper featured in a 30-day window (the recommender's RECENT_DAYS) that contains
it at a random position (seeded), minus the user's other submissions. A hit is the held-out paper in
the top 20. Scorers, all over the same candidates:

- ``newest``      newest first (feed timestamp), what a plain feed shows;
- ``upvotes``     most upvoted first (the snapshot count in the data);
- ``similarity``  the recommender's nearest-anchor cosine, whatever the history length;
- ``for-you``     what the site does (``recommend.rank_many``): the logistic model from
                  LINEAR_MIN_POSITIVES positive papers on, nearest-anchor similarity below that.

Results are split by how many positives the user had; the switch point LINEAR_MIN_POSITIVES was
chosen from this split. Negatives ("not interested") have no counterpart in the data and are not
measured.

Curators who submit everything (one user has 1,094) would dominate a plain mean, so at most
``--max-events`` (default 40) of each user's latest submissions count; the macro average (per user,
then over users) is printed too. Embeddings are all-MiniLM-L6-v2 document vectors of title +
abstract from the search app's embedder, computed once into a cache file (the first run takes a
while on a busy 2-core machine; later runs read the cache).

    python bench/recommend.py [--data PATH] [--cache PATH] [--max-events N]
"""

import argparse
import datetime as dt
import gzip
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "hf-daily-papers.jsonl.gz"
CACHE_DIR = Path(tempfile.gettempdir()) / "dailypapers-bench"
WINDOW_DAYS = 30
K = 20
MIN_HISTORY = 5
SEED = 20260301


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    os.environ.setdefault("DAILYPAPERS_HOME", str(Path(tempfile.gettempdir()) / "dailypapers-bench" / "home"))
    import django

    django.setup()


def load(path):
    papers = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            papers.append({
                "id": row["arxiv_id"], "title": row["title"], "abstract": row.get("abstract") or "",
                "day": dt.date.fromisoformat(row["daily_date"]), "at": row.get("submitted_on_daily_at") or "",
                "upvotes": row.get("upvotes") or 0, "by": row.get("submitted_by"),
            })
    return papers


def embeddings(papers, cache):
    from dailypapers.search import embedder

    ids = [p["id"] for p in papers]
    # The model, input length and precision (SEARCH_EMBED_*) name the vectors: a change re-embeds.
    cache = cache or CACHE_DIR / f"hf-vectors-{embedder.fingerprint().replace('/', '-')}.npz"
    print(f"vectors: {embedder.fingerprint()} ({cache})")
    if cache.exists():
        stored = np.load(cache, allow_pickle=False)
        if list(stored["ids"]) == ids:
            return stored["vectors"]
    started = time.perf_counter()
    texts = [embedder.document_text(p["title"], p["abstract"]) for p in papers]
    chunks = []
    for first in range(0, len(texts), 512):
        chunks.append(embedder.encode_documents(texts[first:first + 512]))
        print(f"  embedded {first + len(chunks[-1])}/{len(texts)} ({time.perf_counter() - started:.0f} s)",
              file=sys.stderr)
    vectors = np.vstack(chunks)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, ids=np.array(ids), vectors=vectors)
    return vectors


def events(papers, max_events):
    """(user, index of the held-out paper, indices of their earlier submissions, of all theirs)."""
    by_user = defaultdict(list)
    for i, paper in enumerate(papers):
        if paper["by"]:
            by_user[paper["by"]].append(i)
    for user, indices in sorted(by_user.items()):
        if len(indices) < MIN_HISTORY:
            continue
        indices.sort(key=lambda i: (papers[i]["at"], papers[i]["id"]))
        for position in range(max(1, len(indices) - max_events), len(indices)):
            yield user, indices[position], indices[:position], set(indices)


def candidate_window(papers, days, held, rng):
    """Indices of the papers featured in a WINDOW_DAYS window holding ``held`` at a random position."""
    start = papers[held]["day"] - dt.timedelta(days=int(rng.integers(0, WINDOW_DAYS)))
    end = start + dt.timedelta(days=WINDOW_DAYS - 1)
    return [i for d in days if start <= d <= end for i in days[d]]


def rankers(recommend):
    def newest(papers, cands, vectors, positives):
        return sorted(cands, key=lambda i: (papers[i]["at"], papers[i]["id"]), reverse=True)

    def upvotes(papers, cands, vectors, positives):
        return sorted(cands, key=lambda i: (papers[i]["upvotes"], papers[i]["at"]), reverse=True)

    def model(threshold):
        def rank(papers, cands, vectors, positives):
            anchors, candidates = vectors[positives], vectors[cands]
            if len(anchors) >= threshold:  # as recommend scores a user: the linear model, else similarity
                everything = np.ones((len(candidates), 1), dtype=bool)
                none = np.zeros((0, candidates.shape[1]))
                weights = recommend.fit_linear_many([anchors], [none], candidates, everything)[:, 0]
                scores = candidates @ weights[:-1] + weights[-1]
            else:
                scores = recommend.similarity(candidates @ anchors.T, candidates, [])
            return [cands[i] for i in np.argsort(-scores, kind="stable")]
        return rank

    return {"newest": newest, "upvotes": upvotes, "similarity": model(10**9),
            "for-you": model(recommend.LINEAR_MIN_POSITIVES)}


BUCKETS = [(1, 1), (2, 2), (3, 5), (6, 11), (12, 10**9)]


def bucket(n):
    low, high = next((lo, hi) for lo, hi in BUCKETS if lo <= n <= hi)
    label = str(low) if low == high else f"{low}-{high}" if high < 10**9 else f"{low}+"
    return f"{label:>5} pos."


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=None, help="vector cache file (default: by model)")
    parser.add_argument("--max-events", type=int, default=40)
    args = parser.parse_args()
    setup_django()
    from dailypapers.community import recommend

    papers = load(args.data)
    vectors = embeddings(papers, args.cache)
    days = defaultdict(list)
    for i, paper in enumerate(papers):
        days[paper["day"]].append(i)
    rng = np.random.default_rng(SEED)
    scorers = rankers(recommend)
    hits = {name: defaultdict(list) for name in scorers}  # name -> user -> [hit, ...]
    buckets = {name: defaultdict(list) for name in scorers}
    sizes, started = [], time.perf_counter()
    for user, held, earlier, theirs in events(papers, args.max_events):
        cands = [i for i in candidate_window(papers, days, held, rng) if i == held or i not in theirs]
        sizes.append(len(cands))
        for name, rank in scorers.items():
            hit = held in rank(papers, cands, vectors, earlier)[:K]
            hits[name][user].append(hit)
            buckets[name][bucket(len(earlier))].append(hit)
    report(hits, buckets, sizes, time.perf_counter() - started)


def report(hits, buckets, sizes, seconds):
    any_name = next(iter(hits))
    users, total = len(hits[any_name]), sum(len(v) for v in hits[any_name].values())
    print(f"{total} held-out papers of {users} users; {np.mean(sizes):.0f} candidates each on average "
          f"(chance of a random top {K}: {np.mean([K / s for s in sizes]):.1%}); {seconds:.0f} s")
    order = sorted(buckets[any_name], key=lambda b: int(b.split("-")[0].strip(" pos.+")))
    print(f"{'scorer':<12} {'Recall@20':>10} {'macro':>7}   " + "  ".join(f"{b:>14}" for b in order))
    for name in hits:
        flat = [h for per_user in hits[name].values() for h in per_user]
        macro = np.mean([np.mean(per_user) for per_user in hits[name].values()])
        parts = "  ".join(f"{np.mean(buckets[name][b]):>6.1%} (n={len(buckets[name][b]):>3})" for b in order)
        print(f"{name:<12} {np.mean(flat):>10.1%} {macro:>7.1%}   {parts}")


if __name__ == "__main__":
    main()
