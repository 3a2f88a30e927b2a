"""A rebuild in the same output folder writes exactly what a build from scratch writes.

The rebuild reuses what the previous build left (cached documents, the validation's
state, the dumps and the store, changed by difference); each edit below is made to
a generated corpus, then the folder is rebuilt and compared, file for file and
quad for quad, with a fresh build of the same documents in another folder.
"""

from __future__ import annotations

import importlib
import re
import shutil
import sqlite3
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from scholargraph.config import Settings
from scholargraph.errors import ValidationFailed

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
generate = importlib.import_module("generate")
build_module = importlib.import_module("scholargraph.build")

FILES = ("graph.ttl", "graph.nt", "graph.jsonld", "graph.trig", "void.ttl", "merges.yaml", "report.yaml")


def _edit(path: Path, change) -> None:
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def _first_article(text: str) -> re.Match[str]:
    found = re.search(r"^1\. (.*)$", text, flags=re.M)
    assert found is not None
    return found


def _store_quads(out: Path) -> set[str]:
    store = ox.Store.read_only(str(out / "oxigraph"))
    try:
        return {str(quad) for quad in store}
    finally:
        del store


def _index_rows(out: Path) -> list[object]:
    """The co-authors index by value (its row numbers are its own: a patched index may number otherwise)."""
    from scholargraph.network import COAUTHOR_INDEX

    path = out / "oxigraph" / COAUTHOR_INDEX
    if not path.exists():
        return []
    queries = (
        "SELECT value, blank FROM author",
        "SELECT term, top_rank, low, high FROM work",
        "SELECT a.value, w.term FROM authorship JOIN author a ON a.id = authorship.author JOIN work w ON w.id = authorship.work",
        "SELECT a.value, name.value, name.plain FROM name JOIN author a ON a.id = name.person",
    )
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        return [sorted(connection.execute(query)) for query in queries]


def _index_is_used(out: Path) -> bool:
    from scholargraph.network import CoauthorIndex

    index = CoauthorIndex.open(out / "oxigraph")
    return index is not None


def _same_as_a_fresh_build(data: Path, out: Path, fresh: Path, result) -> None:
    shutil.rmtree(fresh, ignore_errors=True)
    expected = build_module.build(Settings(data_dir=data, out_dir=fresh), use_cache=False, jobs=1)
    for name in FILES:
        assert (out / name).read_bytes() == (fresh / name).read_bytes(), name
    assert _store_quads(out) == _store_quads(fresh)
    assert _index_rows(out) == _index_rows(fresh)
    assert _index_is_used(out) and _index_is_used(fresh)
    assert result.lines == expected.lines
    assert result.validation.conforms == expected.validation.conforms
    assert result.validation.results == expected.validation.results
    assert result.counts == expected.counts
    assert result.unaccounted == expected.unaccounted


