"""The store: schema, migrations, exact dedup on save, feed scheduling queries."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from monitor.errors import StoreError
from monitor.models import Article, FeedSpec, SaveStatus
from monitor.store.articles import known_hashes, save_articles
from monitor.store.db import open_database
from monitor.store.feeds import (
    add_feed,
    due_feeds,
    get_feed_row,
    sync_config_feeds,
)
from monitor.store.schema import SCHEMA_VERSION
from monitor.store.transaction import transaction

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)


def article(feed_id: int, guid: str, text: str = "Body", url: str | None = None,
            content: str | None = None) -> Article:
    return Article(
        feed_id=feed_id, guid=guid, url=url, canonical_url=url, title="Title " + guid,
        text=text, lang="en", lang_confidence=0.99, declared_lang="en", published_at=NOW,
        fetched_at=NOW, content_hash=content or f"c-{guid}-{text}", entry_hash=f"e-{guid}-{text}",
    )


def save(db: sqlite_utils.Database, *articles: Article) -> list[SaveStatus]:
    with transaction(db):
        return [s.status for s in save_articles(db, list(articles))]


def test_fresh_database_has_the_schema_and_wal(db: sqlite_utils.Database) -> None:
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"feeds", "articles"} <= set(db.table_names())
    columns = set(db["feeds"].columns_dict)
    assert {"url", "error_count", "last_error_code", "last_error", "next_check_at", "etag",
            "last_modified", "last_success_at", "interval", "tags", "lang"} <= columns
    assert {fk.other_table for fk in db["articles"].foreign_keys} == {"feeds", "stories"}


def test_reopening_is_idempotent(tmp_path: Path) -> None:
    first = open_database(tmp_path / "a.db")
    add_feed(first, FeedSpec("https://a.example/rss"), NOW)
    first.conn.close()
    again = open_database(tmp_path / "a.db")
    assert again["feeds"].count == 1


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this release"):
        open_database(path)


def test_same_guid_unchanged_then_updated(db: sqlite_utils.Database) -> None:
    feed = add_feed(db, FeedSpec("https://a.example/rss"), NOW)
    assert save(db, article(feed, "g1")) == [SaveStatus.NEW]
    assert save(db, article(feed, "g1")) == [SaveStatus.UNCHANGED]
    assert save(db, article(feed, "g1", text="Corrected body")) == [SaveStatus.UPDATED]
    row = next(db.query("SELECT text, version, updated_at FROM articles"))
    assert row["text"] == "Corrected body" and row["version"] == 2 and row["updated_at"]
    assert db["articles"].count == 1


def test_duplicates_across_feeds_are_stored_once(db: sqlite_utils.Database) -> None:
    a = add_feed(db, FeedSpec("https://a.example/rss"), NOW)
    b = add_feed(db, FeedSpec("https://b.example/rss"), NOW)
    save(db, article(a, "x", url="https://news.example/story", content="h1"))
    same_url = article(b, "y", url="https://news.example/story", content="h2")
    same_text = article(b, "z", url="https://other.example/", content="h1")
    assert save(db, same_url, same_text) == [SaveStatus.DUPLICATE, SaveStatus.DUPLICATE]
    assert db["articles"].count == 1


def test_known_hashes(db: sqlite_utils.Database) -> None:
    feed = add_feed(db, FeedSpec("https://a.example/rss"), NOW)
    save(db, article(feed, "g1"), article(feed, "g2"))
    assert known_hashes(db, feed, ["g1", "g3"]) == {"g1": "e-g1-Body"}


def test_due_feeds_and_paused(db: sqlite_utils.Database) -> None:
    add_feed(db, FeedSpec("https://due.example/rss"), NOW - timedelta(minutes=1))
    add_feed(db, FeedSpec("https://later.example/rss"), NOW + timedelta(hours=1))
    paused = add_feed(db, FeedSpec("https://paused.example/rss"), NOW)
    db.execute("UPDATE feeds SET paused = 1 WHERE id = ?", [paused])
    assert [f.url for f in due_feeds(db, NOW, 900)] == ["https://due.example/rss"]
    assert len(due_feeds(db, NOW, 900, include_all=True)) == 2


def test_duplicate_feed_is_refused(db: sqlite_utils.Database) -> None:
    add_feed(db, FeedSpec("https://a.example/rss"), NOW)
    with pytest.raises(StoreError, match="already exists"):
        add_feed(db, FeedSpec("https://a.example/rss"), NOW)


def test_config_sync_adds_then_takes_config_settings(db: sqlite_utils.Database) -> None:
    spec = FeedSpec("https://a.example/rss", title="A", tags=("x",), interval=600, source="config")
    assert sync_config_feeds(db, [spec], [NOW]) == (1, 0)
    assert sync_config_feeds(db, [spec], [NOW]) == (0, 0)
    changed = FeedSpec("https://a.example/rss", title="A2", tags=("y",), lang="fr",
                       source="config")
    assert sync_config_feeds(db, [changed], [NOW]) == (0, 1)
    row = get_feed_row(db, "https://a.example/rss")
    assert row is not None
    assert (row["title"], row["tags"], row["lang"], row["interval"]) == ("A2", '["y"]', "fr",
                                                                         None)


def test_transaction_rolls_back_on_error(db: sqlite_utils.Database) -> None:
    with pytest.raises(RuntimeError), transaction(db):
        add_feed(db, FeedSpec("https://a.example/rss"), NOW)
        raise RuntimeError("boom")
    assert db["feeds"].count == 0
