"""The dumps (issue 5): deterministic bytes, the same graph in every parser, TriG graphs, VoID counts."""

from __future__ import annotations

import datetime
import gzip
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from scholargraph.build import find_documents, make_graph, read_documents
from scholargraph.config import Settings
from scholargraph.curated import load_curated
from scholargraph.dump import (
    CONTEXT,
    GRAPH_FILES,
    Canonical,
    dumps_from_build,
    graphs_of_subjects,
    jsonld_bytes,
    ntriples_bytes,
    run_dump_command,
    trig_bytes,
    turtle_bytes,
    write_dumps,
)
from scholargraph.errors import DocumentError
from scholargraph.mapping import Triple, build_triples, to_rdflib, triple_key
from scholargraph.records import Document
from scholargraph.resolve import resolve

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
VOCAB = Path(__file__).resolve().parent / "data" / "dump" / "vocab"
B = "https://example.org/scholargraph/"
CV = f"{B}source/cv-clement-le-ludec.md"
OPLA = f"{B}source/project-opla.txt"
WORK = f"{B}work/doi-10-13169-workorgalaboglob-14-1-0067"
ALL_FILES = [*GRAPH_FILES, *(f"{name}.gz" for name in GRAPH_FILES), "void.ttl"]
SETTINGS = Settings(data_dir=DATA, license="https://creativecommons.org/publicdomain/zero/1.0/", title="Sample graph")

VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
XSD = "http://www.w3.org/2001/XMLSchema#"


Sample = tuple[tuple[Document, ...], list[Triple]]


@pytest.fixture(scope="module")
def sample() -> Sample:
    documents, _, triples = make_graph(Settings(data_dir=DATA))
    return documents, triples


@pytest.fixture(scope="module")
def dumps(sample: Sample, tmp_path_factory: pytest.TempPathFactory) -> Path:
    documents, triples = sample
    out = tmp_path_factory.mktemp("dumps")
    paths = write_dumps(triples, documents, SETTINGS, out, gzip=True)
    assert [p.name for p in paths] == ALL_FILES
    return out


def ox_triples(data: bytes, fmt: ox.RdfFormat) -> set[Triple]:
    return {q.triple for q in ox.parse(data, format=fmt)}


def rapper(path: Path, syntax: str) -> bytes:
    """``rapper -i syntax -o nquads path``; fails when Raptor is missing (``.ci/run`` installs raptor2-utils)."""
    if shutil.which("rapper") is None:
        pytest.fail("rapper not found: apt-get install raptor2-utils (as .ci/run does)")
    done = subprocess.run(["rapper", "-q", "-i", syntax, "-o", "nquads", str(path)], capture_output=True, check=True)
    return done.stdout


# --------------------------------------------------------------------------- determinism


def test_same_input_gives_byte_identical_dumps(sample: Sample, dumps: Path, tmp_path: Path) -> None:
    documents, triples = make_graph(Settings(data_dir=DATA))[0::2]
    write_dumps(triples, documents, SETTINGS, tmp_path, gzip=True)
    for name in ALL_FILES:
        assert (tmp_path / name).read_bytes() == (dumps / name).read_bytes(), name


def test_documents_read_in_reverse_order_give_the_same_dumps(dumps: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=DATA)
    paths = find_documents(DATA, exclude=(settings.curated_path,))
    documents = list(reversed(read_documents(paths, DATA)))
    resolved = resolve(documents, load_curated(settings.curated_path))
    write_dumps(build_triples(resolved, settings.base_iri), documents, SETTINGS, tmp_path, gzip=True)
    for name in ALL_FILES:
        assert (tmp_path / name).read_bytes() == (dumps / name).read_bytes(), name


def test_triples_in_any_order_give_the_same_dumps(sample: Sample, dumps: Path, tmp_path: Path) -> None:
    documents, triples = sample
    shuffled = list(triples)
    random.Random(5).shuffle(shuffled)
    write_dumps(shuffled, documents, SETTINGS, tmp_path, gzip=True)
    for name in ALL_FILES:
        assert (tmp_path / name).read_bytes() == (dumps / name).read_bytes(), name


