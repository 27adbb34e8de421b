"""The frozen dataclasses the stages hand each other.

    Feed --fetch--> FetchResult --parse--> ParsedFeed(ParsedEntry...)
         --extract/language/dedup--> Article --match--> Hit --store--> SavedArticle
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True)
class FeedSpec:
    """What a user says about a feed: a ``[[feeds]]`` table, ``feeds add``, an OPML outline.
    Only ``url`` is required; ``interval`` None means the config's default."""

    url: str
    title: str | None = None
    tags: tuple[str, ...] = ()
    lang: str | None = None
    interval: int | None = None  # seconds
    full_text: bool = False
    source: str = "cli"  # "cli", "opml" or "config"


@dataclass(frozen=True)
class ChannelSpec:
    """A ``[channels.NAME]`` table: where alerts go. The URLs are Apprise URLs as written,
    ``${ENV_VAR}`` unexpanded (secrets are expanded only to send)."""

    name: str
    urls: tuple[str, ...] = ()
    urls_file: str | None = None  # one URL a line, readable by the service user only
    language: str = "en"  # country names in alerts are written in this language


@dataclass(frozen=True)
class Feed:
    """A feed row as the pipeline needs it."""

    id: int
    url: str
    title: str | None = None
    tags: tuple[str, ...] = ()
    lang: str | None = None
    interval: int = 900  # seconds, as configured (or the default)
    cache_ttl: int | None = None  # seconds the publisher asks us to wait (<ttl>, max-age)
    full_text: bool = False
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    error_count: int = 0
    paused: bool = False
    lang_votes: tuple[int, int] = (0, 0)  # confident detections (agreeing, disagreeing)


@dataclass(frozen=True)
class FetchResult:
    """What fetch got: either a body to parse or a 304 (``not_modified``)."""

    url: str  # the final URL after redirects
    status: int
    fetched_at: datetime
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    not_modified: bool = False
    permanent_url: str | None = None  # set when a 301/308 chain moved the feed
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    max_age: int | None = None  # Cache-Control max-age, seconds


@dataclass(frozen=True)
class ParsedEntry:
    guid: str
    url: str | None
    title: str
    text: str
    published_at: datetime
    declared_lang: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    site_url: str | None
    declared_lang: str | None
    ttl: int | None  # RSS <ttl>, seconds
    entries: tuple[ParsedEntry, ...]
    format: str  # "rss20", "atom10", "json11", ...


@dataclass(frozen=True)
class Language:
    """A detected language: ISO 639-1 code (or "und"), confidence in [0, 1]."""

    code: str
    confidence: float


@dataclass(frozen=True)
class Signature:
    """What near-duplicate detection keeps of an article (monitor/dedup/near.py)."""

    full: bytes  # MinHash values of every shingle
    lead: bytes  # MinHash values of the first shingles
    shingles: int  # distinct shingles of the whole text
    scheme: str  # how the values were made; values of another scheme are not compared


@dataclass(frozen=True)
class Article:
    """An entry ready to store: text extracted, language detected, dedup keys computed."""

    feed_id: int
    guid: str
    url: str | None
    canonical_url: str | None
    title: str
    text: str
    lang: str
    lang_confidence: float
    declared_lang: str | None
    published_at: datetime
    fetched_at: datetime
    content_hash: str  # normalised title + stored text: the cross-feed duplicate key
    entry_hash: str  # title + text as the feed gave them: "did this entry change?"
    signature: Signature | None = None  # None: too short to compare with others


class SaveStatus(StrEnum):
    NEW = "new"
    UPDATED = "updated"  # same GUID in the same feed, changed text
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"  # same canonical URL or content hash elsewhere


@dataclass(frozen=True)
class SavedArticle:
    id: int
    status: SaveStatus
    article: Article


@dataclass(frozen=True)
class Hit:
    """A rule matching an article: what fired, on what, with which evidence."""

    rule_id: str
    rule_version: str
    guid: str  # the article's GUID in its feed (its id is known once stored)
    lang: str
    captures: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    snippet: str = ""  # the sentence(s) that matched
    spans: tuple[tuple[str, int, int], ...] = ()  # (leaf, start, end) within the snippet
    article_id: int = 0  # set by the store
    id: int = 0  # the hit row's id, set by the store


@dataclass(frozen=True)
class PollResult:
    """One feed's poll, as the scheduler and the CLI report it."""

    feed_id: int
    url: str
    status: str  # "ok", "not_modified", "unchanged", "error"
    new: int = 0
    updated: int = 0
    error_code: str | None = None
    hits: int = 0
    error: str | None = None
