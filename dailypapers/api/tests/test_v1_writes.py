"""``/api/v1`` writes with a bearer token: upvote / unvote, submit, comment, save / unsave; token
authentication (401 / 403, no session cookie, no CSRF); the token and per-action rate limits; CORS for
writes; and the comments list."""

import datetime as dt
import json

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from dailypapers.accounts.models import ApiToken
from dailypapers.accounts.tests.people import make_papers, make_user
from dailypapers.community import comments
from dailypapers.community.models import COMMENT_MAX_CHARS, Collection, Comment
from dailypapers.community.tests.test_submit import atom
from dailypapers.lib import calendar
from dailypapers.papers.models import Paper, Submission, Upvote
from dailypapers.sources.tests.replay import Reply, ok

from .. import submissions
from ..auth import TokenAuth
from ..http import MAX_BODY_BYTES
from .corpus import HOSTILE

pytestmark = pytest.mark.django_db

LANTERNS = "2603.00001"  # featured on Monday 2026-03-02 with 50 Hugging Face votes and 2 local ones
HIDDEN = "2603.00008"


@pytest.fixture
def verified_alice(alice):
    """alice of the corpus, with her email confirmed (her votes count; she may post)."""
    alice.email_verified_at = timezone.now()
    alice.save(update_fields=["email_verified_at"])
    return alice


def bearer(user, name="script"):
    """The Authorization header of a new token of ``user``."""
    _token, raw = ApiToken.issue(user, name)
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def auth(verified_alice):
    return bearer(verified_alice)


def send(client, method, url, headers, body=None, **extra):
    """A JSON write: ``body`` serialized (a str is sent as it is)."""
    data = body if isinstance(body, str) or body is None else json.dumps(body)
    return getattr(client, method)(url, data=data, content_type="application/json", headers=headers, **extra)


