"""Country data files: read and check ``monitor/match/data/countries/*.yaml``.

Three kinds of file, read as node trees through :mod:`monitor.match.yamlpos` like the rule
files, so that each problem names ``file:line:col``:

    <lang>.yaml     what one language adds to CLDR and ISO 3166: curated names, adjectives,
                    capitals and metonyms by code; the locales and catalogues to read; the
                    texts that are ambiguous, dropped, or longer phrases that are no country
    capitals.yaml   generated: code -> {capital: English name, zone: CLDR time zone}
    countries.yaml  the status of codes that are not UN members, and the codes whose names or
                    capitals are also common words

A country code is a quoted string known to ISO 3166-1 alpha-2 (or XK): PyYAML reads a bare
``NO`` as false (the Norway problem). Every problem of a file is reported at once, in one
:class:`RuleError` (code ``rule.country_data``). :mod:`monitor.match.countries` builds the
terms from what these readers return.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pycountry
from yaml.nodes import Node, ScalarNode, SequenceNode

from monitor.errors import RuleError
from monitor.match import yamlpos
from monitor.match.yamlpos import Report

STATUSES = ("un-member", "observer", "partially-recognised", "territory")
EXTRA_CODES = frozenset({"XK"})  # Kosovo: user-assigned in ISO 3166, used by CLDR and the EU
CODE = "rule.country_data"

_CURATED_KINDS = {"names": "name", "adjectives": "adjective",
                  "capitals": "capital", "metonyms": "metonym"}
_LANGUAGE_KEYS = ("language", "script", "cldr", "iso3166", "expand", *_CURATED_KINDS,
                  "ambiguous", "drop", "not_countries")
_CAPITAL_KEYS = ("capital", "zone")
_COUNTRIES_KEYS = ("status", "ambiguous_names", "ambiguous_capitals")


@dataclass(frozen=True)
class LanguageData:
    """What one ``<lang>.yaml`` file says."""

    lang: str
    script: str
    cldr: tuple[str, ...]
    iso3166: tuple[str, ...]
    expand: dict[str, str] = field(default_factory=dict)
    curated: tuple[tuple[str, str, str], ...] = ()  # (kind, code, text)
    ambiguous: frozenset[str] = frozenset()  # bare() texts
    drop: frozenset[str] = frozenset()  # fold() texts
    not_countries: tuple[str, ...] = ()


@dataclass(frozen=True)
class Capital:
    english: str
    zone: str | None


@dataclass(frozen=True)
class CountriesFile:
    """What ``countries.yaml`` says about the codes themselves."""

    status: dict[str, str]
    ambiguous_names: frozenset[str]
    ambiguous_capitals: frozenset[str]


@functools.cache
def known_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code (pycountry), and XK."""
    return frozenset(country.alpha_2 for country in pycountry.countries) | EXTRA_CODES


def is_country_code(code: str) -> bool:
    """Whether ``code`` is an ISO 3166-1 alpha-2 code (or XK), in upper case."""
    return code in known_codes()


def fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def bare(text: str) -> str:
    """Case, accents and vowel marks folded, as a matcher may fold them."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


# -- the three kinds of file --------------------------------------------------------------


def read_language_file(path: Path) -> LanguageData:
    """Read and check one ``<lang>.yaml``; every problem is reported at once."""
    report, root = _open(path)
    top = _fields(report, root, path.name, _LANGUAGE_KEYS)

    def texts(key: str) -> list[str]:
        return _texts(report, top[key]) if key in top else []

    if "language" in top:
        named = _text(report, top["language"])
        if named is not None and named != path.stem:
            report.add(top["language"], CODE, f"language '{named}' but the file is {path.name}")
    curated = [
        (kind, code, text)
        for key, kind in _CURATED_KINDS.items() if key in top
        for code, forms in _codes(report, top[key], key)
        for text in forms
    ]
    data = LanguageData(
        lang=path.stem,
        script=(_text(report, top["script"]) or "") if "script" in top else "Latn",
        cldr=tuple(texts("cldr")) if "cldr" in top else (path.stem,),
        iso3166=tuple(texts("iso3166")),
        expand=_text_map(report, top["expand"], "expand") if "expand" in top else {},
        curated=tuple(curated),
        ambiguous=frozenset(map(bare, texts("ambiguous"))),
        drop=frozenset(map(fold, texts("drop"))),
        not_countries=tuple(texts("not_countries")),
    )
    _finish(report)
    return data


def read_capitals_file(path: Path) -> dict[str, Capital]:
    """Read the generated ``capitals.yaml``: code -> {capital, zone}."""
    report, root = _open(path)
    capitals: dict[str, Capital] = {}
    for code_node, value in yamlpos.pairs(report, root, path.name, "code: {capital, zone}") or ():
        code = _code(report, code_node)
        entry = _fields(report, value, "a capital", _CAPITAL_KEYS)
        capital = _text(report, entry["capital"]) if "capital" in entry else None
        zone = _text(report, entry["zone"]) if "zone" in entry else None
        if code and capital is not None:  # {}: no capital recorded
            capitals[code] = Capital(capital, zone)
    _finish(report)
    return capitals


def read_countries_file(path: Path) -> CountriesFile:
    """Read ``countries.yaml``: the status of codes that are not UN members, and the codes
    whose names or capital's name are also common words (Réunion, Jersey; Victoria, Male)."""
    report, root = _open(path)
    top = _fields(report, root, path.name, _COUNTRIES_KEYS)
    status: dict[str, str] = {}
    listed = yamlpos.pairs(report, top["status"], "status", "status: [codes]") \
        if "status" in top else []
    for name_node, codes in listed or ():
        name, found = _text(report, name_node), _code_list(report, codes)
        if name is not None and name not in STATUSES:
            report.add(name_node, CODE, f"unknown status '{name}' (one of {', '.join(STATUSES)})")
        elif name is not None:
            status.update(dict.fromkeys(found, name))
    names = _code_list(report, top["ambiguous_names"]) if "ambiguous_names" in top else []
    capitals = _code_list(report, top["ambiguous_capitals"]) \
        if "ambiguous_capitals" in top else []
    _finish(report)
    return CountriesFile(status, frozenset(names), frozenset(capitals))


