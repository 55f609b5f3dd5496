"""The worker: one loop that runs every scheduled job when it is due, and stops cleanly on SIGTERM.

Each job is also its own management command (cron-friendly); the loop only decides when. Jobs are
idempotent and claim their work in the database, so two workers (or a worker and a cron run) at once
are safe. A job that raises is logged and retried at its next turn; the others go on.
"""

import importlib
import logging
import signal
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections

log = logging.getLogger("dailypapers.worker")
TICK_S = 1.0


@dataclass
class Job:
    name: str
    target: str  # "module:function", called with no arguments
    every_s: int
    next_at: float = 0.0

    def function(self):
        module, _, attribute = self.target.partition(":")
        return getattr(importlib.import_module(module), attribute)


def configured_jobs():
    return [Job(name, target, every) for name, target, every in settings.WORKER_JOBS]


class Worker:
    def __init__(self, jobs=None, clock=time.monotonic, sleep=time.sleep):
        self.jobs = configured_jobs() if jobs is None else jobs
        self.clock, self.sleep = clock, sleep
        self.stopping = False
        self.in_job = False

    def stop(self, *_signal_args):
        """Signal handler. Jobs store each page with its checkpoint in one transaction, so a job
        interrupted mid-way loses nothing: leave now rather than wait out a slow network call."""
        log.info("stop requested")
        self.stopping = True
        if self.in_job:
            raise SystemExit(0)

    def run(self, max_ticks=None):
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        ticks = 0
        try:
            while not self.stopping and (max_ticks is None or ticks < max_ticks):
                self.handle_one()
                ticks += 1
                self.sleep(TICK_S)
        finally:
            log.info("worker stopped")

    def handle_one(self):
        """Run every job that is due; return the names of those that ran."""
        ran = []
        for job in self.jobs:
            if self.stopping or self.clock() < job.next_at:
                continue
            job.next_at = self.clock() + job.every_s
            close_old_connections()  # a long-lived process must not reuse a connection the DB dropped
            self.in_job = True
            try:
                job.function()()
            except Exception:  # a failing job must not stop the others
                log.exception("job %s failed", job.name)
            finally:
                self.in_job = False
            ran.append(job.name)
        return ran
