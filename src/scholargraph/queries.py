"""Canned SPARQL queries: load ``queries/*.rq``, bind parameters safely, run, write results.

Each ``.rq`` file starts with grlc-style header comments (``#+ `` lines holding
YAML): ``summary``, ``description``, ``params`` and ``columns``.  A query with
parameters has one line ``#@params`` inside its ``WHERE`` group; binding replaces
that line with one ``VALUES ?name { term }`` block per parameter, the value
rendered as a validated IRI, an escaped string literal or an integer.  User text
is never formatted into the query in any other way, so the same text runs on the
embedded Oxigraph store, on rdflib's engine and on any SPARQL endpoint.

A parameter of type ``person`` (``organization``, ``project``, ``work``) may be
given as an IRI, an identifier (ORCID; ROR; DOI or HAL id) or a name; names and
identifiers are resolved to the entity's IRI first, by small bound queries, and
matched case- and accent-insensitively in Python.

>>> sparql_literal('"} ; DROP ALL ; #')
'"\\\\"} ; DROP ALL ; #"'
>>> sparql_iri("https://example.org/person/a b")
Traceback (most recent call last):
...
scholargraph.errors.QueryError: 'https://example.org/person/a b' is not an IRI: it contains ' '; pass a full http(s) IRI
"""

from __future__ import annotations

import csv
import enum
import functools
import io
import json
import netrc
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO
from urllib.parse import urlparse

import yaml

from .dates import fold
from .errors import QueryError, ScholargraphError
from .identifiers import normalise_doi, normalise_hal, normalise_orcid, normalise_ror
from .names import org_key, person_key
from .namespaces import DATACITE, DCTERMS, FOAF, LITERAL, SCHEMA, XSD
from .resources import resource_dir

if TYPE_CHECKING:
    from .network import CoauthorIndex

__all__ = [
    "CannedQuery",
    "EndpointBackend",
    "OutputFormat",
    "OxigraphBackend",
    "ParamType",
    "QueryParam",
    "RdflibBackend",
    "ResultTable",
    "SparqlBackend",
    "Term",
    "Value",
    "bind_query",
    "load_queries",
    "open_backend",
    "parse_param_assignments",
    "render_result",
    "resolve_entity",
    "run_queries_list_command",
    "run_query",
    "run_query_command",
    "sparql_iri",
    "sparql_literal",
    "strip_comments",
    "table_from_json",
]

PARAMS_MARKER = "#@params"
"""A line of a query's ``WHERE`` group that binding replaces with ``VALUES`` blocks
for every parameter; ``#@param NAME …`` binds only the parameters named.

Where a store needs a constant rather than a variable, a query may write the
grlc-style placeholder ``?_NAME``: binding replaces it with the same rendered
term (a validated IRI, an escaped literal or an integer). The co-authorship
queries do so for ``max_authors`` in a FILTER inside an OPTIONAL, which Virtuoso
evaluates without the outer bindings and Oxigraph evaluates for every work of
the graph when the FILTER holds a variable (400 ms instead of 1 ms at 1M triples).
"""

Value = str | int | float | bool | None
"""A result cell as a plain Python value."""


# --------------------------------------------------------------------------- terms


@dataclass(frozen=True, slots=True)
class Term:
    """One RDF term of a result row, as the SPARQL results JSON format describes it."""

    kind: str  # "uri", "literal" or "bnode"
    value: str
    datatype: str | None = None  # None for xsd:string and language-tagged strings
    language: str | None = None

    def to_python(self) -> Value:
        """The plain value: IRIs and strings as ``str``, numbers and booleans as such."""
        if self.kind != "literal" or self.datatype is None:
            return self.value
        local = self.datatype.removeprefix(str(XSD))
        try:
            if local in _INTEGER_TYPES:
                return int(self.value)
            if local in ("decimal", "double", "float"):
                return float(self.value)
        except ValueError:
            return self.value
        if local == "boolean":
            return self.value in ("true", "1")
        return self.value

    def to_json(self) -> dict[str, str]:
        """The term in SPARQL 1.1 results JSON."""
        out = {"type": self.kind, "value": self.value}
        if self.language:
            out["xml:lang"] = self.language
        elif self.datatype:
            out["datatype"] = self.datatype
        return out


_INTEGER_TYPES = frozenset(
    {
        "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
        "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt",
        "unsignedShort", "unsignedByte",
    }
)
_XSD_STRING = str(XSD.string)


def _literal_term(value: str, datatype: str | None, language: str | None) -> Term:
    if language:
        return Term("literal", value, None, language)
    if datatype == _XSD_STRING:
        datatype = None
    return Term("literal", value, datatype, None)


@dataclass(frozen=True)
class ResultTable:
    """The rows a SELECT query returned, in order, with their column names."""

    columns: tuple[str, ...]
    terms: tuple[tuple[Term | None, ...], ...] = ()

    @property
    def rows(self) -> list[tuple[Value, ...]]:
        """Every row as plain Python values (``None`` where a column is unbound)."""
        return [tuple(None if t is None else t.to_python() for t in row) for row in self.terms]

    def column(self, name: str) -> list[Value]:
        """The values of one column, in row order."""
        index = self.columns.index(name)
        return [row[index] for row in self.rows]

    def __len__(self) -> int:
        return len(self.terms)


# --------------------------------------------------------------------------- backends


class SparqlBackend(Protocol):
    """Somewhere a SELECT query can run."""

    def select(self, query: str) -> ResultTable:
        """Run a SELECT query; raise QueryError if the store rejects it."""
        ...


