"""Parse: feed bytes (and the headers fetch got) into a ParsedFeed of clean-text entries.

    body --ungzip--> bytes --decode_xml--> str --prepare_xml--> UTF-8 XML --feedparser-->
         entries: plain text, UTC dates, absolute links, ISO 639-1 declared languages

feedparser reads RSS 0.9x/1.0/2.0 and Atom; JSON Feed goes to :mod:`monitor.parse.jsonfeed`.
Decoding and clean-up are in :mod:`monitor.parse.encoding` (why: see there), text in
:mod:`monitor.parse.text`, dates in :mod:`monitor.parse.dates`.

A document with no element is ``parse.empty``, an HTML page or other non-feed is
``parse.not_a_feed``, broken XML from which no entry could be recovered is
``parse.malformed``; broken XML that still gives entries is accepted. A well-formed feed
with no items is a ParsedFeed without entries, not an error.

Entry text is content, else summary, as plain text with paragraph breaks kept. Dates
missing, unreadable or far in the future fall back to the fetch time; every date is
timezone-aware UTC. The declared language is the item's own (xml:lang, dc:language), else
the channel's (<language>, the root's xml:lang), else the Content-Language header.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator, Mapping
from datetime import datetime
from itertools import islice
from typing import Any

from monitor.errors import ParseError
from monitor.language import normalise_code
from monitor.models import ParsedEntry, ParsedFeed
from monitor.parse.dates import parse_rfc822_date, to_utc
from monitor.parse.encoding import (
    CLEAN_DECLARATION,
    HTTP_CHARSET,
    ROOT_TAG,
    decode_xml,
    prepare_xml,
)
from monitor.parse.text import html_to_text, make_guid, one_line, tidy_text

_HTML_HINT = re.compile(r"<\s*(html|head|body|!doctype\s+html)\b", re.IGNORECASE)


def _ungzip(url: str, body: bytes, limit: int) -> bytes:
    """A body saved or served gzipped without Content-Encoding, unpacked within ``limit``."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise ParseError(url, f"gzip body cannot be unpacked ({exc}); open the URL in a "
                         "browser to check it", "parse.bad_gzip") from None
    if len(data) > limit:
        raise ParseError(url, f"gzip body unpacks to more than {limit} bytes (setting "
                         "fetch.max_decompressed_size)", "parse.too_large")
    if not data and not inflater.eof:
        raise ParseError(url, "gzip body is cut off before any data; open the URL in a "
                         "browser to check it", "parse.bad_gzip")
    return data  # a body cut off later is parsed as far as it goes


def _is_json(body: bytes) -> bool:
    """JSON by its first character, whatever the Content-Type says (servers mislabel both
    ways: RSS as application/json, JSON Feed as text/plain)."""
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def parse_feed(body: bytes, headers: Mapping[str, str], url: str, *,
               fetched_at: datetime, max_entries: int = 200,
               max_size: int = 50_000_000) -> ParsedFeed:
    """Entries of a feed document; ParseError with a ``parse.*`` code when it is none."""
    if body[:2] == b"\x1f\x8b":
        body = _ungzip(url, body, max_size)
    if not body.strip():
        raise ParseError(url, "the server sent an empty document; open the URL in a browser "
                         "to check it still serves the feed", "parse.empty")
    lowered = {k.lower(): v for k, v in headers.items()}
    if _is_json(body):
        from monitor.parse.jsonfeed import parse_json_feed

        return parse_json_feed(body, url, fetched_at=fetched_at, max_entries=max_entries)
    return _parse_xml(body, lowered, url, fetched_at, max_entries)


