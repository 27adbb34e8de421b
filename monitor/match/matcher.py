"""The matcher: one mechanism for every rule and language.

An article is analysed once (:func:`monitor.match.text.analyse` on title + text) and its
terms found once (:class:`monitor.match.lexicon.Lexicon`); each rule then only evaluates its
tree over what was found, unit by unit (a sentence, a paragraph, the article, or a window
of tokens):

- a ``concept`` / ``keywords`` leaf holds when one of its terms is in the unit;
- an ``entity: country`` leaf holds when a country outside ``except`` (inside ``only``) is;
- a ``regex`` leaf holds when the pattern matches the unit's text;
- a leaf with ``context`` may also be found in the sentences before, the paragraph, the
  lead or the title;
- ``unless`` vetoes clauses: an ingredient found in a clause that holds one of its cues does
  not count ("Hungary refuses to join the guarantees"), while the same ingredient elsewhere
  in the sentence still does ("X, which had refused last week, now pledged...";
  "Irlanda —que no podía desplegar...— aportará...").

A capture keeps the committing country, not every country named nearby: of the countries
that satisfy the leaf, those in a clause with another ingredient of the match, nearest to it.
The presearcher (:mod:`monitor.match.presearch`) first asks which rules may fire at all, in
one cheap pass over the article's words; the article is analysed only when some may. Of
those, a rule is evaluated only when the terms found hold every concept it requires, and in
sentence scope only the sentences holding them become units.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from monitor.match.concepts import ConceptSpec
from monitor.match.lexicon import CONCEPT, COUNTRY, KEYWORD, Found, Lexicon
from monitor.match.presearch import Presearcher
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
    RuleSet,
    RuleSpec,
    keyword_key,
    leaves,
    required,
)
from monitor.match.text import Analysis, analyse

CAPTURE_SLACK = 3  # tokens: countries this close to the nearest are captured too
ANAPHOR = "@anaphor"  # the built-in concept of phrases such as "the country" (data/anaphors.yaml)


@functools.cache
def anaphor_concept() -> ConceptSpec:
    """"the country", "le pays", "das Land"...: a concept every matcher knows."""
    import yaml

    path = Path(str(resources.files("monitor.match") / "data" / "anaphors.yaml"))
    data = path.read_bytes()
    terms = {str(lang): tuple(phrases) for lang, phrases in yaml.safe_load(data).items()}
    return ConceptSpec(name=ANAPHOR, description="phrases that refer to a country named before",
                       terms=terms, exclude={}, extends=(), path=path,
                       digest=hashlib.sha256(data).hexdigest(), uses=frozenset({ANAPHOR}))


@dataclass(frozen=True)
class Span:
    leaf: str  # "concept:commitment", "country:FR", "regex", "keyword"
    start: int  # character offsets in RuleMatch.text
    end: int


@dataclass(frozen=True)
class RuleMatch:
    """A rule firing on one article."""

    rule_id: str
    rule_version: str
    lang: str
    captures: Mapping[str, tuple[str, ...]]
    sentences: tuple[tuple[int, int], ...]  # character spans of the matched unit in ``text``
    spans: tuple[Span, ...]
    text: str  # what was analysed: title, a blank line, text

    @property
    def snippet(self) -> str:
        return self.snippet_with_spans()[0]

    def snippet_with_spans(self) -> tuple[str, tuple[tuple[str, int, int], ...]]:
        """The matched sentences joined by a space, and the spans moved into that text."""
        parts, shifts, position = [], [], 0
        for start, end in self.sentences:
            piece = self.text[start:end]
            lead = len(piece) - len(piece.lstrip())
            piece = piece.strip()
            shifts.append((start + lead, start + lead + len(piece), position))
            parts.append(piece)
            position += len(piece) + 1
        spans = []
        for span in self.spans:
            for begin, finish, offset in shifts:
                if begin <= span.start and span.end <= finish:
                    spans.append((span.leaf, span.start - begin + offset,
                                  span.end - begin + offset))
                    break
        return " ".join(parts), tuple(spans)


@dataclass
class _Unit:
    sentences: tuple[int, ...]
    found: list[Found]
    vetoed: frozenset[tuple[int, int]] = frozenset()  # (sentence, clause) holding a veto


@dataclass
class _Result:
    holds: bool
    used: list[Found] = field(default_factory=list)
    captures: dict[str, list[Found]] = field(default_factory=dict)


def _keywords(rules: Iterable[RuleSpec]) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for rule in rules:
        for leaf in leaves(rule.match, *rule.unless):
            if isinstance(leaf, KeywordsLeaf):
                found[keyword_key(rule, leaf)] = leaf.keywords
    return found


class Matcher:
    """Every enabled rule of a RuleSet over articles; build once, use for many articles."""

    def __init__(self, rules: RuleSet, *, include_disabled: bool = False) -> None:
        self.rules = rules.rules if include_disabled else rules.enabled
        self.lexicon = Lexicon({**rules.concepts, ANAPHOR: anaphor_concept()},
                               _keywords(self.rules))
        self.presearch = Presearcher(self.rules, self.lexicon)

    def match(self, title: str, text: str, lang: str, *, feed_tags: Sequence[str] = (),
              feed_url: str | None = None) -> list[RuleMatch]:
        """Every rule firing on the article. The article is analysed only when the
        presearcher says some rule may fire, and then only the paragraphs it can reach."""
        title = title.strip()
        body = f"{title}\n\n{text}" if title else text
        scan = self.presearch.scan(body, lang, len(title))
        maybe = [index for index in self.presearch.candidates(scan)
                 if _applies(self.rules[index], lang, feed_tags, feed_url)]
        if not maybe:
            return []
        analysis = analyse(body, lang, self.presearch.reach(scan, maybe))
        found = self.lexicon.find(analysis)
        hits = []
        for index in maybe:
            hit = _evaluate(self.rules[index], analysis, found, len(title))
            if hit is not None:
                hits.append(hit)
        return hits

    def explain(self, title: str, text: str, lang: str) -> tuple[Analysis, list[Found]]:
        """The analysis and every term found, for ``newsmon rules explain``."""
        title = title.strip()
        analysis = analyse(f"{title}\n\n{text}" if title else text, lang)
        return analysis, self.lexicon.find(analysis)


@functools.cache
def _entity_data(lang: str) -> str:
    from monitor.match.countries import data_fingerprint, languages

    country = data_fingerprint(lang) if lang in languages() else ""
    return country + anaphor_concept().digest


def _version(rule: RuleSpec, lang: str) -> str:
    """The rule's version (its file and concepts) with the entity data it used in ``lang``:
    a hit says exactly what produced it."""
    if not any(isinstance(leaf, EntityLeaf) for leaf in leaves(rule.match, *rule.unless)):
        return rule.version
    return hashlib.sha256(f"{rule.version}:{_entity_data(lang)}".encode()).hexdigest()


def _applies(rule: RuleSpec, lang: str, tags: Sequence[str], url: str | None) -> bool:
    if rule.languages and lang not in rule.languages:
        return False
    if rule.feeds.tags and not set(rule.feeds.tags) & set(tags):
        return False
    return not (rule.feeds.urls and url not in rule.feeds.urls)


def _veto_clauses(rule: RuleSpec, analysis: Analysis, found: Sequence[Found],
                  title_end: int) -> frozenset[tuple[int, int]]:
    """The clauses holding a cue of one of the rule's ``unless`` conditions."""
    everywhere = _Unit(tuple(range(len(analysis.sentences))), list(found))
    clauses: set[tuple[int, int]] = set()
    for condition in rule.unless:
        result = _holds(condition, rule, everywhere, analysis, found, title_end)
        if result.holds:
            clauses |= {(f.sentence, f.clause) for f in result.used}
    return frozenset(clauses)


