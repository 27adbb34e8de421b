"""Real receivers on 127.0.0.1 for alert tests: an SMTP server (aiosmtpd) that keeps every
message, and an HTTP server that records webhook posts and answers with a status the test
sets (or is down)."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpReceiver:
    """aiosmtpd on a free loopback port; ``messages`` are the parsed emails received."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.received = threading.Condition()
        receiver = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
                with receiver.received:
                    receiver.messages.append(parsed)  # type: ignore[arg-type]
                    receiver.received.notify_all()
                return "250 OK"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def url(self, to: str = "desk@example.org") -> str:
        return (f"mailto://127.0.0.1:{self.port}?from=alerts@example.org&to={to}"
                "&mode=insecure")

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        with self.received:
            self.received.wait_for(lambda: len(self.messages) >= count, timeout)
        return list(self.messages)

    def __enter__(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


class WebhookReceiver:
    """Records POSTs; ``status`` is the answer (200 by default); ``down()`` closes the
    port and ``up()`` opens it again on the same one."""

    def __init__(self, reply: bytes = b"ok") -> None:
        self.port = free_port()
        self.status = 200
        self.reply = reply
        self.posts: list[dict[str, Any]] = []  # every post received, whatever the answer
        self._server: ThreadingHTTPServer | None = None

    def url(self, path: str = "/hook", scheme: str = "json") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    @property
    def accepted(self) -> list[dict[str, Any]]:
        return [post for post in self.posts if post["status"] < 300]

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                try:
                    body: Any = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                receiver.posts.append({"path": self.path, "body": body,
                                       "status": receiver.status})
                self.send_response(receiver.status)
                self.send_header("Content-Length", str(len(receiver.reply)))
                self.end_headers()
                self.wfile.write(receiver.reply)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> WebhookReceiver:
        self.up()
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()


def parts(message: EmailMessage) -> Iterator[tuple[str, str]]:
    """(content type, text) of each leaf part of an email."""
    for part in message.walk():
        if not part.is_multipart():
            yield part.get_content_type(), str(part.get_content())
