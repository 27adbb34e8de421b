"""The LSH band index in memory: which articles have a given band key.

Each entry is one 64-bit integer, the band key in its upper half and the article id in its
lower half, kept sorted in 256 buckets (by the key's top byte) so that a lookup is a binary
search and merging new entries copies one bucket at a time, never the whole index. New
entries wait in a small dictionary until there are PENDING of them, then go into their
buckets. 1 M articles of 20 keys take 160 MB.

Entries are never removed one by one: an article that left the window or changed its text
may still be offered as a candidate, and its signature (read from the database) then turns
it down. The owner rebuilds the index after pruning. ``buckets()`` and ``from_buckets()``
save and restore it whole (monitor/store/stories.py keeps a copy in the database).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np
from numpy.typing import NDArray

BUCKETS = 256
PENDING = 50_000  # entries held in the dictionary before they join their buckets
_LOW = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)
_TOPS = np.arange(BUCKETS, dtype=np.uint64) << np.uint64(56)  # first entry of each bucket


class BandIndex:
    """Band key -> article ids, for the articles added (ids and keys below 2**32)."""

    def __init__(self) -> None:
        empty = np.zeros(0, dtype=np.uint64)
        self._buckets: list[NDArray[np.uint64]] = [empty] * BUCKETS
        # key -> id, or the list of ids when several articles share it (most keys are new)
        self._pending: dict[int, int | list[int]] = {}
        self._pending_count = 0

    def __len__(self) -> int:
        return sum(len(bucket) for bucket in self._buckets) + self._pending_count

    @classmethod
    def from_buckets(cls, buckets: Sequence[bytes]) -> BandIndex:
        """An index made of the buckets ``buckets()`` gave (no copy: they are read-only
        until new entries join them)."""
        index = cls()
        index._buckets = [np.frombuffer(data, dtype="<u8").astype(np.uint64, copy=False)
                          for data in buckets]
        return index

    def buckets(self) -> Iterator[bytes]:
        """Every entry, bucket by bucket (pending ones first join their buckets)."""
        self.flush()
        for bucket in self._buckets:
            yield bucket.astype("<u8", copy=False).tobytes()

    def add(self, article_id: int, keys: Iterable[int]) -> None:
        """Index one article under its band keys."""
        pending = self._pending
        for key in keys:
            known = pending.get(key)
            if known is None:
                pending[key] = article_id
            elif isinstance(known, list):
                known.append(article_id)
            else:
                pending[key] = [known, article_id]
            self._pending_count += 1
        if self._pending_count >= PENDING:
            self.flush()

    def extend(self, batches: Iterable[tuple[NDArray[np.int64], NDArray[np.uint32]]]) -> int:
        """Index many articles: ``batches`` of (ids, keys with one row per id). All are
        merged at the end, each bucket sorted once. Returns the articles added."""
        parts: list[list[NDArray[np.uint64]]] = [[] for _ in range(BUCKETS)]
        added = 0
        for ids, keys in batches:
            entries = keys.reshape(-1).astype(np.uint64)
            entries <<= _SHIFT
            entries |= np.repeat(ids.astype(np.uint64), keys.shape[1])
            entries.sort()
            for top, part in enumerate(np.split(entries, np.searchsorted(entries, _TOPS[1:]))):
                if len(part):
                    parts[top].append(part.copy())  # a copy: the batch is freed at once
            added += len(ids)
        for top, bucket_parts in enumerate(parts):
            if bucket_parts:
                bucket_parts.append(self._buckets[top])
                self._buckets[top] = np.sort(np.concatenate(bucket_parts))
                bucket_parts.clear()
        return added

    def candidates(self, keys: Iterable[int]) -> set[int]:
        """The ids of the articles that share at least one of ``keys``."""
        found: set[int] = set()
        for key in keys:
            bucket = self._buckets[key >> 24]
            if len(bucket):
                low = np.uint64(key) << _SHIFT
                start = bucket.searchsorted(low)
                end = bucket.searchsorted(low | _LOW, side="right")
                if end > start:
                    found.update((bucket[start:end] & _LOW).tolist())
            known = self._pending.get(key)
            if isinstance(known, list):
                found.update(known)
            elif known is not None:
                found.add(known)
        return found

    def flush(self) -> None:
        """Move the pending entries into their buckets."""
        if not self._pending_count:
            return
        entries = np.fromiter(
            ((key << 32) | article for key, ids in self._pending.items()
             for article in (ids if isinstance(ids, list) else (ids,))),
            dtype=np.uint64, count=self._pending_count)
        self._pending.clear()
        self._pending_count = 0
        entries.sort()
        bounds = [*np.searchsorted(entries, _TOPS).tolist(), len(entries)]
        for top in range(BUCKETS):
            start, end = bounds[top], bounds[top + 1]
            if end > start:
                new = entries[start:end]
                bucket = self._buckets[top]
                self._buckets[top] = np.insert(bucket, np.searchsorted(bucket, new), new)
