"""Deterministic serialisations of the graph and the description of the dataset.

The graph has no blank nodes, so a fixed order of its triples gives
byte-identical files for the same input.  :func:`write_dumps` writes, into
one directory::

    graph.ttl      Turtle with the project's prefixes, subjects in IRI order
    graph.nt       N-Triples, one triple per line, lines in byte order
    graph.jsonld   JSON-LD compacted with a fixed context (CONTEXT), one node per line
    graph.trig     TriG, one named graph per source document, each triple in one graph
    *.gz           the four above, gzipped (mtime 0, no file name), on request
    void.ttl       VoID/DCAT description: counts, class and property partitions,
                   licence, base IRI, input hashes, the files with their sizes

How it stays fast at a million triples: pyoxigraph writes canonical
N-Triples once; its lines give the order (subject IRI, predicate IRI, object),
whatever order the triples came in, and one pass over them collects what the
JSON-LD, the TriG graphs and the counts need.  Canonical N-Triples escapes a
literal the way JSON does, so JSON-LD strings are copied, not re-encoded.

A rebuild need not write them from scratch: :func:`patch_dumps` takes the
previous build's dumps and the difference between the two graphs' lines, and
writes the same bytes :func:`write_dumps` would, serialising again only the
subjects the difference touches (see "dumps by difference" below).

Nothing here reads the clock or the environment: a date appears in
``void.ttl`` only when the caller passes ``build_date``.  See ``docs/dumps.md``.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime
import gc
import gzip as gzip_module
import json
import os
import re
import shutil
import sys
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .cache import write_atomically
from .config import Settings
from .errors import DocumentError, ScholargraphError
from .identifiers import iri_segment, short_hash
from .mapping import Triple, parse_lines, triple_key
from .namespaces import DCTERMS, PREFIXES, PROV, RDF, SCHEMA, SG, XSD
from .records import Document

# --------------------------------------------------------------------------- file names

TURTLE = "graph.ttl"
NTRIPLES = "graph.nt"
JSONLD = "graph.jsonld"
TRIG = "graph.trig"
VOID = "void.ttl"
GRAPH_FILES = (TURTLE, NTRIPLES, JSONLD, TRIG)
"""The dumps that hold the graph itself (gzipped on request), in the order they are written."""

_IANA = "https://www.iana.org/assignments/media-types/"
MEDIA_TYPES: dict[str, str] = {
    TURTLE: "text/turtle",
    NTRIPLES: "application/n-triples",
    JSONLD: "application/ld+json",
    TRIG: "application/trig",
}
GZIP_MEDIA_TYPE = "application/gzip"

VOID_NS = "http://rdfs.org/ns/void#"
DCAT_NS = "http://www.w3.org/ns/dcat#"
VOID_PREFIXES: dict[str, str] = dict(sorted({**PREFIXES, "dcat": DCAT_NS, "void": VOID_NS}.items()))

_TYPE = str(RDF.type).encode()
_DERIVED = str(PROV.wasDerivedFrom).encode()
_SHA256 = str(SG.sha256).encode()
_PASSAGE = b"#line="


def _serialize(items: Sequence[Triple], fmt: ox.RdfFormat, prefixes: dict[str, str] | None = None) -> bytes:
    data = ox.serialize(items, format=fmt, prefixes=prefixes)
    assert data is not None  # no output given: pyoxigraph returns the bytes
    return data


# --------------------------------------------------------------------------- Turtle


def turtle_bytes(triples: Iterable[Triple]) -> bytes:
    """Turtle with the project's prefixes, triples in :func:`~scholargraph.mapping.triple_key` order."""
    ordered = sorted(triples, key=triple_key)
    return _serialize(ordered, ox.RdfFormat.TURTLE, PREFIXES)


def write_turtle(triples: Iterable[Triple], path: Path) -> None:
    """``graph.ttl``: Turtle with the project's prefixes, subjects in IRI order."""
    write_atomically(path, turtle_bytes(triples))


# --------------------------------------------------------------------------- JSON-LD context

# Properties whose values are IRIs: declared ``"@type": "@id"`` so that they read as
# plain strings.  (schema.org ones by local name, as ``@vocab`` is schema.org.)
_SCHEMA_ID_PROPERTIES = (
    "about", "alumniOf", "audience", "author", "contributor", "funder", "instructor", "isPartOf",
    "member", "memberOf", "organizer", "parentOrganization", "performer", "provider", "publisher",
    "sameAs", "sourceOrganization", "worksFor",
)
_OTHER_ID_PROPERTIES = (
    "bibo:presentedAt", "bibo:status", "datacite:hasIdentifier", "datacite:usesIdentifierScheme",
    "frapo:isFundedBy", "frapo:isOutputOf", "oco:hasNext", "pro:isDocumentContextFor", "pro:isHeldBy",
    "pro:withRole", "prov:wasDerivedFrom", "sg:possibleSameAs",
)
# Properties with a single datatype: declared with it so that values read as plain strings.
# (Dates are not: one property holds xsd:gYear, xsd:gYearMonth or xsd:date, and a JSON-LD
# term takes one datatype, so a date reads {"@type": "xsd:gYearMonth", "@value": "2020-01"}.)
_TYPED_PROPERTIES = {"sg:authorRank": "xsd:positiveInteger"}


def _context() -> dict[str, object]:
    context: dict[str, object] = {"@vocab": str(SCHEMA)}
    context.update(PREFIXES)
    for name in _SCHEMA_ID_PROPERTIES:
        context[name] = {"@id": f"schema:{name}", "@type": "@id"}
    for name in _OTHER_ID_PROPERTIES:
        context[name] = {"@type": "@id"}
    for name, datatype in _TYPED_PROPERTIES.items():
        context[name] = {"@type": datatype}
    return dict(sorted(context.items()))


CONTEXT: dict[str, object] = _context()
"""The JSON-LD context of ``graph.jsonld``: schema.org as ``@vocab``, the project's prefixes,
IRI-valued properties as ``@id`` and ``sg:authorRank`` as ``xsd:positiveInteger``."""

_SIMPLE_TERM = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# What a predicate means to the scan (besides its JSON-LD key).
_PLAIN, _IS_TYPE, _IS_DERIVED, _IS_SHA256 = 0, 1, 2, 3
_KINDS = {_TYPE: _IS_TYPE, _DERIVED: _IS_DERIVED, _SHA256: _IS_SHA256}


class _Compactor:
    """IRIs to JSON-LD keys and values under a context: a faithful, reversible compaction.

    Keys and values are JSON text (bytes).  A literal's JSON string is its
    canonical N-Triples lexical form as it is (same escapes: ``\\"``, ``\\\\``,
    ``\\n``, ``\\r``, ``\\t``, ``\\b``, ``\\f``, ``\\uXXXX``); IRIs hold no character
    that JSON escapes.
    """

    def __init__(self, context: dict[str, object]) -> None:
        self.prefixes = sorted(
            ((name, iri) for name, iri in context.items() if isinstance(iri, str) and not name.startswith("@")),
            key=lambda item: (-len(item[1]), item[0]),
        )
        self.vocab = str(context["@vocab"])
        self.meaning: dict[str, str] = {}  # term -> the IRI it stands for
        self.coercion: dict[str, bytes] = {}  # term -> b"@id" or a datatype IRI
        for name, definition in context.items():
            if isinstance(definition, dict):
                self.meaning[name] = self.expand(str(definition.get("@id", name)))
                if "@type" in definition:
                    datatype = str(definition["@type"])
                    self.coercion[name] = (datatype if datatype == "@id" else self.expand(datatype)).encode()
            elif not name.startswith("@"):
                self.meaning[name] = str(definition)
        self.terms: dict[bytes, bytes] = {}
        self.predicates: dict[bytes, tuple[bytes, bytes | None, int]] = {}

    def expand(self, compact: str) -> str:
        prefix, colon, local = compact.partition(":")
        for name, iri in self.prefixes:
            if colon and name == prefix:
                return iri + local
        return compact

    def _usable(self, term: str, iri: str) -> bool:
        return self.meaning.get(term, iri) == iri

    def term(self, iri_bytes: bytes) -> bytes:
        """An IRI as a key or a type: a schema.org local name, else prefix:local, else the IRI."""
        found = self.terms.get(iri_bytes)
        if found is None:
            iri = iri_bytes.decode()
            term = iri
            local = iri[len(self.vocab) :] if iri.startswith(self.vocab) else ""
            if _SIMPLE_TERM.match(local) and self._usable(local, iri):
                term = local
            else:
                for name, namespace in self.prefixes:
                    rest = iri[len(namespace) :]
                    if iri.startswith(namespace) and rest and not rest.startswith("//"):
                        if self._usable(f"{name}:{rest}", iri):
                            term = f"{name}:{rest}"
                            break
            found = self.terms[iri_bytes] = term.encode()
        return found

    def predicate(self, iri: bytes) -> tuple[bytes, bytes | None, int]:
        """(the JSON key, quoted; the coercion of its term; its kind) of a predicate IRI."""
        found = self.predicates.get(iri)
        if found is None:
            term = self.term(iri)
            found = self.predicates[iri] = (b'"' + term + b'"', self.coercion.get(term.decode()), _KINDS.get(iri, _PLAIN))
        return found

    def value(self, obj: bytes, coerced: bytes | None) -> bytes:
        """The JSON value of an object given in canonical N-Triples."""
        if obj[:1] == b"<":
            iri = obj[1:-1]
            return b'"' + iri + b'"' if coerced == b"@id" else b'{"@id":"' + iri + b'"}'
        close = obj.rindex(b'"')
        lexical = obj[: close + 1]
        rest = obj[close + 1 :]
        if not rest:  # xsd:string
            return lexical if coerced is None else b'{"@value":' + lexical + b"}"
        if rest[:1] == b"@":
            return b'{"@language":"' + rest[1:] + b'","@value":' + lexical + b"}"
        datatype = rest[3:-1]  # ^^<…>
        if datatype == coerced:
            return lexical
        return b'{"@type":"' + self.term(datatype) + b'","@value":' + lexical + b"}"


