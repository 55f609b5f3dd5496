"""HTTP throughput of the production server (gunicorn + WhiteNoise) with the 9,877 HF papers loaded.

For each URL: requests/s, p50 and p99 latency and errors at 32 concurrent connections (wrk, on
loopback), beside a static file served by the same server as the ceiling — all in one run, with the
page cache on and off, and with ``serve``'s buffering front and without it (``--front yes,no``).
Searches are measured twice: one query asked again and again (every request a hit once cached), and
that query every other request with a new query between (half the requests hits at most).

An error is any response that is not 2xx (a Lua hook counts them: wrk itself only counts status >= 400)
and any socket error or timeout. Each pass starts a fresh server on an empty shared cache (page-cache
versions and rate-limit counters live there), with the anonymous API rate limit out of the way: one
client address making thousands of requests a second is exactly what it exists to refuse.

    python bench/throughput.py [--seconds 10] [--connections 32] [--front yes,no]   # needs wrk (apt-get)
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data" / "hf-daily-papers.jsonl.gz"
SEARCH = "/papers?q=diffusion+language+models"
PAGES = [
    ("day page", "/papers/date/2026-08-21"),
    ("paper page", "/papers/2608.19880"),
    ("search", SEARCH),
    # Every other request a query never asked before: at most half the searches are cache hits.
    ("search, half new", SEARCH),
    ("/api/daily_papers", "/api/daily_papers?date=2026-08-21"),
]
# For the rows named here, wrk asks for these paths instead of the row's own, request by request.
NEW_EVERY_OTHER = """
local n = 0
request = function()
  n = n + 1
  if n % 2 == 1 then return wrk.format(nil, "SEARCH") end
  return wrk.format(nil, "/papers?q=diffusion+" .. n .. "+" .. math.random(1000000000))
end
""".replace("SEARCH", SEARCH)
REQUESTS = {"search, half new": NEW_EVERY_OTHER}
UNLIMITED = str(10**9)  # requests per rate window: no limit a bench can reach
# Counts non-2xx responses per wrk thread and sums them at the end (wrk's own count starts at 400).
NON_2XX_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("non2xx") end
  io.write(string.format("non-2xx responses: %d\\n", total))
end
"""


def dailypapers(env, *args, **kwargs):
    return subprocess.run([sys.executable, "-m", "dailypapers.cli", *args], env=env, cwd=REPO,  # noqa: S603
                          check=True, capture_output=True, text=True, **kwargs)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(home):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {
        "DAILYPAPERS_HOME": home, "SOURCES_ENABLED": "", "LOG_LEVEL": "WARNING"}
    dailypapers(env, "migrate", "--noinput", "-v0")
    dailypapers(env, "collectstatic", "--noinput", "-v0")
    if not (Path(home) / "index").exists():  # a --home prepared by an earlier run already has it all
        dailypapers(env, "import", "--no-progress", str(DATA))
        # The keyword index only: embedding 10k papers takes minutes on 2 cores, and the search row then
        # measures the keyword half plus fusion with an empty semantic half (see docs/search.md for both).
        dailypapers(env, "reindex", "--force")
    manifest = json.loads((Path(home) / "static" / "staticfiles.json").read_text())
    return env, "/static/" + manifest["paths"]["dailypapers/app.css"]


def serve(env, port, cache_seconds, front="yes"):
    # A fresh shared cache per pass: nothing cached or counted by the previous pass carries over.
    shutil.rmtree(Path(env["DAILYPAPERS_HOME"]) / "cache", ignore_errors=True)
    server_env = env | {"PAGE_CACHE_SECONDS": str(cache_seconds), "API_RATE_LIMIT": UNLIMITED}
    process = subprocess.Popen([sys.executable, "-m", "dailypapers.cli", "serve", "--bind", f"127.0.0.1:{port}",  # noqa: S603
                                "--with-worker", "no", "--front", front], env=server_env, cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)  # noqa: S310
            return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("server did not start")


def wrk(url, seconds, connections, script):
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, url],  # noqa: S603, S607
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    # Our count includes wrk's "Non-2xx or 3xx responses" (status >= 400) and adds 1xx/3xx.
    errors += int(re.search(r"non-2xx responses: (\d+)", out).group(1))
    return rate, _ms(out, "50%"), _ms(out, "99%"), errors


def _ms(out, percentile):
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", out).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer of its own here, not the page measured


def available(port, path):
    """Whether ``path`` answers 200 itself (not through a redirect)."""
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        return opener.open(f"http://127.0.0.1:{port}{path}", timeout=30).status == 200
    except OSError:
        return False


def run(env, static, cache_seconds, front, args, scripts):
    port = free_port()
    process = serve(env, port, cache_seconds, front)
    try:
        label = ("cached" if cache_seconds else "uncached") + ("" if front == "yes" else ", no front")
        rows = [("static file (ceiling)", static), *PAGES]
        ceiling = None
        for name, path in rows:
            if not available(port, path):
                print(f"{label:<20} {name:<22} not available on this build")
                continue
            script = scripts.get(name, scripts[None])
            wrk(f"http://127.0.0.1:{port}{path}", 2, args.connections, script)  # warm every worker process
            rate, p50, p99, errors = wrk(f"http://127.0.0.1:{port}{path}", args.seconds, args.connections, script)
            ceiling = ceiling or rate
            print(f"{label:<20} {name:<22} {rate:8.0f} req/s  {100 * rate / ceiling:5.1f}% of static  "
                  f"p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  errors {errors}")
    finally:
        process.terminate()
        process.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--home", help="prepare (or reuse) the site here instead of a temporary folder")
    parser.add_argument("--front", default="yes", help="comma-separated: yes (serve's default), no (gunicorn "
                        "alone), or both in turn for a side-by-side comparison")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install wrk")
    if not DATA.exists():
        raise SystemExit(f"no data at {DATA}")
    with tempfile.TemporaryDirectory() as scratch:
        home = args.home or scratch
        env, static = prepare(home)
        scripts = {}
        for name, requests in [(None, ""), *REQUESTS.items()]:
            script = Path(scratch) / f"wrk-{len(scripts)}.lua"
            script.write_text(NON_2XX_SCRIPT + requests)
            scripts[name] = str(script)
        print(f"{os.cpu_count()} cores, {args.connections} connections, {args.seconds} s per URL, wrk -t2; "
              f"load average {_load()}")
        for cache_seconds in (600, 0):
            for front in args.front.split(","):
                run(env, static, cache_seconds, front, args, scripts)
        print(f"load average {_load()}")


def _load():
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


if __name__ == "__main__":
    main()
