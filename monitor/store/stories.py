"""Stories: every stored article belongs to one; near-identical copies share it.

A new article joins the story of its nearest near-duplicate seen within the window (LSH
band keys find the candidates; their signatures confirm them, see monitor/dedup/near.py),
or starts a new story. Exact duplicates from other feeds, which are not stored again, still
count as sources of the story of the article they copy. Signatures older than the window
are pruned: stories stay.

Each signature row keeps its band keys; the lookup table over them lives in memory
(monitor/dedup/lsh.py), one per connection, brought up to date before each article: every
signature written or re-signed gets the next change number (``seq``), and the rows past the
last one read join it, whichever process wrote them. A process starts from the copy of
the table saved in ``band_snapshot`` plus the rows changed since, or, when there is none,
builds it from the window's rows; the copy is saved again once the rows read since reach a
fifth of the table.
A table of band keys in SQLite cost a random B-tree page read and write per key once it
outgrew the page cache (docs/benchmarks.md, "Story grouping").
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import sqlite_utils
from numpy.typing import NDArray

from monitor.dedup.lsh import BUCKETS, BandIndex
from monitor.dedup.near import BAND_KEYS, BAND_LAYOUT, band_bytes, bands, same_story
from monitor.models import Hit, Signature
from monitor.store.db import to_iso

QUERY_CHUNK = 400  # ids per IN (...) query
LOAD_ROWS = 25_000  # signature rows read at a time when the index is built
FEW = 1_000  # fewer new rows than this are added one by one
STALE_SHARE = 0.25  # rebuild the in-memory index once this share of it has been pruned
SNAPSHOT_MIN = 20_000  # articles: a smaller index is built from its rows, never saved
SNAPSHOT_TAIL = 0.2  # save it again when the rows read since make this share of it
LAYOUT = f"{BAND_LAYOUT}:{BUCKETS}"  # a saved copy of another layout is not used


@dataclass
class _Loaded:
    index: BandIndex = field(default_factory=BandIndex)
    upto: int = 0  # the highest signature change number (seq) read from the database
    size: int = 0  # articles in the index
    stale: int = 0  # of them, pruned since it was built
    tail: int = 0  # articles read since the copy in the database was saved


_LOADED: weakref.WeakKeyDictionary[sqlite_utils.Database, _Loaded] = \
    weakref.WeakKeyDictionary()


def band_index(db: sqlite_utils.Database, since: datetime) -> BandIndex:
    """The connection's band index, up to date with the signatures rows (built from those
    seen since ``since`` the first time)."""
    loaded = _LOADED.get(db)
    if loaded is None:
        loaded = _LOADED[db] = _restore(db) or _build(db, since)
    else:
        _load(db, loaded, "seq > ?", [loaded.upto])
    if loaded.size >= SNAPSHOT_MIN and loaded.tail > loaded.size * SNAPSHOT_TAIL:
        _save(db, loaded)
    return loaded.index


def _build(db: sqlite_utils.Database, since: datetime) -> _Loaded:
    """The index of the rows seen since ``since`` (older rows are not read later either)."""
    loaded = _Loaded(upto=db.execute("SELECT coalesce(max(seq), 0) FROM signatures"
                                     ).fetchone()[0])
    _load(db, loaded, "seen_at >= ?", [to_iso(since)])
    return loaded


def _restore(db: sqlite_utils.Database) -> _Loaded | None:
    """The saved copy of the index, with the rows written or re-signed since; None when
    there is no usable copy."""
    info = db.execute("SELECT upto, size, stale FROM band_snapshot_info WHERE "
                      "layout = ?", [LAYOUT]).fetchone()
    if info is None:
        return None
    blobs = [row[0] for row in db.execute("SELECT entries FROM band_snapshot ORDER BY bucket")]
    if len(blobs) != BUCKETS:
        return None
    loaded = _Loaded(BandIndex.from_buckets(blobs), upto=info[0], size=info[1], stale=info[2])
    del blobs  # each bucket's bytes are freed when new entries replace it
    _load(db, loaded, "seq > ?", [info[0]])
    return loaded


def _save(db: sqlite_utils.Database, loaded: _Loaded) -> None:
    """Save a copy of the index (inside the caller's transaction), a bucket at a time."""
    db.conn.executemany("INSERT OR REPLACE INTO band_snapshot (bucket, entries) VALUES (?, ?)",
                        enumerate(loaded.index.buckets()))
    db.execute("INSERT OR REPLACE INTO band_snapshot_info (id, layout, upto, size, stale) "
               "VALUES (1, ?, ?, ?, ?)", [LAYOUT, loaded.upto, loaded.size, loaded.stale])
    loaded.tail = 0


def _load(db: sqlite_utils.Database, loaded: _Loaded, where: str, params: list[Any]) -> None:
    """Add the signature rows matching ``where`` to the index: a few one by one, many in
    one merge (rows without stored keys, or of another band layout, get theirs made from
    their signature)."""
    width = BAND_KEYS * 4
    cursor = db.execute(
        "SELECT article_id, bands, CASE WHEN length(bands) IS NOT ? THEN full END, "
        "CASE WHEN length(bands) IS NOT ? THEN lead END, coalesce(seq, 0) FROM signatures "
        f"WHERE {where}", [width, width, *params])
    first = cursor.fetchmany(FEW)
    if len(first) < FEW:
        for article_id, keys, full, lead, seq in first:
            keys = keys if full is None else band_bytes(full, lead)
            loaded.index.add(article_id, np.frombuffer(keys, dtype="<u4").tolist())
            loaded.upto = max(loaded.upto, seq)
        loaded.size += len(first)
        loaded.tail += len(first)
        return

    def batches() -> Iterator[tuple[NDArray[np.int64], NDArray[np.uint32]]]:
        rows = first
        while rows:
            ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
            keys = np.frombuffer(b"".join(row[1] if row[2] is None else band_bytes(*row[2:4])
                                          for row in rows), dtype="<u4")
            loaded.upto = max(loaded.upto, max(row[4] for row in rows))
            yield ids, keys.reshape(-1, BAND_KEYS)
            rows = cursor.fetchmany(LOAD_ROWS)

    added = loaded.index.extend(batches())
    loaded.size += added
    loaded.tail += added


def forget(db: sqlite_utils.Database) -> None:
    """Drop the connection's in-memory index (after a rollback: it may hold rows that were
    undone, and their ids will be used again); it is built again at the next article."""
    _LOADED.pop(db, None)


def _pruned(db: sqlite_utils.Database, count: int) -> None:
    loaded = _LOADED.get(db)
    if loaded is not None:
        loaded.stale += count
        if loaded.stale > loaded.size * STALE_SHARE:
            forget(db)  # built again, from the rows left, at the next article


def assign(db: sqlite_utils.Database, article_id: int, feed_id: int, title: str, lang: str,
           sig: Signature | None, now: datetime, since: datetime) -> tuple[int, bool]:
    """Put a new article in a story (inside the caller's transaction): (story id, whether
    it joined an existing one)."""
    match = nearest(db, sig, since) if sig is not None else None
    if match is None:
        cursor = db.execute("INSERT INTO stories (title, first_seen, last_seen) VALUES "
                            "(?, ?, ?)", [title, to_iso(now), to_iso(now)])
        story_id, joined = int(cursor.lastrowid or 0), False
    else:
        story_id, joined = match, True
        db.execute("UPDATE stories SET last_seen = ? WHERE id = ?", [to_iso(now), story_id])
    db.execute("UPDATE articles SET story_id = ? WHERE id = ?", [story_id, article_id])
    add_source(db, story_id, feed_id, article_id, lang, now)
    if sig is not None:
        _index(db, article_id, sig, now)
    return story_id, joined


def nearest(db: sqlite_utils.Database, sig: Signature, since: datetime) -> int | None:
    """The story of the stored article most surely the same text as ``sig``, seen since
    ``since``; None when there is none."""
    keys = np.frombuffer(bands(sig), dtype="<u4").tolist()
    candidates = band_index(db, since).candidates(keys)
    best: tuple[float, int] | None = None
    for row in _signatures(db, sorted(candidates), since):
        other = Signature(row["full"], row["lead"], row["shingles"], row["scheme"])
        score = same_story(sig, other)
        if row["first_seen"] is None or row["first_seen"] < to_iso(since):
            continue  # a story older than the window is not joined: no endless chains
        if score and row["story_id"] is not None and (best is None or score > best[0]):
            best = (score, int(row["story_id"]))
    return best[1] if best else None


def _signatures(db: sqlite_utils.Database, article_ids: Sequence[int],
                since: datetime) -> Iterable[dict[str, Any]]:
    for start in range(0, len(article_ids), QUERY_CHUNK):
        chunk = list(article_ids[start:start + QUERY_CHUNK])
        yield from db.query(
            "SELECT signatures.*, articles.story_id, stories.first_seen FROM signatures "
            "JOIN articles ON articles.id = signatures.article_id LEFT JOIN stories ON "
            f"stories.id = articles.story_id WHERE signatures.article_id IN "
            f"({','.join('?' * len(chunk))}) AND signatures.seen_at >= ?",
            [*chunk, to_iso(since)])


def refresh(db: sqlite_utils.Database, article_id: int, sig: Signature | None,
            now: datetime) -> None:
    """An updated article keeps its story; its signature and band keys become those of its
    new text (a headline-only stub later filled in is then found by later copies)."""
    db.execute("DELETE FROM signatures WHERE article_id = ?", [article_id])
    if sig is not None:  # a new seq: every process's index reads it at its next article
        _index(db, article_id, sig, now)


def _index(db: sqlite_utils.Database, article_id: int, sig: Signature, now: datetime) -> None:
    """Store the signature with its band keys and the next change number, ``seq`` (the
    in-memory indexes of every process read the rows past the last seq they saw)."""
    db.execute("INSERT OR REPLACE INTO signatures (article_id, scheme, shingles, full, lead, "
               "bands, seen_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, (SELECT coalesce(max(seq), "
               "0) + 1 FROM signatures))",
               [article_id, sig.scheme, sig.shingles, sig.full, sig.lead, bands(sig),
                to_iso(now)])


def add_source(db: sqlite_utils.Database, story_id: int, feed_id: int, article_id: int,
               lang: str, now: datetime) -> None:
    db.execute("INSERT OR IGNORE INTO story_sources (story_id, feed_id, article_id, lang, "
               "seen_at) VALUES (?, ?, ?, ?, ?)",
               [story_id, feed_id, article_id, lang, to_iso(now)])


def add_duplicate(db: sqlite_utils.Database, article_id: int, feed_id: int,
                  now: datetime) -> None:
    """An exact copy from ``feed_id`` of the stored article ``article_id``: a source of its
    story (the copy itself is not stored). An article stored before stories existed gets
    its story now."""
    row = db.execute("SELECT story_id, lang, feed_id, title FROM articles WHERE id = ?",
                     [article_id]).fetchone()
    if row is None:
        return
    story_id, lang, original_feed, title = row
    if story_id is None:
        story_id = db.execute("INSERT INTO stories (title, first_seen, last_seen) VALUES "
                              "(?, ?, ?)", [title, to_iso(now), to_iso(now)]).lastrowid
        db.execute("UPDATE articles SET story_id = ? WHERE id = ?", [story_id, article_id])
        add_source(db, int(story_id or 0), int(original_feed), article_id, str(lang), now)
    add_source(db, int(story_id), feed_id, article_id, str(lang), now)
    db.execute("UPDATE stories SET last_seen = ? WHERE id = ?", [to_iso(now), story_id])


def prune(db: sqlite_utils.Database, before: datetime) -> int:
    """Signatures of articles seen before ``before`` leave the index."""
    removed = int(db.execute("DELETE FROM signatures WHERE seen_at < ?",
                             [to_iso(before)]).rowcount)
    if removed:  # a saved copy that is mostly pruned articles is dropped, not restored
        db.execute("UPDATE band_snapshot_info SET stale = stale + ?", [removed])
        if db.execute("DELETE FROM band_snapshot_info WHERE stale > size * ?",
                      [STALE_SHARE]).rowcount:
            db.execute("DELETE FROM band_snapshot")
    _pruned(db, removed)
    return removed


def first_hits(db: sqlite_utils.Database, hits: Sequence[Hit], since: datetime) -> list[Hit]:
    """The hits to alert: those whose story has no earlier hit of the same rule alerted since
    ``since``, nor one chosen earlier in ``hits`` (the others are recorded but not alerted:
    a later copy adds to the story, not to the inbox). A copy too old to alert, or an alert
    older than the window, holds back nothing."""
    first, chosen = [], set()
    for hit in hits:
        story = db.execute("SELECT story_id FROM articles WHERE id = ?",
                           [hit.article_id]).fetchone()
        story_id = story[0] if story else None
        if story_id is not None and (story_id, hit.rule_id) in chosen:
            continue
        row = db.execute(
            "SELECT count(*) FROM hits JOIN articles ON articles.id = hits.article_id "
            "WHERE articles.story_id = ? AND hits.rule_id = ? AND hits.id < ? "
            "AND hits.created_at >= ? AND EXISTS (SELECT 1 FROM alerts WHERE "
            "alerts.hit_id = hits.id)",
            [story_id, hit.rule_id, hit.id, to_iso(since)]).fetchone()
        if not row[0]:
            first.append(hit)
            chosen.add((story_id, hit.rule_id))
    return first


def list_stories(db: sqlite_utils.Database, since: datetime | None = None,
                 min_sources: int = 1, lang: str | None = None,
                 limit: int = 100) -> list[dict[str, Any]]:
    """Stories newest first, with their source count, languages, first and last seen."""
    where, params = [], []
    if since is not None:
        where.append("stories.last_seen >= ?")
        params.append(to_iso(since))
    if lang:
        where.append("EXISTS (SELECT 1 FROM story_sources s WHERE s.story_id = stories.id "
                     "AND s.lang = ?)")
        params.append(lang)
    clause = f"WHERE {' AND '.join(where)} " if where else ""
    rows = db.query(
        "SELECT stories.id, stories.title, stories.first_seen, stories.last_seen, "
        "(SELECT count(DISTINCT feed_id) FROM story_sources WHERE story_id = stories.id) "
        "AS sources, (SELECT group_concat(DISTINCT lang) FROM story_sources WHERE story_id = "
        f"stories.id) AS langs FROM stories {clause}ORDER BY stories.last_seen DESC, "
        "stories.id DESC", params)
    return [row for row in rows if row["sources"] >= min_sources][:limit]


def story_sources(db: sqlite_utils.Database, story_id: int) -> list[dict[str, Any]]:
    """The story's sources, first seen first: feed, article title, link, language, time."""
    return list(db.query(
        "SELECT story_sources.feed_id, coalesce(feeds.title, feeds.url) AS feed, "
        "story_sources.article_id, articles.title, articles.url, story_sources.lang, "
        "min(story_sources.seen_at) AS seen_at FROM story_sources "
        "JOIN feeds ON feeds.id = story_sources.feed_id "
        "JOIN articles ON articles.id = story_sources.article_id "
        "WHERE story_sources.story_id = ? GROUP BY story_sources.feed_id "
        "ORDER BY seen_at, story_sources.feed_id", [story_id]))
