"""``dailypapers import PATH…``: load papers from JSONL / API JSON files, folders or tar archives."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from dailypapers.papers.upsert import BATCH_SIZE, refresh_statistics, upsert_papers
from dailypapers.sources.files import ParseProblem, read_paths

MAX_PROBLEMS_SHOWN = 50


class Command(BaseCommand):
    help = (
        "Import papers from Hugging Face daily-papers JSONL (.jsonl, .jsonl.gz), /api/daily_papers JSON "
        "responses (.json), folders of them, or .tar.gz archives of them. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, paths, batch_size, no_progress, **options):
        problems = []
        records = self._records(paths, problems, progress=not no_progress and sys.stderr.isatty())
        result = upsert_papers(records, batch_size=batch_size)
        refresh_statistics(result)
        problems += [ParseProblem(origin, reason) for origin, reason in result.rejected]
        self._report(result, problems)
        if result.total == 0 and problems:
            raise CommandError("nothing could be imported")

    def _records(self, paths, problems, progress):
        bar = tqdm(unit=" papers", disable=not progress, file=sys.stderr)
        for item in read_paths(paths):
            if isinstance(item, ParseProblem):
                problems.append(item)
                continue
            bar.update()
            yield item
        bar.close()

    def _report(self, result, problems):
        for problem in problems[:MAX_PROBLEMS_SHOWN]:
            self.stderr.write(f"skipped {problem.origin}: {problem.reason}")
        if len(problems) > MAX_PROBLEMS_SHOWN:
            self.stderr.write(f"… and {len(problems) - MAX_PROBLEMS_SHOWN} more problems")
        parse_only = len(problems) - len(result.rejected)
        self.stdout.write(
            f"{result.summary()}" + (f", {parse_only} unreadable" if parse_only else "")
        )
