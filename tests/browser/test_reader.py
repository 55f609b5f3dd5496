"""What a reader sees in a real browser: a day's feed, day-to-day navigation and a paper page.

Drives the system Chromium through Playwright against pytest-django's live server, over a small
hand-written corpus (invented papers, authors and organization). The README's screenshots come from
the demo data instead (scripts/screenshots).
"""

import datetime as dt
import re

import pytest

from dailypapers.papers.records import OrgRecord, PaperRecord
from dailypapers.papers.upsert import upsert_papers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONDAY = dt.date(2026, 3, 2)
TUESDAY = dt.date(2026, 3, 3)
HOSTILE_TITLE = "<script>alert(1)</script> & $<$ x"
LAB = OrgRecord(name="Lumen Fieldwork Lab", slug="lumen-fieldwork")

LAB_REPO = "https://github.com/lumen-fieldwork/tidal-gd"
LAB_PAGE = "https://lumen-fieldwork.example.org/tidal-gd"

# arxiv_id -> (feed day, title, authors, hf_upvotes, extra fields)
CORPUS = {
    "2603.01101": (
        MONDAY, "Tidal Gradient Descent: Optimizers That Follow the Moon",
        ["Ilse Varga", "Tomasz Oyelaran", "Mirela Quint"], 57,
        {"organization": LAB, "github_repo": LAB_REPO, "github_stars": 1234, "project_page": LAB_PAGE},
    ),
    "2603.01102": (MONDAY, "Counting Sheep with Sparse Transformers", ["Odile Brandt", "Kwame Ashford"], 23,
                   {}),
    "2603.01103": (MONDAY, "A Benchmark of Unfinished Sentences", ["Renata Solvik"], 8, {}),
    "2603.02201": (
        TUESDAY, "Origami Priors for Folding Image Generators", ["Hana Lindqvist", "Ilse Varga"], 91,
        {"organization": LAB},
    ),
    "2603.02202": (TUESDAY, HOSTILE_TITLE, ["Mallory Escobar"], 34, {}),
    "2603.02203": (
        TUESDAY, "Quiet Agents: Planning Without Chatter", ["Pieter Nakamura", "Sol Achebe", "Yuki Dimas"],
        12, {},
    ),
}


def _records():
    for arxiv_id, (day, title, authors, upvotes, extra) in CORPUS.items():
        yield PaperRecord(
            arxiv_id=arxiv_id, title=title, authors=authors, hf_upvotes=upvotes,
            abstract=f"An invented abstract for {arxiv_id}, written for the browser test.",
            published=day - dt.timedelta(days=3), version=1, categories=["cs.LG"],
            featured_on=day, submitted_by="test-curator", source="test", **extra,
        )


@pytest.fixture
def corpus(transactional_db):
    result = upsert_papers(_records())
    assert (result.created, result.rejected) == (len(CORPUS), [])
    return CORPUS


def _day_ids(day):
    """The day's papers, most upvoted first (the default sort)."""
    ids = [arxiv_id for arxiv_id, (d, *_rest) in CORPUS.items() if d == day]
    return sorted(ids, key=lambda arxiv_id: -CORPUS[arxiv_id][3])


def _card_ids(page):
    return page.locator("article.paper-card[data-arxiv-id]").evaluate_all(
        "cards => cards.map(card => card.dataset.arxivId)"
    )


def _title_link(page, arxiv_id):
    return page.locator(f'article.paper-card[data-arxiv-id="{arxiv_id}"] h3.paper-title a')


def _card_title(page, arxiv_id):
    return _title_link(page, arxiv_id).inner_text().strip()


def _link_hrefs(page, text):
    """hrefs of the links whose visible text starts with ``text`` (e.g. "GitHub" or "GitHub 1,234")."""
    links = page.get_by_role("link", name=re.compile(rf"^\s*{re.escape(text)}\b"))
    return links.evaluate_all("links => links.map(link => link.href)")


def test_reader_browses_days_and_opens_a_paper(corpus, live_server, browser_page):
    page = browser_page
    dialogs = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    # Every request the pages make to the site (stylesheet, scripts, icons) must succeed.
    broken = []
    page.on("response", lambda r: r.status >= 400 and r.url.startswith(live_server.url) and broken.append(
        f"{r.status} {r.url}"))
    page.on("requestfailed", lambda r: r.url.startswith(live_server.url) and broken.append(f"failed {r.url}"))

    # Tuesday's feed: its three papers, most upvoted first, the hostile title shown as plain text.
    response = page.goto(f"{live_server.url}/papers/date/{TUESDAY}")
    assert response.status == 200
    assert _card_ids(page) == _day_ids(TUESDAY)
    for arxiv_id in _day_ids(TUESDAY):
        assert _card_title(page, arxiv_id) == CORPUS[arxiv_id][1]
    assert page.locator("script", has_text="alert(1)").count() == 0
    assert "<script>alert(1)</script>" not in page.content()

    # "Previous" leads to Monday, the nearest earlier day with papers; Monday links forward again.
    page.locator("a[rel=prev]").first.click()
    page.wait_for_url(re.compile(rf"/papers/date/{MONDAY}$"))
    assert _card_ids(page) == _day_ids(MONDAY)
    for arxiv_id in _day_ids(MONDAY):
        assert _card_title(page, arxiv_id) == CORPUS[arxiv_id][1]
    assert page.locator("a[rel=prev]").count() == 0, "Monday is the first day with papers"
    assert page.locator("a[rel=next]").first.get_attribute("href").endswith(f"/papers/date/{TUESDAY}")

    # The paper page: title, authors in order (each a link), upvotes and the outbound links.
    arxiv_id = "2603.01101"
    _day, title, authors, upvotes, extra = CORPUS[arxiv_id]
    _title_link(page, arxiv_id).click()
    page.wait_for_url(re.compile(rf"/papers/{re.escape(arxiv_id)}$"))
    assert page.locator("h1.paper-title").inner_text().strip() == title
    assert [name.strip() for name in page.locator("ul.authors li a").all_inner_texts()] == authors
    assert page.locator(".upvotes[data-count]").first.get_attribute("data-count") == str(upvotes)
    assert f"https://arxiv.org/abs/{arxiv_id}" in _link_hrefs(page, "arXiv")
    assert f"https://arxiv.org/pdf/{arxiv_id}" in _link_hrefs(page, "PDF")
    assert f"https://arxiv.org/html/{arxiv_id}" in _link_hrefs(page, "HTML")
    assert extra["github_repo"] in _link_hrefs(page, "GitHub")
    assert extra["project_page"] in _link_hrefs(page, "Project page")

    # The hostile paper's own page shows its title as text too.
    page.goto(f"{live_server.url}/papers/2603.02202")
    assert page.locator("h1.paper-title").inner_text().strip() == HOSTILE_TITLE
    assert page.locator("script", has_text="alert(1)").count() == 0

    assert dialogs == [], f"a page opened a dialog: {dialogs}"
    assert broken == [], f"requests to the site failed: {sorted(set(broken))}"
