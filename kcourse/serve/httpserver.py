"""HTTP/1.1 over TLS, served the way Go's ``net/http`` serves kube-apiserver.

kube-apiserver is a Go ``http.Server`` (``secure_serving.go``): headers of at
most 1 MiB (``MaxHeaderBytes: 1 << 20``), 32 s to send them
(``ReadHeaderTimeout``) and 90 s of idleness before a keep-alive connection is
closed (``IdleTimeout``).  Go parks an idle connection on a goroutine that
costs almost nothing; here the same job falls to one *selector* thread that
watches every idle socket, finishes TLS handshakes and collects request
headers without blocking.  Only a request whose headers have all arrived gets
a thread of its own, so a thousand silent or slow clients hold no thread and
cannot stop ``kubectl get pods`` from being answered.

Framing follows ``net/http``'s rules, and its answers to broken framing are
its own plain-text ones (``400 Bad Request``, ``431 Request Header Fields Too
Large``, ``501`` for a transfer coding other than ``chunked``, ``505`` for
HTTP/2.0 over this port), sent before any handler runs: a request line with
the wrong number of parts, a header without a colon or with a control
character, a missing or repeated ``Host``, a ``Content-Length`` that is not a
plain decimal number (``-1``, ``0x10``, ``+5``, empty) or that appears twice
with different values.  A body is read only when a handler asks for it, up to
a limit, linearly (chunks are collected and joined once); whatever the
handler left unread is discarded if small, otherwise the connection is closed
— first half-closed, then closed half a second later, as Go does, so that the
client can still read the answer.

Simplified: HTTP/1.1 only (no HTTP/2 through ALPN); at most
``max_connections`` connections, the longest-idle one closed to make room; a
request body that stops arriving ends after ``read_timeout`` (Go has no read
deadline; kube-apiserver's own request timeout is 60 s).
"""

from __future__ import annotations

import logging
import re
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate

__all__ = ["BodyError", "Exchange", "Headers", "HttpServer", "Limits"]

log = logging.getLogger("kcourse.serve")

#: net/http's reason phrases (``http.StatusText``) for the codes this server sends.
REASONS = {
    100: "Continue",
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    417: "Expectation Failed",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
}

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_HEADER_VALUE_BAD = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_TARGET_BAD = re.compile(rb"[\x00-\x20\x7f]")
_HOST_BAD = re.compile(rb"[^A-Za-z0-9!$&'()*+,;=:\[\]._~%-]")
_DIGITS = re.compile(rb"[0-9]+\Z")
_HEX = re.compile(rb"[0-9a-fA-F]{1,16}\Z")
#: Go discards at most this much of a body its handler left unread before reusing the connection.
MAX_POST_HANDLER_READ = 256 << 10
#: Go's chunked reader refuses a chunk-size line longer than this.
MAX_CHUNK_LINE = 4096


@dataclass
class Limits:
    """The server's limits; the defaults are kube-apiserver's (``secure_serving.go``)."""

    max_header_bytes: int = 1 << 20
    read_header_timeout: float = 32.0
    idle_timeout: float = 90.0
    read_timeout: float = 60.0
    write_timeout: float = 60.0
    max_connections: int = 4096
    linger: float = 0.5  # net/http's rstAvoidanceDelay


class FramingError(Exception):
    """The request cannot be parsed: answered by the transport in net/http's words, then closed."""

    def __init__(self, code: int, text: str = "", body: str | None = None):
        super().__init__(text)
        self.code, self.text = code, text
        self.body = body


