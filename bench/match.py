"""Benchmark of the match stage: N generated rules over real news, against naive regexes.

Plain script, no pytest. Run from the repository root:

    python bench/match.py [--shared ../shared] [--rules 10,100,1000] [--articles 1000]
                          [--naive-sample 100] [--terms 3] [--languages en,fr,...] [--seed 7]

Articles: the labelled corpus (shared/corpus/*.yaml) and the real articles of
shared/real/datasets/fundus-article-texts, loaded as bench/language.py loads them (title and
text; the language from the label or the publisher's country, unclear publishers skipped),
shuffled with the seed and cycled to --articles. Languages are known: no detection.

Rules, for each N: N rules of the example rule's shape, written as YAML to a temporary rules
folder and read back with load_rules::

    match: {all: [{concept: topic-I, context: {previous_sentences: 1, title: true}},
                  {entity: country, except: [XX], capture: country},
                  {concept: act-J}]}
    unless: [{concept: cue-K}]

Each rule has its own topic concept; act concepts are shared by ten rules, cue concepts by a
hundred (as rules share "commitment" and "refusal"). Each concept has --terms terms in every
language of the stream, real words of that language drawn with the seed so that the concept
occurs in about a set share of that language's articles (PRESENCE: topic 1%, act 20%, cue
50%): a stream word (4+ letters, written as its own lemma; 2-character runs in Han, kana and
Hangul text) whose lemma that share of the articles holds, or, when that is under one
article, with that chance a word only one article holds and otherwise two stream words that
never stand together in the stream (real words, no hit). So some articles hold some terms,
as with a real rule set, and a topic is as rare in a language of 3 articles as in one of
100; with N rules an article holds about N/100 topics.

Phases, for each N, all in one run:

  load          load_rules + Matcher(...) on the folder
  build         each language's automata (lexicon and presearch) at first use, with the word
                caches emptied first
                (simplemma's dictionaries are loaded once before anything is timed, and
                reported apart: analyse() needs them whatever the rules)
  stream        Matcher.match() on every article, word caches warm (an untimed pass of
                analyse() and the presearch first, as a daemon sees the same words day after
                day); split into the presearch pass, analyse() and Lexicon.find() (on the
                articles the presearch lets through, share shown) and the rest (rule
                evaluation)
  naive         every rule as regexes: per concept and language one alternation of folded
                terms, and one alternation of the language's folded country names, searched
                sentence by sentence in the folded text (split on .!?。 and line breaks), all
                three in one sentence and no cue; no lemmas, no context. Above 100 rules it
                runs on --naive-sample articles spread over the stream, extrapolated.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import os
import platform
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from tabulate import tabulate

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import language as language_bench  # noqa: E402  (bench/language.py: the corpus loaders)

from monitor.match import lexicon as lexicon_module  # noqa: E402
from monitor.match import matcher as matcher_module  # noqa: E402
from monitor.match import text  # noqa: E402
from monitor.match.countries import country_terms  # noqa: E402
from monitor.match.countries import languages as country_languages  # noqa: E402
from monitor.match.matcher import Matcher  # noqa: E402
from monitor.match.presearch import Scan  # noqa: E402
from monitor.match.rules import load_rules  # noqa: E402

TARGET_ARTICLES_PER_S = 1000  # with 100 rules, one core
TARGET_RATIO = 2.0  # time of 1,000 rules / time of 10 rules
NAIVE_FULL_MAX = 100  # rules; above, the naive baseline runs on a sample
WORDS_PER_ARTICLE = 400  # the article size the target is read against (bench/text.py)
PRESENCE = {"topic": 0.01, "act": 0.2, "cue": 0.5}  # share of articles holding a concept
UNSPACED_LANGS = {"ja", "zh", "ko"}  # terms: 2-character runs (ko: syllables are tokens)
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]{2,}")
_NAIVE_SENTENCES = re.compile(r"(?<=[.!?。！？])\s+|[\n\r]+")


@dataclass(frozen=True)
class Article:
    lang: str
    title: str
    text: str
    words: int


# --- the stream and its vocabulary ----------------------------------------------------------


def load_stream(shared: Path, count: int, seed: int, only: set[str]) -> list[Article]:
    items = language_bench.load_corpus(shared) + language_bench.load_fundus(shared)
    base = [Article(i.lang, i.title, i.text, len(f"{i.title} {i.text}".split()))
            for i in items if i.text and (not only or i.lang in only)]
    random.Random(seed).shuffle(base)
    return [base[i % len(base)] for i in range(count)] if base else []


def _article_words(article: Article) -> dict[str, set[str]]:
    """What an article holds, as the lexicon sees it: every token's lemma and norm, each
    mapped to the words written so (only words of 4+ letters that are their own lemma:
    a term written so meets the article on that lemma). In Han, kana and Hangul text,
    2-character runs, each its own written form."""
    body = f"{article.title}\n\n{article.text}"
    if article.lang in UNSPACED_LANGS:
        return {text.fold(run[i:i + 2]): {run[i:i + 2]} for run in _CJK_RUN.findall(body)
                for i in range(len(run) - 1)}
    held: dict[str, set[str]] = {}
    for token in text.analyse(body, article.lang).tokens():
        written = held.setdefault(token.lemma, set())
        held.setdefault(token.norm, set())
        if token.lemma == token.norm and len(token.text) >= 4 and token.text.isalpha():
            written.add(token.text)
    return held


@dataclass
class Vocabulary:
    """Per language: its distinct articles (count, folded texts), its words, and the words
    by how many of its articles hold their lemma."""

    articles: Counter[str] = field(default_factory=Counter)
    texts: dict[str, list[str]] = field(default_factory=dict)
    words: dict[str, list[str]] = field(default_factory=dict)
    by_count: dict[str, dict[int, list[str]]] = field(default_factory=dict)


def vocabulary(articles: Sequence[Article]) -> Vocabulary:
    """The stream's words (see _article_words), counted by articles."""
    held: dict[str, Counter[str]] = {}
    written: dict[str, dict[str, set[str]]] = {}
    vocab = Vocabulary()
    for article in sorted({id(a): a for a in articles}.values(),
                          key=lambda a: (a.lang, a.title, a.text)):
        vocab.articles[article.lang] += 1
        vocab.texts.setdefault(article.lang, []).append(
            text.fold(f"{article.title} {article.text}"))
        forms = _article_words(article)
        held.setdefault(article.lang, Counter()).update(forms.keys())
        for key, words in forms.items():
            written.setdefault(article.lang, {}).setdefault(key, set()).update(words)
    for lang, counter in held.items():
        groups: dict[int, list[str]] = {}
        for key, words in sorted(written[lang].items()):
            for word in sorted(words):
                groups.setdefault(counter[key], []).append(word)
        if groups:
            vocab.by_count[lang] = groups
            vocab.words[lang] = sorted({w for words in groups.values() for w in words})
    return vocab


