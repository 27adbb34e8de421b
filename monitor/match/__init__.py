"""Match: rules run over new and updated articles and yield hits.

This is the seam the rule engine plugs into (rule files, concepts, entities, the
matcher). Until rules are loaded the rule set is empty, so nothing matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from monitor.models import Hit, SavedArticle, SaveStatus

MATCHABLE = frozenset({SaveStatus.NEW, SaveStatus.UPDATED})


class Rule(Protocol):
    id: str

    def match(self, saved: SavedArticle) -> Hit | None: ...


def match_articles(rules: Sequence[Rule], saved: Sequence[SavedArticle]) -> list[Hit]:
    """Every hit of every rule on the articles that are new or changed."""
    return [
        hit
        for item in saved if item.status in MATCHABLE
        for rule in rules
        if (hit := rule.match(item)) is not None
    ]
