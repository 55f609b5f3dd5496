"""gunicorn settings and hooks for ``dailypapers serve``.

Each web worker loads the search model and the index before it takes a request (not the master:
ONNX Runtime's threads do not survive a fork). On the embedded default the worker runs beside the web
server, so one command gives a live site; it starts with the master and stops with it.
"""

import os
import subprocess
import sys

BEHIND_FRONT = os.environ.get("DAILYPAPERS_FRONT") == "1"
# Behind the front, which bounds a whole request head at 256 KiB, any request line the API can build
# (a search of 10,000 characters, percent-encoded) goes through; alone, its longest is 8190 bytes.
limit_request_line = 0 if BEHIND_FRONT else 8190
# No control socket: its default path is one per user ($HOME/.gunicorn/gunicorn.ctl), so two nodes on
# one host took it from each other; `serve` is driven by signals (HUP reloads, TERM stops).
control_socket_disable = True


def on_starting(server):
    if os.environ.get("DAILYPAPERS_SERVE_WORKER") == "1":
        command = [sys.executable, "-m", "dailypapers.cli", "worker"]
        server.dailypapers_worker = subprocess.Popen(command)  # noqa: S603 - fixed argv, no shell


def when_ready(server):
    if BEHIND_FRONT:
        return  # the front announces the public address; gunicorn's is a private socket
    for listener in server.LISTENERS:
        print(f"Serving on {listener}/", flush=True)  # noqa: T201 - the one line a person waits for


def post_worker_init(worker):
    from dailypapers.ops.warmup import warm

    warm(worker.wsgi)


def on_exit(server):
    worker = getattr(server, "dailypapers_worker", None)
    if worker and worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
