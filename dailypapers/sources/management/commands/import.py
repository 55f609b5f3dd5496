"""``dailypapers import PATH…``: load papers from JSONL / API JSON files, folders or tar archives."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from dailypapers.lib import arxiv_ids
from dailypapers.papers.models import Paper
from dailypapers.papers.upsert import BATCH_SIZE, refresh_statistics, upsert_papers
from dailypapers.search import jobs
from dailypapers.sources.files import ParseProblem, read_paths

MAX_PROBLEMS_SHOWN = 50
# Without a terminal (make run's log, cron, CI) progress is a plain line this often instead of a bar.
PROGRESS_EVERY_S = 5.0


class Command(BaseCommand):
    help = (
        "Import papers from Hugging Face daily-papers JSONL (.jsonl, .jsonl.gz), /api/daily_papers JSON "
        "responses (.json), folders of them, or .tar.gz archives of them. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument("--no-progress", action="store_true", help="no progress bar or progress lines")

    def handle(self, *args, paths, batch_size, no_progress, **options):
        problems, self.embeddings = [], {}
        quiet = no_progress or options["verbosity"] == 0
        if not quiet:
            self.stderr.write(f"Importing {', '.join(paths)} …")
        records = self._records(paths, problems, bar=not quiet and sys.stderr.isatty(),
                                lines=not quiet and not sys.stderr.isatty())
        result = upsert_papers(records, batch_size=batch_size)
        if not quiet:
            self.stderr.write(f"{result.total:,} papers stored; updating counts …")
        refresh_statistics(result)
        self._adopt_vectors()
        problems += [ParseProblem(origin, reason) for origin, reason in result.rejected]
        self._report(result, problems)
        if result.total == 0 and problems:
            raise CommandError("nothing could be imported")

    def _records(self, paths, problems, bar, lines):
        """The records of ``paths``, counted on a bar (a terminal) or in a line every few seconds."""
        progress = tqdm(unit=" papers", disable=not bar, file=sys.stderr)
        count, last_line = 0, time.monotonic()
        for item in read_paths(paths):
            if isinstance(item, ParseProblem):
                problems.append(item)
                continue
            progress.update()
            count += 1
            if item.embedding is not None:
                self.embeddings[item.arxiv_id] = item.embedding
            if lines and time.monotonic() - last_line >= PROGRESS_EVERY_S:
                self.stderr.write(f"… {count:,} papers read")
                last_line = time.monotonic()
            yield item
        progress.close()

    def _adopt_vectors(self):
        """Vectors exported with the papers (``export --vectors``) are stored when their model is ours:
        moving or restoring a site never computes them again. The rest wait for ``embed``."""
        if not self.embeddings:
            return
        pks = dict(Paper.objects.filter(arxiv_id__in=[_base_id(a) for a in self.embeddings])
                   .values_list("arxiv_id", "pk"))
        adopted, refused = jobs.adopt_vectors({pks[_base_id(a)]: e for a, e in self.embeddings.items()
                                               if _base_id(a) in pks})
        self.stdout.write(f"{adopted} vectors reused; {refused} not (another model, malformed, or already there)")

    def _report(self, result, problems):
        for problem in problems[:MAX_PROBLEMS_SHOWN]:
            self.stderr.write(f"skipped {problem.origin}: {problem.reason}")
        if len(problems) > MAX_PROBLEMS_SHOWN:
            self.stderr.write(f"… and {len(problems) - MAX_PROBLEMS_SHOWN} more problems")
        parse_only = len(problems) - len(result.rejected)
        self.stdout.write(
            f"{result.summary()}" + (f", {parse_only} unreadable" if parse_only else "")
        )


def _base_id(arxiv_id):
    try:
        return arxiv_ids.parse(arxiv_id)[0]
    except arxiv_ids.InvalidArxivId:
        return arxiv_id
