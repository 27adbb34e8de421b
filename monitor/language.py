"""The language stage: which language an entry is written in.

Two detectors sit behind one small interface, :class:`Detector`:

    py3langid   naive Bayes over byte n-grams, 140 labels, model inside the wheel (default)
    langdetect  port of Google's language-detection, 55 labels, seeded to be deterministic

:func:`detect` runs a detector on the title plus the start of the text, folds its labels into
ISO 639-1 codes with ``monitor/data/lang_labels.toml`` and lets the language the feed declares
weigh in as a prior: ``prior_weight`` is added to the declared language's probability before
the argmax. A declared language tips a short, ambiguous text; it does not override a text the
detector is sure about. :func:`prior_still_trusted` decides when a feed's declaration has been
contradicted often enough to stop applying it. ``docs/language.md`` has the measurements behind
the defaults.

Importing this module imports neither detector library: each model is loaded on first use,
once per process.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Generic, Protocol, TypeVar

from monitor.errors import ConfigError, MonitorError
from monitor.models import Language

logger = logging.getLogger(__name__)

DETECTORS = ("langdetect", "py3langid")
DEFAULT_DETECTOR = "py3langid"
DEFAULT_PRIOR_WEIGHT = 0.2  # added to the declared language's probability (docs/language.md)
UNDETERMINED = "und"

MAX_CHARS = 2000  # title + text past this is not read (accuracy was flat from 300 on)
MIN_LETTERS = 3  # fewer letters than this is no evidence at all
TOP_LABELS = 5  # labels a detector reports; the rest carry next to no probability
DECLARED_ONLY_CONFIDENCE = 0.1  # confidence of a declared language taken without evidence

# Per-feed prior bookkeeping: the pipeline counts, per feed, the detections at or above
# CONFIDENT that agree or disagree with the feed's declared language.
CONFIDENT = 0.9
PRIOR_MIN_DETECTIONS = 10  # judge a feed's declaration only after this many confident ones
PRIOR_MAX_DISAGREE_SHARE = 0.5  # more disagreement than this: stop applying the prior

_DATA_FILE = "lang_labels.toml"
T = TypeVar("T")


class Detector(Protocol):
    """A language identifier: labels and their probabilities for one text."""

    name: str

    def probabilities(self, text: str) -> dict[str, float]:
        """The top few labels, with probabilities normalised over the detector's labels.

        Labels are the detector's own (``zh-cn``, ``wuu``); :func:`detect` maps them.
        An empty dict means the text gave no evidence.
        """
        ...


class _Lazy(Generic[T]):
    """A value built on first use, once per process (double-checked under a lock)."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:
                    started = time.perf_counter()
                    self._value = self._build()
                    logger.info(
                        "language model loaded",
                        extra={"stage": "language", "seconds": time.perf_counter() - started},
                    )
                value = self._value
        return value


class _Ranker(Protocol):
    def rank(self, text: str) -> list[tuple[str, float]]: ...


class _LangProb(Protocol):
    lang: str
    prob: float


class _LangdetectRun(Protocol):
    def append(self, text: str) -> None: ...
    def get_probabilities(self) -> list[_LangProb]: ...


class _LangdetectFactory(Protocol):
    def create(self) -> _LangdetectRun: ...


def _load_py3langid(languages: tuple[str, ...] | None = None) -> _Ranker:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if languages:
        identifier.set_languages(list(languages))
    ranker: _Ranker = identifier
    return ranker


def _load_langdetect() -> _LangdetectFactory:
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(0)  # langdetect samples n-grams at random; a fixed seed fixes the result
    loaded: _LangdetectFactory = factory
    return loaded


_PY3LANGID = _Lazy(_load_py3langid)
_LANGDETECT = _Lazy(_load_langdetect)


def _has_letters(text: str, minimum: int = 1) -> bool:
    return sum(1 for ch in text if ch.isalpha()) >= minimum


class Py3langidDetector:
    """py3langid, optionally restricted to ``languages`` (py3langid labels, e.g. ``"de"``)."""

    name = "py3langid"

    def __init__(self, languages: Iterable[str] | None = None) -> None:
        self.languages = tuple(sorted(set(languages))) if languages else None
        self._model: _Lazy[_Ranker]
        if self.languages:
            restricted = self.languages
            self._model = _Lazy(lambda: _load_py3langid(restricted))
        else:
            self._model = _PY3LANGID  # one unrestricted model per process

    def probabilities(self, text: str) -> dict[str, float]:
        if not _has_letters(text):
            return {}  # py3langid answers a uniform distribution here
        ranked = self._model.get().rank(text)[:TOP_LABELS]
        return {label: float(prob) for label, prob in ranked if prob > 0.0}


class LangdetectDetector:
    """langdetect with a fixed seed: the same text gives the same answer every time."""

    name = "langdetect"

    def probabilities(self, text: str) -> dict[str, float]:
        from langdetect.lang_detect_exception import LangDetectException

        run = _LANGDETECT.get().create()
        run.append(text)
        try:
            found = run.get_probabilities()
        except LangDetectException:  # "No features in text."
            return {}
        return {item.lang: float(item.prob) for item in found[:TOP_LABELS]}


_CONSTRUCTORS: dict[str, Callable[[], Detector]] = {
    "langdetect": LangdetectDetector,
    "py3langid": Py3langidDetector,
}


def make_detector(name: str = DEFAULT_DETECTOR) -> Detector:
    """The detector the setting ``language.detector`` names; its model loads on first use."""
    constructor = _CONSTRUCTORS.get(name)
    if constructor is None:
        allowed = ", ".join(DETECTORS)
        raise ConfigError(
            f"config: language.detector: unknown detector {name!r} (allowed: {allowed})",
            code="config.unknown_detector",
        )
    return constructor()


