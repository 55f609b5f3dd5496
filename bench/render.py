"""CPU time of an uncached page rendered in-process (Django's test client, page cache off).

For comparing two checkouts on a busy machine, where wrk's requests a second move with the load: run
it for each in turn, several times, alternating, each with its own $DAILYPAPERS_HOME holding the demo
data (``dailypapers import``), and compare the medians. Process time leaves out the waits for a core.

    PYTHONPATH=/path/to/checkout DAILYPAPERS_HOME=… python bench/render.py [--rounds 5] [--requests 10] [PATH]
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
os.environ["PAGE_CACHE_SECONDS"] = "0"
os.environ.setdefault("LOG_LEVEL", "WARNING")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs="?", default="/papers/date/2026-08-21")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()

    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    response = client.get(args.path)
    assert response.status_code == 200, response.status_code
    for _ in range(3):  # warm: templates compiled, URL patterns loaded
        client.get(args.path)
    rounds = []
    for _ in range(args.rounds):
        started = time.process_time()
        for _ in range(args.requests):
            client.get(args.path)
        rounds.append((time.process_time() - started) / args.requests * 1000)
    print(f"{args.path}: median {statistics.median(rounds):.2f} ms, min {min(rounds):.2f} ms of CPU a request "
          f"({len(response.content):,} bytes)")


if __name__ == "__main__":
    main()
