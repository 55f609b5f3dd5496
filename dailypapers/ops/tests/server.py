"""Start ``dailypapers serve`` as a production install runs it (its own home, migrated, static collected),
and attack it with idle and slow clients; shared by the tests and bench/slow_clients.py."""

import http.client
import os
import socket
import subprocess
import sys
import threading
import time


def free_port():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


def start_serve(home, port, *args, env=None):
    # On the database the suite runs on (scripts/with-postgres sets DATABASE_URL), else its own SQLite.
    env = os.environ | {"DAILYPAPERS_HOME": str(home), "LOG_FORMAT": "text", "PYTHONUNBUFFERED": "1"} | (env or {})
    for setup in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"]):  # as `make run` does
        subprocess.run([sys.executable, "-m", "dailypapers.cli", *setup], env=env, check=True)
    return subprocess.Popen([sys.executable, "-m", "dailypapers.cli", "serve", "--bind", f"127.0.0.1:{port}",
                             "--with-worker", "no", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def read_until_warm(process, workers):
    """The server's output up to the moment all ``workers`` web workers are warm."""
    lines, warm = [], 0
    for line in process.stdout:
        lines.append(line)
        warm += "ready: search model, index and pages warmed" in line
        if warm == workers:
            return lines
    raise AssertionError("the server stopped before its workers were warm:\n" + "".join(lines))


class Attack:
    """``idle`` connections that send nothing and ``slow`` ones that send a header a byte at a time, each
    reopened when the server drops it, so the pressure lasts as long as the attack."""

    def __init__(self, port, idle, slow):
        self.port, self.stop, self.reopened = port, threading.Event(), 0
        self.idle = [self.connect() for _ in range(idle)]
        self.slow = [self.connect(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n") for _ in range(slow)]
        self.thread = threading.Thread(target=self.trickle, daemon=True)

    def connect(self, first=b""):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        if first:
            sock.sendall(first)
        return sock

    def trickle(self):
        while not self.stop.wait(0.5):
            for i, sock in enumerate(self.slow):
                try:
                    sock.sendall(b"X")
                except OSError:
                    sock.close()
                    self.slow[i] = self.connect(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                    self.reopened += 1

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        for sock in self.idle + self.slow:
            sock.close()


def timed_get(port, path):
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    finally:
        connection.close()
