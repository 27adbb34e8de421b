"""Text analysis for the matcher: fold, tokenise, lemmatise, split sentences, once per article.

:func:`analyse` turns a text into sentences of :class:`Token` s. Each token keeps its place in
the text (``text[token.start:token.end] == token.text``) and carries two matching forms:

    norm    fold(token text): NFKC, casefold, diacritics stripped, apostrophes/dashes unified
    lemma   fold(simplemma's lemma of the token text), or norm where simplemma has no language

:func:`lemmas_of_phrase` runs the same pipeline on a lexicon term, so that the concept term
"garanties de sécurité" and the article text meet on lemmas (garantie, de, securite). The
matcher can join a sentence's lemmas with spaces and run one Aho-Corasick automaton over that
string, terms joined the same way.

Tokens (per-language settings: ``data/text/languages.yaml``):

- Spaced scripts (Latin, Cyrillic, Greek, Arabic, Hebrew, Devanagari...): runs of letters,
  digits and combining marks. Punctuation is no token. A hyphen splits (US-Präsident -> US,
  Präsident; co-operation -> co, operation), so a name inside a hyphenated word is found; a
  hyphenated term meets it because the term is split the same way. An apostrophe between
  letters stays in the word (aujourd'hui, перемир'я, O'Brien) unless the language splits
  there: elisions (l'Ukraine -> l' + Ukraine) and clitic endings (Germany's -> Germany + 's,
  Türkiye'nin -> Türkiye + 'nin). Numbers keep their separators (3.5, 1,340). A dotted
  abbreviation is one token whose norm has no dots (U.S. -> "us", z.B. -> "zb").
- Scripts written without spaces (Han, kana, Hangul, Thai, Lao, Khmer, Myanmar, Tibetan): each
  character with its combining marks is one token, its lemma the folded character. A term
  such as 安全保障 is then the token sequence 安 全 保 障 and matches wherever those characters
  are adjacent: substring matching, the usual way for CJK without a segmenter. Korean is
  spaced but glues particles to nouns (독일은), so its syllables are tokens too. Han
  characters fold to simplified with OpenCC's character table when the ``opencc`` package is
  installed (:data:`HAN_VARIANTS_FOLDED`), so 德國 and 德国 meet; without it they do not.

Lemmas: simplemma, given the token as written (case helps it: Polish "Niemcy" is the country,
"niemcy" the plural of "Niemiec"; write lexicon terms in their natural case). Results are
cached per (word, language), so an article costs a dictionary lookup per repeated word.
Languages with closed compounds (de nl sv da no fi is lb) lemmatise a word simplemma does not
know as its modifier + the lemma of its longest known head (säkerhetsgarantierna ->
säkerhetsgaranti, turvatakuista -> turvatakuu, where simplemma alone gives "turvatakuka");
:func:`matches_compound` then lets a term match as a compound's head (garantie in
sicherheitsgarantie). simplemma's dictionaries stay loaded for every language met, compressed
(about 12 MB each; simplemma's default keeps 8 languages as dicts of ~95 MB each and reloads
the others, which with 25 languages in the stream costs seconds per article).

Sentences end at . ! ? … (and the language's extra terminators), at 。！？ and at line breaks,
closing quotes and brackets included. A candidate end is no end when the next word starts in
lower case (« ... jouera son rôle. » a déclaré), when the word before the dot is a listed
abbreviation (``data/text/abbreviations.yaml``), a capital initial (J. Smith), a dotted
abbreviation of short parts (U.S., z.B., m.in.), a number that opens the sentence (a list's
"1."), or a one- or two-digit ordinal in languages that write them with a dot (1. Januar).
Paragraphs are the text's lines: trafilatura writes one newline between paragraphs, the parse
stage a blank line. A line that ends without closing punctuation and is followed by
one starting in lower case is a wrapped line: the two are one paragraph.

Clauses: ``Token.clause`` numbers the clauses of a sentence. Punctuation , ; : brackets, quotes
and spaced dashes open a clause, and so do the words of ``data/text/clause_words.yaml`` (but,
although, mais, aber, но...). Commas also separate list items, so a clause is a scope for
negation, not a way to find a verb's subject.
"""

from __future__ import annotations

import bisect
import functools
import importlib
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import simplemma
import yaml
from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES

from monitor.errors import ConfigError

