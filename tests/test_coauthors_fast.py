"""The co-authors of one person through the Python API on a build's embedded store, fast
and unchanged: the parsed query files and the read-only store are kept between calls,
and a store whose files change (rebuilt, written to) is opened again."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyoxigraph

from scholargraph.queries import load_queries, open_backend, run_query

FIXTURE = Path(__file__).parent / "data" / "queries" / "graph.ttl"
B = "https://example.org/scholargraph/"
ZOE = B + "person/0000-0002-1825-0097"
ANA = B + "person/0000-0001-5109-3700"
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
    # as scholargraph build does: a new store beside the old one, then moved in its place
    _write_store(tmp_path / ".oxigraph.tmp", _new_coauthor_of_zoe("Aaron Able"))
    shutil.rmtree(tmp_path / "oxigraph")
    os.replace(tmp_path / ".oxigraph.tmp", tmp_path / "oxigraph")
    assert open_backend(graph_dir=tmp_path) is not old
    after = run_query("coauthors", {"person": "Zoé Durand"}, graph_dir=tmp_path).rows
    assert after == sorted([*before, (B + "person/new-aaron-able", "Aaron Able", 1, None, None)],
                           key=lambda row: (-row[2], row[1], row[0]))


def test_a_store_written_to_is_opened_again(tmp_path: Path) -> None:
    _write_store(tmp_path / "oxigraph")
    before = run_query("coauthors", {"person": ZOE}, graph_dir=tmp_path).rows
    store = pyoxigraph.Store(str(tmp_path / "oxigraph"))  # a writer while the read-only store is open
    store.extend(_new_coauthor_of_zoe("Zed Zulu"))
    store.flush()
    del store
    after = run_query("coauthors", {"person": ZOE}, graph_dir=tmp_path).rows
    assert after == [*before, (B + "person/new-zed-zulu", "Zed Zulu", 1, None, None)]
