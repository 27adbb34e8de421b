"""Rules judged: their own tests and a labelled corpus.

The library behind ``newsmon rules test | eval`` (``explain``: :mod:`monitor.match.explain`):

- :func:`load_rule` finds a rule by id in a rules folder, or reads a rule file, into a
  RuleSet of its own (the rule and the concepts it uses), ready for a Matcher.
- :func:`run_tests` runs every rule's ``tests:`` block (a rule without tests fails: a shipped
  rule needs them).
- :func:`evaluate` runs a rule over a corpus in the format of the development sets (a YAML
  list of ``{id, lang, title, text, expect, countries}``; other keys ignored) and scores it.
  With tp, fp, fn counted over items: precision tp/(tp+fp), recall tp/(tp+fn), F1
  2tp/(2tp+fp+fn), each None when its denominator is 0 (a language with neither positives nor
  false alarms has no F1). ``capture_exact`` is the share of true positives whose captures
  under the rule's first capture name equal the item's ``countries`` (items that list them).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from monitor.errors import RuleError
from monitor.match.concepts import concept_path, load_concepts
from monitor.match.matcher import Matcher, RuleMatch
from monitor.match.rules import (
    EntityLeaf,
    RuleLoadError,
    RuleSet,
    RuleSpec,
    leaves,
    load_rule_file,
    load_rules,
    rule_files,
)

FALSE_POSITIVE, FALSE_NEGATIVE, WRONG_CAPTURE = "false_positive", "false_negative", "wrong_capture"


# -- loading ---------------------------------------------------------------------------------

def single(rule: RuleSpec, rules: RuleSet) -> RuleSet:
    """A RuleSet of one rule of ``rules`` with the concepts it uses."""
    return RuleSet((rule,), {name: rules.concepts[name] for name in rule.concepts})


def _from_file(path: Path) -> RuleSet:
    rule = load_rule_file(path)
    concepts = load_concepts(path.parent / "concepts", rule.concepts).concepts
    return RuleSet((rule,), {name: concepts[name] for name in rule.concepts})


def load_rule(ref: str, rules_dir: Path) -> RuleSet:
    """The rule ``ref`` names, alone in a RuleSet: a path to a rule file, or the id of a rule
    of ``rules_dir``. Raises RuleError (rule.unknown_rule) or RuleLoadError."""
    path = Path(ref)
    if path.is_file():
        return _from_file(path)
    if path.suffix in (".yaml", ".yml") or "/" in ref:
        raise RuleError(f"rule: {ref}: no such rule file", "rule.unknown_rule")
    own = rules_dir / f"{ref}.yaml"  # the usual layout: the file is named after the id
    if own.is_file():
        rules = _from_file(own)
        if rules.rules[0].id == ref:
            return rules
    loaded = load_rules(rules_dir)
    rule = loaded.get(ref)
    if rule is None:
        close = difflib.get_close_matches(ref, [r.id for r in loaded.rules], n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise RuleError(f"rule: no rule with id '{ref}' in {rules_dir}{hint}; give a rule id "
                        "from that folder or a path to a rule file ('newsmon rules check' "
                        "validates the folder)", "rule.unknown_rule")
    return single(rule, loaded)


def load_paths(paths: Sequence[Path]) -> list[RuleSet]:
    """Each path (a rules folder, or a rule file) as a RuleSet; every problem of every path
    raised at once as one RuleLoadError."""
    sets, problems = [], []
    for path in paths:
        try:
            sets.append(load_rules(path) if path.is_dir() else _from_file(path))
        except RuleLoadError as exc:
            problems += exc.problems
    if problems:
        raise RuleLoadError(problems)
    return sets


def count_files(paths: Sequence[Path]) -> tuple[int, int]:
    """How many rule files and concept files ``rules.check(paths)`` covers."""
    rule_paths: set[Path] = set()
    concept_paths: set[Path] = set()
    for path in paths:
        if path.is_dir():
            rule_paths |= {p.resolve() for p in rule_files(path)}
            concept_paths |= {p.resolve() for p in (path / "concepts").glob("*.yaml")}
        elif path.parent.name == "concepts":
            concept_paths.add(path.resolve())
        elif path.is_file():
            rule_paths.add(path.resolve())
            rule = load_rule_file(path)
            concept_paths |= {concept_path(path.parent / "concepts", name).resolve()
                              for name in rule.concepts}
    return len(rule_paths), len(concept_paths)


def capture_name(rule: RuleSpec) -> str | None:
    """The rule's first capture name, in the order the match tree is written."""
    return next((leaf.capture for leaf in leaves(rule.match, into_not=False)
                 if isinstance(leaf, EntityLeaf) and leaf.capture), None)


# -- rule tests ------------------------------------------------------------------------------

@dataclass(frozen=True)
class TestResult:
    rule_id: str
    path: Path
    line: int  # 0: the rule as a whole (it has no tests)
    passed: bool
    label: str  # the test's ``why``, else the start of its text
    reason: str = ""  # why it failed

    __test__ = False  # not a pytest class


def run_tests(rules: RuleSet) -> list[TestResult]:
    """Every test of every rule (disabled rules included); a rule without tests fails."""
    matcher = Matcher(rules, include_disabled=True)
    results = []
    for rule in rules.rules:
        if not rule.tests:
            results.append(TestResult(rule.id, rule.path, 0, False, rule.id,
                                      "no tests: a shipped rule needs a tests: block"))
        for test in rule.tests:
            hits = [h for h in matcher.match(test.title, test.text, test.lang)
                    if h.rule_id == rule.id]
            label = test.why or _short(test.title or test.text)
            reason = _test_failure(test.expect, test.captures, hits[0] if hits else None)
            results.append(TestResult(rule.id, rule.path, test.line, not reason, label, reason))
    return results


