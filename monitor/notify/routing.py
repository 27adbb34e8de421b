"""Which channels a hit is alerted to, and when: decided in the transaction that stores it.

A rule names its channels (``notify: {channels: [...]}``); a rule that names none goes to
the config's ``default_channel``, or nowhere when that is empty. A hit on an article older
than ``notify.max_age`` (by published time, which the parse stage sets to the fetch time
when a feed gives none) is stored but not alerted. A
rule with ``digest: P`` has its alerts due at the end of the current period of P (periods
counted from the Unix epoch, so every process agrees where one ends).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from monitor.config import Config
from monitor.match.rules import RuleSpec
from monitor.models import Article, Hit
from monitor.store.outbox import AlertPlan


def period_end(now: datetime, seconds: int) -> datetime:
    """The end of the ``seconds``-long period holding ``now``."""
    stamp = now.timestamp()
    return datetime.fromtimestamp(math.floor(stamp / seconds + 1) * seconds, UTC)


class Router:
    """The alert plans of new hits, from the loaded rules and the config."""

    def __init__(self, config: Config, rules: Iterable[RuleSpec]) -> None:
        self.config = config
        self.rules = {rule.id: rule for rule in rules}

    def channels(self, rule_id: str) -> tuple[str, ...]:
        rule = self.rules.get(rule_id)
        if rule is not None and rule.notify.channels:
            return rule.notify.channels
        return (self.config.default_channel,) if self.config.default_channel else ()

    def plans(self, hits: Sequence[Hit], articles: Mapping[str, Article],
              now: datetime) -> list[AlertPlan]:
        """One plan per stored hit and channel; none for hits on old articles."""
        oldest = now - timedelta(seconds=self.config.notify.max_age)
        plans = []
        for hit in hits:
            article = articles.get(hit.guid)
            if not hit.id or article is None or article.published_at < oldest:
                continue
            rule = self.rules.get(hit.rule_id)
            digest = rule.notify.digest if rule is not None else 0
            due = period_end(now, digest) if digest else now
            plans += [AlertPlan(hit.id, hit.rule_id, channel, due, bool(digest))
                      for channel in self.channels(hit.rule_id)]
        return plans