def _units(rule: RuleSpec, analysis: Analysis, found: Sequence[Found],
           title_end: int) -> Iterable[_Unit]:
    """The rule's units that may hold it: in sentence scope, only the sentences holding
    every key that the root's ``all`` needs in the unit itself (leaves without context)."""
    vetoed: frozenset[tuple[int, int]] | None = None
    units = (_sentence_units(rule, analysis, found, title_end) if rule.scope.unit == "sentence"
             else _raw_units(rule, analysis, found, title_end))
    for unit in units:
        if vetoed is None:
            vetoed = _veto_clauses(rule, analysis, found, title_end)
        unit.vetoed = vetoed
        yield unit


def _sentence_units(rule: RuleSpec, analysis: Analysis, found: Sequence[Found],
                    title_end: int) -> Iterable[_Unit]:
    needed = _in_unit(rule)
    by_sentence: dict[int, list[Found]] = {}
    for f in found:
        by_sentence.setdefault(f.sentence, []).append(f)
    for i, sentence in enumerate(analysis.sentences):
        items = by_sentence.get(i, [])
        if not _in_fields(rule, sentence.start, title_end) or (
                needed and not needed <= {(f.kind, f.key) for f in items}):
            continue
        yield _Unit((i,), items)


def _in_unit(rule: RuleSpec) -> set[tuple[str, str]]:
    """Keys a unit must hold: the rule's required keys whose leaves have no context."""
    keys = set()
    for leaf in required(rule.match):
        if isinstance(leaf, ConceptLeaf) and leaf.context is None:
            keys.add((CONCEPT, leaf.concept))
        elif isinstance(leaf, KeywordsLeaf) and leaf.context is None:
            keys.add((KEYWORD, keyword_key(rule, leaf)))
    return keys


def _raw_units(rule: RuleSpec, analysis: Analysis, found: Sequence[Found],
               title_end: int) -> Iterable[_Unit]:
    sentences = [i for i, s in enumerate(analysis.sentences) if _in_fields(rule, s.start,
                                                                            title_end)]
    unit = rule.scope.unit
    if unit == "article":
        yield _Unit(tuple(sentences), [f for f in found if f.sentence in sentences])
    elif unit == "paragraph":
        paragraphs: dict[int, list[int]] = {}
        for i in sentences:
            paragraphs.setdefault(analysis.sentences[i].paragraph, []).append(i)
        for members in paragraphs.values():
            yield _Unit(tuple(members), [f for f in found if f.sentence in members])
    elif unit == "window":
        yield from _windows(rule.scope.window, analysis, found, sentences)
    else:
        for i in sentences:
            yield _Unit((i,), [f for f in found if f.sentence == i])


