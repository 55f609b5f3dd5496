import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from dailypapers.accounts import lifecycle, verification
from dailypapers.accounts.models import ApiToken, User, hash_token
from dailypapers.community import collections, comments
from dailypapers.papers import votes
from dailypapers.papers.models import Author, Submission, Upvote

from .people import PASSWORD, make_papers, make_user

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/\S+)")


def link_in(message):
    return LINK.search(message.body).group(1)


def sign_up(client, username="dora", email="dora@example.org", password=PASSWORD, **extra):
    data = {"username": username, "email": email, "password1": password, "password2": password, **extra}
    return client.post("/signup", data)


# -- sign-up and verification -------------------------------------------------------------------------
def test_it_signs_up_logs_in_and_mails_a_verification_link(client):
    response = sign_up(client)
    assert response.status_code == 302 and response.url == "/verify-email"
    user = User.objects.get(username="dora")
    assert not user.is_verified and user.email == "dora@example.org"
    assert client.get("/verify-email").context["user"] == user
    [message] = mail.outbox
    assert message.to == ["dora@example.org"] and "Confirm your email" in message.subject
    assert link_in(message).startswith("/verify-email/")
    assert message.alternatives[0][1] == "text/html"


def test_it_refuses_taken_names_and_addresses(client, alice):
    for username, email in [("Alice", "new@example.org"), ("dora", "ALICE@example.org"),
                            ("no spaces", "x@example.org"), ("a", "y@example.org")]:
        response = sign_up(client, username, email)
        assert response.status_code == 200 and response.context["form"].errors
    assert User.objects.count() == 1 and mail.outbox == []


def test_the_verification_link_asks_before_it_verifies(client):
    sign_up(client)
    url = link_in(mail.outbox[0])
    anonymous = Client()  # a mail scanner following the link
    response = anonymous.get(url)
    assert response.status_code == 200 and b"Confirm dora@example.org" in response.content
    assert not User.objects.get(username="dora").is_verified
    response = anonymous.post(url)
    assert response.status_code == 302
    assert User.objects.get(username="dora").is_verified
    assert anonymous.get(url).context["done"] is True


def test_a_forged_or_expired_link_is_refused(client, settings, charlie):
    assert client.post("/verify-email/not-a-token").status_code == 400
    token = verification.email_token(charlie, charlie.email)
    settings.EMAIL_VERIFY_MAX_AGE_S = -1
    response = client.post(f"/verify-email/{token}")
    assert response.status_code == 400 and "expired" in response.context["error"]
    assert not User.objects.get(pk=charlie.pk).is_verified


def test_votes_cast_before_verification_count_once_verified(client, charlie):
    [paper] = make_papers(1)
    votes.set_vote(charlie, paper, True)
    paper.refresh_from_db()
    assert paper.local_upvotes == 0
    client.post(f"/verify-email/{verification.email_token(charlie, charlie.email)}")
    paper.refresh_from_db()
    assert paper.local_upvotes == 1
    # Following the link again changes nothing.
    client.post(f"/verify-email/{verification.email_token(charlie, charlie.email)}")
    paper.refresh_from_db()
    assert paper.local_upvotes == 1


def test_resending_the_link_mails_it_again(client, charlie):
    client.force_login(charlie)
    assert client.post("/verify-email").status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [charlie.email]


