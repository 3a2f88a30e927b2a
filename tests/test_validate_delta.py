"""validate_changes: from the previous validation's state and the changed lines, what validate_lines gives.

Every case validates the new graph twice, from copies of one cache left by
``validate_lines`` on the old graph: with ``validate_lines`` (the reference)
and with ``validate_changes``.  Both must give the same results and leave the
same cache: the same chunk entries and the same partition state (every
group's chunk key, owned nodes and backwards-linking nodes).  The deltas are
real edits of the documents, built again, and lines removed or added by
hand: ones that merge or split components, move a node to another document,
change a node's type, add or remove a document, a node or a violation.
"""

from __future__ import annotations

import importlib
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from scholargraph import validate as validation
from scholargraph.build import build
from scholargraph.config import Settings
from scholargraph.validate import ValidationReport, validate_changes, validate_lines

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
generate = importlib.import_module("generate")
sys.path.pop(0)

BASE = "https://example.org/scholargraph/"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
DERIVED_FROM = "<http://www.w3.org/ns/prov#wasDerivedFrom>"
CONTEXT_FOR = "<http://purl.org/spar/pro/isDocumentContextFor>"
HAS_NEXT = "<https://w3id.org/oc/ontology/hasNext>"
AUTHOR = "<https://schema.org/author>"
WORKS_FOR = "<https://schema.org/worksFor>"
SAME_AS = "<https://schema.org/sameAs>"
DATE_PUBLISHED = "<https://schema.org/datePublished>"
SUBCLASS_OF = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"
PERSON = "<http://xmlns.com/foaf/0.1/Person>"


class IndexLookup:
    """A LinesLookup over lines, remembering what it was asked."""

    def __init__(self, lines: list[str]) -> None:
        self.index: dict[str, list[str]] = {}
        for line in lines:
            self.index.setdefault(split(line)[2], []).append(line)
        self.asked: list[str] = []

    def lines_with_object(self, token: str) -> list[str]:
        self.asked.append(token)
        return self.index.get(token, [])


def split(line: str) -> list[str]:
    return line[:-3].split(" ", 2)


def nt(s: str, p: str, o: str) -> str:
    return f"{s} {p} {o} .\n"


def build_lines(data: Path, out: Path) -> list[str]:
    return build(Settings(data_dir=data, out_dir=out), validate=False, use_cache=False).lines


def state_of(cache: Path) -> validation._PartitionState | None:
    return validation._state_read(cache, validation._shapes_digest(None))


def entries(cache: Path) -> list[str]:
    return sorted(path.name for path in cache.iterdir())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], Path]:
    """A generated corpus (24 researchers): its documents, its lines, a cache of their validation."""
    root = tmp_path_factory.mktemp("delta")
    generate.generate(root / "data", 24, seed=7)
    lines = build_lines(root / "data", root / "build")
    validate_lines(lines, source_root="data/", jobs=1, cache_dir=root / "cache")
    return root / "data", lines, root / "cache"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Path]:
    """The repository's data/: its lines and a cache of their validation."""
    root = tmp_path_factory.mktemp("sample")
    lines = build_lines(ROOT / "data", root / "build")
    validate_lines(lines, source_root="data/", jobs=1, cache_dir=root / "cache")
    return lines, root / "cache"


