"""The parse stage over every real-world feed in shared/real/feeds (see SOURCES.md there).

Each file is a feed with entries, a well-formed feed without items, or a ParseError with a
``parse.*`` code; the tables below say which, so a regression either way fails. The files
are read in place, never copied into the project.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from monitor.errors import ParseError
from monitor.models import ParsedFeed
from monitor.parse import parse_feed
from monitor.parse.encoding import decode_xml
from tests.conftest import SHARED

FEEDS = SHARED / "real" / "feeds"
SOURCES = SHARED / "real" / "SOURCES.md"
FETCHED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ALL_ENTRIES = 10_000  # max_entries for these tests: count everything a file holds

pytestmark = pytest.mark.skipif(
    not FEEDS.is_dir(), reason=f"real-world feeds not found at {FEEDS} (shared/ folder missing)")

# fastfeedparser's expected parse results, used as expected values, not parsed as feeds.
EXPECTED_OUTPUTS = {
    "fastfeedparser__osm-pl.json": "fastfeedparser__osm-pl.xml",
    "fastfeedparser__malformed_rss_namespaced.json": "fastfeedparser__malformed_rss_namespaced.xml",
    "fastfeedparser__utf16_encoded.json": "fastfeedparser__utf16_encoded.xml",
}

NOT_FEEDS = {  # file: the ParseError code it must give
    "feedparser__rss_empty_document.xml": "parse.empty",  # one XML comment, no element
    "node-feedparser__notafeed.html": "parse.not_a_feed",  # an HTML page
    "rss-parser__unrecognized.rss": "parse.not_a_feed",  # HTML "Document Moved" page
    "feed-rs__rss_2.0_invalid_1.xml": "parse.malformed",  # channel cut off, no item
    "feedparser__rss_incomplete_cdata.xml": "parse.malformed",  # cut inside the first title
    "feedparser__rss_item_link_corrupted_ampersands.xml": "parse.malformed",  # no final '>';
    # its one item has a link only (no title, no text)
}

FEEDS_WITHOUT_ITEMS = {  # well-formed feeds with nothing to store: file -> feed title
    "feedparser__big5.xml": "我希望??很容易?其翻?成中文，并有助于改??件。 感?您??本文。",
    # (the '?' are in the file: characters lost before it was saved)
    "feedparser__http_high_bit_date.xml": None,  # a channel with only a (Greek) pubDate
    "feedparser__undeclared_namespace.xml": None,  # channel with an undeclared itunes: prefix
    "feedparser__utf-16le-bom.xml": None,  # <rss></rss>
    "feedparser__utf-32be.xml": None,  # <rss></rss>
    "miniflux__iso-8859-1.xml": "Café",
    "miniflux__windows-1252.xml": "Euro €",
    "miniflux__windows-1252-incorrect-prolog.xml": "Euro €",  # says windows-1252, is UTF-8
    "rss-parser__incomplete-fields.atom": None,  # its one entry has an empty <author> only
    "rss-parser__missing-fields.atom": None,  # its one entry has an <id> only
}

# Where our entry count differs from SOURCES.md's feedparser 6.0.14 column, and why.
COUNTS_NOT_AS_IN_SOURCES = {
    "fastfeedparser__7ef13a42fa7e177a.xml": 35,  # undeclared rss: prefix bound, feed read
    "fastfeedparser__malformed_rss_namespaced.xml": 2,  # same; as fastfeedparser expects
    "fastfeedparser__d4b7ab74da763119.json": 10,  # JSON Feed, read by monitor.parse.jsonfeed
    "node-feedparser__compressed.xml": 10,  # gzip body unpacked
    "node-feedparser__invalid-characters-gzipped.xml": 25,  # gzip body unpacked
    "miniflux__no_encoding_ISO-8859-1.xml": 9,  # one <item> is empty: nothing to store
    "node-feedparser__illegally-nested.xml": 10,  # feedparser counts 10 empty ghost items
}

SCRIPTS = {
    "Cyrillic": "\u0400-\u04ff",
    "Hangul": "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af",
    "Han": "\u3400-\u4dbf\u4e00-\u9fff",
    "Kana": "\u3040-\u30ff",
    "Hebrew": "\u0590-\u05ff",
    "Thai": "\u0e00-\u0e7f",
    "Greek": "\u0370-\u03ff",
    "Arabic": "\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff",
}
EXPECTED_SCRIPT = {  # legacy encodings and non-Latin feeds: the script their text is in
    "miniflux__encoding_WINDOWS-1251.xml": "Cyrillic",
    "miniflux__koi8r.xml": "Cyrillic",
    "feedparser__koi8r.xml": "Cyrillic",
    "node-feedparser__iconv.xml": "Cyrillic",
    "node-feedparser__compressed.xml": "Cyrillic",
    "miniflux__utf8-incorrect-prolog.xml": "Hangul",  # says ISO-8859-1, is UTF-8
    "miniflux__invalid-prolog.xml": "Hangul",  # encoding="invalid"
    "feedparser__euckr.xml": "Hangul",
    "feedparser__big5.xml": "Han",
    "feedparser__gb2312.xml": "Han",
    "feedparser__eucjp.xml": "Kana",
    "feedparser__shiftjis.xml": "Kana",
    "feed-rs__rss_1.0_example_1.xml": "Kana",
    "feedparser__windows1255.xml": "Hebrew",
    "feedparser__tis620.xml": "Thai",
    "miniflux__urdu_UTF8.xml": "Arabic",
}  # rss-parser__customfields.rss declares kn, but its text is all English (no Kannada)

MOJIBAKE = re.compile("Ã|Ð|Â|â€|\ufffd")
MARKUP = re.compile(r"</?(p|a|br|div|span|img|em|strong|b|i|ul|ol|li|h[1-6])\b[^<>]*>", re.I)
MARKUP_EXPECTED = {  # entries whose text quotes HTML source code on purpose
    "fastfeedparser__9e0834333e854116.xml",  # ASP.NET MVC blog posts with <pre> HTML
}
FEED_URLS = {  # the URL each file was served from, where relative links depend on it
    "feed-rs__atom_relative.xml": "https://example.com/blog/feed.xml",
    "node-feedparser__rss-with-relative-urls.xml":
        "https://www.arcgames.com/en/games/neverwinter/news/rss",
    "fastfeedparser__137dd53eb3d6d860.xml": "https://kopiascsaba.hu/blog/index.xml",
}


def feed_files() -> list[str]:
    if not FEEDS.is_dir():
        return []
    return sorted(p.name for p in FEEDS.iterdir() if p.name not in EXPECTED_OUTPUTS)


def url_of(name: str) -> str:
    return FEED_URLS.get(name, f"https://feeds.example.org/{name}")


@functools.cache
def parsed(name: str) -> ParsedFeed | ParseError:
    """Each file parsed once per test session: the feed, or the ParseError it raised."""
    try:
        return parse_feed((FEEDS / name).read_bytes(), {}, url_of(name), fetched_at=FETCHED_AT,
                          max_entries=ALL_ENTRIES)
    except ParseError as exc:
        return exc


def feed(name: str) -> ParsedFeed:
    result = parsed(name)
    assert isinstance(result, ParsedFeed), f"{name}: {result}"
    return result


def visible_text(result: ParsedFeed) -> str:
    return "\n".join([result.title or "", *(f"{e.title}\n{e.text}" for e in result.entries)])


def script_share(text: str, script: str) -> float:
    """Letters of ``script`` among the non-ASCII letters of ``text``."""
    letters = [c for c in text if c.isalpha() and not c.isascii()]
    in_script = re.findall(f"[{SCRIPTS[script]}]", "".join(letters))
    return len(in_script) / len(letters) if letters else 0.0


def test_the_tables_name_real_files() -> None:
    names = set(feed_files())
    for table in (NOT_FEEDS, FEEDS_WITHOUT_ITEMS, COUNTS_NOT_AS_IN_SOURCES, EXPECTED_SCRIPT,
                  FEED_URLS):
        assert set(table) <= names, set(table) - names
    assert len(names) + len(EXPECTED_OUTPUTS) == 109


@pytest.mark.parametrize("name", feed_files())
def test_every_file_is_a_feed_or_a_clear_parse_error(name: str) -> None:
    result = parsed(name)
    if name in NOT_FEEDS:
        assert isinstance(result, ParseError), f"{name} should not parse as a feed"
        assert result.code == NOT_FEEDS[name]
        assert url_of(name) in str(result)
        return
    assert isinstance(result, ParsedFeed), f"{name}: {result}"
    if name in FEEDS_WITHOUT_ITEMS:
        assert result.entries == ()
        assert result.title == FEEDS_WITHOUT_ITEMS[name]
        assert result.format != "unknown"
        return
    assert len(result.entries) > 0
    text = visible_text(result)
    assert len(MOJIBAKE.findall(text)) <= len(text) // 20_000, MOJIBAKE.findall(text)[:10]
    if name not in MARKUP_EXPECTED:
        assert not MARKUP.search(text), MARKUP.search(text)
    for entry in result.entries:
        assert entry.title or entry.text
        assert entry.title == " ".join(entry.title.split()), "titles are one trimmed line"
        assert entry.text == entry.text.strip()
        assert entry.guid
        assert entry.published_at.utcoffset() == timedelta(0)
        assert entry.published_at <= FETCHED_AT + timedelta(days=1)
        assert entry.url is None or entry.url.startswith(("http://", "https://")), entry.url


@pytest.mark.parametrize("name", sorted(EXPECTED_SCRIPT))
def test_legacy_and_non_latin_text_is_in_its_script(name: str) -> None:
    text = visible_text(feed(name))
    share = script_share(text, EXPECTED_SCRIPT[name])
    assert share >= 0.3, f"{name}: {share:.0%} {EXPECTED_SCRIPT[name]} in {text[:200]!r}"


def test_entry_counts_match_sources_md_where_it_is_right() -> None:
    if not SOURCES.is_file():
        pytest.skip(f"{SOURCES} not found")
    row = re.compile(r"^\| (\S+) \|.*\| (\d+) / [01] / [^|]* \|$", re.MULTILINE)
    column = {m.group(1): int(m.group(2)) for m in row.finditer(SOURCES.read_text("utf-8"))}
    compared = 0
    for name in feed_files():
        if name in NOT_FEEDS or name in FEEDS_WITHOUT_ITEMS:
            continue
        expected = COUNTS_NOT_AS_IN_SOURCES.get(name, column[name])
        assert len(feed(name).entries) == expected, name
        compared += 1
    assert compared > 80


@pytest.mark.parametrize("expected_output", sorted(EXPECTED_OUTPUTS))
def test_matches_fastfeedparser_expected_output(expected_output: str) -> None:
    expected = json.loads((FEEDS / expected_output).read_text("utf-8"))
    result = feed(EXPECTED_OUTPUTS[expected_output])
    assert result.title == expected["feed"]["title"]
    assert len(result.entries) == len(expected["entries"])
    for entry, want in zip(result.entries, expected["entries"], strict=True):
        assert entry.title == want["title"]
        assert entry.url == want["link"]
        assert entry.guid == want["id"]
        assert entry.published_at == datetime.fromisoformat(want["published"])


def said_encoding(name: str) -> str | None:
    """The encoding a feedparser fixture's own comment expects (``Expect: ... encoding ==``)."""
    said = re.search(rb"encoding == '([\w-]+)'", (FEEDS / name).read_bytes()[:400])
    return said.group(1).decode() if said else None


