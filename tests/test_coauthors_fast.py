"""The co-authors of one person through the Python API on a build's embedded store, fast
and unchanged: the parsed query files and the read-only store are kept between calls,
and a store whose files change (rebuilt, written to) is opened again.

Whatever ``run_query("coauthors", ..., graph_dir=BUILD)`` answers must be the table
the canned query gives when parsed afresh and run on a freshly opened store: checked
on the query fixture, the sample build and a generated corpus, by IRI and by names
written with other cases and without accents, for an unknown person, a person
without co-authors, and several caps on hyperauthored works."""

from __future__ import annotations

import os
import shutil
import sys
import unicodedata
from pathlib import Path

import pyoxigraph
import pytest

from scholargraph.build import build
from scholargraph.config import Settings
from scholargraph.errors import QueryError
from scholargraph.queries import (
    CannedQuery,
    OxigraphBackend,
    ResultTable,
    bind_query,
    embedded_coauthors,
    load_queries,
    open_backend,
    run_query,
)
from scholargraph.resources import resource_dir

ROOT = Path(__file__).resolve().parents[1]

FIXTURE = Path(__file__).parent / "data" / "queries" / "graph.ttl"
B = "https://example.org/scholargraph/"
ZOE = B + "person/0000-0002-1825-0097"
ANA = B + "person/0000-0001-5109-3700"
CARLA = B + "person/carla-ng"  # a person without works
CAPS = (1, 2, 3, 100, 500)
SCHEMA_AUTHOR = pyoxigraph.NamedNode("https://schema.org/author")
FOAF = "http://xmlns.com/foaf/0.1/"


def _write_store(directory: Path, extra: list[pyoxigraph.Quad] | None = None) -> None:
    store = pyoxigraph.Store(str(directory))
    store.bulk_load(path=str(FIXTURE), format=pyoxigraph.RdfFormat.TURTLE)
    store.extend(extra or [])
    store.flush()
    del store


def _new_coauthor_of_zoe(name: str) -> list[pyoxigraph.Quad]:
    person = pyoxigraph.NamedNode(B + "person/new-" + name.lower().replace(" ", "-"))
    work = pyoxigraph.NamedNode(B + "work/new-with-" + name.lower().replace(" ", "-"))
    graph = pyoxigraph.DefaultGraph()
    return [
        pyoxigraph.Quad(person, pyoxigraph.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                        pyoxigraph.NamedNode(FOAF + "Person"), graph),
        pyoxigraph.Quad(person, pyoxigraph.NamedNode(FOAF + "name"), pyoxigraph.Literal(name), graph),
        pyoxigraph.Quad(work, SCHEMA_AUTHOR, pyoxigraph.NamedNode(ZOE), graph),
        pyoxigraph.Quad(work, SCHEMA_AUTHOR, person, graph),
    ]


def test_parsed_queries_are_kept_and_follow_their_files(tmp_path: Path) -> None:
    first = load_queries()
    assert load_queries()["coauthors"] is first["coauthors"]  # parsed once
    directory = tmp_path / "queries"
    directory.mkdir()
    path = directory / "q.rq"
    path.write_text("#+ summary: one\nSELECT ?x WHERE { }\n", encoding="utf-8")
    assert load_queries(directory)["q"].summary == "one"
    path.write_text("#+ summary: two\nSELECT ?x WHERE { }\n", encoding="utf-8")
    assert load_queries(directory)["q"].summary == "two"


def test_the_build_store_is_kept_open_while_unchanged(tmp_path: Path) -> None:
    _write_store(tmp_path / "oxigraph")
    backend = open_backend(graph_dir=tmp_path)
    assert open_backend(graph_dir=tmp_path) is backend
    assert open_backend(graph_dir=tmp_path / ".." / tmp_path.name) is backend
    before = run_query("coauthors", {"person": ZOE}, graph_dir=tmp_path).rows
    assert [row[0] for row in before][:1] == [ANA]
    assert run_query("coauthors", {"person": ZOE}, graph_dir=tmp_path).rows == before


