"""The dumps by difference (issue 7): ``patch_dumps`` writes, from the previous build's dumps
and the difference, the very bytes ``write_dumps`` writes for the new graph; an old file
that is not as written is written in full."""

from __future__ import annotations

import gzip
import importlib
import random
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pyoxigraph as ox
import pytest

from scholargraph import dump
from scholargraph.build import make_graph
from scholargraph.config import Settings
from scholargraph.dump import GRAPH_FILES, Canonical, patch_dumps, write_dumps
from scholargraph.errors import DocumentError
from scholargraph.mapping import Triple, build_lines, parse_lines
from scholargraph.records import Document

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
generate = importlib.import_module("generate")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SETTINGS = Settings(data_dir=DATA)
B = SETTINGS.base_iri
SCHEMA = "https://schema.org/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
SHA256 = "https://w3id.org/scholargraph/ns#sha256"
ALL_FILES = [*GRAPH_FILES, "void.ttl"]
ALL_GZIP_FILES = [*GRAPH_FILES, *(f"{name}.gz" for name in GRAPH_FILES), "void.ttl"]

Lines = list[str]


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def sample() -> tuple[tuple[Document, ...], Lines]:
    documents, resolved, _ = make_graph(SETTINGS)
    return documents, build_lines(resolved, B)


