"""Feed discovery: a site URL leads to its feed through ``<link rel="alternate">``."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urljoin

from monitor.errors import FetchError, ParseError
from monitor.fetch import Fetcher
from monitor.models import FetchResult, ParsedFeed
from monitor.parse import parse_feed

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json",
              "application/json", "application/rdf+xml")


def alternate_links(html: bytes, base: str) -> list[str]:
    """Feed URLs a page announces, in page order."""
    import lxml.html

    try:
        document = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    links = []
    for link in document.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        if "alternate" in rel and kind in FEED_TYPES and link.get("href"):
            links.append(urljoin(base, link.get("href", "").strip()))
    return links


def _parse(result: FetchResult) -> ParsedFeed:
    return parse_feed(result.body, result.headers, result.url, fetched_at=datetime.now(UTC))


async def discover(fetcher: Fetcher, url: str) -> tuple[str, ParsedFeed]:
    """(feed URL, its parse) for ``url``, itself a feed or a page that links to one."""
    page = await fetcher.fetch(url)
    final = page.permanent_url or url
    try:
        return final, _parse(page)
    except ParseError as exc:
        if exc.code != "parse.not_a_feed":
            raise
        candidates = alternate_links(page.body, page.url)
        if not candidates:
            raise ParseError(url, "this page is not a feed and announces none "
                             "(no <link rel=\"alternate\" type=\"application/rss+xml\">); "
                             "give the feed's URL (or add it as given with --no-discover)",
                             "parse.no_feed_found") from None
    errors: list[str] = []
    for candidate in candidates:
        try:
            found = await fetcher.fetch(candidate)
            return found.permanent_url or candidate, _parse(found)
        except (FetchError, ParseError) as exc:
            errors.append(str(exc))
    raise ParseError(url, "the feeds this page announces all failed: " + "; ".join(errors)
                     + " (add a URL as given with --no-discover)", "parse.no_feed_found")