class BodyError(Exception):
    """The body could not be read: too large, malformed chunks, or it stopped arriving."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind, self.message = kind, message


class Headers:
    """Request headers in arrival order, looked up case-insensitively."""

    def __init__(self, items: list[tuple[str, str]]):
        self.items = items
        self._index: dict[str, list[str]] = {}
        for name, value in items:
            self._index.setdefault(name.lower(), []).append(value)

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self._index.get(name.lower())
        return values[0] if values else default

    def get_all(self, name: str) -> list[str]:
        return list(self._index.get(name.lower(), ()))

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._index


class _Conn:
    """One client connection: its TLS socket, the bytes read but not yet used, and its deadline."""

    __slots__ = ("buf", "busy", "deadline", "events", "handshaken", "idle_since", "received", "scan", "sock")

    def __init__(self, sock: ssl.SSLSocket, deadline: float):
        self.sock = sock
        self.buf = bytearray()
        self.scan = 0
        self.handshaken = False
        self.deadline = deadline
        self.idle_since = time.monotonic()
        self.received = 0
        self.busy = False
        self.events = selectors.EVENT_READ


def _head_end(buf: bytearray, start: int) -> int:
    """Offset just past the blank line ending the headers, or -1 (CRLF or bare LF line ends)."""
    i = buf.find(b"\n", start)
    while i != -1:
        if buf[i + 1 : i + 2] == b"\n":
            return i + 2
        if buf[i + 1 : i + 3] == b"\r\n":
            return i + 3
        i = buf.find(b"\n", i + 1)
    return -1


def parse_head(raw: bytes) -> tuple[str, str, tuple[int, int], Headers]:
    """The request line and headers, checked as net/http's ``readRequest`` checks them."""
    lines = raw.split(b"\n")
    lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    while lines and lines[0] == b"":  # RFC 9112 §2.2: empty lines before the request line are ignored
        lines.pop(0)
    if not lines:
        raise FramingError(400)
    request_line, header_lines = lines[0], lines[1:]
    method, sp, rest = request_line.partition(b" ")
    target, sp2, proto = rest.partition(b" ")
    if not sp or not sp2:
        raise FramingError(400)  # badStringError("malformed HTTP request", line)
    if not _TOKEN.match(method):
        raise FramingError(400)  # badStringError("invalid method", method)
    version = _http_version(proto)
    if version is None:
        raise FramingError(400)  # badStringError("malformed HTTP version", proto)
    if version[0] != 1:
        raise FramingError(505, "unsupported protocol version")
    if (
        not target
        or _TARGET_BAD.search(target)
        or not (target.startswith(b"/") or target == b"*" or re.match(rb"https?://", target))
    ):
        raise FramingError(400)
    items: list[tuple[str, str]] = []
    for line in header_lines:
        if not line:
            continue  # the terminating blank line(s)
        if line[:1] in (b" ", b"\t"):
            raise FramingError(400)  # obsolete line folding: "malformed MIME header line"
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.match(name):
            raise FramingError(400, "invalid header name")
        value = value.strip(b" \t")
        if _HEADER_VALUE_BAD.search(value):
            raise FramingError(400, "invalid header value")
        items.append((name.decode("ascii"), value.decode("latin-1")))
    headers = Headers(items)
    hosts = headers.get_all("Host")
    if version >= (1, 1) and not hosts:
        raise FramingError(400, "missing required Host header")
    if len(hosts) > 1:
        raise FramingError(400, "too many Host headers")
    if hosts and _HOST_BAD.search(hosts[0].encode("latin-1")):
        raise FramingError(400, "malformed Host header")
    return method.decode("ascii"), target.decode("latin-1"), version, headers


def _http_version(proto: bytes) -> tuple[int, int] | None:
    if proto == b"HTTP/1.1":
        return 1, 1
    if proto == b"HTTP/1.0":
        return 1, 0
    if (
        len(proto) != 8
        or not proto.startswith(b"HTTP/")
        or proto[6:7] != b"."
        or not proto[5:6].isdigit()
        or not proto[7:8].isdigit()
    ):
        return None
    return int(proto[5:6]), int(proto[7:8])


def body_framing(version: tuple[int, int], headers: Headers) -> int | None:
    """The declared body length, ``None`` for chunked, as net/http's ``fixLength`` decides it."""
    encodings = headers.get_all("Transfer-Encoding")
    if encodings and version >= (1, 1):
        if len(encodings) != 1 or encodings[0].lower() != "chunked":
            raise FramingError(501, body="Unsupported transfer encoding")
        return None  # Transfer-Encoding overrides (and removes) Content-Length
    lengths = [v.strip(" \t") for v in headers.get_all("Content-Length")]
    if not lengths:
        return 0
    if any(v != lengths[0] for v in lengths[1:]):
        raise FramingError(400)  # "http: message cannot contain multiple Content-Length headers"
    value = lengths[0].encode("latin-1")
    if not _DIGITS.match(value) or len(value) > 19 or int(value) > (1 << 63) - 1:
        raise FramingError(400)  # badStringError("bad Content-Length", cl)
    return int(value)


