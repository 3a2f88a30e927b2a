"""The persistent store patched by difference (``storepatch.patch_store``) and the new graph
seen through the old store (``storepatch.GraphOverlay``).

On a generated corpus, for real CV edits (each corpus built again) and synthetic changes
(removed works and persons, new co-authors, changed ranks, dates and names), the patched
store must hold exactly the quads of a store freshly written for the new graph, its
co-authors index the same rows (ids aside) and be used, and the canned queries give the
same tables; the overlay gives exactly the new graph's lines for every term the change
touches."""

from __future__ import annotations

import importlib
import re
import shutil
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from scholargraph import storepatch
from scholargraph.build import build
from scholargraph.config import Settings
from scholargraph.dump import write_store
from scholargraph.errors import DocumentError
from scholargraph.mapping import parse_lines
from scholargraph.network import COAUTHOR_INDEX, CoauthorIndex
from scholargraph.queries import load_queries, open_backend, run_query
from scholargraph.storepatch import GraphOverlay, patch_store

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
try:
    generate = importlib.import_module("generate")
finally:
    sys.path.remove(str(ROOT / "bench"))

B = "https://example.org/scholargraph/"
AUTHOR = "<https://schema.org/author>"
RANK = "<https://w3id.org/scholargraph/ns#authorRank>"
CONTEXT = "<http://purl.org/spar/pro/isDocumentContextFor>"
DATE = "<https://schema.org/datePublished>"
NAME = "<http://xmlns.com/foaf/0.1/name>"
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
PERSON = "<http://xmlns.com/foaf/0.1/Person>"
XSD = "http://www.w3.org/2001/XMLSchema#"


def _lines(build_dir: Path) -> list[str]:
    return (build_dir / "graph.nt").read_text(encoding="utf-8").splitlines(keepends=True)


def _parts(line: str) -> tuple[str, str, str]:
    subject, predicate, rest = line.split(" ", 2)
    return subject, predicate, rest[:-3]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The generated documents and their build (store and index written by the build)."""
    root = tmp_path_factory.mktemp("patch")
    generate.generate(root / "data", 24, seed=11)
    build(Settings(data_dir=root / "data", out_dir=root / "old"), validate=False)
    return root / "data", root / "old"


# --------------------------------------------------------------------------- comparing stores


def _write_fresh(lines: list[str], store_dir: Path) -> None:
    store_dir.parent.mkdir(parents=True, exist_ok=True)
    write_store(parse_lines(lines), store_dir)


def _blank(text: str, store_dir: Path) -> str:
    """``text`` with the store's blank node ids written ``_:b`` (a store gives blank nodes
    new ids as it loads them: equal up to them is equal, with one blank node per graph)."""
    store = ox.Store.read_only(str(store_dir))
    labels = {t.value for q in store for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)}
    for label in labels:
        text = text.replace(label, "b")
    return text


def _quads(store_dir: Path) -> list[str]:
    store = ox.Store.read_only(str(store_dir))
    assert list(store.named_graphs()) == []
    return sorted(_blank("\n".join(sorted(str(q) for q in store)), store_dir).split("\n"))


def _index_rows(store_dir: Path) -> dict[str, Any]:
    """The index's rows with ids replaced by the terms they stand for."""
    connection = sqlite3.connect(store_dir / COAUTHOR_INDEX)
    try:
        meta = dict(connection.execute("SELECT key, value FROM meta WHERE key != 'store'"))
        rows = {
            "meta": meta,
            "author": sorted(connection.execute("SELECT CASE blank WHEN 1 THEN 'b' ELSE value END, blank FROM author")),
            "work": sorted(connection.execute("SELECT term, top_rank, low, high FROM work")),
            "authorship": sorted(
                connection.execute(
                    "SELECT CASE a.blank WHEN 1 THEN 'b' ELSE a.value END, a.blank, w.term FROM authorship AS s"
                    " JOIN author AS a ON a.id = s.author JOIN work AS w ON w.id = s.work"
                )
            ),
            "name": sorted(
                connection.execute(
                    "SELECT CASE a.blank WHEN 1 THEN 'b' ELSE a.value END, n.value, n.plain"
                    " FROM name AS n JOIN author AS a ON a.id = n.person"
                )
            ),
            "counts": [connection.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("author", "work", "authorship", "name")],
        }
    finally:
        connection.close()
    return rows


