"""Feed health: what the health check needs of each feed, and its state (``feeds.health``:
ok, failing or silent, since ``feeds.health_since``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlite_utils

from monitor.store.db import to_iso

RECENT = 20  # articles whose gaps give a feed's usual cadence


def feeds_for_health(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every unpaused feed with its state, its failure record and its last articles' times
    (newest first, at most RECENT)."""
    rows = [dict(row) for row in db.query(
        "SELECT id, url, coalesce(title, url) AS name, error_count, last_error_code, "
        "last_error, last_success_at, failing_since, created_at, health, health_since FROM feeds "
        "WHERE paused = 0 ORDER BY id")]
    for row in rows:
        row["published"] = [r["published_at"] for r in db.query(
            "SELECT published_at FROM articles WHERE feed_id = ? ORDER BY published_at DESC "
            "LIMIT ?", [row["id"], RECENT])]
    return rows


def set_health(db: sqlite_utils.Database, feed_id: int, state: str, since: datetime) -> None:
    db.execute("UPDATE feeds SET health = ?, health_since = ? WHERE id = ?",
               [state, to_iso(since), feed_id])
