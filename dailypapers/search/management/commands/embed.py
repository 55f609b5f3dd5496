"""``dailypapers embed``: compute the MiniLM vector of every paper that lacks one (resumable)."""

import time

from django.core.management.base import BaseCommand
from tqdm import tqdm

from dailypapers.search import jobs
from dailypapers.search.models import PaperEmbedding


class Command(BaseCommand):
    help = "Embed papers that have no vector yet (batched, resumable, safe to run twice at once)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=jobs.BATCH_SIZE)
        parser.add_argument("--limit", type=int, default=None, help="stop after this many papers")
        parser.add_argument("--refresh", action="store_true",
                            help="first queue again the papers whose text or model setting changed")
        parser.add_argument("--loop", action="store_true", help="keep running, polling every --interval s")
        parser.add_argument("--interval", type=float, default=30.0)

    def handle(self, *args, **options):
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
        waiting = PaperEmbedding.objects.filter(vector__isnull=True).count()
        if options["limit"]:
            waiting = min(waiting, options["limit"])
        started = time.monotonic()
        with tqdm(total=waiting, unit="paper", disable=waiting == 0 or options["verbosity"] == 0) as bar:
            done = jobs.embed_pending(batch_size=options["batch_size"], limit=options["limit"], progress=bar.update)
        seconds = time.monotonic() - started
        rate = f" ({done / seconds:.1f} papers/s)" if done and seconds else ""
        self.stdout.write(f"embedded {done} papers{rate}")
        return done > 0