def compare(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cache: Path,
    old: list[str],
    new: list[str],
    *,
    by_difference: bool = True,
    not_asked: tuple[str, ...] = (),
    max_share: float = float("inf"),
) -> ValidationReport:
    """validate_changes on copies of ``cache`` (left by validating ``old``) == validate_lines on ``new``.

    On these small graphs a change reaches chunks holding much of the graph:
    by default validate_changes cuts them however many they are (``max_share``).
    """
    new = sorted(set(new))
    removed = sorted(set(old) - set(new))
    added = sorted(set(new) - set(old))
    assert removed or added
    delta, full = tmp_path / "delta", tmp_path / "full"
    shutil.rmtree(delta, ignore_errors=True)
    shutil.rmtree(full, ignore_errors=True)
    shutil.copytree(cache, delta)
    shutil.copytree(cache, full)
    reference = validate_lines(new, source_root="data/", jobs=1, cache_dir=full)
    calls: list[int] = []
    real = validation.validate_lines

    def counted(*args: object, **kwargs: object) -> ValidationReport:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    lookup = IndexLookup(new)
    with monkeypatch.context() as patch:
        patch.setattr(validation, "validate_lines", counted)
        patch.setattr(validation, "_DELTA_MAX_SHARE", max_share)
        report = validate_changes(new, removed, added, source_root="data/", jobs=1, cache_dir=delta, lookup=lookup)
    assert calls == ([] if by_difference else [1])
    assert report.results == reference.results
    assert report.conforms is reference.conforms
    assert len(report.report_graph) == len(reference.report_graph)
    assert state_of(delta) == state_of(full) is not None
    assert entries(delta) == entries(full)
    if by_difference:  # the lookup was asked about the nodes near the change only
        assert len(set(lookup.asked)) < len({split(line)[0] for line in new}) // 4
        assert not set(not_asked) & set(lookup.asked)
    return report


# --------------------------------------------------------------------------
# Deltas made by hand on the generated corpus's lines


def subjects_with(lines: list[str], predicate: str, obj: str | None = None) -> list[str]:
    return sorted({s for s, p, o in map(split, lines) if p == predicate and (obj is None or o == obj)})


def objects_of(lines: list[str], subject: str, predicate: str) -> list[str]:
    return sorted(o for s, p, o in map(split, lines) if s == subject and p == predicate)


def document_of(lines: list[str], node: str) -> str:
    return min(o[1:-1].partition("#")[0] for o in objects_of(lines, node, DERIVED_FROM))


def works_of_two_documents(lines: list[str]) -> tuple[str, str]:
    """Two works (with author roles) from different documents."""
    works = subjects_with(lines, CONTEXT_FOR)
    first = works[0]
    second = next(w for w in works if document_of(lines, w) != document_of(lines, first))
    return first, second


def without_node(lines: list[str], node: str) -> list[str]:
    return [line for line in lines if node not in (split(line)[0], split(line)[2])]


def retype_work(lines: list[str]) -> list[str]:
    work = subjects_with(lines, CONTEXT_FOR)[3]
    return [line for line in lines if not (line.startswith(work + " ") and split(line)[1] == RDF_TYPE)]


def untype_person(lines: list[str]) -> list[str]:
    person = subjects_with(lines, AUTHOR)[0]
    person = objects_of(lines, person, AUTHOR)[0]  # a person many works mention
    return [line for line in lines if line != nt(person, RDF_TYPE, PERSON)]


def remove_work(lines: list[str]) -> list[str]:
    work = subjects_with(lines, CONTEXT_FOR)[5]
    roles = objects_of(lines, work, CONTEXT_FOR)
    kept = without_node(lines, work)
    for role in roles:
        kept = without_node(kept, role)
    return kept


def remove_person(lines: list[str]) -> list[str]:
    """A person disappears as a subject; the works still point at it."""
    person = objects_of(lines, subjects_with(lines, AUTHOR)[7], AUTHOR)[0]
    return [line for line in lines if not line.startswith(person + " ")]


def add_violation(lines: list[str]) -> list[str]:
    work = subjects_with(lines, DATE_PUBLISHED)[2]
    return [*lines, nt(work, DATE_PUBLISHED, '"1999"^^<http://www.w3.org/2001/XMLSchema#gYear>')]


def merge_components(lines: list[str]) -> list[str]:
    """A work becomes the context of another document's author role: their components join."""
    first, second = works_of_two_documents(lines)
    role = objects_of(lines, second, CONTEXT_FOR)[0]
    return [*lines, nt(first, CONTEXT_FOR, role)]


