"""One short write transaction at a time (``BEGIN IMMEDIATE`` takes the write lock up front,
so a concurrent writer waits on the busy timeout instead of failing mid-way)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlite_utils


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    conn = db.conn
    if conn.in_transaction:  # nested: the outer one commits
        yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        from monitor.store.stories import forget

        forget(db)  # its in-memory index may have read rows that are now undone
        if conn.in_transaction:  # SQLite may have rolled back already (disk full, I/O)
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def update_row(db: sqlite_utils.Database, table: str, row_id: int,
               values: dict[str, object]) -> None:
    """UPDATE one row by id in plain SQL (sqlite-utils' own ``update`` commits on its own,
    which would end an enclosing transaction early)."""
    if not values:
        return
    assignments = ", ".join(f"[{column}] = ?" for column in values)
    db.execute(f"UPDATE [{table}] SET {assignments} WHERE id = ?", [*values.values(), row_id])