@pytest.mark.parametrize("name", [n for n in feed_files() if said_encoding(n)])
def test_undeclared_legacy_encodings_as_the_fixtures_expect(name: str) -> None:
    """feedparser's chardet fixtures (Big5, GB2312, EUC-JP, Shift_JIS, EUC-KR, KOI8-R,
    windows-1255, TIS-620, no declaration) decode as their Expect line says."""
    body = (FEEDS / name).read_bytes()
    assert decode_xml(body) == body.decode(str(said_encoding(name)))


def test_windows_1251_feed() -> None:
    result = feed("miniflux__encoding_WINDOWS-1251.xml")
    first = result.entries[0]
    assert result.title == "iBash.Org.Ru"
    assert first.title == "Цитата #17703"
    assert first.text.startswith("xxx: есть у кого жаба программер\nxxx: кот немного")
    assert first.url == "http://ibash.org.ru/quote.php?id=17703"
    assert first.published_at == datetime(2018, 3, 21, 7, 27, 32, tzinfo=UTC)  # +0300 in file
    assert first.declared_lang == "ru"


def test_golem_iso_8859_1_umlauts() -> None:
    titles = [e.title for e in feed("miniflux__encoding_ISO-8859-1.xml").entries]
    assert "iPhone Xr im Test: Apples günstigeres iPhone ist nicht günstig" in titles
    assert "Studie: Silicon Valley dient als rechte Hand des großen Bruders" in titles
    assert "Breitbandgesellschaft: Grüne wollen Netzbetreiber zum Ausbau zwingen" in titles


