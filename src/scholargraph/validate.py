"""Validation: the graph against the project's SHACL shapes, reported at the source lines.

This is the only module that imports pySHACL.  The shapes are
``ontology/shapes.ttl`` (plus the project's vocabulary ``ontology/sg.ttl``);
every result is located through the focus node's
``prov:wasDerivedFrom <…/source/{relpath}#line={a},{b}>`` (RFC 5147: ``a`` is
the 0-based start, so the file line is ``a + 1``) and printed the way a
compiler prints errors::

    data/cv.md:42: position "PhD student": end date 2017 is before start date 2019 (shape sg:DateOrderShape)

An author role or an identifier carries no provenance of its own; it is
located through the work or entity that points to it.

Where the shapes are found.  ``ontology/`` lives at the root of the
repository.  ``src/scholargraph/ontology`` is a symbolic link to it, and
``pyproject.toml`` ships ``ontology/*.ttl`` as package data, so a normal
install (``pip install .``, a wheel) carries real copies inside the package
and an editable install sees the checkout through the link; both are read
with ``importlib.resources``.  Should the link be missing (a checkout made
without symlink support), the checkout's ``ontology/`` is used
(:func:`scholargraph.resources.resource_dir`); see
:func:`scholargraph.vocab.ontology_dir`.

Speed.  Validation runs pySHACL on rdflib's in-memory graph, in advanced mode
(the shapes use three SHACL-AF SPARQL targets, see the head of
``shapes.ttl``), without inference and without copying the data graph.
``bench/bench_validate.py`` measures it.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal as TypingLiteral

import pyshacl
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import NamespaceManager
from rdflib.plugins.sparql.operators import register_custom_function, unregister_custom_function
from rdflib.plugins.sparql.sparql import SPARQLError
from rdflib.term import Node

from .errors import DocumentError
from .namespaces import (
    BIBO,
    DATACITE,
    DCTERMS,
    FABIO,
    FOAF,
    PREFIXES,
    PRO,
    PROV,
    RDF,
    SCHEMA,
    SG,
)
from .identifiers import orcid_checksum_ok
from .vocab import ontology_dir

__all__ = [
    "ValidationReport",
    "Violation",
    "load_shapes",
    "ontology_dir",
    "run_validate_command",
    "validate_file",
    "validate_graph",
]

SH = "http://www.w3.org/ns/shacl#"
SHAPES_FILE = "shapes.ttl"
VOCABULARY_FILE = "sg.ttl"
NO_SOURCE = "(no source)"
LABEL_LIMIT = 40

Severity = TypingLiteral["Violation", "Warning", "Info"]
SEVERITIES: tuple[Severity, ...] = ("Violation", "Warning", "Info")

_RDF_FORMATS: dict[str, str] = {".ttl": "turtle", ".nt": "nt", ".trig": "trig"}
_LINE_FRAGMENT = re.compile(r"^line=(\d+)(?:,(\d+))?$")
_PLACEHOLDER = re.compile(r"\{(\?value|[A-Za-z][\w-]*:[\w.-]+)\}")

# Nodes without provenance of their own are located through the node that
# points at them with one of these predicates.
_PARENT_LINKS: tuple[URIRef, ...] = (
    PRO.isDocumentContextFor,  # work → author role
    DATACITE.hasIdentifier,  # entity → identifier
    SCHEMA.audience,  # course → audience
)
_LABEL_PREDICATES: tuple[URIRef, ...] = (FOAF.name, DCTERMS.title, SCHEMA.name, SCHEMA.roleName)
_WORK_CLASSES: frozenset[URIRef] = frozenset(
    FABIO[name]
    for name in (
        "JournalArticle",
        "ConferencePaper",
        "ReportDocument",
        "Presentation",
        "DoctoralThesis",
        "MastersThesis",
        "Book",
        "BookChapter",
        "Expression",
    )
) | frozenset(
    SCHEMA[name]
    for name in (
        "ScholarlyArticle",
        "Report",
        "PresentationDigitalDocument",
        "Thesis",
        "Book",
        "Chapter",
        "CreativeWork",
    )
)
# The kind of node, as printed before its label; the first matching type wins.
_KINDS: tuple[tuple[frozenset[URIRef], str], ...] = (
    (frozenset({FOAF.Person}), "person"),
    (frozenset({FOAF.Organization}), "organisation"),
    (frozenset({SCHEMA.EmployeeRole}), "position"),
    (frozenset({SCHEMA.OrganizationRole}), "role"),
    (frozenset({PRO.RoleInTime}), "author role"),
    (frozenset({DATACITE.Identifier}), "identifier"),
    (_WORK_CLASSES, "work"),
    (frozenset({FOAF.Project, SCHEMA.ResearchProject}), "project"),
    (frozenset({BIBO.Hearing}), "hearing"),
    (frozenset({SCHEMA.Event}), "event"),
    (frozenset({SCHEMA.CourseInstance}), "course"),
    (frozenset({SCHEMA.Audience}), "audience"),
    (frozenset({SCHEMA.Periodical}), "periodical"),
    (frozenset({PROV.Entity}), "source document"),
)


@dataclass(frozen=True)
class Violation:
    """One SHACL result, located in the user's documents.

    ``severity`` is ``"Violation"``, ``"Warning"`` or ``"Info"``; ``focus`` the
    focus node's IRI; ``path`` the result path in SPARQL property-path syntax
    (prefixed names), or None for a node-level constraint; ``message`` the
    result message with its placeholders filled in; ``shape`` the nearest named
    shape (``sg:WorkShape``); ``source`` the document's path (``source_root`` +
    the path relative to the data directory) and ``line`` its 1-based line, or
    None when the node cannot be located; ``label`` the node's (or, for an
    author role or identifier, its owner's) name or title, shortened; ``kind``
    what the node is (``work``, ``author role of work`` …).
    """

    severity: Severity
    focus: str
    path: str | None
    message: str
    shape: str
    source: str | None
    line: int | None
    label: str | None
    kind: str = "node"

    @property
    def location(self) -> str:
        """``data/cv.md:42``, or ``<focus IRI>`` when the node cannot be located."""
        if self.source is None:
            return f"<{self.focus}>"
        return f"{self.source}:{self.line}" if self.line is not None else self.source

    @property
    def subject(self) -> str:
        """``work "Counting…"``: what the message is about."""
        return f'{self.kind} "{self.label}"' if self.label else self.kind

    def format_line(self) -> str:
        """The one line :meth:`ValidationReport.format_text` prints for this result."""
        marker = "" if self.severity == "Violation" else f"{self.severity.lower()}: "
        return f"{self.location}: {marker}{self.subject}: {self.message} (shape {self.shape})"


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of a validation: ``conforms`` is False iff some result is a Violation."""

    conforms: bool
    results: tuple[Violation, ...]
    report_graph: Graph

    def counts(self) -> dict[str, int]:
        """Number of results per severity, always with the three keys."""
        counts = {severity: 0 for severity in SEVERITIES}
        for result in self.results:
            counts[result.severity] += 1
        return counts

    def format_text(self) -> str:
        """The report for a terminal: results grouped by document, then a summary line."""
        lines: list[str] = []
        for source, group in _grouped(self.results):
            if lines:
                lines.append("")
            lines.append(f"{source}: {_count_phrase(group)}")
            lines.extend(result.format_line() for result in group)
        if lines:
            lines.append("")
        verdict = "conforms" if self.conforms else "does not conform"
        lines.append(f"{_count_phrase(self.results)}: the graph {verdict}")
        return "\n".join(lines) + "\n"

    def to_json(self) -> list[dict[str, Any]]:
        """The results as JSON-ready dictionaries, in the order ``format_text`` prints them."""
        return [asdict(result) for _, group in _grouped(self.results) for result in group]


