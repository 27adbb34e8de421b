"""The ``newsmon`` command: a few lines over the library per command.

Global options come before the command: ``newsmon [--config FILE] [--db FILE] COMMAND``.
Domain errors (MonitorError) become one line a user can act on, with the error code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from monitor import __version__
from monitor.errors import MonitorError


@dataclass
class AppContext:
    config_file: str | None
    db_file: str | None
    _config: Any = None

    def config(self) -> Any:
        """The loaded Config (search order in monitor.config)."""
        if self._config is None:
            from monitor import config

            self._config = config.load(config.find_config_file(self.config_file))
        return self._config

    def database_path(self) -> Path:
        return Path(self.db_file) if self.db_file else self.config().database_path()

    def db(self) -> Any:
        from monitor.store.db import open_database

        return open_database(self.database_path())


class MonitorGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MonitorError as exc:
            raise click.ClickException(f"{exc} [{exc.code}]") from None


@click.group(cls=MonitorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsmon")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), envvar=None,
              help="config file (default: $NEWSMON_CONFIG, ./config.toml, user config dir, "
                   "$CONFIGURATION_DIRECTORY, else the embedded defaults)")
@click.option("--db", "db_file", type=click.Path(dir_okay=False),
              help="SQLite database file (overrides the config's 'database')")
@click.option("--log-format", type=click.Choice(["human", "json"]), default="human",
              show_default=True, help="log lines for people, or one JSON object per line")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]),
              default=None, help="overrides the config's log_level")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None, db_file: str | None, log_format: str,
        log_level: str | None) -> None:
    """news-monitor: watch news feeds in many languages, store what they publish.

    \b
    Example:
      newsmon feeds add https://www.example.org/feed.xml --tag world
      newsmon run --once
      newsmon feeds list
    """
    from monitor import logs

    app = AppContext(config_file, db_file)
    ctx.obj = app
    level = log_level
    if level is None:
        try:
            level = app.config().log_level
        except MonitorError:
            level = "info"  # the command itself reports the broken config
    logs.configure(level or "info", log_format)


def main() -> None:
    cli(prog_name="newsmon")


def _register() -> None:
    from monitor.cli import (
        browse,
        config_cmd,
        db_cmd,
        demo,
        feeds,
        hits_cmd,
        notify_cmd,
        rules,
        run,
        stories_cmd,
    )

    cli.add_command(feeds.feeds)
    cli.add_command(run.run)
    cli.add_command(demo.demo)
    cli.add_command(config_cmd.config)
    cli.add_command(rules.rules)
    cli.add_command(notify_cmd.notify)
    cli.add_command(notify_cmd.outbox)
    cli.add_command(hits_cmd.hits)
    cli.add_command(hits_cmd.search)
    cli.add_command(hits_cmd.stats)
    cli.add_command(browse.browse)
    cli.add_command(db_cmd.db)
    cli.add_command(stories_cmd.stories)
    cli.add_command(stories_cmd.dedup)


_register()
