"""The buffering front of ``dailypapers serve``.

An asyncio server on the public address reads each request whole (head and body, under time and size
limits) before handing it to gunicorn over a private Unix socket, and takes gunicorn's answer as fast
as gunicorn writes it. Idle, trickling and slow-reading clients cost a few kilobytes here instead of
a worker thread each, which is what a buffering proxy such as nginx does in front of gunicorn.
The client's address reaches gunicorn through the PROXY protocol (it becomes ``REMOTE_ADDR``).
"""

import asyncio
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field

# Headers that describe one connection, not the request (RFC 9110 §7.6.1): never forwarded as sent.
HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"transfer-encoding",
              b"upgrade", b"expect", b"content-length"}
# gunicorn believes these unconditionally from a Unix socket, so only a trusted proxy may send them.
SCHEME_HEADERS = {b"x-forwarded-proto", b"x-forwarded-protocol", b"x-forwarded-ssl"}
REASONS = {400: "Bad Request", 408: "Request Timeout", 413: "Content Too Large", 431: "Request Header Fields "
           "Too Large", 501: "Not Implemented", 502: "Bad Gateway", 504: "Gateway Timeout",
           505: "HTTP Version Not Supported"}
CHUNK = 64 * 1024
LINGER_S = 2.0  # after a refusal: how long the rest of the client's request is read and dropped


@dataclass(frozen=True)
class Limits:
    """Seconds and bytes a client gets; stated in README's production section."""

    header_timeout: float = 10.0  # a whole request head, from the connection's first byte on
    body_timeout: float = 60.0  # a whole request body
    keepalive_timeout: float = 5.0  # idle between two requests on one connection
    send_timeout: float = 60.0  # a client reading its answer may stall this long
    upstream_timeout: float = 75.0  # gunicorn's answer (its own --timeout restarts a stuck worker sooner)
    max_head: int = 256 * 1024  # request line and headers: any URL the API documents fits (a 10,000-
    # character search of 4-byte characters, percent-encoded, is 120 kB)
    max_body: int = 10 * 1024 * 1024
    max_connections: int = 10_000
    response_buffer: int = 8 * 1024 * 1024  # held here for a slow reader before gunicorn waits


@dataclass(frozen=True)
class Trusted:
    """Proxy addresses whose X-Forwarded-For and X-Forwarded-Proto are believed (FORWARDED_ALLOW_IPS)."""

    networks: tuple = ()
    anyone: bool = False

    @classmethod
    def parse(cls, text):
        names = [name.strip() for name in text.split(",") if name.strip()]
        return cls(tuple(ipaddress.ip_network(name, strict=False) for name in names if name != "*"), "*" in names)

    def __contains__(self, address):
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return self.anyone or any(ip in network for network in self.networks)


