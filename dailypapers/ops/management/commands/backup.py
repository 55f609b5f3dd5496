"""``dailypapers backup [PATH]``: an online, consistent copy of the database."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from dailypapers.ops.backups import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database while the site runs (SQLite backup API or pg_dump --format=custom)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="default: $DAILYPAPERS_HOME/backups/dailypapers-<time>.<ext>")

    def handle(self, *args, path, **options):
        if not path:
            ext = "sqlite3" if connection.vendor == "sqlite" else "dump"
            path = settings.HOME / "backups" / f"dailypapers-{timezone.now():%Y%m%d-%H%M%S}.{ext}"
        try:
            written = backup(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"backed up to {written}")
