"""Benchmark of story grouping: insert+query cost as the index grows, against a naive scan.

Plain script, no pytest. Run from the repository root:

    python bench/dedup.py [--sizes 10000,100000,1000000] [--copies 0.2] [--naive-sample 200]
                          [--words 250] [--seed 7]

Articles are synthetic, made from their index alone (nothing held in memory): WORDS words
drawn with the seed from a 5,000-word vocabulary (two articles share few word 3-grams, as
independent articles do); a share ``--copies`` of them are near-duplicates of one of the
5,000 before (a dateline added, a paragraph cut, a number changed, or the first half only).
For each size N, N articles are grouped one by one with the real code
(``monitor.store.stories.assign``: LSH band keys stored with each signature and looked up
in memory, candidates confirmed on their signatures) into a fresh database file. Printed
per N: grouping articles/s (insert + query; the MinHash signature, which costs the same
whatever the index holds, is timed apart), the per-article cost of the last 1,000, its
ratio to the first size (target <= 1.5), peak memory of the process (target <= 300 MB at
1 M signatures), the database size, the share of copies that joined their original's
story, the time and peak memory of a new process that gets the in-memory index from the
database (a restart: the saved copy plus the rows written since), and the naive baseline:
each of ``--naive-sample`` new articles compared with every stored signature (read from the
database, compared in numpy).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from tabulate import tabulate

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from monitor.dedup.near import BAND_KEYS, signature  # noqa: E402
from monitor.store import stories  # noqa: E402
from monitor.store.db import open_database  # noqa: E402

TARGET_RATIO = 1.5
TARGET_MB = 300
SLICE = 1000


class Stream:
    """Synthetic articles made from their index alone (nothing is kept in memory): each is
    an original, or with chance ``copies`` an edited copy of one of the 5,000 before it."""

    def __init__(self, copies: float, words: int, seed: int) -> None:
        self.copies, self.words, self.seed = copies, words, seed
        rng = random.Random(seed)
        letters = "abcdefghijklmnopqrstuvwxyz"
        self.vocab = ["".join(rng.choices(letters, k=rng.randint(3, 9))) for _ in range(5000)]

    def original_of(self, index: int) -> int | None:
        """The original an article copies, None for an original."""
        rng = random.Random(self.seed * 1_000_003 + index)
        if index == 0 or rng.random() >= self.copies:
            return None
        source = rng.randrange(max(0, index - 5000), index)
        return self.original_of(source) if self.original_of(source) is not None else source

    def text(self, index: int) -> str:
        original = self.original_of(index)
        if original is not None:
            return _edit(self.text(original), random.Random(self.seed + index))
        rng = random.Random(self.seed * 7_919 + index)
        return "\n\n".join(" ".join(rng.choices(self.vocab, k=self.words // 4)) + "."
                            for _ in range(4))


def _edit(text: str, rng: random.Random) -> str:
    paragraphs = text.split("\n\n")
    kind = rng.randrange(4)
    if kind == 0:
        return "LONDON, March 3 (Reuters) - " + text
    if kind == 1:
        del paragraphs[rng.randrange(1, len(paragraphs))]
        return "\n\n".join(paragraphs)
    if kind == 2:
        return text.replace(" ", f" {rng.randint(10, 99)} ", 1)
    return "\n\n".join(paragraphs[:2])


def run_size(stream: Stream, count: int, naive_sample: int) -> dict[str, float]:
    """Group ``count`` articles into a fresh database; time and check the grouping."""
    with tempfile.TemporaryDirectory(prefix="newsmon-bench-dedup-") as folder:
        path = Path(folder) / "bench.db"
        db = open_database(path)
        now = datetime.now(UTC)
        feed = db.execute("INSERT INTO feeds (url, origin_url, created_at, updated_at) VALUES "
                          "('bench:', 'bench:', ?, ?)", [now.isoformat(), now.isoformat()]
                          ).lastrowid
        since = now - timedelta(days=7)
        grouped = copies = 0
        minhash = grouping = last = 0.0
        db.conn.execute("BEGIN")
        for index in range(count):
            started = time.perf_counter()
            sig = signature("", stream.text(index))
            made = time.perf_counter()
            article = db.execute(
                "INSERT INTO articles (feed_id, guid, title, text, lang, lang_confidence, "
                "published_at, fetched_at, content_hash, entry_hash) VALUES "
                "(?, ?, '', '', 'en', 1, ?, ?, ?, ?)",
                [feed, str(index), now.isoformat(), now.isoformat(), str(index), str(index)]
            ).lastrowid
            story, _ = stories.assign(db, int(article or 0), int(feed or 0), "", "en", sig,
                                      now, since)
            took = time.perf_counter() - made
            minhash += made - started
            grouping += took
            if index >= count - SLICE:
                last += took
            original = stream.original_of(index)
            if original is not None:
                copies += 1
                grouped += db.execute("SELECT story_id FROM articles WHERE feed_id = ? AND "
                                      "guid = ?", [feed, str(original)]).fetchone()[0] == story
            if (index + 1) % SLICE == 0:
                db.conn.execute("COMMIT")
                db.conn.execute("BEGIN")
        db.conn.execute("COMMIT")
        stories.forget(db)  # the baseline does not use the in-memory index
        naive_ms = _naive(db, stream, count, naive_sample)
        db.conn.close()
        restart = subprocess.run([sys.executable, __file__, "--load", str(path)],
                                 capture_output=True, text=True, check=True)
        load_s, load_mb, loaded = (float(v) for v in restart.stdout.split())
        assert loaded >= count * 0.99, loaded  # the short ones have no signature
        return {"grouping": grouping, "minhash_ms": minhash / count * 1000,
                "last_ms": last / min(SLICE, count) * 1000, "found": grouped / max(copies, 1),
                "db_mb": path.stat().st_size / 1e6, "naive_ms": naive_ms,
                "load_s": load_s, "load_mb": load_mb}


def _naive(db: Any, stream: Stream, count: int, sample: int) -> float:
    """ms an article for the baseline: a new article's signature against every stored one,
    read from the database 2,000 at a time and compared in numpy, on ``sample`` articles."""
    news = [sig for index in range(count, count + sample)
            if (sig := signature("", stream.text(index))) is not None]
    probes = np.stack([np.frombuffer(sig.full, dtype=np.uint32) for sig in news])
    started = time.perf_counter()
    best = np.zeros(len(news))
    cursor = db.execute("SELECT full FROM signatures")
    while rows := cursor.fetchmany(2_000):
        stored = np.frombuffer(b"".join(row[0] for row in rows), dtype=np.uint32)
        stored = stored.reshape(-1, probes.shape[1])
        for position, probe in enumerate(probes):
            best[position] = max(best[position], float((stored == probe).mean(axis=1).max()))
    return (time.perf_counter() - started) / max(len(news), 1) * 1000


def peak_mb() -> float:
    """Peak resident memory of this process (Linux keeps ru_maxrss across exec, so a child
    would report its parent's: VmHWM when /proc has it)."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(path: str) -> None:
    """A restart: a new process gets the in-memory index of the database at ``path``;
    prints seconds, peak MB and the articles indexed."""
    started = time.perf_counter()
    db = open_database(path)
    since = datetime.now(UTC) - timedelta(days=7)
    size = len(stories.band_index(db, since)) // BAND_KEYS
    print(f"{time.perf_counter() - started:.3f} {peak_mb():.1f} {size}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--copies", type=float, default=0.2)
    parser.add_argument("--naive-sample", type=int, default=200)
    parser.add_argument("--words", type=int, default=250)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--load", help=argparse.SUPPRESS)  # the restart, in its own process
    args = parser.parse_args(argv)
    if args.load:
        load(args.load)
        return 0
    sizes = sorted(int(s) for s in args.sizes.split(","))
    print(f"date: {datetime.now(UTC).isoformat(timespec='seconds')}")
    print(f"machine: {platform.machine()}, nproc {os.cpu_count()}, python "
          f"{platform.python_version()}; load average {os.getloadavg()[0]:.2f}")
    stream = Stream(args.copies, args.words, args.seed)
    print(f"articles: {args.words} words, {args.copies:.0%} near-duplicates of one of the "
          "5,000 before\n")
    rows, base = [], None
    for size in sizes:
        result = run_size(stream, size, args.naive_sample)
        base = base or result["last_ms"]
        rows.append([f"{size:,}", f"{result['grouping']:.1f}",
                     f"{size / result['grouping']:,.0f}", f"{result['last_ms']:.3f}",
                     f"{result['last_ms'] / base:.2f}", f"{peak_mb():.0f}",
                     f"{result['db_mb']:.0f}", f"{result['found']:.1%}",
                     f"{result['load_s']:.2f}", f"{result['load_mb']:.0f}",
                     f"{result['minhash_ms']:.2f}", f"{result['naive_ms']:.2f}",
                     f"{result['naive_ms'] / result['last_ms']:.0f}x"])
    print(tabulate(rows, ["articles", "grouping s", "articles/s", "ms/article (last 1k)",
                          "ratio to first", "peak MB", "db MB", "copies grouped",
                          "restart: load s", "restart: peak MB",
                          "minhash ms/article", "naive ms/article", "speed-up"],
                   tablefmt="github", disable_numparse=True))
    ratio = float(rows[-1][4])
    print(f"\nper-article cost at {sizes[-1]:,} : {sizes[0]:,} = {ratio:.2f} (target <= "
          f"{TARGET_RATIO}: {'met' if ratio <= TARGET_RATIO else 'missed'}); peak memory "
          f"{peak_mb():.0f} MB (target <= {TARGET_MB}: "
          f"{'met' if peak_mb() <= TARGET_MB else 'missed'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
