"""``newsmon hits`` against a database filled by a real run (the demo's feeds through the
pipeline): filters, formats (CSV parses, JSON validates), one hit shown."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.demo import DemoResult, run_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return run_demo(tmp_path_factory.mktemp("demo"))


def newsmon(demo: DemoResult, *args: str) -> Any:
    out = CliRunner().invoke(cli, ["--config", "/dev/null", "--db", str(demo.database), *args])
    assert out.exit_code == 0, out.output
    return out.output


def hits_json(demo: DemoResult, *args: str) -> list[dict[str, Any]]:
    return list(json.loads(newsmon(demo, "hits", *args, "--format", "json")))


def test_every_hit_newest_first_with_its_fields(demo: DemoResult) -> None:
    rows = hits_json(demo)
    assert len(rows) == len(demo.hits)
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), reverse=True)
    first = rows[0]
    assert {"rule_id", "rule_version", "captures", "spans", "snippet", "lang", "title", "url",
            "feed", "story_id", "sources", "created_at"} <= set(first)
    assert isinstance(first["captures"], dict) and isinstance(first["spans"], list)


def test_filters_narrow_the_hits(demo: DemoResult) -> None:
    everything = hits_json(demo)
    german = hits_json(demo, "--country", "DE")
    assert german and all(any("DE" in codes for codes in r["captures"].values())
                          for r in german)
    either = hits_json(demo, "--country", "de", "--country", "IT")
    assert len(either) > len(german)
    french = hits_json(demo, "--lang", "fr")
    assert french and {r["lang"] for r in french} == {"fr"}
    assert hits_json(demo, "--rule", "no-such-rule") == []
    assert len(hits_json(demo, "--limit", "2")) == 2
    feed = everything[0]["feed_id"]
    assert {r["feed_id"] for r in hits_json(demo, "--feed", str(feed))} == {feed}
    story = everything[0]["story_id"]
    assert {r["story_id"] for r in hits_json(demo, "--story", str(story))} == {story}
    assert hits_json(demo, "--since", "1d") == everything
    assert hits_json(demo, "--until", "2000-01-01") == []


def test_csv_and_table_outputs(demo: DemoResult) -> None:
    rows = list(csv.DictReader(io.StringIO(newsmon(demo, "hits", "--format", "csv"))))
    assert len(rows) == len(demo.hits) and "snippet" in rows[0]
    table = newsmon(demo, "hits")
    assert "countries" in table and "security-guarantees" in table
    lines = newsmon(demo, "hits", "--format", "jsonl").strip().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [r["id"] for r in hits_json(demo)]


def test_hits_show_gives_the_sentence_sources_and_deliveries(demo: DemoResult) -> None:
    hit = hits_json(demo, "--country", "DE")[0]
    shown = newsmon(demo, "hits", "show", str(hit["id"]))
    assert f"hit {hit['id']} · rule security-guarantees" in shown
    assert "[" in shown and "]" in shown  # the matched words marked
    assert "source(s)" in shown and "sent" in shown and "json://127.0.0.1" in shown
    missing = CliRunner().invoke(cli, ["--config", "/dev/null", "--db", str(demo.database),
                                       "hits", "show", "99999"])
    assert missing.exit_code == 1 and "no hit 99999" in missing.output


def test_stats_count_what_the_run_stored(demo: DemoResult) -> None:
    result = json.loads(newsmon(demo, "stats", "--format", "json"))
    totals = result["totals"]
    assert totals["articles"] == len(demo.articles) and totals["hits"] == len(demo.hits)
    assert totals["alerts_sent"] == len(demo.alerts) and totals["alerts_pending"] == 0
    assert totals["stories_with_several_sources"] == len(demo.stories)
    assert sum(r["hits"] for r in result["hits_per_rule"]) == len(demo.hits)
    captured = sum(len(codes) for h in demo.hits for codes in h["captures"].values())
    assert sum(r["hits"] for r in result["hits_per_country"]) == captured
    assert sum(r["feeds"] for r in result["feeds"]) == len(demo.polls)
    assert json.loads(newsmon(demo, "stats", "--since", "2000-01-01", "--format", "json")
                      )["totals"] == totals
    assert json.loads(newsmon(demo, "stats", "--since", "2999-01-01", "--format", "json")
                      )["totals"]["hits"] == 0
    table = newsmon(demo, "stats")
    assert "hits per country" in table and "feeds by health" in table
