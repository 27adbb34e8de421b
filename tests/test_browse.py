"""``newsmon browse``: Datasette serves the database read-only with its canned queries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.demo import DemoResult, run_demo
from tests.receivers import free_port


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return run_demo(tmp_path_factory.mktemp("demo"))


def test_metadata_names_tables_and_canned_queries(demo: DemoResult) -> None:
    out = CliRunner().invoke(cli, ["--config", "/dev/null", "--db", str(demo.database),
                                   "browse", "--metadata-only"])
    meta = json.loads(out.output)
    database = meta["databases"]["demo"]
    assert {"hits_by_country", "rule_activity_per_day"} <= set(database["queries"])
    assert "captures" in database["tables"]["hits"]["columns"]


def test_datasette_serves_the_canned_queries_read_only(demo: DemoResult) -> None:
    pytest.importorskip("datasette")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "--config", "/dev/null", "--db",
                             str(demo.database), "browse", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = f"http://127.0.0.1:{port}/demo/hits_by_country.json?_shape=array"
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(url, timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        rows = response.json()
        captured = sum(len(codes) for h in demo.hits for codes in h["captures"].values())
        assert sum(row["hits"] for row in rows) == captured
        write = httpx.post(f"http://127.0.0.1:{port}/demo", timeout=5,
                           data={"sql": "DELETE FROM hits"})
        assert write.status_code >= 400  # read-only: no writes through the browser
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert Path(demo.database).exists()
