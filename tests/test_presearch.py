"""The presearcher: the cheap pass finds every key the full analysis finds (a superset), on
the labelled corpora and on real news, and an article with no rule's terms is not analysed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from monitor.language import detect, make_detector
from monitor.match import matcher as matcher_module
from monitor.match.lexicon import CONCEPT
from monitor.match.matcher import Matcher
from monitor.match.rules import load_rules
from tests.test_goodlog import GOODLOG
from tests.test_goodlog import articles as goodlog_articles

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
DATA = Path(__file__).parent / "data" / "matcher"


def _every_concept_rules(tmp_path: Path) -> Path:
    """The shipped concepts (and the test concepts) under one rule that wants each of them,
    so that every term of every concept is in the presearcher's automaton."""
    folder = tmp_path / "rules"
    (folder / "concepts").mkdir(parents=True)
    names = []
    for source in (REPO / "rules" / "concepts", DATA / "concepts"):
        for path in sorted(source.glob("*.yaml")):
            (folder / "concepts" / path.name).write_bytes(path.read_bytes())
            names.append(path.stem)
    leaves = [{"concept": name} for name in names]
    leaves.append({"keywords": ["ceasefire", "cessez-le-feu", "Waffenstillstand", "停火"]})
    (folder / "every.yaml").write_text(yaml.safe_dump(
        {"id": "every", "title": "Any concept", "match": {"any": leaves}}), "utf-8")
    return folder


def _texts() -> Iterator[tuple[str, str, str, str]]:
    """(id, lang, title, text) of the labelled corpora and of the real articles."""
    for name in ("security_guarantees_dev.yaml", "security_guarantees_dev_long.yaml"):
        path = CORPUS / name
        if path.exists():
            for item in yaml.safe_load(path.read_text("utf-8")):
                yield item["id"], item["lang"], item.get("title") or "", item["text"]
    if GOODLOG.is_dir():
        detector = make_detector()
        for article_id, title, text in goodlog_articles():
            yield article_id, detect(detector, title, text, None, 0.0).code, title, text


def test_presearch_finds_every_key_where_the_analysis_finds_it(tmp_path: Path) -> None:
    matcher = Matcher(load_rules(_every_concept_rules(tmp_path)))
    checked, missed = 0, []
    for item_id, lang, title, text in _texts():
        analysis, found = matcher.explain(title, text, lang)
        full = {((f.kind, f.key), analysis.sentences[f.sentence].paragraph) for f in found
                if (f.kind, f.key) in matcher.presearch.wanted}
        cheap = matcher.presearch.scan(analysis.text, lang, len(title.strip())).keys
        missed += [f"{item_id} ({lang}): {key} in paragraph {paragraph}"
                   for key, paragraph in sorted(full) if paragraph not in cheap.get(key, ())]
        checked += bool(full)
    assert checked >= 50, "too few texts hold a concept: is the corpus there?"
    assert not missed, "\n".join(missed)


def keys(matcher: Matcher, text: str, lang: str = "en") -> set[tuple[str, str]]:
    return set(matcher.presearch.scan(text, lang).keys)


def candidates(matcher: Matcher, text: str, lang: str = "en") -> list[str]:
    scan = matcher.presearch.scan(text, lang)
    return [matcher.rules[i].id for i in matcher.presearch.candidates(scan)]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_rules(DATA))


def _shapes_rules(tmp_path: Path) -> Path:
    """The shipped concepts under rules of every scope and context."""
    folder = tmp_path / "shapes"
    (folder / "concepts").mkdir(parents=True)
    for path in sorted((REPO / "rules" / "concepts").glob("*.yaml")):
        (folder / "concepts" / path.name).write_bytes(path.read_bytes())
    country = {"entity": "country", "except": ["UA"], "capture": "country"}
    topic, act = {"concept": "security-guarantee"}, {"concept": "commitment"}
    shapes = {
        "previous-2": {"match": {"all": [{**topic, "context": {"previous_sentences": 2}},
                                          country, act]}},
        "title-lead": {"match": {"all": [{**topic, "context": {"title": True, "lead": 2}},
                                          country, act]}},
        "paragraph-context": {"match": {"all": [topic, country,
                                                 {**act, "context": {"paragraph": True}}]}},
        "paragraph-scope": {"scope": "paragraph", "match": {"all": [topic, country, act]}},
        "window": {"scope": {"window": 30}, "match": {"all": [topic, country, act]}},
        "article-any": {"scope": "article", "match": {"all": [country, {"any": [topic, act]}]}},
        "vetoed": {"match": {"all": [topic, country]}, "unless": [act]},
        "sequence": {"match": {"all": [{"sequence": [country, act], "max_gap": 2},
                                       {**topic, "context": {"previous_sentences": 1}}]}},
        "sequence-any": {"scope": "paragraph", "match": {"any": [
            {"sequence": [topic, {"concept": "beneficiary"}, {"entity": "country"}]}, act]}},
        "sequence-vetoed": {"match": {"all": [topic, country, act]}, "unless": [
            {"sequence": [topic, {"concept": "beneficiary"}, {"entity": "country"}],
             "max_gap": 1}]},
    }
    for name, body in shapes.items():
        (folder / f"{name}.yaml").write_text(
            yaml.safe_dump({"id": name, "title": name, **body}), "utf-8")
    return folder


