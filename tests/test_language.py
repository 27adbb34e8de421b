"""The language stage: code normalisation, both detectors, label folding, the declared prior."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from monitor import language
from monitor.errors import ConfigError
from monitor.language import (
    DECLARED_ONLY_CONFIDENCE,
    DEFAULT_PRIOR_WEIGHT,
    MAX_CHARS,
    detect,
    make_detector,
    normalise_code,
    prior_still_trusted,
)
from monitor.models import Language

REPO = Path(__file__).resolve().parent.parent

SENTENCES = {
    "en": "The government announced on Tuesday that it will increase funding for public "
    "hospitals and schools next year.",
    "fr": "Le gouvernement a annoncé mardi qu'il allait augmenter le financement des hôpitaux "
    "publics et des écoles l'année prochaine.",
    "de": "Die Regierung hat am Dienstag angekündigt, die Mittel für öffentliche Krankenhäuser "
    "und Schulen im nächsten Jahr zu erhöhen.",
    "es": "El gobierno anunció el martes que aumentará la financiación de los hospitales "
    "públicos y las escuelas el próximo año.",
    "it": "Il governo ha annunciato martedì che il prossimo anno aumenterà i finanziamenti per "
    "gli ospedali pubblici e le scuole.",
    "pl": "Rząd ogłosił we wtorek, że w przyszłym roku zwiększy finansowanie publicznych "
    "szpitali i szkół.",
    "uk": "Уряд у вівторок оголосив, що наступного року збільшить фінансування державних "
    "лікарень і шкіл.",
    "ru": "Правительство во вторник объявило, что в следующем году увеличит финансирование "
    "государственных больниц и школ.",
    "ja": "政府は火曜日、来年度に公立病院と学校への予算を増やすと発表した。",
    "zh": "政府周二宣布，明年将增加对公立医院和学校的资金投入。",
    "ar": "أعلنت الحكومة يوم الثلاثاء أنها ستزيد تمويل المستشفيات العامة والمدارس في العام المقبل.",
}

LONG_GERMAN = (
    "Die Bundesregierung hat am Dienstag zugesagt, sich mit zwei Patriot-Batterien an den "
    "Sicherheitsgarantien für die Ukraine zu beteiligen. Das sagte ein Regierungssprecher in "
    "Berlin. Die Opposition kritisierte, der Bundestag sei vorher nicht gefragt worden."
)


class FakeDetector:
    """A detector that answers fixed probabilities and records what it was asked."""

    name = "fake"

    def __init__(self, answer: dict[str, float]) -> None:
        self.answer = answer
        self.seen: list[str] = []

    def probabilities(self, text: str) -> dict[str, float]:
        self.seen.append(text)
        return dict(self.answer)


@pytest.fixture(scope="module", params=language.DETECTORS)
def detector(request: pytest.FixtureRequest) -> language.Detector:
    return make_detector(request.param)


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("en-US", "en"),
        ("en_us", "en"),
        ("IT-it", "it"),
        ("zh-Hans", "zh"),
        ("zh-TW", "zh"),
        (" \t fr \n", "fr"),
        ("de", "de"),
        ("deu", "de"),  # ISO 639-2 -> 639-1 (CLDR)
        ("eng", "en"),
        ("iw", "he"),  # deprecated code (CLDR)
        ("nb-NO", "no"),  # data file: one Norwegian code
        ("yue-HK", "zh"),
        ("fil", "fil"),  # no ISO 639-1 code: the three letters stay
        ("", None),
        (None, None),
        ("   ", None),
        ("english", None),
        ("xx", None),
        ("12", None),
        ("x-klingon", None),
        ("und", None),
        ("mul", None),
    ],
)
def test_normalise_code(declared: str | None, expected: str | None) -> None:
    assert normalise_code(declared) == expected


@pytest.mark.parametrize("lang", sorted(SENTENCES))
def test_detects_clear_sentences(detector: language.Detector, lang: str) -> None:
    found = detect(detector, "", SENTENCES[lang], None, 0.0)
    assert found.code == lang
    assert 0.5 < found.confidence <= 1.0


def test_langdetect_chinese_labels_fold_to_zh() -> None:
    found = detect(make_detector("langdetect"), "", SENTENCES["zh"], None, 0.0)
    assert found.code == "zh"  # langdetect says "zh-cn"


def test_folded_labels_map_without_a_model() -> None:
    assert detect(FakeDetector({"wuu": 0.9}), "标题", "正文", None, 0.0) == Language("zh", 0.9)


def test_folded_labels_add_up() -> None:
    fake = FakeDetector({"zh": 0.4, "wuu": 0.2, "yue": 0.1, "ja": 0.3})
    found = detect(fake, "", "新闻标题和正文", None, 0.0)
    assert found.code == "zh"
    assert found.confidence == pytest.approx(0.7)


def test_no_language_labels_are_dropped() -> None:
    found = detect(FakeDetector({"zxx": 0.8, "en": 0.2}), "", "abc def", None, 0.0)
    assert found == Language("en", 0.2)


def test_prior_tips_an_ambiguous_text() -> None:
    fake = FakeDetector({"nl": 0.40, "de": 0.35, "af": 0.25})
    assert detect(fake, "Berlin", "", None, DEFAULT_PRIOR_WEIGHT).code == "nl"
    tipped = detect(fake, "Berlin", "", "de-DE", DEFAULT_PRIOR_WEIGHT)
    assert tipped.code == "de"
    assert tipped.confidence == pytest.approx(0.35)  # the text's evidence, not the prior's


def test_prior_tips_a_real_short_headline() -> None:
    py3langid = make_detector("py3langid")
    assert detect(py3langid, "Berlin", "", None, DEFAULT_PRIOR_WEIGHT).code != "de"
    assert detect(py3langid, "Berlin", "", "de", DEFAULT_PRIOR_WEIGHT).code == "de"


def test_prior_does_not_override_a_confident_detection(detector: language.Detector) -> None:
    found = detect(detector, "Zusagen für die Ukraine", LONG_GERMAN, "en", 0.5)
    assert found.code == "de"
    assert found.confidence > 0.9


def test_prior_does_not_override_a_confident_fake() -> None:
    assert detect(FakeDetector({"fr": 0.95, "en": 0.05}), "", "abc", "en", 0.5).code == "fr"


@pytest.mark.parametrize(
    ("title", "text"), [("", ""), ("  ", "\n"), ("12:30", "2026"), ("", "a-b")]
)
def test_no_evidence_is_und_or_declared(title: str, text: str) -> None:
    fake = FakeDetector({"en": 1.0})
    assert detect(fake, title, text, None, 0.3) == Language("und", 0.0)
    assert detect(fake, title, text, "fr-FR", 0.3) == Language("fr", DECLARED_ONLY_CONFIDENCE)
    assert fake.seen == []  # too little text never reaches the detector


def test_detector_without_evidence_falls_back_to_declared(detector: language.Detector) -> None:
    assert detect(detector, "", "+++ !!! ---", "it", 0.2) == Language("it", 0.1)


def test_reads_title_then_capped_text() -> None:
    fake = FakeDetector({"en": 1.0})
    detect(fake, "Headline", "word " * 5000, None, 0.0)
    assert fake.seen[0].startswith("Headline\nword")
    assert len(fake.seen[0]) == MAX_CHARS


def test_confidence_is_clamped() -> None:
    assert detect(FakeDetector({"en": 0.8, "eng": 0.7}), "", "text", None, 0.0).confidence == 1.0


def test_negative_prior_weight_is_refused() -> None:
    with pytest.raises(ValueError, match="prior_weight"):
        detect(FakeDetector({"en": 1.0}), "", "text", "en", -0.1)


def test_unknown_detector_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as raised:
        make_detector("fasttext")
    message = str(raised.value)
    assert "language.detector" in message
    assert "'fasttext'" in message
    assert "langdetect" in message and "py3langid" in message
    assert raised.value.code.startswith("config.")


def test_default_detector_is_py3langid() -> None:
    assert make_detector().name == "py3langid"


def test_langdetect_is_deterministic() -> None:
    # Unseeded, langdetect gives this headline different probabilities from run to run.
    headline = "Nordmann dømt til livstid"
    answers = {
        tuple(sorted(make_detector("langdetect").probabilities(headline).items()))
        for _ in range(10)
    }
    assert len(answers) == 1


def test_probabilities_are_few_and_normalised(detector: language.Detector) -> None:
    probabilities = detector.probabilities("Mining blasts shatter homes")
    assert 0 < len(probabilities) <= language.TOP_LABELS
    assert all(0.0 <= p <= 1.0 for p in probabilities.values())
    assert sum(probabilities.values()) <= 1.0 + 1e-6


def test_restricted_py3langid_only_answers_its_languages() -> None:
    restricted = language.Py3langidDetector(["de", "nl"])
    assert set(restricted.probabilities(SENTENCES["en"])) <= {"de", "nl"}


@pytest.mark.parametrize(
    ("agree", "disagree", "trusted"),
    [(0, 0, True), (3, 6, True), (4, 6, False), (5, 5, True), (10, 0, True), (40, 60, False)],
)
def test_prior_still_trusted(agree: int, disagree: int, trusted: bool) -> None:
    assert prior_still_trusted(agree, disagree) is trusted


def test_label_data_file_ships_with_two_letter_targets() -> None:
    text = resources.files("monitor").joinpath("data", "lang_labels.toml").read_text("utf-8")
    data = tomllib.loads(text)
    assert data["aliases"]["wuu"] == "zh"
    assert all(len(v) == 2 and v.isalpha() for v in data["aliases"].values())


def test_import_loads_no_detector_library() -> None:
    code = (
        "import sys, monitor.language; "
        "print(sorted({'py3langid', 'langdetect'} & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_model_is_built_once_under_concurrent_first_use() -> None:
    builds: list[int] = []

    def build() -> int:
        time.sleep(0.05)
        builds.append(1)
        return len(builds)

    lazy = language._Lazy(build)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(lazy.get())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert builds == [1]
    assert results == [1] * 8
