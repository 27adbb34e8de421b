"""Benchmark of the language stage: both detectors on labelled and real news text.

Plain script, no pytest. Run from the repository root:

    python bench/language.py [--shared ../shared] [--sample 400] [--seed 7] [--wrong-share 0.2]

Data is read in place from the shared folder, never copied into the project:
  corpus   shared/corpus/*.yaml: hand-labelled items (lang, title, text)
  fundus   shared/real/datasets/fundus-article-texts/<country>/<Publisher>.json: real articles;
           the expected language comes from the country folder (COUNTRY_LANG), corrected per
           publisher where the folder says nothing about the language (PUBLISHER_LANG)
  semeval  shared/real/datasets/semeval2022-task8-hfl/*.csv: original texts only (pair ids
           without a language suffix), a seeded sample

Each detector runs in its own child process, so peak memory (ru_maxrss) and load time are its
own. Tables are printed as Markdown (docs/language.md quotes them).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from tabulate import tabulate

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from monitor import language  # noqa: E402
from monitor.models import Language  # noqa: E402

DETECTORS = ("langdetect", "py3langid", "py3langid-restricted")
PRIOR_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5)
CAPS = (300, 1000, 2000, 5000, 100_000)
THRESHOLDS = (0.5, 0.8, 0.9, 0.95)
GROUPS = {  # the sets pooled for the prior and confidence tables
    "headline": ("corpus headline", "fundus headline"),
    "title+text": ("corpus title+text", "fundus title+text", "semeval text"),
}

# Country folder -> language of its publishers (checked against titles and bodies).
COUNTRY_LANG = {
    "at": "de", "au": "en", "ca": "en", "ch": "de", "cn": "zh", "cz": "cs", "de": "de",
    "dk": "da", "es": "es", "fr": "fr", "gl": "da", "id": "id", "il": "de", "isl": "is",
    "it": "it", "jp": "ja", "kr": "ko", "lb": "ar", "li": "de", "ls": "en", "lt": "lt",
    "lu": "de", "mx": "en", "my": "en", "na": "en", "no": "no", "pl": "pl", "pt": "en",
    "py": "de", "ru": "ru", "se": "sv", "tr": "tr", "tw": "en", "tz": "en", "ua": "ru",
    "uk": "en", "us": "en", "vn": "vi", "za": "en",
}  # fmt: skip
# Publishers whose language is not their country's; None = skip (isiZulu/isiXhosa mixes).
PUBLISHER_LANG: dict[str, str | None] = {
    "be/Nieuwsblad": "nl", "be/PoliticoEu": "en", "es/MallorcaMagazin": "de",
    "es/MallorcaZeitung": "de", "it/Tageszeitung": "de", "jp/TheJapanNews": "en",
    "ind/Bhaskar": "hi", "ind/TimesOfIndia": "en", "tz/HabariLeo": "sw",
    "za/Dizindaba": None, "za/EyethuNews": None, "za/Ilanga": None, "za/Isolezwe": None,
    "za/IsolezweLesiXhosa": None,
}  # fmt: skip


@dataclass(frozen=True)
class Item:
    id: str
    lang: str
    title: str
    text: str


def load_corpus(shared: Path) -> list[Item]:
    items = []
    for path in sorted((shared / "corpus").glob("*.yaml")):
        for row in yaml.safe_load(path.read_text("utf-8")):
            item_id = f"{path.stem}/{row['id']}"
            items.append(Item(item_id, str(row["lang"]), row["title"], row["text"]))
    return items


def _fundus_body(body: dict[str, Any]) -> str:
    parts = list(body.get("summary") or [])
    for section in body.get("sections") or []:
        parts += list(section.get("headline") or []) + list(section.get("paragraphs") or [])
    return "\n".join(parts)


def load_fundus(shared: Path) -> list[Item]:
    root = shared / "real" / "datasets" / "fundus-article-texts"
    items = []
    for path in sorted(root.glob("*/*.json")):
        key = f"{path.parent.name}/{path.stem}"
        lang = PUBLISHER_LANG[key] if key in PUBLISHER_LANG else COUNTRY_LANG.get(path.parent.name)
        if lang is None:
            continue
        for version, article in sorted(json.loads(path.read_text("utf-8")).items()):
            text = _fundus_body(article.get("body") or {})
            items.append(Item(f"{key}/{version}", lang, article.get("title") or "", text))
    return items


def load_semeval(shared: Path, sample: int, seed: int) -> list[Item]:
    root = shared / "real" / "datasets" / "semeval2022-task8-hfl"
    seen: dict[str, Item] = {}
    for path in sorted(root.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if not all(part.isdigit() for part in row["pair_id"].split("_")):
                    continue  # a language suffix marks HFL's machine translations
                for side in ("1", "2"):
                    text = row[f"text{side}"].strip()
                    if text and text not in seen:
                        item_id = f"{row['pair_id']}:{side}"
                        seen[text] = Item(item_id, row[f"lang{side}"], "", text)
    items = sorted(seen.values(), key=lambda item: item.id)
    return random.Random(seed).sample(items, min(sample, len(items)))


def load_sets(args: argparse.Namespace) -> dict[str, list[Item]]:
    corpus, fundus = load_corpus(args.shared), load_fundus(args.shared)
    semeval = load_semeval(args.shared, args.sample, args.seed)
    return {
        "corpus headline": [Item(i.id, i.lang, i.title, "") for i in corpus],
        "corpus title+text": corpus,
        "fundus headline": [Item(i.id, i.lang, i.title, "") for i in fundus],
        "fundus title+text": fundus,
        "semeval text": semeval,
    }


class CachedDetector:
    """Memoises a detector's probabilities, so the prior sweep reruns detect() cheaply."""

    def __init__(self, inner: language.Detector) -> None:
        self.inner = inner
        self.name = inner.name
        self._cache: dict[str, dict[str, float]] = {}

    def probabilities(self, text: str) -> dict[str, float]:
        if text not in self._cache:
            self._cache[text] = self.inner.probabilities(text)
        return self._cache[text]