@dataclass(frozen=True)
class _CodeTable:
    aliases: Mapping[str, str]
    no_language: frozenset[str]
    cldr_aliases: Mapping[str, str]
    known: frozenset[str]


@functools.cache
def _code_table() -> _CodeTable:
    """The data file plus CLDR's aliases and language list (via Babel), loaded once."""
    from babel.core import Locale, get_global

    text = resources.files("monitor").joinpath("data", _DATA_FILE).read_text("utf-8")
    data = tomllib.loads(text)
    aliases = {str(k): str(v) for k, v in data["aliases"].items()}
    for source, target in aliases.items():
        if not (source.isalpha() and 2 <= len(source) <= 3 and _is_iso639_1(target)):
            raise MonitorError(f"language: {_DATA_FILE}: bad alias {source!r} = {target!r}")
    cldr = {
        key: value.split("_")[0]
        for key, value in get_global("language_aliases").items()
        if "_" not in key and len(value.split("_")[0]) == 2
    }
    return _CodeTable(
        aliases=aliases,
        no_language=frozenset(data["no_language"]["codes"]),
        cldr_aliases=cldr,
        known=frozenset(Locale("en").languages),
    )


def _is_iso639_1(code: str) -> bool:
    return len(code) == 2 and code.isascii() and code.isalpha() and code.islower()


def _fold(primary: str) -> str | None:
    """A lower-case primary subtag to the stored code; None for the special codes."""
    table = _code_table()
    code = table.cldr_aliases.get(primary, primary)
    code = table.aliases.get(code, code)
    return None if code in table.no_language else code


def normalise_code(code: str | None) -> str | None:
    """A declared language or a detector label as an ISO 639-1 code where one exists.

    ``"en-US"`` -> ``"en"``, ``"IT-it"`` -> ``"it"``, ``"zh-Hans"`` -> ``"zh"``,
    ``"deu"`` -> ``"de"``, ``"nb-NO"`` -> ``"no"``; empty, malformed or unknown -> None.
    """
    if not code:
        return None
    primary = code.strip().lower().replace("_", "-").split("-")[0]
    if not (primary.isascii() and primary.isalpha() and 2 <= len(primary) <= 3):
        return None
    folded = _fold(primary)
    if folded is None or folded not in _code_table().known:
        return None
    return folded


def _label_code(label: str) -> str | None:
    """A detector label as a stored code (labels are codes already; only folding applies)."""
    primary = label.strip().lower().split("-")[0]
    return _fold(primary) if primary else None


def sample_text(title: str, text: str, max_chars: int = MAX_CHARS) -> str:
    """What the detector reads: the title, then the text, cut at ``max_chars``."""
    return f"{title.strip()}\n{text.strip()}".strip()[:max_chars]


def _evidence(detector: Detector, sample: str) -> dict[str, float]:
    """The detector's probabilities per stored code (folded labels add up)."""
    if not _has_letters(sample, MIN_LETTERS):
        return {}
    evidence: dict[str, float] = {}
    for label, prob in detector.probabilities(sample).items():
        code = _label_code(label)
        if code is not None:
            evidence[code] = evidence.get(code, 0.0) + prob
    return evidence


def _choose(evidence: Mapping[str, float], prior: str | None, prior_weight: float) -> str:
    """The code with the highest probability once the prior's weight is added."""
    scores = dict(evidence)
    if prior is not None:
        scores[prior] = scores.get(prior, 0.0) + prior_weight
    return min(scores, key=lambda code: (-scores[code], code != prior, code))


def detect(
    detector: Detector,
    title: str,
    text: str,
    declared: str | None,
    prior_weight: float = DEFAULT_PRIOR_WEIGHT,
    *,
    max_chars: int = MAX_CHARS,
) -> Language:
    """The language of an entry, with the feed's declared language as a prior.

    The confidence is the detector's probability for the chosen code, from the text alone
    (at least DECLARED_ONLY_CONFIDENCE for the declared language), so a result the prior
    tipped stays low and does not count as a confident detection. Without usable text: the
    declared language at DECLARED_ONLY_CONFIDENCE, else "und" at 0.0.
    """
    if prior_weight < 0:
        raise ValueError(f"language: prior_weight must be >= 0, got {prior_weight}")
    prior = normalise_code(declared)
    evidence = _evidence(detector, sample_text(title, text, max_chars))
    if not evidence:
        if prior is None:
            return Language(UNDETERMINED, 0.0)
        return Language(prior, DECLARED_ONLY_CONFIDENCE)
    code = _choose(evidence, prior, prior_weight)
    if code == prior and code != max(evidence, key=evidence.__getitem__):
        logger.debug(
            "declared language tipped an uncertain detection",
            extra={"stage": "language", "declared": prior, "detector": detector.name},
        )
    confidence = evidence.get(code, 0.0)
    if code == prior:
        confidence = max(confidence, DECLARED_ONLY_CONFIDENCE)
    return Language(code, min(1.0, confidence))


def prior_still_trusted(agree: int, disagree: int) -> bool:
    """Whether a feed's declared language should still be applied as a prior.

    ``agree`` and ``disagree`` count the feed's detections at or above CONFIDENT that match
    or contradict its declared language. The prior goes once there are PRIOR_MIN_DETECTIONS
    of them and more than PRIOR_MAX_DISAGREE_SHARE disagree.
    """
    total = agree + disagree
    if total < PRIOR_MIN_DETECTIONS:
        return True
    return disagree / total <= PRIOR_MAX_DISAGREE_SHARE
