"""The text analysis layer of the matcher: folding, tokens and offsets, lemmas, compounds,
sentences, paragraphs and clauses (monitor/match/text/)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from monitor.errors import ConfigError
from monitor.match.text import (
    Analysis,
    Token,
    analyse,
    check_data,
    clauses,
    compound_languages,
    fold,
    language_settings,
    lemmas_of_phrase,
    matches_compound,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"


def words(text: str, lang: str) -> list[str]:
    return [token.text for token in analyse(text, lang).tokens()]


def lemmas(text: str, lang: str) -> list[str]:
    return [token.lemma for token in analyse(text, lang).tokens()]


def sentences(text: str, lang: str) -> list[str]:
    analysis = analyse(text, lang)
    return [text[s.start:s.end] for s in analysis.sentences]


def contains_run(haystack: list[str] | tuple[str, ...], needle: tuple[str, ...]) -> bool:
    return any(tuple(haystack[i:i + len(needle)]) == needle for i in range(len(haystack)))


# -- fold ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "folded"), [
    ("Éléphant", "elephant"),
    ("Łódź", "lodz"),  # ł has no decomposition: folded by table
    ("Straße", "strasse"),
    ("Ærø Œuvre Þór", "aero oeuvre thor"),
    ("ﬁnance", "finance"),  # NFKC
    ("ＮＡＴＯ", "nato"),  # full width
])
def test_fold_latin(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_cyrillic_keeps_short_i_and_yi_but_folds_yo() -> None:
    assert fold("Ёлка") == "елка"  # ё is mostly printed as е: both meet
    assert fold("Йод") == "йод"  # й is a letter of its own (мой/мои), not и with a mark
    assert fold("Їжак") == "їжак"  # Ukrainian ї ≠ і
    assert fold("мой") != fold("мои")


def test_fold_turkish_dotted_and_dotless_i() -> None:
    # casefold turns capital I into i, so the dotless ı must fold to i for text in capitals
    # to meet text in lower case; İ casefolds to i + combining dot, which is stripped.
    assert fold("ISTANBUL") == fold("İstanbul") == fold("ıstanbul") == "istanbul"
    assert fold("Kırım") == "kirim"


def test_fold_greek_final_sigma_and_accents() -> None:
    assert fold("ΟΔΟΣ") == fold("οδός") == "οδοσ"
    assert fold("Αθήνα") == "αθηνα"
    assert fold("ΐ") == "ι"


def test_fold_arabic_and_hebrew_marks() -> None:
    assert fold("مُحَمَّد") == "محمد"  # harakat stripped
    assert fold("أوكرانيا") == fold("اوكرانيا")  # hamza forms of alef
    assert fold("المملكة") == "المملكه"  # ta marbuta
    assert fold("ـــا") == "ا"  # tatweel
    assert fold("שָׁלוֹם") == "שלום"  # niqqud


def test_fold_keeps_marks_that_are_letters_elsewhere() -> None:
    assert fold("ไม่") == "ไม่"  # Thai tone mark
    assert fold("हिंदी") == "हिंदी"  # Devanagari vowel signs
    assert fold("ガス") == "ガス"  # kana voicing mark survives NFD/NFC


def test_fold_unifies_apostrophes_quotes_and_dashes() -> None:
    assert fold("l’Ukraine") == fold("lʼUkraine") == fold("l'Ukraine") == "l'ukraine"
    assert fold("«a» „b“") == '"a" "b"'
    assert fold("a–b—c‑d") == "a-b-c-d"


def test_fold_traditional_han_to_simplified() -> None:
    pytest.importorskip("opencc")
    assert fold("德國") == fold("德国") == "德国"
    assert fold("烏克蘭") == "乌克兰"
    assert fold("安全保障") == "安全保障"


# -- tokens ----------------------------------------------------------------------------------

def test_tokens_slice_back_to_the_source_on_the_dev_corpus() -> None:
    corpus = SHARED / "corpus"
    if not corpus.exists():
        pytest.skip("shared corpus not present")
    items = [item for path in sorted(corpus.glob("*.yaml"))
             for item in yaml.safe_load(path.read_text("utf-8"))]
    assert len(items) > 50
    for item in items:
        text = f"{item['title']}\n\n{item['text']}"
        analysis = analyse(text, item["lang"])
        tokens = analysis.tokens()
        assert tokens, item["id"]
        for token in tokens:
            assert text[token.start:token.end] == token.text, item["id"]
            if "." not in token.text:  # a dotted abbreviation's norm drops its dots
                assert token.norm == fold(token.text)
        assert [t.start for t in tokens] == sorted(t.start for t in tokens)
        for sentence in analysis.sentences:
            assert all(sentence.start <= t.start < t.end <= sentence.end for t in sentence.tokens)


def test_punctuation_is_no_token_and_offsets_are_exact() -> None:
    text = "Hello, world! (Yes.)"
    tokens = analyse(text, "en").tokens()
    assert [(t.text, t.start, t.end) for t in tokens] == [
        ("Hello", 0, 5), ("world", 7, 12), ("Yes", 15, 18)]


def test_french_elisions_split_other_apostrophes_stay() -> None:
    assert words("l'Ukraine s’engage aujourd'hui jusqu'à Paris", "fr") == [
        "l'", "Ukraine", "s’", "engage", "aujourd'hui", "jusqu'", "à", "Paris"]
    assert words("qu'aujourd'hui", "fr") == ["qu'", "aujourd'hui"]
    tokens = analyse("de l’Ukraine", "fr").tokens()
    assert (tokens[1].text, tokens[1].norm, tokens[1].lemma) == ("l’", "l'", "le")
    assert tokens[2].lemma == "ukraine"


def test_italian_elisions() -> None:
    assert words("dell'Ucraina e l'Italia", "it") == ["dell'", "Ucraina", "e", "l'", "Italia"]


def test_elisions_are_per_language() -> None:
    assert words("l'Ukraine", "en") == ["l'Ukraine"]
    assert words("перемир'я", "uk") == ["перемир'я"]  # the Ukrainian apostrophe is in the word
    assert words("перемирʼя", "uk") == ["перемирʼя"]  # U+02BC, the official one


def test_english_possessive_and_negation_clitics() -> None:
    assert words("Germany's pledge", "en") == ["Germany", "'s", "pledge"]
    assert words("Britain’s army didn't", "en") == ["Britain", "’s", "army", "did", "n't"]
    assert lemmas("didn't", "en") == ["do", "not"]
    assert words("O'Brien", "en") == ["O'Brien"]
    assert words("the countries' plans", "en") == ["the", "countries", "plans"]


def test_turkish_suffix_after_apostrophe() -> None:
    tokens = analyse("Türkiye'nin garantileri", "tr").tokens()
    assert [t.text for t in tokens] == ["Türkiye", "'nin", "garantileri"]
    assert tokens[0].lemma == "turkiye"
    assert tokens[2].lemma == "garanti"


def test_hyphens_split_so_names_inside_are_found() -> None:
    assert words("Der US-Präsident und die Sicherheits-Garantien", "de") == [
        "Der", "US", "Präsident", "und", "die", "Sicherheits", "Garantien"]
    assert words("co-operation", "en") == ["co", "operation"]
    # a hyphenated term is split the same way, so it still meets the text
    assert lemmas_of_phrase("Нью-Йорк", "ru") == ("нью", "йорк")


def test_dotted_abbreviations_and_numbers() -> None:
    tokens = analyse("The U.S. paid 3.5 billion, or 1,340 each, z.B. today", "en").tokens()
    assert [t.text for t in tokens] == [
        "The", "U.S.", "paid", "3.5", "billion", "or", "1,340", "each", "z.B.", "today"]
    assert tokens[1].norm == tokens[1].lemma == "us"


def test_cjk_tokens_are_characters() -> None:
    tokens = analyse("日本と米国は安全保障で合意した。", "ja").tokens()
    assert [t.text for t in tokens][:6] == ["日", "本", "と", "米", "国", "は"]
    assert all(t.end - t.start == 1 and t.lemma == t.norm for t in tokens)
    assert contains_run([t.lemma for t in tokens], lemmas_of_phrase("安全保障", "ja"))
    assert contains_run(lemmas("ドイツ連邦共和国", "ja"), lemmas_of_phrase("ドイツ", "ja"))


def test_cjk_inside_latin_and_han_variants() -> None:
    assert words("NATO加盟", "ja") == ["NATO", "加", "盟"]
    pytest.importorskip("opencc")
    # a simplified lexicon term meets traditional text
    text = "德國與美國承諾提供安全保證。"
    assert contains_run(lemmas(text, "zh"), lemmas_of_phrase("安全保证", "zh"))


def test_korean_syllables_and_thai_clusters() -> None:
    # Korean glues particles to nouns: syllables as tokens let 독일 match 독일은
    assert contains_run(lemmas("독일은 약속했다", "ko"), lemmas_of_phrase("독일", "ko"))
    # Thai: each character with its combining marks (the tone mark stays on its consonant)
    assert words("ไม่", "th") == ["ไ", "ม่"]


def test_tokens_are_frozen() -> None:
    token = analyse("Hallo", "de").tokens()[0]
    assert token == Token("Hallo", 0, 5, "hallo", "hallo", 0)
    with pytest.raises(AttributeError):
        token.text = "x"  # type: ignore[misc]


# -- lemmas ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("word", "lang", "lemma"), [
    ("Niemczech", "pl", "niemcy"),
    ("zobowiązały", "pl", "zobowiazac"),
    ("Францией", "ru", "франция"),
    ("пообещала", "ru", "пообещать"),
    ("Україну", "uk", "україна"),
    ("гарантій", "uk", "гарантія"),
    ("garanties", "fr", "garantie"),
    ("Garanties", "fr", "garantie"),  # sentence-initial capital
    ("zugesagt", "de", "zusagen"),
    ("Sicherheitsgarantien", "de", "sicherheitsgarantie"),
    ("guarantees", "en", "guarantee"),
    ("pledged", "en", "pledge"),
    ("garantías", "es", "garantia"),
    ("garanzie", "it", "garanzia"),
    ("εγγυήσεις", "el", "εγγυηση"),
    ("Γερμανίας", "el", "γερμανια"),
    ("Německa", "cs", "nemecko"),
    ("garantileri", "tr", "garanti"),
    ("وألمانيا", "ar", "المانيا"),  # proclitic wa- stripped by simplemma, then folded
])
def test_lemmas_across_languages(word: str, lang: str, lemma: str) -> None:
    assert lemmas(word, lang) == [lemma]


def test_case_matters_to_simplemma_so_terms_keep_natural_case() -> None:
    # Polish: "Niemcy" the country, "niemcy" the plural of "Niemiec" (a German)
    assert lemmas("Niemcy", "pl") == ["niemcy"]
    assert lemmas("niemcy", "pl") == ["niemiec"]


def test_unknown_compounds_take_the_lemma_of_their_known_head() -> None:
    assert lemmas("säkerhetsgarantierna", "sv") == ["sakerhetsgaranti"]
    assert lemmas("turvatakuista", "fi") == ["turvatakuu"]  # simplemma alone: "turvatakuka"
    assert lemmas("turvatakuut", "fi") == ["turvatakuu"]  # simplemma alone: "turvata"
    assert lemmas("veiligheidsgaranties", "nl") == ["veiligheidsgarantie"]
    assert lemmas("Säkerhetsgarantierna", "sv") == ["sakerhetsgaranti"]  # sentence-initial
    # German heads are looked up as nouns: Waren (goods), not waren (were) -> sein
    assert lemmas("Süßwaren", "de") == ["sussware"]
    assert lemmas("Verkaufsbeginn", "de") == ["verkaufsbeginn"]  # not the verb beginnen
    # not in languages that write compounds apart
    assert lemmas("säkerhetsgarantierna", "en") == ["sakerhetsgarantierna"]


def test_languages_without_lemmatiser_use_the_norm() -> None:
    tokens = analyse("Đức cam kết", "vi").tokens()
    assert [t.lemma for t in tokens] == [t.norm for t in tokens] == ["duc", "cam", "ket"]
    assert language_settings("vi").lemmatizer is None
    assert language_settings("xx").lemmatizer is None
    assert language_settings("no").lemmatizer == "nb"
    assert language_settings("hr").lemmatizer == "hbs"


def test_lexicon_term_meets_inflected_text_on_lemmas() -> None:
    assert lemmas_of_phrase("garanties de sécurité", "fr") == ("garantie", "de", "securite")
    text = "Le Canada a promis de contribuer à la garantie de sécurité accordée à l'Ukraine."
    assert contains_run(lemmas(text, "fr"), lemmas_of_phrase("garanties de sécurité", "fr"))
    text = "Niemcy zobowiązały się w ramach gwarancji bezpieczeństwa dla Ukrainy."
    assert contains_run(lemmas(text, "pl"), lemmas_of_phrase("gwarancje bezpieczeństwa", "pl"))
    assert contains_run(lemmas(text, "pl"), lemmas_of_phrase("Ukraina", "pl"))
    text = "Великобритания пообещала направить инструкторов в рамках гарантий безопасности."
    assert contains_run(lemmas(text, "ru"), lemmas_of_phrase("гарантии безопасности", "ru"))


@pytest.mark.parametrize(("phrase", "lang"), [
    ("garanties de sécurité", "fr"), ("Germany's security guarantees", "en"),
    ("l'Allemagne s'engage", "fr"), ("Sicherheits-Garantien", "de"), ("安全保障", "ja"),
    ("гарантій безпеки", "uk"), ("Türkiye'nin", "tr"), ("U.S. troops", "en"),
])
def test_lemmas_of_phrase_is_analyse_on_the_phrase(phrase: str, lang: str) -> None:
    assert lemmas_of_phrase(phrase, lang) == tuple(t.lemma for t in analyse(phrase, lang).tokens())
    assert lemmas_of_phrase(phrase, lang)


# -- compounds -------------------------------------------------------------------------------

def test_compound_languages_come_from_the_settings_table() -> None:
    assert {"de", "nl", "sv", "da", "no", "fi"} <= compound_languages()
    assert not {"en", "fr", "pl", "ru"} & compound_languages()


@pytest.mark.parametrize(("term", "token", "lang"), [
    ("Garantie", "Sicherheitsgarantien", "de"),  # head
    ("Sicherheitsgarantie", "Sicherheitsgarantien", "de"),  # whole
    ("Sicherheit Garantie", "Sicherheitsgarantien", "de"),  # parts with the linking s
    ("garanti", "säkerhetsgarantierna", "sv"),
    ("takuu", "turvatakuista", "fi"),
    ("garantie", "veiligheidsgaranties", "nl"),
    ("garanti", "sikkerhedsgarantier", "da"),
])
def test_term_matches_as_head_of_a_compound(term: str, token: str, lang: str) -> None:
    assert matches_compound(lemmas_of_phrase(term, lang), lemmas(token, lang)[0], lang)


def test_compound_matching_refuses_what_is_no_compound_head() -> None:
    token = lemmas("Sicherheitsgarantien", "de")[0]
    assert not matches_compound(lemmas_of_phrase("Sicherheit", "de"), token, "de")  # modifier
    assert not matches_compound(lemmas_of_phrase("Garantie", "en"), "sicherheitsgarantie", "en")
    assert not matches_compound(("rat",), "heirat", "de")  # under MIN_HEAD letters
    assert not matches_compound(("garantie",), "ngarantie", "de")  # modifier under 3 letters
    assert not matches_compound(("sicherheit", "garantie"), "sicherheitxgarantie", "de")


def test_compound_modifier_match_is_asked_for() -> None:
    token = lemmas("Ukrainehilfen", "de")[0]
    assert token == "ukrainehilfe"
    assert not matches_compound(("ukraine",), token, "de")
    assert matches_compound(("ukraine",), token, "de", as_modifier=True)
    assert matches_compound(("sicherheit",), "sicherheitsgarantie", "de", as_modifier=True)


# -- sentences and paragraphs ----------------------------------------------------------------

def test_english_sentences_and_abbreviations() -> None:
    text = ("Mr. Smith met Dr. Jones in the U.S. Capitol. J. R. Smith said No. 5 was 3.5 "
            "times bigger! Was it? Yes... It was.")
    assert sentences(text, "en") == [
        "Mr. Smith met Dr. Jones in the U.S. Capitol.",
        "J. R. Smith said No. 5 was 3.5 times bigger!",
        "Was it?", "Yes...", "It was."]


def test_french_sentences_quotes_and_abbreviations() -> None:
    text = ("« L'Allemagne jouera son rôle. » a déclaré M. Macron. Mme Dupont est d'accord. "
            "« Nous sommes prêts. » Paris l'a confirmé.")
    assert sentences(text, "fr") == [
        "« L'Allemagne jouera son rôle. » a déclaré M. Macron.",
        "Mme Dupont est d'accord.",
        "« Nous sommes prêts. »",
        "Paris l'a confirmé."]


def test_german_sentences_ordinals_and_abbreviations() -> None:
    text = ("Am 1. Januar sagte Dr. Müller, z.B. die Mio. Euro seien da. „Wir helfen.“ "
            "sagte sie. Das war 2024. Danach nicht mehr.")
    assert sentences(text, "de") == [
        "Am 1. Januar sagte Dr. Müller, z.B. die Mio. Euro seien da.",
        "„Wir helfen.“ sagte sie.",
        "Das war 2024.",
        "Danach nicht mehr."]
    # in English a number before a dot is no ordinal
    assert len(sentences("He came 3. Then he left.", "en")) == 2


def test_russian_and_polish_sentences() -> None:
    text = "Встреча прошла в г. Москва, т. е. в столице. Потом все уехали."
    assert sentences(text, "ru") == ["Встреча прошла в г. Москва, т. е. в столице.",
                                     "Потом все уехали."]
    text = "Biuro przy ul. Marszałkowskiej otwarto w 2024 r. Polska m.in. Niemcy. To koniec."
    assert sentences(text, "pl") == [
        "Biuro przy ul. Marszałkowskiej otwarto w 2024 r. Polska m.in. Niemcy.", "To koniec."]


def test_greek_question_mark_and_spanish_dotted_abbreviation() -> None:
    assert sentences("Το σχέδιο; Η Ελλάδα συμφώνησε.", "el") == [
        "Το σχέδιο;", "Η Ελλάδα συμφώνησε."]
    assert sentences("Los EE.UU. Trump dijo. Bien.", "es") == ["Los EE.UU. Trump dijo.", "Bien."]


def test_cjk_sentences_need_no_space() -> None:
    assert sentences("日本は約束した。ドイツも！「本当？」と聞いた。", "ja") == [
        "日本は約束した。", "ドイツも！", "「本当？」", "と聞いた。"]


def test_paragraphs_blank_lines_single_lines_and_wrapped_lines() -> None:
    text = ("First paragraph. Still first.\n\nSecond one\n  Third one, a line of its own.\n"
            "Fourth line ends without a dot\nbut this wrapped line continues it.")
    analysis = analyse(text, "en")
    assert [(text[s.start:s.end], s.paragraph) for s in analysis.sentences] == [
        ("First paragraph.", 0), ("Still first.", 0), ("Second one", 1),
        ("Third one, a line of its own.", 2),
        ("Fourth line ends without a dot\nbut this wrapped line continues it.", 3)]


def test_windows_line_breaks() -> None:
    text = "First line.\r\nSecond line.\r\n\r\nThird."
    analysis = analyse(text, "en")
    assert [(text[s.start:s.end], s.paragraph) for s in analysis.sentences] == [
        ("First line.", 0), ("Second line.", 1), ("Third.", 2)]


def test_sentence_at_and_tokens() -> None:
    text = "One two. Three four.\n\nFive."
    analysis = analyse(text, "en")
    assert isinstance(analysis, Analysis)
    assert [t.text for t in analysis.tokens()] == ["One", "two", "Three", "four", "Five"]
    assert analysis.sentence_at(0) == 0
    assert analysis.sentence_at(text.index("four")) == 1
    assert analysis.sentence_at(text.index("Five")) == 2
    assert analysis.sentence_at(8) == 0  # the space between two sentences: the earlier one
    with pytest.raises(IndexError):
        analyse("", "en").sentence_at(0)


# -- clauses ---------------------------------------------------------------------------------

def clause_texts(text: str, lang: str) -> list[str]:
    sentence = analyse(text, lang).sentences[0]
    return [" ".join(t.text for t in clause) for clause in clauses(sentence)]


def test_clauses_split_on_punctuation_and_listed_conjunctions() -> None:
    assert clause_texts("Germany pledged troops but Hungary refused.", "en") == [
        "Germany pledged troops", "but Hungary refused"]
    assert clause_texts("Finland, which had refused last week, now pledged aid.", "en") == [
        "Finland", "which had refused last week", "now pledged aid"]
    assert clause_texts("Polen sagte zu, Ungarn aber lehnte ab.", "de") == [
        "Polen sagte zu", "Ungarn", "aber lehnte ab"]
    assert clause_texts("Франция пообещала, а Венгрия отказалась.", "ru") == [
        "Франция пообещала", "а Венгрия отказалась"]


def test_hyphens_and_elisions_are_no_clause_break() -> None:
    assert clause_texts("Der US-Präsident sagte l'Ukraine zu", "de") == [
        "Der US Präsident sagte l'Ukraine zu"]
    assert clause_texts("La France s'engage - l'Allemagne aussi", "fr") == [
        "La France s' engage", "l' Allemagne aussi"]


# -- data files ------------------------------------------------------------------------------

def test_data_loader_rejects_codes_yaml_misreads() -> None:
    data = yaml.safe_load("languages:\n  NO: [a]\n")
    with pytest.raises(ConfigError, match="two-letter"):
        check_data("x.yaml", data)
    with pytest.raises(ConfigError, match="mapping"):
        check_data("x.yaml", ["a"])
    assert check_data("x.yaml", {"languages": {"no": ["a"]}}) == {"languages": {"no": ["a"]}}


def test_shipped_settings_load_for_every_listed_language() -> None:
    listed = yaml.safe_load(
        (Path(__file__).resolve().parents[1] / "monitor/match/data/text/languages.yaml")
        .read_text("utf-8"))["languages"]
    for code in listed:
        settings = language_settings(code)
        assert settings.lang == code
    assert "Dr" in language_settings("en").abbreviations  # common list
    assert "г" in language_settings("ru").abbreviations
    assert "aber" in language_settings("de").clause_words
    assert "l" in language_settings("fr").elisions
