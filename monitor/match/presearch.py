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
  when each of its parts occurs; an affix term ("ل-", "-lle") when a word starts or ends
  with it.

The pass ignores sentence and clause bounds, part order and exclude phrases, so it finds a
superset of the keys :meth:`Lexicon.find` reports on the same text: it may let a rule through
that then does not fire, never the reverse (tests/test_presearch.py checks it on corpora).

Required keys are the concept and keyword leaves that ``all`` nodes from the root require,
with the concept and keyword items of a required sequence (all of them must be in its
sentence).
Each rule is indexed under the one required key the fewest rules share. A rule with no
required key (only ``any``, entities, regexes) is a candidate when one of its positive
concept or keyword leaves is present, always when it has a regex leaf or no such leaf.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.match.lexicon import CONCEPT, GAP, KEYWORD, PREFIX, Lexicon, affix_term, phrase_forms
from monitor.match.rules import (
    ConceptLeaf,
    Context,
    KeywordsLeaf,
    RegexLeaf,
    RuleSpec,
    keyword_key,
    leaves,
    parts,
    required,
)
from monitor.match.text import (
    CACHE_WORDS,
    language_settings,
    matches_compound,
    paragraphs,
    token_pattern,
    word_forms,
)

Key = tuple[str, str]  # (kind, key): ("concept", "commitment"), ("keyword", "rule#1a2b3c4d")
Mark = tuple[Key, int, int, int]  # key, gapped term id (0: none), part index, part count


@dataclass(frozen=True)
class _Slot:
    """What one automaton entry stands for."""

    marks: tuple[Mark, ...]
    term: tuple[str, ...]  # the term's folded form
    edge: int | None  # for a compound's head: the slot of the same term on token edges


def required_keys(rule: RuleSpec) -> frozenset[Key]:
    """The concept and keyword keys an article must hold for ``rule`` to fire."""
    keys: set[Key] = set()
    for leaf in (part for node in required(rule.match) for part in parts(node)):
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
        self._automata: dict[str, tuple[Any, list[_Slot]]] = {}
        self._affixes: dict[str, list[tuple[Key, str]]] = {}  # key, " ل" or "lle "
        self._gaps: dict[int, tuple[Key, int]] = {}
        self._words: dict[str, tuple[dict[str, str], dict[str, str]]] = {}

    def candidates(self, scan: Scan) -> list[int]:
        """Positions of the rules that may fire on the scanned article, in rule order."""
        present = scan.keys.keys()
        chosen = set()
        for key in present:
            for position in self._index.get(key, ()):
                if self.required[position] <= present and _places(self._shapes[position],
                                                                  scan) != []:
                    chosen.add(position)
        for position in self._unindexed:
            positive = self._positive[position]
            if positive is None or not positive.isdisjoint(present):
                chosen.add(position)
        return sorted(chosen)

    def reach(self, scan: Scan, positions: Iterable[int]) -> frozenset[int] | None:
        """The paragraphs the given candidate rules can look at: where their units may be,
        the paragraphs their contexts reach from there, and one more before (an anaphor's
        country is named in the sentence before). None: the whole article."""
        needed: set[int] = set()
        for position in positions:
            places = _places(self._shapes[position], scan)
            if places is None or not self.required[position]:
                return None
            shape = self._shapes[position]
            back = 1 + max((context.previous_sentences for _, context in shape.context),
                           default=0)
            for paragraph in places:
                needed.update(range(max(paragraph - back, 0), paragraph + 1))
            if any(context.title for _, context in shape.context):
                needed |= scan.title
            lead = max((context.lead for _, context in shape.context), default=0)
            needed.update(range(len(scan.title), len(scan.title) + lead))
        return frozenset(needed)

    def scan(self, text: str, lang: str, title_end: int = 0) -> Scan:
        """The wanted keys ``text`` may hold and where: for each key, a superset of the
        paragraphs where Lexicon.find() would find it. ``text[:title_end]`` is the title."""
        spans = list(paragraphs(text))
        title = frozenset(index for start, _, index in spans if start < title_end)
        automaton, slots = self.automaton(lang)
        affixes = self._affixes.get(lang, [])
        if not slots and not affixes:
            return Scan({}, title, len(spans))
        at: dict[int, list[int]] = {}  # slot -> the paragraphs where it was found
        where: dict[Key, set[int]] = {}
        for paragraph, (lemmas, norms) in enumerate(zip(*self._forms(text, spans, lang),
                                                        strict=True)):
            for key, edge in affixes:
                if edge in norms:
                    where.setdefault(key, set()).add(paragraph)
            if not slots:
                continue
            found = set(map(_VALUE, automaton.iter(lemmas)))
            if norms != lemmas:
                found.update(map(_VALUE, automaton.iter(norms)))
            for slot in found:
                edge = slots[slot].edge
                if edge is not None and (edge in found or not (
                        _inside(automaton, slot, slots[slot], lemmas, lang)
                        or _inside(automaton, slot, slots[slot], norms, lang))):
                    continue  # the term as a compound's head: only where it is one
                at.setdefault(slot, []).append(paragraph)
        gapped: dict[tuple[int, int], set[int]] = {}
        for slot, places in at.items():
            for key, gap, index, _ in slots[slot].marks:
                if not gap:
                    where.setdefault(key, set()).update(places)
                else:
                    for paragraph in places:
                        gapped.setdefault((gap, paragraph), set()).add(index)
        for (gap, paragraph), seen in gapped.items():  # a gapped term stays in one clause
            key, count = self._gaps[gap]
            if len(seen) == count:
                where.setdefault(key, set()).add(paragraph)
        return Scan({key: frozenset(found) for key, found in where.items()}, title, len(spans))

    def _forms(self, text: str, spans: Sequence[tuple[int, int, int]], lang: str
               ) -> tuple[list[str], list[str]]:
        """Each paragraph's folded lemmas and folded words, as analyse() gives them token
        by token, joined by spaces and with a space before and after."""
        lemma_of, norm_of = self._words.setdefault(lang, ({"": ""}, {"": ""}))
        if len(lemma_of) > CACHE_WORDS:
            lemma_of.clear()
            norm_of.clear()
            lemma_of[""] = norm_of[""] = ""
        find = _word_pattern().findall
        lemmas, norms = [], []
        for start, end, _ in spans:
            words = ["", *find(text, start, end), ""]
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

    def automaton(self, lang: str) -> tuple[Any, list[_Slot]]:
        """The presearch automaton of ``lang`` and its slots, built at first use."""
        if lang not in self._automata:
            self._automata[lang] = self._build(lang)
        return self._automata[lang]

    def _build(self, lang: str) -> tuple[Any, list[_Slot]]:
        """Each term as " term " (so that a hit is on token edges, with no check) and, in
        languages with closed compounds, a one-word term also as "term " (a compound's head,
        checked)."""
        import ahocorasick

        table: dict[str, list[Mark]] = {}
        affixes = self._affixes.setdefault(lang, [])
        for kind, key, phrase, _ in self._lexicon.entries(lang):
            if (kind, key) not in self.wanted:
                continue
            affix = affix_term(phrase)
            if affix is not None:  # on a word's edge in the folded words: " ل", "lle "
                where, text = affix
                affixes.append(((kind, key), f" {text}" if where == PREFIX else f"{text} "))
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
        compounds = language_settings(lang).compound_links is not None
        automaton = ahocorasick.Automaton()
        slots: list[_Slot] = []
        for string, marks in table.items():
            unique = tuple(dict.fromkeys(marks))
            edge = len(slots)
            automaton.add_word(f" {string} ", edge)
            slots.append(_Slot(unique, (string,), None))
            if compounds and " " not in string:
                automaton.add_word(f"{string} ", len(slots))
                slots.append(_Slot(unique, (string,), edge))
        if slots:
            automaton.make_automaton()
        return automaton, slots


