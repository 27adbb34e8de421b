"""Messages: a title and a body per format (plain text, Markdown for chat, HTML for email),
rendered from the outbox's message rows.

Everything that comes from a feed (titles, sentences, feed names) is escaped for the
format, a link is made clickable only when it is http(s), and mention syntax is defused
(``@channel``, ``@here``, ``@everyone``, ``<!channel>``, ``<@U123>``): a feed cannot ping a
channel or inject markup.
Matched spans of the sentence are marked (**bold** in Markdown, <b> in HTML, [brackets] in
plain text). A digest lists every hit of its period, and says how many the throttle folded
into it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

TEXT, MARKDOWN, HTML = "text", "markdown", "html"
FORMATS = (TEXT, MARKDOWN, HTML)
DIGEST_SNIPPET = 280  # characters of each sentence in a digest

_MENTION = re.compile(r"(?i)(@)(channel|here|everyone|all)\b|(<)([!@#])")
_SPACES = re.compile(r"\s+")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_~\[\]|])")  # what makes emphasis, code or links


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    format: str


def defuse(text: str) -> str:
    """Mentions made inert with a zero-width space: "@\u200bchannel", "<\u200b!channel>"."""
    return _MENTION.sub(lambda m: (m.group(1) or m.group(3)) + "\u200b"
                        + (m.group(2) or m.group(4)), text)


def escape(text: str, fmt: str) -> str:
    """Feed text made safe for ``fmt``: markup escaped, mentions defused, no line breaks in
    what should be one line."""
    text = defuse(_SPACES.sub(" ", text))
    if fmt == HTML:
        return html.escape(text, quote=True)
    if fmt == MARKDOWN:  # and "<": Slack reads <url|label> as a link
        return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("<", "<\u200b")
    return text


def _link(label: str, url: str | None, fmt: str) -> str:
    if not url or not url.startswith(("http://", "https://")):
        return escape(label, fmt)
    if fmt == HTML:  # the address shown too: mail clients' text part keeps no href
        href = html.escape(url, quote=True)
        return f'<a href="{href}">{escape(label, fmt)}</a><br><a href="{href}">{href}</a>'
    if fmt == MARKDOWN:
        return f"[{escape(label, fmt)}](<{url.replace('>', '%3E')}>)"
    return f"{escape(label, fmt)}\n{url}"


def marked(snippet: str, spans: Sequence[Sequence[Any]], fmt: str) -> str:
    """The sentence with its matched spans marked; overlapping spans are merged."""
    ranges: list[list[int]] = []
    for _, start, end in sorted((s for s in spans if 0 <= s[1] < s[2] <= len(snippet)),
                                key=lambda s: s[1]):
        if ranges and start <= ranges[-1][1]:
            ranges[-1][1] = max(ranges[-1][1], end)
        else:
            ranges.append([start, end])
    opening, closing = {HTML: ("<b>", "</b>"), MARKDOWN: ("**", "**")}.get(fmt, ("[", "]"))
    pieces, position = [], 0
    for start, end in ranges:
        pieces += [escape(snippet[position:start], fmt) if position < start else "",
                   opening + escape(snippet[start:end], fmt) + closing]
        position = end
    pieces.append(escape(snippet[position:], fmt))
    return "".join(pieces).strip()


def render(message: Mapping[str, Any], fmt: str,
           country_name: Callable[[str], str]) -> Rendered:
    """The title and body of an outbox message (see store.outbox.message) in ``fmt``."""
    payload = message["payload"]
    kind = message["kind"]
    if kind == "test":
        return Rendered("news-monitor: test message",
                        _paragraph(escape(f"A test from news-monitor to channel "
                                          f"{message['channel']}.", fmt), fmt), fmt)
    if kind == "health":
        return Rendered(defuse(payload["title"]), _paragraph(escape(payload["text"], fmt), fmt),
                        fmt)
    hits = message["hits"]
    severity = str(payload.get("severity", "medium")).upper()
    rule_title = payload.get("rule_title") or message.get("rule_id") or "rule"
    if kind == "alert" and len(hits) == 1:
        hit = hits[0]
        countries = _countries(hit, country_name)
        title = f"[{severity}] {rule_title}" + (f": {countries}" if countries else "")
        return Rendered(defuse(title), _hit_body(hit, fmt, country_name, whole=True,
                                                 rule=payload), fmt)
    folded = int(payload.get("folded", 0))
    title = f"[{severity}] {rule_title}: {len(hits)} hit{'s' * (len(hits) != 1)}"
    lead = escape(f"Digest of {len(hits)} hit{'s' * (len(hits) != 1)} of rule "
                  f"{message.get('rule_id')}"
                  + (f", {folded} of them held back by the rule's throttle" if folded else "")
                  + ".", fmt)
    parts = [_paragraph(lead, fmt)]
    parts += [_hit_body(hit, fmt, country_name, whole=False, rule=payload) for hit in hits]
    return Rendered(defuse(title), _join(parts, fmt), fmt)


def _countries(hit: Mapping[str, Any], country_name: Callable[[str], str]) -> str:
    codes = [code for codes in hit.get("captures", {}).values() for code in codes]
    return ", ".join(dict.fromkeys(country_name(code) for code in codes))


def _hit_body(hit: Mapping[str, Any], fmt: str, country_name: Callable[[str], str], *,
              whole: bool, rule: Mapping[str, Any]) -> str:
    snippet = hit.get("snippet") or ""
    spans = hit.get("spans") or []
    if not whole and len(snippet) > DIGEST_SNIPPET:
        cut = snippet[:DIGEST_SNIPPET].rsplit(" ", 1)[0] + " …"
        spans = [s for s in spans if s[2] <= len(cut)]
        snippet = cut
    sentence = marked(snippet, spans, fmt)
    countries = _countries(hit, country_name)
    published = _when(hit.get("published_at"))
    meta = " · ".join(x for x in (hit.get("feed") or "", hit.get("lang") or "", published) if x)
    lines = []
    if countries:
        lines.append(_strong(escape(countries, fmt), fmt))
    lines.append(_quote(sentence, fmt))
    lines.append(_link(hit.get("title") or hit.get("url") or "(untitled)", hit.get("url"), fmt))
    lines.append(escape(meta, fmt))
    sources = hit.get("sources") or []
    if len(sources) > 1:
        lines.append(escape(f"{len(sources)} sources: {', '.join(sources)}", fmt))
    if whole and rule.get("description"):
        lines.append(escape(f"Rule {hit.get('rule_id')}: {rule['description']}", fmt))
    return _join([_paragraph(line, fmt) for line in lines], fmt)


def _when(value: str | None) -> str:
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return value


def _strong(text: str, fmt: str) -> str:
    return {HTML: f"<b>{text}</b>", MARKDOWN: f"**{text}**"}.get(fmt, text)


def _quote(text: str, fmt: str) -> str:
    return {HTML: f"<blockquote>{text}</blockquote>", MARKDOWN: f"> {text}"}.get(
        fmt, f"“{text}”")


def _paragraph(text: str, fmt: str) -> str:
    return text if fmt != HTML or text.startswith(("<blockquote>", "<p>")) else f"<p>{text}</p>"


def _join(parts: Sequence[str], fmt: str) -> str:
    return ("\n" if fmt == HTML else "\n\n").join(part for part in parts if part)
