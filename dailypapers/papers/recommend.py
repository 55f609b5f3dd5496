""""For you": a per-user ranking of recent papers over the paper embeddings of the search app.

Signals: positives are the papers a user upvoted, saved or submitted, plus cold-start picks (papers,
authors, arXiv categories); negatives are papers marked "not interested". Each positive is an
*anchor*: a vector and the words that explain a pick ("“Tidal GD”, which you saved"). An author or a
category is one anchor: the mean vector of its recent papers.

Scoring: a user who follows only authors or categories (no positive paper yet) gets each candidate's
cosine to the nearest anchor, less a penalty for resembling a "not interested" paper. From
``LINEAR_MIN_POSITIVES`` positive papers on, a logistic regression learns the user's taste instead
(positives against the candidate pool as background, "not interested" papers weighted up), as
arxiv-sanity-lite does with its per-user SVM. ``bench/recommend.py`` measured the switch point: the
linear model already beats nearest-anchor similarity with one positive (Recall@20 40 % against 33 %) and
at every history length after, so it takes over from the first positive paper. Either way the nearest
anchor names the reason.

Vectors come from ``dailypapers.search.api.paper_embeddings``; a paper not embedded yet is simply not
an anchor or a candidate until the embed job reaches it.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.db.models import Q
from django.utils import timezone

from .models import CollectionItem, InterestSeed, NotInterested, Paper, Submission, Upvote, category_filter

# Candidates: visible papers published in the last RECENT_DAYS, at most CANDIDATE_LIMIT of the newest.
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


# -- signals -------------------------------------------------------------------------------------------
def positive_papers(user):
    """``{paper_id: verb}`` of the user's positives, most recent first (a saved paper says "saved"
    even if it was upvoted too: the stronger signal names it)."""
    events = []
    for verb, rows in (
        ("upvote", Upvote.objects.filter(user=user).values_list("paper_id", "created_at")),
        ("save", CollectionItem.objects.filter(collection__owner=user).values_list("paper_id", "added_at")),
        ("submit", Submission.objects.filter(submitter=user).values_list("paper_id", "submitted_at")),
        ("seed", InterestSeed.objects.filter(user=user, kind=InterestSeed.PAPER).values_list("paper_id",
                                                                                              "created_at")),
    ):
        events += [(at, verb, paper_id) for paper_id, at in rows]
    strength = {"upvote": 0, "seed": 1, "submit": 2, "save": 3}
    found = {}
    for _at, verb, paper_id in sorted(events, key=lambda e: e[0], reverse=True):
        if paper_id not in found or strength[verb] > strength[found[paper_id]]:
            found[paper_id] = verb
    return dict(list(found.items())[:MAX_POSITIVES])


def negative_papers(user):
    return list(NotInterested.objects.filter(user=user).values_list("paper_id", flat=True))


def anchors(user, embeddings):
    """The user's anchors: one per embedded positive paper, one per followed author or category."""
    positives = positive_papers(user)
    vectors = embeddings(positives)
    titles = dict(Paper.objects.filter(pk__in=vectors).values_list("pk", "title"))
    found = [Anchor(vectors[pk], f"“{titles[pk]}”, which you {VERBS[verb]}", pk)
             for pk, verb in positives.items() if pk in vectors]
    for seed in InterestSeed.objects.filter(user=user).exclude(kind=InterestSeed.PAPER).select_related("author"):
        if anchor := _group_anchor(seed, embeddings):
            found.append(anchor)
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
def candidates(exclude, now=None):
    """Recent visible papers (newest first), without those the user already acted on."""
    since = (now or timezone.now()).date() - dt.timedelta(days=RECENT_DAYS)
    recent = Paper.objects.visible().filter(Q(published__gte=since) | Q(submission__feed_day__gte=since))
    ids = recent.exclude(pk__in=exclude).order_by("-published", "-pk").values_list("pk", flat=True)
    return list(ids[:CANDIDATE_LIMIT])


