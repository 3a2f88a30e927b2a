"""The co-authorship network: from the canned queries to files to take away and a picture.

``load_network`` runs ``coauthorship-nodes`` and ``coauthorship-network`` (the same
queries a user can run by hand) and returns a :class:`CoauthorNetwork`: persons
with their number of works, and weighted edges (number of shared works).  Works
with more than ``max_authors`` authors are left out (VIVO's rule, default 100).

``write_network`` writes, into one directory:

=====================  ===========================================================
``coauthorship.graphml``  GraphML (networkx, Cytoscape, yEd)
``coauthorship.gexf``     GEXF (Gephi); node ``label`` and ``works``, edge ``weight``
``edges.csv``             source,target,weight,first_year,last_year (IRIs as ids; R)
``nodes.csv``             id,label,works
``coauthorship.svg``      the picture: node size by works, edge width by shared works
``coauthorship.png``      the same picture as a bitmap
=====================  ===========================================================

The layout is seeded, so the same network gives the same picture.
"""

from __future__ import annotations

import csv
import math
import os
import re
import sys
import textwrap
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .errors import QueryError, ScholargraphError
from .queries import (
    ParamType,
    ResultTable,
    SparqlBackend,
    Term,
    bind_query,
    embedded_network,
    load_queries,
    open_backend,
    resolve_entity,
)

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "COAUTHOR_INDEX",
    "CoauthorIndex",
    "CoauthorIndexPatch",
    "CoauthorNetwork",
    "Collaboration",
    "NetworkPerson",
    "apply_coauthor_index_patch",
    "coauthor_index_usable",
    "draw_network",
    "load_network",
    "network_from_backend",
    "read_coauthor_index_patch",
    "run_network_command",
    "write_csv",
    "write_coauthor_index",
    "write_gexf",
    "write_graphml",
    "write_network",
]

DEFAULT_MAX_AUTHORS = 100
LAYOUT_SEED = 42


@dataclass(frozen=True)
class NetworkPerson:
    """A node: a person and the number of (not hyperauthored) works they authored."""

    iri: str
    name: str
    works: int


@dataclass(frozen=True)
class Collaboration:
    """An edge: two persons and the works they share (``source`` < ``target``)."""

    source: str
    target: str
    weight: int
    first_year: int | None = None
    last_year: int | None = None


@dataclass(frozen=True)
class CoauthorNetwork:
    """Persons and weighted co-authorship edges, in the order the queries return them."""

    people: tuple[NetworkPerson, ...]
    edges: tuple[Collaboration, ...]
    max_authors: int = DEFAULT_MAX_AUTHORS
    ego: str | None = None  # the person an ego network is centred on

    def person(self, iri: str) -> NetworkPerson:
        for p in self.people:
            if p.iri == iri:
                return p
        raise QueryError(f"{iri} is not in the co-authorship network (no work with at most {self.max_authors} authors)")

    def ego_network(self, iri: str) -> CoauthorNetwork:
        """The person, their co-authors, and the edges among all of them."""
        self.person(iri)
        keep = {iri}
        for e in self.edges:
            if iri in (e.source, e.target):
                keep.update((e.source, e.target))
        return CoauthorNetwork(
            people=tuple(p for p in self.people if p.iri in keep),
            edges=tuple(e for e in self.edges if e.source in keep and e.target in keep),
            max_authors=self.max_authors,
            ego=iri,
        )

    def to_networkx(self) -> nx.Graph:
        """An undirected networkx graph: nodes keyed by IRI with ``label`` and ``works``;
        edges with ``weight`` and, when known, ``first_year`` and ``last_year``."""
        import networkx as nx

        graph = nx.Graph()
        for p in self.people:
            graph.add_node(p.iri, label=p.name, works=p.works)
        for e in self.edges:
            years = {k: v for k, v in (("first_year", e.first_year), ("last_year", e.last_year)) if v is not None}
            graph.add_edge(e.source, e.target, weight=e.weight, **years)
        return graph


# --------------------------------------------------------------------------- loading


def load_network(
    *,
    store: Any = None,
    graph_dir: Path | None = None,
    endpoint: str | None = None,
    graph: str | None = None,
    max_authors: int = DEFAULT_MAX_AUTHORS,
    person: str | None = None,
) -> CoauthorNetwork:
    """The co-authorship network of the graph (or the ego network of ``person``,
    given as IRI, ORCID or name), from the canned queries."""
    backend = open_backend(store=store, graph_dir=graph_dir, endpoint=endpoint, graph=graph)
    return network_from_backend(backend, max_authors=max_authors, person=person)


