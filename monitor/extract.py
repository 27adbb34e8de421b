"""Extract: the main text of an article page, for feeds that carry only a teaser
(``full_text = true``). The page comes through the fetch stage, with its limits."""

from __future__ import annotations

import asyncio
import logging

from monitor.errors import FetchError
from monitor.fetch import Fetcher
from monitor.models import ParsedEntry

log = logging.getLogger(__name__)
PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"


def main_text(html: bytes, url: str) -> str | None:
    """trafilatura's main text of a page, paragraphs kept; None when it finds none."""
    import trafilatura

    try:
        text = trafilatura.extract(html, url=url, include_comments=False, include_tables=False,
                                   favor_precision=True)
    except (ValueError, TypeError, LookupError) as exc:  # an odd page must not fail the feed
        log.warning("no main text extracted from %s: %r", url, exc,
                    extra={"article_url": url, "stage": "extract"})
        return None
    return text.strip() if text and text.strip() else None


async def full_text(fetcher: Fetcher, entry: ParsedEntry) -> ParsedEntry:
    """The entry with its page's main text, or unchanged when the page cannot be had
    (the feed's own text is kept; the failure is logged, not raised)."""
    if not entry.url:
        return entry
    try:
        page = await fetcher.fetch(entry.url, accept=PAGE_ACCEPT)
    except FetchError as exc:
        log.warning("full text not fetched, feed text kept: %s", exc,
                    extra={"article_url": entry.url, "error_code": exc.code, "stage": "extract"})
        return entry
    text = await asyncio.to_thread(main_text, page.body, page.url)  # tens of ms of CPU
    if text is None or len(text) <= len(entry.text):
        return entry
    return ParsedEntry(
        guid=entry.guid, url=entry.url, title=entry.title, text=text,
        published_at=entry.published_at, declared_lang=entry.declared_lang,
    )
