"""Per-language settings of the analysis, from ``data/text/languages.yaml``,
``abbreviations.yaml`` and ``clause_words.yaml``.

A language the files do not list gets the defaults: simplemma's lemmatiser when simplemma
knows the language, no compounds, elisions, clitics or extra sentence terminators.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES

from monitor.errors import ConfigError
from monitor.match.text.data import load_data, word_list
from monitor.match.text.fold import fold

SIMPLEMMA_LANGUAGES: frozenset[str] = frozenset(SUPPORTED_LANGUAGES)  # simplemma's codes

_SETTING_KEYS = {"lemmatizer", "compounds", "capitalised_nouns", "elisions", "clitics",
                 "ordinal_dot", "terminators"}


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


@functools.cache
def language_settings(lang: str) -> LanguageSettings:
    """The settings of ``lang`` (an ISO 639-1 code); defaults for a language not listed."""
    entry = load_data("languages.yaml")["languages"].get(lang)
    if entry is None:
        entry = {"lemmatizer": lang if lang in SIMPLEMMA_LANGUAGES else None}
    if not isinstance(entry, dict) or set(entry) - _SETTING_KEYS:
        raise ConfigError(f"text: languages.yaml: {lang}: unknown keys or not a mapping",
                          "config.text_data")
    lemmatizer = entry.get("lemmatizer")
    if lemmatizer is not None and lemmatizer not in SIMPLEMMA_LANGUAGES:
        raise ConfigError(f"text: languages.yaml: {lang}: simplemma has no {lemmatizer!r}",
                          "config.text_data")
    abbreviations = load_data("abbreviations.yaml")
    links = entry.get("compounds")
    return LanguageSettings(
        lang=lang,
        lemmatizer=lemmatizer,
        compound_links=None if links is None else tuple(word_list("languages.yaml", lang,
                                                                  links)),
        capitalised_nouns=bool(entry.get("capitalised_nouns", False)),
        elisions=frozenset(fold(w) for w in word_list("languages.yaml", lang,
                                                      entry.get("elisions", []))),
        clitics=frozenset(fold(w) for w in word_list("languages.yaml", lang,
                                                     entry.get("clitics", []))),
        ordinal_dot=bool(entry.get("ordinal_dot", False)),
        terminators=str(entry.get("terminators", "")),
        abbreviations=frozenset(
            word_list("abbreviations.yaml", "common", abbreviations["common"])
            + word_list("abbreviations.yaml", lang, abbreviations["languages"].get(lang, []))
        ),
        clause_words=frozenset(fold(w) for w in word_list(
            "clause_words.yaml", lang,
            load_data("clause_words.yaml")["languages"].get(lang, []))),
    )


def compound_languages() -> frozenset[str]:
    """The languages that write compounds closed (``compounds`` in languages.yaml)."""
    return frozenset(code for code in load_data("languages.yaml")["languages"]
                     if language_settings(code).compound_links is not None)
