"""Bytes to the text of an XML feed, and that text made fit for a strict parser.

The character decoding is done here, not left to feedparser, because feedparser trusts the
HTTP headers and the XML prolog over the bytes: given headers without a Content-Type (a
content-location is enough) it reads an undeclared document as ISO-8859-1 and never asks
``chardet``, and it believes a prolog that says windows-1252 over UTF-8. :func:`decode_xml` follows
miniflux's rule instead: bytes that are valid UTF-8 are UTF-8 whatever the prolog claims;
otherwise the declared charset, then ``chardet``, then UTF-8 with stray bytes read as
windows-1252. :func:`prepare_xml` then hands feedparser one clean ``encoding='utf-8'``
declaration, drops characters XML forbids and binds namespace prefixes a feed uses without
declaring them, so the strict parser gets as far as it can.
"""

from __future__ import annotations

import codecs
import re

# UTF-8 sequences per stray byte from which bytes are "UTF-8 with a few strays". Legacy
# text has some byte pairs that happen to form UTF-8: at most 0.35 per stray in the
# real-world fixtures (EUC-JP), none at all in single-byte encodings.
MOSTLY_UTF8 = 2
STRAY_BYTES = "newsmon.cp1252"  # codec error handler: undecodable bytes read as windows-1252
# Encodings a declaration or a detector names, read as the superset browsers use (WHATWG),
# so bytes the subset leaves undefined still decode.
_SUPERSETS = {
    "ascii": "cp1252", "iso8859-1": "cp1252", "iso8859-9": "cp1254", "iso8859-11": "cp874",
    "tis-620": "cp874", "gb2312": "gb18030", "gbk": "gb18030", "euc_kr": "cp949",
    "shift_jis": "cp932", "big5": "big5hkscs",
}
_UNICODE_SNIFF = (  # (leading bytes, codec): BOMs first, then '<' in UTF-32/16 without BOM
    (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_BE, "utf-16"),
    (codecs.BOM_UTF16_LE, "utf-16"), (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"), (b"\x00<", "utf-16-be"), (b"<\x00", "utf-16-le"),
)
_XML_ENCODING = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)")
HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
# Before the root element: whitespace, comments, processing instructions, a doctype.
_PROLOG_ITEM = re.compile(
    r"\s+|<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^>\[]*(?:\[[^\]]*\])?[^>]*>", re.DOTALL | re.IGNORECASE)
XML_DECLARATION = re.compile(r"<\?xml(?![\w.-])[^>]*>", re.IGNORECASE)
ROOT_TAG = re.compile(r"<([A-Za-z_][\w.:-]*)")
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_USED_PREFIX = re.compile(r"</?([A-Za-z_][\w.-]*):[A-Za-z_]")
_DECLARED_PREFIX = re.compile(r"xmlns:([A-Za-z_][\w.-]*)\s*=")
CLEAN_DECLARATION = "<?xml version='1.0' encoding='utf-8'?>\n"
# Prefixes with no entry of their own in feedparser's table: plain RSS and Atom elements.
_PREFIX_EXTRAS = {"rss": "http://backend.userland.com/rss", "atom": "http://www.w3.org/2005/Atom"}
_UNKNOWN_NAMESPACE = "urn:x-newsmon:undeclared:"


