"""Benchmark of the text analysis layer (monitor/match/text/): analyse() on real news.

Plain script, no pytest. Run from the repository root:

    python bench/text.py [--shared ../shared] [--passes 3]

Articles: the labelled corpus (shared/corpus/*.yaml) and the real articles of
shared/real/datasets/fundus-article-texts, loaded as bench/language.py loads them (title, a
blank line, text; the language from the label or the publisher's country). Before timing, one
word per language is analysed so that simplemma's dictionaries are loaded (that load is timed
apart). Pass 1 starts with empty word caches; later passes see every word again, as a daemon
sees the same vocabulary day after day. "per 400 words" scales the rate to articles of 400
tokens, the size the matcher's target is stated for.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import Counter
from pathlib import Path

from tabulate import tabulate

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import language as language_bench  # noqa: E402  (bench/language.py: the corpus loaders)

from monitor.match import text  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()

    items = language_bench.load_corpus(args.shared) + language_bench.load_fundus(args.shared)
    articles = [(item.lang, f"{item.title}\n\n{item.text}") for item in items if item.text]
    languages = Counter(lang for lang, _ in articles)

    started = time.perf_counter()
    for lang in languages:
        text.analyse("a", lang)
    load = time.perf_counter() - started
    text.word_forms.cache_clear()

    rows = []
    for number in range(1, args.passes + 1):
        tokens = 0
        started = time.perf_counter()
        for lang, body in articles:
            tokens += len(text.analyse(body, lang).tokens())
        elapsed = time.perf_counter() - started
        rows.append([
            number, len(articles), tokens, round(len(articles) / elapsed),
            round(tokens / elapsed), round(tokens / elapsed / 400),
        ])

    print(f"{len(articles)} articles in {len(languages)} languages: "
          + ", ".join(f"{lang} {n}" for lang, n in languages.most_common()))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"simplemma dictionaries loaded in {load:.2f} s; peak memory {peak} MB; "
          f"Han variants folded: {text.HAN_VARIANTS_FOLDED}\n")
    print(tabulate(rows, headers=["pass", "articles", "tokens", "articles/s", "tokens/s",
                                  "articles/s per 400 words"], tablefmt="github"))


if __name__ == "__main__":
    main()
