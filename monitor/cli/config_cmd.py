"""``newsmon config``: check a config file, print the settings table."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli import AppContext
from monitor.cli.output import format_option, render


@click.group()
def config() -> None:
    """Check and describe configuration."""


@config.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.pass_obj
def check(app: AppContext, file: str | None) -> None:
    """Validate FILE (default: the config in use); name the bad key and its line.

    \b
    Example:
      newsmon config check /etc/news-monitor/config.toml
    """
    from monitor import config as config_module

    path = Path(file) if file else config_module.find_config_file(app.config_file)
    loaded = config_module.load(path)
    where = loaded.source or "embedded defaults"
    click.echo(f"{where}: OK ({len(loaded.feeds)} feed(s); database {loaded.database_path()})")
    if loaded.channels:
        from monitor.notify.channels import channel_urls, shown

        for channel in loaded.channels:  # secrets masked; a bad urls_file fails the check
            urls = channel_urls(channel, loaded.base_dir)
            marks = [m for m, name in (("default", loaded.default_channel),
                                       ("health", loaded.health_channel)) if name == channel.name]
            click.echo(f"channel {channel.name}" + (f" ({', '.join(marks)})" if marks else "")
                       + f": {len(urls)} URL(s)")
            for url in urls:
                click.echo(f"  {shown(url)}")


@config.command("settings")
@format_option
def settings(fmt: str) -> None:
    """List every setting with its type, default and help.

    \b
    Example:
      newsmon config settings --format json
    """
    from monitor.config import SETTINGS

    rows = [{"name": s.name, "type": s.type, "default": s.default, "help": s.help}
            for s in SETTINGS]
    click.echo(render(rows, fmt))