EDITS = {
    "an unmapped line at the end": lambda t: t + "\n## Notes\n\n- ??? one more line, unmapped\n",
    "a line at the top (every span moves)": lambda t: "<!-- updated -->\n" + t,
    "a title changed": lambda t: t.replace(_first_article(t).group(1), _first_article(t).group(1).replace(").", "). Revised:", 1), 1),
    "a co-author's name spelled otherwise": lambda t: t.replace("Felix Lingandor", "F. Lingandor"),
    "a publication removed": lambda t: t.replace(_first_article(t).group(0) + "\n", "", 1),
    "a publication added": lambda t: t.replace(
        "## Publications\n\n### Articles\n\n",
        "## Publications\n\n### Articles\n\n"
        "1. Zora Newname, Felix Mirsil & **Bianca Vozenlin** (2025). A work nobody listed before. *Réseaux*. doi: 10.5555/sg.999999\n",
    ),
    "a position added": lambda t: t.replace(
        "| Dates | Position | Institution |\n|---|---|---|\n",
        "| Dates | Position | Institution |\n|---|---|---|\n| 2025 – now | <b>Professor</b> | <b>Université de Nantes</b> |\n",
    ),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("rebuild") / "data"
    generate.generate(data, 30, seed=5)
    return data


def test_every_rebuild_equals_a_fresh_build(corpus: Path, tmp_path: Path) -> None:
    corpus = shutil.copytree(corpus, tmp_path / "data")
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    settings = Settings(data_dir=corpus, out_dir=out)
    assert build_module.build(settings, jobs=1).difference is None
    cv = corpus / "cv-bianca-vozenlin.md"
    for name, change in EDITS.items():
        _edit(cv, change)
        result = build_module.build(settings, jobs=1)
        assert result.cache.misses == ["cv-bianca-vozenlin.md"], name
        assert result.difference is not None and result.difference != (0, 0), name
        # resolved and mapped by difference too (only what the document touches)
        assert result.resolution == "by difference (1 document changed)", name
        _same_as_a_fresh_build(corpus, out, fresh, result)

    # the curated file (not a document) says two spellings are one person, and names an organisation
    (corpus / "curated.yaml").write_text(
        "persons:\n  - name: Felix Lingandor\n    aliases: [F. Lingandor]\n    orcid: 0000-0002-1825-0097\n"
        "organizations:\n  - name: University of Toronto\n    aliases: [U of T]\n    ror: 03dbr7087\n",
        encoding="utf-8",
    )
    result = build_module.build(settings, jobs=1)
    assert result.cache.misses == [] and result.difference is not None and result.difference != (0, 0)
    assert result.resolution == "whole (the last build's resolution state is of other code, settings or curation)"
    _same_as_a_fresh_build(corpus, out, fresh, result)

    # a document removed, another added
    (corpus / "cv-bianca-vozenlin.md").unlink()
    shutil.copy(corpus / "cv-adrian-rintis.md", corpus / "cv-adrian-rintis-copy.md")
    result = build_module.build(settings, jobs=1)
    assert result.resolution == "by difference (2 documents changed)"
    _same_as_a_fresh_build(corpus, out, fresh, result)

    # nothing changed
    result = build_module.build(settings, jobs=1)
    assert result.cache.misses == [] and result.difference == (0, 0)
    assert result.resolution == "by difference (0 documents changed)"
    _same_as_a_fresh_build(corpus, out, fresh, result)


def test_a_rebuild_that_breaks_the_shapes_leaves_no_dump_and_the_next_one_recovers(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Here the dumps are patched by the other process, as from 50,000 triples."""
    monkeypatch.setattr(build_module, "STAGED_DUMPS_MIN_TRIPLES", 0)
    data = tmp_path / "data"
    shutil.copytree(corpus, data)
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    settings = Settings(data_dir=data, out_dir=out)
    build_module.build(settings, jobs=1)
    cv = data / "cv-adrian-rintis.md"
    before = cv.read_text(encoding="utf-8")
    _edit(cv, EDITS["a line at the top (every span moves)"])
    result = build_module.build(settings, jobs=1)
    assert result.difference is not None and result.difference != (0, 0)
    _same_as_a_fresh_build(data, out, fresh, result)
    # a position without its organisation violates sg:EmployeeRoleShape
    _edit(cv, lambda t: t.replace("- 2019–2021 — Lecturer in Sociology, University of Bologna", "- 2019–2021 — Lecturer in Sociology"))
    with pytest.raises(ValidationFailed) as failed:
        build_module.build(settings, jobs=1)
    assert [name for name in FILES[:5] if (out / name).exists()] == []
    assert not (out / "oxigraph").exists()
    text = (out / "validation.txt").read_text(encoding="utf-8")
    assert 'cv-adrian-rintis.md:7: position "Lecturer in Sociology": position must name exactly one organisation' in text
    with pytest.raises(ValidationFailed) as again:
        build_module.build(Settings(data_dir=data, out_dir=fresh), use_cache=False, jobs=1)
    assert failed.value.report.results == again.value.report.results
    assert text == (fresh / "validation.txt").read_text(encoding="utf-8")

    cv.write_text(before, encoding="utf-8")
    result = build_module.build(settings, jobs=1)
    assert result.difference is None  # the failed build left nothing to patch
    _same_as_a_fresh_build(data, out, fresh, result)
    # a dump touched by hand is not patched: everything is written afresh
    (out / "graph.ttl").write_text("# edited\n", encoding="utf-8")
    _edit(cv, EDITS["an unmapped line at the end"])
    result = build_module.build(settings, jobs=1)
    assert result.difference is None
    _same_as_a_fresh_build(data, out, fresh, result)


def test_the_difference_gives_the_new_lines_in_order(tmp_path: Path) -> None:
    """The new graph's lines are made from the old ones and the difference: they are the
    sorted new lines exactly, whatever was removed or added (first, last, all, none)."""
    import random

    rng = random.Random(3)
    for trial in range(300):
        old = sorted({f'<x{rng.randrange(60)}> <p> "{rng.randrange(5)}" .\n' for _ in range(rng.randrange(80))})
        new = {f'<x{rng.randrange(60)}> <p> "{rng.randrange(5)}" .\n' for _ in range(rng.randrange(80))}
        new |= set(rng.sample(old, k=len(old) // 2))
        (tmp_path / "graph.nt").write_text("".join(old), encoding="utf-8", newline="")
        difference = build_module._Difference.of(tmp_path, new)
        assert difference.old_lines == old, trial
        assert difference.removed == sorted(set(old) - new) and difference.added == sorted(new - set(old)), trial
        assert difference.new_lines() == sorted(new), trial


def test_a_rebuild_with_gzip_patches_and_compresses_again(tmp_path: Path) -> None:
    data = shutil.copytree(Path(__file__).resolve().parents[1] / "data", tmp_path / "data")
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    settings = Settings(data_dir=data, out_dir=out)
    assert build_module.build(settings, jobs=1, gzip=True).difference is None
    _edit(data / "cv-clement-le-ludec.md", EDITS["a line at the top (every span moves)"])
    result = build_module.build(settings, jobs=1, gzip=True)
    assert result.difference is not None and result.difference != (0, 0)
    build_module.build(Settings(data_dir=data, out_dir=fresh), jobs=1, gzip=True, use_cache=False)
    names = [*FILES, *(f"{name}.gz" for name in FILES[:4])]
    assert [name for name in names if (out / name).read_bytes() != (fresh / name).read_bytes()] == []
    # without --gzip the last build's outputs are not the ones asked for: written afresh, .gz removed
    assert build_module.build(settings, jobs=1).difference is None
    assert sorted(p.name for p in out.glob("*.gz")) == []


def test_an_error_while_patching_the_dumps_is_raised_and_the_next_build_writes_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dumps are patched by a forked copy of the build: its error is raised in the build
    (a DocumentError stays one), the staging folder goes, and the next build writes afresh."""
    from scholargraph import dump
    from scholargraph.errors import DocumentError

    monkeypatch.setattr(build_module, "STAGED_DUMPS_MIN_TRIPLES", 0)
    data = shutil.copytree(Path(__file__).resolve().parents[1] / "data", tmp_path / "data")
    out = tmp_path / "out"
    settings = Settings(data_dir=data, out_dir=out)
    build_module.build(settings, jobs=1)
    _edit(data / "cv-clement-le-ludec.md", EDITS["an unmapped line at the end"])

    def broken(*args: object, **kwargs: object) -> None:
        raise DocumentError(data / "cv-clement-le-ludec.md", 3, "a planted failure")

    monkeypatch.setattr(dump, "patch_dumps", broken)
    with pytest.raises(DocumentError) as raised:
        build_module.build(settings, jobs=1)
    assert str(raised.value) == f"{data / 'cv-clement-le-ludec.md'}:3: a planted failure"
    assert not (out / build_module.STAGING_DIR).exists()
    monkeypatch.undo()
    monkeypatch.setattr(build_module, "STAGED_DUMPS_MIN_TRIPLES", 0)
    result = build_module.build(settings, jobs=1)
    assert result.difference is None
    _same_as_a_fresh_build(data, out, tmp_path / "fresh", result)
