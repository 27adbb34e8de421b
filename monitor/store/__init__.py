"""The store: every SQL statement of the project lives in this package.

``Store`` is the asynchronous face the pipeline uses: one writer thread owns the
connection, so fetches never wait on a write and writes never interleave.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ParamSpec, TypeVar

import sqlite_utils

from monitor.errors import StoreError
from monitor.store.db import open_database

P = ParamSpec("P")
T = TypeVar("T")


class Store:
    """A database owned by one worker thread; ``await store.run(fn, *args)`` calls
    ``fn(db, *args)`` there."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")
        self._db: sqlite_utils.Database | None = None
        self._closed = False

    def _open(self) -> sqlite_utils.Database:
        if self._db is None:
            self._db = open_database(self.path)
        return self._db

    def _call(self, fn: Callable[..., T], *args: object) -> T:
        try:
            return fn(self._open(), *args)
        except sqlite3.OperationalError as exc:
            locked = "locked" in str(exc) or "busy" in str(exc)
            raise StoreError(
                f"store: {self.path}: {exc}" + (
                    " (another process held the write lock longer than the busy timeout)"
                    if locked else ""),
                "store.locked" if locked else "store.io") from exc

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, fn, *args)

    def close(self) -> None:
        """Idempotent: finish queued writes, close the connection."""
        if self._closed:
            return
        self._closed = True

        def _close() -> None:
            if self._db is not None:
                self._db.conn.close()
                self._db = None

        self._executor.submit(_close).result()
        self._executor.shutdown(wait=True)
