""""For you": a per-user ranking of recent papers over the search app's paper embeddings.

Positives (upvoted, saved, submitted papers and cold-start picks) are anchors; "not interested" papers
are negatives. Users with no positive paper get the cosine to the nearest anchor; from
``LINEAR_MIN_POSITIVES`` on, a logistic regression learns their taste (docs/community.md says why and
how it was measured). ``rank_many`` ranks many users at once (the digests' picks) with one batched fit;
``recommend`` is the same code for one user.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Q
from django.utils import timezone
from threadpoolctl import threadpool_limits

from dailypapers.papers.models import Paper, Submission, Upvote, category_filter

from .models import CollectionItem, InterestSeed, NotInterested

# Candidates: visible papers published or featured in the RECENT_DAYS up to the latest feed day, at most
# CANDIDATE_LIMIT of the newest.
RECENT_DAYS = 30
CANDIDATE_LIMIT = 3000
# The most recent positives used; older taste fades out.
MAX_POSITIVES = 500
# Papers averaged into an author's or a category's anchor.
GROUP_ANCHOR_PAPERS = 50
# Switch from nearest-anchor similarity to the learned linear model (measured: bench/recommend.py).
LINEAR_MIN_POSITIVES = 1
# Similarity mode: how much resembling a "not interested" paper costs.
NEGATIVE_PENALTY = 0.5
# Linear mode: weight of an explicit "not interested" against an unlabeled background paper; L2 strength.
NEGATIVE_WEIGHT = 5.0
L2 = 1e-2
# The linear models are fitted in single precision: four times faster than double on this machine's
# BLAS, and the vectors are single precision to begin with.
DTYPE = np.float32
VERBS = {"upvote": "upvoted", "save": "saved", "submit": "submitted", "seed": "picked"}


@dataclass
class Anchor:
    vector: np.ndarray
    reason: str
    paper_id: int | None = None


@dataclass
class Pick:
    paper: Paper
    score: float
    reason: str


@dataclass
class Ranked:
    """One pick of ``rank_many``: a paper id, its score and the anchor that explains it."""

    paper_id: int
    score: float
    reason: str


@dataclass
class Taste:
    """What one user's ranking needs: anchors, "not interested" papers, papers never to pick."""

    anchors: list
    negatives: list
    excluded: set = field(default_factory=set)

    @property
    def paper_anchors(self):
        return [anchor.vector for anchor in self.anchors if anchor.paper_id is not None]

    @property
    def linear(self):
        return len(self.paper_anchors) >= LINEAR_MIN_POSITIVES


# -- signals -------------------------------------------------------------------------------------------
STRENGTH = {"upvote": 0, "seed": 1, "submit": 2, "save": 3}


def positive_papers(user):
    """``{paper_id: verb}`` of the user's positives, most recent first (a saved paper says "saved"
    even if it was upvoted too: the stronger signal names it)."""
    return positives_many([user.pk])[user.pk]


def positives_many(user_ids):
    """``positive_papers`` of many users, in four queries."""
    events = defaultdict(list)
    for verb, rows in (
        ("upvote", Upvote.objects.filter(user_id__in=user_ids).values_list("user_id", "paper_id", "created_at")),
        ("save", CollectionItem.objects.filter(collection__owner_id__in=user_ids)
         .values_list("collection__owner_id", "paper_id", "added_at")),
        ("submit", Submission.objects.filter(submitter_id__in=user_ids)
         .values_list("submitter_id", "paper_id", "submitted_at")),
        ("seed", InterestSeed.objects.filter(user_id__in=user_ids, kind=InterestSeed.PAPER)
         .values_list("user_id", "paper_id", "created_at")),
    ):
        for user_id, paper_id, at in rows:
            events[user_id].append((at, paper_id, verb))
    return {user_id: _newest_first(events[user_id]) for user_id in user_ids}


def _newest_first(events):
    found = {}
    # Ties in time go by paper id: the order must not depend on the order the database returns rows
    # in, or a user ranked alone and the same user ranked in a batch could differ.
    for _at, paper_id, verb in sorted(events, key=lambda e: (e[0], e[1]), reverse=True):
        if paper_id not in found or STRENGTH[verb] > STRENGTH[found[paper_id]]:
            found[paper_id] = verb
    return dict(list(found.items())[:MAX_POSITIVES])


