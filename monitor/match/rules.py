"""Rules: YAML rule files read into a frozen AST, with every problem reported as file:line:col.

One rule per file, ``RULES_DIR/NAME.yaml``; a file with a dotted stem (``NAME.known-fp.yaml``)
sits beside a rule and is not one. Concepts live in ``RULES_DIR/concepts/`` (see
:mod:`monitor.match.concepts`)::

    id: security-guarantees          # required: a-z, 0-9 and hyphens; unique across files
    title: A country commits to security guarantees for Ukraine        # required
    description: ...                 # optional
    severity: high                   # low | medium (default) | high | critical
    enabled: true                    # false: loaded and checked, never run
    tags: [ukraine]                  # optional labels, as in Sigma
    falsepositives: [...]            # optional: known look-alikes, for the analyst
    languages: [en, fr, "no"]        # ISO 639-1 (quote "no"); default: every language
    scope: sentence                  # sentence (default) | paragraph | article | {window: N}
    fields: [title, text]            # where to look; default both
    feeds: {tags: [world], urls: ["https://example.org/feed.xml"]}    # optional: only these
    match:                           # required: a tree of all / any / not over leaves
      all:
        - concept: security-guarantee
          context: {previous_sentences: 1, title: true}
        - entity: country
          except: ["UA"]
          capture: country
        - concept: commitment
    unless:                          # vetoes: no hit when one matches in the clause of the hit
      - concept: refusal
    notify:                          # optional; default: the config's default_channel
      channels: [analysts]           # channel names from the config's [channels.NAME]
      digest: 30m                    # one message per period instead of one per hit
      throttle: {max: 5, per: 1h}    # at most 5 alerts an hour; the rest go in a digest
    tests:                           # like Sigma's: texts that must fire or stay quiet
      - {lang: en, text: "Britain pledged ...", expect: true, captures: {country: ["GB"]}}
      - {lang: fr, title: "...", text: "...", expect: false, why: a refusal}

Leaves, each a one-key mapping plus its options:

    concept: NAME                    a concept of RULES_DIR/concepts/NAME.yaml
    entity: country                  any country, by name, inflection, demonym or capital
      except: ["UA"] | only: [...]   ISO 3166-1 alpha-2, upper case, quoted ("NO", never NO)
      capture: country               record the country found: the one that does the act
    regex: PATTERN                   Python ``re``; case-sensitive unless it starts with (?i)
    keywords: [words, "a phrase"]    whole words, case- and diacritic-insensitive
    sequence: [leaf, leaf, ...]      concept, entity and keywords leaves in this order in one
      max_gap: 3                     sentence, each at most max_gap tokens after the one before
                                     (default 3); an entity item is the country next to its
                                     neighbours, with no other country between them

A sequence in ``unless`` vetoes the clauses of the words it matched: "security guarantees for
Israel" stops the guarantees from counting, while "security guarantees for Ukraine and
Moldova" (Ukraine is the country next to "for") does not.

Scope and context: a rule fires when its ``match`` tree holds within one scope unit and no
``unless`` condition holds in the same clause. A leaf may reach out of the unit with
``context:``, which says where else that one ingredient may be found:

    previous_sentences: N            the N sentences before the unit
    paragraph: true                  anywhere in the unit's paragraph
    lead: N                          the first N sentences of the text (the article's topic)
    title: true                      the title

Only the leaves that say so reach out, so a rule lets the object of a commitment ("security
guarantees") come from the sentence before or the headline while the committing country and the
commitment share a sentence; a long article that names the pieces apart does not fire.

A test (``lang`` and ``expect`` required, ``title`` and/or ``text``) passes when the rule fires
or not as expected and, for each name under ``captures``, captures exactly those codes.

``version`` of a loaded rule: sha256 over the rule file's bytes and, by name, every concept file
it uses, transitively (``extends`` included): editing any of them makes a new version.

Loading reports every problem of every file at once, as ``path:line:col: message`` with a code:
rule.syntax, rule.unreadable, rule.unknown_key, rule.missing_key, rule.duplicate_key,
rule.wrong_type, rule.bad_value, rule.bad_id, rule.duplicate_id, rule.unknown_concept,
rule.concept_name, rule.concept_cycle, rule.bad_regex, rule.bad_iso_code, rule.bad_language,
rule.except_and_only, rule.empty_match, rule.bad_match, rule.bad_scope, rule.unknown_capture,
rule.bad_test. :class:`RuleLoadError` carries them all; its own code is theirs when they share
one, else rule.invalid.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeAlias

from yaml.nodes import Node

from monitor.errors import RuleError
from monitor.match.concepts import ConceptSpec, load_concepts
from monitor.match.yamlpos import Problem, Report


@dataclass(frozen=True)
class Context:
    """Where else than the scope unit a leaf may be found (all off: only in the unit)."""

    previous_sentences: int = 0
    paragraph: bool = False
    lead: int = 0
    title: bool = False


@dataclass(frozen=True)
class ConceptLeaf:
    concept: str
    context: Context | None = None


@dataclass(frozen=True)
class EntityLeaf:
    entity: str  # "country"
    excluded: frozenset[str] = frozenset()  # ISO codes that do not count ("except:")
    only: frozenset[str] | None = None  # None: any country
    capture: str | None = None
    context: Context | None = None


@dataclass(frozen=True)
class RegexLeaf:
    pattern: re.Pattern[str]
    context: Context | None = None


@dataclass(frozen=True)
class KeywordsLeaf:
    keywords: tuple[str, ...]
    context: Context | None = None


DEFAULT_GAP = 3  # tokens allowed between two items of a sequence


@dataclass(frozen=True)
class SequenceLeaf:
    """Items in this order in one sentence, each at most ``max_gap`` tokens after the last."""

    items: tuple[ConceptLeaf | EntityLeaf | KeywordsLeaf, ...]
    max_gap: int = DEFAULT_GAP


@dataclass(frozen=True)
class AllNode:
    children: tuple[MatchNode, ...]


@dataclass(frozen=True)
class AnyNode:
    children: tuple[MatchNode, ...]


@dataclass(frozen=True)
class NotNode:
    child: MatchNode


Leaf: TypeAlias = ConceptLeaf | EntityLeaf | RegexLeaf | KeywordsLeaf | SequenceLeaf
MatchNode: TypeAlias = Leaf | AllNode | AnyNode | NotNode


def leaves(*nodes: MatchNode, into_not: bool = True,
           into_sequences: bool = True) -> Iterator[MatchNode]:
    """The leaves of match trees, in the order written; with ``into_not=False`` each ``not``
    is yielded whole instead of its leaves, with ``into_sequences=False`` each sequence."""
    for node in nodes:
        if isinstance(node, AllNode | AnyNode):
            yield from leaves(*node.children, into_not=into_not,
                              into_sequences=into_sequences)
        elif isinstance(node, NotNode) and into_not:
            yield from leaves(node.child, into_sequences=into_sequences)
        elif isinstance(node, SequenceLeaf) and into_sequences:
            yield from node.items
        else:
            yield node


def parts(leaf: MatchNode) -> tuple[MatchNode, ...]:
    """The leaves a leaf needs all of: a sequence's items, else the leaf itself."""
    return leaf.items if isinstance(leaf, SequenceLeaf) else (leaf,)


