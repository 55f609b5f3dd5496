import pytest
from django.test import Client

from dailypapers.accounts import lifecycle
from dailypapers.accounts.models import User
from dailypapers.accounts.tests.people import PASSWORD, make_papers
from dailypapers.community import comments
from dailypapers.community.models import AuthorClaim, Comment, ModerationLog
from dailypapers.papers import votes
from dailypapers.papers.models import Author, Organization, Paper, Submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def paper(db):
    return make_papers(1)[0]


def log_entries():
    return list(ModerationLog.objects.order_by("id").values_list("actor__username", "action", "target_type"))


def admin_action(client, model_url, action, ids):
    return client.post(f"/admin/{model_url}/", {"action": action, "_selected_action": [str(i) for i in ids]})


# -- the admin -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("model_url", [
    "papers/paper", "papers/submission", "community/comment", "papers/organization", "community/authorclaim",
    "community/collection", "community/moderationlog", "papers/upvote", "papers/author", "accounts/user",
    "accounts/apitoken",
])
def test_every_community_model_has_an_admin_page(client, moderator, paper, model_url):
    client.force_login(moderator)
    assert client.get(f"/admin/{model_url}/").status_code == 200
    assert client.get(f"/admin/{model_url}/?q=x").status_code == 200


def test_the_audit_log_cannot_be_edited_in_the_admin(client, moderator, paper):
    entry = ModerationLog.objects.create(actor=moderator, action="hide_paper", target_type="papers.paper",
                                         target_id=str(paper.pk), target_repr=str(paper))
    client.force_login(moderator)
    assert client.get(f"/admin/community/moderationlog/{entry.pk}/delete/").status_code == 403
    assert client.get("/admin/community/moderationlog/add/").status_code == 403


def test_hiding_papers_in_the_admin_is_logged(client, moderator, paper):
    client.force_login(moderator)
    admin_action(client, "papers/paper", "hide", [paper.pk])
    assert Paper.objects.get(pk=paper.pk).hidden
    assert client.get(paper.get_absolute_url()).status_code == 404
    admin_action(client, "papers/paper", "unhide", [paper.pk])
    assert not Paper.objects.get(pk=paper.pk).hidden
    assert log_entries() == [("mod", "hide_paper", "papers.paper"), ("mod", "unhide_paper", "papers.paper")]


def test_staff_hide_a_paper_from_its_page(client, moderator, bob, paper):
    client.force_login(bob)
    assert client.post(f"/papers/{paper.arxiv_id}/hide").status_code == 404
    client.force_login(moderator)
    assert 'action="/papers/2603.00001/hide"' in client.get(paper.get_absolute_url()).content.decode()
    client.post(f"/papers/{paper.arxiv_id}/hide", {"hidden": "1", "note": "duplicate"})
    assert Paper.objects.get(pk=paper.pk).hidden
    assert ModerationLog.objects.get().note == "duplicate"


def test_hiding_comments_in_the_admin_keeps_the_count(client, moderator, alice, paper):
    comment = comments.post(paper, alice, "spam spam")
    client.force_login(moderator)
    admin_action(client, "community/comment", "hide", [comment.pk])
    paper.refresh_from_db()
    assert Comment.objects.get().hidden and paper.local_comments == 0
    assert log_entries() == [("mod", "hide_comment", "community.comment")]


def test_suspending_in_the_admin_blocks_log_in_and_votes(client, moderator, alice, paper):
    votes.set_vote(alice, paper, True)
    client.force_login(moderator)
    admin_action(client, "accounts/user", "suspend", [alice.pk, moderator.pk])
    alice.refresh_from_db()
    assert alice.is_suspended and not alice.is_active
    assert not User.objects.get(pk=moderator.pk).is_suspended, "a moderator cannot suspend themself"
    paper.refresh_from_db()
    assert paper.local_upvotes == 0
    assert log_entries() == [("mod", "suspend_user", "accounts.user")]
    other = Client()
    other.post("/login", {"username": "alice", "password": PASSWORD})
    assert "_auth_user_id" not in other.session
    admin_action(client, "accounts/user", "unsuspend", [alice.pk])
    paper.refresh_from_db()
    assert paper.local_upvotes == 1 and User.objects.get(pk=alice.pk).is_active


def test_a_suspended_session_ends_at_once(client, moderator, alice):
    client.force_login(alice)
    lifecycle.suspend(alice, moderator)
    assert client.get("/settings").status_code == 302


# -- author claims ---------------------------------------------------------------------------------------
def test_a_claim_approved_in_the_admin_shows_a_verified_author(client, alice, bob, moderator, paper):
    author = Author.objects.get(slug="tomasz-oyelaran")
    client.force_login(alice)
    page = client.get(f"/authors/{author.slug}/claim")
    assert page.status_code == 200 and b"Are you Tomasz Oyelaran?" in page.content
    client.post(f"/authors/{author.slug}/claim", {"message": "My lab page: https://example.org/tomasz"})
    client.post(f"/authors/{author.slug}/claim", {"message": "again"})
    client.force_login(bob)
    client.post(f"/authors/{author.slug}/claim", {"message": "me too"})
    claim, rival = AuthorClaim.objects.get(user=alice), AuthorClaim.objects.get(user=bob)
    assert AuthorClaim.objects.count() == 2 and claim.status == "pending"
    client.force_login(moderator)
    admin_action(client, "community/authorclaim", "approve", [claim.pk])
    author.refresh_from_db()
    assert author.user == alice
    rival.refresh_from_db()
    assert rival.status == "rejected", "one author entry has one owner"
    assert log_entries() == [("mod", "approve_claim", "community.authorclaim")]
    # Both pages mark the verified author, and alice's profile lists the paper.
    client.logout()
    detail = client.get(paper.get_absolute_url()).content.decode()
    assert 'Tomasz Oyelaran</a><span class="verified-mark"' in detail
    Submission.objects.create(paper=paper, feed_day=paper.published, submitted_at=paper.created_at)
    feed = client.get(f"/papers/date/{paper.published}").content.decode()
    assert 'Tomasz Oyelaran</a><span class="verified-mark"' in feed
    assert paper.arxiv_id in [p.arxiv_id for p in client.get("/users/alice").context["verified_papers"]]


