"""YAML with positions: read rule and concept files as PyYAML nodes and report problems at them.

The loaders never call ``yaml.safe_load``: a plain value has lost its line and column, and a
bare ``NO`` has already become ``False``. They read the node tree of ``yaml.compose`` instead,
whose every node keeps its start mark and its source text, and check it with the readers here.
A reader that finds something wrong adds a :class:`Problem` to the file's :class:`Report` and
returns ``None``; the caller carries on, so one run reports every problem of every file.

Positions are 1-based ``line:col`` (columns count characters), so a problem prints as
``rules/x.yaml:12:5: unknown concept 'securty-guarantee' (did you mean 'security-guarantee'?)``.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

STR = "tag:yaml.org,2002:str"
BOOL = "tag:yaml.org,2002:bool"
INT = "tag:yaml.org,2002:int"
NULL = "tag:yaml.org,2002:null"
MAP = "tag:yaml.org,2002:map"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in a rule or concept file; ``line`` is 0 when it concerns the whole path."""

    path: str
    line: int
    col: int
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.col}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass
class Report:
    """The problems found in one file; every check adds to it and the reading goes on."""

    path: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, at: Node | Mark | None, code: str, message: str, shift: int = 0) -> None:
        """A problem at a node or mark (``shift`` more columns to the right), or at the file."""
        mark = at.start_mark if isinstance(at, Node) else at
        line, col = (mark.line + 1, mark.column + 1 + shift) if mark is not None else (0, 0)
        self.problems.append(Problem(self.path, line, col, code, message))


def compose(
    report: Report, data: bytes, *, allow_empty: bool = False, fast: bool = False
) -> Node | None:
    """The node tree of one YAML document; None (with the problem reported) if it has none.

    ``allow_empty``: a file with no document (nothing, or only comments) reads as an empty
    mapping, for files whose keys are all optional. ``fast``: libyaml's composer when PyYAML
    has it, some 15 times faster for large data files; its marks keep line and column but not
    the source text, so :func:`verbatim_shift` gives None for its nodes.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.add(None, "rule.syntax", f"not UTF-8 text: {exc.reason} at byte {exc.start}")
        return None
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader) if fast else yaml.SafeLoader
        node: Node | None = yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        context = f" {exc.context}" if exc.context else ""
        start, mark = exc.context_mark, exc.problem_mark
        if start is not None and mark is not None and start.line != mark.line:
            context += f" that starts at {start.line + 1}:{start.column + 1}"
        report.add(mark, "rule.syntax", f"YAML syntax: {exc.problem}{context}")
        return None
    except yaml.YAMLError as exc:
        report.add(None, "rule.syntax", f"YAML syntax: {exc}")
        return None
    if node is None and allow_empty:
        return MappingNode(MAP, [])
    if node is None:
        report.add(None, "rule.syntax", "the file is empty")
    return node


def suggest(word: str, options: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest option, or nothing when none is close."""
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def describe(node: Node) -> str:
    """What a node is, in the words of a message: 'a list', 'the number 12', 'true/false'."""
    if isinstance(node, MappingNode):
        return "a mapping" if node.value else "an empty mapping"
    if isinstance(node, SequenceNode):
        return "a list" if node.value else "an empty list"
    return {
        STR: f"the string '{node.value}'",
        BOOL: f"the boolean {node.value}",
        INT: f"the number {node.value}",
        NULL: "empty",
    }.get(node.tag, f"'{node.value}'")


def bare_bool(node: Node) -> bool:
    """A plain YES/NO/ON/OFF/TRUE/FALSE that YAML 1.1 reads as a boolean (the Norway problem)."""
    # plain style: None from PyYAML's composer, "" from libyaml's (compose(fast=True))
    return isinstance(node, ScalarNode) and node.tag == BOOL and not node.style


@dataclass
class Entries:
    """A mapping's entries by key (value nodes and key nodes), once its keys were checked."""

    node: MappingNode
    values: dict[str, Node] = field(default_factory=dict)
    keys: dict[str, Node] = field(default_factory=dict)

    def get(self, key: str) -> Node | None:
        return self.values.get(key)