def _shape(rule: RuleSpec) -> _Shape:
    local: set[Key] = set()
    context: list[tuple[Key, Context]] = []
    for leaf in (part for node in required(rule.match) for part in parts(node)):
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


def _places(shape: _Shape, scan: Scan) -> list[int] | None:
    """The paragraphs where a unit of the rule may hold: they hold its local keys and each
    context key is within reach (the paragraph itself, the N before it for N previous
    sentences, the title, the lead's paragraphs). None: not a rule of paragraph-bound units
    (article or window scope), which may hold anywhere."""
    if not shape.by_paragraph:
        return None
    if shape.local:
        places = frozenset.intersection(*(scan.keys.get(key, frozenset())
                                          for key in shape.local))
    else:
        places = frozenset(range(scan.paragraphs))
    return [paragraph for paragraph in sorted(places)
            if all(_reaches(context, paragraph, scan.keys.get(key, frozenset()), scan)
                   for key, context in shape.context)]


def _reaches(context: Context, paragraph: int, found: frozenset[int], scan: Scan) -> bool:
    if paragraph in found:
        return True
    if any(paragraph - context.previous_sentences <= q < paragraph for q in found):
        return True
    if context.title and not found.isdisjoint(scan.title):
        return True
    first = len(scan.title)
    return any(first <= q < first + context.lead for q in found)


def _inside(automaton: Any, slot: int, entry: _Slot, string: str, lang: str) -> bool:
    """Whether the one-word term of ``slot`` ends a token of ``string`` as its head."""
    size = len(entry.term[0]) + 1
    for end, found in automaton.iter(string):
        if found == slot:
            begin = end + 1 - size
            token_start = string.rfind(" ", 0, begin) + 1
            if token_start != begin and matches_compound(entry.term, string[token_start:end],
                                                         lang):
                return True
    return False


_VALUE = operator.itemgetter(1)


@functools.cache
def _word_pattern() -> re.Pattern[str]:
    """analyse()'s token pattern without its named groups, for a fast findall of the words
    (which group matched, and so how a word is analysed, is asked of the word alone)."""
    return re.compile(re.sub(r"\(\?P<\w+>", "(?:", token_pattern().pattern))
