"""What goes into a subscriber's digest: the period's top papers by trending, within their focus,
never a paper they were already sent, and "Picked for you" for account holders.

"Picked for you" comes from the recommender (personal_picks). A ``DigestBuilder`` lives for one run
and ranks each (period, focus) once: subscribers sharing a focus (most have none) share the ranking,
and what a batch of subscribers was already sent is read in one query.
"""

import datetime as dt
import logging
from collections import defaultdict

from django.conf import settings
from django.db.models import Q

from dailypapers.papers import recommend
from dailypapers.papers.models import Paper, category_filter
from dailypapers.search.api import paper_embeddings

from .models import SentPaper
from .schedule import MAX_PERIOD_DAYS

log = logging.getLogger(__name__)


def personal_picks(user, period, exclude_ids, limit, embeddings=None):
    """THE integration point with the recommender ("For you", ``dailypapers.papers.recommend``): ids
    of up to ``limit`` papers picked for ``user`` in the 30 days before ``period``'s slot, best first,
    none in ``exclude_ids``. A user with no signal yet (cold start) gets none, and the "Picked for
    you" section is absent. The caller still drops what the subscriber was sent before.

    A failing recommender costs the picks, never the digest: the error is logged and [] returned."""
    try:
        picks = recommend.recommend(user, limit=limit, now=period.slot, exclude=exclude_ids,
                                    embeddings=embeddings)
    except Exception:  # the digest's top papers must go out whatever happens to the picks
        log.exception("personal picks failed for user %s", user.pk)
        return []
    return [pick.paper.pk for pick in picks]


class MemoizedEmbeddings:
    """``paper_embeddings`` remembered for one run: account holders share most candidate papers, so
    their vectors are read from the database once, not once per subscriber."""

    def __init__(self):
        self._known = {}

    def __call__(self, paper_ids):
        paper_ids = list(paper_ids)
        missing = [pk for pk in paper_ids if pk not in self._known]
        if missing:
            found = paper_embeddings(missing)
            self._known.update((pk, found.get(pk)) for pk in missing)
        return {pk: self._known[pk] for pk in paper_ids if self._known[pk] is not None}


def focus_filter(focus):
    """A Q for papers matching any part of a Focus (None: no focus, every paper)."""
    if not focus:
        return None
    q = Q(organization_id__in=focus.organizations) if focus.organizations else Q(pk__in=[])
    for code in focus.categories:
        q |= category_filter(code)
    for keyword in focus.keywords:
        q |= Q(title__icontains=keyword) | Q(abstract__icontains=keyword)
    return q


class DigestBuilder:
    """Chooses digests' papers for one run, caching each (period, focus) ranking."""

    def __init__(self, size=None, picks=None):
        self.size = settings.DIGEST_SIZE if size is None else size
        self.picks = settings.DIGEST_PICKS if picks is None else picks
        self._rankings = {}
        self._embeddings = MemoizedEmbeddings()

    def ranking(self, period, focus):
        """Ids of the period's visible papers within ``focus``, best trending first."""
        key = (period.first, period.last, period.slot, focus)
        if key not in self._rankings:
            papers = Paper.objects.featured_between(period.first, period.last)
            if (q := focus_filter(focus)) is not None:
                papers = papers.filter(q)
            ranked = papers.ranked("trending", period.slot)
            self._rankings[key] = list(ranked.values_list("pk", flat=True))
        return self._rankings[key]

    def choose_many(self, pairs):
        """``{subscription pk: (top ids, pick ids)}`` for (subscription, period) pairs."""
        windows = {sub.pk: self._window(self.ranking(period, sub.focus), 0, self.size) for sub, period in pairs}
        sent = defaultdict(set)
        rows = SentPaper.objects.filter(subscription_id__in=list(windows),
                                        paper_id__in={pk for window in windows.values() for pk in window})
        for subscription_id, paper_id in rows.values_list("subscription_id", "paper_id"):
            sent[subscription_id].add(paper_id)
        return {sub.pk: self.choose(sub, period, first_window_sent=sent[sub.pk]) for sub, period in pairs}

    def choose(self, subscription, period, first_window_sent=None):
        """(top paper ids, pick ids) for this subscriber and period; both empty: nothing new."""
        ranked = self.ranking(period, subscription.focus)
        top = self._fresh(subscription, ranked, self.size, first_window_sent)
        picks = []
        if subscription.user_id and self.picks:
            # The recommender picks from the last month: tell it what went out in that time, so it
            # can return exactly what is needed (each paper it returns costs it a page-card load).
            exclude = set(top) | self._recently_sent(subscription, period)
            candidates = personal_picks(subscription.user, period, exclude, self.picks, self._embeddings)
            picks = self._fresh(subscription, [pk for pk in candidates if pk not in exclude], self.picks)
        return top, picks

    @staticmethod
    def _recently_sent(subscription, period):
        since = period.slot - dt.timedelta(days=recommend.RECENT_DAYS + MAX_PERIOD_DAYS)
        return set(SentPaper.objects.filter(subscription=subscription, digest__slot__gte=since)
                   .values_list("paper_id", flat=True))

    def _fresh(self, subscription, ranked, limit, first_window_sent=None):
        """The first ``limit`` of ``ranked`` this subscriber was never sent, looking a window at a time
        (a subscriber has rarely seen any of a new period's papers, so one window nearly always does).
        ``first_window_sent``: what was sent among the first window, when already known."""
        chosen, start, sent = [], 0, first_window_sent
        while len(chosen) < limit and start < len(ranked):
            window = self._window(ranked, start, limit)
            if sent is None:
                sent = set(SentPaper.objects.filter(subscription=subscription, paper_id__in=window)
                           .values_list("paper_id", flat=True))
            chosen += [pk for pk in window if pk not in sent][: limit - len(chosen)]
            start, sent = start + len(window), None
        return chosen

    @staticmethod
    def _window(ranked, start, limit):
        return ranked[start : start + 2 * limit]
