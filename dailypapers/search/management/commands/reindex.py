"""``dailypapers reindex``: build a new search index generation when the database has changed."""

import time

from django.core.management.base import BaseCommand

from dailypapers.search import jobs


class Command(BaseCommand):
    help = "Rebuild the search index directory from the database (only when stale, unless --force)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="rebuild even when nothing changed")
        parser.add_argument("--loop", action="store_true", help="keep running, checking every --interval s")
        parser.add_argument("--interval", type=float, default=60.0)

    def handle(self, *args, **options):
        while True:
            self.handle_one(force=options["force"])
            if not options["loop"]:
                return
            options["force"] = False
            time.sleep(options["interval"])

    def handle_one(self, force=False):
        """Build one generation if due; True when one was published."""
        manifest = jobs.reindex_if_stale(force=force)
        if manifest is None:
            self.stdout.write("index is up to date (or another process is building it)")
            return False
        self.stdout.write(f"built {manifest.name}: {manifest.papers} papers, {manifest.vectors} vectors"
                          f"{' (HNSW)' if manifest.hnsw else ''} in {manifest.seconds} s")
        return True
