"""Benchmark of a poll: the project's fetch+parse+store path against naive feedparser.

Plain script, no pytest. Run from the repository root:

    .venv/bin/python bench/poll.py [--feeds 2000] [--items 30] [--sample 100]
                                   [--concurrency 20] [--per-host 4] [--sweep 1,2,4,8,20]

A feed server runs in a child process on 127.0.0.1 (its own interpreter, so its CPU does not
share the poller's GIL): an asyncio HTTP/1.1 server with keep-alive, answering from bodies
generated in memory at start-up (seeded, so every run serves the same text), sent without
compression. Feeds are RSS 2.0 in eight languages, 2-5 sentence HTML descriptions, GUIDs and
links unique per article. Even feeds send ETag and Last-Modified and answer 304 to a matching
conditional request; odd feeds send neither and answer every request with the same 200 body.

Phases, all in one run:

  first poll    Daemon(config, db).run_once(include_all=True) on a fresh database: every
                article goes through parse, language, dedup and store
  steady poll   the same daemon polls again, nothing changed: half 304, half unchanged 200
                (the body hash matches, so nothing is parsed)
  sweep         (--sweep) the steady poll again at each concurrency (per_host = concurrency,
                a fresh daemon each), next to the same requests through httpx alone, and once
                through one keep-alive http.client connection: where the time goes
  naive         sequential feedparser.parse(url) on --sample feeds, in a child process;
                feedparser fetches itself, with no conditional requests and no storage

Peak RSS is the peak resident set (VmHWM) of the process that ran the phase: the poller for
the project rows, the baseline's own child for the naive one. It never goes down, so the
steady poll's figure is the poller's peak so far.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email.utils
import html
import http.client
import multiprocessing
import os
import platform
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from tabulate import tabulate

if TYPE_CHECKING:
    from monitor.config import Config
    from monitor.daemon import Daemon
    from monitor.store import Store

T = TypeVar("T")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

TARGET_ARTICLES_PER_S = 500
TARGET_STEADY_RATIO = 20
LAST_MODIFIED = "Wed, 25 Nov 2026 08:00:00 GMT"

# Vocabulary the generated articles are drawn from: common news words plus each language's
# function words, so the language detector sees text that reads like the language.
WORDS: dict[str, str] = {
    "en": "the of and to in for on with that from by at government minister election council "
          "market prices energy report city police court hospital school climate storm river "
          "bridge workers union company bank budget announced said warned agreed expected "
          "increased fell rose today yesterday week new local national public security water",
    "fr": "le la les des du une et dans pour avec sur par que qui gouvernement ministre élection "
          "conseil marché prix énergie rapport ville police tribunal hôpital école climat tempête "
          "rivière pont travailleurs syndicat entreprise banque budget annoncé déclaré averti "
          "hausse baisse aujourd'hui hier semaine nouvelle nationale publique sécurité eau",
    "de": "der die das und mit für von auf den dem nicht nach bei Regierung Minister Wahl Rat "
          "Markt Preise Energie Bericht Stadt Polizei Gericht Krankenhaus Schule Klima Sturm "
          "Fluss Brücke Arbeiter Gewerkschaft Unternehmen Bank Haushalt kündigte sagte warnte "
          "stieg fiel heute gestern Woche neue öffentliche Sicherheit Wasser Verkehr",
    "es": "el la los las de del y en para con por que una gobierno ministro elecciones consejo "
          "mercado precios energía informe ciudad policía tribunal hospital escuela clima "
          "tormenta río puente trabajadores sindicato empresa banco presupuesto anunció dijo "
          "advirtió subió bajó hoy ayer semana nueva pública seguridad agua transporte",
    "it": "il la di e che per con un una del della governo ministro elezioni consiglio mercato "
          "prezzi energia rapporto città polizia tribunale ospedale scuola clima tempesta fiume "
          "ponte lavoratori sindacato azienda banca bilancio annunciato detto avvertito aumento "
          "calo oggi ieri settimana nuova pubblica sicurezza acqua trasporti",
    "pl": "i w na z do się nie że jest od przez dla rząd minister wybory rada rynek ceny energia "
          "raport miasto policja sąd szpital szkoła klimat burza rzeka most pracownicy związek "
          "firma bank budżet ogłosił powiedział ostrzegł wzrosły spadły dzisiaj wczoraj tydzień "
          "nowy publiczny bezpieczeństwo woda transport",
    "ru": "и в на про по что не для от из это правительство министр выборы совет рынок цены "
          "энергия доклад город полиция суд больница школа климат буря река мост рабочие "
          "профсоюз компания банк бюджет объявил заявил предупредил выросли упали сегодня вчера "
          "неделя новый общественный безопасность вода транспорт",
    "ja": "政府 大臣 選挙 議会 市場 価格 エネルギー 報告 都市 警察 裁判所 病院 学校 気候 台風 "
          "川 橋 労働者 組合 会社 銀行 予算 発表した 述べた 警告した 上昇 下落 今日 昨日 週 新しい "
          "公共 安全 水 交通 は が を に で と の も から",
}
LANGS = tuple(WORDS)


# --- the feeds -------------------------------------------------------------------------------


def feed_lang(index: int) -> str:
    return LANGS[index % len(LANGS)]


def has_validators(index: int) -> bool:
    """Even feeds send ETag/Last-Modified (304 on a match); odd feeds send neither."""
    return index % 2 == 0


def feed_etag(index: int) -> str:
    return f'"feed-{index}-v1"'


def feed_path(index: int) -> str:
    return f"/feeds/{index}.xml"


def _sentence(rng: random.Random, lang: str, low: int, high: int, end: str = ".") -> str:
    words = rng.choices(WORDS[lang].split(), k=rng.randint(low, high))
    if lang == "ja":
        return "".join(words) + ("。" if end else "")
    return " ".join(words).capitalize() + end


def _description(rng: random.Random, lang: str, link: str) -> str:
    sentences = [_sentence(rng, lang, 8, 16) for _ in range(rng.randint(2, 5))]
    middle = len(sentences) // 2
    first, second = " ".join(sentences[:middle]), " ".join(sentences[middle:])
    return f'<p>{first}</p><p><b>{second}</b> <a href="{link}">…</a></p>'


def feed_body(index: int, items: int, seed: int, now: datetime) -> bytes:
    """One RSS 2.0 document; the same (index, items, seed) always gives the same text (dates
    count back from ``now``)."""
    rng = random.Random(seed * 1_000_003 + index)
    lang = feed_lang(index)
    site = f"https://site{index}.example.org"
    parts = ['<?xml version="1.0" encoding="utf-8"?>', '<rss version="2.0"><channel>',
             f"<title>{_sentence(rng, lang, 2, 4, end='')} {index}</title>",
             f"<link>{site}/</link>", f"<language>{lang}</language>"]
    for item in range(items):
        link = f"{site}/{lang}/news/{index}-{item}.html"
        published = now - timedelta(minutes=rng.randint(1, 7 * 24 * 60))
        parts.append(
            f"<item><title>{html.escape(_sentence(rng, lang, 4, 9, end=''))}</title>"
            f"<link>{link}</link><guid isPermaLink=\"false\">site{index}-item{item}</guid>"
            f"<pubDate>{email.utils.format_datetime(published, usegmt=True)}</pubDate>"
            f"<description>{html.escape(_description(rng, lang, link))}</description></item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode()


# --- the feed server (child process) ---------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """Pre-built responses of one feed: the 200, and the 304 when it has validators."""

    full: bytes
    not_modified: bytes | None = None
    etag: str | None = None

    def reply(self, headers: dict[str, str]) -> bytes:
        if self.not_modified is not None and (
                headers.get("if-none-match") == self.etag
                or headers.get("if-modified-since") == LAST_MODIFIED):
            return self.not_modified
        return self.full


def _response(status: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items()),
             f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


def build_answers(feeds: int, items: int, seed: int) -> dict[str, Answer]:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    answers = {}
    for index in range(feeds):
        headers = {"Content-Type": "application/rss+xml; charset=utf-8"}
        if not has_validators(index):
            answers[feed_path(index)] = Answer(
                _response("200 OK", headers, feed_body(index, items, seed, now)))
            continue
        validators = {"ETag": feed_etag(index), "Last-Modified": LAST_MODIFIED}
        answers[feed_path(index)] = Answer(
            _response("200 OK", {**headers, **validators}, feed_body(index, items, seed, now)),
            _response("304 Not Modified", validators), feed_etag(index))
    return answers


async def _serve_connection(answers: dict[str, Answer], reader: asyncio.StreamReader,
                            writer: asyncio.StreamWriter) -> None:
    not_found = _response("404 Not Found", {"Content-Type": "text/plain"}, b"not found")
    try:
        while True:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            _method, path, version = head[0].split(" ", 2)
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            answer = answers.get(path)
            writer.write(answer.reply(headers) if answer else not_found)
            await writer.drain()
            if version == "HTTP/1.0" or headers.get("connection", "").lower() == "close":
                break
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def _serve(answers: dict[str, Answer], ready: Connection) -> None:
    server = await asyncio.start_server(
        lambda r, w: _serve_connection(answers, r, w), "127.0.0.1", 0, backlog=1024)
    ready.send(server.sockets[0].getsockname()[1])
    parent = os.getppid()
    async with server:
        while os.getppid() == parent:  # bounded: ends with the benchmark, however it ends
            await asyncio.sleep(0.5)


def run_server(ready: Connection, feeds: int, items: int, seed: int) -> None:
    asyncio.run(_serve(build_answers(feeds, items, seed), ready))


class FeedServer:
    """The feed server in its own process; ``base`` once it listens."""

    def __init__(self, feeds: int, items: int, seed: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._ours, theirs = context.Pipe()
        self.process = context.Process(target=run_server, args=(theirs, feeds, items, seed),
                                       daemon=True)
        self.base = ""

    def __enter__(self) -> FeedServer:
        self.process.start()
        if not self._ours.poll(300):
            raise RuntimeError("bench: the feed server did not start within 300 s")
        self.base = f"http://127.0.0.1:{self._ours.recv()}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.join(10)


# --- measuring -------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM, not ru_maxrss, which a spawned child inherits from
    the parent it was forked from (Linux keeps it across exec)."""
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


