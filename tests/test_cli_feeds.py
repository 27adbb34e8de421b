"""``newsmon feeds ...`` against a real feed server and a real SQLite file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from monitor.store.db import open_database
from tests.feedserver import FeedServer, rss

Cli = Callable[..., Result]
ITEMS = [{"guid": "a1", "title": "First", "link": "https://example.org/1",
          "description": "One story.", "pubDate": "Tue, 10 Feb 2026 10:00:00 +0000"}]


def feeds_json(cli: Cli) -> list[dict[str, object]]:
    out = cli("feeds", "list", "--format", "json")
    assert out.exit_code == 0, out.output
    return json.loads(out.output)  # type: ignore[no-any-return]


def test_add_a_feed_url_takes_its_title(cli: Cli, feed_server: FeedServer) -> None:
    url = feed_server.add("/rss", body=rss(ITEMS, title="Daily Example"))
    out = cli("feeds", "add", url, "--tag", "world", "--tag", "en", "--interval", "30m",
              "--lang", "en")
    assert out.exit_code == 0, out.output
    [feed] = feeds_json(cli)
    assert (feed["url"], feed["title"], feed["tags"], feed["interval"], feed["lang"]) == (
        url, "Daily Example", ["world", "en"], 1800, "en")


def test_add_a_site_url_discovers_the_feed(cli: Cli, feed_server: FeedServer) -> None:
    feed_url = feed_server.add("/feeds/main.xml", body=rss(ITEMS))
    page = (b'<html><head><title>Site</title>'
            b'<link rel="stylesheet" href="/s.css">'
            b'<link rel="alternate" type="application/rss+xml" href="/feeds/main.xml">'
            b"</head><body>hello</body></html>")
    site = feed_server.add("/", body=page, content_type="text/html; charset=utf-8")
    out = cli("feeds", "add", site)
    assert out.exit_code == 0, out.output
    assert [f["url"] for f in feeds_json(cli)] == [feed_url]


def test_add_a_page_without_feed_says_so(cli: Cli, feed_server: FeedServer) -> None:
    site = feed_server.add("/", body=b"<html><head></head><body>x</body></html>",
                           content_type="text/html")
    out = cli("feeds", "add", site)
    assert out.exit_code == 1
    assert "announces none" in out.output and "parse.no_feed_found" in out.output
    assert feeds_json(cli) == []


def test_add_twice_is_refused(cli: Cli) -> None:
    assert cli("feeds", "add", "https://a.example/rss", "--no-discover").exit_code == 0
    out = cli("feeds", "add", "https://a.example/rss", "--no-discover")
    assert out.exit_code == 1 and "already exists" in out.output


def test_bad_interval_is_a_usage_error(cli: Cli) -> None:
    out = cli("feeds", "add", "https://a.example/rss", "--no-discover", "--interval", "soon")
    assert out.exit_code == 2 and "15m" in out.output


def test_edit_pause_resume_remove(cli: Cli) -> None:
    cli("feeds", "add", "https://a.example/rss", "--no-discover", "--tag", "x")
    assert cli("feeds", "edit", "1", "--interval", "1h", "--tag", "y", "--title",
               "A").exit_code == 0
    [feed] = feeds_json(cli)
    assert (feed["interval"], feed["tags"], feed["title"]) == (3600, ["y"], "A")
    assert cli("feeds", "pause", "https://a.example/rss").exit_code == 0
    assert feeds_json(cli)[0]["paused"] == 1
    table = cli("feeds", "list").output
    assert "paused" in table
    assert cli("feeds", "resume", "1").exit_code == 0
    assert feeds_json(cli)[0]["paused"] == 0
    assert cli("feeds", "remove", "1").exit_code == 0
    assert feeds_json(cli) == []
    out = cli("feeds", "remove", "1")
    assert out.exit_code == 1 and "feeds list" in out.output


def test_remove_refuses_a_feed_the_config_lists(cli: Cli, config_file: Path) -> None:
    config_file.write_text(config_file.read_text("utf-8")
                           + '\n[[feeds]]\nurl = "https://cfg.example/rss"\n', "utf-8")
    db = open_database(config_file.parent / "news.db")
    from datetime import UTC, datetime

    from monitor.models import FeedSpec
    from monitor.store.feeds import add_feed

    add_feed(db, FeedSpec("https://cfg.example/rss", source="config"), datetime.now(UTC))
    out = cli("feeds", "remove", "https://cfg.example/rss")
    assert out.exit_code == 1
    assert str(config_file.resolve()) in out.output and "[[feeds]]" in out.output
    assert len(feeds_json(cli)) == 1


def test_config_feeds_are_synced_at_start(cli: Cli, config_file: Path,
                                          feed_server: FeedServer) -> None:
    url = feed_server.add("/rss", body=rss(ITEMS))
    config_file.write_text(config_file.read_text("utf-8")
                           + f'\n[[feeds]]\nurl = "{url}"\ntitle = "Configured"\n'
                             'tags = ["cfg"]\ninterval = "2h"\n', "utf-8")
    out = cli("run", "--once")
    assert out.exit_code == 0, out.output
    [feed] = feeds_json(cli)
    assert (feed["title"], feed["tags"], feed["interval"], feed["source"]) == (
        "Configured", ["cfg"], 7200, "config")
    assert feed["items"] == 1


def test_opml_round_trip(cli: Cli, tmp_path: Path) -> None:
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>s</title></head><body>'
        '<outline text="Europe"><outline text="Le Monde" type="rss" '
        'xmlUrl="https://lemonde.example/rss" category="/news/france"/>'
        '<outline text="Nested"><outline text="Deep" xmlUrl="https://deep.example/feed"/>'
        "</outline></outline>"
        '<outline text="Top" xmlUrl="https://top.example/atom"/>'
        "</body></opml>", "utf-8")
    out = cli("feeds", "import-opml", str(opml))
    assert out.exit_code == 0 and "3 feed(s) added" in out.output
    again = cli("feeds", "import-opml", str(opml))
    assert "0 feed(s) added, 3 already present" in again.output
    by_url = {f["url"]: f for f in feeds_json(cli)}
    assert by_url["https://lemonde.example/rss"]["tags"] == ["Europe", "news", "france"]
    assert by_url["https://deep.example/feed"]["tags"] == ["Europe", "Nested"]
    assert by_url["https://top.example/atom"]["tags"] == []
    exported = tmp_path / "out.opml"
    assert cli("feeds", "export-opml", "-o", str(exported)).exit_code == 0
    from monitor.opml import read_opml

    specs = {s.url: s for s in read_opml(exported.read_bytes())}
    assert set(specs) == set(by_url)
    assert specs["https://lemonde.example/rss"].tags == ("Europe", "news", "france")
    assert specs["https://lemonde.example/rss"].title == "Le Monde"


def test_broken_opml_names_file_line_and_column(cli: Cli, tmp_path: Path) -> None:
    opml = tmp_path / "bad.opml"
    opml.write_text("<opml><body>\n<outline text='x'>\n</body></opml>", "utf-8")
    out = cli("feeds", "import-opml", str(opml))
    assert out.exit_code == 1 and f"{opml}:3:" in out.output


def test_run_once_then_feeds_list_shows_health(cli: Cli, feed_server: FeedServer) -> None:
    good = feed_server.add("/rss", body=rss(ITEMS), etag='"v1"')
    cli("feeds", "add", good, "--no-discover")
    assert cli("run", "--once").exit_code == 0
    [feed] = feeds_json(cli)
    assert feed["items"] == 1 and feed["error_count"] == 0 and feed["last_success_at"]
    assert feed["next_check_at"] > feed["last_success_at"]
    # not due again yet: a plain --once polls nothing, --all polls it (a 304)
    assert cli("run", "--once").exit_code == 0
    assert feed_server.hits("/rss") == 1
    out = cli("run", "--once", "--all")
    assert out.exit_code == 0 and "not_modified" in out.output
    assert feed_server.hits("/rss") == 2
    assert feed_server.requests[-1].headers.get("If-None-Match") == '"v1"'


def test_run_once_reports_json_per_feed(cli: Cli, feed_server: FeedServer) -> None:
    good = feed_server.add("/rss", body=rss(ITEMS))
    bad = feed_server.add("/broken", status=500)
    cli("feeds", "add", good, "--no-discover")
    cli("feeds", "add", bad, "--no-discover")
    out = cli("run", "--once", "--format", "json")
    assert out.exit_code == 0, out.output
    results = {r["url"]: r for r in json.loads(out.stdout)}
    assert results[good]["status"] == "ok" and results[good]["new"] == 1
    assert results[bad]["status"] == "error" and results[bad]["error_code"] == "fetch.http_500"


def test_feeds_list_csv(cli: Cli) -> None:
    import csv
    import io

    cli("feeds", "add", "https://a.example/rss", "--no-discover", "--tag", "x", "--tag", "y")
    out = cli("feeds", "list", "--format", "csv")
    [row] = list(csv.DictReader(io.StringIO(out.stdout)))
    assert row["url"] == "https://a.example/rss"
    assert json.loads(row["tags"]) == ["x", "y"]


def test_edit_to_an_existing_url_is_refused(cli: Cli) -> None:
    cli("feeds", "add", "https://a.example/rss", "--no-discover")
    cli("feeds", "add", "https://b.example/rss", "--no-discover")
    out = cli("feeds", "edit", "2", "--url", "https://a.example/rss")
    assert out.exit_code == 1 and "already exists" in out.output
    assert "[store.feed_exists]" in out.output


def test_language_change_resets_the_prior_bookkeeping(cli: Cli, config_file: Path) -> None:
    cli("feeds", "add", "https://a.example/rss", "--no-discover", "--lang", "fr")
    db = open_database(config_file.parent / "news.db")
    db.execute("UPDATE feeds SET lang_agree = 1, lang_disagree = 30")
    cli("feeds", "edit", "1", "--lang", "fr")  # the same language: counts kept
    assert feeds_json(cli)[0]["lang_disagree"] == 30
    cli("feeds", "edit", "1", "--lang", "en-GB")
    [feed] = feeds_json(cli)
    assert (feed["lang"], feed["lang_agree"], feed["lang_disagree"]) == ("en", 0, 0)


def test_opml_languages_are_normalised(cli: Cli, tmp_path: Path) -> None:
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<opml version="2.0"><body>'
        '<outline text="A" xmlUrl="https://a.example/rss" language="en-US"/>'
        '<outline text="B" xmlUrl="https://b.example/rss" language="english"/>'
        "</body></opml>", "utf-8")
    assert cli("feeds", "import-opml", str(opml)).exit_code == 0
    langs = {f["url"]: f["lang"] for f in feeds_json(cli)}
    assert langs == {"https://a.example/rss": "en", "https://b.example/rss": None}
