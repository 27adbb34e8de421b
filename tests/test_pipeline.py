"""The pipeline against a real feed server and a real SQLite file: updates, redirects,
publisher-asked intervals, full text, the language prior's bookkeeping."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from monitor import config as config_module
from monitor.daemon import Daemon
from monitor.models import PollResult
from monitor.store.db import open_database
from tests.feedserver import FeedServer, rss

PUB = "Tue, 10 Feb 2026 10:00:00 +0000"


def run_once(tmp_path: Path, feeds: list[dict[str, Any]], **settings: Any) -> list[PollResult]:
    config = config_module.build({"schedule": {"startup_spread": 0}, **settings,
                                  "feeds": feeds}, environ={})
    daemon = Daemon(config, tmp_path / "news.db")

    async def go() -> list[PollResult]:
        try:
            return await daemon.run_once(include_all=True)
        finally:
            await daemon.close()

    return asyncio.run(go())


def database(tmp_path: Path) -> sqlite_utils.Database:
    return open_database(tmp_path / "news.db")


def item(guid: str, title: str, text: str, link: str | None = None) -> dict[str, str]:
    return {"guid": guid, "title": title, "link": link or f"https://example.org/{guid}",
            "description": text, "pubDate": PUB}


def test_changed_entry_updates_its_row(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.add("/rss", body=rss([item("a", "Talks open", "Ministers met today.")]))
    [first] = run_once(tmp_path, [{"url": url}])
    assert (first.new, first.updated) == (1, 0)
    feed_server.add("/rss", body=rss([item("a", "Talks open", "Ministers met today and agreed.")]))
    [second] = run_once(tmp_path, [{"url": url}])
    assert (second.new, second.updated) == (0, 1)
    [row] = database(tmp_path).query("SELECT text, version FROM articles")
    assert row == {"text": "Ministers met today and agreed.", "version": 2}


def test_repeated_guid_in_one_document_is_stored_once(tmp_path: Path,
                                                      feed_server: FeedServer) -> None:
    body = rss([item("a", "One", "First text."), item("a", "One again", "Second text.")])
    url = feed_server.add("/rss", body=body)
    [result] = run_once(tmp_path, [{"url": url}])
    assert result.new == 1
    assert database(tmp_path)["articles"].count == 1


def test_permanent_redirect_moves_the_feed(tmp_path: Path, feed_server: FeedServer) -> None:
    new = feed_server.add("/new.xml", body=rss([item("a", "Moved", "The feed moved.")]))
    old = feed_server.add("/old.xml", status=301, location="/new.xml")
    temp = feed_server.add("/temp.xml", status=302, location="/new2.xml")
    feed_server.add("/new2.xml", body=rss([item("b", "Temp", "Temporarily elsewhere.")]))
    run_once(tmp_path, [{"url": old}, {"url": temp}])
    urls = {r["url"] for r in database(tmp_path).query("SELECT url FROM feeds")}
    assert new in urls and old not in urls
    assert temp in urls  # 302: the stored URL stays


def test_ttl_and_max_age_lengthen_the_interval(tmp_path: Path, feed_server: FeedServer) -> None:
    ttl = feed_server.add("/ttl", body=rss([item("a", "T", "Text one.")], ttl=180))
    age = feed_server.add("/age", body=rss([item("b", "A", "Text two.")]),
                          headers={"Cache-Control": "public, max-age=7200"})
    run_once(tmp_path, [{"url": ttl, "interval": "15m"}, {"url": age, "interval": "15m"}])
    rows = {r["url"]: r for r in database(tmp_path).query("SELECT * FROM feeds")}
    for url, seconds in ((ttl, 180 * 60), (age, 7200)):
        row = rows[url]
        assert row["cache_ttl"] == seconds
        waited = (datetime.fromisoformat(row["next_check_at"])
                  - datetime.fromisoformat(row["last_check_at"])).total_seconds()
        assert seconds * 0.89 <= waited <= seconds * 1.11


def test_full_text_is_extracted_from_the_page(tmp_path: Path, feed_server: FeedServer) -> None:
    paragraphs = "".join(
        f"<p>Paragraph {i} of the full report explains the agreement reached by the ministers "
        f"in considerable detail, with figures and quotes from officials.</p>" for i in range(6))
    page = (f"<html><head><title>Report</title></head><body><nav>Home | World</nav>"
            f"<article><h1>Report</h1>{paragraphs}</article>"
            f"<footer>Copyright</footer></body></html>").encode()
    page_url = feed_server.add("/article/1", body=page, content_type="text/html")
    url = feed_server.add("/rss", body=rss([item("a", "Report", "Teaser only.", page_url)]))
    run_once(tmp_path, [{"url": url, "full_text": True}])
    [row] = database(tmp_path).query("SELECT text FROM articles")
    assert "Paragraph 5 of the full report" in row["text"]
    assert "Copyright" not in row["text"] and "Teaser only" not in row["text"]
    # the next poll sees the same teaser: the page is not fetched again
    run_once(tmp_path, [{"url": url, "full_text": True}])
    assert feed_server.hits("/article/1") == 1


def test_full_text_failure_keeps_the_feed_text(tmp_path: Path, feed_server: FeedServer) -> None:
    missing = feed_server.url("/gone")
    url = feed_server.add("/rss", body=rss([item("a", "Report", "Teaser kept.", missing)]))
    [result] = run_once(tmp_path, [{"url": url, "full_text": True}])
    assert result.status == "ok"
    [row] = database(tmp_path).query("SELECT text FROM articles")
    assert row["text"] == "Teaser kept."


def test_language_prior_votes_and_declared_language(tmp_path: Path,
                                                    feed_server: FeedServer) -> None:
    english = [item(f"e{i}", f"Parliament approves the budget {i}",
                    "The lower house voted on Tuesday to approve the spending plan for next "
                    f"year after a long debate about taxes and pensions, number {i}.")
               for i in range(12)]
    url = feed_server.add("/rss", body=rss(english, lang=None))
    run_once(tmp_path, [{"url": url, "lang": "fr"}])  # the user says French; it is English
    db = database(tmp_path)
    [feed] = db.query("SELECT lang_agree, lang_disagree FROM feeds")
    assert feed == {"lang_agree": 0, "lang_disagree": 12}
    langs = {r["lang"] for r in db.query("SELECT lang, declared_lang FROM articles")}
    assert langs == {"en"}
    assert {r["declared_lang"] for r in db.query("SELECT declared_lang FROM articles")} == {"fr"}
    from monitor.store.db import now_iso
    from monitor.store.feeds import due_feeds

    [loaded] = due_feeds(db, datetime.fromisoformat(now_iso()), 900, include_all=True)
    assert loaded.lang_votes == (0, 12)
    from monitor.language import prior_still_trusted

    assert not prior_still_trusted(*loaded.lang_votes)


def test_item_language_beats_channel_language(tmp_path: Path, feed_server: FeedServer) -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title>Mixed</title><id>urn:x</id><updated>2026-02-10T10:00:00Z</updated>
  <entry xml:lang="de"><title>Regierung beschliesst Haushalt</title><id>urn:1</id>
    <updated>2026-02-10T10:00:00Z</updated><link href="https://example.org/de"/>
    <summary>Der Bundestag hat am Dienstag den Haushalt beschlossen.</summary></entry>
  <entry><title>Government passes budget</title><id>urn:2</id>
    <updated>2026-02-10T10:00:00Z</updated><link href="https://example.org/en"/>
    <summary>Parliament approved the budget on Tuesday.</summary></entry>
</feed>"""
    url = feed_server.add("/atom", body=atom, content_type="application/atom+xml")
    run_once(tmp_path, [{"url": url}])
    rows = {r["guid"]: r for r in database(tmp_path).query(
        "SELECT guid, lang, declared_lang FROM articles")}
    assert (rows["urn:1"]["declared_lang"], rows["urn:1"]["lang"]) == ("de", "de")
    assert (rows["urn:2"]["declared_lang"], rows["urn:2"]["lang"]) == ("en", "en")


