"""``newsmon rules explain``: how one rule reads one text, and why it fires or not.

The trace runs the matcher's own unit and tree evaluation (:mod:`monitor.match.holds`) on a
full analysis, so that what it says is what the Matcher does: the sentence split, each
leaf's candidates (for a sequence, the words of every chain it found), each unit with the
leaves it lacks and the conditions that veto it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from monitor.match.holds import Unit, holds, raw_units, vetoed
from monitor.match.lexicon import Found
from monitor.match.matcher import Matcher, RuleMatch
from monitor.match.rules import (
    AllNode,
    ConceptLeaf,
    EntityLeaf,
    KeywordsLeaf,
    MatchNode,
    NotNode,
    RegexLeaf,
    RuleSet,
    RuleSpec,
    SequenceLeaf,
    leaves,
    required,
)
from monitor.match.text import Analysis


@dataclass(frozen=True)
class UnitTrace:
    sentences: tuple[int, ...]
    missing: tuple[str, ...]  # labels of match leaves with no candidate here (context included)
    holds: bool  # the match tree holds in this unit
    vetoed_by: tuple[str, ...]  # unless conditions that veto it


@dataclass(frozen=True)
class Explanation:
    rule: RuleSpec
    analysis: Analysis
    title_end: int  # sentences starting before this offset are the title
    found: tuple[Found, ...]
    leaves: tuple[tuple[str, tuple[Found, ...]], ...]  # each match leaf, its candidates
    unless: tuple[tuple[str, tuple[Found, ...]], ...]  # each unless condition, its terms
    units: tuple[UnitTrace, ...]
    hit: RuleMatch | None
    why_not: tuple[str, ...]


def leaf_label(rule: RuleSpec, node: MatchNode) -> str:
    if isinstance(node, ConceptLeaf):
        return f"concept:{node.concept}"
    if isinstance(node, EntityLeaf):
        limits = (f" only {','.join(sorted(node.only))}" if node.only is not None else "") + (
            f" except {','.join(sorted(node.excluded))}" if node.excluded else "")
        return f"entity:{node.entity}{limits}"
    if isinstance(node, RegexLeaf):
        return f"regex:/{node.pattern.pattern}/"
    if isinstance(node, KeywordsLeaf):
        return "keywords:" + ",".join(node.keywords)
    if isinstance(node, SequenceLeaf):
        return ("sequence(" + ", ".join(leaf_label(rule, item) for item in node.items) +
                f"; max_gap {node.max_gap})")
    if isinstance(node, NotNode):
        return f"not {leaf_label(rule, node.child)}"
    kind = "all" if isinstance(node, AllNode) else "any"
    return f"{kind}(" + ", ".join(leaf_label(rule, c) for c in node.children) + ")"


def explain(rules: RuleSet, title: str, text: str, lang: str) -> Explanation:
    """How the first rule of ``rules`` reads one text, and why it fires or not."""
    rule = rules.rules[0]
    engine = Matcher(rules, include_disabled=True)
    analysis, found = engine.explain(title, text, lang)
    title_end = len(title.strip())
    everywhere = Unit(tuple(range(len(analysis.sentences))), list(found))

    def terms(node: MatchNode, unit: Unit) -> tuple[Found, ...]:
        """What satisfies ``node`` in the unit (for ``not X``: what satisfies X)."""
        inner = node.child if isinstance(node, NotNode) else node
        return tuple(holds(inner, rule, unit, analysis, found, title_end).used)

    units = []
    for unit in raw_units(rule, analysis, found, title_end):  # before any veto
        result = holds(rule.match, rule, unit, analysis, found, title_end)
        vetoes = tuple(leaf_label(rule, c) for c in rule.unless if result.holds and vetoed(
            replace(rule, unless=(c,)), unit, result.used, analysis, found, title_end))
        missing = tuple(leaf_label(rule, leaf) for leaf in required(rule.match)
                        if not terms(leaf, unit))
        units.append(UnitTrace(unit.sentences, missing, result.holds, vetoes))
    hit = next((h for h in engine.match(title, text, lang) if h.rule_id == rule.id), None)
    trace = Explanation(
        rule, analysis, title_end, tuple(found),
        tuple((leaf_label(rule, n), terms(n, everywhere))
              for n in leaves(rule.match, into_not=False, into_sequences=False)),
        tuple((leaf_label(rule, n), terms(n, everywhere)) for n in rule.unless),
        tuple(units), hit, ())
    return replace(trace, why_not=() if hit else _why_not(trace, lang))


def _why_not(trace: Explanation, lang: str) -> tuple[str, ...]:
    rule = trace.rule
    if rule.languages and lang not in rule.languages:
        return (f"the rule runs on {', '.join(sorted(rule.languages))} only, not {lang}",)
    if not trace.units:
        return (f"no sentence in the rule's fields ({', '.join(rule.fields)})",)
    vetoed = [u for u in trace.units if u.holds and u.vetoed_by]
    if vetoed:
        return tuple(dict.fromkeys(f"{_where(rule, u.sentences)}: the match holds but "
                                   f"{' and '.join(u.vetoed_by)} vetoes it (same clause)"
                                   for u in vetoed))
    needed = {leaf_label(rule, leaf) for leaf in required(rule.match)}
    nowhere = [label for label, items in trace.leaves if label in needed and not items]
    if nowhere:
        return tuple(f"{label}: found nowhere in the text" for label in nowhere)
    fewest = min(len(u.missing) for u in trace.units)
    if not fewest:
        return ("the required leaves meet in a unit, but the rest of the tree (any/not) "
                "holds in none",)
    return tuple(dict.fromkeys(f"{_where(rule, u.sentences)} lacks {', '.join(u.missing)}"
                               for u in trace.units if len(u.missing) == fewest))


def _where(rule: RuleSpec, sentences: Sequence[int]) -> str:
    numbers = ", ".join(str(i + 1) for i in sentences)
    plural = "s" if len(sentences) > 1 else ""
    if rule.scope.unit == "window":
        return f"a {rule.scope.window}-token window in sentence{plural} {numbers}"
    if rule.scope.unit == "paragraph":
        return f"the paragraph of sentence{plural} {numbers}"
    if rule.scope.unit == "article":
        return "the article"
    return f"sentence {numbers}"
