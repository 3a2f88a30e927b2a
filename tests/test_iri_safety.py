"""Text from documents never reaches the graph unescaped.

A small corpus whose names, titles and organisations hold ``<``, ``>``,
spaces, quotes, ``#``, braces, backslashes, newlines, tabs, right-to-left and
combining characters, in a file whose name has spaces and ``#``, is built with
:func:`scholargraph.build.build`; ``graph.ttl`` must then parse to the same
triples in rdflib, pyoxigraph and rapper (raptor2), every IRI must be a valid
IRI, and every literal must come back as the text the mapping gave it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import given, settings
from hypothesis import strategies as st

from scholargraph.build import build
from scholargraph.config import Settings
from scholargraph.identifiers import iri_segment, slug
from servers import in_ci

BASE = "https://example.org/scholargraph/"
# RFC 3987: characters an IRI never holds (besides controls and spaces): <>"{}|\^`
NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f-\x9f\u2028\u2029]')

CV_NAME = "cv jane #1.md"
CV = (
    "# Jane \"JD\" O'Doe <jane> #1\n"
    "\n"
    "## Publications\n"
    "\n"
    "- O'Doe, J., & Ro\\e, R. (2020). A title with <angle> brackets, \"quotes\", #hash, {braces} and \\backslash. "
    "*Journal of {Curly} \"Things\"*, 3(2), 1–20.\n"
    "- O'Doe, J. (2021). مرحبا بالعالم: a title in Arabic with combining e\u0301 and \u202eשלום. "
    "*Revue «Été»*, 1(1), 5–6.\n"
)
RESUME = {
    "basics": {"name": 'Ann "Quote" <Angle>\nNewline #Hash {B} \\ Back'},
    "work": [{"name": 'Org <A> "B" #C {D} \\ E\nF', "position": "Head\tof <things>", "startDate": "2020-01"}],
}
# The literals as the readers and the mapping give them (markup removed, names tidied).
EXPECTED_NAMES = {
    "J. O'Doe",
    "R. Ro\\e",
    'Ann "Quote" <Angle> Newline #Hash {b} \\ Back',
    'Org <A> "B" #C {D} \\ E\nF',
    'Journal of {Curly} "Things"',
    "Revue «Été»",
    'A title with ⟨angle⟩ brackets, "quotes", #hash, {braces} and \\backslash',
    "مرحبا بالعالم: a title in Arabic with combining e\u0301 and \u202eשלום",
    CV_NAME,
    "resume.json",
}


@pytest.fixture(scope="module")
def graph_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[ox.Triple]]:
    root = tmp_path_factory.mktemp("iri")
    data = root / "data"
    data.mkdir()
    (data / CV_NAME).write_text(CV, encoding="utf-8")
    (data / "resume.json").write_text(json.dumps(RESUME, ensure_ascii=False, indent=2), encoding="utf-8")
    result = build(Settings(data_dir=data, out_dir=root / "out"))
    return root / "out" / "graph.ttl", set(result.triples)


def oxigraph_triples(path: Path) -> set[ox.Triple]:
    return {quad.triple for quad in ox.parse(path=path, format=ox.RdfFormat.TURTLE)}


def test_iris_are_valid(graph_file: tuple[Path, set[ox.Triple]]) -> None:
    _, triples = graph_file
    iris = {t.value for triple in triples for t in (triple.subject, triple.predicate, triple.object) if isinstance(t, ox.NamedNode)}
    assert [iri for iri in iris if NOT_IN_IRI.search(iri)] == []
    assert f"{BASE}source/cv%20jane%20%231.md" in iris
    assert not any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples)


def test_literals_keep_the_text(graph_file: tuple[Path, set[ox.Triple]]) -> None:
    _, triples = graph_file
    names = {
        t.object.value
        for t in triples
        if isinstance(t.object, ox.Literal) and t.predicate.value.rsplit("/", 1)[-1] in ("name", "title")
    }
    assert names == EXPECTED_NAMES


def test_pyoxigraph_reads_back_what_was_written(graph_file: tuple[Path, set[ox.Triple]]) -> None:
    path, triples = graph_file
    assert oxigraph_triples(path) == triples


def test_rdflib_reads_back_what_was_written(graph_file: tuple[Path, set[ox.Triple]]) -> None:
    path, triples = graph_file
    graph = rdflib.Graph().parse(path, format="turtle")
    assert len(graph) == len(triples)
    # rdflib's own N-Triples, parsed by pyoxigraph: the same terms, character for character.
    again = {quad.triple for quad in ox.parse(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)}
    assert again == triples


def test_rapper_reads_back_what_was_written(graph_file: tuple[Path, set[ox.Triple]]) -> None:
    path, triples = graph_file
    rapper = shutil.which("rapper")
    if rapper is None:
        if in_ci():
            pytest.fail("rapper is not installed (CI installs raptor2-utils: see .ci/run)")
        pytest.skip("rapper is not installed (apt-get install raptor2-utils)")
    checked = subprocess.run([rapper, "-i", "turtle", "-c", path.as_uri()], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    assert f"returned {len(triples)} triples" in checked.stderr
    dumped = subprocess.run(
        [rapper, "-q", "-i", "turtle", "-o", "ntriples", path.as_uri()], capture_output=True, timeout=60, check=True
    )
    # rapper writes non-ASCII as \u escapes; pyoxigraph decodes them to the same terms.
    assert {quad.triple for quad in ox.parse(dumped.stdout, format=ox.RdfFormat.N_TRIPLES)} == triples


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60))
def test_minted_pieces_are_iri_safe(text: str) -> None:
    for piece in (slug(text), iri_segment(text)):
        assert not NOT_IN_IRI.search(piece), piece
        node = ox.NamedNode(BASE + "x/" + piece)
        assert rdflib.URIRef(node.value).n3() == f"<{node.value}>"
    assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*|x", slug(text))


def test_mapping_lines_refuse_an_iri_pyoxigraph_refuses() -> None:
    """The lines are written from strings, but every IRI still goes through pyoxigraph's check first."""
    from scholargraph.mapping import _Builder
    from scholargraph.resolve import resolve

    builder = _Builder(resolve([]), BASE)
    builder.add(BASE + "person/a", "http://xmlns.com/foaf/0.1/name", ox.Literal('say "hi"\n'))
    builder.add(BASE + "person/a", "https://schema.org/sameAs", "https://doi.org/10.1/é")
    assert builder.sorted_lines() == [
        f'<{BASE}person/a> <http://xmlns.com/foaf/0.1/name> "say \\"hi\\"\\n" .\n',
        f"<{BASE}person/a> <https://schema.org/sameAs> <https://doi.org/10.1/é> .\n",
    ]
    with pytest.raises(ValueError, match="Invalid IRI code point ' '"):
        builder.add(BASE + "person/a", "https://schema.org/sameAs", "https://doi.org/10.1/a b")
    assert len(builder.sorted_lines()) == 2
