"""No state-changing GET anywhere: every URL pattern of the project, read as anonymous, as a member and
as staff (and, under /api/, with the member's bearer token), with every method the CSRF middleware lets
through unchecked (GET, HEAD, OPTIONS, TRACE), leaves the database as it was — not one INSERT, UPDATE
or DELETE, sessions included.

Mail scanners and link prefetchers follow every link, and a cross-site page can make a browser send
any of these methods with the user's cookies and no CSRF token; so nothing may change on them.
"""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dailypapers.accounts.models import User
from dailypapers.digests.models import Subscription

from .routes import all_routes, boundary_paths, url_for

SAFE_METHODS = ("get", "head", "options", "trace")
WRITE_SQL = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|UPSERT)\b", re.IGNORECASE)
# The one write a read may make: a bearer token records when it was last used (shown beside it in
# settings/tokens, so a member can tell a forgotten token from a live one). Only bearer reads may.
BEARER = "alice's token"
JUSTIFIED_WRITES = re.compile(r'^UPDATE "accounts_apitoken" SET "last_used_at" = ', re.IGNORECASE)

# A 404 is a designed answer here (a catch-all, or a page that hides from whoever may not see it);
# anywhere else it means the route was filled with something that does not exist.
DESIGNED_404 = {
    "dailypapers.api.urls.unknown": {"anonymous", "alice", "mod", BEARER},
    "api:api-root": {"anonymous", "alice", "mod", BEARER},  # django-ninja's root only names the docs
    # The admin sends the others to its log-in first.
    "django.contrib.admin.sites.AdminSite.catch_all_view": {"mod"},
    # Only a comment's author may edit it; others get the 404 that reveals nothing.
    "community:comment_edit": {"mod"},
}

ROUTES = all_routes()


def _clients(route, world):
    """persona -> client: anonymous, signed in (session), and under /api/ alice's bearer token."""
    clients = {}
    for persona, user in world.personas().items():
        clients[persona] = Client()
        if user is not None:
            clients[persona].force_login(user)  # the session is written here, before anything is measured
    if route.is_api:
        clients[BEARER] = Client(HTTP_AUTHORIZATION=f"Bearer {world.api_token_raw}")
    return clients


def _writes(client, method, path, justified=None):
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(path)
    sql = [q["sql"] or "" for q in queries.captured_queries]  # None for a statement the database refused
    return response, [s for s in sql if WRITE_SQL.match(s) and not (justified and justified.match(s))]


@pytest.mark.parametrize("route", [pytest.param(r, id=r.test_id) for r in ROUTES])
def test_it_changes_nothing_when_a_route_is_read(route, world):
    path = url_for(route, world)
    for persona, client in _clients(route, world).items():
        for method in SAFE_METHODS:
            justified = JUSTIFIED_WRITES if persona == BEARER else None
            response, writes = _writes(client, method, path, justified)
            where = f"{method.upper()} {path} as {persona}"
            assert writes == [], f"{where} wrote to the database: {writes}"
            assert response.status_code < 500, f"{where} answered {response.status_code}"
            if method == "get" and persona not in DESIGNED_404.get(route.key, ()):
                assert response.status_code != 404, f"{where} answered 404: is the route filled with real objects?"


@pytest.mark.parametrize("route", [pytest.param(r, id=r.test_id) for r in ROUTES])
def test_it_answers_head_wherever_it_answers_get(route, world):
    """HEAD is GET without the body (RFC 9110): monitors and link checkers send it; a 405 breaks them."""
    path = url_for(route, world)
    for persona, client in _clients(route, world).items():
        got, head = client.get(path), client.head(path)
        if got.status_code != 405:
            assert head.status_code not in (405, 500), f"HEAD {path} as {persona}: {head.status_code}"
            assert (b"".join(head.streaming_content) if head.streaming else head.content) == b""


@pytest.mark.parametrize("route", [pytest.param(r, id=r.test_id) for r in ROUTES if not r.is_admin])
def test_it_changes_nothing_when_a_route_is_read_with_boundary_values(route, world):
    """The same with every parameter at its edges (routes.boundary_paths); test_hostile_input.py holds
    the answers to no 5xx."""
    client = Client(raise_request_exception=False)
    for path in boundary_paths(route, world):
        _response, writes = _writes(client, "get", path)
        assert writes == [], f"GET {path[:120]!r} wrote to the database: {writes}"


def test_it_knows_every_route_with_parameters(world):
    """The walk covers new routes by itself; one it cannot fill fails here with what to teach it."""
    assert len(ROUTES) > 150  # the admin alone has a hundred; a broken walk would find a handful
    for route in ROUTES:
        assert url_for(route, world).startswith("/")


# -- the designed exceptions: links in emails only ever show a button ------------------------------------
def test_it_shows_a_button_for_the_one_click_unsubscribe_link_and_unsubscribes_on_post_only(world, client):
    path = url_for(_route("digests:one_click"), world)
    response = client.get(path, follow=True)
    assert response.status_code == 200 and b'method="post"' in response.content
    assert Subscription.objects.get(pk=world.subscription.pk).is_active
    assert client.post(path).status_code == 200
    assert Subscription.objects.get(pk=world.subscription.pk).status == Subscription.Status.UNSUBSCRIBED


def test_it_keeps_the_preference_when_an_account_unsubscribe_link_is_followed(world, client):
    path = url_for(_route("accounts:unsubscribe"), world)
    response = client.get(path)
    assert response.status_code == 200 and b'method="post"' in response.content
    assert User.objects.get(pk=world.alice.pk).notify_thread_replies
    client.post(path)
    assert not User.objects.get(pk=world.alice.pk).notify_thread_replies


def test_it_confirms_an_address_or_a_subscription_on_post_only(world, client):
    world.subscription.status = Subscription.Status.PENDING
    world.subscription.save(update_fields=["status"])
    for name in ("digests:confirm", "accounts:verify_email"):
        response = client.get(url_for(_route(name), world))
        assert response.status_code == 200 and b'method="post"' in response.content, name
    assert Subscription.objects.get(pk=world.subscription.pk).status == Subscription.Status.PENDING
    assert User.objects.get(pk=world.bob.pk).email == "bob@example.org"


def _route(key):
    return next(r for r in ROUTES if r.key == key)