def required(node: MatchNode) -> Iterator[MatchNode]:
    """The leaves the tree cannot hold without: reached from the root through ``all`` only."""
    if isinstance(node, AllNode):
        for child in node.children:
            yield from required(child)
    elif not isinstance(node, AnyNode | NotNode):
        yield node


@dataclass(frozen=True)
class Scope:
    unit: str = "sentence"  # sentence | paragraph | article | window
    window: int = 0  # tokens, when unit is "window"


@dataclass(frozen=True)
class FeedFilter:
    """Feeds a rule runs on: any tag listed or any URL listed; both empty: every feed."""

    tags: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Throttle:
    """At most ``limit`` alerts per ``period`` seconds; the rest wait for the next digest."""

    limit: int
    period: int


@dataclass(frozen=True)
class NotifySpec:
    """Where and how a rule's hits are alerted (the ``notify:`` mapping)."""

    channels: tuple[str, ...] = ()  # empty: the config's default_channel
    digest: int = 0  # seconds: one message per period listing its hits; 0: each hit at once
    throttle: Throttle | None = None


@dataclass(frozen=True)
class RuleTest:
    lang: str
    title: str
    text: str
    expect: bool
    captures: Mapping[str, frozenset[str]] | None  # None: captures not checked
    why: str
    line: int  # where the test starts in the rule file, for reports


@dataclass(frozen=True)
class RuleSpec:
    id: str
    title: str
    match: MatchNode
    path: Path
    description: str = ""
    severity: str = "medium"
    enabled: bool = True
    tags: tuple[str, ...] = ()
    falsepositives: tuple[str, ...] = ()
    languages: frozenset[str] = frozenset()  # empty: every language
    scope: Scope = Scope()
    fields: tuple[str, ...] = ("title", "text")
    feeds: FeedFilter = FeedFilter()
    unless: tuple[MatchNode, ...] = ()
    notify: NotifySpec = NotifySpec()
    tests: tuple[RuleTest, ...] = ()
    concepts: frozenset[str] = frozenset()  # every concept used, with those they extend
    version: str = ""


def keyword_key(rule: RuleSpec, leaf: KeywordsLeaf) -> str:
    """The lexicon key of a rule's ``keywords`` leaf: the rule id and a checksum of its words."""
    return f"{rule.id}#{zlib.crc32(chr(31).join(leaf.keywords).encode()):08x}"


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[RuleSpec, ...]
    concepts: Mapping[str, ConceptSpec]  # every concept the rules use

    @property
    def enabled(self) -> tuple[RuleSpec, ...]:
        return tuple(rule for rule in self.rules if rule.enabled)

    def get(self, rule_id: str) -> RuleSpec | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)