def test_undeclared_latin_1_is_sniffed() -> None:
    titles = [e.title for e in feed("rss-parser__uolNoticias.rss").entries]
    assert titles[0] == ("Ibope: Bolsonaro perde de Haddad, Ciro e Alckmin em simulações "
                         "de 2º turno")
    text = feed("miniflux__no_encoding_ISO-8859-1.xml").entries[0].text
    assert "études" in text or "été" in text


def test_prolog_that_says_utf_16_over_utf_8_bytes() -> None:
    result = feed("fastfeedparser__9e0834333e854116.xml")
    assert len(result.entries) == 59
    assert result.entries[0].title == "So you want to parse a PDF?"


def _with_channel_date_in_an_item(name: str) -> bytes:
    """The file's first <pubDate>, moved into an item of an otherwise minimal feed in the
    same encoding (these files date only their channel)."""
    body = (FEEDS / name).read_bytes()
    pub_date = re.search(rb"<pubDate>.*?</pubDate>", body)
    declaration = re.match(rb"<\?xml[^>]*>", body)
    assert pub_date is not None
    return ((declaration.group() if declaration else b"") +
            b'<rss version="2.0"><channel><title>t</title><item><title>x</title>' +
            pub_date.group() + b"</item></channel></rss>")


def test_greek_day_and_month_names_are_read() -> None:
    body = (FEEDS / "feedparser__http_high_bit_date.xml").read_bytes()
    assert "Τρι, 29 Ιούν 2004 12:53:00 GMT" in decode_xml(body)  # iso-8859-7, not English
    item = _with_channel_date_in_an_item("feedparser__http_high_bit_date.xml")
    entry = parse_feed(item, {}, "https://example.org/el", fetched_at=FETCHED_AT).entries[0]
    assert entry.published_at == datetime(2004, 6, 29, 12, 53, tzinfo=UTC)  # a Tuesday


