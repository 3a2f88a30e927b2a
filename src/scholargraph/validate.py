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
(the shapes use SHACL-AF SPARQL targets, see the head of ``shapes.ttl``),
without inference and without copying the data graph, with five scoped
replacements of pySHACL internals that change no result ("pySHACL fast
paths" below).  :func:`validate_lines` (the build's entry point, on the
graph's N-Triples lines; :func:`validate_triples` on pyoxigraph triples) also cuts
the graph into per-document chunks validated by worker processes, lets
Oxigraph choose the focus nodes of the SPARQL checks, and caches each
chunk's results ("Partitioned, parallel and cached validation" below).
:func:`validate_changes` gives the same report for a graph that differs by a
few lines from the one last validated with the same cache, cutting again only
the chunks the change reaches ("Validation by difference" below).
``bench/bench_validate.py`` measures both; ``tests/test_validate_parallel.py``
shows they report exactly what :func:`validate_graph` reports.
"""

from __future__ import annotations

import gc
import hashlib
import importlib
import json
import marshal
import os
import re
import sys
import warnings
import zlib
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from importlib.metadata import version as _package_version
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal as TypingLiteral, Protocol

import pyshacl
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import NamespaceManager
from rdflib.plugins.stores.memory import SimpleMemory
from rdflib.plugins.sparql.operators import register_custom_function, unregister_custom_function
from rdflib.plugins.sparql.sparql import SPARQLError
from rdflib.term import Node

if TYPE_CHECKING:
    import pyoxigraph

from .errors import DocumentError
from .namespaces import (
    BIBO,
    DATACITE,
    DCTERMS,
    FABIO,
    FOAF,
    OCO,
    PREFIXES,
    PRO,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SG,
)
from .identifiers import orcid_checksum_ok
from .vocab import ontology_dir

__all__ = [
    "LinesLookup",
    "ValidationReport",
    "Violation",
    "load_shapes",
    "ontology_dir",
    "run_validate_command",
    "validate_file",
    "validate_graph",
    "validate_changes",
    "validate_lines",
    "validate_triples",
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
    """The outcome of a validation: ``conforms`` is False iff some result is a Violation.

    ``report_graph`` (the SHACL report as RDF) is built on first use when
    ``report`` is a function: a build that only reads ``results`` never pays
    for it (about 3 s for the 13,000 warnings of a 1M-triple graph).
    """

    conforms: bool
    results: tuple[Violation, ...]
    report: Graph | Callable[[], Graph] = field(repr=False, compare=False)

    @property
    def report_graph(self) -> Graph:
        if not isinstance(self.report, Graph):
            object.__setattr__(self, "report", self.report())
        assert isinstance(self.report, Graph)
        return self.report

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
    report_graph = _run_pyshacl(data, shapes_graph, inplace=not has_rules)
    namespaces = _namespace_manager(shapes_graph)
    results = _read_results(report_graph, data, shapes_graph, namespaces, source_root)
    conforms = not any(result.severity == "Violation" for result in results)
    return ValidationReport(conforms=conforms, results=results, report=report_graph)


def _run_pyshacl(data: Graph, shapes: Graph, *, inplace: bool, fast: bool = True) -> Graph:
    """pySHACL's report graph for ``data`` (extension functions and fast paths in place)."""
    with _sparql_extension_functions(), _pyshacl_fast_paths(fast):
        _conforms, report_graph, _text = pyshacl.validate(
            data,
            shacl_graph=shapes,
            advanced=True,
            inference="none",
            inplace=inplace,
            allow_warnings=True,
            allow_infos=True,
        )
    if not isinstance(report_graph, Graph):  # pySHACL returns a failure object on a crash
        raise RuntimeError(f"pySHACL did not return a report graph: {report_graph!r}")
    return report_graph


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
# Partitioned, parallel and cached validation: validate_lines (validate_triples)
#
# The graph is cut into chunks that pySHACL can validate apart and still give
# exactly the results it gives on the whole graph:
#
# * Every node (subject, IRI or blank object) belongs to one *component*.
#   Nodes joined by a dependent link (work -> author role, role -> next role,
#   entity -> identifier, course -> audience: _DEPENDENT_LINKS), blank nodes
#   and their neighbours, and literals under a predicate the shapes target the
#   objects of, share a component: the shapes follow these links further
#   than one step ((^oco:hasNext)*, ^datacite:hasIdentifier/datacite:hasIdentifier,
#   sg:AuthorChainCheck's role -> next role -> its work ...), and the report
#   locates a role or an identifier through its owner.
# * Components are grouped into chunks by the document they come from (the
#   smallest prov:wasDerivedFrom document of their nodes; a source document
#   is its own), so a rebuild after one document changed meets mostly
#   unchanged chunks.  A *shared* component, one with more than
#   SHARED_MIN_LINES lines of its own (subjects in it) and backwards-read
#   lines from other components into it (an organisation many positions
#   work for, a person many roles are held by, a periodical derived from
#   every document citing it), is a group of its own, named after its
#   smallest node: in its document's group, it would make that chunk huge,
#   and cut again whenever that document, or any document it is derived
#   from, changes.
# * A chunk's graph is: every triple whose subject it owns; every triple whose
#   object it owns under a predicate the shapes read backwards (sh:inversePath,
#   sh:targetObjectsOf, and the report's owner links); the rdf:type triples of
#   every other node those triples mention (sh:class); every rdfs:subClassOf
#   triple (sh:class follows them).
# * pySHACL validates several chunks in one run, but only the nodes they own
#   are focus nodes (_only_focus_nodes), so a neighbour's partial copy is never
#   validated.  A node's checks then see everything they see in the whole
#   graph, and every node is validated in exactly one chunk.
#
# This holds for the project's shapes (their SPARQL queries read no other
# incoming link); with other shapes validate_lines validates one chunk.

_DEPENDENT_LINKS: frozenset[str] = frozenset(
    f"<{iri}>"
    for iri in (PRO.isDocumentContextFor, OCO.hasNext, DATACITE.hasIdentifier, SCHEMA.audience)
)
_RDF_TYPE = f"<{RDF.type}>"
_SUBCLASS_OF = f"<{RDFS.subClassOf}>"
_DERIVED_FROM = f"<{PROV.wasDerivedFrom}>"
_PROV_ENTITY = f"<{PROV.Entity}>"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_NO_SOURCE_BUCKETS = 16
# A component with more lines than this (its own and the backwards-read ones
# into it) is a group of its own (see above).
SHARED_MIN_LINES = 100
CACHE_FORMAT = 1
# Below this many triples to validate, one process does it all: starting
# workers and splitting the graph would cost more than they save.
PARALLEL_MIN_TRIPLES = 20_000
# A worker validates batches of at most about this many triples, one after the
# other: pySHACL's rdflib graph costs ~2 kB a triple, and its per-node cost
# grows with the graph, so big graphs are validated a slice at a time.
BATCH_MAX_TRIPLES = 40_000
_ISOLATE_CHUNKS = False


@dataclass(frozen=True)
class _Chunk:
    key: str  # sha256 of the shapes' digest, the owned nodes and the sorted N-Triples
    group: str  # the document (or bucket) it was cut along
    text: str  # sorted N-Triples, one triple per line
    owned: tuple[str, ...]  # N-Triples forms of the nodes it validates
    size: int  # number of triples


def validate_triples(
    triples: Iterable["pyoxigraph.Triple"],
    *,
    shapes: Graph | None = None,
    source_root: str = "",
    jobs: int = 2,
    cache_dir: Path | None = None,
) -> ValidationReport:
    """Validate pyoxigraph triples; the same report as :func:`validate_graph` on the same graph.

    See :func:`validate_lines`, which this calls with their N-Triples lines.
    """
    from .mapping import triple_lines

    return validate_lines(triple_lines(triples), shapes=shapes, source_root=source_root, jobs=jobs, cache_dir=cache_dir)


def validate_lines(
    lines: Sequence[str],
    *,
    shapes: Graph | None = None,
    source_root: str = "",
    jobs: int = 2,
    cache_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ValidationReport:
    """Validate a graph given as N-Triples lines, each once, in pyoxigraph's canonical forms
    (``s p o .`` and a newline, as :func:`scholargraph.mapping.build_lines` and
    pyoxigraph's serializer write them).

    The graph is cut into independent chunks (see above), validated by
    ``jobs`` processes with pySHACL on rdflib in-memory graphs, and the
    results are merged in the order :func:`validate_graph` gives them.  With
    ``cache_dir``, each chunk's results are kept there as JSON under a hash of
    the chunk's triples and of the shapes; a chunk seen before is not
    validated again, and entries this validation did not use are removed.

    ``shapes`` other than the project's are validated as one chunk (the cut
    is proven for the project's shapes only), still cached.

    ``progress(done, total)`` is called with the number of batches validated
    and to validate: once before the first (``0, total``; ``0, 0`` when the
    cache holds every chunk), then after each.
    """
    project_shapes = shapes is None
    shapes_graph = _default_shapes() if project_shapes else shapes
    assert shapes_graph is not None
    digest = _shapes_digest(shapes_graph if not project_shapes else None)
    state = _PartitionState(digest, len(lines), _fingerprint(lines)) if project_shapes and cache_dir is not None else None
    chunks = _partition(lines, digest, inverse_links=_inverse_links() if project_shapes else None, state=state)

    cached: dict[str, tuple[list[Violation], str]] = {}
    if cache_dir is not None:
        bundle = _bundle_read(cache_dir)
        for chunk in chunks:
            entry = _cache_read(cache_dir, chunk.key, bundle)
            if entry is not None:
                cached[chunk.key] = entry
    todo = [chunk for chunk in chunks if chunk.key not in cached]
    fresh = _validate_chunks(todo, None if project_shapes else shapes_graph, jobs, progress)
    if cache_dir is not None:
        for key, entry in fresh.items():
            _cache_write(cache_dir, key, entry)
        _cache_prune(cache_dir, {chunk.key for chunk in chunks})
        _bundle_write(cache_dir, {**cached, **fresh})
        if state is not None:
            _state_write(cache_dir, state)
        else:  # other shapes: the partition's state no longer matches the cache
            (cache_dir / STATE_FILE).unlink(missing_ok=True)
    entries = [cached.get(chunk.key) or fresh[chunk.key] for chunk in chunks]
    return _merged_report(entries, shapes_graph, source_root)


def _validate_chunks(
    todo: list[_Chunk], payload: Graph | None, jobs: int, progress: Callable[[int, int], None] | None
) -> dict[str, tuple[list[Violation], str]]:
    """Validate ``todo`` in batches (``jobs`` processes); per chunk key, its results and report text."""
    fresh: dict[str, tuple[list[Violation], str]] = {}
    batches = _batches(todo, jobs) if todo else []
    if progress is not None:
        progress(0, len(batches))
    if not batches:
        return fresh
    if jobs <= 1 or len(batches) == 1:
        for done, batch in enumerate(batches, start=1):
            fresh.update(_validate_batch(batch, payload))
            if progress is not None:
                progress(done, len(batches))
        return fresh
    # The workers are forked: without gc.freeze(), their garbage collector would visit
    # (and so copy) every object this process holds, a build's records and triples.
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=min(jobs, len(batches)), mp_context=_mp_context()) as pool:
            outcomes = pool.map(_validate_batch, batches, [payload] * len(batches), chunksize=1)
            for done, outcome in enumerate(outcomes, start=1):
                fresh.update(outcome)
                if progress is not None:
                    progress(done, len(batches))
    finally:
        gc.unfreeze()
    return fresh


def _merged_report(
    entries: list[tuple[list[Violation], str]], shapes_graph: Graph, source_root: str
) -> ValidationReport:
    """The report of the chunks' results and report texts (in the chunks' order)."""
    results: set[Violation] = set()
    report_texts: list[str] = []
    for violations, report_text in entries:
        results.update(
            v if v.source is None else replace(v, source=source_root + v.source) for v in violations
        )
        if report_text:
            report_texts.append(report_text)
    ordered = tuple(sorted(results, key=_sort_key))
    conforms = not any(result.severity == "Violation" for result in ordered)

    def report_graph() -> Graph:
        graph = Graph(bind_namespaces="core")
        for prefix, namespace in shapes_graph.namespaces():
            graph.bind(prefix, namespace, override=False)
        for text in report_texts:  # one parse each: blank node labels are scoped per chunk
            graph.parse(data=text, format="nt")
        _link_report(graph, conforms)
        return graph

    return ValidationReport(conforms=conforms, results=ordered, report=report_graph)


def _mp_context() -> Any:
    # fork: the workers start at once and inherit the parsed shapes.
    return get_context("fork") if "fork" in get_all_start_methods() else get_context()


@lru_cache(maxsize=1)
def _inverse_links() -> frozenset[str]:
    """Predicates whose triples a node's checks read from the object's side."""
    shapes = _default_shapes()
    found = {str(p) for p in shapes.objects(None, _SH.inversePath) if isinstance(p, URIRef)}
    found |= {str(p) for p in shapes.objects(None, _SH.targetObjectsOf) if isinstance(p, URIRef)}
    found |= {str(p) for p in _PARENT_LINKS}
    return frozenset(f"<{iri}>" for iri in found)


def _shapes_digest(shapes: Graph | None) -> str:
    """What a cached result depends on besides the chunk: shapes, this module, pySHACL, rdflib."""
    sha = hashlib.sha256(f"scholargraph-validation {CACHE_FORMAT}\n".encode())
    sha.update(f"pyshacl {_package_version('pyshacl')} rdflib {_package_version('rdflib')}\n".encode())
    sha.update(Path(__file__).read_bytes())
    if shapes is None:
        directory = ontology_dir()
        for name in (SHAPES_FILE, VOCABULARY_FILE):
            sha.update((directory / name).read_bytes())
    else:
        lines = sorted(shapes.serialize(format="nt").splitlines())
        sha.update("\n".join(lines).encode())
    return sha.hexdigest()


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, node: str) -> str:
        parent = self.parent
        root = node
        while (up := parent.get(root, root)) != root:
            root = up
        while node != root:
            up = parent[node]
            parent[node] = root
            node = up
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if ra < rb:
                self.parent[rb] = ra
            else:
                self.parent[ra] = rb