@dataclass
class Phase:
    name: str
    feeds: int
    articles: int
    seconds: float
    rss_mb: float
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    @property
    def feeds_per_s(self) -> float:
        return self.feeds / self.seconds

    @property
    def articles_per_s(self) -> float:
        return self.articles / self.seconds


def make_config(db_path: Path, concurrency: int, per_host: int) -> Config:
    from monitor.config import build

    return build({"database": str(db_path),
                  "fetch": {"concurrency": concurrency, "per_host": per_host}}, environ={})


def add_feeds(db_path: Path, base: str, feeds: int) -> None:
    from monitor.models import FeedSpec
    from monitor.store.db import open_database
    from monitor.store.feeds import add_feed

    db = open_database(db_path)
    now = datetime.now(UTC)
    try:
        for index in range(feeds):
            spec = FeedSpec(base + feed_path(index), f"feed {index}", lang=feed_lang(index),
                            source="bench")
            add_feed(db, spec, now)
    finally:
        db.conn.close()


async def timed_poll(name: str, daemon: Daemon, run_once: bool = False) -> Phase:
    start = time.perf_counter()
    if run_once:
        results = await daemon.run_once(include_all=True)
    else:
        results = await daemon.pipeline.poll(include_all=True)
    seconds = time.perf_counter() - start
    return Phase(name, len(results), sum(r.new for r in results), seconds, peak_rss_mb(),
                 Counter(r.status for r in results),
                 [f"{r.url}: {r.error}" for r in results if r.status == "error"])


