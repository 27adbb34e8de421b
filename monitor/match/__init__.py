"""Match: the loaded rules run over each new or changed article and yield hits.

:func:`load_matcher` reads the rules directory (problems reported as ``file:line:col``);
:func:`match_article` turns the matcher's result into :class:`monitor.models.Hit` s whose
spans point into their own snippet, so a hit stays readable after the article's text is
pruned.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from monitor.models import Article, Feed, Hit

if TYPE_CHECKING:  # the engine's modules load data: imported when rules are loaded
    from monitor.match.matcher import Matcher


def load_matcher(rules_dir: Path) -> Matcher:
    """A Matcher over the enabled rules of ``rules_dir``; RuleError listing every problem."""
    from monitor.match.matcher import Matcher
    from monitor.match.rules import load_rules

    return Matcher(load_rules(rules_dir))


def match_article(matcher: Matcher, article: Article, feed: Feed) -> tuple[Hit, ...]:
    """Every rule that fires on ``article`` (title and text, in its detected language)."""
    hits = []
    for found in matcher.match(article.title, article.text, article.lang,
                               feed_tags=feed.tags, feed_url=feed.url):
        snippet, spans = found.snippet_with_spans()
        hits.append(Hit(rule_id=found.rule_id, rule_version=found.rule_version,
                        guid=article.guid, lang=found.lang, captures=dict(found.captures),
                        snippet=snippet, spans=spans))
    return tuple(hits)
