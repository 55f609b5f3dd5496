import threading
import time

import pytest
import time_machine
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dailypapers.accounts import lifecycle, verification
from dailypapers.accounts.tests.people import make_papers, make_user
from dailypapers.papers import votes
from dailypapers.papers.models import Paper, Upvote

pytestmark = pytest.mark.django_db


@pytest.fixture
def paper(db):
    return make_papers(1, hf_upvotes=10)[0]


def count(paper):
    paper.refresh_from_db()
    return paper.local_upvotes


def test_it_upvotes_with_a_post_and_goes_back(client, alice, paper):
    client.force_login(alice)
    response = client.post(f"/papers/{paper.arxiv_id}/upvote", {"vote": "1", "next": "/papers?sort=newest"})
    assert response.status_code == 302 and response.url == "/papers?sort=newest"
    assert count(paper) == 1
    page = client.get(paper.get_absolute_url()).content.decode()
    assert 'aria-pressed="true"' in page and 'data-count="11"' in page and 'name="vote" value="0"' in page


def test_a_second_upvote_is_still_one_and_vote_0_removes_it(client, alice, paper):
    client.force_login(alice)
    for _ in range(2):
        client.post(f"/papers/{paper.arxiv_id}/upvote", {"vote": "1"})
    assert count(paper) == 1 and Upvote.objects.count() == 1
    for _ in range(2):
        client.post(f"/papers/{paper.arxiv_id}/upvote", {"vote": "0"})
    assert count(paper) == 0 and Upvote.objects.count() == 0


def test_voting_is_post_only_and_needs_the_csrf_token(alice, paper):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get(f"/papers/{paper.arxiv_id}/upvote").status_code == 405
    assert client.post(f"/papers/{paper.arxiv_id}/upvote", {"vote": "1"}).status_code == 403
    assert count(paper) == 0


def test_an_anonymous_click_leads_to_log_in_and_back(client, paper):
    response = client.post(f"/papers/{paper.arxiv_id}/upvote", {"vote": "1", "next": "/papers/date/2026-03-02"})
    assert response.status_code == 302
    assert response.url == "/login?next=/papers/date/2026-03-02"
    response = client.post(f"/papers/{paper.arxiv_id}/upvote", {"vote": "1"}, headers={"Accept": "application/json"})
    assert response.status_code == 401 and response.json()["login_url"] == f"/login?next=/papers/{paper.arxiv_id}"
    assert count(paper) == 0


def test_it_answers_json_for_the_script(client, alice, paper):
    client.force_login(alice)
    response = client.post(f"/papers/{paper.arxiv_id}/upvote", {"vote": "1"}, headers={"Accept": "application/json"})
    assert response.json() == {"voted": True, "upvotes": 11, "counted": True}
    response = client.post(f"/papers/{paper.arxiv_id}/upvote", {"vote": "0"}, headers={"Accept": "application/json"})
    assert response.json() == {"voted": False, "upvotes": 10, "counted": True}


def test_a_hidden_or_unknown_paper_cannot_be_voted_on(client, alice, paper):
    client.force_login(alice)
    Paper.objects.filter(pk=paper.pk).update(hidden=True)
    assert client.post(f"/papers/{paper.arxiv_id}/upvote").status_code == 404
    assert client.post("/papers/2603.99999/upvote").status_code == 404
    assert client.post("/papers/not-an-id/upvote").status_code == 404


def test_unverified_votes_count_from_verification_and_stop_on_suspension(client, charlie, paper):
    client.force_login(charlie)
    response = client.post(f"/papers/{paper.arxiv_id}/upvote", {"vote": "1"}, headers={"Accept": "application/json"})
    assert response.json() == {"voted": True, "upvotes": 10, "counted": False}
    assert Upvote.objects.filter(user=charlie).count() == 1 and count(paper) == 0
    verification.verify_email(charlie, charlie.email)
    assert count(paper) == 1
    moderator = make_user("mod", staff=True)
    assert lifecycle.suspend(charlie, moderator, "vote ring")
    assert count(paper) == 0
    assert not lifecycle.suspend(charlie, moderator), "suspending twice changes nothing"
    assert count(paper) == 0
    lifecycle.unsuspend(charlie, moderator)
    assert count(paper) == 1


def test_recount_repairs_drift(alice, bob, charlie, paper):
    for user in (alice, bob, charlie):
        votes.set_vote(user, paper, True)
    Paper.objects.filter(pk=paper.pk).update(local_upvotes=7)
    assert votes.recount() == 1
    assert count(paper) == 2
    assert votes.recount() == 0


def test_votes_are_rate_limited(client, settings, alice, paper):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "vote": (3, 60)}
    client.force_login(alice)
    for n in range(3):
        client.post(f"/papers/{paper.arxiv_id}/upvote", {"vote": str(n % 2)})
    response = client.post(f"/papers/{paper.arxiv_id}/upvote", {"vote": "1"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    response = client.post(f"/papers/{paper.arxiv_id}/upvote", {"vote": "1"}, headers={"Accept": "application/json"})
    assert response.status_code == 429 and response.json()["error"] == "too many requests"


def test_it_lets_no_more_than_120_votes_a_minute_through_across_a_minute_boundary(
        client, settings, alice, paper):
    # 125 votes in 25 s, the minute turning halfway: fixed windows counted 62 in one minute and 63 in
    # the next, and let all 125 through.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "vote": (120, 60)}
    client.force_login(alice)
    answers, start = [], (time.time() // 60 + 1) * 60 - 12.5  # the minute turns after 12.5 s
    for n in range(125):
        with time_machine.travel(start + n * 0.2, tick=False):
            answers.append(client.post(f"/papers/{paper.arxiv_id}/upvote", {"vote": str(n % 2)}).status_code)
    assert answers.count(302) == 120 and answers[120:] == [429] * 5


def test_a_feed_page_costs_one_query_more_for_a_logged_in_reader(client, alice):
    papers = make_papers(*range(1, 9), day=make_papers(99)[0].published)
    votes.set_vote(alice, papers[2], True)
    url = f"/papers/date/{papers[0].submission.feed_day}"
    client.get(url)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as anonymous:
        client.get(url)
    client.force_login(alice)
    client.get(url)
    with CaptureQueriesContext(connection) as logged_in:
        body = client.get(url).content.decode()
    # The session and the user, then one query for which of the page's papers the reader upvoted.
    assert len(logged_in) == len(anonymous) + 3
    assert body.count('aria-pressed="true"') == 1


@pytest.mark.django_db(transaction=True)
def test_fifty_users_voting_at_once_add_fifty(transactional_db):
    paper = make_papers(1)[0]
    users = [make_user(f"voter{n}") for n in range(50)]
    start = threading.Barrier(len(users))
    errors = []

    def vote(user):
        try:
            start.wait()
            votes.set_vote(user, paper, True)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=vote, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert count(paper) == 50 and Upvote.objects.count() == 50


@pytest.mark.django_db(transaction=True)
def test_cached_anonymous_pages_show_new_votes_and_comments(settings, fresh_limits):
    from dailypapers.community import comments

    settings.PAGE_CACHE_SECONDS = 600
    paper = make_papers(1, hf_upvotes=10)[0]
    alice, reader = make_user("alice"), Client()
    reader.get(paper.get_absolute_url())
    assert reader.get(paper.get_absolute_url())["X-Page-Cache"] == "hit"
    votes.set_vote(alice, paper, True)
    comments.post(paper, alice, "A comment the cache must not hide")
    body = reader.get(paper.get_absolute_url()).content.decode()
    assert 'data-count="11"' in body and "A comment the cache must not hide" in body
