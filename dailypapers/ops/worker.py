"""The worker: runs every scheduled job when it is due, and stops cleanly on SIGTERM.

Jobs are idempotent and claim their work in the database, so two workers (or a worker and a cron run)
are safe; one that raises is logged and retried at its next turn. ``network`` jobs (sources, mail)
run in the main thread, ``local`` ones (embedding, indexing) in another, so a hung server never delays
search. A job that returns True has work left and runs again at the next tick.
"""

import importlib
import logging
import signal
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections, connection

log = logging.getLogger("dailypapers.worker")
TICK_S = 1.0
LANES = ("network", "local")


@dataclass
class Job:
    name: str
    target: str  # "module:function", called with no arguments
    every_s: int
    lane: str = "network"
    next_at: float = 0.0

    def function(self):
        module, _, attribute = self.target.partition(":")
        return getattr(importlib.import_module(module), attribute)


def configured_jobs():
    return [Job(*spec) for spec in settings.WORKER_JOBS]


class Worker:
    def __init__(self, jobs=None, clock=time.monotonic, sleep=time.sleep):
        self.jobs = configured_jobs() if jobs is None else jobs
        self.clock, self.sleep = clock, sleep
        self.stopping = False
        self.in_job = False  # the main thread's (network) lane only: the signal handler runs there

    def stop(self, *_signal_args):
        """Signal handler. Jobs store each page with its checkpoint in one transaction, so a job
        interrupted mid-way loses nothing: leave now rather than wait out a slow network call. The
        local lane is a daemon thread: its claims are taken over by the next run (dead holder)."""
        log.info("stop requested")
        self.stopping = True
        if self.in_job:
            raise SystemExit(0)

    def run(self, max_ticks=None):
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        local = threading.Thread(target=self._loop, args=("local", max_ticks), name="worker-local", daemon=True)
        local.start()
        try:
            self._loop("network", max_ticks)
        finally:
            log.info("worker stopped")

    def _loop(self, lane, max_ticks):
        ticks = 0
        try:
            while not self.stopping and (max_ticks is None or ticks < max_ticks):
                self.handle_one(lane)
                ticks += 1
                self.sleep(TICK_S)
        finally:
            if lane != "network":
                connection.close()  # this thread's own connection

    def handle_one(self, lane=None):
        """Run every due job (of ``lane``, or all); return the names of those that ran."""
        ran = []
        for job in self.jobs:
            if self.stopping or (lane is not None and job.lane != lane) or self.clock() < job.next_at:
                continue
            job.next_at = self.clock() + job.every_s
            if self._run(job, in_main=lane in (None, "network")) is True:
                job.next_at = self.clock()  # work is waiting: again at the next tick
            ran.append(job.name)
        return ran

    def _run(self, job, in_main):
        close_old_connections()  # a long-lived process must not reuse a connection the DB dropped
        if in_main:  # only the main thread's job can be interrupted by the signal handler
            self.in_job = True
        try:
            return job.function()()
        except Exception:  # a failing job must not stop the others
            log.exception("job %s failed", job.name)
        finally:
            if in_main:
                self.in_job = False
