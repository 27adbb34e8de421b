"""The matcher on small rules written for the test, and the shipped rules on their own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.match.matcher import Matcher
from monitor.match.rules import RuleSpec, load_rules

DATA = Path(__file__).parent / "data" / "matcher"
SHIPPED = Path(__file__).resolve().parents[1] / "rules"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_rules(DATA))


def fired(matcher: Matcher, text: str, lang: str = "en", title: str = "") -> dict[str, object]:
    return {m.rule_id: m.captures.get("country") for m in matcher.match(title, text, lang)}


def test_all_ingredients_in_one_sentence(matcher: Matcher) -> None:
    hits = fired(matcher, "Canada pledged to back the security guarantee for Ukraine.")
    assert hits == {"guarantee": ("CA",)}


def test_ingredients_apart_do_not_fire(matcher: Matcher) -> None:
    text = ("Canada pledged more aid. The weather was fine all week. Analysts discussed a "
            "security guarantee for Ukraine.")
    assert "guarantee" not in fired(matcher, text)


def test_context_reaches_the_previous_sentence_only(matcher: Matcher) -> None:
    text = "Leaders discussed a security guarantee for Ukraine. Canada pledged two ships."
    assert fired(matcher, text) == {"guarantee": ("CA",)}
    far = ("Leaders discussed a security guarantee for Ukraine. Talks went on. "
           "Canada pledged two ships.")
    assert fired(matcher, far) == {}


def test_excluded_country_does_not_count(matcher: Matcher) -> None:
    assert fired(matcher, "Ukraine pledged to seek a security guarantee.") == {}


def test_refusal_in_the_same_clause_vetoes(matcher: Matcher) -> None:
    assert fired(matcher, "Canada refused to pledge a security guarantee.") == {}
    assert fired(matcher, "Canada, which had refused last week, now pledged a security "
                          "guarantee for Ukraine.") == {"guarantee": ("CA",)}


def test_gapped_terms_match_within_a_clause(matcher: Matcher) -> None:
    assert fired(matcher, "Österreich lehnt jede Garantie ab, die es zusagen müsste.",
                 "de") == {}
    assert fired(matcher, "Österreich sagt eine Garantie zu.", "de") == {"guarantee": ("AT",)}


def test_capture_is_the_committing_country(matcher: Matcher) -> None:
    text = ("Poland pledged a security guarantee for Ukraine, while Hungary and Russia "
            "criticised the plan.")
    assert fired(matcher, text) == {"guarantee": ("PL",)}


def test_exclude_phrases(matcher: Matcher) -> None:
    text = "Canada pledged a new payment security guarantee for its banks."
    assert fired(matcher, text) == {}


def test_window_scope_and_disabled_rules(matcher: Matcher) -> None:
    assert "weather" in fired(matcher, "The storm brought floods to the coast.")
    assert "weather" not in fired(
        matcher, "The storm passed quickly over the hills and far away; later in the week "
                 "there was flooding.")
    assert "switched-off" not in fired(matcher, "A storm.")


def test_spans_and_snippet(matcher: Matcher) -> None:
    [hit] = matcher.match("", "Intro. Canada pledged a security guarantee.", "en")
    assert hit.snippet == "Canada pledged a security guarantee."
    marked = {hit.text[s.start:s.end] for s in hit.spans}
    assert {"Canada", "pledged", "security guarantee"} <= marked


def _shipped_tests() -> list[tuple[RuleSpec, int]]:
    if not SHIPPED.is_dir():
        return []
    rules = load_rules(SHIPPED)
    return [(rule, i) for rule in rules.rules for i in range(len(rule.tests))]


def test_every_shipped_rule_has_tests() -> None:
    for rule in load_rules(SHIPPED).rules:
        assert rule.tests, f"{rule.path}: a shipped rule needs a tests: block"


@pytest.mark.parametrize(("rule", "index"), _shipped_tests(),
                         ids=lambda v: v.id if isinstance(v, RuleSpec) else str(v))
def test_shipped_rule_tests(rule: RuleSpec, index: int) -> None:
    test = rule.tests[index]
    matcher = _shipped_matcher()
    hits = [h for h in matcher.match(test.title, test.text, test.lang) if h.rule_id == rule.id]
    assert bool(hits) == test.expect, f"{rule.path}:{test.line}: {test.why or test.text}"
    for name, codes in (test.captures or {}).items():
        assert set(hits[0].captures.get(name, ())) == set(codes), f"{rule.path}:{test.line}"


_CACHE: dict[str, Matcher] = {}


def _shipped_matcher() -> Matcher:
    if "m" not in _CACHE:
        _CACHE["m"] = Matcher(load_rules(SHIPPED))
    return _CACHE["m"]


def test_ambiguous_country_names_need_to_be_written_as_names(matcher: Matcher) -> None:
    assert fired(matcher, "The US pledged a security guarantee for Ukraine.") == {
        "guarantee": ("US",)}
    assert fired(matcher, "Let us pledge a security guarantee for Ukraine.") == {}


def test_a_longer_phrase_that_is_no_country_wins(matcher: Matcher) -> None:
    assert fired(matcher, "Latin American leaders pledged a security guarantee.") == {}


def test_snippet_spans_include_context_sentences(matcher: Matcher) -> None:
    [hit] = matcher.match("", "Leaders discussed a security guarantee. Canada pledged ships.",
                          "en")
    snippet, spans = hit.snippet_with_spans()
    assert snippet == "Leaders discussed a security guarantee. Canada pledged ships."
    assert {snippet[s:e] for _, s, e in spans} == {"security guarantee", "Canada", "pledged"}


def test_the_country_refers_back_to_the_last_country_named(matcher: Matcher) -> None:
    text = ("Romania intends to be part of the effort. The country, whose navy pledged two "
            "boats to the security guarantee for Ukraine, will escort convoys.")
    assert fired(matcher, text) == {"guarantee": ("RO",)}


def test_a_dateline_is_not_an_actor(matcher: Matcher) -> None:
    text = "PARIS – Officials pledged a security guarantee for Ukraine on Monday."
    assert fired(matcher, text) == {}


def test_hit_version_covers_the_entity_data(matcher: Matcher) -> None:
    from monitor.match.rules import load_rules as load

    rule = load(DATA).get("guarantee")
    assert rule is not None
    [en] = matcher.match("", "Canada pledged a security guarantee.", "en")
    [de] = matcher.match("", "Österreich sagt eine Garantie zu.", "de")
    assert en.rule_version != rule.version  # the rule file alone is not the whole story
    assert en.rule_version != de.rule_version  # each language has its own country data


# -- sequences -------------------------------------------------------------------------------

SEQUENCE = DATA / "sequence"


@pytest.fixture(scope="module")
def sequences() -> Matcher:
    return Matcher(load_rules(SEQUENCE))


def captured(matcher: Matcher, text: str, lang: str = "en",
             rule: str = "guarantee-ukraine") -> tuple[str, ...] | None:
    """What ``rule`` captures on the text (its one capture), None when it does not fire."""
    for hit in matcher.match("", text, lang):
        if hit.rule_id == rule:
            return next(iter(hit.captures.values()), ())
    return None


@pytest.mark.parametrize(("lang", "elsewhere", "ukraine"), [
    ("en", "Japan pledged to back the security guarantee for Taiwan.",
     "Japan pledged to back the security guarantee for Ukraine."),
    ("fr", "Le Japon a promis une garantie de sécurité pour Taïwan.",
     "Le Japon a promis une garantie de sécurité pour l'Ukraine."),
    ("de", "Japan hat eine Sicherheitsgarantie für Taiwan zugesagt.",
     "Japan hat eine Sicherheitsgarantie für die Ukraine zugesagt."),
    ("pl", "Japonia obiecała gwarancję bezpieczeństwa dla Tajwanu.",
     "Japonia obiecała gwarancję bezpieczeństwa dla Ukrainy."),
    ("ru", "Япония пообещала гарантию безопасности для Тайваня.",
     "Япония пообещала гарантию безопасности для Украины."),
    ("ar", "تعهدت اليابان بتقديم ضمانات أمنية لإسرائيل.",  # a prefix: ل-
     "تعهدت اليابان بتقديم ضمانات أمنية لأوكرانيا."),
    ("fi", "Japani lupasi turvatakuut Taiwanille.",  # a case ending: -lle
     "Japani lupasi turvatakuut Ukrainalle."),
    ("tr", "Japonya, İsrail'e güvenlik garantisi verme sözü verdi.",  # a clitic: 'e
     "Japonya, Ukrayna'ya güvenlik garantisi verme sözü verdi."),
    ("zh", "日本承诺为以色列提供安全保障。",  # the beneficiary before the guarantee
     "日本承诺为乌克兰提供安全保障。"),
])
def test_a_guarantee_for_another_country_is_vetoed(sequences: Matcher, lang: str,
                                                   elsewhere: str, ukraine: str) -> None:
    assert captured(sequences, elsewhere, lang) is None
    assert captured(sequences, ukraine, lang) == ("JP",)


def test_a_guarantee_for_no_one_named_still_fires(sequences: Matcher) -> None:
    assert captured(sequences, "Canada pledged two ships to the security guarantee.") == ("CA",)
    assert captured(sequences, "Kanada hat Schiffe für die Sicherheitsgarantie zugesagt.",
                    "de") == ("CA",)


def test_the_veto_also_stops_the_guarantee_as_context(sequences: Matcher) -> None:
    assert captured(sequences, "Denmark asked for a security guarantee for Greenland. "
                               "Canada pledged a frigate.") is None
    assert captured(sequences, "Denmark asked for a security guarantee. "
                               "Canada pledged a frigate.") == ("CA",)


def test_the_country_in_a_sequence_is_the_one_next_to_the_marker(sequences: Matcher) -> None:
    both = "Canada pledged to back the security guarantee for Ukraine and Moldova."
    assert captured(sequences, both) == ("CA",)
    assert captured(sequences, "Canada pledged to back the security guarantee for Moldova "
                               "and Ukraine.") is None
    assert captured(sequences, both, rule="guarantee-for") == ("UA",)


def test_a_sequence_keeps_its_order_gap_and_sentence(sequences: Matcher) -> None:
    assert captured(sequences, "A security guarantee for its old ally Israel.",
                    rule="guarantee-for") == ("IL",)  # the default max_gap: 3 tokens
    assert captured(sequences, "A security guarantee agreed on Monday by all for Israel.",
                    rule="guarantee-for") is None
    assert captured(sequences, "For Israel, a security guarantee.", rule="guarantee-for") is None
    assert captured(sequences, "It is a security guarantee for. Israel agreed.",
                    rule="guarantee-for") is None
    # the rule's veto allows one token: "for the small state of Taiwan" is too far
    assert captured(sequences, "Canada pledged a security guarantee for the small state of "
                               "Taiwan.") == ("CA",)


def test_an_excluded_phrase_is_no_marker(sequences: Matcher) -> None:
    text = "Canada pledged the security guarantee for which Britain had asked."
    assert "CA" in (captured(sequences, text) or ())  # "for which": no beneficiary follows


def test_a_veto_sequence_bars_its_clauses_only(sequences: Matcher) -> None:
    text = ("Canada pledged ships to the security guarantee, while Japan promised "
            "a security guarantee for Taiwan.")
    assert captured(sequences, text) == ("CA",)
