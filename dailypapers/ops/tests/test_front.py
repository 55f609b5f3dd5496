"""The buffering front, against a stand-in for gunicorn that records what it receives."""

import asyncio
import socket

import pytest

from dailypapers.ops.front import Front, Limits, Trusted

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


class Upstream:
    """A Unix-socket server that keeps each request it is sent and answers ``answer``."""

    def __init__(self, path, answer=ANSWER, delay=0.0):
        self.path, self.answer, self.delay, self.received = path, answer, delay, []

    async def handle(self, reader, writer):
        data = await reader.read(1 << 20)
        self.received.append(data)
        await asyncio.sleep(self.delay)
        writer.write(self.answer)
        await writer.drain()
        writer.close()


DEFAULTS, NOBODY = Limits(), Trusted()


def exchange(tmp_path, *messages, limits=DEFAULTS, trusted=NOBODY, upstream=None, pause=0.0):
    """Send ``messages`` to a front on one connection; everything it answers, and what gunicorn got."""
    upstream = upstream or Upstream(str(tmp_path / "web.sock"))

    async def run():
        await asyncio.start_unix_server(upstream.handle, upstream.path)
        listener = socket.create_server(("127.0.0.1", 0))
        await Front(upstream.path, limits, trusted).start(listener)
        reader, writer = await asyncio.open_connection(*listener.getsockname())
        for message in messages:
            writer.write(message)
            await asyncio.sleep(pause)
        answer = await asyncio.wait_for(reader.read(), 20)
        writer.close()
        return answer

    return asyncio.run(run()), upstream.received


def test_it_hands_gunicorn_the_client_address_and_one_request_to_close(tmp_path):
    answer, (sent,) = exchange(tmp_path, b"GET /papers?q=x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b"\r\n\r\nok")
    assert sent.startswith(b"PROXY TCP4 127.0.0.1 127.0.0.1 ")
    assert b"\r\nGET /papers?q=x HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n" in sent


def test_it_keeps_the_client_connection_alive_across_requests(tmp_path):
    request = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
    answer, sent = exchange(tmp_path, request, request + b"GET /last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
                            pause=0.3)
    assert len(sent) == 3 and answer.count(b"HTTP/1.1 200 OK") == 3
    assert answer.count(b"Connection: close") == 1  # only on the answer to the request that asked for it


def test_it_reads_a_chunked_body_whole_and_sends_it_with_its_length(tmp_path):
    answer, (sent,) = exchange(tmp_path, b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
                               b"5\r\nhello\r\n", b"6;ext=1\r\n world\r\n0\r\nTrailer: t\r\n\r\n", pause=0.2)
    assert answer.startswith(b"HTTP/1.1 200")
    assert b"transfer-encoding" not in sent
    assert sent.endswith(b"content-length: 11\r\nconnection: close\r\n\r\nhello world")


def test_it_believes_forwarding_headers_only_from_trusted_proxies(tmp_path):
    request = (b"GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.1.2.3, 203.0.113.9\r\nX-Forwarded-Proto: https\r\n"
               b"Script_Name: /evil\r\nConnection: close\r\n\r\n")
    _, (untrusted,) = exchange(tmp_path, request)
    assert untrusted.startswith(b"PROXY TCP4 127.0.0.1 ") and b"x-forwarded-proto" not in untrusted
    assert b"script_name" not in untrusted  # gunicorn would take it as SCRIPT_NAME from a Unix socket
    _, (trusted,) = exchange(tmp_path, request, trusted=Trusted.parse("127.0.0.1"))
    assert trusted.startswith(b"PROXY TCP4 203.0.113.9 127.0.0.1 0 ") and b"x-forwarded-proto: https" in trusted


@pytest.mark.parametrize(("message", "status"), [
    (b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"x" * 300_000 + b"\r\n\r\n", b"431"),
    (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", b"400"),
    (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello", b"400"),
    (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n", b"413"),
    (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", b"501"),
    (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", b"505"),
    (b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", b"400"),
    (b"GET / HTTP/1.1\r\n Host: a\r\n\r\n", b"400"),
], ids=["head too large", "length and chunked", "two lengths", "body too large", "unknown coding", "http/2",
        "bad request line", "folded header"])
def test_it_refuses_what_it_cannot_pass_on_safely(tmp_path, message, status):
    answer, sent = exchange(tmp_path, message, limits=Limits(max_body=1_000_000))
    assert answer.startswith(b"HTTP/1.1 " + status) and b"Connection: close" in answer
    assert sent == []  # gunicorn never saw it


def test_it_answers_a_body_that_stalls_with_408_and_a_silent_client_with_nothing(tmp_path):
    limits = Limits(header_timeout=0.3, body_timeout=0.3)
    answer, sent = exchange(tmp_path, b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc", limits=limits)
    assert answer.startswith(b"HTTP/1.1 408") and sent == []
    answer, sent = exchange(tmp_path, b"GET / HTTP/1.1\r\nHost: a\r\n", limits=limits)
    assert answer == b"" and sent == []


def test_it_says_502_when_gunicorn_is_not_there_and_504_when_it_is_too_slow(tmp_path):
    request = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
    missing = Upstream(str(tmp_path / "web.sock"))

    async def nobody_home():
        listener = socket.create_server(("127.0.0.1", 0))
        await Front(missing.path).start(listener)
        reader, writer = await asyncio.open_connection(*listener.getsockname())
        writer.write(request)
        return await asyncio.wait_for(reader.read(), 10)

    assert asyncio.run(nobody_home()).startswith(b"HTTP/1.1 502")
    slow = Upstream(str(tmp_path / "slow.sock"), delay=1.0)
    answer, _ = exchange(tmp_path, request, upstream=slow, limits=Limits(upstream_timeout=0.2))
    assert answer.startswith(b"HTTP/1.1 504")


def test_it_answers_continue_before_reading_an_expected_body(tmp_path):
    answer, (sent,) = exchange(tmp_path, b"PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n"
                               b"Connection: close\r\n\r\n", b"hi", pause=0.2)
    assert answer.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK")
    assert b"expect" not in sent.lower() and sent.endswith(b"\r\n\r\nhi")


def test_a_large_answer_reaches_a_slow_reader_whole(tmp_path):
    """gunicorn is done long before the client reads: the front still holds part of the answer when
    the exchange ends, and sends it all before it closes."""
    body = bytes(range(256)) * 24_576  # 6 MiB: more than the kernel's buffers, less than the front's
    head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body)
    big = Upstream(str(tmp_path / "web.sock"), answer=head + body)
    answer, _ = exchange(tmp_path, b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", upstream=big, pause=1.0)
    assert answer.endswith(b"\r\n\r\n" + body)
