"""Fetch against a real HTTP server on 127.0.0.1: conditional GET, redirects, error codes,
deadline, size caps, content encodings, the private-address guard and concurrency limits."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import brotli
import httpx
import pytest

from monitor.config import FetchSettings
from monitor.errors import FetchError
from monitor.fetch import Fetcher, _is_public, build_client, cache_max_age, retry_after
from tests.feedserver import FeedServer, closed_port_url, rss

FEED = rss([{"guid": "a1", "title": "First", "description": "Some text."}])
LAST_MODIFIED = "Wed, 21 Oct 2026 07:28:00 GMT"


@asynccontextmanager
async def fetcher(**settings: Any) -> AsyncIterator[Fetcher]:
    config = FetchSettings(**settings)
    async with build_client(config) as client:
        yield Fetcher(client, config)


async def fetch_error(url: str, **settings: Any) -> FetchError:
    async with fetcher(**settings) as f:
        with pytest.raises(FetchError) as caught:
            await f.fetch(url)
    return caught.value


# -- conditional GET -----------------------------------------------------------------------

async def test_etag_then_304(feed_server: FeedServer) -> None:
    url = feed_server.add("/feed", body=FEED, etag='"v1"')
    async with fetcher() as f:
        first = await f.fetch(url)
        second = await f.fetch(url, etag=first.etag)
    assert (first.status, first.not_modified, first.etag, first.body) == (200, False, '"v1"', FEED)
    assert first.body_hash == hashlib.sha256(FEED).hexdigest()
    assert (second.status, second.not_modified, second.body, second.body_hash) == (
        304, True, b"", None)
    sent = feed_server.requests_to("/feed")
    assert "If-None-Match" not in sent[0].headers
    assert sent[1].headers["If-None-Match"] == '"v1"'


async def test_last_modified_then_304(feed_server: FeedServer) -> None:
    url = feed_server.add("/feed", body=FEED, last_modified=LAST_MODIFIED)
    async with fetcher() as f:
        first = await f.fetch(url)
        second = await f.fetch(url, last_modified=first.last_modified)
        stale = await f.fetch(url, last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    assert first.last_modified == LAST_MODIFIED and first.body == FEED
    assert second.not_modified and second.status == 304 and second.body == b""
    assert feed_server.requests_to("/feed")[1].headers["If-Modified-Since"] == LAST_MODIFIED
    assert not stale.not_modified and stale.body == FEED


async def test_empty_body_still_has_a_hash(feed_server: FeedServer) -> None:
    """An empty 200 is a body (hash of b""), not "nothing fetched": parse must see it."""
    url = feed_server.add("/empty", body=b"")
    async with fetcher() as f:
        result = await f.fetch(url)
    assert result.body == b"" and result.body_hash == hashlib.sha256(b"").hexdigest()


async def test_headers_max_age_and_request_headers(feed_server: FeedServer) -> None:
    url = feed_server.add("/feed", body=FEED,
                          headers={"Cache-Control": "public, max-age=1800", "X-Thing": "1"})
    async with fetcher(user_agent="test-agent/9.9 (+https://example.org/bot)") as f:
        result = await f.fetch(url)
    assert result.max_age == 1800
    assert result.headers["x-thing"] == "1"  # names lower-cased
    assert result.headers["content-type"] == "application/rss+xml"
    sent = feed_server.requests_to("/feed")[0].headers
    assert sent["User-Agent"] == "test-agent/9.9 (+https://example.org/bot)"
    assert "application/rss+xml" in sent["Accept"]
    assert {c.strip() for c in sent["Accept-Encoding"].split(",")} == {"gzip", "deflate", "br"}


# -- redirects -----------------------------------------------------------------------------

def chain(server: FeedServer, statuses: list[int]) -> tuple[str, list[str]]:
    """/r0 -status0-> /r1 -status1-> ... -> /feed (200); (start URL, URL of every hop target).
    Locations alternate between absolute and relative."""
    targets = [f"/r{i + 1}" for i in range(len(statuses) - 1)] + ["/feed"]
    for i, (status, target) in enumerate(zip(statuses, targets, strict=True)):
        server.add(f"/r{i}", status=status, location=server.url(target) if i % 2 else target)
    server.add("/feed", body=FEED)
    return server.url("/r0"), [server.url(t) for t in targets]


@pytest.mark.parametrize(("statuses", "moved_to"), [
    ([301], 0),            # moved: the feed's URL becomes the target
    ([301, 308, 301], 2),  # a permanent chain: the last target
    ([302], None),         # temporary: the stored URL stays
    ([307, 301], None),    # temporary first: the stored URL stays, whatever follows
    ([301, 302], 0),       # moved, then a temporary hop from the new URL: the 301's target
    ([308, 301, 307], 1),
    ([303], None),
])
async def test_redirects(feed_server: FeedServer, statuses: list[int],
                         moved_to: int | None) -> None:
    start, targets = chain(feed_server, statuses)
    async with fetcher() as f:
        result = await f.fetch(start)
    assert result.status == 200 and result.body == FEED
    assert result.url == feed_server.url("/feed")
    assert result.permanent_url == (None if moved_to is None else targets[moved_to])


async def test_conditional_headers_follow_redirects(feed_server: FeedServer) -> None:
    start, _ = chain(feed_server, [301])
    feed_server.add("/feed", body=FEED, etag='"v1"')
    async with fetcher() as f:
        result = await f.fetch(start, etag='"v1"')
    assert result.not_modified and result.permanent_url == feed_server.url("/feed")


async def test_too_many_redirects(feed_server: FeedServer) -> None:
    url = feed_server.add("/loop", status=302, location="/loop")
    err = await fetch_error(url, max_redirects=3)
    assert err.code == "fetch.too_many_redirects"
    assert "more than 3 redirects" in err.message and url in err.message
    assert feed_server.hits("/loop") == 4  # the request, then three redirects followed


async def test_exactly_max_redirects_is_fine(feed_server: FeedServer) -> None:
    start, _ = chain(feed_server, [302, 302, 302])
    async with fetcher(max_redirects=3) as f:
        assert (await f.fetch(start)).body == FEED


async def test_redirect_without_location_is_an_error(feed_server: FeedServer) -> None:
    url = feed_server.add("/moved", status=301, body=FEED)
    err = await fetch_error(url)
    assert err.code == "fetch.http_301" and "Location" in err.message


# -- HTTP errors ---------------------------------------------------------------------------

@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_seconds(feed_server: FeedServer, status: int) -> None:
    url = feed_server.add("/busy", status=status, headers={"Retry-After": "120"})
    before = datetime.now(UTC)
    err = await fetch_error(url)
    assert err.code == f"fetch.http_{status}"
    assert err.retry_at is not None
    assert before + timedelta(seconds=119) <= err.retry_at <= datetime.now(UTC) + timedelta(
        seconds=121)
    assert err.message.startswith(f"fetch: {url}: HTTP {status}, retry at ")


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_http_date(feed_server: FeedServer, status: int) -> None:
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    url = feed_server.add("/busy", status=status,
                          headers={"Retry-After": format_datetime(when, usegmt=True)})
    err = await fetch_error(url)
    assert err.code == f"fetch.http_{status}" and err.retry_at == when


async def test_429_without_retry_after(feed_server: FeedServer) -> None:
    err = await fetch_error(feed_server.add("/busy", status=429))
    assert err.code == "fetch.http_429" and err.retry_at is None


@pytest.mark.parametrize(("status", "words"), [
    (500, "HTTP 500 Internal Server Error"), (404, "HTTP 404 Not Found"),
    (410, "HTTP 410 Gone"), (401, "HTTP 401 Unauthorized"),
])
async def test_http_errors(feed_server: FeedServer, status: int, words: str) -> None:
    url = feed_server.add("/broken", status=status, body=b"oops")
    err = await fetch_error(url)
    assert err.code == f"fetch.http_{status}" and err.retry_at is None
    assert err.message == f"fetch: {url}: {words}"


async def test_unknown_path_is_404(feed_server: FeedServer) -> None:
    err = await fetch_error(feed_server.url("/nothing-here"))
    assert err.code == "fetch.http_404"


async def test_connection_refused() -> None:
    url = closed_port_url()
    err = await fetch_error(url)
    assert err.code == "fetch.connect" and url in err.message


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/feed", "http://exa mple.org/feed"])
async def test_bad_url(url: str) -> None:
    err = await fetch_error(url)
    assert err.code == "fetch.bad_url"


# -- deadline ------------------------------------------------------------------------------

async def test_dripping_body_hits_the_deadline(feed_server: FeedServer) -> None:
    """One byte every 50 ms never trips the read timeout; the total deadline stops it."""
    url = feed_server.add("/drip", body=b"x" * 2000, drip_delay=0.05)  # 100 s of dripping
    start = time.monotonic()
    err = await fetch_error(url, deadline=1, read_timeout=30)
    elapsed = time.monotonic() - start
    assert err.code == "fetch.deadline" and "1s deadline" in err.message and url in err.message
    assert 0.9 < elapsed < 3


async def test_waiting_for_a_host_slot_does_not_use_the_deadline(
        feed_server: FeedServer) -> None:
    """With one slot per host, the second fetch waits 0.6 s, then takes 0.6 s: under the 1 s
    deadline, since the deadline counts from its own request."""
    url = feed_server.add("/slow", body=FEED, delay=0.6)
    async with fetcher(per_host=1, deadline=1) as f:
        results = await asyncio.gather(f.fetch(url), f.fetch(url), return_exceptions=True)
    assert [getattr(r, "status", r) for r in results] == [200, 200]
    assert feed_server.max_in_flight == 1


# -- concurrency ---------------------------------------------------------------------------

async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def held_at_once(server: FeedServer, urls: list[str], expected: int,
                       **settings: Any) -> None:
    """Fetch ``urls`` (all gated at the server) at once: ``expected`` arrive, no more, and
    every fetch completes once the gate opens."""
    gate = threading.Event()
    server.add("/gated", body=FEED, gate=gate)
    async with fetcher(**settings) as f:
        tasks = [asyncio.create_task(f.fetch(u)) for u in urls]
        await until(lambda: server.in_flight >= expected)
        await asyncio.sleep(0.2)  # room for a request over the limit to show up
        assert server.in_flight == expected
        gate.set()
        results = await asyncio.gather(*tasks)
    assert [r.status for r in results] == [200] * len(urls)
    assert server.max_in_flight == expected


@pytest.mark.parametrize("per_host", [1, 2, 4])
async def test_per_host_limit(feed_server: FeedServer, per_host: int) -> None:
    await held_at_once(feed_server, [feed_server.url("/gated")] * 4, per_host,
                       per_host=per_host, concurrency=20)


async def test_global_limit_spans_hosts(feed_server: FeedServer) -> None:
    """127.0.0.1 and localhost are two hosts to the per-host limit, one to the global one."""
    port = feed_server.httpd.server_address[1]
    urls = [f"http://127.0.0.1:{port}/gated", f"http://localhost:{port}/gated"] * 3
    await held_at_once(feed_server, urls, 3, per_host=2, concurrency=3)


# -- size caps -----------------------------------------------------------------------------

@pytest.mark.parametrize("chunked", [False, True])
async def test_body_over_max_body_size(feed_server: FeedServer, chunked: bool) -> None:
    url = feed_server.add("/big", body=b"<rss>" + b"x" * 300_000, chunked=chunked)
    err = await fetch_error(url, max_body_size=100_000)
    assert err.code == "fetch.too_large" and "100000-byte cap" in err.message
    assert ("body of 300005 bytes" in err.message) is not chunked  # declared size, if sent


@pytest.mark.parametrize("chunked", [False, True])
async def test_body_at_max_body_size_is_fine(feed_server: FeedServer, chunked: bool) -> None:
    body = b"y" * 100_000
    url = feed_server.add("/exact", body=body, chunked=chunked)
    async with fetcher(max_body_size=100_000) as f:
        assert (await f.fetch(url)).body == body


# -- content encodings ---------------------------------------------------------------------

def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(("coding", "pack"), [
    ("gzip", gzip.compress), ("br", brotli.compress),
    ("deflate", zlib.compress), ("deflate", raw_deflate),  # zlib-wrapped, and raw as IIS sends
])
async def test_compressed_bodies_are_decoded(feed_server: FeedServer, coding: str,
                                             pack: Callable[[bytes], bytes]) -> None:
    body = FEED * 50
    url = feed_server.add("/packed", body=pack(body), headers={"Content-Encoding": coding},
                          chunked=True)
    async with fetcher() as f:
        result = await f.fetch(url)
    assert result.body == body
    assert result.body_hash == hashlib.sha256(body).hexdigest()


async def test_server_side_encodings(feed_server: FeedServer) -> None:
    gz = feed_server.add("/gz", body=FEED, encoding="gzip")
    br = feed_server.add("/br", body=FEED, encoding="br")
    async with fetcher() as f:
        assert (await f.fetch(gz)).body == FEED
        assert (await f.fetch(br)).body == FEED


async def test_unknown_content_encoding_is_ignored(feed_server: FeedServer) -> None:
    url = feed_server.add("/odd", body=FEED, headers={"Content-Encoding": "UTF-8"})
    async with fetcher() as f:
        assert (await f.fetch(url)).body == FEED


async def test_corrupt_gzip_is_bad_encoding(feed_server: FeedServer) -> None:
    url = feed_server.add("/bad", body=b"this is not gzip at all",
                          headers={"Content-Encoding": "gzip"})
    err = await fetch_error(url)
    assert err.code == "fetch.bad_encoding" and "gzip" in err.message


def brotli_bomb(size: int) -> bytes:
    packer = brotli.Compressor(quality=1)
    block = b"\0" * 1_000_000
    packed = [packer.process(block) for _ in range(size // len(block))] + [packer.finish()]
    return b"".join(packed)


GZIP_BOMB = gzip.compress(b"\0" * 40_000_000, compresslevel=9)  # ~40 KB -> 40 MB
BROTLI_BOMB = brotli_bomb(40_000_000)


@pytest.mark.parametrize(("coding", "bomb"), [("gzip", GZIP_BOMB), ("br", BROTLI_BOMB)])
async def test_compression_bomb(feed_server: FeedServer, coding: str, bomb: bytes) -> None:
    """Small on the wire, 40 MB unpacked: refused, never holding much over the 1 MB cap."""
    assert len(bomb) < 100_000
    url = feed_server.add("/bomb", body=bomb, headers={"Content-Encoding": coding})
    async with fetcher(max_decompressed_size=1_000_000) as f:
        tracemalloc.start()
        try:
            with pytest.raises(FetchError) as caught:
                await f.fetch(url)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert caught.value.code == "fetch.too_large_decompressed"
    assert "1000000-byte cap" in caught.value.message
    assert peak < 8_000_000, f"peak {peak} bytes while decoding a bomb"


# -- what may be fetched -------------------------------------------------------------------

@pytest.mark.parametrize("url", ["ftp://example.org/feed.xml", "file:///etc/passwd",
                                 "javascript:alert(1)", "example.org/feed.xml"])
async def test_bad_scheme(url: str) -> None:
    err = await fetch_error(url)
    assert err.code == "fetch.bad_scheme" and url in err.message


async def test_redirect_to_a_bad_scheme(feed_server: FeedServer) -> None:
    url = feed_server.add("/r", status=302, location="file:///etc/passwd")
    err = await fetch_error(url)
    assert err.code == "fetch.bad_scheme" and "file:///etc/passwd" in err.message


async def test_private_address_refused(feed_server: FeedServer) -> None:
    url = feed_server.add("/feed", body=FEED)
    err = await fetch_error(url, allow_private_networks=False)
    assert err.code == "fetch.private_address"
    assert "127.0.0.1" in err.message and "fetch.allow_private_networks" in err.message
    assert feed_server.hits("/feed") == 0  # refused before connecting
    async with fetcher(allow_private_networks=True) as f:  # the default allows it
        assert (await f.fetch(url)).body == FEED


async def test_private_address_refused_on_a_redirect_from_loopback(
        feed_server: FeedServer) -> None:
    url = feed_server.add("/r", status=301, location=feed_server.url("/feed"))
    feed_server.add("/feed", body=FEED)
    err = await fetch_error(url, allow_private_networks=False)
    assert err.code == "fetch.private_address" and err.url == url  # the first hop already
    assert feed_server.hits("/r") == feed_server.hits("/feed") == 0


async def test_every_hop_is_checked(feed_server: FeedServer,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A host that resolves to a public address redirects to loopback: the second hop is
    refused. (``localhost`` is made to look public to the guard; the connection itself
    still goes to the test server.)"""
    port = feed_server.httpd.server_address[1]
    feed_server.add("/r", status=302, location=feed_server.url("/feed"))
    feed_server.add("/feed", body=FEED)
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo

    async def fake_getaddrinfo(host: Any, port: Any, **kwargs: Any) -> Any:
        if host == "localhost":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]
        return await real(host, port, **kwargs)

    monkeypatch.setattr(loop, "getaddrinfo", fake_getaddrinfo)
    err = await fetch_error(f"http://localhost:{port}/r", allow_private_networks=False)
    assert err.code == "fetch.private_address" and err.url == feed_server.url("/feed")
    assert feed_server.hits("/r") == 1 and feed_server.hits("/feed") == 0


