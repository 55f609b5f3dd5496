"""What one rate-limited request costs in each shared cache: ``lib.ratelimit.hit`` timed in-process.

Each backend counts ``--hits`` requests of one client (the common case: a counter read and bumped per
request), in rounds taken in turn so that the machine's load falls on all alike; the figure is the
median of the rounds, in microseconds per hit. Redis is measured when CACHE_URL names one
(``scripts/with-redis python bench/ratelimit.py``).

    python bench/ratelimit.py [--hits 2000] [--rounds 5]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DAILYPAPERS_HOME", tempfile.mkdtemp(prefix="bench-ratelimit-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")

import django  # noqa: E402

django.setup()
from django.core.cache import caches  # noqa: E402
from django.test import override_settings  # noqa: E402

from dailypapers.lib.ratelimit import hit  # noqa: E402

HOME = Path(os.environ["DAILYPAPERS_HOME"])
BACKENDS = {
    "local memory (one process only)": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "files (the old one-node default)": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                         "LOCATION": str(HOME / "bench-files"), "OPTIONS": {"MAX_ENTRIES": 100000}},
    "SQLite (the one-node default)": {"BACKEND": "dailypapers.lib.sqlitecache.SQLiteCache",
                                      "LOCATION": str(HOME / "bench-cache.sqlite3")},
}
if os.environ.get("CACHE_URL", "").startswith("redis"):
    BACKENDS["Redis (CACHE_URL)"] = {"BACKEND": "dailypapers.lib.rediscache.RedisCache",
                                     "LOCATION": os.environ["CACHE_URL"]}


def one_round(config, hits):
    with override_settings(CACHES={"default": config, "shared": config}):
        caches["shared"].clear()
        began = time.perf_counter()
        for _ in range(hits):
            hit("bench", "203.0.113.7", limit=10**9, window=300)
        return (time.perf_counter() - began) / hits * 1e6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hits", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, {args.hits} hits a round, {args.rounds} rounds; load {os.getloadavg()[0]:.2f}")
    timings = {name: [] for name in BACKENDS}
    for _ in range(args.rounds):
        for name, config in BACKENDS.items():
            timings[name].append(one_round(config, args.hits))
    for name, values in timings.items():
        print(f"{name:<34} {statistics.median(values):8.1f} µs a rate-limited request "
              f"(rounds {min(values):.1f}–{max(values):.1f})")


if __name__ == "__main__":
    main()