def _stray_bytes_as_cp1252(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    chunk = exc.object[exc.start:exc.end]
    return "".join(_cp1252_char(byte) for byte in chunk), exc.end


def _cp1252_char(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:  # the five bytes windows-1252 leaves undefined
        return chr(byte)


codecs.register_error(STRAY_BYTES, _stray_bytes_as_cp1252)


def _codec(name: str | None) -> str | None:
    """Python's codec name for a charset label, or None when Python has no such codec."""
    if not name:
        return None
    for label in (name, name.lower().replace("windows-", "cp")):
        try:
            return codecs.lookup(label).name
        except LookupError:
            continue
    return None


def _strict(body: bytes, codec: str | None) -> str | None:
    """``body`` decoded by ``codec`` (or its superset), None when the bytes do not fit."""
    if codec is None or codec.startswith(("utf-16", "utf-32")):
        return None  # UTF-16/32 are recognised from the bytes (BOM or zero bytes), not labels
    for candidate in (_SUPERSETS.get(codec, codec), codec):
        try:
            return body.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    return None


def _detected(body: bytes) -> str | None:
    import chardet

    return _codec(chardet.detect(body).get("encoding"))


def decode_xml(body: bytes, http_charset: str | None = None) -> str:
    """The text of an XML document, whatever its prolog and headers claim.

    A BOM or UTF-16/32 zero bytes decide first. Then bytes that are valid UTF-8 are UTF-8
    (a prolog that says utf-16 or windows-1252 over UTF-8 bytes is wrong, and legacy text is
    practically never valid UTF-8). Then the HTTP charset, the XML declaration, and chardet,
    each only if the bytes decode with it. Mostly-UTF-8 bytes with a few strays, and
    anything left, are UTF-8 with each stray byte read as windows-1252.
    """
    for lead, unicode_codec in _UNICODE_SNIFF:
        if body.startswith(lead):
            return body.decode(unicode_codec, errors="replace").lstrip("\ufeff")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _XML_ENCODING.search(body[:1024])
    for label in (http_charset, declared.group(1).decode("ascii") if declared else None):
        codec = _codec(label)
        if codec != "utf-8" and (text := _strict(body, codec)) is not None:
            return text
    sequences = _UTF8_SEQUENCE.findall(body)
    strays = len(_HIGH_BYTE.findall(body)) - sum(len(seq) for seq in sequences)
    if len(sequences) < MOSTLY_UTF8 * strays:
        codec = _detected(body)
        if codec not in (None, "utf-8", "ascii") and (text := _strict(body, codec)) is not None:
            return text
    return body.decode("utf-8", errors=STRAY_BYTES)


def _known_prefixes() -> dict[str, str]:
    """Namespace URI by prefix, from feedparser's own table of the namespaces it knows."""
    from feedparser import mixin

    table = getattr(getattr(mixin, "_FeedParserMixin", None), "namespaces", {})
    known = {prefix: uri for uri, prefix in reversed(table.items()) if prefix}
    return {**known, **_PREFIX_EXTRAS}


def _bind_undeclared(text: str, root_end: int) -> str:
    """Namespace declarations on the root element for prefixes used but never declared
    (``<itunes:author>`` without ``xmlns:itunes``): known ones to their namespace, others
    to a placeholder, so the XML parser does not stop at "unbound prefix"."""
    undeclared = set(_USED_PREFIX.findall(text)) - set(_DECLARED_PREFIX.findall(text))
    undeclared -= {"xml", "xmlns"}
    if not undeclared:
        return text
    known = _known_prefixes()
    bindings = "".join(
        f' xmlns:{prefix}="{known.get(prefix, _UNKNOWN_NAMESPACE + prefix)}"'
        for prefix in sorted(undeclared)
    )
    return text[:root_end] + bindings + text[root_end:]


def prepare_xml(text: str) -> str | None:
    """The document as feedparser should see it, or None when it holds no element.

    One ``encoding='utf-8'`` declaration at the very start (stray or misplaced declarations
    after comments dropped), characters XML forbids removed, undeclared prefixes bound.
    """
    text = _NOT_XML_CHARS.sub("", text.lstrip("\ufeff"))
    position = 0
    prolog = []
    while match := _PROLOG_ITEM.match(text, position):
        if not XML_DECLARATION.fullmatch(match.group()):
            prolog.append(match.group())
        position = match.end()
    root = ROOT_TAG.match(text, position)
    if root is None:
        return None if not text[position:].strip() else CLEAN_DECLARATION + text[position:]
    head = CLEAN_DECLARATION + "".join(prolog).strip() + "\n"
    return head + _bind_undeclared(text[position:], root.end() - position)
