"""``dailypapers export [PATH]``: every paper as JSONL in the import format, so data leaves as it enters."""

import gzip
import json
import sys

from django.core.management.base import BaseCommand

from dailypapers.sources.export import export_rows


class Command(BaseCommand):
    help = "Write all papers as JSONL (the format `dailypapers import` reads). PATH ending in .gz is gzipped."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default="-", help="output file, or - for stdout (default)")

    def handle(self, *args, path, **options):
        if path == "-":
            self._write(sys.stdout)
            return
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "wt", encoding="utf-8") as out:
            count = self._write(out)
        self.stderr.write(f"wrote {count} papers to {path}")

    def _write(self, out):
        count = 0
        for row in export_rows():
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
        return count
