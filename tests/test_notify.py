"""Alerts end to end with real parts: feeds served on loopback, the real pipeline and rules,
Apprise delivering to a real SMTP server (aiosmtpd) and a real webhook receiver."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
import yaml
from click.testing import CliRunner

from monitor import config as config_module
from monitor.cli import cli
from monitor.config import Config
from monitor.models import PollResult
from monitor.notify.sender import Sender
from monitor.store import Store
from monitor.store.db import open_database
from tests.feedserver import FeedServer, closed_port_url, rss
from tests.receivers import SmtpReceiver, WebhookReceiver, parts
from tests.test_pipeline import run_once as pipeline_run_once

REPO = Path(__file__).resolve().parents[1]
PLEDGE = ("Norway has pledged two frigates as part of the security guarantees for Ukraine, "
          "the defence minister said.")


_WORDS = ["harbour", "winter", "council", "budget", "railway", "village", "market", "teacher",
          "river", "bridge", "station", "festival", "museum", "weather", "vote", "harvest",
          "factory", "airport", "mountain", "coast", "library", "hospital", "stadium",
          "forest", "energy", "tunnel", "garden", "ferry", "school", "orchestra"]


def pledge(n: int) -> str:
    """A pledge that fires the example rule, with a tail of its own: separate articles, not
    copies of one story."""
    words = random.Random(n).choices(_WORDS, k=30)
    return (f"Norway has pledged {n + 2} frigates as part of the security guarantees for "
            f"Ukraine, the defence minister said. Also {' '.join(words)}.")


def item(guid: str, title: str, text: str = PLEDGE, *, age: timedelta = timedelta(hours=1),
         link: str | None = None) -> dict[str, str]:
    return {"guid": guid, "title": title, "link": link or f"https://example.org/{guid}",
            "description": text, "pubDate": format_datetime(datetime.now(UTC) - age)}


def settings(channels: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"schedule": {"startup_spread": 0}, "notify": {"once_wait": 0},
            "channels": channels, **extra}


def run_once(tmp_path: Path, feeds: list[dict[str, Any]], data: dict[str, Any]) -> list[
        PollResult]:
    return pipeline_run_once(tmp_path, feeds, **data)


def step(tmp_path: Path, data: dict[str, Any], later: timedelta) -> tuple[int, int]:
    """One sender pass over the outbox as if ``later`` had passed (retries, digests)."""
    config = config_module.build(data, environ={})
    store = Store(tmp_path / "news.db")
    sender = Sender(config, store, lambda: _rules(config))
    try:
        return asyncio.run(sender.step(datetime.now(UTC) + later))
    finally:
        store.close()


def _rules(config: Config) -> dict[str, Any]:
    from monitor.match.rules import load_rules

    return {rule.id: rule for rule in load_rules(config.rules_path()).rules}


def database(tmp_path: Path) -> sqlite_utils.Database:
    return open_database(tmp_path / "news.db")


def deliveries(tmp_path: Path) -> list[dict[str, Any]]:
    return list(database(tmp_path).query("SELECT * FROM deliveries ORDER BY id"))


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    with SmtpReceiver() as receiver:
        yield receiver


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def rules_with(tmp_path: Path, notify: dict[str, Any]) -> str:
    """The shipped rules, with a notify block on the example rule."""
    folder = tmp_path / "rules"
    (folder / "concepts").mkdir(parents=True)
    for path in (REPO / "rules" / "concepts").glob("*.yaml"):
        (folder / "concepts" / path.name).write_bytes(path.read_bytes())
    rule = yaml.safe_load((REPO / "rules" / "security-guarantees.yaml").read_text("utf-8"))
    rule["notify"] = notify
    (folder / "security-guarantees.yaml").write_text(yaml.safe_dump(rule, allow_unicode=True),
                                                    "utf-8")
    return str(folder)


def test_email_alert_arrives_with_text_and_html_parts(tmp_path: Path, feed_server: FeedServer,
                                                      smtp: SmtpReceiver) -> None:
    title = "Norway pledges frigates: 5 < 6 & <i>more</i> @channel"
    url = feed_server.add("/rss", body=rss([item("n1", title, link="https://example.org/n?a=1&b=2")]))
    data = settings({"desk": {"urls": [smtp.url()]}}, default_channel="desk")
    run_once(tmp_path, [{"url": url, "title": "Nordic <Wire>"}], data)
    [message] = smtp.wait_for(1)
    assert message["Subject"] == ("[HIGH] A country commits to security guarantees for "
                                  "Ukraine: Norway")
    body = dict(parts(message))
    html, text = body["text/html"], body["text/plain"]
    assert "5 &lt; 6 &amp;" in html and "<i>" not in html
    assert '<a href="https://example.org/n?a=1&amp;b=2">' in html
    assert "<b>Norway</b>" in html and "<b>pledged</b>" in html
    assert "@\u200bchannel" in html and "Nordic &lt;Wire&gt;" in html
    assert "https://example.org/n?a=1&b=2" in text and "Norway has pledged" in text
    [row] = deliveries(tmp_path)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 1, None)
    # a second run finds nothing new: nothing is sent again
    run_once(tmp_path, [{"url": url}], data)
    assert len(smtp.messages) == 1 and len(deliveries(tmp_path)) == 1


def test_old_articles_are_matched_but_not_alerted(tmp_path: Path, feed_server: FeedServer,
                                                  hook: WebhookReceiver) -> None:
    url = feed_server.add("/rss", body=rss([item("old", "Norway pledges", pledge(1),
                                                 age=timedelta(days=3)),
                                            item("new", "Norway pledges again", pledge(2))]))
    run_once(tmp_path, [{"url": url}], settings({"chat": {"urls": [hook.url()]}},
                                                default_channel="chat"))
    db = database(tmp_path)
    assert db["hits"].count == 2 and db["alerts"].count == 1
    assert len(hook.accepted) == 1
    assert "Norway pledges again" in hook.accepted[0]["body"]["message"]


def test_outage_keeps_alerts_queued_then_delivers_each_once(tmp_path: Path,
                                                            feed_server: FeedServer,
                                                            hook: WebhookReceiver) -> None:
    url = feed_server.add("/rss", body=rss([item("a", "Norway pledges"),
                                            item("b", "Norway pledges more", pledge(2))]))
    data = settings({"chat": {"urls": [hook.url()]}}, default_channel="chat")
    hook.status = 500
    run_once(tmp_path, [{"url": url}], data)
    rows = deliveries(tmp_path)
    assert len(rows) == 2 and {r["status"] for r in rows} == {"pending"}
    assert all(r["attempts"] == 1 and "500" in r["last_error"] for r in rows)
    assert all(r["next_attempt_at"] > r["last_attempt_at"] for r in rows)
    hook.down()  # then the receiver is gone altogether
    assert step(tmp_path, data, timedelta(minutes=2)) == (0, 2)
    assert all(r["attempts"] == 2 for r in deliveries(tmp_path))
    assert step(tmp_path, data, timedelta(seconds=30)) == (0, 0)  # not due yet: backoff
    hook.status = 200
    hook.up()
    assert step(tmp_path, data, timedelta(hours=2)) == (2, 0)
    assert step(tmp_path, data, timedelta(days=2)) == (0, 0)
    assert len(hook.accepted) == 2
    assert {r["status"] for r in deliveries(tmp_path)} == {"sent"}


def test_a_dead_url_does_not_hold_back_the_others(tmp_path: Path, feed_server: FeedServer,
                                                  hook: WebhookReceiver) -> None:
    url = feed_server.add("/rss", body=rss([item("a", "Norway pledges")]))
    dead = "json://" + closed_port_url("/hook").split("://", 1)[1]
    run_once(tmp_path, [{"url": url}], settings({"chat": {"urls": [dead, hook.url()]}},
                                                default_channel="chat"))
    assert len(hook.accepted) == 1
    assert sorted(r["status"] for r in deliveries(tmp_path)) == ["pending", "sent"]


def test_digest_sends_one_message_for_the_period(tmp_path: Path, feed_server: FeedServer,
                                                 hook: WebhookReceiver) -> None:
    items = [item(f"g{i}", f"Norway pledges {i}", pledge(i)) for i in range(3)]
    url = feed_server.add("/rss", body=rss(items))
    data = settings({"chat": {"urls": [hook.url()]}},
                    rules_dir=rules_with(tmp_path, {"channels": ["chat"], "digest": "30m"}))
    run_once(tmp_path, [{"url": url}], data)
    assert hook.posts == [] and database(tmp_path)["alerts"].count == 3
    assert step(tmp_path, data, timedelta(minutes=31)) == (1, 0)
    [post] = hook.accepted
    assert post["body"]["title"].endswith(": 3 hits")
    assert all(f"Norway pledges {i}" in post["body"]["message"] for i in range(3))


def test_throttle_folds_the_rest_into_a_digest(tmp_path: Path, feed_server: FeedServer,
                                               hook: WebhookReceiver) -> None:
    items = [item(f"t{i}", f"Norway pledges {i}", pledge(i)) for i in range(5)]
    url = feed_server.add("/rss", body=rss(items))
    data = settings({"chat": {"urls": [hook.url()]}}, rules_dir=rules_with(
        tmp_path, {"channels": ["chat"], "throttle": {"max": 2, "per": "1h"}}))
    run_once(tmp_path, [{"url": url}], data)
    assert len(hook.accepted) == 2
    assert step(tmp_path, data, timedelta(minutes=61)) == (1, 0)
    digest = hook.accepted[-1]["body"]
    assert digest["title"].endswith(": 3 hits")
    assert "3 of them held back by the rule's throttle" in digest["message"]


def test_slack_payload_keeps_feed_text_inert(tmp_path: Path, feed_server: FeedServer,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from apprise.plugins.slack import NotifySlack

    text = PLEDGE + " <!channel> <@U123> *bold* @here"
    url = feed_server.add("/rss", body=rss([item("s", "Norway <!here> pledges", text)]))
    with WebhookReceiver(reply=b"ok") as slack:
        monkeypatch.setattr(NotifySlack, "webhook_url", f"http://127.0.0.1:{slack.port}/services")
        run_once(tmp_path, [{"url": url}], settings({"chat": {"urls": ["slack://T1/B2/C3"]}},
                                                    default_channel="chat"))
        [post] = slack.accepted
    payload = json.dumps(post["body"], ensure_ascii=False)
    assert post["path"] == "/services/T1/B2/C3"
    for mention in ("<!channel>", "<@U123>", "<!here>", " @here"):
        assert mention not in payload
    assert "*Norway*" in payload  # matched spans in Slack's bold


def test_secrets_stay_out_of_the_outbox_and_the_cli(tmp_path: Path, feed_server: FeedServer,
                                                    hook: WebhookReceiver,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_PASSWORD", "hunter2-secret")
    url = feed_server.add("/rss", body=rss([item("a", "Norway pledges")]))
    secret_url = f"json://alerts:${{HOOK_PASSWORD}}@127.0.0.1:{hook.port}/hook"
    literal = f"json://alerts:literal-pass@127.0.0.1:{hook.port}/hook2"
    hook.status = 500
    data = settings({"chat": {"urls": [secret_url, literal]}}, default_channel="chat")
    run_once(tmp_path, [{"url": url}], data)
    dump = json.dumps(deliveries(tmp_path))
    assert "hunter2" not in dump and "literal-pass" not in dump
    assert "127.0.0.1" in dump and "500" in dump
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'database = "news.db"\n[channels.chat]\nurls = ["{secret_url}", '
                           f'"{literal}"]\n', "utf-8")
    runner = CliRunner()
    listed = runner.invoke(cli, ["--config", str(config_file), "outbox", "--failed"])
    checked = runner.invoke(cli, ["--config", str(config_file), "config", "check"])
    for output in (listed.output, checked.output):
        assert "hunter2" not in output and "literal-pass" not in output
    assert listed.exit_code == 0 and "pending" in listed.output
    assert checked.exit_code == 0 and "channel chat: 2 URL(s)" in checked.output


def test_notify_test_and_outbox_retry_commands(tmp_path: Path, hook: WebhookReceiver,
                                               smtp: SmtpReceiver, feed_server: FeedServer
                                               ) -> None:
    dead = "json://" + closed_port_url("/hook").split("://", 1)[1]
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        'database = "news.db"\ndefault_channel = "chat"\n[notify]\nonce_wait = "0s"\n'
        f'[channels.chat]\nurls = ["{hook.url()}", "{smtp.url()}", "{dead}"]\n', "utf-8")
    runner = CliRunner()

    def newsmon(*args: str) -> Any:
        return runner.invoke(cli, ["--config", str(config_file), *args])

    tried = newsmon("notify", "test", "chat")
    assert tried.exit_code == 1
    assert tried.output.count("sent  ") == 2 and "FAILED  json://127.0.0.1" in tried.output
    assert "test message" in hook.accepted[0]["body"]["title"]
    assert smtp.wait_for(1)[0]["Subject"] == "news-monitor: test message"
    unknown = newsmon("notify", "test", "nope")
    assert unknown.exit_code == 1 and "no channel 'nope'" in unknown.output
    url = feed_server.add("/rss", body=rss([item("a", "Norway pledges")]))
    assert newsmon("feeds", "add", url).exit_code == 0
    assert newsmon("run", "--once", "--all").exit_code == 0
    failed = json.loads(newsmon("outbox", "--failed", "--format", "json").output)
    assert [row["status"] for row in failed] == ["pending"]
    retried = newsmon("outbox", "retry", str(failed[0]["id"]))
    assert retried.exit_code == 0 and "due now" in retried.output
    assert newsmon("outbox", "retry", "9999").exit_code == 1
    sent = json.loads(newsmon("outbox", "--sent", "--format", "json").output)
    assert len(sent) == 2


def test_feed_health_alerts_once_when_broken_and_once_when_recovered(
        tmp_path: Path, feed_server: FeedServer, hook: WebhookReceiver) -> None:
    url = feed_server.add("/rss", status=500, body=b"down")
    data = settings({"ops": {"urls": [hook.url()]}}, health_channel="ops",
                    notify={"once_wait": 0, "health_after": 0})
    run_once(tmp_path, [{"url": url, "title": "Wire <Nordic>"}], data)
    run_once(tmp_path, [{"url": url}], data)  # still failing: no second message
    feed_server.add("/rss", body=rss([item("a", "Quiet day")]))
    run_once(tmp_path, [{"url": url}], data)
    run_once(tmp_path, [{"url": url}], data)  # still fine: nothing more
    titles = [post["body"]["title"] for post in hook.accepted]
    assert titles == ["Feed broken: Wire <Nordic>", "Feed recovered: Wire <Nordic>"]
    broken = hook.accepted[0]["body"]
    assert "fetch.http_500" in broken["message"] and broken["type"] == "failure"
    assert hook.accepted[1]["body"]["type"] == "success"


def test_a_feed_silent_for_long_against_its_cadence_is_reported(
        tmp_path: Path, feed_server: FeedServer, hook: WebhookReceiver) -> None:
    hourly = [item(f"h{i}", f"Hourly {i}", "Nothing much.", age=timedelta(days=3, hours=i))
              for i in range(6)]
    url = feed_server.add("/rss", body=rss(hourly))
    data = settings({"ops": {"urls": [hook.url()]}}, health_channel="ops")
    run_once(tmp_path, [{"url": url}], data)
    [silent] = hook.accepted
    assert silent["body"]["title"].startswith("Feed silent: ")
    assert "no new article for 3d" in silent["body"]["message"]
    assert "every 1h" in silent["body"]["message"]
    feed_server.add("/rss", body=rss([item("fresh", "News again", "Something.") , *hourly]))
    run_once(tmp_path, [{"url": url}], data)
    assert [p["body"]["title"].split(":")[0] for p in hook.accepted] == [
        "Feed silent", "Feed recovered"]


def test_a_burst_becomes_a_handful_of_messages_and_loses_no_hit(
        tmp_path: Path, feed_server: FeedServer, hook: WebhookReceiver) -> None:
    items = [item(f"b{i}", f"Burst item {i:03d}", pledge(i)) for i in range(120)]
    url = feed_server.add("/rss", body=rss(items))
    data = settings({"chat": {"urls": [hook.url()]}}, rules_dir=rules_with(
        tmp_path, {"channels": ["chat"], "throttle": {"max": 3, "per": "1h"}}))
    run_once(tmp_path, [{"url": url}], data)
    assert len(hook.accepted) == 3
    step(tmp_path, data, timedelta(minutes=61))
    assert len(hook.accepted) <= 8  # the digest, split at the service's size limit
    digest = "\n".join(post["body"]["message"] for post in hook.accepted[3:])
    assert "117 of them held back by the rule's throttle" in digest
    everything = "\n".join(post["body"]["message"] for post in hook.accepted)
    assert all(f"Burst item {i:03d}" in everything for i in range(120))