def negative_papers(user):
    return negatives_many([user.pk])[user.pk]


def negatives_many(user_ids):
    found = defaultdict(list)
    for user_id, paper_id in NotInterested.objects.filter(user_id__in=user_ids).order_by("pk").values_list(
        "user_id", "paper_id"
    ):
        found[user_id].append(paper_id)
    return {user_id: found[user_id] for user_id in user_ids}


def tastes_many(user_ids, embeddings, exclude=None):
    """``{user_id: Taste}``: each user's anchors (one per embedded positive paper, one per followed
    author or category) and "not interested" papers, read for the whole batch at once. ``exclude``:
    ``{user_id: paper ids}`` never to pick."""
    exclude = exclude or {}
    positives, negatives = positives_many(user_ids), negatives_many(user_ids)
    vectors = embeddings({pk for user_id in user_ids for pk in [*positives[user_id], *negatives[user_id]]})
    titles = dict(Paper.objects.filter(pk__in=[pk for ids in positives.values() for pk in ids if pk in vectors])
                  .values_list("pk", "title"))
    groups = _group_anchors_many(user_ids, embeddings)
    return {
        user_id: Taste(
            anchors=[Anchor(vectors[pk], f"“{titles[pk]}”, which you {VERBS[verb]}", pk)
                     for pk, verb in positives[user_id].items() if pk in vectors] + groups[user_id],
            negatives=[vectors[pk] for pk in negatives[user_id] if pk in vectors],
            excluded={*positives[user_id], *negatives[user_id], *exclude.get(user_id, ())},
        )
        for user_id in user_ids
    }


def _group_anchors_many(user_ids, embeddings):
    """``{user_id: [Anchor]}`` for followed authors and categories; each author's or category's anchor
    is computed once for the batch."""
    found, known = defaultdict(list), {}
    seeds = InterestSeed.objects.filter(user_id__in=user_ids).exclude(kind=InterestSeed.PAPER).select_related(
        "author").order_by("created_at", "id")
    for seed in seeds:
        key = (seed.kind, seed.author_id, seed.category)
        if key not in known:
            known[key] = _group_anchor(seed, embeddings)
        if known[key]:
            found[seed.user_id].append(known[key])
    return found


def _group_anchor(seed, embeddings):
    if seed.kind == InterestSeed.AUTHOR:
        papers, reason = Paper.objects.filter(paper_authors__author=seed.author), f"papers by {seed.author.name}"
    else:
        papers, reason = Paper.objects.filter(category_filter(seed.category)), f"papers in {seed.category}"
    ids = papers.visible().order_by("-published", "-pk").values_list("pk", flat=True)[:GROUP_ANCHOR_PAPERS]
    vectors = list(embeddings(list(ids)).values())
    if not vectors:
        return None
    return Anchor(_unit(np.mean(vectors, axis=0)), f"{reason}, which you follow")


# -- candidates and scoring ------------------------------------------------------------------------------
def recent_papers(now=None, limit=CANDIDATE_LIMIT):
    """Ids of recent visible papers, newest first: published or featured in the RECENT_DAYS up to the
    latest feed day that has papers, not up to today, so a site whose newest papers are months old (a
    demo, a private mirror, a paused sync) still has candidates."""
    today = (now or timezone.now()).date()
    latest = Submission.objects.day_before(today, inclusive=True) or today
    since = latest - dt.timedelta(days=RECENT_DAYS)
    recent = Paper.objects.visible().filter(Q(published__gte=since) | Q(submission__feed_day__gte=since))
    return list(recent.order_by("-published", "-pk").values_list("pk", flat=True)[:limit])