def load_shapes(path: Path | None = None) -> Graph:
    """The shapes graph: ``path``, or by default the project's shapes plus ``sg.ttl``.

    Raises :class:`~scholargraph.errors.DocumentError` if a file is missing or
    cannot be parsed.
    """
    if path is not None:
        return _parse_rdf(path)
    return _copy(_default_shapes())


@lru_cache(maxsize=1)
def _default_shapes() -> Graph:
    directory = ontology_dir()
    graph = _parse_rdf(directory / SHAPES_FILE)
    graph += _parse_rdf(directory / VOCABULARY_FILE)
    return graph


def validate_graph(
    data: Graph, shapes: Graph | None = None, *, source_root: str = ""
) -> ValidationReport:
    """Validate ``data`` against ``shapes`` (default: the project's shapes).

    ``source_root`` is put before every source path (``"data/"`` turns
    ``cv.md`` into ``data/cv.md``).  ``data`` is not modified unless the
    shapes carry SHACL rules (``sh:rule``), which the project's do not.
    """
    shapes_graph = shapes if shapes is not None else _default_shapes()
    has_rules = (None, URIRef(SH + "rule"), None) in shapes_graph
    with _sparql_extension_functions():
        _conforms, report_graph, _text = pyshacl.validate(
            data,
            shacl_graph=shapes_graph,
            advanced=True,
            inference="none",
            inplace=not has_rules,
            allow_warnings=True,
            allow_infos=True,
        )
    if not isinstance(report_graph, Graph):  # pySHACL returns a failure object on a crash
        raise RuntimeError(f"pySHACL did not return a report graph: {report_graph!r}")
    namespaces = _namespace_manager(shapes_graph)
    results = _read_results(report_graph, data, shapes_graph, namespaces, source_root)
    conforms = not any(result.severity == "Violation" for result in results)
    return ValidationReport(conforms=conforms, results=results, report_graph=report_graph)


