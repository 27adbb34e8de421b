"""Stories: wire copies from several feeds grouped into one story (with real feeds on
loopback, the real pipeline and a real webhook receiver), alerted once, kept across a
restart; the grouping scored on the development set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from monitor.cli import cli
from tests.feedserver import FeedServer, rss
from tests.receivers import WebhookReceiver
from tests.test_notify import database, item, run_once, settings

DEV = Path(__file__).parent / "data" / "stories_dev.yaml"

WIRE = """Norway has pledged two frigates and a team of mine-clearance divers as part of the \
security guarantees for Ukraine, the defence minister told parliament on Tuesday.

The ships would patrol the western Black Sea once a ceasefire holds, she said, adding that \
the cabinet had approved the plan after a two-hour debate and that the navy could deploy \
within six weeks of a decision by the coalition.

Opposition members asked how long the mission would last and what it would cost. The \
minister said the first rotation would run for twelve months and that the budget would be \
presented to the finance committee before the summer recess.

Officials in Oslo said talks with Denmark and Sweden on a shared logistics base were at an \
early stage."""

INDEPENDENT = """Oslo will send warships to the Black Sea. In a parliamentary hearing on \
Tuesday the defence minister set out a naval contribution: a pair of frigates plus divers \
trained to clear mines, to be deployed only after fighting stops.

Lawmakers pressed her on the price tag and on how many years Norwegian sailors would stay. \
A year at first, she answered; the costs go to the finance committee later this spring.