class Pool:
    """The candidates of a batch of users: the recent papers read once, each user's pool a mask over
    them (the first CANDIDATE_LIMIT recent papers the user has not acted on, those embedded)."""

    def __init__(self, tastes, now, embeddings):
        most_excluded = max((len(taste.excluded) for taste in tastes.values()), default=0)
        self.ids = recent_papers(now, CANDIDATE_LIMIT + most_excluded)
        found = embeddings(self.ids)
        dimensions = len(next(iter(found.values()))) if found else 1
        self.vectors = np.vstack([found.get(pk, np.zeros(dimensions, np.float32)) for pk in self.ids]) \
            if self.ids else np.zeros((0, dimensions), np.float32)
        self.embedded = np.array([pk in found for pk in self.ids], dtype=bool)
        self._id_array = np.array(self.ids, dtype=np.int64)

    def rows(self, taste):
        """Row indices of this user's candidates, newest first."""
        excluded = np.fromiter(taste.excluded, dtype=np.int64, count=len(taste.excluded))
        allowed = ~np.isin(self._id_array, excluded)
        allowed &= np.cumsum(allowed) <= CANDIDATE_LIMIT
        return np.flatnonzero(allowed & self.embedded)


def similarity(sims, candidate_vectors, negatives):
    """Cosine to the nearest anchor, less the penalty for resembling a "not interested" paper."""
    scores = sims.max(axis=1)
    if len(negatives):
        scores = scores - NEGATIVE_PENALTY * np.clip(candidate_vectors @ np.asarray(negatives).T, 0, None).max(axis=1)
    return scores


def fit_linear_many(positives, negatives, background, pools, steps=100):
    """L2-regularized logistic regression (weights + bias) by Nesterov gradient descent, for many users at
    once: column u of the result is user u's weights + bias. The background (unlabeled candidates) stands
    for "everything else", as in arxiv-sanity-lite; the classes are balanced so a handful of positives
    is not drowned by thousands of background papers.

    ``positives[u]``, ``negatives[u]``: user u's labeled vectors; ``background``: the candidates of
    all of them, ``pools[:, u]`` saying which are user u's. Each gradient step is then two matrix
    products for the whole batch over the shared background, plus the few labeled rows of each."""
    users, counts = len(positives), np.array([len(p) for p in positives])
    x = _with_bias(background)
    labeled = _with_bias(np.vstack([*positives, *negatives]).reshape(-1, background.shape[1]))
    owner = np.concatenate([np.repeat(np.arange(users), counts),
                            np.repeat(np.arange(users), [len(n) for n in negatives])])
    y = (np.arange(len(owner)) < counts.sum()).astype(DTYPE)
    # Balanced classes: each user's positives weigh 1 in all, their negatives and background 1 together.
    rest = np.array([len(n) * NEGATIVE_WEIGHT for n in negatives]) + pools.sum(axis=0)
    rest_scale = np.divide(1.0, rest, out=np.zeros(users), where=rest > 0)
    sample = np.where(y == 1, 1.0 / np.maximum(counts, 1)[owner], NEGATIVE_WEIGHT * rest_scale[owner]).astype(DTYPE)
    background_weight = (pools * rest_scale).astype(DTYPE)
    # Rows have norm <= sqrt(2), so the loss is smooth with constant <= 2 * (sum of weights) / 4.
    step = (1.0 / (0.5 * (1.0 + (rest > 0)) + L2)).astype(DTYPE)
    one_hot = np.zeros((len(owner), users), dtype=DTYPE)
    one_hot[np.arange(len(owner)), owner] = 1
    w = velocity = np.zeros((x.shape[1], users), dtype=DTYPE)
    for t in range(steps):
        ahead = w + DTYPE(t / (t + 3)) * velocity
        gradient = x.T @ (background_weight / (1 + np.exp(-(x @ ahead))))
        p = 1 / (1 + np.exp(-np.einsum("kd,dk->k", labeled, ahead[:, owner])))
        gradient += labeled.T @ (one_hot * (sample * (p - y))[:, None]) + DTYPE(L2) * ahead
        new = ahead - step * gradient
        velocity, w = new - w, new
    return w


def _with_bias(vectors):
    vectors = np.asarray(vectors, dtype=DTYPE)
    return np.hstack([vectors, np.ones((len(vectors), 1), dtype=DTYPE)])


def _unit(vector):
    vector = np.asarray(vector, dtype=np.float32)
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