def validate_file(
    path: Path, shapes_path: Path | None = None, *, source_root: str = ""
) -> ValidationReport:
    """Validate a Turtle (``.ttl``), N-Triples (``.nt``) or TriG (``.trig``) file.

    The named graphs of a TriG file are validated together, as one graph.
    Raises :class:`~scholargraph.errors.DocumentError` for a missing or
    malformed file.
    """
    data = _parse_rdf(path)
    shapes = load_shapes(shapes_path) if shapes_path is not None else None
    return validate_graph(data, shapes, source_root=source_root)


def run_validate_command(
    path: Path,
    shapes: Path | None,
    fmt: str,
    report_out: Path | None,
    *,
    source_root: str = "",
) -> int:
    """The body of ``scholargraph validate FILE``: print the report, return the exit code.

    ``fmt`` is ``"text"`` or ``"json"``; ``report_out``, if given, receives the
    SHACL report graph as Turtle.  Returns 0 if the graph conforms (warnings
    allowed), 1 if it has violations.  Errors reading the files are raised as
    :class:`~scholargraph.errors.DocumentError`.
    """
    if fmt not in ("text", "json"):
        raise ValueError(f"unknown report format {fmt!r}; use 'text' or 'json'")
    report = validate_file(path, shapes, source_root=source_root)
    if fmt == "json":
        sys.stdout.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(report.format_text())
    if report_out is not None:
        report.report_graph.serialize(destination=report_out, format="turtle")
    return 0 if report.conforms else 1


# --------------------------------------------------------------------------
# SPARQL extension functions used by the shapes (declared in ontology/sg.ttl)

_ORCID_SHAPE = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")


def orcid_check_digit(value: Node) -> Literal:
    """``sg:orcidCheckDigit``: the ISO 7064 11,2 check digit of an ORCID iD.

    >>> str(orcid_check_digit(Literal("0000-0002-1825-0098")))
    '7'
    """
    text = str(value)
    if not isinstance(value, Literal) or not _ORCID_SHAPE.match(text):
        raise SPARQLError(f"sg:orcidCheckDigit: {text!r} is not an ORCID iD")
    for check in "0123456789X":
        if orcid_checksum_ok(text[:-1] + check):
            return Literal(check)
    raise SPARQLError(f"sg:orcidCheckDigit: no check digit for {text!r}")  # pragma: no cover


@contextmanager
def _sparql_extension_functions() -> Iterator[None]:
    """Register the shapes' extension functions with rdflib for one validation only."""
    register_custom_function(SG.orcidCheckDigit, orcid_check_digit, override=True)
    try:
        yield
    finally:
        unregister_custom_function(SG.orcidCheckDigit)


# --------------------------------------------------------------------------
# Reading files


def _parse_rdf(path: Path) -> Graph:
    """Parse a Turtle / N-Triples / TriG file into one graph (named graphs merged)."""
    fmt = _RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DocumentError(
            path, None, f"unknown RDF format {path.suffix!r}; use .ttl, .nt or .trig"
        )
    if not path.is_file():
        raise DocumentError(path, None, "file not found")
    try:
        if fmt == "trig":
            dataset = Dataset()
            dataset.parse(path, format="trig")
            graph = Graph()
            for subject, predicate, obj, _context in dataset.quads((None, None, None, None)):
                graph.add((subject, predicate, obj))
            for prefix, namespace in dataset.namespaces():
                graph.bind(prefix, namespace)
        else:
            graph = Graph()
            graph.parse(path, format=fmt)
    except UnicodeDecodeError as exc:
        raise DocumentError(path, None, f"not UTF-8 text ({exc.reason})") from None
    except SyntaxError as exc:  # rdflib's Turtle/TriG BadSyntax
        line = getattr(exc, "lines", None)
        why = getattr(exc, "_why", None) or str(exc)
        raise DocumentError(
            path, line + 1 if isinstance(line, int) else None, f"not valid {fmt}: {why}"
        ) from None
    except Exception as exc:  # noqa: BLE001 - rdflib raises many unrelated types
        raise DocumentError(path, None, f"not valid {fmt}: {exc}") from None
    return graph