def test_another_process_writes_the_same_bytes(dumps: Path, tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path\n"
        "from scholargraph.build import make_graph\nfrom scholargraph.config import Settings\n"
        "from scholargraph.dump import write_dumps\n"
        "s = Settings(data_dir=Path(sys.argv[1]), license=sys.argv[3], title=sys.argv[4])\n"
        "d, _, t = make_graph(s)\nwrite_dumps(t, d, s, Path(sys.argv[2]), gzip=True)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(DATA), str(tmp_path), SETTINGS.license, SETTINGS.title], check=True)
    for name in ALL_FILES:
        assert (tmp_path / name).read_bytes() == (dumps / name).read_bytes(), name


def test_graph_ttl_is_the_turtle_the_build_writes(sample: Sample, dumps: Path) -> None:
    assert (dumps / "graph.ttl").read_bytes() == turtle_bytes(sample[1])


def test_ntriples_lines_are_sorted_and_one_per_triple(sample: Sample, dumps: Path) -> None:
    lines = (dumps / "graph.nt").read_bytes().split(b"\n")
    assert lines[-1] == b""
    assert lines[:-1] == sorted(lines[:-1])
    assert len(lines) - 1 == len(sample[1]) == 1344


def test_gzip_variants_decompress_to_the_dumps_and_carry_no_time_or_name(dumps: Path) -> None:
    for name in GRAPH_FILES:
        packed = (dumps / f"{name}.gz").read_bytes()
        assert gzip.decompress(packed) == (dumps / name).read_bytes()
        assert packed[:3] == b"\x1f\x8b\x08"
        assert packed[3] == 0  # flags: no FNAME, no comment, no extra
        assert packed[4:8] == b"\x00\x00\x00\x00"  # mtime 0


def test_without_gzip_no_gz_files_remain(sample: Sample, tmp_path: Path) -> None:
    documents, triples = sample
    write_dumps(triples, documents, SETTINGS, tmp_path, gzip=True)
    paths = write_dumps(triples, documents, SETTINGS, tmp_path)
    assert [p.name for p in paths] == [*GRAPH_FILES, "void.ttl"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*GRAPH_FILES, "void.ttl"])


# --------------------------------------------------------------------------- the same graph everywhere


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("graph.ttl", ox.RdfFormat.TURTLE), ("graph.nt", ox.RdfFormat.N_TRIPLES), ("graph.jsonld", ox.RdfFormat.JSON_LD)],
)
def test_each_dump_parses_to_the_graph_in_pyoxigraph(sample: Sample, dumps: Path, name: str, fmt: ox.RdfFormat) -> None:
    assert ox_triples((dumps / name).read_bytes(), fmt) == set(sample[1])


@pytest.mark.parametrize(("name", "fmt"), [("graph.ttl", "turtle"), ("graph.nt", "nt"), ("graph.jsonld", "json-ld")])
def test_each_dump_parses_to_the_graph_in_rdflib(sample: Sample, dumps: Path, name: str, fmt: str) -> None:
    parsed = rdflib.Graph().parse(dumps / name, format=fmt)
    assert set(parsed) == set(to_rdflib(sample[1]))
    assert not any(isinstance(term, rdflib.BNode) for triple in parsed for term in triple)


@pytest.mark.parametrize(("name", "syntax"), [("graph.ttl", "turtle"), ("graph.nt", "ntriples")])
def test_each_dump_parses_to_the_graph_in_rapper(sample: Sample, dumps: Path, name: str, syntax: str) -> None:
    # Raptor has no JSON-LD parser: graph.jsonld is checked by pyoxigraph and rdflib only.
    out = rapper(dumps / name, syntax)
    assert len(out.splitlines()) == 1344
    assert ox_triples(out, ox.RdfFormat.N_QUADS) == set(sample[1])


# --------------------------------------------------------------------------- TriG


DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
TITLE = "http://purl.org/dc/terms/title"