RUSSIAN = [item(f"r{i}", f"Правительство утвердило бюджет на следующий год {i}",
                "Депутаты Государственной думы во вторник одобрили проект бюджета после "
                f"долгих споров о налогах и пенсиях, сообщили в пресс-службе {i}.")
           for i in range(3)]


def _undeclared(body: bytes) -> bytes:
    return body.replace(b' encoding="windows-1251"', b"")


def test_missing_and_wrong_charsets_over_http(tmp_path: Path, feed_server: FeedServer) -> None:
    legacy = _undeclared(rss(RUSSIAN, lang=None, encoding="windows-1251"))
    assert b"encoding" not in legacy and "Правительство".encode("cp1251") in legacy
    missing = feed_server.add("/missing", body=legacy, content_type="application/rss+xml")
    # the header says Latin-1, the bytes are UTF-8: the bytes win
    utf8 = rss(RUSSIAN, lang=None).replace(b"r0", b"u0").replace(b"r1", b"u1").replace(
        b"r2", b"u2").replace("бюджет".encode(), "бюджет (UTF-8)".encode())
    lying = feed_server.add("/lying", body=utf8,
                            content_type="application/rss+xml; charset=iso-8859-1")
    results = run_once(tmp_path, [{"url": missing}, {"url": lying}])
    assert all(r.status == "ok" for r in results), results
    rows = list(database(tmp_path).query("SELECT title, lang FROM articles ORDER BY guid"))
    assert len(rows) == 6
    for row in rows:
        assert row["title"].startswith("Правительство утвердило бюджет"), row["title"]
        assert row["lang"] == "ru"


