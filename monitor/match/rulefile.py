"""Rule files read into the AST of :mod:`monitor.match.rules`, reporting every problem.

:class:`RuleReader` walks the node tree of one rule file (from :mod:`monitor.match.yamlpos`)
key by key: a value that is wrong is reported at its line and column and left out, and the
reading goes on, so one run reports every problem. The file format is documented in
:mod:`monitor.match.rules`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from monitor.durations import parse_duration
from monitor.match import yamlpos as yp
from monitor.match.concepts import concept_path, language_code
from monitor.match.countries import is_country_code
from monitor.match.rules import (
    DEFAULT_GAP,
    AllNode,
    AnyNode,
    ConceptLeaf,
    Context,
    EntityLeaf,
    FeedFilter,
    KeywordsLeaf,
    MatchNode,
    NotifySpec,
    NotNode,
    RegexLeaf,
    RuleRead,
    RuleSpec,
    RuleTest,
    Scope,
    SequenceLeaf,
    Throttle,
)
from monitor.match.yamlpos import Report, compose, read_bytes

T = TypeVar("T")

SEVERITIES = ("low", "medium", "high", "critical")
SCOPES = ("sentence", "paragraph", "article")
FIELDS = ("title", "text")
ENTITIES = ("country",)
RULE_KEYS = ("id", "title", "description", "severity", "enabled", "tags", "falsepositives",
             "languages", "scope", "fields", "feeds", "match", "unless", "notify", "tests")
BRANCHES = ("all", "any", "not")
LEAVES = {"concept": ("context",), "entity": ("except", "only", "capture", "context"),
          "regex": ("context",), "keywords": ("context",), "sequence": ("max_gap",)}
SEQUENCE_ITEMS = ("concept", "entity", "keywords")
CONTEXT_KEYS = ("previous_sentences", "paragraph", "lead", "title")
TEST_KEYS = ("lang", "title", "text", "expect", "captures", "why")
RULE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
CAPTURE_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
CHANNEL_NAME = re.compile(r"[A-Za-z0-9_-]+\Z")
MIN_DIGEST = 60  # seconds: the shortest digest or throttle period
CODE_MISTAKES = {"UK": "GB", "EL": "GR"}  # EU usage, not ISO 3166


class RuleReader:
    """Reads one rule file's node tree into a :class:`RuleSpec`, reporting as it goes."""

    def __init__(self, report: Report, concepts_dir: Path, present: frozenset[str]) -> None:
        self.report, self.concepts_dir, self.present = report, concepts_dir, present
        self.id_node: Node | None = None
        self.concepts: set[str] = set()  # concept names used (that exist)
        self.captures: set[str] = set()
        self.in_unless = False
        self.text = functools.partial(yp.text, report)
        self.texts = functools.partial(yp.texts, report)
        self.flag = functools.partial(yp.flag, report)
        self.count = functools.partial(yp.count, report)

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

    def _opt(self, e: yp.Entries, key: str, read: Callable[[Node, str], T | None],
             default: T) -> T:
        """The value under ``key`` read by ``read(node, "'key'")``; ``default`` if absent or bad."""
        node = e.get(key)
        value = read(node, f"'{key}'") if node is not None else None
        return default if value is None else value

    def _choice(self, node: Node, what: str, options: Sequence[str],
                code: str = "rule.bad_value") -> str | None:
        value = self.text(node, what)
        if value is not None and value not in options:
            self.report.add(node, code, f"{what} must be one of {', '.join(options)}, not "
                            f"'{value}'{yp.suggest(value, options)}")
            return None
        return value

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

    def node(self, node: Node, what: str) -> MatchNode | None:
        """One condition of the match tree: a branch (all, any, not) or a leaf."""
        if not isinstance(node, MappingNode) or not node.value:
            empty = isinstance(node, MappingNode) or node.tag == yp.NULL
            self.report.add(node, "rule.empty_match" if empty else "rule.wrong_type",
                            f"{what} must hold a condition such as 'concept: NAME' or "
                            f"'all: [...]', not {yp.describe(node)}")
            return None
        heads = [k for k, _ in node.value
                 if isinstance(k, ScalarNode) and (k.value in BRANCHES or k.value in LEAVES)]
        if len(heads) > 1:
            self.report.add(heads[1], "rule.bad_match", f"one condition per mapping: found "
                            f"'{heads[0].value}' and '{heads[1].value}'; put them in all: [...]")
            return None
        if not heads:
            first = node.value[0][0]
            self.report.add(first, "rule.unknown_key", f"'{first.value}' is no condition"
                            f"{yp.suggest(str(first.value), [*BRANCHES, *LEAVES])}: use all, "
                            "any, not, concept, entity, regex, keywords or sequence")
            return None
        head = str(heads[0].value)
        e = yp.mapping(self.report, node, f"the '{head}' condition", (head, *LEAVES.get(head, ())))
        value = e.get(head) if e else None
        if e is None or value is None:
            return None
        if head in BRANCHES:
            return self._branch(head, value)
        if head == "sequence":
            return self._sequence(value, e)
        context = self._opt(e, "context", self._context, None)
        if head == "concept":
            return self._concept(value, context)
        if head == "entity":
            return self._entity(value, e, context)
        if head == "regex":
            return self._regex(value, context)
        words = self.texts(value, "'keywords'")
        if words == []:
            self.report.add(value, "rule.empty_match", "'keywords' is empty: list words")
        return KeywordsLeaf(tuple(words), context) if words else None

    def _branch(self, head: str, value: Node) -> MatchNode | None:
        if head == "not" and isinstance(value, SequenceNode):
            self.report.add(value, "rule.wrong_type", "'not' takes one condition: put several "
                            "in any: [...]")
            return None
        if head == "not":
            child = self.node(value, "'not'")
            return NotNode(child) if child is not None else None
        nodes = yp.items(self.report, value, f"'{head}'")
        if nodes == []:
            self.report.add(value, "rule.empty_match", f"'{head}' is empty: list at least one "
                            "condition")
        children = [self.node(n, f"an entry of '{head}'") for n in nodes or ()]
        kept = tuple(c for c in children if c is not None)
        if not kept or len(kept) < len(children):
            return None
        return AllNode(kept) if head == "all" else AnyNode(kept)

    def _sequence(self, node: Node, e: yp.Entries) -> SequenceLeaf | None:
        nodes = yp.items(self.report, node, "'sequence'")
        if nodes == []:
            self.report.add(node, "rule.empty_match", "'sequence' is empty: list the "
                            "conditions that must follow each other, such as [{concept: A}, "
                            "{entity: country}]")
        elif nodes is not None and len(nodes) < 2:
            self.report.add(node, "rule.bad_match", "a sequence needs two or more items: "
                            "for one, write the leaf alone")
        items = [self._sequence_item(n) for n in nodes or ()]
        gap = self._opt(e, "max_gap", self._gap, DEFAULT_GAP)
        kept = tuple(item for item in items if item is not None)
        if len(kept) < max(len(items), 2):
            return None
        return SequenceLeaf(kept, gap)

    def _sequence_item(self, node: Node) -> ConceptLeaf | EntityLeaf | KeywordsLeaf | None:
        heads = [str(k.value) for k, _ in node.value if isinstance(k, ScalarNode)] \
            if isinstance(node, MappingNode) else []
        other = next((h for h in heads if h in BRANCHES or (h in LEAVES
                                                             and h not in SEQUENCE_ITEMS)), None)
        if other is not None:
            hint = ": put the sequence inside all/any/not instead" if other in BRANCHES else ""
            self.report.add(node, "rule.bad_match", "a sequence holds concept, entity and "
                            f"keywords leaves, not '{other}'{hint}")
            return None
        leaf = self.node(node, "an item of 'sequence'")
        if not isinstance(leaf, ConceptLeaf | EntityLeaf | KeywordsLeaf):
            return None
        if leaf.context is not None:
            context = next(k for k, _ in node.value if getattr(k, "value", None) == "context")
            self.report.add(context, "rule.bad_match", "a sequence stays in one sentence: "
                            "its items take no 'context'")
            return None
        return leaf

    def _gap(self, node: Node, what: str) -> int | None:
        gap = yp.whole_number(node)
        if gap is None or gap < 0:
            self.report.add(node, "rule.bad_value", f"{what} must be a whole number of tokens, "
                            f"0 or more, not {yp.describe(node)}")
            return None
        return gap

    def _context(self, node: Node, what: str) -> Context | None:
        e = yp.mapping(self.report, node, what, CONTEXT_KEYS)
        if e is None:
            return None
        return Context(previous_sentences=self._opt(e, "previous_sentences", self.count, 0),
                       paragraph=self._opt(e, "paragraph", self.flag, False),
                       lead=self._opt(e, "lead", self.count, 0),
                       title=self._opt(e, "title", self.flag, False))

    def _concept(self, node: Node, context: Context | None) -> ConceptLeaf | None:
        name = self.text(node, "a concept name")
        if name is not None and name not in self.present:
            self.report.add(node, "rule.unknown_concept", f"unknown concept '{name}'"
                            f"{yp.suggest(name, sorted(self.present))}: no file "
                            f"{concept_path(self.concepts_dir, name)}")
            return None
        self.concepts |= {name} if name else set()
        return ConceptLeaf(name, context) if name else None

    def _entity(self, node: Node, e: yp.Entries, context: Context | None) -> EntityLeaf | None:
        kind = self._choice(node, "entity", ENTITIES)
        if "except" in e.values and "only" in e.values:
            later = max(e.keys["except"], e.keys["only"], key=lambda k: k.start_mark.pointer)
            self.report.add(later, "rule.except_and_only", "give 'except' or 'only', not both")
        excluded: frozenset[str] = self._opt(e, "except", self._codes, frozenset())
        only = self._opt(e, "only", self._codes, None)
        if only == frozenset():
            self.report.add(e.values["only"], "rule.bad_value", "'only' is empty: it would "
                            "match no country; leave it out to match any")
        capture = self._opt(e, "capture", self._capture, None)
        return EntityLeaf(kind, excluded, only, capture, context) if kind else None

    def _capture(self, node: Node, what: str) -> str | None:
        name = self.text(node, what)
        if name is not None and (self.in_unless or not CAPTURE_NAME.match(name)):
            why = "records nothing in 'unless'" if self.in_unless else \
                "must be a lower-case word such as 'country'"
            self.report.add(node, "rule.bad_value", f"capture '{name}' {why}")
            return None
        self.captures |= {name} if name else set()
        return name

    def _codes(self, node: Node, what: str) -> frozenset[str] | None:
        nodes = yp.items(self.report, node, what)
        codes = [self._iso_code(n, what) for n in nodes or ()]
        return frozenset(c for c in codes if c is not None) if nodes is not None else None

    def _iso_code(self, node: Node, what: str) -> str | None:
        if yp.bare_bool(node):
            self.report.add(node, "rule.bad_iso_code", f'quote ISO codes: "{node.value}" (YAML '
                            f"reads a bare {node.value} as true/false)")
            return None
        code = self.text(node, f"an ISO code in {what}")
        if code is None or is_country_code(code):
            return code
        if is_country_code(code.upper()):
            message = f"write ISO codes in upper case: '{code.upper()}' for '{code}'"
        else:
            hint = CODE_MISTAKES.get(code.upper())
            message = f"unknown ISO 3166 country code '{code}'" + (
                f" (did you mean '{hint}'?)" if hint else "")
        self.report.add(node, "rule.bad_iso_code", message)
        return None

    def _regex(self, node: Node, context: Context | None) -> RegexLeaf | None:
        pattern = self.text(node, "a regex")
        if pattern is None:
            return None
        try:
            compiled = re.compile(pattern)
        except re.error as exc:  # point at the character when the source holds it verbatim
            shift = yp.verbatim_shift(node) if isinstance(node, ScalarNode) else None
            exact = shift is not None and exc.pos is not None
            self.report.add(node, "rule.bad_regex", f"bad regex: {exc}",
                            shift=(shift or 0) + (exc.pos or 0) if exact else 0)
            return None
        if compiled.search("") is not None:
            self.report.add(node, "rule.bad_regex", f"regex '{pattern}' matches the empty text, "
                            "so it would match everywhere")
            return None
        return RegexLeaf(compiled, context)

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
