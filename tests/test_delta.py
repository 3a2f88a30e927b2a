"""Resolution by difference (scholargraph.delta): its state stays what a whole resolution
makes, and it gives way, with the reason, where a change reaches further than it follows.

tests/test_rebuild.py checks that rebuilds write what fresh builds write; here the state a
rebuild leaves for the next one is compared with the state a build from scratch leaves
(a drift there would only show rebuilds later), and the cases the delta hands over to a
whole resolution are named.
"""

from __future__ import annotations

import importlib
import pickle
import shutil
import sys
from pathlib import Path

import pytest

from scholargraph.config import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
generate = importlib.import_module("generate")
build_module = importlib.import_module("scholargraph.build")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("delta") / "data"
    generate.generate(data, 30, seed=11)
    return data


def _state(out: Path):
    with open(out / "cache" / build_module.RESOLUTION_STATE, "rb") as handle:
        return pickle.load(handle)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _first_publication(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("1. ") and "(" in line:
            return line
    raise AssertionError(f"no numbered publication in {path}")


def test_the_state_after_rebuilds_is_the_state_of_a_fresh_build(corpus: Path, tmp_path: Path) -> None:
    data = shutil.copytree(corpus, tmp_path / "data")
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    settings = Settings(data_dir=data, out_dir=out)
    build_module.build(settings, jobs=1)
    cvs = sorted(data.glob("cv-*.md"))
    first = _first_publication(cvs[0])
    edits = [
        (cvs[0], first, first.replace(").", "). Revised:", 1)),  # a title changed
        (cvs[1], "\n", "\n<!-- moved -->\n"),  # every span after the first line moves
        (cvs[2], _first_publication(cvs[2]) + "\n", ""),  # a publication removed
        (cvs[0], first.replace(").", "). Revised:", 1), first + "\n" + first.replace("1. ", "2. ", 1)),  # one listed twice
    ]
    for n, (path, old, new) in enumerate(edits):
        _edit(path, old, new)
        result = build_module.build(settings, jobs=1)
        assert result.resolution == "by difference (1 document changed)", n
        shutil.rmtree(fresh, ignore_errors=True)
        again = build_module.build(Settings(data_dir=data, out_dir=fresh), jobs=1)
        assert again.resolution == "whole (no complete build to start from)"
        assert (out / "graph.nt").read_bytes() == (fresh / "graph.nt").read_bytes(), n
        assert (out / "merges.yaml").read_bytes() == (fresh / "merges.yaml").read_bytes(), n
        mine, theirs = _state(out), _state(fresh)
        for name in vars(theirs):
            assert getattr(mine, name) == getattr(theirs, name), (n, name)


def test_a_person_whose_iri_changes_is_resolved_whole(corpus: Path, tmp_path: Path) -> None:
    """The name a person is shown by comes from every spelling; a middle initial added in the
    CV's heading makes it the longest, so the person's IRI (from that name) changes, and every
    line that points at them: the rebuild resolves and maps everything, and says why."""
    data = shutil.copytree(corpus, tmp_path / "data")
    out = tmp_path / "out"
    settings = Settings(data_dir=data, out_dir=out)
    build_module.build(settings, jobs=1)
    cv = sorted(data.glob("cv-*.md"))[0]
    heading = next(line for line in cv.read_text(encoding="utf-8").splitlines() if line.startswith("# "))
    given, family = heading[2:].split(" ", 1)
    _edit(cv, heading, f"# {given} Q. {family}")
    result = build_module.build(settings, jobs=1)
    key = f"{given} {family}".lower()
    assert result.resolution == f"whole (the IRI of person '{key}' changes)"
    assert result.difference is not None and result.difference != (0, 0)
    person = result.resolved.persons[key]
    assert person.name == f"{given} Q. {family}"
    fresh = build_module.build(Settings(data_dir=data, out_dir=tmp_path / "fresh"), use_cache=False, jobs=1)
    assert result.lines == fresh.lines
    # and the state it left serves the next rebuild by difference
    _edit(cv, "\n", "\n<!-- again -->\n")
    assert build_module.build(settings, jobs=1).resolution == "by difference (1 document changed)"


def test_many_documents_changed_are_resolved_whole(corpus: Path, tmp_path: Path) -> None:
    data = shutil.copytree(corpus, tmp_path / "data")
    out = tmp_path / "out"
    settings = Settings(data_dir=data, out_dir=out)
    build_module.build(settings, jobs=1)
    cvs = sorted(data.glob("cv-*.md"))
    for cv in cvs[: build_module.REBUILD_MAX_CHANGED + 1]:
        cv.write_text("<!-- touched -->\n" + cv.read_text(encoding="utf-8"), encoding="utf-8")
    result = build_module.build(settings, jobs=1)
    assert result.resolution == f"whole ({build_module.REBUILD_MAX_CHANGED + 1} documents changed)"
    fresh = build_module.build(Settings(data_dir=data, out_dir=tmp_path / "fresh"), use_cache=False, jobs=1)
    assert result.lines == fresh.lines


def test_without_the_cache_or_validation_there_is_no_state(corpus: Path, tmp_path: Path) -> None:
    data = shutil.copytree(corpus, tmp_path / "data")
    out = tmp_path / "out"
    settings = Settings(data_dir=data, out_dir=out)
    build_module.build(settings, jobs=1, validate=False)
    assert not (out / "cache" / build_module.RESOLUTION_STATE).exists()
    build_module.build(settings, jobs=1)
    assert (out / "cache" / build_module.RESOLUTION_STATE).exists()
    result = build_module.build(settings, jobs=1, validate=False)  # leaves outputs no later build may patch
    assert result.resolution == "whole (no complete build to start from)"
    assert not (out / "cache" / build_module.RESOLUTION_STATE).exists()


def test_a_difference_that_does_not_fit_the_last_graph_is_not_trusted(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A delta whose removed lines are not in the last graph (a fault, planted here) is thrown
    away: the build resolves and maps everything, and writes what a fresh build writes."""
    from scholargraph import delta

    data = shutil.copytree(corpus, tmp_path / "data")
    out = tmp_path / "out"
    settings = Settings(data_dir=data, out_dir=out)
    build_module.build(settings, jobs=1)
    real = delta.resolve_changes

    def planted(*args, **kwargs):
        found = real(*args, **kwargs)
        found.removed = sorted([*found.removed, "<https://example.org/nowhere> <https://example.org/p> \"x\" .\n"])
        return found

    monkeypatch.setattr(delta, "resolve_changes", planted)
    cv = sorted(data.glob("cv-*.md"))[0]
    cv.write_text("<!-- touched -->\n" + cv.read_text(encoding="utf-8"), encoding="utf-8")
    result = build_module.build(settings, jobs=1)
    assert result.resolution == "whole (the difference did not fit the last graph)"
    fresh = tmp_path / "fresh"
    build_module.build(Settings(data_dir=data, out_dir=fresh), use_cache=False, jobs=1)
    for name in ("graph.nt", "merges.yaml", "report.yaml", "graph.ttl"):
        assert (out / name).read_bytes() == (fresh / name).read_bytes(), name
    monkeypatch.undo()
    # the state it left is a whole resolution's: the next rebuild goes by difference again
    cv.write_text("<!-- again -->\n" + cv.read_text(encoding="utf-8"), encoding="utf-8")
    assert build_module.build(settings, jobs=1).resolution == "by difference (1 document changed)"
