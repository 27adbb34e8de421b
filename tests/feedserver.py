"""A real HTTP server on 127.0.0.1 for tests: each path answers as a Route says.

It can answer with ETag/304, Last-Modified/304, redirects, 429/503 with Retry-After, any
status, a held answer (for a delay, or until the test opens a gate), a slow (dripping)
body, an oversized body, a chunked body with no Content-Length, gzip or brotli encoding,
any charset or none. It records every request it receives and how many were in flight
at once.
"""

from __future__ import annotations

import gzip
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    encoding: str | None = None  # "gzip" or "br": the server compresses ``body``
    drip_delay: float | None = None  # seconds between single bytes
    location: str | None = None  # for 3xx
    delay: float | None = None  # seconds the request is held before the answer starts
    chunked: bool = False  # Transfer-Encoding: chunked, no Content-Length
    gate: threading.Event | None = None  # requests are held until the test sets it


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up (a deadline, a size cap) are expected, not worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@dataclass
class Request:
    path: str
    headers: dict[str, str]


class FeedServer:
    """``requests`` is every request received; ``max_in_flight`` the most ever held at once
    (a request counts from its arrival until its answer starts)."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server._handle(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={
            "poll_interval": 0.02}, daemon=True)  # shutdown() waits up to one interval

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, route: Route | None = None, **kwargs: object) -> str:
        """Serve ``path`` as ``route`` (or ``Route(**kwargs)``), replacing any earlier route."""
        self.routes[path] = route or Route(**kwargs)  # type: ignore[arg-type]
        return self.url(path)

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(r.path == path for r in self.requests)

    def requests_to(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        with self._lock:
            self.requests.append(Request(path, dict(handler.headers.items())))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        route = self.routes.get(path.split("?")[0])
        try:
            if route is not None and route.delay:
                self._stop.wait(route.delay)
            if route is not None and route.gate is not None:
                while not (route.gate.wait(0.01) or self._stop.is_set()):
                    pass
        finally:
            with self._lock:
                self.in_flight -= 1
        if route is None:
            self._send(handler, 404, {"Content-Type": "text/plain"}, b"not found")
            return
        headers = {**route.headers}
        if route.etag:
            headers["ETag"] = route.etag
            if handler.headers.get("If-None-Match") == route.etag:
                self._send(handler, 304, headers, b"")
                return
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
            if handler.headers.get("If-Modified-Since") == route.last_modified:
                self._send(handler, 304, headers, b"")
                return
        if route.location:
            headers["Location"] = route.location
        body = route.body
        if route.encoding == "gzip":
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        elif route.encoding == "br":
            import brotli

            body = brotli.compress(body)
            headers["Content-Encoding"] = "br"
        if route.content_type:
            headers.setdefault("Content-Type", route.content_type)
        self._send(handler, route.status, headers, body, route.drip_delay, route.chunked)

    def _send(self, handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str],
              body: bytes, drip_delay: float | None = None, chunked: bool = False) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        if chunked:
            handler.send_header("Transfer-Encoding", "chunked")
        else:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            if chunked:
                self._write_chunked(handler, body)
            elif drip_delay is None:
                handler.wfile.write(body)
            else:
                for i in range(len(body)):
                    if self._stop.wait(drip_delay):
                        return
                    handler.wfile.write(body[i:i + 1])
                    handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    @staticmethod
    def _write_chunked(handler: BaseHTTPRequestHandler, body: bytes, size: int = 16384) -> None:
        for start in range(0, len(body), size):
            piece = body[start:start + size]
            handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def closed_port_url(path: str = "/feed.xml") -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def rss(items: list[dict[str, str]], *, title: str = "Test feed", lang: str | None = "en",
        ttl: int | None = None, encoding: str = "utf-8") -> bytes:
    """A small RSS 2.0 document: items with guid, title, link, description, pubDate."""
    parts = [f'<?xml version="1.0" encoding="{encoding}"?>',
             '<rss version="2.0"><channel>', f"<title>{title}</title>",
             "<link>https://example.org/</link>"]
    if lang:
        parts.append(f"<language>{lang}</language>")
    if ttl:
        parts.append(f"<ttl>{ttl}</ttl>")
    for item in items:
        parts.append("<item>" + "".join(f"<{k}>{v}</{k}>" for k, v in item.items()) + "</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode(encoding)


def wait_for(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    """Poll ``predicate`` until true (for the rare state with no event to await)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)
