"""The real daemon process: polls on its schedule, stops cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.store.db import open_database
from tests.feedserver import FeedServer, rss, wait_for

ITEMS = [{"guid": f"g{i}", "title": f"Story {i}", "link": f"https://example.org/{i}",
          "description": f"Body of story number {i}."} for i in range(3)]


def spawn(config: Path, *options: str, **environ: str) -> subprocess.Popen[str]:
    """``newsmon [OPTIONS] --config CONFIG run`` as a real process, with no NEWSMON_*
    variable of ours leaking in; ``environ`` adds variables (NOTIFY_SOCKET...)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
    env.update(environ)
    return subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(config),
                             *options, "run"], stderr=subprocess.PIPE, text=True, env=env)


def start_daemon(tmp_path: Path, url: str) -> subprocess.Popen[str]:
    config = tmp_path / "config.toml"
    config.write_text(
        f'database = "news.db"\n[schedule]\ntick = "1s"\nstartup_spread = "0s"\n'
        f'grace_period = "5s"\n[[feeds]]\nurl = "{url}"\ninterval = "1h"\n', "utf-8")
    return spawn(config, "--log-format", "json")


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


def test_sighup_is_survived_and_sigterm_abandons_a_stuck_fetch(tmp_path: Path,
                                                               feed_server: FeedServer) -> None:
    import threading

    gate = threading.Event()  # never opened: the fetch hangs until abandoned
    url = feed_server.add("/stuck", body=rss(ITEMS), gate=gate)
    config = tmp_path / "config.toml"
    config.write_text(
        'database = "news.db"\n[schedule]\ntick = "1s"\nstartup_spread = "0s"\n'
        f'grace_period = "1s"\n[fetch]\ndeadline = "60s"\n[[feeds]]\nurl = "{url}"\n', "utf-8")
    proc = spawn(config)
    try:
        wait_for(lambda: len(feed_server.requests_to("/stuck")) == 1, timeout=20)
        proc.send_signal(signal.SIGHUP)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=15)
    finally:
        gate.set()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert "SIGHUP" in stderr and "abandoned 1 in-flight poll" in stderr
    assert "Traceback" not in stderr, stderr
    assert stored(tmp_path) == 0


def test_daemon_alerts_a_hit_by_email(tmp_path: Path, feed_server: FeedServer) -> None:
    from email.utils import format_datetime

    from tests.receivers import SmtpReceiver, parts

    now = format_datetime(datetime.now(UTC))
    text = ("Finland has pledged to send air-defence crews as part of the security guarantees "
            "for Ukraine, the government said.")
    url = feed_server.add("/rss", body=rss([{"guid": "fi", "title": "Finland pledges crews",
                                             "link": "https://example.org/fi",
                                             "description": text, "pubDate": now}]))
    with SmtpReceiver() as smtp:
        config = tmp_path / "config.toml"
        config.write_text(
            f'database = "news.db"\ndefault_channel = "desk"\n[schedule]\ntick = "1s"\n'
            f'startup_spread = "0s"\n[notify]\ntick = "1s"\n'
            f'[channels.desk]\nurls = ["{smtp.url()}"]\n'
            f'[[feeds]]\nurl = "{url}"\ninterval = "1h"\n', "utf-8")
        proc = spawn(config)
        try:
            [message] = smtp.wait_for(1, timeout=30)
            proc.send_signal(signal.SIGTERM)
            _, stderr = proc.communicate(timeout=15)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, stderr
    assert message["Subject"].endswith("security guarantees for Ukraine: Finland")
    assert "https://example.org/fi" in dict(parts(message))["text/plain"]


def test_kill_9_loses_no_hit_and_no_alert(tmp_path: Path, feed_server: FeedServer) -> None:
    """The daemon killed hard while it polls and sends; after a restart every story hit is
    alerted, and only a delivery that was in flight may arrive twice."""
    from email.utils import format_datetime

    from tests.receivers import SmtpReceiver
    from tests.test_notify import pledge

    now = format_datetime(datetime.now(UTC))
    feeds = ""
    for number in range(12):
        items = [{"guid": f"f{number}-{i}", "title": f"Pledge {number}-{i}",
                  "link": f"https://example.org/{number}/{i}",
                  "description": pledge(number * 10 + i), "pubDate": now} for i in range(3)]
        feeds += f'[[feeds]]\nurl = "{feed_server.add(f"/f{number}", body=rss(items))}"\n'
    with SmtpReceiver() as smtp:
        config = tmp_path / "config.toml"
        config.write_text(
            f'database = "news.db"\ndefault_channel = "desk"\n[schedule]\ntick = "1s"\n'
            f'startup_spread = "0s"\n[notify]\ntick = "1s"\ntimeout = "1s"\n'
            f'retry_first = "1s"\n[channels.desk]\nurls = ["{smtp.url()}"]\n' + feeds, "utf-8")
        first = spawn(config)
        try:
            smtp.wait_for(1, timeout=30)  # it is polling and sending: kill it now
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        finally:
            if first.poll() is None:
                first.kill()
        second = spawn(config)
        try:
            db_path = tmp_path / "news.db"
            wait_for(lambda: stored(tmp_path) == 36, timeout=60)
            db = open_database(db_path)
            expected = db.execute("SELECT count(*) FROM alerts").fetchone()[0]
            db.conn.close()
            smtp.wait_for(expected, timeout=60)
            wait_for(lambda: not _pending(db_path), timeout=60)
            second.send_signal(signal.SIGTERM)
            _, stderr = second.communicate(timeout=20)
        finally:
            if second.poll() is None:
                second.kill()
    assert second.returncode == 0, stderr
    subjects = [message["Subject"] for message in smtp.messages]
    assert expected == 36  # every article is its own story, each hit alerted
    assert len(subjects) - expected <= 1  # at most the one delivery in flight, twice


def _pending(db_path: Path) -> int:
    db = open_database(db_path)
    try:
        return int(db.execute("SELECT count(*) FROM deliveries WHERE status = 'pending'"
                              ).fetchone()[0])
    finally:
        db.conn.close()
