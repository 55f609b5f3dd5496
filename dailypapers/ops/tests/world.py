"""A small site with one of everything a URL can name, for the tests that walk every route.

Personas: alice (a verified member who submitted the paper, commented, voted, holds a public
collection, an API token and a digest subscription), bob (another member, with a pending author
claim) and mod (staff and superuser, so the admin and moderation pages render for real).
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from dailypapers.accounts import verification
from dailypapers.accounts.models import ApiToken, User
from dailypapers.accounts.tests.people import make_user
from dailypapers.community import collections, comments, moderation
from dailypapers.community.models import AuthorClaim, Collection, Comment
from dailypapers.digests.models import Digest, Subscription
from dailypapers.lib import periods
from dailypapers.papers import votes
from dailypapers.papers.models import Author, Organization, Paper, Submission
from dailypapers.papers.records import OrgRecord, PaperRecord
from dailypapers.papers.upsert import upsert_papers
from dailypapers.sources.models import SourceState

ARXIV_ID = "2603.00001"


@dataclass
class World:
    alice: User
    bob: User
    mod: User
    paper: Paper
    organization: Organization
    author: Author
    comment: Comment
    collection: Collection
    api_token: ApiToken
    api_token_raw: str
    subscription: Subscription
    day: dt.date

    def personas(self):
        return {"anonymous": None, "alice": self.alice, "mod": self.mod}

    def admin_object(self, model):
        """One stored row of ``model`` for the admin's object pages, or None when the world has none."""
        return model._default_manager.order_by("pk").first()

    @property
    def tokens(self):
        """Every signed link a person can be sent, by purpose."""
        uid = urlsafe_base64_encode(force_bytes(self.alice.pk))
        return {
            "verify_email": verification.email_token(self.bob, "bob-new@example.org"),
            "password_reset": (uid, default_token_generator.make_token(self.alice)),
            "unsubscribe": verification.unsubscribe_token(self.alice, "replies"),
            "digest_confirm": self.subscription.link_token("confirm"),
            "digest_unsubscribe": self.subscription.link_token("unsubscribe"),
            "digest_manage": self.subscription.link_token("manage"),
        }


def build_world():
    alice, bob = make_user("alice"), make_user("bob")
    mod = make_user("mod", staff=True, is_superuser=True)
    day = timezone.now().date() - dt.timedelta(days=1)
    upsert_papers([PaperRecord(
        arxiv_id=ARXIV_ID, title="Routes walked end to end", abstract="Every page, read twice.",
        authors=["Ilse Varga", "Tomasz Oyelaran"], published=day - dt.timedelta(days=1), version=1,
        categories=["cs.LG"], organization=OrgRecord(name="Acme Lab", slug="acme"),
        github_repo="https://github.com/acme/routes", project_page="https://acme.example.org",
        featured_on=day,
    )])
    paper = Paper.objects.get(arxiv_id=ARXIV_ID)
    Submission.objects.filter(paper=paper).update(submitter=alice)
    author = Author.objects.get(slug="ilse-varga")
    comment = comments.post(paper, alice, "A first comment.")
    collection = collections.create(alice, "Reading group", is_public=True, description="Papers we read")
    collections.add(collection, paper)
    votes.set_vote(alice, paper, True)
    api_token, api_token_raw = ApiToken.issue(alice, "laptop")
    subscription = Subscription.objects.create(email=alice.email, user=alice, status=Subscription.Status.ACTIVE,
                                               next_digest_at=timezone.now(), confirmed_at=timezone.now())
    _admin_rows(bob, mod, paper, author, subscription, day)
    return World(alice=alice, bob=bob, mod=mod, paper=paper, organization=paper.organization, author=author,
                 comment=comment, collection=collection, api_token=api_token, api_token_raw=api_token_raw,
                 subscription=subscription, day=day)


def _admin_rows(bob, mod, paper, author, subscription, day):
    """Rows only the admin lists (claims, the audit log, sources, the digest outbox, groups)."""
    Group.objects.create(name="Moderators")
    AuthorClaim.objects.create(user=bob, author=author, message="That is me.")
    moderation.record(mod, "hide_paper", paper, "checked")
    SourceState.objects.create(name="hf")
    period = periods.day(day)
    Digest.objects.create(subscription=subscription, period_key=f"daily:{period.key}", first_day=day, last_day=day,
                          slot=timezone.now(), paper_ids=[paper.pk], message_id="<digest-1@example.org>",
                          not_before=timezone.now())

