"""``dailypapers restore PATH``: replace the database with a backup (stop the web server and worker first)."""

from django.core.management.base import BaseCommand, CommandError

from dailypapers.ops.backups import BackupError, restore


class Command(BaseCommand):
    help = "Replace the whole database with a backup made by `dailypapers backup`. Stop web and worker first."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, path, yes, **options):
        if not yes and input(f"Replace the database with {path}? [y/N] ").strip().lower() != "y":
            raise CommandError("not restored")
        try:
            restore(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"restored from {path}")