class OxigraphBackend:
    """The embedded pyoxigraph store (persistent ``build/oxigraph/`` or in memory).

    ``read_only``: the store is a snapshot that cannot change (a persistent store
    opened read-only), so look-ups made to resolve names may be kept.  ``directory``:
    where such a store is, for the co-authors index the build leaves in it.
    """

    def __init__(self, store: Any, *, read_only: bool = False, directory: Path | None = None) -> None:
        import pyoxigraph

        self.store = store
        self.read_only = read_only
        self.directory = directory
        self._kept_rows: dict[str, list[tuple[Value, ...]]] = {}
        self._coauthor_index: CoauthorIndex | None = None
        self._coauthor_index_looked_up = False
        # A store loaded from a TriG dump keeps its triples in named graphs only;
        # then the default graph is their union.
        default = pyoxigraph.DefaultGraph()
        self._union = next(iter(store.quads_for_pattern(None, None, None, default)), None) is None

    def coauthor_index(self) -> CoauthorIndex | None:
        """The store's :class:`~scholargraph.network.CoauthorIndex`, opened once; None for a
        store that is not a read-only persistent one, has none, or changed since it was made."""
        if not self._coauthor_index_looked_up:
            if self.read_only and self.directory is not None:
                from .network import CoauthorIndex

                self._coauthor_index = CoauthorIndex.open(self.directory)
            self._coauthor_index_looked_up = True
        return self._coauthor_index

    def select(self, query: str) -> ResultTable:
        import pyoxigraph

        try:
            solutions = self.store.query(query, use_default_graph_as_union=self._union)
        except SyntaxError as exc:
            raise QueryError(f"the SPARQL query does not parse: {exc}") from None
        if not isinstance(solutions, pyoxigraph.QuerySolutions):
            raise QueryError("only SELECT queries can be run as canned queries")
        columns = tuple(v.value for v in solutions.variables)
        convert = _oxigraph_converter()
        rows = tuple(tuple(convert(term) for term in solution) for solution in solutions)
        return ResultTable(columns, rows)


def _oxigraph_converter() -> Callable[[Any], Term | None]:
    """A fast pyoxigraph term → Term function (the co-authors query must answer in ms)."""
    import pyoxigraph

    named, blank, literal, xsd_string = (
        pyoxigraph.NamedNode, pyoxigraph.BlankNode, pyoxigraph.Literal, _XSD_STRING
    )

    def convert(term: Any) -> Term | None:
        kind = type(term)
        if kind is literal:
            language = term.language
            if language:
                return Term("literal", term.value, None, language)
            datatype = term.datatype.value
            return Term("literal", term.value, None if datatype == xsd_string else datatype, None)
        if kind is named:
            return Term("uri", term.value)
        if term is None:
            return None
        if kind is blank:
            return Term("bnode", term.value)
        raise QueryError(f"unexpected term in a result: {term!r}")

    return convert


class RdflibBackend:
    """rdflib's own SPARQL engine over an ``rdflib.Graph`` (slow; for cross-checks)."""

    def __init__(self, graph: Any) -> None:
        self.graph = graph

    def select(self, query: str) -> ResultTable:
        from pyparsing import ParseException

        try:
            result = self.graph.query(query)
        except ParseException as exc:
            raise QueryError(f"the SPARQL query does not parse: {exc}") from None
        if result.type != "SELECT":
            raise QueryError("only SELECT queries can be run as canned queries")
        columns = tuple(str(v) for v in result.vars or ())
        rows = tuple(tuple(_rdflib_term(row[i]) for i in range(len(columns))) for row in result)
        return ResultTable(columns, rows)


def _rdflib_term(term: Any) -> Term | None:
    from rdflib import BNode, Literal, URIRef

    if term is None:
        return None
    if isinstance(term, URIRef):
        return Term("uri", str(term))
    if isinstance(term, BNode):
        return Term("bnode", str(term))
    if isinstance(term, Literal):
        datatype = str(term.datatype) if term.datatype is not None else None
        return _literal_term(str(term), datatype, term.language)
    raise QueryError(f"unexpected term in a result: {term!r}")


CREDENTIAL_ENV = ("SCHOLARGRAPH_USER", "SCHOLARGRAPH_PASSWORD")
"""Environment variables holding an endpoint's user and password (else ``$NETRC`` or ``~/.netrc``),
the same as ``scholargraph publish`` reads."""


