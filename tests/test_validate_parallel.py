"""validate_triples (partitioned, parallel, cached) reports exactly what validate_graph reports.

``validate_graph`` on one rdflib graph is the reference.  Each comparison
runs ``validate_triples`` twice: with every chunk validated on its own (the
strictest form of the partition: a chunk sees nothing but its own triples)
and in two worker processes.  The pySHACL fast paths are compared with
pySHACL left alone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF

from scholargraph import validate as validation
from scholargraph.mapping import from_rdflib, rdflib_term, triple_lines
from scholargraph.validate import (
    ValidationReport,
    load_shapes,
    validate_graph,
    validate_triples,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from bench_validate import DEFECTS, generate  # noqa: E402

sys.path.pop(0)

from test_validate import EXPECTED, VALID, broken  # noqa: E402

SH = "http://www.w3.org/ns/shacl#"
DATA = Path(__file__).resolve().parents[1] / "data"




def to_rdflib(triples: list[ox.Triple]) -> Graph:
    graph = Graph()
    graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode(), format="nt")
    return graph


def top_level_messages(report: ValidationReport) -> list[str]:
    graph = report.report_graph
    sh_result = URIRef(SH + "result")
    return sorted(
        str(m) for r in graph.objects(None, sh_result) for m in graph.objects(r, URIRef(SH + "resultMessage"))
    )


def assert_same(graph: Graph, triples: list[ox.Triple], monkeypatch: pytest.MonkeyPatch, **kwargs: object) -> ValidationReport:
    reference = validate_graph(graph, source_root="data/")
    with monkeypatch.context() as patch:
        patch.setattr(validation, "_ISOLATE_CHUNKS", True)
        isolated = validate_triples(triples, source_root="data/", jobs=1, **kwargs)  # type: ignore[arg-type]
    with monkeypatch.context() as patch:
        patch.setattr(validation, "PARALLEL_MIN_TRIPLES", 0)
        parallel = validate_triples(triples, source_root="data/", jobs=2, **kwargs)  # type: ignore[arg-type]
    with monkeypatch.context() as patch:  # many small batches per worker, as on a big graph
        patch.setattr(validation, "PARALLEL_MIN_TRIPLES", 0)
        patch.setattr(validation, "BATCH_MAX_TRIPLES", 300)
        sliced = validate_triples(triples, source_root="data/", jobs=2, **kwargs)  # type: ignore[arg-type]
    for report in (isolated, parallel, sliced):
        assert report.results == reference.results
        assert report.counts() == reference.counts()
        assert report.conforms is reference.conforms
        assert set(top_level_messages(report)) == set(top_level_messages(reference))
        conforms = list(report.report_graph.objects(None, URIRef(SH + "conforms")))
        assert conforms == [Literal(reference.conforms)]
    return parallel


@pytest.fixture(scope="module")
def valid_graph() -> Graph:
    return Graph().parse(VALID)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_every_broken_graph_the_same(valid_graph: Graph, case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    graph = broken(valid_graph, case)
    report = assert_same(graph, from_rdflib(graph), monkeypatch)
    assert [r.format_line() for r in report.results] == EXPECTED[case]


def test_several_defects_at_once(valid_graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    graph = broken(valid_graph, "author-gap", "identifier-structure", "position", "work-authors", "provenance")
    assert_same(graph, from_rdflib(graph), monkeypatch)


def test_valid_graph_and_empty_graph(valid_graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    report = assert_same(valid_graph, from_rdflib(valid_graph), monkeypatch)
    assert report.results == () and report.conforms
    empty = validate_triples([])
    assert empty.conforms and empty.results == ()


def test_blank_nodes_and_literal_focus_nodes(valid_graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blank nodes stay in one chunk with their neighbours; a literal author is reported once."""
    graph = Graph()
    graph += valid_graph
    work = URIRef("https://example.org/scholargraph/work/halshs-03041375")
    identifier = BNode("dangling")
    graph.add((work, URIRef("http://purl.org/spar/datacite/hasIdentifier"), identifier))
    graph.add((identifier, URIRef("http://purl.org/spar/datacite/usesIdentifierScheme"), URIRef("http://purl.org/spar/datacite/doi")))
    graph.add((work, URIRef("https://schema.org/author"), Literal("Anonymous")))
    other = URIRef("https://example.org/scholargraph/work/doi-10-13169-workorgalaboglob-14-1-0067")
    graph.add((other, URIRef("https://schema.org/author"), Literal("Anonymous")))
    report = assert_same(graph, from_rdflib(graph), monkeypatch)
    assert any(r.focus == "dangling" for r in report.results)
    assert sum(r.focus == "Anonymous" for r in report.results) == 1


