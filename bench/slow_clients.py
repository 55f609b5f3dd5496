"""Latency of /healthz and the front page while idle and slow clients hold connections open.

For each server mode (``dailypapers serve`` with its buffering front, and gunicorn alone with
``--front no``) on a fresh site: p50, p99 and the slowest answer of each URL, probed one at a time for
``--seconds`` while ``--idle`` connections send nothing and ``--slow`` send a header byte every 0.5 s
(each reopened when the server drops it). A probe that waits longer than 10 s counts as a timeout.

    python bench/slow_clients.py [--idle 500] [--slow 50] [--seconds 20] [--workers 5] [--threads 4]
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from dailypapers.ops.tests.server import Attack, free_port, read_until_warm, start_serve, timed_get  # noqa: E402

PATHS = ("/healthz", "/")


def probe(port, seconds):
    latencies, timeouts = {path: [] for path in PATHS}, 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in PATHS:
            try:
                latencies[path].append(timed_get(port, path)[1])
            except OSError:
                timeouts += 1
        time.sleep(0.1)
    return latencies, timeouts


def measure(front, args):
    port = free_port()
    with tempfile.TemporaryDirectory() as home:
        process = start_serve(home, port, "--front", front, "--workers", str(args.workers),
                              "--threads", str(args.threads))
        try:
            read_until_warm(process, args.workers)
            threading.Thread(target=process.stdout.read, daemon=True).start()
            with Attack(port, idle=args.idle, slow=args.slow):
                latencies, timeouts = probe(port, args.seconds)
        finally:
            process.terminate()
            process.wait(timeout=60)
    for path, values in latencies.items():
        answered, values = len(values), sorted(values) or [float("nan")]
        p99 = values[min(len(values) - 1, int(0.99 * len(values)))]
        print(f"front {front:<3} {path:<9} answered {answered:4d}  p50 {1000 * statistics.median(values):8.1f} ms  "
              f"p99 {1000 * p99:8.1f} ms  slowest {1000 * values[-1]:8.1f} ms")
    print(f"front {front:<3} probes that waited over 10 s: {timeouts}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle", type=int, default=500)
    parser.add_argument("--slow", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; serve --workers {args.workers} --threads {args.threads}; {args.idle} idle and "
          f"{args.slow} slow-header connections for {args.seconds} s")
    for front in ("yes", "no"):
        measure(front, args)


if __name__ == "__main__":
    main()
