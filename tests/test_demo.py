"""``newsmon demo``: the bundled feeds through the real pipeline, no network."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import cli
from monitor.demo import run_demo, sample_feeds
from monitor.store.db import open_database


def test_demo_stores_every_language_and_format(tmp_path: Path) -> None:
    result = run_demo(tmp_path)
    assert all(p.status == "ok" for p in result.polls), result.polls
    langs = {a["lang"] for a in result.articles}
    assert {"en", "fr", "de", "es", "it", "pl", "uk", "ja"} <= langs
    formats = {s["content_type"] for s in sample_feeds()}
    assert {"application/rss+xml", "application/atom+xml", "application/feed+json"} <= formats
    # the exact duplicate (same link, one copy with ?utm_source) is stored once
    storm = [a for a in result.articles if a["title"].startswith("Storm Ingrid")]
    assert len(storm) == 1
    total_items = sum(s["body"].count(b"<item>") + s["body"].count(b"<entry>")
                      + (len(json.loads(s["body"])["items"]) if s["file"].endswith(".json") else 0)
                      for s in sample_feeds())
    assert len(result.articles) == total_items - 1


def test_demo_includes_the_seed_article(tmp_path: Path) -> None:
    from monitor.store.db import open_database

    run_demo(tmp_path)
    db = open_database(tmp_path / "demo.db")
    texts = [r["text"] for r in db.query("SELECT text FROM articles WHERE lang = 'fr'")]
    assert any("Vingt-six des alliés ukrainiens" in t and "La Finlande participera" in t
               for t in texts)
    seed = next(t for t in texts if "Vingt-six des alliés" in t)
    assert "\n\n" in seed  # paragraphs kept


def test_demo_command_prints_a_table(tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["demo", "--keep", str(tmp_path)], catch_exceptions=False)
    assert out.exit_code == 0
    assert "Vingt-six pays" in out.output
    assert "article(s) stored from 10 feed(s)" in out.output


def test_demo_hits_include_the_seed_article(tmp_path: Path) -> None:
    result = run_demo(tmp_path)
    seed = [h for h in result.hits if h["title"].startswith("Vingt-six pays")]
    assert seed, "the seed article must fire the example rule"
    captured = {code for h in seed for codes in h["captures"].values() for code in codes}
    assert captured and captured <= {"US", "DE", "FI", "PL", "RO", "GB", "FR"}
    everything = {code for h in result.hits for codes in h["captures"].values()
                  for code in codes}
    assert not everything & {"RU", "UA", "HU", "SK", "CN"}


def test_demo_alerts_every_hit_through_apprise_to_its_receiver(tmp_path: Path) -> None:
    result = run_demo(tmp_path)
    db = open_database(result.database)
    stories_hit = db.execute("SELECT count(DISTINCT articles.story_id) FROM hits JOIN "
                             "articles ON articles.id = hits.article_id").fetchone()[0]
    db.conn.close()
    assert result.hits and len(result.alerts) == stories_hit  # one alert per story hit
    titles = [alert["title"] for alert in result.alerts]
    assert all(t.startswith("[HIGH] A country commits to security guarantees") for t in titles)
    seed = next(a for a in result.alerts if "Vingt-six pays" in a["message"])
    assert "https://" in seed["message"] and "[" in seed["message"]  # link, marked spans
    out = CliRunner().invoke(cli, ["demo", "--keep", str(tmp_path / "again")],
                             catch_exceptions=False)
    assert f"alerts received on 127.0.0.1 ({stories_hit})" in out.output


def test_demo_wire_story_is_one_story_with_its_sources(tmp_path: Path) -> None:
    result = run_demo(tmp_path)
    # the three wire copies (headline rewritten, a paragraph cut, a credit line) are one
    # story whichever feed is stored first; one storm report is carried by two feeds
    assert sorted(len(s["sources"]) for s in result.stories) == [2, 3]
    wire = next(s for s in result.stories if len(s["sources"]) == 3)
    assert "Ukraine" in wire["title"]
    alerts = [a for a in result.alerts if "3 sources: " in a["message"]]
    assert len(alerts) == 1
