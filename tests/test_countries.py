"""Country entity data: every country named in every language, from well-kept sources."""

from __future__ import annotations

import time
from pathlib import Path

import pycountry
import pytest
from simplemma import lemmatize

from monitor.errors import RuleError
from monitor.match import countries, countrydata
from monitor.match.countries import (
    KINDS,
    CountryTerm,
    country_name,
    country_status,
    country_terms,
    is_country_code,
    languages,
    not_country_phrases,
    read_language_file,
)

FIRST = [
    "en", "fr", "de", "es", "it", "pl", "uk", "ru", "pt", "nl", "sv", "cs", "ro", "tr", "zh",
    "ja", "ar", "el", "fi",
]
SECOND = ["da", "no", "hu", "sk", "bg", "hr", "sl", "lt", "lv", "et", "ko", "he"]
# The countries most present in European and world news: every language of the first list
# (but zh and ja, which abbreviate instead) has an adjective or demonym for each.
CORE = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "US", "CA", "GB",
    "NO", "IS", "TR", "AL", "ME", "MK", "AR", "AU", "BR", "CN", "IN", "ID", "JP", "MX", "RU",
    "SA", "ZA", "KR", "KP", "UA", "BY", "MD", "GE", "AM", "AZ", "IL", "PS", "IR", "IQ", "SY",
    "LB", "JO", "EG", "CH", "RS", "BA", "XK", "KZ", "NZ", "PK", "TW", "AF", "QA", "VN",
]


def codes_by_status(status: str) -> list[str]:
    codes = [c.alpha_2 for c in pycountry.countries] + ["XK"]
    return sorted(code for code in codes if country_status(code) == status)


def find(lang: str, text: str) -> list[CountryTerm]:
    return [term for term in country_terms(lang) if term.text == text]


def test_every_language_of_both_lists_has_data() -> None:
    assert set(FIRST + SECOND) <= set(languages())


def test_the_un_has_193_members_and_the_others_have_a_status() -> None:
    assert len(codes_by_status("un-member")) == 193
    assert codes_by_status("observer") == ["PS", "VA"]
    assert codes_by_status("partially-recognised") == ["TW", "XK"]


@pytest.mark.parametrize("lang", FIRST + SECOND)
def test_every_state_has_a_name(lang: str) -> None:
    named = {term.code for term in country_terms(lang) if term.kind == "name"}
    states = [code for code in countrydata.known_codes() if country_status(code) != "territory"]
    assert sorted(set(states) - named) == []


@pytest.mark.parametrize("lang", [lang for lang in FIRST if lang not in ("zh", "ja")])
def test_the_core_countries_have_an_adjective(lang: str) -> None:
    described = {term.code for term in country_terms(lang) if term.kind == "adjective"}
    assert sorted(set(CORE) - described) == []


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_english_and_french_have_an_adjective_for_every_un_member(lang: str) -> None:
    described = {term.code for term in country_terms(lang) if term.kind == "adjective"}
    assert sorted(set(codes_by_status("un-member")) - described) == []


@pytest.mark.parametrize(
    ("lang", "text", "code", "kind"),
    [
        ("ru", "США", "US", "name"),
        ("ru", "британский", "GB", "adjective"),
        ("ru", "Киев", "UA", "capital"),
        ("ru", "Кремль", "RU", "metonym"),
        ("uk", "Київ", "UA", "capital"),
        ("uk", "США", "US", "name"),
        ("ja", "米国", "US", "name"),
        ("ja", "ベルリン", "DE", "capital"),
        ("zh", "北京", "CN", "capital"),
        ("zh", "美方", "US", "metonym"),
        ("fr", "Copenhague", "DK", "capital"),
        ("fr", "allemand", "DE", "adjective"),
        ("fr", "Royaume-Uni", "GB", "name"),
        ("fr", "Grande-Bretagne", "GB", "name"),
        ("fr", "Pékin", "CN", "capital"),
        ("fr", "Élysée", "FR", "metonym"),
        ("pl", "Niemcy", "DE", "name"),
        ("pl", "Kijów", "UA", "capital"),
        ("pl", "Waszyngton", "US", "capital"),
        ("it", "Spagna", "ES", "name"),
        ("de", "Bundesregierung", "DE", "metonym"),
        ("de", "Dänemark", "DK", "name"),
        ("en", "Kremlin", "RU", "metonym"),
        ("en", "White House", "US", "metonym"),
        ("en", "Downing Street", "GB", "metonym"),
        ("en", "Ottawa", "CA", "capital"),
        ("en", "Washington", "US", "capital"),
        ("en", "Canberra", "AU", "capital"),
        ("en", "Kyiv", "UA", "capital"),
        ("en", "Kiev", "UA", "capital"),
        ("en", "Beijing", "CN", "capital"),
        ("en", "Britain", "GB", "name"),
        ("en", "UK", "GB", "name"),
        ("en", "U.S.", "US", "name"),
        ("en", "German", "DE", "adjective"),
        ("en", "Polish", "PL", "adjective"),
        ("en", "Turkey", "TR", "name"),
        ("en", "Taiwan", "TW", "name"),
        ("en", "Kosovo", "XK", "name"),
        ("en", "Palestine", "PS", "name"),
        ("no", "Norge", "NO", "name"),
    ],
)
def test_known_forms_resolve(lang: str, text: str, code: str, kind: str) -> None:
    assert (code, kind) in {(term.code, term.kind) for term in find(lang, text)}


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Chad"), ("en", "Jordan"), ("en", "Georgia"), ("en", "Polish"), ("en", "Guinea"),
        ("en", "Congo"), ("en", "Korea"), ("en", "Male"), ("en", "Victoria"), ("en", "US"),
        ("fr", "Maurice"), ("fr", "Réunion"), ("es", "Chile"), ("pt", "Peru"), ("tr", "Mısır"),
        ("ru", "Того"), ("pl", "Czad"), ("ar", "عمان"),
    ],
)
def test_ambiguous_forms_are_flagged(lang: str, text: str) -> None:
    terms = find(lang, text)
    assert terms and all(term.ambiguous for term in terms)


