"""Every page template fits a phone: no horizontal scroll at 320, 390 and 768 px, anonymous and signed
in; the header folds into a menu that works; the signed-in desktop search box keeps its width; and the
rough edges of issue 14 (a full-width "Save", floating "I'm interested" buttons) stay fixed."""

import pytest

from . import site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (320, 390, 768)
OVERFLOW = """() => {
  const width = innerWidth;
  const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > width + 1)
    .slice(0, 3).map(e => e.tagName.toLowerCase() + '.' + [...e.classList].join('.'));
  return {scroll: document.documentElement.scrollWidth, width, wide};
}"""


def _overflowing(page, url):
    response = page.goto(url)
    assert response.status < 500, url
    found = page.evaluate(OVERFLOW)
    if found["scroll"] <= found["width"]:
        return None
    return f"{url}: {found['scroll']}px > {found['width']} {found['wide']}"


def test_no_page_scrolls_sideways_on_phones_and_tablets(built, live_server, browser_page):
    member, day = built
    anonymous, member_only = site.page_paths(member, day)
    page, problems = browser_page, []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        problems += [p for path in anonymous if (p := _overflowing(page, live_server.url + path))]
    page.context.add_cookies([site.session_cookie(member, live_server.url)])
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        problems += [f"signed in: {p}" for path in anonymous + member_only
                     if (p := _overflowing(page, live_server.url + path))]
    assert problems == []


def test_the_header_folds_into_a_menu_on_phones(built, live_server, browser_page):
    member, _day = built
    page = browser_page
    page.context.add_cookies([site.session_cookie(member, live_server.url)])
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(live_server.url + "/")
    for_you = page.get_by_role("link", name="For you")
    assert not for_you.is_visible(), "folded away until the menu opens"
    assert page.locator("#site-search-input").bounding_box()["width"] > 300, "search gets its own row"
    page.locator("summary.site-menu-toggle").click()
    assert for_you.is_visible() and page.get_by_role("link", name="Organizations").is_visible()
    box = for_you.bounding_box()
    assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 390, "thumb-sized, on screen"
    for_you.click()
    page.wait_for_url(live_server.url + "/for-you")


@pytest.mark.parametrize("width", [1024, 1280])
def test_the_wide_header_shows_every_link_and_a_full_search_box(built, live_server, browser_page, width):
    member, _day = built
    page = browser_page
    page.context.add_cookies([site.session_cookie(member, live_server.url)])
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(live_server.url + "/")
    assert not page.locator("summary.site-menu-toggle").is_visible()
    for name in ("Daily", "Organizations", "For you", "Submit"):
        assert page.get_by_role("link", name=name, exact=True).is_visible(), name
    search = page.locator("#site-search-input").bounding_box()
    assert search["width"] >= 220, f"the search box shrank to {search['width']}px"
    header = page.locator(".site-header").bounding_box()
    assert header["height"] <= 64, "one row"


def test_the_anonymous_save_button_keeps_its_own_width(built, live_server, browser_page):
    page = browser_page
    page.goto(f"{live_server.url}/papers/{site.PAPER}")
    save = page.locator("a.save-button")
    assert save.inner_text().strip() == "Save"
    box, column = save.bounding_box(), page.locator(".paper-tools").bounding_box()
    assert box["width"] < 150 < column["width"], (box, column)
    assert save.evaluate("e => getComputedStyle(e).borderTopStyle") == "solid", "styled as a button"


def test_for_you_buttons_sit_on_their_cards(built, live_server, browser_page):
    member, _day = built
    page = browser_page
    page.context.add_cookies([site.session_cookie(member, live_server.url)])
    page.goto(live_server.url + "/for-you")
    picks = page.locator(".suggestions .for-you-pick")
    assert picks.count() > 0
    for index in range(picks.count()):
        strip = picks.nth(index).locator(".pick-reason").bounding_box()
        card = picks.nth(index).locator("article.paper-card").bounding_box()
        assert abs(strip["y"] + strip["height"] - card["y"]) <= 1, "the strip touches its card"
        assert abs(strip["x"] - card["x"]) <= 1 and abs(strip["width"] - card["width"]) <= 1, "as wide as it"


def test_the_api_docs_load_only_from_the_site(built, live_server, browser_page):
    """/api/docs: Swagger UI's script, styles and the schema all come from the site itself."""
    page, elsewhere = browser_page, []
    page.on("request", lambda r: r.url.startswith(("http:", "https:")) and not r.url.startswith(
        live_server.url) and elsewhere.append(r.url))
    page.goto(live_server.url + "/api/docs")
    page.wait_for_selector(".opblock")
    assert elsewhere == []


@pytest.mark.parametrize("width", [320, 390, 1280])
def test_the_subscribe_prompt_is_one_line(built, live_server, browser_page, width):
    _member, day = built
    page = browser_page
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{live_server.url}/papers/date/{day}")
    text = page.locator(".digest-cta-text")
    line = float(text.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    assert text.bounding_box()["height"] <= line * 1.5, "wrapped onto a second line"
    page.get_by_role("button", name="Hide this prompt").click()
    page.wait_for_load_state()
    assert page.locator(".digest-cta").count() == 0 and page.url.endswith(f"/papers/date/{day}")