def make(name: str, languages: Iterable[str]) -> language.Detector:
    if name == "py3langid-restricted":
        return language.Py3langidDetector(languages)
    return language.make_detector(name)


def run_set(
    detector: language.Detector,
    items: Sequence[Item],
    declared: Callable[[Item], str | None] = lambda item: None,
    weight: float = 0.0,
    max_chars: int = language.MAX_CHARS,
) -> tuple[list[Language], float]:
    started = time.perf_counter()
    found = [
        language.detect(detector, i.title, i.text, declared(i), weight, max_chars=max_chars)
        for i in items
    ]
    return found, time.perf_counter() - started


def accuracy(items: Sequence[Item], found: Sequence[Language]) -> float:
    return sum(i.lang == f.code for i, f in zip(items, found, strict=True)) / len(items)


def wrong_declarations(items: Sequence[Item], pool: Sequence[str], seed: int) -> dict[str, str]:
    """A wrong declared language per item: a random other language of the pool."""
    rng = random.Random(seed)
    return {i.id: rng.choice([code for code in pool if code != i.lang]) for i in items}


def cms_default(item: Item) -> str:
    """The usual wrong declaration: a CMS left at "en" (German for the English items)."""
    return "de" if item.lang == "en" else "en"


def prior_rows(
    detector: language.Detector, groups: dict[str, list[Item]], wrong: dict[str, str], share: float
) -> list[dict[str, Any]]:
    cached = CachedDetector(detector)
    declarations: dict[str, Callable[[Item], str | None]] = {
        "right": lambda i: i.lang, "wrong": lambda i: wrong[i.id], "wrong en": cms_default,
    }  # fmt: skip
    rows = []
    for weight in PRIOR_WEIGHTS:
        row: dict[str, Any] = {"weight": weight}
        for group, items in groups.items():
            row[group] = {
                kind: accuracy(items, run_set(cached, items, declared, weight)[0])
                for kind, declared in declarations.items()
            }
            row[group]["mixed"] = (1 - share) * row[group]["right"] + share * row[group]["wrong"]
        rows.append(row)
    return rows


def confidence_rows(items: Sequence[Item], found: Sequence[Language]) -> list[list[Any]]:
    rows = []
    for threshold in THRESHOLDS:
        kept = [(i, f) for i, f in zip(items, found, strict=True) if f.confidence >= threshold]
        correct = sum(i.lang == f.code for i, f in kept)
        rows.append([threshold, len(kept) / len(items), correct / len(kept) if kept else 0.0])
    return rows


