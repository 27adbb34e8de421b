"""bench/match.py runs end to end with tiny numbers and prints its tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.mark.skipif(not (SHARED / "real" / "datasets" / "fundus-article-texts").is_dir(),
                    reason="needs the shared article corpus beside the repository")
def test_match_benchmark_prints_its_tables() -> None:
    command = [sys.executable, "bench/match.py", "--rules", "2,150", "--articles", "10",
               "--naive-sample", "5", "--languages", "en,fr", "--shared", str(SHARED)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "stream: 10 articles" in out
    for row in ("| 2       | ", "| 150     | ", "| en     | ", "| fr     | ", "| all    | "):
        assert row in out
    assert "(sample 5)" in out
    assert "time 150 rules : 2 rules = " in out
