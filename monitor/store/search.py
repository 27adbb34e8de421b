"""Full-text search over stored articles (SQLite FTS5, kept in sync with the articles table
by triggers: schema version 5). Words are matched case- and accent-insensitively
(unicode61); Chinese and Japanese text, written without spaces, is only found by whole runs."""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlite_utils

from monitor.errors import StoreError


def search(db: sqlite_utils.Database, query: str, *, lang: str | None = None,
           since: str | None = None, limit: int = 20,
           raw: bool = False) -> list[dict[str, Any]]:
    """Articles matching ``query``, best first, with a snippet (matches in [brackets]).
    Each word must occur; ``raw`` passes FTS5 syntax (OR, NEAR, "phrases", prefix*)."""
    terms = query if raw else db.quote_fts(query)
    where, params = ["articles_fts MATCH ?"], [terms]
    if lang:
        where.append("articles.lang = ?")
        params.append(lang)
    if since:
        where.append("articles.published_at >= ?")
        params.append(since)
    try:
        return list(db.query(
            "SELECT articles.id, articles.title, articles.url, articles.lang, "
            "articles.published_at, articles.story_id, coalesce(feeds.title, feeds.url) AS feed, "
            "snippet(articles_fts, -1, '[', ']', '…', 16) AS snippet, "
            "round(bm25(articles_fts), 3) AS rank FROM articles_fts "
            "JOIN articles ON articles.id = articles_fts.rowid "
            "JOIN feeds ON feeds.id = articles.feed_id "
            f"WHERE {' AND '.join(where)} ORDER BY bm25(articles_fts) LIMIT ?",
            [*params, limit]))
    except sqlite3.OperationalError as exc:
        raise StoreError(f"search: cannot read the query {query!r}: {exc} (without --raw, "
                         "words are searched as they are)", "store.bad_query") from None