class RuleLoadError(RuleError):
    """Rules that do not load; ``problems`` lists every one, in file and line order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        codes = {problem.code for problem in problems}
        lines = "\n".join(str(problem) for problem in problems)
        super().__init__(f"rule: {len(problems)} problem(s):\n{lines}",
                         codes.pop() if len(codes) == 1 else "rule.invalid")
        self.problems = list(problems)


@dataclass
class RuleRead:
    """One rule file as read: the rule when it has no problem of its own."""

    path: Path
    data: bytes
    spec: RuleSpec | None
    id_node: Node | None
    concepts: frozenset[str]
    problems: list[Problem]


def _read(path: Path, concepts_dir: Path, present: frozenset[str]) -> RuleRead:
    from monitor.match.rulefile import read_rule  # it builds this module's AST: import late

    return read_rule(path, concepts_dir, present)


def _duplicate_ids(read: Sequence[RuleRead]) -> list[Problem]:
    first: dict[str, tuple[Path, Node]] = {}
    problems: list[Problem] = []
    for item in read:
        if item.id_node is None:
            continue
        rule_id = str(item.id_node.value)
        if rule_id not in first:
            first[rule_id] = (item.path, item.id_node)
            continue
        path, node = first[rule_id]
        report = Report(str(item.path))
        report.add(item.id_node, "rule.duplicate_id", f"duplicate rule id '{rule_id}': also in "
                   f"{path}:{node.start_mark.line + 1}:{node.start_mark.column + 1}; "
                   "give each rule its own id")
        problems += report.problems
    return problems


def rule_files(rules_dir: Path) -> list[Path]:
    """The rule files of a rules directory: ``*.yaml`` with an undotted stem, by name."""
    return sorted(p for p in rules_dir.glob("*.yaml") if "." not in p.stem and p.is_file())


def rule_version(data: bytes, concepts: Sequence[ConceptSpec]) -> str:
    digest = hashlib.sha256(len(data).to_bytes(8, "big") + data)
    for concept in sorted(concepts, key=lambda c: c.name):
        digest.update(f"\0{concept.name}\0{concept.digest}".encode())
    return digest.hexdigest()


def _finish(item: RuleRead, concepts: Mapping[str, ConceptSpec]) -> RuleSpec:
    assert item.spec is not None
    used = frozenset().union(*(concepts[name].uses for name in item.concepts))
    version = rule_version(item.data, [concepts[name] for name in used])
    return replace(item.spec, concepts=used, version=version)


def load_rules(rules_dir: Path) -> RuleSet:
    """Every rule of ``rules_dir`` and the concepts they use; raises :class:`RuleLoadError`
    listing every problem of every rule and concept file."""
    if not rules_dir.is_dir():
        raise RuleLoadError([Problem(str(rules_dir), 0, 0, "rule.unreadable",
                                     "no such rules directory")])
    library = load_concepts(rules_dir / "concepts")
    read = [_read(path, library.directory, library.present) for path in rule_files(rules_dir)]
    problems = library.problems + [p for item in read for p in item.problems]
    problems += _duplicate_ids(read)
    if problems:
        raise RuleLoadError(sorted(problems))
    rules = tuple(_finish(item, library.concepts) for item in read)
    used = sorted(frozenset().union(*(rule.concepts for rule in rules)))
    return RuleSet(rules, {name: library.concepts[name] for name in used})


def load_rule_file(path: Path, concepts_dir: Path | None = None) -> RuleSpec:
    """One rule file and the concepts it uses (from ``concepts_dir``, by default the
    ``concepts`` folder beside it); raises :class:`RuleLoadError` with every problem."""
    concepts_dir = concepts_dir or path.parent / "concepts"
    item = _read(path, concepts_dir, load_concepts(concepts_dir, ()).present)
    library = load_concepts(concepts_dir, item.concepts)
    problems = sorted(item.problems + library.problems)
    if problems:
        raise RuleLoadError(problems)
    return _finish(item, library.concepts)


def check(paths: Sequence[Path]) -> list[Problem]:
    """Every problem of the rule files, rules directories and concept files given (a rules
    directory brings its concepts; a rule file, the concepts it uses); empty when all is well."""
    problems: list[Problem] = []
    read: dict[Path, RuleRead] = {}  # by resolved path: a file given twice is read once
    for path in paths:
        if path.is_dir():
            library = load_concepts(path / "concepts")
            problems += library.problems
            for rule in rule_files(path):
                read.setdefault(rule.resolve(), _read(rule, library.directory, library.present))
        elif path.is_file() and path.parent.name == "concepts" and path.suffix == ".yaml":
            problems += load_concepts(path.parent, [path.stem]).problems
        elif path.is_file() and path.resolve() not in read:
            present = load_concepts(path.parent / "concepts", ()).present
            read[path.resolve()] = item = _read(path, path.parent / "concepts", present)
            problems += load_concepts(path.parent / "concepts", item.concepts).problems
        elif not path.exists():
            problems.append(Problem(str(path), 0, 0, "rule.unreadable", "no such file or folder"))
    problems += [p for item in read.values() for p in item.problems]
    return sorted(set(problems + _duplicate_ids(list(read.values()))))
