"""Small fixtures: ``db`` (a fresh SQLite file), ``feed_server`` (a real HTTP server on
127.0.0.1), ``cli`` (click's CliRunner with a config and database in tmp_path)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner, Result

from monitor.store.db import open_database
from tests.feedserver import FeedServer

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite_utils.Database]:
    database = open_database(tmp_path / "test.db")
    yield database
    database.conn.close()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('database = "news.db"\n[schedule]\nstartup_spread = "0s"\n', "utf-8")
    return path


@pytest.fixture
def cli(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run ``newsmon --config <tmp config> ARGS``; the database is tmp_path/news.db."""
    from monitor.cli import cli as newsmon

    for name in ("NEWSMON_CONFIG", "NEWSMON_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(newsmon, ["--config", str(config_file), *args], input=input,
                             catch_exceptions=False)

    return invoke