class Exchange:
    """One request on a connection and its answer: what a Go handler gets as ``(w, r)``."""

    def __init__(
        self,
        server: HttpServer,
        conn: _Conn,
        method: str,
        target: str,
        version: tuple[int, int],
        headers: Headers,
        length: int | None,
    ):
        self.server, self.conn = server, conn
        self.method, self.target, self.version, self.headers = method, target, version, headers
        self.length = length  # None: chunked
        self.body_done = length == 0
        self.close_after = version < (1, 1) or "close" in (headers.get("Connection") or "").lower()
        self.answered = False
        self._buf = bytes(conn.buf)
        self._pos = 0
        conn.buf = bytearray()
        self._continue_pending = (headers.get("Expect") or "").lower() == "100-continue"

    # --- reading --------------------------------------------------------------------------------------------

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BodyError("timeout", "the request body stopped arriving")
        self.conn.sock.settimeout(remaining)
        try:
            data = self.conn.sock.recv(65536)
        except TimeoutError:
            raise BodyError("timeout", "the request body stopped arriving") from None
        except (OSError, ValueError):
            raise BodyError("closed", "the client closed the connection") from None
        if not data:
            raise BodyError("closed", "unexpected EOF")
        self.conn.received += len(data)
        self.server.bytes_received += len(data)
        self._buf = self._buf[self._pos :] + data
        self._pos = 0

    def _take(self, n: int, deadline: float) -> bytes:
        while len(self._buf) - self._pos < n:
            if len(self._buf) - self._pos > 0 and n > 65536:
                # Large reads: hand over what is buffered instead of growing one buffer.
                break
            self._fill(deadline)
        chunk = self._buf[self._pos : self._pos + n]
        self._pos += len(chunk)
        return chunk

    def _line(self, deadline: float, limit: int) -> bytes:
        while True:
            i = self._buf.find(b"\n", self._pos)
            if i != -1:
                line = self._buf[self._pos : i + 1]
                self._pos = i + 1
                if len(line) > limit:
                    raise BodyError("malformed", "header line too long")
                return line
            if len(self._buf) - self._pos > limit:
                raise BodyError("malformed", "header line too long")
            self._fill(deadline)

    def _send_continue(self) -> None:
        if self._continue_pending:
            self._continue_pending = False
            self._write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def read_body(self, limit: int) -> bytes:
        """The whole body, at most ``limit`` bytes (``BodyError("too-large")`` beyond it), read linearly."""
        if self.body_done:
            return b""
        if self.length is not None and self.length > limit:
            self.close_after = True
            raise BodyError("too-large", f"limit is {limit}")
        self._send_continue()
        deadline = time.monotonic() + self.server.limits.read_timeout
        parts: list[bytes] = []
        try:
            if self.length is not None:
                left = self.length
                while left:
                    chunk = self._take(min(left, 1 << 20), deadline)
                    parts.append(chunk)
                    left -= len(chunk)
            else:
                total = 0
                while True:
                    line = self._line(deadline, MAX_CHUNK_LINE).rstrip(b"\r\n")
                    size_text = line.split(b";", 1)[0].strip(b" \t")
                    if not _HEX.match(size_text):
                        raise BodyError(
                            "malformed",
                            "invalid byte in chunk length"
                            if size_text
                            else "empty hex number for chunk length",
                        )
                    size = int(size_text, 16)
                    if size == 0:
                        break
                    total += size
                    if total > limit:
                        self.close_after = True
                        raise BodyError("too-large", f"limit is {limit}")
                    left = size
                    while left:
                        chunk = self._take(min(left, 1 << 20), deadline)
                        parts.append(chunk)
                        left -= len(chunk)
                    if self._take(2, deadline) != b"\r\n":
                        raise BodyError("malformed", "malformed chunked encoding")
                trailer_bytes = 0
                while True:  # trailers, then the blank line
                    line = self._line(deadline, MAX_CHUNK_LINE)
                    trailer_bytes += len(line)
                    if line in (b"\r\n", b"\n"):
                        break
                    if trailer_bytes > self.server.limits.max_header_bytes:
                        raise BodyError("malformed", "header line too long")
        except BodyError:
            self.close_after = True
            raise
        self.body_done = True
        return b"".join(parts)

    def _discard_rest(self) -> None:
        """What Go does after a handler that left its body unread: drain a little, else close."""
        if self.body_done:
            return
        if self.length is None or self.length > MAX_POST_HANDLER_READ or self._continue_pending:
            self.close_after = True
            return
        try:
            self.read_body(MAX_POST_HANDLER_READ)
        except BodyError:
            self.close_after = True

    def leftover(self) -> bytes:
        """Bytes read past this request (a pipelined next request)."""
        return self._buf[self._pos :]

    # --- writing --------------------------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        self.conn.sock.settimeout(self.server.limits.write_timeout)
        self.conn.sock.sendall(data)

    def _head(self, code: int, headers: list[tuple[str, str]]) -> bytes:
        proto = (
            "HTTP/1.1" if self.version >= (1, 1) else "HTTP/1.0"
        )  # net/http answers in the request's version
        lines = [f"{proto} {code} {REASONS.get(code, 'Status')}"]
        lines += [f"{k}: {v}" for k, v in headers]
        lines.append(f"Date: {formatdate(usegmt=True)}")
        if self.close_after:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def send(self, code: int, body: bytes, content_type: str, headers: list[tuple[str, str]] = ()) -> None:
        """Answer with a whole body (closing afterwards if the request's body was left unread)."""
        self.answered = True
        if not self.body_done and (
            self.length is None or self.length > MAX_POST_HANDLER_READ or self._continue_pending
        ):
            self.close_after = True
        all_headers = [("Content-Type", content_type), *headers, ("Content-Length", str(len(body)))]
        self._write(self._head(code, all_headers) + (body if self.method != "HEAD" else b""))

    def send_stream(
        self,
        code: int,
        content_type: str,
        produce: Callable[[Callable[[bytes], bool]], None],
        headers: list[tuple[str, str]] = (),
    ) -> None:
        """Answer with chunks ``produce(write)`` writes until it returns; the connection closes afterwards."""
        self.answered = True
        self.close_after = True
        self._write(
            self._head(code, [("Content-Type", content_type), *headers, ("Transfer-Encoding", "chunked")])
        )

        def write(chunk: bytes) -> bool:
            if not chunk:
                return True
            try:
                self._write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                return True
            except (OSError, ValueError):
                return False

        produce(write)
        try:
            self._write(b"0\r\n\r\n")
        except (OSError, ValueError):
            pass

    def client_alive(self) -> bool:
        """Is the client still connected?  (A closed socket reads as ready with no data.)"""
        import select

        try:
            ready, _, _ = select.select([self.conn.sock], [], [], 0)
        except (OSError, ValueError):
            return False
        return not ready  # a watching client sends nothing more: anything readable is its goodbye


