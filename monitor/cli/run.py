"""``newsmon run``: the daemon, or one burst with ``--once``."""

from __future__ import annotations

import asyncio
import contextlib

import click

from monitor.cli import AppContext
from monitor.cli.output import format_option, render


@click.command()
@click.option("--once", is_flag=True, help="poll every due feed once, process, exit (cron, tests)")
@click.option("--all", "include_all", is_flag=True,
              help="with --once: poll every unpaused feed now, due or not")
@format_option
@click.pass_obj
def run(app: AppContext, once: bool, include_all: bool, fmt: str) -> None:
    """Poll feeds on their schedule until stopped (SIGINT/SIGTERM), or once.

    \b
    Example:
      newsmon run                 # the daemon, in the foreground
      newsmon run --once --all    # poll everything now and exit
      newsmon run --once --format json   # one result per feed, for scripts
    """
    from monitor.daemon import Daemon

    if include_all and not once:
        raise click.UsageError("--all goes with --once")
    daemon = Daemon(app.config(), app.database_path())

    async def main() -> None:
        try:
            if once:
                results = await daemon.run_once(include_all=include_all)
                rows = [r.__dict__ for r in results]
                click.echo(render(rows, fmt, ["feed_id", "url", "status", "new", "updated",
                                              "error_code"]))
            else:
                await daemon.run_forever()
        finally:
            await daemon.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
