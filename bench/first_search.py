"""The first search a web worker answers against its hundredth, and the worker's memory.

Starts ``dailypapers serve`` (one web worker, no background worker) on the demo data ROUNDS times. In
each round, once the worker says it is ready, it times the first search and then WARM more, every one
a query not asked before (so the query-vector cache never answers), and reads the worker's RSS and PSS
from /proc. Prints the first searches' median against the warm median, and the memory.

The site lives under $DAILYPAPERS_HOME (default var/bench-first-search); the first run imports the
demo data and embeds and indexes it (minutes), later runs reuse it.

    python bench/first_search.py [--rounds 5] [--warm 100]
"""

import argparse
import gzip
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DAILYPAPERS_SHARED") or REPO.parent / "shared")
DEMO = SHARED / "data" / "hf-daily-papers.jsonl.gz"
HOME = Path(os.environ.get("DAILYPAPERS_HOME") or REPO / "var" / "bench-first-search")
READY = re.compile(r"web worker (\d+) ready")


def dailypapers(*args, capture=False):
    env = os.environ | {"DAILYPAPERS_HOME": str(HOME), "LOG_LEVEL": "WARNING"}
    return subprocess.run([sys.executable, "-m", "dailypapers.cli", *args], env=env, check=True,  # noqa: S603
                          capture_output=capture, text=True)


def prepare():
    marker = HOME / ".bench-ready"
    HOME.mkdir(parents=True, exist_ok=True)
    dailypapers("migrate", "-v0")
    dailypapers("collectstatic", "--noinput", "-v0")  # the checkout's current static files
    if marker.exists():
        return
    for step in (["import", str(DEMO)], ["embed"], ["reindex", "--force"]):
        print(f"setting up: dailypapers {' '.join(step)}", file=sys.stderr, flush=True)
        dailypapers(*step)
    marker.touch()


def queries(count, seed):
    """Distinct short queries: the first words of random titles."""
    with gzip.open(DEMO, "rt") as fh:
        titles = [json.loads(line)["title"] for line in fh]
    rng = random.Random(seed)
    return [" ".join(title.split()[: rng.randint(2, 5)]) + f" {n}" for n, title in enumerate(rng.sample(titles, count))]


def free_port():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


def timed_search(port, query):
    url = f"http://127.0.0.1:{port}/papers?{urllib.parse.urlencode({'q': query})}"
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 (loopback)
        response.read()
        assert response.status == 200
    return (time.perf_counter() - started) * 1000


def memory_mb(pid):
    def field(path, name):
        for line in Path(path).read_text().splitlines():
            if line.startswith(name):
                return int(line.split()[1]) / 1024
        return float("nan")

    return field(f"/proc/{pid}/status", "VmRSS:"), field(f"/proc/{pid}/smaps_rollup", "Pss:")


def one_round(n, warm):
    port = free_port()
    env = os.environ | {"DAILYPAPERS_HOME": str(HOME), "LOG_FORMAT": "text", "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen([sys.executable, "-m", "dailypapers.cli", "serve", "--bind", f"127.0.0.1:{port}",  # noqa: S603
                               "--workers", "1", "--with-worker", "no"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        pid = next(int(m.group(1)) for line in server.stdout if (m := READY.search(line)))
        asked = queries(warm + 1, seed=n)
        first = timed_search(port, asked[0])
        after = [timed_search(port, q) for q in asked[1:]]
        return first, after, memory_mb(pid)
    finally:
        server.terminate()
        server.wait(timeout=60)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warm", type=int, default=100)
    args = parser.parse_args()
    prepare()
    firsts, warm, memory = [], [], []
    for n in range(args.rounds):
        first, after, mem = one_round(n, args.warm)
        firsts.append(first)
        warm += after
        memory.append(mem)
        print(f"round {n + 1}: first {first:.0f} ms, then p50 {statistics.median(after):.0f} ms; "
              f"worker RSS {mem[0]:.0f} MB, PSS {mem[1]:.0f} MB", flush=True)
    first_p50, warm_p50 = statistics.median(firsts), statistics.median(warm)
    print(f"first search p50 {first_p50:.0f} ms; searches 2-{args.warm + 1} p50 {warm_p50:.0f} ms "
          f"(first / warm = {first_p50 / warm_p50:.2f})")
    print(f"web worker RSS after {args.warm + 1} searches: max {max(m[0] for m in memory):.0f} MB "
          f"(PSS {max(m[1] for m in memory):.0f} MB)")


if __name__ == "__main__":
    main()