def score(anchor_vectors, candidate_vectors, negative_vectors=None, positive_vectors=None):
    """``(scores, nearest anchor index)`` for each candidate row.

    ``positive_vectors`` (the anchors that are papers) train the linear model once there are
    ``LINEAR_MIN_POSITIVES`` of them; otherwise the score is the cosine to the nearest anchor."""
    sims = candidate_vectors @ anchor_vectors.T
    nearest = sims.argmax(axis=1)
    negatives = negative_vectors if negative_vectors is not None else np.zeros((0, candidate_vectors.shape[1]))
    if positive_vectors is not None and len(positive_vectors) >= LINEAR_MIN_POSITIVES:
        weights = fit_linear(positive_vectors, negatives, candidate_vectors)
        return candidate_vectors @ weights[:-1] + weights[-1], nearest
    scores = sims.max(axis=1)
    if len(negatives):
        scores = scores - NEGATIVE_PENALTY * np.clip(candidate_vectors @ negatives.T, 0, None).max(axis=1)
    return scores, nearest


def fit_linear(positives, negatives, background, steps=100):
    """L2-regularized logistic regression (weights + bias) by Nesterov gradient descent.

    The background (unlabeled candidates) stands for "everything else", as in arxiv-sanity-lite; the
    classes are balanced so a handful of positives is not drowned by thousands of background papers."""
    x = np.vstack([positives, negatives, background]).astype(np.float64)
    x = np.hstack([x, np.ones((len(x), 1))])
    y = np.concatenate([np.ones(len(positives)), np.zeros(len(negatives) + len(background))])
    sample = np.concatenate([np.full(len(positives), 1.0 / len(positives)),
                             np.full(len(negatives), NEGATIVE_WEIGHT), np.ones(len(background))])
    negative_total = sample[len(positives):].sum()
    if negative_total:
        sample[len(positives):] /= negative_total
    # Rows have norm <= sqrt(2), so the loss is smooth with constant <= 2 * (sum of weights) / 4.
    step = 1.0 / (0.5 * sample.sum() + L2)
    w = velocity = np.zeros(x.shape[1])
    for t in range(steps):
        ahead = w + (t / (t + 3)) * velocity
        p = 1.0 / (1.0 + np.exp(-(x @ ahead)))
        gradient = x.T @ (sample * (p - y)) + L2 * ahead
        new = ahead - step * gradient
        velocity, w = new - w, new
    return w


def _unit(vector):
    vector = np.asarray(vector, dtype=np.float32)
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


# -- the feed ----------------------------------------------------------------------------------------------
def recommend(user, limit=30, now=None, embeddings=None, exclude=()):
    """The user's picks, best first; [] for a cold start (no embedded positive, author or category).

    ``now`` sets the end of the 30-day candidate window (a digest's period); ``exclude`` names paper
    ids never to pick (what a digest already sent)."""
    embeddings = embeddings or _search_embeddings()
    found = anchors(user, embeddings)
    if not found:
        return []
    negatives = negative_papers(user)
    pool = candidates(exclude=[*positive_papers(user), *negatives, *exclude], now=now)
    vectors = embeddings(pool)
    pool = [pk for pk in pool if pk in vectors]
    if not pool:
        return []
    anchor_matrix = np.vstack([a.vector for a in found])
    paper_anchors = [a.vector for a in found if a.paper_id is not None]
    negative_vectors = list(embeddings(negatives).values())
    scores, nearest = score(anchor_matrix, np.vstack([vectors[pk] for pk in pool]),
                            np.vstack(negative_vectors) if negative_vectors else None,
                            np.vstack(paper_anchors) if paper_anchors else None)
    order = np.argsort(-scores, kind="stable")[:limit]
    papers = Paper.objects.for_cards().with_total_upvotes().in_bulk([pool[i] for i in order])
    return [Pick(papers[pool[i]], float(scores[i]), f"Similar to {found[nearest[i]].reason}")
            for i in order if pool[i] in papers]


def mode(user, embeddings=None):
    """"similarity" or "linear": which scorer the user's signal allows (shown on the page)."""
    embeddings = embeddings or _search_embeddings()
    embedded = embeddings(positive_papers(user))
    return "linear" if len(embedded) >= LINEAR_MIN_POSITIVES else "similarity"


def _search_embeddings():
    from dailypapers.search.api import paper_embeddings

    return paper_embeddings
