"""What a web process does before its first request, so that request costs what the hundredth does:
load the search model and the live index, then answer a search and the front page through the whole
WSGI application once (middleware, URL resolver, templates and their includes, static manifest)."""

import io
import logging
import os
import time
from wsgiref.util import setup_testing_defaults

from django.conf import settings

log = logging.getLogger(__name__)
PATHS = ("/papers?q=attention", "/")


def warm(application):
    from dailypapers.search import api

    started = time.monotonic()
    try:
        api.warm()
        statuses = [_get(application, path) for path in PATHS]
    except Exception:  # a cold start is slower, never broken: the request path handles what failed
        log.exception("warm-up failed")
        return
    log.info("web worker %d ready: search model, index and pages warmed in %.1f s (%s)", os.getpid(),
             time.monotonic() - started, ", ".join(statuses))


def _get(application, path):
    """GET ``path`` through ``application`` as a request from this machine would come; its status."""
    path_info, _, query = path.partition("?")
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path_info, "QUERY_STRING": query,
               "HTTP_HOST": _host(), "REMOTE_ADDR": "127.0.0.1", "wsgi.input": io.BytesIO()}
    if settings.HTTPS:  # as the TLS proxy says it, or the site would only redirect
        environ["HTTP_X_FORWARDED_PROTO"] = "https"
    setup_testing_defaults(environ)
    status = []
    body = application(environ, lambda code, headers, exc_info=None: status.append(code))
    try:
        for _chunk in body:
            pass
    finally:
        if hasattr(body, "close"):
            body.close()
    return status[0].split()[0] if status else "?"


def _host():
    named = [h for h in settings.ALLOWED_HOSTS if h not in ("*",) and not h.startswith(".")]
    return named[0] if named else "localhost"
