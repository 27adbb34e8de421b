"""Folding: the case-, diacritic- and variant-insensitive form every token is matched on.

The character tables come from ``data/text/fold.yaml``. Han characters fold to simplified
with OpenCC's character table when the ``opencc`` package is installed
(:data:`HAN_VARIANTS_FOLDED`), so 德國 and 德国 meet; without it they do not.
"""

from __future__ import annotations

import functools
import importlib
import re
import unicodedata
from collections.abc import Callable

from monitor.match.text.data import load_data

_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


@functools.cache
def _fold_tables() -> tuple[dict[int, str], dict[int, str | None], dict[int, str | None],
                            dict[int, str]]:
    data = load_data("fold.yaml")
    punctuation = {ord(variant): target for target, variants in data["punctuation"].items()
                   for variant in variants}
    keep = {ord(letter): chr(0xE000 + i) for i, letter in enumerate(data["keep"])}
    letters: dict[int, str | None] = {ord(k): v for k, v in data["letters"].items()}
    letters.update({ord(k): None for k in data["drop"]})
    letters.update(keep)
    marks: dict[int, str | None] = {}
    for span in data["strip_marks"]:
        low, high = (int(part, 16) for part in span.split("-"))
        marks.update(dict.fromkeys(range(low, high + 1)))
    unkeep = {ord(private): letter for letter, private in zip(data["keep"], keep.values(),
                                                               strict=True)}
    return punctuation, letters, marks, unkeep


def _han_folder() -> Callable[[str], str] | None:
    try:
        opencc = importlib.import_module("opencc")
    except ImportError:
        return None
    converter = opencc.OpenCC("t2s")
    return lambda char: str(converter.convert(char))


_TO_SIMPLIFIED = _han_folder()
HAN_VARIANTS_FOLDED = _TO_SIMPLIFIED is not None  # traditional Han folds to simplified


@functools.lru_cache(maxsize=1 << 14)
def _simplified(char: str) -> str:
    assert _TO_SIMPLIFIED is not None
    folded = _TO_SIMPLIFIED(char)
    return folded if len(folded) == 1 else char


def fold(text: str) -> str:
    """Case-, diacritic- and variant-insensitive form of ``text``, for matching.

    NFKC (full-width and ligatures), casefold (ß -> ss, final ς -> σ), letters NFD cannot
    split (ł -> l, ø -> o, Turkish ı -> i), Latin/Greek/Cyrillic diacritics, Hebrew points and
    Arabic harakat stripped; Cyrillic й ї ў ѓ ќ kept (ё -> е); ’ ʼ ‘ -> ', dashes -> -,
    quotes -> "; traditional Han -> simplified when opencc is installed. The length may change
    (ß -> ss), which is why analyse() folds each token and keeps offsets on the source text.
    """
    punctuation, letters, marks, unkeep = _fold_tables()
    folded = unicodedata.normalize("NFKC", text.translate(punctuation)).casefold()
    folded = unicodedata.normalize("NFD", folded.translate(letters)).translate(marks)
    folded = unicodedata.normalize("NFC", folded).translate(unkeep)
    if _TO_SIMPLIFIED is not None and _HAN.search(folded):
        folded = "".join(_simplified(char) if _HAN.match(char) else char for char in folded)
    return folded
