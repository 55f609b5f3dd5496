"""gunicorn hooks for ``dailypapers serve``: on the embedded default the worker runs beside the web
server, so one command gives a live site; it starts with the master and stops with it."""

import os
import subprocess
import sys


def on_starting(server):
    if os.environ.get("DAILYPAPERS_SERVE_WORKER") == "1":
        command = [sys.executable, "-m", "dailypapers.cli", "worker"]
        server.dailypapers_worker = subprocess.Popen(command)  # noqa: S603 - fixed argv, no shell


def on_exit(server):
    worker = getattr(server, "dailypapers_worker", None)
    if worker and worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
