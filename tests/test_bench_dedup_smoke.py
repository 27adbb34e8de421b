"""bench/dedup.py runs end to end with tiny numbers and prints its table and verdicts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_dedup_benchmark_prints_its_table() -> None:
    command = [sys.executable, "bench/dedup.py", "--sizes", "300,600", "--naive-sample", "5",
               "--words", "120"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "| 300 " in out and "| 600 " in out
    assert "100.0%" in out  # every synthetic copy joined its original's story
    assert "per-article cost at 600 : 300 = " in out and "peak memory" in out
