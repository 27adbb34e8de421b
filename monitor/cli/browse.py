"""``newsmon browse``: the database in Datasette (an optional extra), read-only, with its
tables and columns described and a few canned queries."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from monitor.cli import AppContext

QUERIES = {
    "hits_by_country": {
        "title": "Hits by captured country",
        "sql": "SELECT v.value AS country, count(*) AS hits, max(hits.created_at) AS latest "
               "FROM hits, json_each(hits.captures) AS c, json_each(c.value) AS v "
               "GROUP BY v.value ORDER BY hits DESC",
    },
    "rule_activity_per_day": {
        "title": "Rule activity per day",
        "sql": "SELECT substr(created_at, 1, 10) AS day, rule_id, count(*) AS hits FROM hits "
               "GROUP BY day, rule_id ORDER BY day DESC, hits DESC",
    },
    "recent_hits": {
        "title": "Latest hits with their articles",
        "sql": "SELECT hits.created_at, hits.rule_id, hits.captures, articles.title, "
               "articles.url, hits.snippet FROM hits JOIN articles ON articles.id = "
               "hits.article_id ORDER BY hits.id DESC LIMIT 100",
    },
    "stories_with_most_sources": {
        "title": "Stories carried by the most feeds",
        "sql": "SELECT stories.id, stories.title, count(DISTINCT story_sources.feed_id) AS "
               "sources, stories.last_seen FROM stories JOIN story_sources ON "
               "story_sources.story_id = stories.id GROUP BY stories.id ORDER BY sources DESC "
               "LIMIT 100",
    },
    "failing_feeds": {
        "title": "Feeds failing now",
        "sql": "SELECT id, url, title, error_count, last_error_code, last_error, "
               "failing_since FROM feeds WHERE error_count > 0 ORDER BY error_count DESC",
    },
}

TABLES = {
    "feeds": ("The feeds polled, their schedule and health", {
        "url": "feed URL (a 301/308 redirect updates it)", "error_count": "failures in a row",
        "last_error_code": "stable code of the last failure (fetch.*, parse.*)",
        "health": "ok, failing or silent (health alerts)"}),
    "articles": ("Stored articles, one per feed entry", {
        "lang": "detected language (ISO 639-1)", "story_id": "the story it belongs to",
        "published_at": "the entry's date, else its fetch time"}),
    "hits": ("A rule firing on an article", {
        "captures": "JSON: capture name -> ISO codes", "snippet": "the matched sentence(s)",
        "spans": "JSON: [leaf, start, end] within the snippet",
        "rule_version": "hash of the rule, its concepts and entity data"}),
    "stories": ("Near-identical articles from any feeds, grouped", {}),
    "deliveries": ("One alert message to one channel URL", {
        "url_shown": "the URL with its secrets masked", "status": "pending or sent"}),
}


def metadata(database: str) -> dict[str, Any]:
    return {
        "title": "news-monitor",
        "description": "What the feeds brought, what the rules found, where the alerts went.",
        "databases": {database: {
            "tables": {name: {"description": text, "columns": columns}
                       for name, (text, columns) in TABLES.items()},
            "queries": QUERIES,
        }},
    }


@click.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True)
@click.option("--metadata-only", is_flag=True, help="print the Datasette metadata and exit")
@click.pass_obj
def browse(app: AppContext, port: int, metadata_only: bool) -> None:
    """Open the database read-only in Datasette on 127.0.0.1, with descriptions and canned
    queries (hits by country, rule activity per day...). Needs the browse extra:
    pip install 'news-monitor[browse]'.

    \b
    Example:
      newsmon browse --port 8001
    """
    path = app.database_path()
    meta = metadata(path.stem)
    if metadata_only:
        click.echo(json.dumps(meta, indent=2))
        return
    datasette = shutil.which("datasette") or str(Path(sys.executable).parent / "datasette")
    if not Path(datasette).exists():
        raise click.ClickException("browse: Datasette is not installed; install the extra: "
                                   "pip install 'news-monitor[browse]'")
    if not path.exists():
        raise click.ClickException(f"browse: no database at {path} (run the daemon first, "
                                   "or give --db)")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(meta, handle)
    click.echo(f"Datasette on http://127.0.0.1:{port}/{path.stem} (Ctrl-C to stop)")
    try:
        subprocess.run([datasette, "serve", str(path), "--host", "127.0.0.1", "--port",
                        str(port), "--metadata", handle.name], check=False)
    except KeyboardInterrupt:
        pass
    finally:
        Path(handle.name).unlink(missing_ok=True)