Neighbouring Nordic navies may share a supply hub, according to ministry staff."""


def copies() -> dict[str, str]:
    paragraphs = WIRE.split("\n\n")
    return {
        "original": WIRE,
        "dateline": "OSLO, March 3 (Reuters) - " + WIRE + "\n\nReporting by Ann Berg; "
                    "Editing by Tom Hale",
        "truncated": "\n\n".join(paragraphs[:2]),
        "cut": "\n\n".join(paragraphs[:2] + paragraphs[3:]),
    }


def newsmon(config: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--config", str(config), *args])


def test_dedup_eval_meets_the_targets_on_the_development_set(tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["--config", "/dev/null", "dedup", "eval", str(DEV),
                                   "--format", "json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output[out.output.index("{"):])
    assert result["precision"] >= 0.98 and result["recall"] >= 0.95
    assert result["false_merges"] == []  # above all: no independent same-event pair merged
    assert set(result) >= {"precision", "recall", "f1", "false_merges", "missed_pairs"}
    table = CliRunner().invoke(cli, ["--config", "/dev/null", "dedup", "eval", str(DEV)])
    assert table.exit_code == 0 and "precision" in table.output


def test_copies_from_several_feeds_are_one_story_alerted_once(
        tmp_path: Path, feed_server: FeedServer) -> None:
    texts = copies()
    feeds = []
    for number, (kind, text) in enumerate(texts.items()):
        url = feed_server.add(f"/f{number}", body=rss([item(f"{kind}", f"Norway pledges "
                                                            f"frigates ({kind})", text)]))
        feeds.append({"url": url, "title": f"Wire {kind}"})
    own = feed_server.add("/own", body=rss([item("own", "Oslo sends warships", INDEPENDENT)]))
    feeds.append({"url": own, "title": "Own reporting"})
    with WebhookReceiver() as hook:
        run_once(tmp_path, feeds, settings({"chat": {"urls": [hook.url()]}},
                                           default_channel="chat"))
        posts = hook.accepted
    db = database(tmp_path)
    assert db["hits"].count == 4  # every copy's hit is recorded...
    assert len(posts) == 1  # ...one alert for the story
    assert "4 sources: " in posts[0]["body"]["message"]
    config = tmp_path / "config.toml"
    config.write_text('database = "news.db"\n', "utf-8")
    listed = json.loads(newsmon(config, "stories", "--format", "json").output)
    assert sorted(row["sources"] for row in listed) == [1, 4]
    wire = next(row for row in listed if row["sources"] == 4)
    assert json.loads(newsmon(config, "stories", "--min-sources", "2", "--format",
                              "json").output) == [wire]
    shown = json.loads(newsmon(config, "stories", "show", str(wire["id"]), "--format",
                               "json").output)
    assert sorted(row["feed"] for row in shown) == sorted(f"Wire {k}" for k in texts)
    assert newsmon(config, "stories", "show", "999").exit_code == 1
    assert newsmon(config, "stories", "--lang", "fr", "--format", "json").output.strip() == "[]"


def test_an_exact_copy_in_another_feed_is_a_source_of_the_story(
        tmp_path: Path, feed_server: FeedServer) -> None:
    first = feed_server.add("/a", body=rss([item("x1", "Norway pledges frigates", WIRE)]))
    second = feed_server.add("/b", body=rss([item("x2", "Norway pledges frigates", WIRE)]))
    run_once(tmp_path, [{"url": first}, {"url": second}], settings({}))
    db = database(tmp_path)
    assert db["articles"].count == 1 and db["stories"].count == 1
    [row] = db.query("SELECT count(DISTINCT feed_id) AS n FROM story_sources")
    assert row["n"] == 2


def test_a_later_copy_that_now_matches_the_rule_alerts(tmp_path: Path,
                                                       feed_server: FeedServer) -> None:
    quiet = WIRE.replace("has pledged two frigates and", "is studying sending two frigates and")
    quiet = quiet.replace("as part of the security guarantees for Ukraine", "to the region")
    first = feed_server.add("/a", body=rss([item("q", "Norway studies a naval mission", quiet)]))
    with WebhookReceiver() as hook:
        data = settings({"chat": {"urls": [hook.url()]}}, default_channel="chat")
        run_once(tmp_path, [{"url": first}], data)
        assert hook.accepted == []
        second = feed_server.add("/b", body=rss([item("p", "Norway pledges frigates", WIRE)]))
        run_once(tmp_path, [{"url": first}, {"url": second}], data)
        assert len(hook.accepted) == 1
    assert database(tmp_path)["stories"].count == 1


def test_stories_survive_a_restart_of_the_process(tmp_path: Path,
                                                  feed_server: FeedServer) -> None:
    texts = copies()
    first = feed_server.add("/a", body=rss([item("o", "Norway pledges", texts["original"])]))
    config = tmp_path / "config.toml"
    config.write_text(f'database = "news.db"\n[schedule]\nstartup_spread = "0s"\n'
                      f'[[feeds]]\nurl = "{first}"\n', "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}

    def run() -> None:
        done = subprocess.run([sys.executable, "-m", "monitor", "--config", str(config), "run",
                               "--once", "--all"], capture_output=True, text=True, env=env,
                              timeout=120)
        assert done.returncode == 0, done.stderr

    run()
    second = feed_server.add("/b", body=rss([item("d", "Norway pledges", texts["dateline"])]))
    config.write_text(config.read_text("utf-8") + f'[[feeds]]\nurl = "{second}"\n', "utf-8")
    run()  # a new process: the index is read from the database, not rebuilt
    db = database(tmp_path)
    assert db["articles"].count == 2 and db["stories"].count == 1


def test_a_copy_too_old_to_alert_does_not_hold_back_a_fresh_one(
        tmp_path: Path, feed_server: FeedServer) -> None:
    from datetime import timedelta

    old = feed_server.add("/old", body=rss([item("o", "Norway pledges", WIRE,
                                                 age=timedelta(days=3))]))
    fresh = feed_server.add("/new", body=rss([item("n", "Norway pledges", copies()["dateline"])]))
    with WebhookReceiver() as hook:
        data = settings({"chat": {"urls": [hook.url()]}}, default_channel="chat")
        run_once(tmp_path, [{"url": old}], data)
        run_once(tmp_path, [{"url": old}, {"url": fresh}], data)
        assert len(hook.accepted) == 1  # the fresh copy: the old one was never alerted
    assert database(tmp_path)["stories"].count == 1


def test_a_stub_filled_in_later_is_found_by_later_copies(tmp_path: Path,
                                                        feed_server: FeedServer) -> None:
    first = feed_server.add("/a", body=rss([item("s", "Norway pledges frigates", "Developing.")]))
    with WebhookReceiver() as hook:
        data = settings({"chat": {"urls": [hook.url()]}}, default_channel="chat")
        run_once(tmp_path, [{"url": first}], data)
        feed_server.add("/a", body=rss([item("s", "Norway pledges frigates", WIRE)]))
        second = feed_server.add("/b", body=rss([item("d", "Norway pledges",
                                                      copies()["dateline"])]))
        run_once(tmp_path, [{"url": first}], data)  # filled in: its hit alerts
        run_once(tmp_path, [{"url": first}, {"url": second}], data)  # a copy joins it
        assert len(hook.accepted) == 1
    assert database(tmp_path)["stories"].count == 1


def test_two_copies_in_one_feed_document_alert_once(tmp_path: Path,
                                                   feed_server: FeedServer) -> None:
    texts = copies()
    url = feed_server.add("/both", body=rss([item("a", "Norway pledges", texts["original"]),
                                             item("b", "Norway pledges (Reuters)",
                                                  texts["dateline"])]))
    with WebhookReceiver() as hook:
        run_once(tmp_path, [{"url": url}], settings({"chat": {"urls": [hook.url()]}},
                                                    default_channel="chat"))
        assert len(hook.accepted) == 1
    db = database(tmp_path)
    assert db["hits"].count == 2 and db["stories"].count == 1
