"""Rule files read into the AST of :mod:`monitor.match.rules`, reporting every problem.

:class:`RuleReader` walks the node tree of one rule file (from :mod:`monitor.match.yamlpos`)
key by key (the match tree itself: :mod:`monitor.match.treefile`): a value that is wrong is
reported at its line and column and left out, and the reading goes on, so one run reports
every problem. The file format is documented in :mod:`monitor.match.rules`.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from yaml.nodes import MappingNode, Node

from monitor.durations import parse_duration
from monitor.match import yamlpos as yp
from monitor.match.concepts import language_code
from monitor.match.rules import (
    AllNode,
    FeedFilter,
    MatchNode,
    NotifySpec,
    RuleRead,
    RuleSpec,
    RuleTest,
    Scope,
    Throttle,
)
from monitor.match.treefile import TreeReader
from monitor.match.yamlpos import Report, compose, read_bytes

SEVERITIES = ("low", "medium", "high", "critical")
SCOPES = ("sentence", "paragraph", "article")
FIELDS = ("title", "text")
RULE_KEYS = ("id", "title", "description", "severity", "enabled", "tags", "falsepositives",
             "languages", "scope", "fields", "feeds", "match", "unless", "notify", "tests")
TEST_KEYS = ("lang", "title", "text", "expect", "captures", "why")
RULE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
CHANNEL_NAME = re.compile(r"[A-Za-z0-9_-]+\Z")
MIN_DIGEST = 60  # seconds: the shortest digest or throttle period


class RuleReader(TreeReader):
    """Reads one rule file's node tree into a :class:`RuleSpec`, reporting as it goes."""

    def rule(self, root: Node, path: Path) -> RuleSpec | None:
        e = yp.mapping(self.report, root, "rule", RULE_KEYS, ("id", "title", "match"))
        if e is None:
            return None
        rule_id = self._opt(e, "id", self._id, None)
        title = self._opt(e, "title", self.text, "")
        if "title" in e.values and not title.strip():
            self.report.add(e.values["title"], "rule.bad_value", "'title' is empty: say what "
                            "the rule finds, for alerts")
        match: MatchNode | None = self._opt(e, "match", self.node, None)
        self.in_unless = True
        unless: tuple[MatchNode, ...] = self._opt(e, "unless", self._unless, ())
        self.in_unless = False
        spec = RuleSpec(
            id=rule_id or "", title=title, match=match or AllNode(()), path=path,
            description=self._opt(e, "description", self.text, ""),
            severity=self._opt(e, "severity", self._severity, "medium"),
            enabled=self._opt(e, "enabled", self.flag, True),
            tags=tuple(self._opt(e, "tags", self.texts, [])),
            falsepositives=tuple(self._opt(e, "falsepositives", self.texts, [])),
            languages=self._opt(e, "languages", self._languages, frozenset()),
            scope=self._opt(e, "scope", self._scope, Scope()),
            fields=self._opt(e, "fields", self._fields, FIELDS),
            feeds=self._opt(e, "feeds", self._feeds, FeedFilter()),
            unless=unless,
            notify=self._opt(e, "notify", self._notify, NotifySpec()),
            tests=self._opt(e, "tests", self._tests, ()),
        )
        return spec if rule_id and title and match else None

    def _severity(self, node: Node, what: str) -> str | None:
        return self._choice(node, what, SEVERITIES)

    def _id(self, node: Node, what: str) -> str | None:
        rule_id = self.text(node, what)
        if rule_id is not None and not RULE_ID.match(rule_id):
            slug = re.sub(r"[^a-z0-9]+", "-", rule_id.lower()).strip("-") or "my-rule"
            self.report.add(node, "rule.bad_id", f"rule id '{rule_id}' must be lower-case "
                            f"letters, digits and hyphens, such as '{slug}'")
            return None
        self.id_node = node
        return rule_id

    def _languages(self, node: Node, what: str) -> frozenset[str] | None:
        nodes = yp.items(self.report, node, what)
        if nodes == []:
            self.report.add(node, "rule.bad_language", f"{what} is empty: list codes, or leave "
                            "it out to match every language")
        codes = [language_code(self.report, n, what) for n in nodes or ()]
        return frozenset(c for c in codes if c is not None)

    def _scope(self, node: Node, what: str) -> Scope | None:
        if not isinstance(node, MappingNode):
            unit = self.text(node, what)
            if unit is not None and unit not in SCOPES:
                self.report.add(node, "rule.bad_scope", f"{what} must be sentence, paragraph, "
                                f"article or {{window: N}}, not '{unit}'{yp.suggest(unit, SCOPES)}")
            return Scope(unit) if unit in SCOPES else None
        e = yp.mapping(self.report, node, what, ("window",), ("window",))
        window = e.get("window") if e else None
        tokens = yp.whole_number(window) if window is not None else None
        if window is not None and (tokens is None or tokens < 1):
            self.report.add(window, "rule.bad_scope", "scope window must be a positive whole "
                            f"number of tokens, not {yp.describe(window)}")
        return Scope("window", tokens) if tokens and tokens > 0 else None

    def _fields(self, node: Node, what: str) -> tuple[str, ...] | None:
        nodes = yp.items(self.report, node, what)
        if nodes == []:
            self.report.add(node, "rule.bad_value", f"{what} is empty: list title, text or both")
        found = [self._choice(n, "a field", FIELDS) for n in nodes or ()]
        return tuple(f for f in found if f is not None) or None

    def _feeds(self, node: Node, what: str) -> FeedFilter | None:
        e = yp.mapping(self.report, node, what, ("tags", "urls"))
        if e is None:
            return None
        return FeedFilter(tuple(self._opt(e, "tags", self.texts, [])),
                          tuple(self._opt(e, "urls", self._urls, [])))

    def _urls(self, node: Node, what: str) -> list[str] | None:
        urls = [(self.text(item, "a feed URL"), item) for item in yp.items(self.report, node, what)
                or ()]
        for url, item in urls:
            if url is not None and not url.startswith(("http://", "https://")):
                self.report.add(item, "rule.bad_value", f"feed URL '{url}' must start with "
                                "http:// or https://")
        return [url for url, _ in urls if url]

    def _notify(self, node: Node, what: str) -> NotifySpec | None:
        e = yp.mapping(self.report, node, what, ("channels", "digest", "throttle"))
        if e is None:
            return None
        channels = []
        listed = e.get("channels")
        for item in (yp.items(self.report, listed, "'channels'") or []) if listed else []:
            name = self.text(item, "a channel name")
            if name is not None and not CHANNEL_NAME.fullmatch(name):
                self.report.add(item, "rule.bad_value", f"channel name '{name}' must be "
                                "letters, digits, - and _ (as in the config's [channels.NAME])")
            elif name is not None:
                channels.append(name)
        return NotifySpec(tuple(channels), self._opt(e, "digest", self._duration, 0),
                          self._opt(e, "throttle", self._throttle, None))

    def _duration(self, node: Node, what: str) -> int | None:
        value = yp.whole_number(node)
        raw = value if value is not None else self.text(node, what)
        if raw is None:
            return None
        try:
            seconds = parse_duration(raw)
        except ValueError as exc:
            self.report.add(node, "rule.bad_value", f"{what}: {exc}")
            return None
        if seconds < MIN_DIGEST:
            self.report.add(node, "rule.bad_value", f"{what} must be at least "
                            f"{MIN_DIGEST}s, not {seconds}s")
            return None
        return seconds

    def _throttle(self, node: Node, what: str) -> Throttle | None:
        e = yp.mapping(self.report, node, what, ("max", "per"), ("max", "per"))
        if e is None:
            return None
        limit = self._opt(e, "max", lambda n, w: yp.count(self.report, n, w), None)
        period = self._opt(e, "per", self._duration, None)
        if limit == 0:
            self.report.add(e.get("max"), "rule.bad_value", f"{what}: max must be 1 or more")
            return None
        return Throttle(limit, period) if limit and period else None

    def _unless(self, node: Node, what: str) -> tuple[MatchNode, ...] | None:
        nodes = yp.items(self.report, node, what) or ()
        found = [self.node(n, f"an entry of {what}") for n in nodes]
        return tuple(n for n in found if n is not None)

    def _tests(self, node: Node, what: str) -> tuple[RuleTest, ...] | None:
        found = [self._test(n) for n in yp.items(self.report, node, what) or ()]
        return tuple(t for t in found if t is not None)

    def _test(self, node: Node) -> RuleTest | None:
        e = yp.mapping(self.report, node, "a test", TEST_KEYS, ("lang", "expect"))
        if e is None:
            return None
        lang = self._opt(e, "lang", functools.partial(language_code, self.report), None)
        expect = self._opt(e, "expect", self.flag, None)
        title, body = self._opt(e, "title", self.text, ""), self._opt(e, "text", self.text, "")
        if not (title + body).strip():
            self.report.add(node, "rule.bad_test", "a test needs a 'title' or a 'text'")
        if expect is False and "captures" in e.values:
            self.report.add(e.values["captures"], "rule.bad_test", "captures in a test that "
                            "expects no hit: remove them or set expect: true")
        captures = self._opt(e, "captures", self._test_captures, None)
        if lang is None or expect is None:
            return None
        return RuleTest(lang, title, body, expect, captures, self._opt(e, "why", self.text, ""),
                        node.start_mark.line + 1)

    def _test_captures(self, node: Node, what: str) -> dict[str, frozenset[str]] | None:
        found: dict[str, frozenset[str]] = {}
        for key, value in yp.pairs(self.report, node, what, "name: [codes]") or ():
            name = str(key.value)
            if name not in self.captures:
                known = ", ".join(sorted(self.captures)) or "nothing"
                self.report.add(key, "rule.unknown_capture", f"unknown capture '{name}'"
                                f"{yp.suggest(name, sorted(self.captures))}: the rule captures "
                                f"{known}")
            codes = self._codes(value, f"capture '{name}'")
            if codes is not None:
                found[name] = codes
        return found


def read_rule(path: Path, concepts_dir: Path, present: frozenset[str]) -> RuleRead:
    """One rule file as read; ``spec`` is None when the file has any problem."""
    report = Report(str(path))
    data = read_bytes(report, path)
    root = compose(report, data) if data is not None else None
    reader = RuleReader(report, concepts_dir, present)
    spec = reader.rule(root, path) if root is not None else None
    if spec is None and not report.problems:  # every way to None reports; never be silent
        report.add(root, "rule.invalid", "not a rule: see the format in monitor/match/rules.py")
    return RuleRead(path, data or b"", spec if not report.problems else None, reader.id_node,
                    frozenset(reader.concepts), report.problems)