def _node_json(subject: bytes, types: list[bytes], values: dict[bytes, list[bytes]]) -> bytes:
    out = [b'{"@id":"' + subject + b'"']
    if types:
        out.append(b'"@type":' + (types[0] if len(types) == 1 else b"[" + b",".join(types) + b"]"))
    for key in sorted(values):
        found = values[key]
        out.append(key + b":" + (found[0] if len(found) == 1 else b"[" + b",".join(found) + b"]"))
    return b",".join(out) + b"}"


# --------------------------------------------------------------------------- the canonical order


def _source_of(passage: bytes) -> bytes:
    """The source document IRI of a provenance passage ``{source}#line=N,M``."""
    head, found, _ = passage.rpartition(_PASSAGE)
    return head if found else passage


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector, as :mod:`timeit` does, for a loop that makes
    many small containers and no cycles (a quarter of the time at a million triples
    otherwise goes to collections that free nothing); restores the previous state."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _canonical_order(data: bytes, lines: list[bytes], given: list[Triple]) -> list[int]:
    """Indexes of ``lines`` (and ``given``) in :func:`~scholargraph.mapping.triple_key` order.

    The key of a line is the line with the '>' that closes its subject and its
    predicate made the lowest byte, so that '<a/b>' sorts before '<a/b/c>' as
    the IRIs themselves do; the object then compares as ``str(object)`` does.
    Those two '>' are the only ones followed by ``' <'`` or ``' "'``, unless a
    literal holds ``'> <'`` (canonical N-Triples escapes ``"``): then the
    slower exact key is used.  (U+0001 is written ``\\u0001``, so the marker
    byte occurs nowhere else.)
    """
    marked = data.replace(b"> <", b"\x01<").replace(b'> "', b'\x01"')
    if marked.count(b"\x01") == 2 * len(lines):
        keys = marked.split(b"\n")
        del marked
        return sorted(range(len(lines)), key=keys.__getitem__)
    exact = [triple_key(t) for t in given]
    return sorted(range(len(lines)), key=exact.__getitem__)


class Canonical:
    """The graph in its canonical order, and what every dump needs, from one pass.

    ``triples`` and ``lines`` (canonical N-Triples, without the newline) are in
    one order: by subject IRI, then predicate IRI, then the object's N-Triples
    bytes, whatever order the triples came in.  ``runs`` gives each subject's
    slice of them.  The pass also collects the JSON-LD nodes, the provenance
    that places subjects in named graphs, and the counts for VoID.
    """

    def __init__(self, triples: Iterable[Triple]) -> None:
        given = list(triples)
        data = _serialize(given, ox.RdfFormat.N_TRIPLES)
        lines = data.split(b"\n")
        lines.pop()  # after the last newline
        if len(lines) != len(given):  # pragma: no cover - canonical N-Triples escapes newlines
            raise ValueError("N-Triples lines and triples differ in number")
        with _gc_paused():
            order = _canonical_order(data, lines, given)
        del data  # the lines hold their own bytes
        self.triples: list[Triple] = [given[i] for i in order]
        self._collect([lines[i] for i in order])

    @classmethod
    def of_lines(cls, lines: list[bytes]) -> Canonical:
        """The runs, JSON-LD nodes, provenance and counts of canonical N-Triples ``lines``
        (without the newline) already in the canonical order; ``triples`` is left empty."""
        canonical = cls.__new__(cls)
        canonical.triples = []
        canonical._collect(lines)
        return canonical

    def _collect(self, lines: list[bytes]) -> None:
        self.lines: list[bytes] = lines
        self.runs: list[tuple[bytes, int, int]] = []  # (subject, start, end)
        self.nodes: list[bytes] = []  # JSON-LD, one per run
        self.provenance: dict[bytes, set[bytes]] = {}  # subject -> sources its wasDerivedFrom IRIs name
        self.edges: dict[bytes, list[bytes]] = {}  # subject -> IRIs it points to (not types)
        self.classes: dict[bytes, int] = defaultdict(int)  # class -> typed subjects
        self.properties: dict[bytes, int] = defaultdict(int)  # predicate -> triples
        self.sources: dict[bytes, bytes] = {}  # source document -> its sha256 (N-Triples literal)
        with _gc_paused():
            self._scan(_Compactor(CONTEXT))

    def _scan(self, compactor: _Compactor) -> None:
        lines = self.lines
        properties = self.properties
        predicate_info = compactor.predicates
        subject = b""
        start = 0
        types: list[bytes] = []
        values: dict[bytes, list[bytes]] = {}
        targets: list[bytes] = []
        for index, line in enumerate(lines):
            end_s = line.index(b"> ")
            s = line[1:end_s]
            if s != subject or index == 0:
                if index:
                    self._close(subject, start, index, types, values, targets)
                subject, start, types, values, targets = s, index, [], {}, []
            end_p = line.index(b"> ", end_s + 2)
            p = line[end_s + 3 : end_p]
            o = line[end_p + 2 : -2]
            properties[p] += 1
            info = predicate_info.get(p) or compactor.predicate(p)
            is_iri = o[:1] == b"<"
            kind = info[2]
            if kind == _IS_TYPE and is_iri:
                types.append(b'"' + compactor.term(o[1:-1]) + b'"')
                self.classes[o[1:-1]] += 1  # no duplicate triples: one per typed subject
                continue
            found = values.get(info[0])
            if found is None:
                found = values[info[0]] = []
            found.append(compactor.value(o, info[1]))
            if kind == _IS_DERIVED and is_iri:
                self.provenance.setdefault(s, set()).add(_source_of(o[1:-1]))
            elif kind == _IS_SHA256:
                self.sources[s] = o
            elif is_iri:
                targets.append(o[1:-1])
        if lines:
            self._close(subject, start, len(lines), types, values, targets)

    def _close(
        self, subject: bytes, start: int, end: int, types: list[bytes], values: dict[bytes, list[bytes]], targets: list[bytes]
    ) -> None:
        self.runs.append((subject, start, end))
        self.nodes.append(_node_json(subject, types, values))
        if targets:
            self.edges[subject] = targets

    def placement(self) -> dict[bytes, tuple[bytes, ...]]:
        """For every subject, the source documents (named graphs) that hold its triples.

        The first graph is the subject's *home*: it holds every triple of the
        subject except the ``prov:wasDerivedFrom <{source}#line=…>`` ones, each
        of which is in the graph of the source it names; the other graphs
        follow in IRI order.

        * A source document description (a subject with ``sg:sha256``): its own graph.
        * A subject with ``prov:wasDerivedFrom <source#line=…>``: the smallest such source.
        * A subject without provenance of its own (author roles, identifier nodes,
          audiences): the smallest home among the nodes that point to it, transitively.
        * A subject reached by none of these is absent: its triples go into the default graph.
        """
        with _gc_paused():
            return self._placement()

    def _placement(self) -> dict[bytes, tuple[bytes, ...]]:
        home = {subject: min(sources) for subject, sources in self.provenance.items()}
        home.update((subject, subject) for subject in self.sources)
        seeds: dict[bytes, list[bytes]] = defaultdict(list)
        for subject, graph in home.items():
            seeds[graph].append(subject)
        edges = self.edges
        for graph in sorted(seeds):  # smallest graph first: the first to reach a node is the smallest
            stack = seeds[graph]
            while stack:
                for target in edges.get(stack.pop(), ()):
                    if target not in home:
                        home[target] = graph
                        stack.append(target)
        placement: dict[bytes, tuple[bytes, ...]] = {}
        provenance = self.provenance
        for subject, _, _ in self.runs:
            graph = home.get(subject)
            if graph is None:
                continue
            sources = provenance.get(subject)
            if sources is None or (len(sources) == 1 and graph in sources):
                placement[subject] = (graph,)
            else:
                placement[subject] = (graph, *sorted(sources - {graph}))
        return placement


def _canonical(triples: Iterable[Triple] | Canonical) -> Canonical:
    return triples if isinstance(triples, Canonical) else Canonical(triples)


# --------------------------------------------------------------------------- N-Triples


def ntriples_bytes(triples: Iterable[Triple] | Canonical) -> bytes:
    """N-Triples, one triple per line, lines in byte order (diffs cleanly, splits safely).

    Canonical N-Triples escapes every newline inside a literal, so a line is a triple.
    """
    canonical = _canonical(triples)
    if not canonical.lines:
        return b""
    return b"\n".join(sorted(canonical.lines)) + b"\n"


def write_ntriples(triples: Iterable[Triple], path: Path) -> None:
    """``graph.nt``: see :func:`ntriples_bytes`."""
    write_atomically(path, ntriples_bytes(triples))


# --------------------------------------------------------------------------- JSON-LD


def jsonld_bytes(triples: Iterable[Triple] | Canonical) -> bytes:
    """JSON-LD, compacted with :data:`CONTEXT` and flattened.

    One object with ``@context`` and ``@graph``; the graph lists one node per
    subject, in the canonical order, one node per line, keys sorted.  A value is
    a plain string where the context allows it, else a value object.
    """
    return _jsonld_document(_canonical(triples).nodes)


def _jsonld_head() -> bytes:
    """What ``graph.jsonld`` holds before its first node: the context, then the opening of ``@graph``."""
    head = json.dumps(CONTEXT, ensure_ascii=False, sort_keys=True, indent=2).replace("\n", "\n  ").encode()
    return b'{\n  "@context": ' + head + b',\n  "@graph": ['


def _jsonld_document(nodes: Sequence[bytes]) -> bytes:
    """``graph.jsonld`` holding ``nodes`` (each a line, in the canonical order)."""
    if not nodes:
        return _jsonld_head() + b"]\n}\n"
    return _jsonld_head() + b"\n    " + b",\n    ".join(nodes) + b"\n  ]\n}\n"


# --------------------------------------------------------------------------- TriG


def source_iri(document: Document, base_iri: str) -> str:
    """The IRI of a source document, as the mapping mints it (``{base}source/{path}``)."""
    return base_iri + "source/" + "/".join(iri_segment(part) for part in document.path.split("/"))


