"""The systemd unit: valid for systemd-analyze, Type=notify, hardened."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[1] / "systemd" / "news-monitor.service"


def test_unit_is_hardened_notify_service() -> None:
    text = UNIT.read_text("utf-8")
    for directive in ("Type=notify", "NoNewPrivileges=yes", "ProtectSystem=strict",
                      "ProtectHome=yes", "PrivateTmp=yes", "StateDirectory=news-monitor",
                      "ConfigurationDirectory=news-monitor", "RestrictAddressFamilies=",
                      "SystemCallFilter=@system-service"):
        assert directive in text, directive


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_unit_verifies(tmp_path: Path) -> None:
    # verify checks that ExecStart exists: point it at this Python for the check
    text = UNIT.read_text("utf-8").replace("/opt/news-monitor/.venv/bin/newsmon",
                                           sys.executable + " -m monitor")
    unit = tmp_path / "news-monitor.service"
    unit.write_text(text, "utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "news-monitor.service" not in result.stderr, result.stderr
