"""A small static feed server on 127.0.0.1 for the demo: conditional GET (ETag and
Last-Modified answered with 304), one thread per request, stopped with the context. It
also takes the demo's alerts: JSON posted to ``/alerts`` (Apprise's ``json://``) is kept
in the ``inbox`` list given to :func:`serve`."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar


@dataclass(frozen=True)
class Document:
    body: bytes
    content_type: str

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


class _Handler(BaseHTTPRequestHandler):
    documents: ClassVar[Mapping[str, Document]] = {}
    inbox: ClassVar[list[dict[str, Any]]] = []
    last_modified = formatdate(usegmt=True)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path != "/alerts":
            self.send_error(404)
            return
        try:
            self.inbox.append(json.loads(body))
        except ValueError:
            self.send_error(400)
            return
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        document = self.documents.get(self.path.split("?")[0])
        if document is None:
            self.send_error(404)
            return
        if self.headers.get("If-None-Match") == document.etag:
            self.send_response(304)
            self.send_header("ETag", document.etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", document.content_type)
        self.send_header("Content-Length", str(len(document.body)))
        self.send_header("ETag", document.etag)
        self.send_header("Last-Modified", self.last_modified)
        self.end_headers()
        self.wfile.write(document.body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the demo prints its own summary


@contextmanager
def serve(documents: Mapping[str, Document],
          inbox: list[dict[str, Any]] | None = None) -> Iterator[str]:
    """Serve ``{path: Document}`` on 127.0.0.1, alerts posted to /alerts into ``inbox``;
    yields the base URL."""
    handler = type("DemoHandler", (_Handler,), {"documents": dict(documents),
                                                "inbox": [] if inbox is None else inbox})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="demo-feeds", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
