"""Feed rows: adding, editing, listing, scheduling and recording each poll's outcome."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlite_utils

from monitor.errors import StoreError
from monitor.models import Feed, FeedSpec
from monitor.store.db import now_iso, to_iso
from monitor.store.transaction import transaction, update_row

EDITABLE = ("url", "title", "tags", "lang", "interval", "full_text", "paused", "source")


def feed_from_row(row: Mapping[str, Any], default_interval: int) -> Feed:
    return Feed(
        id=row["id"],
        url=row["url"],
        title=row["title"],
        tags=tuple(json.loads(row["tags"] or "[]")),
        lang=row["lang"],
        interval=row["interval"] or default_interval,
        cache_ttl=row["cache_ttl"],
        full_text=bool(row["full_text"]),
        etag=row["etag"],
        last_modified=row["last_modified"],
        body_hash=row["body_hash"],
        error_count=row["error_count"],
        paused=bool(row["paused"]),
        lang_votes=(row["lang_agree"], row["lang_disagree"]),
    )


def _feed_exists(url: str) -> StoreError:
    return StoreError(f"store: feed {url} already exists (see `newsmon feeds list`)",
                      "store.feed_exists")


def add_feed(db: sqlite_utils.Database, spec: FeedSpec, first_check_at: datetime) -> int:
    """Insert a feed; StoreError ``store.feed_exists`` when the URL is already there."""
    stamp = now_iso()
    try:
        with transaction(db):
            cursor = db.execute(
                "INSERT INTO feeds (url, origin_url, title, tags, lang, interval, full_text, "
                "source, next_check_at, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [spec.url, spec.url, spec.title, json.dumps(list(spec.tags)), spec.lang,
                 spec.interval, int(spec.full_text), spec.source, to_iso(first_check_at),
                 stamp, stamp],
            )
    except sqlite3.IntegrityError:
        raise _feed_exists(spec.url) from None
    return int(cursor.lastrowid or 0)


def update_feed(db: sqlite_utils.Database, feed_id: int, changes: Mapping[str, Any]) -> None:
    """Set user-editable columns (``EDITABLE``) of one feed."""
    bad = set(changes) - set(EDITABLE)
    if bad:
        raise StoreError(f"store: cannot edit feed column(s) {sorted(bad)}", "store.bad_column")
    if not changes:
        return
    values = {k: (json.dumps(list(v)) if k == "tags" else v) for k, v in changes.items()}
    values["updated_at"] = now_iso()
    try:
        with transaction(db):
            if "url" in changes:  # validators and body hash belong to the old URL
                db.execute("UPDATE feeds SET etag = NULL, last_modified = NULL, body_hash = NULL "
                           "WHERE id = ? AND url IS NOT ?", [feed_id, changes["url"]])
            if "lang" in changes:  # a new declared language gets a fresh count of agreements
                db.execute("UPDATE feeds SET lang_agree = 0, lang_disagree = 0 "
                           "WHERE id = ? AND lang IS NOT ?", [feed_id, changes["lang"]])
            update_row(db, "feeds", feed_id, values)
    except sqlite3.IntegrityError:
        raise _feed_exists(str(changes.get("url"))) from None


def remove_feed(db: sqlite_utils.Database, feed_id: int) -> None:
    """Delete a feed; its articles go with it (ON DELETE CASCADE)."""
    with transaction(db):
        db.execute("DELETE FROM feeds WHERE id = ?", [feed_id])


def get_feed_row(db: sqlite_utils.Database, key: str | int) -> dict[str, Any] | None:
    """A feed row by id, by URL, or by the URL it was added with (before a 301 moved it)."""
    if isinstance(key, int) or str(key).isdigit():
        rows = list(db.query("SELECT * FROM feeds WHERE id = ?", [key]))
    else:
        rows = list(db.query("SELECT * FROM feeds WHERE url = ? OR origin_url = ? "
                             "ORDER BY url = ? DESC LIMIT 1", [key, key, key]))
    return rows[0] if rows else None


def list_feed_rows(db: sqlite_utils.Database, tag: str | None = None) -> list[dict[str, Any]]:
    """Every feed with its health and the number of articles stored."""
    rows = list(db.query(
        "SELECT feeds.*, (SELECT count(*) FROM articles WHERE feed_id = feeds.id) AS items "
        "FROM feeds ORDER BY id"
    ))
    if tag:
        rows = [r for r in rows if tag in json.loads(r["tags"] or "[]")]
    return rows


def due_feeds(db: sqlite_utils.Database, now: datetime, default_interval: int,
              include_all: bool = False) -> list[Feed]:
    """Unpaused feeds whose ``next_check_at`` has come (every unpaused feed with include_all)."""
    sql = "SELECT * FROM feeds WHERE paused = 0"
    params: list[Any] = []
    if not include_all:
        sql += " AND (next_check_at IS NULL OR next_check_at <= ?)"
        params.append(to_iso(now))
    sql += " ORDER BY next_check_at"
    return [feed_from_row(r, default_interval) for r in db.query(sql, params)]


def record_success(db: sqlite_utils.Database, feed_id: int, values: Mapping[str, Any]) -> None:
    """A poll went through: clear the error state, store validators and the next check."""
    row = {**values, "error_count": 0, "last_error_code": None, "last_error": None,
           "failing_since": None}
    update_row(db, "feeds", feed_id, row)


def record_failure(db: sqlite_utils.Database, feed_id: int, code: str, message: str,
                   checked_at: datetime, next_check_at: datetime) -> None:
    db.execute(
        "UPDATE feeds SET error_count = error_count + 1, last_error_code = ?, last_error = ?, "
        "last_check_at = ?, next_check_at = ?, failing_since = coalesce(failing_since, ?) "
        "WHERE id = ?",
        [code, message, to_iso(checked_at), to_iso(next_check_at), to_iso(checked_at), feed_id],
    )


def spread_overdue(db: sqlite_utils.Database, due: Mapping[int, datetime]) -> None:
    """Give overdue feeds new first checks (after downtime, so they do not all fire at once)."""
    db.conn.executemany("UPDATE feeds SET next_check_at = ? WHERE id = ?",
                   [(to_iso(when), feed_id) for feed_id, when in due.items()])


def overdue_feeds(db: sqlite_utils.Database, now: datetime) -> list[tuple[int, str]]:
    """(id, url) of unpaused feeds whose check is already due."""
    return [(r[0], r[1]) for r in db.execute(
        "SELECT id, url FROM feeds WHERE paused = 0 AND (next_check_at IS NULL "
        "OR next_check_at <= ?)", [to_iso(now)]).fetchall()]


def move_feed(db: sqlite_utils.Database, feed_id: int, new_url: str) -> bool:
    """Follow a permanent redirect; False when another feed already has ``new_url``."""
    other = db.execute("SELECT id FROM feeds WHERE url = ?", [new_url]).fetchone()
    if other is not None:
        return False
    db.execute("UPDATE feeds SET url = ?, updated_at = ? WHERE id = ?",
               [new_url, now_iso(), feed_id])
    return True


def count_language_votes(db: sqlite_utils.Database, feed_id: int, agree: int,
                         disagree: int) -> None:
    if agree or disagree:
        db.execute(
            "UPDATE feeds SET lang_agree = lang_agree + ?, lang_disagree = lang_disagree + ? "
            "WHERE id = ?", [agree, disagree, feed_id],
        )


def sync_config_feeds(db: sqlite_utils.Database, specs: Sequence[FeedSpec],
                      first_checks: Iterable[datetime]) -> tuple[int, int]:
    """Add config feeds that are missing, take config settings for those present.

    Returns (added, updated)."""
    added = updated = 0
    for spec, first in zip(specs, first_checks, strict=True):
        row = get_feed_row(db, spec.url)
        if row is None:
            add_feed(db, spec, first)
            added += 1
            continue
        changes = {
            "title": spec.title or row["title"], "tags": spec.tags, "lang": spec.lang,
            "interval": spec.interval, "full_text": int(spec.full_text), "source": "config",
        }
        current = {k: row[k] for k in changes}
        current["tags"] = tuple(json.loads(row["tags"] or "[]"))
        if current != changes:
            update_feed(db, row["id"], changes)
            updated += 1
    return added, updated
