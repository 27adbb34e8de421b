"""Concepts: named multilingual lexicons that rules use as ``concept: NAME`` leaves.

One file per concept, ``RULES_DIR/concepts/NAME.yaml``::

    name: security-guarantee          # required; equals the file name stem
    description: Guarantees of a country's security given by others
    extends: [guarantee]              # optional: concepts whose terms and excludes this one adds
    terms:                            # language code -> words or phrases (required unless extends)
      en: [security guarantee, security assurances]
      fr: [garantie de sécurité]
      "no": [sikkerhetsgaranti]       # quote "no": YAML reads a bare no as false
      ja: [安全保障]
    exclude:                          # optional, same shape: phrases holding a term that mean
      en: [security guarantee fund]   # something else; a term inside one of them does not count

Terms are plain text, no patterns: the matcher folds case and diacritics and compares lemmas or
stems, so a base form also finds its inflected forms; ja and zh terms match on the script itself.
A hyphen at a term's end or start makes it an affix ("ل-", "-lle"), an apostrophe at its start a
clitic ("'e"): see :mod:`monitor.match.lexicon`.
Language codes are the ISO 639-1 codes of ``monitor.language.normalise_code`` ("de", not "deu").

:func:`load_concepts` reads a concepts directory (all of it, or the named concepts and what
they extend) and resolves ``extends``: a :class:`ConceptSpec` holds its own terms plus every
extended concept's, and ``uses`` names the concepts whose files it depends on, for rule versions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from yaml.nodes import Node

from monitor.language import normalise_code
from monitor.match import yamlpos
from monitor.match.yamlpos import Problem, Report

CONCEPT_KEYS = ("name", "description", "extends", "terms", "exclude")


@dataclass(frozen=True)
class ConceptSpec:
    name: str
    description: str
    terms: Mapping[str, tuple[str, ...]]  # language -> terms, own and extended
    exclude: Mapping[str, tuple[str, ...]]  # language -> phrases that are not the concept
    extends: tuple[str, ...]
    path: Path
    digest: str  # sha256 of this file's bytes
    uses: frozenset[str]  # this concept and every one it extends, transitively


@dataclass
class _Draft:
    """A concept file as read, before ``extends`` is resolved."""

    name: str
    description: str
    terms: dict[str, tuple[str, ...]]
    exclude: dict[str, tuple[str, ...]]
    extends: list[tuple[str, Node]]
    path: Path
    digest: str
    clean: bool


@dataclass
class ConceptLibrary:
    """The concepts of one directory: those that loaded, the names that exist, the problems."""

    directory: Path
    concepts: dict[str, ConceptSpec] = field(default_factory=dict)
    present: frozenset[str] = frozenset()  # every NAME.yaml, whether it loaded or not
    problems: list[Problem] = field(default_factory=list)


def concept_path(directory: Path, name: str) -> Path:
    return directory / f"{name}.yaml"


def language_code(report: Report, node: Node, what: str) -> str | None:
    """An ISO 639-1 code as ``normalise_code`` stores it; reports the Norway problem."""
    if yamlpos.bare_bool(node):
        report.add(node, "rule.bad_language", f'quote language codes: "{node.value}" (YAML '
                   f"reads a bare {node.value} as true/false)")
        return None
    code = yamlpos.text(report, node, what)
    if code is None:
        return None
    known = normalise_code(code)
    if known is None:
        report.add(node, "rule.bad_language",
                   f"unknown language code '{code}' in {what}: use ISO 639-1, such as 'en'")
    elif known != code:
        report.add(node, "rule.bad_language", f"write the language code '{known}' for '{code}'")
    return known if known == code else None


def _by_language(report: Report, node: Node, what: str) -> dict[str, tuple[str, ...]]:
    """A mapping of language code to a list of phrases (the shape of terms and exclude)."""
    found: dict[str, tuple[str, ...]] = {}
    for key, value in yamlpos.pairs(report, node, what, "language: [phrases]") or ():
        lang = language_code(report, key, f"{what} (a language code)")
        phrases = yamlpos.texts(report, value, f"{what} in '{key.value}'")
        if lang is not None and lang in found:
            report.add(key, "rule.duplicate_key", f"language '{lang}' twice in {what}: merge them")
        elif lang is not None and phrases is not None:
            found[lang] = tuple(dict.fromkeys(phrases))
    return found


def read_concept(path: Path) -> tuple[_Draft | None, Report]:
    report = Report(str(path))
    data = yamlpos.read_bytes(report, path)
    root = yamlpos.compose(report, data) if data is not None else None
    if data is None or root is None:
        return None, report
    entries = yamlpos.mapping(report, root, "concept", CONCEPT_KEYS, ("name",))
    if entries is None:
        return None, report
    name_node, description = entries.get("name"), entries.get("description")
    name = yamlpos.text(report, name_node, "concept name") if name_node else None
    if name_node is not None and name is not None and name != path.stem:
        report.add(name_node, "rule.concept_name", f"concept name '{name}' does not match its "
                   f"file name '{path.name}': rename one so they agree")
    extends: list[tuple[str, Node]] = []
    if (node := entries.get("extends")) is not None:
        for item in yamlpos.items(report, node, "'extends'") or ():
            parent = yamlpos.text(report, item, "an entry of 'extends'")
            extends += [(parent, item)] if parent is not None else []
    terms_node, exclude_node = entries.get("terms"), entries.get("exclude")
    terms = _by_language(report, terms_node, "'terms'") if terms_node else {}
    exclude = _by_language(report, exclude_node, "'exclude'") if exclude_node else {}
    if terms_node is None and not extends:
        report.add(root, "rule.missing_key", "missing required key 'terms' in concept (or "
                   "'extends' to build on other concepts)")
    about = yamlpos.text(report, description, "'description'") if description else None
    draft = _Draft(
        name=path.stem,
        description=about or "",
        terms=terms, exclude=exclude, extends=extends, path=path,
        digest=hashlib.sha256(data).hexdigest(), clean=not report.problems,
    )
    return draft, report


def _merge(
    into: dict[str, tuple[str, ...]], more: Mapping[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    for lang, phrases in more.items():
        into[lang] = tuple(dict.fromkeys(into.get(lang, ()) + phrases))
    return into


class _Resolver:
    """Resolves ``extends`` over the drafts read, reporting unknown parents and cycles once."""

    def __init__(self, library: ConceptLibrary, drafts: dict[str, _Draft],
                 reports: dict[str, Report]) -> None:
        self.library, self.drafts, self.reports = library, drafts, reports
        self.done: dict[str, ConceptSpec | None] = {}

    def resolve(self, name: str, chain: tuple[str, ...] = ()) -> ConceptSpec | None:
        if name not in self.done:
            self.done[name] = self._resolve(name, chain)
        return self.done[name]

    def _resolve(self, name: str, chain: tuple[str, ...]) -> ConceptSpec | None:
        draft, report = self.drafts[name], self.reports[name]
        terms, exclude = dict(draft.terms), dict(draft.exclude)
        uses, ok = {name}, draft.clean
        for parent, node in draft.extends:
            if parent == name or parent in chain:
                start = chain.index(parent) if parent in chain else len(chain)
                loop = " -> ".join((*chain[start:], name, parent))
                report.add(node, "rule.concept_cycle", f"concept '{name}' extends itself "
                           f"({loop}): remove one of the links")
                ok = False
            elif parent not in self.library.present:
                hint = yamlpos.suggest(parent, sorted(self.library.present))
                report.add(node, "rule.unknown_concept", f"unknown concept '{parent}'{hint}: "
                           f"no file {concept_path(self.library.directory, parent)}")
                ok = False
            elif parent not in self.drafts or (got := self.resolve(parent, (*chain, name))) is None:
                ok = False
            else:
                _merge(terms, got.terms)
                _merge(exclude, got.exclude)
                uses |= got.uses
        if not ok:
            return None
        spec = ConceptSpec(draft.name, draft.description, terms, exclude,
                           tuple(parent for parent, _ in draft.extends), draft.path,
                           draft.digest, frozenset(uses))
        self.library.concepts[name] = spec
        return spec


def load_concepts(directory: Path, names: Iterable[str] | None = None) -> ConceptLibrary:
    """The concepts of ``directory``: every file, or only ``names`` and what they extend.

    Problems are collected on the library, never raised; a concept with a problem (or that
    extends one) is left out of ``concepts`` but stays in ``present``.
    """
    present = frozenset(p.stem for p in directory.glob("*.yaml")) if directory.is_dir() else \
        frozenset()
    library = ConceptLibrary(directory, present=present)
    drafts: dict[str, _Draft] = {}
    reports: dict[str, Report] = {}
    wanted = sorted(present) if names is None else sorted(set(names) & present)
    while wanted:
        name = wanted.pop()
        if name in reports:
            continue
        draft, reports[name] = read_concept(concept_path(directory, name))
        if draft is not None:
            drafts[name] = draft
            wanted += [p for p, _ in draft.extends if p in present and p not in reports]
    resolver = _Resolver(library, drafts, reports)
    for name in sorted(drafts):
        resolver.resolve(name)
    library.problems = sorted(p for report in reports.values() for p in report.problems)
    return library