def count_store_cpu(store: Store, timings: dict[str, float]) -> None:
    """Add the CPU time of every call on the store's thread to ``timings["store cpu"]``.

    The pipeline's own "store" figure is wall time on that thread, which runs alongside the
    event loop and includes waiting for the GIL; CPU time is what it takes from the poll."""
    call = store._call

    def timed_call(fn: Callable[..., T], *args: object) -> T:
        start = time.thread_time()
        try:
            return call(fn, *args)
        finally:
            timings["store cpu"] = timings.get("store cpu", 0.0) + time.thread_time() - start

    store._call = timed_call  # type: ignore[method-assign]


async def project_polls(db_path: Path, concurrency: int, per_host: int
                        ) -> tuple[Phase, dict[str, float], Phase, dict[str, float]]:
    """The first and the steady poll by one daemon, with the pipeline's stage timings."""
    from monitor.daemon import Daemon

    daemon = Daemon(make_config(db_path, concurrency, per_host), db_path)
    count_store_cpu(daemon.store, daemon.pipeline.timings)
    try:
        first = await timed_poll("first poll", daemon, run_once=True)
        first_timings = dict(daemon.pipeline.timings)
        daemon.pipeline.timings.clear()
        steady = await timed_poll("steady poll", daemon)
        return first, first_timings, steady, dict(daemon.pipeline.timings)
    finally:
        await daemon.close()


async def steady_at(db_path: Path, concurrency: int) -> float:
    """Seconds of one steady poll by a fresh daemon (per_host = concurrency)."""
    from monitor.daemon import Daemon

    daemon = Daemon(make_config(db_path, concurrency, concurrency), db_path)
    try:
        phase = await timed_poll("sweep", daemon, run_once=True)
    finally:
        await daemon.close()
    if phase.errors:
        raise RuntimeError(f"bench: sweep at {concurrency}: {phase.errors[0]}")
    return phase.seconds


