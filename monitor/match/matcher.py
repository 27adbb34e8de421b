"""The matcher: one mechanism for every rule and language.

For each article, the presearcher (:mod:`monitor.match.presearch`) first asks, in one cheap
pass over its words, which rules may fire at all and which paragraphs they can reach; most
articles stop there. Otherwise those paragraphs are analysed (:func:`monitor.match.text.analyse`
on title + text), their terms found once (:class:`monitor.match.lexicon.Lexicon`), and each
candidate rule evaluates its tree over what was found, unit by unit (a sentence, a
paragraph, the article, or a window of tokens): :mod:`monitor.match.holds` says how a leaf,
a context, a veto and a capture work. A rule fires at most once per article, with every
unit where it holds: two countries committing in two sentences are both captured.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from monitor.match.concepts import ConceptSpec
from monitor.match.holds import committing, holds, units
from monitor.match.lexicon import ANAPHOR, Found, Lexicon
from monitor.match.presearch import Presearcher
from monitor.match.rules import EntityLeaf, KeywordsLeaf, RuleSet, RuleSpec, keyword_key, leaves
from monitor.match.text import Analysis, analyse


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
            hit = evaluate_rule(self.rules[index], analysis, found, len(title))
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


def evaluate_rule(rule: RuleSpec, analysis: Analysis, found: Sequence[Found],
              title_end: int) -> RuleMatch | None:
    """One match per rule and article, over every unit where the rule holds: an article
    where two countries commit in two sentences captures both."""
    captures: dict[str, set[str]] = {}
    used: dict[Found, None] = {}
    shown: set[int] = set()
    for unit in units(rule, analysis, found, title_end):
        result = holds(rule.match, rule, unit, analysis, found, title_end)
        if not result.holds:
            continue
        for name, items in result.captures.items():
            captures.setdefault(name, set()).update(committing(items, result.used))
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