def graphs_of_subjects(triples: Iterable[Triple] | Canonical) -> dict[str, tuple[str, ...]]:
    """Subject IRI → the named graphs (source document IRIs) of ``graph.trig`` that hold its triples.

    The first is the subject's home, which holds all its triples but the
    ``prov:wasDerivedFrom`` ones naming another source; each other graph holds
    the ``prov:wasDerivedFrom`` triples naming it.  See :meth:`Canonical.placement`;
    a subject missing here is in the default graph.
    """
    placement = _canonical(triples).placement()
    return {s.decode(): tuple(g.decode() for g in graphs) for s, graphs in placement.items()}


def _split_prefixes(data: bytes) -> tuple[bytes, bytes]:
    """Turtle as written by pyoxigraph: (the ``@prefix`` lines, the statements)."""
    start = 0
    while data.startswith(b"@prefix ", start):
        start = data.index(b"\n", start) + 1
    return data[:start], data[start:]


_BLOCK_START = re.compile(rb"\n(?!\t)")


def _subject_blocks(body: bytes, runs: int) -> list[bytes] | None:
    """Turtle statements as pyoxigraph writes them, cut into one block per subject.

    A subject's block starts on a line that does not start with a tab (the
    writer escapes newlines inside literals, and continues a subject's
    statements on lines that start with a tab).  ``None`` unless there is
    exactly one block per run.
    """
    if not body:
        return [] if not runs else None
    blocks = _BLOCK_START.split(body[:-1])
    return blocks if len(blocks) == runs else None


def trig_bytes(triples: Iterable[Triple] | Canonical, turtle: bytes | None = None) -> bytes:
    """TriG with one named graph per source document (see :meth:`Canonical.placement`).

    Each triple is in exactly one graph: a ``prov:wasDerivedFrom <{source}#line=…>``
    in its source's graph, any other in its subject's home graph.  Triples no
    source accounts for come first, in the default graph; then each source's
    graph, in IRI order, its subjects in IRI order.  ``turtle``: the Turtle of
    the canonical triples with :data:`PREFIXES`, if already written (as
    ``graph.ttl`` is).

    Written in one pass over one Turtle serialisation of the whole graph, cut
    at the subjects: a subject whose provenance names its home only is copied
    as it is; any other is split, its ``prov:wasDerivedFrom`` objects shared
    out between its graphs (see :func:`_split_block`).
    """
    return b"".join(_trig_chunks(_canonical(triples), turtle))


def _trig_chunks(canonical: Canonical, turtle: bytes | None = None) -> Iterator[bytes]:
    """The bytes of :func:`trig_bytes`, piece by piece (to write the TriG without holding it)."""
    placement = canonical.placement()
    if turtle is None:
        turtle = _serialize(canonical.triples, ox.RdfFormat.TURTLE, PREFIXES)
    header, body = _split_prefixes(turtle)
    blocks = _subject_blocks(body, len(canonical.runs))
    del turtle, body
    if not canonical.runs:
        return
    lines = canonical.lines
    default: list[bytes] = []
    by_graph: dict[bytes, list[bytes]] = defaultdict(list)
    with _gc_paused():
        for index, (subject, start, end) in enumerate(canonical.runs):
            block = None if blocks is None else blocks[index]
            for graph, piece in _trig_pieces(block, lines, start, end, placement.get(subject)):
                if graph:
                    by_graph[graph].append(piece)
                else:
                    default.append(piece)
    del placement, blocks
    yield header
    if default:
        yield b"\n".join(default) + b"\n"
    for graph in sorted(by_graph):
        yield b"<" + graph + b"> {\n\t" + b"\n".join(by_graph.pop(graph)).replace(b"\n", b"\n\t") + b"\n}\n"


def _trig_pieces(
    block: bytes | None, lines: list[bytes], start: int, end: int, graphs: tuple[bytes, ...] | None
) -> list[tuple[bytes, bytes]]:
    """A subject's part of each graph of ``graph.trig`` that holds its triples: (graph, TriG) pairs,
    ``b""`` the default graph.  ``block``: its Turtle block (``None``: write N-Triples lines),
    ``lines[start:end]`` its canonical lines, ``graphs`` its placement (see :meth:`Canonical.placement`)."""
    if block is None:  # not the layout of pyoxigraph's Turtle: N-Triples lines
        return _split_lines(lines, start, end, graphs)
    if graphs is None:
        return [(b"", block)]
    if len(graphs) == 1:
        return [(graphs[0], block)]
    return _split_block(block, lines, start, end, graphs) or _split_lines(lines, start, end, graphs)


def _graph_of(predicate: bytes, obj: bytes, home: bytes) -> bytes:
    """The graph of a subject's triple: a provenance passage's source, else the subject's home."""
    if predicate == _DERIVED and obj[:1] == b"<":
        return _source_of(obj[1:-1])
    return home


def _split_lines(
    lines: list[bytes], start: int, end: int, graphs: tuple[bytes, ...] | None
) -> list[tuple[bytes, bytes]]:
    """A subject's triples as N-Triples lines (valid TriG), each with its graph (``b""``: default)."""
    home = graphs[0] if graphs else b""
    pieces: dict[bytes, list[bytes]] = {}
    for line in lines[start:end]:
        end_s = line.index(b"> ")
        end_p = line.index(b"> ", end_s + 2)
        graph = _graph_of(line[end_s + 3 : end_p], line[end_p + 2 : -2], home) if home else b""
        pieces.setdefault(graph, []).append(line)
    return [(graph, b"\n".join(found)) for graph, found in pieces.items()]


# How pyoxigraph's Turtle may write the predicate prov:wasDerivedFrom: with its prefix, or in full.
_DERIVED_TOKENS = (
    *(f"{name}:wasDerivedFrom".encode() for name, iri in PREFIXES.items() if iri == str(PROV)),
    b"<" + _DERIVED + b">",
)


def _split_block(
    block: bytes, lines: list[bytes], start: int, end: int, graphs: tuple[bytes, ...]
) -> list[tuple[bytes, bytes]] | None:
    """A subject's Turtle block shared out between its graphs: (graph, Turtle) pairs.

    pyoxigraph writes a subject as ``<s> p1 o , o ;``, then ``\\tp2 o ;`` …
    ``\\tpN o .``, one line per predicate.  Its ``prov:wasDerivedFrom`` line
    must list exactly the subject's ``prov:wasDerivedFrom`` objects as canonical
    N-Triples writes them (checked, bytes for bytes); in the home graph it keeps
    those naming the home source (and any literal), and each other graph gets
    ``<s> prov:wasDerivedFrom <…> .`` with those naming it.  ``None`` if the
    block is not laid out so (the caller then writes N-Triples lines).
    """
    home = graphs[0]
    first = lines[start]
    prefix = first[: first.index(b"> ") + 3] + _DERIVED + b"> "  # '<s> <prov#wasDerivedFrom> '
    objects = [line[len(prefix) : -2] for line in lines[start:end] if line.startswith(prefix)]
    by_graph: dict[bytes, list[bytes]] = {graph: [] for graph in graphs}
    for obj in objects:
        if obj[:1] == b"<":
            head, found, _ = obj.rpartition(_PASSAGE)
            by_graph[head[1:] if found else obj[1:-1]].append(obj)
        else:
            by_graph[home].append(obj)
    subject, space, row = block.partition(b" ")
    rows = row.split(b"\n\t")
    if not space or any(row[-2:] != b" ;" for row in rows[:-1]) or rows[-1][-2:] != b" .":
        return None
    listed = b" " + b" , ".join(objects)
    found = next(
        ((at, token) for at, row in enumerate(rows) for token in _DERIVED_TOKENS if row == token + listed + row[-2:]), None
    )
    if found is None:
        return None
    at, predicate = found
    segments = [row[:-2] for row in rows]
    if by_graph[home]:
        segments[at] = predicate + b" " + b" , ".join(by_graph[home])
    else:  # a source description derived from other sources only
        del segments[at]
    pieces = [(home, subject + b" " + b" ;\n\t".join(segments) + b" .")]
    for graph in graphs[1:]:
        pieces.append((graph, subject + b" " + predicate + b" " + b" , ".join(by_graph[graph]) + b" ."))
    return pieces


# --------------------------------------------------------------------------- gzip


def gzip_bytes(data: bytes) -> bytes:
    """``data`` gzipped deterministically: mtime 0, no file name, level 6."""
    return gzip_module.compress(data, compresslevel=6, mtime=0)


# --------------------------------------------------------------------------- VoID / DCAT


@dataclass(frozen=True)
class DumpFile:
    """One file described in ``void.ttl``: its name and its size in bytes."""

    name: str
    size: int

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.name.removesuffix(".gz")]

    @property
    def gzipped(self) -> bool:
        return self.name.endswith(".gz")


def dataset_iri(base_iri: str) -> str:
    """The IRI of the dataset that ``void.ttl`` describes."""
    return f"{base_iri}dataset"


def _term_slug(iri: str) -> str:
    for name, namespace in sorted(VOID_PREFIXES.items(), key=lambda item: -len(item[1])):
        local = iri[len(namespace) :]
        if iri.startswith(namespace) and re.fullmatch(r"[A-Za-z0-9_-]+", local):
            return f"{name}-{local}"
    return short_hash(iri, length=12)


def void_triples(
    triples: Iterable[Triple] | Canonical,
    settings: Settings,
    files: Sequence[DumpFile] = (),
    build_date: datetime.date | None = None,
) -> list[Triple]:
    """The VoID/DCAT description of the graph and of its dump ``files``.

    ``void:triples`` counts triples, ``void:entities`` distinct subjects under
    the base IRI, a class partition's ``void:entities`` the subjects typed with
    the class, a property partition's ``void:triples`` the triples using it.
    """
    canonical = _canonical(triples)
    base_bytes = settings.base_iri.encode()
    counts = _VoidCounts(
        triples=len(canonical.lines),
        entities=sum(1 for subject, _, _ in canonical.runs if subject.startswith(base_bytes)),
        subjects=len(canonical.runs),
        classes=canonical.classes,
        properties=canonical.properties,
        sources={s: canonical.triples[start:end] for s, start, end in canonical.runs if s in canonical.sources},
    )
    return _void_description(counts, settings, files, build_date)