def test_a_rebuilt_store_is_opened_again(tmp_path: Path) -> None:
    _write_store(tmp_path / "oxigraph")
    before = run_query("coauthors", {"person": "Zoé Durand"}, graph_dir=tmp_path).rows
    old = open_backend(graph_dir=tmp_path)
    with pytest.raises(QueryError, match="no person matches 'AARON ABLE'"):  # the names are looked up, and kept
        run_query("coauthors", {"person": "AARON ABLE"}, graph_dir=tmp_path)
    # as scholargraph build does: a new store beside the old one, then moved in its place
    _write_store(tmp_path / ".oxigraph.tmp", _new_coauthor_of_zoe("Aaron Able"))
    shutil.rmtree(tmp_path / "oxigraph")
    os.replace(tmp_path / ".oxigraph.tmp", tmp_path / "oxigraph")
    assert open_backend(graph_dir=tmp_path) is not old
    after = run_query("coauthors", {"person": "Zoé Durand"}, graph_dir=tmp_path).rows
    assert after == sorted([*before, (B + "person/new-aaron-able", "Aaron Able", 1, None, None)],
                           key=lambda row: (-row[2], row[1], row[0]))
    assert run_query("coauthors", {"person": "AARON ABLE"}, graph_dir=tmp_path).rows == [
        (ZOE, "Zoé Durand", 1, None, None)
    ]


def test_a_store_written_to_is_opened_again(tmp_path: Path) -> None:
    _write_store(tmp_path / "oxigraph")
    before = run_query("coauthors", {"person": ZOE}, graph_dir=tmp_path).rows
    store = pyoxigraph.Store(str(tmp_path / "oxigraph"))  # a writer while the read-only store is open
    store.extend(_new_coauthor_of_zoe("Zed Zulu"))
    store.flush()
    del store
    after = run_query("coauthors", {"person": ZOE}, graph_dir=tmp_path).rows
    assert after == [*before, (B + "person/new-zed-zulu", "Zed Zulu", 1, None, None)]


# --------------------------------------------------------------------------- the same table as the canned query


def _canned(store_dir: Path, params: dict[str, object]) -> ResultTable:
    """The canned query parsed afresh, bound and run on a newly opened store (nothing kept)."""
    path = resource_dir("queries") / "coauthors.rq"
    query = CannedQuery.from_text(path.read_text(encoding="utf-8"), "coauthors", path)
    backend = OxigraphBackend(pyoxigraph.Store.read_only(str(store_dir)))
    return backend.select(bind_query(query, params, backend))


def _variants(name: str) -> list[str]:
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return [name, name.upper(), name.lower(), plain, plain.upper(), f"  {name.lower()}  "]


def _assert_same(build_dir: Path, persons: list[tuple[str, str]], caps: tuple[int, ...], named: int = 0) -> int:
    """Every person by IRI with every cap, and by the variants of their name (only ``named``
    of them, accented names first, if given); the rows compared."""
    found = 0
    accented_first = sorted(persons, key=lambda p: (p[1].isascii(), p))
    by_name = set(accented_first[:named] if named else persons)
    for iri, name in persons:
        for cap in caps:
            params: dict[str, object] = {"person": iri, "max_authors": cap}
            table = run_query("coauthors", params, graph_dir=build_dir)
            assert table == _canned(build_dir / "oxigraph", params), (iri, cap)
            assert table.columns == ("coauthor", "name", "shared_works", "first_year", "last_year")
            found += len(table)
        if (iri, name) not in by_name:
            continue
        by_iri = run_query("coauthors", {"person": iri}, graph_dir=build_dir)
        for variant in _variants(name):
            try:
                table = run_query("coauthors", {"person": variant}, graph_dir=build_dir)
            except QueryError as exc:  # two persons share the folded name: the same error both ways
                with pytest.raises(QueryError, match="match"):
                    _canned(build_dir / "oxigraph", {"person": variant})
                assert "persons match" in str(exc)
                continue
            assert table == _canned(build_dir / "oxigraph", {"person": variant}) == by_iri, variant
    return found


def _persons(build_dir: Path) -> list[tuple[str, str]]:
    rows = run_query("people", graph_dir=build_dir).rows
    return sorted({(str(row[0]), str(row[1])) for row in rows})


