"""Fetch: every byte the project reads from the network comes through here.

One ``httpx.AsyncClient`` is built by :func:`build_client` and handed to :class:`Fetcher`,
which adds what a feed poller needs on top: http/https only, redirects followed by hand
(301/308 move the feed, 302/307 do not), a private-address guard checked on every hop,
a global and a per-host concurrency limit, a total deadline (counted from the moment the
request gets its slots, so waiting behind other fetches to the same host does not use it
up), download and decompressed size caps, conditional GET, and errors with stable codes
(``fetch.timeout``, ``fetch.http_500``...).

Content-Encoding is undone here rather than by httpx, in bounded steps: a compression bomb
never holds more than ``fetch.max_decompressed_size`` bytes in memory.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import ipaddress
import logging
import re
import socket
import zlib
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from monitor.config import FetchSettings
from monitor.errors import FetchError
from monitor.models import FetchResult

log = logging.getLogger(__name__)

PERMANENT = {301, 308}
REDIRECTS = {301, 302, 303, 307, 308}
RETRY_AFTER_STATUSES = {429, 503}
RETRY_AFTER_MAX = 365 * 86400  # seconds
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)


try:
    import brotli
except ImportError:  # pragma: no cover - httpx[brotli] installs it
    brotli = None

DECODABLE = ("gzip", "x-gzip", "deflate") + (("br",) if brotli is not None else ())
ACCEPT_ENCODING = ", ".join(c for c in DECODABLE if c != "x-gzip")


class NoCookies(CookieJar):
    """A cookie jar that keeps nothing: a feed poller has no session to carry, and one
    feed's cookies have no business in the next request (Miniflux keeps none either).
    Skipping the jar's header parsing also saves about a tenth of each request's cost."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def add_cookie_header(self, request: Any) -> None:
        return None


def build_client(settings: FetchSettings) -> httpx.AsyncClient:
    """The one HTTP client: timeouts, pool sized to the concurrency, proxies from the env,
    no cookies."""
    timeout = httpx.Timeout(
        connect=settings.connect_timeout, read=settings.read_timeout,
        write=settings.read_timeout, pool=settings.deadline,
    )
    limits = httpx.Limits(
        max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency
    )
    return httpx.AsyncClient(
        timeout=timeout, limits=limits, follow_redirects=False, trust_env=True,
        cookies=NoCookies(),
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
    )


def retry_after(value: str | None, now: datetime) -> datetime | None:
    """The moment a ``Retry-After`` header (seconds or HTTP date) points at."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():  # a year at most: beyond that it is noise, and timedelta overflows
        return now + timedelta(seconds=min(int(value), RETRY_AFTER_MAX))
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return max(parsed.astimezone(UTC), now)


def cache_max_age(value: str | None) -> int | None:
    match = re.search(r"max-age\s*=\s*(\d+)", value or "")
    return int(match.group(1)) if match else None


def _is_public(address: str) -> bool:
    """True for a globally routable unicast address (not loopback, private, link-local,
    shared 100.64.0.0/10, reserved, multicast...), IPv4-mapped IPv6 judged as IPv4."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_loopback or ip.is_link_local
                                 or ip.is_reserved or ip.is_unspecified)


class _Decoder:
    """One Content-Encoding undone with bounded output: each call returns little more than
    ``limit`` bytes, so a caller that stops once over its cap never holds a bomb's output."""

    def __init__(self, url: str, encoding: str) -> None:
        self.url, self.encoding = url, encoding
        self._zlib: Any = None
        self._brotli: Any = None
        self._raw_deflate_tried = False
        if encoding in {"gzip", "x-gzip"}:
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
        elif encoding == "br":
            self._brotli = brotli.Decompressor()

    def decode(self, data: bytes, limit: int) -> bytes:
        try:
            if self._zlib is not None:
                out = self._zlib.decompress(data, limit)
                self._raw_deflate_tried = True
                return bytes(out)
            if self._brotli is not None:  # output_buffer_limit: brotli >= 1.2
                return bytes(self._brotli.process(data, output_buffer_limit=limit))
        except zlib.error as exc:
            if self.encoding == "deflate" and not self._raw_deflate_tried:
                self._raw_deflate_tried = True  # "deflate" sent raw, without its zlib header
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.decode(data, limit)
            raise self._error(exc) from None
        except brotli.error as exc:
            raise self._error(exc) from None
        return data

    def flush(self, limit: int) -> bytes:
        if self._zlib is None:
            return b""
        return self.decode(self._zlib.unconsumed_tail, limit) + bytes(self._zlib.flush())

    def _error(self, exc: Exception) -> FetchError:
        return FetchError(self.url, f"cannot decode the {self.encoding} body ({exc})",
                          "fetch.bad_encoding")


