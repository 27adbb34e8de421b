"""Poll errors end to end: ``newsmon run --once --all`` against a real server with one feed
per failure kind and one good feed. Each failure lands on its own row (code, message,
error count, backed-off next check) and never stops the others; a fixed feed recovers.
Also: two polls in a row (304 with an ETag; an unchanged body without validators)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from monitor import pipeline, schedule
from monitor.parse import parse_feed as real_parse
from monitor.store.db import from_iso, open_database
from tests.feedserver import FeedServer, closed_port_url, rss

INTERVAL = 600  # default_interval in the config below
RETRY_AFTER = 7200
PUB = "Tue, 10 Feb 2026 10:00:00 +0000"
CONFIG = f"""\
database = "news.db"
default_interval = "{INTERVAL}s"
[schedule]
startup_spread = "0s"
[fetch]
deadline = "1s"
max_body_size = "50KB"
"""

Cli = Callable[..., Result]


def items(prefix: str, count: int) -> bytes:
    return rss([{"guid": f"{prefix}-{i}", "title": f"{prefix} story {i}",
                 "link": f"https://example.org/{prefix}/{i}", "pubDate": PUB,
                 "description": f"Ministers met in {prefix} to discuss item number {i}."}
                for i in range(count)], title=f"{prefix} feed")


FAILURES: dict[str, tuple[str, dict[str, Any]]] = {
    # path: (expected code, route)
    "/slow.xml": ("fetch.deadline", {"body": items("slow", 3), "drip_delay": 0.05}),
    "/500.xml": ("fetch.http_500", {"status": 500, "body": b"oops"}),
    "/404.xml": ("fetch.http_404", {"status": 404, "body": b"gone"}),
    "/429.xml": ("fetch.http_429", {"status": 429,
                                    "headers": {"Retry-After": str(RETRY_AFTER)}}),
    "/big.xml": ("fetch.too_large", {"body": b"<rss>" + b" " * 200_000 + b"</rss>"}),
    "/malformed.xml": ("parse.malformed",
                       {"body": b"<?xml version='1.0'?><notafeed><a>1</b></notafeed>"}),
    "/page.html": ("parse.not_a_feed", {
        "body": b"<!DOCTYPE html><html><head><title>Site</title></head><body>Hi</body></html>",
        "content_type": "text/html; charset=utf-8"}),
    "/empty.xml": ("parse.empty", {"body": b""}),
}


@pytest.fixture
def cli_config(cli: Cli, config_file: Path) -> Cli:
    config_file.write_text(CONFIG, "utf-8")
    return cli


def run_once(cli: Cli) -> Result:
    result = cli("run", "--once", "--all")
    assert result.exit_code == 0, result.output
    return result


def feed_rows(tmp_path: Path) -> dict[str, dict[str, Any]]:
    db = open_database(tmp_path / "news.db")
    try:
        return {r["url"]: r for r in db.query("SELECT * FROM feeds")}
    finally:
        db.conn.close()


def article_count(tmp_path: Path, url: str) -> int:
    db = open_database(tmp_path / "news.db")
    try:
        [row] = db.query("SELECT count(*) AS n FROM articles JOIN feeds ON feeds.id = feed_id "
                         "WHERE feeds.url = ?", [url])
        return int(row["n"])
    finally:
        db.conn.close()


def next_check(row: dict[str, Any], column: str = "next_check_at") -> datetime:
    moment = from_iso(row[column])
    assert moment is not None
    return moment


def status_of(output: str, url: str) -> str:
    """The status column of ``url``'s line in ``run --once``'s table."""
    [status] = [cells[2] for cells in map(str.split, output.splitlines())
                if len(cells) > 2 and cells[1] == url]  # log lines name the URL too
    return status


@pytest.fixture
def failing(feed_server: FeedServer, cli_config: Cli) -> Iterator[dict[str, str]]:
    """url -> expected error code, every feed added; plus "good" and "refused" entries."""
    urls = {feed_server.add(path, **route): code for path, (code, route) in FAILURES.items()}
    urls[closed_port_url()] = "fetch.connect"
    good = feed_server.add("/good.xml", body=items("good", 3))
    for url in [*urls, good]:
        assert cli_config("feeds", "add", url, "--no-discover").exit_code == 0
    yield {**urls, "good": good}


def test_each_failure_is_recorded_on_its_feed(failing: dict[str, str], cli_config: Cli,
                                              feed_server: FeedServer,
                                              tmp_path: Path) -> None:
    good = failing.pop("good")
    before = datetime.now(UTC).replace(microsecond=0)
    output = run_once(cli_config).output
    after = datetime.now(UTC)

    rows = feed_rows(tmp_path)
    for url, code in failing.items():
        row = rows[url]
        assert row["last_error_code"] == code, (url, row["last_error"])
        assert url in row["last_error"] and row["last_error"].startswith(code.split(".")[0])
        assert row["error_count"] == 1
        assert row["last_success_at"] is None and row["last_check_at"] is not None
        assert status_of(output, url) == "error" and code in output
        if code == "fetch.http_429":  # the server's Retry-After, not the interval
            assert before + timedelta(seconds=RETRY_AFTER - 1) <= next_check(row)
            assert next_check(row) <= after + timedelta(seconds=RETRY_AFTER + 1)
        else:  # one interval, +/- 10% jitter
            assert before + timedelta(seconds=INTERVAL * 0.9 - 1) <= next_check(row)
            assert next_check(row) <= after + timedelta(seconds=INTERVAL * 1.1 + 1)
    assert "retry at" in rows[next(u for u, c in failing.items() if c.endswith("429"))][
        "last_error"]

    # the good feed went through, whatever the others did
    assert rows[good]["error_count"] == 0 and rows[good]["last_error_code"] is None
    assert rows[good]["last_success_at"] is not None
    assert article_count(tmp_path, good) == 3
    assert status_of(output, good) == "ok"
    assert sum(article_count(tmp_path, url) for url in failing) == 0

    # feeds list shows the codes
    listed = json.loads(cli_config("feeds", "list", "--format", "json").output)
    by_url = {f["url"]: f for f in listed}
    assert {url: by_url[url]["last_error_code"] for url in failing} == failing
    assert all(by_url[url]["error_count"] == 1 for url in failing)
    assert by_url[good]["last_error_code"] is None and by_url[good]["items"] == 3
    table = cli_config("feeds", "list").output
    assert "failing" in table and "fetch.http_500: fetch: " in table


def test_failures_back_off_then_recover(failing: dict[str, str], cli_config: Cli,
                                        feed_server: FeedServer, tmp_path: Path) -> None:
    good = failing.pop("good")
    refused = next(u for u, c in failing.items() if c == "fetch.connect")
    run_once(cli_config)
    first = feed_rows(tmp_path)

    run_once(cli_config)  # nothing fixed: a second failure, a longer wait
    second = feed_rows(tmp_path)
    for url, code in failing.items():
        assert second[url]["error_count"] == 2 and second[url]["last_error_code"] == code
        if code == "fetch.http_429":
            assert next_check(second[url]) >= next_check(first[url])
        else:  # two intervals (+/- 10%) from now: always past the first one's reach
            waited = next_check(second[url]) - next_check(second[url], "last_check_at")
            assert timedelta(seconds=INTERVAL * 1.8 - 1) <= waited
            assert waited <= timedelta(seconds=INTERVAL * 2.2 + 1)
            assert next_check(second[url]) > next_check(first[url])
    assert second[good]["error_count"] == 0

    for path in FAILURES:  # the server is fixed
        feed_server.add(path, body=items(path.strip("/").split(".")[0], 2))
    output = run_once(cli_config).output
    third = feed_rows(tmp_path)
    for url in failing:
        if url == refused:  # nothing listens there still
            assert third[url]["error_count"] == 3
            continue
        row = third[url]
        assert (row["error_count"], row["last_error_code"], row["last_error"]) == (0, None, None)
        assert row["last_success_at"] is not None
        assert status_of(output, url) == "ok"
        assert article_count(tmp_path, url) == 2
        assert next_check(row) <= datetime.now(UTC) + timedelta(seconds=INTERVAL * 1.1 + 1)


def test_two_polls_in_a_row(feed_server: FeedServer, cli_config: Cli, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    with_etag = feed_server.add("/etag.xml", body=items("etag", 4), etag='"v1"')
    plain_body = items("plain", 2)
    plain = feed_server.add("/plain.xml", body=plain_body)
    for url in (with_etag, plain):
        cli_config("feeds", "add", url, "--no-discover")
    parsed: list[str] = []

    def counting_parse(body: bytes, headers: Any, url: str, **kwargs: Any) -> Any:
        parsed.append(url)
        return real_parse(body, headers, url, **kwargs)

    monkeypatch.setattr(pipeline, "parse_feed", counting_parse)

    first = run_once(cli_config).output
    assert status_of(first, with_etag) == status_of(first, plain) == "ok"
    assert sorted(parsed) == sorted([with_etag, plain])
    assert (article_count(tmp_path, with_etag), article_count(tmp_path, plain)) == (4, 2)
    rows = feed_rows(tmp_path)
    assert rows[with_etag]["etag"] == '"v1"'
    assert rows[plain]["etag"] is None and rows[plain]["last_modified"] is None
    assert rows[plain]["body_hash"] == hashlib.sha256(plain_body).hexdigest()

    parsed.clear()
    second = run_once(cli_config).output
    assert status_of(second, with_etag) == "not_modified"
    assert feed_server.requests_to("/etag.xml")[1].headers["If-None-Match"] == '"v1"'
    assert status_of(second, plain) == "unchanged"
    assert parsed == []  # neither body was parsed
    assert (article_count(tmp_path, with_etag), article_count(tmp_path, plain)) == (4, 2)
    again = feed_rows(tmp_path)
    for url in (with_etag, plain):
        assert again[url]["last_check_at"] >= rows[url]["last_check_at"]
        assert again[url]["error_count"] == 0

    feed_server.add("/plain.xml", body=items("plain", 3))  # the body changes: parsed again
    third = run_once(cli_config).output
    assert status_of(third, plain) == "ok" and parsed == [plain]
    assert article_count(tmp_path, plain) == 3


# -- the backoff rules behind the dates above ------------------------------------------------

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
MAX_BACKOFF = 43200


@pytest.mark.parametrize("errors", [1, 2, 3, 4])
def test_backoff_doubles_with_jitter(errors: int) -> None:
    wait = schedule.after_failure("k", NOW, INTERVAL, errors, MAX_BACKOFF) - NOW
    base = INTERVAL * 2 ** (errors - 1)
    assert timedelta(seconds=base * 0.9) <= wait <= timedelta(seconds=base * 1.1)
    assert schedule.after_failure("k", NOW, INTERVAL, errors, MAX_BACKOFF) - NOW == wait


def test_backoff_is_capped() -> None:
    assert schedule.after_failure("k", NOW, INTERVAL, 30, MAX_BACKOFF) <= NOW + timedelta(
        seconds=MAX_BACKOFF)


@pytest.mark.parametrize(("retry_in", "errors", "expected_wait"), [
    (RETRY_AFTER, 1, RETRY_AFTER),   # later than the backoff: the server wins
    (0, 3, None),                    # "Retry-After: 0" does not cancel the backoff
    (-60, 1, None),                  # a date in the past neither
    (10 * MAX_BACKOFF, 1, MAX_BACKOFF),  # never past max_backoff
])
def test_retry_after_is_a_floor(retry_in: int, errors: int,
                                expected_wait: int | None) -> None:
    retry_at = NOW + timedelta(seconds=retry_in)
    got = schedule.after_failure("k", NOW, INTERVAL, errors, MAX_BACKOFF, retry_at)
    if expected_wait is None:
        assert got == schedule.after_failure("k", NOW, INTERVAL, errors, MAX_BACKOFF)
        assert got - NOW >= timedelta(seconds=INTERVAL * 2 ** (errors - 1) * 0.9)
    else:
        assert got == NOW + timedelta(seconds=expected_wait)
