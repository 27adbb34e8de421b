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
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.match.concepts import ConceptSpec
from monitor.match.countries import country_terms, not_country_phrases
from monitor.match.countries import languages as country_languages
from monitor.match.text import Analysis, Sentence, lemmas_of_phrase, matches_compound

CONCEPT, COUNTRY, EXCLUDE, KEYWORD = "concept", "country", "exclude", "keyword"
NOT_A_COUNTRY = "@country"  # the key of exclude phrases that hold a country name
GAP = "..."
PART = "part"  # one part of a term with a gap; key: "<kind>\x1f<key>\x1f<term>\x1f<index>"


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


def _keys(phrase: str, lang: str) -> set[tuple[str, ...]]:
    """The forms a phrase is indexed by: its lemmas and its folded words."""
    from monitor.match.text import analyse

    lemmas = lemmas_of_phrase(phrase, lang)
    norms = tuple(t.norm for s in analyse(phrase, lang).sentences for t in s.tokens)
    return {form for form in (lemmas, norms) if form}


class Lexicon:
    """Terms of the given concepts and keywords, plus every country, for any language."""

    def __init__(self, concepts: Mapping[str, ConceptSpec],
                 keywords: Mapping[str, Sequence[str]] | None = None) -> None:
        self.concepts = dict(concepts)
        self.keywords = dict(keywords or {})
        self._automata: dict[str, Any] = {}
        self._gapped: dict[str, list[tuple[str, str, str, int]]] = {}

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
            parts = [p.strip() for p in phrase.split(GAP)]
            if len(parts) > 1 and all(parts):
                self._gapped.setdefault(lang, []).append((kind, key, phrase, len(parts)))
                for index, part in enumerate(parts):
                    for form in _keys(part, lang):
                        add(Entry(PART, _part_key(kind, key, phrase, index), form))
                continue
            for form in _keys(phrase, lang):
                add(Entry(kind, key, form, ambiguous))
        automaton = ahocorasick.Automaton()
        for text, bucket in table.items():
            automaton.add_word(text, tuple(bucket))
        if table:
            automaton.make_automaton()
        return automaton

    def find(self, analysis: Analysis) -> list[Found]:
        """Every term of the lexicon in the text, exclude hits already applied."""
        automaton = self.automaton(analysis.lang)
        if not len(automaton):
            return []
        found: set[Found] = set()
        for index, sentence in enumerate(analysis.sentences):
            for forms in ([t.lemma for t in sentence.tokens], [t.norm for t in sentence.tokens]):
                found.update(_scan(automaton, analysis.lang, index, sentence, forms))
        found |= set(self._joined(analysis.lang, found))
        found = {f for f in found if f.kind != PART}
        return _without_excluded(sorted(found, key=lambda f: (f.sentence, f.first, f.last)))

    def _joined(self, lang: str, found: set[Found]) -> Iterator[Found]:
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


def _scan(automaton: Any, lang: str, index: int, sentence: Sentence,
          forms: Sequence[str]) -> Iterator[Found]:
    """Aho-Corasick over one sentence's forms joined by spaces, hits on token edges only."""
    text = " ".join(forms)
    starts: dict[int, int] = {}
    ends: dict[int, int] = {}
    owner: list[int] = []
    offset = 0
    for position, form in enumerate(forms):
        starts[offset] = position
        ends[offset + len(form)] = position
        owner.extend([position] * (len(form) + 1))
        offset += len(form) + 1
    for end_char, bucket in automaton.iter(text):
        begin_char = end_char - len(" ".join(bucket[0].term)) + 1
        last = ends.get(end_char + 1)
        if last is None:
            continue
        first = starts.get(begin_char)
        if first is None:
            first = owner[begin_char]
            if not matches_compound(bucket[0].term, forms[first], lang) or first != last:
                continue
        tokens = sentence.tokens
        for entry in bucket:
            yield Found(entry.kind, entry.key, index, first, last, tokens[first].start,
                        tokens[last].end, tokens[last].clause, entry.ambiguous)


def _without_excluded(found: Iterable[Found]) -> list[Found]:
    """Hits inside an exclude phrase are dropped: a concept's own exclude phrases, and the
    phrases that hold a country name without naming the country ("Latin America")."""
    items = list(found)
    excluded = [f for f in items if f.kind == EXCLUDE]

    def covered(f: Found, e: Found) -> bool:
        same_key = e.key == f.key if f.kind == CONCEPT else e.key == NOT_A_COUNTRY
        return (same_key and e.sentence == f.sentence and e.first <= f.first
                and f.last <= e.last)

    return [f for f in items if f.kind != EXCLUDE
            and not (f.kind in (CONCEPT, COUNTRY) and any(covered(f, e) for e in excluded))]
