"""``dailypapers doctor``: what this machine is, what the site chose for it, and what is ready."""

import platform

from django.core.management.base import BaseCommand
from django.db import connection

from dailypapers.search import embedder, minilm, progress, store
from dailypapers.search.setup import prepare_search


class Command(BaseCommand):
    help = "Show the CPU, the search runtime chosen for it and the site's state; build missing model files."

    def handle(self, *args, **options):
        built = prepare_search()  # a refused setting stops here, with its reason
        found, choice = embedder.this_cpu(), embedder.choice()
        self.line("cpu", f"{found.model} ({found.arch}, {found.level})")
        self.line("cpu flags", " ".join(found.shown_flags()) or "none of interest")
        self.line("embeddings", f"ONNX Runtime {_ort_version()}, {choice.precision} ({choice.reason})")
        self.line("model files", f"{minilm.directory()} ({'built ' + ', '.join(built) if built else 'ready'})")
        self.line("vectors", f"{embedder.fingerprint()}")
        self.line("database", f"{connection.vendor} {_db_version()}")
        self.line("search index", _index_state())
        self.line("", str(progress.measure()))
        self.line("python", platform.python_version())

    def line(self, label, value):
        self.stdout.write(f"{label + ':' if label else '':<14}{value}")


def _ort_version():
    import onnxruntime

    return onnxruntime.__version__


def _db_version():
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        return cursor.fetchone()[0]


def _index_state():
    generation = store.current()
    if generation is None:
        return f"none yet in {store.index_root()} (the worker builds it, or `dailypapers reindex`)"
    manifest = generation.manifest
    return f"{manifest.name}: {manifest.papers:,} papers, {manifest.vectors:,} vectors, built {manifest.built_at}"
