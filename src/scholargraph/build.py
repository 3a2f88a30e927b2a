"""The build: documents → records → resolution → triples → validation → dumps.

:func:`build` is the library call behind ``scholargraph build``.  It writes, in
the output directory: ``graph.ttl`` (the dump), ``merges.yaml`` (every merge
with its evidence and every candidate left undecided), ``report.yaml`` (per
document: kind, entities, unmapped lines with reasons) and ``oxigraph/`` (an
embedded store for fast queries).  Nothing is written when the graph does not
conform to the shapes: the validation report is written instead.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

from .config import Settings
from .curated import load_curated
from .errors import DocumentError, ValidationFailed
from .mapping import Triple, build_triples
from .readers import read_document
from .records import Document, Unmapped, WorkType
from .resolve import MergeReport, Resolved, resolve

DOCUMENT_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".text", ".yaml", ".yml", ".json", ".bib", ".rst"})

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DocumentSummary:
    path: str
    kind: str
    records: int
    unmapped: int


@dataclass
class BuildResult:
    """What a build produced, for the command line and for tests."""

    documents: tuple[Document, ...]
    resolved: Resolved
    triples: list[Triple]
    out_dir: Path
    counts: dict[str, int] = field(default_factory=dict)
    validation: object | None = None

    @property
    def unmapped(self) -> list[Unmapped]:
        return [u for d in self.documents for u in d.unmapped]

    @property
    def report(self) -> MergeReport:
        return self.resolved.report

    def summaries(self) -> list[DocumentSummary]:
        return [DocumentSummary(d.path, d.kind, len(d.records), len(d.unmapped)) for d in self.documents]


def find_documents(data_dir: Path, exclude: tuple[Path, ...] = ()) -> list[Path]:
    """Every document under ``data_dir`` (recursively), sorted.

    Hidden files, ``README*`` files (notes about the folder, not documents) and
    ``*.expected.yaml`` test expectations are skipped.
    """
    if not data_dir.is_dir():
        raise DocumentError(data_dir, None, "data directory not found; pass the folder holding your documents")
    excluded = {p.resolve() for p in exclude}
    found = [
        path
        for path in data_dir.rglob("*")
        if path.is_file()
        and path.suffix.lower() in DOCUMENT_SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(data_dir).parts)
        and path.resolve() not in excluded
        and not path.name.endswith(".expected.yaml")
        and not path.name.upper().startswith("README")
    ]
    return sorted(found, key=lambda p: p.relative_to(data_dir).as_posix())


def read_documents(paths: list[Path], data_dir: Path, progress: Progress | None = None) -> list[Document]:
    documents = []
    for index, path in enumerate(paths, start=1):
        source = path.relative_to(data_dir).as_posix()
        try:
            documents.append(read_document(path, source))
        except DocumentError as exc:  # name the file as the user knows it
            raise DocumentError(path, exc.line, exc.message) from None
        if progress is not None:
            progress(source, index, len(paths))
    return documents


def entity_counts(resolved: Resolved) -> dict[str, int]:
    """Entities by kind, as the summary shows them."""
    counts: Counter[str] = Counter()
    counts["persons"] = len(resolved.persons)
    counts["organizations"] = len(resolved.organizations)
    counts["funders"] = sum(1 for o in resolved.organizations.values() if o.funder)
    for work in resolved.works.values():
        counts[f"works:{work.type.value}"] += 1
    counts["works"] = len(resolved.works)
    for role in resolved.roles:
        counts[f"roles:{role.kind.value}"] += 1
    counts["courses"] = len(resolved.courses)
    counts["events"] = sum(1 for e in resolved.events.values() if not e.hearing)
    counts["hearings"] = sum(1 for e in resolved.events.values() if e.hearing)
    counts["projects"] = len(resolved.projects)
    counts["merges"] = len(resolved.report.merges)
    counts["candidates"] = len(resolved.report.candidates)
    return dict(sorted(counts.items()))


def _merges_data(report: MergeReport) -> dict[str, object]:
    return {
        "merges": [
            {"kind": m.kind, "name": m.name, "variants": list(m.variants), "evidence": list(m.evidence), "sources": list(m.sources)}
            for m in report.merges
        ],
        "candidates": [
            {"kind": c.kind, "names": list(c.names), "reason": c.reason, "score": c.score} for c in report.candidates
        ],
    }


def _report_data(documents: tuple[Document, ...]) -> dict[str, object]:
    return {
        "documents": [
            {
                "path": d.path,
                "kind": d.kind,
                "sha256": d.sha256,
                "records": len(d.records),
                "unmapped": [{"line": u.span.start, "text": u.text, "reason": u.reason} for u in d.unmapped],
            }
            for d in documents
        ]
    }


def _dump_yaml(data: object, path: Path) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8")


def make_graph(settings: Settings, progress: Progress | None = None) -> tuple[tuple[Document, ...], Resolved, list[Triple]]:
    """Read, resolve and map, without writing anything."""
    curated_path = settings.curated_path
    paths = find_documents(settings.data_dir, exclude=(curated_path,))
    documents = read_documents(paths, settings.data_dir, progress)
    resolved = resolve(documents, load_curated(curated_path))
    return resolved.documents, resolved, build_triples(resolved, settings.base_iri)


def build(settings: Settings | None = None, *, validate: bool = True, progress: Progress | None = None) -> BuildResult:
    """Build the graph of ``settings.data_dir`` into ``settings.out_dir``.

    Raises :class:`DocumentError` for an unreadable document and
    :class:`ValidationFailed` (after writing the validation report) when the
    graph violates the shapes.
    """
    from . import dump

    settings = settings or Settings()
    documents, resolved, triples = make_graph(settings, progress)
    out = settings.out_dir
    out.mkdir(parents=True, exist_ok=True)
    result = BuildResult(documents, resolved, triples, out, entity_counts(resolved))
    _dump_yaml(_merges_data(resolved.report), out / "merges.yaml")
    _dump_yaml(_report_data(documents), out / "report.yaml")
    if validate:
        report = _validate(triples, settings)
        result.validation = report
        if report is not None and not getattr(report, "conforms", True):
            (out / "validation.txt").write_text(report.format_text(), encoding="utf-8")  # type: ignore[attr-defined]
            for stale in ("graph.ttl",):
                (out / stale).unlink(missing_ok=True)
            raise ValidationFailed(
                f"the graph does not conform to the shapes; see {out / 'validation.txt'} (no graph.ttl written)",
                report,
            )
    dump.write_turtle(triples, out / "graph.ttl")
    dump.write_store(triples, out / "oxigraph")
    return result


def _validate(triples: list[Triple], settings: Settings) -> object | None:
    try:
        from . import validate as validation
    except ImportError:  # pragma: no cover - the shapes module ships with the package
        return None
    from .mapping import to_rdflib

    return validation.validate_graph(to_rdflib(triples), source_root=f"{settings.data_dir.as_posix().rstrip('/')}/")


def work_type_label(value: str) -> str:
    return {t.value: t.name.replace("_", " ").lower() for t in WorkType}.get(value, value)
