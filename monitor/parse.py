"""Parse: feed bytes (and the headers fetch got) into a ParsedFeed of clean-text entries.

feedparser reads RSS 0.9x/1.0/2.0 and Atom from the bytes (it never fetches here); the
final URL is passed as ``content-location`` so relative links resolve. JSON Feed goes to
:mod:`monitor.jsonfeed`. Entry text is content, else summary, turned to plain text with
paragraph breaks kept. Dates missing, unreadable or far in the future fall back to the
fetch time; every date is timezone-aware UTC.
"""

from __future__ import annotations

import calendar
import hashlib
import re
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from time import struct_time
from typing import Any

from monitor.errors import ParseError
from monitor.language import normalise_code
from monitor.models import ParsedEntry, ParsedFeed

FUTURE_SLACK = timedelta(days=1)
OLDEST_PLAUSIBLE = datetime(1995, 1, 1, tzinfo=UTC)
_BLANK_LINES = re.compile(r"\n\s*\n\s*")
_SPACES = re.compile(r"[ \t\u00a0\u200b]+")
_HTML_HINT = re.compile(r"<\s*(html|head|body|!doctype\s+html)\b", re.IGNORECASE)


def html_to_text(html: str) -> str:
    """Plain text from an HTML fragment: entities decoded, scripts and styles dropped,
    one blank line between paragraphs."""
    if "<" not in html and "&" not in html:
        return tidy_text(html)
    from inscriptis import get_text

    return tidy_text(get_text(html))


def tidy_text(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _to_utc(parsed: struct_time | None, fallback: datetime) -> datetime:
    if not parsed:
        return fallback
    try:
        moment = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, ValueError):
        return fallback
    if moment > fallback + FUTURE_SLACK or moment < OLDEST_PLAUSIBLE:
        return fallback
    return moment


def parse_date(value: str | None, fallback: datetime) -> datetime:
    """An ISO 8601 / RFC 3339 date as UTC, else ``fallback``."""
    if not value:
        return fallback
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return fallback
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if moment > fallback + FUTURE_SLACK or moment < OLDEST_PLAUSIBLE:
        return fallback
    return moment


def make_guid(*parts: str | None) -> str:
    """A stable id for entries that carry none."""
    return "sha1:" + hashlib.sha1("\x1f".join(p or "" for p in parts).encode()).hexdigest()


def _ungzip(url: str, body: bytes, limit: int) -> bytes:
    """A body saved or served gzipped without Content-Encoding, unpacked within ``limit``."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise ParseError(url, f"gzip body cannot be unpacked ({exc})", "parse.bad_gzip") from None
    if len(data) > limit:
        raise ParseError(url, f"gzip body unpacks to more than {limit} bytes", "parse.too_large")
    return data


def _is_json(body: bytes, content_type: str) -> bool:
    return "json" in content_type or body.lstrip()[:1] == b"{"


def parse_feed(body: bytes, headers: Mapping[str, str], url: str, *,
               fetched_at: datetime, max_entries: int = 200,
               max_size: int = 50_000_000) -> ParsedFeed:
    """Entries of a feed document; ParseError with a ``parse.*`` code when it is none."""
    if body[:2] == b"\x1f\x8b":
        body = _ungzip(url, body, max_size)
    if not body.strip():
        raise ParseError(url, "the server sent an empty document", "parse.empty")
    content_type = headers.get("content-type", "").lower()
    if _is_json(body, content_type):
        from monitor.jsonfeed import parse_json_feed

        return parse_json_feed(body, url, fetched_at=fetched_at, max_entries=max_entries)
    return _parse_xml(body, headers, url, fetched_at, max_entries)


def _parse_xml(body: bytes, headers: Mapping[str, str], url: str, fetched_at: datetime,
               max_entries: int) -> ParsedFeed:
    import feedparser

    response_headers = {k.lower(): v for k, v in headers.items()}
    response_headers["content-location"] = url
    parsed = feedparser.parse(body, response_headers=response_headers, sanitize_html=True,
                              resolve_relative_uris=True)
    if not parsed.entries and not parsed.get("version"):
        _raise_not_a_feed(url, body, parsed)
    channel = parsed.feed
    channel_lang = normalise_code(_text(channel.get("language")))
    entries = tuple(
        _entry(e, channel_lang, fetched_at) for e in parsed.entries[:max_entries]
    )
    return ParsedFeed(
        title=html_to_text(channel.get("title", "")) or None,
        site_url=channel.get("link"),
        declared_lang=channel_lang,
        ttl=_ttl(channel.get("ttl")),
        entries=tuple(e for e in entries if e.title or e.text),
        format=parsed.get("version") or "unknown",
    )


def _raise_not_a_feed(url: str, body: bytes, parsed: Any) -> None:
    if _HTML_HINT.search(body[:2048].decode("latin-1")):
        raise ParseError(url, "this is an HTML page, not a feed; give the feed's own URL "
                         "(newsmon feeds add discovers it from a site URL)", "parse.not_a_feed")
    reason = parsed.get("bozo_exception")
    raise ParseError(url, f"not a readable RSS, Atom or JSON feed ({reason or 'no entries'})",
                     "parse.malformed")


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _ttl(value: Any) -> int | None:
    text = _text(value)
    return int(text) * 60 if text and text.isdigit() else None


def _detail_text(detail: Any, fallback: str) -> str:
    if detail and "html" in str(detail.get("type", "")):
        return html_to_text(fallback)
    return tidy_text(fallback)


def _entry(entry: Any, channel_lang: str | None, fetched_at: datetime) -> ParsedEntry:
    title = _detail_text(entry.get("title_detail"), entry.get("title", ""))
    contents = entry.get("content") or []
    if contents:
        best = max(contents, key=lambda c: len(c.get("value", "")))
        text = html_to_text(best.get("value", ""))
        lang_detail = best
    else:
        text = _detail_text(entry.get("summary_detail"), entry.get("summary", ""))
        lang_detail = entry.get("summary_detail") or entry.get("title_detail") or {}
    link = entry.get("link")
    published = _to_utc(entry.get("published_parsed") or entry.get("updated_parsed"), fetched_at)
    item_lang = normalise_code(_text(lang_detail.get("language")))
    return ParsedEntry(
        guid=_text(entry.get("id")) or link or make_guid(title, text),
        url=link,
        title=title,
        text=text,
        published_at=published,
        declared_lang=item_lang or channel_lang,
    )