def _term(rng: random.Random, vocab: Vocabulary, lang: str, share: float) -> str:
    """A real word of ``lang`` held by about ``share`` of its articles: a stream word held by
    that many, or when that is under one article, with that chance a word held by one, else
    two stream words that never stand together in the stream (real words, no hit)."""
    wanted = share * vocab.articles[lang]
    groups = vocab.by_count[lang]
    if wanted >= 1:
        near = [n for n in groups if wanted / 2 <= n <= wanted * 2] \
            or [min(groups, key=lambda n: abs(n - wanted))]
        return rng.choice(groups[rng.choice(near)])
    if 1 in groups and rng.random() < wanted:
        return rng.choice(groups[1])
    words = vocab.words[lang]
    joiner = "" if lang in UNSPACED_LANGS else " "
    texts = vocab.texts[lang]
    while True:
        phrase = joiner.join(rng.sample(words, 2)) if len(words) > 1 else words[0] * 2
        folded = text.fold(phrase)
        if not any(folded in body for body in texts):
            return phrase


def _terms(rng: random.Random, vocab: Vocabulary, lang: str, kind: str, count: int
           ) -> list[str]:
    share = 1 - (1 - PRESENCE[kind]) ** (1 / count)  # per term, for the concept's share
    return sorted({_term(rng, vocab, lang, share) for _ in range(count)})