def test_unreadable_dates_fall_back_to_fetch_time() -> None:
    # UOL dates its items "Seg, 24 Set 2018 19:42:40 -0300": Portuguese names, not RFC 822
    assert {e.published_at for e in feed("rss-parser__uolNoticias.rss").entries} == {FETCHED_AT}
    # RSS 0.91 items without any date
    assert feed("feed-rs__rss_0.91_encoding_1.xml").entries[0].published_at == FETCHED_AT


def test_localised_weekday_with_english_month_is_read() -> None:
    entry = feed("feed-rs__rss_2.0_ilmessaggero.xml").entries[0]  # "mer, 16 nov 2022 ..."
    assert entry.published_at == datetime(2022, 11, 15, 23, 38, 15, tzinfo=UTC)
    assert entry.title.startswith("Missili Polonia, cosa è successo?")


def test_padded_titles_are_trimmed() -> None:
    economist = feed("fastfeedparser__960551eca5b5db81.xml")
    assert len(economist.entries) == 300
    assert economist.entries[0].title == "The flaws in India’s AI plans"
    abc = feed("fastfeedparser__f9c17f360c71def1.xml")
    assert abc.entries[0].title == "Takaichi will be reappointed as Japan's prime minister"


def test_default_cap_takes_the_first_200_entries() -> None:
    body = (FEEDS / "fastfeedparser__960551eca5b5db81.xml").read_bytes()
    capped = parse_feed(body, {}, "https://x.example/feed", fetched_at=FETCHED_AT)
    assert len(capped.entries) == 200
    assert capped.entries == feed("fastfeedparser__960551eca5b5db81.xml").entries[:200]


def test_double_escaped_title_is_decoded_one_level() -> None:
    # <title type="html">Science &amp;amp; technology ...: XML gives "&amp;", HTML gives "&"
    assert feed("fastfeedparser__c81b774804d7fd57.xml").title == "Science & technology experiments"
    # "&amp;#769;" inside HTML in CDATA is the text "&#769;": decoded once, not twice
    texts = [e.text for e in feed("miniflux__encoding_WINDOWS-1251.xml").entries]
    assert any("Лаба&#769;зник" in t for t in texts)