def mapping(
    report: Report, node: Node, what: str, allowed: Sequence[str], required: Sequence[str] = ()
) -> Entries | None:
    """A mapping's entries; reports unknown keys (with the closest known one), duplicates and
    missing required keys."""
    if not isinstance(node, MappingNode):
        report.add(node, "rule.wrong_type", f"{what} must be a mapping (key: value), not "
                   f"{describe(node)}")
        return None
    entries = Entries(node)
    for key, value in node.value:
        name = key.value if isinstance(key, ScalarNode) else None
        if name is None:
            report.add(key, "rule.wrong_type", f"a key in {what} must be a word, not "
                       f"{describe(key)}")
        elif name in entries.values:
            report.add(key, "rule.duplicate_key", f"duplicate key '{name}' in {what}: keep one")
        elif name not in allowed:
            hint = suggest(name, allowed) or f"; valid keys: {', '.join(allowed)}"
            report.add(key, "rule.unknown_key", f"unknown key '{name}' in {what}{hint}")
        else:
            entries.values[name], entries.keys[name] = value, key
    for name in required:
        if name not in entries.values:
            report.add(node, "rule.missing_key", f"missing required key '{name}' in {what}: add "
                       f"'{name}: ...'")
    return entries


def pairs(report: Report, node: Node, what: str, shape: str = "key: value") -> list[
        tuple[Node, Node]] | None:
    """The (key, value) node pairs of a mapping whose keys are data, not a fixed set."""
    if isinstance(node, MappingNode):
        return list(node.value)
    report.add(node, "rule.wrong_type", f"{what} must be a mapping ({shape}), not "
               f"{describe(node)}")
    return None


def text(report: Report, node: Node, what: str) -> str | None:
    """A string value; a number, date or boolean is reported with the quoted form to write."""
    if isinstance(node, ScalarNode) and node.tag == STR:
        return str(node.value)
    if isinstance(node, ScalarNode) and node.tag != NULL:
        report.add(node, "rule.wrong_type", f'{what} must be a string: quote it, "{node.value}"')
    else:
        report.add(node, "rule.wrong_type", f"{what} must be a string, not {describe(node)}")
    return None


def flag(report: Report, node: Node, what: str) -> bool | None:
    if isinstance(node, ScalarNode) and node.tag == BOOL:
        return str(node.value).lower() in ("true", "yes", "on")
    report.add(node, "rule.wrong_type", f"{what} must be true or false, not {describe(node)}")
    return None


def whole_number(node: Node) -> int | None:
    """The value of an integer scalar (0x.., 1_000 included), None for anything else."""
    if isinstance(node, ScalarNode) and node.tag == INT:
        value = yaml.constructor.SafeConstructor().construct_yaml_int(node)
        return int(value)
    return None


def count(report: Report, node: Node, what: str) -> int | None:
    """A whole number of zero or more."""
    number = whole_number(node)
    if number is None or number < 0:
        report.add(node, "rule.wrong_type", f"{what} must be a whole number of 0 or more, not "
                   f"{describe(node)}")
        return None
    return number


def items(report: Report, node: Node, what: str) -> list[Node] | None:
    if isinstance(node, SequenceNode):
        return list(node.value)
    report.add(node, "rule.wrong_type", f"{what} must be a list ([a, b] or '- a' lines), not "
               f"{describe(node)}")
    return None


def texts(report: Report, node: Node, what: str) -> list[str] | None:
    """A list of non-blank strings; the good ones when some entries are bad (all reported)."""
    nodes = items(report, node, what)
    if nodes is None:
        return None
    found = []
    for item in nodes:
        value = text(report, item, f"an entry of {what}")
        if value is not None and not value.strip():
            report.add(item, "rule.wrong_type", f"{what} has a blank entry: remove it")
        elif value is not None:
            found.append(value)
    return found


def verbatim_shift(node: ScalarNode) -> int | None:
    """How many columns after its start a scalar's value begins, when the source holds it
    verbatim on one line (so a character offset in the value is a column); else None."""
    start, end = node.start_mark, node.end_mark
    if start.buffer is None or start.line != end.line:
        return None
    raw = str(start.buffer[start.pointer:end.pointer])
    quote = 1 if node.style in ("'", '"') else 0
    return quote if raw[quote:len(raw) - quote] == node.value else None


def to_python(node: Node) -> object:
    """A node as plain Python data (for the parts a later stage validates, such as notify)."""
    return yaml.constructor.SafeConstructor().construct_document(node)


def read_bytes(report: Report, path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as exc:
        report.add(None, "rule.unreadable", f"cannot read: {exc.strerror or exc}")
        return None
