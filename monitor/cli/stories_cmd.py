"""``newsmon stories`` and ``newsmon dedup eval``: near-identical articles grouped."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from monitor.cli import AppContext
from monitor.cli.output import format_option, render


@click.group(invoke_without_command=True)
@click.option("--since", help="stories seen since: a duration back (7d) or a date")
@click.option("--min-sources", type=click.IntRange(1), default=1, show_default=True,
              help="only stories carried by at least this many feeds")
@click.option("--lang", help="only stories with a source in this language (ISO 639-1)")
@click.option("--limit", type=click.IntRange(1), default=100, show_default=True)
@format_option
@click.pass_context
def stories(ctx: click.Context, since: str | None, min_sources: int, lang: str | None,
            limit: int, fmt: str) -> None:
    """List stories, newest first: near-identical articles from any feeds grouped, with
    their number of sources (feeds), languages, first and last seen.

    \b
    Example:
      newsmon stories --since 1d --min-sources 3
      newsmon stories --lang fr --format json
    """
    if ctx.invoked_subcommand is not None:
        return
    from monitor.durations import parse_point_in_time
    from monitor.store import stories as store_stories

    app: AppContext = ctx.obj
    try:
        start = parse_point_in_time(since) if since else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    rows = store_stories.list_stories(app.db(), start, min_sources, lang, limit)
    click.echo(render(rows, fmt, ["id", "sources", "langs", "first_seen", "last_seen",
                                  "title"]))


@stories.command("show")
@click.argument("story_id", type=int)
@format_option
@click.pass_obj
def show(app: AppContext, story_id: int, fmt: str) -> None:
    """One story's sources: the feeds that carried it, with each copy's title and link.

    \b
    Example:
      newsmon stories show 42
    """
    from monitor.store import stories as store_stories

    rows = store_stories.story_sources(app.db(), story_id)
    if not rows:
        raise click.ClickException(f"no story {story_id} (see `newsmon stories`)")
    click.echo(render(rows, fmt, ["feed", "lang", "seen_at", "title", "url"]))


@click.group()
def dedup() -> None:
    """Near-duplicate grouping: measure it."""


@dedup.command("eval")
@click.argument("corpus", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def evaluate(corpus: Path, fmt: str) -> None:
    """Group a labelled corpus with the real grouping and score it pairwise.

    CORPUS is a YAML list of items with id, title, text and story (the same story value:
    copies that must be grouped; lang optional). Prints precision, recall and F1 over item
    pairs, and the pairs wrongly merged or missed.

    \b
    Example:
      newsmon dedup eval tests/data/stories_dev.yaml
      newsmon dedup eval corpus.yaml --format json
    """
    from monitor.dedup.evaluate import group, read_corpus, score

    items = read_corpus(corpus)
    with click.progressbar(length=len(items), label="grouping", file=sys.stderr) as bar:
        result = score(items, group(items, bar.update))
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
        return

    def shown(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    click.echo(render([{"items": result.items, "groups": result.groups,
                        "precision": shown(result.precision), "recall": shown(result.recall),
                        "f1": shown(result.f1), "false merges": len(result.false_merges),
                        "missed pairs": len(result.missed_pairs)}], "table"))
    for kind, pairs in (("false merge", result.false_merges),
                        ("missed pair", result.missed_pairs)):
        for a, b in pairs:
            click.echo(f"{kind}: {a} {b}")