def expected_quads(triples: list[Triple]) -> set[ox.Quad]:
    """Each triple in one graph: a wasDerivedFrom in its source's, any other in its subject's first graph."""
    placement = graphs_of_subjects(triples)
    quads = set()
    for t in triples:
        graph = placement[t.subject.value][0]
        if t.predicate.value == DERIVED and isinstance(t.object, ox.NamedNode):
            graph = t.object.value.partition("#line=")[0]
        quads.add(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph)))
    return quads


def test_trig_has_one_named_graph_per_source_and_nothing_in_the_default_graph(sample: Sample, dumps: Path) -> None:
    quads = list(ox.parse((dumps / "graph.trig").read_bytes(), format=ox.RdfFormat.TRIG))
    assert {q.graph_name.value for q in quads} == {CV, OPLA}
    assert not any(isinstance(q.graph_name, ox.DefaultGraph) for q in quads)
    assert {q.triple for q in quads} == set(sample[1])  # the union is the graph: every triple is in a graph
    assert len(quads) == len(set(sample[1])) == 1344  # and in one graph only: no triple twice
    assert set(quads) == expected_quads(sample[1])


def test_trig_is_about_the_size_of_the_turtle(dumps: Path) -> None:
    assert (dumps / "graph.trig").stat().st_size < 1.1 * (dumps / "graph.ttl").stat().st_size


def test_trig_puts_a_work_named_twice_in_its_first_source_and_each_provenance_in_its_source(dumps: Path) -> None:
    quads = list(ox.parse((dumps / "graph.trig").read_bytes(), format=ox.RdfFormat.TRIG))
    work = [q for q in quads if q.subject.value == WORK]
    titles = [q for q in work if q.predicate.value == TITLE]
    assert titles and {q.graph_name.value for q in titles} == {CV}  # cv-… < project-…: the smaller IRI
    assert {(q.object.value, q.graph_name.value) for q in work if q.predicate.value == DERIVED} == {
        (f"{CV}#line=35,36", CV),
        (f"{OPLA}#line=31,32", OPLA),
    }
    assert {q.graph_name.value for q in work if q.predicate.value != DERIVED} == {CV}
    for role in (f"{WORK}/author/1", f"{WORK}/author/3", f"{WORK}/id/doi"):  # no provenance: with the work's first source
        assert {q.graph_name.value for q in quads if q.subject.value == role} == {CV}, role
    only_opla = f"{B}work/doi-10-1177-2053951720919776"
    assert {q.graph_name.value for q in quads if q.subject.value in (only_opla, f"{only_opla}/author/2")} == {OPLA}


def test_trig_places_nodes_with_their_sources(sample: Sample) -> None:
    placement = graphs_of_subjects(sample[1])
    assert set(placement) == {t.subject.value for t in sample[1]}  # every subject has a graph
    assert placement[CV] == (CV,) and placement[OPLA] == (OPLA,)  # a source's description: its own graph
    assert placement[WORK] == (CV, OPLA)  # derived from both documents: home CV, a wasDerivedFrom in OPLA
    # no provenance of their own: they go with the first source of the node that points to them
    for node in (f"{WORK}/author/1", f"{WORK}/author/3", f"{WORK}/id/doi", f"{WORK}/id/hal"):
        assert placement[node] == (CV,), node
    assert placement[f"{B}work/doi-10-1177-2053951720919776/author/1"] == (OPLA,)
    assert placement[f"{B}course/cultures-numeriques-uco-2020/audience"] == (CV,)
    assert placement[f"{B}person/clement-le-ludec"] == (CV, OPLA)
    assert placement[f"{B}periodical/work-organisation-labour-globalisation"] == (CV, OPLA)


def test_trig_parses_to_the_same_quads_in_rdflib_and_rapper(sample: Sample, dumps: Path) -> None:
    expected = expected_quads(sample[1])
    out = rapper(dumps / "graph.trig", "trig")
    assert {q for q in ox.parse(out, format=ox.RdfFormat.N_QUADS)} == expected
    dataset = rdflib.Dataset()
    dataset.parse(dumps / "graph.trig", format="trig")
    nquads = dataset.serialize(format="nquads", encoding="utf-8")
    assert {q for q in ox.parse(nquads, format=ox.RdfFormat.N_QUADS)} == expected