def test_moved_config_feed_stays_one_row(tmp_path: Path, feed_server: FeedServer) -> None:
    new = feed_server.add("/new.xml", body=rss([item("a", "Moved", "The feed moved.")]))
    old = feed_server.add("/old.xml", status=301, location="/new.xml")
    run_once(tmp_path, [{"url": old}])
    run_once(tmp_path, [{"url": old}])  # the next start syncs the config again
    rows = list(database(tmp_path).query("SELECT url, origin_url, source FROM feeds"))
    assert rows == [{"url": new, "origin_url": old, "source": "config"}]


def test_huge_retry_after_is_still_a_429(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.add("/busy", status=429, headers={"Retry-After": "999999999999999"})
    [result] = run_once(tmp_path, [{"url": url}], schedule={"max_backoff": "1h",
                                                            "startup_spread": 0})
    assert result.error_code == "fetch.http_429"
    [row] = database(tmp_path).query("SELECT next_check_at, last_check_at FROM feeds")
    waited = (datetime.fromisoformat(row["next_check_at"])
              - datetime.fromisoformat(row["last_check_at"])).total_seconds()
    assert waited <= 3600 + 1


def test_hits_are_stored_once_per_article_and_rule(tmp_path: Path,
                                                   feed_server: FeedServer) -> None:
    text = ("Norway has pledged two frigates as part of the security guarantees for Ukraine, "
            "the defence minister said.")
    url = feed_server.add("/rss", body=rss([item("n1", "Norway pledges frigates", text)]))
    run_once(tmp_path, [{"url": url}])
    rows = list(database(tmp_path).query("SELECT * FROM hits"))
    assert len(rows) == 1
    hit = rows[0]
    assert hit["rule_id"] == "security-guarantees" and hit["lang"] == "en"
    assert json.loads(hit["captures"]) == {"country": ["NO"]}
    assert "Norway has pledged two frigates" in hit["snippet"]
    spans = json.loads(hit["spans"])
    assert {hit["snippet"][s:e] for _, s, e in spans} >= {"Norway", "pledged"}
    # an update of the same article: re-matched, but the rule's hit is not repeated
    feed_server.add("/rss", body=rss([item("n1", "Norway pledges frigates", text + " More.")]))
    [result] = run_once(tmp_path, [{"url": url}])
    assert result.updated == 1
    assert database(tmp_path)["hits"].count == 1