def test_same_table_on_the_fixture(tmp_path: Path) -> None:
    _write_store(tmp_path / "oxigraph")
    persons = [(ZOE, "Zoé Durand"), (B + "person/emile-martin", "Émile Martin"), (CARLA, "Carla Ng")]
    assert _assert_same(tmp_path, persons, CAPS) > 0
    # a person without co-authors, an IRI nobody has: empty tables, as the canned query gives
    for person in (CARLA, "carla ng", B + "person/nobody"):
        empty = run_query("coauthors", {"person": person}, graph_dir=tmp_path)
        assert empty == _canned(tmp_path / "oxigraph", {"person": person})
        assert len(empty) == 0 and empty.columns[0] == "coauthor"
    # an unknown name is the same error as before
    with pytest.raises(QueryError, match="no person matches 'Marie Curie'"):
        run_query("coauthors", {"person": "Marie Curie"}, graph_dir=tmp_path)


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "build"
    build(Settings(data_dir=ROOT / "data", out_dir=out))
    return out


def test_same_table_on_the_sample_build(sample_build: Path) -> None:
    persons = _persons(sample_build)
    assert len(persons) > 10
    assert _assert_same(sample_build, persons, (2, 100)) > 0
    rows = run_query("coauthors", {"person": "clement le ludec"}, graph_dir=sample_build).rows
    assert [name for _, name, _, _, _ in rows][:2] == ["Antonio A. Casilli", "Paola Tubaro"]