@dataclass
class _VoidCounts:
    """What ``void.ttl`` says of the graph: the counts, the class and property partitions,
    and the triples of each source document description (subject -> its triples)."""

    triples: int
    entities: int
    subjects: int
    classes: dict[bytes, int]
    properties: dict[bytes, int]
    sources: dict[bytes, list[Triple]]


def _void_description(
    counts: _VoidCounts, settings: Settings, files: Sequence[DumpFile], build_date: datetime.date | None
) -> list[Triple]:
    """The triples of :func:`void_triples` from the graph's counts."""
    base = settings.base_iri
    classes = counts.classes
    properties = counts.properties

    def named(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    def void(local: str) -> ox.NamedNode:
        return ox.NamedNode(VOID_NS + local)

    def dcat(local: str) -> ox.NamedNode:
        return ox.NamedNode(DCAT_NS + local)

    def integer(value: int, datatype: str = str(XSD.integer)) -> ox.Literal:
        return ox.Literal(str(value), datatype=named(datatype))

    rdf_type = named(str(RDF.type))
    title = named(str(DCTERMS.title))
    dataset = named(dataset_iri(base))
    out: list[Triple] = [
        Triple(dataset, rdf_type, void("Dataset")),
        Triple(dataset, rdf_type, dcat("Dataset")),
        Triple(dataset, title, ox.Literal(settings.title)),
        Triple(dataset, named(str(DCTERMS.license)), named(settings.license)),
        Triple(dataset, void("uriSpace"), ox.Literal(base)),
        Triple(dataset, void("triples"), integer(counts.triples)),
        Triple(dataset, void("entities"), integer(counts.entities)),
        Triple(dataset, void("distinctSubjects"), integer(counts.subjects)),
        Triple(dataset, void("properties"), integer(len(properties))),
        Triple(dataset, void("classes"), integer(len(classes))),
    ]
    if build_date is not None:
        out.append(Triple(dataset, named(str(DCTERMS.issued)), ox.Literal(build_date.isoformat(), datatype=named(str(XSD.date)))))
    used = [iri.decode() for iri in (*properties, *classes)]
    for namespace in sorted(set(PREFIXES.values())):
        if any(term.startswith(namespace) for term in used):
            out.append(Triple(dataset, void("vocabulary"), named(namespace)))
    for cls, number in classes.items():
        partition = named(f"{dataset.value}/class/{_term_slug(cls.decode())}")
        out += [
            Triple(dataset, void("classPartition"), partition),
            Triple(partition, rdf_type, void("Dataset")),
            Triple(partition, void("class"), named(cls.decode())),
            Triple(partition, void("entities"), integer(number)),
        ]
    for predicate, number in properties.items():
        partition = named(f"{dataset.value}/property/{_term_slug(predicate.decode())}")
        out += [
            Triple(dataset, void("propertyPartition"), partition),
            Triple(partition, rdf_type, void("Dataset")),
            Triple(partition, void("property"), named(predicate.decode())),
            Triple(partition, void("triples"), integer(number)),
        ]
    derived = named(str(PROV.wasDerivedFrom))
    for subject, described in counts.sources.items():  # the inputs: each source document, its title, sha256
        out.append(Triple(dataset, derived, named(subject.decode())))
        out += described
    for file in files:
        distribution = named(f"{dataset.value}/dump/{iri_segment(file.name)}")
        out += [
            Triple(dataset, dcat("distribution"), distribution),
            Triple(distribution, rdf_type, dcat("Distribution")),
            Triple(distribution, title, ox.Literal(file.name)),
            Triple(distribution, dcat("mediaType"), named(_IANA + file.media_type)),
            Triple(distribution, dcat("byteSize"), integer(file.size, str(XSD.nonNegativeInteger))),
        ]
        if file.gzipped:
            out.append(Triple(distribution, dcat("compressFormat"), named(_IANA + GZIP_MEDIA_TYPE)))
    return sorted(set(out), key=triple_key)


def void_bytes(
    triples: Iterable[Triple] | Canonical,
    settings: Settings,
    files: Sequence[DumpFile] = (),
    build_date: datetime.date | None = None,
) -> bytes:
    """``void.ttl``: see :func:`void_triples`."""
    described = void_triples(triples, settings, files, build_date)
    return _serialize(described, ox.RdfFormat.TURTLE, VOID_PREFIXES)


# --------------------------------------------------------------------------- entry points


def _check_documents(canonical: Canonical, documents: Sequence[Document], settings: Settings) -> None:
    hashes = {subject.decode(): sha256 for subject, sha256 in canonical.sources.items()}
    for document in documents:
        iri = source_iri(document, settings.base_iri)
        if hashes.get(iri) != json.dumps(document.sha256).encode():
            raise DocumentError(
                document.path, None,
                f"the graph has no source description <{iri}> with this document's sha256; "
                "pass the triples and the documents of one build",
            )


_PIECE = 1 << 22
_ENCODE_BLOCK = 50_000  # lines encoded together (see mapping.parse_lines)


class _Files:
    """Dumps written under temporary names, renamed into place together at the end."""

    def __init__(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.out_dir = out_dir
        self.sizes: dict[str, int] = {}
        self.temporary: list[tuple[Path, Path]] = []
        self.pending: list[Future[None]] = []
        self.pool: ThreadPoolExecutor | None = None

    def _tmp(self, name: str) -> Path:
        path = self.out_dir / name
        tmp = path.with_name(f".{path.name}.tmp")
        self.temporary.append((tmp, path))
        return tmp

    def write(self, name: str, chunks: Iterable[bytes]) -> None:
        size = 0
        with open(self._tmp(name), "wb", buffering=_PIECE) as out:  # small pieces are copied into one buffer
            for chunk in chunks:
                out.write(chunk)
                size += len(chunk)
        self.sizes[name] = size

    def write_aside(self, name: str, chunks: Sequence[bytes | memoryview]) -> None:
        """:meth:`write`, by a thread while the caller goes on (writing releases the GIL: a patched
        dump's hundreds of MB go to the kernel while the next one is patched); waited for by
        :meth:`wait` (:meth:`gzip` and :meth:`commit` wait first)."""
        self.sizes[name] = sum(map(len, chunks))
        if self.pool is None:
            self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="scholargraph-dump")
        tmp = self._tmp(name)

        def write() -> None:
            with open(tmp, "wb", buffering=_PIECE) as out:
                for chunk in chunks:
                    out.write(chunk)

        self.pending.append(self.pool.submit(write))

    def wait(self) -> None:
        pending, self.pending = self.pending, []
        try:
            for job in pending:
                job.result()  # raises the thread's error
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True)
                self.pool = None

    def gzip(self, names: Sequence[str]) -> None:
        """``name.gz`` for each of ``names``, as :func:`gzip_bytes` would compress it, in threads
        (zlib releases the GIL), reading the written file (or the one in place) in pieces."""
        self.wait()
        written = {path.name: tmp for tmp, path in self.temporary}
        targets = [(written.get(name, self.out_dir / name), self._tmp(f"{name}.gz")) for name in names]
        with ThreadPoolExecutor(max_workers=len(targets)) as pool:
            sizes = list(pool.map(lambda pair: _gzip_file(*pair), targets))
        for name, size in zip(names, sizes):
            self.sizes[f"{name}.gz"] = size

    def commit(self) -> None:
        self.wait()
        for tmp, path in self.temporary:
            os.replace(tmp, path)
        self.temporary = []

    def abandon(self) -> None:
        try:
            self.wait()
        except Exception:  # noqa: BLE001 - abandoned anyway: the error that made us abandon is raised
            pass
        for tmp, _ in self.temporary:
            tmp.unlink(missing_ok=True)




