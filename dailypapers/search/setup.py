"""The search runtime's setup step, run before any request or job needs the model: the precision for
this CPU is checked (a refused setting stops the command with its reason) and the ONNX files it needs
are built if missing. ``serve`` runs it before the web workers start, ``worker`` and ``embed`` at
start, ``doctor`` on demand."""

import logging
import time

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError

from . import embedder, minilm

log = logging.getLogger(__name__)


def prepare_search():
    """Check the setting and build the model files this CPU needs; return the precisions built. A
    refused setting is a CommandError: the command stops with its reason in one line."""
    started = time.monotonic()
    try:
        precision = embedder.choice().precision
    except ImproperlyConfigured as exc:
        raise CommandError(str(exc)) from None
    built = minilm.ensure(("fp32", precision))
    if built:
        log.info("search model built (%s) in %.1f s", ", ".join(built), time.monotonic() - started)
    return built
