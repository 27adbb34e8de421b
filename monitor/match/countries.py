"""Countries: every surface form that names a country, in each language we read.

A country entity in a rule (``entity: country``) is found through these terms. For one
language, :func:`country_terms` gathers, per ISO 3166-1 alpha-2 code (plus ``XK``):

    name       CLDR territory names (Babel) and the ISO 3166 names translated in pycountry's
               gettext catalogues ("США", "米国", "Royaume-Uni"), plus curated short forms
               ("U.S.", "Britain")
    adjective  curated demonyms/adjectives in their base forms ("German", "британский")
    capital    the exemplar city of the capital's CLDR time zone in that language ("Берлин"),
               else the GeoNames English name in Latin-script languages, plus curated forms
    metonym    curated seats of power used for governments ("Kremlin", "Élysée")

Terms are raw text as written; the matcher folds case and diacritics and lemmatises (simplemma
maps "Niemczech" to "Niemcy" and "британского" to "британский"), so the data holds base forms.
A term is ``ambiguous`` when it also reads as something else (English "Chad", Turkish "Mısır",
a text two countries share such as "Congo"): the matcher should ask for stronger evidence.

The data lives in ``monitor/match/data/countries/`` (its README says where each list comes
from); :mod:`monitor.match.countrydata` reads and checks it. Everything is read on first use
and cached; a bad entry raises :class:`RuleError` naming ``file:line:col``.
"""

from __future__ import annotations

import functools
import gettext
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from importlib import metadata, resources
from pathlib import Path

import babel
import pycountry
from babel import Locale, UnknownLocaleError
from babel.core import get_global

from monitor.errors import RuleError
from monitor.match.countrydata import (
    EXTRA_CODES,
    STATUSES,
    Capital,
    CountriesFile,
    LanguageData,
    bare,
    fold,
    is_country_code,
    read_capitals_file,
    read_countries_file,
    read_language_file,
)

__all__ = [
    "EXTRA_CODES", "KINDS", "STATUSES", "Capital", "CountriesFile", "CountryTerm",
    "LanguageData", "country_name", "country_status", "country_terms", "data_files",
    "data_fingerprint", "is_country_code", "languages", "not_country_phrases",
    "read_capitals_file", "read_countries_file", "read_language_file",
]

KINDS = ("name", "adjective", "capital", "metonym")
_NOT_IN_TEXT = re.compile("[\u0301\u00ad]")  # stress accents (Russian catalogues), soft hyphens


@dataclass(frozen=True)
class CountryTerm:
    """One way of naming a country in one language."""

    code: str  # ISO 3166-1 alpha-2, or XK
    lang: str  # ISO 639-1 code of the language file
    text: str  # as written, not folded
    kind: str  # one of KINDS
    source: str  # cldr, iso3166, cldr-zone, geonames, curated
    ambiguous: bool = False


# -- public API ---------------------------------------------------------------------------


@functools.cache
def languages() -> tuple[str, ...]:
    """The languages that have a country data file."""
    return tuple(sorted(p.stem for p in _data_dir().glob("*.yaml") if len(p.stem) == 2))


def country_status(code: str) -> str:
    """One of STATUSES; every code not listed otherwise in countries.yaml is a UN member."""
    if not is_country_code(code):
        raise RuleError(f"countries: unknown country code '{code}'", "rule.unknown_country")
    return _status().get(code, "un-member")


def country_name(code: str, lang: str = "en") -> str:
    """The CLDR display name of a country in a language (English when Babel has none)."""
    if not is_country_code(code):
        raise RuleError(f"countries: unknown country code '{code}'", "rule.unknown_country")
    locales = _language(lang).cldr if lang in languages() else (lang,)
    for locale in (*locales, "en"):
        name = _territories(locale).get(code)
        if name:
            return name
    return code


def country_terms(lang: str) -> list[CountryTerm]:
    """Every surface form of every country in one language."""
    return list(_terms(lang))


def not_country_phrases(lang: str) -> list[str]:
    """Phrases that contain a country term but name something else ("Latin America",
    "New Mexico"): the matcher lets them win over the shorter term (longest match)."""
    return list(_language(lang).not_countries)


def data_files(lang: str) -> tuple[Path, ...]:
    """The data files the terms of a language are built from."""
    directory = _data_dir()
    return (directory / "countries.yaml", directory / "capitals.yaml", directory / f"{lang}.yaml")