def _test_failure(expect: bool, captures: Mapping[str, frozenset[str]] | None,
                  hit: RuleMatch | None) -> str:
    if hit is None:
        return "expected a hit, the rule did not fire" if expect else ""
    if not expect:
        return f"expected no hit, the rule fired on: {_short(hit.snippet)}"
    for name, codes in (captures or {}).items():
        got = set(hit.captures.get(name, ()))
        if got != set(codes):
            return f"captures {name}: expected {sorted(codes)}, got {sorted(got)}"
    return ""


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


# -- corpus evaluation -----------------------------------------------------------------------

@dataclass(frozen=True)
class CorpusItem:
    id: str
    lang: str
    title: str
    text: str
    expect: bool
    countries: frozenset[str] | None  # None: the item does not say


def read_corpus(path: Path) -> list[CorpusItem]:
    """A labelled corpus: a YAML list of {id, lang, title, text, expect, countries}."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RuleError(f"corpus: {path}: {exc}", "rule.bad_corpus") from None
    if not isinstance(data, list):
        raise RuleError(f"corpus: {path}: expected a list of items", "rule.bad_corpus")
    items, problems = [], []
    for number, raw in enumerate(data, 1):
        item = _item(raw)
        if isinstance(item, str):
            problems.append(f"item {number}: {item}")
        else:
            items.append(item)
    if problems:
        raise RuleError(f"corpus: {path}: " + "; ".join(problems), "rule.bad_corpus")
    return items


def _item(raw: Any) -> CorpusItem | str:
    """The item, or what is wrong with it."""
    if not isinstance(raw, dict):
        return "not a mapping"
    countries = raw.get("countries")
    if not isinstance(raw.get("id"), str | int) or not isinstance(raw.get("lang"), str):
        return "needs an id and a lang (quote \"no\")"
    if not isinstance(raw.get("expect"), bool):
        return f"{raw['id']}: expect must be true or false"
    if countries is not None and not (isinstance(countries, list) and all(
            isinstance(c, str) for c in countries)):
        return f"{raw['id']}: countries must be a list of quoted ISO codes (\"NO\", not NO)"
    return CorpusItem(str(raw["id"]), raw["lang"], str(raw.get("title") or ""),
                      str(raw.get("text") or ""), raw["expect"],
                      None if countries is None else frozenset(countries))


@dataclass(frozen=True)
class Score:
    n: int
    precision: float | None
    recall: float | None
    f1: float | None


@dataclass(frozen=True)
class Miss:
    id: str
    kind: str  # false_positive | false_negative | wrong_capture
    lang: str
    expected: tuple[str, ...]  # the item's countries
    captured: tuple[str, ...]  # what the hit captured (empty without a hit)


@dataclass(frozen=True)
class Evaluation:
    rule_id: str
    overall: Score
    capture_exact: float | None  # None: no true positive with countries to compare
    per_language: Mapping[str, Score]
    misses: tuple[Miss, ...]

    def to_json(self) -> dict[str, Any]:
        """The stable keys of ``newsmon rules eval --format json``."""
        return {
            "precision": _round(self.overall.precision), "recall": _round(self.overall.recall),
            "f1": _round(self.overall.f1), "capture_exact": _round(self.capture_exact),
            "per_language": {lang: {"n": s.n, "precision": _round(s.precision),
                                    "recall": _round(s.recall), "f1": _round(s.f1)}
                             for lang, s in self.per_language.items()},
            "misses": [{"id": m.id, "kind": m.kind} for m in self.misses],
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def score(n: int, tp: int, fp: int, fn: int) -> Score:
    def ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    return Score(n, ratio(tp, tp + fp), ratio(tp, tp + fn), ratio(2 * tp, 2 * tp + fp + fn))


Progress = Callable[[Sequence[CorpusItem]], Iterable[CorpusItem]]


def evaluate(rules: RuleSet, items: Sequence[CorpusItem],
             progress: Progress | None = None) -> Evaluation:
    """The first rule of ``rules`` over ``items``: scores overall and per language."""
    rule = rules.rules[0]
    matcher = Matcher(rules, include_disabled=True)
    name = capture_name(rule)
    counts: dict[str, list[int]] = {}  # lang: [n, tp, fp, fn]
    misses, exact, compared = [], 0, 0
    for item in progress(items) if progress else items:
        hit = next((h for h in matcher.match(item.title, item.text, item.lang)
                    if h.rule_id == rule.id), None)
        captured = tuple(hit.captures.get(name, ())) if hit and name else ()
        expected = tuple(sorted(item.countries or ()))
        tally = counts.setdefault(item.lang, [0, 0, 0, 0])
        tally[0] += 1
        kind = None
        if hit and item.expect:
            tally[1] += 1
            if name and item.countries is not None:
                compared += 1
                exact += set(captured) == item.countries
                kind = None if set(captured) == item.countries else WRONG_CAPTURE
        elif hit:
            tally[2] += 1
            kind = FALSE_POSITIVE
        elif item.expect:
            tally[3] += 1
            kind = FALSE_NEGATIVE
        if kind:
            misses.append(Miss(item.id, kind, item.lang, expected, captured))
    totals = [sum(t[i] for t in counts.values()) for i in range(4)]
    return Evaluation(rule.id, score(*totals), exact / compared if compared else None,
                      {lang: score(*counts[lang]) for lang in sorted(counts)}, tuple(misses))
