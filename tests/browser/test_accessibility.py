"""Accessibility: axe-core finds no serious or critical problem on the main pages, light and dark, and
the upvote and comment flows work from the keyboard alone with a visible focus.

axe-core comes from tests/browser/package-lock.json (``npm ci``, run by the Makefile's test set-up) and
is injected by Playwright: no page ever loads it, and nothing is fetched at test time.
"""

import os
import re
from pathlib import Path

import pytest

from dailypapers.community.models import Comment
from dailypapers.papers.models import Upvote

from . import site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
MAX_TABS = 120
FOCUS_STYLE = """() => {
  const e = document.activeElement, s = getComputedStyle(e);
  return {tag: e.tagName.toLowerCase(), text: (e.innerText || e.value || e.getAttribute('aria-label') || '').trim(),
          outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0, shadow: s.boxShadow !== 'none',
          style: s.outlineStyle + ' ' + s.outlineWidth, focused: e.matches(':focus')};
}"""


@pytest.fixture(scope="session")
def axe_source():
    if not AXE.exists():
        problem = f"{AXE} not found (cd tests/browser && npm ci)"
        if os.environ.get("CI", "").strip().lower() in ("true", "1"):
            pytest.fail(f"{problem}: accessibility tests cannot run under CI=true", pytrace=False)
        pytest.skip(f"{problem}: accessibility tests skipped")
    return AXE.read_text()


def _violations(page, axe_source):
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(axe_source)  # through the debugger protocol: the page's CSP does not apply
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [f"{v['impact']} {v['id']}: {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
            for v in result if v["impact"] in BLOCKING]


def _main_pages(member, day):
    year, week, _ = day.isocalendar()
    anonymous = ["/", f"/papers/date/{day}", f"/papers/week/{year}-W{week:02d}", f"/papers/month/{day:%Y-%m}",
                 f"/papers/{site.PAPER}", "/papers?q=sheep", "/organizations", f"/authors/{site.AUTHOR_SLUG}",
                 "/login", "/signup"]
    signed_in = ["/settings", "/submit", "/collections", "/for-you", f"/papers/{site.PAPER}", "/"]
    return anonymous, signed_in


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_main_pages_have_no_serious_axe_violations(built, live_server, browser_page, axe_source, scheme):
    member, day = built
    page, problems = browser_page, []
    page.emulate_media(color_scheme=scheme)
    anonymous, signed_in = _main_pages(member, day)
    for path in anonymous:
        page.goto(live_server.url + path)
        problems += [f"{path}: {v}" for v in _violations(page, axe_source)]
    page.context.add_cookies([site.session_cookie(member, live_server.url)])
    for path in signed_in:
        page.goto(live_server.url + path)
        problems += [f"signed in {path}: {v}" for v in _violations(page, axe_source)]
    assert problems == [], "\n".join(problems)


def _tab_to(page, matches):
    """Press Tab until the focused element satisfies ``matches`` (a JS predicate); its focus state."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => ({matches})(document.activeElement)"):
            return page.evaluate(FOCUS_STYLE)
    raise AssertionError(f"Tab never reached {matches}")


def test_upvote_and_comment_by_keyboard_alone(built, live_server, browser_page):
    member, day = built
    page = browser_page
    page.context.add_cookies([site.session_cookie(member, live_server.url)])
    page.goto(f"{live_server.url}/papers/date/{day}")

    # Upvote the first card: Tab to its button, Enter.
    focus = _tab_to(page, "e => e.matches('article.paper-card button.upvote-button')")
    assert focus["outline"] or focus["shadow"], f"no visible focus on the upvote button: {focus}"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.getAttribute('aria-pressed') === 'true'")
    page.wait_for_function("() => !document.activeElement.hasAttribute('aria-busy')")
    assert Upvote.objects.filter(user=member).count() == 1

    # Open the paper from its title link, then write and send a comment.
    _tab_to(page, f"e => e.matches('a') && e.getAttribute('href') === '/papers/{site.PAPER}'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/papers/{site.PAPER}$"))
    focus = _tab_to(page, "e => e.matches('textarea')")
    assert focus["outline"] or focus["shadow"], f"no visible focus on the comment box: {focus}"
    page.keyboard.type("Typed without a mouse.")
    focus = _tab_to(page, "e => e.matches('button') && e.innerText.trim() === 'Comment'")
    assert focus["outline"] or focus["shadow"], f"no visible focus on the Comment button: {focus}"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#comment-\d+$"))
    assert Comment.objects.filter(author=member, body__contains="Typed without a mouse.").exists()


def test_every_focusable_control_on_a_feed_page_shows_its_focus(built, live_server, browser_page):
    member, day = built
    page = browser_page
    page.context.add_cookies([site.session_cookie(member, live_server.url)])
    page.goto(f"{live_server.url}/papers/date/{day}")
    unseen, seen = [], 0
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_STYLE)
        if focus["tag"] == "body":
            break
        seen += 1
        # Inside a date field's own picker button the field is active but not :focus; Chromium draws
        # that focus itself.
        if focus["focused"] and not (focus["outline"] or focus["shadow"]):
            unseen.append(focus)
    assert seen > 20 and unseen == [], str(unseen)