@pytest.fixture
def whole_graph(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times patch_dumps parsed the whole graph (to write a file in full)."""
    calls: list[int] = []
    real = dump._whole_graph

    def counted(lines: Sequence[str]) -> Canonical:
        calls.append(len(lines))
        return real(lines)

    monkeypatch.setattr(dump, "_whole_graph", counted)
    return calls


def line(s: str, p: str, o: ox.NamedNode | ox.Literal | str) -> str:
    """A canonical N-Triples line (as pyoxigraph writes it)."""
    obj = ox.NamedNode(o) if isinstance(o, str) else o
    data = ox.serialize([Triple(ox.NamedNode(s), ox.NamedNode(p), obj)], format=ox.RdfFormat.N_TRIPLES)
    assert data is not None
    return data.decode()


def subject_of(text: str) -> str:
    return text[1 : text.index("> ")]


def lines_of(lines: Lines, subject: str) -> Lines:
    return [text for text in lines if subject_of(text) == subject]


def write_old(lines: Lines, out: Path, documents: Sequence[Document] = (), *, gzip: bool = False) -> None:
    write_dumps(parse_lines(lines), documents, SETTINGS, out, gzip=gzip)


def patched(
    tmp_path: Path,
    old: Lines,
    new: Lines,
    documents: Sequence[Document] = (),
    *,
    gzip: bool = False,
    settings: Settings = SETTINGS,
    prepare: Callable[[Path], None] | None = None,
    same_dir: bool = False,
) -> list[str]:
    """Patch the old graph's dumps into the new graph's; assert every file is byte-identical to
    write_dumps's, and the same paths returned; return the names of the files."""
    old_dir, out_dir, want_dir = tmp_path / "old", tmp_path / "patched", tmp_path / "expected"
    for path in (old_dir, out_dir, want_dir):
        shutil.rmtree(path, ignore_errors=True)
    write_dumps(parse_lines(old), documents if old == new else (), settings, old_dir, gzip=gzip)
    if prepare is not None:
        prepare(old_dir)
    removed = sorted(set(old) - set(new))
    added = sorted(set(new) - set(old))
    new = sorted(new)
    if same_dir:
        out_dir = old_dir
    got = patch_dumps(old_dir, out_dir, new, removed, added, documents, settings, gzip=gzip)
    want = write_dumps(parse_lines(new), documents, settings, want_dir, gzip=gzip)
    assert [path.name for path in got] == [path.name for path in want]
    assert [path.parent for path in got] == [out_dir] * len(got)
    assert sorted(path.name for path in out_dir.iterdir()) == sorted(path.name for path in want_dir.iterdir())
    for path in want:
        assert (out_dir / path.name).read_bytes() == path.read_bytes(), path.name
    return [path.name for path in got]


def iris(lines: Lines, predicate: str) -> list[str]:
    prefix = f"> <{predicate}> <"
    return sorted({text.split(prefix)[1][:-4] for text in lines if prefix in text})


# --------------------------------------------------------------------------- the sample data


def test_no_difference(tmp_path: Path, sample: tuple[tuple[Document, ...], Lines], whole_graph: list[int]) -> None:
    documents, lines = sample
    assert patched(tmp_path, lines, lines, documents) == ALL_FILES
    assert whole_graph == []


def test_graph_nt_is_the_lines_joined(tmp_path: Path, sample: tuple[tuple[Document, ...], Lines]) -> None:
    documents, lines = sample
    write_dumps(parse_lines(lines), documents, SETTINGS, tmp_path)
    assert (tmp_path / "graph.nt").read_bytes() == "".join(lines).encode()


@pytest.mark.parametrize("seed", range(12))
def test_lines_removed_and_added(
    tmp_path: Path, sample: tuple[tuple[Document, ...], Lines], whole_graph: list[int], seed: int
) -> None:
    """Random lines of existing subjects removed (from the new graph) or added (to it)."""
    _, lines = sample
    rng = random.Random(seed)
    gone = set(rng.sample(lines, 1 + seed * 3))
    patched(tmp_path / "removed", lines, [text for text in lines if text not in gone])
    patched(tmp_path / "added", [text for text in lines if text not in gone], lines)
    assert whole_graph == []


@pytest.mark.parametrize("seed", range(6))
def test_whole_subjects_removed_and_added(
    tmp_path: Path, sample: tuple[tuple[Document, ...], Lines], whole_graph: list[int], seed: int
) -> None:
    """Every line of some subjects (first, last, any) removed, or added back."""
    _, lines = sample
    subjects = sorted({subject_of(text) for text in lines})
    rng = random.Random(seed)
    chosen = {subjects[0], subjects[-1], *rng.sample(subjects, 1 + seed)}
    fewer = [text for text in lines if subject_of(text) not in chosen]
    patched(tmp_path / "removed", lines, fewer)
    patched(tmp_path / "added", fewer, lines)
    assert whole_graph == []


def test_new_subjects_classes_properties_and_literals(
    tmp_path: Path, sample: tuple[tuple[Document, ...], Lines], whole_graph: list[int]
) -> None:
    """New subjects before, between and after the others, one in a prefix's namespace, new
    classes and properties, literals with escapes, language tags, datatypes, non-ASCII."""
    _, lines = sample
    person = iris(lines, f"{SCHEMA}author")[0]
    source = f"{B}source/cv-clement-le-ludec.md"
    new = [
        line(f"{B}", f"{SCHEMA}name", ox.Literal("the base itself")),
        line(f"{B}aaa", RDF_TYPE, f"{SCHEMA}Thing"),
        line(f"{B}aaa", f"{SCHEMA}description", ox.Literal('a "q"\\ back\nslash\ttab\r\x01 é 🙂', language="fr")),
        line(f"{B}aaa", DERIVED, f"{source}#line=1,2"),
        line(f"{B}work/zzz-é", RDF_TYPE, "http://purl.org/spar/fabio/NewKind"),
        line(f"{B}work/zzz-é", "http://example.org/vocab#new", ox.Literal("3", datatype=ox.NamedNode("urn:dt"))),
        line(f"{B}work/zzz-é", f"{SCHEMA}author", person),
        line("https://w3id.org/scholargraph/ns#Extra", RDF_TYPE, f"{SCHEMA}Class"),
        line("https://w3id.org/scholargraph/ns#Extra", f"{SCHEMA}name", ox.Literal("> <not a triple> .")),
        line("urn:zzz:last", f"{SCHEMA}name", ox.Literal("last", language="en-GB")),
        line(person, f"{SCHEMA}description", ox.Literal("un ajout\n", language="fr")),
    ]
    patched(tmp_path / "added", lines, lines + new)
    patched(tmp_path / "removed", lines + new, lines)
    assert whole_graph == []


@pytest.mark.parametrize("scans", [0, 2])
def test_named_graphs_move(
    tmp_path: Path, sample: tuple[tuple[Document, ...], Lines], whole_graph: list[int], monkeypatch: pytest.MonkeyPatch,
    scans: int,
) -> None:
    """Edges and provenance that move subjects without provenance of their own (author roles,
    audiences) from one named graph to another, to the default graph, or to a new source's
    (the edges into them found by scans of the N-Triples, or from an index of every edge)."""
    monkeypatch.setattr(dump, "_SCANS", scans)
    _, lines = sample
    cv = f"{B}source/cv-clement-le-ludec.md"
    project = f"{B}source/project-opla.txt"
    roles = [s for s in iris(lines, "http://purl.org/spar/pro/isDocumentContextFor") if lines_of(lines, s)]
    audiences = iris(lines, f"{SCHEMA}audience")
    assert roles and audiences
    role, audience = roles[0], audiences[0]
    into_role = [text for text in lines if text.endswith(f" <{role}> .\n")]
    into_audience = [text for text in lines if text.endswith(f" <{audience}> .\n")]
    assert into_role and into_audience
    project_subject = sorted({subject_of(t) for t in lines if t.endswith(f"<{project}#line=1,1> .\n")} or {project})[0]
    early = f"{B}source/aaa-first.md"  # a new source, the smallest graph
    cases: dict[str, Lines] = {
        "edges into a role removed": [t for t in lines if t not in into_role],
        "edges into an audience removed": [t for t in lines if t not in into_audience],
        "an edge from the project's graph": lines + [line(project_subject, f"{SCHEMA}about", role)],
        "a new source pointing at them": lines + [
            line(early, SHA256, ox.Literal("0" * 64)),
            line(early, RDF_TYPE, f"{SCHEMA}CreativeWork"),
            line(early, f"{SCHEMA}about", role),
            line(early, f"{SCHEMA}about", audience),
        ],
        "provenance from a new source": lines + [
            line(subject_of(into_role[0]), DERIVED, f"{early}#line=3,4"),
            line(early, SHA256, ox.Literal("1" * 64)),
        ],
        "provenance removed": [t for t in lines if not (t.startswith(f"<{subject_of(into_role[0])}> <{DERIVED}>"))],
        "a source description removed": [t for t in lines if subject_of(t) != project],
        "the CV's source description removed": [t for t in lines if subject_of(t) != cv],
        "a cycle of roles": lines + [line(role, f"{SCHEMA}about", subject_of(into_role[0]))]
        + [line(subject_of(into_role[0]), f"{SCHEMA}about", role)],
    }
    for name, new in cases.items():
        new = sorted(set(new))
        patched(tmp_path / name / "forth", lines, new)
        patched(tmp_path / name / "back", new, lines)
    assert whole_graph == []


def test_gzip_and_in_place(tmp_path: Path, sample: tuple[tuple[Document, ...], Lines], whole_graph: list[int]) -> None:
    documents, lines = sample
    fewer = [t for t in lines if "audience" not in t]
    assert patched(tmp_path / "gzip", lines, fewer, gzip=True) == ALL_GZIP_FILES
    gzipped = tmp_path / "gzip" / "patched" / "graph.ttl.gz"
    assert gzip.decompress(gzipped.read_bytes()) == (tmp_path / "gzip" / "patched" / "graph.ttl").read_bytes()
    assert patched(tmp_path / "in place", lines, fewer, same_dir=True) == ALL_FILES

    def with_gzip(old_dir: Path) -> None:  # an earlier build with gzip: its .gz files go
        write_old(lines, old_dir, gzip=True)

    assert patched(tmp_path / "gz gone", lines, fewer, prepare=with_gzip, same_dir=True) == ALL_FILES
    assert whole_graph == []


def test_documents_checked(tmp_path: Path, sample: tuple[tuple[Document, ...], Lines]) -> None:
    """The documents are checked as write_dumps checks them, with the same error, before any file."""
    documents, lines = sample
    write_old(lines, tmp_path / "old", documents)
    cv = f"{B}source/cv-clement-le-ludec.md"
    new = [t for t in lines if not t.startswith(f"<{cv}> <{SHA256}>")]
    removed = sorted(set(lines) - set(new))
    with pytest.raises(DocumentError) as patching:
        patch_dumps(tmp_path / "old", tmp_path / "out", new, removed, [], documents, SETTINGS)
    with pytest.raises(DocumentError) as writing:
        write_dumps(parse_lines(new), documents, SETTINGS, tmp_path / "full")
    assert str(patching.value) == str(writing.value)
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_build_date_title_and_licence(
    tmp_path: Path, sample: tuple[tuple[Document, ...], Lines], whole_graph: list[int]
) -> None:
    """A build date, and a title and a licence other than the previous build's: still patched."""
    import dataclasses
    import datetime

    _, lines = sample
    fewer = lines[:-3]
    write_dumps(parse_lines(lines), (), SETTINGS, tmp_path / "old", build_date=datetime.date(2025, 5, 6))
    settings = dataclasses.replace(SETTINGS, title="Another title", license="https://example.org/licence")
    got = patch_dumps(
        tmp_path / "old", tmp_path / "out", fewer, lines[-3:], [], (), settings, build_date=datetime.date(2026, 1, 2)
    )
    assert whole_graph == []
    write_dumps(parse_lines(fewer), (), settings, tmp_path / "full", build_date=datetime.date(2026, 1, 2))
    for path in got:
        assert path.read_bytes() == (tmp_path / "full" / path.name).read_bytes(), path.name


# --------------------------------------------------------------------------- old files not as written


def _edit(name: str, edit: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def prepare(old_dir: Path) -> None:
        path = old_dir / name
        path.write_bytes(edit(path.read_bytes()))

    return prepare


def _remove(name: str) -> Callable[[Path], None]:
    return lambda old_dir: (old_dir / name).unlink()


FALLBACKS: dict[str, Callable[[Path], None]] = {
    "graph.ttl missing": _remove("graph.ttl"),
    "graph.jsonld missing": _remove("graph.jsonld"),
    "graph.trig missing": _remove("graph.trig"),
    "graph.nt missing (not needed)": _remove("graph.nt"),
    "void.ttl missing": _remove("void.ttl"),
    "graph.ttl unreadable": lambda old_dir: ((old_dir / "graph.ttl").unlink(), (old_dir / "graph.ttl").mkdir()),
    "another prefix header": _edit("graph.ttl", lambda data: data.replace(b"@prefix bibo:", b"@prefix bib:", 1)),
    "graph.ttl hand-edited": _edit("graph.ttl", lambda data: data.replace(b" ;\n\t", b" ;\n\t\t")),
    "graph.ttl truncated": _edit("graph.ttl", lambda data: data[: len(data) // 2]),
    "graph.jsonld hand-edited": _edit("graph.jsonld", lambda data: data.replace(b'"@id"', b'"@id" ')),
    "graph.jsonld reindented": _edit("graph.jsonld", lambda data: data.replace(b"\n    {", b"\n  {")),
    "graph.trig hand-edited": _edit("graph.trig", lambda data: data.replace(b"\n}\n", b"\n} \n", 1)),
    "graph.trig empty": _edit("graph.trig", lambda data: b""),
    "void.ttl hand-edited": _edit("void.ttl", lambda data: data.replace(b" ;\n", b"  ;\n", 1)),
    "void.ttl with a comment": _edit("void.ttl", lambda data: data + b"# by hand\n"),
    "void.ttl not Turtle": _edit("void.ttl", lambda data: b"not turtle at all {"),
    "void.ttl with other sizes": _edit("void.ttl", lambda data: data.replace(b'"1', b'"2')),
}


@pytest.mark.parametrize("name", FALLBACKS)
def test_old_file_not_as_written(
    tmp_path: Path, sample: tuple[tuple[Document, ...], Lines], whole_graph: list[int], name: str
) -> None:
    """Each file is still byte-identical; the whole graph is parsed when some file needs it."""
    _, lines = sample
    fewer = [t for t in lines if "clement-le-ludec.md#line=1" not in t]
    assert len(fewer) < len(lines)
    patched(tmp_path, lines, fewer, prepare=FALLBACKS[name])
    assert whole_graph == ([] if name == "graph.nt missing (not needed)" else [len(fewer)])


def test_old_dumps_of_another_graph(
    tmp_path: Path, sample: tuple[tuple[Document, ...], Lines], whole_graph: list[int]
) -> None:
    """Dumps that are not of the old graph the difference says: written in full."""
    _, lines = sample
    other = [t for t in lines if "audience" not in t]
    patched(tmp_path, lines, lines[5:], prepare=lambda old_dir: write_old(other, old_dir))
    assert whole_graph == [len(lines) - 5]


def test_to_and_from_no_triples(tmp_path: Path, sample: tuple[tuple[Document, ...], Lines]) -> None:
    _, lines = sample
    patched(tmp_path / "to", lines, [])
    patched(tmp_path / "from", [], lines)


# --------------------------------------------------------------------------- generated corpora, real edits


def _edit_cv(data: Path, rng: random.Random) -> str:
    """Change one Markdown CV of a generated corpus: a title changed, a publication added."""
    texts = {path: path.read_text(encoding="utf-8") for path in sorted(data.glob("*.md"))}
    cvs = [path for path, text in texts.items() if "### " in text and "« " in text]
    path = rng.choice(cvs)
    text = path.read_text(encoding="utf-8")
    start = text.index("« ") + 2
    text = text[:start] + "Revised " + text[start:]
    heading = text.index("\n", text.index("### ")) + 2
    name = text.splitlines()[0].removeprefix("# ").title()
    added = f"1. **{name}** et Ada Lovelace, « A patched title », *Réseaux*, mars 2025.\n"
    text = text[:heading] + added + text[heading:]
    path.write_text(text, encoding="utf-8")
    return path.name


@pytest.mark.parametrize("seed", [3, 11])
def test_a_cv_edited_and_rebuilt(tmp_path: Path, whole_graph: list[int], seed: int) -> None:
    data = tmp_path / "data"
    generate.generate(data, 25, seed=seed)
    settings = Settings(data_dir=data)
    _, resolved, _ = make_graph(settings, jobs=1)
    old = build_lines(resolved, settings.base_iri)
    rng = random.Random(seed)
    for round_ in range(2):
        _edit_cv(data, rng)
        documents, resolved, _ = make_graph(settings, jobs=1)
        new = build_lines(resolved, settings.base_iri)
        assert set(new) != set(old)
        patched(tmp_path / f"round{round_}", old, new, documents, settings=settings)
        old = new
    assert whole_graph == []


@pytest.mark.parametrize("scans", [0, 2])
def test_a_role_deep_in_a_chain(
    tmp_path: Path, whole_graph: list[int], monkeypatch: pytest.MonkeyPatch, scans: int
) -> None:
    """An author role far down a work's chain of roles changes: its named graph is found again
    from the roles above it (a scan of the N-Triples per level, or an index of every edge)."""
    monkeypatch.setattr(dump, "_SCANS", scans)
    data = tmp_path / "data"
    generate.generate(data, 20, seed=7)  # with hyperauthored works
    settings = Settings(data_dir=data)
    _, resolved, _ = make_graph(settings, jobs=1)
    lines = build_lines(resolved, settings.base_iri)
    roles = {subject_of(t) for t in lines if re.search(r"/author/[0-9]+$", subject_of(t))}
    deep = max(roles, key=lambda role: int(role.rsplit("/", 1)[1]))
    assert int(deep.rsplit("/", 1)[1]) >= 5
    more = sorted(lines + [line(deep, f"{SCHEMA}description", ox.Literal("deep"))])
    patched(tmp_path / "added", lines, more, settings=settings)
    above = [t for t in lines if t.endswith(f" <{deep}> .\n")]
    assert above
    patched(tmp_path / "cut", lines, [t for t in lines if t not in above], settings=settings)
    assert whole_graph == []


def test_a_generated_corpus_with_random_differences(tmp_path: Path, whole_graph: list[int]) -> None:
    data = tmp_path / "data"
    generate.generate(data, 30, seed=5)
    settings = Settings(data_dir=data)
    _, resolved, _ = make_graph(settings, jobs=1)
    lines = build_lines(resolved, settings.base_iri)
    rng = random.Random(5)
    subjects = sorted({subject_of(text) for text in lines})
    for round_ in range(4):
        gone = set(rng.sample(lines, 40)) | {t for t in lines if subject_of(t) in set(rng.sample(subjects, 5))}
        fewer = [t for t in lines if t not in gone]
        patched(tmp_path / f"removed{round_}", lines, fewer, settings=settings)
        patched(tmp_path / f"added{round_}", fewer, lines, settings=settings, gzip=round_ == 0)
    assert whole_graph == []