def split_chain(lines: list[str]) -> list[str]:
    """A chain of author roles is cut in two, and a work loses a role."""
    links = [line for line in lines if split(line)[1] == HAS_NEXT]
    contexts = [line for line in lines if split(line)[1] == CONTEXT_FOR]
    return sorted(set(lines) - {links[10], contexts[20]})


def move_to_other_document(lines: list[str]) -> list[str]:
    """A work is derived from another (smaller) document: its component moves to that group."""
    first, second = works_of_two_documents(lines)
    target, moved = sorted([first, second], key=lambda w: document_of(lines, w))
    source = objects_of(lines, target, DERIVED_FROM)[0]
    kept = [line for line in lines if not (line.startswith(moved + " ") and split(line)[1] == DERIVED_FROM)]
    return [*kept, nt(moved, DERIVED_FROM, source)]


def lose_document(lines: list[str]) -> list[str]:
    """A work loses every derivation: its component goes to a bucket of sourceless nodes."""
    work = subjects_with(lines, CONTEXT_FOR)[11]
    return [line for line in lines if not (line.startswith(work + " ") and split(line)[1] == DERIVED_FROM)]


def new_document(lines: list[str]) -> list[str]:
    """A new source document with a person and a work by an existing person (a backwards link in)."""
    document = f"<{BASE}source/aaa-new.md>"
    person = f"<{BASE}person/new-person>"
    work = f"<{BASE}work/new-work>"
    known = objects_of(lines, subjects_with(lines, AUTHOR)[4], AUTHOR)[0]
    return [
        *lines,
        nt(document, RDF_TYPE, "<http://www.w3.org/ns/prov#Entity>"),
        nt(person, RDF_TYPE, PERSON),
        nt(person, "<http://xmlns.com/foaf/0.1/name>", '"New Person"'),
        nt(person, DERIVED_FROM, f"<{BASE}source/aaa-new.md#line=0,1>"),
        nt(work, RDF_TYPE, "<http://purl.org/spar/fabio/JournalArticle>"),
        nt(work, "<http://purl.org/dc/terms/title>", '"A new work"'),
        nt(work, AUTHOR, person),
        nt(work, AUTHOR, known),
        nt(work, DERIVED_FROM, f"<{BASE}source/aaa-new.md#line=2,3>"),
    ]


def remove_document(lines: list[str]) -> list[str]:
    """A source document and every derivation from it disappear."""
    document = subjects_with(lines, RDF_TYPE, "<http://www.w3.org/ns/prov#Entity>")[3]
    return [
        line
        for line in lines
        if not line.startswith(document + " ") and not (split(line)[1] == DERIVED_FROM and split(line)[2].startswith(document[:-1] + "#"))
    ]


def shared_literal(lines: list[str]) -> list[str]:
    """Two persons work for one literal (a backwards-read link to a literal joins them)."""
    persons = sorted({o for o in (split(line)[2] for line in lines if split(line)[1] == AUTHOR)})
    return [*lines, nt(persons[1], WORKS_FOR, '"A lab"'), nt(persons[-2], WORKS_FOR, '"A lab"')]


def blank_nodes(lines: list[str]) -> list[str]:
    """Blank nodes join what they touch, classes included."""
    work = subjects_with(lines, CONTEXT_FOR)[1]
    return [
        *lines,
        nt(work, "<https://schema.org/citation>", "_:b1"),
        nt("_:b1", RDF_TYPE, "<https://schema.org/CreativeWork>"),
        nt("_:b1", "<https://schema.org/name>", '"cited"'),
        nt("_:b2", RDF_TYPE, "<https://schema.org/CreativeWork>"),
    ]


