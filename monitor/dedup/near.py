"""Near-duplicates: the same text re-published or lightly edited, found with MinHash.

An article's text is normalised (case and diacritics folded, every number made ``0`` so an
updated figure changes no shingle, punctuation dropped) after its boilerplate is cut
(datelines, agency tags, credit and copyright lines: ``data/boilerplate.yaml``), then cut
into shingles: word 3-grams in scripts written with spaces, character 4-grams in Chinese,
Japanese, Thai and the like. Two MinHash signatures (datasketch, 128 permutations) are
made: of every shingle (the **full** signature) and of the first LEAD shingles (the
**lead**), so that a copy cut after its first paragraph still meets its full version.

LSH bands of both signatures (16 bands of 3 values for the full one, 4 of 4 for the lead)
find candidates (monitor/dedup/lsh.py holds their keys in memory); a candidate is confirmed
as the same story when the estimated Jaccard similarity of the full signatures is at least
JACCARD, or when the smaller text, and its lead, are estimated to be contained in the
larger to at least CONTAINMENT (a truncated copy). Two articles written independently
about one event share few word 3-grams and stay apart.

The signature records its scheme (datasketch's hash scheme, permutations, seed): values
made by another scheme are never compared.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from importlib import resources
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray

from monitor.models import Signature

NUM_PERM = 128
SEED = 7
SCHEME = f"datasketch:affine32:{NUM_PERM}:{SEED}"
FULL_BANDS, FULL_ROWS = 16, 3
LEAD_BANDS, LEAD_ROWS = 4, 4
BAND_KEYS = FULL_BANDS + LEAD_BANDS
# Band keys are stored (signatures.bands, band_snapshot): changing the bands or their mix
# needs a new BAND_LAYOUT and a migration that sets signatures.bands to NULL (remade then).
BAND_LAYOUT = f"{SCHEME}:{FULL_BANDS}x{FULL_ROWS}+{LEAD_BANDS}x{LEAD_ROWS}:mix1"
LEAD = 20  # shingles in the lead signature: a copy cut to its first paragraph shares them
WORD_GRAM, CHAR_GRAM = 3, 4
JACCARD = 0.5  # estimated Jaccard of two full signatures for the same story
CONTAINMENT = 0.8  # the smaller text's share in the larger, for a truncated copy
MIN_SHINGLES = 8  # shorter texts are too small to compare: they start their own story

_UNSPACED = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf"
                       "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_NON_WORD = re.compile(r"[^\w\s]+|_")


def bands(sig: Signature) -> bytes:
    """The LSH band keys of one signature: BAND_KEYS unsigned 32-bit integers, little-endian."""
    return band_bytes(sig.full, sig.lead)


def band_bytes(full: bytes, lead: bytes) -> bytes:
    """The band keys of the stored values ``full`` and ``lead``, as ``bands`` gives them."""
    return bytes(band_keys(np.frombuffer(full, dtype=np.uint32).reshape(1, -1),
                           np.frombuffer(lead, dtype=np.uint32).reshape(1, -1))
                 .astype("<u4").tobytes())


def band_keys(full: NDArray[np.uint32], lead: NDArray[np.uint32]) -> NDArray[np.uint32]:
    """The band keys of many signatures at once (rows of ``full`` and ``lead`` values):
    FULL_BANDS keys of FULL_ROWS values, then LEAD_BANDS keys of LEAD_ROWS lead values; each
    a 32-bit mix of its band's number and values (equal bands, equal keys; a chance
    collision only brings a candidate that the signatures then turn down)."""
    parts = []
    for tag, values, count, rows in ((0, full, FULL_BANDS, FULL_ROWS),
                                     (1, lead, LEAD_BANDS, LEAD_ROWS)):
        bands_of = values[:, :count * rows].astype(np.uint64).reshape(len(values), count, rows)
        mixed = np.arange(count, dtype=np.uint64) + np.uint64(tag << 8) + _SEED
        for row in range(rows):
            mixed = _mix(mixed ^ bands_of[:, :, row])
        parts.append((mixed >> np.uint64(32)).astype(np.uint32))
    return np.concatenate(parts, axis=1)


_SEED = np.uint64(0x9E3779B97F4A7C15)
_PRIME = np.uint64(0xBF58476D1CE4E5B9)


def _mix(values: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """A 64-bit mixing step (multiply and xor-shift; wraps around by design)."""
    values = values * _PRIME
    return values ^ (values >> np.uint64(31))


def jaccard(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.mean(np.frombuffer(a, dtype=np.uint32) == np.frombuffer(b, dtype=np.uint32)))


def same_story(a: Signature, b: Signature) -> float:
    """How surely ``a`` and ``b`` are one story: the larger of their estimated Jaccard and
    the smaller's estimated containment in the larger, when that passes its threshold;
    0.0 when neither does (or the schemes differ)."""
    if a.scheme != b.scheme or min(a.shingles, b.shingles) < MIN_SHINGLES:
        return 0.0
    similarity = jaccard(a.full, b.full)
    if similarity >= JACCARD:
        return similarity
    small, large = sorted((a.shingles, b.shingles))
    contained = _contained(similarity, small, large)
    leads = sorted((min(a.shingles, LEAD), min(b.shingles, LEAD)))
    lead = _contained(jaccard(a.lead, b.lead), *leads)
    if contained >= CONTAINMENT and lead >= CONTAINMENT:
        return min(contained, 1.0)
    return 0.0


def _contained(similarity: float, small: int, large: int) -> float:
    """The share of the smaller set in the larger, from their Jaccard estimate and sizes."""
    return similarity * (small + large) / ((1 + similarity) * small) if small else 0.0


def signature(title: str, text: str) -> Signature | None:
    """The signature of an article (its text; with its title when the text alone is too
    short); None when even both are too short."""
    shingles = _shingles(text)
    if len(set(shingles)) < MIN_SHINGLES:
        shingles = _shingles(f"{title}\n{text}")
    if len(set(shingles)) < MIN_SHINGLES:
        return None
    return Signature(_minhash(set(shingles)), _minhash(set(shingles[:LEAD])),
                     len(set(shingles)), SCHEME)


def _minhash(shingles: set[bytes]) -> bytes:
    from datasketch import MinHash

    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32")
    minhash.update_batch(list(shingles))
    values: Any = minhash.hashvalues
    return bytes(np.asarray(values, dtype=np.uint32).tobytes())


def normalise(text: str) -> str:
    """Boilerplate cut, case and diacritics folded, numbers made 0, punctuation dropped."""
    text = strip_boilerplate(text)
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    folded = _DIGITS.sub("0", folded)
    return " ".join(_NON_WORD.sub(" ", folded).split())


def _shingles(text: str) -> list[bytes]:
    """The text's shingles in order (repeats kept, for the lead)."""
    normal = normalise(text)
    if not normal:
        return []
    unspaced = len(_UNSPACED.findall(normal))
    if unspaced * 2 > len(normal.replace(" ", "")):
        chars = normal.replace(" ", "")
        return [chars[i:i + CHAR_GRAM].encode() for i in range(max(len(chars) - CHAR_GRAM + 1,
                                                                   1))]
    words = normal.split()
    return [" ".join(words[i:i + WORD_GRAM]).encode()
            for i in range(max(len(words) - WORD_GRAM + 1, 1))]


def strip_boilerplate(text: str) -> str:
    """The text without its dateline, agency tags, credit and copyright lines."""
    lead, lines, tail = _boilerplate()
    text = lead.sub("", text.strip(), count=1)
    kept = [line for line in text.splitlines() if not tail.search(line)]
    return "\n".join(lines.sub("", line) for line in kept)


@functools.cache
def _boilerplate() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    path = resources.files("monitor.dedup").joinpath("data/boilerplate.yaml")
    data = yaml.safe_load(path.read_text("utf-8"))
    return (re.compile("|".join(f"(?:{p})" for p in data["dateline"]), re.IGNORECASE),
            re.compile("|".join(f"(?:{p})" for p in data["inline"]), re.IGNORECASE),
            re.compile("|".join(f"(?:{p})" for p in data["credit_line"]), re.IGNORECASE))