def _parse_xml(body: bytes, headers: Mapping[str, str], url: str, fetched_at: datetime,
               max_entries: int) -> ParsedFeed:
    import feedparser

    charset = HTTP_CHARSET.search(headers.get("content-type", ""))
    document = prepare_xml(decode_xml(body, charset.group(1) if charset else None))
    if document is None:
        raise ParseError(url, "the document holds no XML element (only comments or "
                         "whitespace); open the URL in a browser to check it", "parse.empty")
    # The text is UTF-8 now and says so; the content type tells feedparser to believe it.
    # Content-Language is left out: it would pass for the item's own xml:lang. The HTML is
    # only ever turned into text (scripts and styles dropped there), so feedparser's
    # sanitizer and its rewriting of URLs inside content would be wasted work (a third of
    # the time); links themselves are still resolved against content-location and xml:base.
    parsed = feedparser.parse(
        document.encode("utf-8"), sanitize_html=False, resolve_relative_uris=False,
        response_headers={"content-type": "application/xml; charset=utf-8",
                          "content-location": url})
    channel = parsed.feed
    channel_lang = (normalise_code(_text(channel.get("language")))
                    or normalise_code(headers.get("content-language", "").split(",")[0]))
    entries = tuple(islice(_entries(parsed.entries, channel_lang, fetched_at), max_entries))
    if not entries:
        _refuse_empty(url, document, parsed)
    return ParsedFeed(
        title=one_line(_detail_text(channel.get("title_detail"))) or None,
        site_url=_text(channel.get("link")),
        declared_lang=channel_lang,
        ttl=_ttl(channel.get("ttl")),
        entries=entries,
        format=parsed.get("version") or "unknown",
    )


def _entries(raw: list[Any], channel_lang: str | None,
             fetched_at: datetime) -> Iterator[ParsedEntry]:
    """Entries with a title or a text (feedparser also reports empty or ghost items)."""
    for item in raw:
        entry = _entry(item, channel_lang, fetched_at)
        if entry.title or entry.text:
            yield entry


def _refuse_empty(url: str, document: str, parsed: Any) -> None:
    """Raise the right ParseError for a document without usable entries; return when it is
    a well-formed feed that simply has no items."""
    is_feed = bool(parsed.get("version"))
    if not is_feed and _HTML_HINT.search(document[:4096]):
        raise ParseError(url, "this is an HTML page, not a feed; give the feed's own URL "
                         "(newsmon feeds add discovers it from a site URL)", "parse.not_a_feed")
    if parsed.get("bozo"):
        raise ParseError(url, f"broken XML and no entry could be recovered "
                         f"({parsed.get('bozo_exception')}); check the feed with a validator "
                         "such as https://validator.w3.org/feed/ and tell its publisher",
                         "parse.malformed")
    if not is_feed:
        root = ROOT_TAG.search(document, len(CLEAN_DECLARATION))
        name = f"<{root.group(1)}>" if root else "no element"
        raise ParseError(url, f"an XML document ({name}) that is not RSS, Atom or JSON Feed; "
                         "give the feed's own URL", "parse.not_a_feed")


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _ttl(value: Any) -> int | None:
    """RSS <ttl> (minutes) in seconds; None when absent, zero or not a number."""
    text = _text(value)
    return int(text) * 60 if text and text.isdigit() and int(text) > 0 else None


def _detail_text(detail: Any) -> str:
    """The plain text of a feedparser text construct (``title_detail``, a content item)."""
    if not detail:
        return ""
    value = str(detail.get("value") or "")
    return html_to_text(value) if "html" in str(detail.get("type", "")) else tidy_text(value)


def _body(entry: Any) -> tuple[str, Any]:
    """(text, the detail it came from): the longest content, else the summary."""
    contents = sorted(entry.get("content") or [], key=lambda c: len(c.get("value", "")),
                      reverse=True)
    for content in contents:
        if text := _detail_text(content):
            return text, content
    detail = entry.get("summary_detail")
    return _detail_text(detail), detail


def _entry(entry: Any, channel_lang: str | None, fetched_at: datetime) -> ParsedEntry:
    title = one_line(_detail_text(entry.get("title_detail")))
    text, body_detail = _body(entry)
    link = _text(entry.get("link"))
    published = _entry_date(entry, fetched_at)
    # dc:language on the item; then xml:lang as feedparser reports it on the text used
    # (the item's own, or inherited from the root); then the channel's <language>.
    item_lang = normalise_code(_text(entry.get("language"))) or next(
        (code for detail in (body_detail, entry.get("title_detail")) if detail
         if (code := normalise_code(_text(detail.get("language"))))), None)
    return ParsedEntry(
        guid=_text(entry.get("id")) or link or make_guid(title, text),
        url=link,
        title=title,
        text=text,
        published_at=published,
        declared_lang=item_lang or channel_lang,
    )


def _entry_date(entry: Any, fallback: datetime) -> datetime:
    # dict.get: feedparser's own get() maps a missing "updated" to "published", with a warning
    parsed = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    if parsed:
        return to_utc(parsed, fallback)
    raw = _text(dict.get(entry, "published")) or _text(dict.get(entry, "updated"))
    return parse_rfc822_date(raw, fallback)