class Refused(Exception):
    """A request the front answers itself, then closes the connection."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass
class Request:
    method: bytes
    target: bytes
    version: bytes
    headers: list = field(default_factory=list)  # (lower-case name, value) in the order sent
    body: bytes = b""

    def header(self, name):
        values = [value for key, value in self.headers if key == name]
        return b",".join(values) if values else None

    def tokens(self, name):
        return {token.strip().lower() for token in (self.header(name) or b"").split(b",") if token.strip()}

    @property
    def keep_alive(self):
        if self.version == b"HTTP/1.0":
            return b"keep-alive" in self.tokens(b"connection")
        return b"close" not in self.tokens(b"connection")


def parse_head(head):
    """The request line and headers of ``head`` (ending in a blank line), or Refused."""
    line, *lines = head[:-4].split(b"\r\n")
    parts = line.split(b" ")
    if len(parts) != 3 or not parts[0].isalpha() or not parts[1]:
        raise Refused(400, "malformed request line")
    if parts[2] not in (b"HTTP/1.1", b"HTTP/1.0"):
        raise Refused(505, "only HTTP/1.0 and HTTP/1.1 are served")
    request = Request(*parts)
    for text in lines:
        name, colon, value = text.partition(b":")
        if not colon or not name or name != name.strip() or b"\r" in text or b"\n" in text:
            raise Refused(400, "malformed header line")
        request.headers.append((name.lower(), value.strip(b" \t")))
    return request


def body_length(request, limits):
    """Bytes of body to read with Content-Length; None when the body comes chunked."""
    coding, length = request.tokens(b"transfer-encoding"), request.header(b"content-length")
    if coding:
        if coding != {b"chunked"} or length is not None:
            raise Refused(501 if length is None else 400, "only a chunked body without Content-Length is read")
        return None
    if length is None:
        return 0
    if not length.isdigit() or len(set(value.strip() for value in length.split(b","))) != 1:
        raise Refused(400, "malformed Content-Length")
    size = int(length.split(b",")[0])
    if size > limits.max_body:
        raise Refused(413, f"the body is larger than {limits.max_body} bytes")
    return size


async def read_chunked(reader, limits):
    """A chunked body, whole: at most ``max_body`` bytes, trailers dropped."""
    parts, total = [], 0
    while True:
        size_line = (await reader.readuntil(b"\r\n")).split(b";")[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise Refused(400, "malformed chunk size") from None
        total += size
        if size < 0 or total > limits.max_body:
            raise Refused(413, f"the body is larger than {limits.max_body} bytes")
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        if await reader.readexactly(2) != b"\r\n":
            raise Refused(400, "malformed chunk")


async def read_request(reader, writer, limits, first):
    """The next whole request on this connection, or None once the client is done or idled out."""
    try:
        async with asyncio.timeout(limits.header_timeout if first else limits.keepalive_timeout):
            head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError:
        raise Refused(431, f"the request head is larger than {limits.max_head} bytes") from None
    except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
        return None
    request = parse_head(head)
    size = body_length(request, limits)
    if b"100-continue" in request.tokens(b"expect"):
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    try:
        async with asyncio.timeout(limits.body_timeout):
            request.body = await (reader.readexactly(size) if size is not None else read_chunked(reader, limits))
    except TimeoutError:
        raise Refused(408, "the body did not arrive in time") from None
    except asyncio.LimitOverrunError:
        raise Refused(400, "malformed chunk") from None
    return request


def client_address(peer, request, trusted_peer):
    """Who asked, as (address, port): the peer, or from a trusted proxy the last address it put in
    X-Forwarded-For (port unknown, so 0)."""
    if trusted_peer and (forwarded := request.header(b"x-forwarded-for")):
        candidate = forwarded.split(b",")[-1].strip().decode("latin-1")
        try:
            return str(ipaddress.ip_address(candidate)), 0
        except ValueError:
            pass
    return peer[0], peer[1]


def upstream_bytes(request, client, local, trusted_peer):
    """The request as gunicorn gets it: a PROXY v1 line, then one request on a connection it closes."""
    (client_ip, client_port), (local_ip, local_port) = client, local[:2]
    family = "TCP6" if ":" in client_ip else "TCP4"
    if (":" in local_ip) != (":" in client_ip):  # PROXY v1 wants both addresses of one family
        local_ip = "::1" if family == "TCP6" else "127.0.0.1"
    lines = [f"PROXY {family} {client_ip} {local_ip} {client_port} {local_port}\r\n".encode(),
             b"%s %s %s\r\n" % (request.method, request.target, request.version)]
    for name, value in request.headers:
        if name in HOP_BY_HOP or b"_" in name or (name in SCHEME_HEADERS and not trusted_peer):
            continue
        lines.append(b"%s: %s\r\n" % (name, value))
    if request.body or request.method not in (b"GET", b"HEAD", b"DELETE", b"OPTIONS"):
        lines.append(b"content-length: %d\r\n" % len(request.body))
    lines.append(b"connection: close\r\n\r\n")
    return b"".join(lines) + request.body


def response_head(head, request, keep_alive):
    """gunicorn's status and headers with this connection's own Connection header; and whether the
    client may send another request after this answer."""
    lines = head[:-4].split(b"\r\n")
    status = int(lines[0].split(b" ")[1])
    kept, framed = [lines[0]], status in (204, 304) or request.method == b"HEAD"
    for line in lines[1:]:
        name = line.partition(b":")[0].strip().lower()
        if name in (b"connection", b"keep-alive"):
            continue
        framed = framed or name == b"content-length" or (name == b"transfer-encoding" and b"chunked" in line.lower())
        kept.append(line)
    keep_alive = keep_alive and framed
    if not keep_alive:
        kept.append(b"Connection: close")
    elif request.version == b"HTTP/1.0":
        kept.append(b"Connection: keep-alive")
    return b"\r\n".join(kept) + b"\r\n\r\n", keep_alive


def refusal(status, reason):
    body = f"{status} {REASONS[status]}: {reason}\n".encode()
    return (f"HTTP/1.1 {status} {REASONS[status]}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


class Front:
    """Accepts clients on ``sock`` and relays each whole request to gunicorn at ``upstream``."""

    def __init__(self, upstream, limits=Limits(), trusted=Trusted()):
        self.upstream, self.limits, self.trusted = upstream, limits, trusted
        self.connections = 0

    async def start(self, sock):
        return await asyncio.start_server(self.handle, sock=sock, limit=self.limits.max_head)

    async def handle(self, reader, writer):
        if self.connections >= self.limits.max_connections:
            writer.transport.abort()
            return
        self.connections += 1
        # asyncio sets this only on sockets made with proto=IPPROTO_TCP; without it each answer's last
        # segment waits for the client's delayed ACK (40 ms on Linux) on a kept-alive connection.
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        writer.transport.set_write_buffer_limits(high=self.limits.response_buffer)
        try:
            await self.converse(reader, writer)
        except Refused as refused:
            writer.write(refusal(refused.status, refused.reason))
            await self.linger(reader, writer)
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass  # the client left or stalled: nothing to answer
        except asyncio.CancelledError:
            pass  # shutting down with this connection open
        finally:
            self.connections -= 1
            writer.close()  # after what is buffered has gone out; a reader that stalls is cut off
            if writer.transport.get_write_buffer_size():
                asyncio.get_running_loop().call_later(self.limits.send_timeout, writer.transport.abort)

    async def converse(self, reader, writer):
        peer, local = writer.get_extra_info("peername"), writer.get_extra_info("sockname")
        trusted_peer = peer[0] in self.trusted  # one parse per connection, not per request
        first = True
        while request := await read_request(reader, writer, self.limits, first):
            first = False
            client = client_address(peer, request, trusted_peer)
            payload = upstream_bytes(request, client, local, trusted_peer)
            if not await self.relay(request, payload, writer):
                return

    async def relay(self, request, payload, writer):
        """Send one request to gunicorn and its answer to the client; whether to read another."""
        try:
            up_reader, up_writer = await asyncio.open_unix_connection(self.upstream, limit=self.limits.max_head * 4)
        except OSError:
            raise Refused(502, "the application server is not answering") from None
        try:
            up_writer.write(payload)
            try:
                async with asyncio.timeout(self.limits.upstream_timeout):
                    head = await up_reader.readuntil(b"\r\n\r\n")
            except TimeoutError:
                raise Refused(504, "the application server took too long") from None
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                raise Refused(502, "the application server gave no answer") from None
            head, keep_alive = response_head(head, request, request.keep_alive)
            writer.write(head)
            # Once the head is out, a failure can only end the connection (raised as such).
            async with asyncio.timeout(self.limits.upstream_timeout):
                while chunk := await up_reader.read(CHUNK):
                    writer.write(chunk)
                    await self.drain(writer)
            return keep_alive
        finally:
            up_writer.close()

    async def linger(self, reader, writer):
        """Close after a refusal as nginx's lingering close does: closing with the client's unread
        bytes still arriving makes the kernel reset the connection, and the client may lose the answer
        before reading it. So: send it, stop writing, and read (and drop) what still comes, briefly."""
        try:
            await self.drain(writer)
            writer.write_eof()
            async with asyncio.timeout(LINGER_S):
                while await reader.read(CHUNK):
                    pass
        except (TimeoutError, ConnectionError, OSError):
            pass

    async def drain(self, writer):
        if writer.transport.get_write_buffer_size() >= self.limits.response_buffer:
            await asyncio.wait_for(writer.drain(), self.limits.send_timeout)


def limits_from_environ(environ=os.environ):
    """Limits with FRONT_* overrides (seconds and bytes), for an operator who needs other bounds."""
    defaults = Limits()
    overrides = {}
    for name in Limits.__dataclass_fields__:
        if (value := environ.get(f"FRONT_{name.upper()}")) is not None:
            overrides[name] = type(getattr(defaults, name))(value)
    return Limits(**overrides)


def run(sock, gunicorn_argv, limits, trusted):
    """Serve ``sock`` through the front, with gunicorn on a private Unix socket as a child process;
    SIGTERM and SIGINT stop both gracefully, SIGHUP reloads gunicorn's workers. Returns gunicorn's
    exit status."""
    rundir = tempfile.mkdtemp(prefix="dailypapers-")  # mode 0700: no one else reaches the socket
    upstream = os.path.join(rundir, "web.sock")
    try:
        argv = [*gunicorn_argv, "--bind", f"unix:{upstream}", "--proxy-protocol", "v1"]
        process = subprocess.Popen(argv)  # noqa: S603 - fixed argv, no shell
        return asyncio.run(_supervise(sock, upstream, process, Front(upstream, limits, trusted)))
    finally:
        shutil.rmtree(rundir, ignore_errors=True)


async def _supervise(sock, upstream, process, front):
    loop = asyncio.get_running_loop()
    exited = asyncio.ensure_future(loop.run_in_executor(None, process.wait))
    while not os.path.exists(upstream):  # gunicorn's master binds before its workers boot
        if exited.done():
            return exited.result()
        await asyncio.sleep(0.05)
    server = await front.start(sock)
    host, port = sock.getsockname()[:2]
    print(f"Serving on http://{f'[{host}]' if ':' in host else host}:{port}/", flush=True)  # noqa: T201
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    loop.add_signal_handler(signal.SIGHUP, process.send_signal, signal.SIGHUP)
    await asyncio.wait([exited, asyncio.ensure_future(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
    server.close()  # no new connections; requests in flight finish while gunicorn stops gracefully
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    return await exited
