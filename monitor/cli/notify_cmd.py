"""``newsmon notify test`` and ``newsmon outbox``: try a channel, see and retry deliveries."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import click

from monitor.cli import AppContext
from monitor.cli.output import format_option, render


@click.group()
def notify() -> None:
    """Alert channels: try them."""


@notify.command("test")
@click.argument("channel")
@click.pass_obj
def test(app: AppContext, channel: str) -> None:
    """Send a test message to every URL of CHANNEL now and say how each went.

    Exits with status 1 when a URL failed. Secrets in URLs are masked.

    \b
    Example:
      newsmon notify test analysts
    """
    from monitor.notify.sender import Sender
    from monitor.store import Store

    store = Store(app.database_path())
    try:
        outcomes = asyncio.run(Sender(app.config(), store).test(channel))
    finally:
        store.close()
    for outcome in outcomes:
        click.echo(f"{'sent' if outcome.ok else 'FAILED'}  {outcome.url}"
                   + ("" if outcome.ok else f"\n        {outcome.reason}"))
    if not outcomes:
        click.echo(f"channel {channel} has no URL")
    if any(not outcome.ok for outcome in outcomes) or not outcomes:
        raise SystemExit(1)


@click.group(invoke_without_command=True)
@click.option("--pending", "show", flag_value="pending", help="only deliveries not yet sent")
@click.option("--failed", "show", flag_value="failed",
              help="only unsent deliveries that failed at least once")
@click.option("--sent", "show", flag_value="sent", help="only deliveries sent")
@click.option("--limit", type=click.IntRange(1), default=100, show_default=True)
@format_option
@click.pass_context
def outbox(ctx: click.Context, show: str | None, limit: int, fmt: str) -> None:
    """List alert deliveries, newest first: one per message and URL, with attempts, the
    last error and the next attempt.

    \b
    Example:
      newsmon outbox --failed
      newsmon outbox --pending --format json
    """
    if ctx.invoked_subcommand is not None:
        return
    from monitor.store import outbox as store_outbox

    app: AppContext = ctx.obj
    db = app.db()
    rows = store_outbox.list_deliveries(
        db, status={"pending": "pending", "sent": "sent"}.get(show or ""),
        failed=show == "failed", limit=limit)
    click.echo(render(rows, fmt, ["id", "channel", "kind", "rule_id", "hits", "url", "status",
                                  "attempts", "next_attempt_at", "last_error"]))


@outbox.command("retry")
@click.argument("delivery_id", type=int)
@click.pass_obj
def retry(app: AppContext, delivery_id: int) -> None:
    """Make a pending delivery due now; the daemon (or the next `run --once`) sends it.

    \b
    Example:
      newsmon outbox retry 42
    """
    from monitor.store import outbox as store_outbox

    db = app.db()
    if not store_outbox.retry_now(db, delivery_id, datetime.now(UTC)):
        raise click.ClickException(f"no pending delivery {delivery_id} (see `newsmon outbox "
                                   "--pending`)")
    click.echo(f"delivery {delivery_id} is due now")