def error(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code, response.content
    return response.json()["error"]["message"]


def upvotes(arxiv_id=LANTERNS):
    return Paper.objects.get(arxiv_id=arxiv_id).upvotes


# -- upvotes -------------------------------------------------------------------------------------------
def test_it_upvotes_and_unvotes_idempotently(client, corpus, auth, verified_alice):
    url = f"/api/v1/papers/{LANTERNS}/upvote"
    for _ in range(2):
        response = client.post(url, headers=auth)
        assert response.status_code == 200
        assert response.json() == {"paper": LANTERNS, "voted": True, "upvotes": 53, "counted": True}
    assert Upvote.objects.filter(user=verified_alice, paper__arxiv_id=LANTERNS).count() == 1 and upvotes() == 53
    for _ in range(2):
        assert client.delete(url, headers=auth).json() == {"paper": LANTERNS, "voted": False, "upvotes": 52,
                                                           "counted": True}
    assert not Upvote.objects.exists() and upvotes() == 52


def test_it_finds_the_paper_by_any_id_form_and_old_style_ids(client, corpus, auth):
    assert client.post(f"/api/v1/papers/{LANTERNS}v3/upvote", headers=auth).json()["paper"] == LANTERNS
    assert client.post("/api/v1/papers/astro-ph/0601001/upvote", headers=auth).json()["upvotes"] == 8


def test_an_unconfirmed_users_vote_is_kept_but_not_counted(client, corpus, alice):
    response = client.post(f"/api/v1/papers/{LANTERNS}/upvote", headers=bearer(alice))
    assert response.json() == {"paper": LANTERNS, "voted": True, "upvotes": 52, "counted": False}
    assert Upvote.objects.filter(user=alice).count() == 1


def test_unknown_hidden_and_malformed_papers_are_404(client, corpus, auth):
    for arxiv_id in ("2603.09999", HIDDEN, "not-an-id"):
        error(client.post(f"/api/v1/papers/{arxiv_id}/upvote", headers=auth), 404, "not_found")
        error(client.put(f"/api/v1/papers/{arxiv_id}/save", headers=auth), 404, "not_found")
        error(send(client, "post", f"/api/v1/papers/{arxiv_id}/comments", auth, {"body": "hi"}), 404, "not_found")
    assert not Upvote.objects.exists() and not Comment.objects.exists()


@pytest.fixture
def cached_pages(settings, django_capture_on_commit_callbacks):
    """Whole-page caching on, as in production; page-cache bumps run when the write commits."""
    settings.PAGE_CACHE_SECONDS = 600
    return django_capture_on_commit_callbacks


def test_an_api_vote_refreshes_the_cached_pages_that_show_the_paper(client, corpus, auth, cached_pages):
    pages = [f"/papers/{LANTERNS}", "/papers/date/2026-03-02", "/papers/2603.00003"]
    for url in pages:
        client.get(url)
        assert client.get(url)["X-Page-Cache"] == "hit", url
    with cached_pages(execute=True):
        assert client.post(f"/api/v1/papers/{LANTERNS}/upvote", headers=auth).json()["upvotes"] == 53
    for url in pages[:2]:
        page = client.get(url)
        assert page.get("X-Page-Cache") != "hit" and 'data-count="53"' in page.content.decode(), url
    assert client.get("/papers/2603.00003")["X-Page-Cache"] == "hit"  # another day's paper: untouched


# -- authentication ------------------------------------------------------------------------------------
WRITES = [("post", f"/api/v1/papers/{LANTERNS}/upvote", None), ("delete", f"/api/v1/papers/{LANTERNS}/upvote", None),
          ("post", "/api/v1/submissions", {"paper": "2603.00050"}),
          ("post", f"/api/v1/papers/{LANTERNS}/comments", {"body": "Nice"}),
          ("put", f"/api/v1/papers/{LANTERNS}/save", None), ("delete", f"/api/v1/papers/{LANTERNS}/save", None)]


@pytest.mark.parametrize(("method", "url", "body"), WRITES)
def test_a_write_without_a_token_is_401_with_a_bearer_challenge(client, corpus, method, url, body):
    response = send(client, method, url, {}, body)
    assert "Authorization: Bearer" in error(response, 401, "unauthorized")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    other_scheme = send(client, method, url, {"Authorization": "Basic YWxpY2U6cHc="}, body)
    error(other_scheme, 401, "unauthorized")


@pytest.mark.parametrize(("method", "url", "body"), WRITES)
def test_a_session_cookie_alone_is_not_accepted(client, corpus, verified_alice, method, url, body):
    client.force_login(verified_alice)
    error(send(client, method, url, {}, body), 401, "unauthorized")
    assert not Upvote.objects.exists() and not Comment.objects.exists() and not Collection.objects.exists()


def test_writes_need_no_csrf_token_with_a_bearer_token(corpus, auth, verified_alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(verified_alice)  # a session cookie too: the bearer token is what counts
    assert browser.post(f"/api/v1/papers/{LANTERNS}/upvote", headers=auth).status_code == 200
    assert send(browser, "post", f"/api/v1/papers/{LANTERNS}/comments", auth, {"body": "ok"}).status_code == 201


def test_a_forged_or_revoked_token_is_401_on_writes_and_v1_reads(client, corpus, verified_alice):
    token, raw = ApiToken.issue(verified_alice, "old")
    token.delete()
    for header in ("Bearer dp_forged-token-never-issued", f"Bearer {raw}", "Bearer ", "bearer dp_x"):
        headers = {"Authorization": header}
        response = client.post(f"/api/v1/papers/{LANTERNS}/upvote", headers=headers)
        error(response, 401, "unauthorized")
        assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
        error(client.get("/api/v1/papers", headers=headers), 401, "unauthorized")
    assert not Upvote.objects.exists()


def test_a_foreign_token_on_the_hugging_face_paths_is_ignored(client, corpus):
    # huggingface_hub sends its own hf_… token wherever it points.
    headers = {"Authorization": "Bearer hf_aTokenOfAnotherService"}
    assert client.get(f"/api/papers/{LANTERNS}", headers=headers).status_code == 200
    assert client.get(f"/papers/{LANTERNS}.md", headers=headers).status_code == 200


def test_a_token_of_a_suspended_or_deactivated_account_is_403(client, corpus, verified_alice, auth):
    verified_alice.suspended_at = timezone.now()
    verified_alice.save(update_fields=["suspended_at"])
    error(client.post(f"/api/v1/papers/{LANTERNS}/upvote", headers=auth), 403, "account_disabled")
    verified_alice.suspended_at, verified_alice.is_active = None, False
    verified_alice.save(update_fields=["suspended_at", "is_active"])
    error(client.post(f"/api/v1/papers/{LANTERNS}/upvote", headers=auth), 403, "account_disabled")
    error(client.get("/api/v1/days", headers=auth), 403, "account_disabled")
    assert not Upvote.objects.exists()


def test_a_live_token_reads_too_and_is_recorded_as_used(client, corpus, verified_alice, auth):
    assert client.get(f"/api/v1/papers/{LANTERNS}", headers=auth).json()["upvotes"] == 52
    assert ApiToken.objects.get(user=verified_alice).last_used_at is not None


# -- submissions ---------------------------------------------------------------------------------------
def submit_paper(client, headers, text):
    return send(client, "post", "/api/v1/submissions", headers, {"paper": text})


def test_it_submits_a_paper_the_site_has_and_answers_201_with_it(client, corpus, auth, verified_alice):
    make_papers(50)
    response = submit_paper(client, auth, "https://arxiv.org/abs/2603.00050v1")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] == "2603.00050" and body["title"] == "Invented paper number 50"
    assert body["featured"]["submitter"] == "alice"
    assert body["featured"]["day"] == calendar.current_feed_day().isoformat()
    assert Submission.objects.get(paper__arxiv_id="2603.00050").submitter == verified_alice


def test_it_fetches_a_new_paper_from_arxiv(client, corpus, auth, arxiv):
    published = timezone.now().date() - dt.timedelta(days=2)
    arxiv.add("/api/query", {"id_list": "2603.04444", "start": 0, "max_results": 1}, ok(atom("2603.04444", published)))
    response = submit_paper(client, auth, "2603.04444")
    assert response.status_code == 201
    assert response.json()["title"] == "Lanterns & Moths: Light-Seeking Agents for $x<y$ Worlds"
    assert [a["name"] for a in response.json()["authors"]] == ["Mirela Quint", "Sol Achebe"]


def test_each_refused_submission_says_why_with_its_own_status(client, corpus, auth, arxiv, settings):
    assert "not an arXiv id" in error(submit_paper(client, auth, "https://example.org/x.pdf"), 400, "invalid_id")
    assert "already featured" in error(submit_paper(client, auth, LANTERNS), 409, "already_featured")
    assert "cannot be submitted" in error(submit_paper(client, auth, HIDDEN), 403, "not_submittable")
    make_papers(51, published=timezone.now().date() - dt.timedelta(days=settings.SUBMIT_MAX_AGE_DAYS + 1))
    assert "more than" in error(submit_paper(client, auth, "2603.00051"), 400, "too_old")
    arxiv.add("/api/query", None, ok(atom()))
    assert "arXiv has no paper" in error(submit_paper(client, auth, "2603.07777"), 404, "unknown_paper")
    assert not Submission.objects.filter(submitter__isnull=False).exclude(paper__arxiv_id="2603.00003").exists()


def test_arxiv_being_down_is_a_503_with_retry_after(client, corpus, auth, arxiv):
    arxiv.add("/api/query", None, Reply(503, b"busy", content_type="text/plain"))
    response = submit_paper(client, auth, "2603.05555")
    assert "could not be reached" in error(response, 503, "arxiv_unavailable")
    assert response["Retry-After"] == str(submissions.ARXIV_RETRY_AFTER_S)
    assert not Paper.objects.filter(arxiv_id="2603.05555").exists()


def test_the_daily_cap_is_a_429_until_the_feed_day_rolls_over(client, corpus, auth, settings):
    settings.SUBMIT_DAILY_CAP = 1
    make_papers(52, 53)
    assert submit_paper(client, auth, "2603.00052").status_code == 201
    response = submit_paper(client, auth, "2603.00053")
    assert "the daily limit" in error(response, 429, "daily_cap")
    assert 0 < int(response["Retry-After"]) <= 3 * 24 * 3600  # at most a weekend away


def test_the_rollover_is_14_00_eastern_on_the_feed_day_itself():
    friday_evening = dt.datetime(2026, 3, 6, 20, 0, tzinfo=dt.UTC)  # 15:00 Eastern: Monday's list
    monday_rollover = dt.datetime(2026, 3, 9, 14, 0, tzinfo=calendar.EASTERN)  # after the DST change
    with time_machine.travel(friday_evening, tick=False):
        assert submissions.seconds_to_next_feed_day() == (monday_rollover - friday_evening).total_seconds()


def test_submitting_needs_a_confirmed_email(client, corpus, alice):
    make_papers(54)
    assert "Confirm your email" in error(submit_paper(client, bearer(alice), "2603.00054"), 403, "email_unverified")
    assert not Submission.objects.filter(paper__arxiv_id="2603.00054").exists()


# -- comments ------------------------------------------------------------------------------------------
def comment(client, headers, body, arxiv_id=LANTERNS, **fields):
    return send(client, "post", f"/api/v1/papers/{arxiv_id}/comments", headers, {"body": body, **fields})


def test_it_posts_a_comment_lists_it_and_refreshes_the_paper_page(client, corpus, auth, cached_pages):
    client.get(f"/papers/{LANTERNS}")
    with cached_pages(execute=True):
        response = comment(client, auth, "  **Bold** claim, see [the code](https://example.org).\n")
    assert response.status_code == 201
    posted = response.json()
    assert posted["body"] == "**Bold** claim, see [the code](https://example.org)."
    assert posted["body_html"] == ('<p><strong>Bold</strong> claim, see <a href="https://example.org" '
                                   'rel="nofollow ugc noopener">the code</a>.</p>\n')
    assert posted["author"] == "alice" and posted["state"] == "visible" and posted["parent"] is None
    assert posted["url"] == f"http://testserver/papers/{LANTERNS}#comment-{posted['id']}"
    assert Paper.objects.get(arxiv_id=LANTERNS).local_comments == 2
    listed = client.get(f"/api/v1/papers/{LANTERNS}/comments").json()
    assert listed["count"] == 2 and [c["id"] for c in listed["items"]] == [posted["id"]]
    page = client.get(f"/papers/{LANTERNS}")
    assert page.get("X-Page-Cache") != "hit" and "<strong>Bold</strong> claim" in page.content.decode()


def test_replies_join_the_thread_of_their_parent(client, corpus, auth):
    root = comment(client, auth, "first").json()
    reply = comment(client, auth, "second", parent=root["id"]).json()
    nested = comment(client, auth, "third", parent=reply["id"]).json()
    assert reply["parent"] == nested["parent"] == root["id"]
    [thread] = client.get(f"/api/v1/papers/{LANTERNS}/comments").json()["items"]
    assert [r["body"] for r in thread["replies"]] == ["second", "third"]
    elsewhere = comment(client, auth, "stray", arxiv_id="2603.00002", parent=root["id"])
    error(elsewhere, 404, "not_found")


def test_hostile_comment_text_is_stored_as_sent_and_returned_inert(client, corpus, auth):
    hostile = HOSTILE + ' [x](javascript:alert(3)) <a href="data:text/html,1">y</a>'
    posted = comment(client, auth, hostile).json()
    assert Comment.objects.get(pk=posted["id"]).body == hostile == posted["body"]
    listed = client.get(f"/api/v1/papers/{LANTERNS}/comments").json()["items"][0]
    for html in (posted["body_html"], listed["body_html"]):
        assert "<script" not in html and "<img" not in html and "<a href" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and 'href="javascript' not in html
    page = client.get(f"/papers/{LANTERNS}").content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_comment_length_limits_are_the_webs(client, corpus, auth):
    longest = "x" * COMMENT_MAX_CHARS
    assert comment(client, auth, f"\n  {longest}  \n").json()["body"] == longest  # whitespace does not count
    too_long = error(comment(client, auth, longest + "y"), 400, "invalid_request")
    assert too_long == "body: String should have at most 5000 characters"
    for empty in ("", "   \n\t "):
        error(comment(client, auth, empty), 400, "invalid_request")
    assert Comment.objects.count() == 1 and Paper.objects.get(arxiv_id=LANTERNS).local_comments == 2


@pytest.mark.parametrize("raw", [
    '{"body": "a\\u0000b"}',  # NUL: PostgreSQL cannot store it; the web form refuses it too
    '{"body": "a\\ud800b"}',  # a lone surrogate: not encodable
    '{"body": "ok", "author": "mallory"}',  # an unknown key
    '{"body": "ok", "parent": "1"}',  # a string for a number
    '{"body": "ok", "parent": true}',
    '{"body": 12}', '["ok"]', '{"body": "unterminated', "",
])
def test_malformed_comment_bodies_are_400_and_store_nothing(client, corpus, auth, raw):
    error(send(client, "post", f"/api/v1/papers/{LANTERNS}/comments", auth, raw), 400, "invalid_request")
    assert not Comment.objects.exists()


def test_an_oversized_body_is_413_and_stores_nothing(client, corpus, auth):
    response = comment(client, auth, "x" * MAX_BODY_BYTES)
    error(response, 413, "payload_too_large")
    assert not Comment.objects.exists() and Paper.objects.get(arxiv_id=LANTERNS).local_comments == 1


def test_commenting_needs_a_confirmed_email(client, corpus, alice):
    assert "Confirm your email" in error(comment(client, bearer(alice), "hello"), 403, "email_unverified")
    assert not Comment.objects.exists()


def test_deleted_and_hidden_comments_list_as_placeholders_while_replied_to(client, corpus, auth, verified_alice):
    gone, hidden = (comment(client, auth, text).json()["id"] for text in ("gone", "rude"))
    for root in (gone, hidden):
        comment(client, auth, "a reply", parent=root)
    comments.delete(Comment.objects.get(pk=gone), verified_alice)
    comments.set_hidden(Comment.objects.get(pk=hidden), True, make_user("mod", staff=True))
    listed = client.get(f"/api/v1/papers/{LANTERNS}/comments").json()
    assert [(c["state"], c["body"], c["body_html"], c["author"]) for c in listed["items"]] == [
        ("deleted", "", "", None), ("hidden", "", "", None)]
    assert all(c["replies"][0]["body"] == "a reply" for c in listed["items"])
    assert listed["count"] == 1 + 2  # the corpus's one, and the two replies


# -- collections ---------------------------------------------------------------------------------------
def test_it_saves_to_the_reading_list_idempotently_and_removes(client, corpus, auth, verified_alice):
    url = f"/api/v1/papers/{LANTERNS}/save"
    first, again = client.put(url, headers=auth).json(), client.put(url, headers=auth).json()
    assert (first["saved"], first["changed"], again["changed"]) == (True, True, False)
    assert first["collection"] == {"slug": "reading-list", "name": "Reading list", "reading_list": True,
                                   "public": False,
                                   "url": "http://testserver/users/alice/collections/reading-list"}
    reading_list = Collection.objects.get(owner=verified_alice, is_reading_list=True)
    assert list(reading_list.papers.values_list("arxiv_id", flat=True)) == [LANTERNS]
    removed = client.delete(url, headers=auth).json()
    assert (removed["saved"], removed["changed"]) == (False, True)
    assert client.delete(url, headers=auth).json()["changed"] is False
    assert not reading_list.papers.exists()


def test_it_saves_to_a_named_collection_of_the_caller_only(client, collected, auth):
    url = "/api/v1/papers/2603.00004/save"
    saved = client.put(f"{url}?collection=lantern-reading", headers=auth)
    assert saved.json()["collection"]["slug"] == "lantern-reading" and saved.json()["changed"] is True
    assert collected.papers.filter(arxiv_id="2603.00004").exists()
    error(client.put(f"{url}?collection=bobs-picks", headers=auth), 404, "not_found")  # bob's
    error(client.put(f"{url}?collection=no-such-list", headers=auth), 404, "not_found")
    error(client.put(f"{url}?collection=bad%20slug!", headers=auth), 400, "invalid_request")


def test_a_hidden_paper_can_still_leave_a_collection(client, collected, auth):
    assert collected.items.filter(paper__arxiv_id=HIDDEN).exists()
    response = client.delete(f"/api/v1/papers/{HIDDEN}/save?collection=lantern-reading", headers=auth)
    assert response.json()["changed"] is True and not collected.items.filter(paper__arxiv_id=HIDDEN).exists()


# -- rate limits ---------------------------------------------------------------------------------------
def test_token_requests_count_in_a_larger_bucket_of_their_own(client, corpus, verified_alice, settings):
    settings.API_RATE_LIMIT, settings.API_TOKEN_RATE_LIMIT = 2, 4
    first, second = bearer(verified_alice, "one"), bearer(verified_alice, "two")
    for remaining in (1, 0):
        assert client.get("/api/v1/days")["RateLimit-Remaining"] == str(remaining)
    error(client.get("/api/v1/days"), 429, "rate_limited")  # the address's bucket is empty …
    calls = [lambda: client.get("/api/v1/days", headers=first),
             lambda: client.post(f"/api/v1/papers/{LANTERNS}/upvote", headers=first)] * 2
    for remaining, call in zip((3, 2, 1, 0), calls, strict=True):  # … but reads and writes with a token count apart
        response = call()
        assert response.status_code == 200 and response["RateLimit-Limit"] == "4"
        assert response["RateLimit-Remaining"] == str(remaining)
    refused = client.post(f"/api/v1/papers/{LANTERNS}/upvote", headers=first)
    assert "4 per 300 s" in error(refused, 429, "rate_limited")
    assert int(refused["Retry-After"]) == int(refused["RateLimit-Reset"]) > 0
    assert client.get("/api/v1/days", headers=second).status_code == 200  # each token has its own


def test_the_sites_per_action_limits_apply_to_api_writes(client, corpus, auth, verified_alice, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "vote": (2, 60), "comment": (1, 600)}
    for _ in range(2):
        assert client.post(f"/api/v1/papers/{LANTERNS}/upvote", headers=auth).status_code == 200
    refused = client.post(f"/api/v1/papers/{LANTERNS}/upvote", headers=auth)
    assert "2 per 60 s" in error(refused, 429, "rate_limited")
    # A sliding window of 10 s slots: a burst waits until its slot has left the minute, 60-70 s.
    assert refused["RateLimit-Limit"] == "2" and 0 < int(refused["Retry-After"]) <= 70
    # The limit is the user's, whatever token or address: the web form counts in the same bucket.
    client.force_login(verified_alice)
    assert client.post(f"/papers/{LANTERNS}/upvote", {"vote": "1"}).status_code == 429
    assert comment(client, auth, "one").status_code == 201
    error(comment(client, bearer(verified_alice, "other"), "two"), 429, "rate_limited")
    assert Comment.objects.count() == 1


# -- CORS and OpenAPI ----------------------------------------------------------------------------------
def preflight(client, url, method):
    return client.options(url, headers={"Origin": "https://app.example", "Access-Control-Request-Method": method,
                                        "Access-Control-Request-Headers": "authorization, content-type"})


@pytest.mark.parametrize(("url", "methods"), [
    (f"/api/v1/papers/{LANTERNS}/upvote", "POST, DELETE, OPTIONS"),
    (f"/api/v1/papers/{LANTERNS}/save", "PUT, DELETE, OPTIONS"),
    (f"/api/v1/papers/{LANTERNS}/comments", "GET, HEAD, POST, OPTIONS"),
    ("/api/v1/submissions", "POST, OPTIONS"),
])
def test_a_preflight_allows_the_routes_writes_with_a_token_and_no_cookies(client, url, methods):
    response = preflight(client, url, methods.split(",")[0])
    assert response.status_code == 204 and response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Allow-Methods"] == methods
    assert {"Authorization", "Content-Type"} <= {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert "Access-Control-Allow-Credentials" not in response


def test_a_preflight_of_a_read_only_route_allows_no_writes(client):
    response = preflight(client, "/api/v1/papers", "GET")
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert "Content-Type" not in response["Access-Control-Allow-Headers"]


def test_write_answers_are_readable_cross_origin(client, corpus, auth):
    response = client.post(f"/api/v1/papers/{LANTERNS}/upvote", headers={**auth, "Origin": "https://app.example"})
    assert response["Access-Control-Allow-Origin"] == "*" and "RateLimit-Remaining" in response[
        "Access-Control-Expose-Headers"]


def test_openapi_documents_the_writes_with_bearer_security_and_their_statuses(client):
    schema = client.get("/api/openapi.json").json()
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    paper = "/api/v1/papers/{arxiv_id}"
    expected = {(f"{paper}/upvote", "post"): {"200"}, (f"{paper}/upvote", "delete"): {"200"},
                ("/api/v1/submissions", "post"): {"201", "409", "503"}, (f"{paper}/comments", "post"): {"201"},
                (f"{paper}/save", "put"): {"200"}, (f"{paper}/save", "delete"): {"200"}}
    for (path, method), own in expected.items():
        operation = schema["paths"][path][method]
        assert operation["security"] == [{"TokenAuth": []}]
        assert set(operation["responses"]) == own | {"400", "401", "403", "404", "413", "429"}, (path, method)
    assert "security" not in schema["paths"][f"{paper}/comments"]["get"]


def test_a_path_with_an_encoded_newline_is_an_api_404(client, auth):
    for method, url in [("post", "/api/v1/papers/%0Ax/comments"), ("get", "/api/v1/papers/a%0Ab")]:
        response = getattr(client, method)(url, headers=auth)
        assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_a_parent_id_may_be_written_as_a_whole_float(client, corpus, auth):
    root = comment(client, auth, "first").json()
    assert comment(client, auth, "second", parent=float(root["id"])).json()["parent"] == root["id"]
    error(comment(client, auth, "third", parent=root["id"] + 0.5), 400, "invalid_request")


def test_a_write_to_an_unknown_api_path_is_an_api_404(client, auth):
    response = client.post("/api/v1/no-such-thing", headers=auth)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_body_error_names_the_field(client, corpus, auth):
    unknown_key = send(client, "post", "/api/v1/submissions", auth, {"paper": "2603.00050", "featured": True})
    assert error(unknown_key, 400, "invalid_request") == "featured: Extra inputs are not permitted"


def test_the_bearer_auth_class_accepts_live_tokens_only(rf, alice):
    _token, raw = ApiToken.issue(alice, "bot")
    auth = TokenAuth()
    request = rf.get("/", headers={"Authorization": f"Bearer {raw}"})
    assert auth(request) == alice and request.user == alice
    assert auth(rf.get("/", headers={"Authorization": "Bearer dp_forged"})) is None
    assert auth(rf.get("/")) is None
