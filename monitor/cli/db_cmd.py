"""``newsmon db``: migrate, prune, back up the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from monitor.cli import AppContext


@click.group()
def db() -> None:
    """The database: upgrade it, prune it, back it up."""


@db.command("migrate")
@click.pass_obj
def migrate(app: AppContext) -> None:
    """Upgrade the database to this release's schema (also done at every start).

    \b
    Example:
      newsmon db migrate
    """
    from monitor.store.schema import SCHEMA_VERSION

    database = app.db()  # opening migrates
    version = database.execute("PRAGMA user_version").fetchone()[0]
    click.echo(f"{app.database_path()}: schema version {version} (this release: "
               f"{SCHEMA_VERSION})")


@db.command("prune")
@click.option("--older-than", "older_than", required=True,
              help="prune the text of articles published longer ago than this (90d)")
@click.option("--vacuum", is_flag=True,
              help="then rewrite the file to give all the space back (slow; needs free disk "
                   "as large as the file)")
@click.pass_obj
def prune(app: AppContext, older_than: str, vacuum: bool) -> None:
    """Empty the text of old articles; their titles, links, hits and snippets stay.

    \b
    Example:
      newsmon db prune --older-than 90d
    """
    from monitor.durations import parse_duration
    from monitor.store.maintenance import prune as prune_text

    try:
        age = parse_duration(older_than)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from None
    count = prune_text(app.db(), datetime.now(UTC) - timedelta(seconds=age), vacuum=vacuum)
    click.echo(f"{count} article(s) pruned" + (" and the file vacuumed" if vacuum else ""))


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def backup(app: AppContext, file: Path) -> None:
    """Copy the database to FILE with SQLite's online backup (safe while the daemon runs).

    \b
    Example:
      newsmon db backup /var/backups/news-monitor-$(date +%F).db
    """
    from monitor.store.maintenance import backup as copy

    copy(app.db(), file)
    click.echo(f"backed up to {file}")
