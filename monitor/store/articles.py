"""Article rows, with the exact-dedup lookups done inside the write transaction.

An entry is stored once: the same GUID in the same feed is the same article (a changed
text updates the row and bumps ``version``); the same canonical URL or content hash seen
anywhere else is a duplicate and is not stored again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

from monitor.models import Article, SavedArticle, SaveStatus
from monitor.store.db import now_iso, to_iso
from monitor.store.transaction import update_row


def known_hashes(db: sqlite_utils.Database, feed_id: int,
                 guids: Iterable[str]) -> dict[str, str]:
    """``{guid: entry_hash}`` of this feed's entries already stored."""
    guid_list = list(guids)
    found: dict[str, str] = {}
    for start in range(0, len(guid_list), 500):
        chunk = guid_list[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for guid, entry_hash in db.execute(
            f"SELECT guid, entry_hash FROM articles WHERE feed_id = ? AND guid IN ({marks})",
            [feed_id, *chunk],
        ).fetchall():
            found[guid] = entry_hash
    return found


def _row(article: Article) -> dict[str, Any]:
    return {
        "feed_id": article.feed_id,
        "guid": article.guid,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "title": article.title,
        "text": article.text,
        "lang": article.lang,
        "lang_confidence": round(article.lang_confidence, 4),
        "declared_lang": article.declared_lang,
        "published_at": to_iso(article.published_at),
        "fetched_at": to_iso(article.fetched_at),
        "content_hash": article.content_hash,
        "entry_hash": article.entry_hash,
    }


def _duplicate_of(db: sqlite_utils.Database, article: Article) -> int | None:
    if article.canonical_url:
        row = db.execute(
            "SELECT id FROM articles WHERE canonical_url = ? LIMIT 1", [article.canonical_url]
        ).fetchone()
        if row:
            return int(row[0])
    row = db.execute(
        "SELECT id FROM articles WHERE content_hash = ? LIMIT 1", [article.content_hash]
    ).fetchone()
    return int(row[0]) if row else None


def save_article(db: sqlite_utils.Database, article: Article) -> SavedArticle:
    """Insert, update or skip one article; call inside a transaction."""
    existing = db.execute(
        "SELECT id, entry_hash FROM articles WHERE feed_id = ? AND guid = ?",
        [article.feed_id, article.guid],
    ).fetchone()
    if existing is not None:
        article_id, old_hash = int(existing[0]), existing[1]
        if old_hash == article.entry_hash:
            return SavedArticle(article_id, SaveStatus.UNCHANGED, article)
        values = _row(article)
        del values["fetched_at"]
        values["updated_at"] = now_iso()
        update_row(db, "articles", article_id, values)
        db.execute("UPDATE articles SET version = version + 1 WHERE id = ?", [article_id])
        return SavedArticle(article_id, SaveStatus.UPDATED, article)
    duplicate = _duplicate_of(db, article)
    if duplicate is not None:
        return SavedArticle(duplicate, SaveStatus.DUPLICATE, article)
    values = _row(article)
    columns = ", ".join(values)
    marks = ", ".join("?" * len(values))
    cursor = db.execute(f"INSERT INTO articles ({columns}) VALUES ({marks})", list(values.values()))
    return SavedArticle(int(cursor.lastrowid or 0), SaveStatus.NEW, article)


def save_articles(db: sqlite_utils.Database, articles: Sequence[Article]) -> list[SavedArticle]:
    return [save_article(db, article) for article in articles]


def list_articles(db: sqlite_utils.Database, limit: int = 50,
                  feed_id: int | None = None) -> list[dict[str, Any]]:
    """Newest first, with the feed's URL and title."""
    sql = (
        "SELECT articles.id, articles.title, articles.url, articles.lang, "
        "articles.lang_confidence, articles.declared_lang, articles.published_at, "
        "articles.fetched_at, articles.version, feeds.id AS feed_id, feeds.url AS feed_url, "
        "coalesce(feeds.title, feeds.url) AS feed "
        "FROM articles JOIN feeds ON feeds.id = articles.feed_id"
    )
    params: list[Any] = []
    if feed_id is not None:
        sql += " WHERE articles.feed_id = ?"
        params.append(feed_id)
    sql += " ORDER BY articles.published_at DESC, articles.id DESC LIMIT ?"
    params.append(limit)
    return list(db.query(sql, params))


def get_article(db: sqlite_utils.Database, article_id: int) -> dict[str, Any] | None:
    """One article row by id, or None."""
    rows = list(db.query("SELECT * FROM articles WHERE id = ?", [article_id]))
    return rows[0] if rows else None


def articles_since(db: sqlite_utils.Database, since: str | None) -> list[dict[str, Any]]:
    """Every stored article published at or after ``since`` (ISO UTC), oldest first."""
    sql = "SELECT id, title, text, lang, published_at FROM articles"
    params: list[Any] = []
    if since:
        sql += " WHERE published_at >= ?"
        params.append(since)
    return list(db.query(sql + " ORDER BY published_at, id", params))