def hand_made() -> tuple[list[Triple], set[ox.Quad]]:
    """A small graph with three sources and every placement rule, and its quads, written out by hand."""
    a, b, c = (f"{B}source/{name}" for name in ("a.md", "b.md", "c.md"))
    work, work2, person, role = f"{B}work/w", f"{B}work/w2", f"{B}person/p", f"{B}work/w/author/1"
    shared, orphan = f"{B}venue/v", f"{B}orphan"
    foaf_name, sha = "http://xmlns.com/foaf/0.1/name", "https://w3id.org/scholargraph/ns#sha256"
    rows = [
        # a work named in b and a: title and links in a (the smaller), each wasDerivedFrom in its source
        (work, TITLE, ox.Literal('T "with" a> <b and\na newline', language="en"), a),
        (work, "http://purl.org/spar/pro/isDocumentContextFor", n(role), a),
        (work, DERIVED, n(f"{b}#line=1,2"), b),
        (work, DERIVED, n(f"{a}#line=3,4"), a),
        (work, DERIVED, n(f"{a}#line=9,10"), a),
        # no provenance of its own: with its work, and what it points to follows it transitively
        (role, "http://purl.org/spar/pro/isHeldBy", n(person), a),
        (role, "https://schema.org/about", n(shared), a),
        # another work, in c only, points to the same venue: the venue goes with a (a < c)
        (work2, DERIVED, n(f"{c}#line=5,6"), c),
        (work2, "https://schema.org/isPartOf", n(shared), c),
        (shared, "https://schema.org/name", ox.Literal("Venue"), a),
        # a person derived from c and b, untyped (wasDerivedFrom is its first line), with a literal provenance
        (person, DERIVED, n(f"{c}#line=7,8"), c),
        (person, DERIVED, n(f"{b}#line=2,3"), b),
        (person, DERIVED, ox.Literal("a note"), b),
        (person, foaf_name, ox.Literal("P"), b),
        # source descriptions: each in its own graph, even one derived from another source
        (a, sha, ox.Literal("0" * 64), a),
        (b, sha, ox.Literal("1" * 64), b),
        (c, TITLE, ox.Literal("c.md"), c),
        (c, DERIVED, n(f"{a}#line=1,1"), a),
        (c, sha, ox.Literal("2" * 64), c),
        (orphan, foaf_name, ox.Literal("nobody's"), None),
    ]
    triples = [Triple(n(s), n(p), o) for s, p, o, _ in rows]
    quads = {ox.Quad(n(s), n(p), o, ox.DefaultGraph() if g is None else n(g)) for s, p, o, g in rows}
    return triples, quads


def test_trig_of_a_hand_made_graph_has_each_triple_in_its_one_graph(tmp_path: Path) -> None:
    triples, expected = hand_made()
    data = trig_bytes(triples)
    quads = list(ox.parse(data, format=ox.RdfFormat.TRIG))
    assert len(quads) == len(triples) and set(quads) == expected
    placement = graphs_of_subjects(triples)
    assert placement[f"{B}work/w"] == (f"{B}source/a.md", f"{B}source/b.md")
    assert placement[f"{B}person/p"] == (f"{B}source/b.md", f"{B}source/c.md")
    assert placement[f"{B}source/c.md"] == (f"{B}source/c.md", f"{B}source/a.md")  # home first
    assert f"{B}orphan" not in placement
    shuffled = list(triples)
    random.Random(3).shuffle(shuffled)
    assert trig_bytes(shuffled) == data
    path = tmp_path / "hand.trig"
    path.write_bytes(data)
    assert set(ox.parse(rapper(path, "trig"), format=ox.RdfFormat.N_QUADS)) == expected
    dataset = rdflib.Dataset()
    dataset.parse(path, format="trig")
    nquads = dataset.serialize(format="nquads", encoding="utf-8")
    assert set(ox.parse(nquads, format=ox.RdfFormat.N_QUADS)) == expected


