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
  characters fold to simplified when ``opencc`` is installed (:data:`HAN_VARIANTS_FOLDED`,
  see :mod:`~monitor.match.text.fold`), so 德國 and 德国 meet.

Lemmas: simplemma, given the token as written (case helps it: Polish "Niemcy" is the country,
"niemcy" the plural of "Niemiec"; write lexicon terms in their natural case). Results are
cached per (word, language) by :func:`word_forms`, so an article costs a dictionary lookup
per repeated word. Languages with closed compounds (de nl sv da no fi is lb) lemmatise a word
simplemma does not know as its modifier + the lemma of its longest known head
(säkerhetsgarantierna -> säkerhetsgaranti, turvatakuista -> turvatakuu, where simplemma alone
gives "turvatakuka"); :func:`matches_compound` then lets a term match as a compound's head
(garantie in sicherheitsgarantie). simplemma's dictionaries stay loaded for every language
met, compressed (:mod:`~monitor.match.text.lemmas` says why).

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

Modules, each importing only those above it:

    data      the data files, read once and checked (:func:`check_data`)
    fold      :func:`fold` and its tables
    settings  :class:`LanguageSettings` per language, :func:`compound_languages`
    lemmas    simplemma, compounds (:func:`matches_compound`), :func:`word_forms`
    tokens    :class:`Token`, :class:`Sentence`, :class:`Analysis`, :func:`analyse`,
              :func:`token_pattern`, :func:`paragraphs`, :func:`clauses`, :func:`lemmas_of_phrase`
"""

from __future__ import annotations

from monitor.match.text.data import check_data as check_data
from monitor.match.text.fold import HAN_VARIANTS_FOLDED, fold
from monitor.match.text.lemmas import CACHE_WORDS as CACHE_WORDS
from monitor.match.text.lemmas import MIN_HEAD as MIN_HEAD
from monitor.match.text.lemmas import MIN_MODIFIER as MIN_MODIFIER
from monitor.match.text.lemmas import matches_compound, word_forms
from monitor.match.text.settings import SIMPLEMMA_LANGUAGES as SIMPLEMMA_LANGUAGES
from monitor.match.text.settings import LanguageSettings, compound_languages, language_settings
from monitor.match.text.tokens import ORDINAL_DIGITS as ORDINAL_DIGITS
from monitor.match.text.tokens import (
    Analysis,
    Sentence,
    Token,
    analyse,
    clauses,
    lemmas_of_phrase,
    paragraphs,
    token_pattern,
)

__all__ = [
    "HAN_VARIANTS_FOLDED", "Analysis", "LanguageSettings", "Sentence", "Token", "analyse",
    "clauses", "compound_languages", "fold", "language_settings", "lemmas_of_phrase",
    "matches_compound", "paragraphs", "token_pattern", "word_forms",
]
