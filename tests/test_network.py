"""The co-authorship network: loaded from the fixture graph, written as GraphML,
GEXF, CSV and pictures, and read back exactly; a seeded synthetic network of
500 people for the picture and the layout's determinism."""

from __future__ import annotations

import csv
import io
import random
import re
import xml.etree.ElementTree as ET
from collections import Counter
from itertools import combinations
from pathlib import Path

import networkx as nx
import pyoxigraph
import pytest

from scholargraph.errors import QueryError
from scholargraph.network import (
    CoauthorNetwork,
    Collaboration,
    NetworkPerson,
    draw_network,
    load_network,
    run_network_command,
    write_network,
)

GRAPH = Path(__file__).parent / "data" / "queries" / "graph.ttl"
B = "https://example.org/scholargraph/"
ZOE = B + "person/0000-0002-1825-0097"
ANA = B + "person/0000-0001-5109-3700"
EMILE = B + "person/emile-martin"
BOB = B + "person/bob-stone"
BOBBY = B + "person/bobby-stone"

NODES = {ZOE: ("Zoé Durand", 6), EMILE: ("Émile Martin", 3), ANA: ("Ana García", 2), BOB: ("Bob Stone", 1),
         BOBBY: ("Bobby Stone", 1)}
EDGES = {
    (ANA, ZOE): (2, 2020, 2020),
    (ZOE, EMILE): (2, 2020, 2021),
    (ANA, BOB): (1, None, None),
    (ANA, EMILE): (1, 2020, 2020),
    (ZOE, BOB): (1, None, None),
    (ZOE, BOBBY): (1, 2018, 2018),
}