# --- rules ----------------------------------------------------------------------------------


def write_rules(folder: Path, count: int, vocab: Vocabulary, terms: int, seed: int) -> None:
    """``count`` rules of the example's shape and their concepts, as YAML in ``folder``."""
    rng = random.Random(seed * 1_000_003 + count)
    concepts = folder / "concepts"
    concepts.mkdir(parents=True)
    codes = sorted({t.code for t in country_terms("en")})
    acts, cues = max(1, count // 10), max(1, count // 100)

    def concept(name: str, kind: str) -> None:
        body = {"name": name, "terms": {lang: _terms(rng, vocab, lang, kind, terms)
                                        for lang in sorted(vocab.words)}}
        (concepts / f"{name}.yaml").write_text(yaml.safe_dump(body, allow_unicode=True),
                                               "utf-8")

    for index in range(acts):
        concept(f"act-{index:04d}", "act")
    for index in range(cues):
        concept(f"cue-{index:04d}", "cue")
    for index in range(count):
        concept(f"topic-{index:04d}", "topic")
        rule = {
            "id": f"generated-{index:04d}",
            "title": f"Generated rule {index}",
            "match": {"all": [
                {"concept": f"topic-{index:04d}",
                 "context": {"previous_sentences": 1, "title": True}},
                {"entity": "country", "except": [rng.choice(codes)], "capture": "country"},
                {"concept": f"act-{index % acts:04d}"},
            ]},
            "unless": [{"concept": f"cue-{index % cues:04d}"}],
        }
        (folder / f"generated-{index:04d}.yaml").write_text(
            yaml.safe_dump(rule, allow_unicode=True, sort_keys=False), "utf-8")


# --- the matcher ----------------------------------------------------------------------------


@dataclass
class Split:
    """Seconds spent in the presearch pass, analyse() and Lexicon.find(), and rules
    evaluated and articles analysed, during a pass."""

    presearch: float = 0.0
    analysed: int = 0
    analyse: float = 0.0
    find: float = 0.0
    evaluated: int = 0


def instrument(matcher: Matcher, split: Split) -> Callable[[], None]:
    """Time the presearch pass, analyse() and find() inside Matcher.match and count evaluated
    rules; returns the undo. The wrappers cost about a microsecond a call."""
    analyse, find, evaluate = matcher_module.analyse, matcher.lexicon.find, \
        matcher_module.evaluate_rule
    scan = matcher.presearch.scan

    def timed_scan(body: str, lang: str, title_end: int = 0) -> Scan:
        started = time.perf_counter()
        try:
            return scan(body, lang, title_end)
        finally:
            split.presearch += time.perf_counter() - started

    def timed_analyse(body: str, lang: str, only: frozenset[int] | None = None
                      ) -> text.Analysis:
        started = time.perf_counter()
        split.analysed += 1
        try:
            return analyse(body, lang, only)
        finally:
            split.analyse += time.perf_counter() - started

    def timed_find(analysis: text.Analysis) -> list[lexicon_module.Found]:
        started = time.perf_counter()
        try:
            return find(analysis)
        finally:
            split.find += time.perf_counter() - started

    def counted_evaluate(*args: Any) -> Any:
        split.evaluated += 1
        return evaluate(*args)

    matcher_module.analyse = timed_analyse  # type: ignore[assignment]
    matcher.presearch.scan = timed_scan  # type: ignore[method-assign]
    matcher.lexicon.find = timed_find  # type: ignore[method-assign]
    matcher_module.evaluate_rule = counted_evaluate  # type: ignore[assignment]

    def undo() -> None:
        matcher_module.analyse = analyse
        matcher_module.evaluate_rule = evaluate
        del matcher.lexicon.find
        del matcher.presearch.scan

    return undo


def clear_word_caches() -> None:
    text.word_forms.cache_clear()
    for name in ("phrase_forms",):  # the lexicon's term cache, where it has one
        cached = getattr(lexicon_module, name, None)
        if cached is not None:
            cached.cache_clear()


@dataclass
class Run:
    rules: int
    load: float
    builds: dict[str, float]
    seconds: float
    split: Split
    hits: int
    articles_hit: int
    articles: int
    words: int


def run_matcher(folder: Path, count: int, articles: Sequence[Article],
                langs: Sequence[str]) -> Run:
    started = time.perf_counter()
    matcher = Matcher(load_rules(folder))
    load = time.perf_counter() - started
    clear_word_caches()
    gc.collect()
    builds = {}
    for lang in langs:
        started = time.perf_counter()
        matcher.lexicon.automaton(lang)
        matcher.presearch.automaton(lang)
        builds[lang] = time.perf_counter() - started
    for article in {id(a): a for a in articles}.values():  # warm the word caches, untimed
        body = f"{article.title}\n\n{article.text}"
        text.analyse(body, article.lang)
        matcher.presearch.scan(body, article.lang)
    split = Split()
    undo = instrument(matcher, split)
    gc.collect()
    hits = articles_hit = 0
    started = time.perf_counter()
    for article in articles:
        found = matcher.match(article.title, article.text, article.lang)
        hits += len(found)
        articles_hit += bool(found)
    seconds = time.perf_counter() - started
    undo()
    return Run(count, load, builds, seconds, split, hits, articles_hit, len(articles),
               sum(a.words for a in articles))


# --- the naive baseline ---------------------------------------------------------------------


def _alternation(terms: Sequence[str], lang: str) -> re.Pattern[str]:
    body = "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True) if t)
    if lang in UNSPACED_LANGS:
        return re.compile(f"(?:{body})")
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)")