MIN_MODIFIER = 3  # letters before a term for a compound head match (sicherheits|garantie)
MIN_HEAD = 4  # letters a term (or a known head) needs to count as a compound's head
CACHE_WORDS = 1 << 17  # (word, language) pairs kept with their forms: ~70 MB when full
ORDINAL_DIGITS = 2  # "1. Januar", "20. Jahrhundert"; "2024." ends a sentence
SIMPLEMMA_LANGUAGES: frozenset[str] = frozenset(SUPPORTED_LANGUAGES)  # simplemma's codes

# Scripts written without spaces between words, one token per character (see docstring).
_UNSPACED = (
    "\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1100-\u11ff\u1780-\u17ff\u3005-\u3007"
    "\u3041-\u3096\u3099-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3130-\u318f\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0003134f"
)
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_APOSTROPHES = "'’ʼ‘"
_CLOSERS = "»”\"’'\\)\\]›」』）》〉】〕"
_CLAUSE_PUNCT = re.compile(r"[,;:()\[\]{}\"«»„“”‹›「」『』、，；：（）–—،؛]|\s-|-\s")
_CJK_ENDS = "。！？｡"
_DOTTED = re.compile(r"(?:[^\W\d_]{1,3}\.)+[^\W\d_]{1,3}")  # U.S, z.B, m.in, t.ex
_LINES = re.compile(r"[^\n\r\u2028\u2029]+")
_LINE_BREAK = re.compile(r"\r\n|[\n\r\u2028\u2029]")
_OPEN_LINE_END = set(".!?…。！？:;" + "»”\"’'»)]›」』）")  # a line ending so is no wrapped line


@dataclass(frozen=True, slots=True)
class Token:
    """A word (or word piece, or character of an unspaced script) and where it is."""

    text: str  # as in the analysed text
    start: int
    end: int
    norm: str  # fold(text)
    lemma: str  # folded lemma; the folded character for unspaced scripts
    clause: int = 0  # index of the clause within its sentence


# A frozen dataclass's __init__ sets each field through object.__setattr__, 0.6 µs a token,
# a quarter of analyse(); setting the slots directly costs half. Used by _tokens() only.
_TOKEN_SLOTS = tuple(vars(Token)[name].__set__
                     for name in ("text", "start", "end", "norm", "lemma", "clause"))


