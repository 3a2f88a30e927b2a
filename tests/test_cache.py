"""The per-document cache: a rebuild reads only the changed documents and writes the same bytes."""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

import pytest

from scholargraph.cache import DocumentCache
from scholargraph.config import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
generate = importlib.import_module("generate")
build_module = importlib.import_module("scholargraph.build")

OUTPUTS = ("graph.ttl", "merges.yaml", "report.yaml")


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    generate.generate(data, 8, seed=11)
    return data


def _build(data: Path, out: Path, **options: object) -> object:
    return build_module.build(Settings(data_dir=data, out_dir=out), validate=False, jobs=1, **options)


def test_rebuild_after_one_change_equals_a_full_build(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = _build(corpus, out)
    documents = len(first.documents)
    assert first.cache.hits == [] and len(first.cache.misses) == documents

    changed = sorted(corpus.glob("cv-*.md"))[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n## Notes\n\n- ??? one more line\n", encoding="utf-8")
    again = _build(corpus, out)
    assert again.cache.misses == [changed.name]
    assert len(again.cache.hits) == documents - 1

    fresh = tmp_path / "fresh"
    _build(corpus, fresh, use_cache=False)
    assert not (fresh / "cache").exists()
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (fresh / name).read_bytes(), name


def test_unchanged_corpus_is_served_from_the_cache_and_pruned(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _build(corpus, out)
    removed = sorted(corpus.glob("project-*.txt"))[0]
    removed.unlink()
    again = _build(corpus, out)
    assert again.cache.misses == []
    assert len(list((out / "cache" / "documents").glob("*.pickle"))) == len(again.documents)


def test_damaged_or_foreign_entries_are_misses(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _build(corpus, out)
    entries = sorted((out / "cache" / "documents").glob("*.pickle"))
    entries[0].write_bytes(b"not a pickle")
    again = _build(corpus, out)
    assert len(again.cache.misses) == 1

    paths = build_module.find_documents(corpus)
    other_code = DocumentCache(out / "cache", fingerprint="another version of the readers")
    build_module.read_documents(paths, corpus, cache=other_code)
    assert other_code.hits == [] and len(other_code.misses) == len(paths)


def test_parallel_reading_keeps_document_order(corpus: Path, tmp_path: Path) -> None:
    paths = build_module.find_documents(corpus) * 2  # enough documents for the process pool
    assert len(paths) >= build_module.PARALLEL_MIN_DOCUMENTS
    serial = build_module.read_documents(paths, corpus, jobs=1)
    parallel = build_module.read_documents(paths, corpus, jobs=2)
    assert parallel == serial


def test_a_failing_document_is_reported_as_in_a_serial_read(corpus: Path, tmp_path: Path) -> None:
    from scholargraph.errors import DocumentError

    bad = corpus / "zz-binary.md"
    bad.write_bytes(b"# x\n\x00\n")
    paths = build_module.find_documents(corpus) * 2
    with pytest.raises(DocumentError) as caught:
        build_module.read_documents(paths, corpus, jobs=2)
    assert "zz-binary.md" in str(caught.value)
    shutil.rmtree(tmp_path / "out", ignore_errors=True)


def test_name_splits_are_carried_over_to_the_next_build(corpus: Path, tmp_path: Path) -> None:
    """The name splits a build made are kept in cache/names.pickle and given to the next build
    with the same code and nameparser; a file from other code is ignored."""
    import pickle

    from scholargraph import names

    out = tmp_path / "out"
    _build(corpus, out)
    stamp, splits = pickle.loads((out / "cache" / "names.pickle").read_bytes())
    cache = DocumentCache(out / "cache", fingerprint=stamp.split("|nameparser ")[0])
    assert stamp == cache._names_stamp()
    assert len(splits) > 20 and all(splits[name] == names.split_person_name(name) for name in splits)

    # a split found in the file is the one used (nameparser is not asked again)
    (out / "cache" / "names.pickle").write_bytes(pickle.dumps((stamp, {"Zyx Carried-Over": ("Given", "Family")})))
    names.KNOWN_SPLITS.pop("Zyx Carried-Over", None)
    assert cache.load_names() == 1
    assert names.split_person_name("Zyx Carried-Over") == ("Given", "Family")

    (out / "cache" / "names.pickle").write_bytes(pickle.dumps(("other code|nameparser 0", {"Qwv Stale": ("A", "B")})))
    assert DocumentCache(out / "cache", fingerprint=cache.fingerprint).load_names() == 0
    assert "Qwv Stale" not in names.KNOWN_SPLITS
    (out / "cache" / "names.pickle").write_bytes(b"not a pickle")
    assert DocumentCache(out / "cache", fingerprint=cache.fingerprint).load_names() == 0
