"""Feed HTML and text fields as clean plain text: entities decoded once, scripts and styles
dropped, paragraphs kept, titles on one line."""

from __future__ import annotations

import hashlib
import re

from monitor.parse.encoding import XML_DECLARATION

_BLANK_LINES = re.compile(r"\n\s*\n\s*")
_SPACES = re.compile(r"[ \t\u00a0\u200b]+")
_MARKUP = re.compile(
    r"</?(p|a|br|div|span|img|em|strong|b|i|ul|ol|li|h[1-6]|blockquote|figure|table)\b[^<>]*>",
    re.IGNORECASE)


def html_to_text(html: str) -> str:
    """Plain text from an HTML fragment: entities decoded (once), scripts and styles
    dropped, one blank line between paragraphs.

    A fragment with no tag at all whose text is markup (``&lt;p&gt;...``, HTML escaped
    twice by its publisher) is read as the HTML it stands for.
    """
    if "<" not in html and "&" not in html:
        return tidy_text(html)
    text = _render_html(html)
    if "<" not in html and _MARKUP.search(text):
        text = _render_html(text)
    return text


def _render_html(html: str) -> str:
    import lxml.html
    from inscriptis.html_engine import Inscriptis
    from lxml.etree import ParserError

    try:
        tree = lxml.html.document_fromstring(XML_DECLARATION.sub("", html, count=1))
    except (ParserError, ValueError):  # nothing but comments or whitespace
        return ""
    for node in tree.iter():
        # lxml has decoded the entities already; inscriptis unescapes text once more, which
        # would turn an escaped "&amp;" into "&". Re-escape so that second pass is a no-op.
        if node.text:
            node.text = node.text.replace("&", "&amp;")
        if node.tail:
            node.tail = node.tail.replace("&", "&amp;")
    return tidy_text(Inscriptis(tree).get_text())


def tidy_text(text: str) -> str:
    """Runs of spaces as one, lines trimmed, at most one blank line between paragraphs."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def one_line(text: str) -> str:
    """A title: all whitespace, newlines included, as single spaces."""
    return " ".join(text.split())


def make_guid(*parts: str | None) -> str:
    """A stable id for entries that carry none."""
    return "sha1:" + hashlib.sha1("\x1f".join(p or "" for p in parts).encode()).hexdigest()