def test_trig_falls_back_to_ntriples_lines_when_the_turtle_is_not_cut_into_subjects() -> None:
    triples, expected = hand_made()
    canonical = Canonical(triples)
    data = trig_bytes(canonical, turtle=ntriples_bytes(canonical))  # one block per line, not per subject
    assert set(ox.parse(data, format=ox.RdfFormat.TRIG)) == expected


def test_a_subject_without_any_source_goes_to_the_default_graph() -> None:
    n = ox.NamedNode
    triples = [
        Triple(n(f"{B}person/a"), n("http://xmlns.com/foaf/0.1/name"), ox.Literal("A")),
        Triple(n(f"{B}person/a"), n("http://www.w3.org/ns/prov#wasDerivedFrom"), n(f"{B}source/x.md#line=0,1")),
        Triple(n(f"{B}person/a"), n("https://schema.org/knows"), n(f"{B}person/b")),
        Triple(n(f"{B}person/b"), n("http://xmlns.com/foaf/0.1/name"), ox.Literal("B")),  # follows a
        Triple(n(f"{B}orphan"), n("http://xmlns.com/foaf/0.1/name"), ox.Literal("C")),  # nobody
    ]
    quads = set(ox.parse(trig_bytes(triples), format=ox.RdfFormat.TRIG))
    g = n(f"{B}source/x.md")
    graphs: list[ox.NamedNode | ox.DefaultGraph] = [g, g, g, g, ox.DefaultGraph()]
    assert quads == {ox.Quad(t.subject, t.predicate, t.object, graph) for t, graph in zip(triples, graphs)}


# --------------------------------------------------------------------------- JSON-LD


def test_jsonld_reads_as_plain_schema_org_json(dumps: Path) -> None:
    document = json.loads((dumps / "graph.jsonld").read_text(encoding="utf-8"))
    assert list(document) == ["@context", "@graph"]
    assert document["@context"] == CONTEXT and CONTEXT["@vocab"] == "https://schema.org/"
    nodes = {node["@id"]: node for node in document["@graph"]}
    assert [node["@id"] for node in document["@graph"]] == sorted(nodes)
    assert all(list(node) == sorted(node) for node in nodes.values())
    work = nodes[WORK]
    assert work["@type"] == ["fabio:JournalArticle", "ScholarlyArticle"]
    assert work["author"] == [f"{B}person/antonio-a-casilli", f"{B}person/clement-le-ludec", f"{B}person/paola-tubaro"]
    assert work["datePublished"] == {"@type": "xsd:gYearMonth", "@value": "2020-09"}
    assert work["volumeNumber"] == "14"
    assert work["isPartOf"] == f"{B}periodical/work-organisation-labour-globalisation"
    assert work["sameAs"] == ["https://doi.org/10.13169/workorgalaboglob.14.1.0067", "https://hal.science/hal-02898905"]
    assert work["prov:wasDerivedFrom"] == [f"{CV}#line=35,36", f"{OPLA}#line=31,32"]
    assert work["name"]["@language"] == "en" and work["name"]["@value"].startswith("Counting ‘micro-workers’")
    role = nodes[f"{WORK}/author/1"]
    assert role == {
        "@id": f"{WORK}/author/1",
        "@type": "pro:RoleInTime",
        "oco:hasNext": f"{WORK}/author/2",
        "pro:isHeldBy": f"{B}person/paola-tubaro",
        "pro:withRole": "http://purl.org/spar/pro/author",
        "sg:authorRank": "1",
    }
    person = nodes[f"{B}person/clement-le-ludec"]
    assert person["@type"] == ["foaf:Person", "Person"] and person["foaf:name"] == "Clément Le Ludec"


def n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