def network_from_backend(
    backend: SparqlBackend, *, max_authors: int = DEFAULT_MAX_AUTHORS, person: str | None = None
) -> CoauthorNetwork:
    queries = load_queries()
    params = {"max_authors": max_authors}
    node_query, edge_query = (bind_query(queries[name], params, backend) for name in ("coauthorship-nodes", "coauthorship-network"))
    fast = embedded_network(queries["coauthorship-network"], params, backend)  # same rows, on the embedded store
    if fast is not None:
        nodes, edges = fast["coauthorship-nodes"], fast["coauthorship-network"]
    else:
        nodes, edges = backend.select(node_query), backend.select(edge_query)
    network = CoauthorNetwork(
        people=tuple(NetworkPerson(str(iri), str(name), int(str(works))) for iri, name, works in nodes.rows),
        edges=tuple(
            Collaboration(str(s), str(t), int(str(w)), _year(fy), _year(ly))
            for s, _, t, _, w, fy, ly in edges.rows
        ),
        max_authors=max_authors,
    )
    if person is None:
        return network
    return network.ego_network(resolve_entity(backend, ParamType.PERSON, person))


def _year(value: object) -> int | None:
    return None if value is None else int(str(value))


# --------------------------------------------------------------------------- the embedded store's fast path

_FOAF_PERSON = "http://xmlns.com/foaf/0.1/Person"
_FOAF_NAME = "http://xmlns.com/foaf/0.1/name"
_SCHEMA_AUTHOR = "https://schema.org/author"
_SCHEMA_DATE = "https://schema.org/datePublished"
_PRO_CONTEXT = "http://purl.org/spar/pro/isDocumentContextFor"
_SG_RANK = "https://w3id.org/scholargraph/ns#authorRank"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_XSD_STRING = _XSD + "string"
_XSD_INTEGER = _XSD + "integer"
_INTEGER_LEXICAL = re.compile(r"[+-]?[0-9]+")
NETWORK_QUERIES = ("coauthorship-network", "coauthorship-nodes")
"""The canned queries :func:`embedded_network_tables` answers without SPARQL."""


def _year_of(term: Any) -> int | None:
    """``xsd:integer(SUBSTR(STR(?date), 1, 4))``, or None where the cast fails."""
    head = term.value[:4]
    return int(head) if _INTEGER_LEXICAL.fullmatch(head) else None


def embedded_network_tables(store: Any, max_authors: int, *, union: bool = False) -> tuple[Any, Any] | None:
    """The results of ``coauthorship-nodes`` and ``coauthorship-network`` on a pyoxigraph store,
    computed from the flat (work, author) pairs rather than by the SPARQL engine.

    The same rows, in the same order, with the same terms as the canned queries
    give on the store (``union``: the default graph is the union of the named
    graphs, as :class:`~scholargraph.queries.OxigraphBackend` decides).  The
    engine joins every pair of authors of a work before grouping (2-3 s at a
    million triples, more with the hyperauthored works); here each work's
    authors are fetched once and its pairs counted in Python.  Returns None
    where the fast path cannot promise the same result (a person with several
    names, a name that is not a plain string, a blank node as author): the
    caller then runs the queries.
    """
    import pyoxigraph

    from .queries import ResultTable, Term, _oxigraph_converter

    cap = int(max_authors)
    queries = (
        f"SELECT DISTINCT ?p ?n WHERE {{ ?p a <{_FOAF_PERSON}> ; <{_FOAF_NAME}> ?n }}",
        # the works the canned queries leave out, found by the same pattern and filter
        f"SELECT DISTINCT ?w WHERE {{ ?w <{_PRO_CONTEXT}> ?r . ?r <{_SG_RANK}> ?k . FILTER (?k > {cap}) }}",
        f"SELECT ?w ?a WHERE {{ ?w <{_SCHEMA_AUTHOR}> ?a }}",
        f"SELECT ?w ?d WHERE {{ ?w <{_SCHEMA_DATE}> ?d }}",
    )

    def rows(query: str) -> list[Any]:
        return [tuple(row) for row in store.query(query, use_default_graph_as_union=union)]

    # four flat look-ups at once: the store decodes terms without the GIL (1.5 s -> 1.0 s at 1M triples)
    with ThreadPoolExecutor(max_workers=len(queries)) as pool:
        named_persons, excess, authorships, dated = pool.map(rows, queries)

    names: dict[Any, set[Any]] = {}
    for person, name in named_persons:
        names.setdefault(person, set()).add(name)
    for found in names.values():
        if len(found) != 1:
            return None
        (name,) = found
        if type(name) is not pyoxigraph.Literal or name.language or name.datatype.value != _XSD_STRING:
            return None
    excluded = {row[0] for row in excess}
    authors: dict[Any, set[Any]] = {}
    for work, author in authorships:
        if author in names and work not in excluded:
            authors.setdefault(work, set()).add(author)
    dates: dict[Any, set[Any]] = {}
    for work, date in dated:
        if work in authors:
            dates.setdefault(work, set()).add(date)
    del named_persons, excess, authorships, dated

    blank = pyoxigraph.BlankNode
    people = sorted(names, key=lambda p: p.value)  # STR(?person) order: the person's number
    if any(type(p) is blank for p in people):
        return None
    number = {p: n for n, p in enumerate(people)}
    works_of = [0] * len(people)
    edges: dict[int, list[int]] = {}  # source * size + target -> [weight, min year, max year]
    size = len(people)
    for work, authored in authors.items():
        ordered = sorted(number[p] for p in authored)
        for n in ordered:
            works_of[n] += 1
        if len(ordered) < 2:
            continue
        years = [_year_of(d) for d in dates.get(work, ())] or [None]
        low = min(9999 if y is None else y for y in years)
        high = max(0 if y is None else y for y in years)
        for i, source in enumerate(ordered):
            base = source * size
            for target in ordered[i + 1 :]:
                found = edges.get(base + target)
                if found is None:
                    edges[base + target] = [1, low, high]
                else:
                    found[0] += 1
                    if low < found[1]:
                        found[1] = low
                    if high > found[2]:
                        found[2] = high

    convert = _oxigraph_converter()
    iris = [Term("uri", p.value) for p in people]
    name_terms = [convert(next(iter(names[p]))) for p in people]
    integers: dict[int, Any] = {}

    def integer(value: int) -> Any:
        found = integers[value] = Term("literal", str(value), _XSD_INTEGER)
        return found

    authors_found = [n for n in range(size) if works_of[n]]
    authors_found.sort(key=lambda n: (-works_of[n], name_terms[n].value, n))
    nodes = ResultTable(
        ("person", "name", "works"), tuple((iris[n], name_terms[n], integer(works_of[n])) for n in authors_found)
    )
    edge_rows = []
    for key, (weight, low, high) in sorted(edges.items(), key=lambda item: (-item[1][0], item[0])):
        source, target = divmod(key, size)
        edge_rows.append(
            (
                iris[source], name_terms[source], iris[target], name_terms[target],
                integers.get(weight) or integer(weight),
                (integers.get(low) or integer(low)) if low < 9999 else None,
                (integers.get(high) or integer(high)) if high > 0 else None,
            )
        )
    network = ResultTable(
        ("source", "source_name", "target", "target_name", "weight", "first_year", "last_year"), tuple(edge_rows)
    )
    return nodes, network