def test_new_passwords_are_hashed_with_argon2(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    sign_up(client)
    assert User.objects.get(username="dora").password.startswith("argon2$argon2id$")


# -- log in / out -------------------------------------------------------------------------------------
def test_it_logs_in_by_username_or_email_and_returns_to_next(client, alice):
    response = client.post("/login", {"username": "alice", "password": PASSWORD, "next": "/papers"})
    assert response.status_code == 302 and response.url == "/papers"
    client.post("/logout")
    response = client.post("/login", {"username": "ALICE@example.org", "password": PASSWORD})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(alice.pk)


def test_log_in_refuses_wrong_passwords_and_foreign_next_urls(client, alice):
    response = client.post("/login", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200 and response.context["form"].errors
    response = client.post("/login", {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"})
    assert response.url == "/"


def test_log_out_is_a_post(client, alice):
    client.force_login(alice)
    assert client.get("/logout").status_code == 405
    assert "_auth_user_id" in client.session
    client.post("/logout")
    assert "_auth_user_id" not in client.session


def test_log_in_and_sign_up_are_rate_limited_with_a_429_page(client, settings, alice):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": (3, 300), "signup": (2, 3600)}
    for _ in range(3):
        assert client.post("/login", {"username": "alice", "password": "wrong"}).status_code == 200
    response = client.post("/login", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429 and response["Retry-After"]
    assert b"Too many requests" in response.content
    # Each sign-up logs its browser in, so each comes from a fresh one (same address).
    assert sign_up(Client(), "dora", "dora@example.org").status_code == 302
    assert sign_up(Client(), "erin", "erin@example.org").status_code == 302
    assert sign_up(Client(), "fred", "fred@example.org").status_code == 429
    assert not User.objects.filter(username="fred").exists()


# -- password reset -----------------------------------------------------------------------------------
def test_password_reset_by_email_link(client, charlie):
    response = client.post("/password-reset", {"email": "CHARLIE@example.org"})
    assert response.url == "/password-reset/sent"
    url = link_in(mail.outbox[0])
    response = client.get(url)  # the form itself: nothing is written on a GET, not even a session
    assert response.status_code == 200 and response.context["validlink"]
    assert "sessionid" not in response.cookies
    new = "a-brand-new-passphrase"
    response = client.post(url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302 and response.url == "/login"
    charlie.refresh_from_db()
    assert charlie.check_password(new)
    assert charlie.is_verified, "following the emailed link proves the address"
    # The link works once.
    assert not client.get(url).context["validlink"]
    response = client.post(url, {"new_password1": "another-passphrase-9", "new_password2": "another-passphrase-9"})
    assert response.status_code == 200 and not response.context["validlink"]
    charlie.refresh_from_db()
    assert charlie.check_password(new)


def test_password_reset_says_the_same_for_unknown_addresses(client):
    response = client.post("/password-reset", {"email": "nobody@example.org"})
    assert response.url == "/password-reset/sent" and mail.outbox == []


# -- profile and settings -----------------------------------------------------------------------------
def test_the_profile_shows_submissions_public_collections_and_verified_papers(client, alice):
    papers = make_papers(1, 2, day=None)
    submitted = make_papers(3, day=papers[0].published)[0]
    Submission.objects.filter(paper=submitted).update(submitter=alice)
    Author.objects.filter(slug="ilse-varga").update(user=alice)
    collections.create(alice, "Optimizers", is_public=True)
    collections.create(alice, "Secret stash", is_public=False)
    response = client.get("/users/alice")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Optimizers" in body and "Secret stash" not in body
    assert [p.arxiv_id for p in response.context["submitted"]] == ["2603.00003"]
    assert {p.arxiv_id for p in response.context["verified_papers"]} == {"2603.00001", "2603.00002", "2603.00003"}
    client.force_login(alice)
    assert "Secret stash" in client.get("/users/alice").content.decode()
    assert client.get("/users/nobody").status_code == 404


def test_settings_change_the_display_name_and_preferences(client, alice):
    client.force_login(alice)
    response = client.post("/settings", {"display_name": "Alice Q.", "email": alice.email,
                                         "notify_thread_replies": "on"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.display_name == "Alice Q." and alice.notify_thread_replies
    assert not alice.notify_comments_on_submissions
    assert mail.outbox == []


def test_a_new_email_applies_when_its_link_is_followed(client, alice, bob):
    client.force_login(alice)
    response = client.post("/settings", {"display_name": "", "email": "bob@example.org"})
    assert response.context["form"].errors["email"]
    client.post("/settings", {"display_name": "", "email": "alice@new.example"})
    alice.refresh_from_db()
    assert alice.email == "alice@example.org", "the old address stays until the new one is confirmed"
    [message] = mail.outbox
    assert message.to == ["alice@new.example"]
    client.post(link_in(message))
    alice.refresh_from_db()
    assert alice.email == "alice@new.example" and alice.is_verified


def test_settings_pages_need_a_login(client):
    for url in ["/settings", "/settings/tokens", "/settings/delete", "/settings/export", "/settings/password"]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(f"/login?next={url}")


# -- API tokens ----------------------------------------------------------------------------------------
def test_a_token_is_shown_once_and_only_its_hash_is_kept(client, alice):
    client.force_login(alice)
    response = client.post("/settings/tokens", {"name": "my bot"})
    raw = response.context["new_token"]
    assert raw.startswith("dp_") and raw in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=alice)
    assert token.token_hash == hash_token(raw) and raw not in (token.prefix, token.token_hash)
    listing = client.get("/settings/tokens").content.decode()
    assert "my bot" in listing and raw not in listing and token.prefix in listing
    assert ApiToken.objects.authenticate(raw) == alice
    forged = raw[:-1] + ("y" if raw.endswith("x") else "x")  # a token ending in "x" must still change
    assert ApiToken.objects.authenticate(forged) is None
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


def test_it_records_token_use_at_most_once_a_minute(alice, django_assert_num_queries):
    token, raw = ApiToken.issue(alice, "ci")
    ApiToken.objects.authenticate(raw)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    with django_assert_num_queries(1):  # the look-up only: no UPDATE within the minute
        assert ApiToken.objects.authenticate(raw) == alice
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    ApiToken.objects.authenticate(raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first - timedelta(minutes=1)


def test_a_revoked_token_stops_working_and_others_cannot_revoke(client, alice, bob):
    token, raw = ApiToken.issue(alice, "ci")
    client.force_login(bob)
    assert client.post(f"/settings/tokens/{token.pk}/revoke").status_code == 404
    client.force_login(alice)
    client.post(f"/settings/tokens/{token.pk}/revoke")
    assert ApiToken.objects.authenticate(raw) is None


def test_tokens_of_suspended_users_do_not_authenticate(alice):
    _token, raw = ApiToken.issue(alice, "ci")
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert ApiToken.objects.authenticate(raw) is None


# -- delete and export ---------------------------------------------------------------------------------
def test_deleting_the_account_needs_the_password_and_removes_its_traces(client, alice, bob):
    paper, other = make_papers(1, 2)
    votes.set_vote(alice, paper, True)
    votes.set_vote(bob, paper, True)
    root = comments.post(paper, alice, "A first thought")
    comments.post(paper, bob, "A reply from bob", parent=root)
    collections.add(collections.reading_list(alice), other)
    client.force_login(alice)
    assert client.post("/settings/delete", {"password": "wrong"}).status_code == 200
    assert User.objects.filter(pk=alice.pk).exists()
    response = client.post("/settings/delete", {"password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" not in client.session
    assert not User.objects.filter(username="alice").exists()
    paper.refresh_from_db()
    assert (paper.local_upvotes, paper.local_comments) == (1, 1)
    root.refresh_from_db()
    assert root.body == "" and root.author is None and root.deleted_at
    assert [r.body for r in comments.thread(paper, bob)[0].shown_replies] == ["A reply from bob"]
    assert list(Upvote.objects.values_list("user__username", flat=True)) == ["bob"]


def test_download_my_data(client, alice):
    paper, other = make_papers(1, 2)
    votes.set_vote(alice, paper, True)
    comments.post(paper, alice, "Looks *great*")
    collections.add(collections.create(alice, "Optimizers", is_public=True), other)
    ApiToken.issue(alice, "bot")
    client.force_login(alice)
    response = client.get("/settings/export")
    assert response["Content-Disposition"].startswith('attachment; filename="dailypapers-alice-')
    data = json.loads(response.content)
    assert data["account"]["username"] == "alice" and data["account"]["email"] == "alice@example.org"
    assert [v["paper"] for v in data["upvotes"]] == [paper.arxiv_id]
    assert data["comments"][0]["body"] == "Looks *great*"
    assert data["collections"] == [{"name": "Optimizers", "slug": "optimizers", "public": True,
                                    "reading_list": False, "description": "", "papers": [other.arxiv_id]}]
    assert data["api_tokens"][0]["name"] == "bot"
    text = response.content.decode()
    assert "password" not in text and "token_hash" not in text


# -- unsubscribe ---------------------------------------------------------------------------------------
def test_unsubscribe_asks_on_get_and_acts_on_post(client, alice):
    url = reverse("accounts:unsubscribe", args=[verification.unsubscribe_token(alice, "replies")])
    assert client.get(url).status_code == 200
    assert User.objects.get(pk=alice.pk).notify_thread_replies
    client.post(url)
    alice.refresh_from_db()
    assert not alice.notify_thread_replies and alice.notify_comments_on_submissions


def test_one_click_unsubscribe_needs_no_csrf_token_but_a_valid_signature(alice):
    client = Client(enforce_csrf_checks=True)
    url = reverse("accounts:unsubscribe", args=[verification.unsubscribe_token(alice, "submissions")])
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not User.objects.get(pk=alice.pk).notify_comments_on_submissions
    assert client.post(url[:-3] + "abc").status_code == 400


def test_the_header_shows_log_in_or_the_user_menu(client, alice):
    body = client.get("/papers").content.decode()
    assert 'href="/login?next=/papers"' in body and 'href="/signup"' in body
    client.force_login(alice)
    body = client.get("/papers").content.decode()
    assert 'href="/users/alice"' in body and 'action="/logout"' in body and "/login?" not in body


def test_suspended_users_cannot_log_in(client, alice):
    moderator = make_user("mod", staff=True)
    lifecycle.suspend(alice, moderator, "spam")
    response = client.post("/login", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_lifting_a_suspension_does_not_revive_old_sessions(client, alice):
    moderator = make_user("mod", staff=True)
    client.post("/login", {"username": "alice", "password": PASSWORD})
    other_browser = Client()
    other_browser.force_login(alice)
    assert client.get("/settings").status_code == 200
    lifecycle.suspend(alice, moderator, "spam")
    lifecycle.unsuspend(alice, moderator)
    for browser in (client, other_browser):
        response = browser.get("/settings")
        assert response.status_code == 302 and response.url.startswith("/login")
    # The account itself works again: a fresh log-in succeeds.
    assert client.post("/login", {"username": "alice", "password": PASSWORD}).status_code == 302
    assert client.get("/settings").status_code == 200


def test_sessions_made_before_any_suspension_keep_the_stock_hash(alice):
    from django.contrib.auth.base_user import AbstractBaseUser

    assert alice.get_session_auth_hash() == AbstractBaseUser._get_session_auth_hash(alice)


def test_settings_link_to_the_digest_subscription(client, alice):
    from dailypapers.digests.models import Subscription

    client.force_login(alice)
    assert 'href="/digests/subscribe"' in client.get("/settings").content.decode()
    Subscription.objects.create(email="alice@example.org", user=alice, status="active", frequency="weekly")
    body = client.get("/settings").content.decode()
    assert "alice@example.org: subscribed, weekly (mondays)" in body and 'href="/digests/manage/' in body
    manage = re.search(r'href="(/digests/manage/[^"]+)"', body).group(1)
    assert client.get(manage).status_code == 200
    data = json.loads(client.get("/settings/export").content)
    assert data["digest_subscriptions"][0]["frequency"] == "weekly"

