"""JSON Feed 1.0/1.1 (jsonfeed.org), which feedparser does not read, into a ParsedFeed.

Text is ``content_html`` as plain text, else ``content_text``, else ``summary``; titles are
plain text on one line. Relative item URLs resolve against ``feed_url``, else the URL the
document was fetched from. ``language`` (1.1) is read on the feed and on each item.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from itertools import islice
from typing import Any
from urllib.parse import urljoin

from monitor.errors import ParseError
from monitor.language import normalise_code
from monitor.models import ParsedEntry, ParsedFeed
from monitor.parse.dates import parse_date
from monitor.parse.encoding import STRAY_BYTES
from monitor.parse.text import html_to_text, make_guid, one_line, tidy_text

VERSION_PREFIX = "jsonfeed.org/version/"


def parse_json_feed(body: bytes, url: str, *, fetched_at: datetime,
                    max_entries: int = 200) -> ParsedFeed:
    document = _load(body, url)
    version = str(document.get("version", "")) if isinstance(document, dict) else ""
    if not isinstance(document, dict) or VERSION_PREFIX not in version:
        raise ParseError(url, "a JSON document that is not a JSON Feed (no \"version\": "
                         "\"https://jsonfeed.org/version/1.1\"); give the feed's own URL",
                         "parse.not_a_feed")
    items = document.get("items")
    if not isinstance(items, list):
        raise ParseError(url, "JSON Feed without an \"items\" list; tell its publisher",
                         "parse.malformed")
    feed_lang = normalise_code(_string(document.get("language")))
    feed_url = _string(document.get("feed_url"))
    base = urljoin(url, feed_url) if feed_url else url
    entries = _entries(items, base, feed_lang, fetched_at)
    number = version.split(VERSION_PREFIX, 1)[1].strip("/").replace(".", "")
    return ParsedFeed(
        title=one_line(_string(document.get("title")) or "") or None,
        site_url=_string(document.get("home_page_url")),
        declared_lang=feed_lang,
        ttl=None,
        entries=tuple(islice(entries, max_entries)),
        format=f"json{number}",
    )


def _load(body: bytes, url: str) -> Any:
    try:
        try:
            return json.loads(body)
        except UnicodeDecodeError:  # JSON is UTF-8; stray legacy bytes read as windows-1252
            return json.loads(body.decode("utf-8", errors=STRAY_BYTES))
    except json.JSONDecodeError as exc:
        raise ParseError(url, f"invalid JSON ({exc}); check the feed with a JSON validator "
                         "and tell its publisher", "parse.malformed") from None


def _string(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _entries(items: list[Any], base: str, feed_lang: str | None,
             fetched_at: datetime) -> Iterator[ParsedEntry]:
    for item in items:
        if isinstance(item, dict):
            entry = _entry(item, base, feed_lang, fetched_at)
            if entry.title or entry.text:
                yield entry


def _text(item: dict[str, Any]) -> str:
    html = _string(item.get("content_html"))
    text = html_to_text(html) if html else tidy_text(_string(item.get("content_text")) or "")
    return text or tidy_text(_string(item.get("summary")) or "")


def _entry(item: dict[str, Any], base: str, feed_lang: str | None,
           fetched_at: datetime) -> ParsedEntry:
    link = _string(item.get("url")) or _string(item.get("external_url"))
    link = urljoin(base, link) if link else None
    title = one_line(_string(item.get("title")) or "")
    text = _text(item)
    item_id = item.get("id")
    guid = str(item_id).strip() if item_id not in (None, "") else ""
    published = _string(item.get("date_published")) or _string(item.get("date_modified"))
    return ParsedEntry(
        guid=guid or link or make_guid(title, text),
        url=link,
        title=title,
        text=text,
        published_at=parse_date(published, fetched_at),
        declared_lang=normalise_code(_string(item.get("language"))) or feed_lang,
    )