def test_claims_are_refused_for_verified_authors_and_unverified_users(client, alice, charlie, paper):
    author = Author.objects.get(slug="ilse-varga")
    client.force_login(charlie)
    client.post(f"/authors/{author.slug}/claim", {"message": ""})
    Author.objects.filter(pk=author.pk).update(user=alice)
    client.force_login(alice)
    client.post(f"/authors/{author.slug}/claim", {"message": ""})
    assert not AuthorClaim.objects.exists()


def test_rejecting_a_claim_is_logged(client, alice, moderator, paper):
    claim = AuthorClaim.objects.create(user=alice, author=Author.objects.get(slug="ilse-varga"))
    client.force_login(moderator)
    admin_action(client, "community/authorclaim", "reject", [claim.pk])
    claim.refresh_from_db()
    assert claim.status == "rejected" and claim.decided_by == moderator and claim.author.user is None
    assert log_entries() == [("mod", "reject_claim", "community.authorclaim")]


# -- organization and links ------------------------------------------------------------------------------
@pytest.fixture
def submitted(alice, paper):
    Submission.objects.create(paper=paper, feed_day=paper.published, submitted_at=paper.created_at, submitter=alice)
    return paper


def test_the_submitter_sets_organization_repository_and_project_page(client, alice, submitted):
    lab = Organization.objects.create(slug="lumen", name="Lumen Fieldwork Lab")
    client.force_login(alice)
    assert client.get(f"/papers/{submitted.arxiv_id}/edit").status_code == 200
    response = client.post(f"/papers/{submitted.arxiv_id}/edit", {
        "organization": lab.pk, "github_repo": "https://github.com/lumen/tidal-gd/",
        "project_page": "https://lumen.example.org/tidal"})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert (submitted.organization, submitted.github_repo, submitted.project_page) == (
        lab, "https://github.com/lumen/tidal-gd", "https://lumen.example.org/tidal")
    assert ModerationLog.objects.count() == 0, "the submitter's own edit is no moderator action"
    client.post(f"/papers/{submitted.arxiv_id}/edit", {"organization": "", "github_repo": "", "project_page": ""})
    submitted.refresh_from_db()
    assert (submitted.organization, submitted.github_repo, submitted.project_page) == (None, "", "")


@pytest.mark.django_db(transaction=True)  # pages are refreshed on commit
def test_moving_a_paper_to_another_organization_refreshes_both_pages(client, alice, submitted, settings):
    settings.PAGE_CACHE_SECONDS = 600
    old, new = (Organization.objects.create(slug=slug, name=name) for slug, name in
                [("lumen", "Lumen Fieldwork Lab"), ("tidal", "Tidal Works")])
    Paper.objects.filter(pk=submitted.pk).update(organization=old)
    reader = Client()
    assert submitted.title.encode() in reader.get("/organizations/lumen").content
    assert reader.get("/organizations/lumen").get("X-Page-Cache") == "hit"
    client.force_login(alice)
    client.post(f"/papers/{submitted.arxiv_id}/edit", {"organization": new.pk, "github_repo": "", "project_page": ""})
    assert submitted.title.encode() not in reader.get("/organizations/lumen").content
    assert submitted.title.encode() in reader.get("/organizations/tidal").content


def test_links_must_be_a_github_repository_and_http_pages(client, alice, submitted):
    client.force_login(alice)
    for data in [{"github_repo": "https://gitlab.com/a/b"}, {"github_repo": "https://github.com/only-owner"},
                 {"project_page": "javascript:alert(1)"}]:
        response = client.post(f"/papers/{submitted.arxiv_id}/edit", data)
        assert response.status_code == 200 and response.context["form"].errors
    submitted.refresh_from_db()
    assert (submitted.github_repo, submitted.project_page) == ("", "")


def test_only_the_submitter_or_staff_edit_links(client, bob, moderator, submitted):
    client.force_login(bob)
    assert client.get(f"/papers/{submitted.arxiv_id}/edit").status_code == 404
    client.force_login(moderator)
    client.post(f"/papers/{submitted.arxiv_id}/edit", {"github_repo": "https://github.com/x/y"})
    assert Paper.objects.get(pk=submitted.pk).github_repo == "https://github.com/x/y"
    assert log_entries() == [("mod", "edit_paper_links", "papers.paper")]


def test_staff_create_organizations_in_the_admin(client, moderator):
    client.force_login(moderator)
    response = client.post("/admin/papers/organization/add/", {"slug": "tide-lab", "name": "Tide Lab",
                                                               "avatar_url": ""})
    assert response.status_code == 302
    assert Organization.objects.get(slug="tide-lab").name == "Tide Lab"


def test_a_verified_author_past_the_third_shows_on_the_card(client):
    [paper] = make_papers(7, authors=["A One", "B Two", "C Three", "D Four", "E Five"])
    Submission.objects.create(paper=paper, feed_day=paper.published, submitted_at=paper.created_at)
    Author.objects.filter(slug="e-five").update(user=User.objects.create_user("eve", "eve@example.org"))
    feed = client.get(f"/papers/date/{paper.published}").content.decode()
    assert 'E Five</a><span class="verified-mark"' in feed and "D Four" not in feed