def data_fingerprint(lang: str) -> str:
    """A hash of what the terms of a language come from: its data files and the versions of
    Babel (CLDR) and pycountry, for a rule's version."""
    digest = hashlib.sha256(f"babel {babel.__version__} pycountry {_pycountry_version()}".encode())
    for path in data_files(lang):
        digest.update(path.read_bytes())
    return digest.hexdigest()


# -- assembling one language --------------------------------------------------------------


@functools.cache
def _terms(lang: str) -> tuple[CountryTerm, ...]:
    data = _language(lang)
    names = [*_cldr_terms(data), *_iso_terms(data)]
    found = [
        *_curated_terms(data),
        *(term for term, alternative in names if not alternative),
        *_alternatives(names),
        *_capital_terms(data),
    ]
    return tuple(_flag_ambiguous(_deduplicate(found, data.drop), data))


def _curated_terms(data: LanguageData) -> Iterator[CountryTerm]:
    for kind, code, text in data.curated:
        yield CountryTerm(code, data.lang, text, kind, "curated")


NameTerm = tuple[CountryTerm, bool]  # (term, is a parenthesised alternative)


def _cldr_terms(data: LanguageData) -> Iterator[NameTerm]:
    for locale in data.cldr:
        for code, raw in sorted(_territories(locale).items()):
            if is_country_code(code):
                yield from _name_terms(code, raw, data, "cldr")


def _iso_terms(data: LanguageData) -> Iterator[NameTerm]:
    for catalogue in data.iso3166:
        translate = _catalogue(catalogue).gettext
        for country in pycountry.countries:
            for english in _iso_english_names(country):
                text = translate(english)
                if text != english or catalogue == "en":
                    yield from _name_terms(country.alpha_2, text, data, "iso3166")


def _name_terms(code: str, raw: str, data: LanguageData, source: str) -> Iterator[NameTerm]:
    forms, alternatives = _surface_forms(raw, data.expand)
    for text in forms:
        yield CountryTerm(code, data.lang, text, "name", source), False
    for text in alternatives:
        yield CountryTerm(code, data.lang, text, "name", source), True


def _alternatives(names: list[NameTerm]) -> Iterator[CountryTerm]:
    """Parenthesised alternatives that do not name another country: "Burma" stays, but not
    "Великобритания" from "Виргинские о-ва (Великобритания)"."""
    owner = {fold(term.text): term.code for term, alternative in names if not alternative}
    for term, alternative in names:
        if alternative and owner.get(fold(term.text), term.code) == term.code:
            yield term


def _capital_terms(data: LanguageData) -> Iterator[CountryTerm]:
    for code, capital in sorted(_capitals().items()):
        if _status().get(code, "un-member") == "territory" and capital.zone is None:
            continue  # small territories' capitals (Plymouth, Hamilton) cost more than they add
        local = [_zone_city(locale, capital.zone) for locale in data.cldr]
        texts = [text for text in local if text]
        for text in dict.fromkeys(texts):
            yield CountryTerm(code, data.lang, text, "capital", "cldr-zone")
        if not texts and data.script == "Latn":
            for text in dict.fromkeys([capital.english, *_zone_id_city(capital.zone)]):
                yield CountryTerm(code, data.lang, text, "capital", "geonames")


def _surface_forms(raw: str, expand: dict[str, str]) -> tuple[list[str], list[str]]:
    """Texts to match for one catalogue name, and its parenthesised alternatives.

    "Myanmar (Burma)" gives "Myanmar" and the alternative "Burma"; "Korea, Republic of" gives
    "Korea"; "Congo - Kinshasa" gives "Congo-Kinshasa" and "Congo"; "о-ва" becomes "острова".
    """
    text = _NOT_IN_TEXT.sub("", unicodedata.normalize("NFKC", raw)).strip()
    for short, full in expand.items():
        text = re.sub(rf"(?<!\w){re.escape(short)}(?!\w)", full, text)
    forms: list[str] = []
    inner: list[str] = []
    for variant in text.split(";"):  # "St. Kitts og Nevis; Saint Kitts og Nevis"
        inner += [part.strip() for part in re.findall(r"\(([^)]*)\)", variant)]
        outer = re.sub(r"\s*\([^)]*\)\s*", " ", variant).strip()
        if "," in outer:  # "Korea, Republic of": "Korea", but not "Man" from "Man, Isle of"
            outer = outer.split(",")[0].strip()
            outer = outer if _is_name_like(outer) else ""
        forms += [outer.replace(" - ", "-"), outer.split(" - ")[0]] if " - " in outer else [outer]
    return _long_enough(forms), _long_enough(part for part in inner if _is_name_like(part))


