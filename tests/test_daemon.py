"""The real daemon process: polls on its schedule, stops cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.store.db import open_database
from tests.feedserver import FeedServer, rss, wait_for

ITEMS = [{"guid": f"g{i}", "title": f"Story {i}", "link": f"https://example.org/{i}",
          "description": f"Body of story number {i}."} for i in range(3)]


def start_daemon(tmp_path: Path, url: str) -> subprocess.Popen[str]:
    config = tmp_path / "config.toml"
    config.write_text(
        f'database = "news.db"\n[schedule]\ntick = "1s"\nstartup_spread = "0s"\n'
        f'grace_period = "5s"\n[[feeds]]\nurl = "{url}"\ninterval = "1h"\n', "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), "--log-format", "json",
         "run"], stderr=subprocess.PIPE, text=True, env=env)


def stored(tmp_path: Path) -> int:
    path = tmp_path / "news.db"
    if not path.exists():
        return 0
    db = open_database(path)
    try:
        return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
    finally:
        db.conn.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_daemon_polls_then_stops_on_signal(tmp_path: Path, feed_server: FeedServer,
                                           sig: signal.Signals) -> None:
    url = feed_server.add("/rss", body=rss(ITEMS))
    proc = start_daemon(tmp_path, url)
    try:
        wait_for(lambda: stored(tmp_path) == 3, timeout=20)
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert '"polled ' in stderr and '"stage": "pipeline"' in stderr  # JSON log lines, per poll
    assert "stopping" in stderr
    assert feed_server.hits("/rss") == 1  # interval 1h: ticks found nothing else due
