"""``newsmon hits``: what the rules found, newest first, filtered; ``hits show`` one of them."""

from __future__ import annotations

import click

from monitor.cli import AppContext
from monitor.cli.output import format_option, render


def _point(value: str | None, option: str) -> str | None:
    from monitor.durations import parse_point_in_time
    from monitor.store.db import to_iso

    if value is None:
        return None
    try:
        return to_iso(parse_point_in_time(value))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


@click.group(invoke_without_command=True)
@click.option("--rule", help="only this rule's hits (its id)")
@click.option("--since", help="hits since: a duration back (7d) or a date (2026-11-01)")
@click.option("--until", help="hits before: a duration back or a date")
@click.option("--country", "countries", multiple=True,
              help="hits capturing this ISO code (repeatable: any of them)")
@click.option("--lang", help="hits on articles in this language (ISO 639-1)")
@click.option("--feed", help="hits on one feed's articles (its URL or id)")
@click.option("--tag", help="hits on articles of feeds with this tag")
@click.option("--story", type=int, help="hits on one story's articles")
@click.option("--limit", type=click.IntRange(1), default=100, show_default=True)
@format_option
@click.pass_context
def hits(ctx: click.Context, rule: str | None, since: str | None, until: str | None,
         countries: tuple[str, ...], lang: str | None, feed: str | None, tag: str | None,
         story: int | None, limit: int, fmt: str) -> None:
    """List hits, newest first: time, rule, countries, language, sources, title, link.
    JSON, JSONL and CSV carry every stored field (captures, spans, snippet...).

    \b
    Example:
      newsmon hits --since 7d --country DE --country FR
      newsmon hits --rule security-guarantees --format csv > hits.csv
    """
    if ctx.invoked_subcommand is not None:
        return
    from monitor.store.hits import query_hits

    app: AppContext = ctx.obj
    rows = query_hits(app.db(), rule=rule, since=_point(since, "--since"),
                      until=_point(until, "--until"), countries=countries, lang=lang,
                      feed=feed, tag=tag, story=story, limit=limit)
    if fmt == "table":
        rows = [{**row, "time": row["created_at"][:16].replace("T", " "),
                 "countries": ",".join(c for codes in row["captures"].values() for c in codes)}
                for row in rows]
        click.echo(render(rows, fmt, ["id", "time", "rule_id", "countries", "lang", "sources",
                                      "title", "url"]))
        return
    click.echo(render(rows, fmt))


@hits.command("show")
@click.argument("hit_id", type=int)
@click.pass_obj
def show(app: AppContext, hit_id: int) -> None:
    """One hit: the matched sentence with the matched words in [brackets], the story's
    sources and where its alerts went.

    \b
    Example:
      newsmon hits show 12
    """
    from monitor.notify.render import TEXT, marked
    from monitor.store.hits import deliveries_of, query_hits
    from monitor.store.stories import story_sources

    db = app.db()
    row = next(iter(query_hits(db, hit=hit_id, limit=1)), None)
    if row is None:
        raise click.ClickException(f"no hit {hit_id} (see `newsmon hits`)")
    countries = ", ".join(c for codes in row["captures"].values() for c in codes)
    click.echo(f"hit {row['id']} · rule {row['rule_id']} · {row['created_at']} · "
               f"{row['lang']}" + (f" · {countries}" if countries else ""))
    click.echo(f"{row['title']}\n{row['url'] or ''}\n")
    click.echo(marked(row["snippet"], row["spans"], TEXT) + "\n")
    if row["story_id"] is not None:
        sources = story_sources(db, row["story_id"])
        click.echo(f"story {row['story_id']}: {len(sources)} source(s)")
        click.echo(render(sources, "table", ["feed", "lang", "seen_at", "title"]) + "\n")
    deliveries = deliveries_of(db, hit_id)
    click.echo("alerts: " + ("none (no channel, an old article, or a later copy of a story "
                             "already alerted)" if not deliveries else ""))
    if deliveries:
        click.echo(render(deliveries, "table", ["channel", "kind", "url", "status",
                                                "attempts", "sent_at", "last_error"]))


@click.command()
@click.argument("query")
@click.option("--lang", help="only articles in this language (ISO 639-1)")
@click.option("--since", help="articles published since: a duration back (7d) or a date")
@click.option("--raw", is_flag=True, help="QUERY in FTS5 syntax: OR, NEAR(), \"phrases\", pre*")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@format_option
@click.pass_obj
def search(app: AppContext, query: str, lang: str | None, since: str | None, raw: bool,
           limit: int, fmt: str) -> None:
    """Full-text search over stored articles, best match first, with snippets.

    \b
    Example:
      newsmon search "security guarantees" --since 7d
      newsmon search 'garanties NEAR(sécurité, 3)' --raw --lang fr
    """
    from monitor.store.search import search as find

    rows = find(app.db(), query, lang=lang, since=_point(since, "--since"), limit=limit,
                raw=raw)
    click.echo(render(rows, fmt, ["id", "published_at", "lang", "feed", "title", "snippet"]))


@click.command()
@click.option("--since", help="from: a duration back (7d) or a date; default: everything")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.pass_obj
def stats(app: AppContext, since: str | None, fmt: str) -> None:
    """Articles, stories, hits per rule, language, country and day, alerts, and feed health.

    \b
    Example:
      newsmon stats --since 7d
      newsmon stats --format json
    """
    import json

    from monitor.store.stats import stats as count

    result = count(app.db(), _point(since, "--since"))
    if fmt == "json":
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    click.echo(f"since {result['since'] or 'the start'}")
    click.echo(render([result["totals"]], "table"))
    for key, title in (("hits_per_rule", "hits per rule"),
                       ("hits_per_language", "hits per language"),
                       ("hits_per_country", "hits per country"),
                       ("hits_per_day", "hits per day"),
                       ("articles_per_language", "articles per language"),
                       ("feeds", "feeds by health")):
        if result[key]:
            click.echo(f"\n{title}:\n" + render(result[key], "table"))
