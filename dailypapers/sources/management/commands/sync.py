"""``dailypapers sync``: run every configured source that is due (cron-friendly; --loop for a worker)."""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from dailypapers.sources import sync
from dailypapers.sources.models import SourceState


class Command(BaseCommand):
    help = (
        "Fetch new papers from the configured sources (SOURCES_ENABLED: hf, arxiv_rss, arxiv_oai) that are due. "
        "Each source resumes from its checkpoint in the database; overlapping runs never run a source twice. "
        "Schedule: the Hugging Face feed hourly, arXiv after each announcement (20:00 US/Eastern, Sunday-Thursday)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--source", action="append", choices=sorted(sync.SOURCES), dest="sources",
                            help="run only this source (repeatable); default: every enabled source")
        parser.add_argument("--force", action="store_true", help="run even if the source is not due yet")
        parser.add_argument("--loop", action="store_true", help="keep running, checking every --interval seconds")
        parser.add_argument("--interval", type=int, default=60, help="seconds between checks with --loop (60)")
        parser.add_argument("--now", type=_aware_datetime, default=None, metavar="ISO-TIME",
                            help="act as if it were this time (replaying an archive of the feed, tests)")
        parser.add_argument("--reset", action="store_true",
                            help="forget the checkpoint of the chosen sources first (a new backfill)")

    def handle(self, *args, sources, force, loop, interval, reset, now, **options):
        if reset:
            if not sources:
                raise CommandError("--reset needs --source, so a whole site's history is never reset by accident")
            SourceState.objects.filter(name__in=sources).update(checkpoint={})
        while True:
            self.handle_one(sources, force, now)
            if not loop:
                return
            time.sleep(interval)
            force = False

    def handle_one(self, sources, force, now=None):
        """One pass over the sources; returns whether any ran."""
        ran = sync.run_due(force=force, names=sources, now=now)
        for name, outcome in ran.items():
            if isinstance(outcome, str):
                self.stderr.write(f"{name}: failed: {outcome}")
            else:
                self.stdout.write(f"{name}: {outcome.summary()}")
        return bool(ran)


def _aware_datetime(text):
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
