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
        parser.add_argument("--vectors", action="store_true",
                            help="include each paper's search vector and the model that made it (import reuses them)")

    def handle(self, *args, path, vectors, **options):
        if path == "-":
            self._write(sys.stdout, vectors)
            return
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "wt", encoding="utf-8") as out:
            count = self._write(out, vectors)
        self.stderr.write(f"wrote {count} papers to {path}")

    def _write(self, out, vectors):
        count = 0
        for row in export_rows(vectors=vectors):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
        return count
