"""``dailypapers serve``: the production server — gunicorn sized from the machine's cores, behind the
buffering front (ops/front.py) unless ``--front no`` runs gunicorn alone."""

import errno
import os
import socket
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dailypapers.ops import front
from dailypapers.search.setup import prepare_search

LISTEN_BACKLOG = 2048  # connections the kernel queues before the front accepts them


def default_workers():
    # gunicorn's rule of thumb; the threads below cover requests that wait on the database.
    return 2 * (os.cpu_count() or 1) + 1


def _with_worker(choice):
    if choice != "auto":
        return choice == "yes"
    return settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


class Command(BaseCommand):
    help = "Serve the site: a buffering front, gunicorn behind it, static files through WhiteNoise."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"),
                            help="HOST:PORT to listen on (BIND; default 127.0.0.1:8000)")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 0)) or None,
                            help="web worker processes (WEB_WORKERS; default 2 x cores + 1)")
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", 4)),
                            help="threads per web worker (WEB_THREADS; default 4)")
        parser.add_argument("--timeout", type=int, default=30, help="seconds before a stuck worker restarts")
        parser.add_argument("--with-worker", choices=["auto", "yes", "no"],
                            default=os.environ.get("SERVE_WORKER", "auto"),
                            help="also run `dailypapers worker` (SERVE_WORKER; auto: on SQLite, the embedded default)")
        parser.add_argument("--front", choices=["yes", "no"], default=os.environ.get("SERVE_FRONT", "yes"),
                            help="read each request whole before gunicorn sees it, so idle and slow clients "
                                 "cannot tie up its threads, and take the client's address from it "
                                 "(SERVE_FRONT; default yes, behind nginx too)")

    def handle(self, *args, **options):
        sock = listen(options["bind"])
        limits, trusted = front_settings()
        prepare_search()  # before any web worker exists: no request ever builds the model
        os.environ["DAILYPAPERS_SERVE_WORKER"] = "1" if _with_worker(options["with_worker"]) else "0"
        argv = gunicorn_argv(options)
        self.stdout.flush()
        if options["front"] == "yes":
            os.environ["DAILYPAPERS_FRONT"] = "1"
            sys.exit(front.run(sock, argv, limits, trusted))
        sock.close()
        # exec: gunicorn becomes this process, so signals (SIGTERM, SIGHUP reload) reach it directly.
        os.execv(sys.executable, [*argv, "--bind", options["bind"]])  # noqa: S606 (fixed argv, no shell)


def front_settings():
    try:
        return front.limits_from_environ(), front.Trusted.parse(os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"))
    except ValueError as exc:
        raise CommandError(f"FRONT_* or FORWARDED_ALLOW_IPS: {exc}") from None


def listen(bind):
    """A socket listening on ``bind``, or one clear line saying why not (gunicorn would retry and log
    five tracebacks first)."""
    host, _, port = bind.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit():
        raise CommandError(f"--bind {bind!r}: expected HOST:PORT")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, int(port)))
        sock.listen(LISTEN_BACKLOG)
    except OSError as exc:
        sock.close()
        reason = "the address is already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        raise CommandError(f"cannot listen on {bind}: {reason} (choose another with --bind or BIND)") from None
    return sock


def gunicorn_argv(options):
    """gunicorn's command line, less ``--bind`` (the front's private socket, or the public address)."""
    return [
        sys.executable, "-m", "gunicorn", "dailypapers.wsgi:application",
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
