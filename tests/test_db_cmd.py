"""``newsmon db``: a database made by the first schema upgrades in place; prune keeps hits
and snippets; backup copies a database in use."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.demo import DemoResult, run_demo
from monitor.store.db import open_database
from monitor.store.schema import SCHEMA_VERSION


def newsmon(db: Path, *args: str) -> tuple[int, str]:
    out = CliRunner().invoke(cli, ["--config", "/dev/null", "--db", str(db), *args])
    return out.exit_code, out.output


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return run_demo(tmp_path_factory.mktemp("demo"))


def test_a_first_schema_database_upgrades_in_place(tmp_path: Path) -> None:
    """tests/data/schema-v1.sql is a database made by release 0.1.0 (schema 1), dumped."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript((Path(__file__).parent / "data" / "schema-v1.sql").read_text("utf-8"))
    conn.close()
    code, output = newsmon(path, "db", "migrate")
    assert code == 0 and f"schema version {SCHEMA_VERSION}" in output
    db = open_database(path)
    assert {"hits", "alerts", "messages", "deliveries", "stories", "signatures"} <= set(
        db.table_names())
    assert [row["title"] for row in db.query("SELECT title FROM articles")] == [
        "Norway pledges frigates"]
    assert "health" in db["feeds"].columns_dict and "story_id" in db["articles"].columns_dict
    code, found = newsmon(path, "search", "frigates", "--format", "json")
    assert code == 0 and "Norway pledges frigates" in found  # indexed by the upgrade


def test_prune_empties_old_text_and_keeps_hits(demo: DemoResult, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    assert newsmon(demo.database, "db", "backup", str(copy))[0] == 0
    before = newsmon(copy, "hits", "--format", "json")[1]
    signatures = open_database(copy)["signatures"].count
    code, output = newsmon(copy, "db", "prune", "--older-than", "1d")
    assert code == 0 and f"{len(demo.articles)} article(s) pruned" in output
    db = open_database(copy)
    assert db.execute("SELECT count(*) FROM articles WHERE text != ''").fetchone()[0] == 0
    assert db["articles"].count == len(demo.articles)
    assert db["signatures"].count == signatures  # made today: they stay in the window
    assert newsmon(copy, "hits", "--format", "json")[1] == before  # hits and snippets kept
    assert newsmon(copy, "db", "prune", "--older-than", "1d")[1].startswith("0 article(s)")
    assert "vacuumed" in newsmon(copy, "db", "prune", "--older-than", "1d", "--vacuum")[1]
    assert newsmon(copy, "db", "prune", "--older-than", "soon")[0] == 2


def test_backup_copies_the_database_and_refuses_to_overwrite(demo: DemoResult,
                                                             tmp_path: Path) -> None:
    target = tmp_path / "backup.db"
    code, output = newsmon(demo.database, "db", "backup", str(target))
    assert code == 0 and "backed up" in output
    copy = open_database(target)
    assert copy["articles"].count == len(demo.articles) and copy["hits"].count == len(demo.hits)
    code, output = newsmon(demo.database, "db", "backup", str(target))
    assert code == 1 and "exists" in output