# --------------------------------------------------------------------------- the store's co-authors index

COAUTHOR_INDEX = "scholargraph-coauthors.sqlite"
"""The co-authors index, a file inside the store's directory (it goes where the store goes)."""
_INDEX_FORMAT = "2"

# the flat tables the index is made of, read from the store as the canned query reads it
_INDEX_QUERIES = (
    f"SELECT DISTINCT ?w ?a WHERE {{ ?w <{_SCHEMA_AUTHOR}> ?a FILTER (!isLiteral(?a)) }}",
    f"SELECT DISTINCT ?p ?n WHERE {{ ?p a <{_FOAF_PERSON}> ; <{_FOAF_NAME}> ?n }}",
    # each work's years as coauthors.rq takes them: 9999 and 0 stand for "undated"
    f"SELECT ?w (MIN(COALESCE(xsd:integer(SUBSTR(STR(?d), 1, 4)), 9999)) AS ?lo)"
    f" (MAX(COALESCE(xsd:integer(SUBSTR(STR(?d), 1, 4)), 0)) AS ?hi)"
    f" WHERE {{ ?w <{_SCHEMA_DATE}> ?d }} GROUP BY ?w",
    # whether the store compares each rank as the integer it is written as
    f"SELECT ?k (?k = xsd:integer(STR(?k)) AS ?same) WHERE {{ {{ SELECT DISTINCT ?k WHERE {{ ?r <{_SG_RANK}> ?k }} }} }}",
    f"SELECT ?w (MAX(xsd:integer(STR(?k))) AS ?top)"
    f" WHERE {{ ?w <{_PRO_CONTEXT}> ?r . ?r <{_SG_RANK}> ?k }} GROUP BY ?w",
)
_INDEX_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE author (id INTEGER PRIMARY KEY, value TEXT NOT NULL, blank INTEGER NOT NULL);
CREATE TABLE work (id INTEGER PRIMARY KEY, term TEXT NOT NULL, top_rank INTEGER, low INTEGER NOT NULL, high INTEGER NOT NULL);
CREATE TABLE authorship (author INTEGER NOT NULL, work INTEGER NOT NULL, PRIMARY KEY (author, work)) WITHOUT ROWID;
CREATE TABLE name (id INTEGER PRIMARY KEY, person INTEGER NOT NULL, value TEXT NOT NULL, plain INTEGER NOT NULL);
"""
_INDEX_KEYS = """
CREATE INDEX author_value ON author (value);
CREATE INDEX authorship_work ON authorship (work, author);
CREATE INDEX work_term ON work (term);
CREATE INDEX name_person ON name (person);
"""
# coauthors.rq over the tables: the person's works up to the cap, their other authors'
# names; one row per (co-author, name), the works counted (an author of a work once)
_INDEX_SELECT = """
SELECT c.value, c.blank, n.value, n.plain, COUNT(*), MIN(w.low), MAX(w.high)
FROM author AS p
JOIN authorship AS mine ON mine.author = p.id
JOIN work AS w ON w.id = mine.work
JOIN authorship AS theirs ON theirs.work = w.id AND theirs.author != p.id
JOIN name AS n ON n.person = theirs.author
JOIN author AS c ON c.id = theirs.author
WHERE p.value = ? AND p.blank = 0 AND (w.top_rank IS NULL OR w.top_rank <= ?)
GROUP BY theirs.author, n.id
"""


def _store_fingerprint(directory: Path) -> str:
    """The store's files as they are: RocksDB's ``IDENTITY`` (made anew with each store)
    and the name and size of every file, the index and RocksDB's ``LOG`` files left out.

    Writing to the store adds to its log, writes new tables and a new manifest: this changes.
    """
    import json

    files = sorted(
        (entry.name, entry.stat().st_size)
        for entry in directory.iterdir()
        if entry.is_file() and not entry.name.startswith(("LOG", COAUTHOR_INDEX))
    )
    identity = directory / "IDENTITY"
    return json.dumps([identity.read_text("utf-8", "replace") if identity.is_file() else None, files])


def _index_tables(store: Any, union: bool) -> tuple[list[Any], ...]:
    """The rows of :data:`_INDEX_QUERIES` on ``store``: authorships, names, years, ranks, top ranks."""
    prefixes = {"xsd": _XSD}

    def rows(query: str) -> list[Any]:
        return [tuple(row) for row in store.query(query, prefixes=prefixes, use_default_graph_as_union=union)]

    with ThreadPoolExecutor(max_workers=len(_INDEX_QUERIES)) as pool:
        return tuple(pool.map(rows, _INDEX_QUERIES))


def _ranks_compare(ranks: Sequence[Any]) -> bool:
    """Whether every rank is an integer the store compares as such (else no index)."""
    return all(same is not None and same.value == "true" and _INTEGER_LEXICAL.fullmatch(rank.value) for rank, same in ranks)


def _plain(name: Any) -> bool:
    import pyoxigraph

    return type(name) is pyoxigraph.Literal and not name.language and name.datatype.value == _XSD_STRING


def write_coauthor_index(directory: Path) -> Path | None:
    """Index the co-authorships of the closed persistent store in ``directory``, into a file
    in that directory, for :class:`CoauthorIndex`.

    None (and no index) where the store's author ranks are not integers it compares as
    such: the queries then run as written.  About 1.5 s at a million triples.
    """
    import sqlite3

    import pyoxigraph

    from .queries import OxigraphBackend

    store = pyoxigraph.Store.read_only(str(directory))
    union = OxigraphBackend(store)._union
    authorships, named, dated, ranks, tops = _index_tables(store, union)
    del store
    path = directory / COAUTHOR_INDEX
    path.unlink(missing_ok=True)
    if not _ranks_compare(ranks):
        return None

    blank = pyoxigraph.BlankNode
    author_ids: dict[Any, int] = {}
    work_ids: dict[Any, int] = {}
    pairs = []
    for work, author in authorships:
        author_id = author_ids.setdefault(author, len(author_ids))
        pairs.append((author_id, work_ids.setdefault(work, len(work_ids))))
    years = {work: (int(low.value), int(high.value)) for work, low, high in dated}
    top = {work: int(rank.value) for work, rank in tops}
    names = [(author_ids[person], name.value, _plain(name)) for person, name in named if person in author_ids]
    tmp = directory / f"{COAUTHOR_INDEX}.tmp"
    tmp.unlink(missing_ok=True)
    connection = sqlite3.connect(tmp)
    try:
        connection.executescript(_INDEX_SCHEMA)
        connection.executemany(
            "INSERT INTO author VALUES (?, ?, ?)",
            ((n, a.value, type(a) is blank) for a, n in author_ids.items()),
        )
        connection.executemany(
            "INSERT INTO work VALUES (?, ?, ?, ?, ?)",
            ((n, str(w), top.get(w), *years.get(w, (9999, 0))) for w, n in work_ids.items()),
        )
        connection.executemany("INSERT INTO authorship VALUES (?, ?)", pairs)
        connection.executemany("INSERT INTO name (person, value, plain) VALUES (?, ?, ?)", names)
        connection.executescript(_INDEX_KEYS)
        connection.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            (("format", _INDEX_FORMAT), ("store", _store_fingerprint(directory)), ("union", str(union))),
        )
        connection.commit()
    finally:
        connection.close()
    os.replace(tmp, path)
    return path


# the triples the index is made of, by predicate: what a change must touch to change it
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_WORK_PREDICATES = frozenset((_SCHEMA_AUTHOR, _SCHEMA_DATE, _PRO_CONTEXT))


@dataclass(frozen=True)
class CoauthorIndexPatch:
    """The index rows of the works and persons a change touches, read from the changed store
    by :func:`read_coauthor_index_patch`, for :func:`apply_coauthor_index_patch`."""

    works: tuple[tuple[str, tuple[Any, ...], int | None, int, int], ...]  # term, authors, top rank, years
    persons: tuple[tuple[Any, tuple[tuple[str, bool], ...]], ...]  # person, (name, plain) pairs
    union: bool


def coauthor_index_usable(directory: Path) -> bool:
    """Whether the store in ``directory`` has a co-authors index made from its present files
    (to be called before the store is opened for writing, which changes them)."""
    index = CoauthorIndex.open(directory)
    if index is None:
        return False
    index._connection.close()
    return True


def read_coauthor_index_patch(
    directory: Path, store: Any, removed: Sequence[Any], added: Sequence[Any]
) -> CoauthorIndexPatch | None:
    """What the co-authors index of ``directory`` must become after ``removed`` and ``added``
    (pyoxigraph triples) were applied to ``store`` (the changed store, still open).

    Only the works whose authors, dates or rank-carrying contexts changed, and the persons
    whose type or names changed or who are (or were) authors of such a work, are read:
    their triples are copied into a small store where :data:`_INDEX_QUERIES` run as they
    run on the whole store (same casts, same DISTINCT).  None where the index cannot be
    patched (a rank that is not an integer the store compares as such): then no index.
    The index file must be the one made for the store before the change.
    """
    import sqlite3

    import pyoxigraph

    from .queries import OxigraphBackend

    union = OxigraphBackend(store)._union
    graph = None if union else pyoxigraph.DefaultGraph()
    context, rank_iri = pyoxigraph.NamedNode(_PRO_CONTEXT), pyoxigraph.NamedNode(_SG_RANK)
    author_iri, date_iri = pyoxigraph.NamedNode(_SCHEMA_AUTHOR), pyoxigraph.NamedNode(_SCHEMA_DATE)
    type_iri, name_iri = pyoxigraph.NamedNode(_RDF_TYPE), pyoxigraph.NamedNode(_FOAF_NAME)
    person_class = pyoxigraph.NamedNode(_FOAF_PERSON)

    def triples(subject: Any, predicate: Any, obj: Any = None) -> list[Any]:
        """The matching quads, in the default graph (as the small store takes them)."""
        found = list(store.quads_for_pattern(subject, predicate, obj, graph))
        return [pyoxigraph.Quad(q.subject, q.predicate, q.object) for q in found] if union else found

    works: dict[Any, None] = {}
    persons: dict[Any, None] = {}
    for t in (*removed, *added):
        predicate = t.predicate.value
        if predicate in _WORK_PREDICATES:
            works[t.subject] = None
        elif predicate == _FOAF_NAME or (predicate == _RDF_TYPE and t.object == person_class):
            persons[t.subject] = None
        elif predicate == _SG_RANK:
            for found in triples(None, context, t.subject):
                works[found.subject] = None
    # every new rank must be an integer, as in a fresh index
    copied: list[Any] = [pyoxigraph.Quad(*t) for t in added if t.predicate.value == _SG_RANK]
    for work in works:
        mine = triples(work, author_iri)
        copied += mine
        persons.update((t.object, None) for t in mine if type(t.object) is not pyoxigraph.Literal)
        copied += triples(work, date_iri)
        for link in triples(work, context):
            copied.append(link)
            copied += triples(link.object, rank_iri)
    connection = sqlite3.connect(f"{(directory / COAUTHOR_INDEX).resolve().as_uri()}?mode=ro", uri=True)
    try:
        for work in works:  # the authors the work had: their rows may go
            for value, blank in connection.execute(
                "SELECT a.value, a.blank FROM work AS w JOIN authorship AS s ON s.work = w.id"
                " JOIN author AS a ON a.id = s.author WHERE w.term = ?",
                (str(work),),
            ):
                persons[pyoxigraph.BlankNode(value) if blank else pyoxigraph.NamedNode(value)] = None
    finally:
        connection.close()
    for person in persons:
        copied += triples(person, type_iri, person_class)
        copied += triples(person, name_iri)
    small = pyoxigraph.Store()
    small.extend(copied)
    authorships, named, dated, ranks, tops = _index_tables(small, False)
    if not _ranks_compare(ranks):
        return None
    authors: dict[Any, list[Any]] = {work: [] for work in works}
    for work, author in authorships:
        authors[work].append(author)
    years = {work: (int(low.value), int(high.value)) for work, low, high in dated}
    top = {work: int(rank.value) for work, rank in tops}
    names: dict[Any, list[tuple[str, bool]]] = {person: [] for person in persons}
    for person, name in named:
        names[person].append((name.value, _plain(name)))
    return CoauthorIndexPatch(
        works=tuple((str(w), tuple(authors[w]), top.get(w), *years.get(w, (9999, 0))) for w in works),
        persons=tuple((p, tuple(names[p])) for p in persons),
        union=union,
    )


def apply_coauthor_index_patch(directory: Path, patch: CoauthorIndexPatch) -> Path | None:
    """Bring the co-authors index of the (closed, changed) store in ``directory`` up to date
    with ``patch``: a copy of the index is changed and renamed into place, with the store's
    new fingerprint.  The rows are those :func:`write_coauthor_index` would write; only the
    row ids differ.  None (and no index) where the index's graph mode changed: then
    :func:`write_coauthor_index` must make it afresh.
    """
    import shutil
    import sqlite3

    import pyoxigraph

    path = directory / COAUTHOR_INDEX
    tmp = directory / f"{COAUTHOR_INDEX}.tmp"
    shutil.copyfile(path, tmp)
    connection = sqlite3.connect(tmp)
    try:
        meta = dict(connection.execute("SELECT key, value FROM meta"))
        if meta.get("union") != str(patch.union):
            connection.close()
            tmp.unlink()
            path.unlink()
            return None
        author_ids: dict[tuple[str, bool], int] = {}

        def author_id(term: Any) -> int:
            key = (term.value, type(term) is pyoxigraph.BlankNode)
            found = author_ids.get(key)
            if found is None:
                row = connection.execute("SELECT id FROM author WHERE value = ? AND blank = ?", key).fetchone()
                if row is None:
                    row = connection.execute("SELECT COALESCE(MAX(id) + 1, 0) FROM author").fetchone()
                    connection.execute("INSERT INTO author VALUES (?, ?, ?)", (row[0], *key))
                found = author_ids[key] = row[0]
            return found

        for term, authors, top, low, high in patch.works:
            row = connection.execute("SELECT id FROM work WHERE term = ?", (term,)).fetchone()
            if row is not None:
                connection.execute("DELETE FROM authorship WHERE work = ?", (row[0],))
                connection.execute("DELETE FROM work WHERE id = ?", (row[0],))
            if not authors:
                continue
            work = row[0] if row is not None else connection.execute("SELECT COALESCE(MAX(id) + 1, 0) FROM work").fetchone()[0]
            connection.execute("INSERT INTO work VALUES (?, ?, ?, ?, ?)", (work, term, top, low, high))
            connection.executemany("INSERT INTO authorship VALUES (?, ?)", ((author_id(a), work) for a in authors))
        for person, names in patch.persons:
            key = (person.value, type(person) is pyoxigraph.BlankNode)
            row = connection.execute("SELECT id FROM author WHERE value = ? AND blank = ?", key).fetchone()
            if row is None:
                continue  # not an author: no names in the index
            connection.execute("DELETE FROM name WHERE person = ?", (row[0],))
            if connection.execute("SELECT 1 FROM authorship WHERE author = ? LIMIT 1", (row[0],)).fetchone() is None:
                connection.execute("DELETE FROM author WHERE id = ?", (row[0],))
                continue
            connection.executemany(
                "INSERT INTO name (person, value, plain) VALUES (?, ?, ?)", ((row[0], n, plain) for n, plain in names)
            )
        connection.execute("UPDATE meta SET value = ? WHERE key = 'store'", (_store_fingerprint(directory),))
        connection.commit()
    except BaseException:
        connection.close()
        tmp.unlink(missing_ok=True)
        raise
    connection.close()
    os.replace(tmp, path)
    return path


class CoauthorIndex:
    """The co-authors index of a persistent store, answering ``coauthors.rq`` in a
    millisecond or two where the store takes 13 ms for a person with 369 co-authors.

    Opened only while the store's files are those it was made from.
    """

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self._lock = threading.Lock()

    @classmethod
    def open(cls, directory: Path) -> CoauthorIndex | None:
        """The index of the store in ``directory``; None if there is none, or the store changed since."""
        import sqlite3

        path = directory / COAUTHOR_INDEX
        if not path.is_file():
            return None
        try:
            connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)
            meta = dict(connection.execute("SELECT key, value FROM meta"))
        except sqlite3.Error:
            return None
        if meta.get("format") != _INDEX_FORMAT or meta.get("store") != _store_fingerprint(directory):
            connection.close()
            return None
        return cls(connection)

    def coauthors(self, person: str, max_authors: int) -> ResultTable | None:
        """The ``coauthors`` result table for the IRI ``person``: the rows, terms and order
        the canned query gives; None where a co-author is a blank node or has a name that is
        not a plain string (SPARQL orders them otherwise)."""
        with self._lock:
            found = self._connection.execute(_INDEX_SELECT, (person, max_authors)).fetchall()
        if any(blank or not plain for _, blank, _, plain, _, _, _ in found):
            return None
        # ORDER BY DESC(?shared_works) ?name ?coauthor: plain strings and IRIs by code point
        found.sort(key=lambda row: (-row[4], row[2], row[0]))
        integers: dict[int, Term] = {}

        def integer(value: int) -> Term:
            term = integers.get(value)
            if term is None:
                term = integers[value] = Term("literal", str(value), _XSD_INTEGER)
            return term

        rows = tuple(
            (
                Term("uri", coauthor), Term("literal", name), integer(shared),
                integer(low) if low < 9999 else None, integer(high) if high > 0 else None,
            )
            for coauthor, _, name, _, shared, low, high in found
        )
        return ResultTable(("coauthor", "name", "shared_works", "first_year", "last_year"), rows)


# --------------------------------------------------------------------------- files


def write_graphml(network: CoauthorNetwork, path: Path) -> Path:
    import networkx as nx

    nx.write_graphml(network.to_networkx(), path, encoding="utf-8", prettyprint=True)
    return path


def write_gexf(network: CoauthorNetwork, path: Path) -> Path:
    import networkx as nx

    lines = nx.generate_gexf(network.to_networkx(), encoding="utf-8", prettyprint=True, version="1.2draft")
    # networkx stamps today's date into <meta>; leave it out so the file depends on the graph only
    text = re.sub(r'\s+lastmodifieddate="[^"]*"', "", "\n".join(lines))
    path.write_text(text + "\n", encoding="utf-8")
    return path


def write_csv(network: CoauthorNetwork, edges_path: Path, nodes_path: Path) -> tuple[Path, Path]:
    """``edges.csv`` (source,target,weight,first_year,last_year) and ``nodes.csv`` (id,label,works)."""
    with edges_path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["source", "target", "weight", "first_year", "last_year"])
        for e in network.edges:
            writer.writerow([e.source, e.target, e.weight, _blank(e.first_year), _blank(e.last_year)])
    with nodes_path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "label", "works"])
        for p in network.people:
            writer.writerow([p.iri, p.name, p.works])
    return edges_path, nodes_path


def _blank(value: int | None) -> str:
    return "" if value is None else str(value)


# --------------------------------------------------------------------------- picture


def _layout(graph: nx.Graph, seed: int) -> dict[Any, tuple[float, float]]:
    """Seeded positions: the largest connected component in the middle, the
    smaller ones in rows underneath, each laid out on its own."""
    import networkx as nx

    components = sorted(
        (sorted(c, key=str) for c in nx.connected_components(graph)), key=lambda c: (-len(c), str(c[0]))
    )
    if not components:
        return {}
    total = graph.number_of_nodes()
    pos: dict[Any, tuple[float, float]] = {}
    main = components[0]
    pos.update(_component_layout(graph.subgraph(main), seed, radius=1.0))
    rest = components[1:]
    if not rest:
        return pos
    # small components: cells of a grid below the main one, sized by their share
    columns = max(4, math.ceil(math.sqrt(len(rest) * 2)))
    cell = 2.0 / columns
    for index, component in enumerate(rest):
        row, column = divmod(index, columns)
        radius = cell * 0.4 * (1.0 if len(component) > 1 else 0.0)
        radius = min(radius, cell * 0.4 * math.sqrt(len(component) / max(2, total / 20)) + 0.02)
        cx = -1.0 + cell * (column + 0.5)
        cy = -1.25 - cell * row
        for node, (x, y) in _component_layout(graph.subgraph(component), seed, radius=radius).items():
            pos[node] = (cx + x, cy + y)
    return pos


def _component_layout(graph: nx.Graph, seed: int, radius: float) -> dict[Any, tuple[float, float]]:
    import networkx as nx

    n = graph.number_of_nodes()
    if n == 1:
        return {next(iter(graph)): (0.0, 0.0)}
    if n < 500:
        # Fruchterman-Reingold, dense numpy (networkx needs scipy from 500 nodes on)
        raw = nx.spring_layout(graph, weight=None, k=1.8 / math.sqrt(n), iterations=150, seed=seed)
    else:
        raw = nx.forceatlas2_layout(graph, weight=None, seed=seed, max_iter=200, scaling_ratio=2.0, gravity=1.0)
    xs = [float(p[0]) for p in raw.values()]
    ys = [float(p[1]) for p in raw.values()]
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    span = max(max(xs) - min(xs), max(ys) - min(ys)) / 2 or 1.0
    return {node: ((float(x) - cx) / span * radius, (float(y) - cy) / span * radius) for node, (x, y) in raw.items()}


def _communities(graph: nx.Graph, seed: int) -> dict[Any, int]:
    import networkx as nx

    if graph.number_of_edges() == 0:
        return {n: 0 for n in graph}
    groups = nx.community.louvain_communities(graph, weight="weight", seed=seed)
    ordered = sorted(groups, key=lambda g: (-len(g), min(str(n) for n in g)))
    return {n: i for i, group in enumerate(ordered) for n in group}


def draw_network(
    network: CoauthorNetwork,
    paths: Sequence[Path],
    *,
    labels: int | None = None,
    seed: int = LAYOUT_SEED,
    title: str | None = None,
) -> list[Path]:
    """Draw the network to each path (format from the suffix: .svg, .png, .pdf).

    Node area grows with the number of works, edge width with shared works,
    colours mark communities (Louvain, seeded). Every node is labelled in
    networks of up to 40 people, else the ``labels`` (default 30) people with
    the most works.
    """
    # A bare Figure renders through Agg (PNG) or the SVG/PDF backends when saved;
    # pyplot and its global backend are not used.
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    graph = network.to_networkx()
    n = graph.number_of_nodes()
    pos = _layout(graph, seed)
    community = _communities(graph, seed)
    max_works = max((p.works for p in network.people), default=1) or 1
    max_weight = max((e.weight for e in network.edges), default=1) or 1
    big = n > 40
    if labels is None:
        labels = n if not big else 30
    ranked = sorted(network.people, key=lambda p: (-p.works, -graph.degree(p.iri), p.name, p.iri))
    labelled = {p.iri for p in ranked[:labels]}
    if network.ego:
        labelled.add(network.ego)

    side = 9.0 if n <= 60 else min(18.0, 9.0 + math.sqrt(n) / 2.5)
    palette = [
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
        "#9c755f", "#bab0ac", "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#17becf",
    ]
    node_scale = 900.0 if not big else 420.0

    with rc_context({"svg.hashsalt": "scholargraph", "svg.fonttype": "none", "font.family": "DejaVu Sans"}):
        figure = Figure(figsize=(side, side), dpi=150 if n <= 200 else 110)
        axes = figure.add_axes((0.01, 0.01, 0.98, 0.94))
        axes.set_axis_off()
        # edges first, light and thin for single shared works
        for e in sorted(network.edges, key=lambda e: e.weight):
            (x1, y1), (x2, y2) = pos[e.source], pos[e.target]
            share = e.weight / max_weight
            axes.plot(
                [x1, x2], [y1, y2], color="#555555", alpha=0.25 + 0.5 * share if not big else 0.12 + 0.5 * share,
                linewidth=0.6 + 5.0 * share if not big else 0.3 + 3.0 * share, zorder=1, solid_capstyle="round",
            )
        xs = [pos[p.iri][0] for p in network.people]
        ys = [pos[p.iri][1] for p in network.people]
        sizes = [20.0 + node_scale * math.sqrt(p.works / max_works) for p in network.people]
        colours = [palette[community.get(p.iri, 0) % len(palette)] for p in network.people]
        edgecolours = ["#000000" if p.iri == network.ego else "#ffffff" for p in network.people]
        axes.scatter(xs, ys, s=sizes, c=colours, edgecolors=edgecolours, linewidths=1.2, zorder=2)
        if xs:
            pad_x = (max(xs) - min(xs)) * 0.08 + 0.1
            pad_y = (max(ys) - min(ys)) * 0.08 + 0.1
            axes.set_xlim(min(xs) - pad_x, max(xs) + pad_x)
            axes.set_ylim(min(ys) - pad_y, max(ys) + pad_y * 1.5)
        # a light box rather than a stroke keeps names as <text> in the SVG (searchable)
        halo = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.75}
        size_of = {p.iri: size for p, size in zip(network.people, sizes)}
        placed: list[tuple[float, float, float, float]] = []
        points = figure.dpi / 72.0
        for p in ranked:  # most prolific first; in a big network, a name that would overlap is left out
            if p.iri not in labelled:
                continue
            x, y = pos[p.iri]
            offset = math.sqrt(size_of[p.iri]) / 2 + 2
            fontsize = 9.0 if not big else 8.0 + 5.0 * math.sqrt(p.works / max_works)
            px, py = axes.transData.transform((x, y))
            width = len(p.name) * fontsize * 0.58 * points
            height = fontsize * 1.25 * points
            lift = offset * points
            # above the node, else below it; in a small network every name is shown
            above = (px - width / 2, py + lift, px + width / 2, py + lift + height)
            below = (px - width / 2, py - lift - height, px + width / 2, py - lift)
            free = [box for box in (above, below) if not any(_overlap(box, b) for b in placed)]
            if not free and big and p.iri != network.ego:
                continue
            box = free[0] if free else above
            placed.append(box)
            up = box is above
            axes.annotate(
                p.name, (x, y), xytext=(0, offset if up else -offset), textcoords="offset points",
                ha="center", va="bottom" if up else "top", fontsize=fontsize, zorder=3, bbox=halo,
                fontweight="bold" if p.iri == network.ego else "normal",
            )
        heading = "\n".join(textwrap.wrap(title or _default_title(network), width=int(side * 11)))
        figure.text(0.01, 0.985, heading, ha="left", va="top", fontsize=10 if not big else 12, color="#333333")
        written = []
        for path in paths:
            suffix = path.suffix.lower().lstrip(".")
            metadata = {"Date": None} if suffix in ("svg", "pdf") else None
            figure.savefig(path, format=suffix, metadata=metadata, facecolor="white")
            written.append(path)
    return written


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _default_title(network: CoauthorNetwork) -> str:
    people = len(network.people)
    links = len(network.edges)
    centre = ""
    if network.ego:
        centre = f" around {network.person(network.ego).name}"
    return (
        f"Co-authorship network{centre}: {people} people, {links} links. "
        f"Node size: works; line width: shared works; works with over {network.max_authors} authors left out."
    )


# --------------------------------------------------------------------------- everything at once


def write_network(network: CoauthorNetwork, out_dir: Path) -> list[Path]:
    """Write GraphML, GEXF, the CSV edge and node lists, SVG and PNG into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [
        write_graphml(network, out_dir / "coauthorship.graphml"),
        write_gexf(network, out_dir / "coauthorship.gexf"),
        *write_csv(network, out_dir / "edges.csv", out_dir / "nodes.csv"),
    ]
    written += draw_network(network, [out_dir / "coauthorship.svg", out_dir / "coauthorship.png"])
    return written


def run_network_command(
    person: str | None,
    build_dir: Path | str | None,
    endpoint: str | None,
    out_dir: Path | str,
    stream: TextIO | None = None,
    graph: str | None = None,
) -> int:
    """``scholargraph network [--person …] --out DIR``: write the files, list them; 0 or 1."""
    out = stream or sys.stdout
    try:
        if endpoint is not None:
            network = load_network(endpoint=endpoint, graph=graph, person=person)
        else:
            network = load_network(graph_dir=Path(build_dir or "build"), person=person)
        written = write_network(network, Path(out_dir))
    except ScholargraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot write into {out_dir}: {exc}", file=sys.stderr)
        return 1
    out.write(f"{len(network.people)} people, {len(network.edges)} links\n")
    for path in written:
        out.write(f"wrote {path}\n")
    return 0