def test_same_table_on_a_generated_corpus(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    generate.generate(tmp_path / "data", 20, seed=7)  # with hyperauthored works, spelling variants
    build(Settings(data_dir=tmp_path / "data", out_dir=tmp_path / "build"), validate=False)
    persons = _persons(tmp_path / "build")
    assert len(persons) > 100
    assert open_backend(graph_dir=tmp_path / "build").coauthor_index() is not None  # type: ignore[attr-defined]
    assert _assert_same(tmp_path / "build", persons, (3, 100), named=12) > 0


# --------------------------------------------------------------------------- the embedded store's form of the query


@pytest.fixture()
def memory_store() -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    store.load(path=str(FIXTURE), format=pyoxigraph.RdfFormat.TURTLE)
    return store


def _canned_on(store: pyoxigraph.Store, params: dict[str, object]) -> ResultTable:
    backend = OxigraphBackend(store)
    path = resource_dir("queries") / "coauthors.rq"
    query = CannedQuery.from_text(path.read_text(encoding="utf-8"), "coauthors", path)
    return backend.select(bind_query(query, params, backend))


def test_the_embedded_form_is_taken_only_for_the_packaged_query(memory_store: pyoxigraph.Store) -> None:
    import rdflib

    query = load_queries()["coauthors"]
    backend = OxigraphBackend(memory_store)
    terms = {"person": f"<{ZOE}>", "max_authors": "100"}
    fast = embedded_coauthors(query, terms, backend)
    assert fast is not None and fast == _canned_on(memory_store, {"person": ZOE}) and len(fast) == 4
    changed = CannedQuery.from_text(query.text + "# changed\n", "coauthors")
    assert embedded_coauthors(changed, terms, backend) is None
    assert embedded_coauthors(query, {"person": f"<{ZOE}>"}, backend) is None
    graph = rdflib.Graph().parse(FIXTURE, format="turtle")
    assert embedded_coauthors(query, terms, open_backend(store=graph)) is None
    assert run_query("coauthors", {"person": ZOE}, store=graph) == fast


def test_same_table_on_the_union_of_named_graphs(memory_store: pyoxigraph.Store) -> None:
    store = pyoxigraph.Store()
    quads = list(memory_store.quads_for_pattern(None, None, None, pyoxigraph.DefaultGraph()))
    store.extend(pyoxigraph.Quad(q.subject, q.predicate, q.object, pyoxigraph.NamedNode("urn:g:1")) for q in quads)
    store.extend(  # the authors and dates of works a second time, in another graph
        pyoxigraph.Quad(q.subject, q.predicate, q.object, pyoxigraph.NamedNode("urn:g:2"))
        for q in quads
        if q.predicate.value in ("https://schema.org/author", "https://schema.org/datePublished")
    )
    assert OxigraphBackend(store)._union
    for cap in CAPS:
        params: dict[str, object] = {"person": "zoe durand", "max_authors": cap}
        assert run_query("coauthors", params, store=store) == _canned_on(store, params)


def test_names_and_co_authors_sparql_orders_otherwise_fall_back(memory_store: pyoxigraph.Store) -> None:
    foaf_name = pyoxigraph.NamedNode(FOAF + "name")
    # a second, language-tagged name, and a co-author that is a blank node
    memory_store.add(pyoxigraph.Quad(pyoxigraph.NamedNode(ANA), foaf_name, pyoxigraph.Literal("Ana", language="es")))
    query = load_queries()["coauthors"]
    terms = {"person": f"<{ZOE}>", "max_authors": "100"}
    assert embedded_coauthors(query, terms, OxigraphBackend(memory_store)) is None
    assert run_query("coauthors", {"person": ZOE}, store=memory_store) == _canned_on(memory_store, {"person": ZOE})
    assert len(run_query("coauthors", {"person": ZOE}, store=memory_store)) == 5
    blank = pyoxigraph.BlankNode()
    work = pyoxigraph.NamedNode(B + "work/with-a-blank-node")
    memory_store.extend([
        pyoxigraph.Quad(blank, pyoxigraph.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                        pyoxigraph.NamedNode(FOAF + "Person")),
        pyoxigraph.Quad(blank, foaf_name, pyoxigraph.Literal("Anonymous")),
        pyoxigraph.Quad(work, SCHEMA_AUTHOR, pyoxigraph.NamedNode(B + "person/emile-martin")),
        pyoxigraph.Quad(work, SCHEMA_AUTHOR, blank),
    ])
    terms = {"person": f"<{B}person/emile-martin>", "max_authors": "100"}
    assert embedded_coauthors(query, terms, OxigraphBackend(memory_store)) is None
    params = {"person": B + "person/emile-martin"}
    assert run_query("coauthors", params, store=memory_store) == _canned_on(memory_store, params)


# --------------------------------------------------------------------------- the co-authors index of a built store

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
HUB = B + "person/hub"
INDEX_CAPS = (1, 2, 6, 99, 100, 101, 10**6)


def _t(subject: str | pyoxigraph.BlankNode, predicate: str, obj: object) -> pyoxigraph.Triple:
    s = subject if isinstance(subject, pyoxigraph.BlankNode) else pyoxigraph.NamedNode(subject)
    if isinstance(obj, str) and obj.startswith(("http://", "https://")):
        obj = pyoxigraph.NamedNode(obj)
    elif isinstance(obj, str):
        obj = pyoxigraph.Literal(obj)
    return pyoxigraph.Triple(s, pyoxigraph.NamedNode(predicate), obj)


def _person(iri: str, *names: str) -> list[pyoxigraph.Triple]:
    return [_t(iri, RDF_TYPE, FOAF + "Person"), *(_t(iri, FOAF + "name", n) for n in names)]


def _work(iri: str, authors: list[str], date: object = None, ranks: bool = True) -> list[pyoxigraph.Triple]:
    triples = [_t(iri, "https://schema.org/author", a) for a in authors]
    if ranks:
        for rank, author in enumerate(authors, 1):
            role = f"{iri}/role/{rank}"
            triples += [
                _t(iri, "http://purl.org/spar/pro/isDocumentContextFor", role),
                _t(role, "http://purl.org/spar/pro/isHeldBy", author),
                _t(role, "https://w3id.org/scholargraph/ns#authorRank",
                   pyoxigraph.Literal(str(rank), datatype=pyoxigraph.NamedNode(XSD + "positiveInteger"))),
            ]
    for value in date if isinstance(date, list) else [date] if date is not None else []:
        triples.append(_t(iri, "https://schema.org/datePublished", value))
    return triples


def _varied_graph() -> list[pyoxigraph.Triple]:
    """A hub with many co-authors; works with as many authors as the caps around them,
    undated works and odd dates; co-authors with two names, sharing a name, without a
    name or type; an organisation author; a person without co-authors."""
    date = pyoxigraph.NamedNode(XSD + "date")
    triples = _person(HUB, "Hub Person")
    coauthors = [B + f"person/c{n:03d}" for n in range(150)]
    for n, iri in enumerate(coauthors):
        names = ["Zoë Twice", "Ana Twice"] if n % 37 == 5 else ["Émile Même"] if n % 11 == 3 else [f"name {n % 50:02d}"]
        triples += _person(iri, *names)
    org = B + "org/council"
    triples += [_t(org, RDF_TYPE, FOAF + "Organization"), _t(org, FOAF + "name", "A Council")]
    unnamed, untyped = B + "person/unnamed", B + "person/untyped"
    triples += [_t(unnamed, RDF_TYPE, FOAF + "Person"), _t(untyped, FOAF + "name", "Not Typed")]
    triples += _person(B + "person/alone", "Alone") + _work(B + "work/alone", [B + "person/alone"], "2001")
    dates: list[object] = [
        pyoxigraph.Literal("2019-05-01", datatype=date), "2003", None, "n.d.", ["1999", "2021-01"], "-0500",
        pyoxigraph.Literal("2010", datatype=pyoxigraph.NamedNode(XSD + "gYear")), B + "date/iri", "20", None,
    ]
    for w in range(60):  # works of 2 to 6 authors: ranks at and around the small caps
        authors = [HUB, *(coauthors[(w * 7 + k * 13) % 150] for k in range(1 + w % 5))]
        if w % 9 == 4:
            authors.append(org)
        if w % 13 == 6:
            authors += [unnamed, untyped]
        triples += _work(B + f"work/w{w:02d}", authors, dates[w % len(dates)], ranks=w % 17 != 3)
    # hyperauthored at the default cap's boundary: 100 and 101 authors
    for size in (100, 101):
        authors = [HUB, *coauthors[:size - 1]]
        triples += _work(B + f"work/big{size}", authors, "2015")
    # a work the hub authored twice (two roles), and a work without the hub
    triples += _work(B + "work/twice", [HUB, coauthors[1], HUB], "2012")
    triples += _work(B + "work/others", [coauthors[2], coauthors[3]], "2020")
    return triples


def _index_persons() -> list[str]:
    """The hub, co-authors with one or two names, and persons with no co-author (the canned
    query takes 0.2 s with a small cap: not every person is tried)."""
    others = ("c000", "c001", "c005", "c014", "c042", "c149", "alone", "nobody", "unnamed", "untyped")
    return [HUB, B + "org/council", *(B + "person/" + name for name in others)]


@pytest.fixture(scope="module")
def indexed_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from scholargraph.dump import write_store

    out = tmp_path_factory.mktemp("indexed")
    write_store(_varied_graph(), out / "oxigraph")
    return out


def test_the_build_writes_the_index_and_it_gives_the_canned_table(indexed_build: Path) -> None:
    from scholargraph.network import COAUTHOR_INDEX

    assert (indexed_build / "oxigraph" / COAUTHOR_INDEX).is_file()
    index = open_backend(graph_dir=indexed_build).coauthor_index()  # type: ignore[attr-defined]
    assert index is not None
    canned = OxigraphBackend(pyoxigraph.Store.read_only(str(indexed_build / "oxigraph")))
    query = load_queries()["coauthors"]
    sizes = set()
    for person in _index_persons():
        for cap in INDEX_CAPS:
            expected = canned.select(bind_query(query, {"person": person, "max_authors": cap}, canned))
            assert index.coauthors(person, cap) == expected, (person, cap)
            assert run_query("coauthors", {"person": person, "max_authors": cap}, graph_dir=indexed_build) == expected
            sizes.add((person, cap, len(expected)))
    hub = [n for person, cap, n in sorted(sizes) if person == HUB]  # by cap
    assert hub == sorted(hub) and len(set(hub)) >= 4 and hub[0] > 0  # works without ranks are kept
    assert all(n == 0 for person, _, n in sizes if person.endswith(("/alone", "/nobody")))
    # the 101-author work counts from a cap of 101 on
    shared = {cap: run_query("coauthors", {"person": HUB, "max_authors": cap}, graph_dir=indexed_build).rows
              for cap in (99, 100, 101)}
    assert shared[99] != shared[100] != shared[101]
    rows = run_query("coauthors", {"person": HUB, "max_authors": 10**6}, graph_dir=indexed_build).rows
    assert {name for iri, name, *_ in rows if iri == B + "person/c005"} == {"Zoë Twice", "Ana Twice"}  # a row each
    assert len(rows) > 100 and "Émile Même" in {row[1] for row in rows}
    assert not {row[0] for row in rows} & {B + "org/council", B + "person/unnamed", B + "person/untyped", HUB}
    assert any(row[3] is None for row in rows) and any(row[3] == -50 for row in rows)


def test_the_sample_build_has_the_index(sample_build: Path) -> None:
    assert open_backend(graph_dir=sample_build).coauthor_index() is not None  # type: ignore[attr-defined]


def test_the_index_is_left_aside_once_the_store_is_written_to(tmp_path: Path) -> None:
    from scholargraph.dump import write_store
    from scholargraph.network import CoauthorIndex

    write_store(_varied_graph(), tmp_path / "oxigraph")
    assert CoauthorIndex.open(tmp_path / "oxigraph") is not None
    before = run_query("coauthors", {"person": HUB}, graph_dir=tmp_path).rows
    store = pyoxigraph.Store(str(tmp_path / "oxigraph"))
    store.extend(pyoxigraph.Quad(t.subject, t.predicate, t.object) for t in _person(B + "person/new", "Aaron New")
                 + _work(B + "work/new", [HUB, B + "person/new"]))
    store.flush()
    del store
    assert CoauthorIndex.open(tmp_path / "oxigraph") is None
    after = run_query("coauthors", {"person": HUB}, graph_dir=tmp_path)
    assert after == _canned(tmp_path / "oxigraph", {"person": HUB})
    assert len(after.rows) == len(before) + 1
    # rebuilt: a new index for the new store
    write_store(_varied_graph()[:-20], tmp_path / "oxigraph")
    assert CoauthorIndex.open(tmp_path / "oxigraph") is not None
    assert run_query("coauthors", {"person": HUB}, graph_dir=tmp_path) == _canned(tmp_path / "oxigraph", {"person": HUB})


def test_the_index_hands_back_what_sparql_orders_otherwise(tmp_path: Path) -> None:
    from scholargraph.dump import write_store
    from scholargraph.network import CoauthorIndex

    blank = pyoxigraph.BlankNode()
    extra = [
        _t(B + "person/c007", FOAF + "name", pyoxigraph.Literal("Siete", language="es")),
        _t(blank, RDF_TYPE, FOAF + "Person"), _t(blank, FOAF + "name", "Anonymous"),
        *_person(B + "person/p1", "P One"), *_person(B + "person/p2", "P Two"),
        *_work(B + "work/with-blank", [B + "person/p1", blank]),
    ]
    write_store(_varied_graph() + extra, tmp_path / "oxigraph")
    index = CoauthorIndex.open(tmp_path / "oxigraph")
    assert index is not None
    for person in (HUB, B + "person/p1"):
        assert index.coauthors(person, 100) is None  # a tagged name; a blank-node co-author
        table = run_query("coauthors", {"person": person}, graph_dir=tmp_path)
        assert table == _canned(tmp_path / "oxigraph", {"person": person}) and len(table) > 0
    assert index.coauthors(B + "person/p2", 100) is not None
    # the packaged query only
    query = load_queries()["coauthors"]
    backend = open_backend(graph_dir=tmp_path)
    changed = CannedQuery.from_text(query.text + "# changed\n", "coauthors")
    assert embedded_coauthors(changed, {"person": f"<{B}person/p2>", "max_authors": "100"}, backend) is None


@pytest.mark.parametrize(
    "rank",
    [pyoxigraph.Literal("7"), pyoxigraph.Literal("2.5", datatype=pyoxigraph.NamedNode(XSD + "decimal")),
     pyoxigraph.NamedNode(B + "rank/1")],
)
def test_no_index_where_ranks_are_not_integers(tmp_path: Path, rank: object) -> None:
    from scholargraph.dump import write_store
    from scholargraph.network import COAUTHOR_INDEX

    odd = _t(B + "work/w00/role/1", "https://w3id.org/scholargraph/ns#authorRank", rank)
    write_store([*_varied_graph(), odd], tmp_path / "oxigraph")
    assert not (tmp_path / "oxigraph" / COAUTHOR_INDEX).exists()
    for cap in (1, 2, 100):
        params: dict[str, object] = {"person": HUB, "max_authors": cap}
        assert run_query("coauthors", params, graph_dir=tmp_path) == _canned(tmp_path / "oxigraph", params)
