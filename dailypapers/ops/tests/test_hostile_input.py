"""Hostile input is inert everywhere: papers whose title, abstract, author names and organization are
markup, event handlers, ``javascript:`` URLs and LaTeX-ish text with a right-to-left override; a
comment with the same and a Markdown ``javascript:`` link; search queries made of them.

Every surface is read back and checked the way its consumer reads it: HTML pages and email bodies
with an HTML parser (no script, no event-handler attribute, no ``javascript:`` link, and the text reads
back as typed), RSS and Atom as XML (and the HTML inside their descriptions as HTML), the APIs as
JSON (values equal to the raw strings), the Markdown as Markdown rendered to HTML.
"""

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.core.cache import caches
from django.test import Client
from django.utils import timezone
from markdown_it import MarkdownIt

from dailypapers.accounts.tests.people import make_user
from dailypapers.community import collections, comments
from dailypapers.digests.models import Digest, Subscription
from dailypapers.digests.render import DigestRenderer
from dailypapers.papers.models import Author, Organization, Paper, PaperAuthor, Submission
from dailypapers.papers.records import OrgRecord, PaperRecord
from dailypapers.papers.upsert import upsert_papers
from dailypapers.search import embedder, live

from .routes import all_routes, boundary_paths

HOSTILE = {
    "script": "<script>alert(1)</script>",
    "attribute": '"><img src=x onerror=alert(1)>',
    "url": "javascript:alert(1)",
    "latex": "$<$ & \u202e",
}
JS_LINK = "[x](javascript:alert(1))"
COMMENT = " ".join([*HOSTILE.values(), JS_LINK])
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "poster", "xlink:href", "background"}
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def site(db, settings, tmp_path):
    for name in settings.CACHES:
        caches[name].clear()
    settings.SEARCH_INDEX_DIR = str(tmp_path / "index")
    live.reset()
    embedder.reset()
    day = timezone.now().date() - dt.timedelta(days=1)
    upsert_papers([_record(n, text, day) for n, text in enumerate(HOSTILE.values(), start=1)])
    alice, bob = make_user("alice"), make_user("bob")
    papers = list(Paper.objects.order_by("arxiv_id"))
    Submission.objects.filter(paper=papers[0]).update(submitter=alice)
    comment = comments.post(papers[0], bob, COMMENT)
    collection = collections.create(alice, HOSTILE["attribute"], is_public=True, description=HOSTILE["script"])
    for paper in papers:
        collections.add(collection, paper)
    yield {"day": day, "papers": papers, "alice": alice, "bob": bob, "comment": comment, "collection": collection}
    live.reset()
    embedder.reset()


def _record(n, text, day):
    return PaperRecord(
        arxiv_id=f"2603.{n:05d}", title=text, abstract=f"{text} {text}", authors=[text, f"Ilse Varga {n}"],
        published=day - dt.timedelta(days=1), version=1, categories=["cs.LG"],
        organization=OrgRecord(name=text, avatar_url=HOSTILE["url"]), featured_on=day, hf_upvotes=n,
        github_repo=HOSTILE["url"], project_page=HOSTILE["url"],
    )


