"""The real daemon process as systemd runs it: READY and watchdog pings on a NOTIFY_SOCKET
the test listens on; SIGHUP with a broken rule keeps the old rules (they still fire),
SIGHUP with a good new rule loads it (it fires)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.store.db import open_database
from tests.feedserver import FeedServer, rss, wait_for
from tests.test_daemon import spawn

REPO = Path(__file__).resolve().parents[1]


class NotifySocket:
    """A datagram socket standing in for systemd's notify socket."""

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="nm-", dir="/tmp")  # short: sun_path is small
        self.path = os.path.join(self.folder, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.messages: list[str] = []

    def wait_for(self, message: str, count: int = 1, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.messages.count(message) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{message} x{count} not received: {self.messages}")
            self.sock.settimeout(left)
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except TimeoutError:
                continue

    def close(self) -> None:
        self.sock.close()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def notify_socket() -> Iterator[NotifySocket]:
    listener = NotifySocket()
    yield listener
    listener.close()


def hits(db_path: Path) -> list[str]:
    if not db_path.exists():
        return []
    db = open_database(db_path)
    try:
        return [row[0] for row in db.execute("SELECT rule_id FROM hits ORDER BY id")]
    finally:
        db.conn.close()


def item(guid: str, title: str, text: str) -> dict[str, str]:
    return {"guid": guid, "title": title, "link": f"https://example.org/{guid}",
            "description": text, "pubDate": format_datetime(datetime.now(UTC))}


def test_ready_watchdog_and_sighup_reloads(tmp_path: Path, feed_server: FeedServer,
                                           notify_socket: NotifySocket) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules, ignore=shutil.ignore_patterns("README.md"))
    config = tmp_path / "config.toml"
    config.write_text(f'database = "news.db"\nrules_dir = "{rules}"\n[schedule]\n'
                      'tick = "1s"\nstartup_spread = "0s"\n', "utf-8")
    proc = spawn(config, NOTIFY_SOCKET=notify_socket.path, WATCHDOG_USEC="400000")
    runner = CliRunner()

    def add_feed(path: str, guid: str, title: str, text: str) -> None:
        url = feed_server.add(path, body=rss([item(guid, title, text)]))
        out = runner.invoke(cli, ["--config", str(config), "feeds", "add", url])
        assert out.exit_code == 0, out.output

    try:
        notify_socket.wait_for("READY=1")
        notify_socket.wait_for("WATCHDOG=1", count=3)  # pinged from the loop, every 0.2 s
        (rules / "broken.yaml").write_text("id: broken\ntitle: Broken\nmatch:\n"
                                           "  concept: no-such-concept\n", "utf-8")
        proc.send_signal(signal.SIGHUP)
        notify_socket.wait_for("RELOADING=1")
        notify_socket.wait_for("READY=1", count=2)
        add_feed("/a", "a", "Norway pledges frigates",
                 "Norway has pledged two frigates as part of the security guarantees for "
                 "Ukraine, the defence minister said.")
        wait_for(lambda: hits(tmp_path / "news.db") == ["security-guarantees"], timeout=30)
        (rules / "broken.yaml").unlink()
        (rules / "zeppelin.yaml").write_text(
            "id: zeppelin\ntitle: Airships are back\nmatch:\n  keywords: [zeppelin]\n"
            "tests:\n  - {lang: en, text: A zeppelin flew over the town., expect: true}\n",
            "utf-8")
        proc.send_signal(signal.SIGHUP)
        notify_socket.wait_for("READY=1", count=3)
        add_feed("/b", "b", "Airship", "A zeppelin was seen over the harbour on Sunday.")
        wait_for(lambda: "zeppelin" in hits(tmp_path / "news.db"), timeout=30)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert "broken.yaml:4:12" in stderr and "unknown concept" in stderr
    assert "keeping the rules loaded before" in stderr


def test_status_endpoint_serves_health_and_metrics(tmp_path: Path,
                                                   feed_server: FeedServer) -> None:
    import httpx

    from tests.receivers import free_port

    url = feed_server.add("/rss", body=rss([item("a", "Story", "Body of the story.")]))
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(f'database = "news.db"\n[schedule]\ntick = "1s"\nstartup_spread = "0s"\n'
                      f'[status]\nlisten = "127.0.0.1:{port}"\n[[feeds]]\nurl = "{url}"\n',
                      "utf-8")
    proc = spawn(config)

    def get(path: str) -> httpx.Response | None:
        try:
            return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)
        except httpx.TransportError:
            return None

    def polled() -> bool:
        response = get("/metrics")
        return response is not None and 'newsmon_polls_total{status="ok"} 1.0' in response.text

    try:
        wait_for(polled, timeout=30)
        metrics = get("/metrics")
        assert metrics is not None and metrics.status_code == 200
        assert "newsmon_articles_total 1.0" in metrics.text
        assert "newsmon_deliveries_pending 0.0" in metrics.text
        assert "newsmon_loop_lag_seconds" in metrics.text
        health = get("/healthz")
        assert health is not None and health.status_code == 200
        assert health.json()["status"] == "ok"
        missing = get("/nothing")
        assert missing is not None and missing.status_code == 404
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr


def test_watched_rules_reload_without_a_signal(tmp_path: Path, feed_server: FeedServer,
                                               notify_socket: NotifySocket) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    config = tmp_path / "config.toml"
    config.write_text(f'database = "news.db"\nrules_dir = "{rules}"\nwatch_rules = true\n'
                      '[schedule]\ntick = "1s"\nstartup_spread = "0s"\n', "utf-8")
    proc = spawn(config, NOTIFY_SOCKET=notify_socket.path)
    try:
        notify_socket.wait_for("READY=1")
        (rules / "zeppelin.yaml").write_text(
            "id: zeppelin\ntitle: Airships are back\nmatch:\n  keywords: [zeppelin]\n",
            "utf-8")
        url = feed_server.add("/z", body=rss([item("z", "Airship", "A zeppelin was seen.")]))
        # the next tick sees the new file before it polls the new feed
        out = CliRunner().invoke(cli, ["--config", str(config), "feeds", "add", url])
        assert out.exit_code == 0, out.output
        wait_for(lambda: hits(tmp_path / "news.db") == ["zeppelin"], timeout=30)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert "rules changed" in stderr
