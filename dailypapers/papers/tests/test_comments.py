import re

import pytest
from django.core import mail
from django.test import Client

from dailypapers.accounts.models import User
from dailypapers.accounts.tests.people import make_papers, make_user
from dailypapers.papers import comments, markup
from dailypapers.papers.models import Comment, ModerationLog, Paper, Submission

pytestmark = pytest.mark.django_db

SAFE_TAGS = {"p", "a", "strong", "em", "code", "pre", "ul", "ol", "li", "blockquote", "br"}


@pytest.fixture
def paper(db):
    return make_papers(1, hf_comments=4)[0]


def count(paper):
    paper.refresh_from_db()
    return paper.local_comments


def say(client, paper, body, parent=None):
    data = {"body": body} | ({"parent": parent.pk} if parent else {})
    return client.post(f"/papers/{paper.arxiv_id}/comments", data)


# -- Markdown ------------------------------------------------------------------------------------------
def test_markdown_keeps_a_safe_subset():
    html = markup.render("**bold** *it* `x<y` [site](https://example.org/a?b=1&c=2)\n\n- one\n- two\n\n> quoted")
    assert "<strong>bold</strong>" in html and "<em>it</em>" in html and "<code>x&lt;y</code>" in html
    assert '<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow ugc noopener">site</a>' in html
    assert "<li>one</li>" in html and "<blockquote>" in html


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))", "<javascript:alert(1)>", "[x](data:text/html,<script>alert(1)</script>)",
    "![x](https://example.org/track.png)", '<a href="https://example.org" onclick="alert(1)">x</a>',
])
def test_markdown_never_emits_raw_html_scripts_or_unsafe_links(hostile):
    html = markup.render(hostile)
    assert set(re.findall(r"<\s*/?\s*([a-zA-Z]+)", html)) <= SAFE_TAGS
    for attributes in re.findall(r"<a ([^>]*)>", html):
        assert re.fullmatch(r'href="https://[^"]*" rel="nofollow ugc noopener"', attributes)


# -- posting -------------------------------------------------------------------------------------------
def test_a_comment_and_its_replies_stay_one_level_deep(client, alice, bob, paper):
    client.force_login(alice)
    response = say(client, paper, "Does the *moon* matter?")
    root = Comment.objects.get()
    assert response.url == f"{paper.get_absolute_url()}#comment-{root.pk}"
    client.force_login(bob)
    say(client, paper, "It does.", parent=root)
    reply = Comment.objects.get(author=bob)
    client.force_login(alice)
    say(client, paper, "Thanks!", parent=reply)  # a reply to a reply joins the same thread
    assert Comment.objects.get(body="Thanks!").parent == root
    assert count(paper) == 3 and paper.num_comments == 7
    body = client.get(paper.get_absolute_url()).content.decode()
    assert "<em>moon</em>" in body and "It does." in body
    [thread] = comments.thread(paper, alice)
    assert [r.body for r in thread.shown_replies] == ["It does.", "Thanks!"]


