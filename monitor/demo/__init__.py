"""``newsmon demo``: the real pipeline, once, on bundled sample feeds served on 127.0.0.1,
into a temporary database, with the packaged rules; the hits are alerted through Apprise
(``json://``) to a receiver on the same loopback server. No network needed."""

from __future__ import annotations

import asyncio
import tempfile
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from monitor import config as config_module
from monitor.daemon import Daemon
from monitor.demo.server import Document, serve
from monitor.models import PollResult
from monitor.store.articles import list_articles
from monitor.store.db import open_database
from monitor.store.hits import list_hits
from monitor.store.stories import list_stories, story_sources


@dataclass(frozen=True)
class DemoResult:
    database: Path
    polls: list[PollResult]
    articles: list[dict[str, Any]]
    hits: list[dict[str, Any]]
    alerts: list[dict[str, Any]]  # what the loopback receiver got: Apprise's JSON payloads
    stories: list[dict[str, Any]]  # stories carried by two feeds or more


def sample_feeds() -> list[dict[str, Any]]:
    """The bundled feeds: file, title, path, content_type, tags (from index.toml)."""
    folder = resources.files("monitor") / "demo" / "feeds"
    index = tomllib.loads((folder / "index.toml").read_text("utf-8"))
    return [{**entry, "body": (folder / entry["file"]).read_bytes()} for entry in index["feed"]]


def run_demo(workdir: Path | None = None) -> DemoResult:
    """Serve the samples, poll them all once into ``workdir``/demo.db, return what was stored."""
    samples = sample_feeds()
    documents = {s["path"]: Document(s["body"], s["content_type"]) for s in samples}
    folder = workdir or Path(tempfile.mkdtemp(prefix="newsmon-demo-"))
    database = folder / "demo.db"
    inbox: list[dict[str, Any]] = []
    with serve(documents, inbox) as base:
        config = config_module.build({
            "database": str(database),
            "default_channel": "demo",
            "channels": {"demo": {"urls": [base.replace("http://", "json://") + "/alerts"]}},
            # the samples keep their dates: alert them however old they are
            "notify": {"max_age": "36500d", "once_wait": "10s"},
            "fetch": {"allow_private_networks": True},
            "feeds": [{"url": base + s["path"], "title": s["title"], "tags": s["tags"]}
                      for s in samples],
        }, environ={})
        polls = asyncio.run(_poll(config, database))
    db = open_database(database)
    try:
        stored = list_articles(db, limit=1000)
        hits = list_hits(db, limit=1000)
        grouped = [{**story, "sources": story_sources(db, story["id"])}
                   for story in list_stories(db, min_sources=2)]
    finally:
        db.conn.close()
    return DemoResult(database, polls, stored, hits, inbox, grouped)


async def _poll(config: config_module.Config, database: Path) -> list[PollResult]:
    daemon = Daemon(config, database)
    try:
        return await daemon.run_once(include_all=True)
    finally:
        await daemon.close()