def new_external_iri(lines: list[str]) -> list[str]:
    """A sourceless object appears and another disappears."""
    work = subjects_with(lines, CONTEXT_FOR)[2]
    same = [line for line in lines if split(line)[1] == SAME_AS]
    return [*(line for line in lines if line != same[0]), nt(work, SAME_AS, "<https://elsewhere.example/x>")]


def rarest_class_goes(lines: list[str]) -> list[str]:
    """The instances of the rarest class lose that type: the class is no longer a node."""
    instances: dict[str, list[str]] = {}
    for line in lines:
        _s, p, o = split(line)
        if p == RDF_TYPE:
            instances.setdefault(o, []).append(line)
    rarest = min(instances, key=lambda c: (len(instances[c]), c))
    return sorted(set(lines) - set(instances[rarest]))


SYNTHETIC: dict[str, Callable[[list[str]], list[str]]] = {
    "retype_work": retype_work,
    "untype_person": untype_person,
    "remove_work": remove_work,
    "remove_person": remove_person,
    "add_violation": add_violation,
    "merge_components": merge_components,
    "split_chain": split_chain,
    "move_to_other_document": move_to_other_document,
    "lose_document": lose_document,
    "new_document": new_document,
    "remove_document": remove_document,
    "shared_literal": shared_literal,
    "blank_nodes": blank_nodes,
    "new_external_iri": new_external_iri,
    "rarest_class_goes": rarest_class_goes,
}

