"""Counts for ``newsmon stats``: what was stored and found since a point in time."""

from __future__ import annotations

from typing import Any

import sqlite_utils


def stats(db: sqlite_utils.Database, since: str | None = None) -> dict[str, Any]:
    """Totals, hits per rule, language, country and day, and feed health, since ``since``
    (ISO; None: everything)."""
    after = since or ""

    def rows(sql: str, *params: str) -> list[dict[str, Any]]:
        return list(db.query(sql, params))

    def one(sql: str, *params: str) -> int:
        return int(db.execute(sql, params).fetchone()[0])

    return {
        "since": since,
        "totals": {
            "articles": one("SELECT count(*) FROM articles WHERE fetched_at >= ?", after),
            "stories": one("SELECT count(*) FROM stories WHERE last_seen >= ?", after),
            "stories_with_several_sources": one(
                "SELECT count(*) FROM stories WHERE last_seen >= ? AND (SELECT count(DISTINCT "
                "feed_id) FROM story_sources WHERE story_id = stories.id) > 1", after),
            "hits": one("SELECT count(*) FROM hits WHERE created_at >= ?", after),
            "alerts_sent": one("SELECT count(*) FROM deliveries WHERE status = 'sent' AND "
                               "sent_at >= ?", after),
            "alerts_pending": one("SELECT count(*) FROM deliveries WHERE status = 'pending'"),
        },
        "hits_per_rule": rows("SELECT rule_id, count(*) AS hits FROM hits WHERE created_at >= ? "
                              "GROUP BY rule_id ORDER BY hits DESC", after),
        "hits_per_language": rows("SELECT lang, count(*) AS hits FROM hits WHERE "
                                  "created_at >= ? GROUP BY lang ORDER BY hits DESC", after),
        "hits_per_country": rows(
            "SELECT v.value AS country, count(*) AS hits FROM hits, json_each(hits.captures) "
            "AS c, json_each(c.value) AS v WHERE hits.created_at >= ? GROUP BY v.value "
            "ORDER BY hits DESC", after),
        "hits_per_day": rows("SELECT substr(created_at, 1, 10) AS day, count(*) AS hits FROM "
                             "hits WHERE created_at >= ? GROUP BY day ORDER BY day", after),
        "articles_per_language": rows(
            "SELECT lang, count(*) AS articles FROM articles WHERE fetched_at >= ? "
            "GROUP BY lang ORDER BY articles DESC", after),
        "feeds": rows("SELECT health, count(*) AS feeds, sum(error_count > 0) AS failing_now, "
                      "sum(paused) AS paused FROM feeds GROUP BY health ORDER BY health"),
    }
