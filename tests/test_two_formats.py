"""One person's Markdown CV and BibTeX file resolve to one person and one node per work."""

from __future__ import annotations

from pathlib import Path

import pytest

from scholargraph.build import make_graph
from scholargraph.config import Settings
from scholargraph.resolve import Resolved

DATA = Path(__file__).parent / "data" / "two-formats"


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> Resolved:
    documents, result, _ = make_graph(Settings(data_dir=DATA, out_dir=tmp_path_factory.mktemp("out")))
    assert [(d.path, d.kind) for d in documents] == [("cv-jane-doe.md", "markdown-cv"), ("publications.bib", "bibtex")]
    return result


def test_one_person_per_name(resolved: Resolved) -> None:
    assert sorted(p.name for p in resolved.persons.values()) == ["Jane A. Doe", "Marta Silva", "Piet de Vries"]
    jane = next(p for p in resolved.persons.values() if p.name == "Jane A. Doe")
    assert {s.source for s in jane.spans} == {"cv-jane-doe.md", "publications.bib"}


def test_one_node_per_work_with_what_both_say(resolved: Resolved) -> None:
    works = sorted(
        (
            w.type.value,
            w.titles[0].text,
            w.doi,
            w.date.iso() if w.date else None,
            tuple(resolved.persons[k].name for _, k in w.authors),
            tuple(sorted({s.source for s in w.spans})),
        )
        for w in resolved.works.values()
    )
    assert works == [
        ("ConferencePaper", "Waiting for work: idle time on crowdwork platforms", None, "2018", ("Jane A. Doe",), ("publications.bib",)),
        ("JournalArticle", "Counting clicks: measuring online piecework", "10.5555/nms.2020.0099", "2020-03",
         ("Marta Silva", "Jane A. Doe", "Piet de Vries"), ("cv-jane-doe.md", "publications.bib")),
        ("JournalArticle", "Platform time: scheduling work in the gig economy", "10.5555/jls.2021.0345", "2021",
         ("Jane A. Doe", "Piet de Vries"), ("cv-jane-doe.md", "publications.bib")),
    ]
    platform = next(w for w in resolved.works.values() if w.doi == "10.5555/jls.2021.0345")
    assert (platform.volume, platform.issue, platform.page_start, platform.page_end) == ("12", "3", "45", "67")
