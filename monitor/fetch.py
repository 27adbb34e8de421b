"""Fetch: every byte the project reads from the network comes through here.

One ``httpx.AsyncClient`` is built by :func:`build_client` and handed to :class:`Fetcher`,
which adds what a feed poller needs on top: http/https only, redirects followed by hand
(301/308 move the feed, 302/307 do not), a private-address guard checked on every hop,
a global and a per-host concurrency limit, a total deadline, download and decompressed
size caps, conditional GET, and errors with stable codes (``fetch.timeout``,
``fetch.http_500``...).
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import ipaddress
import logging
import re
import socket
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit

import httpx

from monitor.config import FetchSettings
from monitor.errors import FetchError
from monitor.models import FetchResult

log = logging.getLogger(__name__)

PERMANENT = {301, 308}
REDIRECTS = {301, 302, 303, 307, 308}
RETRY_AFTER_STATUSES = {429, 503}
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)


def build_client(settings: FetchSettings) -> httpx.AsyncClient:
    """The one HTTP client: timeouts, pool sized to the concurrency, proxies from the env."""
    timeout = httpx.Timeout(
        connect=settings.connect_timeout, read=settings.read_timeout,
        write=settings.read_timeout, pool=settings.deadline,
    )
    limits = httpx.Limits(
        max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency
    )
    return httpx.AsyncClient(
        timeout=timeout, limits=limits, follow_redirects=False, trust_env=True,
        headers={"User-Agent": settings.user_agent},
    )


def retry_after(value: str | None, now: datetime) -> datetime | None:
    """The moment a ``Retry-After`` header (seconds or HTTP date) points at."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=int(value))
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
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
                or ip.is_multicast or ip.is_unspecified)


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
        try:
            async with asyncio.timeout(self.settings.deadline):
                return await self._follow(url, headers)
        except TimeoutError:
            raise FetchError(
                url, f"no complete answer within the {self.settings.deadline}s deadline "
                "(setting fetch.deadline)", "fetch.deadline") from None

    async def _follow(self, url: str, headers: dict[str, str]) -> FetchResult:
        permanent_url: str | None = None
        still_permanent = True
        for _ in range(self.settings.max_redirects + 1):
            await self._check_url(url)
            host = urlsplit(url).hostname or ""
            async with self._hosts[host], self._global:
                result = await self._get(url, headers)
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

    async def _check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"}:
            raise FetchError(url, f"only http and https URLs can be fetched, not "
                             f"'{parts.scheme or 'none'}'", "fetch.bad_scheme")
        if not parts.hostname:
            raise FetchError(url, "the URL has no host", "fetch.bad_url")
        if self.settings.allow_private_networks:
            return
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
                if status == 304:
                    return self._result(url, response, fetched_at, b"", not_modified=True)
                if status in RETRY_AFTER_STATUSES:
                    when = retry_after(response.headers.get("retry-after"), fetched_at)
                    reason = f"HTTP {status}" + (f", retry at {when.isoformat()}" if when else "")
                    raise FetchError(url, reason, f"fetch.http_{status}", retry_at=when)
                if status >= 400 or status < 200:
                    raise FetchError(url, f"HTTP {status} {response.reason_phrase}".strip(),
                                     f"fetch.http_{status}")
                body = await self._read_capped(url, response)
                return self._result(url, response, fetched_at, body)
        except httpx.TimeoutException as exc:
            kind = "connect" if isinstance(exc, httpx.ConnectTimeout) else "read"
            raise FetchError(url, f"{kind} timeout", "fetch.timeout") from None
        except httpx.DecodingError as exc:
            raise FetchError(url, f"cannot decode the compressed body ({exc})",
                             "fetch.bad_encoding") from None
        except httpx.TransportError as exc:
            raise FetchError(url, f"connection failed ({exc or type(exc).__name__})",
                             "fetch.connect") from None

    async def _read_capped(self, url: str, response: httpx.Response) -> bytes:
        limit, decoded_limit = self.settings.max_body_size, self.settings.max_decompressed_size
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(url, f"body of {declared} bytes is over the {limit}-byte cap "
                             "(setting fetch.max_body_size)", "fetch.too_large")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if response.num_bytes_downloaded > limit:
                raise FetchError(url, f"body over the {limit}-byte cap "
                                 "(setting fetch.max_body_size)", "fetch.too_large")
            if size > decoded_limit:
                raise FetchError(url, f"decompressed body over the {decoded_limit}-byte cap "
                                 "(setting fetch.max_decompressed_size)",
                                 "fetch.too_large_decompressed")
            chunks.append(chunk)
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
            body_hash=hashlib.sha256(body).hexdigest() if body else None,
            max_age=cache_max_age(response.headers.get("cache-control")),
        )
