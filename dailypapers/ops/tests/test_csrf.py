"""CSRF on every state-changing request: every URL pattern, sent POST, PUT, PATCH and DELETE by a
signed-in member's browser without a CSRF token, is refused by the CSRF check and changes nothing.

Two kinds of route are allowed through without a token, on purpose:

* the RFC 8058 one-click unsubscribe endpoints (``CSRF_FREE``): mail clients POST to them with no
  session and no token; the signed token in the URL is the credential, and all it can do is switch
  mail off;
* ``/api/...``: writes there accept only an ``Authorization: Bearer`` token, never the session cookie,
  which a cross-site form cannot attach. So a session cookie alone — with or without a CSRF token —
  gets 401 on a write route and 405 on a read-only one.
"""

import re
import secrets

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dailypapers.accounts.models import User
from dailypapers.digests.models import Subscription

from .routes import all_routes, url_for

UNSAFE_METHODS = ("post", "put", "patch", "delete")
WRITE_SQL = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|UPSERT)\b", re.IGNORECASE)

CSRF_FREE = {
    "digests:one_click": "RFC 8058 one-click unsubscribe from a digest (List-Unsubscribe-Post)",
    "accounts:unsubscribe": "RFC 8058 one-click unsubscribe from comment notifications (List-Unsubscribe-Post)",
}
# Under /api/ these answer 404 to every method: the unknown-path catch-all and django-ninja's root.
API_NOT_FOUND = {"dailypapers.api.urls.unknown", "api:api-root"}
# django-ninja's schema and docs pages answer every method with the same read (nothing to write).
API_DOCS = {"api:openapi-json", "api:openapi-view"}

ROUTES = all_routes()


@pytest.fixture
def browser(world):
    """alice's browser, as a cross-site form would use it: her session cookie, CSRF checks on."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice)
    return client


def _send(client, method, path, **extra):
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(path, **extra)
    return response, [q["sql"] for q in queries.captured_queries if WRITE_SQL.match(q["sql"])]


def _is_csrf_failure(response):
    return response.status_code == 403 and b"CSRF verification failed" in response.content


def _with_csrf_token(client):
    """Headers that pass the CSRF check: the cookie and the header carrying the same secret."""
    secret = secrets.token_hex(16)  # 32 characters, the length of an unmasked CSRF secret
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    return {"HTTP_X_CSRFTOKEN": secret}


def _site_routes():
    return [r for r in ROUTES if not r.is_api and r.key not in CSRF_FREE]


@pytest.mark.parametrize("route", [pytest.param(r, id=r.test_id) for r in _site_routes()])
def test_it_refuses_a_state_changing_request_without_a_csrf_token(route, world, browser):
    path = url_for(route, world)
    for method in UNSAFE_METHODS:
        response, writes = _send(browser, method, path)
        assert _is_csrf_failure(response), f"{method.upper()} {path} without a CSRF token: {response.status_code}"
        assert writes == [], f"{method.upper()} {path} wrote before the CSRF check: {writes}"
    # The control: with a token the same POST gets past the check, so the 403 above was the check's.
    response, _writes = _send(browser, "post", path, **_with_csrf_token(browser))
    assert not _is_csrf_failure(response), f"POST {path} with a valid CSRF token was refused by the CSRF check"


@pytest.mark.parametrize("route", [pytest.param(r, id=r.test_id) for r in ROUTES if r.is_api])
def test_it_never_lets_a_session_cookie_write_to_the_api(route, world, browser):
    path = url_for(route, world)
    for method in UNSAFE_METHODS:
        for extra in ({}, _with_csrf_token(browser)):
            response, writes = _send(browser, method, path, **extra)
            where = f"{method.upper()} {path} with alice's session{' and a CSRF token' if extra else ''}"
            assert writes == [], f"{where} wrote: {writes}"
            if _is_csrf_failure(response):  # a view outside django-ninja (docs, catch-all): the site's check
                assert not extra, f"{where}: refused by the CSRF check"
            elif route.key in API_NOT_FOUND:
                assert response.status_code == 404, f"{where}: {response.status_code}"
            elif route.key in API_DOCS:
                assert response.status_code == 200, f"{where}: {response.status_code}"
            elif response.status_code == 405:  # a read-only route
                assert method.upper() not in response["Allow"], f"{where}: 405 yet Allow: {response['Allow']}"
            else:
                assert response.status_code == 401, f"{where}: {response.status_code} {response.content[:200]}"
                assert response["WWW-Authenticate"].startswith("Bearer"), where


def test_it_allows_only_the_documented_routes_through_without_a_csrf_token():
    """A view that opts out of CSRF outside /api/ must be listed in CSRF_FREE with its reason."""
    exempt = {r.key for r in ROUTES if not r.is_api and getattr(r.pattern.callback, "csrf_exempt", False)}
    assert exempt == set(CSRF_FREE)


def test_it_unsubscribes_a_digest_by_one_click_without_a_session_or_token(world):
    mail_client = Client(enforce_csrf_checks=True)
    path = url_for(_route("digests:one_click"), world)
    forged = path.replace(world.tokens["digest_unsubscribe"], world.tokens["digest_unsubscribe"] + "x")
    response, writes = _send(mail_client, "post", forged, data="List-Unsubscribe=One-Click",
                             content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and writes == []
    assert Subscription.objects.get(pk=world.subscription.pk).is_active
    response = mail_client.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert Subscription.objects.get(pk=world.subscription.pk).status == Subscription.Status.UNSUBSCRIBED


def test_it_unsubscribes_from_notifications_by_one_click_without_a_session_or_token(world):
    mail_client = Client(enforce_csrf_checks=True)
    token = world.tokens["unsubscribe"]
    response, writes = _send(mail_client, "post", f"/unsubscribe/{token[:-1]}")
    assert response.status_code == 400 and writes == []
    assert User.objects.get(pk=world.alice.pk).notify_thread_replies
    assert mail_client.post(f"/unsubscribe/{token}").status_code == 200
    assert not User.objects.get(pk=world.alice.pk).notify_thread_replies


def _route(key):
    return next(r for r in ROUTES if r.key == key)
