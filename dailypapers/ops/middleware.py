"""Response hardening and graceful failure for every request."""

import logging

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.template.loader import render_to_string

log = logging.getLogger(__name__)

# Conservative CSP: no inline script or style anywhere in our templates, so none is allowed. Images may
# come from https (organization avatars are hosted by Hugging Face).
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # avatars are the site's own copies (lib/avatars.py)
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
DB_DOWN_RETRY_AFTER_S = 30


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class DatabaseUnavailableMiddleware:
    """With the database down, answer 503 with Retry-After instead of a 500 and a stack trace. Django's
    connection health checks reconnect on the next request once it is back: no restart needed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError) or _is_locked(exception):
            return None
        log.error("database unavailable: %s", exception)
        return database_unavailable_response()


def _is_locked(exception):
    # "database is locked" is contention, not an outage; it is a bug to fix, not to hide behind a 503.
    return isinstance(exception, DatabaseError) and "locked" in str(exception)


def database_unavailable_response():
    from django.http import HttpResponse

    body = render_to_string("503.html")
    response = HttpResponse(body, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(DB_DOWN_RETRY_AFTER_S)
    return response
