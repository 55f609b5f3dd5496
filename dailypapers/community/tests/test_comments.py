import re

import pytest
from django.core import mail
from django.test import Client

from dailypapers.accounts.models import User
from dailypapers.accounts.tests.people import make_papers, make_user
from dailypapers.community import comments, markup
from dailypapers.community.models import Comment, ModerationLog
from dailypapers.papers.models import Paper, Submission

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


# -- stored HTML (issue #18) ---------------------------------------------------------------------------
PATHOLOGICAL = ("[*_" * 1667)[:5000]


def test_it_stores_the_html_when_a_comment_is_written_edited_or_deleted(client, alice, paper):
    client.force_login(alice)
    say(client, paper, "Some *emphasis*")
    comment = Comment.objects.get()
    assert comment.body_html == "<p>Some <em>emphasis</em></p>\n" and comment.html_version == markup.VERSION
    client.post(f"/comments/{comment.pk}/edit", {"body": "Now **strong**"})
    comment.refresh_from_db()
    assert comment.body_html == "<p>Now <strong>strong</strong></p>\n"
    comments.delete(comment, alice)
    comment.refresh_from_db()
    assert comment.body == comment.body_html == ""


def test_it_renders_again_what_an_older_renderer_stored(client, alice, paper):
    comment = comments.post(paper, alice, "Some *emphasis*")
    Comment.objects.filter(pk=comment.pk).update(body_html="<p>old renderer</p>", html_version=markup.VERSION - 1)
    page = client.get(paper.get_absolute_url()).content.decode()
    assert "<em>emphasis</em>" in page and "old renderer" not in page
    assert Comment.objects.filter(pk=comment.pk, html_version=markup.VERSION, body_html__contains="<em>").exists()


def test_it_shows_markdown_heavy_text_as_plain_escaped_text():
    html = markup.render(PATHOLOGICAL + "<script>")
    assert html.startswith("<p>[*_[*_") and "<em>" not in html and "<a " not in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "<em>" in markup.render("*a* " * (markup.MAX_MARKS // 2))  # up to the bound: Markdown as usual


def _median_seconds(client, urls, times=11):
    """The median time of GET for each of ``urls``, taken in turns so that a busy moment of the machine
    falls on all of them alike."""
    import statistics
    import time

    spent = {url: [] for url in urls}
    for _ in range(times):
        for url in urls:
            start = time.perf_counter()
            assert client.get(url).status_code == 200
            spent[url].append(time.perf_counter() - start)
    return [statistics.median(spent[url]) for url in urls]


@pytest.mark.parametrize("page_cache_s", [0, 600])
def test_it_shows_pathological_comments_as_fast_as_none(client, alice, paper, settings, page_cache_s):
    # Before comments stored their HTML, each of these cost a Markdown parse on every view (tens of ms
    # each here): the paper page and the comments API took 10-50x as long as for a paper without them.
    settings.PAGE_CACHE_SECONDS = page_cache_s
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "comment": (100, 600)}
    quiet = make_papers(2)[0]
    client.force_login(alice)
    for _ in range(6):
        assert say(client, paper, PATHOLOGICAL).status_code == 302
    # The paper page signed in (never a cached page), the comments API anonymously.
    for reader, path, tail in ((client, "", ""), (Client(), "/api/v1", "/comments")):
        urls = [f"{path}/papers/{paper.arxiv_id}{tail}", f"{path}/papers/{quiet.arxiv_id}{tail}"]
        _median_seconds(reader, urls, 1)  # warm both
        busy, calm = _median_seconds(reader, urls)
        assert busy < 2 * calm, urls[0]


def test_the_discussion_is_cached_with_the_paper_and_refreshed_by_a_comment(
        client, alice, paper, settings, django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.PAGE_CACHE_SECONDS = 600
    comments.post(paper, alice, "first")
    url = f"/api/v1/papers/{paper.arxiv_id}/comments"
    assert [c["body"] for c in client.get(url).json()["items"]] == ["first"]
    with CaptureQueriesContext(connection) as queries:
        assert [c["body"] for c in client.get(url).json()["items"]] == ["first"]
    assert not [q for q in queries if "papers_comment" in q["sql"]]
    with django_capture_on_commit_callbacks(execute=True):
        comments.post(paper, alice, "second")
    assert [c["body"] for c in client.get(url).json()["items"]] == ["first", "second"]


@pytest.mark.django_db(transaction=True)
def test_it_stores_the_html_of_comments_written_before_the_migration(alice, paper):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    # By name, not number: migrations may be renumbered when branches merge.
    [after] = [key for key in executor.loader.graph.nodes if key[0] == "papers" and key[1].endswith("_comment_html")]
    before = [dep for dep in executor.loader.graph.node_map[after].parents if dep.key[0] == "papers"]
    before, after = [before[0].key], [after]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("papers", "Comment")
    old.objects.create(paper_id=paper.pk, author_id=alice.pk, body="Old *comment*")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert Comment.objects.get().body_html == "<p>Old <em>comment</em></p>\n"


def test_the_paper_page_shows_one_count_for_our_discussion_and_hugging_faces_apart(client, paper, alice):
    Paper.objects.filter(pk=paper.pk).update(hf_comments=2)
    comments.post(paper, alice, "A first comment here")
    body = re.sub(r"\s+", " ", client.get(paper.get_absolute_url()).content.decode())
    assert re.search(r'<a class="comments" href="#comments" data-count="1">.*?1 comment</a>', body)
    assert "2 comments on Hugging Face</a>" in body and f"huggingface.co/papers/{paper.arxiv_id}#community" in body
    assert re.search(r"Discussion .{0,80}· 1 comment<", body)
    assert "3 comments" not in body  # never the two added up beside either of them
