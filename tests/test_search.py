"""``newsmon search``: FTS5 over a database filled by a real run, kept in sync with writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.demo import DemoResult, run_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return run_demo(tmp_path_factory.mktemp("demo"))


def search(db: Path, *args: str) -> tuple[int, Any]:
    out = CliRunner().invoke(cli, ["--config", "/dev/null", "--db", str(db), "search", *args,
                                   "--format", "json"])
    return out.exit_code, json.loads(out.output) if out.exit_code == 0 else out.output


def test_search_ranks_matches_with_snippets(demo: DemoResult) -> None:
    code, rows = search(demo.database, "security guarantees")
    assert code == 0 and rows
    assert all("security" in (r["title"] + r["snippet"]).lower() for r in rows[:3])
    assert any("[guarantees]" in r["snippet"] or "[security]" in r["snippet"] for r in rows)
    assert [r["rank"] for r in rows] == sorted(r["rank"] for r in rows)  # best (lowest) first
    code, french = search(demo.database, "garanties securite", "--lang", "fr")
    assert code == 0 and french and {r["lang"] for r in french} == {"fr"}  # accents folded
    code, nothing = search(demo.database, "zeppelin")
    assert code == 0 and nothing == []


def test_raw_fts_syntax_and_a_clear_error(demo: DemoResult) -> None:
    code, rows = search(demo.database, "garanties OR Sicherheitsgarantien", "--raw")
    assert code == 0 and {r["lang"] for r in rows} >= {"fr", "de"}
    code, output = search(demo.database, 'NEAR("unclosed', "--raw")
    assert code == 1 and "search: cannot read the query" in output and "store.bad_query" in output
    code, quoted = search(demo.database, 'NEAR("unclosed')  # without --raw: words as they are
    assert code == 0 and quoted == []


def test_index_follows_updates_and_pruning(demo: DemoResult, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    CliRunner().invoke(cli, ["--config", "/dev/null", "--db", str(demo.database), "db",
                             "backup", str(copy)])
    _, before = search(copy, "patrols")
    assert before
    CliRunner().invoke(cli, ["--config", "/dev/null", "--db", str(copy), "db", "prune",
                             "--older-than", "1d"])
    _, after = search(copy, "patrols")
    body_only = {r["id"] for r in before if "patrols" not in r["title"].lower()}
    assert body_only and not body_only & {r["id"] for r in after}
