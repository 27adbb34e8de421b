"""``newsmon dedup eval``: the real grouping run over a labelled corpus, scored pairwise.

The corpus is a YAML list of items with ``id``, ``title``, ``text`` and ``story`` (items
with the same story value are near-identical copies that must be grouped; ``lang`` is
optional, other keys are ignored). Items go through :func:`monitor.store.stories.assign`
in the order given, on a scratch SQLite database, exactly as the pipeline stores articles.
Over every pair of items: a true pair shares a label and a group, a false merge shares a
group but not a label, a missed pair shares a label but not a group.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from monitor.dedup.near import signature
from monitor.errors import ConfigError


@dataclass(frozen=True)
class StoryItem:
    id: str
    title: str
    text: str
    story: str
    lang: str = "und"


@dataclass(frozen=True)
class DedupScore:
    items: int
    groups: int
    precision: float | None
    recall: float | None
    f1: float | None
    false_merges: tuple[tuple[str, str], ...]
    missed_pairs: tuple[tuple[str, str], ...]

    def to_json(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return {"items": self.items, "groups": self.groups,
                "precision": rounded(self.precision), "recall": rounded(self.recall),
                "f1": rounded(self.f1), "false_merges": [list(p) for p in self.false_merges],
                "missed_pairs": [list(p) for p in self.missed_pairs]}


def read_corpus(path: Path) -> list[StoryItem]:
    """The items of a corpus file; ConfigError names the file and the item that is wrong."""
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"dedup: {path}: cannot read the corpus: {exc}",
                          "config.corpus") from None
    if not isinstance(data, list):
        raise ConfigError(f"dedup: {path}: expected a list of items (id, title, text, story)",
                          "config.corpus")
    items = []
    for number, raw in enumerate(data, 1):
        if not isinstance(raw, dict) or not all(isinstance(raw.get(k), str | int)
                                                for k in ("id", "text", "story")):
            raise ConfigError(f"dedup: {path}: item {number} needs id, text and story",
                              "config.corpus")
        items.append(StoryItem(str(raw["id"]), str(raw.get("title") or ""), str(raw["text"]),
                               str(raw["story"]), str(raw.get("lang") or "und")))
    return items


def group(items: Sequence[StoryItem],
          progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """item id -> story id, from the real grouping on a scratch database."""
    from monitor.store import stories
    from monitor.store.db import open_database

    with tempfile.TemporaryDirectory(prefix="newsmon-dedup-") as folder:
        db = open_database(Path(folder) / "eval.db")
        try:
            now = datetime.now(UTC)
            feed = db.execute(
                "INSERT INTO feeds (url, origin_url, created_at, updated_at) VALUES "
                "('corpus:', 'corpus:', ?, ?)", [now.isoformat(), now.isoformat()]).lastrowid
            found = {}
            for item in items:
                article = db.execute(
                    "INSERT INTO articles (feed_id, guid, title, text, lang, lang_confidence, "
                    "published_at, fetched_at, content_hash, entry_hash) VALUES "
                    "(?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
                    [feed, item.id, item.title, item.text, item.lang, now.isoformat(),
                     now.isoformat(), item.id, item.id]).lastrowid
                found[item.id], _ = stories.assign(
                    db, int(article or 0), int(feed or 0), item.title, item.lang,
                    signature(item.title, item.text), now, now - timedelta(days=7))
                if progress is not None:
                    progress(1)
            return found
        finally:
            db.conn.close()


def score(items: Sequence[StoryItem], groups: dict[str, int]) -> DedupScore:
    tp = 0
    false_merges, missed = [], []
    for a, b in itertools.combinations(items, 2):
        same_label, same_group = a.story == b.story, groups[a.id] == groups[b.id]
        if same_label and same_group:
            tp += 1
        elif same_group:
            false_merges.append((a.id, b.id))
        elif same_label:
            missed.append((a.id, b.id))
    precision = tp / (tp + len(false_merges)) if tp + len(false_merges) else None
    recall = tp / (tp + len(missed)) if tp + len(missed) else None
    denominator = 2 * tp + len(false_merges) + len(missed)
    f1 = 2 * tp / denominator if denominator else None
    return DedupScore(len(items), len(set(groups.values())), precision, recall, f1,
                      tuple(false_merges), tuple(missed))
