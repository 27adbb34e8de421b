"""JSON Feed 1.0/1.1 (jsonfeed.org), which feedparser does not read, into a ParsedFeed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from monitor.errors import ParseError
from monitor.language import normalise_code
from monitor.models import ParsedEntry, ParsedFeed
from monitor.parse import html_to_text, make_guid, parse_date, tidy_text


def parse_json_feed(body: bytes, url: str, *, fetched_at: datetime,
                    max_entries: int = 200) -> ParsedFeed:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(url, f"invalid JSON ({exc})", "parse.malformed") from None
    if not isinstance(document, dict) or "jsonfeed.org/version" not in str(
        document.get("version", "")
    ):
        raise ParseError(url, "JSON document is not a JSON Feed (no jsonfeed.org version)",
                         "parse.not_a_feed")
    items = document.get("items")
    if not isinstance(items, list):
        raise ParseError(url, "JSON Feed has no 'items' list", "parse.malformed")
    feed_lang = normalise_code(_string(document.get("language")))
    base = _string(document.get("feed_url")) or url
    entries = [
        _entry(item, base, feed_lang, fetched_at)
        for item in items[:max_entries] if isinstance(item, dict)
    ]
    version = str(document["version"]).rstrip("/").rsplit("/", 1)[-1].replace(".", "")
    return ParsedFeed(
        title=_string(document.get("title")),
        site_url=_string(document.get("home_page_url")),
        declared_lang=feed_lang,
        ttl=None,
        entries=tuple(e for e in entries if e.title or e.text),
        format=f"json{version}",
    )


def _string(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _entry(item: dict[str, Any], base: str, feed_lang: str | None,
           fetched_at: datetime) -> ParsedEntry:
    link = _string(item.get("url")) or _string(item.get("external_url"))
    link = urljoin(base, link) if link else None
    html = _string(item.get("content_html"))
    text = html_to_text(html) if html else tidy_text(_string(item.get("content_text")) or "")
    if not text:
        text = tidy_text(_string(item.get("summary")) or "")
    title = html_to_text(_string(item.get("title")) or "")
    item_id = item.get("id")
    guid = str(item_id).strip() if item_id not in (None, "") else link or make_guid(title, text)
    published = _string(item.get("date_published")) or _string(item.get("date_modified"))
    return ParsedEntry(
        guid=guid,
        url=link,
        title=title,
        text=text,
        published_at=parse_date(published, fetched_at),
        declared_lang=normalise_code(_string(item.get("language"))) or feed_lang,
    )
