"""Backtest: a rule (new or edited) over the articles already stored, without alerting.

With ``compare``, the same id's rule as loaded from the rules folder runs too, and the
result says which articles the edit gains and loses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from monitor.match.matcher import Matcher, RuleMatch
from monitor.match.rules import RuleSet


@dataclass(frozen=True)
class BacktestHit:
    article_id: int
    title: str
    lang: str
    published_at: str
    captures: dict[str, tuple[str, ...]]
    snippet: str


@dataclass
class Backtest:
    rule_id: str
    articles: int = 0
    hits: list[BacktestHit] = field(default_factory=list)
    gained: list[int] = field(default_factory=list)  # with compare: hit now, not before
    lost: list[int] = field(default_factory=list)  # with compare: hit before, not now


def _hit(row: dict[str, Any], found: RuleMatch) -> BacktestHit:
    return BacktestHit(row["id"], row["title"], row["lang"], row["published_at"],
                       dict(found.captures), found.snippet)


def backtest(rules: RuleSet, rows: Iterable[dict[str, Any]], compare: RuleSet | None = None,
             progress: Callable[[Iterable[dict[str, Any]]], Iterator[dict[str, Any]]] = iter,
             ) -> Backtest:
    """Run the one rule of ``rules`` over ``rows`` (articles: id, title, text, lang...)."""
    rule = rules.rules[0]
    result = Backtest(rule.id)
    now = Matcher(rules, include_disabled=True)
    before = Matcher(compare, include_disabled=True) if compare is not None else None
    for row in progress(rows):
        result.articles += 1
        fired = [m for m in now.match(row["title"], row["text"], row["lang"])
                 if m.rule_id == rule.id]
        if fired:
            result.hits.append(_hit(row, fired[0]))
        if before is not None:
            had = any(m.rule_id == rule.id
                      for m in before.match(row["title"], row["text"], row["lang"]))
            if fired and not had:
                result.gained.append(row["id"])
            elif had and not fired:
                result.lost.append(row["id"])
    return result