def endpoint_credentials(url: str, environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """User and password for ``url``: from the environment, else from the netrc file.

    They are handed to SPARQLWrapper and never printed.
    """
    environ = os.environ if environ is None else environ
    user, password = (environ.get(name) for name in CREDENTIAL_ENV)
    if user and password:
        return user, password
    host = urlparse(url).hostname
    path = Path(environ.get("NETRC", Path.home() / ".netrc"))
    if not host or not path.is_file():
        return None
    try:
        entry = netrc.netrc(str(path)).authenticators(host)
    except (netrc.NetrcParseError, OSError):
        return None
    if entry is None or not entry[0] or entry[2] is None:
        return None
    return entry[0], entry[2]


class EndpointBackend:
    """Any SPARQL 1.1 endpoint, through SPARQLWrapper (POST, results as JSON).

    ``graph`` makes that named graph the query's default graph
    (``default-graph-uri``), e.g. the graph ``scholargraph publish`` loaded.
    """

    def __init__(self, url: str, *, graph: str | None = None, timeout: int = 60) -> None:
        if urlparse(url).scheme not in ("http", "https"):
            raise QueryError(f"endpoint {url!r} must be an http(s) URL")
        if graph is not None:
            sparql_iri(graph)
        self.url = url
        self.graph = graph
        self.timeout = timeout

    def select(self, query: str) -> ResultTable:
        from urllib.error import URLError

        from SPARQLWrapper import JSON, POST, SELECT, SPARQLWrapper
        from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

        client = SPARQLWrapper(self.url)
        client.setQuery(strip_comments(query))
        # SPARQLWrapper guesses the query form from the first keyword it sees, and
        # its comment remover skips every other comment line: "drops" in a comment
        # made it send a SELECT as an update. The canned queries are all SELECTs.
        client.queryType = SELECT
        client.setMethod(POST)
        client.setReturnFormat(JSON)
        client.setTimeout(self.timeout)
        if self.graph is not None:
            client.addDefaultGraph(self.graph)
        credentials = endpoint_credentials(self.url)
        if credentials is not None:
            client.setCredentials(*credentials)
        try:
            data = client.query().convert()
        except SPARQLWrapperException as exc:
            raise QueryError(f"{self.url} rejected the query: {_first_line(str(exc))}") from None
        except (URLError, OSError) as exc:
            raise QueryError(f"cannot reach the SPARQL endpoint {self.url}: {exc}") from None
        if not isinstance(data, dict) or "results" not in data:
            raise QueryError(f"{self.url} did not answer with SPARQL results JSON")
        return table_from_json(data)


def strip_comments(query: str) -> str:
    """The query without its whole-line comments (``#+`` header, notes, markers).

    Only lines that start with ``#`` are dropped; a ``#`` inside an IRI or a
    string stays (bound literals never span lines: newlines are escaped).
    """
    return "\n".join(line for line in query.splitlines() if not line.lstrip().startswith("#")) + "\n"


def _first_line(text: str) -> str:
    return " ".join(text.split())[:300]


def table_from_json(data: Mapping[str, Any]) -> ResultTable:
    """A ResultTable from a SPARQL 1.1 results JSON document."""
    columns = tuple(data["head"]["vars"])
    rows = []
    for binding in data["results"]["bindings"]:
        row: list[Term | None] = []
        for column in columns:
            cell = binding.get(column)
            if cell is None:
                row.append(None)
            elif cell["type"] == "uri":
                row.append(Term("uri", cell["value"]))
            elif cell["type"] == "bnode":
                row.append(Term("bnode", cell["value"]))
            else:  # "literal" or the SPARQL 1.0 "typed-literal"
                row.append(_literal_term(cell["value"], cell.get("datatype"), cell.get("xml:lang")))
        rows.append(tuple(row))
    return ResultTable(columns, tuple(rows))


def open_backend(
    *, store: Any = None, graph_dir: Path | None = None, endpoint: str | None = None, graph: str | None = None
) -> SparqlBackend:
    """Where to run: a given store, a build directory, or an endpoint URL (exactly one).

    ``store`` is a ``pyoxigraph.Store`` or an ``rdflib.Graph`` (run on rdflib's
    engine). ``graph_dir`` is a build directory: its persistent store
    ``oxigraph/`` is opened read-only (and kept open for the next call while its
    files are unchanged), else ``graph.ttl`` is loaded in memory.
    ``graph`` (endpoints only) is the named graph to query as the default graph.
    """
    given = [x is not None for x in (store, graph_dir, endpoint)]
    if sum(given) != 1:
        raise QueryError("give exactly one of store, graph_dir or endpoint to run a query on")
    if graph is not None and endpoint is None:
        raise QueryError("a graph IRI can only be given with an endpoint")
    if endpoint is not None:
        return EndpointBackend(endpoint, graph=graph)
    if store is not None:
        return _backend_for_store(store)
    assert graph_dir is not None
    return _open_build(Path(graph_dir))


def _backend_for_store(store: Any) -> SparqlBackend:
    import pyoxigraph
    import rdflib

    if isinstance(store, pyoxigraph.Store):
        return OxigraphBackend(store)
    if isinstance(store, rdflib.Graph):
        return RdflibBackend(store)
    if hasattr(store, "select"):
        return store  # already a backend
    raise QueryError(f"cannot run SPARQL on a {type(store).__name__}; pass a pyoxigraph.Store or rdflib.Graph")


def _open_build(build_dir: Path) -> SparqlBackend:
    import pyoxigraph

    persistent = build_dir / "oxigraph"
    if persistent.is_dir():
        return _read_only_backend(persistent)
    dump = build_dir / "graph.ttl"
    if dump.is_file():
        store = pyoxigraph.Store()
        try:
            store.bulk_load(path=str(dump), format=pyoxigraph.RdfFormat.TURTLE)
        except SyntaxError as exc:
            raise QueryError(f"{dump}: not valid Turtle ({exc}); run 'scholargraph build' again") from None
        return OxigraphBackend(store)
    raise QueryError(
        f"{build_dir}: no graph to query (neither oxigraph/ nor graph.ttl); "
        "run 'scholargraph build' first, or pass --endpoint URL"
    )


_OPEN_STORES: dict[Path, tuple[tuple[object, ...], OxigraphBackend]] = {}
_OPEN_STORES_LOCK = threading.Lock()
_OPEN_STORES_KEPT = 4


def store_files(directory: Path) -> tuple[object, ...]:
    """What a persistent store's directory holds: every file's name, inode, size and
    modification time (RocksDB's own ``LOG`` files left out), and the directory's inode.

    A build replaces the directory; a writer adds to the write-ahead log or writes
    new tables: either changes this.
    """
    files = []
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.name.startswith("LOG"):
                continue
            stat = entry.stat(follow_symlinks=False)
            files.append((entry.name, stat.st_ino, stat.st_size, stat.st_mtime_ns))
    stat = directory.stat()
    return (stat.st_dev, stat.st_ino, *sorted(files))


def _read_only_backend(directory: Path) -> OxigraphBackend:
    """The persistent store opened read-only, kept open while its files are unchanged.

    Opening the store took ~10 ms of each ``run_query`` call at a million triples
    (the co-authors query itself: 1-2 ms).  A store whose files changed since it
    was opened (rebuilt, written to) is opened again; the last few stores are kept.
    """
    import pyoxigraph

    key = directory.resolve()
    try:
        state = store_files(key)
        with _OPEN_STORES_LOCK:
            kept = _OPEN_STORES.pop(key, None)
            if kept is not None and kept[0] == state:
                _OPEN_STORES[key] = kept  # the most recently used last
                return kept[1]
        backend = OxigraphBackend(pyoxigraph.Store.read_only(str(key)), read_only=True, directory=key)
    except OSError as exc:
        raise QueryError(f"{directory}: cannot open the store ({exc}); run 'scholargraph build' again") from None
    with _OPEN_STORES_LOCK:
        _OPEN_STORES.pop(key, None)
        _OPEN_STORES[key] = (state, backend)
        while len(_OPEN_STORES) > _OPEN_STORES_KEPT:
            del _OPEN_STORES[next(iter(_OPEN_STORES))]
    return backend


# --------------------------------------------------------------------------- metadata


class ParamType(enum.Enum):
    """What a parameter value is, and how it is rendered into the query."""

    IRI = "iri"
    LITERAL = "literal"
    INTEGER = "integer"
    PERSON = "person"
    ORGANIZATION = "organization"
    PROJECT = "project"
    WORK = "work"


@dataclass(frozen=True)
class QueryParam:
    """One parameter of a canned query, as declared in its ``#+ params:`` header."""

    name: str
    type: ParamType
    description: str
    example: str | None = None
    default: str | int | None = None
    required: bool = True


@dataclass(frozen=True)
class CannedQuery:
    """A SPARQL SELECT query with its metadata, read from a ``.rq`` file."""

    name: str
    summary: str
    description: str
    text: str
    params: tuple[QueryParam, ...] = ()
    columns: tuple[tuple[str, str], ...] = ()
    path: Path | None = None

    @classmethod
    def from_text(cls, text: str, name: str = "query", path: Path | None = None) -> CannedQuery:
        """Parse a query and its ``#+`` header; raise QueryError if the header is malformed."""
        where = str(path) if path else name
        header_lines = []
        for line in text.splitlines():
            if line.startswith("#+"):
                header_lines.append(line[3:] if line.startswith("#+ ") else line[2:])
            elif line.strip() and not line.startswith("#"):
                break
        try:
            meta = yaml.safe_load("\n".join(header_lines)) or {}
        except yaml.YAMLError as exc:
            raise QueryError(f"{where}: the '#+' header is not valid YAML ({exc})") from None
        if not isinstance(meta, dict):
            raise QueryError(f"{where}: the '#+' header must be a YAML mapping")
        params = tuple(_parse_param(p, where) for p in meta.get("params") or ())
        columns_meta = meta.get("columns") or {}
        if not isinstance(columns_meta, dict):
            raise QueryError(f"{where}: '#+ columns:' must map each column to its meaning")
        bound: set[str] = set()
        for line in text.splitlines():
            names = _marker_names(line, [p.name for p in params])
            if names is not None:
                bound.update(names)
        bound.update(p.name for p in params if _placeholder(p.name).search(text))
        unbound = [p.name for p in params if p.name not in bound]
        if unbound:
            raise QueryError(
                f"{where}: parameter {', '.join(unbound)} has no '{PARAMS_MARKER}' or '#@param NAME' line "
                "nor a ?_NAME placeholder to bind it"
            )
        return cls(
            name=name,
            summary=str(meta.get("summary", "")).strip(),
            description=" ".join(str(meta.get("description", "")).split()),
            text=text,
            params=params,
            columns=tuple((str(k), " ".join(str(v).split())) for k, v in columns_meta.items()),
            path=path,
        )

    def param(self, name: str) -> QueryParam:
        for p in self.params:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.params) or "none"
        raise QueryError(f"query {self.name!r} has no parameter {name!r}; its parameters: {known}")


