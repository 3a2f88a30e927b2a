"""The hand-written corpus of tests/data/corpus: readers against expectations written by hand.

Each document has ``X.expected.yaml`` (format in tests/data/corpus/README.md).
Every aspect (persons, positions, works, ...) of every document is one test, so
that a failure names what the readers still get wrong.  Aspects known not to
pass yet are listed in ``KNOWN_GAPS`` and marked strict-xfail: the day they
pass, the suite says so and they must be taken off the list.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from scholargraph.dates import fold
from scholargraph.names import org_key
from scholargraph.readers import decode, kinds, read_document
from scholargraph.records import Course, Document, Project, Role, RoleKind, Span, Work
from scholargraph.resolve import Resolved, resolve

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "corpus"
LAYOUTS = DATA / "layouts"  # issue 6: other Markdown and reST layouts, in English and French


def _documents(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".md", ".txt", ".rst") and p.name != "README.md")


DOCUMENTS = _documents(CORPUS) + _documents(LAYOUTS)
ASPECTS = (
    "kind", "owner", "persons", "positions", "education", "service", "works", "courses", "project",
    "unmapped_lines", "every_line",
)

# (document, aspect) pairs the readers do not get right yet; see the closing notes of issue 2.
KNOWN_GAPS: set[tuple[str, str]] = set()


def _expected(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.with_name(path.stem + ".expected.yaml").read_text(encoding="utf-8"))


def _norm(text: str | None) -> str:
    return " ".join(fold(text or "").replace("’", "'").split())


def _date(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)


def _read(path: Path) -> tuple[Document, Resolved]:
    if path.suffix == ".rst" and "rst-cv" not in kinds():  # until readers/__init__.py registers the reST reader
        from scholargraph.readers import rst

        document = rst.read(decode(path), path.name)
    else:
        document = read_document(path, path.name)
    return document, resolve([document])


def _spans(value: Any) -> Iterator[Span]:
    """Every Span inside a record (its own, its agents', a hearing's report's...)."""
    if isinstance(value, Span):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _spans(getattr(value, f.name))
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _spans(item)


def _roles(resolved: Resolved, kind: RoleKind) -> set[tuple[str, str, str | None, str | None]]:
    out = set()
    for role in resolved.roles:
        if role.kind != kind:
            continue
        org = resolved.organizations[role.org].name if role.org else ""
        end = "ongoing" if role.ongoing else (role.end.iso() if role.end else None)
        out.add((_norm(role.role_name), org_key(org), role.start.iso() if role.start else None, end))
    return out


def _expected_roles(items: list[dict[str, Any]] | None) -> set[tuple[str, str, str | None, str | None]]:
    return {(_norm(i["role"]), org_key(i.get("org") or ""), _date(i.get("start")), _date(i.get("end"))) for i in items or []}


WorkKey = tuple[str, str, tuple[str, ...], str | None, str | None, str | None, str | None, str | None, str | None]


def _works(resolved: Resolved) -> set[WorkKey]:
    out = set()
    for work in resolved.works.values():
        names = []
        for kind, key in work.authors:
            names.append(_norm(resolved.persons[key].name if kind == "person" else resolved.organizations[key].name))
        date = work.date.iso() if work.date else None
        pages = "-".join(p for p in (work.page_start, work.page_end) if p) or None
        out.add((
            work.type.value, _norm(work.titles[0].text if work.titles else ""), tuple(names), date, work.doi, work.hal,
            work.volume, work.issue, pages,
        ))
    return out


def _expected_works(items: list[dict[str, Any]] | None) -> set[WorkKey]:
    return {
        (w["type"], _norm(w["title"]), tuple(_norm(a) for a in w.get("authors", [])),
         _date(w.get("date")), w.get("doi"), w.get("hal"), w.get("volume"), w.get("issue"), w.get("pages"))
        for w in items or []
    }


def check(path: Path, aspect: str) -> None:
    expected = _expected(path)
    document, resolved = _read(path)
    if aspect == "kind":
        assert document.kind == expected["kind"]
    elif aspect == "owner":
        if "owner" in expected:
            assert document.owner is not None and document.owner.name == expected["owner"]
        orcids = {p.name: p.orcid for p in resolved.persons.values() if p.orcid}
        assert orcids == (expected.get("orcids") or {})
    elif aspect == "persons":
        assert sorted(p.name for p in resolved.persons.values()) == sorted(expected.get("persons", []))
    elif aspect in ("positions", "education", "service"):
        kind = {"positions": RoleKind.POSITION, "education": RoleKind.EDUCATION, "service": RoleKind.SERVICE}[aspect]
        assert _roles(resolved, kind) == _expected_roles(expected.get(aspect))
    elif aspect == "works":
        assert _works(resolved) == _expected_works(expected.get("works"))
    elif aspect == "courses":
        got = {
            (_norm(c.name), org_key(resolved.organizations[c.provider].name if c.provider else ""), c.mode,
             c.workload, c.audience, c.start.iso() if c.start else None,
             "ongoing" if c.ongoing else (c.end.iso() if c.end else None))
            for c in resolved.courses
        }
        assert got == {
            (_norm(c["name"]), org_key(c.get("provider") or ""), c.get("mode"), c.get("workload"), c.get("audience"),
             _date(c.get("start")), _date(c.get("end")))
            for c in expected.get("courses", [])
        }
    elif aspect == "project":
        project = expected.get("project")
        projects = list(resolved.projects.values())
        if project is None:
            assert projects == []
            return
        assert len(projects) == 1
        got = projects[0]
        assert got.title == project["title"]
        assert got.acronym == project.get("acronym")
        assert {org_key(resolved.organizations[f].name) for f in got.funders} == {org_key(f) for f in project.get("funders", [])}
        assert {resolved.persons[m[0]].name for m in got.members} == set(project.get("members", []))
        if "host" in project:
            assert got.host is not None and org_key(resolved.organizations[got.host].name) == org_key(project["host"])
        events = {
            (resolved.events[e].name, resolved.events[e].date.iso() if resolved.events[e].date else None, resolved.events[e].place)
            for e in got.events
        }
        assert events == {(e["name"], _date(e.get("date")), e.get("place")) for e in project.get("events", [])}
    elif aspect == "unmapped_lines":
        assert sorted({u.span.start for u in document.unmapped}) == sorted(expected.get("unmapped_lines", []))
    elif aspect == "every_line":
        # nothing silently lost: each non-blank line is cited by a record, markup, or listed unmapped
        accounted = set(document.markup_lines)
        for span in [*_spans(document.records), *(u.span for u in document.unmapped)]:
            accounted.update(range(span.start, span.end + 1))
        lines = path.read_text(encoding="utf-8").splitlines()
        assert [n for n, line in enumerate(lines, 1) if line.strip() and n not in accounted] == []


CASES = [
    pytest.param(
        path, aspect, id=f"{path.name}-{aspect}",
        marks=[pytest.mark.xfail(strict=True, reason="known reader gap")] if (path.name, aspect) in KNOWN_GAPS else [],
    )
    for path in DOCUMENTS
    for aspect in ASPECTS
]


@pytest.mark.parametrize(("path", "aspect"), CASES)
def test_corpus_document(path: Path, aspect: str) -> None:
    check(path, aspect)


def test_corpus_has_three_cvs_and_two_project_pages() -> None:
    found = sorted(_expected(p)["kind"] for p in _documents(CORPUS))
    assert found == ["markdown-cv"] * 3 + ["project-page"] * 2


def test_layouts_cover_markdown_and_rst_in_english_and_french() -> None:
    layouts = _documents(LAYOUTS)
    assert len(layouts) >= 5
    assert {p.suffix for p in layouts} == {".md", ".rst"}
    languages: dict[str, set[str]] = {p.suffix: set() for p in layouts}
    for p in layouts:
        languages[p.suffix].add(_expected(p)["language"])
    assert languages == {".md": {"en", "fr"}, ".rst": {"en", "fr"}}
