"""Paper cards (papers/cards.py and its Jinja2 template): every value escaped, the same card from
``cards.load`` as from the ORM's full ``for_cards()``, and the day page's cheaper queries (neighbouring
days, first page without COUNT) giving the same answers."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.template import Context
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from dailypapers.accounts.tests.people import make_papers, make_user
from dailypapers.papers import cards, votes
from dailypapers.papers.models import Author, Paper, Submission
from dailypapers.papers.records import OrgRecord
from dailypapers.papers.templatetags.paper_tags import paper_card, upvote_button

pytestmark = pytest.mark.django_db

MONDAY, TUESDAY, WEDNESDAY, THURSDAY = (dt.date(2026, 3, 2) + dt.timedelta(days=n) for n in range(4))
HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
AUTHORS = ["Alice Quark", "Bob Lepton", "Charlie Gluon", "Dana Boson", "Erin Muon"]


def squeeze(markup):
    """Whitespace between and inside tags is not what these tests are about."""
    return re.sub(r"\s+", " ", str(markup)).strip()


def page_context(user=None, path="/papers/date/2026-03-02", papers=(), csrf_token="t0ken"):  # noqa: S107
    request = RequestFactory().get(path)
    request.user = user
    return Context({"request": request, "user": user, "csrf_token": csrf_token, "papers": list(papers)})


@pytest.mark.parametrize("box", [False, True])
@pytest.mark.parametrize("token", ["t0ken", "NOTPROVIDED", ""])
def test_it_renders_the_upvote_form_with_the_pages_token_and_way_back(box, token):
    from django.contrib.auth.models import AnonymousUser

    paper = make_papers(1, day=MONDAY)[0]
    context = page_context(AnonymousUser(), path="/papers/date/2026-03-02?sort=newest&x=\"<", csrf_token=token)
    ours = upvote_button(context, paper, box=box)
    assert f'action="/papers/{paper.arxiv_id}/upvote"' in ours
    assert 'name="next" value="/papers/date/2026-03-02?sort=newest&amp;x=%22%3C"' in ours
    assert ('name="csrfmiddlewaretoken" value="t0ken"' in ours) == (token == "t0ken")
    assert ("upvotes-box" in ours) == box
    assert 'aria-pressed="false"' in ours and 'name="vote" value="1"' in ours


def test_it_renders_a_voters_upvote_form_pressed():
    alice = make_user("alice")
    paper = make_papers(1, day=MONDAY, hf_upvotes=1)[0]
    votes.set_vote(alice, paper, True)
    paper.refresh_from_db()
    ours = upvote_button(page_context(alice, papers=[paper]), paper)
    assert 'aria-pressed="true"' in ours and 'data-count="2"' in ours and 'name="vote" value="0"' in ours
    assert "Remove your upvote (2 upvotes)" in ours


def test_it_marks_verified_authors_alike_on_cards_and_the_paper_page(client):
    paper = make_papers(1, day=MONDAY)[0]
    link = paper.ordered_authors[0]
    Author.objects.filter(pk=link.author_id).update(user=make_user("alice"))
    detail = client.get(paper.get_absolute_url()).content.decode()
    assert f"{link.author.name}</a>{cards.verified_mark()}" in detail and detail.count("verified-mark") == 1
    day = client.get(f"/papers/date/{MONDAY.isoformat()}").content.decode()
    assert f"{link.author.name}</a>{cards.verified_mark()}" in day


def card_of(paper, user=None):
    from django.contrib.auth.models import AnonymousUser

    return paper_card(page_context(user or AnonymousUser(), papers=[paper]), paper)


def test_it_names_three_authors_then_the_count_then_verified_ones():
    paper = make_papers(1, day=MONDAY, authors=AUTHORS)[0]
    Author.objects.filter(slug="erin-muon").update(user=make_user("erin"))
    card = card_of(Paper.objects.for_cards().get(pk=paper.pk))
    names = re.findall(r'class="author-link" href="([^"]+)">([^<]+)</a>', card)
    assert names == [("/authors/alice-quark", "Alice Quark"), ("/authors/bob-lepton", "Bob Lepton"),
                     ("/authors/charlie-gluon", "Charlie Gluon"), ("/authors/erin-muon", "Erin Muon")]
    assert "· 5 authors" in card and "Dana Boson" not in card
    assert card.count('class="verified-extra"') == 1 and card.count("verified-mark") == 1


@pytest.mark.parametrize("authors", [AUTHORS, ["Solo Writer"], []])
def test_it_renders_the_same_card_from_the_short_author_list(authors):
    paper = make_papers(1, day=MONDAY, authors=authors, organization=OrgRecord("Lantern Lab", "lantern"))[0]
    Author.objects.filter(slug="dana-boson").update(user=make_user("dana"))
    full = Paper.objects.for_cards().get(pk=paper.pk)
    [short] = cards.load([paper.pk])
    assert len(short.card_authors) == min(len(authors), 4) and short.author_count == len(authors)
    assert card_of(short) == card_of(full)


def test_it_escapes_every_value_on_a_card():
    paper = make_papers(
        1, day=MONDAY, title=HOSTILE, abstract=HOSTILE * 10, authors=[HOSTILE, "Bob Lepton"],
        organization=OrgRecord(HOSTILE, "hostile", avatar_url=f"https://example.org/a.png?{HOSTILE}"),
        github_repo=f"https://github.com/a/b?{HOSTILE}", github_stars=1234, project_page=f"https://example.org/{HOSTILE}",
        submitted_by="dana",
    )[0]
    card = card_of(cards.load([paper.pk])[0])
    assert "<script>" not in card and "<img src=x" not in card
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in card
    assert "★ 1.2k" in card and "Submitted by dana" in card and "<details" in card  # a long abstract folds


def test_it_shows_no_byline_without_organization_or_authors():
    paper = make_papers(1, day=MONDAY, authors=[])[0]
    card = card_of(cards.load([paper.pk])[0])
    assert "paper-byline" not in card and "1 comment" not in card and "0 comments" in card


def test_it_shows_a_paper_that_was_never_featured_on_its_author_page(client):
    make_papers(1, authors=["Alice Quark"])  # no feed day: no Submission row
    body = client.get("/authors/alice-quark").content.decode()
    assert 'data-arxiv-id="2603.00001"' in body and "Submitted by" not in body


def test_it_skips_days_whose_papers_are_all_hidden(client):
    for n, day in enumerate([MONDAY, TUESDAY, WEDNESDAY, THURSDAY], start=1):
        make_papers(n, day=day)
    Paper.objects.filter(submission__feed_day__in=[TUESDAY, THURSDAY]).update(hidden=True)
    assert Submission.objects.day_before(WEDNESDAY) == MONDAY
    assert Submission.objects.day_after(MONDAY) == WEDNESDAY
    assert Submission.objects.day_after(WEDNESDAY) is None
    assert Submission.objects.day_before(THURSDAY, inclusive=True) == WEDNESDAY
    assert Submission.objects.day_after(MONDAY, until=TUESDAY) is None
    assert Submission.objects.neighbour_days(WEDNESDAY, until=THURSDAY) == (MONDAY, None)
    assert Submission.objects.neighbour_days(TUESDAY, until=THURSDAY) == (MONDAY, WEDNESDAY)
    assert Submission.objects.neighbour_days(MONDAY, until=TUESDAY) == (None, None)
    nav = client.get("/papers/date/2026-03-04").context["nav"]
    assert nav["prev"]["url"] == "/papers/date/2026-03-02" and nav["next"] is None
    assert client.get("/papers/date/2026-03-03").context["nearest"]["url"] == "/papers/date/2026-03-02"


def test_it_counts_a_first_page_without_a_count_query_and_pages_the_rest(client, settings):
    settings.FEED_PAGE_SIZE = 3
    make_papers(1, 2, 3, day=MONDAY)
    with CaptureQueriesContext(connection) as one_page:
        response = client.get("/papers/date/2026-03-02")
    assert response.context["page"].paginator.count == 3 and not response.context["page"].has_other_pages()
    assert not any('"__count"' in q["sql"] for q in one_page.captured_queries)  # the paginator's COUNT
    make_papers(4, day=MONDAY)
    first = client.get("/papers/date/2026-03-02")
    assert first.context["page"].paginator.count == 4 and len(first.context["papers"]) == 3
    assert "4 papers" in first.content.decode() and "&amp;page=2" in first.content.decode()
    second = client.get("/papers/date/2026-03-02?page=2")
    shown = [p.arxiv_id for p in [*first.context["papers"], *second.context["papers"]]]
    assert sorted(shown) == [f"2603.0000{n}" for n in range(1, 5)]


def test_it_links_no_stored_url_that_is_not_http(client):
    make_papers(1, day=MONDAY, organization=OrgRecord("Lantern Lab", "lantern"), github_repo="https://github.com/a/b",
                project_page="https://example.org/p")
    from dailypapers.papers.models import Organization

    Paper.objects.update(github_repo="javascript:alert(1)", project_page=" JavaScript:alert(2)")
    Organization.objects.update(avatar_url="javascript:alert(3)")
    for path in ["/papers/date/2026-03-02", "/papers/2603.00001"]:
        body = client.get(path).content.decode()
        assert "alert(" not in body and "GitHub</a>" not in body and "Project page" not in body, path
        assert "org-avatar-fallback" in body, path


def test_load_reads_a_list_of_cards_in_two_queries_and_renders_without_more():
    """``cards.load`` keeps the order asked for, drops hidden papers, and loads everything a card reads: the
    card is the one a fully loaded paper (``for_cards()``) gives, rendered without a query."""
    rich, bare, hidden = make_papers(
        1, 2, 3, day=MONDAY, authors=AUTHORS, organization=OrgRecord("Lantern Lab", "lantern"),
        github_repo="https://github.com/a/b", github_stars=1234, keywords=["a <b>", "c"],
        project_page="https://example.org/p")
    never_featured = make_papers(4, authors=[])[0]
    Author.objects.filter(slug="erin-muon").update(user=make_user("erin"))
    Submission.objects.filter(paper=rich).update(submitter=make_user("dana"), submitter_name="")
    Paper.objects.filter(pk=hidden.pk).update(hidden=True)
    pks = [never_featured.pk, rich.pk, hidden.pk, bare.pk]
    with CaptureQueriesContext(connection) as queries:
        loaded = cards.load(pks)
    assert len(queries) == 2 and [p.pk for p in loaded] == [never_featured.pk, rich.pk, bare.pk]
    orm = Paper.objects.for_cards().in_bulk(pks)
    for paper in loaded:
        expected = orm[paper.pk]
        assert paper.author_count == len(expected.ordered_authors)
        with CaptureQueriesContext(connection) as queries:
            assert card_of(paper) == card_of(expected)
        assert len(queries) == 0, "a relation the card reads was not loaded"
    assert "Submitted by dana" in card_of(loaded[1]) and "Erin Muon" in card_of(loaded[1])