def _placeholder(name: str) -> re.Pattern[str]:
    return re.compile(rf"\?_{re.escape(name)}(?![A-Za-z0-9_])")


def _marker_names(line: str, all_names: Sequence[str]) -> list[str] | None:
    """The parameters a marker line binds (None if the line is no marker)."""
    text = line.strip()
    if text == PARAMS_MARKER:
        return list(all_names)
    if text.startswith("#@param "):
        return text.split()[1:]
    return None


def _parse_param(raw: object, where: str) -> QueryParam:
    if not isinstance(raw, dict) or "name" not in raw or "type" not in raw:
        raise QueryError(f"{where}: each parameter needs at least 'name' and 'type'")
    name = str(raw["name"])
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise QueryError(f"{where}: parameter name {name!r} is not a SPARQL variable name")
    try:
        ptype = ParamType(str(raw["type"]))
    except ValueError:
        known = ", ".join(t.value for t in ParamType)
        raise QueryError(f"{where}: parameter {name!r} has unknown type {raw['type']!r}; known: {known}") from None
    default = raw.get("default")
    return QueryParam(
        name=name,
        type=ptype,
        description=" ".join(str(raw.get("description", "")).split()),
        example=None if raw.get("example") is None else str(raw["example"]),
        default=default if isinstance(default, (int, str)) else None,
        required=bool(raw.get("required", default is None)),
    )


def load_queries(directory: Path | None = None) -> dict[str, CannedQuery]:
    """Every canned query of ``directory`` (default: the project's ``queries/``), by name."""
    directory = directory if directory is not None else resource_dir("queries")
    queries = {}
    for path in sorted(directory.glob("*.rq")):
        queries[path.stem] = _parsed_query(path.read_text(encoding="utf-8"), path.stem, path)
    return queries


@functools.lru_cache(maxsize=256)
def _parsed_query(text: str, name: str, path: Path) -> CannedQuery:
    """A query file's parsed header, kept by its text: parsing the YAML of every file
    took ~20 ms of each ``run_query`` call, reading them again takes ~0.3 ms."""
    return CannedQuery.from_text(text, name, path)