@pytest.mark.parametrize(("address", "public"), [
    ("10.0.0.1", False), ("192.168.1.1", False), ("172.16.5.4", False),
    ("127.0.0.1", False), ("::1", False), ("fe80::1", False), ("fe80::1%eth0", False),
    ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False), ("169.254.169.254", False),
    ("100.100.100.200", False),  # shared address space (cloud metadata lives there)
    ("0.0.0.0", False), ("::", False), ("fd00::1", False), ("224.0.0.1", False),
    ("ff02::1", False), ("198.18.0.1", False), ("240.0.0.1", False),
    ("8.8.8.8", True), ("93.184.215.14", True), ("2606:4700:4700::1111", True),
    ("::ffff:8.8.8.8", True),
])
def test_is_public(address: str, public: bool) -> None:
    assert _is_public(address) is public


# -- header helpers ------------------------------------------------------------------------

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("value", "expected"), [
    ("120", NOW + timedelta(seconds=120)),
    (" 0 ", NOW),
    ("Thu, 26 Nov 2026 12:30:00 GMT", datetime(2026, 11, 26, 12, 30, tzinfo=UTC)),
    ("Thu, 26 Nov 2026 13:30:00 +0100", datetime(2026, 11, 26, 12, 30, tzinfo=UTC)),
    ("Thu, 26 Nov 2026 12:30:00 -0000", datetime(2026, 11, 26, 12, 30, tzinfo=UTC)),  # naive
    ("Wed, 25 Nov 2026 08:00:00 GMT", NOW),  # in the past: now
    ("-5", None), ("1.5", None), ("soon", None), ("", None), (None, None),
])
def test_retry_after(value: str | None, expected: datetime | None) -> None:
    assert retry_after(value, NOW) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("max-age=300", 300), ("public, max-age = 60", 60), ("max-age=0", 0),
    ("no-cache", None), ("s-maxage=10", None), ("", None), (None, None),
])
def test_cache_max_age(value: str | None, expected: int | None) -> None:
    assert cache_max_age(value) == expected


async def test_unknown_host_is_a_dns_error() -> None:
    """A name that does not resolve (no resolver is asked: the transport fails as httpx's
    does when getaddrinfo fails)."""

    def unresolvable(request: httpx.Request) -> httpx.Response:
        try:
            raise socket.gaierror(-2, "Name or service not known")
        except socket.gaierror as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc

    settings = FetchSettings(deadline=10)
    async with httpx.AsyncClient(transport=httpx.MockTransport(unresolvable)) as client:
        with pytest.raises(FetchError) as err:
            await Fetcher(client, settings).fetch("http://no-such-host.invalid/feed.xml")
    assert err.value.code == "fetch.dns"
    assert "cannot resolve host" in str(err.value)


async def test_no_cookies_are_kept_or_sent(feed_server: FeedServer) -> None:
    url = feed_server.add("/cookie", body=b"<rss/>", headers={"Set-Cookie": "session=abc; Path=/"})
    settings = FetchSettings()
    async with build_client(settings) as client:
        fetcher = Fetcher(client, settings)
        await fetcher.fetch(url)
        await fetcher.fetch(url)
    assert all("Cookie" not in r.headers for r in feed_server.requests_to("/cookie"))
    assert len(feed_server.requests_to("/cookie")) == 2
