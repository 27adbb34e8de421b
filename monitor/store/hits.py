"""Hit rows: one per article and rule. An updated article that a rule already hit keeps its
first hit (the rule engine re-matches it; the alert is not repeated)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import sqlite_utils

from monitor.models import Hit
from monitor.store.db import now_iso


def save_hits(db: sqlite_utils.Database, hits: Iterable[Hit],
              article_ids: Mapping[str, int]) -> list[Hit]:
    """Insert the hits of stored articles (``article_ids``: GUID -> id); call inside a
    transaction. Returns the hits that are new, with their article id."""
    created = now_iso()
    new = []
    for hit in hits:
        article_id = article_ids.get(hit.guid)
        if article_id is None:
            continue
        cursor = db.execute(
            "INSERT OR IGNORE INTO hits (article_id, rule_id, rule_version, lang, captures, "
            "snippet, spans, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [article_id, hit.rule_id, hit.rule_version, hit.lang,
             json.dumps({k: list(v) for k, v in hit.captures.items()}), hit.snippet,
             json.dumps([list(span) for span in hit.spans]), created],
        )
        if cursor.rowcount:
            new.append(replace(hit, article_id=article_id, id=cursor.lastrowid or 0))
    return new


def list_hits(db: sqlite_utils.Database, limit: int = 100) -> list[dict[str, Any]]:
    """Newest first, with the article's title, link and feed."""
    rows = db.query(
        "SELECT hits.*, articles.title, articles.url, articles.published_at, "
        "coalesce(feeds.title, feeds.url) AS feed FROM hits "
        "JOIN articles ON articles.id = hits.article_id "
        "JOIN feeds ON feeds.id = articles.feed_id "
        "ORDER BY hits.created_at DESC, hits.id DESC LIMIT ?", [limit])
    return [{**row, "captures": json.loads(row["captures"]), "spans": json.loads(row["spans"])}
            for row in rows]


def query_hits(db: sqlite_utils.Database, *, rule: str | None = None,
               since: str | None = None, until: str | None = None,
               countries: Sequence[str] = (), lang: str | None = None,
               feed: str | None = None, tag: str | None = None, story: int | None = None,
               hit: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Hits newest first, filtered; each with its article, feed, story and the story's
    number of sources. ``since``/``until`` are ISO times (hit creation); ``countries``:
    hits capturing any of these ISO codes; ``feed``: a feed URL or id."""
    where: list[str] = []
    params: list[Any] = []
    if rule:
        where.append("hits.rule_id = ?")
        params.append(rule)
    if since:
        where.append("hits.created_at >= ?")
        params.append(since)
    if until:
        where.append("hits.created_at < ?")
        params.append(until)
    if countries:
        where.append("EXISTS (SELECT 1 FROM json_each(hits.captures) AS c, json_each(c.value) "
                     f"AS v WHERE v.value IN ({','.join('?' * len(countries))}))")
        params += [code.upper() for code in countries]
    if lang:
        where.append("hits.lang = ?")
        params.append(lang)
    if feed:
        where.append("(feeds.url = ? OR CAST(feeds.id AS TEXT) = ?)")
        params += [feed, feed]
    if tag:
        where.append("EXISTS (SELECT 1 FROM json_each(feeds.tags) WHERE json_each.value = ?)")
        params.append(tag)
    if story is not None:
        where.append("articles.story_id = ?")
        params.append(story)
    if hit is not None:
        where.append("hits.id = ?")
        params.append(hit)
    clause = f"WHERE {' AND '.join(where)} " if where else ""
    rows = db.query(
        "SELECT hits.*, articles.title, articles.url, articles.published_at, "
        "articles.story_id, feeds.id AS feed_id, coalesce(feeds.title, feeds.url) AS feed, "
        "(SELECT count(DISTINCT feed_id) FROM story_sources WHERE story_sources.story_id = "
        "articles.story_id) AS sources FROM hits "
        "JOIN articles ON articles.id = hits.article_id JOIN feeds ON feeds.id = articles.feed_id "
        f"{clause}ORDER BY hits.created_at DESC, hits.id DESC LIMIT ?", [*params, limit])
    return [{**row, "captures": json.loads(row["captures"]), "spans": json.loads(row["spans"]),
             "sources": row["sources"] or 1} for row in rows]


def deliveries_of(db: sqlite_utils.Database, hit_id: int) -> list[dict[str, Any]]:
    """Where a hit's alerts went: per channel and URL, the delivery's status."""
    return list(db.query(
        "SELECT alerts.channel, alerts.due_at, messages.kind, deliveries.url_shown AS url, "
        "deliveries.status, deliveries.attempts, deliveries.sent_at, deliveries.last_error "
        "FROM alerts LEFT JOIN messages ON messages.id = alerts.message_id "
        "LEFT JOIN deliveries ON deliveries.message_id = messages.id "
        "WHERE alerts.hit_id = ? ORDER BY alerts.id, deliveries.id", [hit_id]))