# -- what "inert" means, per format -------------------------------------------------------------------
class Inspector(HTMLParser):
    """Collects what would run in a browser (scripts, event handlers, script URLs) and the visible text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems, self.chunks = [], []

    def handle_starttag(self, tag, attrs):
        if tag == "script" and not dict(attrs).get("src"):
            self.problems.append("an inline <script>")
        if tag in ("iframe", "object", "embed", "base"):
            self.problems.append(f"a <{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in URL_ATTRIBUTES and _is_script_url(value):
                self.problems.append(f'<{tag} {name}="{value}">')

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.chunks.append(data)

    @property
    def text(self):
        return "".join(self.chunks)


def _is_script_url(value):
    # Browsers ignore ASCII white space and control characters inside a scheme.
    squeezed = re.sub(r"[\x00-\x20]", "", value or "").lower()
    return squeezed.startswith(("javascript:", "vbscript:", "data:text/html"))


def inspect_html(html, *expected_texts):
    """Fail on anything in ``html`` that would run; require each expected text to read back as typed."""
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    assert inspector.problems == []
    for text in expected_texts:
        assert text in inspector.text, f"{text!r} does not read back"
    return inspector


@pytest.mark.parametrize("html", [
    "<script>alert(1)</script>", '<img src=x onerror=alert(1)>', '<a href=" java\tscript:alert(1)">x</a>',
    '<a title="x"><img src="x" onload="go()"></a>', '<iframe src="https://example.org"></iframe>',
    '<form action="javascript:alert(1)"></form>',
])
def test_the_inspector_catches_markup_that_runs(html):
    """The checks below can fail: each of these snippets is refused."""
    with pytest.raises(AssertionError):
        inspect_html(html)


def test_the_inspector_requires_the_text_to_read_back():
    with pytest.raises(AssertionError):
        inspect_html("<p>&lt;script&gt;</p>", HOSTILE["script"])
    inspect_html("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", HOSTILE["script"])


def _page(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


# -- HTML pages -----------------------------------------------------------------------------------------
def test_it_shows_hostile_papers_as_text_on_feed_pages(site, client):
    day = site["day"]
    week = day.isocalendar()
    for path in (f"/papers/date/{day.isoformat()}", f"/papers/week/{week.year}-W{week.week:02d}",
                 f"/papers/month/{day:%Y-%m}", "/", "/papers?sort=trending"):
        inspect_html(_page(client, path), *HOSTILE.values())


def test_it_shows_hostile_papers_as_text_on_the_for_you_page(site, client):
    client.force_login(site["alice"])
    inspect_html(_page(client, "/for-you"), *HOSTILE.values())


def test_it_shows_hostile_papers_and_comments_as_text_on_the_paper_page(site, client):
    client.force_login(site["alice"])
    for paper, text in zip(site["papers"], HOSTILE.values(), strict=True):
        inspect_html(_page(client, paper.get_absolute_url()), text, f"{text} {text}")
    inspector = inspect_html(_page(client, site["papers"][0].get_absolute_url()), *HOSTILE.values())
    assert "[x](javascript:alert(1))" in inspector.text, "the Markdown link stays as typed, not a link"


def test_it_shows_hostile_names_as_text_on_organization_and_author_pages(site, client):
    for paper, text in zip(site["papers"], HOSTILE.values(), strict=True):
        inspect_html(_page(client, paper.organization.get_absolute_url()), text)
        author = Author.objects.get(pk=PaperAuthor.objects.get(paper=paper, position=0).author_id)
        inspect_html(_page(client, author.get_absolute_url()), text)
    inspect_html(_page(client, "/organizations"), *HOSTILE.values())


def test_it_shows_a_hostile_collection_and_comment_as_text_to_their_owners(site, client):
    collection = site["collection"]
    inspect_html(_page(client, collection.get_absolute_url()), HOSTILE["attribute"], HOSTILE["script"])
    inspect_html(_page(client, "/users/alice"), HOSTILE["attribute"])
    client.force_login(site["alice"])
    inspect_html(_page(client, "/collections"), HOSTILE["attribute"])
    client.force_login(site["bob"])
    inspect_html(_page(client, f"/comments/{site['comment'].pk}/edit"), COMMENT)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_it_answers_a_hostile_search_with_text(site, client, name):
    query = HOSTILE[name]
    for path in ("/search", "/papers"):
        inspect_html(_page(client, f"{path}?{urlencode({'q': query})}"), query)
    filters = {"q": "alert", "cat": query, "org": query, "from": query, "to": query, "sort": query}
    inspect_html(_page(client, f"/search?{urlencode(filters)}"))


def test_it_highlights_a_search_for_a_hostile_title_without_making_markup(site, client):
    html = _page(client, "/search?q=script+alert")
    inspect_html(html, HOSTILE["script"])


def test_it_keeps_javascript_urls_from_every_write_path_out_of_pages(site, client):
    """Sources lose them on the way in (the record drops a non-http link); so does the edit form."""
    paper = site["papers"][0]
    assert (paper.github_repo, paper.project_page) == ("", "")
    client.force_login(site["alice"])
    response = client.post(f"/papers/{paper.arxiv_id}/edit",
                           {"github_repo": HOSTILE["url"], "project_page": HOSTILE["url"]})
    assert response.status_code == 200 and "github_repo" in response.context["form"].errors
    paper.refresh_from_db()
    assert (paper.github_repo, paper.project_page) == ("", "")


def _smuggle_script_urls():
    """``javascript:`` links put straight into the database, past every write path (a shell, a backup)."""
    Paper.objects.update(github_repo=HOSTILE["url"], project_page=HOSTILE["url"])
    Organization.objects.update(avatar_url=HOSTILE["url"])


def test_it_never_links_a_javascript_url_that_reached_the_database(site, client):
    _smuggle_script_urls()
    paper = site["papers"][0]
    for path in (f"/papers/date/{site['day'].isoformat()}", paper.get_absolute_url(), "/organizations",
                 paper.organization.get_absolute_url(), "/search?q=alert"):
        inspect_html(_page(client, path))
    inspect_html(_digest_of(site)[1])


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_it_never_links_a_javascript_url_from_a_feed(site, client, fmt):
    _smuggle_script_urls()
    for _title, description in _feed_items(_feed(client, f"/feeds/daily.{fmt}")):
        inspect_html(description)


# -- feeds ----------------------------------------------------------------------------------------------
def _feed(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    body = response.content.decode()
    assert "<script" not in body.lower() and "<img" not in body.lower()
    return ET.fromstring(response.content)  # noqa: S314 - our own feed, read in a test


def _feed_items(root):
    """(title, description HTML) of each item, RSS or Atom."""
    if root.tag == "rss":
        return [(i.findtext("title"), i.findtext("description")) for i in root.iter("item")]
    return [(e.findtext(f"{ATOM}title"), e.findtext(f"{ATOM}summary")) for e in root.iter(f"{ATOM}entry")]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_it_carries_hostile_text_through_feeds_as_text(site, client, fmt):
    paths = [f"/feeds/daily.{fmt}", f"/feeds/search.{fmt}?{urlencode({'q': 'script alert'})}"]
    for paper in site["papers"]:
        paths += [f"/feeds/organizations/{paper.organization.slug}.{fmt}"]
    paths += [f"/feeds/collections/alice/{site['collection'].slug}.{fmt}"]
    for path in paths:
        items = _feed_items(_feed(client, path))
        assert items, path
        for title, description in items:
            assert title in HOSTILE.values(), f"{path}: the title does not round-trip: {title!r}"
            inspect_html(description, f"{title} {title}")


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_it_names_a_hostile_search_feed_as_text(site, client, fmt):
    for query in HOSTILE.values():
        root = _feed(client, f"/feeds/search.{fmt}?{urlencode({'q': query})}")
        title = root.findtext("channel/title") if root.tag == "rss" else root.findtext(f"{ATOM}title")
        assert title.endswith(f"search for {query}")


# -- APIs -----------------------------------------------------------------------------------------------
def _json(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    return json.loads(response.content)


def test_it_returns_hostile_values_unchanged_from_the_hugging_face_api(site, client):
    for paper, text in zip(site["papers"], HOSTILE.values(), strict=True):
        data = _json(client, f"/api/papers/{paper.arxiv_id}")
        assert (data["title"], data["summary"]) == (text, f"{text} {text}")
        assert data["authors"][0]["name"] == text and data["organization"]["fullname"] == text
        assert data.get("projectPage") in (None, "") and data.get("githubRepo") in (None, "")
    daily = _json(client, f"/api/daily_papers?date={site['day'].isoformat()}")
    assert sorted(entry["title"] for entry in daily) == sorted(HOSTILE.values())
    found = _json(client, f"/api/papers/search?{urlencode({'q': HOSTILE['script']})}")
    assert HOSTILE["script"] in [entry["paper"]["title"] for entry in found]


def test_it_returns_hostile_values_unchanged_from_api_v1(site, client):
    for paper, text in zip(site["papers"], HOSTILE.values(), strict=True):
        data = _json(client, f"/api/v1/papers/{paper.arxiv_id}")
        assert (data["title"], data["abstract"]) == (text, f"{text} {text}")
        assert data["authors"][0]["name"] == text and data["organization"]["name"] == text
        assert not data["project_page"] and not data["github_repo"]
        org = _json(client, f"/api/v1/organizations/{paper.organization.slug}")
        assert org["name"] == text
    found = _json(client, f"/api/v1/search?{urlencode({'q': HOSTILE['script']})}")
    assert HOSTILE["script"] in json.dumps(found, ensure_ascii=False)


def test_it_returns_a_hostile_comment_as_written_and_its_html_inert_from_api_v1(site, client):
    data = _json(client, f"/api/v1/papers/{site['papers'][0].arxiv_id}/comments")
    [thread] = data["items"]
    assert thread["body"] == COMMENT
    inspect_html(thread["body_html"], *HOSTILE.values(), JS_LINK)


def test_it_escapes_hostile_text_in_the_markdown_of_a_paper(site, client):
    """A client that renders the ``.md`` with a stock CommonMark renderer (raw HTML on) gets text."""
    renderer = MarkdownIt("commonmark")
    for paper, text in zip(site["papers"], HOSTILE.values(), strict=True):
        response = client.get(f"/papers/{paper.arxiv_id}.md")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/markdown")
        assert response["X-Content-Type-Options"] == "nosniff"
        inspect_html(renderer.render(response.content.decode()), text)


# -- email ----------------------------------------------------------------------------------------------
def _digest_of(site):
    """The digest email of the hostile papers, as the sender renders it."""
    subscription = Subscription.objects.create(email="reader@example.org", status=Subscription.Status.ACTIVE)
    day = site["day"]
    digest = Digest.objects.create(subscription=subscription, period_key=f"daily:{day.isoformat()}", first_day=day,
                                   last_day=day, slot=timezone.now(), paper_ids=[p.pk for p in site["papers"]],
                                   message_id="<hostile@example.org>", not_before=timezone.now())
    message = DigestRenderer().message(digest)
    return message, dict((mime, body) for body, mime in message.alternatives)["text/html"]


def test_it_renders_hostile_papers_in_a_digest_as_text(site):
    message, html = _digest_of(site)
    # Escaped, "onerror=" and "javascript:" may show as text; the parser proves neither is an attribute.
    assert "<script" not in html.lower()
    inspect_html(html, *HOSTILE.values())
    for text in HOSTILE.values():
        assert text in message.body, f"the text part shows {text!r} as typed"
    assert "\n" not in message.subject and "\r" not in message.subject and "&lt;" not in message.subject


def test_it_renders_a_hostile_comment_in_its_notification_as_text(site):
    sent = comments.notify(site["comment"])
    assert sent == 1
    message = mail.outbox[-1]
    html = dict((mime, body) for body, mime in message.alternatives)["text/html"]
    assert "<script" not in html.lower()
    inspect_html(html, *HOSTILE.values(), JS_LINK)
    assert HOSTILE["script"] in message.body
    # A subject is plain text: the title as typed (not HTML-escaped), on one line.
    assert HOSTILE["script"] in message.subject and "\n" not in message.subject



# -- boundary values on every route -----------------------------------------------------------------------
BOUNDARY_ROUTES = [r for r in all_routes() if not r.is_admin]


@pytest.mark.parametrize("route", [pytest.param(r, id=r.test_id) for r in BOUNDARY_ROUTES])
def test_it_never_answers_5xx_to_a_boundary_value(route, world):
    """Dates at the calendar's edge, huge and negative numbers, junk cursors, NUL and control characters,
    long names: each parameter of each route in turn, read anonymously and signed in."""
    member = Client(raise_request_exception=False)
    member.force_login(world.alice)
    readers = {"anonymous": Client(raise_request_exception=False), "alice": member}
    failures = []
    for path in boundary_paths(route, world):
        for persona, client in readers.items():
            if (status := client.get(path).status_code) >= 500:
                failures.append(f"GET {path[:120]!r} as {persona}: {status}")
    assert failures == []