def _copy(graph: Graph) -> Graph:
    copy = Graph()
    for prefix, namespace in graph.namespaces():
        copy.bind(prefix, namespace)
    copy += graph
    return copy


# --------------------------------------------------------------------------
# Turning the report graph into located results


def _namespace_manager(shapes: Graph) -> NamespaceManager:
    """Prefixes for printing: the project's, then whatever the shapes file declares."""
    manager = NamespaceManager(Graph(), bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        manager.bind(prefix, namespace)
    for prefix, namespace in shapes.namespaces():
        if prefix and prefix not in PREFIXES:
            manager.bind(prefix, namespace, override=False)
    return manager


def _read_results(
    report: Graph,
    data: Graph,
    shapes: Graph,
    namespaces: NamespaceManager,
    source_root: str,
) -> tuple[Violation, ...]:
    sh = _SH
    seen: set[Violation] = set()
    for result in report.subjects(RDF.type, sh.ValidationResult):
        if (None, sh.detail, result) in report:
            continue  # a nested result (sh:detail), reported through its parent
        focus = report.value(result, sh.focusNode)
        if focus is None:
            continue
        severity_node = report.value(result, sh.resultSeverity)
        severity = _severity(severity_node)
        value = report.value(result, sh.value)
        template = min((str(m) for m in report.objects(result, sh.resultMessage)), default="")
        message = _fill(template, focus, value, data, namespaces) or "constraint not satisfied"
        if template and message != template:
            for old in list(report.objects(result, sh.resultMessage)):
                report.remove((result, sh.resultMessage, old))
            report.add((result, sh.resultMessage, Literal(message)))
        path_node = report.value(result, sh.resultPath)
        path = _render_path(path_node, report, namespaces) if path_node is not None else None
        shape = _shape_name(report.value(result, sh.sourceShape), shapes, namespaces)
        source, line = _locate(focus, data, source_root)
        kind, label = _describe(focus, data)
        seen.add(
            Violation(
                severity=severity,
                focus=str(focus),
                path=path,
                message=message,
                shape=shape,
                source=source,
                line=line,
                label=label,
                kind=kind,
            )
        )
    return tuple(sorted(seen, key=_sort_key))


class _SHNamespace:
    def __getattr__(self, name: str) -> URIRef:
        return URIRef(SH + name)


_SH = _SHNamespace()


def _severity(node: Node | None) -> Severity:
    name = str(node).rsplit("#", 1)[-1] if node is not None else "Violation"
    for severity in SEVERITIES:
        if name == severity:
            return severity
    return "Violation"


def _render_node(node: Node, namespaces: NamespaceManager) -> str:
    if isinstance(node, Literal):
        return str(node)
    if isinstance(node, URIRef):
        try:
            prefix, _, local = namespaces.compute_qname(str(node), generate=False)
        except (KeyError, ValueError):
            return f"<{node}>"
        return f"{prefix}:{local}"
    return str(node)


def _fill(
    template: str, focus: Node, value: Node | None, data: Graph, namespaces: NamespaceManager
) -> str:
    """Fill ``{?value}`` and ``{prefix:local}`` placeholders (see shapes.ttl)."""

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key == "?value":
            return _render_node(value, namespaces) if value is not None else ""
        prefix, local = key.split(":", 1)
        namespace = dict(namespaces.namespaces()).get(prefix)
        if namespace is None:
            return match.group(0)
        values = sorted(_render_node(v, namespaces) for v in data.objects(focus, URIRef(str(namespace) + local)))  # type: ignore[arg-type]
        return ", ".join(values) if values else "none"

    return _PLACEHOLDER.sub(replace, template)


def _render_path(path: Node, graph: Graph, namespaces: NamespaceManager) -> str:
    """A SHACL property path in SPARQL syntax: ``^schema:worksFor``, ``a/b``, ``a|b``."""
    if isinstance(path, URIRef):
        return _render_node(path, namespaces)
    sh = _SH
    if (path, RDF.first, None) in graph:
        return "/".join(_render_path(p, graph, namespaces) for p in Collection(graph, path))  # type: ignore[arg-type]
    for predicate, template in (
        (sh.inversePath, "^{}"),
        (sh.zeroOrMorePath, "({})*"),
        (sh.oneOrMorePath, "({})+"),
        (sh.zeroOrOnePath, "({})?"),
    ):
        inner = graph.value(path, predicate)
        if inner is not None:
            return template.format(_render_path(inner, graph, namespaces))
    alternatives = graph.value(path, sh.alternativePath)
    if alternatives is not None:
        items = Collection(graph, alternatives)  # type: ignore[arg-type]
        return "(" + "|".join(_render_path(p, graph, namespaces) for p in items) + ")"
    return str(path)


def _shape_name(shape: Node | None, shapes: Graph, namespaces: NamespaceManager) -> str:
    """The nearest named shape: a blank-node property shape is named by its parent."""
    node = shape
    for _ in range(20):
        if node is None:
            return "(anonymous shape)"
        if isinstance(node, URIRef):
            return _render_node(node, namespaces)
        parent = _parent_in_shapes(node, shapes)
        node = parent
    return "(anonymous shape)"


def _parent_in_shapes(node: Node, shapes: Graph) -> Node | None:
    for subject, predicate in sorted(shapes.subject_predicates(node), key=str):  # type: ignore[arg-type]
        if predicate == RDF.first:
            head = subject
            while True:
                previous = shapes.value(predicate=RDF.rest, object=head)
                if previous is None:
                    break
                head = previous
            return _parent_in_shapes(head, shapes) if isinstance(head, BNode) else head
        return subject
    return None


def _source_of(derivation: Node, source_root: str) -> tuple[str, int | None] | None:
    if not isinstance(derivation, URIRef):
        return None
    document, _, fragment = str(derivation).partition("#")
    _, marker, relpath = document.partition("/source/")
    relpath = relpath if marker else document
    match = _LINE_FRAGMENT.match(fragment)
    line = int(match.group(1)) + 1 if match else None
    return source_root + relpath, line


def _derivations(node: Node, data: Graph, source_root: str) -> list[tuple[str, int | None]]:
    found = (_source_of(d, source_root) for d in data.objects(node, PROV.wasDerivedFrom))  # type: ignore[arg-type]
    return [f for f in found if f is not None]


def _parents(node: Node, data: Graph) -> Iterator[Node]:
    for link in _PARENT_LINKS:
        yield from sorted(data.subjects(link, node), key=str)  # type: ignore[arg-type]


def _locate(focus: Node, data: Graph, source_root: str) -> tuple[str | None, int | None]:
    """The first (by path, then line) passage the node, or its owner, was derived from."""
    found = _derivations(focus, data, source_root)
    if not found and (focus, RDF.type, PROV.Entity) in data:
        own = _source_of(focus, source_root)  # a source document: the file itself
        found = [(own[0], None)] if own is not None else []
    if not found:
        for parent in _parents(focus, data):
            found.extend(_derivations(parent, data, source_root))
    if not found:
        return None, None
    source, line = min(found, key=lambda f: (f[0], f[1] is None, f[1] or 0))
    return source, line


def _kind(node: Node, data: Graph) -> str | None:
    types = set(data.objects(node, RDF.type))  # type: ignore[arg-type]
    for classes, kind in _KINDS:
        if types & classes:
            return kind
    return None


def _label(node: Node, data: Graph) -> str | None:
    for predicate in _LABEL_PREDICATES:
        values = sorted(str(v) for v in data.objects(node, predicate) if isinstance(v, Literal))  # type: ignore[arg-type]
        if values:
            return _shorten(values[0])
    return None


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1].rstrip() + "…"


