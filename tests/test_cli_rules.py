"""``newsmon rules check | test | eval | explain`` on small rules written under tmp_path (the
concepts of tests/data/matcher), and ``rules eval`` of the shipped rule on the dev corpus."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from monitor.store.db import open_database

Cli = Callable[..., Result]
CONCEPTS = Path(__file__).parent / "data" / "matcher" / "concepts"
REPO = Path(__file__).resolve().parents[1]
DEV_CORPUS = REPO.parent / "shared" / "corpus" / "security_guarantees_dev.yaml"

GUARANTEE = """\
id: guarantee
title: A country pledges a guarantee
match:
  all:
    - concept: guarantee
      context: {previous_sentences: 1}
    - entity: country
      except: ["UA"]
      capture: country
    - concept: pledge
unless:
  - concept: refusal
tests:
  - {lang: en, expect: true, captures: {country: ["CA"]},
     text: "Canada pledged a security guarantee for Ukraine."}
  - {lang: en, expect: false, why: a refusal,
     text: "Canada refused to pledge a security guarantee."}
"""


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(CONCEPTS, folder / "concepts")
    (folder / "guarantee.yaml").write_text(GUARANTEE, "utf-8")
    return folder


@pytest.fixture
def config_file(tmp_path: Path, rules_dir: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('database = "news.db"\nrules_dir = "rules"\n', "utf-8")
    return path


def write_corpus(path: Path, items: list[dict[str, object]]) -> Path:
    path.write_text(yaml.safe_dump(items, allow_unicode=True), "utf-8")
    return path


# -- check -----------------------------------------------------------------------------------

def test_check_the_configured_rules_dir(cli: Cli) -> None:
    out = cli("rules", "check")
    assert out.exit_code == 0, out.output
    assert out.output.strip() == "1 rule(s), 3 concept(s): OK"


def test_check_prints_every_problem_at_its_place(cli: Cli, rules_dir: Path) -> None:
    broken = rules_dir / "broken.yaml"
    broken.write_text('id: broken\ntitle: Broken\nmatch:\n  all:\n    - concept: pldge\n'
                      '    - entity: country\n      except: ["XX"]\ncolour: red\n', "utf-8")
    out = cli("rules", "check")
    assert out.exit_code == 1
    lines = out.output.splitlines()
    assert lines[0].startswith(f"{broken}:5:16: unknown concept 'pldge' (did you mean "
                               "'pledge'?)")
    assert lines[0].endswith("[rule.unknown_concept]")
    assert lines[1] == f"{broken}:7:16: unknown ISO 3166 country code 'XX' [rule.bad_iso_code]"
    assert lines[2].startswith(f"{broken}:8:1: unknown key 'colour'")
    assert len(lines) == 3
    # a path given on the command line is checked instead of the configured folder
    out = cli("rules", "check", str(rules_dir / "guarantee.yaml"))
    assert (out.exit_code, out.output.strip()) == (0, "1 rule(s), 3 concept(s): OK")


# -- test ------------------------------------------------------------------------------------

def test_rule_tests_pass(cli: Cli, rules_dir: Path) -> None:
    out = cli("rules", "test")
    assert out.exit_code == 0, out.output
    path = rules_dir / "guarantee.yaml"
    assert out.output.splitlines() == [
        f"PASS {path}:14 guarantee: Canada pledged a security guarantee for Ukraine.",
        f"PASS {path}:16 guarantee: a refusal",
        "2 passed, 0 failed",
    ]


def test_rule_tests_fail_with_the_reason(cli: Cli, rules_dir: Path) -> None:
    failing = rules_dir / "failing.yaml"
    failing.write_text(GUARANTEE.replace("id: guarantee", "id: failing").replace(
        '"CA"', '"GB"').replace("expect: false, why: a refusal", "expect: true, why: vetoed"),
        "utf-8")
    (rules_dir / "untested.yaml").write_text(
        "id: untested\ntitle: No tests\nmatch:\n  keywords: [storm]\n", "utf-8")
    out = cli("rules", "test")
    assert out.exit_code == 1
    text = out.output
    assert (f"FAIL {failing}:14 failing: Canada pledged a security guarantee for Ukraine.\n"
            "     captures country: expected ['GB'], got ['CA']") in text
    assert f"FAIL {failing}:16 failing: vetoed\n     expected a hit, the rule did not fire" in text
    assert (f"FAIL {rules_dir / 'untested.yaml'} untested: untested\n"
            "     no tests: a shipped rule needs a tests: block") in text
    assert text.splitlines()[-1] == "2 passed, 3 failed"


def test_rule_load_errors_are_printed(cli: Cli, rules_dir: Path) -> None:
    (rules_dir / "guarantee.yaml").write_text(GUARANTEE.replace("concept: pledge",
                                                                "concept: pldge"), "utf-8")
    out = cli("rules", "test")
    assert out.exit_code == 1
    assert f"{rules_dir / 'guarantee.yaml'}:10:16: unknown concept 'pldge'" in out.output


# -- eval ------------------------------------------------------------------------------------

CORPUS = [
    {"id": "e1", "lang": "en", "expect": True, "countries": ["CA"], "title": "Ottawa acts",
     "text": "Canada pledged a security guarantee for Ukraine.", "why": "ignored"},
    {"id": "e2", "lang": "en", "expect": True, "countries": ["DE"], "title": "",
     "text": "Poland pledged a security guarantee."},  # labelled DE: a wrong capture
    {"id": "e3", "lang": "en", "expect": True, "countries": ["CA"], "title": "",
     "text": "Canada refused to pledge a security guarantee."},  # vetoed: a false negative
    {"id": "e4", "lang": "en", "expect": False, "title": "",
     "text": "Canada pledged a security guarantee for Ukraine."},
    {"id": "e5", "lang": "en", "expect": False, "title": "",
     "text": "Britain promised a security guarantee."},
    {"id": "d1", "lang": "de", "expect": True, "countries": ["AT"], "title": "",
     "text": "Österreich sagt eine Garantie zu."},
    {"id": "f1", "lang": "fr", "expect": False, "title": "",
     "text": "Le Canada a promis une garantie de sécurité."},  # no fr terms: quiet
]


def test_eval_json(cli: Cli, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus.yaml", CORPUS)
    out = cli("rules", "eval", "guarantee", str(corpus), "--format", "json")
    assert out.exit_code == 0, out.output
    result = json.loads(out.stdout)
    assert set(result) == {"precision", "recall", "f1", "capture_exact", "per_language",
                           "misses"}
    # tp: e1 e2 d1, fp: e4 e5, fn: e3
    assert (result["precision"], result["recall"], result["f1"]) == (
        pytest.approx(3 / 5, abs=1e-4), pytest.approx(3 / 4, abs=1e-4),
        pytest.approx(6 / 9, abs=1e-4))
    assert result["capture_exact"] == pytest.approx(2 / 3, abs=1e-4)
    assert result["per_language"] == {
        "de": {"n": 1, "precision": 1.0, "recall": 1.0, "f1": 1.0},
        "en": {"n": 5, "precision": 0.5, "recall": pytest.approx(2 / 3, abs=1e-4),
               "f1": pytest.approx(4 / 7, abs=1e-4)},
        "fr": {"n": 1, "precision": None, "recall": None, "f1": None},
    }
    assert result["misses"] == [
        {"id": "e2", "kind": "wrong_capture"}, {"id": "e3", "kind": "false_negative"},
        {"id": "e4", "kind": "false_positive"}, {"id": "e5", "kind": "false_positive"}]


def test_eval_table_by_rule_file(cli: Cli, tmp_path: Path, rules_dir: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus.yaml", CORPUS)
    out = cli("rules", "eval", str(rules_dir / "guarantee.yaml"), str(corpus))
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[1] == "precision 0.600  recall 0.750  F1 0.667  capture exact 0.667"
    assert lines[3].split() == ["lang", "n", "precision", "recall", "f1"]
    assert lines[6].split() == ["en", "5", "0.500", "0.667", "0.571"]
    assert lines[7].split() == ["fr", "1", "-", "-", "-"]
    assert "misses: 4" in lines
    assert lines[-4].split() == ["e2", "en", "wrong_capture", "expected", "DE", "captured",
                                 "PL"]


def test_eval_shows_progress_on_stderr_for_large_corpora(cli: Cli, tmp_path: Path) -> None:
    items = [dict(CORPUS[0], id=f"e{i}") for i in range(21)]
    out = cli("rules", "eval", "guarantee", str(write_corpus(tmp_path / "c.yaml", items)),
              "--format", "json")
    assert "evaluating" in out.stderr
    assert json.loads(out.stdout)["recall"] == 1.0
    small = cli("rules", "eval", "guarantee", str(write_corpus(tmp_path / "s.yaml", items[:3])))
    assert "evaluating" not in small.stderr


def test_eval_unknown_rule_and_bad_corpus(cli: Cli, tmp_path: Path, rules_dir: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus.yaml", CORPUS)
    out = cli("rules", "eval", "guarantees", str(corpus))
    assert out.exit_code == 1
    assert (f"no rule with id 'guarantees' in {rules_dir} (did you mean 'guarantee'?)"
            in out.output)
    assert "'newsmon rules check'" in out.output and "[rule.unknown_rule]" in out.output
    bad = write_corpus(tmp_path / "bad.yaml", [{"id": "x", "lang": "en", "text": "t"}])
    out = cli("rules", "eval", "guarantee", str(bad))
    assert out.exit_code == 1
    assert "item 1: x: expect must be true or false [rule.bad_corpus]" in out.output


@pytest.mark.skipif(not DEV_CORPUS.is_file(), reason="shared dev corpus not present")
def test_eval_shipped_rule_on_the_dev_corpus(cli: Cli) -> None:
    out = cli("rules", "eval", str(REPO / "rules" / "security-guarantees.yaml"),
              str(DEV_CORPUS), "--format", "json")
    assert out.exit_code == 0, out.output
    result = json.loads(out.stdout)
    assert result["f1"] >= 0.95, result["misses"]


# -- explain ---------------------------------------------------------------------------------

def test_explain_a_hit(cli: Cli) -> None:
    out = cli("rules", "explain", "guarantee", "--lang", "en", "--title", "Ships for Kyiv",
              "--text", "Leaders met.\nCanada pledged a security guarantee, Hungary objected.")
    assert out.exit_code == 0, out.output
    text = out.output
    assert "  1 [title] Ships for Kyiv" in text
    assert "  2 [p2] Leaders met." in text
    assert "  3 [p3] Canada pledged a security guarantee, Hungary objected." in text
    assert "country:CA                   'Canada'  clause 1" in text
    assert "concept:guarantee            'security guarantee'  clause 1" in text
    assert "entity:country except UA       s3:'Canada', s3:'Hungary'" in text
    assert "verdict: FIRED (country=CA)" in text
    assert "  snippet: Canada pledged a security guarantee, Hungary objected." in text


def test_explain_says_why_not(cli: Cli, tmp_path: Path) -> None:
    vetoed = cli("rules", "explain", "guarantee", "--lang", "en", "--text",
                 "Canada refused to pledge a security guarantee.")
    assert "concept:refusal                s1:'refused'" in vetoed.output
    assert vetoed.output.endswith("verdict: did not fire\n  - sentence 1: the match holds "
                                  "but concept:refusal vetoes it (same clause)\n")
    apart = tmp_path / "apart.txt"
    apart.write_text("Leaders discussed a security guarantee. Talks went on. Canada pledged "
                     "two ships.", "utf-8")
    out = cli("rules", "explain", "guarantee", "--lang", "en", "--file", str(apart))
    assert out.output.endswith("verdict: did not fire\n  - sentence 3 lacks "
                               "concept:guarantee\n")
    nowhere = cli("rules", "explain", "guarantee", "--text",
                  "Canada pledged two ships to the naval mission, the government said.")
    assert "language en detected" in nowhere.stderr
    assert "language en;" in nowhere.stdout
    assert "  - concept:guarantee: found nowhere in the text" in nowhere.output


def test_explain_shows_a_sequence_and_its_veto(cli: Cli, rules_dir: Path) -> None:
    rule = GUARANTEE.replace("unless:\n  - concept: refusal\n", "unless:\n  - concept: refusal\n"
                             "  - sequence: [{concept: guarantee}, {keywords: [for]},\n"
                             "               {entity: country, except: [\"UA\"]}]\n"
                             "    max_gap: 1\n")
    (rules_dir / "guarantee.yaml").write_text(rule, "utf-8")
    out = cli("rules", "explain", "guarantee", "--lang", "en", "--text",
              "Japan pledged a security guarantee for Taiwan.")
    assert out.exit_code == 0, out.output
    label = ("sequence(concept:guarantee, keywords:for, entity:country except UA; "
             "max_gap 1)")
    assert f"  {label} s1:'security guarantee', s1:'for', s1:'Taiwan'" in out.output
    assert out.output.endswith(f"verdict: did not fire\n  - sentence 1: the match holds but "
                               f"{label} vetoes it (same clause)\n")
    ukraine = cli("rules", "explain", "guarantee", "--lang", "en", "--text",
                  "Japan pledged a security guarantee for Ukraine and Taiwan.")
    assert f"  {label} not found" in ukraine.output
    assert "verdict: FIRED (country=JP)" in ukraine.output


def test_explain_a_stored_article(cli: Cli, tmp_path: Path) -> None:
    db = open_database(tmp_path / "news.db")
    now = "2026-01-01T00:00:00+00:00"
    db.table("feeds").insert({"id": 1, "url": "https://x/feed", "origin_url": "https://x/feed",
                        "created_at": now, "updated_at": now})
    db.table("articles").insert({"id": 7, "feed_id": 1, "guid": "g", "title": "Garantie",
                           "text": "Österreich sagt eine Garantie zu.", "lang": "de",
                           "lang_confidence": 1.0, "published_at": now, "fetched_at": now,
                           "content_hash": "c", "entry_hash": "e"})
    db.conn.close()
    out = cli("rules", "explain", "guarantee", "--article", "7")
    assert out.exit_code == 0, out.output
    assert "language de;" in out.output and "verdict: FIRED (country=AT)" in out.output
    missing = cli("rules", "explain", "guarantee", "--article", "8")
    assert missing.exit_code == 1 and "no article 8 in" in missing.output
    both = cli("rules", "explain", "guarantee", "--article", "7", "--text", "x")
    assert both.exit_code == 2 and "give one of --text, --file or --article" in both.output