# -- reading through yamlpos --------------------------------------------------------------


def _open(path: Path) -> tuple[Report, Node]:
    """The file's report and node tree; an empty file is an empty mapping. A file that cannot
    be read or parsed raises at once: there is nothing more to check."""
    report = Report(_display(path))
    data = yamlpos.read_bytes(report, path)
    root = yamlpos.compose(report, data, allow_empty=True, fast=True) if data is not None else None
    if root is None:
        raise _error(report)
    return report, root


def _finish(report: Report) -> None:
    if report.problems:
        raise _error(report)


def _error(report: Report) -> RuleError:
    return RuleError("\n".join(str(problem) for problem in sorted(report.problems)), CODE)


def _fields(report: Report, node: Node, what: str, allowed: tuple[str, ...]) -> dict[str, Node]:
    """A mapping's values by key (unknown and duplicate keys reported); {} if not a mapping."""
    entries = yamlpos.mapping(report, node, what, allowed)
    return entries.values if entries is not None else {}


def _text(report: Report, node: Node) -> str | None:
    """A string. Unlike :func:`yamlpos.text`, says what YAML read instead: 'got false'."""
    if isinstance(node, ScalarNode) and node.tag == yamlpos.STR:
        return str(node.value)
    quote = " (quote it)" if isinstance(node, ScalarNode) and node.tag != yamlpos.NULL else ""
    report.add(node, CODE, f"expected a string, got {_got(node)}{quote}")
    return None


def _texts(report: Report, node: Node) -> list[str]:
    """A list of strings, or one string; empty ones are left out."""
    nodes = node.value if isinstance(node, SequenceNode) else [node]
    return [text for item in nodes if (text := _text(report, item))]


def _text_map(report: Report, node: Node, what: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in yamlpos.pairs(report, node, what, "short: full") or ():
        short, full = _text(report, key), _text(report, value)
        if short is not None and full is not None:
            found[short] = full
    return found


def _code(report: Report, node: Node) -> str | None:
    """A country code: a quoted two-letter upper-case string known to ISO 3166 (or XK)."""
    if not isinstance(node, ScalarNode) or node.tag != yamlpos.STR:
        norway = yamlpos.bare_bool(node) and is_country_code(str(node.value).upper())
        hint = f' (the Norway problem: write "{str(node.value).upper()}")' if norway else ""
        report.add(node, CODE, f"country code must be a quoted string, got {_got(node)}{hint}")
        return None
    code = str(node.value)
    if node.style not in ("'", '"'):
        report.add(node, CODE, f'country code {code} must be quoted: "{code}"')
    elif not is_country_code(code):
        report.add(node, CODE, f"unknown country code '{code}'")
    else:
        return code
    return None


def _code_list(report: Report, node: Node) -> list[str]:
    """A list of country codes, or one code."""
    nodes = node.value if isinstance(node, SequenceNode) else [node]
    return [code for item in nodes if (code := _code(report, item))]


def _codes(report: Report, node: Node, what: str) -> Iterator[tuple[str, list[str]]]:
    """The entries of a mapping of country code to texts (a list, or one text)."""
    for code_node, texts in yamlpos.pairs(report, node, what, "code: [texts]") or ():
        code, forms = _code(report, code_node), _texts(report, texts)
        if code:
            yield code, forms


def _got(node: Node) -> str:
    """What a node is, for a message; a YAML 1.1 boolean as the true or false it became."""
    if isinstance(node, ScalarNode) and node.tag == yamlpos.BOOL:
        return "true" if str(node.value).lower() in ("yes", "true", "on") else "false"
    return yamlpos.describe(node)


def _display(path: Path) -> str:
    """The path relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