def _windows(size: int, analysis: Analysis, found: Sequence[Found],
             sentences: Sequence[int]) -> Iterable[_Unit]:
    """Windows of ``size`` tokens, one starting at each term found."""
    offsets, total = {}, 0
    for i, sentence in enumerate(analysis.sentences):
        offsets[i] = total
        total += len(sentence.tokens)
    placed = [(offsets[f.sentence] + f.first, f) for f in found if f.sentence in sentences]
    for position, _ in placed:
        members = [f for p, f in placed if position <= p < position + size]
        yield _Unit(tuple(sorted({f.sentence for f in members})), members)


def _in_fields(rule: RuleSpec, start: int, title_end: int) -> bool:
    in_title = start < title_end
    return ("title" in rule.fields) if in_title else ("text" in rule.fields)


def _evaluate(rule: RuleSpec, analysis: Analysis, found: Sequence[Found],
              title_end: int) -> RuleMatch | None:
    """One match per rule and article, over every unit where the rule holds: an article
    where two countries commit in two sentences captures both."""
    captures: dict[str, set[str]] = {}
    used: dict[Found, None] = {}
    shown: set[int] = set()
    for unit in _units(rule, analysis, found, title_end):
        result = _holds(rule.match, rule, unit, analysis, found, title_end)
        if not result.holds:
            continue
        for name, items in result.captures.items():
            captures.setdefault(name, set()).update(_committing(items, result.used))
        used.update(dict.fromkeys(result.used))
        shown |= set(unit.sentences) | {f.sentence for f in result.used}
    if not shown:
        return None
    spans = tuple(Span(f"{f.kind}:{f.key}", f.start, f.end)
                  for f in sorted(used, key=lambda f: f.start))
    sentences = tuple((analysis.sentences[i].start, analysis.sentences[i].end)
                      for i in sorted(shown))
    return RuleMatch(rule.id, _version(rule, analysis.lang), analysis.lang,
                     {name: tuple(sorted(codes)) for name, codes in captures.items()},
                     sentences, spans, analysis.text)


def _context_sentences(context: Context, unit: _Unit, analysis: Analysis,
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


def _candidates(leaf: MatchNode, rule: RuleSpec, unit: _Unit, analysis: Analysis,
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


def _regex_hits(leaf: RegexLeaf, unit: _Unit, analysis: Analysis) -> list[Found]:
    hits = []
    for i in unit.sentences:
        sentence = analysis.sentences[i]
        for m in leaf.pattern.finditer(analysis.text, sentence.start, sentence.end):
            clause = next((t.clause for t in sentence.tokens if t.end > m.start()), 0)
            hits.append(Found("regex", leaf.pattern.pattern, i, 0, 0, m.start(), m.end(),
                              clause))
    return hits


def _holds(node: MatchNode, rule: RuleSpec, unit: _Unit, analysis: Analysis,
           found: Sequence[Found], title_end: int) -> _Result:
    if isinstance(node, AllNode):
        parts = [_holds(c, rule, unit, analysis, found, title_end) for c in node.children]
        if not all(p.holds for p in parts):
            return _Result(False)
        return _Result(True, [f for p in parts for f in p.used],
                       {k: v for p in parts for k, v in p.captures.items()})
    if isinstance(node, AnyNode):
        parts = [_holds(c, rule, unit, analysis, found, title_end) for c in node.children]
        held = [p for p in parts if p.holds]
        return _Result(bool(held), [f for p in held for f in p.used],
                       {k: v for p in held for k, v in p.captures.items()})
    if isinstance(node, NotNode):
        inner = _holds(node.child, rule, unit, analysis, found, title_end)
        return _Result(not inner.holds)
    items = _candidates(node, rule, unit, analysis, found, title_end)
    capture = getattr(node, "capture", None)
    return _Result(bool(items), items, {capture: items} if capture and items else {})


def _vetoed(rule: RuleSpec, unit: _Unit, used: Sequence[Found], analysis: Analysis,
            found: Sequence[Found], title_end: int) -> bool:
    """Whether the rule's ``unless`` conditions are what stops the match in this unit (for
    ``newsmon rules explain``): it holds with no clause vetoed, and not with theirs."""
    free = _Unit(unit.sentences, unit.found)
    if not _holds(rule.match, rule, free, analysis, found, title_end).holds:
        return False
    barred = _Unit(unit.sentences, unit.found, _veto_clauses(rule, analysis, found, title_end))
    return not _holds(rule.match, rule, barred, analysis, found, title_end).holds


def _committing(candidates: Sequence[Found], used: Sequence[Found]) -> tuple[str, ...]:
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