# --------------------------------------------------------------------------- rendering values

_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ECHAR = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def sparql_iri(value: str) -> str:
    """``<value>`` if value is an absolute IRI the SPARQL grammar accepts, else QueryError."""
    bad = _IRI_FORBIDDEN.search(value)
    if bad:
        raise QueryError(f"{value!r} is not an IRI: it contains {bad.group()!r}; pass a full http(s) IRI")
    if not _SCHEME.match(value):
        raise QueryError(f"{value!r} is not an absolute IRI (no scheme); pass a full http(s) IRI")
    return f"<{value}>"


def sparql_literal(value: str) -> str:
    """A SPARQL string literal holding exactly ``value`` (escaped per the SPARQL grammar).

    Control characters are refused, and so is ``\\u``: some engines (rdflib)
    decode ``\\u`` escapes before parsing, which would change the value.
    """
    if _CONTROL.search(value):
        raise QueryError(f"{value!r} contains control characters; remove them")
    if re.search(r"\\[uU]", value):
        raise QueryError(f"{value!r} contains '\\u', which SPARQL engines read as an escape; remove it")
    return '"' + "".join(_ECHAR.get(c, c) for c in value) + '"'


def sparql_integer(value: object) -> str:
    """An integer literal, or QueryError if ``value`` is not a whole number."""
    if isinstance(value, bool):
        raise QueryError(f"{value!r} is not an integer")
    if isinstance(value, int):
        return str(value)
    text = str(value).strip()
    if not re.fullmatch(r"[+-]?\d{1,18}", text):
        raise QueryError(f"{value!r} is not an integer")
    return str(int(text))


# --------------------------------------------------------------------------- entity resolution


@dataclass(frozen=True)
class _EntityKind:
    label: str
    classes: tuple[str, ...]  # the entity has one of these types (empty: any)
    name_predicates: tuple[str, ...]
    identifiers: tuple[tuple[Callable[[str], str | None], str, str], ...]  # normaliser, scheme, sameAs prefix
    key: Callable[[str], str]
    lister: str  # the canned query that lists entities of this kind


def _folded(text: str) -> str:
    return " ".join(fold(text).split())


def _exact_orcid(text: str) -> str | None:
    text = text.strip().removeprefix("https://orcid.org/").removeprefix("http://orcid.org/")
    return normalise_orcid(text) if re.fullmatch(r"\d{4}-\d{4}-\d{4}-\d{3}[\dXx]", text) else None


def _exact_ror(text: str) -> str | None:
    text = text.strip()
    bare = text.removeprefix("https://ror.org/")
    return normalise_ror(bare) if re.fullmatch(r"0[a-z0-9]{6}\d{2}", bare) else None


def _exact_doi(text: str) -> str | None:
    text = text.strip()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
        text = text.removeprefix(prefix)
    return normalise_doi(text) if text.startswith("10.") and " " not in text else None


def _exact_hal(text: str) -> str | None:
    text = text.strip().removeprefix("https://hal.science/")
    return normalise_hal(text) if re.fullmatch(r"[a-z0-9]+-\d{8}(v\d+)?", text.lower()) else None


_KINDS: dict[ParamType, _EntityKind] = {
    ParamType.PERSON: _EntityKind(
        "person", (str(FOAF.Person),), (str(FOAF.name),),
        ((_exact_orcid, str(DATACITE.orcid), "https://orcid.org/"),),
        lambda s: person_key(s) or _folded(s), "people",
    ),
    ParamType.ORGANIZATION: _EntityKind(
        "organisation", (str(FOAF.Organization),), (str(FOAF.name), str(SCHEMA.alternateName)),
        ((_exact_ror, str(DATACITE.ror), "https://ror.org/"),),
        lambda s: org_key(s) or _folded(s), "organisations",
    ),
    ParamType.PROJECT: _EntityKind(
        "project", (str(FOAF.Project),), (str(SCHEMA.name), str(SCHEMA.alternateName)),
        (), _folded, "projects",
    ),
    ParamType.WORK: _EntityKind(
        "work", (), (str(DCTERMS.title),),
        (
            (_exact_doi, str(DATACITE.doi), "https://doi.org/"),
            (_exact_hal, str(DATACITE["local-resource-identifier-scheme"]), "https://hal.science/"),
        ),
        _folded, "works-without-doi-or-hal",
    ),
}


def _identifier_query(scheme: str, prefix: str, value: str) -> str:
    return (
        "SELECT DISTINCT ?entity WHERE {\n"
        f"  VALUES ?value {{ {sparql_literal(value)} }}\n"
        f"  {{ ?id <{LITERAL.hasLiteralValue}> ?value ;\n"
        f"       <{DATACITE.usesIdentifierScheme}> <{scheme}> .\n"
        f"    ?entity <{DATACITE.hasIdentifier}> ?id . }}\n"
        "  UNION\n"
        f"  {{ VALUES ?same {{ {sparql_iri(prefix + value)} }}\n"
        f"    ?entity <{SCHEMA.sameAs}> ?same . }}\n"
        "} ORDER BY STR(?entity)"
    )


def _class_filter(kind: _EntityKind) -> str:
    if not kind.classes:
        return ""
    values = " ".join(f"<{c}>" for c in kind.classes)
    return f"  VALUES ?class {{ {values} }}\n  ?entity a ?class .\n"


def _exact_name_query(kind: _EntityKind, name: str) -> str:
    predicates = " ".join(f"<{p}>" for p in kind.name_predicates)
    return (
        "SELECT DISTINCT ?entity WHERE {\n"
        f"  VALUES ?name {{ {sparql_literal(name)} }}\n"
        f"  VALUES ?p {{ {predicates} }}\n"
        "  ?entity ?p ?name .\n"
        f"{_class_filter(kind)}"
        "} ORDER BY STR(?entity)"
    )


