"""The parse stage on small documents written here: text cleaning, dates, ids, encodings,
declared languages, JSON Feed, limits and the errors for documents that are no feed."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitor.errors import ParseError
from monitor.models import ParsedFeed
from monitor.parse import parse_feed
from monitor.parse.dates import parse_date, parse_rfc822_date
from monitor.parse.encoding import decode_xml, prepare_xml
from monitor.parse.text import html_to_text, make_guid, one_line, tidy_text

NOW = datetime(2026, 2, 18, 12, 0, tzinfo=UTC)
URL = "https://news.example.org/feed"


def parse(body: bytes | str, headers: dict[str, str] | None = None, **kwargs: Any) -> ParsedFeed:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return parse_feed(data, headers or {}, URL, fetched_at=NOW, **kwargs)


def rss(items: str, channel: str = "", declaration: str = "") -> str:
    return (f"{declaration}<rss version=\"2.0\"><channel><title>Example</title>"
            f"<link>https://news.example.org/</link>{channel}{items}</channel></rss>")


def item(title: str = "A title", description: str = "Some text", extra: str = "") -> str:
    return f"<item><title>{title}</title><description>{description}</description>{extra}</item>"


def parse_error(body: bytes | str, headers: dict[str, str] | None = None) -> ParseError:
    with pytest.raises(ParseError) as caught:
        parse(body, headers)
    assert URL in str(caught.value)
    return caught.value


# html_to_text, tidy_text, one_line


def test_html_paragraphs_become_blank_lines() -> None:
    assert html_to_text("<p>One</p><p>Two</p>") == "One\n\nTwo"
    assert html_to_text("<h2>Head</h2>text") == "Head\n\ntext"
    assert html_to_text("a<br>b<br/>c") == "a\nb\nc"
    assert html_to_text("<p>wrapped\n   line</p>") == "wrapped line"


def test_html_entities_are_decoded_once() -> None:
    assert html_to_text("Tom &amp; Jerry &#8211; &eacute;t&eacute;") == "Tom & Jerry – été"
    assert html_to_text("AT&amp;amp;T") == "AT&amp;T"  # escaped twice: decoded once only
    assert html_to_text("<p>x &amp;lt;b&amp;gt; y</p>") == "x &lt;b&gt; y"
    assert html_to_text("&lt;b&gt;bold&lt;/b&gt;") == "bold"  # HTML escaped twice, no tags


def test_scripts_and_styles_are_dropped() -> None:
    html = "<style>p { color: red }</style><p>Body</p><script>alert('x')</script>"
    assert html_to_text(html) == "Body"


def test_html_without_content() -> None:
    assert html_to_text("") == ""
    assert html_to_text("<!-- only a comment -->") == ""
    assert html_to_text('<p><img src="x.jpg"></p>') == ""
    assert html_to_text("5 < 6 and 7 > 3") == "5 < 6 and 7 > 3"


def test_tidy_text() -> None:
    assert tidy_text("  a \t b\u00a0\u00a0c  ") == "a b c"
    assert tidy_text("one\r\n\r\n\r\n\r\ntwo\n   \nthree") == "one\n\ntwo\n\nthree"
    assert tidy_text("\n\n  x  \n\n") == "x"


def test_one_line() -> None:
    assert one_line("\n   The flaws in India’s AI plans\n  ") == "The flaws in India’s AI plans"
    assert one_line("a\n b\t c") == "a b c"


# Entries: text, titles, links


def test_content_wins_over_summary() -> None:
    body = rss(item(extra="<content:encoded><![CDATA[<p>Full</p><p>text</p>]]></content:encoded>"))
    body = body.replace("<rss ", '<rss xmlns:content="http://purl.org/rss/1.0/modules/content/" ')
    assert parse(body).entries[0].text == "Full\n\ntext"


def test_summary_as_text_when_no_content() -> None:
    entry = parse(rss(item(description="&lt;p&gt;One&lt;/p&gt;&lt;p&gt;Two&lt;/p&gt;"))).entries[0]
    assert entry.text == "One\n\nTwo"


def test_padded_cdata_title_is_one_line() -> None:
    body = rss(item(title="<![CDATA[\n        Padded   title\n   on two lines\n   ]]>"))
    assert parse(body).entries[0].title == "Padded title on two lines"


def test_plain_text_atom_title_keeps_markup_characters() -> None:
    body = ('<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry>'
            '<title type="text">a &lt; b &amp;amp; c</title><summary>s</summary></entry></feed>')
    assert parse(body).entries[0].title == "a < b &amp; c"


def test_entries_without_title_or_text_are_left_out() -> None:
    body = rss(item() + "<item><title> </title><description/><link>https://x.org/1</link></item>")
    assert len(parse(body).entries) == 1


def test_relative_links_resolve_against_the_url_passed_in() -> None:
    body = rss(item(extra="<link>/2026/02/story</link>")).replace(
        "<link>https://news.example.org/</link>", "<link>/</link>")
    result = parse(body)
    assert result.site_url == "https://news.example.org/"
    assert result.entries[0].url == "https://news.example.org/2026/02/story"


# Dates


def test_dates_become_utc() -> None:
    entry = parse(rss(item(extra="<pubDate>Wed, 18 Feb 2026 10:30:00 +0300</pubDate>"))).entries[0]
    assert entry.published_at == datetime(2026, 2, 18, 7, 30, tzinfo=UTC)
    assert entry.published_at.tzinfo == UTC


def test_missing_date_falls_back_to_fetch_time() -> None:
    assert parse(rss(item())).entries[0].published_at == NOW


@pytest.mark.parametrize("pub_date", [
    "Fri, 18 Feb 2028 10:00:00 GMT",  # years ahead
    "Sat, 01 Jan 1994 00:00:00 GMT",  # before the web had feeds
    "yesterday afternoon",
    "Seg, 24 Set 2018 19:42:40 -0300",  # Portuguese names
])
def test_implausible_or_unreadable_dates_fall_back(pub_date: str) -> None:
    entry = parse(rss(item(extra=f"<pubDate>{pub_date}</pubDate>"))).entries[0]
    assert entry.published_at == NOW


def test_a_few_hours_ahead_is_kept() -> None:
    entry = parse(rss(item(extra="<pubDate>Wed, 18 Feb 2026 20:00:00 GMT</pubDate>"))).entries[0]
    assert entry.published_at == datetime(2026, 2, 18, 20, 0, tzinfo=UTC)


def test_updated_when_no_published() -> None:
    body = ('<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>x</title>'
            "<updated>2026-02-17T08:00:00+01:00</updated></entry></feed>")
    assert parse(body).entries[0].published_at == datetime(2026, 2, 17, 7, 0, tzinfo=UTC)


def test_parse_date() -> None:
    assert parse_date("2026-02-16T00:00:00Z", NOW) == datetime(2026, 2, 16, tzinfo=UTC)
    assert parse_date("2026-02-16T02:00:00+02:00", NOW) == datetime(2026, 2, 16, tzinfo=UTC)
    assert parse_date("2026-02-16T00:00:00", NOW) == datetime(2026, 2, 16, tzinfo=UTC)
    assert parse_date("2030-01-01T00:00:00Z", NOW) == NOW
    assert parse_date("not a date", NOW) == NOW
    assert parse_date(None, NOW) == NOW


def test_parse_rfc822_date_any_weekday_name() -> None:
    expected = datetime(2022, 11, 15, 23, 38, 15, tzinfo=UTC)
    assert parse_rfc822_date("mer, 16 nov 2022 00:38:15 +0100", NOW) == expected
    assert parse_rfc822_date("2022-11-16T00:38:15+01:00", NOW) == expected  # ISO as well
    assert parse_rfc822_date("16 Set 2022", NOW) == NOW


# Ids


def test_make_guid_is_stable_and_distinct() -> None:
    assert make_guid("title", "text") == make_guid("title", "text")
    assert make_guid("title", "text").startswith("sha1:")
    assert make_guid("title", "text") != make_guid("title", "other text")
    assert make_guid("ab", "c") != make_guid("a", "bc")
    assert make_guid(None, "x") == make_guid("", "x")


def test_guid_then_link_then_hash() -> None:
    body = rss(item("one", extra="<guid>tag:x,2026:1</guid><link>https://x.org/1</link>")
               + item("two", extra="<link>https://x.org/2</link>") + item("three", "t"))
    first, second, third = parse(body).entries
    assert first.guid == "tag:x,2026:1"
    assert second.guid == "https://x.org/2"
    assert third.guid == make_guid("three", "t") == parse(body).entries[2].guid


# Declared language


def test_channel_language_applies_to_items() -> None:
    result = parse(rss(item(), channel="<language>en_US</language>"))
    assert result.declared_lang == "en"
    assert result.entries[0].declared_lang == "en"


def test_rss_item_xml_lang_wins_over_channel_language() -> None:
    body = rss('<item xml:lang="de-AT"><title>t</title><description>d</description></item>'
               + item(), channel="<language>fr</language>")
    assert [e.declared_lang for e in parse(body).entries] == ["de", "fr"]


def test_rss_item_dc_language_wins_over_channel_language() -> None:
    body = rss(item(extra="<dc:language>es</dc:language>"), channel="<language>fr</language>")
    body = body.replace("<rss ", '<rss xmlns:dc="http://purl.org/dc/elements/1.1/" ')
    assert parse(body).entries[0].declared_lang == "es"


def test_atom_entry_and_content_xml_lang_win_over_feed_xml_lang() -> None:
    body = ('<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><title>t</title>'
            '<entry xml:lang="fr"><title>a</title><summary>s</summary></entry>'
            '<entry><title>b</title><content type="html" xml:lang="IT-it">c</content></entry>'
            "<entry><title>c</title><summary>s</summary></entry></feed>")
    result = parse(body)
    assert result.declared_lang == "en"
    assert [e.declared_lang for e in result.entries] == ["fr", "it", "en"]


def test_content_language_header_is_the_last_resort() -> None:
    assert parse(rss(item()), {"Content-Language": "pl, en"}).entries[0].declared_lang == "pl"
    with_channel = parse(rss(item(), channel="<language>fr</language>"),
                         {"content-language": "pl"})
    assert with_channel.entries[0].declared_lang == "fr"


def test_unknown_language_codes_are_dropped() -> None:
    assert parse(rss(item(), channel="<language>x-klingon</language>")).declared_lang is None


def test_ttl_in_seconds() -> None:
    assert parse(rss(item(), channel="<ttl>30</ttl>")).ttl == 1800
    assert parse(rss(item(), channel="<ttl>soon</ttl>")).ttl is None
    assert parse(rss(item(), channel="<ttl>0</ttl>")).ttl is None


# Encodings


def test_valid_utf8_wins_over_a_lying_prolog() -> None:
    for declared in ("utf-16", "windows-1252", "ISO-8859-1"):
        body = f'<?xml version="1.0" encoding="{declared}"?>' + rss(item("Café €"))
        assert parse(body).entries[0].title == "Café €"


def test_declared_legacy_encoding() -> None:
    body = ('<?xml version="1.0" encoding="windows-1251"?>' + rss(item("Новости дня"))).encode(
        "cp1251")
    assert parse(body).entries[0].title == "Новости дня"


def test_http_charset_for_legacy_bytes_without_declaration() -> None:
    body = rss(item("Новости дня")).encode("koi8-r")
    headers = {"Content-Type": "text/xml; charset=KOI8-R"}
    assert parse(body, headers).entries[0].title == "Новости дня"


def test_iso_8859_1_is_read_as_windows_1252() -> None:
    body = ('<?xml version="1.0" encoding="iso-8859-1"?>' + rss(item("“Quoted” – 5 €"))).encode(
        "cp1252")
    assert parse(body).entries[0].title == "“Quoted” – 5 €"


@pytest.mark.parametrize(("declared", "title", "codec"), [
    ("Shift_JIS", "①番目の記事", "cp932"),  # ① exists only in the Windows superset
    ("GB2312", "镕铸新闻", "gb18030"),  # 镕 is GBK, not GB2312
])
def test_declared_encodings_are_read_as_their_superset(declared: str, title: str,
                                                       codec: str) -> None:
    body = (f'<?xml version="1.0" encoding="{declared}"?>' + rss(item(title))).encode(codec)
    assert parse(body).entries[0].title == title


def test_undeclared_legacy_bytes_are_detected() -> None:
    text = ("Правительство объявило во вторник, что в следующем году увеличит финансирование "
            "государственных больниц и школ.")
    body = rss(item("Новости", text)).encode("cp1251")
    assert parse(body).entries[0].text == text


def test_mostly_utf8_with_a_stray_byte() -> None:
    body = rss(item("Zürich – Genève", "Prix: 5 ")).encode("utf-8")
    body = body.replace(b"5 ", b"5 \x80")  # one windows-1252 euro sign among UTF-8
    entry = parse(body).entries[0]
    assert (entry.title, entry.text) == ("Zürich – Genève", "Prix: 5 €")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be",
                                   "utf-8-sig"])
def test_utf16_and_utf32_with_or_without_bom(codec: str) -> None:
    body = (f'<?xml version="1.0" encoding="{codec.removesuffix("-sig")}"?>'
            + rss(item("Ελληνικά"))).encode(codec)
    assert parse(body).entries[0].title == "Ελληνικά"


def test_decode_xml_ignores_a_utf16_label_on_ascii_bytes() -> None:
    body = b'<?xml version="1.0" encoding="utf-16"?><rss>caf\xe9</rss>'
    assert decode_xml(body) == '<?xml version="1.0" encoding="utf-16"?><rss>café</rss>'


def test_prepare_xml() -> None:
    assert prepare_xml("<!-- just a comment -->\n  ") is None
    prepared = prepare_xml('<!-- c -->\n<?xml?xml version="1.0" ??>\n<rss>\x0bx</rss>')
    assert prepared == "<?xml version='1.0' encoding='utf-8'?>\n<!-- c -->\n<rss>x</rss>"
    bound = prepare_xml("<rss><channel><itunes:author>a</itunes:author><foo:x/></channel></rss>")
    assert bound is not None
    assert 'xmlns:itunes="http://www.itunes.com/DTDs/PodCast-1.0.dtd"' in bound
    assert 'xmlns:foo="urn:x-newsmon:undeclared:foo"' in bound


def test_undeclared_prefix_no_longer_hides_the_items() -> None:
    body = rss(item(extra="<itunes:duration>12:00</itunes:duration>"))
    assert parse(body).entries[0].title == "A title"


# Documents that are no feed, and limits


@pytest.mark.parametrize("body", [b"", b"  \n\t ", b"<!-- nothing here -->"])
def test_empty_documents(body: bytes) -> None:
    error = parse_error(body)
    assert error.code == "parse.empty"
    assert "browser" in error.reason


def test_html_page_is_not_a_feed() -> None:
    error = parse_error("<!DOCTYPE html><html><head><title>Home</title></head>"
                        "<body><p>Welcome</p></body></html>")
    assert error.code == "parse.not_a_feed"
    assert "feeds add" in error.reason


def test_other_xml_is_not_a_feed() -> None:
    error = parse_error('<?xml version="1.0"?><urlset><url><loc>https://x.org/</loc></url>'
                        "</urlset>")
    assert error.code == "parse.not_a_feed"
    assert "<urlset>" in error.reason


def test_broken_xml_without_entries_is_malformed() -> None:
    error = parse_error('<rss version="2.0"><channel><title>t</title><item><title><![CD')
    assert error.code == "parse.malformed"
    assert "validator" in error.reason


def test_broken_xml_with_entries_is_accepted() -> None:
    body = rss(item("Good one") + "<item><title>Bad & worse</title></item>")
    assert parse(body).entries[0].title == "Good one"


def test_feed_without_items_is_no_error() -> None:
    result = parse(rss(""))
    assert (result.title, result.entries, result.format) == ("Example", (), "rss20")


def test_max_entries_cap() -> None:
    body = rss("".join(item(f"Story {n}") for n in range(30)))
    entries = parse(body, max_entries=5).entries
    assert [e.title for e in entries] == [f"Story {n}" for n in range(5)]


def test_cap_counts_only_usable_entries() -> None:
    body = rss("<item><title/></item>" * 3 + item("kept"))
    assert [e.title for e in parse(body, max_entries=1).entries] == ["kept"]


def test_gzip_body_without_content_encoding() -> None:
    assert parse(gzip.compress(rss(item("Zipped")).encode())).entries[0].title == "Zipped"


def test_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(rss(item("x" * 2_000_000)).encode())
    assert len(bomb) < 10_000
    with pytest.raises(ParseError) as caught:
        parse(bomb, max_size=1_000_000)
    assert caught.value.code == "parse.too_large"
    assert parse(bomb, max_size=3_000_000).entries[0].title == "x" * 2_000_000


def test_broken_gzip() -> None:
    assert parse_error(b"\x1f\x8b\x08\x00garbage").code == "parse.bad_gzip"


# JSON Feed


def json_feed(version: str, **fields: Any) -> bytes:
    return json.dumps({"version": f"https://jsonfeed.org/version/{version}",
                       "title": "Example JSON", **fields}).encode()


def test_json_feed_1_0() -> None:
    body = json_feed("1", home_page_url="https://x.org/", items=[
        {"id": 1, "url": "https://x.org/1", "title": "First",
         "content_html": "<p>One &amp; two</p><p>Three</p>",
         "date_published": "2026-02-17T10:00:00+01:00"},
        {"id": "b", "title": "Second", "content_text": "Plain\n\n\ntext"},
        {"id": "c", "summary": "Only a summary", "date_modified": "2026-02-16T00:00:00Z"},
    ])
    result = parse(body, {"Content-Type": "application/json"})
    assert (result.title, result.site_url, result.format) == ("Example JSON", "https://x.org/",
                                                              "json1")
    first, second, third = result.entries
    assert (first.guid, first.url, first.text) == ("1", "https://x.org/1", "One & two\n\nThree")
    assert first.published_at == datetime(2026, 2, 17, 9, 0, tzinfo=UTC)
    assert (second.text, second.published_at) == ("Plain\n\ntext", NOW)
    assert (third.title, third.text) == ("", "Only a summary")
    assert third.published_at == datetime(2026, 2, 16, tzinfo=UTC)


def test_json_feed_1_1() -> None:
    body = json_feed("1.1", language="en-GB", feed_url="https://x.org/feeds/main.json", items=[
        {"id": "a", "url": "/2026/02/a", "title": "  a < b & c\n", "content_text": "x"},
        {"id": "b", "title": "Deutsch", "content_text": "y", "language": "de-AT"},
        {"id": "c", "title": "", "content_text": ""},
        "not an item",
    ])
    result = parse(body)
    assert (result.format, result.declared_lang) == ("json11", "en")
    assert [e.guid for e in result.entries] == ["a", "b"]
    assert result.entries[0].url == "https://x.org/2026/02/a"
    assert result.entries[0].title == "a < b & c"  # JSON Feed titles are plain text
    assert [e.declared_lang for e in result.entries] == ["en", "de"]


def test_json_feed_without_ids_and_cap() -> None:
    items = [{"title": f"T{n}", "content_text": "x"} for n in range(5)]
    entries = parse(json_feed("1.1", items=items), max_entries=2).entries
    assert [e.guid for e in entries] == [make_guid("T0", "x"), make_guid("T1", "x")]


def test_json_that_is_not_a_json_feed() -> None:
    assert parse_error(b'{"status": "ok", "items": []}').code == "parse.not_a_feed"
    assert parse_error(b"[1, 2, 3]").code == "parse.not_a_feed"


def test_invalid_json_and_missing_items() -> None:
    assert parse_error(b'{"version": "https://jsonfeed.org/version/1", ').code == \
        "parse.malformed"
    assert parse_error(json_feed("1.1")).code == "parse.malformed"


def test_xml_served_as_json_is_read_as_xml() -> None:
    result = parse(rss(item("Mislabelled")), {"content-type": "application/json"})
    assert result.entries[0].title == "Mislabelled"


def test_fetch_time_is_the_fallback_for_every_entry() -> None:
    later = NOW + timedelta(hours=1)
    result = parse_feed(rss(item()).encode(), {}, URL, fetched_at=later)
    assert result.entries[0].published_at == later
