"""OPML 1.0/2.0 subscription lists: read into FeedSpecs, write from feed rows.

Tags come from the folders (parent outlines) a feed sits in and from its ``category``
attribute (comma-separated, ``/`` paths split into their parts).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from monitor.errors import ConfigError
from monitor.models import FeedSpec


def _category_tags(value: str | None) -> list[str]:
    tags: list[str] = []
    for part in (value or "").split(","):
        tags.extend(p.strip() for p in part.split("/") if p.strip())
    return tags


def _walk(node: ET.Element, folders: tuple[str, ...]) -> Iterator[FeedSpec]:
    for outline in node.findall("outline"):
        url = outline.get("xmlUrl") or outline.get("xmlurl")
        label = outline.get("title") or outline.get("text")
        if url:
            tags = dict.fromkeys([*folders, *_category_tags(outline.get("category"))])
            yield FeedSpec(url=url.strip(), title=label, tags=tuple(tags),
                           lang=outline.get("language") or None, source="opml")
        else:
            yield from _walk(outline, (*folders, label) if label else folders)


def read_opml(data: bytes, name: str = "OPML") -> list[FeedSpec]:
    """Every feed in an OPML document; ConfigError naming the file when it is not OPML."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line, col = exc.position
        raise ConfigError(f"opml: {name}:{line}:{col}: not well-formed XML ({exc})",
                          "opml.malformed") from None
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise ConfigError(f"opml: {name}: not an OPML file (no <opml><body>)", "opml.not_opml")
    return list(_walk(body, ()))


def write_opml(rows: Sequence[Mapping[str, Any]], title: str = "news-monitor feeds") -> str:
    """OPML 2.0 with one outline per feed; tags go in ``category``."""
    import json

    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = datetime.now(UTC).strftime(
        "%a, %d %b %Y %H:%M:%S GMT")
    body = ET.SubElement(root, "body")
    for row in rows:
        attrs = {"type": "rss", "text": row["title"] or row["url"], "xmlUrl": row["url"]}
        if row["title"]:
            attrs["title"] = row["title"]
        if row.get("site_url"):
            attrs["htmlUrl"] = row["site_url"]
        tags = json.loads(row["tags"] or "[]")
        if tags:
            attrs["category"] = ",".join(tags)
        if row.get("lang"):
            attrs["language"] = row["lang"]
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