def _describe(focus: Node, data: Graph) -> tuple[str, str | None]:
    """(kind, label): ``("work", "Counting…")`` or ``("author role of work", "Counting…")``."""
    kind = _kind(focus, data) or "node"
    label = _label(focus, data)
    if label is not None:
        return kind, label
    for parent in _parents(focus, data):
        parent_label = _label(parent, data)
        parent_kind = _kind(parent, data) or "node"
        return f"{kind} of {parent_kind}", parent_label
    return kind, None


def _sort_key(result: Violation) -> tuple[Any, ...]:
    return (
        result.source is None,
        result.source or "",
        result.line if result.line is not None else 0,
        SEVERITIES.index(result.severity),
        result.focus,
        result.shape,
        result.message,
        result.path or "",
    )


def _grouped(results: Iterable[Violation]) -> list[tuple[str, list[Violation]]]:
    groups: dict[str, list[Violation]] = {}
    for result in sorted(results, key=_sort_key):
        groups.setdefault(result.source or NO_SOURCE, []).append(result)
    return list(groups.items())


def _count_phrase(results: Iterable[Violation]) -> str:
    counts = {severity: 0 for severity in SEVERITIES}
    for result in results:
        counts[result.severity] += 1
    parts = [_plural(counts["Violation"], "violation"), _plural(counts["Warning"], "warning")]
    if counts["Info"]:
        parts.append(_plural(counts["Info"], "info"))
    return ", ".join(parts)


def _plural(count: int, word: str) -> str:
    if word == "info":
        return f"{count} info"
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