class Naive:
    """Every rule compiled as regexes (see the module docstring), tried on every article."""

    def __init__(self, folder: Path) -> None:
        ruleset = load_rules(folder)
        self.rules = ruleset.rules
        self.concepts = ruleset.concepts
        self.compile_seconds = 0.0
        self._patterns: dict[tuple[str, str], re.Pattern[str]] = {}
        self._countries: dict[str, tuple[re.Pattern[str], dict[str, set[str]]]] = {}

    def pattern(self, concept: str, lang: str) -> re.Pattern[str]:
        key = (concept, lang)
        if key not in self._patterns:
            started = time.perf_counter()
            terms = [text.fold(t) for t in self.concepts[concept].terms.get(lang, ())]
            self._patterns[key] = _alternation(terms or ["\x00"], lang)
            self.compile_seconds += time.perf_counter() - started
        return self._patterns[key]

    def countries(self, lang: str) -> tuple[re.Pattern[str], dict[str, set[str]]]:
        if lang not in self._countries:
            started = time.perf_counter()
            codes: dict[str, set[str]] = {}
            terms = country_terms(lang) if lang in country_languages() else []
            for term in terms:
                codes.setdefault(text.fold(term.text), set()).add(term.code)
            self._countries[lang] = (_alternation(list(codes) or ["\x00"], lang), codes)
            self.compile_seconds += time.perf_counter() - started
        return self._countries[lang]

    def match(self, article: Article) -> int:
        folded = text.fold(f"{article.title}\n\n{article.text}")
        sentences = [s for s in _NAIVE_SENTENCES.split(folded) if s.strip()]
        names, codes = self.countries(article.lang)
        hits = 0
        for rule in self.rules:
            topic, country, act = rule.match.children  # type: ignore[union-attr]
            excluded = country.excluded  # type: ignore[union-attr]
            first = self.pattern(topic.concept, article.lang)  # type: ignore[union-attr]
            second = self.pattern(act.concept, article.lang)  # type: ignore[union-attr]
            veto = self.pattern(rule.unless[0].concept, article.lang)  # type: ignore[union-attr]
            for sentence in sentences:
                if (first.search(sentence)
                        and any(codes[m.group()] - excluded for m in names.finditer(sentence))
                        and second.search(sentence) and not veto.search(sentence)):
                    hits += 1
                    break
        return hits


def run_naive(folder: Path, articles: Sequence[Article], sample: int | None
              ) -> tuple[float, float, int, int]:
    """(seconds for the whole stream, compile seconds, articles run, hits among them)."""
    naive = Naive(folder)
    chosen = list(articles)
    if sample is not None and sample < len(articles):
        step = len(articles) / sample
        chosen = [articles[int(i * step)] for i in range(sample)]
    for lang in sorted({a.lang for a in chosen}):  # compile up front, timed apart
        naive.countries(lang)
        for name in naive.concepts:
            naive.pattern(name, lang)
    hits = 0
    started = time.perf_counter()
    for article in chosen:
        hits += naive.match(article)
    seconds = time.perf_counter() - started
    return seconds * len(articles) / len(chosen), naive.compile_seconds, len(chosen), hits


