"""How a rule holds over an analysed text: its units, each leaf's candidates, vetoes and
captures. :class:`monitor.match.matcher.Matcher` evaluates rules with these, and
``newsmon rules explain`` (:mod:`monitor.match.explain`) traces them.

- a ``concept`` / ``keywords`` leaf holds when one of its terms is in the unit;
- an ``entity: country`` leaf holds when a country outside ``except`` (inside ``only``) is,
  written as a name ("US", not "us"), not as a dateline ("PARIS –"), or named by an anaphor
  ("the country") in the sentence after it;
- a ``regex`` leaf holds when the pattern matches the unit's text;
- a ``sequence`` holds when its items follow each other in that order in one sentence, at
  most ``max_gap`` tokens apart; an affix term (a prefix such as Arabic "ل-", a case ending
  such as Finnish "-lle") is glued to the word next to it in the sequence; an entity item is
  the country next to its neighbours: in "guarantees for Ukraine and Moldova" the country
  after "for" is Ukraine, never Moldova;
- a leaf with ``context`` may also be found in the sentences before, the paragraph, the
  lead or the title;
- ``unless`` vetoes clauses: an ingredient found in a clause that holds one of its cues does
  not count ("Hungary refuses to join the guarantees"), while the same ingredient elsewhere
  in the sentence still does ("X, which had refused last week, now pledged...").

A capture keeps the committing country, not every country named nearby: of the countries
that satisfy the leaf, those in a clause with another ingredient of the match, nearest to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from monitor.match.lexicon import ANAPHOR, CONCEPT, COUNTRY, KEYWORD, PREFIX, SUFFIX, Found
from monitor.match.rules import (
    AllNode,
    AnyNode,
    ConceptLeaf,
    Context,
    EntityLeaf,
    KeywordsLeaf,
    MatchNode,
    NotNode,
    RegexLeaf,
    RuleSpec,
    SequenceLeaf,
    keyword_key,
    parts,
    required,
)
from monitor.match.text import Analysis

CAPTURE_SLACK = 3  # tokens: countries this close to the nearest are captured too


@dataclass
class Unit:
    sentences: tuple[int, ...]
    found: list[Found]
    vetoed: frozenset[tuple[int, int]] = frozenset()  # (sentence, clause) holding a veto


@dataclass
class Result:
    holds: bool
    used: list[Found] = field(default_factory=list)
    captures: dict[str, list[Found]] = field(default_factory=dict)


def veto_clauses(rule: RuleSpec, analysis: Analysis, found: Sequence[Found],
                  title_end: int) -> frozenset[tuple[int, int]]:
    """The clauses holding a cue of one of the rule's ``unless`` conditions."""
    everywhere = Unit(tuple(range(len(analysis.sentences))), list(found))
    clauses: set[tuple[int, int]] = set()
    for condition in rule.unless:
        result = holds(condition, rule, everywhere, analysis, found, title_end)
        if result.holds:
            clauses |= {(f.sentence, f.clause) for f in result.used}
    return frozenset(clauses)


def units(rule: RuleSpec, analysis: Analysis, found: Sequence[Found],
           title_end: int) -> Iterable[Unit]:
    """The rule's units that may hold it: in sentence scope, only the sentences holding
    every key that the root's ``all`` needs in the unit itself (leaves without context)."""
    vetoed: frozenset[tuple[int, int]] | None = None
    units = (_sentence_units(rule, analysis, found, title_end) if rule.scope.unit == "sentence"
             else raw_units(rule, analysis, found, title_end))
    for unit in units:
        if vetoed is None:
            vetoed = veto_clauses(rule, analysis, found, title_end)
        unit.vetoed = vetoed
        yield unit


