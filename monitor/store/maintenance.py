"""Keeping the database for months: retention (article text pruned, hits kept), space
given back, online backups."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import sqlite_utils

from monitor.errors import StoreError
from monitor.store import stories
from monitor.store.db import to_iso
from monitor.store.transaction import transaction

FREE_PAGES = 10_000  # pages handed back per incremental vacuum step


def prune(db: sqlite_utils.Database, before: datetime, *, vacuum: bool = False) -> int:
    """Empty the text of articles published before ``before`` (their rows, titles, links,
    hits and snippets stay: `newsmon hits` still shows them) and drop the near-duplicate
    signatures made before ``before``. Returns the articles pruned. Freed pages go back to
    the file a few at a time when the database is in incremental auto-vacuum; ``vacuum``
    rewrites the whole file (long, and it needs as much free disk as the file)."""
    with transaction(db):
        cursor = db.execute("UPDATE articles SET text = '' WHERE published_at < ? AND "
                            "text != ''", [to_iso(before)])
        stories.prune(db, before)
    if vacuum:
        db.execute("PRAGMA auto_vacuum = INCREMENTAL")
        db.execute("VACUUM")
    else:
        db.execute(f"PRAGMA incremental_vacuum({FREE_PAGES})")
    return int(cursor.rowcount)


def backup(db: sqlite_utils.Database, target: Path) -> None:
    """A consistent copy of the database into ``target`` (SQLite's online backup: the daemon
    may keep writing meanwhile)."""
    if target.exists():
        raise StoreError(f"store: {target} exists; give a new file name", "store.backup_exists")
    try:
        destination = sqlite3.connect(str(target))
        with destination:
            db.conn.backup(destination)
        destination.close()
    except sqlite3.Error as exc:
        raise StoreError(f"store: cannot back up to {target}: {exc}", "store.backup") from None