def _all_names_query(kind: _EntityKind) -> str:
    # no ORDER BY: the matches are sorted in Python (ordering ~3,400 person names by
    # STR() took 130 ms of the 160 ms at a million triples)
    predicates = " ".join(f"<{p}>" for p in kind.name_predicates)
    return (
        "SELECT DISTINCT ?entity ?name WHERE {\n"
        f"  VALUES ?p {{ {predicates} }}\n"
        "  ?entity ?p ?name .\n"
        f"{_class_filter(kind)}"
        "}"
    )


def resolve_entity(backend: SparqlBackend, ptype: ParamType, value: str) -> str:
    """The IRI of the person (organisation, project, work) that ``value`` names.

    ``value`` is an IRI (returned as is once validated), an identifier (ORCID,
    ROR, DOI, HAL id; matched exactly), or a name matched exactly, then case-
    and accent-insensitively (then on the kind's comparison key: "Antonio
    Casilli" finds "Antonio A. Casilli").  No match or several matches is a
    QueryError that says how to find the right value.
    """
    kind = _KINDS[ptype]
    text = value.strip()
    if not text:
        raise QueryError(f"the {kind.label} parameter is empty; give an IRI, an identifier or a name")
    for normaliser, scheme, prefix in kind.identifiers:
        identifier = normaliser(text)
        if identifier is not None:
            found = [str(r[0]) for r in backend.select(_identifier_query(scheme, prefix, identifier)).rows]
            return _one(found, kind, value)
    if _SCHEME.match(text) and "://" in text:
        return sparql_iri(text)[1:-1]
    found = [str(r[0]) for r in backend.select(_exact_name_query(kind, text)).rows]
    if found:
        return _one(found, kind, value)
    names = _all_names(backend, kind)
    for key in (_folded, kind.key):
        wanted = key(text)
        found = sorted({str(iri) for iri, name in names if key(str(name)) == wanted})
        if found:
            return _one(found, kind, value)
    return _one([], kind, value)


def _all_names(backend: SparqlBackend, kind: _EntityKind) -> list[tuple[Value, ...]]:
    """Every (IRI, name) of the kind; kept with a read-only store, which cannot change
    (the look-up takes ~50 ms at a million triples)."""
    query = _all_names_query(kind)
    if not isinstance(backend, OxigraphBackend) or not backend.read_only:
        return backend.select(query).rows
    rows = backend._kept_rows.get(query)
    if rows is None:
        rows = backend._kept_rows[query] = backend.select(query).rows
    return rows


def _one(found: Sequence[str], kind: _EntityKind, value: str) -> str:
    if len(found) == 1:
        return found[0]
    if not found:
        raise QueryError(
            f"no {kind.label} matches {value!r}; 'scholargraph query {kind.lister}' lists them "
            "(give an IRI, an identifier or the name as it appears there)"
        )
    shown = ", ".join(found[:5]) + (" …" if len(found) > 5 else "")
    raise QueryError(f"{len(found)} {kind.label}s match {value!r}: {shown}; pass the IRI of the one you mean")


# --------------------------------------------------------------------------- binding


def bind_query(
    query: CannedQuery, params: Mapping[str, object] | None = None, backend: SparqlBackend | None = None
) -> str:
    """The query text with each parameter bound by a ``VALUES`` block at its marker.

    Parameters of entity types (person, …) are resolved to IRIs on ``backend``
    first; an IRI given for them needs no backend.
    """
    return _bind_terms(query, _render_params(query, params, backend))


def _render_params(
    query: CannedQuery, params: Mapping[str, object] | None, backend: SparqlBackend | None
) -> dict[str, str]:
    """Each given (or defaulted) parameter rendered as a SPARQL term, by name."""
    params = dict(params or {})
    for name in params:
        query.param(name)  # unknown parameter → QueryError
    terms: dict[str, str] = {}
    for p in query.params:
        raw = params.get(p.name, p.default)
        if raw is None or (isinstance(raw, str) and not raw.strip() and not p.required):
            if p.required:
                example = f" (e.g. {p.name}={p.example!r})" if p.example else ""
                raise QueryError(f"query {query.name!r} needs the parameter {p.name!r}{example}")
            continue
        terms[p.name] = _render_value(p, raw, backend)
    return terms


def _bind_terms(query: CannedQuery, terms: Mapping[str, str]) -> str:
    """The query text with the rendered terms at its markers and placeholders."""
    if not query.params:
        return query.text
    names = [p.name for p in query.params]
    lines = []
    for line in query.text.splitlines():
        marked = _marker_names(line, names)
        if marked is None:
            lines.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        lines.extend(f"{indent}VALUES ?{name} {{ {terms[name]} }}" for name in marked if name in terms)
    text = "\n".join(lines) + "\n"
    for name, term in terms.items():
        text = _placeholder(name).sub(lambda _match: term, text)
    return text


def _render_value(p: QueryParam, raw: object, backend: SparqlBackend | None) -> str:
    try:
        if p.type is ParamType.INTEGER:
            return sparql_integer(raw)
        text = str(raw)
        if p.type is ParamType.IRI:
            return sparql_iri(text.strip().removeprefix("<").removesuffix(">"))
        if p.type is ParamType.LITERAL:
            return sparql_literal(text)
        stripped = text.strip()
        if stripped.startswith("<") and stripped.endswith(">"):
            return sparql_iri(stripped[1:-1])
        if backend is None:
            if _SCHEME.match(stripped) and "://" in stripped and not _looks_like_identifier(p.type, stripped):
                return sparql_iri(stripped)
            raise QueryError(f"cannot resolve {p.name}={text!r} without a store; pass an IRI")
        return sparql_iri(resolve_entity(backend, p.type, text))
    except QueryError as exc:
        raise QueryError(f"parameter {p.name}: {exc}") from None


