"""What a web process does before its first request, so that request costs what the hundredth does:
load the search model and the live index, run one search, compile the main templates."""

import logging
import os
import time

from django.template.loader import get_template

log = logging.getLogger(__name__)
TEMPLATES = ("papers/feed.html", "papers/detail.html", "search/results.html")


def warm():
    from dailypapers.search import api

    started = time.monotonic()
    try:
        api.warm()
        for name in TEMPLATES:
            get_template(name)
    except Exception:  # a cold start is slower, never broken: the request path handles what failed
        log.exception("warm-up failed")
        return
    log.info("web worker %d ready: search model, index and templates loaded in %.1f s", os.getpid(),
             time.monotonic() - started)
