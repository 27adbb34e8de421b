"""``newsmon rules backtest``: a rule over stored articles, and what an edit changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.demo import run_demo

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    run_demo(folder)
    return folder / "demo.db"


def test_backtest_lists_what_the_rule_would_hit(demo_db: Path) -> None:
    out = CliRunner().invoke(cli, ["--db", str(demo_db), "rules", "backtest",
                                   "security-guarantees", "--since", "2026-01-01",
                                   "--format", "json"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    hits = json.loads(out.stdout)
    titles = [h["title"] for h in hits]
    assert any(t.startswith("Vingt-six pays") for t in titles)
    assert all("RU" not in h["captures"] for h in hits)
    stored = CliRunner().invoke(cli, ["--db", str(demo_db), "rules", "backtest",
                                      "security-guarantees", "--since", "2030-01-01"])
    assert "0 hit(s) in 0 article(s)" in stored.output


def test_backtest_diff_shows_what_an_edit_loses(demo_db: Path, tmp_path: Path) -> None:
    draft = tmp_path / "draft.yaml"
    text = (REPO / "rules" / "security-guarantees.yaml").read_text("utf-8")
    draft.write_text(text.replace("languages:", "x:").replace(
        "scope: sentence", 'scope: sentence\nlanguages: ["en"]'), "utf-8")
    (tmp_path / "concepts").symlink_to(REPO / "rules" / "concepts")
    out = CliRunner().invoke(cli, ["--db", str(demo_db), "rules", "backtest", str(draft),
                                   "--since", "2026-01-01", "--diff"],
                             catch_exceptions=False)
    assert out.exit_code == 0, out.output
    assert "0 gained" in out.output
    lost = int(out.output.split(" lost ")[0].rsplit(", ", 1)[1])
    assert lost >= 5  # every non-English hit is lost when the draft runs on English only