def _sentence_units(rule: RuleSpec, analysis: Analysis, found: Sequence[Found],
                    title_end: int) -> Iterable[Unit]:
    needed = _in_unit(rule)
    by_sentence: dict[int, list[Found]] = {}
    for f in found:
        by_sentence.setdefault(f.sentence, []).append(f)
    for i, sentence in enumerate(analysis.sentences):
        items = by_sentence.get(i, [])
        if not _in_fields(rule, sentence.start, title_end) or (
                needed and not needed <= {(f.kind, f.key) for f in items}):
            continue
        yield Unit((i,), items)


def _in_unit(rule: RuleSpec) -> set[tuple[str, str]]:
    """Keys a unit must hold: the rule's required keys whose leaves have no context."""
    keys = set()
    for leaf in (part for node in required(rule.match) for part in parts(node)):
        if isinstance(leaf, ConceptLeaf) and leaf.context is None:
            keys.add((CONCEPT, leaf.concept))
        elif isinstance(leaf, KeywordsLeaf) and leaf.context is None:
            keys.add((KEYWORD, keyword_key(rule, leaf)))
    return keys


def raw_units(rule: RuleSpec, analysis: Analysis, found: Sequence[Found],
               title_end: int) -> Iterable[Unit]:
    sentences = [i for i, s in enumerate(analysis.sentences) if _in_fields(rule, s.start,
                                                                            title_end)]
    unit = rule.scope.unit
    if unit == "article":
        yield Unit(tuple(sentences), [f for f in found if f.sentence in sentences])
    elif unit == "paragraph":
        paragraphs: dict[int, list[int]] = {}
        for i in sentences:
            paragraphs.setdefault(analysis.sentences[i].paragraph, []).append(i)
        for members in paragraphs.values():
            yield Unit(tuple(members), [f for f in found if f.sentence in members])
    elif unit == "window":
        yield from _windows(rule.scope.window, analysis, found, sentences)
    else:
        for i in sentences:
            yield Unit((i,), [f for f in found if f.sentence == i])


def _windows(size: int, analysis: Analysis, found: Sequence[Found],
             sentences: Sequence[int]) -> Iterable[Unit]:
    """Windows of ``size`` tokens, one starting at each term found."""
    offsets, total = {}, 0
    for i, sentence in enumerate(analysis.sentences):
        offsets[i] = total
        total += len(sentence.tokens)
    placed = [(offsets[f.sentence] + f.first, f) for f in found if f.sentence in sentences]
    for position, _ in placed:
        members = [f for p, f in placed if position <= p < position + size]
        yield Unit(tuple(sorted({f.sentence for f in members})), members)


def _in_fields(rule: RuleSpec, start: int, title_end: int) -> bool:
    in_title = start < title_end
    return ("title" in rule.fields) if in_title else ("text" in rule.fields)


def _context_sentences(context: Context, unit: Unit, analysis: Analysis,
                       title_end: int) -> set[int]:
    first = min(unit.sentences)
    extra = set(range(max(0, first - context.previous_sentences), first))
    if context.paragraph:
        paragraph = analysis.sentences[first].paragraph
        extra |= {i for i, s in enumerate(analysis.sentences) if s.paragraph == paragraph}
    if context.lead:
        body = [i for i, s in enumerate(analysis.sentences) if s.start >= title_end]
        extra |= set(body[:context.lead])
    if context.title:
        extra |= {i for i, s in enumerate(analysis.sentences) if s.start < title_end}
    return extra


def _candidates(leaf: MatchNode, rule: RuleSpec, unit: Unit, analysis: Analysis,
                found: Sequence[Found], title_end: int) -> list[Found]:
    """What satisfies one leaf in the unit, or in its context, outside vetoed clauses."""
    context = getattr(leaf, "context", None)
    pool = list(unit.found)
    if context is not None:
        extra = _context_sentences(context, unit, analysis, title_end) - set(unit.sentences)
        pool += [f for f in found if f.sentence in extra]
    if unit.vetoed:
        pool = [f for f in pool if (f.sentence, f.clause) not in unit.vetoed]
    if isinstance(leaf, ConceptLeaf):
        return [f for f in pool if f.kind == CONCEPT and f.key == leaf.concept]
    if isinstance(leaf, KeywordsLeaf):
        key = keyword_key(rule, leaf)
        return [f for f in pool if f.kind == KEYWORD and f.key == key]
    if isinstance(leaf, EntityLeaf):
        named = [f for f in pool if f.kind == COUNTRY
                 and _plausible_name(f, analysis.text[f.start:f.end])
                 and not _dateline(f, analysis)]
        named += _antecedents([f for f in pool if f.kind == CONCEPT and f.key == ANAPHOR],
                              found)
        return [f for f in named if f.key not in leaf.excluded
                and (leaf.only is None or f.key in leaf.only)]
    if isinstance(leaf, RegexLeaf):
        return _regex_hits(leaf, unit, analysis)
    return []