def _content_encoding(url: str, response: httpx.Response) -> str:
    """The one coding to undo; unknown ones are ignored (as httpx does), stacked ones refused."""
    named = [c.strip().lower() for c in response.headers.get("content-encoding", "").split(",")]
    codings = [c for c in named if c in DECODABLE]
    if len(codings) > 1:
        raise FetchError(url, f"stacked Content-Encoding '{', '.join(codings)}' is not supported",
                         "fetch.bad_encoding")
    return codings[0] if codings else "identity"


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether ``kind`` is anywhere in the chain of causes of ``exc``."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class Fetcher:
    """Conditional, bounded fetches over an injected client."""

    def __init__(self, client: httpx.AsyncClient, settings: FetchSettings) -> None:
        self.client = client
        self.settings = settings
        self._global = asyncio.Semaphore(settings.concurrency)
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_host)
        )

    async def fetch(self, url: str, *, etag: str | None = None,
                    last_modified: str | None = None, accept: str = FEED_ACCEPT) -> FetchResult:
        """GET ``url`` within every limit; FetchError with a stable code on failure."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await self._follow(url, headers)

    async def _follow(self, url: str, headers: dict[str, str]) -> FetchResult:
        permanent_url: str | None = None
        still_permanent = True
        deadline_at: float | None = None
        for _ in range(self.settings.max_redirects + 1):
            host = self._check_url(url)
            async with self._hosts[host], self._global:
                if deadline_at is None:  # the deadline runs from the first request, not the queue
                    deadline_at = asyncio.get_running_loop().time() + self.settings.deadline
                try:
                    async with asyncio.timeout_at(deadline_at):
                        await self._check_address(url)
                        result = await self._get(url, headers)
                except TimeoutError:
                    raise FetchError(
                        url, f"no complete answer within the {self.settings.deadline}s deadline "
                        "(setting fetch.deadline)", "fetch.deadline") from None
            if isinstance(result, FetchResult):
                return FetchResult(**{**result.__dict__, "permanent_url": permanent_url})
            status, location = result
            next_url = urljoin(url, location)
            still_permanent = still_permanent and status in PERMANENT
            if still_permanent:
                permanent_url = next_url
            log.debug("redirect %s -> %s", url, next_url,
                      extra={"feed_url": url, "status": status, "stage": "fetch"})
            url = next_url
        raise FetchError(url, f"more than {self.settings.max_redirects} redirects "
                         "(setting fetch.max_redirects)", "fetch.too_many_redirects")

    @staticmethod
    def _check_url(url: str) -> str:
        """The URL's host, after checking the scheme and the URL's shape."""
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"}:
            raise FetchError(url, f"only http and https URLs can be fetched, not "
                             f"'{parts.scheme or 'none'}'", "fetch.bad_scheme")
        try:
            parts.port  # noqa: B018 - raises ValueError when out of range
        except ValueError as exc:
            raise FetchError(url, f"bad URL ({exc})", "fetch.bad_url") from None
        if not parts.hostname:
            raise FetchError(url, "the URL has no host", "fetch.bad_url")
        if any(c.isspace() or c in "<>\\^`{|}" for c in parts.hostname):
            raise FetchError(url, "the URL's host has characters no host name can have",
                             "fetch.bad_url")
        return parts.hostname

    async def _check_address(self, url: str) -> None:
        """Refuse hosts resolving to a non-public address (unless private networks are allowed)."""
        if self.settings.allow_private_networks:
            return
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                parts.hostname, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise FetchError(url, f"cannot resolve host ({exc.strerror})", "fetch.dns") from None
        for info in infos:
            address = str(info[4][0])
            if not _is_public(address):
                raise FetchError(
                    url, f"{parts.hostname} resolves to the private address {address}, refused "
                    "(setting fetch.allow_private_networks)", "fetch.private_address")

    async def _get(self, url: str, headers: dict[str, str]) -> FetchResult | tuple[int, str]:
        """One request: a result, or (status, location) for a redirect."""
        fetched_at = datetime.now(UTC)
        try:
            async with self.client.stream("GET", url, headers=headers) as response:
                status = response.status_code
                if status in REDIRECTS and "location" in response.headers:
                    return status, response.headers["location"]
                if status == 304:  # no body by protocol: reading it keeps the connection alive
                    await response.aread()
                    return self._result(url, response, fetched_at, b"", not_modified=True)
                if status in RETRY_AFTER_STATUSES:
                    when = retry_after(response.headers.get("retry-after"), fetched_at)
                    reason = f"HTTP {status}" + (f", retry at {when.isoformat()}" if when else "")
                    raise FetchError(url, reason, f"fetch.http_{status}", retry_at=when)
                if not 200 <= status < 300:
                    missing = " without a Location header" if status in REDIRECTS else ""
                    raise FetchError(
                        url, f"HTTP {status} {response.reason_phrase}".strip() + missing,
                        f"fetch.http_{status}")
                body = await self._read_capped(url, response)
                return self._result(url, response, fetched_at, body)
        except httpx.TimeoutException as exc:
            kind = "connect" if isinstance(exc, httpx.ConnectTimeout) else "read"
            raise FetchError(url, f"{kind} timeout (setting fetch.{kind}_timeout)",
                             "fetch.timeout") from None
        except httpx.InvalidURL as exc:
            raise FetchError(url, f"bad URL ({exc})", "fetch.bad_url") from None
        except httpx.TransportError as exc:
            if _caused_by(exc, socket.gaierror):
                raise FetchError(url, f"cannot resolve host ({exc})", "fetch.dns") from None
            raise FetchError(url, f"connection failed ({exc or type(exc).__name__})",
                             "fetch.connect") from None

    async def _read_capped(self, url: str, response: httpx.Response) -> bytes:
        """The decoded body, within ``max_body_size`` downloaded and ``max_decompressed_size``
        decoded."""
        limit, decoded_limit = self.settings.max_body_size, self.settings.max_decompressed_size
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(url, f"body of {declared} bytes is over the {limit}-byte cap "
                             "(setting fetch.max_body_size)", "fetch.too_large")
        decoder = _Decoder(url, _content_encoding(url, response))
        chunks: list[bytes] = []
        size = 0

        def take(data: bytes) -> None:
            nonlocal size
            size += len(data)
            if size > decoded_limit:
                raise FetchError(url, f"decompressed body over the {decoded_limit}-byte cap "
                                 "(setting fetch.max_decompressed_size)",
                                 "fetch.too_large_decompressed")
            chunks.append(data)

        async for raw in response.aiter_raw():
            if response.num_bytes_downloaded > limit:
                raise FetchError(url, f"body over the {limit}-byte cap "
                                 "(setting fetch.max_body_size)", "fetch.too_large")
            take(decoder.decode(raw, decoded_limit - size + 1))
        take(decoder.flush(decoded_limit - size + 1))
        return b"".join(chunks)

    @staticmethod
    def _result(url: str, response: httpx.Response, fetched_at: datetime, body: bytes,
                not_modified: bool = False) -> FetchResult:
        return FetchResult(
            url=url, status=response.status_code, fetched_at=fetched_at, body=body,
            headers={k.lower(): v for k, v in response.headers.items()},
            not_modified=not_modified,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            body_hash=None if not_modified else hashlib.sha256(body).hexdigest(),
            max_age=cache_max_age(response.headers.get("cache-control")),
        )
