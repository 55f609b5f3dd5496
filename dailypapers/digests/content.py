"""What goes into a subscriber's digest: the period's top papers by trending, within their focus,
never a paper they were already sent, and "Picked for you" for account holders.

"Picked for you" comes from the recommender (personal_picks), asked once per batch of subscribers
for all the account holders in it. A ``DigestBuilder`` lives for one run and ranks each (period,
focus) once: subscribers sharing a focus (most have none) share the ranking, and what a batch of
subscribers was already sent is read in one query.
"""

import datetime as dt
import logging
from collections import defaultdict

from django.conf import settings
from django.db.models import Q

from dailypapers.community import recommend
from dailypapers.papers.models import Paper, category_filter
from dailypapers.search.api import paper_embeddings

from .models import SentPaper
from .schedule import MAX_PERIOD_DAYS

log = logging.getLogger(__name__)


def personal_picks(users, period, exclude, limit, embeddings=None):
    """The digests' one call into the recommender (``community.recommend``): ``{user id: up to limit
    paper ids}`` from the 30 days before ``period``'s slot, best first, none in ``exclude[user id]``,
    ranked in one batch. A user with no signal yet gets none. A failing batch is retried one user at a
    time, so a failure costs only that user's picks, never a digest."""
    try:
        ranked = recommend.rank_many([user.pk for user in users], limit=limit, now=period.slot,
                                     embeddings=embeddings, exclude=exclude)
    except Exception:  # the digest's top papers must go out whatever happens to the picks
        if len(users) > 1:
            return {pk: ids for user in users
                    for pk, ids in personal_picks([user], period, exclude, limit, embeddings).items()}
        log.exception("personal picks failed for user %s", users[0].pk)
        return {users[0].pk: []}
    return {user_id: [pick.paper_id for pick in picks] for user_id, picks in ranked.items()}


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
        """``{subscription pk: (top ids, pick ids)}`` for (subscription, period) pairs; both empty:
        nothing new. What the subscribers were already sent is read in one query for all of them."""
        windows = {sub.pk: self._window(self.ranking(period, sub.focus), 0, self.size) for sub, period in pairs}
        sent = self._sent_among([sub for sub, _ in pairs], {pk for window in windows.values() for pk in window})
        top = {sub.pk: self._fresh(sub, self.ranking(period, sub.focus), self.size, sent[sub.pk])
               for sub, period in pairs}
        picks = self._picks_many([(sub, period) for sub, period in pairs if sub.user_id], top) if self.picks else {}
        return {sub.pk: (top[sub.pk], picks.get(sub.pk, [])) for sub, _ in pairs}

    def choose(self, subscription, period):
        """(top paper ids, pick ids) for one subscriber and period."""
        return self.choose_many([(subscription, period)])[subscription.pk]

    def _picks_many(self, pairs, top):
        """``{subscription pk: pick ids}`` for account holders, one recommender batch per period (a
        user with two subscriptions in one batch gets a batch of their own for the second)."""
        batches = defaultdict(dict)
        for sub, period in pairs:
            round_ = next(n for n in range(len(pairs)) if sub.user_id not in batches[(period, n)])
            batches[(period, round_)][sub.user_id] = sub
        picks = {}
        for (period, _), holders in batches.items():
            picks |= self._picks_of(list(holders.values()), period, top)
        return picks

    def _picks_of(self, subscriptions, period, top):
        # The recommender picks from the last month: tell it what went out in that time, so it can
        # return exactly what is needed.
        recent = self._recently_sent(subscriptions, period)
        exclude = {sub.user_id: set(top[sub.pk]) | recent[sub.pk] for sub in subscriptions}
        offered = personal_picks([sub.user for sub in subscriptions], period, exclude, self.picks, self._embeddings)
        fresh = {sub.pk: [pk for pk in offered.get(sub.user_id, []) if pk not in exclude[sub.user_id]]
                 for sub in subscriptions}
        sent = self._sent_among(subscriptions, {pk for ids in fresh.values() for pk in ids})
        return {sub.pk: self._fresh(sub, fresh[sub.pk], self.picks, sent[sub.pk]) for sub in subscriptions}

    @staticmethod
    def _sent_among(subscriptions, paper_ids):
        """``{subscription pk: the papers among paper_ids they were sent}``, in one query."""
        sent = defaultdict(set)
        rows = SentPaper.objects.filter(subscription_id__in=[sub.pk for sub in subscriptions], paper_id__in=paper_ids)
        for subscription_id, paper_id in rows.values_list("subscription_id", "paper_id"):
            sent[subscription_id].add(paper_id)
        return sent

    @staticmethod
    def _recently_sent(subscriptions, period):
        since = period.slot - dt.timedelta(days=recommend.RECENT_DAYS + MAX_PERIOD_DAYS)
        sent = defaultdict(set)
        rows = SentPaper.objects.filter(subscription_id__in=[sub.pk for sub in subscriptions],
                                        digest__slot__gte=since)
        for subscription_id, paper_id in rows.values_list("subscription_id", "paper_id"):
            sent[subscription_id].add(paper_id)
        return sent

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
