"""The alert stage piece by piece: channels (secrets, urls_file), rendering (escaping,
mentions, links, digests), routing (channels, backlog cutoff, digest periods), the sender's
helpers (backoff, masking) and the outbox tables on a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import stat
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from monitor import config as config_module
from monitor.errors import NotifyError
from monitor.match.rules import KeywordsLeaf, NotifySpec, RuleSpec
from monitor.models import Article, ChannelSpec, FeedSpec, Hit
from monitor.notify import render as rendering
from monitor.notify.channels import channel_urls, expand, read_urls_file, shown, url_key
from monitor.notify.render import defuse, escape, marked, render
from monitor.notify.routing import Router, period_end
from monitor.notify.sender import Sender, _masked, _reason, backoff
from monitor.store import Store, outbox
from monitor.store.articles import save_articles
from monitor.store.feeds import add_feed
from monitor.store.hits import save_hits
from monitor.store.outbox import AlertPlan
from monitor.store.transaction import transaction
from tests.feedserver import closed_port_url

NOW = datetime(2026, 3, 2, 10, 17, 3, tzinfo=UTC)
COUNTRIES = {"NO": "Norway", "UA": "Ukraine", "FR": "France"}
SNIPPET = "Norway has pledged two frigates to Ukraine."


# -- channels: ${VAR} expansion ------------------------------------------------------------


def test_expand_replaces_every_variable_from_the_given_environment() -> None:
    url = "mailtos://${SMTP_USER}:${SMTP_PASSWORD}@smtp.example.org?to=${TO}"
    env = {"SMTP_USER": "alerts", "SMTP_PASSWORD": "hunter2", "TO": "desk@example.org"}
    assert expand(url, "desk", env) == (
        "mailtos://alerts:hunter2@smtp.example.org?to=desk@example.org")


def test_expand_leaves_urls_without_variables_alone() -> None:
    url = "json://user:pw@127.0.0.1:8080/hook?a=$HOME&b=${"
    assert expand(url, "desk", {"HOME": "/root"}) == url


def test_expand_reads_the_process_environment_by_default(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSMON_TEST_HOOK_TOKEN", "tok-123456")
    assert expand("json://h/${NEWSMON_TEST_HOOK_TOKEN}", "desk") == "json://h/tok-123456"


def test_missing_variable_is_named_without_the_urls_other_secrets() -> None:
    url = "json://alerts:literal-pass@127.0.0.1:8080/${HOOK_PATH}?token=${HOOK_TOKEN}"
    with pytest.raises(NotifyError) as caught:
        expand(url, "desk", {"HOOK_PATH": "set-secret-value", "OTHER": "x"})
    error = caught.value
    assert error.code == "notify.missing_env"
    assert "${HOOK_TOKEN}" in str(error) and "desk" in str(error)
    assert "literal-pass" not in str(error)
    assert "set-secret-value" not in str(error)


# -- channels: urls_file ---------------------------------------------------------------------


def urls_file(tmp_path: Path, text: str, mode: int) -> Path:
    path = tmp_path / "desk-urls"
    path.write_text(text, "utf-8")
    path.chmod(mode)
    return path


def test_urls_file_skips_blank_lines_and_comments(tmp_path: Path) -> None:
    path = urls_file(tmp_path, (
        "# the desk's hooks\n"
        "json://127.0.0.1/a\n"
        "\n"
        "   \n"
        "   # indented comment\n"
        "  slack://T1/B2/C3  \n"), 0o600)
    assert read_urls_file(path, "desk") == ["json://127.0.0.1/a", "slack://T1/B2/C3"]


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620])
def test_urls_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = urls_file(tmp_path, "json://u:secret-pass@h/x\n", mode)
    with pytest.raises(NotifyError) as caught:
        read_urls_file(path, "desk")
    assert caught.value.code == "notify.urls_file_mode"
    assert "chmod 600" in str(caught.value) and str(path) in str(caught.value)
    assert "secret-pass" not in str(caught.value)


def test_urls_file_owner_only_is_accepted(tmp_path: Path) -> None:
    path = urls_file(tmp_path, "json://h/x\n", 0o400)
    assert read_urls_file(path, "desk") == ["json://h/x"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o400


def test_missing_urls_file_is_a_notify_error(tmp_path: Path) -> None:
    with pytest.raises(NotifyError) as caught:
        read_urls_file(tmp_path / "nope", "desk")
    assert caught.value.code == "notify.urls_file"
    assert "nope" in str(caught.value)


def test_channel_urls_lists_urls_then_the_file_relative_to_the_config(tmp_path: Path) -> None:
    urls_file(tmp_path, "json://h/from-file\n", 0o600)
    channel = ChannelSpec("desk", ("json://h/inline",), "desk-urls")
    assert channel_urls(channel, tmp_path) == ["json://h/inline", "json://h/from-file"]
    assert channel_urls(ChannelSpec("x", ("json://h/only",)), tmp_path) == ["json://h/only"]


# -- channels: what is shown -------------------------------------------------------------------


@pytest.mark.parametrize(("url", "secrets", "kept"), [
    ("mailto://alerts:s3cretPW1@smtp.example.org?to=a@example.org", ["s3cretPW1"],
     "smtp.example.org"),
    ("mailtos://alerts:s3cretPW1@smtp.example.org?to=a@example.org", ["s3cretPW1"],
     "mailtos://"),
    ("mailtos://alerts:${SMTP_PASSWORD}@smtp.example.org?to=a@example.org",
     ["SMTP_PASSWORD", "smtp_password"], "smtp.example.org"),
    ("json://user:s3cretPW1@127.0.0.1:8080/hook", ["s3cretPW1"], "127.0.0.1:8080/hook"),
    ("jsons://user:s3cretPW1@example.org/hook?token=qtok3n9", ["s3cretPW1", "qtok3n9"],
     "example.org/hook"),
    ("slack://T1ABCDEF/B2GHIJKL/secretTOKENxyz123/#desk",
     ["T1ABCDEF", "B2GHIJKL", "secretTOKENxyz123"], "slack://"),
    ("tgram://123456789:AAHsecretBotTokenValue12345/-1001234",
     ["AAHsecretBotTokenValue12345", "123456789:"], "tgram://"),
    ("discord://12345678/secretWebhookToken9", ["secretWebhookToken9"], "discord://"),
])
def test_shown_masks_passwords_and_tokens(url: str, secrets: list[str], kept: str) -> None:
    masked = shown(url)
    for secret in secrets:
        assert secret not in masked
    assert kept in masked
    assert "?" not in masked  # no query string: it may hold secrets


def test_shown_of_an_unreadable_url_is_its_scheme_only() -> None:
    assert shown("nosuchservice://user:s3cretPW1@host/x") == "nosuchservice://…"


def test_shown_of_a_mistyped_url_does_not_reveal_it() -> None:
    assert "hunter2" not in shown("json//alerts:hunter2@example.org/hook")


def test_shown_of_the_readme_slack_example_keeps_its_channel() -> None:
    assert "ukraine-desk" in shown("slack://${SLACK_A}/${SLACK_B}/${SLACK_C}/#ukraine-desk")


def test_url_key_is_stable_distinct_and_hides_the_url() -> None:
    one = "json://user:s3cretPW1@127.0.0.1/hook"
    assert url_key(one) == url_key(one)
    assert len(url_key(one)) == 16 and int(url_key(one), 16) >= 0
    assert url_key(one) != url_key(one + "2")
    assert url_key("json://h/${A}") != url_key("json://h/${B}")
    assert "s3cret" not in url_key(one)


def test_url_key_is_of_the_url_as_written_not_its_expansion(
        monkeypatch: pytest.MonkeyPatch) -> None:
    written = "json://h/${NEWSMON_TEST_HOOK}"
    before = url_key(written)
    monkeypatch.setenv("NEWSMON_TEST_HOOK", "rotated-secret")
    assert url_key(written) == before


# -- render: escaping and mentions -------------------------------------------------------------


def test_escape_html() -> None:
    assert escape('5 < 6 & "x" <i>', "html") == "5 &lt; 6 &amp; &quot;x&quot; &lt;i&gt;"


def test_escape_markdown_escapes_markup_characters() -> None:
    escaped = escape("*bold* _it_ [a](b) `code` # h > q <https://x|y>", "markdown")
    # what makes emphasis, code or links is escaped; "<" is broken so Slack makes no
    # <url|label> link; punctuation that Slack would show as "\." stays as it is
    assert escaped == ("\\*bold\\* \\_it\\_ \\[a\\](b) \\`code\\` # h > q "
                       "<\u200bhttps://x\\|y>")


def test_escape_text_keeps_markup_but_joins_lines() -> None:
    assert escape("a <b>\n\n\tc  d", "text") == "a <b> c d"
    assert "\n" not in escape("one\r\ntwo", "html")


@pytest.mark.parametrize("mention", ["@channel", "@here", "@everyone", "@all", "@Channel",
                                     "<!channel>", "<!here>", "<@U123>", "<#C42>"])
def test_defuse_makes_mentions_inert(mention: str) -> None:
    text = f"ping {mention} now"
    defused = defuse(text)
    assert mention not in defused
    assert defused.replace("\u200b", "") == text
    for fmt in rendering.FORMATS:
        assert mention not in escape(text, fmt)


def test_defuse_leaves_other_at_signs() -> None:
    assert defuse("mail desk@example.org, @channels and @hereford") == (
        "mail desk@example.org, @channels and @hereford")


# -- render: marked spans ----------------------------------------------------------------------


def test_marked_marks_spans_and_keeps_spaces() -> None:
    spans = [["country", 0, 6], ["verb", 11, 18]]
    assert marked(SNIPPET, spans, "text") == "[Norway] has [pledged] two frigates to Ukraine."
    assert marked(SNIPPET, spans, "html") == (
        "<b>Norway</b> has <b>pledged</b> two frigates to Ukraine.")
    assert marked(SNIPPET, spans, "markdown") == (
        "**Norway** has **pledged** two frigates to Ukraine.")


def test_marked_merges_overlapping_and_touching_spans_in_any_order() -> None:
    spans = [["b", 14, 18], ["a", 11, 16], ["c", 0, 3], ["d", 3, 6]]
    assert marked(SNIPPET, spans, "text") == "[Norway] has [pledged] two frigates to Ukraine."


def test_marked_ignores_spans_outside_the_sentence() -> None:
    spans = [["x", 5, 5], ["y", -1, 3], ["z", 30, 999], ["ok", 35, 43]]
    assert marked(SNIPPET, spans, "text") == "Norway has pledged two frigates to [Ukraine.]"


def test_marked_escapes_inside_and_outside_the_marks() -> None:
    text = "A <b> & B @here"
    assert marked(text, [["x", 2, 5]], "html") == "A <b>&lt;b&gt;</b> &amp; B @\u200bhere"


# -- render: messages --------------------------------------------------------------------------


def hit_row(**changes: Any) -> dict[str, Any]:
    row = {"rule_id": "security-guarantees", "lang": "en",
           "captures": {"guarantor": ["NO"], "beneficiary": ["UA", "NO"]},
           "snippet": SNIPPET, "spans": [["country", 0, 6], ["verb", 11, 18]],
           "title": "Norway pledges frigates", "url": "https://example.org/n?a=1&b=2",
           "published_at": "2026-03-02T09:05:00+00:00", "feed": "Nordic Wire"}
    return {**row, **changes}


def alert(*hits: dict[str, Any], kind: str = "alert", **payload: Any) -> dict[str, Any]:
    return {"kind": kind, "channel": "desk", "rule_id": "security-guarantees",
            "payload": {"rule_title": "Security guarantees", "severity": "high",
                        "description": "A country pledges.", **payload},
            "hits": list(hits) or [hit_row()]}


@pytest.mark.parametrize("fmt", rendering.FORMATS)
def test_alert_title_names_severity_rule_and_countries(fmt: str) -> None:
    rendered = render(alert(), fmt, COUNTRIES.__getitem__)
    assert rendered.title == "[HIGH] Security guarantees: Norway, Ukraine"
    assert rendered.format == fmt


def test_country_names_come_from_the_callable() -> None:
    french = {"NO": "Norvège", "UA": "Ukraine"}
    rendered = render(alert(), "html", french.__getitem__)
    assert rendered.title.endswith(": Norvège, Ukraine")
    assert "Norvège" in rendered.body


def test_title_without_captures_has_no_colon_and_severity_defaults_to_medium() -> None:
    message = alert(hit_row(captures={}))
    message["payload"] = {"rule_title": "Plain rule"}
    assert render(message, "text", COUNTRIES.__getitem__).title == "[MEDIUM] Plain rule"


def test_alert_body_in_html() -> None:
    body = render(alert(hit_row(feed="Nordic <Wire>")), "html", COUNTRIES.__getitem__).body
    assert '<a href="https://example.org/n?a=1&amp;b=2">Norway pledges frigates</a>' in body
    assert "<blockquote><b>Norway</b> has <b>pledged</b>" in body
    assert "Nordic &lt;Wire&gt;" in body and "2026-03-02 09:05 UTC" in body
    assert "A country pledges." in body


def test_alert_body_in_markdown() -> None:
    body = render(alert(), "markdown", COUNTRIES.__getitem__).body
    assert "[Norway pledges frigates](<https://example.org/n?a=1&b=2>)" in body
    assert "> **Norway** has **pledged**" in body
    assert "**Norway, Ukraine**" in body


def test_alert_body_in_text() -> None:
    body = render(alert(), "text", COUNTRIES.__getitem__).body
    assert "Norway pledges frigates\nhttps://example.org/n?a=1&b=2" in body
    assert "“[Norway] has [pledged] two frigates to Ukraine.”" in body
    assert "Nordic Wire · en · 2026-03-02 09:05 UTC" in body


@pytest.mark.parametrize("fmt", rendering.FORMATS)
@pytest.mark.parametrize("link", ["javascript:alert(1)", "data:text/html,<script>x</script>",
                                  "ftp://example.org/x"])
def test_non_http_links_are_not_made_clickable(fmt: str, link: str) -> None:
    body = render(alert(hit_row(url=link, title="Click me")), fmt, COUNTRIES.__getitem__).body
    assert link not in body
    assert "href" not in body and "](" not in body
    assert "Click me" in body


def test_untitled_article_shows_its_link() -> None:
    body = render(alert(hit_row(title=None)), "text", COUNTRIES.__getitem__).body
    assert "https://example.org/n?a=1&b=2\nhttps://example.org/n?a=1&b=2" in body


@pytest.mark.parametrize("fmt", rendering.FORMATS)
def test_feed_text_cannot_mention_or_inject_markup(fmt: str) -> None:
    hostile = hit_row(title="<!channel> <script>x</script> @everyone",
                      snippet="Norway <@U123> pledged @here", spans=[["c", 0, 6]],
                      feed="Wire <!here>")
    rendered = render(alert(hostile), fmt, COUNTRIES.__getitem__)
    for mention in ("<!channel>", "<@U123>", "@here", "@everyone", "<!here>"):
        assert mention not in rendered.body and mention not in rendered.title
    if fmt == "html":
        assert "<script>" not in rendered.body


def test_digest_title_counts_hits_and_body_lists_each() -> None:
    hits = [hit_row(title=f"Story {i}", snippet=f"Norway pledged {i}.") for i in range(3)]
    rendered = render(alert(*hits, kind="digest", folded=0), "text", COUNTRIES.__getitem__)
    assert rendered.title == "[HIGH] Security guarantees: 3 hits"
    assert "Digest of 3 hits of rule security-guarantees." in rendered.body
    assert "held back" not in rendered.body
    assert all(f"Story {i}" in rendered.body for i in range(3))
    assert "A country pledges." not in rendered.body  # the description is for single alerts


def test_digest_says_how_many_the_throttle_folded() -> None:
    hits = [hit_row(title=f"Story {i}") for i in range(4)]
    rendered = render(alert(*hits, kind="digest", folded=3), "text", COUNTRIES.__getitem__)
    assert "Digest of 4 hits of rule security-guarantees, 3 of them held back by the rule's " \
           "throttle." in rendered.body


def test_digest_of_one_hit_says_hit() -> None:
    rendered = render(alert(kind="digest"), "text", COUNTRIES.__getitem__)
    assert rendered.title == "[HIGH] Security guarantees: 1 hit"


def test_digest_cuts_long_sentences_at_a_word() -> None:
    long = "Norway " + "pledges more frigates " * 30
    rendered = render(alert(hit_row(snippet=long, spans=[["c", 0, 6]]), hit_row(),
                            kind="digest"), "text", COUNTRIES.__getitem__)
    quoted = next(line for line in rendered.body.split("\n\n") if line.startswith("“[Norway]"))
    assert quoted.endswith(" …”")
    assert len(quoted) <= rendering.DIGEST_SNIPPET + 8
    single = render(alert(hit_row(snippet=long, spans=[])), "text", COUNTRIES.__getitem__)
    assert long.strip() in single.body  # a single alert keeps the whole sentence


def test_test_and_health_messages() -> None:
    test = render({"kind": "test", "channel": "desk", "payload": {}, "hits": []}, "text",
                  COUNTRIES.__getitem__)
    assert test.title == "news-monitor: test message" and "channel desk" in test.body
    health = render({"kind": "health", "channel": "ops", "hits": [],
                     "payload": {"title": "Feed broken @here", "text": "<!channel> down"}},
                    "markdown", COUNTRIES.__getitem__)
    assert "@here" not in health.title and "<!channel>" not in health.body


# -- routing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("now", "seconds", "end"), [
    (datetime(2026, 3, 2, 10, 17, 3, tzinfo=UTC), 1800, datetime(2026, 3, 2, 10, 30, tzinfo=UTC)),
    (datetime(2026, 3, 2, 10, 30, tzinfo=UTC), 1800, datetime(2026, 3, 2, 11, 0, tzinfo=UTC)),
    (datetime(2026, 3, 2, 10, 29, 59, 999999, tzinfo=UTC), 1800,
     datetime(2026, 3, 2, 10, 30, tzinfo=UTC)),
    (datetime(2026, 3, 2, 23, 59, tzinfo=UTC), 86400, datetime(2026, 3, 3, tzinfo=UTC)),
    (datetime(2026, 3, 2, 12, 5, tzinfo=timezone(timedelta(hours=2))), 3600,
     datetime(2026, 3, 2, 11, 0, tzinfo=UTC)),
])
def test_period_end(now: datetime, seconds: int, end: datetime) -> None:
    assert period_end(now, seconds) == end
    assert period_end(now, seconds).tzinfo is not None


def test_period_end_is_the_same_for_every_moment_of_a_period() -> None:
    start = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    ends = {period_end(start + timedelta(seconds=s), 900) for s in range(0, 900, 37)}
    assert ends == {start + timedelta(seconds=900)}


def rule(rule_id: str, **notify: Any) -> RuleSpec:
    return RuleSpec(rule_id, f"Rule {rule_id}", KeywordsLeaf(("frigate",)),
                    Path(f"{rule_id}.yaml"), notify=NotifySpec(**notify))


def router(rules: list[RuleSpec], default: str = "desk", max_age: str = "2d") -> Router:
    config = config_module.build({
        "default_channel": default, "notify": {"max_age": max_age},
        "channels": {name: {"urls": ["json://127.0.0.1/x"]}
                     for name in ("desk", "analysts", "ops")}}, environ={})
    return Router(config, rules)


def article(guid: str, published: datetime, feed_id: int = 1) -> Article:
    return Article(feed_id=feed_id, guid=guid, url=f"https://example.org/{guid}",
                   canonical_url=f"https://example.org/{guid}", title=f"Title {guid}",
                   text=SNIPPET, lang="en", lang_confidence=0.99, declared_lang="en",
                   published_at=published, fetched_at=published, content_hash=f"c-{guid}",
                   entry_hash=f"e-{guid}")


def hit(rule_id: str, guid: str, hit_id: int) -> Hit:
    return Hit(rule_id, "1", guid, "en", {"guarantor": ("NO",)}, SNIPPET, (("c", 0, 6),),
               article_id=hit_id, id=hit_id)


def test_rule_without_channels_goes_to_the_default_channel() -> None:
    plans = router([rule("r")]).plans([hit("r", "a", 1)], {"a": article("a", NOW)}, NOW)
    assert plans == [AlertPlan(1, "r", "desk", NOW, False)]


def test_unknown_rule_goes_to_the_default_channel_at_once() -> None:
    plans = router([]).plans([hit("gone", "a", 1)], {"a": article("a", NOW)}, NOW)
    assert plans == [AlertPlan(1, "gone", "desk", NOW, False)]


def test_rule_channels_replace_the_default() -> None:
    plans = router([rule("r", channels=("analysts", "ops"))]).plans(
        [hit("r", "a", 7)], {"a": article("a", NOW)}, NOW)
    assert [(p.hit_id, p.channel) for p in plans] == [(7, "analysts"), (7, "ops")]


def test_no_channel_at_all_means_no_plans() -> None:
    assert router([rule("r")], default="").plans(
        [hit("r", "a", 1)], {"a": article("a", NOW)}, NOW) == []


def test_old_articles_are_not_alerted() -> None:
    articles = {"old": article("old", NOW - timedelta(hours=3, seconds=1)),
                "edge": article("edge", NOW - timedelta(hours=3)),
                "new": article("new", NOW - timedelta(minutes=5))}
    hits = [hit("r", "old", 1), hit("r", "edge", 2), hit("r", "new", 3)]
    plans = router([rule("r")], max_age="3h").plans(hits, articles, NOW)
    assert [p.hit_id for p in plans] == [2, 3]


def test_max_age_zero_alerts_only_articles_published_now_or_later() -> None:
    articles = {"a": article("a", NOW - timedelta(seconds=1)), "b": article("b", NOW)}
    plans = router([rule("r")], max_age="0s").plans([hit("r", "a", 1), hit("r", "b", 2)],
                                                   articles, NOW)
    assert [p.hit_id for p in plans] == [2]


def test_unstored_hits_and_missing_articles_get_no_plans() -> None:
    plans = router([rule("r")]).plans([hit("r", "a", 0), hit("r", "missing", 2)],
                                      {"a": article("a", NOW)}, NOW)
    assert plans == []


def test_digest_rules_are_due_at_the_period_end() -> None:
    plans = router([rule("d", digest=1800, channels=("analysts",)), rule("now")]).plans(
        [hit("d", "a", 1), hit("now", "a", 2)], {"a": article("a", NOW)}, NOW)
    assert plans == [AlertPlan(1, "d", "analysts", datetime(2026, 3, 2, 10, 30, tzinfo=UTC),
                               True),
                     AlertPlan(2, "now", "desk", NOW, False)]


# -- sender helpers --------------------------------------------------------------------------


def test_backoff_doubles_from_first_up_to_most() -> None:
    assert [backoff(n, 60, 3600) for n in range(1, 9)] == [
        60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert backoff(0, 60, 3600) == 60
    assert backoff(10_000, 60, 3600) == 3600
    assert backoff(3, 7, 10**9) == 28


def test_masked_removes_every_secret_part_of_the_url() -> None:
    real = "json://alerts:pa55word@hooks.example.org/v1/abcdef123456?token=qtok3n9&x=ab"
    text = ("POST https://alerts:pa55word@hooks.example.org/v1/abcdef123456?token=qtok3n9 "
            "failed for alerts")
    masked = _masked(text, real, {}, real)
    for secret in ("pa55word", "abcdef123456", "qtok3n9", "alerts"):
        assert secret not in masked
    assert "hooks.example.org" in masked and "POST" in masked


def test_masked_removes_environment_values_the_url_uses() -> None:
    written = "json://h.example.org/${HOOK_TOKEN}"
    env = {"HOOK_TOKEN": "envsecret42", "UNRELATED": "keep-this-value"}
    real = expand(written, "desk", env)
    masked = _masked("sent envsecret42 keep-this-value", real, env, written)
    assert "envsecret42" not in masked and "keep-this-value" in masked


def test_masked_keeps_short_parts_readable() -> None:
    real = "json://h.example.org/v1/abc?x=1"
    assert _masked("error 500 on v1 abc", real, {}, real) == "error 500 on v1 abc"


@dataclass
class FakeEntry:
    message: str
    level: str


class FakeResult:
    def __init__(self, *entries: FakeEntry) -> None:
        self.entries = entries

    def logs(self) -> tuple[FakeEntry, ...]:
        return self.entries


def test_reason_keeps_warnings_and_socket_lines_masked_and_deduplicated() -> None:
    real = "json://alerts:pa55word@h.example.org/hook/tok3n12345"
    result = FakeResult(
        FakeEntry("Posting to https://alerts:pa55word@h.example.org/hook/tok3n12345", "DEBUG"),
        FakeEntry("Failed  to send\n to h.example.org/hook/tok3n12345: 500", "WARNING"),
        FakeEntry("Failed  to send\n to h.example.org/hook/tok3n12345: 500", "WARNING"),
        FakeEntry("Socket Exception: refused by alerts:pa55word", "DEBUG"),
        FakeEntry("Response Details:\r\n oops", "DEBUG"))
    reason = _reason(result, real, {}, real)
    assert reason == ("Failed to send to h.example.org/****/****: 500; "
                      "Socket Exception: refused by ****:****; Response Details: oops")


def test_reason_without_log_lines_and_its_length() -> None:
    assert _reason(FakeResult(), "json://h/x", {}, "json://h/x") == "Apprise reported failure"
    long = FakeResult(FakeEntry("x" * 5000, "ERROR"))
    assert len(_reason(long, "json://h/x", {}, "json://h/x")) == 1000


def test_masked_removes_a_telegram_bot_token() -> None:
    real = "tgram://123456789:AAHsecretBotTokenValue12345/-1001234"
    text = ("Socket Exception: HTTPSConnectionPool(host='api.telegram.org', port=443): Max "
            "retries exceeded with url: /bot123456789:AAHsecretBotTokenValue12345/sendMessage")
    assert "AAHsecretBotTokenValue12345" not in _masked(text, real, {}, real)


def test_failed_telegram_delivery_reason_hides_the_bot_token(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from apprise.plugins.telegram import NotifyTelegram

    monkeypatch.setattr(NotifyTelegram, "notify_url", closed_port_url("/bot"))
    token = "123456789:AAHsecretBotTokenValue12345"
    config = config_module.build(
        {"channels": {"tg": {"urls": [f"tgram://{token}/-1001234"]}}}, environ={})
    store = Store(tmp_path / "news.db")
    try:
        [outcome] = asyncio.run(Sender(config, store, environ={}).test("tg"))
    finally:
        store.close()
    assert not outcome.ok and "Connection refused" in outcome.reason
    assert "AAHsecretBotTokenValue12345" not in outcome.reason


# -- the outbox, on a real database ------------------------------------------------------------


def seed(db: sqlite_utils.Database, count: int = 2) -> list[int]:
    """A feed, ``count`` articles and one hit on each; returns the hit ids."""
    feed_id = add_feed(db, FeedSpec("https://example.org/feed.xml", title="Nordic Wire"), NOW)
    articles = [article(f"g{i}", NOW - timedelta(minutes=i), feed_id) for i in range(count)]
    with transaction(db):
        saved = save_articles(db, articles)
        hits = save_hits(db, [hit("sg", a.guid, 0) for a in articles],
                         {s.article.guid: s.id for s in saved})
    return [h.id for h in hits]


def plan(hit_id: int, channel: str = "desk", due: datetime = NOW,
         digest: bool = False) -> AlertPlan:
    return AlertPlan(hit_id, "sg", channel, due, digest)


def alert_ids(db: sqlite_utils.Database) -> list[int]:
    return [row["id"] for row in db.query("SELECT id FROM alerts ORDER BY id")]


def test_queue_alerts_ignores_the_same_hit_and_channel(db: sqlite_utils.Database) -> None:
    first, second = seed(db)
    assert outbox.queue_alerts(db, [plan(first), plan(second)], NOW) == 2
    assert outbox.queue_alerts(db, [plan(first, due=NOW + timedelta(hours=1)),
                                    plan(first, "ops")], NOW) == 1
    rows = list(db.query("SELECT hit_id, channel, due_at, digest FROM alerts ORDER BY id"))
    assert [(r["hit_id"], r["channel"]) for r in rows] == [
        (first, "desk"), (second, "desk"), (first, "ops")]
    assert rows[0]["due_at"] == "2026-03-02T10:17:03+00:00"  # the first one kept


def test_due_alerts_respects_due_at_and_is_oldest_first(db: sqlite_utils.Database) -> None:
    first, second = seed(db)
    later = NOW + timedelta(minutes=30)
    outbox.queue_alerts(db, [plan(first, due=later, digest=True), plan(second)], NOW)
    assert [a["hit_id"] for a in outbox.due_alerts(db, NOW)] == [second]
    assert [a["hit_id"] for a in outbox.due_alerts(db, later - timedelta(seconds=1))] == [second]
    due = outbox.due_alerts(db, later)
    assert [(a["hit_id"], a["digest"]) for a in due] == [(second, 0), (first, 1)]


def test_create_message_links_alerts_and_makes_one_delivery_per_url(
        db: sqlite_utils.Database) -> None:
    hits = seed(db)
    outbox.queue_alerts(db, [plan(h) for h in hits], NOW)
    ids = alert_ids(db)
    urls = [("k1", "json://h/a"), ("k2", "mailto://u:****@h"), ("k1", "json://h/a")]
    message_id = outbox.create_message(db, "desk", "digest", "sg", {"rule_title": "SG"}, ids,
                                       urls, NOW)
    assert outbox.due_alerts(db, NOW + timedelta(days=1)) == []
    assert {r["message_id"] for r in db.query("SELECT message_id FROM alerts")} == {message_id}
    rows = list(db.query("SELECT * FROM deliveries ORDER BY id"))
    assert [(r["url_key"], r["url_shown"], r["status"], r["attempts"]) for r in rows] == [
        ("k1", "json://h/a", "pending", 0), ("k2", "mailto://u:****@h", "pending", 0)]
    due = outbox.due_deliveries(db, NOW)
    assert [(d["channel"], d["kind"]) for d in due] == [("desk", "digest")] * 2


def test_message_has_its_payload_and_hits_oldest_first(db: sqlite_utils.Database) -> None:
    hits = seed(db)
    outbox.queue_alerts(db, [plan(h) for h in reversed(hits)], NOW)
    message_id = outbox.create_message(db, "desk", "digest", "sg", {"folded": 1},
                                       alert_ids(db), [("k", "json://h/a")], NOW)
    message = outbox.message(db, message_id)
    assert message["payload"] == {"folded": 1}
    assert (message["kind"], message["channel"], message["rule_id"]) == ("digest", "desk", "sg")
    assert [h["id"] for h in message["hits"]] == sorted(hits)
    first = message["hits"][0]
    assert first["captures"] == {"guarantor": ["NO"]}
    assert first["spans"] == [["c", 0, 6]]
    assert (first["feed"], first["title"], first["url"]) == (
        "Nordic Wire", "Title g0", "https://example.org/g0")
    assert render(message, "text", COUNTRIES.__getitem__).title == "[MEDIUM] sg: 2 hits"


def one_delivery(db: sqlite_utils.Database) -> int:
    [hit_id] = seed(db, 1)
    outbox.queue_alerts(db, [plan(hit_id)], NOW)
    outbox.create_message(db, "desk", "alert", "sg", {}, alert_ids(db), [("k", "json://h")],
                          NOW)
    [row] = db.query("SELECT id FROM deliveries")
    return int(row["id"])


def delivery(db: sqlite_utils.Database, delivery_id: int) -> dict[str, Any]:
    return dict(next(db.query("SELECT * FROM deliveries WHERE id = ?", [delivery_id])))


def test_mark_failed_counts_the_attempt_and_defers(db: sqlite_utils.Database) -> None:
    delivery_id = one_delivery(db)
    retry = NOW + timedelta(minutes=1)
    outbox.mark_failed(db, delivery_id, "HTTP 500", NOW, retry)
    row = delivery(db, delivery_id)
    assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 1, "HTTP 500")
    assert row["next_attempt_at"] == "2026-03-02T10:18:03+00:00"
    assert outbox.due_deliveries(db, NOW) == []
    assert [d["id"] for d in outbox.due_deliveries(db, retry)] == [delivery_id]


def test_mark_failed_does_not_touch_a_sent_delivery(db: sqlite_utils.Database) -> None:
    delivery_id = one_delivery(db)
    outbox.mark_sent(db, delivery_id, NOW)
    outbox.mark_failed(db, delivery_id, "late failure", NOW + timedelta(seconds=5),
                       NOW + timedelta(minutes=1))
    row = delivery(db, delivery_id)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 1, None)
    assert row["sent_at"] == "2026-03-02T10:17:03+00:00"
    assert outbox.due_deliveries(db, NOW + timedelta(days=1)) == []


def test_mark_sent_clears_the_last_error(db: sqlite_utils.Database) -> None:
    delivery_id = one_delivery(db)
    outbox.mark_failed(db, delivery_id, "HTTP 500", NOW, NOW + timedelta(minutes=1))
    outbox.mark_sent(db, delivery_id, NOW + timedelta(minutes=1))
    row = delivery(db, delivery_id)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 2, None)


def test_retry_now_only_works_on_pending_deliveries(db: sqlite_utils.Database) -> None:
    delivery_id = one_delivery(db)
    outbox.mark_failed(db, delivery_id, "HTTP 500", NOW, NOW + timedelta(hours=1))
    moment = NOW + timedelta(minutes=2)
    assert outbox.retry_now(db, delivery_id, moment) is True
    assert delivery(db, delivery_id)["next_attempt_at"] == "2026-03-02T10:19:03+00:00"
    assert [d["id"] for d in outbox.due_deliveries(db, moment)] == [delivery_id]
    outbox.mark_sent(db, delivery_id, moment)
    assert outbox.retry_now(db, delivery_id, moment) is False
    assert outbox.retry_now(db, 9999, moment) is False


def test_next_attempt_is_the_soonest_pending_delivery_or_waiting_alert(
        db: sqlite_utils.Database) -> None:
    assert outbox.next_attempt(db, NOW) is None
    first, second = seed(db)
    outbox.queue_alerts(db, [plan(second, due=NOW + timedelta(minutes=30), digest=True)], NOW)
    assert outbox.next_attempt(db, NOW) == "2026-03-02T10:47:03+00:00"
    outbox.queue_alerts(db, [plan(first)], NOW)
    # an alert already due but in no message is not "next": a pass could not place it
    assert outbox.next_attempt(db, NOW) == "2026-03-02T10:47:03+00:00"
    [alert_id] = [a["id"] for a in outbox.due_alerts(db, NOW)]
    outbox.create_message(db, "desk", "alert", "sg", {}, [alert_id], [("k", "json://h")], NOW)
    [row] = db.query("SELECT id FROM deliveries")
    outbox.mark_failed(db, row["id"], "x", NOW, NOW + timedelta(minutes=10))
    assert outbox.next_attempt(db, NOW) == "2026-03-02T10:27:03+00:00"
    outbox.mark_sent(db, row["id"], NOW)
    assert outbox.next_attempt(db, NOW) == "2026-03-02T10:47:03+00:00"


def test_list_deliveries_filters_and_is_newest_first(db: sqlite_utils.Database) -> None:
    hits = seed(db, 3)
    outbox.queue_alerts(db, [plan(h) for h in hits], NOW)
    for alert_id in alert_ids(db):
        outbox.create_message(db, "desk", "alert", "sg", {}, [alert_id],
                              [("k", "json://u:****@h")], NOW)
    sent, failed, waiting = (r["id"] for r in db.query("SELECT id FROM deliveries ORDER BY id"))
    outbox.mark_sent(db, sent, NOW)
    outbox.mark_failed(db, failed, "HTTP 503", NOW, NOW + timedelta(minutes=1))
    everything = outbox.list_deliveries(db)
    assert [r["id"] for r in everything] == [waiting, failed, sent]
    assert everything[0]["url"] == "json://u:****@h" and everything[0]["hits"] == 1
    assert [r["id"] for r in outbox.list_deliveries(db, status="sent")] == [sent]
    assert [r["id"] for r in outbox.list_deliveries(db, status="pending")] == [waiting, failed]
    [only] = outbox.list_deliveries(db, failed=True)
    assert (only["id"], only["last_error"], only["status"]) == (failed, "HTTP 503", "pending")
    assert [r["id"] for r in outbox.list_deliveries(db, limit=1)] == [waiting]


def test_messages_since_counts_alert_messages_of_one_rule_and_channel(
        db: sqlite_utils.Database) -> None:
    seed(db, 1)
    for channel, kind, when in [("desk", "alert", NOW), ("desk", "alert", NOW - timedelta(hours=2)),
                                ("desk", "digest", NOW), ("ops", "alert", NOW)]:
        outbox.create_message(db, channel, kind, "sg", {}, [], [], when)
    assert outbox.messages_since(db, "sg", "desk", NOW - timedelta(hours=1)) == 1
    assert outbox.messages_since(db, "sg", "desk", NOW - timedelta(hours=3)) == 2
    assert outbox.messages_since(db, "other", "desk", NOW - timedelta(hours=3)) == 0


def test_defer_alerts_moves_them_into_a_later_digest(db: sqlite_utils.Database) -> None:
    hits = seed(db)
    outbox.queue_alerts(db, [plan(h) for h in hits], NOW)
    first, second = alert_ids(db)
    outbox.defer_alerts(db, [second], NOW + timedelta(hours=1), 2)
    assert [a["id"] for a in outbox.due_alerts(db, NOW)] == [first]
    [moved] = outbox.due_alerts(db, NOW + timedelta(hours=1))[1:]
    assert (moved["id"], moved["digest"]) == (second, 2)


def test_payload_round_trips_as_json(db: sqlite_utils.Database) -> None:
    seed(db, 1)
    payload = {"rule_title": "Sécurité <b>", "severity": "high", "folded": 0}
    message_id = outbox.create_message(db, "desk", "alert", "sg", payload, [], [], NOW)
    [row] = db.query("SELECT payload FROM messages WHERE id = ?", [message_id])
    assert json.loads(row["payload"]) == payload
    assert outbox.message(db, message_id)["payload"] == payload


# -- the sender with an unusable channel ----------------------------------------------------


def test_drain_returns_when_an_alerts_channel_is_unusable(tmp_path: Path) -> None:
    store = Store(tmp_path / "news.db")
    try:
        async def queue() -> None:
            def write(database: sqlite_utils.Database) -> None:
                [hit_id] = seed(database, 1)
                outbox.queue_alerts(database, [plan(hit_id, channel="undefined",
                                                    due=datetime.now(UTC))], NOW)
            await store.run(write)

        asyncio.run(queue())
        config = config_module.build({"channels": {"desk": {"urls": ["json://127.0.0.1/x"]}}},
                                     environ={})
        sender = Sender(config, store, environ={})
        result = asyncio.run(asyncio.wait_for(sender.drain(0), timeout=2))
    finally:
        store.close()
    assert result == (0, 0)


def test_a_claimed_delivery_is_not_taken_again_until_its_claim_ends(
        db: sqlite_utils.Database) -> None:
    delivery_id = one_delivery(db)
    until = NOW + timedelta(minutes=5)
    assert outbox.claim(db, delivery_id, NOW, until) is True
    later = NOW + timedelta(minutes=4)
    assert outbox.claim(db, delivery_id, later, until) is False  # another pass: no
    assert outbox.due_deliveries(db, later) == []
    # a retry asked for meanwhile does not take it from its claimer
    assert outbox.retry_now(db, delivery_id, later) is True
    assert outbox.due_deliveries(db, later) == []
    # the claimer died: when its claim ends the delivery is due again
    assert [d["id"] for d in outbox.due_deliveries(db, until)] == [delivery_id]
    assert outbox.claim(db, delivery_id, until, until + timedelta(minutes=5)) is True
    outbox.mark_sent(db, delivery_id, until)
    assert outbox.claim(db, delivery_id, until + timedelta(hours=1),
                        until + timedelta(hours=2)) is False