# -- the feed ----------------------------------------------------------------------------------------------
def recommend(user, limit=30, now=None, embeddings=None, exclude=()):
    """The user's picks, best first; [] for a cold start (no embedded positive, author or category).

    ``now`` sets the end of the 30-day candidate window (a digest's period); ``exclude`` names paper
    ids never to pick (what a digest already sent)."""
    ranked = rank_many([user.pk], limit, now, embeddings, {user.pk: exclude})[user.pk]
    papers = Paper.objects.for_cards().with_total_upvotes().in_bulk([r.paper_id for r in ranked])
    return [Pick(papers[r.paper_id], r.score, f"Similar to {r.reason}") for r in ranked if r.paper_id in papers]


def rank_many(user_ids, limit=30, now=None, embeddings=None, exclude=None):
    """``{user_id: [Ranked]}``, best first, for many users at once: what ``recommend`` picks for each,
    as ids (no page cards loaded). ``exclude``: ``{user_id: paper ids}`` never to pick."""
    embeddings = embeddings or _search_embeddings()
    tastes = {uid: taste for uid, taste in tastes_many(user_ids, embeddings, exclude).items() if taste.anchors}
    ranked = {user_id: [] for user_id in user_ids}
    if not tastes:
        return ranked
    pool = Pool(tastes, now, embeddings)
    rows = {user_id: pool.rows(taste) for user_id, taste in tastes.items()}
    tastes = {user_id: taste for user_id, taste in tastes.items() if len(rows[user_id])}
    # One BLAS thread: these products are small, and on a machine whose cores are busy (web workers,
    # the SMTP server) OpenBLAS's own threads made them 20 times slower, not faster (measured).
    with threadpool_limits(limits=1, user_api="blas"):
        scored = _score_many(tastes, pool, rows)
    for user_id, scores in scored.items():
        ranked[user_id] = _best(tastes[user_id], pool.vectors[rows[user_id]], rows[user_id], scores, pool.ids, limit)
    return ranked


def _score_many(tastes, pool, rows):
    """``{user_id: scores of their candidate rows}``: the linear users fitted together."""
    scores = {}
    linear = [user_id for user_id, taste in tastes.items() if taste.linear]
    if linear:
        masks = np.zeros((len(pool.ids), len(linear)), dtype=bool)
        for column, user_id in enumerate(linear):
            masks[rows[user_id], column] = True
        dims = pool.vectors.shape[1]
        weights = fit_linear_many([np.asarray(tastes[u].paper_anchors).reshape(-1, dims) for u in linear],
                                  [np.asarray(tastes[u].negatives).reshape(-1, dims) for u in linear],
                                  pool.vectors, masks)
        for column, user_id in enumerate(linear):
            candidates = pool.vectors[rows[user_id]]
            scores[user_id] = candidates @ weights[:-1, column] + weights[-1, column]
    for user_id, taste in tastes.items():
        if not taste.linear:
            candidates = pool.vectors[rows[user_id]]
            anchors = np.vstack([anchor.vector for anchor in taste.anchors])
            scores[user_id] = similarity(candidates @ anchors.T, candidates, taste.negatives)
    return scores


def _best(taste, candidates, rows, scores, ids, limit):
    """The top ``limit`` candidates, each with the reason of the anchor nearest to it."""
    order = np.argsort(-scores, kind="stable")[:limit]
    anchors = np.vstack([anchor.vector for anchor in taste.anchors])
    nearest = (candidates[order] @ anchors.T).argmax(axis=1) if len(order) else []
    return [Ranked(ids[rows[i]], float(scores[i]), taste.anchors[n].reason)
            for i, n in zip(order, nearest, strict=True)]


def mode(user, embeddings=None):
    """"similarity" or "linear": which scorer the user's signal allows (shown on the page)."""
    embeddings = embeddings or _search_embeddings()
    embedded = embeddings(positive_papers(user))
    return "linear" if len(embedded) >= LINEAR_MIN_POSITIVES else "similarity"


def _search_embeddings():
    from dailypapers.search.api import paper_embeddings

    return paper_embeddings
