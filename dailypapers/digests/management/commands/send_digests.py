"""``dailypapers send_digests``: queue the digests that are due, then send what is queued (digests/sender.py).

Cron-friendly (runs what is due and exits; run it every few minutes), ``--loop`` for a worker,
``--dry-run`` to print what would go out without changing anything.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.utils import timezone

from dailypapers.digests import sender


class Command(BaseCommand):
    help = "Queue the email digests that are due, then send the queued ones (--loop to keep going)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running: a pass every --interval seconds")
        parser.add_argument("--interval", type=int, default=60, help="seconds between passes with --loop")
        parser.add_argument("--dry-run", action="store_true", help="print what would go out; change nothing")
        parser.add_argument("--connections", type=int, default=None,
                            help=f"SMTP connections used at once (default {sender.CONNECTIONS})")

    def handle(self, *args, loop, interval, dry_run, verbosity, connections, **options):
        if connections is not None and connections < 1:
            raise CommandError("--connections must be at least 1")
        if dry_run:
            return self.dry_run()
        try:
            self.handle_one(connections, verbosity)
            while loop:
                time.sleep(interval)
                if not connection.in_atomic_block:  # a long-lived process must not reuse a dropped connection
                    close_old_connections()
                self.handle_one(connections, verbosity)
        except KeyboardInterrupt:
            self.stdout.write("stopped")

    def handle_one(self, connections, verbosity):
        try:
            result = sender.run_due(connections)
        except sender.NoSiteUrl as exc:
            raise CommandError(str(exc)) from None
        if result.stopped:
            self.stderr.write(f"stopped sending: {result.stopped}")
        if result.queued or result.stats or verbosity > 1:  # quiet when idle: cron mails any output
            self.stdout.write(result.summary())

    def dry_run(self):
        try:
            sender.check_site_url()
        except sender.NoSiteUrl as exc:
            self.stderr.write(f"warning: {exc}")
        for line in sender.preview(timezone.now()):
            self.stdout.write(line)