def conditional_headers(index: int) -> dict[str, str]:
    if has_validators(index):
        return {"If-None-Match": feed_etag(index), "If-Modified-Since": LAST_MODIFIED}
    return {}


async def httpx_only(base: str, feeds: int, concurrency: int) -> float:
    """Seconds for the steady poll's requests through the project's httpx client alone."""
    from monitor.config import FetchSettings
    from monitor.fetch import build_client

    client = build_client(FetchSettings(concurrency=concurrency, per_host=concurrency))
    slots = asyncio.Semaphore(concurrency)

    async def get(index: int) -> None:
        async with slots:
            response = await client.get(base + feed_path(index), headers=conditional_headers(index))
            if response.status_code not in {200, 304}:
                raise RuntimeError(f"bench: {response.url}: HTTP {response.status_code}")

    try:
        start = time.perf_counter()
        await asyncio.gather(*(get(index) for index in range(feeds)))
        return time.perf_counter() - start
    finally:
        await client.aclose()


def http_client_only(base: str, feeds: int) -> float:
    """Seconds for the same requests, sequential, on one keep-alive http.client connection."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port))
    start = time.perf_counter()
    try:
        for index in range(feeds):
            connection.request("GET", feed_path(index), headers=conditional_headers(index))
            connection.getresponse().read()
        return time.perf_counter() - start
    finally:
        connection.close()


def naive_poll(urls: Sequence[str]) -> tuple[float, int, float]:
    """(seconds, entries, peak RSS MB): feedparser.parse(url) on each URL in turn.

    Runs in a child process, so the memory and CPU are the baseline's own."""
    import feedparser

    start = time.perf_counter()
    entries = 0
    for url in urls:
        parsed = feedparser.parse(url)
        if parsed.get("status") != 200 or not parsed.entries:
            reason = parsed.get("bozo_exception") or f"HTTP {parsed.get('status')}"
            raise RuntimeError(f"bench: naive fetch of {url} failed: {reason}")
        entries += len(parsed.entries)
    return time.perf_counter() - start, entries, peak_rss_mb()


def naive_phase(base: str, feeds: int, sample: int, seed: int) -> Phase:
    indices = sorted(random.Random(seed).sample(range(feeds), min(sample, feeds)))
    urls = [base + feed_path(index) for index in indices]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        pool.submit(int).result()  # the child is up before the clock starts
        seconds, entries, rss = pool.submit(naive_poll, urls).result()
    return Phase(f"naive feedparser.parse(url), sample of {len(urls)}", len(urls), entries,
                 seconds, rss)


# --- reporting -------------------------------------------------------------------------------


def machine_info() -> list[str]:
    import feedparser
    import httpx

    with open("/proc/meminfo") as meminfo:
        total_kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    return [
        f"date: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"machine: {platform.machine()}, nproc {len(os.sched_getaffinity(0))}, "
        f"RAM {total_kb / 1024**2:.1f} GiB, {platform.system()} {platform.release()}",
        f"python {platform.python_version()}, httpx {httpx.__version__}, "
        f"feedparser {feedparser.__version__}",
        "load average at start: {:.2f} {:.2f} {:.2f} (other work on the machine skews "
        "the figures)".format(*os.getloadavg()),
    ]


def phase_table(phases: Sequence[Phase], naive: Phase, total_feeds: int) -> str:
    rows: list[list[object]] = [
        [p.name, p.feeds, p.articles, f"{p.seconds:.2f}", f"{p.feeds_per_s:,.0f}",
         f"{p.articles_per_s:,.0f}", f"{p.feeds_per_s / naive.feeds_per_s:.1f}x",
         f"{p.rss_mb:.0f}"]
        for p in [*phases, naive]
    ]
    rows.append([f"naive, extrapolated to {total_feeds} feeds", total_feeds,
                 round(naive.articles / naive.feeds * total_feeds),
                 f"{total_feeds / naive.feeds_per_s:.1f}", "", "", "", ""])
    headers = ["phase", "feeds", "new articles", "seconds", "feeds/s", "articles/s", "vs naive",
               "peak RSS MB"]
    return tabulate(rows, headers, tablefmt="github", disable_numparse=True)


SPLIT = (  # (label, timings key); fetch/other is the poll's wall time less the others
    ("parse (event loop)", "parse"),
    ("language (event loop)", "language"),
    ("store CPU (store thread, every query)", "store cpu"),
)