def _partition(
    lines: Sequence[str],
    digest: str,
    *,
    inverse_links: frozenset[str] | None,
    state: _PartitionState | None = None,
) -> list[_Chunk]:
    """The chunks (see the head of this section) of N-Triples lines, each once
    (see :func:`validate_lines`); one chunk if ``inverse_links`` is None.

    ``state``, if given (with ``inverse_links``), receives the partition's
    groups, global lines and object counts, for :func:`validate_changes`."""
    if not lines:
        return []
    rows = [line[:-3].split(" ", 2) for line in lines]  # a subject or predicate has no space
    if inverse_links is None:
        text = "".join(sorted(lines))
        nodes = {s for s, _p, _o in rows} | {o for _s, _p, o in rows}
        return [_chunk(digest, "", text, sorted(nodes), len(rows))]

    components = _UnionFind()
    document: dict[str, str] = {}  # node -> smallest document it was derived from
    owned_literals: set[str] = set()
    types: dict[str, list[str]] = {}
    global_lines: list[str] = []
    for line, (s, p, o) in zip(lines, rows):
        if p in _DEPENDENT_LINKS or s[0] == "_" or o[0] == "_":
            components.union(s, o)
        elif o[0] == '"' and p in inverse_links:
            components.union(s, o)
            owned_literals.add(o)
        if p == _RDF_TYPE:
            types.setdefault(s, []).append(line)
            if o == _PROV_ENTITY and s[0] == "<":
                _earliest(document, s, s[1:-1])
        elif p == _DERIVED_FROM and o[0] == "<":
            _earliest(document, s, o[1:-1].partition("#")[0])
        elif p == _SUBCLASS_OF:
            global_lines.append(line)

    # The group of each component: its own if shared, else its smallest document, else a stable bucket.
    weight: Counter[str] = Counter()  # root -> its lines and the backwards-read lines into it
    for s, count in Counter(s for s, _p, _o in rows).items():
        weight[components.find(s)] += count
    for s, p, o in rows:
        if p in inverse_links and o[0] == "<" and s[0] == "<":
            root = components.find(o)
            if components.find(s) != root:
                weight[root] += 1
    shared = {root for root, count in weight.items() if count > SHARED_MIN_LINES}
    nodes = dict.fromkeys(s for s, _p, _o in rows)
    if state is not None:  # the object-only nodes' numbers of lines, where more than one
        counts = Counter(o for _s, _p, o in rows if o[0] != '"')
        state.object_counts = {o: count for o, count in counts.items() if count > 1 and o not in nodes}
    nodes.update(dict.fromkeys(o for _s, _p, o in rows if o[0] != '"' or o in owned_literals))
    group_of_root: dict[str, str] = {root: _shared_group(root) for root in shared}
    for node, doc in document.items():
        root = components.find(node)
        if root not in shared and (root not in group_of_root or doc < group_of_root[root]):
            group_of_root[root] = doc
    group_of: dict[str, str] = {}
    for node in nodes:
        root = components.find(node)
        group = group_of_root.get(root)
        if group is None:
            group = f"(no source {zlib.crc32(root.encode()) % _NO_SOURCE_BUCKETS})"
        group_of[node] = group

    group_lines: dict[str, set[str]] = {}
    mentioned: dict[str, set[str]] = {}
    linkers: dict[str, set[str]] = {}  # group -> the other groups' nodes with a backwards-read link into it
    for line, (s, p, o) in zip(lines, rows):
        gs = group_of[s]
        group_lines.setdefault(gs, set()).add(line)
        go = group_of.get(o)
        if go is not None and go != gs:
            mentioned.setdefault(gs, set()).add(o)
            if p in inverse_links:
                group_lines.setdefault(go, set()).add(line)
                mentioned.setdefault(go, set()).add(s)
                linkers.setdefault(go, set()).add(s)
    owned: dict[str, list[str]] = {}
    for node, group in group_of.items():
        owned.setdefault(group, []).append(node)
    chunks = []
    for group in sorted(group_lines):
        chunk_lines = group_lines[group]
        for node in mentioned.get(group, ()):
            chunk_lines.update(types.get(node, ()))
        chunk_lines.update(global_lines)
        text = "".join(sorted(chunk_lines))
        chunks.append(_chunk(digest, group, text, sorted(owned.get(group, ())), len(chunk_lines)))
    if state is not None:
        state.global_lines = tuple(global_lines)
        made = {chunk.group: chunk for chunk in chunks}
        for group, nodes in owned.items():
            chunk = made.get(group)
            state.groups[group] = (
                chunk.key if chunk else "",
                chunk.owned if chunk else tuple(sorted(nodes)),
                tuple(sorted(linkers.get(group, ()))),
                chunk.size if chunk else 0,
            )
    return chunks