def _gzip_file(source: Path, target: Path) -> int:
    """Compress ``source`` into ``target`` exactly as :func:`gzip_bytes` compresses its bytes."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    size = 0
    with open(source, "rb") as given, open(target, "wb") as out:
        while piece := given.read(_PIECE):
            packed = packer.compress(piece)
            out.write(packed)
            size += len(packed)
        packed = packer.flush()
        out.write(packed)
        size += len(packed)
    return size


def _write_all(
    canonical: Canonical,
    settings: Settings,
    out_dir: Path,
    *,
    gzip: bool,
    build_date: datetime.date | None,
    turtle: bytes | None,
) -> list[Path]:
    """Write the dumps one after the other, each straight to its file, then
    ``void.ttl`` from their sizes."""
    files = _Files(out_dir)
    try:
        fresh = turtle is None
        if turtle is None:
            turtle = _serialize(canonical.triples, ox.RdfFormat.TURTLE, PREFIXES)
            files.write(TURTLE, (turtle,))
        else:
            files.sizes[TURTLE] = len(turtle)
        files.write(NTRIPLES, (ntriples_bytes(canonical),))
        files.write(JSONLD, (jsonld_bytes(canonical),))
        files.write(TRIG, _trig_chunks(canonical, turtle if fresh else None))
        del turtle
        # with gzip, graph.ttl: the one just written, or the given one in place
        described = _void_and_commit(files, gzip, lambda described: void_bytes(canonical, settings, described, build_date))
    except BaseException:
        files.abandon()
        raise
    return _written(out_dir, gzip, described)


def _void_and_commit(files: _Files, gzip: bool, void: Callable[[list[DumpFile]], bytes]) -> list[DumpFile]:
    """The last steps of writing the dumps: the ``.gz`` copies, ``void.ttl`` (from the files'
    sizes) and the renaming into place; the files described."""
    if gzip:
        files.gzip(GRAPH_FILES)
    described = [DumpFile(name, files.sizes[name]) for name in GRAPH_FILES]
    described += [DumpFile(f"{name}.gz", files.sizes[f"{name}.gz"]) for name in GRAPH_FILES if gzip]
    files.write(VOID, (void(described),))
    files.commit()
    return described


def _written(out_dir: Path, gzip: bool, described: list[DumpFile]) -> list[Path]:
    """The paths of the dumps just written, ``void.ttl`` last; without gzip, the ``.gz`` copies
    an earlier run left are removed."""
    if not gzip:
        for name in GRAPH_FILES:
            (out_dir / f"{name}.gz").unlink(missing_ok=True)
    return [out_dir / file.name for file in described] + [out_dir / VOID]


def write_dumps(
    triples: list[Triple],
    documents: Sequence[Document],
    settings: Settings,
    out_dir: Path,
    *,
    gzip: bool = False,
    build_date: datetime.date | None = None,
) -> list[Path]:
    """Write every dump of the graph into ``out_dir``; return their paths, ``void.ttl`` last.

    ``graph.ttl``, ``graph.nt``, ``graph.jsonld``, ``graph.trig`` (and, with
    ``gzip``, each ``.gz``), then ``void.ttl``, which describes them.  The
    bytes depend on the set of triples only, not on their order; ``documents``
    are checked against the graph's source descriptions (a :class:`DocumentError`
    if one is missing).  ``build_date`` becomes ``dcterms:issued`` in
    ``void.ttl``; without it no date is written.
    """
    canonical = Canonical(triples)
    _check_documents(canonical, documents, settings)
    return _write_all(canonical, settings, out_dir, gzip=gzip, build_date=build_date, turtle=None)


def dumps_from_build(
    build_dir: Path, settings: Settings, *, gzip: bool = False, build_date: datetime.date | None = None
) -> list[Path]:
    """Re-read ``build_dir/graph.ttl`` and write the other dumps next to it (``graph.ttl`` is left as it is)."""
    path = build_dir / TURTLE
    if not path.is_file():
        raise DocumentError(path, None, "no graph to dump; run `scholargraph build` first (or pass its --out)")
    data = path.read_bytes()
    try:
        triples = [quad.triple for quad in ox.parse(data, format=ox.RdfFormat.TURTLE)]
    except SyntaxError as exc:
        raise DocumentError(path, None, f"not valid Turtle ({exc}); rebuild it with `scholargraph build`") from None
    canonical = Canonical(triples)
    return _write_all(canonical, settings, build_dir, gzip=gzip, build_date=build_date, turtle=data)


def run_dump_command(build_dir: Path, gzip: bool, *, settings: Settings | None = None) -> int:
    """``scholargraph dump``: the dumps of an existing build; prints each file, returns the exit status."""
    try:
        paths = dumps_from_build(build_dir, settings or Settings(), gzip=gzip)
    except ScholargraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


# --------------------------------------------------------------------------- dumps by difference
#
# A rebuild hands on the new graph's lines and its difference from the previous build.
# Every dump is in the canonical order and cut at the subjects (a Turtle block, a JSON-LD
# node, a TriG piece per named graph), so patch_dumps serialises again, with the full
# writers' code, only the subjects the difference touches (and, in TriG, those whose
# named graphs change with it), and copies the rest of the previous files.  An old file
# that is missing, not of the size the old void.ttl gives, or not laid out as the writers
# lay it out is written in full instead.  (The untouched bytes are not read, only the size
# vouches for them: a hand edit elsewhere that keeps the size and the layout goes through;
# and void.ttl's counts are taken as they are when its bytes are those void_bytes writes.)
#
# The subjects are found in the old files by a binary search over the bytes (_Items);
# the named graphs of the subjects whose home may move (Canonical.placement) are found
# again from the edges into them, by one scan of the new N-Triples per level upwards.


@dataclass(frozen=True)
class _Facts:
    """What the named graphs need of one subject in one version of the graph (read off its
    lines as :meth:`Canonical._scan` reads them)."""

    provenance: frozenset[bytes] | None  # the sources its prov:wasDerivedFrom IRIs name
    sha256: bytes | None  # set on a source document description
    edges: frozenset[bytes]  # the IRIs it points to (not types, not provenance)
    seed: bytes | None  # its home graph if its own triples fix it (see Canonical.placement)


_KINDS_OF_TEXT = {iri.decode(): kind for iri, kind in _KINDS.items()}


def _facts(subject: bytes, lines: list[str]) -> _Facts | None:
    """The facts of ``subject`` from its lines (sorted; ``None`` if it has none)."""
    if not lines:
        return None
    provenance: set[bytes] = set()
    sha256 = None
    edges: set[bytes] = set()
    kinds = _KINDS_OF_TEXT
    for line in lines:  # sorted: one predicate's objects in the canonical order, as _scan reads them
        end_s = line.index("> ")
        end_p = line.index("> ", end_s + 2)
        kind = kinds.get(line[end_s + 3 : end_p], _PLAIN)
        is_iri = line[end_p + 2] == "<"
        if kind == _IS_TYPE and is_iri:
            continue
        if kind == _IS_DERIVED and is_iri:
            provenance.add(_source_of(line[end_p + 3 : -4].encode()))
        elif kind == _IS_SHA256:
            sha256 = line[end_p + 2 : -3].encode()
        elif is_iri:
            edges.add(line[end_p + 3 : -4].encode())
    seed = subject if sha256 is not None else (min(provenance) if provenance else None)
    return _Facts(frozenset(provenance) if provenance else None, sha256, frozenset(edges), seed)


@dataclass(frozen=True)
class _Subject:
    """One subject of the new graph as the full writers write it."""

    lines: list[bytes]  # canonical N-Triples in the canonical order, without the newline
    block: bytes | None  # its Turtle block (None: the Turtle was not cut one block per subject)
    node: bytes  # its JSON-LD node


def _describe(lines: list[bytes]) -> dict[bytes, _Subject]:
    """The subjects of ``lines`` (every line of each, in the canonical order), as the full writers
    write them: their Turtle blocks (pyoxigraph's Turtle of the parsed lines) and JSON-LD nodes."""
    if not lines:
        return {}
    canonical = Canonical.of_lines(lines)
    parsed = ox.parse(b"\n".join(lines) + b"\n", format=ox.RdfFormat.N_TRIPLES)
    turtle = ox.serialize(parsed, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    assert turtle is not None  # no output given: pyoxigraph returns the bytes
    blocks = _subject_blocks(_split_prefixes(turtle)[1], len(canonical.runs))
    return {
        subject: _Subject(canonical.lines[start:end], None if blocks is None else blocks[index], canonical.nodes[index])
        for index, (subject, start, end) in enumerate(canonical.runs)
    }


def _subject_of(line: str) -> str:
    return line[1 : line.index("> ")]


class _Side:
    """The facts of one version of the graph, subject by subject, on demand (``None``: no triples)."""

    def __init__(self, lines_of: Callable[[str], list[str]]) -> None:
        self.lines_of = lines_of
        self._found: dict[bytes, _Facts | None] = {}

    def __getitem__(self, subject: bytes) -> _Facts | None:
        try:
            return self._found[subject]
        except KeyError:
            found = self._found[subject] = _facts(subject, self.lines_of(subject.decode()))
            return found


class _Delta:
    """The new graph's lines and their difference from the old graph's."""

    def __init__(self, lines: Sequence[str], removed: Sequence[str], added: Sequence[str]) -> None:
        self.lines = lines
        self.removed = removed
        self.added = added
        self.removed_of: dict[str, list[str]] = defaultdict(list)
        self.added_of: dict[str, list[str]] = defaultdict(list)
        for line in removed:
            self.removed_of[_subject_of(line)].append(line)
        for line in added:
            self.added_of[_subject_of(line)].append(line)
        self.touched = sorted(subject.encode() for subject in self.removed_of.keys() | self.added_of.keys())
        self.new = _Side(self.new_lines)
        self.old = _Side(self.old_lines)
        self.described: dict[bytes, _Subject] = {}
        self.scans = 0
        self.index: dict[bytes, set[bytes]] | None = None
        self.chunks = [  # graph.nt (a block at a time: see mapping.parse_lines)
            "".join(lines[start : start + _ENCODE_BLOCK]).encode() for start in range(0, len(lines), _ENCODE_BLOCK)
        ]

    def describe(self, subjects: Iterable[bytes]) -> dict[bytes, _Subject]:
        """The new graph's ``subjects`` (those with triples) as the full writers write them."""
        wanted = sorted(set(subjects) - self.described.keys())
        lines = [line for subject in wanted for line in self.new_lines(subject.decode())]
        self.described.update(_describe(_canonical_lines(lines)))
        return self.described

    def new_lines(self, subject: str) -> list[str]:
        lines = self.lines
        start = bisect.bisect_left(lines, f"<{subject}> <")
        return list(lines[start : bisect.bisect_left(lines, f"<{subject}> =", start)])  # '=' follows '<'

    def old_lines(self, subject: str) -> list[str]:
        added = self.added_of.get(subject)
        lines = self.new_lines(subject)
        if added:
            gone = set(added)
            lines = [line for line in lines if line not in gone]
        removed = self.removed_of.get(subject)
        return sorted(lines + removed) if removed else lines

    def edges_into(self, targets: Iterable[bytes]) -> dict[bytes, set[bytes]]:
        """Target -> the subjects of the new graph's lines whose object is the target IRI
        (one scan of the new N-Triples for all of them; the caller checks the predicates)."""
        needles = sorted(set(targets))
        found: dict[bytes, set[bytes]] = {target: set() for target in needles}
        if not needles:
            return found
        self.scans += 1
        if self.scans > _SCANS or len(needles) > _NEEDLES:  # a long way up, or a wide one: index every edge once
            if self.index is None:
                self.index = self._index()
            return {target: set(self.index.get(target, ())) for target in needles}
        common = os.path.commonprefix(needles)
        rests = b"|".join(re.escape(needle[len(common) :]) for needle in needles)
        pattern = re.compile(b"> <(" + re.escape(common) + b"(?:" + rests + b"))> \\.\n")
        for chunk in self.chunks:
            for match in pattern.finditer(chunk):
                start = chunk.rfind(b"\n", 0, match.start()) + 1
                found[match.group(1)].add(chunk[start + 1 : chunk.index(b"> ", start)])
        return found

    def _index(self) -> dict[bytes, set[bytes]]:
        """Target -> the subjects of the new graph's lines whose object is the target IRI, every
        target (but classes and provenance passages, which are no edges)."""
        pattern = re.compile(rb"^<([^>]*)> <([^>]*)> <([^>]*)> \.$", re.MULTILINE)
        index: dict[bytes, set[bytes]] = defaultdict(set)
        with _gc_paused():
            for chunk in self.chunks:
                for subject, predicate, target in pattern.findall(chunk):
                    if predicate != _TYPE and predicate != _DERIVED:
                        index[target].add(subject)
        return index


_SCANS = 2  # scans of the N-Triples for the edges into some subjects, before indexing all edges
_NEEDLES = 400  # subjects looked for in one scan, at most


def _placements(
    delta: _Delta,
) -> tuple[dict[bytes, tuple[bytes, ...] | None], dict[bytes, tuple[bytes, ...] | None]]:
    """The old and the new placement (see :meth:`Canonical.placement`) of every subject whose
    TriG pieces may change: those the difference touches and those whose home may move.

    A home moves only below a change: a touched subject whose own home changes (or that
    has none of its own) or whose edges change; from there the subjects without a home of
    their own that the edges reach, in either version.  Their homes are found again from
    the edges into them (one scan of the new N-Triples per round, upwards until the
    subjects with a home of their own), each the smallest home that reaches it.
    """
    old, new = delta.old, delta.new
    touched = delta.touched
    affected: set[bytes] = set()
    for subject in touched:
        was, now = old[subject], new[subject]
        seeds = (was.seed if was else None, now.seed if now else None)
        if None in seeds:
            affected.add(subject)
        edges_old, edges_new = was.edges if was else frozenset(), now.edges if now else frozenset()
        affected |= (edges_old | edges_new) if seeds[0] != seeds[1] else (edges_old ^ edges_new)

    def movable(subject: bytes) -> bool:  # a subject without a home of its own in a version
        was, now = old[subject], new[subject]
        if was is None and now is None:
            return False
        return was is None or was.seed is None or now is None or now.seed is None

    affected = {subject for subject in affected if movable(subject)}
    frontier = sorted(affected)
    while frontier:  # downwards: what the moving subjects point to
        reached = {t for s in frontier for side in (old, new) if (d := side[s]) for t in d.edges} - affected
        frontier = sorted(subject for subject in reached if movable(subject))
        affected.update(frontier)
    units = set(affected)
    into_new: dict[bytes, set[bytes]] = {}
    pending = sorted(units)
    while pending:  # upwards: what points to them, until the subjects with a home of their own
        found = delta.edges_into(pending)
        pending = []
        for target, subjects in found.items():
            into_new[target] = {s for s in subjects if (d := new[s]) is not None and target in d.edges}
            for s in into_new[target]:
                if s not in units and movable(s):
                    units.add(s)
                    pending.append(s)
        pending.sort()
    touched_set = set(touched)
    into_old = {
        target: {s for s in subjects if s not in touched_set}
        | {s for s in touched if (d := old[s]) is not None and target in d.edges}
        for target, subjects in into_new.items()
    }
    placements: list[dict[bytes, tuple[bytes, ...] | None]] = []
    for side, into in ((old, into_old), (new, into_new)):
        home = _homes(side, units, into)
        placement: dict[bytes, tuple[bytes, ...] | None] = {}
        for subject in {*touched, *units}:
            described = side[subject]
            if described is None:
                continue
            graph = described.seed or home.get(subject)
            sources = described.provenance
            if graph is None:
                placement[subject] = None
            elif sources is None or (len(sources) == 1 and graph in sources):
                placement[subject] = (graph,)
            else:
                placement[subject] = (graph, *sorted(sources - {graph}))
        placements.append(placement)
    return placements[0], placements[1]


def _homes(side: _Side, units: set[bytes], into: dict[bytes, set[bytes]]) -> dict[bytes, bytes]:
    """The home of each of ``units`` without one of its own: the smallest home among the
    subjects that point to it (``into``), transitively (a fixpoint from the seeds down)."""
    out_of: dict[bytes, list[bytes]] = defaultdict(list)
    home: dict[bytes, bytes] = {}
    for target in units:
        for s in into.get(target, ()):
            out_of[s].append(target)
    queue: list[bytes] = []
    for target in sorted(units):
        described = side[target]
        if described is not None and described.seed is not None:
            continue
        found = [d.seed for s in into.get(target, ()) if (d := side[s]) is not None and d.seed is not None]
        if found:
            home[target] = min(found)
            queue.append(target)
    while queue:
        subject = queue.pop()
        for target in out_of.get(subject, ()):
            described = side[target]
            if described is not None and described.seed is not None:
                continue
            if target not in home or home[subject] < home[target]:
                home[target] = home[subject]
                queue.append(target)
    return home


def _prefix_header() -> bytes:
    """The ``@prefix`` lines that begin ``graph.ttl`` and ``graph.trig`` (of a graph with triples)."""
    one = Triple(ox.NamedNode("urn:x"), ox.NamedNode("urn:x"), ox.NamedNode("urn:x"))
    return _split_prefixes(_serialize([one], ox.RdfFormat.TURTLE, PREFIXES))[0]


_PREFIX_IRIS = {name.encode(): iri.encode() for name, iri in PREFIXES.items()}


def _block_subject(block: bytes) -> bytes | None:
    """The subject IRI a Turtle block (or N-Triples line) starts with."""
    if block[:1] == b"<":
        end = block.find(b">")
        return block[1:end] if end > 0 else None
    name, colon, rest = block.partition(b":")
    namespace = _PREFIX_IRIS.get(name)
    if not colon or namespace is None:
        return None
    local = rest.split(b" ", 1)[0]
    return namespace + local if local and b"\\" not in local else None


_Change = tuple[bytes | bool | None, bytes | None]  # a subject's item in the old file (True: any), in the new one


class _Unexpected(Exception):
    """An old dump is not what the writers would have written: write the file in full."""


def _splice(items: list[bytes], keys: Callable[[int], bytes | None], changes: dict[bytes, _Change]) -> list[bytes]:
    """``items`` (one per subject, in subject order; ``keys(i)``: the subject of the i-th) with
    ``changes`` made: a subject's old item (``None``: none; ``True``: one, whatever its bytes)
    must be there as it is, and its new one (``None``: none) takes its place.
    :class:`_Unexpected` if the old items are not as said or not in order around a change."""

    def key(at: int) -> bytes:
        found = keys(at)
        if found is None:
            raise _Unexpected
        return found

    out: list[bytes] = []
    at = 0
    for subject in sorted(changes):
        old, new = changes[subject]
        low, high = at, len(items)
        while low < high:  # the first item whose subject is not below this one
            middle = (low + high) // 2
            if key(middle) < subject:
                low = middle + 1
            else:
                high = middle
        if low > 0 and not key(low - 1) < subject:
            raise _Unexpected
        present = low < len(items) and key(low) == subject
        if present != (old is not None) or (present and old is not True and items[low] != old):
            raise _Unexpected
        out += items[at:low]
        at = low + 1 if present else low
        if at < len(items) and not subject < key(at):
            raise _Unexpected
        if new is not None:
            out.append(new)
    out += items[at:]
    return out


class _Items:
    """A file's run ``data[lo:hi]`` of items (Turtle blocks, JSON-LD nodes) joined by ``sep``,
    one per subject in subject order, found by a binary search over the bytes (not cut up)."""

    def __init__(
        self, data: bytes, lo: int, hi: int, sep: bytes, key: Callable[[bytes, int], bytes | None], *, tabbed: bool
    ) -> None:
        self.data, self.lo, self.hi, self.sep, self.key, self.tabbed = data, lo, hi, sep, key, tabbed

    def next_start(self, at: int) -> int:
        """The start of the first item at or after offset ``at`` (``hi`` if none)."""
        data, sep, hi = self.data, self.sep, self.hi
        if at <= self.lo:
            return self.lo
        find = max(at - len(sep), self.lo)
        while True:
            found = data.find(sep, find, hi)
            if found < 0:
                return hi
            start = found + len(sep)
            if not self.tabbed or data[start : start + 1] != b"\t":  # a line with a tab goes on with the block
                return start
            find = start

    def subject(self, start: int) -> bytes:
        found = self.key(self.data, start)
        if found is None:
            raise _Unexpected
        return found

    def seek(self, subject: bytes, at: int) -> int:
        """The start of the first item from ``at`` (an item's start) whose subject is not below ``subject``."""
        low, high = at, self.hi
        while low < high:  # the least offset whose next item's subject is not below
            middle = (low + high) // 2
            start = self.next_start(middle)
            if start < self.hi and self.subject(start) < subject:
                low = start + 1
            else:
                high = middle
        return self.next_start(low)

    def splice(self, changes: dict[bytes, _Change]) -> tuple[list[bytes | memoryview], dict[bytes, bytes]]:
        """The items with ``changes`` made (as :func:`_splice` makes them), to be joined by ``sep``,
        and the old item of each changed subject that had one."""
        view = memoryview(self.data)
        sep, hi = self.sep, self.hi
        out: list[bytes | memoryview] = []
        olds: dict[bytes, bytes] = {}
        at = self.lo
        for subject in sorted(changes):
            old, new = changes[subject]
            start = self.seek(subject, at)
            present = start < hi and self.subject(start) == subject
            if present != (old is not None):
                raise _Unexpected
            if start > at:
                out.append(view[at : start - len(sep) if start < hi else hi])
            at = start
            if present:
                at = self.next_start(start + 1)
                found = self.data[start : at - len(sep) if at < hi else hi]
                if old is not True and found != old:
                    raise _Unexpected
                olds[subject] = found
            if new is not None:
                out.append(new)
        if at < hi:
            out.append(view[at:hi])
        return out, olds


def _joined(items: list[bytes | memoryview], sep: bytes) -> list[bytes | memoryview]:
    out: list[bytes | memoryview] = []
    for item in items:
        if out:
            out.append(sep)
        out.append(item)
    return out


def _turtle_subject(data: bytes, start: int) -> bytes | None:
    """The subject IRI of the Turtle block (or N-Triples line) at ``start``."""
    if data[start : start + 1] == b"<":
        return data[start + 1 : data.index(b">", start)]
    token = data[start : data.index(b" ", start)]
    name, colon, local = token.partition(b":")
    namespace = _PREFIX_IRIS.get(name)
    if not colon or namespace is None or not local or b"\\" in local:
        return None
    return namespace + local


def _patch_turtle(
    data: bytes, header: bytes, changes: dict[bytes, _Change]
) -> tuple[list[bytes | memoryview], dict[bytes, bytes]]:
    """``graph.ttl`` with its blocks changed (see :func:`_splice`), in pieces; and the old blocks."""
    if not data.startswith(header) or data.startswith(b"@prefix ", len(header)) or not data.endswith(b" .\n"):
        raise _Unexpected
    blocks, olds = _Items(data, len(header), len(data) - 1, b"\n", _turtle_subject, tabbed=True).splice(changes)
    if not blocks:
        raise _Unexpected  # no triples left: the full writer writes nothing, not even the prefixes
    return [header, *_joined(blocks, b"\n"), b"\n"], olds


def _node_subject(data: bytes, start: int) -> bytes | None:
    if not data.startswith(b'{"@id":"', start):
        return None
    return data[start + 8 : data.index(b'"', start + 8)]


def _patch_jsonld(data: bytes, changes: dict[bytes, _Change]) -> list[bytes | memoryview]:
    """``graph.jsonld`` with its nodes changed (see :func:`_splice`), in pieces."""
    head = _jsonld_head()
    if data == head + b"]\n}\n":
        lo = hi = len(head)
    elif data.startswith(head + b"\n    ") and data.endswith(b"\n  ]\n}\n"):
        lo, hi = len(head) + 5, len(data) - 7
    else:
        raise _Unexpected
    nodes, _ = _Items(data, lo, hi, b",\n    ", _node_subject, tabbed=False).splice(changes)
    if not nodes:
        return [head, b"]\n}\n"]
    return [head, b"\n    ", *_joined(nodes, b",\n    "), b"\n  ]\n}\n"]


def _pieces(text: bytes) -> tuple[list[bytes], Callable[[int], bytes | None]]:
    """A TriG graph's statements (unindented) cut into pieces, one per subject, and their subjects."""
    pieces: list[bytes] = []
    subjects: list[bytes | None] = []
    for part in _BLOCK_START.split(text) if text else ():
        subject = _block_subject(part)
        if subjects and subject is not None and subjects[-1] == subject:  # N-Triples lines of one subject
            pieces[-1] += b"\n" + part
        else:
            pieces.append(part)
            subjects.append(subject)
    return pieces, subjects.__getitem__


def _patch_trig(data: bytes, header: bytes, changes: dict[bytes, dict[bytes, _Change]]) -> list[bytes | memoryview]:
    """``graph.trig`` with the pieces of its graphs changed (graph ``b""``: the default graph)."""
    if not data.startswith(header) or data.startswith(b"@prefix ", len(header)):
        raise _Unexpected
    start = len(header)
    first = data.find(b" {\n", start)
    default_end = len(data) if first < 0 else data.rfind(b"\n", start - 1, first) + 1
    sections: list[tuple[bytes, int, int]] = []  # (graph, start, end) of each named graph, in order
    at = default_end
    while at < len(data):
        opening = data.find(b" {\n\t", at)
        close = data.find(b"\n}\n", opening)
        if opening < 0 or close < 0 or data[at : at + 1] != b"<" or data[opening - 1 : opening] != b">":
            raise _Unexpected
        graph = data[at + 1 : opening - 1]
        if b"\n" in graph or (sections and not sections[-1][0] < graph):
            raise _Unexpected
        sections.append((graph, at, close + 3))
        at = close + 3
    view = memoryview(data)
    out: list[bytes | memoryview] = [header]
    if b"" in changes:
        default = data[start:default_end]
        if default and not default.endswith(b"\n"):
            raise _Unexpected
        spliced = _splice(*_pieces(default[:-1]), changes[b""])
        out.append(b"\n".join(spliced) + b"\n" if spliced else b"")
    else:
        out.append(view[start:default_end])
    graphs = sorted({graph for graph, _, _ in sections} | (changes.keys() - {b""}))
    where = {graph: (begin, end) for graph, begin, end in sections}
    for graph in graphs:
        found = where.get(graph)
        if graph not in changes:
            assert found is not None
            out.append(view[found[0] : found[1]])
            continue
        pieces: tuple[list[bytes], Callable[[int], bytes | None]] = ([], [].__getitem__)
        if found is not None:
            inner = data[found[0] + len(graph) + 6 : found[1] - 3]  # after '<g> {\n\t', before '\n}\n'
            text = inner.replace(b"\n\t", b"\n")
            if text.replace(b"\n", b"\n\t") != inner:
                raise _Unexpected
            pieces = _pieces(text)
        spliced = _splice(*pieces, changes[graph])
        if spliced:
            out.append(b"<" + graph + b"> {\n\t" + b"\n".join(spliced).replace(b"\n", b"\n\t") + b"\n}\n")
    if len(out) == 2 and not out[1]:
        raise _Unexpected  # no triples left: the full writer writes nothing, not even the prefixes
    return out


def _read_void(data: bytes, settings: Settings) -> tuple[_VoidCounts, list[DumpFile], datetime.date | None]:
    """What an old ``void.ttl`` says (its counts, files, date), if :func:`void_bytes` wrote it so
    (for the base IRI of ``settings``, with whatever title and licence)."""
    triples = [quad.triple for quad in ox.parse(data, format=ox.RdfFormat.TURTLE)]
    about: dict[str, list[Triple]] = defaultdict(list)
    for triple in triples:
        about[triple.subject.value].append(triple)

    def values(subject: str, namespace: str, local: str) -> list[ox.NamedNode | ox.Literal]:
        return [t.object for t in about[subject] if t.predicate.value == namespace + local]  # type: ignore[misc]

    def one(subject: str, namespace: str, local: str) -> str:
        found = values(subject, namespace, local)
        if len(found) != 1:
            raise _Unexpected
        return found[0].value

    dataset = dataset_iri(settings.base_iri)
    classes: dict[bytes, int] = {}
    for partition in values(dataset, VOID_NS, "classPartition"):
        classes[one(partition.value, VOID_NS, "class").encode()] = int(one(partition.value, VOID_NS, "entities"))
    properties: dict[bytes, int] = {}
    for partition in values(dataset, VOID_NS, "propertyPartition"):
        properties[one(partition.value, VOID_NS, "property").encode()] = int(one(partition.value, VOID_NS, "triples"))
    sources = {source.value.encode(): about[source.value] for source in values(dataset, str(PROV), "wasDerivedFrom")}
    counts = _VoidCounts(
        triples=int(one(dataset, VOID_NS, "triples")),
        entities=int(one(dataset, VOID_NS, "entities")),
        subjects=int(one(dataset, VOID_NS, "distinctSubjects")),
        classes=classes,
        properties=properties,
        sources=sources,
    )
    files = [
        DumpFile(one(d.value, str(DCTERMS), "title"), int(one(d.value, DCAT_NS, "byteSize")))
        for d in values(dataset, DCAT_NS, "distribution")
    ]
    issued = values(dataset, str(DCTERMS), "issued")
    date = datetime.date.fromisoformat(issued[0].value) if issued else None
    # its own title and licence: the settings may have changed them since
    title, licence = one(dataset, str(DCTERMS), "title"), one(dataset, str(DCTERMS), "license")
    written = dataclasses.replace(settings, title=title, license=licence)
    if _void_bytes_of(counts, written, files, date) != data:
        raise _Unexpected
    return counts, files, date


def _void_bytes_of(
    counts: _VoidCounts, settings: Settings, files: Sequence[DumpFile], date: datetime.date | None
) -> bytes:
    """``void.ttl`` from the graph's counts (see :func:`void_bytes`)."""
    return _serialize(_void_description(counts, settings, files, date), ox.RdfFormat.TURTLE, VOID_PREFIXES)


def _patch_counts(counts: _VoidCounts, delta: _Delta, settings: Settings) -> _VoidCounts:
    """The old graph's VoID counts made the new graph's."""
    if counts.triples - len(delta.removed) + len(delta.added) != len(delta.lines):
        raise _Unexpected
    classes = dict(counts.classes)
    properties = dict(counts.properties)
    for lines, step in ((delta.removed, -1), (delta.added, 1)):
        for text in lines:
            line = text.encode()
            end_s = line.index(b"> ")
            end_p = line.index(b"> ", end_s + 2)
            predicate = line[end_s + 3 : end_p]
            properties[predicate] = properties.get(predicate, 0) + step
            obj = line[end_p + 2 : -3]  # without ' .\n'
            if predicate == _TYPE and obj[:1] == b"<":
                classes[obj[1:-1]] = classes.get(obj[1:-1], 0) + step
    if any(number < 0 for number in (*classes.values(), *properties.values())):
        raise _Unexpected
    base = settings.base_iri.encode()
    subjects, entities = counts.subjects, counts.entities
    sources = dict(counts.sources)
    for subject in delta.touched:
        was, now = delta.old[subject], delta.new[subject]
        step = (now is not None) - (was is not None)
        subjects += step
        entities += step if subject.startswith(base) else 0
        if was is not None and was.sha256 is not None:
            if set(sources.pop(subject, ())) != set(parse_lines(delta.old_lines(subject.decode()))):
                raise _Unexpected
        if now is not None and now.sha256 is not None:
            sources[subject] = parse_lines(delta.new_lines(subject.decode()))
    return _VoidCounts(
        triples=len(delta.lines),
        entities=entities,
        subjects=subjects,
        classes={cls: number for cls, number in classes.items() if number},
        properties={p: number for p, number in properties.items() if number},
        sources=sources,
    )


def _canonical_lines(lines: list[str]) -> list[bytes]:
    """Canonical N-Triples lines (sorted as strings, with their newline) in the canonical order,
    without the newline: the order :class:`Canonical` gives them (see :func:`_canonical_order`)."""
    if not lines:
        return []
    data = "".join(lines).encode()
    found = data.split(b"\n")
    found.pop()  # after the last newline
    marked = data.replace(b"> <", b"\x01<").replace(b'> "', b'\x01"')
    if marked.count(b"\x01") == 2 * len(found):
        order = sorted(range(len(found)), key=marked.split(b"\n").__getitem__)
    else:  # a literal holds '> <' or '> "': the exact key
        exact = [triple_key(triple) for triple in parse_lines(lines)]
        order = sorted(range(len(found)), key=exact.__getitem__)
    return [found[i] for i in order]


def _trig_changes(delta: _Delta, old_blocks: dict[bytes, bytes]) -> dict[bytes, dict[bytes, _Change]]:
    """Graph -> subject -> its piece of the graph in the old ``graph.trig`` and in the new one.
    ``old_blocks``: the old Turtle blocks of subjects the difference touches, where known."""
    placed_old, placed_new = _placements(delta)
    touched = set(delta.touched)
    changed = sorted(s for s in placed_old.keys() | placed_new.keys() if s in touched or placed_old[s] != placed_new[s])
    described = delta.describe(changed)
    changes: dict[bytes, dict[bytes, _Change]] = defaultdict(dict)
    for subject in changed:
        now: dict[bytes, bytes] = {}
        was: dict[bytes, bytes | bool] = {}
        found = described.get(subject)
        if subject in placed_new:
            if found is None or found.block is None:
                raise _Unexpected
            now = dict(_trig_pieces(found.block, found.lines, 0, len(found.lines), placed_new[subject]))
        if subject in touched:
            block = old_blocks.get(subject)
            if subject not in placed_old:
                pass
            elif block is not None:
                lines = _canonical_lines(delta.old_lines(subject.decode()))
                was = dict(_trig_pieces(block, lines, 0, len(lines), placed_old[subject]))
            else:  # one piece in each graph it was placed in
                was = {graph: True for graph in placed_old[subject] or (b"",)}
        elif found is not None and found.block is not None:  # same triples, other graphs
            was = dict(_trig_pieces(found.block, found.lines, 0, len(found.lines), placed_old[subject]))
        for graph in was.keys() | now.keys():
            if was.get(graph) != now.get(graph):
                changes[graph][subject] = (was.get(graph), now.get(graph))
    return changes


def _old_file(old_dir: Path, name: str, sizes: dict[str, int] | None) -> bytes | None:
    """An old dump's bytes; ``None`` if it cannot be read or is not of the size ``sizes`` gives."""
    try:
        data = (old_dir / name).read_bytes()
    except OSError:
        return None
    return data if sizes is None or sizes.get(name) == len(data) else None


_NOT_AS_WRITTEN = (_Unexpected, ValueError, IndexError)  # ValueError, IndexError: cut where it should not be


def _patched_turtle(
    old: bytes | None, delta: _Delta, header: bytes
) -> tuple[list[bytes | memoryview], dict[bytes, bytes]] | None:
    """The new ``graph.ttl`` (in pieces) from the old one and the old blocks of the subjects
    the difference touches, or ``None`` (write it in full)."""
    if old is None:
        return None
    try:
        described = delta.describe(delta.touched)
        changes: dict[bytes, _Change] = {
            s: (delta.old[s] is not None or None, _block_of(described.get(s))) for s in delta.touched
        }
        return _patch_turtle(old, header, changes)
    except _NOT_AS_WRITTEN:
        return None


def _patched_jsonld(old: bytes | None, delta: _Delta) -> list[bytes | memoryview] | None:
    """The new ``graph.jsonld`` (in pieces) from the old one, or ``None`` (write it in full)."""
    if old is None:
        return None
    try:
        described = delta.describe(delta.touched)
        changes: dict[bytes, _Change] = {
            s: (delta.old[s] is not None or None, _node_of(described.get(s))) for s in delta.touched
        }
        return _patch_jsonld(old, changes)
    except _NOT_AS_WRITTEN:
        return None


def _patched_trig(
    old: bytes | None, delta: _Delta, header: bytes, old_blocks: dict[bytes, bytes]
) -> list[bytes | memoryview] | None:
    """The new ``graph.trig`` (in pieces) from the old one, or ``None`` (write it in full)."""
    if old is None:
        return None
    try:
        return _patch_trig(old, header, _trig_changes(delta, old_blocks))
    except _NOT_AS_WRITTEN:
        return None


def _patched_counts(old: _VoidCounts | None, delta: _Delta, settings: Settings) -> _VoidCounts | None:
    """The new graph's VoID counts from the old ones, or ``None`` (count the whole graph)."""
    if old is None:
        return None
    try:
        return _patch_counts(old, delta, settings)
    except _NOT_AS_WRITTEN:
        return None


def _node_of(described: _Subject | None) -> bytes | None:
    return None if described is None else described.node


def _block_of(described: _Subject | None) -> bytes | None:
    if described is None:
        return None
    if described.block is None:
        raise _Unexpected
    return described.block


def _whole_graph(lines: Sequence[str]) -> Canonical:
    """The whole graph in the canonical order (what the full writers need)."""
    return Canonical(parse_lines(lines))


def patch_dumps(
    old_dir: Path,
    out_dir: Path,
    lines: Sequence[str],
    removed: Sequence[str],
    added: Sequence[str],
    documents: Sequence[Document],
    settings: Settings,
    *,
    gzip: bool = False,
    build_date: datetime.date | None = None,
) -> list[Path]:
    """Write into ``out_dir`` the dumps :func:`write_dumps` would write for the graph of ``lines``,
    from the dumps of the previous build in ``old_dir`` and the difference; return their paths.

    ``lines``: the new graph's canonical N-Triples lines, sorted (each ends with a newline);
    ``removed`` and ``added``: the lines that left the old graph and that joined it.  Only
    the subjects the difference touches are written again (and, in ``graph.trig``, those
    whose named graphs change with it); the rest of each old file is copied.  An old file
    that is missing, not of the size the old ``void.ttl`` gives, or not laid out as the
    writers lay it out is written in full instead (which parses the whole graph).
    ``out_dir`` may be ``old_dir``.  The bytes are those of :func:`write_dumps`,
    with the same check of ``documents``.
    """
    delta = _Delta(lines, removed, added)
    sources = {source_iri(document, settings.base_iri).encode(): document for document in documents}
    for iri, document in sources.items():
        described = delta.new[iri]
        if described is None or described.sha256 != json.dumps(document.sha256).encode():
            raise DocumentError(
                document.path, None,
                f"the graph has no source description <{iri.decode()}> with this document's sha256; "
                "pass the triples and the documents of one build",
            )
    whole: list[Canonical] = []

    def canonical() -> Canonical:  # what an old file not as written is written again from
        if not whole:
            whole.append(_whole_graph(lines))
        return whole[0]

    old_counts: _VoidCounts | None = None
    sizes: dict[str, int] = {}
    void = _old_file(old_dir, VOID, None)
    if void is not None and lines:  # (no triples: the full writers' files, empty)
        try:
            old_counts, old_files, _ = _read_void(void, settings)
            sizes = {file.name: file.size for file in old_files}
        except (_Unexpected, SyntaxError, ValueError):
            pass

    def old(name: str) -> bytes | None:  # patched only if the old void.ttl is as written and gives its size
        return _old_file(old_dir, name, sizes) if old_counts is not None else None

    header = _prefix_header()
    files = _Files(out_dir)
    try:
        found = _patched_turtle(old(TURTLE), delta, header)
        turtle, old_blocks = found or ([_serialize(canonical().triples, ox.RdfFormat.TURTLE, PREFIXES)], {})
        files.write_aside(TURTLE, turtle)
        found = None
        files.write_aside(NTRIPLES, delta.chunks)
        jsonld = _patched_jsonld(old(JSONLD), delta)
        files.write_aside(JSONLD, jsonld if jsonld is not None else (jsonld_bytes(canonical()),))
        jsonld = None
        trig = _patched_trig(old(TRIG), delta, header, old_blocks)
        if trig is not None:
            files.write_aside(TRIG, trig)
        else:
            files.write(TRIG, _trig_chunks(canonical(), b"".join(turtle)))
        trig = turtle = None
        counts = _patched_counts(old_counts, delta, settings)
        described = _void_and_commit(
            files, gzip,
            lambda described: void_bytes(canonical(), settings, described, build_date) if counts is None
            else _void_bytes_of(counts, settings, described, build_date),
        )
    except BaseException:
        files.abandon()
        raise
    return _written(out_dir, gzip, described)


# --------------------------------------------------------------------------- embedded store


def write_store(triples: Iterable[Triple], directory: Path, *, ntriples: Path | None = None) -> None:
    """A persistent embedded Oxigraph store holding the graph (for fast queries), with
    the co-authors index in its directory.

    ``ntriples``: a file already holding the graph as N-Triples, loaded instead of ``triples``.
    """
    tmp = directory.with_name(f".{directory.name}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    store = ox.Store(str(tmp))
    # N-Triples parsed by the store's bulk loader: no Python Quad per triple (at a million
    # triples, 15 s instead of 26 s on a loaded machine)
    if ntriples is not None:
        store.bulk_load(path=str(ntriples), format=ox.RdfFormat.N_TRIPLES)
    else:
        store.bulk_load(_serialize(list(triples), ox.RdfFormat.N_TRIPLES), format=ox.RdfFormat.N_TRIPLES)
    store.flush()
    del store
    # the co-authors of one person in a millisecond or two (see network.CoauthorIndex)
    from .network import write_coauthor_index

    write_coauthor_index(tmp)
    if directory.exists():
        shutil.rmtree(directory)
    os.replace(tmp, directory)
