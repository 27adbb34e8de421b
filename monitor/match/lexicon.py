"""The lexicon: every term of every concept, every country name and every rule keyword of
one language in one Aho-Corasick automaton, run once over each sentence.

A term is stored twice, as its folded lemmas and as its folded surface words (each joined
by spaces), and a sentence is scanned as both strings; the two agree for most words and
the second catches a name the lemmatiser reads differently in context. A hit counts only
when it starts and ends on token edges, except in languages with closed compounds where a
term may be the head of a longer token (garantie in sicherheitsgarantie;
:func:`monitor.match.text.matches_compound` decides).

Concept ``exclude`` phrases are terms of their own kind: a concept hit that lies inside an
exclude hit does not count.

A term with a gap, ``"lehnen ... ab"`` or ``"ne ... pas"``, matches its parts in that order
within one clause, whatever stands between them: German separable verbs ("lehnt jede
Beteiligung ab"), French negation, English phrasal verbs ("turned the offer down").

A term written with a hyphen at its end, ``"ل-"``, is a prefix, and one with a hyphen at its
start, ``"-lle"``, a suffix: an affix, found on a word whose folded form starts (ends) with it
while its lemma does not, the lemmatiser having taken it off (Arabic لإسرائيل, "for Israel",
lemma إسرائيل; Finnish Israelille, "to Israel", lemma Israel). Such a hit covers its word's
token; a sequence (:mod:`monitor.match.holds`) glues it to the word next to it. A term
starting with an apostrophe is a clitic as the tokeniser splits it off a word (Turkish 'e in
İsrail'e).
"""

from __future__ import annotations

import bisect
import functools
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.match.concepts import ConceptSpec
from monitor.match.countries import country_terms, not_country_phrases
from monitor.match.countries import languages as country_languages
from monitor.match.text import Analysis, Token, analyse, fold, matches_compound
from monitor.match.text.lemmas import APOSTROPHES

CONCEPT, COUNTRY, EXCLUDE, KEYWORD = "concept", "country", "exclude", "keyword"
ANAPHOR = "@anaphor"  # the built-in concept of phrases such as "the country" (data/anaphors.yaml)
NOT_A_COUNTRY = "@country"  # the key of exclude phrases that hold a country name
GAP = "..."
PART = "part"  # one part of a term with a gap; key: "<kind>\x1f<key>\x1f<term>\x1f<index>"
PREFIX, SUFFIX = "prefix", "suffix"  # affix terms: "ل-", "-lle"
AFFIX_MARK = "-"
MIN_STEM = 2  # letters a word keeps besides its affix


@dataclass(frozen=True)
class Entry:
    kind: str  # concept, country, exclude, keyword
    key: str  # concept name, ISO code, concept name (exclude), keyword id
    term: tuple[str, ...]  # the folded forms the term is indexed by
    ambiguous: bool = False  # a country name that is also a common word or first name


@dataclass(frozen=True)
class Found:
    """One term found in the analysed text: tokens ``first``..``last`` of a sentence."""

    kind: str
    key: str
    sentence: int
    first: int
    last: int
    start: int  # character offsets in Analysis.text
    end: int
    clause: int
    ambiguous: bool = False
    affix: str = ""  # PREFIX or SUFFIX: an affix term, glued to the word of token ``first``


@functools.lru_cache(maxsize=1 << 16)
def phrase_forms(phrase: str, lang: str) -> tuple[tuple[str, ...], ...]:
    """The forms a phrase is indexed by: its lemmas (what
    :func:`monitor.match.text.lemmas_of_phrase` gives) and its folded words, from one
    analysis. Cached: every automaton of a language indexes the same ~1,000 country terms,
    and each new Matcher (a reload, ``rules test``, a backtest) builds them again."""
    tokens = analyse(phrase, lang).tokens()
    if phrase[:1] in APOSTROPHES:  # a clitic: the word the tokeniser splits it off is dropped
        glued = analyse("x" + phrase, lang).tokens()
        if glued and glued[0].end == 1:
            tokens = glued[1:]
    lemmas = tuple(token.lemma for token in tokens)
    norms = tuple(token.norm for token in tokens)
    return tuple(form for form in dict.fromkeys((lemmas, norms)) if form)


def affix_term(phrase: str) -> tuple[str, str] | None:
    """(PREFIX, folded text) for a term written "ل-", (SUFFIX, ...) for "-lle"; None for a
    term that is no affix."""
    text = phrase.strip()
    if len(text) < 2 or any(c.isspace() for c in text) or text == AFFIX_MARK * len(text):
        return None
    if text.endswith(AFFIX_MARK) and not text.startswith(AFFIX_MARK):
        return PREFIX, fold(text[:-1])
    if text.startswith(AFFIX_MARK) and not text.endswith(AFFIX_MARK):
        return SUFFIX, fold(text[1:])
    return None


