"""Nothing lost: every non-blank line of every sample document is cited, unmapped or markup.

Each folder of documents (``data/`` and the folders of ``tests/data/``) is
built into a temporary directory with :func:`scholargraph.build.make_graph`;
then, for each document a reader accepts, :mod:`scholargraph.accounting`
checks its lines against the provenance of the graph.  Documents that lose
lines today are strict xfails naming the module that loses them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from scholargraph.accounting import cited_lines, citations, read_texts, source_iri, unaccounted, unaccounted_lines
from scholargraph.build import find_documents, make_graph
from scholargraph.mapping import triple_lines
from scholargraph.config import Settings
from scholargraph.errors import DocumentError
from scholargraph.readers import read_document
from scholargraph.records import Document, Span, Unmapped

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://example.org/scholargraph/"
NO_CURATION = ".no-curated.yaml"  # a name that never exists: curated.yaml in tests/data/formats is a document
FOLDERS: dict[str, tuple[Path, str]] = {"data": (ROOT / "data", "curated.yaml")}
for folder in sorted((ROOT / "tests" / "data").iterdir()):
    if folder.is_dir() and folder.name != "bad" and find_documents(folder):
        FOLDERS[f"tests/data/{folder.name}"] = (folder, NO_CURATION)

DOCUMENTS = [
    (name, path.relative_to(folder).as_posix())
    for name, (folder, curated) in FOLDERS.items()
    for path in find_documents(folder, exclude=(folder / curated,))
]

# Documents that lose lines today (found by this test): (folder, document) → the lines and who loses them.
_SKILLS = (
    "resolve.py: a PersonFacts record (skills, keywords) adds knows_about to the person but not its span, "
    "so no prov:wasDerivedFrom cites lines "
)
KNOWN_LOSSES: dict[tuple[str, str], str] = {}
# Documents that crash the build of their folder: built alone (and expected to fail), the folder without them.
BUILT_ALONE: dict[tuple[str, str], str] = {}


class Built:
    """One folder's accepted documents, built; computed once per folder."""

    cache: dict[str, tuple[dict[str, Document], dict[str, list[int]], dict[str, str]]] = {}

    @classmethod
    def get(cls, name: str, tmp_root: Path) -> tuple[dict[str, Document], dict[str, list[int]], dict[str, str]]:
        if name not in cls.cache:
            folder, curated = FOLDERS[name]
            data = tmp_root / name.replace("/", "_")
            refused: dict[str, str] = {}
            for path in find_documents(folder, exclude=(folder / curated,)):
                relative = path.relative_to(folder).as_posix()
                if (name, relative) in BUILT_ALONE:
                    continue
                try:
                    read_document(path, relative)
                except DocumentError as error:
                    refused[relative] = error.message
                    continue
                (data / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, data / relative)
            if (folder / curated).exists():
                shutil.copy(folder / curated, data / curated)
            documents, _, triples = make_graph(Settings(data_dir=data, out_dir=tmp_root / "out", curated=curated))
            by_path = {d.path: d for d in documents}
            lost = unaccounted(documents, triples, BASE, read_texts(documents, data))
            cls.cache[name] = (by_path, lost, refused)
        return cls.cache[name]


