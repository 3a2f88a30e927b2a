"""The synthetic corpus generator (bench/generate.py): deterministic, and a build recovers its ground truth."""

from __future__ import annotations

import hashlib
import importlib
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from scholargraph.config import Settings
from scholargraph.names import person_key
from scholargraph.resolve import title_key

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
generate = importlib.import_module("generate")
build_module = importlib.import_module("scholargraph.build")


def _digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    generate.generate(tmp_path / "a", 12, seed=3)
    generate.generate(tmp_path / "b", 12, seed=3)
    generate.generate(tmp_path / "c", 12, seed=4)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_distributions(tmp_path: Path) -> None:
    corpus = generate.make_corpus(40, seed=7)
    researchers = corpus.persons[:40]
    listed = sorted(len([w for w in p.works if not corpus.works[w].hyper]) for p in researchers)
    # each researcher starts 20-60 works; co-authors' works come on top (median ~50)
    assert listed[0] >= 20 and 20 <= listed[len(listed) // 2] <= 60
    sizes = [len(w.authors) for w in corpus.works if not w.hyper]
    assert min(sizes) == 1 and max(sizes) <= 12
    assert any(len(w.authors) > 100 for w in corpus.works if w.hyper)
    assert {p.layout for p in researchers} == set(generate.LAYOUTS)


@pytest.fixture(scope="module")
def small_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, object]:
    data = tmp_path_factory.mktemp("corpus")
    generate.generate(data, 20, seed=7)
    truth = yaml.safe_load((data / "ground-truth.expected.yaml").read_text(encoding="utf-8"))
    documents, resolved, _triples = build_module.make_graph(Settings(data_dir=data, out_dir=data.parent / "out"), jobs=1)
    return truth, (documents, resolved)


def test_persons_recovered_exactly(small_build: tuple[dict, object]) -> None:
    truth, (_documents, resolved) = small_build
    assert sorted(person_key(p.name) for p in resolved.persons.values()) == sorted(person_key(n) for n in truth["persons"])


def test_works_recovered_exactly(small_build: tuple[dict, object]) -> None:
    truth, (_documents, resolved) = small_build
    assert sorted(title_key(w.titles[0].text) for w in resolved.works.values()) == sorted(title_key(t) for t in truth["works"])


def test_coauthor_pairs_recovered_exactly(small_build: tuple[dict, object]) -> None:
    truth, (_documents, resolved) = small_build
    hyper = {title_key(t) for t in truth["hyperauthored"]}
    found: Counter[tuple[str, str]] = Counter()
    for work in resolved.works.values():
        if title_key(work.titles[0].text) in hyper:
            continue
        keys = sorted({key for kind, key in work.authors if kind == "person"})
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                found[(a, b)] += 1
    expected = Counter({tuple(sorted((person_key(a), person_key(b)))): n for a, b, n in truth["coauthor_pairs"]})
    assert found == expected


def test_defects_are_unmapped_lines(small_build: tuple[dict, object]) -> None:
    truth, (documents, _resolved) = small_build
    texts = [u.text for d in documents for u in d.unmapped]
    planted = [t for t in texts if any(d.lstrip("- ") == t for d in generate.DEFECTS)]
    assert len(planted) == truth["defect_lines"]
