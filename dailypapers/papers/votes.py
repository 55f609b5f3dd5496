"""Upvotes: one per user and paper, and Paper.local_upvotes kept exact under concurrency.

``local_upvotes`` counts the Upvote rows of users whose votes count (verified, not suspended). Every
change to a row, or to whether a user's votes count, moves the counter with an F() expression in the
same transaction, after locking the voter's row: a user's vote and their verification then never
interleave (which could otherwise lose or double one vote), while different users vote in parallel.
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from . import pagecache
from .models import Paper, Upvote


def lock_user(user):
    """Re-read the user's row under a row lock (PostgreSQL; SQLite's IMMEDIATE transactions serialize
    all writers anyway). Call inside a transaction."""
    return get_user_model().objects.select_for_update().get(pk=user.pk)


def set_vote(user, paper, up):
    """Make the user's vote on ``paper`` be ``up`` (True) or absent (False); return whether it changed."""
    with transaction.atomic():
        voter = lock_user(user)
        changed = _add_row(voter, paper) if up else _remove_row(voter, paper)
        if changed and voter.counts_votes:
            Paper.objects.filter(pk=paper.pk).update(local_upvotes=F("local_upvotes") + (1 if up else -1))
            refresh_pages([paper.pk], search=False)
    return changed


def refresh_pages(paper_ids, search=True):
    """Once the transaction commits, drop the cached anonymous pages that show these papers, and the
    cached searches unless only their counts changed (``search=False``: see pagecache.SEARCH)."""
    paper_ids = list(paper_ids)
    transaction.on_commit(lambda: pagecache.bump_papers(paper_ids, search=search))


def _add_row(voter, paper):
    try:
        with transaction.atomic():  # a savepoint, so a duplicate leaves the outer transaction usable
            Upvote.objects.create(user=voter, paper=paper)
    except IntegrityError:
        return False
    return True


def _remove_row(voter, paper):
    return Upvote.objects.filter(user=voter, paper=paper).delete()[0] > 0


def shift_counts(user, delta):
    """Add ``delta`` (+1/-1) to the count of every paper the user upvoted: their votes start or stop
    counting. Call in the transaction that changes the user's status, with the user row locked."""
    voted = list(Upvote.objects.filter(user=user).values_list("paper_id", flat=True))
    refresh_pages(voted, search=False)
    return Paper.objects.filter(pk__in=voted).update(local_upvotes=F("local_upvotes") + delta)


def counting_votes():
    """Upvote rows that count: by verified users who are not suspended."""
    return Upvote.objects.filter(user__email_verified_at__isnull=False, user__suspended_at__isnull=True)


def recount(papers=None):
    """Set local_upvotes from the rows (repairs drift after manual database edits); return papers fixed."""
    rows = counting_votes().filter(paper=OuterRef("pk")).values("paper").annotate(n=Count("pk")).values("n")
    papers = (papers if papers is not None else Paper.objects.all()).annotate(
        actual=Coalesce(Subquery(rows), 0))
    wrong = papers.filter(~Q(local_upvotes=F("actual")))
    fixed = 0
    for pk, actual in wrong.values_list("pk", "actual"):
        fixed += Paper.objects.filter(pk=pk).update(local_upvotes=actual)
    return fixed


def voted_ids(user, paper_ids):
    """The subset of ``paper_ids`` the user has upvoted (one query)."""
    if not user.is_authenticated or not paper_ids:
        return set()
    return set(Upvote.objects.filter(user=user, paper_id__in=paper_ids).values_list("paper_id", flat=True))