@pytest.mark.parametrize(
    ("folder", "document"),
    [
        pytest.param(
            folder,
            document,
            id=f"{folder}/{document}",
            marks=[pytest.mark.xfail(strict=True, reason=reason)]
            if (reason := KNOWN_LOSSES.get((folder, document)) or BUILT_ALONE.get((folder, document)))
            else [],
        )
        for folder, document in DOCUMENTS
    ],
)
def test_every_line_is_accounted_for(folder: str, document: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    documents, lost, refused = Built.get(folder, tmp_path_factory.getbasetemp() / "accounting")
    if document not in documents and document not in refused:  # not part of its folder's build
        alone = tmp_path_factory.mktemp("alone")
        shutil.copy(FOLDERS[folder][0] / document, alone / document)
        built, _, triples = make_graph(Settings(data_dir=alone, out_dir=alone / "out", curated=NO_CURATION))
        documents = {d.path: d for d in built}
        lost = unaccounted(built, triples, BASE, read_texts(built, alone))
    if document in refused:
        pytest.skip(f"no reader accepts it: {refused[document]}")
    assert document in documents
    assert lost.get(document, []) == []


# --------------------------------------------------------------------------- the functions themselves


def doc(unmapped: tuple[Unmapped, ...] = (), markup: tuple[int, ...] = ()) -> Document:
    return Document("cv.md", "markdown-cv", "0" * 64, 6, (), None, unmapped, markup)


def test_cited_lines_follow_rfc_5147() -> None:
    source = source_iri(BASE, "cv.md")
    derived = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
    entity = ox.NamedNode(BASE + "person/a")
    triples = [
        ox.Triple(entity, derived, ox.NamedNode(f"{source}#line=0,1")),  # line 1
        ox.Triple(entity, derived, ox.NamedNode(f"{source}#line=3,5")),  # lines 4 and 5
        ox.Triple(entity, derived, ox.NamedNode(f"{source}#line=9")),  # a position: no line
        ox.Triple(entity, derived, ox.NamedNode(f"{source_iri(BASE, 'other.md')}#line=6,7")),
        ox.Triple(entity, ox.NamedNode("http://example.org/cites"), ox.NamedNode(f"{source}#line=1,2")),
    ]
    assert cited_lines(triples, source) == {1, 4, 5}
    assert cited_lines(triples, source_iri(BASE, "other.md")) == {7}
    assert cited_lines(triples, source_iri(BASE, "missing.md")) == set()
    assert set(citations(triples)) == {source, source_iri(BASE, "other.md")}
    # the same triples as N-Triples lines (what the build hands on), and a literal that only looks like a citation
    lines = triple_lines(triples)
    lines.append(f'<{BASE}person/a> <http://example.org/note> " <http://www.w3.org/ns/prov#wasDerivedFrom> <{source}#line=20,21> ." .\n')
    assert citations(lines) == citations(triples) == {source: {1, 4, 5}, source_iri(BASE, "other.md"): {7}}


def test_source_iri_is_the_one_the_mapping_mints(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "sub dir").mkdir(parents=True)
    (data / "sub dir" / "cv #1.md").write_text("# Jane Doe\n\n## Positions\n\n- 2020 Researcher, University of Nantes\n")
    documents, _, triples = make_graph(Settings(data_dir=data, out_dir=tmp_path / "out"))
    assert [d.path for d in documents] == ["sub dir/cv #1.md"]
    iri = source_iri(BASE, "sub dir/cv #1.md")
    assert iri == BASE + "source/sub%20dir/cv%20%231.md"
    assert ox.NamedNode(iri) in {t.subject for t in triples}
    assert cited_lines(triples, iri) >= {1, 5}
    assert unaccounted(documents, triples, BASE, read_texts(documents, data)) == {}


def test_unaccounted_lines() -> None:
    text = "# Jane Doe\n\n## Positions\n\n- 2020 Researcher\n- 2021 Lecturer\n   \n"
    unmapped = (Unmapped(Span("cv.md", 6, 6), "- 2021 Lecturer", "no organisation"),)
    assert unaccounted_lines(doc(), text, set()) == [1, 3, 5, 6]
    assert unaccounted_lines(doc(markup=(1, 3)), text, {5}) == [6]
    assert unaccounted_lines(doc(unmapped, (1, 3)), text, {5}) == []
    assert unaccounted_lines(doc(unmapped, (1, 3)), text.replace("\n", "\r\n"), {5}) == []


def test_citations_by_difference_are_those_of_the_new_graph(tmp_path: Path) -> None:
    """A rebuild updates the last build's citations with the lines the graph lost and gained;
    the unaccounted lines it finds are those :func:`unaccounted` finds on the new graph."""
    from scholargraph.accounting import Citations, unaccounted_by_difference
    from scholargraph.mapping import build_lines

    documents, resolved, _ = make_graph(Settings(data_dir=ROOT / "data", out_dir=tmp_path), jobs=1)
    lines = build_lines(resolved, BASE)
    whole = Citations.of(lines)
    found = citations(lines)
    assert sorted(whole.counts) == sorted(found)
    assert all(whole.lines_of(source) == cited for source, cited in found.items())

    texts = read_texts(documents, ROOT / "data")
    before = unaccounted(documents, lines, BASE, texts)
    then = {d.path: (d.sha256, before.get(d.path, [])) for d in documents}
    cv = next(d for d in documents if d.path == "cv-clement-le-ludec.md")
    cv_source = f"<{source_iri(BASE, cv.path)}#"
    # the new graph: every citation of the CV's first cited range is gone (a range cited by
    # several triples stays cited until the last goes), and a new one comes
    first = next(line for line in lines if f"> {cv_source}line=" in line)
    fragment = first[first.index(cv_source) :].split(">")[0]
    gone = [line for line in lines if f"> {fragment}> ." in line]
    assert len(gone) > 1
    came = [f"<{BASE}person/x> <http://www.w3.org/ns/prov#wasDerivedFrom> {cv_source}line=0,1> .\n"]
    new_lines = sorted(set(lines) - set(gone) | set(came))
    read: list[str] = []
    state = Citations.of(lines)
    result = unaccounted_by_difference(
        documents, BASE, state, then, gone, came, lambda d: read.append(d.path) or texts[d.path]
    )
    assert result == unaccounted(documents, new_lines, BASE, texts)
    assert len(result[cv.path]) > len(then[cv.path][1])  # the CV lost citations: more of its lines are unaccounted
    assert read == [cv.path]  # only the CV was read again
    assert state.counts == Citations.of(new_lines).counts