def _looks_like_identifier(ptype: ParamType, text: str) -> bool:
    return any(normaliser(text) is not None for normaliser, _, _ in _KINDS[ptype].identifiers)


def run_query(
    name_or_query: str | CannedQuery,
    params: Mapping[str, object] | None = None,
    *,
    store: Any = None,
    graph_dir: Path | None = None,
    endpoint: str | None = None,
    graph: str | None = None,
    queries: Mapping[str, CannedQuery] | None = None,
) -> ResultTable:
    """Run a canned query (by name, or a CannedQuery) with bound parameters.

    Exactly one of ``store`` (``pyoxigraph.Store`` or ``rdflib.Graph``),
    ``graph_dir`` (a build directory) or ``endpoint`` (a SPARQL endpoint URL,
    optionally with the named ``graph`` to query).
    """
    if isinstance(name_or_query, CannedQuery):
        query = name_or_query
    else:
        catalogue = queries if queries is not None else load_queries()
        if name_or_query not in catalogue:
            known = ", ".join(sorted(catalogue))
            raise QueryError(f"no canned query named {name_or_query!r}; known: {known}")
        query = catalogue[name_or_query]
    backend = open_backend(store=store, graph_dir=graph_dir, endpoint=endpoint, graph=graph)
    terms = _render_params(query, params, backend)  # parameters checked and rendered as for any store
    tables = embedded_network(query, params, backend)
    if tables is not None:
        return tables[query.name]
    table = embedded_coauthors(query, terms, backend)
    if table is not None:
        return table
    return backend.select(_bind_terms(query, terms))


_COAUTHORS_ON_OXIGRAPH = """\
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX pro: <http://purl.org/spar/pro/>
PREFIX schema: <https://schema.org/>
PREFIX sg: <https://w3id.org/scholargraph/ns#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>

SELECT ?coauthor ?name ?shared_works ?first_year ?last_year
WHERE {
  {
    SELECT ?coauthor ?name (COUNT(DISTINCT ?work) AS ?shared_works)
           (MIN(?work_min) AS ?min_year) (MAX(?work_max) AS ?max_year)
    WHERE {
      {
        # the person's works that are not hyperauthored, each with its years, first
        SELECT ?person ?work (MIN(COALESCE(?year, 9999)) AS ?work_min) (MAX(COALESCE(?year, 0)) AS ?work_max)
        WHERE {
          #@param person
          ?work schema:author ?person .
          OPTIONAL {
            ?work pro:isDocumentContextFor ?excess_role .
            ?excess_role sg:authorRank ?excess_rank .
            FILTER (?excess_rank > ?_max_authors)
          }
          FILTER (!BOUND(?excess_role))
          OPTIONAL {
            ?work schema:datePublished ?date .
            BIND (xsd:integer(SUBSTR(STR(?date), 1, 4)) AS ?year)
          }
        }
        GROUP BY ?person ?work
      }
      ?work schema:author ?coauthor .
      FILTER (?coauthor != ?person)
      ?coauthor a foaf:Person ;
                foaf:name ?name .
    }
    GROUP BY ?coauthor ?name
  }
  BIND (IF(?min_year < 9999, ?min_year, ?no_year) AS ?first_year)
  BIND (IF(?max_year > 0, ?max_year, ?no_year) AS ?last_year)
}
"""
"""``coauthors.rq`` written for Oxigraph's planner: the same rows and terms, unordered.

Oxigraph joins every author of the person's works (and their types, names and
dates) before it drops the hyperauthored works: 20 ms for a person whose only
work has 117 authors, 15 ms for one with 369 co-authors, at a million triples.
Here the works are filtered and their years taken first, once per work (2 ms and
12 ms).  MIN and MAX of the per-work MIN and MAX are those of the rows, and
COUNT(DISTINCT ?work) does not see how the rows were grouped.  The rows are put in
the canned query's order in Python (ordering by name in the store took 2 ms of the 12).
"""


def _is_packaged(query: CannedQuery) -> bool:
    """Whether ``query`` has the text of the packaged ``.rq`` file of its name (the fast
    paths below answer exactly that text; an edited query runs as written)."""
    try:
        return query.text == (resource_dir("queries") / f"{query.name}.rq").read_text(encoding="utf-8")
    except OSError:
        return False


def embedded_coauthors(
    query: CannedQuery, terms: Mapping[str, str], backend: SparqlBackend
) -> ResultTable | None:
    """``coauthors`` on the embedded store, from the co-authors index the build leaves in
    a persistent store (:class:`~scholargraph.network.CoauthorIndex`) while the store is
    unchanged, else by :data:`_COAUTHORS_ON_OXIGRAPH`: the rows, terms and order the
    canned query gives.

    Only for the packaged query text with both parameters bound (``terms``, as
    rendered for the canned query), on a pyoxigraph store; None otherwise, and
    where a name is not a plain string or a co-author not an IRI (their SPARQL
    order is not Python's): the caller then runs the query as written.
    """
    if query.name != "coauthors" or not isinstance(backend, OxigraphBackend) or set(terms) != {"person", "max_authors"}:
        return None
    if not _is_packaged(query):
        return None
    index = backend.coauthor_index()
    person = terms["person"]
    if index is not None and person.startswith("<") and person.endswith(">"):
        table = index.coauthors(person[1:-1], int(terms["max_authors"]))
        if table is not None:
            return table
    found = backend.select(_bind_terms(replace(query, text=_COAUTHORS_ON_OXIGRAPH), terms))
    for coauthor, name, *_ in found.terms:
        if coauthor is None or coauthor.kind != "uri" or name is None or name.datatype or name.language:
            return None
    # ORDER BY DESC(?shared_works) ?name ?coauthor: a COUNT is a canonical integer;
    # plain strings and IRIs compare by code point in both
    rows = sorted(found.terms, key=lambda row: (-int(row[2].value), row[1].value, row[0].value))  # type: ignore[union-attr]
    return ResultTable(found.columns, tuple(rows))


