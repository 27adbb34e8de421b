"""The match tree of a rule file (``match:`` and ``unless:``) read into the AST of
:mod:`monitor.match.rules`: branches (all, any, not) and leaves (concept, entity, regex,
keywords, sequence), each problem reported at its line and column. The rule-level keys are
read by :class:`monitor.match.rulefile.RuleReader`, which builds on this reader.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from monitor.match import yamlpos as yp
from monitor.match.concepts import concept_path
from monitor.match.countries import is_country_code
from monitor.match.rules import (
    DEFAULT_GAP,
    AllNode,
    AnyNode,
    ConceptLeaf,
    Context,
    EntityLeaf,
    KeywordsLeaf,
    MatchNode,
    NotNode,
    RegexLeaf,
    SequenceLeaf,
)
from monitor.match.yamlpos import Report

T = TypeVar("T")

ENTITIES = ("country",)
BRANCHES = ("all", "any", "not")
LEAVES = {"concept": ("context",), "entity": ("except", "only", "capture", "context"),
          "regex": ("context",), "keywords": ("context",), "sequence": ("max_gap",)}
SEQUENCE_ITEMS = ("concept", "entity", "keywords")
CONTEXT_KEYS = ("previous_sentences", "paragraph", "lead", "title")
CAPTURE_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
CODE_MISTAKES = {"UK": "GB", "EL": "GR"}  # EU usage, not ISO 3166


class TreeReader:
    """Reads match trees, reporting as it goes; the base of the rule reader."""

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
