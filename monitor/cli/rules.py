"""``newsmon rules ...``: check, test, eval and explain rules (library: monitor.match)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from monitor.cli import AppContext
from monitor.cli.output import format_option, render

if TYPE_CHECKING:
    from monitor.match.evaluate import CorpusItem, Evaluation
    from monitor.match.explain import Explanation
    from monitor.match.lexicon import Found
    from monitor.match.rules import RuleSet
    from monitor.match.yamlpos import Problem

PROGRESS_OVER = 20  # corpus items: a progress bar on stderr above this
PATHS = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))


@click.group()
def rules() -> None:
    """Validate, test, score and explain rules."""


def _paths(app: AppContext, paths: Sequence[Path]) -> list[Path]:
    return list(paths) or [app.config().rules_path()]


def _fail(problems: Sequence[Problem]) -> NoReturn:
    for problem in problems:
        click.echo(f"{problem} [{problem.code}]", err=True)
    raise SystemExit(1)


@rules.command("check")
@PATHS
@click.pass_obj
def check(app: AppContext, paths: tuple[Path, ...]) -> None:
    """Validate rule files, rules folders and concept files (default: the rules folder).

    Prints each problem as path:line:col and exits 1 when there is any.

    \b
    Example:
      newsmon rules check
      newsmon rules check rules/security-guarantees.yaml rules/concepts/refusal.yaml
    """
    from monitor.match.evaluate import count_files
    from monitor.match.rules import check as check_rules

    targets = _paths(app, paths)
    problems = check_rules(targets)
    if problems:
        for problem in problems:
            click.echo(f"{problem} [{problem.code}]")
        raise SystemExit(1)
    rule_count, concept_count = count_files(targets)
    click.echo(f"{rule_count} rule(s), {concept_count} concept(s): OK")


@rules.command("test")
@PATHS
@click.pass_obj
def test(app: AppContext, paths: tuple[Path, ...]) -> None:
    """Run the tests: block of every rule (default: the rules folder); a rule without tests
    fails. Exits 1 on any failure.

    \b
    Example:
      newsmon rules test
      newsmon rules test rules/security-guarantees.yaml
    """
    from monitor.match.evaluate import load_paths, run_tests
    from monitor.match.rules import RuleLoadError

    try:
        sets = load_paths(_paths(app, paths))
    except RuleLoadError as exc:
        _fail(exc.problems)
    results = [result for rule_set in sets for result in run_tests(rule_set)]
    for r in results:
        where = f"{r.path}:{r.line}" if r.line else str(r.path)
        status = "PASS" if r.passed else "FAIL"
        click.echo(f"{status} {where} {r.rule_id}: {r.label}" + (
            f"\n     {r.reason}" if r.reason else ""))
    failed = sum(not r.passed for r in results)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        raise SystemExit(1)


def _load(app: AppContext, ref: str) -> RuleSet:
    from monitor.match.evaluate import load_rule
    from monitor.match.rules import RuleLoadError

    try:
        return load_rule(ref, app.config().rules_path())
    except RuleLoadError as exc:
        _fail(exc.problems)


@rules.command("eval")
@click.argument("rule")
@click.argument("corpus", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="table for people, json for scripts")
@click.pass_obj
def eval_(app: AppContext, rule: str, corpus: Path, fmt: str) -> None:
    """Score a rule (an id from the rules folder, or a rule file) on a labelled corpus:
    precision, recall and F1 overall and per language, the share of true positives that
    capture exactly the listed countries, and every miss.

    \b
    Example:
      newsmon rules eval security-guarantees corpus/dev.yaml
      newsmon rules eval rules/new-rule.yaml corpus/dev.yaml --format json | jq .f1
    """
    from monitor.match.evaluate import evaluate, read_corpus

    rule_set = _load(app, rule)
    items = read_corpus(corpus)

    def progress(items: Sequence[CorpusItem]) -> Iterable[CorpusItem]:
        if len(items) <= PROGRESS_OVER:
            yield from items
            return
        with click.progressbar(items, label="evaluating", show_pos=True,
                               file=sys.stderr) as bar:
            yield from bar

    result = evaluate(rule_set, items, progress)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(_evaluation_table(result, corpus, len(items)))


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _evaluation_table(result: Evaluation, corpus: Path, n: int) -> str:
    from tabulate import tabulate

    o = result.overall
    lines = [f"rule {result.rule_id} on {corpus}: {n} item(s)",
             f"precision {_num(o.precision)}  recall {_num(o.recall)}  F1 {_num(o.f1)}  "
             f"capture exact {_num(result.capture_exact)}", ""]
    rows = [[lang, s.n, _num(s.precision), _num(s.recall), _num(s.f1)]
            for lang, s in result.per_language.items()]
    lines.append(tabulate(rows, headers=["lang", "n", "precision", "recall", "f1"],
                          disable_numparse=True, colalign=("left", "right", "right", "right",
                                                           "right")))
    lines += ["", f"misses: {len(result.misses)}"]
    width = max((len(m.id) for m in result.misses), default=0)
    for m in result.misses:
        detail = [f"expected {','.join(m.expected)}" if m.expected else "",
                  f"captured {','.join(m.captured)}" if m.captured else ""]
        lines.append(f"  {m.id:<{width}}  {m.lang:<3} {m.kind:<15} " +
                     "  ".join(d for d in detail if d))
    return "\n".join(lines).rstrip()


@rules.command("explain")
@click.argument("rule")
@click.option("--text", help="the text to explain")
@click.option("--title", default="", help="a title to go with --text or --file")
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="read the text from a file")
@click.option("--article", type=int, help="a stored article's id (its title, text, language)")
@click.option("--lang", help="language of the text (default: the article's, else detected)")
@click.pass_obj
def explain(app: AppContext, rule: str, text: str | None, title: str, file: Path | None,
            article: int | None, lang: str | None) -> None:
    """Show how a rule reads one text: the sentence split, the terms found in each sentence,
    each leaf's matches, refusal cues, and why the rule fired or not.

    \b
    Example:
      newsmon rules explain security-guarantees --text "Canada pledged ..." --lang en
      newsmon rules explain rules/new-rule.yaml --article 1234
    """
    from monitor.match.explain import explain as trace

    if sum(x is not None for x in (text, file, article)) != 1:
        raise click.UsageError("give one of --text, --file or --article")
    rule_set = _load(app, rule)
    if article is not None:
        title, text, stored_lang = _article(app, article)
        lang = lang or stored_lang
    elif file is not None:
        text = file.read_text(encoding="utf-8", errors="replace")
    assert text is not None
    lang = lang or _detect(title, text)
    click.echo(_explanation(trace(rule_set, title, text, lang)))


def _article(app: AppContext, article_id: int) -> tuple[str, str, str]:
    from monitor.store.articles import get_article
    from monitor.store.db import open_database

    db = open_database(app.database_path(), readonly=True)
    try:
        row = get_article(db, article_id)
    finally:
        db.conn.close()
    if row is None:
        raise click.ClickException(f"no article {article_id} in {app.database_path()} "
                                   "(--db or the config's 'database' picks the file)")
    return str(row["title"]), str(row["text"]), str(row["lang"])


def _detect(title: str, text: str) -> str:
    from monitor.language import UNDETERMINED, detect, make_detector

    found = detect(make_detector(), title, text, None)
    if found.code == UNDETERMINED:
        raise click.UsageError("cannot tell the text's language: give --lang")
    click.echo(f"language {found.code} detected (confidence {found.confidence:.2f}); "
               "--lang sets it", err=True)
    return found.code


def _explanation(e: Explanation) -> str:
    rule, analysis = e.rule, e.analysis
    scope = rule.scope.unit + (f" {rule.scope.window}" if rule.scope.unit == "window" else "")
    lines = [f"rule {rule.id}: {rule.title} ({rule.path})" +
             ("" if rule.enabled else " [disabled]"),
             f"language {analysis.lang}; scope {scope}; fields {', '.join(rule.fields)}", "",
             "sentences:"]
    for i, sentence in enumerate(analysis.sentences):
        where = "title" if sentence.start < e.title_end else f"p{sentence.paragraph + 1}"
        body = " ".join(analysis.text[sentence.start:sentence.end].split())
        lines.append(f"  {i + 1:>3} [{where}] {body}")
        for f in (f for f in e.found if f.sentence == i):
            key = "keyword" if f.kind == "keyword" else f"{f.kind}:{f.key}"
            lines.append(f"        {key:<28} {analysis.text[f.start:f.end]!r}  "
                         f"clause {f.clause + 1}")
    lines += ["", "match leaves:"]
    lines += [_leaf_line(label, found, analysis.text) for label, found in e.leaves]
    if e.unless:
        lines += ["", "unless (vetoes in the same clause):"]
        lines += [_leaf_line(label, found, analysis.text) for label, found in e.unless]
    lines.append("")
    if e.hit is not None:
        captures = "; ".join(f"{k}={','.join(v)}" for k, v in e.hit.captures.items())
        lines += ["verdict: FIRED" + (f" ({captures})" if captures else ""),
                  f"  snippet: {e.hit.snippet}"]
    else:
        lines += ["verdict: did not fire"] + [f"  - {reason}" for reason in e.why_not]
    return "\n".join(lines)


def _leaf_line(label: str, found: Sequence[Found], text: str) -> str:
    if not found:
        return f"  {label:<30} not found"
    shown = [f"s{f.sentence + 1}:{text[f.start:f.end]!r}" for f in found]
    return f"  {label:<30} " + ", ".join(shown)


@rules.command("backtest")
@click.argument("rule")
@click.option("--since", default="30d", show_default=True,
              help="articles published since: a duration back (30d) or a date (2026-11-01)")
@click.option("--diff", "diff", is_flag=True,
              help="also run the rule of the same id from the rules folder; show what changes")
@format_option
@click.pass_obj
def backtest(app: AppContext, rule: str, since: str, diff: bool, fmt: str) -> None:
    """Run RULE (an id, or a rule file being written) over stored articles, without alerting,
    and list what it would have hit.

    \b
    Example:
      newsmon rules backtest ./drafts/troops.yaml --since 90d
      newsmon rules backtest security-guarantees --diff --since 2026-11-01
    """
    from monitor.durations import parse_point_in_time
    from monitor.match.backtest import backtest as run_backtest
    from monitor.match.rules import RuleLoadError, RuleSet, load_rules
    from monitor.store.articles import articles_since
    from monitor.store.db import open_database, to_iso

    try:
        start = to_iso(parse_point_in_time(since))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    chosen = _load(app, rule)
    compare = None
    if diff:
        try:
            loaded = load_rules(app.config().rules_path())
        except RuleLoadError as exc:
            _fail(exc.problems)
        current = loaded.get(chosen.rules[0].id)
        if current is None:
            raise click.ClickException(f"--diff: no rule '{chosen.rules[0].id}' in "
                                       f"{app.config().rules_path()} to compare with")
        compare = RuleSet((current,), loaded.concepts)
    db = open_database(app.database_path(), readonly=True)
    try:
        rows = articles_since(db, start)
    finally:
        db.conn.close()

    def progress(items: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        with click.progressbar(list(items), label="backtesting", file=sys.stderr) as bar:
            yield from bar

    result = run_backtest(chosen, rows, compare, progress)
    table = [{"article": h.article_id, "published": h.published_at, "lang": h.lang,
              "captures": ",".join(c for codes in h.captures.values() for c in codes),
              "title": h.title, "snippet": h.snippet} for h in result.hits]
    if fmt != "table":
        click.echo(render(table, fmt))
        return
    click.echo(render(table, fmt, ["article", "published", "lang", "captures", "title"]))
    click.echo(f"\n{len(result.hits)} hit(s) in {result.articles} article(s) since {start}")
    if diff:
        click.echo(f"against the loaded rule: {len(result.gained)} gained "
                   f"{result.gained[:20]}, {len(result.lost)} lost {result.lost[:20]}")