def _token(text: str, start: int, end: int, norm: str, lemma: str, clause: int) -> Token:
    token: Token = object.__new__(Token)
    set_text, set_start, set_end, set_norm, set_lemma, set_clause = _TOKEN_SLOTS
    set_text(token, text)
    set_start(token, start)
    set_end(token, end)
    set_norm(token, norm)
    set_lemma(token, lemma)
    set_clause(token, clause)
    return token


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence: ``analysis.text[start:end]``, closing punctuation and quotes included."""

    start: int
    end: int
    tokens: tuple[Token, ...]
    paragraph: int  # index of the paragraph in the text, from 0


@dataclass(frozen=True)
class Analysis:
    """A text analysed once, for every rule that runs on it."""

    lang: str
    text: str
    sentences: tuple[Sentence, ...]

    def tokens(self) -> tuple[Token, ...]:
        """Every token of the text, in order."""
        return tuple(token for sentence in self.sentences for token in sentence.tokens)

    @functools.cached_property
    def _starts(self) -> list[int]:
        return [sentence.start for sentence in self.sentences]

    def sentence_at(self, offset: int) -> int:
        """Index of the sentence holding ``offset``; between two sentences, the earlier one.

        Raises IndexError when the text has no sentence.
        """
        if not self.sentences:
            raise IndexError("text: no sentence in an empty text")
        return max(bisect.bisect_right(self._starts, offset) - 1, 0)


@dataclass(frozen=True)
class LanguageSettings:
    """What the analysis does differently per language (``data/text/*.yaml``)."""

    lang: str
    lemmatizer: str | None = None
    compound_links: tuple[str, ...] | None = None  # None: compounds are written apart
    capitalised_nouns: bool = False  # German: a compound's head is looked up capitalised
    elisions: frozenset[str] = frozenset()
    clitics: frozenset[str] = frozenset()
    ordinal_dot: bool = False
    terminators: str = ""
    abbreviations: frozenset[str] = frozenset()
    clause_words: frozenset[str] = frozenset()


# -- data ------------------------------------------------------------------------------------

_SETTING_KEYS = {"lemmatizer", "compounds", "capitalised_nouns", "elisions", "clitics",
                 "ordinal_dot", "terminators"}


@functools.cache
def _load(name: str) -> dict[str, Any]:
    path = resources.files("monitor.match").joinpath(f"data/text/{name}")
    return check_data(name, yaml.safe_load(path.read_text(encoding="utf-8")))


def check_data(name: str, data: Any) -> dict[str, Any]:
    """``data`` read from data/text/NAME, or ConfigError: not a mapping, or a language key
    that is not a two-letter code (YAML reads a bare NO as false)."""
    if not isinstance(data, dict):
        raise ConfigError(f"text: {name}: expected a mapping", "config.text_data")
    for code in data.get("languages", {}):
        if not (isinstance(code, str) and len(code) == 2 and code.isalpha() and code.islower()):
            raise ConfigError(f"text: {name}: {code!r} is not a two-letter language code",
                              "config.text_data")
    return data


def _words(path: str, code: str, values: Any) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"text: {path}: {code}: expected a list of words (quote No, On...)",
                          "config.text_data")
    return values


@functools.cache
def language_settings(lang: str) -> LanguageSettings:
    """The settings of ``lang`` (an ISO 639-1 code); defaults for a language not listed."""
    entry = _load("languages.yaml")["languages"].get(lang)
    if entry is None:
        entry = {"lemmatizer": lang if lang in SIMPLEMMA_LANGUAGES else None}
    if not isinstance(entry, dict) or set(entry) - _SETTING_KEYS:
        raise ConfigError(f"text: languages.yaml: {lang}: unknown keys or not a mapping",
                          "config.text_data")
    lemmatizer = entry.get("lemmatizer")
    if lemmatizer is not None and lemmatizer not in SIMPLEMMA_LANGUAGES:
        raise ConfigError(f"text: languages.yaml: {lang}: simplemma has no {lemmatizer!r}",
                          "config.text_data")
    abbreviations = _load("abbreviations.yaml")
    links = entry.get("compounds")
    return LanguageSettings(
        lang=lang,
        lemmatizer=lemmatizer,
        compound_links=None if links is None else tuple(_words("languages.yaml", lang, links)),
        capitalised_nouns=bool(entry.get("capitalised_nouns", False)),
        elisions=frozenset(fold(w) for w in _words("languages.yaml", lang,
                                                   entry.get("elisions", []))),
        clitics=frozenset(fold(w) for w in _words("languages.yaml", lang,
                                                  entry.get("clitics", []))),
        ordinal_dot=bool(entry.get("ordinal_dot", False)),
        terminators=str(entry.get("terminators", "")),
        abbreviations=frozenset(
            _words("abbreviations.yaml", "common", abbreviations["common"])
            + _words("abbreviations.yaml", lang, abbreviations["languages"].get(lang, []))
        ),
        clause_words=frozenset(fold(w) for w in _words(
            "clause_words.yaml", lang, _load("clause_words.yaml")["languages"].get(lang, []))),
    )


def compound_languages() -> frozenset[str]:
    """The languages that write compounds closed (``compounds`` in languages.yaml)."""
    return frozenset(code for code in _load("languages.yaml")["languages"]
                     if language_settings(code).compound_links is not None)


# -- folding ---------------------------------------------------------------------------------

@functools.cache
def _fold_tables() -> tuple[dict[int, str], dict[int, str | None], dict[int, str | None],
                            dict[int, str]]:
    data = _load("fold.yaml")
    punctuation = {ord(variant): target for target, variants in data["punctuation"].items()
                   for variant in variants}
    keep = {ord(letter): chr(0xE000 + i) for i, letter in enumerate(data["keep"])}
    letters: dict[int, str | None] = {ord(k): v for k, v in data["letters"].items()}
    letters.update({ord(k): None for k in data["drop"]})
    letters.update(keep)
    marks: dict[int, str | None] = {}
    for span in data["strip_marks"]:
        low, high = (int(part, 16) for part in span.split("-"))
        marks.update(dict.fromkeys(range(low, high + 1)))
    unkeep = {ord(private): letter for letter, private in zip(data["keep"], keep.values(),
                                                               strict=True)}
    return punctuation, letters, marks, unkeep


def _han_folder() -> Callable[[str], str] | None:
    try:
        opencc = importlib.import_module("opencc")
    except ImportError:
        return None
    converter = opencc.OpenCC("t2s")
    return lambda char: str(converter.convert(char))


_TO_SIMPLIFIED = _han_folder()
HAN_VARIANTS_FOLDED = _TO_SIMPLIFIED is not None  # traditional Han folds to simplified


@functools.lru_cache(maxsize=1 << 14)
def _simplified(char: str) -> str:
    assert _TO_SIMPLIFIED is not None
    folded = _TO_SIMPLIFIED(char)
    return folded if len(folded) == 1 else char


def fold(text: str) -> str:
    """Case-, diacritic- and variant-insensitive form of ``text``, for matching.

    NFKC (full-width and ligatures), casefold (ß -> ss, final ς -> σ), letters NFD cannot
    split (ł -> l, ø -> o, Turkish ı -> i), Latin/Greek/Cyrillic diacritics, Hebrew points and
    Arabic harakat stripped; Cyrillic й ї ў ѓ ќ kept (ё -> е); ’ ʼ ‘ -> ', dashes -> -,
    quotes -> "; traditional Han -> simplified when opencc is installed. The length may change
    (ß -> ss), which is why analyse() folds each token and keeps offsets on the source text.
    """
    punctuation, letters, marks, unkeep = _fold_tables()
    folded = unicodedata.normalize("NFKC", text.translate(punctuation)).casefold()
    folded = unicodedata.normalize("NFD", folded.translate(letters)).translate(marks)
    folded = unicodedata.normalize("NFC", folded).translate(unkeep)
    if _TO_SIMPLIFIED is not None and _HAN.search(folded):
        folded = "".join(_simplified(char) if _HAN.match(char) else char for char in folded)
    return folded


# -- lemmas ----------------------------------------------------------------------------------

@functools.cache
def _simplemma() -> tuple[Any, Any, Any]:
    """simplemma's lemmatiser, dictionary lookup and dictionaries, which all stay loaded.

    The stream factory keeps each language's dictionary compressed in memory (about 12 MB a
    language, against ~95 MB for simplemma's default dict, which also keeps only 8 languages
    and reloads the others, ~0.7 s each); its lookups are ~10x slower (12 µs), which the
    word cache here makes rare. bench/text.py measures both effects.
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


_ASCII_APOSTROPHE = str.maketrans({char: "'" for char in _APOSTROPHES})


@functools.lru_cache(maxsize=CACHE_WORDS)
def _word_forms(word: str, kind: str, lang: str) -> tuple[tuple[int, int, str, str], ...]:
    """(start, end, norm, lemma) of each token a matched word makes, offsets in the word."""
    if kind == "dotted":
        norm = fold(word).replace(".", "")
        return ((0, len(word), norm, norm),)
    if kind != "word":
        norm = fold(word)
        return ((0, len(word), norm, norm),)
    settings = language_settings(lang)
    spans = _pieces(word, settings) if any(a in word for a in _APOSTROPHES) else [(0, len(word))]
    forms = []
    for start, end in spans:
        piece = word[start:end].translate(_ASCII_APOSTROPHE)
        forms.append((start, end, fold(piece), fold(_lemma(piece, settings))))
    return tuple(forms)


def lemmas_of_phrase(phrase: str, lang: str) -> tuple[str, ...]:
    """The lemmas analyse() gives ``phrase``: how a lexicon term meets article text."""
    return tuple(token.lemma for token in analyse(phrase, lang).tokens())


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


# -- tokens and sentences --------------------------------------------------------------------

@functools.cache
def _marks() -> str:
    """A character class body of every combining mark in the BMP (and soft hyphen, ZWJ/ZWNJ)."""
    spans: list[str] = ["\u00ad\u200c\u200d"]
    start = None
    for code in range(0x300, 0x10001):
        is_mark = code < 0x10000 and unicodedata.category(chr(code))[0] == "M"
        if is_mark and start is None:
            start = code
        elif not is_mark and start is not None:
            spans.append(f"{re.escape(chr(start))}-{re.escape(chr(code - 1))}")
            start = None
    return "".join(spans)


@functools.cache
def _token_pattern() -> re.Pattern[str]:
    letters = rf"(?:[^\W_{_UNSPACED}]++|[{_marks()}]++)++"  # runs: sre loops over them in C
    return re.compile(
        rf"(?P<dotted>(?:[^\W\d_{_UNSPACED}]\.){{2,}})"
        rf"|(?P<number>\d+(?:[.,]\d+)+)"
        rf"|(?P<word>{letters}(?:[{_APOSTROPHES}]{letters})*+)"
        rf"|(?P<unspaced>[{_UNSPACED}][{_marks()}]*+)"
    )


@functools.cache
def _end_pattern(extra: str) -> re.Pattern[str]:
    # One leading character class, so that sre scans for it in C.
    return re.compile(rf"([.!?…؟۔।॥{_CJK_ENDS}{re.escape(extra)}]+)"
                      rf"(?:[{_CLOSERS}]|[ \u00a0\u202f][»›])*")


def _paragraphs(text: str) -> Iterator[tuple[int, int, int]]:
    """(start, end, paragraph index) of each line; a wrapped line continues the one before."""
    paragraph, current = -1, None
    for line in _LINES.finditer(text):
        start, end = line.span()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start == end:
            continue
        if current is not None and _wrapped(text, current[1], start):
            current = (current[0], end)
            continue
        if current is not None:
            yield current[0], current[1], paragraph
        paragraph, current = paragraph + 1, (start, end)
    if current is not None:
        yield current[0], current[1], paragraph


def _wrapped(text: str, previous_end: int, start: int) -> bool:
    """A single line break inside a sentence: no closing punctuation before, lower case after."""
    return (len(_LINE_BREAK.findall(text, previous_end, start)) == 1
            and text[previous_end - 1] not in _OPEN_LINE_END and text[start].islower())


def _is_end(text: str, sentence_start: int, match: re.Match[str], block_end: int,
            settings: LanguageSettings) -> bool:
    run = match.group(1)
    if run[-1] in _CJK_ENDS:
        return True
    after = match.end()
    if after < block_end:
        if not text[after].isspace():
            return False  # 3.5, example.com, "word.Next"
        following = after + 1
        while following < block_end and text[following].isspace():
            following += 1
        if following < block_end and text[following].islower():
            return False
    if run != ".":
        return True
    word_start = match.start()
    while word_start > sentence_start and (text[word_start - 1].isalnum()
                                           or text[word_start - 1] == "."):
        word_start -= 1
    word = text[word_start:match.start()].lstrip(".")
    if not word:
        return True
    if word.isdigit():
        return not (word_start == sentence_start
                    or (settings.ordinal_dot and len(word) <= ORDINAL_DIGITS))
    return not (
        (len(word) == 1 and word.isupper())
        or _DOTTED.fullmatch(word)
        or word in settings.abbreviations
        or word[0].lower() + word[1:] in settings.abbreviations
    )


def _sentence_spans(text: str, settings: LanguageSettings) -> Iterator[tuple[int, int, int]]:
    ends = _end_pattern(settings.terminators)
    for block_start, block_end, paragraph in _paragraphs(text):
        start = block_start
        for match in ends.finditer(text, block_start, block_end):
            if match.end() <= start or not _is_end(text, start, match, block_end, settings):
                continue
            end = match.end()
            while end > start and text[end - 1] in " \u00a0\u202f":
                end -= 1
            yield start, end, paragraph
            start = match.end()
            while start < block_end and text[start].isspace():
                start += 1
        if start < block_end:
            yield start, block_end, paragraph


def _tokens(text: str, start: int, end: int, lang: str,
            clause_words: frozenset[str]) -> tuple[Token, ...]:
    tokens: list[Token] = []
    append, forms, gap_breaks = tokens.append, _word_forms, _CLAUSE_PUNCT.search
    clause, previous_end = 0, -1
    for match in _token_pattern().finditer(text, start, end):
        word_start = match.start()
        for piece_start, piece_end, norm, lemma in forms(match.group(), match.lastgroup or "",
                                                         lang):
            a = word_start + piece_start
            if previous_end >= 0 and (norm in clause_words or (
                (a != previous_end + 1 or text[previous_end] != " ")
                and gap_breaks(text, previous_end, a)
            )):
                clause += 1
            previous_end = word_start + piece_end
            append(_token(text[a:previous_end], a, previous_end, norm, lemma, clause))
    return tuple(tokens)


def analyse(text: str, lang: str) -> Analysis:
    """Sentences, paragraphs, tokens, norms and lemmas of ``text`` written in ``lang``."""
    settings = language_settings(lang)
    sentences = tuple(
        Sentence(start, end, _tokens(text, start, end, lang, settings.clause_words), paragraph)
        for start, end, paragraph in _sentence_spans(text, settings)
    )
    return Analysis(lang, text, sentences)


def clauses(sentence: Sentence) -> tuple[tuple[Token, ...], ...]:
    """The sentence's tokens grouped by clause (see Token.clause)."""
    groups: dict[int, list[Token]] = {}
    for token in sentence.tokens:
        groups.setdefault(token.clause, []).append(token)
    return tuple(tuple(group) for group in groups.values())


__all__ = [
    "HAN_VARIANTS_FOLDED", "Analysis", "LanguageSettings", "Sentence", "Token", "analyse",
    "clauses", "compound_languages", "fold", "language_settings", "lemmas_of_phrase",
    "matches_compound",
]
