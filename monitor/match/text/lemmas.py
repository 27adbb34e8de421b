"""Word forms: a matched word's pieces, with the norm and lemma of each, and closed compounds.

Lemmas come from simplemma, whose dictionaries stay loaded, compressed, for every language
met (see :func:`_simplemma`). A word simplemma does not know, in a language with closed
compounds, takes its modifier + the lemma of its longest known head; :func:`matches_compound`
lets a term match as a compound's head (or, asked for, its modifier). :func:`word_forms`
splits a word at elisions and clitics and caches the result per (word, kind, language).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import simplemma

from monitor.match.text.fold import fold
from monitor.match.text.settings import SIMPLEMMA_LANGUAGES, LanguageSettings, language_settings

MIN_MODIFIER = 3  # letters before a term for a compound head match (sicherheits|garantie)
MIN_HEAD = 4  # letters a term (or a known head) needs to count as a compound's head
CACHE_WORDS = 1 << 17  # (word, language) pairs kept with their forms: ~70 MB when full
APOSTROPHES = "'’ʼ‘"  # apostrophes inside a word; each reads as ' when a word is split

_ASCII_APOSTROPHE = str.maketrans({char: "'" for char in APOSTROPHES})


@functools.cache
def _simplemma() -> tuple[Any, Any, Any]:
    """simplemma's lemmatiser, dictionary lookup and dictionaries, which all stay loaded.

    The stream factory keeps each language's dictionary compressed in memory (about 12 MB a
    language, against ~95 MB for simplemma's default dict, which also keeps only 8 languages
    and reloads the others, ~0.7 s each); its lookups are ~10x slower (12 µs), which the
    word cache of :func:`word_forms` makes rare. bench/text.py measures both effects.
    """
    from simplemma.strategies import DefaultStrategy, DictionaryLookupStrategy
    from simplemma.strategies.dictionaries import StreamDictionaryFactory

    dictionaries = StreamDictionaryFactory(cache_max_size=len(SIMPLEMMA_LANGUAGES))
    lemmatizer = simplemma.Lemmatizer(
        cache_max_size=0, lemmatization_strategy=DefaultStrategy(dictionary_factory=dictionaries)
    )
    return lemmatizer, DictionaryLookupStrategy(dictionaries), dictionaries


def _is_known(word: str, code: str) -> bool:
    return _simplemma()[1].get_lemma(unicodedata.normalize("NFC", word), code) is not None


def _known_head(word: str, settings: LanguageSettings) -> tuple[int, str] | None:
    """Where the longest known head of ``word`` starts, and the head as the dictionary has it.

    The head is looked up in one case only: capitalised in a capitalised word of a language
    that capitalises nouns (Süßwaren: "Waren", goods, not "waren", were), else in lower
    case; simplemma's own lookup would try both and turn nouns into verbs.
    """
    dictionary = _simplemma()[2].get_dictionary(settings.lemmatizer)
    capital = settings.capitalised_nouns and word[0].isupper()
    for cut in range(MIN_MODIFIER, len(word) - MIN_HEAD + 1):
        head = word[cut:]
        if not head[0].isalpha():
            continue
        head = head[0].upper() + head[1:].lower() if capital else head.lower()
        if dictionary.get(unicodedata.normalize("NFC", head)) is not None:
            return cut, head
    return None


def _lemma(word: str, settings: LanguageSettings) -> str:
    code = settings.lemmatizer
    if code is None:
        return word
    lemmatize = _simplemma()[0].lemmatize
    if settings.compound_links is not None and not _is_known(word, code):
        known = _known_head(word, settings)
        if known is not None:
            cut, head = known
            return word[:cut] + str(lemmatize(head, code))
    return str(lemmatize(word, code))


def _pieces(word: str, settings: LanguageSettings) -> list[tuple[int, int]]:
    """Where a word with apostrophes splits: elisions off its start, a clitic off its end."""
    spans, start = [], 0
    ascii_word = word.translate(_ASCII_APOSTROPHE)
    while settings.elisions and (cut := ascii_word.find("'", start) + 1) > 0:
        if fold(ascii_word[start:cut - 1]) not in settings.elisions or cut == len(word):
            break
        spans.append((start, cut))
        start = cut
    rest = ascii_word[start:]
    cut = -1
    if "*" in settings.clitics and "'" in rest[1:]:
        cut = rest.index("'", 1)
    else:
        lowered = rest.casefold()
        for clitic in settings.clitics:
            if lowered.endswith(clitic) and len(rest) > len(clitic):
                cut = len(rest) - len(clitic)
    if cut > 0:
        return [*spans, (start, start + cut), (start + cut, len(word))]
    return [*spans, (start, len(word))]


@functools.lru_cache(maxsize=CACHE_WORDS)
def word_forms(word: str, kind: str, lang: str) -> tuple[tuple[int, int, str, str], ...]:
    """(start, end, norm, lemma) of each token a matched word makes, offsets in the word.

    ``kind`` is the name of the :func:`~monitor.match.text.tokens.token_pattern` group that
    matched (dotted, number, word, unspaced). Cached per (word, kind, lang), CACHE_WORDS
    entries; ``word_forms.cache_clear()`` empties the cache.
    """
    if kind == "dotted":
        norm = fold(word).replace(".", "")
        return ((0, len(word), norm, norm),)
    if kind != "word":
        norm = fold(word)
        return ((0, len(word), norm, norm),)
    settings = language_settings(lang)
    spans = _pieces(word, settings) if any(a in word for a in APOSTROPHES) else [(0, len(word))]
    forms = []
    for start, end in spans:
        piece = word[start:end].translate(_ASCII_APOSTROPHE)
        forms.append((start, end, fold(piece), fold(_lemma(piece, settings))))
    return tuple(forms)


def matches_compound(term_lemmas: Sequence[str], token_lemma: str, lang: str, *,
                     as_modifier: bool = False) -> bool:
    """Whether a term matches one token written as a closed compound, in ``lang``.

    True when the token is the term's parts written together with one of the language's
    linking elements between them (sicherheit+s+garantie), optionally after a modifier of at
    least MIN_MODIFIER letters: the term is then the compound's head (garantie in
    sicherheitsgarantie: a security guarantee is a guarantee). With ``as_modifier`` the term
    may instead be the compound's first part, before a link and MIN_HEAD more letters
    (ukraine in ukrainehilfe): that names a topic, not an actor, so it is asked for. Always
    False in languages that write compounds apart, and for terms under MIN_HEAD letters.

    Intended use: Aho-Corasick over the sentence's lemma string finds a term inside a token;
    a hit not starting (or, as modifier, not ending) at the token's edge is kept only when
    this says so.
    """
    links = language_settings(lang).compound_links
    if links is None or sum(map(len, term_lemmas)) < MIN_HEAD:
        return False
    return _compound_pattern(tuple(term_lemmas), links, as_modifier).fullmatch(token_lemma) \
        is not None


@functools.lru_cache(maxsize=1 << 14)
def _compound_pattern(parts: tuple[str, ...], links: tuple[str, ...],
                      as_modifier: bool) -> re.Pattern[str]:
    link = "(?:" + "|".join(re.escape(fold(x)) for x in sorted(links, key=len, reverse=True)) + ")"
    term = link.join(re.escape(part) for part in parts)
    if as_modifier:
        return re.compile(rf"{term}(?:{link}\w{{{MIN_HEAD},}})?")
    return re.compile(rf"(?:\w{{{MIN_MODIFIER},}})?{term}")
