"""The alert outbox: alerts, the messages they go out in, and one delivery per message and
URL. All of it is written in SQLite transactions, so nothing is lost between a hit and its
last delivery:

    hits ──< alerts >── messages ──< deliveries
             (one per hit    (one per alert, or   (one per URL of the channel:
              and channel)    per digest)          pending until sent, then sent)

- An alert is queued in the transaction that stores its hit (:func:`queue_alerts`), due at
  once or at the end of its digest period.
- The sender groups due alerts into messages and creates their deliveries in one
  transaction (:func:`create_message`), claims each due delivery just before sending it
  (:func:`claim`: two passes or processes never send the same one), sends it and marks it
  sent or failed (attempts, error text, next attempt). A delivery marked sent is never sent
  again; one that was sent but not yet marked when the process died is sent again once its
  claim runs out (at least once).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from monitor.store.db import to_iso
from monitor.store.stories import story_sources

PENDING, SENT = "pending", "sent"


@dataclass(frozen=True)
class AlertPlan:
    """One alert to queue: a hit for a channel, due at ``due_at``."""

    hit_id: int
    rule_id: str
    channel: str
    due_at: datetime
    digest: bool = False


def queue_alerts(db: sqlite_utils.Database, plans: Iterable[AlertPlan], now: datetime) -> int:
    """Insert the alerts (inside the caller's transaction); returns how many are new."""
    created = to_iso(now)
    count = 0
    for plan in plans:
        cursor = db.execute(
            "INSERT OR IGNORE INTO alerts (hit_id, rule_id, channel, digest, due_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [plan.hit_id, plan.rule_id, plan.channel, int(plan.digest), to_iso(plan.due_at),
             created])
        count += cursor.rowcount
    return count


def due_alerts(db: sqlite_utils.Database, now: datetime) -> list[dict[str, Any]]:
    """Alerts in no message yet whose time has come, oldest first."""
    return list(db.query(
        "SELECT * FROM alerts WHERE message_id IS NULL AND due_at <= ? ORDER BY due_at, id",
        [to_iso(now)]))


def messages_since(db: sqlite_utils.Database, rule_id: str, channel: str,
                   since: datetime) -> int:
    """Alert messages of a rule to a channel created since ``since`` (for throttling)."""
    row = db.execute(
        "SELECT count(*) FROM messages WHERE rule_id = ? AND channel = ? AND kind = 'alert' "
        "AND created_at >= ?", [rule_id, channel, to_iso(since)]).fetchone()
    return int(row[0])


def defer_alerts(db: sqlite_utils.Database, alert_ids: Sequence[int], due_at: datetime,
                 digest: int) -> None:
    """Move alerts into the digest due at ``due_at`` (a throttled rule's overflow), marked
    with ``digest`` (the sender's FOLDED)."""
    db.conn.executemany("UPDATE alerts SET digest = ?, due_at = ? WHERE id = ?",
                        [(digest, to_iso(due_at), alert_id) for alert_id in alert_ids])


def create_message(db: sqlite_utils.Database, channel: str, kind: str, rule_id: str | None,
                   payload: dict[str, Any], alert_ids: Sequence[int],
                   urls: Sequence[tuple[str, str]], now: datetime) -> int:
    """A message with its alerts and one pending delivery per (url_key, url_shown)."""
    created = to_iso(now)
    cursor = db.execute(
        "INSERT INTO messages (channel, kind, rule_id, payload, created_at) "
        "VALUES (?, ?, ?, ?, ?)", [channel, kind, rule_id, json.dumps(payload), created])
    message_id = int(cursor.lastrowid or 0)
    db.conn.executemany("UPDATE alerts SET message_id = ? WHERE id = ?",
                        [(message_id, alert_id) for alert_id in alert_ids])
    db.conn.executemany(
        "INSERT OR IGNORE INTO deliveries (message_id, url_key, url_shown, next_attempt_at) "
        "VALUES (?, ?, ?, ?)", [(message_id, key, shown, created) for key, shown in urls])
    return message_id


def due_deliveries(db: sqlite_utils.Database, now: datetime,
                   limit: int = 100) -> list[dict[str, Any]]:
    """Pending, unclaimed deliveries whose next attempt has come, with their message's
    channel, oldest first."""
    return list(db.query(
        "SELECT deliveries.*, messages.channel, messages.kind FROM deliveries "
        "JOIN messages ON messages.id = deliveries.message_id "
        "WHERE deliveries.status = 'pending' AND deliveries.next_attempt_at <= ? "
        "AND (deliveries.claimed_until IS NULL OR deliveries.claimed_until <= ?) "
        "ORDER BY deliveries.next_attempt_at, deliveries.id LIMIT ?",
        [to_iso(now), to_iso(now), limit]))


