"""The presearcher: which rules an article may fire, known before the article is analysed.

As in Lucene's Monitor and the Elasticsearch percolator, rules are indexed by the terms they
cannot fire without, and an article is first reduced to the terms it holds. Only when some
rule has all of its required terms does the article get the full analysis (sentences,
clauses, tokens) and the rule its evaluation; most articles hold none and cost one pass:

- the article's words are found with analyse()'s own token pattern and turned into their
  folded lemma and surface forms through analyse()'s word cache; each form list is joined
  with spaces into one string for the whole article;
- one Aho-Corasick automaton per language holds the terms (lemmas and surface forms, as
  :class:`monitor.match.lexicon.Lexicon` indexes them) of the concepts and keywords some
  rule needs; a term with a gap is indexed as its parts;
- a key is present when one of its terms occurs on token edges or, in languages with closed
  compounds, as a token's head (:func:`monitor.match.text.matches_compound`); a gapped term
  when each of its parts occurs.

The pass ignores sentence and clause bounds, part order and exclude phrases, so it finds a
superset of the keys :meth:`Lexicon.find` reports on the same text: it may let a rule through
that then does not fire, never the reverse (tests/test_presearch.py checks it on corpora).

Required keys are the concept and keyword leaves that ``all`` nodes from the root require.
Each rule is indexed under the one required key the fewest rules share. A rule with no
required key (only ``any``, entities, regexes) is a candidate when one of its positive
concept or keyword leaves is present, always when it has a regex leaf or no such leaf.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.match.lexicon import CONCEPT, GAP, KEYWORD, Lexicon, phrase_forms
from monitor.match.rules import (
    ConceptLeaf,
    Context,
    KeywordsLeaf,
    RegexLeaf,
    RuleSpec,
    keyword_key,
    leaves,
    required,
)
from monitor.match.text import (
    CACHE_WORDS,
    matches_compound,
    paragraphs,
    token_pattern,
    word_forms,
)

Key = tuple[str, str]  # (kind, key): ("concept", "commitment"), ("keyword", "rule#1a2b3c4d")
Mark = tuple[Key, int, int, int]  # key, gapped term id (0: none), part index, part count


def required_keys(rule: RuleSpec) -> frozenset[Key]:
    """The concept and keyword keys an article must hold for ``rule`` to fire."""
    keys: set[Key] = set()
    for leaf in required(rule.match):
        if isinstance(leaf, ConceptLeaf):
            keys.add((CONCEPT, leaf.concept))
        elif isinstance(leaf, KeywordsLeaf):
            keys.add((KEYWORD, keyword_key(rule, leaf)))
    return frozenset(keys)


def positive_keys(rule: RuleSpec) -> frozenset[Key] | None:
    """The keys of the rule's concept and keyword leaves outside ``not``; None when it may
    fire without any (a regex leaf, or no such leaf)."""
    keys: set[Key] = set()
    for leaf in leaves(rule.match, into_not=False):
        if isinstance(leaf, RegexLeaf):
            return None
        if isinstance(leaf, ConceptLeaf):
            keys.add((CONCEPT, leaf.concept))
        elif isinstance(leaf, KeywordsLeaf):
            keys.add((KEYWORD, keyword_key(rule, leaf)))
    return frozenset(keys) or None


@dataclass(frozen=True)
class Scan:
    """What the presearch pass saw in one article: the paragraphs holding each wanted key
    (paragraphs as :func:`monitor.match.text.paragraphs` numbers them, the title first)."""

    keys: Mapping[Key, frozenset[int]]
    title: frozenset[int]  # the title's paragraphs
    paragraphs: int


@dataclass(frozen=True)
class _Shape:
    """How a rule's required keys must sit for it to fire: the keys that must share one
    paragraph (required leaves without context), and the leaves with a context."""

    local: frozenset[Key]
    context: tuple[tuple[Key, Context], ...]
    by_paragraph: bool  # sentence or paragraph scope: units never cross a paragraph


class Presearcher:
    """The rules of a matcher indexed by their required keys, and the cheap article pass."""

    def __init__(self, rules: Sequence[RuleSpec], lexicon: Lexicon) -> None:
        self.required = [required_keys(rule) for rule in rules]
        self._shapes = [_shape(rule) for rule in rules]
        self._positive = [positive_keys(rule) for rule in rules]
        self._lexicon = lexicon
        sharing: dict[Key, int] = {}
        for keys in self.required:
            for key in keys:
                sharing[key] = sharing.get(key, 0) + 1
        self._index: dict[Key, list[int]] = {}
        self._unindexed: list[int] = []
        for position, keys in enumerate(self.required):
            if keys:
                rarest = min(sorted(keys), key=sharing.__getitem__)
                self._index.setdefault(rarest, []).append(position)
            else:
                self._unindexed.append(position)
        self.wanted: set[Key] = set(sharing)
        for position in self._unindexed:
            self.wanted |= self._positive[position] or set()
        self._automata: dict[str, Any] = {}
        self._gaps: dict[int, tuple[Key, int]] = {}
        self._words: dict[str, tuple[dict[str, str], dict[str, str]]] = {}

    def candidates(self, scan: Scan) -> list[int]:
        """Positions of the rules that may fire on the scanned article, in rule order."""
        present = scan.keys.keys()
        chosen = set()
        for key in present:
            for position in self._index.get(key, ()):
                if self.required[position] <= present and _fits(self._shapes[position], scan):
                    chosen.add(position)
        for position in self._unindexed:
            positive = self._positive[position]
            if positive is None or not positive.isdisjoint(present):
                chosen.add(position)
        return sorted(chosen)

    def scan(self, text: str, lang: str, title_end: int = 0) -> Scan:
        """The wanted keys ``text`` may hold and where: for each key, a superset of the
        paragraphs where Lexicon.find() would find it. ``text[:title_end]`` is the title."""
        spans = list(paragraphs(text))
        title = frozenset(index for start, _, index in spans if start < title_end)
        automaton = self.automaton(lang)
        if not len(automaton):
            return Scan({}, title, len(spans))
        lemmas, norms = self._forms(text, spans, lang)
        where: dict[Key, set[int]] = {}
        parts: dict[tuple[int, int], set[int]] = {}
        for pieces in (lemmas,) if norms == lemmas else (lemmas, norms):
            starts = list(itertools.accumulate((len(piece) + 1 for piece in pieces[:-1]),
                                               initial=0))
            for begin, (key, gap, index, _) in _scan(automaton, "\n".join(pieces), lang):
                paragraph = bisect.bisect_right(starts, begin) - 1
                if not gap:
                    where.setdefault(key, set()).add(paragraph)
                else:
                    parts.setdefault((gap, paragraph), set()).add(index)
        for (gap, paragraph), seen in parts.items():  # a gapped term stays in one clause
            key, count = self._gaps[gap]
            if len(seen) == count:
                where.setdefault(key, set()).add(paragraph)
        return Scan({key: frozenset(found) for key, found in where.items()}, title, len(spans))

    def _forms(self, text: str, spans: Sequence[tuple[int, int, int]], lang: str
               ) -> tuple[list[str], list[str]]:
        """Each paragraph's folded lemmas and folded words, joined by spaces (as analyse()
        gives them, token by token)."""
        lemma_of, norm_of = self._words.setdefault(lang, ({}, {}))
        if len(lemma_of) > CACHE_WORDS:
            lemma_of.clear()
            norm_of.clear()
        find = _word_pattern().findall
        lemmas, norms = [], []
        for start, end, _ in spans:
            words = find(text, start, end)
            try:
                lemmas.append(" ".join(map(lemma_of.__getitem__, words)))
            except KeyError:
                self._learn(words, lang, lemma_of, norm_of)
                lemmas.append(" ".join(map(lemma_of.__getitem__, words)))
            norms.append(" ".join(map(norm_of.__getitem__, words)))
        return lemmas, norms

    @staticmethod
    def _learn(words: Sequence[str], lang: str, lemma_of: dict[str, str],
               norm_of: dict[str, str]) -> None:
        pattern = token_pattern()
        for word in words:
            if word not in lemma_of:
                match = pattern.fullmatch(word)
                pieces = word_forms(word, (match.lastgroup or "") if match else "", lang)
                lemma_of[word] = " ".join(piece[3] for piece in pieces)
                norm_of[word] = " ".join(piece[2] for piece in pieces)

    def automaton(self, lang: str) -> Any:
        """The presearch automaton of ``lang``, built at first use."""
        if lang not in self._automata:
            self._automata[lang] = self._build(lang)
        return self._automata[lang]

    def _build(self, lang: str) -> Any:
        import ahocorasick

        table: dict[str, list[Mark]] = {}
        for kind, key, phrase, _ in self._lexicon.entries(lang):
            if (kind, key) not in self.wanted:
                continue
            pieces = [p.strip() for p in phrase.split(GAP)]
            if len(pieces) > 1 and all(pieces):
                gap = len(self._gaps) + 1
                self._gaps[gap] = ((kind, key), len(pieces))
                for index, piece in enumerate(pieces):
                    for form in phrase_forms(piece, lang):
                        table.setdefault(" ".join(form), []).append(
                            ((kind, key), gap, index, len(pieces)))
                continue
            for form in phrase_forms(phrase, lang):
                table.setdefault(" ".join(form), []).append(((kind, key), 0, 0, 1))
        automaton = ahocorasick.Automaton()
        for string, marks in table.items():
            automaton.add_word(string, (len(string), tuple(string.split(" ")),
                                        tuple(dict.fromkeys(marks))))
        if table:
            automaton.make_automaton()
        return automaton


def _shape(rule: RuleSpec) -> _Shape:
    local: set[Key] = set()
    context: list[tuple[Key, Context]] = []
    for leaf in required(rule.match):
        if isinstance(leaf, ConceptLeaf):
            key: Key = (CONCEPT, leaf.concept)
        elif isinstance(leaf, KeywordsLeaf):
            key = (KEYWORD, keyword_key(rule, leaf))
        else:
            continue
        if leaf.context is None:
            local.add(key)
        else:
            context.append((key, leaf.context))
    return _Shape(frozenset(local), tuple(context), rule.scope.unit in ("sentence", "paragraph"))


def _fits(shape: _Shape, scan: Scan) -> bool:
    """Whether some paragraph holds the rule's local keys with each context key within
    reach (the paragraph itself, the N before it for N previous sentences, the title, the
    lead's paragraphs)."""
    if not shape.by_paragraph:
        return True
    if shape.local:
        places = frozenset.intersection(*(scan.keys[key] for key in shape.local))
    else:
        places = frozenset(range(scan.paragraphs))
    return any(all(_reaches(context, paragraph, scan.keys[key], scan)
                   for key, context in shape.context) for paragraph in sorted(places))


def _reaches(context: Context, paragraph: int, found: frozenset[int], scan: Scan) -> bool:
    if paragraph in found:
        return True
    if any(paragraph - context.previous_sentences <= q < paragraph for q in found):
        return True
    if context.title and not found.isdisjoint(scan.title):
        return True
    first = len(scan.title)
    return any(first <= q < first + context.lead for q in found)


def _scan(automaton: Any, string: str, lang: str) -> list[tuple[int, Mark]]:
    """(start, mark) of the terms found in ``string`` on token edges (spaces, line breaks
    and the ends) or as a closed compound's head."""
    size = len(string)
    found: list[tuple[int, Mark]] = []
    for end_char, (length, term, marks) in automaton.iter(string):
        after = end_char + 1
        if after != size and string[after] not in " \n":
            continue
        begin = after - length
        if begin and string[begin - 1] not in " \n":
            token_start = max(string.rfind(" ", 0, begin), string.rfind("\n", 0, begin)) + 1
            if len(term) > 1 or not matches_compound(term, string[token_start:after], lang):
                continue
        found.extend((begin, mark) for mark in marks)
    return found


@functools.cache
def _word_pattern() -> re.Pattern[str]:
    """analyse()'s token pattern without its named groups, for a fast findall of the words
    (which group matched, and so how a word is analysed, is asked of the word alone)."""
    return re.compile(re.sub(r"\(\?P<\w+>", "(?:", token_pattern().pattern))