def rss_mib() -> float:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    """Resident memory now (Linux /proc; 0.0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return 0.0
    return pages * resource.getpagesize() / 2**20


def measure_sets(
    detector: language.Detector, sets: dict[str, list[Item]]
) -> tuple[dict[str, Any], dict[str, list[Language]]]:
    summary, found_by_set = {}, {}
    for name, items in sets.items():
        found, seconds = run_set(detector, items)
        found_by_set[name] = found
        pairs = zip(items, found, strict=True)
        errors = Counter(f"{i.lang}->{f.code}" for i, f in pairs if i.lang != f.code)
        summary[name] = {
            "n": len(items), "accuracy": accuracy(items, found), "per_s": len(items) / seconds,
            "errors": errors.most_common(8),
        }  # fmt: skip
    return summary, found_by_set


def measure_caps(detector: language.Detector, items: Sequence[Item]) -> list[list[float]]:
    rows = []
    for cap in CAPS:
        found, seconds = run_set(detector, items, max_chars=cap)
        rows.append([cap, accuracy(items, found), len(items) / seconds])
    return rows


def worker(args: argparse.Namespace) -> dict[str, Any]:
    sets = load_sets(args)
    pool = sorted({i.lang for items in sets.values() for i in items})
    detector = make(args.worker, pool)
    baseline = rss_mib()
    started = time.perf_counter()
    detector.probabilities("warm up: load the model")
    result: dict[str, Any] = {"load_s": time.perf_counter() - started, "baseline_mib": baseline}
    result["sets"], found_by_set = measure_sets(detector, sets)
    result["caps"] = measure_caps(detector, sets["fundus title+text"] + sets["semeval text"])
    groups = {group: [i for s in names for i in sets[s]] for group, names in GROUPS.items()}
    wrong = wrong_declarations([i for items in groups.values() for i in items], pool, args.seed)
    result["prior"] = prior_rows(detector, groups, wrong, args.wrong_share)
    result["confidence"] = {
        group: confidence_rows(groups[group], [f for s in names for f in found_by_set[s]])
        for group, names in GROUPS.items()
    }
    result["peak_mib"], result["after_mib"] = rss_mib(), current_rss_mib()
    result["pool"] = pool
    return result


def run_worker(name: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", name, "--shared", str(args.shared)]
    command += ["--sample", str(args.sample), "--seed", str(args.seed)]
    command += ["--wrong-share", str(args.wrong_share)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout))


def print_tables(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    first = next(iter(results.values()))
    print(f"expected languages ({len(first['pool'])}): {' '.join(first['pool'])}\n")
    rows = [
        [name, s, r["sets"][s]["n"], f"{r['sets'][s]['accuracy']:.3f}",
         f"{r['sets'][s]['per_s']:.0f}", f"{r['load_s']:.2f}", f"{r['peak_mib']:.0f}",
         f"{r['after_mib']:.0f}"]
        for name, r in results.items() for s in r["sets"]
    ]  # fmt: skip
    headers = ["detector", "set", "n", "accuracy", "texts/s", "load s", "peak RSS MiB", "end RSS"]
    print(tabulate(rows, headers, tablefmt="github"), "\n")
    base = {name: f"{r['baseline_mib']:.0f}" for name, r in results.items()}
    print(f"RSS before the model loads (interpreter + data), MiB: {base}\n")
    print("Errors (expected->found, count):\n")
    for name, r in results.items():
        for s, v in r["sets"].items():
            print(f"- {name}, {s}: {', '.join(f'{e} {n}' for e, n in v['errors']) or 'none'}")
    print("\nPrior: accuracy with the declared language right, wrong (a random other language),")
    print(f"wrong en (en; de for English items), mixed ({args.wrong_share:.0%} wrong)\n")
    for name, r in results.items():
        rows = [
            [name, row["weight"]] + [f"{row[g][k]:.3f}" for g in ("headline", "title+text")
                                     for k in ("right", "wrong", "wrong en", "mixed")]
            for row in r["prior"]
        ]  # fmt: skip
        headers = ["detector", "weight"] + [
            f"{group} {kind}" for group in ("head", "body")
            for kind in ("right", "wrong", "wrong en", "mixed")
        ]  # fmt: skip
        print(tabulate(rows, headers, tablefmt="github"), "\n")
    print("Characters read (fundus title+text + semeval): accuracy, texts/s\n")
    rows = [[name, cap, f"{acc:.3f}", f"{speed:.0f}"] for name, r in results.items()
            for cap, acc, speed in r["caps"]]  # fmt: skip
    print(tabulate(rows, ["detector", "max_chars", "accuracy", "texts/s"], tablefmt="github"), "\n")
    print("Confidence threshold (no prior): share of detections at or above it, their accuracy\n")
    rows = [[name, group, t, f"{share:.3f}", f"{acc:.3f}"] for name, r in results.items()
            for group, table in r["confidence"].items() for t, share, acc in table]  # fmt: skip
    headers = ["detector", "texts", "threshold", "share", "accuracy"]
    print(tabulate(rows, headers, tablefmt="github"))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--sample", type=int, default=400, help="SemEval texts to sample")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--wrong-share", type=float, default=0.2)
    parser.add_argument("--worker", choices=DETECTORS, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    if args.worker:
        print(json.dumps(worker(args)))
        return
    results = {name: run_worker(name, args) for name in DETECTORS}
    print_tables(results, args)


if __name__ == "__main__":
    main()