SHORT_NAME = 3  # letters: "US", "UK", "UAE" fold onto common words ("us")


def _dateline(found: Found, analysis: Analysis) -> bool:
    """A place in capitals opening a paragraph ("PARIS –", "NUUK, Greenland") says where the
    story was written, not who acts."""
    sentence = analysis.sentences[found.sentence]
    first_of_paragraph = found.sentence == 0 or (
        analysis.sentences[found.sentence - 1].paragraph != sentence.paragraph)
    surface = analysis.text[found.start:found.end]
    letters = [c for c in surface if c.isalpha()]
    return (first_of_paragraph and found.first == 0 and len(letters) > SHORT_NAME
            and all(c.isupper() for c in letters))


def _antecedents(anaphors: Sequence[Found], found: Sequence[Found]) -> list[Found]:
    """For "the country" (and the like) in a sentence: the last country named in the sentence
    before, placed where the phrase stands, so it is captured as the one that acts."""
    resolved = []
    for anaphor in anaphors:
        before = [f for f in found if f.kind == COUNTRY and f.sentence == anaphor.sentence - 1]
        if before:
            last = max(before, key=lambda f: f.first)
            resolved.append(Found(COUNTRY, last.key, anaphor.sentence, anaphor.first,
                                  anaphor.last, anaphor.start, anaphor.end, anaphor.clause))
    return resolved


def _plausible_name(found: Found, surface: str) -> bool:
    """A country term counts when written as a name. Ambiguous terms ("Chad", "Jordan") and
    short ones ("US" or "us") need a capital first letter, and two-letter ones all capitals;
    in scripts without case there is nothing to check."""
    letters = [c for c in surface if c.isalpha()]
    if not letters or letters[0].lower() == letters[0].upper():
        return True
    if not found.ambiguous and len(letters) > SHORT_NAME:
        return True
    if not letters[0].isupper():
        return False
    return len(letters) > 2 or all(c.isupper() for c in letters)


def _regex_hits(leaf: RegexLeaf, unit: Unit, analysis: Analysis) -> list[Found]:
    hits = []
    for i in unit.sentences:
        sentence = analysis.sentences[i]
        for m in leaf.pattern.finditer(analysis.text, sentence.start, sentence.end):
            clause = next((t.clause for t in sentence.tokens if t.end > m.start()), 0)
            hits.append(Found("regex", leaf.pattern.pattern, i, 0, 0, m.start(), m.end(),
                              clause))
    return hits


def holds(node: MatchNode, rule: RuleSpec, unit: Unit, analysis: Analysis,
           found: Sequence[Found], title_end: int) -> Result:
    if isinstance(node, AllNode):
        parts = [holds(c, rule, unit, analysis, found, title_end) for c in node.children]
        if not all(p.holds for p in parts):
            return Result(False)
        return Result(True, [f for p in parts for f in p.used],
                       {k: v for p in parts for k, v in p.captures.items()})
    if isinstance(node, AnyNode):
        parts = [holds(c, rule, unit, analysis, found, title_end) for c in node.children]
        held = [p for p in parts if p.holds]
        return Result(bool(held), [f for p in held for f in p.used],
                       {k: v for p in held for k, v in p.captures.items()})
    if isinstance(node, NotNode):
        inner = holds(node.child, rule, unit, analysis, found, title_end)
        return Result(not inner.holds)
    if isinstance(node, SequenceLeaf):
        return _sequence(node, rule, unit, analysis, found, title_end)
    items = _candidates(node, rule, unit, analysis, found, title_end)
    capture = getattr(node, "capture", None)
    return Result(bool(items), items, {capture: items} if capture and items else {})