def split_table(phase: Phase, timings: dict[str, float]) -> str:
    stages = {label: timings.get(key, 0.0) for label, key in SPLIT}
    stages["fetch/other (rest of the wall time)"] = phase.seconds - sum(stages.values())
    stages["store wall (pipeline's figure, overlaps the rest)"] = timings.get("store", 0.0)
    per = max(phase.articles, 1)
    rows = [[stage, f"{seconds:.2f}", f"{100 * seconds / phase.seconds:.0f}%",
             f"{1e6 * seconds / per:.0f}" if phase.articles else ""]
            for stage, seconds in stages.items()]
    return tabulate(rows, ["stage", "seconds", "share", "µs/article"], tablefmt="github",
                    disable_numparse=True)


def sweep_table(base: str, db_path: Path, feeds: int, concurrencies: Sequence[int],
                naive: Phase) -> str:
    rows: list[list[object]] = []
    for concurrency in concurrencies:
        project = asyncio.run(steady_at(db_path, concurrency))
        transport = asyncio.run(httpx_only(base, feeds, concurrency))
        rows.append([concurrency, f"{project:.2f}", f"{feeds / project:,.0f}",
                     f"{feeds / project / naive.feeds_per_s:.1f}x", f"{transport:.2f}",
                     f"{feeds / transport:,.0f}"])
    reference = http_client_only(base, feeds)
    rows.append(["1 (http.client)", "", "", "", f"{reference:.2f}", f"{feeds / reference:,.0f}"])
    headers = ["concurrency = per_host", "steady poll s", "feeds/s", "vs naive",
               "requests only s", "requests/s"]
    return tabulate(rows, headers, tablefmt="github", disable_numparse=True)


def statuses(phase: Phase) -> str:
    return ", ".join(f"{status} {count}" for status, count in sorted(phase.statuses.items()))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=2000, help="feeds served (default 2000)")
    parser.add_argument("--items", type=int, default=30, help="items per feed (default 30)")
    parser.add_argument("--sample", type=int, default=100,
                        help="feeds polled by the naive baseline (default 100)")
    from monitor.config import FetchSettings

    defaults = FetchSettings()
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency,
                        help=f"setting fetch.concurrency (default {defaults.concurrency}, "
                             "the config default)")
    parser.add_argument("--per-host", type=int, default=defaults.per_host,
                        help=f"setting fetch.per_host (default {defaults.per_host}, the config "
                             "default; every feed is on 127.0.0.1, so this one decides)")
    parser.add_argument("--sweep", default="",
                        help="comma-separated concurrencies to repeat the steady poll at")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated text")
    args = parser.parse_args(argv)
    args.sweep = [int(c) for c in args.sweep.split(",") if c.strip()]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print("\n".join(machine_info()))
    print(f"command: bench/poll.py {' '.join(sys.argv[1:] if argv is None else argv)}")
    print(f"feeds {args.feeds} x {args.items} items, fetch.concurrency {args.concurrency}, "
          f"fetch.per_host {args.per_host}\n")
    with FeedServer(args.feeds, args.items, args.seed) as server, \
            tempfile.TemporaryDirectory(prefix="bench-poll-") as tmp:
        db_path = Path(tmp) / "bench.db"
        add_feeds(db_path, server.base, args.feeds)
        first, first_timings, steady, steady_timings = asyncio.run(
            project_polls(db_path, args.concurrency, args.per_host))
        naive = naive_phase(server.base, args.feeds, args.sample, args.seed)
        print(phase_table([first, steady], naive, args.feeds), "\n")
        print(f"first poll: {statuses(first)}; steady poll: {statuses(steady)}\n")
        print("first poll, per stage:\n")
        print(split_table(first, first_timings), "\n")
        print("steady poll, per stage:\n")
        print(split_table(steady, steady_timings), "\n")
        if args.sweep:
            print(sweep_table(server.base, db_path, args.feeds, args.sweep, naive), "\n")
    ratio = steady.feeds_per_s / naive.feeds_per_s
    print(f"first poll: {first.articles_per_s:,.0f} articles/s "
          f"(target >= {TARGET_ARTICLES_PER_S}: "
          f"{'met' if first.articles_per_s >= TARGET_ARTICLES_PER_S else 'missed'})")
    print(f"steady poll: {ratio:.1f}x naive (target >= {TARGET_STEADY_RATIO}x: "
          f"{'met' if ratio >= TARGET_STEADY_RATIO else 'missed'})")
    errors = first.errors + steady.errors
    for error in errors[:5]:
        print(f"error: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