@pytest.mark.parametrize(("lang", "text"), [("en", "Germany"), ("fr", "Allemagne"),
                                            ("ru", "Германия"), ("en", "Ottawa")])
def test_plain_forms_are_not_flagged(lang: str, text: str) -> None:
    assert [term.ambiguous for term in find(lang, text)] == [False]


def test_congo_names_both_congos() -> None:
    assert {term.code for term in find("en", "Congo")} == {"CD", "CG"}


def test_a_parenthesised_name_of_another_country_is_not_taken() -> None:
    # CLDR ru "Виргинские о-ва (Великобритания)" must not make Великобритания a VG name.
    assert {term.code for term in find("ru", "Великобритания")} == {"GB"}
    assert {term.code for term in find("en", "Burma")} == {"MM"}


@pytest.mark.parametrize("lang", FIRST + SECOND)
def test_every_term_names_a_country(lang: str) -> None:
    for term in country_terms(lang):
        assert is_country_code(term.code), term
        assert term.kind in KINDS, term
        assert term.lang == lang
        assert term.text and term.text == term.text.strip(), term


@pytest.mark.parametrize(
    ("lang", "inflected", "code"),
    [
        ("ru", "британского", "GB"), ("uk", "британського", "GB"), ("pl", "niemieckiego", "DE"),
        ("cs", "německá", "DE"), ("fr", "allemandes", "DE"), ("de", "deutschen", "DE"),
        ("es", "alemanas", "DE"), ("it", "tedeschi", "DE"), ("el", "γερμανικής", "DE"),
        ("fi", "saksalaiset", "DE"), ("pt", "alemães", "DE"), ("sv", "tyska", "DE"),
        ("nl", "Duitse", "DE"), ("ro", "germani", "DE"), ("bg", "германската", "DE"),
    ],
)
def test_inflected_adjectives_lemmatise_to_a_listed_form(
    lang: str, inflected: str, code: str
) -> None:
    listed = {
        lemmatize(term.text.lower(), lang=lang)
        for term in country_terms(lang) if term.code == code and term.kind == "adjective"
    }
    assert lemmatize(inflected.lower(), lang=lang) in listed


def test_not_country_phrases() -> None:
    assert "Latin America" in not_country_phrases("en")
    assert "Amérique latine" in not_country_phrases("fr")


def test_codes() -> None:
    assert is_country_code("NO") and is_country_code("XK") and is_country_code("TW")
    assert not is_country_code("EU") and not is_country_code("de") and not is_country_code("ZZ")


def test_country_name_for_alerts() -> None:
    assert country_name("DE", "fr") == "Allemagne"
    assert country_name("XK") == "Kosovo"
    assert country_name("DE", "xx") == "Germany"  # no such locale: English
    with pytest.raises(RuleError):
        country_name("ZZ")


def test_unknown_language() -> None:
    with pytest.raises(RuleError, match="no country data for language 'xx'"):
        country_terms("xx")


def test_loading_every_language_is_fast_and_cached() -> None:
    for cached in (countries._terms, countries._territories, countries._read_language):
        cached.cache_clear()
    start = time.perf_counter()
    for lang in languages():
        country_terms(lang)
    first = time.perf_counter() - start
    start = time.perf_counter()
    for lang in languages():
        country_terms(lang)
    assert time.perf_counter() - start < 0.05
    assert first < 5  # about 0.4 s here; generous for slow CI machines


# -- data file checks ------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "xx.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def problems(path: Path) -> str:
    with pytest.raises(RuleError) as caught:
        read_language_file(path)
    assert caught.value.code == "rule.country_data"
    return str(caught.value)


def test_an_unknown_code_is_reported_with_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, 'language: xx\nadjectives:\n  "DE": [deutsch]\n  "ZZ": [zz]\n')
    assert f"{path}:4:3: unknown country code 'ZZ'" in problems(path)


def test_the_norway_problem_is_caught(tmp_path: Path) -> None:
    path = write(tmp_path, "language: xx\nnames:\n  NO: [Norge]\n")
    message = problems(path)
    assert f"{path}:3:3:" in message and "Norway problem" in message


def test_codes_must_be_quoted(tmp_path: Path) -> None:
    path = write(tmp_path, "language: xx\nnames:\n  DE: [Deutschland]\n")
    assert 'must be quoted: "DE"' in problems(path)


def test_a_value_that_is_not_a_string_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, 'language: xx\nnames:\n  "NO": [no, Norge]\n')
    assert f"{path}:3:10: expected a string, got false" in problems(path)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, 'language: xx\nnmes:\n  "DE": [x]\nnames:\n  "EU": [Europe]\n')
    message = problems(path)
    assert "2:1: unknown key 'nmes'" in message and "5:3: unknown country code 'EU'" in message


def test_the_language_must_match_the_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, "language: yy\n")
    assert "language 'yy' but the file is xx.yaml" in problems(path)


def test_a_good_file_reads(tmp_path: Path) -> None:
    path = write(tmp_path, 'language: xx\ncldr: [de]\nadjectives:\n  "DE": [deutsch]\n'
                           "ambiguous: [England]\n")
    data = read_language_file(path)
    assert data.curated == (("adjective", "DE", "deutsch"),) and data.cldr == ("de",)


def test_a_duplicate_key_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, 'language: xx\nnames:\n  "DE": [x]\nnames:\n  "FR": [y]\n')
    assert f"{path}:4:1: duplicate key 'names'" in problems(path)