def test_hostile_comment_text_is_shown_as_text(client, alice, paper):
    client.force_login(alice)
    say(client, paper, '<script>alert(1)</script> "><img src=x onerror=alert(2)> $<$ &')
    body = client.get(paper.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_empty_too_long_and_foreign_replies_are_refused(client, alice, paper):
    other = make_papers(2)[0]
    elsewhere = comments.post(other, alice, "On another paper")
    client.force_login(alice)
    for body, parent in [("   ", None), ("x" * 5001, None), ("hi", elsewhere)]:
        say(client, paper, body, parent)
    assert count(paper) == 0


def test_commenting_needs_a_login_a_verified_email_and_a_post(client, charlie, paper):
    assert say(client, paper, "anonymous?").url.startswith("/login?next=")
    client.force_login(charlie)
    say(client, paper, "unverified")
    assert client.get(f"/papers/{paper.arxiv_id}/comments").status_code == 405
    assert Comment.objects.count() == 0
    assert "Confirm your email to join the discussion" in client.get(paper.get_absolute_url()).content.decode()


def test_comments_need_the_csrf_token(alice, paper):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert say(client, paper, "hello").status_code == 403


def test_comments_are_rate_limited(client, alice, paper, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "comment": (2, 600)}
    client.force_login(alice)
    say(client, paper, "one")
    say(client, paper, "two")
    assert say(client, paper, "three").status_code == 429
    assert count(paper) == 2


# -- edit and delete -------------------------------------------------------------------------------------
def test_authors_edit_their_own_comments_only(client, alice, bob, paper):
    comment = comments.post(paper, alice, "Frist")
    client.force_login(bob)
    assert client.post(f"/comments/{comment.pk}/edit", {"body": "pwned"}).status_code == 404
    client.force_login(alice)
    assert client.get(f"/comments/{comment.pk}/edit").status_code == 200
    client.post(f"/comments/{comment.pk}/edit", {"body": "First"})
    comment.refresh_from_db()
    assert comment.body == "First" and comment.edited_at
    assert "· edited" in client.get(paper.get_absolute_url()).content.decode()


def test_deleting_keeps_a_placeholder_only_when_others_replied(client, alice, bob, paper):
    lonely = comments.post(paper, alice, "Nobody answers this")
    root = comments.post(paper, alice, "Ask me anything")
    comments.post(paper, bob, "Why the moon?", parent=root)
    client.force_login(bob)
    assert client.post(f"/comments/{root.pk}/delete").status_code == 404
    client.force_login(alice)
    client.post(f"/comments/{root.pk}/delete")
    client.post(f"/comments/{lonely.pk}/delete")
    assert count(paper) == 1
    body = client.get(paper.get_absolute_url()).content.decode()
    assert "[deleted]" in body and "Why the moon?" in body
    assert "Ask me anything" not in body and "Nobody answers this" not in body
    assert [c.pk for c in comments.thread(paper, alice)] == [root.pk]
    assert client.post(f"/comments/{root.pk}/delete").status_code == 404, "deleting twice"
    assert count(paper) == 1


# -- moderation ----------------------------------------------------------------------------------------
def test_staff_hide_and_unhide_with_an_audit_log(client, alice, bob, moderator, paper):
    comment = comments.post(paper, alice, "Buy cheap pills")
    client.force_login(bob)
    assert client.post(f"/comments/{comment.pk}/hide").status_code == 404
    client.force_login(moderator)
    client.post(f"/comments/{comment.pk}/hide", {"hidden": "1", "note": "spam"})
    assert count(paper) == 0
    assert "Buy cheap pills" in client.get(paper.get_absolute_url()).content.decode(), "staff still see it"
    client.force_login(bob)
    assert "Buy cheap pills" not in client.get(paper.get_absolute_url()).content.decode()
    client.force_login(moderator)
    client.post(f"/comments/{comment.pk}/hide", {"hidden": "1"})  # twice: no change, no second entry
    client.post(f"/comments/{comment.pk}/hide", {"hidden": "0"})
    assert count(paper) == 1
    log = list(ModerationLog.objects.order_by("id").values_list("actor__username", "action", "target_id", "note"))
    assert log == [("mod", "hide_comment", str(comment.pk), "spam"), ("mod", "unhide_comment", str(comment.pk), "")]


def test_hiding_a_deleted_comment_does_not_count_it_twice(alice, moderator, paper):
    comment = comments.post(paper, alice, "oops")
    comments.delete(comment, alice)
    comments.set_hidden(comment, True, moderator)
    comments.set_hidden(comment, False, moderator)
    assert count(paper) == 0


# -- notifications ---------------------------------------------------------------------------------------
def test_the_submitter_and_thread_participants_get_an_email(client, alice, bob, paper,
                                                           django_capture_on_commit_callbacks):
    charlie = make_user("charlie")
    dora = make_user("dora", verified=False)
    Submission.objects.create(paper=paper, feed_day=paper.published, submitted_at=paper.created_at, submitter=alice)
    root = comments.post(paper, bob, "Nice result")
    comments.post(paper, dora, "me too", parent=root)
    client.force_login(charlie)
    with django_capture_on_commit_callbacks(execute=True):
        say(client, paper, "What about tides?", parent=root)
    recipients = sorted((m.to[0], m.subject) for m in mail.outbox)
    title = "Invented paper number 1"
    assert recipients == [("alice@example.org", f"New comment on “{title}”"),
                          ("bob@example.org", f"New reply on “{title}”")], "not the writer, not unverified"
    message = next(m for m in mail.outbox if m.to == ["bob@example.org"])
    assert "What about tides?" in message.body and message.extra_headers["List-Unsubscribe-Post"]
    assert message.extra_headers["List-Unsubscribe"].startswith("<http://testserver/unsubscribe/")


def test_notifications_respect_preferences(client, alice, bob, paper, django_capture_on_commit_callbacks):
    Submission.objects.create(paper=paper, feed_day=paper.published, submitted_at=paper.created_at, submitter=alice)
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        say(client, paper, "Hello")
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]
    User.objects.filter(pk=alice.pk).update(notify_comments_on_submissions=False)
    with django_capture_on_commit_callbacks(execute=True):
        say(client, paper, "Hello again")
    assert len(mail.outbox) == 1


def test_a_failing_mail_server_does_not_lose_the_comment(client, alice, bob, paper, monkeypatch,
                                                        django_capture_on_commit_callbacks):
    Submission.objects.create(paper=paper, feed_day=paper.published, submitted_at=paper.created_at, submitter=alice)

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("dailypapers.accounts.emails.send_comment_notification", broken)
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert say(client, paper, "Still here").status_code == 302
    assert len(callbacks) == 2 and count(paper) == 1  # the page-cache refresh, then the (failed) mail


def test_a_hidden_paper_takes_no_comments(client, alice, paper):
    Paper.objects.filter(pk=paper.pk).update(hidden=True)
    client.force_login(alice)
    assert say(client, paper, "hello").status_code == 404
