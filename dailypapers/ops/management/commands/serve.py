"""``dailypapers serve``: the production WSGI server (gunicorn), sized from the machine's cores."""

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


def default_workers():
    # gunicorn's rule of thumb; the threads below cover requests that wait on the database.
    return 2 * (os.cpu_count() or 1) + 1


def _with_worker(choice):
    if choice != "auto":
        return choice == "yes"
    return settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


class Command(BaseCommand):
    help = "Serve the site with gunicorn (static files through WhiteNoise)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 0)) or None)
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", 4)))
        parser.add_argument("--timeout", type=int, default=30, help="seconds before a stuck worker restarts")
        parser.add_argument("--with-worker", choices=["auto", "yes", "no"],
                            default=os.environ.get("SERVE_WORKER", "auto"),
                            help="also run `dailypapers worker` (auto: on SQLite, the embedded default)")

    def handle(self, *args, **options):
        os.environ["DAILYPAPERS_SERVE_WORKER"] = "1" if _with_worker(options["with_worker"]) else "0"
        argv = gunicorn_argv(options)
        self.stdout.write(f"Serving on http://{options['bind']}/")
        self.stdout.flush()
        # exec: gunicorn becomes this process, so signals (SIGTERM, SIGHUP reload) reach it directly.
        os.execv(sys.executable, argv)  # noqa: S606 (fixed argv, no shell involved)


def gunicorn_argv(options):
    return [
        sys.executable, "-m", "gunicorn", "dailypapers.wsgi:application",
        "--bind", options["bind"],
        # gthread whatever --threads says: gunicorn would quietly switch to its sync worker at one thread,
        # which drops keep-alive (on loopback it served half as many cached pages and refused some).
        "--worker-class", "gthread",
        "--workers", str(options["workers"] or default_workers()),
        "--threads", str(options["threads"]),
        "--timeout", str(options["timeout"]),
        "--graceful-timeout", "20",
        "--access-logfile", "-",
        "--config", "python:dailypapers.ops.gunicorn_conf",
    ]
