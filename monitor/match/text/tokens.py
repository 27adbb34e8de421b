"""Tokens and sentences: :func:`analyse` and the :class:`Analysis` it returns.

Tokens come from :func:`token_pattern`; each matched word becomes one or more tokens through
:func:`~monitor.match.text.lemmas.word_forms`. Sentences are found within paragraphs (the
text's lines, wrapped lines joined), clauses within sentences: the package docstring
(:mod:`monitor.match.text`) describes the rules.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from monitor.match.text.lemmas import APOSTROPHES, word_forms
from monitor.match.text.settings import LanguageSettings, language_settings

ORDINAL_DIGITS = 2  # "1. Januar", "20. Jahrhundert"; "2024." ends a sentence

# Scripts written without spaces between words, one token per character (see the package doc).
_UNSPACED = (
    "\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1100-\u11ff\u1780-\u17ff\u3005-\u3007"
    "\u3041-\u3096\u3099-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3130-\u318f\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0003134f"
)
_CLOSERS = "»”\"’'\\)\\]›」』）》〉】〕"
_CLAUSE_PUNCT = re.compile(r"[,;:()\[\]{}\"«»„“”‹›「」『』、，；：（）–—،؛]|\s-|-\s")
_CJK_ENDS = "。！？｡"
_DOTTED = re.compile(r"(?:[^\W\d_]{1,3}\.)+[^\W\d_]{1,3}")  # U.S, z.B, m.in, t.ex
_LINES = re.compile(r"[^\n\r\u2028\u2029]+")
_LINE_BREAK = re.compile(r"\r\n|[\n\r\u2028\u2029]")
_OPEN_LINE_END = set(".!?…。！？:;" + "»”\"’'»)]›」』）")  # a line ending so is no wrapped line


class Token(NamedTuple):
    """A word (or word piece, or character of an unspaced script) and where it is."""

    text: str  # as in the analysed text
    start: int
    end: int
    norm: str  # fold(text)
    lemma: str  # folded lemma; the folded character for unspaced scripts
    clause: int = 0  # index of the clause within its sentence


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
def token_pattern() -> re.Pattern[str]:
    """The compiled regex that finds tokens (built once, then cached).

    Its named groups are the kinds :func:`~monitor.match.text.lemmas.word_forms` takes:
    ``dotted`` (U.S.), ``number`` (3.5, 1,340), ``word`` (letters and marks, apostrophes
    inside) and ``unspaced`` (one character of a script written without spaces).
    """
    letters = rf"(?:[^\W_{_UNSPACED}]++|[{_marks()}]++)++"  # runs: sre loops over them in C
    return re.compile(
        rf"(?P<dotted>(?:[^\W\d_{_UNSPACED}]\.){{2,}})"
        rf"|(?P<number>\d+(?:[.,]\d+)+)"
        rf"|(?P<word>{letters}(?:[{APOSTROPHES}]{letters})*+)"
        rf"|(?P<unspaced>[{_UNSPACED}][{_marks()}]*+)"
    )


@functools.cache
def _end_pattern(extra: str) -> re.Pattern[str]:
    # One leading character class, so that sre scans for it in C.
    return re.compile(rf"([.!?…؟۔।॥{_CJK_ENDS}{re.escape(extra)}]+)"
                      rf"(?:[{_CLOSERS}]|[ \u00a0\u202f][»›])*")


def paragraphs(text: str) -> Iterator[tuple[int, int, int]]:
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


def _sentence_spans(text: str, settings: LanguageSettings, only: Collection[int] | None = None
                    ) -> Iterator[tuple[int, int, int]]:
    ends = _end_pattern(settings.terminators)
    for block_start, block_end, paragraph in paragraphs(text):
        if only is not None and paragraph not in only:
            yield block_start, block_end, paragraph
            continue
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
    append, forms, gap_breaks = tokens.append, word_forms, _CLAUSE_PUNCT.search
    new = tuple.__new__  # a quarter of the cost of Token(...): analyse() makes many
    clause, previous_end = 0, -1
    for match in token_pattern().finditer(text, start, end):
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
            append(new(Token, (text[a:previous_end], a, previous_end, norm, lemma, clause)))
    return tuple(tokens)


def analyse(text: str, lang: str, only: Collection[int] | None = None) -> Analysis:
    """Sentences, paragraphs, tokens, norms and lemmas of ``text`` written in ``lang``.

    With ``only``, each other paragraph is left whole, one Sentence without tokens: the
    matcher's presearch says which paragraphs its rules can reach, and reaches back from a
    paragraph N sentences only when the N paragraphs before it are in ``only`` too, so what
    it counts back over is what a full analysis has there.
    """
    settings = language_settings(lang)
    sentences = tuple(
        Sentence(start, end, _tokens(text, start, end, lang, settings.clause_words)
                 if only is None or paragraph in only else (), paragraph)
        for start, end, paragraph in _sentence_spans(text, settings, only)
    )
    return Analysis(lang, text, sentences)


def clauses(sentence: Sentence) -> tuple[tuple[Token, ...], ...]:
    """The sentence's tokens grouped by clause (see Token.clause)."""
    groups: dict[int, list[Token]] = {}
    for token in sentence.tokens:
        groups.setdefault(token.clause, []).append(token)
    return tuple(tuple(group) for group in groups.values())


def lemmas_of_phrase(phrase: str, lang: str) -> tuple[str, ...]:
    """The lemmas analyse() gives ``phrase``: how a lexicon term meets article text."""
    return tuple(token.lemma for token in analyse(phrase, lang).tokens())