def embedded_network(
    query: CannedQuery, params: Mapping[str, object] | None, backend: SparqlBackend
) -> dict[str, ResultTable] | None:
    """``coauthorship-network`` and ``coauthorship-nodes`` on the embedded store, without SPARQL.

    The project's own queries (same text as the packaged ``.rq`` files) on a
    pyoxigraph store are answered by :func:`scholargraph.network.embedded_network_tables`,
    which gives the rows the queries give (the engine joins all author pairs
    first: seconds at a million triples).  None for any other query, store or
    text: the query then runs as written.  Both tables, by query name.
    """
    from .network import NETWORK_QUERIES, embedded_network_tables

    if not isinstance(backend, OxigraphBackend) or query.name not in NETWORK_QUERIES or not _is_packaged(query):
        return None
    try:
        raw = dict(params or {}).get("max_authors", query.param("max_authors").default)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        cap = int(sparql_integer(raw))
    except QueryError:
        return None
    tables = embedded_network_tables(backend.store, cap, union=backend._union)
    if tables is None:
        return None
    return dict(zip(("coauthorship-nodes", "coauthorship-network"), tables))


# --------------------------------------------------------------------------- writers


class OutputFormat(enum.Enum):
    """How a result table is written."""

    TABLE = "table"
    CSV = "csv"
    TSV = "tsv"
    JSON = "json"


def _cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render_result(result: ResultTable, fmt: OutputFormat, *, width: int | None = None) -> str:
    """The result as an aligned text table, CSV, TSV (plain values) or SPARQL results JSON."""
    if fmt is OutputFormat.JSON:
        doc = {
            "head": {"vars": list(result.columns)},
            "results": {
                "bindings": [
                    {c: t.to_json() for c, t in zip(result.columns, row) if t is not None}
                    for row in result.terms
                ]
            },
        }
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if fmt in (OutputFormat.CSV, OutputFormat.TSV):
        buffer = io.StringIO()
        writer = csv.writer(
            buffer, delimiter="," if fmt is OutputFormat.CSV else "\t", lineterminator="\r\n"
            if fmt is OutputFormat.CSV else "\n"
        )
        writer.writerow(result.columns)
        for row in result.rows:
            writer.writerow([_cell(v) for v in row])
        return buffer.getvalue()
    return _render_table(result, width)


def _render_table(result: ResultTable, width: int | None) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    rows = [[_cell(v) for v in row] for row in result.rows]
    for index, column in enumerate(result.columns):
        numeric = bool(rows) and all(isinstance(r[index], (int, float)) or r[index] is None for r in result.rows)
        table.add_column(column, justify="right" if numeric else "left", overflow="fold")
    for row in rows:
        table.add_row(*row)
    if width is None:
        natural = sum(max([len(c)] + [len(r[i]) for r in rows]) + 3 for i, c in enumerate(result.columns))
        width = max(natural, 40)
    console = Console(file=io.StringIO(), width=width, color_system=None, highlight=False, soft_wrap=False)
    console.print(table)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    count = len(result)
    return "\n".join(line.rstrip() for line in text.splitlines()) + f"\n({count} row{'s' if count != 1 else ''})\n"


# --------------------------------------------------------------------------- command-line helpers


def parse_param_assignments(assignments: Iterable[str]) -> dict[str, str]:
    """``["person=Clément Le Ludec", "max_authors=50"]`` → a dict; QueryError if malformed."""
    params: dict[str, str] = {}
    for item in assignments:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise QueryError(f"--param {item!r} must be NAME=VALUE")
        params[name.strip()] = value
    return params


def _terminal_width(stream: TextIO) -> int | None:
    import shutil

    return shutil.get_terminal_size().columns if stream.isatty() else None


def run_queries_list_command(stream: TextIO | None = None) -> int:
    """``scholargraph queries``: print every canned query, its summary and parameters."""
    out = stream or sys.stdout
    try:
        queries = load_queries()
    except ScholargraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for name, query in queries.items():
        out.write(f"{name}\n    {query.summary}\n")
        for p in query.params:
            default = f", default {p.default}" if p.default is not None else ""
            optional = ", optional" if not p.required and p.default is None else ""
            example = f" (e.g. {p.name}={p.example})" if p.example else ""
            out.write(f"    --param {p.name}=…  {p.type.value}{default}{optional}: {p.description}{example}\n")
    return 0


def run_query_command(
    name: str,
    params: Sequence[str],
    build_dir: Path | str | None = None,
    endpoint: str | None = None,
    fmt: OutputFormat | str = OutputFormat.TABLE,
    stream: TextIO | None = None,
    graph: str | None = None,
) -> int:
    """``scholargraph query NAME --param k=v``: run on the build (or endpoint) and print.

    Returns 0, or 1 after printing the error on stderr.
    """
    out = stream or sys.stdout
    try:
        output = OutputFormat(fmt) if not isinstance(fmt, OutputFormat) else fmt
    except ValueError:
        print(f"error: unknown format {fmt!r}; use table, csv, tsv or json", file=sys.stderr)
        return 1
    try:
        values = parse_param_assignments(params)
        if endpoint is not None:
            result = run_query(name, values, endpoint=endpoint, graph=graph)
        else:
            result = run_query(name, values, graph_dir=Path(build_dir or "build"))
    except ScholargraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    out.write(render_result(result, output, width=_terminal_width(out)))
    return 0

