"""The text analysis layer's data files, ``monitor/match/data/text/*.yaml``, read and checked.

Each file is a mapping; per-language entries sit under ``languages`` keyed by ISO 639-1 code.
Files are read once and cached; a file that breaks the shape raises ConfigError
(``config.text_data``).
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import yaml

from monitor.errors import ConfigError


@functools.cache
def load_data(name: str) -> dict[str, Any]:
    """The checked content of ``data/text/NAME`` (cached: read once per process)."""
    path = resources.files("monitor.match").joinpath(f"data/text/{name}")
    return check_data(name, yaml.safe_load(path.read_text(encoding="utf-8")))


def check_data(name: str, data: Any) -> dict[str, Any]:
    """``data`` read from data/text/NAME, or ConfigError: not a mapping, or a language key
    that is not a two-letter code (YAML reads a bare NO as false)."""
    if not isinstance(data, dict):
        raise ConfigError(f"text: {name}: expected a mapping", "config.text_data")
    for code in data.get("languages", {}):
        if not (isinstance(code, str) and len(code) == 2 and code.isalpha() and code.islower()):
            raise ConfigError(f"text: {name}: {code!r} is not a two-letter language code",
                              "config.text_data")
    return data


def word_list(path: str, code: str, values: Any) -> list[str]:
    """``values`` (the entry ``code`` of data file ``path``), or ConfigError if not strings."""
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"text: {path}: {code}: expected a list of words (quote No, On...)",
                          "config.text_data")
    return values