Handler = Callable[[Exchange], None]


@dataclass
class _Stats:
    connections: int = 0
    parked: int = 0
    busy: int = 0


class HttpServer:
    """Accept TLS connections on ``(host, port)`` and call ``handler(exchange)`` once per request."""

    def __init__(
        self,
        context: ssl.SSLContext,
        handler: Handler,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: Limits | None = None,
        name: str = "kcourse-serve",
    ):
        self.context, self.handler = context, handler
        self.limits = limits or Limits()
        self.listener = socket.create_server((host, port), backlog=1024)
        self.listener.setblocking(False)
        self.address = self.listener.getsockname()
        self.bytes_received = 0
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._returned: list[_Conn] = []
        self._closing: list[tuple[_Conn, bool]] = []
        self._returned_lock = threading.Lock()
        self._conns: set[_Conn] = set()
        self._lingering: list[tuple[float, socket.socket]] = []
        self._stop = threading.Event()
        self._selector.register(self.listener, selectors.EVENT_READ, "listen")
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._workers: set[threading.Thread] = set()
        self._workers_lock = threading.Lock()

    # --- life cycle -----------------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Close the port and every connection; requests in progress finish on their own threads."""
        self._stop.set()
        if self._thread.is_alive():
            self._wake()
            self._thread.join(timeout=5)
        elif self._thread.ident is None:
            self._close_all()

    @property
    def stats(self) -> _Stats:
        with self._workers_lock:
            busy = len(self._workers)
        for _ in range(10):  # the selector thread may change the set meanwhile
            try:
                conns = list(self._conns)
                break
            except RuntimeError:
                continue
        else:
            conns = []
        return _Stats(len(conns), sum(1 for c in conns if not c.busy), busy)

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    # --- the selector thread --------------------------------------------------------------------------------

    def _loop(self) -> None:
        next_sweep = time.monotonic()
        try:
            while not self._stop.is_set():
                for key, _mask in self._selector.select(timeout=0.25):
                    if key.data == "listen":
                        self._accept()
                    elif key.data == "wake":
                        self._drain_wake()
                    else:
                        self._readable(key.data)
                now = time.monotonic()
                if now >= next_sweep:
                    self._sweep(now)
                    next_sweep = now + 0.25
        except Exception:  # keep a record: a dead selector would leave the port silent
            log.exception("the API server's connection loop failed")
        finally:
            self._close_all()

    def _accept(self) -> None:
        for _ in range(64):
            try:
                raw, _addr = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                log.warning("accept failed", exc_info=True)
                return
            if len(self._conns) >= self.limits.max_connections and not self._evict_idle():
                raw.close()
                continue
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            raw.setblocking(False)
            try:
                sock = self.context.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
            except (OSError, ValueError):
                raw.close()
                continue
            conn = _Conn(sock, time.monotonic() + self.limits.read_header_timeout)
            self._conns.add(conn)
            self._selector.register(sock, selectors.EVENT_READ, conn)

    def _evict_idle(self) -> bool:
        idle = [c for c in self._conns if not c.busy]
        if not idle:
            return False
        self._close(min(idle, key=lambda c: c.idle_since))
        return True

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        with self._returned_lock:
            returned, self._returned = self._returned, []
            closing, self._closing = self._closing, []
        for conn, linger in closing:
            self._close(conn, linger=linger)
        for conn in returned:
            if self._stop.is_set():
                self._close(conn)
                continue
            conn.busy = False
            conn.idle_since = time.monotonic()
            conn.deadline = conn.idle_since + (
                self.limits.read_header_timeout if conn.buf else self.limits.idle_timeout
            )
            conn.scan = 0
            try:
                conn.sock.setblocking(False)
                self._selector.register(conn.sock, selectors.EVENT_READ, conn)
            except (OSError, ValueError, KeyError):
                self._close(conn)
                continue
            self._readable(conn)

    def _readable(self, conn: _Conn) -> None:
        if not conn.handshaken:
            try:
                conn.sock.do_handshake()
            except ssl.SSLWantReadError:
                self._want(conn, selectors.EVENT_READ)
                return
            except ssl.SSLWantWriteError:
                self._want(conn, selectors.EVENT_READ | selectors.EVENT_WRITE)
                return
            except ssl.SSLError as e:
                if getattr(e, "reason", "") == "HTTP_REQUEST":
                    self._plain_http_answer(conn)
                self._close(conn)
                return
            except (OSError, ValueError):
                self._close(conn)
                return
            conn.handshaken = True
            self._want(conn, selectors.EVENT_READ)
            conn.deadline = time.monotonic() + self.limits.read_header_timeout
        limit = self.limits.max_header_bytes + 4096  # net/http allows MaxHeaderBytes plus 4096 of slack
        end = _head_end(conn.buf, conn.scan)
        while end == -1 and len(conn.buf) <= limit:
            try:
                data = conn.sock.recv(16384)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError, InterruptedError):
                break
            except (OSError, ValueError):
                self._close(conn)
                return
            if not data:
                self._close(conn)
                return
            if not conn.buf:
                conn.deadline = time.monotonic() + self.limits.read_header_timeout
            conn.received += len(data)
            self.bytes_received += len(data)
            conn.scan = max(0, len(conn.buf) - 2)
            conn.buf += data
            end = _head_end(conn.buf, conn.scan)
        if end != -1:
            self._dispatch(conn, end)
        elif len(conn.buf) > limit:
            self._answer_and_close(conn, 431, "")

    def _want(self, conn: _Conn, events: int) -> None:
        if conn.events != events:
            conn.events = events
            try:
                self._selector.modify(conn.sock, events, conn)
            except (OSError, ValueError, KeyError):
                self._close(conn)

    def _plain_http_answer(self, conn: _Conn) -> None:
        """Go's TLS server answers a plain-HTTP request with this (net/http ``serve``)."""
        try:
            raw = socket.socket(fileno=conn.sock.fileno())
            try:
                raw.send(b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
            finally:
                raw.detach()
        except OSError:
            pass

    def _answer_and_close(self, conn: _Conn, code: int, text: str, body: str | None = None) -> None:
        """net/http's answer to a request it cannot parse: plain text, ``Connection: close``."""
        public = f"{code} {REASONS.get(code, 'Status')}" + (f": {text}" if text else "")
        payload = public if body is None else body
        data = (
            f"HTTP/1.1 {public}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
            f"{payload}"
        ).encode()
        try:
            conn.sock.setblocking(True)
            conn.sock.settimeout(1.0)
            conn.sock.sendall(data)
        except (OSError, ValueError):
            pass
        self._close(conn, linger=True)

    def _dispatch(self, conn: _Conn, end: int) -> None:
        try:
            self._selector.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.events = selectors.EVENT_READ
        conn.busy = True
        head = bytes(conn.buf[:end])
        del conn.buf[:end]
        worker = threading.Thread(
            target=self._serve, args=(conn, head), name="kcourse-serve-request", daemon=True
        )
        with self._workers_lock:
            self._workers.add(worker)
        worker.start()

    def _sweep(self, now: float) -> None:
        for conn in [c for c in self._conns if not c.busy and c.deadline <= now]:
            self._close(conn)
        if self._lingering:
            keep = []
            for due, sock in self._lingering:
                if due <= now or self._stop.is_set():
                    try:
                        sock.close()
                    except OSError:
                        pass
                else:
                    keep.append((due, sock))
            self._lingering = keep

    def _close(self, conn: _Conn, linger: bool = False) -> None:
        if conn in self._conns:
            self._conns.discard(conn)
        try:
            self._selector.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        if linger and not self._stop.is_set():
            try:
                socket.socket.shutdown(conn.sock, socket.SHUT_WR)
                self._lingering.append((time.monotonic() + self.limits.linger, conn.sock))
                return
            except OSError:
                pass
        try:
            conn.sock.close()
        except OSError:
            pass

    def _close_all(self) -> None:
        for conn in list(self._conns):
            self._close(conn)
        for _due, sock in self._lingering:
            try:
                sock.close()
            except OSError:
                pass
        self._lingering = []
        for s in (self.listener, self._wake_r, self._wake_w):
            try:
                s.close()
            except OSError:
                pass
        try:
            self._selector.close()
        except (OSError, ValueError):
            pass

    # --- the request threads --------------------------------------------------------------------------------

    def _serve(self, conn: _Conn, head: bytes) -> None:
        keep = False
        try:
            keep = self._serve_one(conn, head)
        except (OSError, ValueError) as e:  # the client went away mid-answer (ssl errors are OSErrors)
            log.debug("a connection ended while serving it: %s", type(e).__name__)
        except Exception:  # a failed request must not take its connection's thread down silently
            log.exception("serving a request failed")
        finally:
            with self._workers_lock:
                self._workers.discard(threading.current_thread())
        if keep and not self._stop.is_set():
            with self._returned_lock:
                self._returned.append(conn)
            self._wake()
        else:
            self._finish(conn, linger=True)

    def _finish(self, conn: _Conn, linger: bool) -> None:
        """Close a connection from a request thread (the selector thread owns the bookkeeping)."""
        if self._stop.is_set() or not self._thread.is_alive():
            try:
                conn.sock.close()
            except OSError:
                pass
            return
        with self._returned_lock:
            self._closing.append((conn, linger))
        self._wake()

    def _serve_one(self, conn: _Conn, head: bytes) -> bool:
        conn.sock.setblocking(True)
        try:
            method, target, version, headers = parse_head(head)
            length = body_framing(version, headers)
            expect = headers.get("Expect")
            if expect and expect.lower() != "100-continue":
                raise FramingError(417, body="")  # net/http's sendExpectationFailed: an empty answer
        except FramingError as e:
            self._answer_blocking(conn, e)
            return False
        ex = Exchange(self, conn, method, target, version, headers, length)
        try:
            self.handler(ex)
        except OSError:
            raise  # the client went away
        except Exception:  # kube-apiserver's WithPanicRecovery (``server/filters/wrap.go``) answers and logs
            log.exception("a request handler failed")
            if ex.answered:
                return False
            ex.close_after = True
            ex.send(
                500,
                b"This request caused apiserver to panic. Look in the logs for details.\n",
                "text/plain; charset=utf-8",
                [("X-Content-Type-Options", "nosniff")],
            )
        if not ex.answered:
            ex.close_after = True
            ex.send(500, b"", "text/plain; charset=utf-8")
        ex._discard_rest()
        if ex.close_after:
            return False
        conn.buf = bytearray(ex.leftover())
        return True

    def _answer_blocking(self, conn: _Conn, e: FramingError) -> None:
        public = f"{e.code} {REASONS.get(e.code, 'Status')}" + (f": {e.text}" if e.text else "")
        payload = public if e.body is None else e.body
        length = "Content-Length: 0\r\n" if e.code == 417 else ""
        data = (
            f"HTTP/1.1 {public}\r\nContent-Type: text/plain; charset=utf-8\r\n{length}Connection: close\r\n"
            f"\r\n{payload}"
        ).encode()
        try:
            conn.sock.settimeout(self.limits.write_timeout)
            conn.sock.sendall(data)
        except (OSError, ValueError):
            pass
