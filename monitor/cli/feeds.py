"""``newsmon feeds ...``: add, list, edit, pause, resume, remove, OPML import/export."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from monitor.cli import AppContext
from monitor.cli.output import format_option, render
from monitor.durations import format_duration, parse_duration

TABLE_COLUMNS = ("id", "title", "url", "tags", "status", "items", "last_success",
                 "errors", "last_error", "next_check")


def duration(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """Option callback: the duration grammar (30s, 15m, 2h, 7d) as seconds."""
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group()
def feeds() -> None:
    """Manage the feeds that are polled."""


@feeds.command("add")
@click.argument("url")
@click.option("--title", help="name shown in lists (default: the feed's own title)")
@click.option("--tag", "tags", multiple=True, help="tag (repeatable)")
@click.option("--interval", callback=duration, help="poll interval, e.g. 15m (default: config)")
@click.option("--lang", help="language the feed is in, a prior for detection (e.g. fr)")
@click.option("--full-text", is_flag=True, help="fetch each article's page for its full text")
@click.option("--no-discover", is_flag=True, help="store URL as given, without fetching it")
@click.pass_obj
def add(app: AppContext, url: str, title: str | None, tags: tuple[str, ...],
        interval: int | None, lang: str | None, full_text: bool, no_discover: bool) -> None:
    """Add a feed by its URL, or by a site URL whose page announces a feed.

    \b
    Example:
      newsmon feeds add https://www.example.org/ --tag world --interval 15m --lang fr
    """
    from monitor import feeds as feed_lib
    from monitor.models import FeedSpec

    if not no_discover:
        url, found_title = asyncio.run(feed_lib.resolve_feed_url(app.config(), url))
        title = title or found_title
    row = feed_lib.add(app.db(), FeedSpec(url=url, title=title, tags=tags, lang=lang,
                                          interval=interval, full_text=full_text))
    click.echo(f"added feed {row['id']}: {row['url']}" + (f" ({row['title']})" if title else ""))


def _row_for_table(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "title": row["title"], "url": row["url"],
        "tags": ",".join(json.loads(row["tags"] or "[]")),
        "status": "paused" if row["paused"] else ("failing" if row["error_count"] else "ok"),
        "items": row["items"], "last_success": row["last_success_at"],
        "errors": row["error_count"],
        "last_error": f"{row['last_error_code']}: {row['last_error']}"
        if row["last_error_code"] else "",
        "next_check": row["next_check_at"],
    }


@feeds.command("list")
@click.option("--tag", help="only feeds with this tag")
@format_option
@click.pass_obj
def list_(app: AppContext, tag: str | None, fmt: str) -> None:
    """List feeds with their health: last success, last error, errors in a row, next check.

    \b
    Example:
      newsmon feeds list --tag world
      newsmon feeds list --format json | jq '.[] | select(.error_count > 0)'
    """
    from monitor.store.feeds import list_feed_rows

    rows = list_feed_rows(app.db(), tag)
    if fmt == "table":
        click.echo(render([_row_for_table(r) for r in rows], fmt, TABLE_COLUMNS))
        return
    if fmt in ("json", "jsonl"):  # CSV keeps the JSON text of the tags
        for row in rows:
            row["tags"] = json.loads(row["tags"] or "[]")
    click.echo(render(rows, fmt))


@feeds.command("edit")
@click.argument("feed")
@click.option("--url", help="new feed URL")
@click.option("--title")
@click.option("--tag", "tags", multiple=True, help="replaces the tags (repeatable)")
@click.option("--clear-tags", is_flag=True, help="remove every tag")
@click.option("--interval", callback=duration, help="poll interval, e.g. 1h")
@click.option("--lang")
@click.option("--full-text/--no-full-text", default=None)
@click.pass_obj
def edit(app: AppContext, feed: str, url: str | None, title: str | None, tags: tuple[str, ...],
         clear_tags: bool, interval: int | None, lang: str | None,
         full_text: bool | None) -> None:
    """Change a feed's settings (FEED is its id or URL).

    \b
    Example:
      newsmon feeds edit 3 --interval 1h --tag europe --tag politics
    """
    from monitor import feeds as feed_lib

    changes: dict[str, Any] = {k: v for k, v in {
        "url": url, "title": title, "interval": interval, "lang": lang,
        "full_text": None if full_text is None else int(full_text),
    }.items() if v is not None}
    if tags or clear_tags:
        changes["tags"] = () if clear_tags else tags
    if not changes:
        raise click.UsageError("nothing to change: give at least one option")
    row = feed_lib.edit(app.db(), feed, changes)
    shown = {k: format_duration(v) if k == "interval" else v for k, v in changes.items()}
    click.echo(f"feed {row['id']} updated: " + ", ".join(f"{k}={v}" for k, v in shown.items()))


def _set_paused(app: AppContext, feed: str, paused: bool) -> None:
    from monitor import feeds as feed_lib

    row = feed_lib.edit(app.db(), feed, {"paused": int(paused)})
    click.echo(f"feed {row['id']} {'paused' if paused else 'resumed'}: {row['url']}")


@feeds.command("pause")
@click.argument("feed")
@click.pass_obj
def pause(app: AppContext, feed: str) -> None:
    """Stop polling a feed (its articles stay).

    \b
    Example:
      newsmon feeds pause 3
    """
    _set_paused(app, feed, True)


@feeds.command("resume")
@click.argument("feed")
@click.pass_obj
def resume(app: AppContext, feed: str) -> None:
    """Poll a paused feed again.

    \b
    Example:
      newsmon feeds resume 3
    """
    _set_paused(app, feed, False)


@feeds.command("remove")
@click.argument("feed")
@click.pass_obj
def remove(app: AppContext, feed: str) -> None:
    """Delete a feed and its articles (refused for feeds the config file lists).

    \b
    Example:
      newsmon feeds remove https://www.example.org/feed.xml
    """
    from monitor import feeds as feed_lib

    row = feed_lib.remove(app.db(), app.config(), feed)
    click.echo(f"removed feed {row['id']}: {row['url']}")


@feeds.command("import-opml")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.pass_obj
def import_opml(app: AppContext, file: str) -> None:
    """Add the feeds of an OPML file; folders and categories become tags.

    \b
    Example:
      newsmon feeds import-opml subscriptions.opml
    """
    from monitor import feeds as feed_lib
    from monitor.models import FeedSpec

    def progress(specs: Iterable[FeedSpec]) -> Iterable[FeedSpec]:
        items = list(specs)
        with click.progressbar(items, label="importing", show_pos=True) as bar:
            yield from bar

    added, present = feed_lib.import_opml(app.db(), app.config(), Path(file).read_bytes(), file,
                                          progress)
    click.echo(f"{added} feed(s) added, {present} already present")


@feeds.command("export-opml")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="file (default: stdout)")
@click.pass_obj
def export_opml(app: AppContext, output: str | None) -> None:
    """Write every feed as OPML 2.0 (tags as categories).

    \b
    Example:
      newsmon feeds export-opml -o feeds.opml
    """
    from monitor import feeds as feed_lib

    text = feed_lib.export_opml(app.db())
    if output:
        Path(output).write_text(text, "utf-8")
    else:
        click.echo(text, nl=False)