def _answers(build_dir: Path, persons: list[str], works: list[str]) -> dict[str, Any]:
    """The canned queries' tables: every query without parameters, the network,
    and the per-person and per-work queries for the given persons and works."""
    answers: dict[str, Any] = {}
    for name, query in load_queries().items():
        if not query.params:
            answers[name] = run_query(name, graph_dir=build_dir)
    for name in ("coauthorship-network", "coauthorship-nodes"):  # the default cap (the engine is slow at small ones)
        answers[name] = run_query(name, graph_dir=build_dir)
    for person in persons:
        for cap in (2, 5, 100):
            answers[f"coauthors {person} {cap}"] = run_query(
                "coauthors", {"person": person, "max_authors": cap}, graph_dir=build_dir
            )
        for name in ("works-of-person", "career"):
            answers[f"{name} {person}"] = run_query(name, {"person": person}, graph_dir=build_dir)
    for work in works:
        answers[f"work-authors {work}"] = run_query("work-authors", {"work": work}, graph_dir=build_dir)
    return answers


def _touched(removed: list[str], added: list[str], old: list[str]) -> tuple[list[str], list[str]]:
    """Persons and works the change names (up to 16 of each, spread), and a few others."""
    terms = {t for line in (*removed, *added) for t in _parts(line)}
    persons = sorted({t[1:-1] for t in terms if t.startswith(f"<{B}person/")})
    works = sorted({t[1:-1].split("/author/")[0] for t in terms if t.startswith(f"<{B}work/")})
    everyone = sorted({_parts(line)[0][1:-1] for line in old if _parts(line)[2] == PERSON})
    persons, works = (found[:: max(1, len(found) // 16)] for found in (persons, works))
    return persons + everyone[:: max(1, len(everyone) // 6)], works


def _assert_patched_like_fresh(
    tmp_path: Path, old_build: Path, removed: list[str], added: list[str], *, indexed: bool = True
) -> None:
    old = _lines(old_build)
    assert set(removed) <= set(old) and not set(added) & set(old)
    new = sorted((set(old) - set(removed)) | set(added))
    patched, fresh = tmp_path / "patched", tmp_path / "fresh"
    shutil.copytree(old_build / "oxigraph", patched / "oxigraph")
    patch_store(patched / "oxigraph", removed, added)
    _write_fresh(new, fresh / "oxigraph")
    assert _quads(patched / "oxigraph") == _quads(fresh / "oxigraph")
    assert (CoauthorIndex.open(patched / "oxigraph") is not None) is indexed
    assert (CoauthorIndex.open(fresh / "oxigraph") is not None) is indexed
    if indexed:
        assert _index_rows(patched / "oxigraph") == _index_rows(fresh / "oxigraph")
        assert open_backend(graph_dir=patched).coauthor_index() is not None  # type: ignore[attr-defined]
    persons, works = _touched(removed, added, old)
    assert _blank(repr(_answers(patched, persons, works)), patched / "oxigraph") == _blank(
        repr(_answers(fresh, persons, works)), fresh / "oxigraph"
    )
    _assert_overlay(old_build / "oxigraph", old, removed, added, new)


def _assert_overlay(old_store: Path, old: list[str], removed: list[str], added: list[str], new: list[str]) -> None:
    overlay = GraphOverlay(old_store, old, removed, added)
    by_subject: dict[str, list[str]] = {}
    by_object: dict[str, list[str]] = {}
    by_pair: dict[tuple[str, str], list[str]] = {}
    for line in new:  # sorted: so is each list
        subject, predicate, obj = _parts(line)
        by_subject.setdefault(subject, []).append(line)
        by_object.setdefault(obj, []).append(line)
        by_pair.setdefault((predicate, obj), []).append(line)
    terms: set[str] = set()
    pairs: set[tuple[str, str]] = {(TYPE, PERSON)}
    for line in (*removed, *added):
        subject, predicate, obj = _parts(line)
        terms.update((subject, obj))
        pairs.add((predicate, obj))
    for term in sorted(terms):
        assert overlay.lines_with_subject(term) == by_subject.get(term, []), term
        assert overlay.lines_with_object(term) == by_object.get(term, []), term
    for predicate, obj in sorted(pairs):
        assert overlay.lines_with_predicate_object(predicate, obj) == by_pair.get((predicate, obj), []), (predicate, obj)


# --------------------------------------------------------------------------- real CV edits


def _edit(data: Path, change: Callable[[Path], None], out: Path, old_build: Path) -> tuple[list[str], list[str]]:
    """Build a copy of ``data`` with one document changed; the change from the old build."""
    edited = out / "data"
    shutil.copytree(data, edited)
    change(edited)
    build(Settings(data_dir=edited, out_dir=out / "new"), validate=False)
    old, new = set(_lines(old_build)), set(_lines(out / "new"))
    return sorted(old - new), sorted(new - old)


def _first_cv(data: Path) -> Path:
    """The Markdown CV with the most publications."""
    return max(sorted(data.glob("cv-*.md")), key=lambda path: len(_publications(path)))


def _publications(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if re.match(r"\d+\. .*«", line)]


def _replace_line(path: Path, old: str, new: str | None) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    at = lines.index(old)
    if new is None:
        del lines[at]
    else:
        lines[at] = new
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _drop_publication(data: Path) -> None:
    path = _first_cv(data)
    _replace_line(path, _publications(path)[3], None)


def _new_coauthor(data: Path) -> None:
    path = _first_cv(data)
    line = _publications(path)[1]
    number, rest = line.split(" ", 1)
    _replace_line(path, line, f"{number} Zacharie Nouvelauteur, {rest}")


def _swap_authors(data: Path) -> None:
    path = _first_cv(data)
    line = next(p for p in _publications(path) if p.count(",") >= 4)
    head, tail = line.split(" ", 1)
    authors, rest = tail.split(" «", 1)
    names = authors.rstrip(", ").split(", ")
    names[0], names[1] = names[1], names[0]
    _replace_line(path, line, f"{head} {', '.join(names)}, «{rest}")


def _new_date(data: Path) -> None:
    path = _first_cv(data)
    line = _publications(path)[0]
    changed = re.sub(r"(\d{4})(?=\.| DOI|$)", lambda m: str(int(m.group(1)) - 30), line, count=1)
    assert changed != line
    _replace_line(path, line, changed)


def _drop_cv(data: Path) -> None:
    sorted(data.glob("cv-*"))[-1].unlink()


EDITS = {
    "dropped publication": _drop_publication,
    "new co-author": _new_coauthor,
    "swapped authors": _swap_authors,
    "new date": _new_date,
    "dropped CV": _drop_cv,
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_cv_edit(tmp_path: Path, corpus: tuple[Path, Path], edit: str) -> None:
    data, old_build = corpus
    removed, added = _edit(data, EDITS[edit], tmp_path / "edit", old_build)
    assert removed or added
    _assert_patched_like_fresh(tmp_path, old_build, removed, added)


# --------------------------------------------------------------------------- synthetic changes


def _works_by_authors(old: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in old:
        subject, predicate, obj = _parts(line)
        if predicate == AUTHOR:
            found.setdefault(subject, []).append(obj)
    return found


def _mentioning(old: list[str], term: str) -> list[str]:
    """Every line with ``term`` as subject or object, and the lines of its author roles."""
    prefix = term[:-1] + "/author/"
    return [line for line in old if (p := _parts(line))[0] == term or p[2] == term or p[0].startswith(prefix)]


def _remove_work(old: list[str]) -> tuple[list[str], list[str]]:
    works = _works_by_authors(old)
    work = max(works, key=lambda w: (len(works[w]), w))
    return sorted(_mentioning(old, work)), []


def _remove_person(old: list[str]) -> tuple[list[str], list[str]]:
    counts: dict[str, int] = {}
    for authors in _works_by_authors(old).values():
        for a in authors:
            counts[a] = counts.get(a, 0) + 1
    person = max(counts, key=lambda p: (counts[p], p))
    return sorted(line for line in old if person in _parts(line)[::2]), []


def _new_coauthors(old: list[str]) -> tuple[list[str], list[str]]:
    works = _works_by_authors(old)
    added: list[str] = []
    for n, work in enumerate(sorted(works)[:5]):
        person = f"<{B}person/new-{n}>"
        role = f"{work[:-1]}/author/{len(works[work]) + 1}>"
        added += [
            f"{person} {TYPE} {PERSON} .\n",
            f'{person} {NAME} "Nouvelle Personne {n % 2}" .\n',
            f"{work} {AUTHOR} {person} .\n",
            f"{work} {CONTEXT} {role} .\n",
            f'{role} {RANK} "{len(works[work]) + 1}"^^<{XSD}positiveInteger> .\n',
        ]
    work = f"<{B}work/brand-new>"
    authors = sorted(works[sorted(works)[0]])[:3]
    added += [f"{work} {AUTHOR} {a} .\n" for a in authors]
    added += [f'{work} {DATE} "1970"^^<{XSD}gYear> .\n']
    return [], sorted(set(added) - set(old))


def _changed_ranks(old: list[str]) -> tuple[list[str], list[str]]:
    removed, added = [], []
    ranks = [line for line in old if _parts(line)[1] == RANK]
    for line in ranks[::7]:
        subject, _, obj = _parts(line)
        removed.append(line)
        added.append(f'{subject} {RANK} "{int(obj.split(chr(34))[1]) + 150}"^^<{XSD}positiveInteger> .\n')
    return sorted(removed), sorted(set(added) - set(old))


def _dates_and_names(old: list[str]) -> tuple[list[str], list[str]]:
    removed, added = [], []
    dates = [line for line in old if _parts(line)[1] == DATE]
    for n, line in enumerate(dates[::5]):
        subject = _parts(line)[0]
        removed.append(line)
        if n % 3:
            added.append(f'{subject} {DATE} "{1900 + n}"^^<{XSD}gYear> .\n')
        if n % 4 == 1:
            added.append(f'{subject} {DATE} "n.d." .\n')
    names = [line for line in old if _parts(line)[1] == NAME and _parts(line)[0].startswith(f"<{B}person/")]
    for n, line in enumerate(names[::9]):
        subject = _parts(line)[0]
        if n % 2:
            removed.append(line)
        added.append(f'{subject} {NAME} "Autre Nom {n}" .\n')
        if n % 5 == 2:
            added.append(f'{subject} {NAME} "Nom"@fr .\n')
    types = [line for line in old if _parts(line)[2] == PERSON]
    removed += types[1::11]  # persons no longer typed: their names leave the co-authors' rows
    return sorted(set(removed)), sorted(set(added) - set(old))


def _blank_author(old: list[str]) -> tuple[list[str], list[str]]:
    work = sorted(_works_by_authors(old))[2]
    return [], [f"{work} {AUTHOR} _:somebody .\n", f'_:somebody {NAME} "Quelqu\'un" .\n', f"_:somebody {TYPE} {PERSON} .\n"]


def _nothing(old: list[str]) -> tuple[list[str], list[str]]:
    return [], []


SYNTHETIC = {
    "removed work": _remove_work,
    "removed person": _remove_person,
    "new co-authors and a new work": _new_coauthors,
    "changed ranks": _changed_ranks,
    "dates, names and types": _dates_and_names,
    "a blank node author": _blank_author,
    "no change": _nothing,
}


@pytest.mark.parametrize("change", sorted(SYNTHETIC))
def test_a_synthetic_change(tmp_path: Path, corpus: tuple[Path, Path], change: str) -> None:
    _, old_build = corpus
    removed, added = SYNTHETIC[change](_lines(old_build))
    _assert_patched_like_fresh(tmp_path, old_build, removed, added)


def test_everything_at_once_then_back(tmp_path: Path, corpus: tuple[Path, Path]) -> None:
    """Several changes in one, patched twice in a row: there and back again."""
    _, old_build = corpus
    old = _lines(old_build)
    removed: set[str] = set()
    added: set[str] = set()
    for change in SYNTHETIC.values():
        r, a = change(old)
        removed.update(r)
        added.update(a)
    added -= removed
    _assert_patched_like_fresh(tmp_path / "there", old_build, sorted(removed), sorted(added))
    store = tmp_path / "there" / "patched" / "oxigraph"
    patch_store(store, sorted(added), sorted(removed))
    assert _quads(store) == _quads(old_build / "oxigraph")
    assert _index_rows(store) == _index_rows(old_build / "oxigraph")
    assert CoauthorIndex.open(store) is not None


def test_a_rank_that_is_not_an_integer_leaves_no_index(tmp_path: Path, corpus: tuple[Path, Path]) -> None:
    _, old_build = corpus
    line = next(line for line in _lines(old_build) if _parts(line)[1] == RANK)
    subject = _parts(line)[0]
    _assert_patched_like_fresh(tmp_path, old_build, [line], [f'{subject} {RANK} "first" .\n'], indexed=False)


def test_a_store_without_a_usable_index_gets_one(tmp_path: Path, corpus: tuple[Path, Path]) -> None:
    _, old_build = corpus
    store = tmp_path / "b" / "oxigraph"
    shutil.copytree(old_build / "oxigraph", store)
    (store / COAUTHOR_INDEX).unlink()
    removed, added = _new_coauthors(_lines(old_build))
    patch_store(store, removed, added)
    fresh = tmp_path / "fresh"
    _write_fresh(sorted(set(_lines(old_build)) | set(added)), fresh)
    assert _index_rows(store) == _index_rows(fresh)
    assert CoauthorIndex.open(store) is not None


# --------------------------------------------------------------------------- failures


@pytest.fixture()
def old_store(tmp_path: Path, corpus: tuple[Path, Path]) -> tuple[Path, list[str]]:
    _, old_build = corpus
    store = tmp_path / "b" / "oxigraph"
    shutil.copytree(old_build / "oxigraph", store)
    return store, _lines(old_build)


def test_a_failure_inside_the_update_leaves_the_old_graph(
    old_store: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The update fails after its deletions and insertions ran: nothing of it is kept."""
    store, old = old_store
    before = _quads(store)
    removed, added = _remove_work(old)
    failing = storepatch._APPLY + " ;\nCREATE GRAPH <urn:x:twice> ;\nCREATE GRAPH <urn:x:twice>"
    monkeypatch.setattr(storepatch, "_APPLY", failing)
    with pytest.raises(DocumentError, match="holds the previous graph"):
        patch_store(store, removed, added)
    assert _quads(store) == before  # and no staging graph left
    assert not (store / COAUTHOR_INDEX).exists()  # made for files that changed
    monkeypatch.undo()
    patch_store(store, removed, added)  # the build may try again
    _write_fresh(sorted(set(old) - set(removed)), tmp_path / "fresh")
    assert _quads(store) == _quads(tmp_path / "fresh")
    assert _index_rows(store) == _index_rows(tmp_path / "fresh")
    assert CoauthorIndex.open(store) is not None


def test_a_store_that_cannot_be_cleaned_is_removed(
    old_store: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, old = old_store

    class Broken:
        def __init__(self, path: Path) -> None:
            self.store = ox.Store(str(path))
            self.calls = 0

        def __getattr__(self, name: str) -> Any:
            return getattr(self.store, name)

        def __contains__(self, quad: Any) -> bool:
            return quad in self.store

        def update(self, text: str) -> None:
            raise OSError("disk full")

        def remove_graph(self, graph: Any) -> None:
            self.calls += 1
            if self.calls > 2:  # the clean-up after the failure
                raise OSError("disk full")
            self.store.remove_graph(graph)

    monkeypatch.setattr(storepatch, "_open", Broken)
    with pytest.raises(DocumentError, match="was removed; rebuild in full"):
        patch_store(store, *_remove_work(old))
    assert not store.exists()


def test_staging_graphs_left_by_a_killed_process_are_dropped(old_store: tuple[Path, list[str]], tmp_path: Path) -> None:
    store, old = old_store
    removed, added = _new_coauthors(old)
    opened = ox.Store(str(store))
    opened.extend(ox.Quad(*t, storepatch._ADDED) for t in parse_lines(added))  # killed before the update
    del opened
    patch_store(store, removed, added)
    _write_fresh(sorted(set(old) | set(added)), tmp_path / "fresh")
    assert _quads(store) == _quads(tmp_path / "fresh")
    assert _index_rows(store) == _index_rows(tmp_path / "fresh")


def test_a_change_that_does_not_fit_the_store_is_refused(old_store: tuple[Path, list[str]]) -> None:
    store, old = old_store
    before = _quads(store)
    with pytest.raises(DocumentError, match="not the store of the previous build"):
        patch_store(store, [f'<{B}x> {NAME} "absent" .\n'], [])
    assert _quads(store) == before
    assert CoauthorIndex.open(store) is not None


def test_no_store_to_patch(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="no store to patch"):
        patch_store(tmp_path / "missing", [], [])


# --------------------------------------------------------------------------- the overlay


def test_the_overlay_reads_terms_in_any_n_triples_form(old_store: tuple[Path, list[str]]) -> None:
    store, old = old_store
    name = next(line for line in old if _parts(line)[1] == NAME)
    subject, _, literal = _parts(name)
    overlay = GraphOverlay(store, old, [name], [])
    assert name not in overlay.lines_with_subject(subject)
    value = literal[1:-1]
    assert overlay.lines_with_object(f'"{value}"^^<{XSD}string>') == overlay.lines_with_object(literal)
    assert overlay.lines_with_subject(literal) == []
    assert overlay.lines_with_predicate_object(literal, subject) == []
    with pytest.raises(DocumentError, match="not one N-Triples term"):
        overlay.lines_with_subject("<a> <b>")


@pytest.mark.parametrize("change", ["new co-authors and a new work", "changed ranks", "removed person"])
def test_the_index_is_patched_not_rewritten(
    tmp_path: Path, corpus: tuple[Path, Path], change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, old_build = corpus
    removed, added = SYNTHETIC[change](_lines(old_build))

    def refused(directory: Path) -> None:
        raise AssertionError("the index was written afresh")

    store = tmp_path / "b" / "oxigraph"
    shutil.copytree(old_build / "oxigraph", store)
    monkeypatch.setattr(storepatch, "write_coauthor_index", refused)
    patch_store(store, removed, added)
    monkeypatch.undo()
    _write_fresh(sorted((set(_lines(old_build)) - set(removed)) | set(added)), tmp_path / "fresh")
    assert _index_rows(store) == _index_rows(tmp_path / "fresh")
    assert CoauthorIndex.open(store) is not None
