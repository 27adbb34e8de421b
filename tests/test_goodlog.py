"""Every shipped rule over real news that holds no event of its kind ("goodlog", as Sigma
does): any hit not listed with a reason in the rule's known-false-positive file fails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from monitor.language import detect, make_detector
from monitor.match.matcher import Matcher
from monitor.match.rules import load_rules

REPO = Path(__file__).resolve().parents[1]
GOODLOG = REPO.parent / "shared" / "real" / "datasets" / "fundus-article-texts"


def articles() -> Iterator[tuple[str, str, str]]:
    """(id, title, text) of every article in the corpus; id is "country/Publisher.json#V1"."""
    for path in sorted(GOODLOG.glob("*/*.json")):
        for version, article in json.loads(path.read_text("utf-8")).items():
            body = article.get("body") or {}
            paragraphs = list(body.get("summary") or [])
            for section in body.get("sections") or []:
                paragraphs += list(section.get("paragraphs") or [])
            yield (f"{path.relative_to(GOODLOG)}#{version}", article.get("title") or "",
                   "\n\n".join(paragraphs))


def known_false_positives(rule_path: Path) -> dict[str, str]:
    listed = rule_path.with_suffix(".known-fp.yaml")
    entries = yaml.safe_load(listed.read_text("utf-8")) if listed.exists() else []
    for entry in entries or []:
        assert entry.get("reason"), f"{listed}: {entry.get('article')} needs a reason"
    return {entry["article"]: entry["reason"] for entry in entries or []}


@pytest.mark.skipif(not GOODLOG.is_dir(), reason=f"no goodlog corpus at {GOODLOG}")
def test_shipped_rules_stay_quiet_on_real_news() -> None:
    rules = load_rules(REPO / "rules")
    matcher = Matcher(rules)
    detector = make_detector()
    unexpected = []
    count = 0
    for article_id, title, text in articles():
        count += 1
        lang = detect(detector, title, text, None, 0.0).code
        for hit in matcher.match(title, text, lang):
            rule = rules.get(hit.rule_id)
            assert rule is not None
            if article_id not in known_false_positives(rule.path):
                unexpected.append(f"{hit.rule_id} on {article_id}: {hit.snippet[:160]}")
    assert count >= 250
    assert not unexpected, "\n".join(unexpected)
