"""``dailypapers worker``: run every scheduled job (settings.WORKER_JOBS) until SIGTERM."""

import logging

from django.core.management.base import BaseCommand

from dailypapers.ops.worker import Worker
from dailypapers.search.setup import prepare_search


class Command(BaseCommand):
    help = "Run the scheduled jobs (sync sources, …) in one loop; stops cleanly on SIGTERM or Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run each due job once, then exit")

    def handle(self, *args, once, **options):
        logging.getLogger("dailypapers").setLevel(logging.INFO)
        prepare_search()
        worker = Worker()
        if once:
            worker.handle_one()
            return
        self.stdout.write(f"worker: jobs {', '.join(job.name for job in worker.jobs)}")
        self.stdout.flush()
        worker.run()