def claim(db: sqlite_utils.Database, delivery_id: int, now: datetime,
          until: datetime) -> bool:
    """Take a due delivery for sending until ``until``, unless another pass or process has
    it: only the claimer sends it; if the claimer dies it is due again at ``until``."""
    cursor = db.execute(
        "UPDATE deliveries SET claimed_until = ? WHERE id = ? AND status = 'pending' "
        "AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)",
        [to_iso(until), delivery_id, to_iso(now), to_iso(now)])
    return bool(cursor.rowcount)


def next_attempt(db: sqlite_utils.Database, now: datetime) -> str | None:
    """When the next pending delivery, or the next alert waiting for its time (a digest),
    is due (ISO); None when nothing is. Alerts already due but in no message are left out:
    a pass has just tried them and their channel cannot be used."""
    row = db.execute(
        "SELECT min(t) FROM (SELECT min(max(next_attempt_at, coalesce(claimed_until, ''))) AS t "
        "FROM deliveries WHERE status = 'pending' UNION ALL SELECT min(due_at) FROM alerts "
        "WHERE message_id IS NULL AND due_at > ?)", [to_iso(now)]).fetchone()
    return str(row[0]) if row and row[0] else None


def mark_sent(db: sqlite_utils.Database, delivery_id: int, now: datetime) -> None:
    db.execute("UPDATE deliveries SET status = 'sent', attempts = attempts + 1, sent_at = ?, "
               "last_attempt_at = ?, last_error = NULL, claimed_until = NULL WHERE id = ?",
               [to_iso(now), to_iso(now), delivery_id])


def mark_failed(db: sqlite_utils.Database, delivery_id: int, error: str, now: datetime,
                next_at: datetime) -> None:
    db.execute("UPDATE deliveries SET attempts = attempts + 1, last_error = ?, "
               "last_attempt_at = ?, next_attempt_at = ?, claimed_until = NULL "
               "WHERE id = ? AND status = 'pending'",
               [error, to_iso(now), to_iso(next_at), delivery_id])


def retry_now(db: sqlite_utils.Database, delivery_id: int, now: datetime) -> bool:
    """Make a pending delivery due now; False when there is no such pending delivery."""
    cursor = db.execute("UPDATE deliveries SET next_attempt_at = ? WHERE id = ? AND "
                        "status = 'pending'", [to_iso(now), delivery_id])
    return bool(cursor.rowcount)


def message(db: sqlite_utils.Database, message_id: int) -> dict[str, Any]:
    """A message with its payload and its alerts' hits, articles, feeds and the feeds that
    carry each hit's story so far (oldest first)."""
    row = dict(next(db.query("SELECT * FROM messages WHERE id = ?", [message_id])))
    row["payload"] = json.loads(row["payload"])
    row["hits"] = [
        {**hit, "captures": json.loads(hit["captures"]), "spans": json.loads(hit["spans"]),
         "sources": [source["feed"] for source in story_sources(db, hit["story_id"])]
         if hit["story_id"] is not None else []}
        for hit in db.query(
            "SELECT hits.id, hits.rule_id, hits.lang, hits.captures, hits.snippet, hits.spans, "
            "hits.created_at, articles.title, articles.url, articles.published_at, "
            "articles.story_id, coalesce(feeds.title, feeds.url) AS feed FROM alerts "
            "JOIN hits ON hits.id = alerts.hit_id "
            "JOIN articles ON articles.id = hits.article_id "
            "JOIN feeds ON feeds.id = articles.feed_id "
            "WHERE alerts.message_id = ? ORDER BY hits.id", [message_id])]
    return row


def list_deliveries(db: sqlite_utils.Database, status: str | None = None,
                    failed: bool = False, limit: int = 100) -> list[dict[str, Any]]:
    """Deliveries newest first; ``status`` pending or sent; ``failed``: pending ones that
    failed at least once."""
    where, params = [], []
    if status:
        where.append("deliveries.status = ?")
        params.append(status)
    if failed:
        where.append("deliveries.status = 'pending' AND deliveries.last_error IS NOT NULL")
    clause = f"WHERE {' AND '.join(where)} " if where else ""
    return list(db.query(
        "SELECT deliveries.id, messages.channel, messages.kind, messages.rule_id, "
        "deliveries.url_shown AS url, deliveries.status, deliveries.attempts, "
        "deliveries.next_attempt_at, deliveries.last_error, deliveries.sent_at, "
        "messages.created_at, (SELECT count(*) FROM alerts WHERE alerts.message_id = "
        "messages.id) AS hits FROM deliveries JOIN messages ON messages.id = "
        f"deliveries.message_id {clause}ORDER BY deliveries.id DESC LIMIT ?",
        [*params, limit]))


def pending_count(db: sqlite_utils.Database) -> int:
    """Deliveries not yet sent."""
    return int(db.execute("SELECT count(*) FROM deliveries WHERE status = 'pending'"
                          ).fetchone()[0])