def has_affix(token: Token, where: str, affix: str) -> bool:
    """Whether the affix is on the token's word and not on its lemma."""
    if len(token.norm) < len(affix) + MIN_STEM:
        return False
    if where == PREFIX:
        return token.norm.startswith(affix) and not token.lemma.startswith(affix)
    return token.norm.endswith(affix) and not token.lemma.endswith(affix)


Affix = tuple[str, str, str, str]  # kind, key, PREFIX or SUFFIX, folded affix


class Lexicon:
    """Terms of the given concepts and keywords, plus every country, for any language."""

    def __init__(self, concepts: Mapping[str, ConceptSpec],
                 keywords: Mapping[str, Sequence[str]] | None = None) -> None:
        self.concepts = dict(concepts)
        self.keywords = dict(keywords or {})
        self._automata: dict[str, Any] = {}
        self._gapped: dict[str, list[tuple[str, str, str, int]]] = {}
        self._affixes: dict[str, list[Affix]] = {}

    def entries(self, lang: str) -> Iterator[tuple[str, str, str, bool]]:
        """(kind, key, phrase, ambiguous) of every term for ``lang``."""
        for name, concept in self.concepts.items():
            for phrase in concept.terms.get(lang, ()):
                yield CONCEPT, name, phrase, False
            for phrase in concept.exclude.get(lang, ()):
                yield EXCLUDE, name, phrase, False
        for key, words in self.keywords.items():
            for phrase in words:
                yield KEYWORD, key, phrase, False
        for term in _countries(lang):
            yield COUNTRY, term.code, term.text, term.ambiguous
        for phrase in _not_countries(lang):  # "Latin America": the longer phrase wins
            yield EXCLUDE, NOT_A_COUNTRY, phrase, False

    def automaton(self, lang: str) -> Any:
        if lang not in self._automata:
            self._automata[lang] = self._build(lang)
        return self._automata[lang]

    def _build(self, lang: str) -> Any:
        import ahocorasick

        table: dict[str, list[Entry]] = {}

        def add(entry: Entry) -> None:
            bucket = table.setdefault(" ".join(entry.term), [])
            if entry not in bucket:
                bucket.append(entry)

        for kind, key, phrase, ambiguous in self.entries(lang):
            affix = affix_term(phrase)
            if affix is not None:
                self._affixes.setdefault(lang, []).append((kind, key, *affix))
                continue
            parts = [p.strip() for p in phrase.split(GAP)]
            if len(parts) > 1 and all(parts):
                self._gapped.setdefault(lang, []).append((kind, key, phrase, len(parts)))
                for index, part in enumerate(parts):
                    for form in phrase_forms(part, lang):
                        add(Entry(PART, _part_key(kind, key, phrase, index), form))
                continue
            for form in phrase_forms(phrase, lang):
                add(Entry(kind, key, form, ambiguous))
        automaton = ahocorasick.Automaton()
        for slot, (text, bucket) in enumerate(table.items()):
            marks = tuple(dict.fromkeys((e.kind, e.key, e.ambiguous) for e in bucket))
            automaton.add_word(text, (len(text), slot, bucket[0].term, marks))
        if table:
            automaton.make_automaton()
        return automaton

    def find(self, analysis: Analysis) -> list[Found]:
        """Every term of the lexicon in the text, exclude hits already applied."""
        automaton = self.automaton(analysis.lang)
        lang = analysis.lang
        affixes = self._affixes.get(lang, [])
        if not len(automaton) and not affixes:
            return []
        found: list[Found] = []
        for index, sentence in enumerate(analysis.sentences):
            tokens = sentence.tokens
            if affixes:
                found += _affix_hits(affixes, index, tokens)
            if not len(automaton):
                continue
            lemmas = [t.lemma for t in tokens]
            norms = [t.norm for t in tokens]
            hits: Hits = {}
            _scan(automaton, lang, lemmas, hits)
            if norms != lemmas:  # the same string finds the same terms
                _scan(automaton, lang, norms, hits)
            seen: set[tuple[Mark, int, int]] = set()  # a term found by lemma and by norm
            for (first, last, _), marks in hits.items():
                start, end, clause = tokens[first].start, tokens[last].end, tokens[last].clause
                for mark in marks:
                    if (mark, first, last) not in seen:
                        seen.add((mark, first, last))
                        found.append(Found(mark[0], mark[1], index, first, last, start, end,
                                           clause, mark[2]))
        joined = set(self._joined(lang, found))
        found = [f for f in found if f.kind != PART]
        if joined:
            present = set(found)
            found += [f for f in joined if f not in present]
        found.sort(key=_POSITION)
        return _without_excluded(found)

    def _joined(self, lang: str, found: Iterable[Found]) -> Iterator[Found]:
        """Terms with a gap whose parts were all found in order within one clause."""
        parts: dict[str, list[Found]] = {}
        for f in found:
            if f.kind == PART:
                parts.setdefault(f.key, []).append(f)
        for kind, key, phrase, count in self._gapped.get(lang, ()):
            heads = parts.get(_part_key(kind, key, phrase, 0), [])
            for head in heads:
                chain = [head]
                for index in range(1, count):
                    nxt = [p for p in parts.get(_part_key(kind, key, phrase, index), [])
                           if p.sentence == head.sentence and p.clause == head.clause
                           and p.first > chain[-1].last]
                    if not nxt:
                        break
                    chain.append(min(nxt, key=lambda p: p.first))
                else:
                    yield Found(kind, key, head.sentence, head.first, chain[-1].last,
                                head.start, chain[-1].end, head.clause)


