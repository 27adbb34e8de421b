"""A real HTTP server on 127.0.0.1 for tests: each path answers as a Route says.

It can answer with ETag/304, Last-Modified/304, redirects, 429/503 with Retry-After, any
status, a slow (dripping) body, an oversized body, gzip or brotli encoding, any charset
or none, and records every request it receives.
"""

from __future__ import annotations

import gzip
import threading
import time
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
    encoding: str | None = None  # "gzip" or "br"
    drip_delay: float | None = None  # seconds between single bytes
    location: str | None = None  # for 3xx


@dataclass
class Request:
    path: str
    headers: dict[str, str]


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                server._handle(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, route: Route | None = None, **kwargs: object) -> str:
        self.routes[path] = route or Route(**kwargs)  # type: ignore[arg-type]
        return self.url(path)

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(r.path == path for r in self.requests)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        with self._lock:
            self.requests.append(Request(path, dict(handler.headers.items())))
        route = self.routes.get(path.split("?")[0])
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
        self._send(handler, route.status, headers, body, route.drip_delay)

    def _send(self, handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str],
              body: bytes, drip_delay: float | None = None) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            if drip_delay is None:
                handler.wfile.write(body)
                return
            for i in range(len(body)):
                if self._stop.wait(drip_delay):
                    return
                handler.wfile.write(body[i:i + 1])
                handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


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


def wait_for(predicate: object, timeout: float = 10.0) -> None:
    """Poll ``predicate`` until true (for the rare state with no event to await)."""
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)