# Classes: the lookup is never asked for their (many) instances.
CLASSES = (
    PERSON,
    "<http://purl.org/spar/pro/RoleInTime>",
    "<http://purl.org/spar/fabio/JournalArticle>",
    "<http://www.w3.org/ns/prov#Entity>",
)


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_synthetic_delta(
    name: str, corpus: tuple[Path, list[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _data, lines, cache = corpus
    new = SYNTHETIC[name](lines)
    report = compare(tmp_path, monkeypatch, cache, lines, new, not_asked=CLASSES)
    if name == "add_violation":
        assert not report.conforms


def test_deltas_one_after_another(
    corpus: tuple[Path, list[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each validate_changes leaves the state the next one starts from; undoing returns to the start."""
    _data, lines, cache = corpus
    current, state = lines, tmp_path / "state"
    shutil.copytree(cache, state)
    steps = [merge_components, retype_work, split_chain, new_document]
    for number, step in enumerate(steps):
        new = sorted(set(step(current)))
        compare(tmp_path / f"step{number}", monkeypatch, state, current, new)
        shutil.rmtree(state)
        shutil.copytree(tmp_path / f"step{number}" / "delta", state)
        current = new
    compare(tmp_path / "back", monkeypatch, state, current, lines)
    assert state_of(tmp_path / "back" / "delta") == state_of(cache)


# --------------------------------------------------------------------------
# Real edits of the documents, built again


def edit(data: Path, tmp_path: Path, change: Callable[[Path], None]) -> list[str]:
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    change(copy)
    return build_lines(copy, tmp_path / "build")


def retitle(data: Path) -> None:
    path = sorted(data.glob("cv-*.md"))[2]
    text = path.read_text(encoding="utf-8")
    heading = re.search(r"^# (.+)$", text, re.M)
    assert heading is not None
    path.write_text(text.replace(heading.group(0), heading.group(0) + " Jr", 1), encoding="utf-8")


def drop_a_position(data: Path) -> None:
    path = sorted(data.glob("cv-*.md"))[4]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    row = next(i for i, line in enumerate(lines) if line.startswith("| 20") and "<b>" in line)
    path.write_text("".join(lines[:row] + lines[row + 1 :]), encoding="utf-8")


def drop_a_cv(data: Path) -> None:
    sorted(data.glob("cv-*.md"))[6].unlink()


def copy_a_cv(data: Path) -> None:
    source = sorted(data.glob("cv-*.md"))[1]
    shutil.copy(source, data / "cv-aaa-copy.md")


def drop_a_bibliography(data: Path) -> None:
    sorted(data.glob("*.bib"))[0].unlink()


EDITS: dict[str, Callable[[Path], None]] = {
    "retitle": retitle,
    "drop_a_position": drop_a_position,
    "drop_a_cv": drop_a_cv,
    "copy_a_cv": copy_a_cv,
    "drop_a_bibliography": drop_a_bibliography,
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_document_edit(
    name: str, corpus: tuple[Path, list[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, lines, cache = corpus
    new = edit(data, tmp_path, EDITS[name])
    compare(tmp_path, monkeypatch, cache, lines, new, not_asked=CLASSES)


def test_sample_data_edits(sample: tuple[list[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines, cache = sample
    for name in ("retype_work", "add_violation", "split_chain", "lose_document", "new_document"):
        compare(tmp_path / name, monkeypatch, cache, lines, SYNTHETIC[name](lines))


# --------------------------------------------------------------------------
# When the state cannot be used: validate_lines, same outcome


def test_without_state(corpus: tuple[Path, list[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _data, lines, cache = corpus
    empty = tmp_path / "empty"
    for entry in cache.glob("*.json"):
        empty.mkdir(exist_ok=True)
        shutil.copy(entry, empty / entry.name)
    compare(tmp_path, monkeypatch, empty, lines, retype_work(lines), by_difference=False)


@pytest.mark.parametrize("damage", ["garbage", "other_digest", "truncated"])
def test_unusable_state(
    damage: str, corpus: tuple[Path, list[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _data, lines, cache = corpus
    damaged = tmp_path / "damaged"
    shutil.copytree(cache, damaged)
    path = damaged / validation.STATE_FILE
    if damage == "garbage":
        path.write_bytes(b"not a state")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    else:
        state = state_of(damaged)
        assert state is not None
        state.digest = "0" * 64
        validation._state_write(damaged, state)
    compare(tmp_path, monkeypatch, damaged, lines, retype_work(lines), by_difference=False)


def test_changes_that_do_not_add_up(corpus: tuple[Path, list[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A difference from another graph than the one the state describes: validate_lines."""
    _data, lines, cache = corpus
    new = retype_work(lines)
    removed = sorted(set(lines) - set(new))
    for wrong_removed, wrong_added in ((removed[:0], []), (removed, [new[0]]), ([*removed, "<x:a> <x:b> <x:c> .\n"], ["<x:a> <x:b> <x:c> .\n"])):
        for directory in (tmp_path / "delta", tmp_path / "full"):
            shutil.rmtree(directory, ignore_errors=True)
            shutil.copytree(cache, directory)
        reference = validate_lines(new, source_root="data/", jobs=1, cache_dir=tmp_path / "full")
        calls: list[int] = []
        real = validation.validate_lines
        with monkeypatch.context() as patch:
            patch.setattr(validation, "validate_lines", lambda *a, **k: calls.append(1) or real(*a, **k))
            report = validate_changes(
                new, wrong_removed, wrong_added, source_root="data/", jobs=1, cache_dir=tmp_path / "delta"
            )
        assert calls == [1]
        assert report.results == reference.results
        assert state_of(tmp_path / "delta") == state_of(tmp_path / "full")


def test_state_of_another_graph(corpus: tuple[Path, list[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The state is of a graph other than the one the difference starts from, with as many lines
    (a build without validation in between): validate_lines."""
    _data, lines, cache = corpus
    title = next(line for line in lines if split(line)[1] == "<http://purl.org/dc/terms/title>")
    between = sorted(line.replace('"', '"Renamed ', 1) if line == title else line for line in lines)
    assert len(between) == len(lines) and between != lines
    compare(tmp_path, monkeypatch, cache, between, retype_work(between), by_difference=False)


def test_subclass_change(corpus: tuple[Path, list[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An rdfs:subClassOf line is in every chunk: validate_lines."""
    _data, lines, cache = corpus
    new = [*lines, nt("<https://schema.org/Thesis>", SUBCLASS_OF, "<https://schema.org/CreativeWork>")]
    compare(tmp_path, monkeypatch, cache, lines, new, by_difference=False)


def test_lost_cache_entry(corpus: tuple[Path, list[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unchanged chunk whose results the cache lost (its file, and the bundle of every
    entry): validate_lines; the bundle alone stands for the files it holds."""
    _data, lines, cache = corpus
    damaged = tmp_path / "damaged"
    shutil.copytree(cache, damaged)
    state = state_of(damaged)
    assert state is not None
    last = max(key for key, *_rest in state.groups.values() if key)
    (damaged / f"{last}.json").unlink()
    compare(tmp_path, monkeypatch, damaged, lines, add_violation(lines), by_difference=True)
    shutil.rmtree(damaged)
    shutil.copytree(cache, damaged)
    (damaged / f"{last}.json").unlink()
    (damaged / validation.BUNDLE_FILE).unlink()
    compare(tmp_path, monkeypatch, damaged, lines, add_violation(lines), by_difference=False)


def test_component_limit(corpus: tuple[Path, list[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A component too big to walk: validate_lines."""
    _data, lines, cache = corpus
    monkeypatch.setattr(validation, "_DELTA_COMPONENT_LIMIT", 1)
    compare(tmp_path, monkeypatch, cache, lines, merge_components(lines), by_difference=False)


def test_too_much_to_cut(corpus: tuple[Path, list[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the chunks to cut again held more than a share of the graph: validate_lines."""
    _data, lines, cache = corpus
    state = state_of(cache)
    assert state is not None
    sizes = sorted(size for *_rest, size in state.groups.values())
    assert sum(sizes) > len(lines)  # chunks hold their neighbours' types and links too
    compare(tmp_path / "cut", monkeypatch, cache, lines, add_violation(lines), max_share=0.5)
    compare(tmp_path / "whole", monkeypatch, cache, lines, add_violation(lines), by_difference=False, max_share=0.0)


def test_other_shapes_remove_the_state(corpus: tuple[Path, list[str], Path], tmp_path: Path) -> None:
    _data, lines, cache = corpus
    copy = tmp_path / "cache"
    shutil.copytree(cache, copy)
    validate_lines(lines, shapes=validation.load_shapes(), source_root="data/", jobs=1, cache_dir=copy)
    assert not (copy / validation.STATE_FILE).exists()


def test_without_lookup(corpus: tuple[Path, list[str], Path], tmp_path: Path) -> None:
    """Without a lookup, validate_changes indexes the lines itself."""
    _data, lines, cache = corpus
    new = sorted(merge_components(lines))
    for directory in (tmp_path / "delta", tmp_path / "full"):
        shutil.copytree(cache, directory)
    reference = validate_lines(new, source_root="data/", jobs=1, cache_dir=tmp_path / "full")
    removed, added = sorted(set(lines) - set(new)), sorted(set(new) - set(lines))
    report = validate_changes(new, removed, added, source_root="data/", jobs=1, cache_dir=tmp_path / "delta")
    assert report.results == reference.results
    assert state_of(tmp_path / "delta") == state_of(tmp_path / "full")


def test_state_is_written_atomically(corpus: tuple[Path, list[str], Path]) -> None:
    """(No temporary file left behind: the state and the bundle of entries are renamed into place.)"""
    _data, _lines, cache = corpus
    found = sorted(path.name for path in cache.iterdir() if not path.name.endswith(".json"))
    assert found == sorted([validation.BUNDLE_FILE, validation.STATE_FILE])



# --------------------------------------------------------------------------
# Shared components (groups of their own): a low SHARED_MIN_LINES makes many on the generated corpus

SHARED = 20


@pytest.fixture(scope="module")
def shared_corpus(corpus: tuple[Path, list[str], Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], Path]:
    """The generated corpus, and a cache of its validation with SHARED_MIN_LINES = SHARED."""
    data, lines, _cache = corpus
    cache = tmp_path_factory.mktemp("shared") / "cache"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validation, "SHARED_MIN_LINES", SHARED)
        validate_lines(lines, source_root="data/", jobs=1, cache_dir=cache)
    state = state_of(cache)
    assert state is not None
    assert sum(group.startswith("(shared ") for group in state.groups) > 10
    return data, lines, cache


def shared_groups(cache: Path) -> dict[str, tuple[str, ...]]:
    state = state_of(cache)
    assert state is not None
    return {group: owned for group, (_key, owned, *_rest) in state.groups.items() if group.startswith("(shared ")}


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_synthetic_delta_with_shared_components(
    name: str, shared_corpus: tuple[Path, list[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _data, lines, cache = shared_corpus
    monkeypatch.setattr(validation, "SHARED_MIN_LINES", SHARED)
    compare(tmp_path, monkeypatch, cache, lines, SYNTHETIC[name](lines), not_asked=CLASSES)


@pytest.mark.parametrize("name", sorted(EDITS))
def test_document_edit_with_shared_components(
    name: str, shared_corpus: tuple[Path, list[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, lines, cache = shared_corpus
    monkeypatch.setattr(validation, "SHARED_MIN_LINES", SHARED)
    new = edit(data, tmp_path, EDITS[name])
    compare(tmp_path, monkeypatch, cache, lines, new, not_asked=CLASSES)


def test_components_become_shared_and_cease_to_be(
    shared_corpus: tuple[Path, list[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines into a small organisation make it shared; its lines gone, a shared component is no longer."""
    _data, lines, cache = shared_corpus
    monkeypatch.setattr(validation, "SHARED_MIN_LINES", SHARED)
    before = shared_groups(cache)
    in_shared = {node for owned in before.values() for node in owned}
    organisations = subjects_with(lines, RDF_TYPE, "<http://xmlns.com/foaf/0.1/Organization>")
    small = next(org for org in organisations if org not in in_shared)
    persons = subjects_with(lines, RDF_TYPE, PERSON)[:SHARED]
    grown = [*lines, *(nt(person, WORKS_FOR, small) for person in persons)]
    compare(tmp_path / "grown", monkeypatch, cache, lines, grown, not_asked=CLASSES)
    assert any(small in owned for owned in shared_groups(tmp_path / "grown" / "delta").values())

    group, owned = min(before.items())
    nodes = set(owned)
    inverse = validation._inverse_links()
    shrunk = [
        line
        for line in lines
        if split(line)[0] not in nodes and not (split(line)[1] in inverse and split(line)[2] in nodes)
    ]
    compare(tmp_path / "shrunk", monkeypatch, cache, lines, shrunk, not_asked=CLASSES)
    assert group not in shared_groups(tmp_path / "shrunk" / "delta")


def test_a_change_beside_shared_components_cuts_one_chunk(
    shared_corpus: tuple[Path, list[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new date on a work: only its group's chunk is validated, not the shared ones it links to."""
    _data, lines, cache = shared_corpus
    monkeypatch.setattr(validation, "SHARED_MIN_LINES", SHARED)
    validated: list[str] = []
    real = validation._validate_chunks

    def recorded(todo: list[validation._Chunk], *args: object) -> object:
        validated.extend(chunk.group for chunk in todo)
        return real(todo, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(validation, "_validate_chunks", recorded)
    new = add_violation(lines)
    work = split(sorted(set(new) - set(lines))[0])[0]
    compare(tmp_path, monkeypatch, cache, lines, new, not_asked=CLASSES)
    state = state_of(cache)
    assert state is not None
    group = next(group for group, (_key, owned, *_rest) in state.groups.items() if work in owned)
    assert validated == [group, group]  # validate_lines (the reference), then validate_changes