def _affix_hits(affixes: Sequence[Affix], sentence: int,
                tokens: Sequence[Token]) -> Iterator[Found]:
    for position, token in enumerate(tokens):
        if token.norm == token.lemma:  # fast path: no inflection, no affix
            continue
        for kind, key, where, affix in affixes:
            if has_affix(token, where, affix):
                yield Found(kind, key, sentence, position, position, token.start, token.end,
                            token.clause, affix=where)


def _part_key(kind: str, key: str, phrase: str, index: int) -> str:
    return f"{kind}\x1f{key}\x1f{phrase}\x1f{index}"


@functools.cache
def _countries(lang: str) -> tuple[Any, ...]:
    if lang not in country_languages():
        return ()
    return tuple(country_terms(lang))


@functools.cache
def _not_countries(lang: str) -> tuple[str, ...]:
    return tuple(not_country_phrases(lang)) if lang in country_languages() else ()


_POSITION = operator.attrgetter("sentence", "first", "last")
Mark = tuple[str, str, bool]  # what a hit records: kind, key, ambiguous
Hits = dict[tuple[int, int, int], tuple[Mark, ...]]  # (first, last, slot) -> its marks


def _scan(automaton: Any, lang: str, forms: Sequence[str], hits: Hits) -> None:
    """Aho-Corasick over one sentence's forms joined by spaces, hits on token edges only,
    added to ``hits`` by (first token, last token, automaton slot).

    A token edge is a space or an end of the string, and a token's index the spaces before
    it, when every form is a non-empty word without spaces (else :func:`_scan_offsets`)."""
    text = " ".join(forms)
    if (text.count(" ") != len(forms) - 1 or "  " in text or text[:1] == " "
            or text[-1:] == " "):
        _scan_offsets(automaton, lang, forms, text, hits)
        return
    size = len(text)
    for end_char, (length, slot, term, marks) in automaton.iter(text):
        after = end_char + 1
        if after != size and text[after] != " ":
            continue
        begin_char = after - length
        last = text.count(" ", 0, end_char)
        if begin_char == 0 or text[begin_char - 1] == " ":
            first = text.count(" ", 0, begin_char)
        elif text.count(" ", 0, begin_char) != last \
                or not matches_compound(term, forms[last], lang):
            continue  # inside a token and not a closed compound's head
        else:
            first = last
        hits[first, last, slot] = marks


def _scan_offsets(automaton: Any, lang: str, forms: Sequence[str], text: str,
                  hits: Hits) -> None:
    """:func:`_scan` for any forms (empty ones, or with spaces): token edges by offsets."""
    starts: dict[int, int] = {}
    ends: dict[int, int] = {}
    offset = 0
    for position, form in enumerate(forms):
        starts[offset] = position
        offset += len(form)
        ends[offset] = position
        offset += 1
    offsets: list[int] = []
    for end_char, (length, slot, term, marks) in automaton.iter(text):
        last = ends.get(end_char + 1)
        if last is None:
            continue
        begin_char = end_char - length + 1
        first = starts.get(begin_char)
        if first is None:  # inside a token: a closed compound's head, or nothing
            offsets = offsets or list(starts)
            owner = starts[offsets[bisect.bisect_right(offsets, begin_char) - 1]]
            if owner != last or not matches_compound(term, forms[last], lang):
                continue
            first = last
        hits[first, last, slot] = marks


def _without_excluded(found: Iterable[Found]) -> list[Found]:
    """Hits inside an exclude phrase are dropped: a concept's own exclude phrases, and the
    phrases that hold a country name without naming the country ("Latin America")."""
    items = list(found)
    excluded: dict[int, list[Found]] = {}
    for f in items:
        if f.kind == EXCLUDE:
            excluded.setdefault(f.sentence, []).append(f)

    def covered(f: Found, e: Found) -> bool:
        same_key = e.key == f.key if f.kind == CONCEPT else e.key == NOT_A_COUNTRY
        return same_key and e.first <= f.first and f.last <= e.last

    return [f for f in items if f.kind != EXCLUDE
            and not (f.kind in (CONCEPT, COUNTRY) and f.sentence in excluded
                     and any(covered(f, e) for e in excluded[f.sentence]))]
