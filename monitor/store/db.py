"""Opening the database: WAL, a busy timeout, foreign keys, migrations."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from monitor.errors import StoreError
from monitor.store.schema import migrate

BUSY_TIMEOUT_MS = 5000
CACHE_KIB = 8192  # page cache per connection (SQLite's default is 2 MB)


def now_iso() -> str:
    return to_iso(datetime.now(UTC))


def to_iso(moment: datetime) -> str:
    """UTC ISO 8601 with seconds: the one timestamp format in the database."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def open_database(path: Path | str, *, readonly: bool = False) -> sqlite_utils.Database:
    """A migrated sqlite-utils Database on ``path`` (created with its folder if missing)."""
    path = Path(path)
    try:
        if readonly:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        if not readonly:
            # a new file frees deleted pages a few at a time (`db prune`), no VACUUM needed;
            # on an existing one this takes effect only after a VACUUM (`db prune --vacuum`)
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            migrate(conn)
    except sqlite3.Error as exc:
        raise StoreError(
            f"store: {path}: cannot open database ({exc}); check the path and its permissions "
            "(setting 'database' or --db)",
            "store.open",
        ) from None
    return sqlite_utils.Database(conn)