_ANY_COUNTRY = EntityLeaf("country")


def _sequence(leaf: SequenceLeaf, rule: RuleSpec, unit: Unit, analysis: Analysis,
              found: Sequence[Found], title_end: int) -> Result:
    """Every chain of the items in order in one sentence: its words, and the countries it
    captures."""
    steps = [_candidates(item, rule, unit, analysis, found, title_end) for item in leaf.items]
    if not all(steps):
        return Result(False)
    countries = _candidates(_ANY_COUNTRY, rule, unit, analysis, found, title_end)
    entity = [isinstance(item, EntityLeaf) for item in leaf.items]
    chains: list[tuple[Found, ...]] = [(f,) for f in steps[0]]
    for i in range(1, len(steps)):
        chains = [(*chain, f) for chain in chains for f in steps[i]
                  if _follows(chain[-1], f, leaf.max_gap)
                  and not ((entity[i - 1] or entity[i]) and _between(chain[-1], f, countries))]
    used = list(dict.fromkeys(f for chain in chains for f in chain))
    captures: dict[str, list[Found]] = {}
    for i, item in enumerate(leaf.items):
        if isinstance(item, EntityLeaf) and item.capture and chains:
            captures.setdefault(item.capture, []).extend(
                dict.fromkeys(chain[i] for chain in chains))
    return Result(bool(chains), used, captures)


def _follows(before: Found, after: Found, gap: int) -> bool:
    """Whether ``after`` comes next to ``before`` in a sequence: in the same sentence, at most
    ``gap`` tokens later; a prefix and the word it is glued to, or a word and its suffix,
    share one token."""
    if before.sentence != after.sentence:
        return False
    if before.affix == PREFIX or after.affix == SUFFIX:
        return after.first == before.last
    return 0 <= after.first - before.last - 1 <= gap


def _between(before: Found, after: Found, countries: Sequence[Found]) -> bool:
    """Whether a country stands between two items of a sequence."""
    return any(c.sentence == before.sentence and before.last < c.first and c.last < after.first
               for c in countries)


def vetoed(rule: RuleSpec, unit: Unit, used: Sequence[Found], analysis: Analysis,
            found: Sequence[Found], title_end: int) -> bool:
    """Whether the rule's ``unless`` conditions are what stops the match in this unit (for
    ``newsmon rules explain``): it holds with no clause vetoed, and not with theirs."""
    free = Unit(unit.sentences, unit.found)
    if not holds(rule.match, rule, free, analysis, found, title_end).holds:
        return False
    barred = Unit(unit.sentences, unit.found, veto_clauses(rule, analysis, found, title_end))
    return not holds(rule.match, rule, barred, analysis, found, title_end).holds


def committing(candidates: Sequence[Found], used: Sequence[Found]) -> tuple[str, ...]:
    """The countries that do the act: in a clause with another ingredient, nearest to it."""
    others = [f for f in used if f.kind != COUNTRY]
    if not others:
        return tuple(sorted({c.key for c in candidates}))

    def score(country: Found) -> tuple[int, int]:
        same = [o for o in others if o.sentence == country.sentence]
        in_clause = any(o.clause == country.clause for o in same)
        distance = min((abs(o.first - country.first) for o in same), default=10_000)
        return (0 if in_clause else 1, distance)

    scored = sorted((score(c), c.key) for c in candidates)
    best_clause, best_distance = scored[0][0]
    keep = {key for (clause, distance), key in scored
            if clause == best_clause and distance <= best_distance + CAPTURE_SLACK}
    return tuple(sorted(keep))