TRICKY = [
    Triple(n(f"{B}x"), n("https://schema.org/description"), ox.Literal('line\nbreak "quoted" back\\slash \t\x01\x7f é 𝄞')),
    Triple(n(f"{B}x"), n("https://schema.org/description"), ox.Literal("html a> <b and a> \"c")),
    Triple(n(f"{B}x"), n("https://schema.org/name"), ox.Literal("Titre", language="fr")),
    Triple(n(f"{B}x"), n("https://schema.org/name"), ox.Literal("Title", language="en-GB")),
    Triple(n(f"{B}x"), n("https://schema.org/author"), ox.Literal("not an IRI")),  # literal on an @id term
    Triple(n(f"{B}x"), n("https://w3id.org/scholargraph/ns#authorRank"), ox.Literal("2")),  # xsd:string on a typed term
    Triple(n(f"{B}x"), n("https://w3id.org/scholargraph/ns#authorRank"), ox.Literal("3", datatype=n(f"{XSD}integer"))),
    Triple(n(f"{B}x"), n("https://schema.org/foaf"), ox.Literal("local name equal to a prefix")),
    Triple(n(f"{B}x"), n("https://schema.org/about"), n(f"{B}x/y")),
    Triple(n(f"{B}x"), n("https://schema.org/knows"), n(f"{B}x/y")),  # IRI on a term without @id
    Triple(n(f"{B}x"), n("http://example.com/other#p"), ox.Literal("1", datatype=n("http://example.com/dt"))),
    Triple(n(f"{B}x"), n("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), n("https://schema.org/Thing")),
    Triple(n(f"{B}x"), n("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.Literal("a literal type")),
    Triple(n(f"{B}x/y"), n("https://schema.org/name"), ox.Literal("")),
    Triple(n(f"{B}x-y"), n("https://schema.org/name"), ox.Literal("y")),
    Triple(n(f"{B}x"), n("https://schema.org/sameAs"), n(f"{B}x-y")),
    Triple(n(f"{B}x"), n("https://schema.org/sameAs"), n(f"{B}x")),
]


@pytest.mark.parametrize("fmt", ["turtle", "nt", "json-ld", "trig"])
def test_awkward_terms_and_literals_round_trip(fmt: str, tmp_path: Path) -> None:
    canonical = Canonical(TRICKY)
    data = {"turtle": turtle_bytes(TRICKY), "nt": ntriples_bytes(canonical), "json-ld": jsonld_bytes(canonical),
            "trig": trig_bytes(canonical)}[fmt]
    ox_format = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "json-ld": ox.RdfFormat.JSON_LD,
                 "trig": ox.RdfFormat.TRIG}[fmt]
    assert ox_triples(data, ox_format) == set(TRICKY)
    path = tmp_path / "data"
    path.write_bytes(data)
    if fmt == "trig":
        dataset = rdflib.Dataset()
        dataset.parse(path, format="trig")
        parsed = {(s, p, o) for s, p, o, _ in dataset.quads()}
    else:
        parsed = set(rdflib.Graph().parse(path, format=fmt))
    assert parsed == set(to_rdflib(TRICKY))


def test_canonical_order_is_triple_key_order_whatever_the_input_order() -> None:
    shuffled = list(TRICKY)
    random.Random(1).shuffle(shuffled)
    assert Canonical(shuffled).triples == sorted(TRICKY, key=triple_key)
    assert jsonld_bytes(shuffled) == jsonld_bytes(TRICKY)
    plain = [t for t in TRICKY if "a> <b" not in str(t.object)]  # the fast key, without the fallback
    random.Random(2).shuffle(plain)
    assert Canonical(plain).triples == sorted(plain, key=triple_key)


def test_empty_graph_gives_empty_but_valid_dumps(tmp_path: Path) -> None:
    paths = write_dumps([], (), Settings(), tmp_path, gzip=True)
    assert [p.name for p in paths] == ALL_FILES
    assert (tmp_path / "graph.nt").read_bytes() == b""
    assert json.loads((tmp_path / "graph.jsonld").read_bytes())["@graph"] == []
    assert ox_triples((tmp_path / "graph.trig").read_bytes(), ox.RdfFormat.TRIG) == set()


# --------------------------------------------------------------------------- VoID


def void_graph(dumps: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(dumps / "void.ttl", format="turtle")


def one(graph: rdflib.Graph, subject: str, predicate: str) -> rdflib.term.Node:
    values = list(graph.objects(rdflib.URIRef(subject), rdflib.URIRef(predicate)))
    assert len(values) == 1, (subject, predicate, values)
    return values[0]


def number(node: rdflib.term.Node) -> int:
    assert isinstance(node, rdflib.Literal)
    return int(node)


def test_void_counts_equal_the_real_counts(sample: Sample, dumps: Path) -> None:
    triples = sample[1]
    graph = void_graph(dumps)
    dataset = f"{B}dataset"
    assert one(graph, dataset, f"{VOID}triples") == rdflib.Literal(1344, datatype=rdflib.URIRef(f"{XSD}integer"))
    subjects = {t.subject.value for t in triples}
    assert number(one(graph, dataset, f"{VOID}entities")) == len(subjects) == 197
    assert number(one(graph, dataset, f"{VOID}distinctSubjects")) == 197
    typed: dict[str, set[str]] = {}
    used: dict[str, int] = {}
    for t in triples:
        used[t.predicate.value] = used.get(t.predicate.value, 0) + 1
        if t.predicate.value.endswith("#type"):
            assert isinstance(t.object, ox.NamedNode)
            typed.setdefault(t.object.value, set()).add(t.subject.value)
    partitions = {
        str(one(graph, str(p), f"{VOID}class")): number(one(graph, str(p), f"{VOID}entities"))
        for p in graph.objects(rdflib.URIRef(dataset), rdflib.URIRef(f"{VOID}classPartition"))
    }
    assert partitions == {cls: len(members) for cls, members in typed.items()}
    assert partitions["http://xmlns.com/foaf/0.1/Person"] == 11
    assert partitions["http://purl.org/spar/fabio/JournalArticle"] == 8
    properties = {
        str(one(graph, str(p), f"{VOID}property")): number(one(graph, str(p), f"{VOID}triples"))
        for p in graph.objects(rdflib.URIRef(dataset), rdflib.URIRef(f"{VOID}propertyPartition"))
    }
    assert properties == used
    assert number(one(graph, dataset, f"{VOID}classes")) == len(typed) == 31
    assert number(one(graph, dataset, f"{VOID}properties")) == len(used) == 53


def test_void_describes_licence_base_inputs_and_files(sample: Sample, dumps: Path) -> None:
    graph = void_graph(dumps)
    dataset = f"{B}dataset"
    assert one(graph, dataset, "http://purl.org/dc/terms/license") == rdflib.URIRef(SETTINGS.license)
    assert one(graph, dataset, "http://purl.org/dc/terms/title") == rdflib.Literal("Sample graph")
    assert one(graph, dataset, f"{VOID}uriSpace") == rdflib.Literal(B)
    assert not list(graph.objects(rdflib.URIRef(dataset), rdflib.URIRef("http://purl.org/dc/terms/issued")))
    inputs = set(graph.objects(rdflib.URIRef(dataset), rdflib.URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")))
    assert inputs == {rdflib.URIRef(CV), rdflib.URIRef(OPLA)}
    documents = {f"{B}source/{d.path}": d.sha256 for d in sample[0]}
    for source, sha256 in documents.items():
        assert str(one(graph, source, "https://w3id.org/scholargraph/ns#sha256")) == sha256
    files = {}
    for distribution in graph.objects(rdflib.URIRef(dataset), rdflib.URIRef(f"{DCAT}distribution")):
        name = str(one(graph, str(distribution), "http://purl.org/dc/terms/title"))
        files[name] = (
            number(one(graph, str(distribution), f"{DCAT}byteSize")),
            str(one(graph, str(distribution), f"{DCAT}mediaType")).rsplit("/media-types/", 1)[1],
            [str(o) for o in graph.objects(distribution, rdflib.URIRef(f"{DCAT}compressFormat"))],
        )
    iana = "https://www.iana.org/assignments/media-types/application/gzip"
    assert files == {
        "graph.ttl": ((dumps / "graph.ttl").stat().st_size, "text/turtle", []),
        "graph.nt": ((dumps / "graph.nt").stat().st_size, "application/n-triples", []),
        "graph.jsonld": ((dumps / "graph.jsonld").stat().st_size, "application/ld+json", []),
        "graph.trig": ((dumps / "graph.trig").stat().st_size, "application/trig", []),
        "graph.ttl.gz": ((dumps / "graph.ttl.gz").stat().st_size, "text/turtle", [iana]),
        "graph.nt.gz": ((dumps / "graph.nt.gz").stat().st_size, "application/n-triples", [iana]),
        "graph.jsonld.gz": ((dumps / "graph.jsonld.gz").stat().st_size, "application/ld+json", [iana]),
        "graph.trig.gz": ((dumps / "graph.trig.gz").stat().st_size, "application/trig", [iana]),
    }


def test_void_has_the_build_date_only_when_given(sample: Sample, tmp_path: Path) -> None:
    documents, triples = sample
    write_dumps(triples, documents, SETTINGS, tmp_path, build_date=datetime.date(2026, 11, 22))
    graph = void_graph(tmp_path)
    issued = one(graph, f"{B}dataset", "http://purl.org/dc/terms/issued")
    assert issued == rdflib.Literal("2026-11-22", datatype=rdflib.URIRef(f"{XSD}date"))


def defined_terms() -> set[str]:
    """Every IRI that is a subject in the vocabulary copies or in ontology/sg.ttl."""
    terms: set[str] = set()
    for path in sorted(VOCAB.iterdir()):
        fmt = {".ttl": ox.RdfFormat.TURTLE, ".nq": ox.RdfFormat.N_QUADS}.get(path.suffix)
        if fmt is not None:
            terms |= {q.subject.value for q in ox.parse(path=path, format=fmt) if isinstance(q.subject, ox.NamedNode)}
    terms |= {q.subject.value for q in ox.parse(path=ROOT / "ontology" / "sg.ttl", format=ox.RdfFormat.TURTLE)
              if isinstance(q.subject, ox.NamedNode)}
    return terms


def test_void_uses_only_defined_terms(dumps: Path) -> None:
    defined = defined_terms()
    builtin = ("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://www.w3.org/2001/XMLSchema#")
    used = set()
    for t in ox_triples((dumps / "void.ttl").read_bytes(), ox.RdfFormat.TURTLE):
        used.add(t.predicate.value)
        if t.predicate.value.endswith("#type") and isinstance(t.object, ox.NamedNode) and not t.object.value.startswith(B):
            used.add(t.object.value)
    undefined = sorted(term for term in used if term not in defined and not term.startswith(builtin))
    assert undefined == []
    assert f"{VOID}classPartition" in used and f"{DCAT}byteSize" in used


def test_void_parses_in_rapper(dumps: Path) -> None:
    out = rapper(dumps / "void.ttl", "turtle")
    assert ox_triples(out, ox.RdfFormat.N_QUADS) == ox_triples((dumps / "void.ttl").read_bytes(), ox.RdfFormat.TURTLE)


# --------------------------------------------------------------------------- the dump command


def test_dump_command_rewrites_the_same_dumps_from_graph_ttl(dumps: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(dumps / "graph.ttl", tmp_path / "graph.ttl")
    assert run_dump_command(tmp_path, True, settings=SETTINGS) == 0
    assert capsys.readouterr().out.splitlines() == [str(tmp_path / name) for name in ALL_FILES]
    for name in ALL_FILES:
        assert (tmp_path / name).read_bytes() == (dumps / name).read_bytes(), name


def test_dump_command_without_a_build_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_dump_command(tmp_path, False) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path / 'graph.ttl'}: no graph to dump; run `scholargraph build` first (or pass its --out)\n"
    )
    (tmp_path / "graph.ttl").write_text("<a> <b> .", encoding="utf-8")
    with pytest.raises(DocumentError, match="not valid Turtle"):
        dumps_from_build(tmp_path, Settings())


def test_documents_from_another_build_are_refused(sample: Sample, tmp_path: Path) -> None:
    documents, triples = sample
    without_cv = [t for t in triples if t.subject.value != CV]
    with pytest.raises(DocumentError, match="cv-clement-le-ludec.md: the graph has no source description"):
        write_dumps(without_cv, documents, SETTINGS, tmp_path)