def test_relative_links_resolve_against_the_feed_url() -> None:
    atom = feed("feed-rs__atom_relative.xml")
    assert atom.site_url == "https://example.com/blog/"
    assert atom.entries[0].url == "https://example.com/blog/2003/12/13/atom03"
    rss = feed("node-feedparser__rss-with-relative-urls.xml")
    assert rss.site_url == "https://www.arcgames.com/en/games/neverwinter/news"
    assert rss.entries[0].url == ("https://www.arcgames.com/en/games/neverwinter/news/detail/"
                                  "10743874-neverwinter-%26-jingle-jam-humble-bundle%21")
    hugo = feed("fastfeedparser__137dd53eb3d6d860.xml")
    assert hugo.site_url == "https://kopiascsaba.hu/blog/"
    first = hugo.entries[0]
    assert first.url == "https://kopiascsaba.hu/blog/teaching-elderly-people-to-use-android/"
    assert first.guid == first.url


def test_xml_base_wins_over_the_feed_url() -> None:
    items = feed("feed-rs__rss_2.0_relurl_1.xml").entries
    assert items[0].url == "https://insanity.industries/post/pareto-optimal-compression/"
    entry = feed("feed-rs__atom_xml_base.xml").entries[0]
    assert entry.title == "my cool entry title"
    assert entry.text == ""  # the content is a lone <img>


@pytest.mark.parametrize(("name", "declared"), [
    ("fastfeedparser__ce5f942d1cd40fc0.xml", "en"),  # en-Us
    ("feed-rs__rss_2.0_nbcny.xml", "en"),  # en_US
    ("feed-rs__rss_2.0_ilmessaggero.xml", "it"),  # IT-it
    ("fastfeedparser__1796df62c4a287cc.xml", "en"),  # <![CDATA[en-gb]]>
    ("node-feedparser__rss-with-relative-urls.xml", "en"),  # en_US
    ("miniflux__urdu_UTF8.xml", "ur"),
    ("rss-parser__customfields.rss", "kn"),
])
def test_odd_language_codes_are_normalised(name: str, declared: str) -> None:
    result = feed(name)
    assert result.declared_lang == declared
    assert {e.declared_lang for e in result.entries} == {declared}


def test_item_dc_language_without_a_channel_language() -> None:
    result = feed("fastfeedparser__14dda539770f94e3.xml")  # DW RDF: dc:language per item
    assert result.declared_lang is None
    assert {e.declared_lang for e in result.entries} == {"en"}


def test_atom_xml_lang() -> None:
    assert {e.declared_lang for e in feed("miniflux__small_atom.xml").entries} == {"en"}


def test_ttl_minutes_become_seconds() -> None:
    assert feed("fastfeedparser__ce5f942d1cd40fc0.xml").ttl == 3600  # <ttl>60</ttl>
    assert feed("fastfeedparser__1796df62c4a287cc.xml").ttl == 900  # <ttl>15</ttl>
    assert feed("miniflux__large_rss.xml").ttl is None


def test_gzip_body_without_content_encoding_is_unpacked() -> None:
    assert feed("node-feedparser__compressed.xml") == feed("node-feedparser__iconv.xml")
    entries = feed("node-feedparser__invalid-characters-gzipped.xml").entries
    assert entries[0].title == "NSOperation"


def test_json_feed_file() -> None:
    result = feed("fastfeedparser__d4b7ab74da763119.json")
    assert (result.title, result.format) == ("Human Who Codes", "json1")
    first = result.entries[0]
    assert first.title == "Using your own Supabase signing keys"
    assert first.url == ("https://humanwhocodes.com/snippets/2026/02/"
                         "using-your-own-supabase-signing-keys/")
    # content_html is HTML escaped twice by the publisher; the text is still plain
    assert first.text.startswith("Supabase uses JWT signing keys to sign authentication")
    assert first.published_at == datetime(2026, 2, 16, tzinfo=UTC)


def test_broken_namespaced_feed_is_recovered() -> None:
    entries = feed("fastfeedparser__7ef13a42fa7e177a.xml").entries
    assert entries[0].title == "jenni tucker"
    assert entries[0].url == "https://dylanharris.org/blog/2026/b5.shtml"
    assert entries[0].text.startswith("I regret to have to report the death")


def test_broken_xml_with_entries_is_accepted() -> None:
    titles = [e.title for e in feed("node-feedparser__saxerror.xml").entries]
    assert titles[0] == "Good Item"
    assert len(titles) == 3