def _shared_group(root: str) -> str:
    """The group of a shared component, named after its smallest node (a document's name is an IRI)."""
    return f"(shared {root})"


def _earliest(document: dict[str, str], node: str, doc: str) -> None:
    if node not in document or doc < document[node]:
        document[node] = doc


def _chunk(digest: str, group: str, text: str, owned: list[str], size: int) -> _Chunk:
    # The owned nodes are part of the key: a node's type triples alone read the
    # same whether the chunk validates the node or only mentions it.
    sha = hashlib.sha256(f"{digest}\n".encode())
    sha.update("".join(f"{node}\n" for node in owned).encode())
    sha.update(f"\n{text}".encode())
    key = sha.hexdigest()
    return _Chunk(key=key, group=group, text=text, owned=tuple(owned), size=size)


# --------------------------------------------------------------------------
# Validation by difference: validate_changes
#
# A rebuild after one document changed hands validation the new graph and its
# difference from the previous graph.  Cutting the whole graph again only to
# find the chunk keys that did not change costs seconds; instead, every
# validate_lines / validate_changes with a cache directory leaves there the
# partition's state (_PartitionState, one marshal file): per group, its chunk's
# key, the nodes it owns and the other groups' nodes that link into it by a
# link the shapes read backwards.  From that state and the changed lines,
# validate_changes recomputes the chunks of the groups the change can reach
# (below), exactly as _partition would cut them, and keeps the other groups'
# keys, whose results the cache holds.
#
# What a changed line (s p o) can reach:
# * Components.  Only a joining line (_joins: a dependent link, a blank node,
#   a literal under a backwards-read link) joins or splits components, and
#   only a prov:wasDerivedFrom or "a prov:Entity" line moves a component's
#   document; a node that appears or disappears is a component of its own.
#   The components of the nodes of such lines are walked again in the new
#   graph (subjects by bisection in the sorted lines, objects through the
#   lookup): their nodes are the only ones whose group can change.  A
#   component that does not meet such a node has the same nodes, lines and
#   document as before.  So are the subject of any changed line and the
#   object of a changed backwards-read line: their component's number of
#   lines, so whether it is shared, may have changed.
# * Chunks.  A group's chunk holds its nodes' lines, the backwards-read lines
#   into its nodes, and the types of the nodes those lines mention.  So the
#   affected groups are: the groups (before and after) of the nodes of the
#   changed lines and of the walked components; for a node whose group
#   changed, the groups of the nodes linking to it and of the nodes it links
#   to backwards (they mention it, or hold its lines); for a node whose
#   types changed, the groups that mention it.  An rdfs:subClassOf line is in
#   every chunk: validate_lines does it all.
# Anything unexpected (no state, another digest, a line count or fingerprint
# that does not add up: a state of another graph than the one changed, a component of more than _DELTA_COMPONENT_LIMIT nodes, a cache
# entry missing) is left to validate_lines.

STATE_FILE = "partition.state"
STATE_FORMAT = 4
_DELTA_COMPONENT_LIMIT = 50_000
# When the chunks to cut again held more than this share of the graph's lines,
# validate_lines cuts the whole graph sooner than validate_changes cuts them.
_DELTA_MAX_SHARE = 0.5

# A group's chunk key ("" when it owns nodes but no lines), its owned nodes, the
# other groups' nodes with a backwards-read link into it (both sorted), and the
# number of lines of its chunk.
_GroupState = tuple[str, tuple[str, ...], tuple[str, ...], int]


class LinesLookup(Protocol):
    """The lines of a graph by object: what :func:`validate_changes` reads the new graph with."""

    def lines_with_object(self, token: str) -> list[str]:
        """The graph's N-Triples lines whose object is ``token`` (an N-Triples term)."""
        ...


@dataclass
class _PartitionState:
    digest: str  # the shapes' digest (_shapes_digest)
    count: int  # number of lines of the graph
    fingerprint: int  # _fingerprint of its lines
    global_lines: tuple[str, ...] = ()  # the lines every chunk holds (rdfs:subClassOf)
    groups: dict[str, _GroupState] = field(default_factory=dict)
    # The nodes that are objects only (no line of their own), by number of lines, where
    # more than one (a node known to be an object only and not listed is in one line).
    object_counts: dict[str, int] = field(default_factory=dict)


def _fingerprint(lines: Iterable[str]) -> int:
    """A sum of the lines' CRCs: the graph's, whatever the order, and the change's to it."""
    return sum(map(zlib.crc32, map(str.encode, lines))) % 2**64


def _state_tag() -> str:
    return f"scholargraph partition {STATE_FORMAT} marshal {marshal.version} python {sys.version_info[0]}.{sys.version_info[1]}"


