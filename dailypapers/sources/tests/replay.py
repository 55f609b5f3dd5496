"""A local HTTP server for tests: replays recorded bodies by path + query and injects faults.

Routes map (path, query) to a script of Replies served in order; the last Reply repeats. Every
request is recorded (path, parsed query, headers) for assertions. Query order does not matter.
"""

import contextlib
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    content_type: str = "application/xml; charset=utf-8"
    # Seconds to wait before answering: longer than the client's timeout simulates a stalled server.
    delay: float = 0.0
    # Send only this many body bytes, then close. With send_length the declared Content-Length stays
    # the full size (the client sees an incomplete read); without it the cut is silent (bad XML).
    truncate_to: int | None = None
    send_length: bool = True


def ok(body, **kwargs):
    return Reply(body=_bytes(body), **kwargs)


def too_many_requests(retry_after=None):
    return Reply(429, b"Too Many Requests", headers=_retry_after(retry_after), content_type="text/plain")


def unavailable(retry_after=None, body=b"<html><body>busy</body></html>"):
    return Reply(503, _bytes(body), headers=_retry_after(retry_after), content_type="text/html")


def truncated(body, keep=None, send_length=True):
    body = _bytes(body)
    return Reply(body=body, truncate_to=len(body) // 2 if keep is None else keep, send_length=send_length)


def slow(body, delay):
    return Reply(body=_bytes(body), delay=delay)


def _bytes(body):
    return body.encode("utf-8") if isinstance(body, str) else body


def _retry_after(value):
    return {} if value is None else {"Retry-After": str(value)}


@dataclass
class RecordedRequest:
    path: str
    query: dict  # name -> list of values, as urllib.parse.parse_qs gives them
    headers: dict


def _query_key(query):
    if query is None:
        return None
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else [
        (k, str(v)) for k, v in query.items() if v is not None]
    return tuple(sorted(pairs))


class ReplayServer:
    """Use as a context manager; ``url(path)`` gives the address to point a client at."""

    def __init__(self):
        self.routes = {}  # (path, query key or None for any query) -> list of Replies
        self.requests = []
        # Requests being served right now, and the most ever seen at once (politeness: one).
        self.active = self.max_active = 0
        self._lock = threading.Lock()
        self._server = None

    def add(self, path, query, *replies):
        """Serve ``replies`` in order for ``path`` + ``query`` (dict, query string, or None = any)."""
        self.routes[(path, _query_key(query))] = list(replies)
        return self

    def url(self, path="/"):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def __enter__(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        serve = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        serve.daemon = True
        serve.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def track(self, change):
        with self._lock:
            self.active += change
            self.max_active = max(self.max_active, self.active)

    def next_reply(self, path, query, headers):
        with self._lock:
            self.requests.append(RecordedRequest(path, urllib.parse.parse_qs(query, keep_blank_values=True),
                                                 headers))
            script = self.routes.get((path, _query_key(query))) or self.routes.get((path, None))
            if not script:
                return Reply(404, f"no recording for {path}?{query}".encode(), content_type="text/plain")
            return script.pop(0) if len(script) > 1 else script[0]


def _handler_for(replay):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # the connection closes after each reply, as a cut-off body needs

        def do_GET(self):  # noqa: N802 - name required by BaseHTTPRequestHandler
            path, _, query = self.path.partition("?")
            reply = replay.next_reply(path, query, dict(self.headers.items()))
            # Counted as active while it is being prepared: two polite requests never overlap there.
            # (Counting until the body is written raced: the client has its reply, per Content-Length,
            # and may send the next request before this thread's bookkeeping runs.)
            replay.track(+1)
            try:
                if reply.delay:
                    time.sleep(reply.delay)
            finally:
                replay.track(-1)
            self._send(reply)

        def _send(self, reply):
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.send_length:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            body = reply.body if reply.truncate_to is None else reply.body[:reply.truncate_to]
            with contextlib.suppress(OSError):  # the client gave up (timeout test): nothing left to do
                self.wfile.write(body)

        def log_message(self, *args):  # keep test output quiet
            pass

    return Handler