def _long_enough(texts: Iterable[str]) -> list[str]:
    return [text for text in dict.fromkeys(texts) if len(text) > 1]


def _is_name_like(text: str) -> bool:
    """One word that names a place ("Burma", "Korea"), not a note ("fr.", "SAR") or a stub
    ("Man" of "Man, Isle of")."""
    if not text or " " in text or "." in text or text[0].islower():
        return False
    return len(text) >= 4 or not text[0].isupper()  # uncased scripts: ビルマ


def _deduplicate(terms: Iterable[CountryTerm], drop: frozenset[str]) -> list[CountryTerm]:
    """One term per (code, text): the first kind of KINDS wins, then the first source."""
    best: dict[tuple[str, str], CountryTerm] = {}
    for term in terms:
        key = (term.code, fold(term.text))
        if key[1] in drop:
            continue
        kept = best.get(key)
        if kept is None or KINDS.index(term.kind) < KINDS.index(kept.kind):
            best[key] = term
    return list(best.values())


def _flag_ambiguous(terms: list[CountryTerm], data: LanguageData) -> Iterator[CountryTerm]:
    """Flag what the language file lists, texts two countries share ("Congo", Arabic "عمان"
    for Oman and Amman once vowel marks are folded) and names or capitals that countries.yaml
    lists."""
    codes_of: dict[str, set[str]] = {}
    for term in terms:
        codes_of.setdefault(bare(term.text), set()).add(term.code)
    shaky = _countries_file()
    for term in terms:
        folded = bare(term.text)
        if (
            folded in data.ambiguous
            or len(codes_of[folded]) > 1
            or (term.kind == "name" and term.code in shaky.ambiguous_names)
            or (term.kind == "capital" and term.code in shaky.ambiguous_capitals)
        ):
            yield replace(term, ambiguous=True)
        else:
            yield term


# -- packages: Babel, pycountry -----------------------------------------------------------


@functools.cache
def _territories(locale: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(locale).territories)
    except (ValueError, UnknownLocaleError):
        return {}


def _pycountry_version() -> str:
    try:
        return metadata.version("pycountry")
    except metadata.PackageNotFoundError:
        return "unknown"


def _zone_city(locale: str, zone: str | None) -> str | None:
    """The exemplar city of a zone in a locale, if that locale translates it."""
    if zone is None:
        return None
    zones = Locale.parse(locale).time_zones
    for key in _zone_keys(zone):
        city = zones.get(key, {}).get("city")
        if city:
            return _surface_forms(str(city), {})[0][0]  # "Tripoli (Libye)": "Tripoli"
    return None


@functools.cache
def _zone_keys(zone: str) -> tuple[str, ...]:
    """The zone id and the older ids CLDR may still file it under (Europe/Kyiv: Europe/Kiev)."""
    aliases = get_global("zone_aliases")
    return (zone, *sorted(old for old, new in aliases.items() if new == zone))


@functools.cache
def _zone_id_city(zone: str | None) -> list[str]:
    """The city a zone id names ("America/La_Paz": "La Paz"): CLDR's root exemplar."""
    return [zone.rsplit("/", 1)[-1].replace("_", " ")] if zone else []


@functools.cache
def _catalogue(name: str) -> gettext.NullTranslations:
    if name == "en":
        return gettext.NullTranslations()
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[name])


def _iso_english_names(country: object) -> list[str]:
    names = (getattr(country, attr, None) for attr in ("name", "common_name", "official_name"))
    return [name for name in names if isinstance(name, str)]


# -- data files ---------------------------------------------------------------------------


def _data_dir() -> Path:
    return Path(str(resources.files("monitor.match") / "data" / "countries"))


def _language(lang: str) -> LanguageData:
    if lang not in languages():
        raise RuleError(
            f"countries: no country data for language '{lang}'", "rule.unknown_language"
        )
    return _read_language(_data_dir() / f"{lang}.yaml")


@functools.cache
def _read_language(path: Path) -> LanguageData:
    return read_language_file(path)


@functools.cache
def _capitals() -> dict[str, Capital]:
    return read_capitals_file(_data_dir() / "capitals.yaml")


@functools.cache
def _countries_file() -> CountriesFile:
    return read_countries_file(_data_dir() / "countries.yaml")


def _status() -> dict[str, str]:
    return _countries_file().status