def test_matching_after_presearch_equals_matching_everything(tmp_path: Path) -> None:
    """Skipping articles and paragraphs changes no hit: every rule of every shape, run
    through Matcher.match, gives what evaluating it on the whole analysis gives."""
    rules = load_rules(_shapes_rules(tmp_path))
    shipped = load_rules(REPO / "rules")
    matchers = [Matcher(rules), Matcher(shipped)]
    compared = fired = 0
    for item_id, lang, title, text in _texts():
        for matcher in matchers:
            analysis, found = matcher.explain(title, text, lang)
            expected = [hit for rule in matcher.rules if (hit := matcher_module.evaluate_rule(
                rule, analysis, found, len(title.strip()))) is not None]
            assert matcher.match(title, text, lang) == expected, item_id
            compared += 1
            fired += bool(expected)
    assert compared >= 100 and fired >= 30


def test_candidates_need_every_required_key(matcher: Matcher) -> None:
    text = "Canada pledged to back the security guarantee for Ukraine."
    assert {(CONCEPT, "guarantee"), (CONCEPT, "pledge")} <= keys(matcher, text)
    assert candidates(matcher, text) == ["guarantee"]
    assert candidates(matcher, "Analysts discussed a security guarantee for Ukraine.") == []


def test_candidates_need_the_keys_within_reach_of_one_paragraph(matcher: Matcher) -> None:
    # The rule's topic may stand one sentence before the pledge: so one paragraph before.
    near = "A security guarantee for Ukraine was discussed.\nCanada pledged two ships."
    assert candidates(matcher, near) == ["guarantee"]
    far = ("A security guarantee for Ukraine was discussed.\nTalks went on.\n"
           "Canada pledged two ships.")
    assert candidates(matcher, far) == []
    assert matcher.match("", far, "en") == []


def test_gapped_term_needs_all_its_parts_in_one_paragraph(matcher: Matcher) -> None:
    assert (CONCEPT, "pledge") in keys(matcher, "Österreich sagt eine Garantie zu.", "de")
    assert (CONCEPT, "pledge") not in keys(matcher, "Österreich sagt nichts.", "de")
    assert (CONCEPT, "pledge") not in keys(matcher, "Österreich sagt nichts.\nZu spät.", "de")


def test_compound_head_counts_where_compounds_are_closed(matcher: Matcher) -> None:
    assert (CONCEPT, "guarantee") in keys(matcher, "Die Sicherheitsgarantien kommen.", "de")
    assert (CONCEPT, "guarantee") not in keys(matcher, "The supersecurity guarantee came.")


def test_article_without_a_rules_terms_is_not_analysed(matcher: Matcher,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    analysed: list[str] = []
    analyse = matcher_module.analyse

    def counting(text: str, lang: str, only: frozenset[int] | None = None
                 ) -> matcher_module.Analysis:
        analysed.append(text)
        return analyse(text, lang, only)

    monkeypatch.setattr(matcher_module, "analyse", counting)
    assert matcher.match("", "The weather was fine all week in Canada.", "en") == []
    assert analysed == []
    hits = matcher.match("", "Canada pledged to back the security guarantee for Ukraine.", "en")
    assert [hit.rule_id for hit in hits] == ["guarantee"]
    assert len(analysed) == 1


def test_a_sequence_needs_its_items_and_an_affix_is_found_on_a_word() -> None:
    sequences = Matcher(load_rules(DATA / "sequence"))
    [position] = [i for i, rule in enumerate(sequences.rules) if rule.id == "guarantee-for"]
    assert sequences.presearch.required[position] == {(CONCEPT, "guarantee"), (CONCEPT, "for")}
    arabic = "تعهدت اليابان بتقديم ضمانات أمنية لإسرائيل."
    assert (CONCEPT, "for") in keys(sequences, arabic, "ar")  # the prefix ل-
    assert (CONCEPT, "for") not in keys(sequences, "ضمانات أمنية إسرائيل.", "ar")
    assert "guarantee-for" in candidates(sequences, arabic, "ar")
    assert "guarantee-for" not in candidates(sequences, "A security guarantee, Israel said.")
