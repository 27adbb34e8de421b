"""bench/poll.py runs end to end with tiny numbers and prints its tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_poll_benchmark_prints_its_tables() -> None:
    command = [sys.executable, "bench/poll.py", "--feeds", "30", "--items", "5", "--sample", "5",
               "--sweep", "4"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    out = done.stdout
    for row in ("| first poll ", "| steady poll ", "| naive feedparser.parse(url), sample of 5 ",
                "| parse (event loop) ", "| 1 (http.client) "):
        assert row in out
    assert "first poll: ok 30; steady poll: not_modified 15, unchanged 15" in out
    assert "articles/s (target >= 500" in out
