"""``newsmon demo``: see the pipeline work with no network."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.output import format_option, render


@click.command()
@click.option("--keep", type=click.Path(file_okay=False), help="folder to keep the database in")
@format_option
def demo(keep: str | None, fmt: str) -> None:
    """Serve bundled sample feeds (8 languages; RSS, Atom, JSON Feed) on 127.0.0.1, run the
    real pipeline once into a temporary database, alert its hits through Apprise to a
    receiver on 127.0.0.1, and print what was stored, the stories several feeds carried
    (one alert each), and what arrived.

    \b
    Example:
      newsmon demo
      newsmon demo --keep ./demo-data --format json
    """
    from monitor.demo import run_demo

    folder = Path(keep) if keep else None
    if folder:
        folder.mkdir(parents=True, exist_ok=True)
    result = run_demo(folder)
    rows = [{"feed": a["feed"], "title": a["title"], "lang": a["lang"],
             "confidence": a["lang_confidence"], "published": a["published_at"]}
            for a in result.articles]
    click.echo(render(rows, fmt, ["feed", "title", "lang", "confidence", "published"]))
    hits = [{"rule": h["rule_id"], "captures": ",".join(
        code for codes in h["captures"].values() for code in codes), "lang": h["lang"],
             "title": h["title"], "snippet": h["snippet"]} for h in result.hits]
    if fmt == "table":
        click.echo(f"\nhits ({len(hits)}):")
        click.echo(render(hits, fmt, ["rule", "captures", "lang", "title", "snippet"]))
    else:
        click.echo(render(hits, fmt))
    stories = [{"story": story["id"], "sources": story["sources"] and len(story["sources"]),
                "feeds": ", ".join(source["feed"] for source in story["sources"]),
                "title": story["title"]} for story in result.stories]
    if fmt == "table":
        click.echo(f"\nstories carried by several feeds ({len(stories)}):")
        click.echo(render(stories, fmt, ["story", "sources", "feeds", "title"]))
    else:
        click.echo(render(stories, fmt))
    alerts = [{"title": a.get("title", ""), "type": a.get("type", ""),
               "message": a.get("message", "")} for a in result.alerts]
    if fmt == "table":
        click.echo(f"\nalerts received on 127.0.0.1 ({len(alerts)}):")
        for alert in alerts:
            click.echo(f"--- {alert['title']}\n{alert['message']}")
    else:
        click.echo(render(alerts, fmt))
    if fmt == "table":
        failed = [p for p in result.polls if p.status == "error"]
        click.echo(f"\n{len(result.articles)} article(s) stored from {len(result.polls)} feed(s)"
                   f" in {result.database}" + (f"; {len(failed)} feed(s) failed" if failed else ""))
