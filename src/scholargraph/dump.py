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

Nothing here reads the clock or the environment: a date appears in
``void.ttl`` only when the caller passes ``build_date``.  See ``docs/dumps.md``.
"""

from __future__ import annotations

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
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .config import Settings
from .errors import DocumentError, ScholargraphError
from .identifiers import iri_segment, short_hash
from .mapping import Triple, triple_key
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


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


# --------------------------------------------------------------------------- Turtle


def turtle_bytes(triples: Iterable[Triple]) -> bytes:
    """Turtle with the project's prefixes, triples in :func:`~scholargraph.mapping.triple_key` order."""
    ordered = sorted(triples, key=triple_key)
    return _serialize(ordered, ox.RdfFormat.TURTLE, PREFIXES)


def write_turtle(triples: Iterable[Triple], path: Path) -> None:
    """``graph.ttl``: Turtle with the project's prefixes, subjects in IRI order."""
    _write_atomically(path, turtle_bytes(triples))


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
        self.lines: list[bytes] = [lines[i] for i in order]
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
    _write_atomically(path, ntriples_bytes(triples))


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


class _Files:
    """Dumps written under temporary names, renamed into place together at the end."""

    def __init__(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.out_dir = out_dir
        self.sizes: dict[str, int] = {}
        self.temporary: list[tuple[Path, Path]] = []

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

    def gzip(self, names: Sequence[str]) -> None:
        """``name.gz`` for each of ``names``, as :func:`gzip_bytes` would compress it, in threads
        (zlib releases the GIL), reading the written file (or the one in place) in pieces."""
        written = {path.name: tmp for tmp, path in self.temporary}
        targets = [(written.get(name, self.out_dir / name), self._tmp(f"{name}.gz")) for name in names]
        with ThreadPoolExecutor(max_workers=len(targets)) as pool:
            sizes = list(pool.map(lambda pair: _gzip_file(*pair), targets))
        for name, size in zip(names, sizes):
            self.sizes[f"{name}.gz"] = size

    def commit(self) -> None:
        for tmp, path in self.temporary:
            os.replace(tmp, path)
        self.temporary = []

    def abandon(self) -> None:
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
        if gzip:  # graph.ttl: the one just written, or the given one in place
            files.gzip(GRAPH_FILES)
        described = [DumpFile(name, files.sizes[name]) for name in GRAPH_FILES]
        described += [DumpFile(f"{name}.gz", files.sizes[f"{name}.gz"]) for name in GRAPH_FILES if gzip]
        files.write(VOID, (void_bytes(canonical, settings, described, build_date),))
        files.commit()
    except BaseException:
        files.abandon()
        raise
    if not gzip:
        for name in GRAPH_FILES:
            (out_dir / f"{name}.gz").unlink(missing_ok=True)  # left by an earlier run with gzip
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
