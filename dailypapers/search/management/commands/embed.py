"""``dailypapers embed``: compute the MiniLM vector of every paper that lacks one (resumable).

Safe to run several at once (each claims its own batches) and to kill at any moment: a batch is
written in one transaction, and the next run on the same host takes over a killed run's claims. That
is how ``--processes N`` works: it starts N-1 more ``embed`` processes beside itself, all drawing on
the one queue, and shows their common progress.
"""

import argparse
import os
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from tqdm import tqdm

from dailypapers.search import cpu, jobs
from dailypapers.search.models import PaperEmbedding
from dailypapers.search.setup import prepare_search


def positive(value):
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value}")
    return number


def shared_threads(processes):
    """Threads per embedding process: SEARCH_EMBED_THREADS, else the cores shared among them."""
    return settings.SEARCH_EMBED_THREADS or max(1, cpu.cores() // processes)


class Command(BaseCommand):
    help = "Embed papers that have no vector yet (batched, resumable, safe to run twice at once)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=positive, default=jobs.BATCH_SIZE,
                            help="papers claimed and written together (one transaction)")
        parser.add_argument("--limit", type=positive, default=None,
                            help="stop after this many papers (one process)")
        parser.add_argument("--processes", type=positive, default=None,
                            help="embedding processes side by side (default SEARCH_EMBED_PROCESSES, 1), "
                                 "the cores shared among them")
        parser.add_argument("--refresh", action="store_true",
                            help="first queue again the papers whose text or model setting changed")
        parser.add_argument("--loop", action="store_true", help="keep running, polling every --interval s")
        parser.add_argument("--interval", type=float, default=30.0)

    def handle(self, *args, **options):
        prepare_search()
        if options["refresh"]:
            self.stdout.write(f"{jobs.mark_changed()} papers queued again")
        while True:
            self.handle_one(options)
            if not options["loop"]:
                return
            time.sleep(options["interval"])

    def handle_one(self, options):
        """One pass over the queue; True when it embedded anything."""
        jobs.enqueue_missing()
        waiting = self._waiting()
        if options["limit"]:
            waiting = min(waiting, options["limit"])
        helpers = self._start_helpers(options) if waiting else []
        started = time.monotonic()
        quiet = waiting == 0 or options["verbosity"] == 0
        with override_settings(SEARCH_EMBED_THREADS=shared_threads(len(helpers) + 1)), \
                tqdm(total=waiting, unit="paper", disable=quiet) as bar:
            try:
                done = jobs.embed_pending(batch_size=options["batch_size"], limit=options["limit"],
                                          progress=self._progress(bar, options["verbosity"], waiting, helpers))
                if helpers:  # every claimed row is written whole or left queued: the queue shrank by the total
                    self._wait_for(helpers, bar, waiting)
                    done = max(0, waiting - self._waiting())
            finally:
                for helper in helpers:  # interrupted (Ctrl-C): their claims are taken over by the next run
                    if helper.poll() is None:
                        helper.terminate()
        seconds = time.monotonic() - started
        rate = f" ({done / seconds:.1f} papers/s)" if done and seconds else ""
        processes = f" with {len(helpers) + 1} processes" if helpers else ""
        self.stdout.write(f"embedded {done} papers{processes}{rate}")
        return done > 0

    @staticmethod
    def _waiting():
        return PaperEmbedding.objects.filter(vector__isnull=True).count()

    def _start_helpers(self, options):
        count = (options["processes"] or settings.SEARCH_EMBED_PROCESSES) - 1
        if count < 1 or options["limit"]:
            return []
        command = [sys.executable, "-m", "dailypapers.cli", "embed", "--processes", "1", "-v", "0",
                   "--batch-size", str(options["batch_size"])]
        env = os.environ | {"SEARCH_EMBED_THREADS": str(shared_threads(count + 1))}
        return [subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env) for _ in range(count)]  # noqa: S603

    def _wait_for(self, helpers, bar, waiting):
        """Wait for the helper processes, keeping the bar moving."""
        while any(helper.poll() is None for helper in helpers):
            bar.update(max(0, waiting - self._waiting() - bar.n))
            time.sleep(0.5)
        failed = [helper.returncode for helper in helpers if helper.returncode]
        if failed:
            self.stderr.write(f"{len(failed)} embedding process(es) failed (exit {failed}); run embed again")
        bar.update(max(0, waiting - self._waiting() - bar.n))

    def _progress(self, bar, verbosity, waiting, helpers):
        """Advance the bar after each committed batch (with helper processes, by the queue's size, which
        counts their batches too); at -v 2 also log it, a line a batch (for logs without a terminal)."""
        def progress(count):
            bar.update(max(0, waiting - self._waiting() - bar.n) if helpers else count)
            if verbosity >= 2:
                self.stdout.write(f"committed a batch of {count} papers")
                self.stdout.flush()

        return progress
