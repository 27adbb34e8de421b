"""Rule and concept files: the AST they load into, their version, and every problem at its
line:col. Fixtures: tests/data/rules/good (a rules directory that loads) and
tests/data/rules/bad (one problem kind per file; bad/concepts holds good and bad concepts)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from monitor.errors import RuleError
from monitor.match.concepts import load_concepts
from monitor.match.rules import (
    AllNode,
    AnyNode,
    ConceptLeaf,
    Context,
    EntityLeaf,
    FeedFilter,
    KeywordsLeaf,
    NotifySpec,
    NotNode,
    RegexLeaf,
    RuleLoadError,
    RuleTest,
    Scope,
    SequenceLeaf,
    Throttle,
    check,
    load_rule_file,
    load_rules,
)

DATA = Path(__file__).parent / "data" / "rules"
GOOD = DATA / "good"
BAD = DATA / "bad"


def where(*paths: Path) -> list[tuple[str, int, int, str]]:
    """(file name, line, col, code) of every problem ``check`` finds."""
    return [(Path(p.path).name, p.line, p.col, p.code) for p in check(list(paths))]


def messages(*paths: Path) -> list[str]:
    return [p.message for p in check(list(paths))]


def test_good_rule_loads_into_its_tree() -> None:
    rule = load_rules(GOOD).get("security-guarantees")
    assert rule is not None
    assert rule.match == AllNode((
        ConceptLeaf("security-guarantee", Context(previous_sentences=1, title=True)),
        EntityLeaf("country", excluded=frozenset({"UA", "NO"}), capture="country"),
        ConceptLeaf("commitment"),
        NotNode(KeywordsLeaf(("card payments",))),
    ))
    assert rule.unless == (ConceptLeaf("refusal"), SequenceLeaf((
        ConceptLeaf("security-guarantee"), KeywordsLeaf(("for",)),
        EntityLeaf("country", excluded=frozenset({"UA"}))), max_gap=1))
    assert (rule.title, rule.severity, rule.enabled) == (
        "A country commits to security guarantees for Ukraine", "high", True)
    assert rule.languages == {"en", "fr", "de", "no", "ja"}
    assert (rule.scope, rule.fields, rule.feeds) == (Scope("sentence"), ("title", "text"),
                                                     FeedFilter())
    assert rule.tags == ("ukraine", "security")
    assert rule.notify == NotifySpec(("email",), 1800, Throttle(5, 3600))
    assert rule.tests == (
        RuleTest("en", "", "Britain pledged a frigate to the security guarantees for Ukraine.",
                 True, {"country": frozenset({"GB"})}, "", 32),
        RuleTest("fr", "La Suisse refuse", "La Suisse a exclu toute participation.", False,
                 None, "a refusal", 36),
    )
    assert rule.concepts == {"security-guarantee", "commitment", "pledge", "refusal"}
    assert re.fullmatch("[0-9a-f]{64}", rule.version)


def test_second_rule_defaults_scope_window_and_feed_filter() -> None:
    rule = load_rules(GOOD).get("dormant-watch")
    assert rule is not None
    assert rule.match == AnyNode((
        RegexLeaf(re.compile(r"(?i)\bfrigates?\b")),
        KeywordsLeaf(("Fregatte", "frégate de défense")),
        EntityLeaf("country", only=frozenset({"DK", "NO"})),
        SequenceLeaf((EntityLeaf("country", capture="navy"), KeywordsLeaf(("frigate",)))),
    ))
    assert rule.match.children[-1].max_gap == 3  # the default
    assert (rule.scope, rule.fields, rule.severity, rule.languages) == (
        Scope("window", 12), ("text",), "medium", frozenset())
    assert rule.feeds == FeedFilter(("defence",), ("https://example.org/feed.xml",))
    assert rule.concepts == frozenset()


def test_disabled_rule_is_loaded_but_not_enabled_and_companions_are_skipped() -> None:
    rules = load_rules(GOOD)
    assert [r.id for r in rules.rules] == ["dormant-watch", "security-guarantees"]
    assert [r.id for r in rules.enabled] == ["security-guarantees"]
    dormant = rules.get("dormant-watch")
    assert dormant is not None and dormant.enabled is False


def test_rule_set_holds_the_used_concepts_with_inherited_terms() -> None:
    rules = load_rules(GOOD)
    assert sorted(rules.concepts) == ["commitment", "pledge", "refusal", "security-guarantee"]
    commitment = rules.concepts["commitment"]
    assert commitment.extends == ("pledge",)
    assert commitment.terms["en"] == ("commit", "agree to provide", "pledge", "promise", "vow")
    assert commitment.terms["de"] == ("versprechen", "zusagen")  # from pledge only
    assert rules.concepts["security-guarantee"].terms["no"] == ("sikkerhetsgaranti",)
    assert rules.concepts["security-guarantee"].exclude == {"en": ("security guarantee fund",)}


def test_load_rule_file_gives_the_same_rule_and_version() -> None:
    alone = load_rule_file(GOOD / "security-guarantees.yaml")
    assert alone == load_rules(GOOD).get("security-guarantees")


def _versions(rules_dir: Path) -> dict[str, str]:
    return {rule.id: rule.version for rule in load_rules(rules_dir).rules}


def test_version_follows_the_rule_and_every_concept_it_uses(tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules"
    shutil.copytree(GOOD, rules_dir)
    before = _versions(rules_dir)

    with (rules_dir / "concepts" / "unused.yaml").open("a") as f:
        f.write("# edited\n")
    assert _versions(rules_dir) == before

    with (rules_dir / "concepts" / "pledge.yaml").open("a") as f:  # used through extends
        f.write("  ja: [約束]\n")
    after_concept = _versions(rules_dir)
    assert after_concept["security-guarantees"] != before["security-guarantees"]
    assert after_concept["dormant-watch"] == before["dormant-watch"]  # uses no concept

    with (rules_dir / "dormant.yaml").open("a") as f:
        f.write("# edited\n")
    assert _versions(rules_dir)["dormant-watch"] != before["dormant-watch"]


@pytest.mark.parametrize(("name", "expected"), [
    ("unknown-concept.yaml", [("unknown-concept.yaml", 5, 16, "rule.unknown_concept")]),
    ("unknown-key.yaml", [("unknown-key.yaml", 3, 1, "rule.unknown_key"),
                          ("unknown-key.yaml", 6, 3, "rule.unknown_key"),
                          ("unknown-key.yaml", 8, 5, "rule.unknown_key")]),
    ("missing-key.yaml", [("missing-key.yaml", 1, 1, "rule.missing_key"),
                          ("missing-key.yaml", 1, 1, "rule.missing_key")]),
    ("wrong-type.yaml", [("wrong-type.yaml", 3, 10, "rule.wrong_type"),
                         ("wrong-type.yaml", 4, 12, "rule.wrong_type"),
                         ("wrong-type.yaml", 6, 13, "rule.wrong_type"),
                         ("wrong-type.yaml", 8, 10, "rule.wrong_type"),
                         ("wrong-type.yaml", 10, 35, "rule.wrong_type"),
                         ("wrong-type.yaml", 10, 46, "rule.wrong_type"),
                         ("wrong-type.yaml", 11, 58, "rule.bad_value")]),
    ("bad-regex.yaml", [("bad-regex.yaml", 5, 21, "rule.bad_regex"),
                        ("bad-regex.yaml", 6, 14, "rule.bad_regex"),
                        ("bad-regex.yaml", 7, 14, "rule.bad_regex")]),
    ("bad-iso.yaml", [("bad-iso.yaml", 5, 12, "rule.bad_iso_code"),
                      ("bad-iso.yaml", 5, 16, "rule.bad_iso_code"),
                      ("bad-iso.yaml", 5, 22, "rule.bad_iso_code"),
                      ("bad-iso.yaml", 5, 28, "rule.bad_iso_code"),
                      ("bad-iso.yaml", 5, 34, "rule.wrong_type")]),
    ("bad-language.yaml", [("bad-language.yaml", 3, 17, "rule.bad_language"),
                           ("bad-language.yaml", 3, 21, "rule.bad_language"),
                           ("bad-language.yaml", 3, 25, "rule.bad_language"),
                           ("bad-language.yaml", 7, 12, "rule.bad_language")]),
    ("except-and-only.yaml", [("except-and-only.yaml", 6, 3, "rule.except_and_only")]),
    ("empty-match.yaml", [("empty-match.yaml", 4, 8, "rule.empty_match"),
                          ("empty-match.yaml", 6, 5, "rule.empty_match")]),
    ("bad-scope.yaml", [("bad-scope.yaml", 3, 17, "rule.bad_scope")]),
    ("bad-scope-word.yaml", [("bad-scope-word.yaml", 3, 8, "rule.bad_scope")]),
    ("syntax.yaml", [("syntax.yaml", 4, 6, "rule.syntax")]),
    ("bad-sequence.yaml", [("bad-sequence.yaml", 5, 17, "rule.empty_match"),
                           ("bad-sequence.yaml", 6, 17, "rule.bad_match"),
                           ("bad-sequence.yaml", 7, 41, "rule.bad_match"),
                           ("bad-sequence.yaml", 8, 41, "rule.bad_match"),
                           ("bad-sequence.yaml", 9, 40, "rule.bad_match"),
                           ("bad-sequence.yaml", 11, 16, "rule.bad_value"),
                           ("bad-sequence.yaml", 13, 16, "rule.bad_value"),
                           ("bad-sequence.yaml", 15, 7, "rule.unknown_key"),
                           ("bad-sequence.yaml", 16, 17, "rule.wrong_type"),
                           ("bad-sequence.yaml", 18, 63, "rule.bad_value")]),
])
def test_each_problem_is_reported_at_its_line_and_column(
    name: str, expected: list[tuple[str, int, int, str]]
) -> None:
    assert where(BAD / name) == expected


def test_messages_name_the_thing_and_what_to_do() -> None:
    assert messages(BAD / "unknown-concept.yaml") == [
        "unknown concept 'securty-guarantee' (did you mean 'security-guarantee'?): no file "
        f"{BAD / 'concepts' / 'securty-guarantee.yaml'}"]
    assert messages(BAD / "unknown-key.yaml")[:2] == [
        "unknown key 'langauges' in rule (did you mean 'languages'?)",
        "unknown key 'contxt' in the 'concept' condition (did you mean 'context'?)"]
    assert "did you mean 'concept'?" in messages(BAD / "unknown-key.yaml")[2]
    assert messages(BAD / "bad-regex.yaml")[0] == (
        "bad regex: missing ), unterminated subpattern at position 6")
    assert messages(BAD / "bad-scope.yaml") == [
        "scope window must be a positive whole number of tokens, not the number 0"]
    assert messages(BAD / "syntax.yaml") == [
        "YAML syntax: expected ',' or ']', but got ':' while parsing a flow sequence "
        "that starts at 3:12"]
    assert str(check([BAD / "except-and-only.yaml"])[0]) == (
        f"{BAD / 'except-and-only.yaml'}:6:3: give 'except' or 'only', not both")


def test_sequence_problems_say_what_a_sequence_takes() -> None:
    found = messages(BAD / "bad-sequence.yaml")
    assert found[:5] == [
        "'sequence' is empty: list the conditions that must follow each other, such as "
        "[{concept: A}, {entity: country}]",
        "a sequence needs two or more items: for one, write the leaf alone",
        "a sequence holds concept, entity and keywords leaves, not 'regex'",
        "a sequence holds concept, entity and keywords leaves, not 'any': put the sequence "
        "inside all/any/not instead",
        "a sequence stays in one sentence: its items take no 'context'"]
    assert found[5] == ("'max_gap' must be a whole number of tokens, 0 or more, not the "
                        "number -1")
    assert found[7] == ("unknown key 'gap' in the 'sequence' condition (did you mean "
                        "'max_gap'?)")
    assert found[9] == "capture 'who' records nothing in 'unless'"


def test_unknown_key_without_a_close_one_lists_the_valid_keys(tmp_path: Path) -> None:
    rule = tmp_path / "r.yaml"
    rule.write_text("id: r\ntitle: T\nmatch: {keywords: [x]}\nzzz: 1\n")
    assert messages(rule) == [
        "unknown key 'zzz' in rule; valid keys: id, title, description, severity, enabled, "
        "tags, falsepositives, languages, scope, fields, feeds, match, unless, notify, tests"]


def test_the_norway_problem_says_to_quote_the_code() -> None:
    iso = messages(BAD / "bad-iso.yaml")
    assert iso[0] == 'quote ISO codes: "NO" (YAML reads a bare NO as true/false)'
    assert iso[1:4] == ["unknown ISO 3166 country code 'UK' (did you mean 'GB'?)",
                        "write ISO codes in upper case: 'GB' for 'gb'",
                        "unknown ISO 3166 country code 'XX'"]
    language = messages(BAD / "bad-language.yaml")
    assert language[0] == 'quote language codes: "no" (YAML reads a bare no as true/false)'
    assert language[2] == "write the language code 'de' for 'deu'"
    rule = load_rules(GOOD).get("dormant-watch")  # the quoted "NO" loads as Norway
    assert rule is not None and rule.match == AnyNode((
        RegexLeaf(re.compile(r"(?i)\bfrigates?\b")),
        KeywordsLeaf(("Fregatte", "frégate de défense")),
        EntityLeaf("country", only=frozenset({"DK", "NO"})),
        SequenceLeaf((EntityLeaf("country", capture="navy"), KeywordsLeaf(("frigate",))))))


def test_several_problems_in_one_file_are_all_reported() -> None:
    assert where(BAD / "many-errors.yaml") == [
        ("many-errors.yaml", 1, 5, "rule.bad_id"),
        ("many-errors.yaml", 3, 11, "rule.bad_value"),
        ("many-errors.yaml", 4, 17, "rule.bad_language"),
        ("many-errors.yaml", 7, 16, "rule.unknown_concept"),
        ("many-errors.yaml", 9, 16, "rule.bad_iso_code"),
        ("many-errors.yaml", 11, 15, "rule.bad_regex"),
        ("many-errors.yaml", 13, 7, "rule.bad_match"),
        ("many-errors.yaml", 16, 5, "rule.unknown_key"),
        ("many-errors.yaml", 18, 67, "rule.unknown_capture"),
        ("many-errors.yaml", 19, 5, "rule.bad_test"),
        ("many-errors.yaml", 19, 41, "rule.bad_test"),
    ]


def test_load_rules_raises_every_problem_of_every_file(tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules"
    shutil.copytree(GOOD, rules_dir)
    shutil.copy(BAD / "bad-iso.yaml", rules_dir)
    shutil.copy(BAD / "unknown-concept.yaml", rules_dir)
    shutil.copy(BAD / "concepts" / "name-mismatch.yaml", rules_dir / "concepts")
    with pytest.raises(RuleLoadError) as raised:
        load_rules(rules_dir)
    error = raised.value
    assert isinstance(error, RuleError) and error.code == "rule.invalid"
    assert [(Path(p.path).name, p.line, p.col, p.code) for p in error.problems] == [
        ("bad-iso.yaml", 5, 12, "rule.bad_iso_code"),  # in path order: rules/bad-iso.yaml,
        ("bad-iso.yaml", 5, 16, "rule.bad_iso_code"),  # rules/concepts/..., rules/unknown...
        ("bad-iso.yaml", 5, 22, "rule.bad_iso_code"),
        ("bad-iso.yaml", 5, 28, "rule.bad_iso_code"),
        ("bad-iso.yaml", 5, 34, "rule.wrong_type"),
        ("name-mismatch.yaml", 1, 7, "rule.concept_name"),
        ("unknown-concept.yaml", 5, 16, "rule.unknown_concept"),
    ]
    assert f"{rules_dir / 'bad-iso.yaml'}:5:12: quote ISO codes" in str(error)


def test_one_problem_gives_the_error_its_code(tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules"
    shutil.copytree(GOOD, rules_dir)
    shutil.copy(BAD / "syntax.yaml", rules_dir)
    with pytest.raises(RuleLoadError) as raised:
        load_rules(rules_dir)
    assert raised.value.code == "rule.syntax"
    with pytest.raises(RuleLoadError, match="no such rules directory"):
        load_rules(tmp_path / "missing")


def test_duplicate_rule_id_across_files() -> None:
    assert where(BAD / "dup-a.yaml", BAD / "dup-b.yaml") == [
        ("dup-b.yaml", 2, 5, "rule.duplicate_id")]
    assert messages(BAD / "dup-a.yaml", BAD / "dup-b.yaml") == [
        f"duplicate rule id 'same-id': also in {BAD / 'dup-a.yaml'}:1:5; "
        "give each rule its own id"]
    assert where(BAD / "dup-a.yaml") == []


def test_concept_file_problems() -> None:
    concepts = BAD / "concepts"
    assert where(concepts / "name-mismatch.yaml") == [
        ("name-mismatch.yaml", 1, 7, "rule.concept_name")]
    assert messages(concepts / "name-mismatch.yaml") == [
        "concept name 'name-mismatched' does not match its file name 'name-mismatch.yaml': "
        "rename one so they agree"]
    assert where(concepts / "bad-terms.yaml") == [
        ("bad-terms.yaml", 2, 11, "rule.unknown_concept"),
        ("bad-terms.yaml", 4, 14, "rule.wrong_type"),
        ("bad-terms.yaml", 5, 3, "rule.bad_language"),
        ("bad-terms.yaml", 6, 3, "rule.bad_language"),
        ("bad-terms.yaml", 7, 7, "rule.wrong_type"),
    ]
    assert messages(concepts / "bad-terms.yaml")[2] == (
        'quote language codes: "no" (YAML reads a bare no as true/false)')
    assert messages(concepts / "cycle-a.yaml") == [
        "concept 'cycle-b' extends itself (cycle-a -> cycle-b -> cycle-a): remove one of the "
        "links"]


def test_broken_concept_is_reported_once_and_not_as_unknown(tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules"
    shutil.copytree(GOOD, rules_dir)
    (rules_dir / "concepts" / "refusal.yaml").write_text("name: refusal\nterms: [oops]\n")
    assert where(rules_dir) == [("refusal.yaml", 2, 8, "rule.wrong_type")]


def test_loading_some_concepts_follows_extends_only() -> None:
    library = load_concepts(GOOD / "concepts", ["commitment"])
    assert sorted(library.concepts) == ["commitment", "pledge"]
    assert library.concepts["commitment"].uses == {"commitment", "pledge"}
    assert "unused" in library.present and library.problems == []


def test_check_a_whole_directory_and_a_missing_path(tmp_path: Path) -> None:
    assert check([GOOD]) == []
    assert check([GOOD, GOOD / "security-guarantees.yaml"]) == []  # no duplicate of itself
    assert [str(p) for p in check([tmp_path / "nope.yaml"])] == [
        f"{tmp_path / 'nope.yaml'}: no such file or folder"]


def test_notify_block_problems_are_reported_with_positions() -> None:
    assert where(BAD / "bad-notify.yaml") == [
        ("bad-notify.yaml", 6, 24, "rule.bad_value"),
        ("bad-notify.yaml", 7, 11, "rule.bad_value"),
        ("bad-notify.yaml", 8, 19, "rule.bad_value"),
        ("bad-notify.yaml", 8, 31, "rule.unknown_key"),
        ("bad-notify.yaml", 9, 3, "rule.unknown_key"),
    ]
    text = "\n".join(messages(BAD / "bad-notify.yaml"))
    assert "channel name 'two words'" in text
    assert "'digest': not a duration: 'soon'" in text
    assert "unknown key 'realert' in 'notify'" in text
