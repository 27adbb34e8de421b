"""Hit rows: one per article and rule. An updated article that a rule already hit keeps its
first hit (the rule engine re-matches it; the alert is not repeated)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
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