def _state_write(cache_dir: Path, state: _PartitionState) -> None:
    """Write the state atomically (a temporary file renamed over the old one)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    data = (
        _state_tag(), state.digest, state.count, state.fingerprint, state.global_lines, state.groups, state.object_counts
    )
    path = cache_dir / STATE_FILE
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(marshal.dumps(data))
    os.replace(temporary, path)


def _state_read(cache_dir: Path, digest: str) -> _PartitionState | None:
    """The state in ``cache_dir``, or None if missing, unreadable, of another format or for other shapes."""
    try:
        data = marshal.loads((cache_dir / STATE_FILE).read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not (isinstance(data, tuple) and len(data) == 7 and data[0] == _state_tag() and data[1] == digest):
        return None
    _tag, _digest, count, fingerprint, global_lines, groups, object_counts = data
    if not (
        isinstance(count, int)
        and isinstance(fingerprint, int)
        and isinstance(global_lines, tuple)
        and isinstance(groups, dict)
        and isinstance(object_counts, dict)
    ):
        return None
    return _PartitionState(digest, count, fingerprint, global_lines, groups, object_counts)


class _ObjectIndex:
    """A :class:`LinesLookup` over lines, indexed on first use (the whole graph: slow on a big one)."""

    def __init__(self, lines: Sequence[str]) -> None:
        self._lines = lines
        self._index: dict[str, list[str]] | None = None

    def lines_with_object(self, token: str) -> list[str]:
        if self._index is None:
            self._index = {}
            for line in self._lines:
                self._index.setdefault(line[:-3].split(" ", 2)[2], []).append(line)
        return self._index.get(token, [])


def validate_changes(
    lines: Sequence[str],
    removed: Sequence[str],
    added: Sequence[str],
    *,
    source_root: str,
    jobs: int,
    cache_dir: Path,
    lookup: LinesLookup | None = None,
    progress: Callable[[int, int], None] | None = None,
    fingerprint: int | None = None,
) -> ValidationReport:
    """Validate the graph ``lines`` knowing how it differs from the graph last validated with ``cache_dir``.

    ``lines`` is the new graph as :func:`validate_lines` takes it, sorted;
    ``removed`` and ``added`` are the lines the previous graph lost and
    gained (new = old - removed + added).  The report is the one
    ``validate_lines(lines, source_root=..., jobs=..., cache_dir=cache_dir)``
    gives (project shapes), and ``cache_dir`` is left as that call leaves it,
    but only the chunks the change reaches are cut again (see "Validation by
    difference" above).  ``lookup`` finds the new graph's lines by object;
    it is asked about the nodes near the changed lines only.  Without it, an
    index of ``lines`` is built when first needed.

    When ``cache_dir`` holds no usable state of the previous validation (or
    the change is of a kind not handled), this is :func:`validate_lines`.
    ``progress`` is called as :func:`validate_lines` calls it.  ``fingerprint``: that of
    ``lines`` (:func:`_fingerprint`), when the caller knows it (taking it costs ~0.3 s a
    million lines).
    """
    digest = _shapes_digest(None)
    state = _state_read(cache_dir, digest)
    plan = None
    if fingerprint is None:
        fingerprint = _fingerprint(lines)
    if state is not None and state.fingerprint == (fingerprint - _fingerprint(added) + _fingerprint(removed)) % 2**64:
        plan = _plan_changes(lines, removed, added, state, lookup or _ObjectIndex(lines), digest)
    entries: dict[str, tuple[list[Violation], str]] = {}
    bundle = _bundle_read(cache_dir) if plan is not None else {}
    if plan is not None:
        affected = {chunk.group for chunk in plan.chunks}
        for group, (key, *_rest) in plan.groups.items():
            if key and group not in affected:
                entry = _cache_read(cache_dir, key, bundle)
                if entry is None:  # the cache lost an entry: cut the whole graph
                    plan = None
                    break
                entries[key] = entry
    if plan is None:
        return validate_lines(lines, source_root=source_root, jobs=jobs, cache_dir=cache_dir, progress=progress)
    for chunk in plan.chunks:
        entry = _cache_read(cache_dir, chunk.key, bundle)
        if entry is not None:
            entries[chunk.key] = entry
    fresh = _validate_chunks([chunk for chunk in plan.chunks if chunk.key not in entries], None, jobs, progress)
    for key, entry in fresh.items():
        _cache_write(cache_dir, key, entry)
    entries.update(fresh)
    keys = {key for key, *_rest in plan.groups.values() if key}
    _cache_prune(cache_dir, keys)
    _bundle_write(cache_dir, {key: entries[key] for key in keys if key in entries})
    _state_write(
        cache_dir,
        _PartitionState(digest, len(lines), fingerprint, plan.global_lines, plan.groups, plan.object_counts),
    )
    ordered = [plan.groups[group][0] for group in sorted(plan.groups) if plan.groups[group][0]]
    return _merged_report([entries[key] for key in ordered], _default_shapes(), source_root)


@dataclass(frozen=True)
class _Plan:
    groups: dict[str, _GroupState]  # the new graph's state
    global_lines: tuple[str, ...]
    object_counts: dict[str, int]
    chunks: list[_Chunk]  # the chunks of the groups the change reaches


class _DeltaFallback(Exception):
    """The change cannot be followed from the state: validate the whole graph."""


def _split(line: str) -> list[str]:
    return line[:-3].split(" ", 2)  # a subject or predicate has no space; the line ends with " .\n"


def _joins(s: str, p: str, o: str, inverse_links: frozenset[str]) -> bool:
    """Whether _partition puts ``s`` and ``o`` in one component."""
    return p in _DEPENDENT_LINKS or s[0] == "_" or o[0] == "_" or (o[0] == '"' and p in inverse_links)


def _owns_literal(s: str, p: str, inverse_links: frozenset[str]) -> bool:
    """Whether a line (s p literal) makes the literal a node of _partition."""
    return p in inverse_links and p not in _DEPENDENT_LINKS and s[0] != "_"


def _contains(lines: Sequence[str], line: str) -> bool:
    index = bisect_left(lines, line)
    return index < len(lines) and lines[index] == line


class _Neighbourhood:
    """The new graph's lines around some nodes: by subject (bisection), by object (the lookup)."""

    def __init__(self, lines: Sequence[str], lookup: LinesLookup) -> None:
        self.lines = lines
        self.lookup = lookup
        self._by_subject: dict[str, list[tuple[str, str, str]]] = {}
        self._by_object: dict[str, list[str]] = {}
        self._linking: dict[tuple[str, frozenset[str]], list[tuple[str, str]]] = {}
        self._types: dict[str, Sequence[str]] = {}

    def _block(self, prefix: str) -> Sequence[str]:
        """The lines that start with ``prefix`` (next to each other: the lines are sorted)."""
        lines = self.lines
        index = bisect_left(lines, prefix)
        end = index
        while end < len(lines) and lines[end].startswith(prefix):
            end += 1
        return lines[index:end]

    def with_subject(self, node: str) -> list[tuple[str, str, str]]:
        """(line, predicate, object) of the lines whose subject is ``node``."""
        found = self._by_subject.get(node)
        if found is None:
            found = []
            if node[0] != '"':
                start = len(node) + 1
                for line in self._block(node + " "):
                    p, o = line[start:-3].split(" ", 1)
                    found.append((line, p, o))
            self._by_subject[node] = found
        return found

    def with_object(self, node: str) -> list[str]:
        found = self._by_object.get(node)
        if found is None:
            found = self._by_object[node] = list(self.lookup.lines_with_object(node))
        return found

    def with_subject_linking(self, node: str, predicates: frozenset[str]) -> list[tuple[str, str]]:
        """(line, object) of the lines of ``node`` under one of ``predicates`` (the others left unsplit)."""
        key = (node, predicates)
        found = self._linking.get(key)
        if found is None:
            found = []
            start = len(node) + 1
            for line in self._block(node + " ") if node[0] != '"' else ():
                end = line.index(" ", start)
                if line[start:end] in predicates:
                    found.append((line, line[end + 1 : -3]))
            self._linking[key] = found
        return found

    def types(self, node: str) -> Sequence[str]:
        found = self._types.get(node)
        if found is None:
            found = self._types[node] = () if node[0] == '"' else self._block(f"{node} {_RDF_TYPE} ")
        return found

    def is_node(self, node: str, inverse_links: frozenset[str]) -> bool:
        """Whether _partition would give ``node`` a group in the new graph."""
        if node[0] == '"':
            return any(_owns_literal(s, p, inverse_links) for s, p, _o in map(_split, self.with_object(node)))
        return bool(self.with_subject(node)) or bool(self.with_object(node))

    def document(self, node: str) -> str | None:
        """The smallest document ``node`` was derived from (itself for a source document)."""
        found: str | None = None
        for _line, p, o in self.with_subject(node):
            doc = None
            if p == _RDF_TYPE and o == _PROV_ENTITY and node[0] == "<":
                doc = node[1:-1]
            elif p == _DERIVED_FROM and o[0] == "<":
                doc = o[1:-1].partition("#")[0]
            if doc is not None and (found is None or doc < found):
                found = doc
        return found

    def joined(self, node: str, inverse_links: frozenset[str]) -> Iterator[str]:
        """The nodes one joining line away from ``node``."""
        for _line, p, o in self.with_subject(node):
            if _joins(node, p, o, inverse_links):
                yield o
        for line in self.with_object(node):
            s, p, o = _split(line)
            if _joins(s, p, o, inverse_links):
                yield s


def _plan_changes(
    lines: Sequence[str],
    removed: Sequence[str],
    added: Sequence[str],
    state: _PartitionState,
    lookup: LinesLookup,
    digest: str,
) -> _Plan | None:
    """The new state and the chunks of the groups the change reaches; None: validate everything."""
    if len(lines) != state.count - len(removed) + len(added):
        return None
    if any(_contains(lines, line) for line in removed) or not all(_contains(lines, line) for line in added):
        return None
    removed_rows = [_split(line) for line in removed]
    added_rows = [_split(line) for line in added]
    if any(p == _SUBCLASS_OF for _s, p, _o in (*removed_rows, *added_rows)):
        return None
    try:
        return _replan(removed_rows, added_rows, state, _Neighbourhood(lines, lookup), digest)
    except _DeltaFallback:
        return None


def _replan(
    removed_rows: list[list[str]],
    added_rows: list[list[str]],
    state: _PartitionState,
    graph: _Neighbourhood,
    digest: str,
) -> _Plan:
    inverse_links = _inverse_links()
    old_group: dict[str, str] = {node: group for group, (_key, owned, *_rest) in state.groups.items() for node in owned}
    rows = [*removed_rows, *added_rows]
    removed_objects = Counter(o for _s, _p, o in removed_rows)
    added_objects = Counter(o for _s, _p, o in added_rows)
    removed_subjects = Counter(s for s, _p, _o in removed_rows)
    added_subjects = Counter(s for s, _p, _o in added_rows)

    def object_count(node: str) -> int:
        """The number of lines whose object is ``node`` (an IRI or blank node), from the
        state's counts where the node was an object only (a class: many lines), else looked up."""
        if node not in old_group:
            before = 0
        elif len(graph.with_subject(node)) - added_subjects[node] + removed_subjects[node]:
            return len(graph.with_object(node))
        else:
            before = state.object_counts.get(node, 1)
        return before - removed_objects[node] + added_objects[node]

    # The nodes whose component (or document) may have changed.
    seeds: set[str] = set()
    touched: set[str] = set()
    for s, p, o in rows:
        if _joins(s, p, o, inverse_links):
            seeds.update((s, o))
        elif p == _DERIVED_FROM or (p == _RDF_TYPE and o == _PROV_ENTITY):
            seeds.add(s)
        else:  # the components' numbers of lines may have changed: shared or not
            seeds.add(s)
            if p in inverse_links and o[0] == "<" and s[0] == "<":
                seeds.add(o)
        touched.add(s)
        if o[0] != '"':
            touched.add(o)
    for node in sorted(touched - seeds):  # a node that appears or disappears
        if (node in old_group) != (bool(graph.with_subject(node)) or object_count(node) > 0):
            seeds.add(node)
    object_counts = dict(state.object_counts)
    for node in touched:
        count = 0 if graph.with_subject(node) else object_count(node)
        if count > 1:
            object_counts[node] = count
        else:
            object_counts.pop(node, None)

    # Their components in the new graph, and each component's group.
    new_group: dict[str, str | None] = {}  # element of a walked component -> its group (None: no node)
    for seed in sorted(seeds):
        if seed in new_group:
            continue
        members = [seed]
        seen = {seed}
        for member in members:
            for other in graph.joined(member, inverse_links):
                if other not in seen:
                    seen.add(other)
                    members.append(other)
            if len(members) > _DELTA_COMPONENT_LIMIT:
                raise _DeltaFallback
        weight = 0  # its lines and the backwards-read lines from other components (the walk looked them up)
        for member in members:
            weight += len(graph.with_subject(member))
            if member[0] == "<":
                for line in graph.with_object(member):
                    s, p, _o = _split(line)
                    if p in inverse_links and s[0] == "<" and s not in seen:
                        weight += 1
        documents = [doc for doc in map(graph.document, members) if doc is not None]
        if weight > SHARED_MIN_LINES:
            group = _shared_group(min(members))
        elif documents:
            group = min(documents)
        else:
            group = f"(no source {zlib.crc32(min(members).encode()) % _NO_SOURCE_BUCKETS})"
        for member in members:
            new_group[member] = group if graph.is_node(member, inverse_links) else None

    current = dict(old_group)
    current.update(new_group)
    group_of = current.get  # a node's group in the new graph

    affected: set[str] = set()
    linkers: dict[str, set[str]] = {}  # group -> nodes that may link into it backwards (besides the state's)

    def mark(*groups: str | None) -> None:
        affected.update(g for g in groups if g is not None)

    for s, p, o in rows:
        mark(group_of(s), old_group.get(s))
        if p in inverse_links:
            go = group_of(o)
            mark(go, old_group.get(o))
            if go is not None:
                linkers.setdefault(go, set()).add(s)
    moved = []
    for node, group in new_group.items():
        mark(group, old_group.get(node))
        if group != old_group.get(node):
            moved.append(node)
    for node in moved:  # it may now link backwards into another group, or be linked into
        group = group_of(node)
        if group is not None:
            for s, p, _o in map(_split, graph.with_object(node)):
                if p in inverse_links:
                    linkers.setdefault(group, set()).add(s)
        for _line, o in graph.with_subject_linking(node, inverse_links):
            go = group_of(o)
            if go is not None:
                linkers.setdefault(go, set()).add(node)
    for node in sorted({s for s, p, _o in rows if p == _RDF_TYPE}):  # its types: the groups that mention it
        for s, _p, _o in map(_split, graph.with_object(node)):
            mark(group_of(s))
        for _line, o in graph.with_subject_linking(node, inverse_links):
            mark(group_of(o))

    if sum(state.groups[g][3] for g in affected if g in state.groups) > _DELTA_MAX_SHARE * state.count:
        raise _DeltaFallback  # cutting them would cost more than cutting everything

    # The affected groups' chunks, cut as _partition cuts them.
    arrived: dict[str, list[str]] = {}
    for node, group in new_group.items():
        if group is not None:
            arrived.setdefault(group, []).append(node)
    new_subjects = {s for s, _p, _o in added_rows}
    groups = dict(state.groups)
    chunks = []
    for group in sorted(affected):
        old_key, old_owned, old_linkers, _size = state.groups.get(group, ("", (), (), 0))
        owned = sorted({node for node in old_owned if node not in new_group}.union(arrived.get(group, ())))
        chunk_lines: set[str] = set()
        mentioned: set[str] = set()
        # Without a chunk, none of its nodes had lines: only the changed ones may have now.
        for node in owned if old_key else [n for n in owned if n in new_group or n in new_subjects]:
            for line, _p, o in graph.with_subject(node):
                chunk_lines.add(line)
                go = group_of(o)
                if go != group and go is not None:
                    mentioned.add(o)
                elif go is None and o[0] != '"':
                    raise _DeltaFallback  # an object the state does not know
        found_linkers = set()
        for node in linkers.get(group, set()).union(old_linkers):
            gn = group_of(node)
            if gn is None or gn == group:
                continue
            for line, o in graph.with_subject_linking(node, inverse_links):
                if group_of(o) == group:
                    chunk_lines.add(line)
                    found_linkers.add(node)
        mentioned |= found_linkers
        for node in mentioned:
            chunk_lines.update(graph.types(node))
        key = ""
        if chunk_lines:
            chunk_lines.update(state.global_lines)
            text = "".join(sorted(chunk_lines))
            chunk = _chunk(digest, group, text, owned, len(chunk_lines))
            chunks.append(chunk)
            key = chunk.key
        if owned:
            groups[group] = (key, tuple(owned), tuple(sorted(found_linkers)), len(chunk_lines))
        else:
            groups.pop(group, None)
    return _Plan(groups=groups, global_lines=state.global_lines, object_counts=object_counts, chunks=chunks)


def _batches(chunks: list[_Chunk], jobs: int) -> list[list[_Chunk]]:
    """Batches of about equal size: ``jobs`` of them, more when they would exceed
    :data:`BATCH_MAX_TRIPLES`, one if the work is small."""
    if _ISOLATE_CHUNKS:  # tests: every chunk validated on its own
        return [[chunk] for chunk in chunks]
    total = sum(chunk.size for chunk in chunks)
    count = max(1, min(max(jobs, -(-total // BATCH_MAX_TRIPLES)), len(chunks)))
    if total < PARALLEL_MIN_TRIPLES:
        count = 1
    batches: list[list[_Chunk]] = [[] for _ in range(count)]
    sizes = [0] * count
    for chunk in sorted(chunks, key=lambda c: (-c.size, c.key)):
        smallest = sizes.index(min(sizes))
        batches[smallest].append(chunk)
        sizes[smallest] += chunk.size
    return [batch for batch in batches if batch]


def _validate_batch(
    chunks: list[_Chunk], shapes: Graph | None = None
) -> dict[str, tuple[list[Violation], str]]:
    """Validate some chunks in one pySHACL run; per chunk key, its results and report triples.

    Runs in a worker process.  Sources are left relative (``source_root``
    is added by the caller), so cached results serve any root.
    """
    import pyoxigraph as ox

    project_shapes = shapes is None
    shapes_graph = _default_shapes() if shapes is None else shapes
    has_rules = (None, URIRef(SH + "rule"), None) in shapes_graph
    # Chunks of one batch share neighbours' type triples and links: each line once.
    lines = dict.fromkeys(line for chunk in chunks for line in chunk.text.splitlines(keepends=True))
    terms: dict[str, Node] = {}
    rows = _rdflib_rows(lines, terms)
    if has_rules:  # pySHACL copies the graph and adds to the copy: rdflib's own store
        data = Graph()
        add = data.store.add
        for row in rows:
            add(row, data, False)
    else:
        data = Graph(store=_OneGraphStore())
        data.store.load(rows, data)
    del rows
    if project_shapes:
        store = ox.Store()
        store.load("".join(lines).encode(), format=ox.RdfFormat.N_TRIPLES)
        from .mapping import rdflib_term

        shapes_graph = _preselect_sparql_targets(
            shapes_graph, store, lambda node: terms.get(str(node)) or rdflib_term(node)
        )
    owner: dict[Node, str] = {}
    for chunk in chunks:
        for key in chunk.owned:
            node = terms.get(key)
            if node is not None:  # else the chunk has no triple about it, it is no focus node
                owner[node] = chunk.key

    with _only_focus_nodes(owner if project_shapes else None):
        report = _run_pyshacl(data, shapes_graph, inplace=not has_rules)
    namespaces = _namespace_manager(shapes_graph)
    found: dict[str, tuple[set[Violation], set[Node]]] = {chunk.key: (set(), set()) for chunk in chunks}
    first = chunks[0].key
    for result, focus, violation in _iter_results(report, data, shapes_graph, namespaces, ""):
        violations, nodes = found[owner.get(focus, first)]
        violations.add(violation)
        nodes.add(result)
    out: dict[str, tuple[list[Violation], str]] = {}
    for key, (violations, nodes) in found.items():
        out[key] = (sorted(violations, key=_sort_key), _describe_results(report, nodes))
    return out


def _rdflib_rows(lines: Iterable[str], terms: dict[str, Node]) -> list[tuple[Node, Node, Node]]:
    """rdflib triples of N-Triples lines as :func:`_partition` writes them (``s p o .``,
    pyoxigraph's canonical forms); ``terms`` gets each term by its N-Triples form.

    Read with a split and a look-up per term instead of a parser: each distinct
    term is converted once (a literal with an escape through pyoxigraph's parser).
    """
    rows = []
    get = terms.get
    for line in lines:
        s, p, o = line[:-3].split(" ", 2)  # a subject or predicate has no space; the line ends with " .\n"
        rs = get(s)
        if rs is None:
            rs = terms[s] = _nt_term(s)
        rp = get(p)
        if rp is None:
            rp = terms[p] = URIRef(p[1:-1])
        ro = get(o)
        if ro is None:
            ro = terms[o] = _nt_term(o)
        rows.append((rs, rp, ro))
    return rows


def _nt_term(token: str) -> Node:
    """One term in pyoxigraph's canonical N-Triples form, as rdflib's term (see :func:`scholargraph.mapping.rdflib_term`)."""
    first = token[0]
    if first == "<":
        return URIRef(token[1:-1])
    if first == "_":
        return BNode(token[2:])
    if "\\" in token:  # an escaped character: let the parser unescape it
        import pyoxigraph as ox

        from .mapping import rdflib_term

        (quad,) = ox.parse(f"<x:s> <x:p> {token} .".encode(), format=ox.RdfFormat.N_TRIPLES)
        return rdflib_term(quad.object)
    end = token.rindex('"')
    value, suffix = token[1:end], token[end + 1 :]
    if not suffix:
        return Literal(value)
    if suffix[0] == "@":
        return Literal(value, lang=suffix[1:])
    datatype = suffix[3:-1]  # ^^<…>
    return Literal(value, datatype=None if datatype == _XSD_STRING else URIRef(datatype))


class _OneGraphStore(SimpleMemory):
    """An rdflib store holding one graph, loaded once, for pySHACL to read.

    rdflib's default store (``Memory``) keeps, beside its three indices, the
    contexts of every triple and sends an event per added triple: 60 % of a
    validation worker's time went into filling it.  This one keeps indices
    only (spo and pos; osp when first asked for; SimpleMemory is its base for
    the prefix bindings alone) and declares itself context-aware, as pySHACL requires:
    every triple is in the one graph it was loaded for, the only context it
    lists.  pySHACL reads the data graph without changing it (no SHACL rules:
    :func:`_validate_batch` uses rdflib's store when there are).
    """

    context_aware = True
    graph_aware = True

    def __init__(self) -> None:
        super().__init__()
        self.spo: dict[Node, dict[Node, dict[Node, None]]] = {}
        self.pos: dict[Node, dict[Node, dict[Node, None]]] = {}
        self._osp: dict[Node, dict[Node, dict[Node, None]]] | None = None  # made on first use
        self.size = 0
        self.graph: Graph | None = None

    def load(self, rows: Iterable[tuple[Node, Node, Node]], graph: Graph) -> None:
        self.graph = graph
        spo, pos = self.spo, self.pos
        size = 0
        for s, p, o in rows:
            objects = spo.setdefault(s, {}).setdefault(p, {})
            if o not in objects:
                objects[o] = None
                pos.setdefault(p, {}).setdefault(o, {})[s] = None
                size += 1
        self.size += size

    @property
    def osp(self) -> dict[Node, dict[Node, dict[Node, None]]]:
        """Object → subject → predicate; pySHACL seldom asks by object alone, so it is made when it does."""
        if self._osp is None:
            self._osp = {}
            for s, by_predicate in self.spo.items():
                for p, objects in by_predicate.items():
                    for o in objects:
                        self._osp.setdefault(o, {}).setdefault(s, {})[p] = None
        return self._osp

    def add(self, triple: Any, context: Any, quoted: bool = False) -> None:
        raise NotImplementedError("the validation's data graph is read-only")

    def remove(self, triple: Any, context: Any = None) -> None:
        raise NotImplementedError("the validation's data graph is read-only")

    def _other(self, context: Any) -> bool:
        """Whether ``context`` is a graph other than the one this store holds."""
        graph = self.graph
        if context is None or context is graph or graph is None:
            return False
        return context.identifier != graph.identifier

    def __len__(self, context: Any = None) -> int:
        return 0 if self._other(context) else self.size

    def contexts(self, triple: Any = None) -> Iterator[Any]:
        if self.graph is None or (triple is not None and triple != (None, None, None) and not any(self.triples(triple))):
            return iter(())
        return iter((self.graph,))

    def triples(self, triple_pattern: Any, context: Any = None) -> Iterator[Any]:  # noqa: C901 - eight patterns
        if self._other(context):
            return
        graphs = (self.graph,)
        s, p, o = triple_pattern
        if s is not None:
            by_predicate = self.spo.get(s)
            if by_predicate is None:
                return
            if p is not None:
                objects = by_predicate.get(p)
                if objects is None:
                    return
                if o is not None:
                    if o in objects:
                        yield (s, p, o), iter(graphs)
                    return
                for obj in list(objects):
                    yield (s, p, obj), iter(graphs)
                return
            for pred, objects in list(by_predicate.items()):
                if o is None:
                    for obj in list(objects):
                        yield (s, pred, obj), iter(graphs)
                elif o in objects:
                    yield (s, pred, o), iter(graphs)
            return
        if p is not None:
            by_object = self.pos.get(p)
            if by_object is None:
                return
            if o is not None:
                for subj in list(by_object.get(o, ())):
                    yield (subj, p, o), iter(graphs)
                return
            for obj, subjects in list(by_object.items()):
                for subj in list(subjects):
                    yield (subj, p, obj), iter(graphs)
            return
        if o is not None:
            for subj, predicates in list(self.osp.get(o, {}).items()):
                for pred in list(predicates):
                    yield (subj, pred, o), iter(graphs)
            return
        for subj, by_predicate in list(self.spo.items()):
            for pred, objects in list(by_predicate.items()):
                for obj in list(objects):
                    yield (subj, pred, obj), iter(graphs)


def _preselect_sparql_targets(shapes: Graph, store: "pyoxigraph.Store", term: Any) -> Graph:
    """A copy of ``shapes`` whose SPARQL targets are replaced by the nodes they select.

    pySHACL runs a SHACL-AF sh:SPARQLTarget with rdflib's SPARQL engine,
    about 130 µs per solution and join step: 2.5 s of the 100k benchmark
    for the four checks of shapes.ttl that are their own targets.  Oxigraph
    runs the same query text (same prefixes, sg:orcidCheckDigit registered)
    in milliseconds; its focus nodes become sh:targetNode values of the
    shape, and pySHACL then evaluates the shape, sh:sparql constraint
    included, on exactly those nodes.  For the checks of shapes.ttl a node
    Oxigraph selects and rdflib would not (Oxigraph is the stricter of the two
    on ``$`` in REGEX, and on literals rdflib normalises) is harmless: the
    constraint, run by pySHACL, finds nothing there.  A query Oxigraph
    cannot run is left to pySHACL.
    """
    import pyoxigraph as ox

    sh = _SH
    prefixes = {"rdf": str(RDF), "rdfs": str(RDFS), "owl": "http://www.w3.org/2002/07/owl#"}
    for declaration in shapes.objects(None, sh.declare):
        prefix = shapes.value(declaration, sh.prefix)
        namespace = shapes.value(declaration, sh.namespace)
        if prefix is None or namespace is None:
            continue
        if prefixes.get(str(prefix), str(namespace)) != str(namespace):
            return shapes  # conflicting declarations: leave the targets to pySHACL
        prefixes[str(prefix)] = str(namespace)
    functions = {ox.NamedNode(str(SG.orcidCheckDigit)): _oxigraph_orcid_check_digit}
    selected: dict[tuple[Node, Node], list[Node]] = {}
    for shape, target in shapes.subject_objects(sh.target):
        if (target, RDF.type, sh.SPARQLTarget) not in shapes:
            continue
        query = shapes.value(target, sh.select)
        if query is None:
            continue
        try:
            solutions = store.query(str(query), prefixes=prefixes, custom_functions=functions)
            nodes = [term(row["this"]) for row in solutions if row["this"] is not None]
        except (SyntaxError, OSError, ValueError, KeyError, TypeError):
            continue
        selected[(shape, target)] = nodes
    if not selected:
        return shapes
    copy = _copy(shapes)
    for (shape, target), nodes in selected.items():
        copy.remove((shape, sh.target, target))
        for node in nodes:
            copy.add((shape, sh.targetNode, node))
    return copy


def _oxigraph_orcid_check_digit(value: Any) -> Any:
    """sg:orcidCheckDigit for Oxigraph (None is an error: the expression is unbound)."""
    import pyoxigraph as ox

    if not isinstance(value, ox.Literal):
        return None
    try:
        return ox.Literal(str(orcid_check_digit(Literal(value.value))))
    except SPARQLError:
        return None


@contextmanager
def _only_focus_nodes(owned: dict[Node, str] | None) -> Iterator[None]:
    """Let pySHACL take as focus nodes of a shape's targets only the nodes in ``owned``."""
    from pyshacl.shape import Shape

    if owned is None:
        yield
        return
    original = Shape.focus_nodes

    def focus_nodes(self: Any, data_graph: Any, debug: bool = False) -> set[Node]:
        return {node for node in original(self, data_graph, debug=debug) if node in owned}

    Shape.focus_nodes = focus_nodes  # type: ignore[method-assign]
    try:
        yield
    finally:
        Shape.focus_nodes = original  # type: ignore[method-assign]


def _describe_results(report: Graph, results: set[Node]) -> str:
    """The report triples of ``results`` and of the blank nodes they lead to, as N-Triples."""
    part = Graph()
    todo = list(results)
    seen: set[Node] = set(todo)
    while todo:
        node = todo.pop()
        for _s, p, o in report.triples((node, None, None)):
            part.add((node, p, o))
            if isinstance(o, BNode) and o not in seen:
                seen.add(o)
                todo.append(o)
    if not len(part):
        return ""
    return "".join(sorted(part.serialize(format="nt").splitlines(keepends=True)))


def _link_report(report: Graph, conforms: bool) -> None:
    """Add the sh:ValidationReport node that lists every top-level result."""
    sh = _SH
    node = BNode()
    report.add((node, RDF.type, sh.ValidationReport))
    report.add((node, sh.conforms, Literal(conforms)))
    for result in list(report.subjects(RDF.type, sh.ValidationResult)):
        if (None, sh.detail, result) not in report:
            report.add((node, sh.result, result))


BUNDLE_FILE = "entries.marshal"  # in the cache folder: every entry of the last validation, in one file


def _bundle_read(cache_dir: Path) -> dict[str, tuple[tuple[tuple, ...], str]]:
    """The entries of the last validation, read in one go (a thousand small files took ~0.3 s);
    empty when missing or of another format.  An entry's key is its chunk's content: an entry
    found here is the one its file holds."""
    try:
        tag, entries = marshal.loads((cache_dir / BUNDLE_FILE).read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return entries if tag == _bundle_tag() and isinstance(entries, dict) else {}


def _bundle_write(cache_dir: Path, entries: dict[str, tuple[list[Violation], str]]) -> None:
    names = _VIOLATION_FIELDS
    data = {key: (tuple(tuple(getattr(v, n) for n in names) for v in violations), text) for key, (violations, text) in entries.items()}
    path = cache_dir / BUNDLE_FILE
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(marshal.dumps((_bundle_tag(), data)))
    os.replace(temporary, path)


def _bundle_tag() -> str:
    return f"entries {CACHE_FORMAT} {','.join(_VIOLATION_FIELDS)} marshal {marshal.version}"


def _cache_read(
    cache_dir: Path, key: str, bundle: dict[str, tuple[tuple[tuple, ...], str]] | None = None
) -> tuple[list[Violation], str] | None:
    found = bundle.get(key) if bundle else None
    if found is not None:
        return [Violation(*values) for values in found[0]], found[1]
    path = cache_dir / f"{key}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != CACHE_FORMAT:
            return None
        return [Violation(**item) for item in data["results"]], str(data["report"])
    except (OSError, ValueError, TypeError, KeyError):
        return None


_VIOLATION_FIELDS = tuple(f.name for f in fields(Violation))


def _cache_write(cache_dir: Path, key: str, entry: tuple[list[Violation], str]) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    violations, report_text = entry
    data = {"format": CACHE_FORMAT, "results": [asdict(v) for v in violations], "report": report_text}
    path = cache_dir / f"{key}.json"
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    os.replace(temporary, path)


def _cache_prune(cache_dir: Path, keep: set[str]) -> None:
    if not cache_dir.is_dir():
        return
    for entry in cache_dir.glob("*.json"):
        if entry.stem not in keep:
            entry.unlink(missing_ok=True)


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
# pySHACL fast paths (bench/README.md, "Validating 100k triples")
#
# Five replacements of pySHACL 0.40 internals, in force only while
# scholargraph validates (a context manager puts the originals back).  None
# changes a result: each does the same evaluations, or a subset whose outcome
# the original discards, in fewer calls.  tests/test_validate_parallel.py
# compares every broken test graph and the benchmark graph with and without
# them.
#
# 1. sh:property.  pySHACL validates a property shape once per focus node of
#    its parent, building the constraint objects and harvesting the shape's
#    parameters again for each: 60 % of the time on 100k triples.  Here it is
#    validated once, for all the value nodes together (what pySHACL does for a
#    shape with targets of its own).
# 2. sh:or.  pySHACL tries every alternative on every value node and builds a
#    full result (with its text) for each failing one, only to drop it.  Here
#    the alternatives are tried in the order of the list and the first that
#    conforms ends the search; the outcome is the same.
# 3. Result texts.  pySHACL writes a multi-line text for every result,
#    nested ones included (the text report, which scholargraph never reads);
#    here the text is left empty.  The report graph is unchanged.


def _evaluate_property_shape_at_once(
    self: Any,
    executor: Any,
    prop_shape: Node,
    target_graph: Any,
    focus_value_nodes: dict[Node, Iterable[Node]],
    potentially_recursive: Any,
    _evaluation_path: list[Any],
) -> tuple[bool, list[Any]]:
    """``PropertyConstraintComponent._evaluate_property_shape``, one call for all value nodes."""
    from pyshacl.errors import ReportableRuntimeError, ShapeRecursionWarning

    found = self.shape.get_other_shape(prop_shape)
    if potentially_recursive and found in potentially_recursive:
        warnings.warn(ShapeRecursionWarning(_evaluation_path))
        return False, []
    if not found:
        raise ReportableRuntimeError(f"The shape referenced by sh:property does not exist: {prop_shape}")
    if not found.is_property_shape:
        raise ReportableRuntimeError(f"{prop_shape} is not a well-formed SHACL PropertyShape")
    nodes = list(dict.fromkeys(v for values in focus_value_nodes.values() for v in values))
    if not nodes:
        return False, []
    conforms, reports = found.validate(
        executor, target_graph, focus=nodes, _evaluation_path=_evaluation_path[:]
    )
    return not conforms, reports


def _evaluate_or_until_one_conforms(
    self: Any,
    executor: Any,
    or_c: Node,
    target_graph: Any,
    focus_value_nodes: dict[Node, Iterable[Node]],
    _evaluation_path: list[Any],
) -> tuple[bool, list[Any]]:
    """``OrConstraintComponent._evaluate_or_constraint``, stopping at the first conforming shape."""
    from pyshacl.errors import ReportableRuntimeError

    members = list(dict.fromkeys(self.shape.sg.graph.items(or_c)))
    if not members:
        raise ReportableRuntimeError("The list associated with sh:or is not a valid RDF list.")
    or_shapes = []
    for member in members:
        if self.shape.sg.is_filtered_out_shape(member):
            continue
        or_shape = self.shape.get_other_shape(member)
        if not or_shape:
            raise ReportableRuntimeError(
                "Shape pointed to by sh:or does not exist or is not a well-formed SHACL Shape."
            )
        if or_shape not in or_shapes:
            or_shapes.append(or_shape)
    if not or_shapes:
        return False, []
    non_conformant = False
    reports = []
    for focus, value_nodes in focus_value_nodes.items():
        for value in value_nodes:
            if not any(
                s.validate(executor, target_graph, focus=value, _evaluation_path=_evaluation_path[:])[0]
                for s in or_shapes
            ):
                non_conformant = True
                reports.append(self.make_v_result(target_graph, focus, value_node=value))
    return non_conformant, reports


def _no_result_text(self: Any, *args: Any, **kwargs: Any) -> str:
    return ""


# 4. Property paths.  For every focus node pySHACL reads the structure of a
#    complex sh:path (list, sh:inversePath, sh:zeroOrMorePath …) from the
#    shapes graph again, at every step of the walk.  Here each path is read
#    once into a small function that makes the same data-graph calls in the
#    same way; anything unusual (a malformed path) goes to pySHACL's own
#    function, errors included.

_PATH_DEPTH_LIMIT = 10  # pySHACL's own limit ("Path traversal depth is too much!")

PathWalk = Any  # Callable[[Node, Any], set[Node]]


def _compile_path(shapes: Graph, path: Node, inverse: bool, depth: int) -> PathWalk | None:
    """A function (focus, data graph) -> value nodes, as pySHACL's value_nodes_from_path."""
    sh = _SH
    if isinstance(path, URIRef):
        if inverse:
            return lambda focus, data: set(data.subjects(path, focus))
        return lambda focus, data: set(data.objects(focus, path))
    if not isinstance(path, BNode) or depth >= _PATH_DEPTH_LIMIT:
        return None
    first = set(shapes.objects(path, RDF.first))
    if first:
        rest = set(shapes.objects(path, RDF.rest))
        if len(first) != 1 or len(rest) != 1:
            return None
        (rest_node,) = rest
        head = _compile_path(shapes, next(iter(first)), inverse, depth + 1)
        if head is None or rest_node == RDF.nil:
            return head if depth > 0 else None
        tail = _compile_path(shapes, rest_node, inverse, depth + 1)
        if tail is None:
            return None

        def sequence(focus: Node, data: Any) -> set[Node]:
            found: set[Node] = set()
            for node in head(focus, data):
                found.update(tail(node, data))
            return found

        return sequence
    inner_nodes = list(shapes.objects(path, sh.inversePath))
    if inner_nodes:
        return _compile_path(shapes, inner_nodes[0], not inverse, depth + 1) if len(inner_nodes) == 1 else None
    alternatives = list(shapes.objects(path, sh.alternativePath))
    if alternatives:
        if len(alternatives) != 1:
            return None
        walks = [_compile_path(shapes, a, inverse, depth + 1) for a in shapes.items(alternatives[0])]
        if len(walks) < 2 or any(w is None for w in walks):
            return None

        def alternative(focus: Node, data: Any) -> set[Node]:
            found: set[Node] = set()
            for walk in walks:
                found.update(walk(focus, data))
            return found

        return alternative
    for predicate, include_focus, repeat in (
        (sh.zeroOrMorePath, True, True),
        (sh.oneOrMorePath, False, True),
        (sh.zeroOrOnePath, True, False),
    ):
        inner_nodes = list(shapes.objects(path, predicate))
        if not inner_nodes:
            continue
        if len(inner_nodes) != 1:
            return None
        step = _compile_path(shapes, inner_nodes[0], inverse, depth + 1)
        if step is None:
            return None
        return _closure(step, include_focus, repeat)
    return None


def _closure(step: PathWalk, include_focus: bool, repeat: bool) -> PathWalk:
    if not repeat:  # sh:zeroOrOnePath

        def zero_or_one(focus: Node, data: Any) -> set[Node]:
            return {focus} | step(focus, data)

        return zero_or_one

    def closure(focus: Node, data: Any) -> set[Node]:
        found: set[Node] = {focus} if include_focus else set()
        todo = set(step(focus, data))
        while todo:
            node = todo.pop()
            if node in found:
                continue
            found.add(node)
            todo.update(step(node, data))
        return found

    return closure


def _compiled_value_nodes_from_path(original: Any) -> Any:
    walks: dict[tuple[int, Node, bool], PathWalk] = {}

    def value_nodes_from_path(
        sg: Any, focus: Node, path_val: Node, target_graph: Any, inverse: bool = False, recursion: int = 0
    ) -> set[Node]:
        if recursion:
            return original(sg, focus, path_val, target_graph, inverse=inverse, recursion=recursion)
        key = (id(sg), path_val, inverse)
        walk = walks.get(key)
        if walk is None:
            walk = _compile_path(sg.graph, path_val, inverse, 0)
            if walk is None:
                def walk(f: Node, data: Any, _sg: Any = sg, _p: Node = path_val, _i: bool = inverse) -> set[Node]:
                    return original(_sg, f, _p, data, inverse=_i)
            walks[key] = walk
        return walk(focus, target_graph)

    return value_nodes_from_path


# 5. Constraint parameters.  For every evaluation of every shape pySHACL
#    looks each predicate of the shape up in a list of some forty constraint
#    parameters, comparing rdflib terms one by one in Python; this list
#    answers ``in`` from a set.


class _ParameterList(list):  # type: ignore[type-arg]
    """A list of constraint parameters whose ``in`` is a hash lookup."""

    def __init__(self, items: Iterable[Any] = ()) -> None:
        super().__init__(items)
        self._members = set(self)

    def __contains__(self, item: object) -> bool:
        return item in self._members

    def append(self, item: Any) -> None:
        super().append(item)
        self._members.add(item)

    def copy(self) -> "_ParameterList":
        return _ParameterList(self)


_FAST_PATHS: tuple[tuple[str, str, str, Any], ...] = (
    (
        "pyshacl.constraints.core.shape_based_constraints",
        "PropertyConstraintComponent",
        "_evaluate_property_shape",
        _evaluate_property_shape_at_once,
    ),
    (
        "pyshacl.constraints.core.logical_constraints",
        "OrConstraintComponent",
        "_evaluate_or_constraint",
        _evaluate_or_until_one_conforms,
    ),
    (
        "pyshacl.constraints.constraint_component",
        "ConstraintComponent",
        "make_v_result_description",
        _no_result_text,
    ),
)


_ABSENT = object()


@contextmanager
def _pyshacl_fast_paths(enabled: bool = True) -> Iterator[None]:
    """Put the fast paths above in place for one validation (no-op if pySHACL lacks a method)."""
    replaced: list[tuple[Any, str, Any]] = []
    if enabled:
        for module_name, class_name, method, replacement in _FAST_PATHS:
            cls = getattr(importlib.import_module(module_name), class_name, None)
            original = cls.__dict__.get(method) if cls is not None else None
            if original is None:
                continue
            replaced.append((cls, method, original))
            setattr(cls, method, replacement)
    if enabled:
        shape_module = importlib.import_module("pyshacl.shape")
        constraints = importlib.import_module("pyshacl.constraints")
        replaced.append((shape_module, "CONSTRAINT_PARAMS", getattr(shape_module, "CONSTRAINT_PARAMS", _ABSENT)))
        shape_module.CONSTRAINT_PARAMS = (
            _ParameterList(constraints.ALL_CONSTRAINT_PARAMETERS),
            constraints.CONSTRAINT_PARAMETERS_MAP,
        )
        original = getattr(shape_module, "value_nodes_from_path", None)
        if original is not None:
            replaced.append((shape_module, "value_nodes_from_path", original))  # type: ignore[arg-type]
            shape_module.value_nodes_from_path = _compiled_value_nodes_from_path(original)
    try:
        yield
    finally:
        for owner, name, original in reversed(replaced):
            if original is _ABSENT:
                delattr(owner, name)
            else:
                setattr(owner, name, original)


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
    seen = {violation for _result, _focus, violation in _iter_results(report, data, shapes, namespaces, source_root)}
    return tuple(sorted(seen, key=_sort_key))


def _iter_results(
    report: Graph,
    data: Graph,
    shapes: Graph,
    namespaces: NamespaceManager,
    source_root: str,
) -> Iterator[tuple[Node, Node, Violation]]:
    """(result node, focus node, located result) for every top-level result of ``report``.

    Fills the placeholders of the messages in ``report`` as it goes.
    """
    sh = _SH
    for result in list(report.subjects(RDF.type, sh.ValidationResult)):
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
        yield result, focus, Violation(
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