# --- report ---------------------------------------------------------------------------------


def machine_info() -> list[str]:
    with open("/proc/meminfo") as meminfo:
        total_kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}"
                         for name in ("simplemma", "pyahocorasick", "PyYAML"))
    return [
        f"date: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"machine: {platform.machine()}, nproc {len(os.sched_getaffinity(0))}, "
        f"RAM {total_kb / 1024**2:.1f} GiB, {platform.system()} {platform.release()}",
        f"python {platform.python_version()}, {versions}; one process, one thread",
        "load average at start: {:.2f} {:.2f} {:.2f} (other work on the machine skews "
        "the figures)".format(*os.getloadavg()),
    ]


def stream_table(runs: Sequence[Run], naive: dict[int, tuple[float, float, int, int]]
                 ) -> str:
    rows = []
    for run in runs:
        per = 1e3 / run.articles
        rest = run.seconds - run.split.presearch - run.split.analyse - run.split.find
        naive_seconds, _, sampled, naive_hits = naive[run.rules]
        label = "" if sampled == run.articles else f" (sample {sampled})"
        rows.append([
            run.rules, f"{run.seconds:.2f}", f"{run.articles / run.seconds:,.0f}",
            f"{run.articles / run.seconds * run.words / run.articles / WORDS_PER_ARTICLE:,.0f}",
            f"{run.split.presearch * per:.2f}", f"{run.split.analysed / run.articles:.0%}",
            f"{run.split.analyse * per:.2f}", f"{run.split.find * per:.2f}", f"{rest * per:.2f}",
            f"{run.split.evaluated / run.articles:.1f}", run.hits, run.articles_hit,
            f"{naive_seconds:.2f}{label}", f"{run.articles / naive_seconds:,.0f}", naive_hits,
            f"{naive_seconds / run.seconds:.1f}x",
        ])
    headers = ["rules", "seconds", "articles/s", "at 400 words", "presearch ms/art",
               "analysed", "analyse ms/art",
               "find ms/art", "rules ms/art", "rules evaluated/art", "hits", "articles hit",
               "naive seconds", "naive articles/s", "naive hits", "speed-up"]
    return tabulate(rows, headers, tablefmt="github", disable_numparse=True)


def build_table(runs: Sequence[Run], dictionaries: dict[str, float],
                terms: dict[str, int]) -> str:
    rows = []
    for lang in sorted(dictionaries):
        rows.append([lang, f"{dictionaries[lang] * 1e3:.0f}", terms[lang],
                     *(f"{r.builds[lang] * 1e3:.0f}" for r in runs)])
    rows.append(["all", f"{sum(dictionaries.values()) * 1e3:.0f}", sum(terms.values()),
                 *(f"{sum(r.builds.values()) * 1e3:.0f}" for r in runs)])
    headers = ["lang", "simplemma load ms", "country terms",
               *(f"build ms, {r.rules} rules" for r in runs)]
    return tabulate(rows, headers, tablefmt="github", disable_numparse=True)


def load_table(runs: Sequence[Run], naive: dict[int, tuple[float, float, int, int]]) -> str:
    rows = [[r.rules, f"{r.load:.2f}", f"{sum(r.builds.values()):.2f}",
             f"{naive[r.rules][1]:.2f}"] for r in runs]
    return tabulate(rows, ["rules", "load_rules + Matcher s", "automata build s (all langs)",
                           "naive compile s"], tablefmt="github", disable_numparse=True)


def verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def summary(runs: Sequence[Run]) -> Iterator[str]:
    by_rules = {run.rules: run for run in runs}
    if 100 in by_rules:
        run = by_rules[100]
        rate = run.articles / run.seconds
        scaled = rate * run.words / run.articles / WORDS_PER_ARTICLE
        yield (f"100 rules: {rate:,.0f} articles/s on these articles (mean "
               f"{run.words / run.articles:.0f} words), {scaled:,.0f}/s scaled to "
               f"{WORDS_PER_ARTICLE}-word articles (target >= {TARGET_ARTICLES_PER_S}: "
               f"{verdict(rate >= TARGET_ARTICLES_PER_S)} as measured, "
               f"{verdict(scaled >= TARGET_ARTICLES_PER_S)} scaled)")
    for run in runs:
        full = run.split.analyse + run.split.find
        yield (f"{run.rules} rules: {run.split.analysed / run.articles:.0%} of the articles "
               f"passed the presearch and were analysed; the presearch pass alone would allow "
               f"{run.articles / run.split.presearch:,.0f} articles/s"
               + (f", analyse() + find() on those {run.split.analysed / full:,.0f}/s"
                  if full else ""))
    low, high = min(by_rules), max(by_rules)
    if low != high:
        ratio = by_rules[high].seconds / by_rules[low].seconds
        target = f" (target <= {TARGET_RATIO:.0f}x: {verdict(ratio <= TARGET_RATIO)})" \
            if (low, high) == (10, 1000) else ""
        yield f"time {high} rules : {low} rules = {ratio:.2f}{target}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--rules", default="10,100,1000", help="rule counts to sweep")
    parser.add_argument("--articles", type=int, default=1000, help="articles in the stream")
    parser.add_argument("--naive-sample", type=int, default=100,
                        help=f"articles the naive baseline runs above {NAIVE_FULL_MAX} rules")
    parser.add_argument("--terms", type=int, default=3, help="terms per concept and language")
    parser.add_argument("--languages", default="",
                        help="comma-separated languages to keep (default: all)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    args.rules = [int(n) for n in args.rules.split(",") if n.strip()]
    args.languages = {code.strip() for code in args.languages.split(",") if code.strip()}
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print("\n".join(machine_info()))
    print(f"command: bench/match.py {' '.join(sys.argv[1:] if argv is None else argv)}")
    articles = load_stream(args.shared, args.articles, args.seed, args.languages)
    if not articles:
        print(f"no articles under {args.shared}", file=sys.stderr)
        return 1
    langs = sorted({a.lang for a in articles})
    distinct = len({id(a) for a in articles})
    mix = Counter(a.lang for a in articles)
    print(f"stream: {len(articles)} articles ({distinct} distinct, cycled), mean "
          f"{sum(a.words for a in articles) / len(articles):.0f} words, {len(langs)} languages: "
          + ", ".join(f"{lang} {n}" for lang, n in mix.most_common()))
    dictionaries = {}
    for lang in langs:  # simplemma's dictionaries: analyse()'s cost, whatever the rules
        started = time.perf_counter()
        text.analyse("a", lang)
        dictionaries[lang] = time.perf_counter() - started
    vocab = vocabulary(articles)
    runs, naive = [], {}
    with tempfile.TemporaryDirectory(prefix="bench-match-") as tmp:
        for count in args.rules:
            folder = Path(tmp) / str(count)
            write_rules(folder, count, vocab, args.terms, args.seed)
            runs.append(run_matcher(folder, count, articles, langs))
            sample = args.naive_sample if count > NAIVE_FULL_MAX else None
            naive[count] = run_naive(folder, articles, sample)
    terms = {lang: len(country_terms(lang)) if lang in country_languages() else 0
             for lang in langs}
    print(f"rules: topic concept each, act concepts shared by 10, cue concepts by 100; "
          f"{args.terms} terms per concept and language\n")
    print(stream_table(runs, naive), "\n")
    print("naive: sentence-by-sentence regexes over folded text"
          + (f"; above {NAIVE_FULL_MAX} rules on {args.naive_sample} articles spread over the "
             "stream, extrapolated" if max(args.rules) > NAIVE_FULL_MAX else "")
          + "; hits differ from the matcher's (no lemmas, no context, no clause scope)\n")
    print(load_table(runs, naive), "\n")
    print("first use of each language (word caches emptied before each sweep step):\n")
    print(build_table(runs, dictionaries, terms), "\n")
    for line in summary(runs):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