def synthetic_network(people: int, seed: int = 1, labs: int | None = None) -> CoauthorNetwork:
    """A seeded co-authorship network with labs, preferential attachment and a few
    cross-lab works, built the way the graph's queries would count it."""
    rng = random.Random(seed)
    labs = labs or max(1, people // 18)
    first = ["Ana", "Bruno", "Chloé", "David", "Élise", "Farid", "Giulia", "Hugo", "Inès", "Jonas", "Katarzyna",
             "Léo", "Maïa", "Nils", "Océane", "Paolo", "Quentin", "Rosa", "Samir", "Théo", "Ursula", "Victor",
             "Wen", "Xavier", "Yasmine", "Zoé"]
    last = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
            "Simon", "Laurent", "Lefèvre", "Michel", "García", "David", "Bertrand", "Roux", "Vincent", "Fournier",
            "Morel", "Girard", "André", "Lefebvre", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Nguyen"]
    names = []
    seen: set[str] = set()
    while len(names) < people:
        name = f"{rng.choice(first)} {rng.choice(last)}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    iris = [f"{B}person/synthetic-{i:04d}" for i in range(people)]
    lab_of = [rng.randrange(labs) for _ in range(people)]
    members: dict[int, list[int]] = {}
    for i, lab in enumerate(lab_of):
        members.setdefault(lab, []).append(i)
    works: Counter[int] = Counter()
    shared: Counter[tuple[int, int]] = Counter()
    activity = [1.0] * people
    everyone = list(range(people))
    for _ in range(people * 2):
        lead = rng.choices(everyone, weights=activity)[0]
        lab = members[lab_of[lead]]
        size = min(len(lab), rng.choice([1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 6]))
        team = {lead}
        while len(team) < size:
            candidates = lab if rng.random() < 0.93 else everyone
            team.add(rng.choices(candidates, weights=[activity[c] for c in candidates])[0])
        for member in team:
            works[member] += 1
            activity[member] += 1.0
        for a, b in combinations(sorted(team, key=lambda i: iris[i]), 2):
            shared[(a, b)] += 1
    nodes = sorted((i for i in range(people) if works[i]), key=lambda i: (-works[i], names[i], iris[i]))
    edges = sorted(shared.items(), key=lambda kv: (-kv[1], iris[kv[0][0]], iris[kv[0][1]]))
    return CoauthorNetwork(
        people=tuple(NetworkPerson(iris[i], names[i], works[i]) for i in nodes),
        edges=tuple(Collaboration(iris[a], iris[b], w) for (a, b), w in edges),
    )


@pytest.fixture(scope="module")
def store() -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    store.load(path=str(GRAPH), format=pyoxigraph.RdfFormat.TURTLE)
    return store


@pytest.fixture(scope="module")
def network(store: pyoxigraph.Store) -> CoauthorNetwork:
    return load_network(store=store)


def test_network_from_the_graph(network: CoauthorNetwork) -> None:
    assert {p.iri: (p.name, p.works) for p in network.people} == NODES
    assert [p.iri for p in network.people] == [ZOE, EMILE, ANA, BOB, BOBBY]
    assert {(e.source, e.target): (e.weight, e.first_year, e.last_year) for e in network.edges} == EDGES
    assert network.max_authors == 100 and network.ego is None


def test_cap_and_ego(store: pyoxigraph.Store) -> None:
    wide = load_network(store=store, max_authors=101)
    assert len(wide.people) == 5 + 99 and len(wide.edges) == 6 + 5050 - 1
    ego = load_network(store=store, person="Bob Stone")
    assert ego.ego == BOB
    assert [p.iri for p in ego.people] == [ZOE, ANA, BOB]
    assert {(e.source, e.target) for e in ego.edges} == {(ANA, ZOE), (ANA, BOB), (ZOE, BOB)}
    with pytest.raises(QueryError, match="no person matches"):
        load_network(store=store, person="Nobody Here")


def test_graphml_reads_back_exactly(network: CoauthorNetwork, tmp_path: Path) -> None:
    written = write_network(network, tmp_path)
    assert sorted(p.name for p in written) == [
        "coauthorship.gexf", "coauthorship.graphml", "coauthorship.png", "coauthorship.svg", "edges.csv",
        "nodes.csv",
    ]
    graph = nx.read_graphml(tmp_path / "coauthorship.graphml")
    assert {n: (d["label"], d["works"]) for n, d in graph.nodes(data=True)} == NODES
    read_edges = {}
    for a, b, d in graph.edges(data=True):
        key = (a, b) if (a, b) in EDGES else (b, a)
        read_edges[key] = (d["weight"], d.get("first_year"), d.get("last_year"))
    assert read_edges == EDGES
    assert all(isinstance(d["weight"], int) for _, _, d in graph.edges(data=True))


def test_gexf_reads_back_exactly(network: CoauthorNetwork, tmp_path: Path) -> None:
    write_network(network, tmp_path)
    graph = nx.read_gexf(tmp_path / "coauthorship.gexf")
    assert {n: (d["label"], d["works"]) for n, d in graph.nodes(data=True)} == NODES
    weights = {}
    for a, b, d in graph.edges(data=True):
        key = (a, b) if (a, b) in EDGES else (b, a)
        weights[key] = d["weight"]
    assert weights == {k: v[0] for k, v in EDGES.items()}
    # Gephi reads the label and weight from the GEXF elements themselves
    root = ET.parse(tmp_path / "coauthorship.gexf").getroot()
    ns = {"g": root.tag[1:].split("}")[0]}
    labels = {n.get("id"): n.get("label") for n in root.iterfind(".//g:node", ns)}
    assert labels == {iri: name for iri, (name, _) in NODES.items()}


def test_csv_edge_and_node_lists(network: CoauthorNetwork, tmp_path: Path) -> None:
    write_network(network, tmp_path)
    edges = list(csv.reader((tmp_path / "edges.csv").open(encoding="utf-8")))
    assert edges[0] == ["source", "target", "weight", "first_year", "last_year"]
    assert edges[1:] == [
        [ANA, ZOE, "2", "2020", "2020"],
        [ZOE, EMILE, "2", "2020", "2021"],
        [ANA, BOB, "1", "", ""],
        [ANA, EMILE, "1", "2020", "2020"],
        [ZOE, BOB, "1", "", ""],
        [ZOE, BOBBY, "1", "2018", "2018"],
    ]
    nodes = list(csv.reader((tmp_path / "nodes.csv").open(encoding="utf-8")))
    assert nodes == [["id", "label", "works"]] + [[iri, name, str(w)] for iri, (name, w) in NODES.items()]


def test_pictures_are_deterministic_and_labelled(network: CoauthorNetwork, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for directory in (first, second):
        directory.mkdir()
        draw_network(network, [directory / "n.svg", directory / "n.png"])
    assert (first / "n.svg").read_bytes() == (second / "n.svg").read_bytes()
    assert (first / "n.png").read_bytes() == (second / "n.png").read_bytes()
    assert (first / "n.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (first / "n.svg").read_text(encoding="utf-8")
    # every person is named in a small network, as SVG text
    assert sorted(_svg_names(svg, network)) == sorted(name for name, _ in NODES.values())


def _svg_names(svg: str, network: CoauthorNetwork) -> list[str]:
    """The person names written in an SVG picture, in drawing order."""
    names = {p.name for p in network.people}
    return [t for t in re.findall(r">([^<>]+)</text>", svg) if t in names]


def test_synthetic_network_is_seeded() -> None:
    a, b = synthetic_network(500, seed=3), synthetic_network(500, seed=3)
    assert a == b and a != synthetic_network(500, seed=4)
    assert len(a.people) > 400 and len(a.edges) > 1000


def test_big_network_labels_only_the_most_prolific(tmp_path: Path) -> None:
    network = synthetic_network(500, seed=3)
    draw_network(network, [tmp_path / "big.svg", tmp_path / "big.png"])
    svg = (tmp_path / "big.svg").read_text(encoding="utf-8")
    names = _svg_names(svg, network)
    degree = Counter(iri for e in network.edges for iri in (e.source, e.target))
    top = sorted(network.people, key=lambda p: (-p.works, -degree[p.iri], p.name))
    assert names[0] == top[0].name
    # at most the 30 most prolific are named, fewer where names would overlap
    assert 15 <= len(names) <= 30 and set(names) <= {p.name for p in top[:30]}
    draw_network(network, [tmp_path / "again.png"])
    assert (tmp_path / "again.png").read_bytes() == (tmp_path / "big.png").read_bytes()


def test_run_network_command(tmp_path: Path) -> None:
    build = tmp_path / "build"
    build.mkdir()
    (build / "graph.ttl").write_bytes(GRAPH.read_bytes())
    out = io.StringIO()
    assert run_network_command("Zoé Durand", build, None, tmp_path / "net", stream=out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == "5 people, 6 links"
    assert f"wrote {tmp_path / 'net' / 'coauthorship.graphml'}" in lines
    graph = nx.read_graphml(tmp_path / "net" / "coauthorship.graphml")
    assert sorted(graph.nodes) == sorted(NODES)
    assert run_network_command(None, tmp_path / "missing", None, tmp_path / "x", stream=out) == 1
