"""Exact dedup keys: canonical URLs and normalised content hashes."""

from __future__ import annotations

import pytest

from monitor.dedup.exact import canonical_url, content_hash


@pytest.mark.parametrize(("url", "expected"), [
    ("HTTPS://News.Example.ORG/a/b?id=3#top", "https://news.example.org/a/b?id=3"),
    ("https://x.example/p?utm_source=rss&utm_medium=feed&id=7", "https://x.example/p?id=7"),
    ("https://x.example/p?fbclid=abc&gclid=def", "https://x.example/p"),
    ("http://x.example:80/p", "http://x.example/p"),
    ("https://x.example:8443/p", "https://x.example:8443/p"),
    ("https://x.example", "https://x.example/"),
    ("https://x.example/Case/Path", "https://x.example/Case/Path"),
])
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_of_nothing() -> None:
    assert canonical_url(None) is None and canonical_url("") is None


def test_content_hash_ignores_case_spacing_and_punctuation() -> None:
    a = content_hash("Storm hits coast", "Gales and  flooding,\n\nsaid officials.")
    b = content_hash("STORM hits coast!", "Gales and flooding said officials")
    assert a == b
    assert a != content_hash("Storm hits coast", "Gales and flooding, said police.")


def test_content_hash_keeps_scripts_apart() -> None:
    assert content_hash("Киев", "текст") != content_hash("Kiev", "tekst")
