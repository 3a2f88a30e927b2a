"""The embedded store's fast path for the co-authorship queries gives exactly what the
canned SPARQL queries give on the same store: on the query fixture, on the sample
build, on a generated corpus, with the hyperauthor cap low and high, and on a store
whose triples sit in named graphs (the union default graph of a loaded TriG)."""

from __future__ import annotations

import sys
from pathlib import Path

import pyoxigraph
import pytest

from scholargraph.build import build
from scholargraph.config import Settings
from scholargraph.network import NETWORK_QUERIES, embedded_network_tables, load_network
from scholargraph.queries import OxigraphBackend, bind_query, embedded_network, load_queries, run_query

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "data" / "queries" / "graph.ttl"
CAPS = (1, 2, 3, 5, 100, 101, 1000)


def _canned(store: pyoxigraph.Store, name: str, cap: int):  # type: ignore[no-untyped-def]
    backend = OxigraphBackend(store)
    return backend.select(bind_query(load_queries()[name], {"max_authors": cap}, backend))


def _assert_same(store: pyoxigraph.Store, caps: tuple[int, ...] = CAPS) -> None:
    for cap in caps:
        for name in NETWORK_QUERIES:
            fast = run_query(name, {"max_authors": cap}, store=store)
            assert fast == _canned(store, name, cap), (name, cap)


@pytest.fixture(scope="module")
def fixture_store() -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    store.load(path=str(FIXTURE), format=pyoxigraph.RdfFormat.TURTLE)
    return store


def test_fast_path_is_taken(fixture_store: pyoxigraph.Store) -> None:
    queries = load_queries()
    backend = OxigraphBackend(fixture_store)
    assert embedded_network(queries["coauthorship-network"], {}, backend) is not None
    assert embedded_network(queries["coauthors"], {}, backend) is None
    # a query of the same name with another text runs as written
    changed = queries["coauthorship-network"].__class__.from_text(
        queries["coauthorship-network"].text.replace("DESC(?weight)", "?weight"), "coauthorship-network"
    )
    assert embedded_network(changed, {}, backend) is None
    assert run_query(changed, {}, store=fixture_store) != run_query("coauthorship-network", store=fixture_store)


def test_same_rows_on_the_fixture(fixture_store: pyoxigraph.Store) -> None:
    _assert_same(fixture_store)
    assert len(run_query("coauthorship-network", store=fixture_store)) > 0


def test_same_rows_on_the_union_of_named_graphs(fixture_store: pyoxigraph.Store) -> None:
    store = pyoxigraph.Store()
    quads = list(fixture_store.quads_for_pattern(None, None, None, pyoxigraph.DefaultGraph()))
    # every triple in one graph, every author triple in a second graph as well
    store.extend(pyoxigraph.Quad(q.subject, q.predicate, q.object, pyoxigraph.NamedNode("urn:g:1")) for q in quads)
    store.extend(
        pyoxigraph.Quad(q.subject, q.predicate, q.object, pyoxigraph.NamedNode("urn:g:2"))
        for q in quads
        if q.predicate.value == "https://schema.org/author"
    )
    _assert_same(store, (2, 100))
    assert OxigraphBackend(store)._union


def test_falls_back_when_a_person_has_two_names(fixture_store: pyoxigraph.Store) -> None:
    store = pyoxigraph.Store()
    store.extend(fixture_store.quads_for_pattern(None, None, None, None))
    person = next(iter(store.query("SELECT ?p WHERE { [] <https://schema.org/author> ?p . ?p a <http://xmlns.com/foaf/0.1/Person> }")))[0]
    store.add(pyoxigraph.Quad(person, pyoxigraph.NamedNode("http://xmlns.com/foaf/0.1/name"), pyoxigraph.Literal("Another Name")))
    assert embedded_network_tables(store, 100) is None
    assert run_query("coauthorship-network", store=store) == _canned(store, "coauthorship-network", 100)


def test_same_rows_on_the_sample_build(tmp_path: Path) -> None:
    result = build(Settings(data_dir=ROOT / "data", out_dir=tmp_path / "build"))
    store = pyoxigraph.Store()
    store.bulk_extend(pyoxigraph.Quad(t.subject, t.predicate, t.object, pyoxigraph.DefaultGraph()) for t in result.triples)
    _assert_same(store, (1, 2, 100))
    network = load_network(graph_dir=tmp_path / "build")
    assert len(network.people) == len(_canned(store, "coauthorship-nodes", 100))


def test_same_rows_on_a_generated_corpus(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    generate.generate(tmp_path / "data", 40, seed=7)  # with hyperauthored works, spelling variants
    result = build(Settings(data_dir=tmp_path / "data", out_dir=tmp_path / "build"), validate=False)
    store = pyoxigraph.Store()
    store.bulk_extend(pyoxigraph.Quad(t.subject, t.predicate, t.object, pyoxigraph.DefaultGraph()) for t in result.triples)
    _assert_same(store, (3, 100, 200))