def test_types_reached_through_subclasses(valid_graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    """sh:class follows rdfs:subClassOf in the data: every chunk gets those triples."""
    graph = broken(valid_graph, "position")
    person = URIRef("https://example.org/scholargraph/person/0000-0002-1694-233X")
    special = URIRef("https://example.org/SpecialOrganization")
    graph.add((person, RDF.type, special))
    graph.add((special, URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf"), URIRef("http://xmlns.com/foaf/0.1/Organization")))
    assert_same(graph, from_rdflib(graph), monkeypatch)


@pytest.fixture(scope="module")
def sample_triples(tmp_path_factory: pytest.TempPathFactory) -> list[ox.Triple]:
    from scholargraph.build import make_graph
    from scholargraph.config import Settings

    settings = Settings(data_dir=DATA, out_dir=tmp_path_factory.mktemp("build"))
    _documents, _resolved, triples = make_graph(settings, jobs=1)
    return list(triples)


def test_sample_build_the_same(sample_triples: list[ox.Triple], monkeypatch: pytest.MonkeyPatch) -> None:
    graph = to_rdflib(sample_triples)
    assert len(graph) == len(set(sample_triples))
    assert len(validation._partition(triple_lines(sample_triples), "", inverse_links=validation._inverse_links())) > 1
    assert_same(graph, sample_triples, monkeypatch)


def test_sample_build_with_defects_the_same(sample_triples: list[ox.Triple], monkeypatch: pytest.MonkeyPatch) -> None:
    graph = to_rdflib(sample_triples)
    roles = sorted(graph.subjects(RDF.type, URIRef("http://purl.org/spar/pro/RoleInTime")))
    rank = URIRef("https://w3id.org/scholargraph/ns#authorRank")
    graph.set((roles[0], rank, Literal(7, datatype=URIRef("http://www.w3.org/2001/XMLSchema#positiveInteger"))))
    person = sorted(graph.subjects(RDF.type, URIRef("http://xmlns.com/foaf/0.1/Person")))[0]
    graph.remove((person, URIRef("http://xmlns.com/foaf/0.1/name"), None))
    report = assert_same(graph, from_rdflib(graph), monkeypatch)
    assert not report.conforms


def test_benchmark_graph_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = generate(30_000, seed=11)
    report = assert_same(graph, from_rdflib(graph), monkeypatch)
    violations = sorted((r.shape, r.message) for r in report.results if r.severity == "Violation")
    assert len(violations) == len(DEFECTS)
    for shape, start in DEFECTS:
        assert any(s == shape and m.startswith(start) for s, m in violations)


def test_big_graphs_are_validated_in_bounded_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = generate(30_000, seed=11)
    chunks = validation._partition(
        triple_lines(from_rdflib(graph)), validation._shapes_digest(None), inverse_links=validation._inverse_links()
    )
    total = sum(chunk.size for chunk in chunks)
    assert len(validation._batches(chunks, 2)) == 2  # under BATCH_MAX_TRIPLES: one batch per worker
    monkeypatch.setattr(validation, "BATCH_MAX_TRIPLES", 5_000)
    batches = validation._batches(chunks, 2)
    assert len(batches) == -(-total // 5_000)
    assert sorted(chunk.key for batch in batches for chunk in batch) == sorted(chunk.key for chunk in chunks)
    biggest = max(chunk.size for chunk in chunks)
    assert max(sum(chunk.size for chunk in batch) for batch in batches) <= max(2 * 5_000, biggest)


def test_fast_paths_change_no_result(valid_graph: Graph) -> None:
    """The pySHACL fast paths against pySHACL as it is, on every broken graph together."""
    shapes = load_shapes()
    namespaces = validation._namespace_manager(shapes)
    for case in sorted(EXPECTED) + ["author-gap,identifier-structure,work-types,event"]:
        graph = broken(valid_graph, *case.split(","))
        found = []
        for fast in (False, True):
            report = validation._run_pyshacl(graph, shapes, inplace=True, fast=fast)
            found.append(validation._read_results(report, graph, shapes, namespaces, ""))
        assert found[0] == found[1], case


def test_custom_shapes_are_one_chunk(valid_graph: Graph, tmp_path: Path) -> None:
    shapes = Graph().parse(
        data="@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
        "<https://example.org/NoNicks> sh:targetClass foaf:Person ; sh:property [ sh:path foaf:nick ;"
        ' sh:minCount 1 ; sh:message "needs a nickname" ] .\n',
        format="turtle",
    )
    report = validate_triples(from_rdflib(valid_graph), shapes=shapes, cache_dir=tmp_path)
    assert report.results == validate_graph(valid_graph, shapes).results
    assert report.counts()["Violation"] == 3
    assert len(list(tmp_path.glob("*.json"))) == 1


# --------------------------------------------------------------------------
# The cache


def test_cache_hits_and_changed_documents(
    sample_triples: list[ox.Triple], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "validation"
    first = validate_triples(sample_triples, source_root="data/", cache_dir=cache, jobs=1)
    entries = sorted(p.name for p in cache.glob("*.json"))
    chunks = validation._partition(triple_lines(sample_triples), validation._shapes_digest(None), inverse_links=validation._inverse_links())
    assert len(entries) == len(chunks) > 1
    entry = json.loads((cache / entries[0]).read_text(encoding="utf-8"))
    assert set(entry) == {"format", "results", "report"}

    validated: list[int] = []
    original = validation._validate_batch

    def counting(batch: list, shapes: object = None) -> dict:
        validated.append(len(batch))
        return original(batch, shapes)

    monkeypatch.setattr(validation, "_validate_batch", counting)
    again = validate_triples(sample_triples, source_root="other/", cache_dir=cache, jobs=1)
    assert validated == []  # every chunk from the cache
    assert [r.format_line() for r in again.results] == [
        r.format_line().replace("data/", "other/", 1) if r.source else r.format_line() for r in first.results
    ]

    # One document changes: a title in it is lost; only its chunk is validated again.
    work = next(
        t.subject
        for t in sample_triples
        if t.predicate.value == "http://purl.org/dc/terms/title" and "/work/" in t.subject.value
    )
    changed = [t for t in sample_triples if not (t.subject == work and t.predicate.value == "http://purl.org/dc/terms/title")]
    report = validate_triples(changed, source_root="data/", cache_dir=cache, jobs=1)
    assert sum(validated) == 1
    assert report.results == validate_graph(to_rdflib(changed), source_root="data/").results
    assert any("work has no dcterms:title" in r.message for r in report.results)
    # Entries this validation did not use are gone.
    assert len(list(cache.glob("*.json"))) == len(chunks)


def test_cache_key_covers_the_shapes(valid_graph: Graph, tmp_path: Path) -> None:
    triples = from_rdflib(broken(valid_graph, "person-no-name"))
    validate_triples(triples, cache_dir=tmp_path)
    own = Graph().parse(
        data="@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
        "<https://example.org/S> sh:targetClass foaf:Person ; sh:property [ sh:path foaf:nick ; sh:minCount 1 ] .\n",
        format="turtle",
    )
    report = validate_triples(triples, shapes=own, cache_dir=tmp_path)
    assert {r.shape for r in report.results} == {"<https://example.org/S>"}


def test_unreadable_cache_entries_are_validated_again(valid_graph: Graph, tmp_path: Path) -> None:
    triples = from_rdflib(broken(valid_graph, "author-gap"))
    first = validate_triples(triples, cache_dir=tmp_path)
    for entry in tmp_path.glob("*.json"):
        entry.write_text("{not json", encoding="utf-8")
    assert validate_triples(triples, cache_dir=tmp_path).results == first.results


def test_oxigraph_preselection_on_odd_literals(valid_graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SPARQL checks' targets chosen by Oxigraph: literals where the engines could differ."""
    xsd = "http://www.w3.org/2001/XMLSchema#"
    schema = "https://schema.org/"
    graph = Graph()
    graph += valid_graph
    role = URIRef("https://example.org/scholargraph/role/clement-le-ludec-education-m-a-in-politics-sciences-po-2017")
    position = next(iter(graph.subjects(RDF.type, URIRef(schema + "EmployeeRole"))))
    graph.set((role, URIRef(schema + "startDate"), Literal("2020\n", datatype=URIRef(xsd + "gYear"))))
    graph.set((role, URIRef(schema + "endDate"), Literal("2019-6", datatype=URIRef(xsd + "gYearMonth"))))
    graph.set((position, URIRef(schema + "startDate"), Literal("2021-02-30", datatype=URIRef(xsd + "date"))))
    graph.set((position, URIRef(schema + "endDate"), Literal("٢٠٢٠", datatype=URIRef(xsd + "gYear"))))
    rank = URIRef("https://w3id.org/scholargraph/ns#authorRank")
    roles = sorted(graph.subjects(RDF.type, URIRef("http://purl.org/spar/pro/RoleInTime")))
    graph.set((roles[0], rank, Literal("01", datatype=URIRef(xsd + "positiveInteger"))))
    graph.set((roles[1], rank, Literal("+3", datatype=URIRef(xsd + "positiveInteger"))))
    # ("two"^^xsd:positiveInteger is left out: rdflib's SPARQL engine, hence
    # validate_graph, raises decimal.InvalidOperation on it in sg:AuthorChainCheck.)
    value = URIRef("http://www.essepuntato.it/2010/06/literalreification/hasLiteralValue")
    orcids = sorted(graph.subjects(URIRef("http://purl.org/spar/datacite/usesIdentifierScheme"), URIRef("http://purl.org/spar/datacite/orcid")))
    graph.set((orcids[0], value, Literal("0000-0002-1694-233x")))
    graph.set((orcids[1], value, Literal("0000-0002-1825-0097", lang="en")))
    report = assert_same(graph, from_rdflib(graph), monkeypatch)
    assert {"sg:DateTypeShape", "sg:AuthorChainShape"} <= {r.shape for r in report.results}


ODD_TERMS_NT = """\
<http://example.org/a> <http://example.org/p> <http://example.org/b> .
<http://example.org/a> <http://example.org/p> "plain" .
<http://example.org/a> <http://example.org/p> "with \\"quotes\\", a \\\\ and\\na new line" .
<http://example.org/a> <http://example.org/p> "tab\\there" .
<http://example.org/a> <http://example.org/q> "Thèse, ça"@fr .
<http://example.org/a> <http://example.org/q> "2019"^^<http://www.w3.org/2001/XMLSchema#gYear> .
<http://example.org/a> <http://example.org/q> "x"^^<http://www.w3.org/2001/XMLSchema#string> .
<http://example.org/a> <http://example.org/q> " spaces  inside . "@en-GB .
_:b1 <http://example.org/p> <http://example.org/a> .
<http://example.org/b> <http://example.org/p> _:b1 .
<http://example.org/é> <http://example.org/p> "0042"^^<http://www.w3.org/2001/XMLSchema#integer> .
"""


def canonical_lines(text: str) -> list[str]:
    """The lines as validate_triples' partition writes them: pyoxigraph's N-Triples forms."""
    quads = ox.parse(text.encode(), format=ox.RdfFormat.N_TRIPLES)
    return [f"{q.subject} {q.predicate} {q.object} .\n" for q in quads]


def test_worker_reads_lines_into_the_terms_rdflib_parses() -> None:
    lines = canonical_lines(ODD_TERMS_NT)
    terms: dict[str, object] = {}
    rows = validation._rdflib_rows(lines, terms)
    # the terms the parser's pyoxigraph terms convert to (blank node labels kept), with their types
    reference = [
        tuple(rdflib_term(term) for term in (q.subject, q.predicate, q.object))
        for q in ox.parse(ODD_TERMS_NT.encode(), format=ox.RdfFormat.N_TRIPLES)
    ]
    assert len(rows) == 11
    assert [tuple((type(t), t) for t in row) for row in rows] == [tuple((type(t), t) for t in row) for row in reference]
    assert Literal('with "quotes", a \\ and\na new line') in {o for _s, _p, o in rows}
    assert Literal("x") in {o for _s, _p, o in rows}  # xsd:string is rdflib's plain literal
    assert terms["_:b1"] == BNode("b1")
    assert terms['"Thèse, ça"@fr'] == Literal("Thèse, ça", lang="fr")


def test_worker_store_answers_every_pattern_as_rdflib() -> None:
    lines = canonical_lines(ODD_TERMS_NT)
    rows = validation._rdflib_rows(lines, {})
    fast = Graph(store=validation._OneGraphStore())
    fast.store.load(rows + rows[:3], fast)  # a triple given twice is one triple
    reference = Graph()
    for row in rows:
        reference.add(row)
    assert len(fast) == len(reference) == 11
    assert list(fast.store.contexts()) == [fast]
    a, b, p = URIRef("http://example.org/a"), URIRef("http://example.org/b"), URIRef("http://example.org/p")
    year = Literal("2019", datatype=URIRef("http://www.w3.org/2001/XMLSchema#gYear"))
    for s in (None, a, BNode("b1"), URIRef("http://example.org/none")):
        for pred in (None, p, URIRef("http://example.org/q")):
            for o in (None, b, a, BNode("b1"), year, Literal("plain")):
                assert sorted(fast.triples((s, pred, o))) == sorted(reference.triples((s, pred, o))), (s, pred, o)
    # another graph of the same store sees nothing
    assert list(Graph(store=fast.store, identifier=URIRef("http://example.org/other")).triples((None, None, None))) == []
    with pytest.raises(NotImplementedError, match="read-only"):
        fast.add((a, p, b))


def test_validation_tells_its_batches(valid_graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = triple_lines(from_rdflib(valid_graph))
    monkeypatch.setattr(validation, "PARALLEL_MIN_TRIPLES", 0)
    monkeypatch.setattr(validation, "BATCH_MAX_TRIPLES", 50)
    chunks = validation._partition(lines, validation._shapes_digest(None), inverse_links=validation._inverse_links())
    for jobs in (1, 2):
        total = len(validation._batches(chunks, jobs))
        assert total > 2
        heard: list[tuple[int, int]] = []
        validation.validate_lines(lines, jobs=jobs, progress=lambda done, n: heard.append((done, n)))
        assert heard == [(done, total) for done in range(total + 1)]


def backwards_lines_into(lines: list[str], nodes: set[str]) -> set[str]:
    """The backwards-read lines from other nodes into ``nodes``."""
    inverse = validation._inverse_links()
    found = set()
    for line in lines:
        s, p, o = line[:-3].split(" ", 2)
        if p in inverse and o in nodes and s not in nodes:
            found.add(line)
    return found


def test_shared_components_have_chunks_of_their_own(sample_triples: list[ox.Triple], monkeypatch: pytest.MonkeyPatch) -> None:
    """A component with more than SHARED_MIN_LINES lines (its own and the backwards-read ones into it)
    is a group of its own, named after its smallest node; the backwards-read lines into it are in its
    chunk and their subjects' only."""
    monkeypatch.setattr(validation, "SHARED_MIN_LINES", 20)
    lines = triple_lines(sample_triples)
    chunks = validation._partition(lines, "", inverse_links=validation._inverse_links())
    shared = [chunk for chunk in chunks if chunk.group.startswith("(shared ")]
    assert shared
    texts = {chunk.group: set(chunk.text.splitlines(keepends=True)) for chunk in chunks}
    owners = {chunk.group: set(chunk.owned) for chunk in chunks}
    linked = 0
    for chunk in shared:
        assert chunk.group == f"(shared {min(chunk.owned)})"
        owned = set(chunk.owned)
        own = {line for line in lines if line.split(" ", 1)[0] in owned}
        into = backwards_lines_into(lines, owned)
        assert len(own) + len(into) > 20
        assert own | into <= texts[chunk.group]
        for group, text in texts.items():
            if group != chunk.group:
                assert all(line.split(" ", 1)[0] in owners[group] for line in into & text)
        linked += bool(into)
    assert linked
    assert_same(to_rdflib(sample_triples), sample_triples, monkeypatch)


def test_benchmark_graph_with_shared_components_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validation, "SHARED_MIN_LINES", 20)
    graph = generate(10_000, seed=5)
    triples = from_rdflib(graph)
    chunks = validation._partition(triple_lines(triples), "", inverse_links=validation._inverse_links())
    assert any(chunk.group.startswith("(shared ") for chunk in chunks)
    assert_same(graph, triples, monkeypatch)
