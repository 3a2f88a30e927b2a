"""The build: documents → records → resolution → triples → validation → dumps.

:func:`build` is the library call behind ``scholargraph build``.  It writes, in
the output directory: ``graph.ttl`` (the dump), ``merges.yaml`` (every merge
with its evidence and every candidate left undecided), ``report.yaml`` (per
document: kind, entities, unmapped lines with reasons) and ``oxigraph/`` (an
embedded store for fast queries).  Nothing is written when the graph does not
conform to the shapes: the validation report is written instead.

Speed.  Documents are read in parallel (``jobs`` processes, results kept in
document order) and each document's records are cached in ``cache/`` by
content hash (:mod:`scholargraph.cache`), so a rebuild re-reads only the
documents that changed.  When ``out`` holds what the last complete build left
(``cache/outputs.json`` says so), a rebuild goes by difference: it resolves and
maps only what the changed documents touch (:mod:`scholargraph.delta`, from
``cache/resolution.pickle``), validates only the chunks the changed lines reach
(:func:`scholargraph.validate.validate_changes`) and patches the dumps and the
store; otherwise everything is done on the whole corpus.  ``merges.yaml`` and
the resolution's state are written by forked copies of the process while it
goes on.  From 50,000 triples, the dumps and the store are written by another
process into ``out/.staged-dumps/`` while the graph is validated, and moved
into place only if it conforms.  Mapping hands on the graph as sorted
N-Triples lines; :attr:`BuildResult.triples` parses them when asked.
"""

from __future__ import annotations

import bisect
import fnmatch
import gc
import os
import shutil
import signal
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterator, Sequence

import yaml

from .accounting import read_texts
from .cache import DocumentCache, code_fingerprint, write_atomically
from .config import Limits, Settings
from .curated import load_curated
from .errors import DocumentError, ValidationFailed
from .mapping import Triple, build_line_set, build_lines, build_triples, parse_lines
from .readers import read_document
from .records import Document, Unmapped, WorkType
from .resolve import Candidate, Merge, MergeReport, Resolved, resolve

DOCUMENT_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".text", ".yaml", ".yml", ".json", ".bib", ".rst"})

Progress = Callable[[str, int, int], None]
# A stage of the build as it starts ("resolving", "mapping", "writing reports", "validating",
# "writing dumps"), with what is done of it and its total when they are known (else 0, 0):
# "validating" is sent again as its batches are done.
Stage = Callable[[str, int, int], None]
# Below this many documents to read, a process pool costs more than it saves.
PARALLEL_MIN_DOCUMENTS = 24


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
    lines: list[str]  # the graph as sorted N-Triples lines (mapping.build_lines)
    out_dir: Path
    counts: dict[str, int] = field(default_factory=dict)
    validation: object | None = None
    cache: DocumentCache | None = None  # hits and misses of the document cache
    unaccounted: dict[str, list[int]] = field(default_factory=dict)  # lines neither cited nor reported
    # (lines removed, lines added) when the previous build's outputs were brought up to date by
    # difference; None when everything was validated and written afresh
    difference: tuple[int, int] | None = None
    # how the documents were resolved and mapped: "whole" (with why, when a rebuild could not
    # go by difference) or "by difference" (only what the changed documents touch)
    resolution: str = "whole"

    @cached_property
    def triples(self) -> list[Triple]:
        """The graph's pyoxigraph triples, in the order of :attr:`lines`, parsed on first use."""
        return parse_lines(self.lines)

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


@dataclass(frozen=True)
class _Failure:
    """A DocumentError raised in a worker process, carried back as data."""

    line: int | None
    message: str


def _read_one(item: tuple[Path, str, Limits, str | None]) -> Document | _Failure:
    path, source, limits, kind = item
    try:
        return read_document(path, source, kind, limits=limits)
    except DocumentError as exc:
        return _Failure(exc.line, exc.message)


def default_jobs() -> int:
    """Worker processes for reading: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _read_all(items: list[tuple[Path, str, Limits, str | None]], jobs: int) -> Iterator[Document | _Failure]:
    """Read ``items`` in order, in ``jobs`` processes when there are enough of them."""
    if jobs <= 1 or len(items) < PARALLEL_MIN_DOCUMENTS:
        yield from map(_read_one, items)
        return
    chunk = max(1, min(16, len(items) // (jobs * 8)))
    # the workers collect garbage (the build may have switched the collector off): parsing leaves cycles
    with ProcessPoolExecutor(max_workers=jobs, initializer=gc.enable) as pool:
        yield from pool.map(_read_one, items, chunksize=chunk)


def forced_kind(source: str, kinds: Sequence[tuple[str, str]]) -> str | None:
    """The kind forced for ``source`` by the first matching ``(glob, kind)`` pair (``--kind 'cv/*.txt=markdown-cv'``)."""
    for pattern, kind in kinds:
        if fnmatch.fnmatchcase(source, pattern):
            return kind
    return None


def read_documents(
    paths: list[Path],
    data_dir: Path,
    progress: Progress | None = None,
    *,
    jobs: int = 1,
    cache: DocumentCache | None = None,
    limits: Limits | None = None,
    kinds: Sequence[tuple[str, str]] = (),
) -> list[Document]:
    """The records of every document, in the order of ``paths``.

    Documents found in ``cache`` (same bytes, same path, same code) are not
    read again; the others are read in ``jobs`` processes and added to it.
    """
    sources = [path.relative_to(data_dir).as_posix() for path in paths]
    found: list[Document | None] = [None] * len(paths)
    keys: list[str | None] = [None] * len(paths)
    if cache is not None:
        for n, (path, source) in enumerate(zip(paths, sources)):
            try:
                keys[n] = cache.key(path, source)
            except OSError:
                continue  # reading it will raise the error the user should see
            found[n] = cache.get(keys[n], source)  # type: ignore[arg-type]
    todo = [n for n in range(len(paths)) if found[n] is None]
    bounds = limits or Limits()
    fresh = _read_all([(paths[n], sources[n], bounds, forced_kind(sources[n], kinds)) for n in todo], jobs)
    documents: list[Document] = []
    for index, (path, source) in enumerate(zip(paths, sources), start=1):
        document = found[index - 1]
        if document is None:
            outcome = next(fresh)
            if isinstance(outcome, _Failure):  # name the file as the user knows it
                fresh.close()
                raise DocumentError(path, outcome.line, outcome.message)
            document = outcome
            key = keys[index - 1]
            if cache is not None and key is not None:
                cache.put(key, document)
        documents.append(document)
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
    return {"merges": [_merge_data(m) for m in report.merges], "candidates": [_candidate_data(c) for c in report.candidates]}


def _merge_data(m: Merge) -> dict[str, object]:
    return {"kind": m.kind, "name": m.name, "variants": list(m.variants), "evidence": list(m.evidence), "sources": list(m.sources)}


def _candidate_data(c: Candidate) -> dict[str, object]:
    return {"kind": c.kind, "names": list(c.names), "reason": c.reason, "score": c.score}


def _merges_text(report: MergeReport, last: tuple[MergeReport, Path] | None = None) -> str:
    """``merges.yaml``: the text ``yaml.dump`` gives :func:`_merges_data`, made entry by entry
    (each merge or candidate is a block of its own at the left margin); with ``last`` (the
    last build's report and its ``merges.yaml``), the entries that did not change are copied
    from that file instead of being made again (seconds of YAML at a million triples)."""
    known: dict[object, str] = {}
    if last is not None:
        known = _merges_entries(*last)
    parts: list[str] = []
    for section, items, data in (("merges", report.merges, _merge_data), ("candidates", report.candidates, _candidate_data)):
        if not items:
            parts.append(f"{section}: []\n")
            continue
        parts.append(f"{section}:\n")
        for item in items:
            text = known.get(item)
            if text is None:
                text = yaml.dump([data(item)], Dumper=_YAML_DUMPER, allow_unicode=True, sort_keys=False, width=100)  # type: ignore[arg-type]
            parts.append(text)
    return "".join(parts)


def _merges_aside(out: Path, report: MergeReport, last: tuple[MergeReport, Path] | None = None) -> _WrittenAside:
    """``out/merges.yaml`` (:func:`_merges_text`), written by a forked copy of this process."""
    return _WrittenAside(out / "merges.yaml", lambda path: path.write_text(_merges_text(report, last), encoding="utf-8"))


def _merges_entries(report: MergeReport, path: Path) -> dict[object, str]:
    """Merge or candidate of ``report`` -> its text in ``path`` (written by :func:`_merges_text`
    for that report; nothing if the file does not have their number of entries)."""
    import re

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    found: dict[object, str] = {}
    sections = re.split(r"^(?=candidates:)", text, maxsplit=1, flags=re.M)
    if len(sections) != 2:
        return {}
    for section, items in zip(sections, (report.merges, report.candidates)):
        header, *entries = re.split(r"^(?=- )", section, flags=re.M)
        if len(entries) != len(items):
            return {}
        found.update(zip(items, entries))
    return found


def _report_data(documents: tuple[Document, ...], unaccounted_lines: dict[str, list[int]]) -> dict[str, object]:
    return {
        "documents": [
            {
                "path": d.path,
                "kind": d.kind,
                "sha256": d.sha256,
                "records": len(d.records),
                "unmapped": [{"line": u.span.start, "text": u.text, "reason": u.reason} for u in d.unmapped],
                # lines the reader neither mapped nor reported: a reader bug, listed so nothing is lost silently
                "unaccounted": unaccounted_lines.get(d.path, []),
            }
            for d in documents
        ]
    }


# libyaml's emitter where PyYAML has it: the same text, 3-20x faster (merges.yaml at
# 1M triples is 8 MB: 8.2 s with the pure-Python emitter, 2.8 s with libyaml)
_YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _dump_yaml(data: object, path: Path) -> None:
    text = yaml.dump(data, Dumper=_YAML_DUMPER, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(text, encoding="utf-8")


def make_graph(
    settings: Settings,
    progress: Progress | None = None,
    *,
    jobs: int | None = None,
    cache: DocumentCache | None = None,
    kinds: Sequence[tuple[str, str]] = (),
) -> tuple[tuple[Document, ...], Resolved, list[Triple]]:
    """Read, resolve and map, without writing anything (except into ``cache``).

    ``jobs``: processes reading documents (default: the usable CPUs).
    ``kinds``: ``(glob, kind)`` pairs forcing the kind of the documents whose
    path (relative to the data directory) matches; the others are detected.
    """
    documents, resolved = _read_and_resolve(settings, progress, jobs=jobs, cache=cache, kinds=kinds)
    return documents, resolved, build_triples(resolved, settings.base_iri)


def _read_and_resolve(
    settings: Settings,
    progress: Progress | None,
    *,
    jobs: int | None,
    cache: DocumentCache | None,
    kinds: Sequence[tuple[str, str]],
    freeze: bool = False,
    stage: Stage | None = None,
    rebuild: _Rebuild | None = None,
) -> tuple[tuple[Document, ...], Resolved]:
    """The documents, read, and their resolution; with ``freeze``, each stage's objects are
    moved out of the garbage collector's sight once made (see :func:`build`).  With
    ``rebuild`` (and ``cache``), by difference from the last build when it can (what it did
    is left in ``rebuild``)."""
    curated_path = settings.curated_path
    curated = load_curated(curated_path)
    # a curated-records document that happens to bear the curation file's name is read as a document
    paths = find_documents(settings.data_dir, exclude=() if curated.is_records else (curated_path,))
    documents = read_documents(
        paths, settings.data_dir, progress, jobs=default_jobs() if jobs is None else jobs, cache=cache,
        limits=settings.limits, kinds=kinds,
    )
    if freeze:
        gc.freeze()
    if stage is not None:
        stage("resolving", 0, 0)
    if rebuild is not None and cache is not None:
        resolved = rebuild.resolve(documents, curated, cache, settings.base_iri)
    else:
        resolved = resolve(documents, curated)
    if freeze:
        gc.freeze()
    return resolved.documents, resolved


RESOLUTION_STATE = "resolution.pickle"  # in out/cache: what a rebuild needs to resolve by difference


class _Rebuild:
    """Resolution by difference from the last complete build (:mod:`scholargraph.delta`), or
    whole, leaving behind the state the next build needs.

    ``state`` is the last build's (None: resolve the whole corpus, for ``why``); after
    :meth:`resolve`, :attr:`delta` holds the lines that differ when it went by difference, and
    :meth:`write_state` writes the new state (in a forked copy, see :class:`_WrittenAside`).
    """

    def __init__(self, out: Path, stamp: str, usable: bool) -> None:
        from .delta import DeltaState

        self.path = out / "cache" / RESOLUTION_STATE
        self.stamp = stamp
        self.state = None
        self.why = "no complete build to start from" if not usable else "the last build left no resolution state"
        self.delta = None
        self.outcome = "whole"
        self.make: Callable[[list[str]], object] | None = None
        if usable:
            import pickle

            try:
                with open(self.path, "rb") as handle:  # our own file, written by the last build
                    state = pickle.load(handle)
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
                state = None
            if isinstance(state, DeltaState) and state.stamp == stamp:
                self.state = state
            elif state is not None:
                self.why = "the last build's resolution state is of other code, settings or curation"
        self.path.unlink(missing_ok=True)  # until it is the new build's

    def resolve(self, documents: list[Document], curated: object, cache: DocumentCache, base: str) -> Resolved:
        from .delta import Fallback, resolve_changes

        self.curated, self.base = curated, base
        state = self.state
        self.state = None  # a delta changes it in place: never used twice
        keys = {d.path: cache.keys[d.path] for d in documents if d.path in cache.keys}
        if state is not None:
            changed = sorted(p for p in {*keys, *state.keys} if keys.get(p) != state.keys.get(p))
            old: dict[str, Document | None] = {}
            try:
                if len(changed) > max(REBUILD_MAX_CHANGED, len(documents) // 10):
                    raise Fallback(f"{len(changed)} documents changed")
                for path in changed:
                    if path in state.keys:
                        old[path] = cache.load(state.keys[path], path)
                        if old[path] is None:
                            raise Fallback(f"the last version of {path} is no longer in the cache")
                    else:
                        old[path] = None
                self.delta = resolve_changes(state, documents, old, curated, base)  # type: ignore[arg-type]
            except Fallback as reason:
                self.why = str(reason)
            except Exception as exc:  # noqa: BLE001 - a fault of the delta must not stop the build: resolve whole
                self.why = f"resolution by difference failed: {type(exc).__name__}: {exc}"
            else:
                self.delta.state.keys = keys
                self.outcome = f"by difference ({len(changed)} document{'s' if len(changed) != 1 else ''} changed)"
                new_state = self.delta.state
                self.make = lambda lines: new_state
                return self.delta.resolved
        return self.resolve_whole(documents, self.why, keys)

    def resolve_whole(self, documents: Sequence[Document], why: str, keys: dict[str, str] | None = None) -> Resolved:
        """Resolve every document (the state for the next build made from that), for ``why``."""
        from .delta import make_state
        from .resolve import resolve_with_state

        if keys is None:
            keys = self.delta.state.keys  # type: ignore[union-attr]
        self.delta = None
        self.why, self.outcome = why, f"whole ({why})"
        resolved, resolution = resolve_with_state(list(documents), self.curated)  # type: ignore[arg-type]
        stamp, base = self.stamp, self.base

        def make(lines: list[str]) -> object:
            from .validate import _fingerprint

            return make_state(stamp, keys, resolved, resolution, base, _fingerprint(lines))

        self.make = make
        return resolved

    def write_state(self, lines: list[str]) -> _WrittenAside | None:
        """The new state, written aside (in a forked copy: a whole resolution's state, with the
        fingerprint of the graph's ``lines``, is made there)."""
        import pickle

        make = self.make
        if make is None:
            return None
        return _WrittenAside(self.path, lambda path: path.write_bytes(pickle.dumps(make(lines), protocol=pickle.HIGHEST_PROTOCOL)))


# A rebuild with more documents changed than this (or a tenth of them) resolves everything.
REBUILD_MAX_CHANGED = 20


def _resolution_stamp(settings: Settings, kinds: Sequence[tuple[str, str]]) -> str:
    import hashlib

    from .delta import STATE_FORMAT

    try:
        curated = hashlib.sha256(settings.curated_path.read_bytes()).hexdigest()
    except OSError:
        curated = "-"
    return f"{STATE_FORMAT}|{code_fingerprint()}|{settings.base_iri}|{settings.limits!r}|{list(kinds)!r}|{curated}"


def build(
    settings: Settings | None = None,
    *,
    validate: bool = True,
    progress: Progress | None = None,
    jobs: int | None = None,
    use_cache: bool = True,
    gzip: bool = False,
    kinds: Sequence[tuple[str, str]] = (),
    stage: Stage | None = None,
) -> BuildResult:
    """Build the graph of ``settings.data_dir`` into ``settings.out_dir``.

    ``progress`` is told of each document read, ``stage`` of each later stage
    (:data:`Stage`).  ``jobs`` processes read the documents (default: the usable CPUs); with
    ``use_cache``, parsed documents are kept in ``out_dir/cache/`` and reused
    while their bytes are unchanged (:attr:`BuildResult.cache` tells which).

    Raises :class:`DocumentError` for an unreadable document and
    :class:`ValidationFailed` (after writing the validation report) when the
    graph violates the shapes.
    """
    from . import dump

    settings = settings or Settings()
    cache = (
        # the limits are part of the key: a document cached under looser limits is read again
        DocumentCache(settings.out_dir / "cache", fingerprint=f"{code_fingerprint()}|{settings.limits!r}|{list(kinds)!r}")
        if use_cache
        else None
    )
    # The build's documents, records and triples live until it ends: frozen (gc.freeze) once
    # made, the collector's full passes no longer visit them (seconds at a million triples).
    # Until the graph is made, the collector is off: loading cached documents, resolving and
    # mapping make millions of objects that live on, and each pass it would make over them
    # finds no garbage (at a million triples: loading 2.6 -> 0.7 s, resolving and mapping
    # ~1.2 s less each).
    collecting = gc.isenabled()
    gc.disable()
    out = settings.out_dir
    # What the previous build left in `out` (dumps, store, validation state), if it can
    # be brought up to date by difference: only what changed is validated and written.
    patchable = use_cache and validate and _patchable(out, settings, gzip)
    rebuild = _Rebuild(out, _resolution_stamp(settings, kinds), patchable) if cache is not None else None
    state_writer = None
    try:
        if cache is not None:
            cache.load_names()  # before reading: the readers' forked workers get them too
        documents, resolved = _read_and_resolve(
            settings, progress, jobs=jobs, cache=cache, kinds=kinds, freeze=True, stage=stage, rebuild=rebuild
        )
        if cache is not None:
            cache.prune()
            cache.save_names()
        out.mkdir(parents=True, exist_ok=True)
        # merges.yaml (seconds of YAML at a million triples) is written by a copy of this
        # process while this one maps: mapping uses one CPU; so is the resolution's state
        last_report = None
        if rebuild is not None and rebuild.delta is not None:
            last_report = (rebuild.delta.last_report, out / "merges.yaml")
        merges = _merges_aside(out, resolved.report, last_report)
        if rebuild is not None and rebuild.delta is not None and validate:  # its state is known already
            state_writer = rebuild.write_state([])
        if stage is not None:
            stage("mapping", 0, 0)
        difference = None
        try:
            if rebuild is not None and rebuild.delta is not None:  # mapped by difference already
                difference = _Difference.given(out, rebuild.delta.removed, rebuild.delta.added)
                if not difference.fits():  # (a fault of the delta: never seen, but never trusted blindly)
                    merges.cancel()
                    if state_writer is not None:
                        state_writer.cancel()
                        state_writer = None
                    resolved = rebuild.resolve_whole(documents, "the difference did not fit the last graph")
                    merges = _merges_aside(out, resolved.report)
                    difference = _Difference.of(out, build_line_set(resolved, settings.base_iri))
                lines = difference.new_lines()
            elif patchable:  # the new lines are the old ones less the removed, plus the added (sorted: few)
                difference = _Difference.of(out, build_line_set(resolved, settings.base_iri))
                lines = difference.new_lines()
            else:
                lines = build_lines(resolved, settings.base_iri)
        except BaseException:
            merges.cancel()
            raise
        if rebuild is not None and state_writer is None and validate:
            state_writer = rebuild.write_state(lines)
        gc.freeze()
        if collecting:
            gc.enable()
        (out / "validation.txt").unlink(missing_ok=True)
        shutil.rmtree(out / STAGING_DIR, ignore_errors=True)  # left by a build that was killed
        shutil.rmtree(out / OLD_DUMPS_DIR, ignore_errors=True)  # left by one whose remover did not finish
        (out / "cache" / OUTPUTS_STAMP).unlink(missing_ok=True)  # the outputs are about to change
        # From STAGED_DUMPS_MIN_TRIPLES, the dumps (and the store, unless patched) are written by
        # another process into a staging folder while this one writes the reports and validates,
        # and moved into place only if the graph conforms.
        staged = (
            _StagedDumps(lines, documents, settings, out, gzip, difference)
            if validate and len(lines) >= STAGED_DUMPS_MIN_TRIPLES and (difference is None or difference.changed)
            else None
        )
        try:
            result = _report_and_validate(
                documents, resolved, lines, settings, out, cache, validate, use_cache, jobs, merges, stage, difference,
                rebuild.delta.state.fingerprint if rebuild is not None and rebuild.delta is not None and difference is not None else None,
            )
        except BaseException:
            merges.cancel()
            if staged is not None:
                staged.cancel()
            raise
        if rebuild is not None:
            result.resolution = rebuild.outcome
        if stage is not None:
            stage("writing dumps", 0, 0)
        if difference is not None:
            if difference.changed:
                from .storepatch import patch_store

                patch_store(out / "oxigraph", difference.removed, difference.added)
                if staged is not None:
                    staged.finish()
                else:
                    dump.patch_dumps(out, out, lines, difference.removed, difference.added, documents, settings, gzip=gzip)
        elif staged is not None:
            staged.finish()
        else:
            dump.write_dumps(result.triples, documents, settings, out, gzip=gzip)
            dump.write_store(result.triples, out / "oxigraph")
        if validate:
            if state_writer is not None:
                state_writer.finish()
                state_writer = None
            _stamp_outputs(out, settings, gzip)
        return result
    finally:
        if state_writer is not None:
            state_writer.cancel()
        if collecting:
            gc.enable()
        gc.unfreeze()


def _report_and_validate(
    documents: tuple[Document, ...],
    resolved: Resolved,
    lines: list[str],
    settings: Settings,
    out: Path,
    cache: DocumentCache | None,
    validate: bool,
    use_cache: bool,
    jobs: int | None,
    merges: _WrittenAside,
    stage: Stage | None = None,
    difference: _Difference | None = None,
    fingerprint: int | None = None,
) -> BuildResult:
    """The build's reports (``merges.yaml``, being written by ``merges``, and ``report.yaml``), then its validation.

    Raises :class:`ValidationFailed` (after writing ``validation.txt`` and
    removing every dump) when the graph does not conform.
    """
    if stage is not None:
        stage("writing reports", 0, 0)
    result = BuildResult(documents, resolved, lines, out, entity_counts(resolved), cache=cache)
    # nothing silently lost: lines no record cites and no reader reported are listed too
    result.unaccounted = _unaccounted(documents, lines, settings, out / "cache" / ACCOUNTING_STATE, difference, use_cache)
    merges.finish()
    _dump_yaml(_report_data(documents, result.unaccounted), out / "report.yaml")
    if not validate:
        return result

    from .validate import validate_changes, validate_lines

    if stage is not None:
        stage("validating", 0, 0)  # the graph is cut into chunks first: their batches are counted after
    source_root = f"{settings.data_dir.as_posix().rstrip('/')}/"
    workers = default_jobs() if jobs is None else max(1, jobs)
    told = None if stage is None else lambda done, total: stage("validating", done, total)
    if difference is not None:
        # the chunks the change reaches are validated; the others' results are the last build's
        from .storepatch import GraphOverlay

        overlay = GraphOverlay(out / "oxigraph", difference.old_lines, difference.removed, difference.added)
        try:
            report = validate_changes(
                lines, difference.removed, difference.added, source_root=source_root, jobs=workers,
                cache_dir=out / "cache" / "validation", lookup=overlay, progress=told, fingerprint=fingerprint,
            )
        finally:
            del overlay  # closes the store, which may be patched next
    else:
        report = validate_lines(
            lines, source_root=source_root, jobs=workers,
            cache_dir=out / "cache" / "validation" if use_cache else None, progress=told,
        )
    result.validation = report
    if difference is not None:
        result.difference = (len(difference.removed), len(difference.added))
    if not report.conforms:
        (out / "validation.txt").write_text(report.format_text(), encoding="utf-8")
        _remove_dumps(out)
        raise ValidationFailed(
            f"the graph does not conform to the shapes; see {out / 'validation.txt'} (no dump written)",
            report,
        )
    return result


ACCOUNTING_STATE = "accounting.pickle"  # in out/cache: the last build's citations and unaccounted lines


def _unaccounted(
    documents: tuple[Document, ...], lines: list[str], settings: Settings, state: Path,
    difference: _Difference | None, keep: bool,
) -> dict[str, list[int]]:
    """The unaccounted lines of every document (:func:`scholargraph.accounting.unaccounted`);
    by difference from the last build's when ``difference`` is given and its state is in
    ``state``; with ``keep``, the state is left there for the next build."""
    import pickle

    from .accounting import Citations, unaccounted_by_difference, unaccounted_with
    from .readers import decode

    stamp = f"{code_fingerprint()}|{settings.base_iri}"
    then = None
    if difference is not None:
        try:
            with open(state, "rb") as handle:  # our own file, written below by the last build
                then = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            then = None
        if not (isinstance(then, tuple) and len(then) == 3 and then[0] == stamp):
            then = None
    state.unlink(missing_ok=True)  # until it is the new graph's
    if then is not None:
        citations = then[1]
        found = unaccounted_by_difference(
            documents, settings.base_iri, citations, then[2], difference.removed, difference.added,  # type: ignore[union-attr]
            lambda document: decode(settings.data_dir / document.path, settings.limits),
        )
    else:
        citations = Citations.of(lines)
        texts = read_texts(documents, settings.data_dir, settings.limits)
        found = unaccounted_with(documents, settings.base_iri, citations.lines_of, lambda document: texts[document.path])
    if keep:
        results = {d.path: (d.sha256, found.get(d.path, [])) for d in documents}
        write_atomically(state, pickle.dumps((stamp, citations, results), protocol=pickle.HIGHEST_PROTOCOL))
    return found


class _Forked:
    """``run()`` in a forked copy of this process while this one goes on (where the platform
    forks; else here, at once).

    :meth:`wait` waits for it and raises its error again: a :class:`DocumentError` stays one,
    another becomes a ``RuntimeError`` saying ``what`` failed and why; :meth:`cancel` stops
    it.  The child touches no store, thread or terminal: it only writes files.
    """

    def __init__(self, what: str, run: Callable[[], None]) -> None:
        self.what = what
        self.pid: int | None = None
        if not hasattr(os, "fork"):  # pragma: no cover - not on Linux
            run()
            return
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: run, report an error through the pipe, never return
            os.close(read_end)
            status = 0
            try:
                gc.freeze()  # its collector leaves the parent's objects (their pages) alone
                run()
            except BaseException as exc:  # noqa: BLE001 - carried to the parent, which raises it
                os.write(write_end, _failure_json(exc))
                status = 1
            finally:
                os._exit(status)
        os.close(write_end)
        self.pid, self.pipe = pid, read_end

    def wait(self) -> None:
        import json

        if self.pid is None:
            return
        with os.fdopen(self.pipe, "rb") as pipe:
            message = pipe.read().decode("utf-8", "replace")
        _pid, status = os.waitpid(self.pid, 0)
        self.pid = None
        if status == 0 and not message:
            return
        try:
            failure = json.loads(message)
        except ValueError:
            failure = {"kind": "", "message": message or f"exit status {status}"}
        if failure["kind"] == "DocumentError":
            raise DocumentError(failure["path"], failure["line"], failure["message"])
        raise RuntimeError(f"{self.what} failed: {failure['message']}")

    def cancel(self) -> None:
        if self.pid is not None:
            os.close(self.pipe)
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = None


def _failure_json(exc: BaseException) -> bytes:
    import json

    if isinstance(exc, DocumentError):
        failure = {"kind": "DocumentError", "path": str(exc.path), "line": exc.line, "message": exc.message[:2000]}
    else:
        failure = {"kind": type(exc).__name__, "message": f"{type(exc).__name__}: {exc}"[:2000]}
    return json.dumps(failure).encode("utf-8")


class _WrittenAside:
    """A file written by a forked copy of this process while this one goes on (:class:`_Forked`).

    ``write(path)`` runs in the child into a temporary name; :meth:`finish` waits for it and
    moves the file into place, or raises the child's error; :meth:`cancel` stops it.
    """

    def __init__(self, path: Path, write: Callable[[Path], None]) -> None:
        self.path = path
        self.part = path.with_name(f".{path.name}.part")
        self.job = _Forked(f"writing {path}", lambda: write(self.part))

    def finish(self) -> None:
        try:
            self.job.wait()
        except BaseException:
            self.part.unlink(missing_ok=True)
            raise
        os.replace(self.part, self.path)

    def cancel(self) -> None:
        self.job.cancel()
        self.part.unlink(missing_ok=True)


# Below this many triples the dumps are written after validation, in this process:
# starting another interpreter costs more than the overlap saves.
STAGED_DUMPS_MIN_TRIPLES = 50_000
STAGING_DIR = ".staged-dumps"
OLD_DUMPS_DIR = ".old-dumps"  # the dumps a rebuild replaced, being removed


class _StagedDumps:
    """The dumps and the store, written by another process into ``out/.staged-dumps/``.

    The process is a fresh interpreter (``python -m scholargraph.build``), not a
    fork: by then this process may hold RocksDB's threads (an open store), which a
    forked child could find locked, and unlike multiprocessing's "spawn" it does
    not import the caller's main module again.  It gets the graph as an
    N-Triples file and the settings and documents (without their records) as a
    pickle.  :meth:`finish` waits for it and moves every file into ``out`` (what
    the dumps' own writer does with its temporary files); :meth:`cancel` stops
    it and removes the folder.  An error in the process is raised again here
    with its message (a ``DocumentError`` stays one).

    With a ``difference`` (a rebuild), the dumps in ``out`` are patched instead
    (:func:`scholargraph.dump.patch_dumps`), by a forked copy of this process
    (:class:`_Forked`): that touches no store, and the child has the lines
    without a file between; the store is patched by the build itself.
    """

    def __init__(
        self, lines: list[str], documents: tuple[Document, ...], settings: Settings, out: Path, gzip: bool,
        difference: _Difference | None = None,
    ) -> None:
        import pickle
        import subprocess
        import sys
        from dataclasses import replace

        from . import dump

        self.out = out
        self.gzip = gzip
        self.staging = out / STAGING_DIR
        self.job: _Forked | None = None  # patching the dumps in `out` (the store is left alone)
        self.process: subprocess.Popen[bytes] | None = None
        shutil.rmtree(self.staging, ignore_errors=True)
        self.staging.mkdir(parents=True)
        if difference is not None:
            # Patching the dumps uses no store: a forked copy does it, with the lines in memory
            # (no 180 MB file to write and read again, no interpreter to start).
            staging = self.staging
            self.job = _Forked("writing the dumps", lambda: dump.patch_dumps(
                out, staging, lines, difference.removed, difference.added, documents, settings, gzip=gzip
            ))
            return
        with open(self.staging / "input.nt", "w", encoding="utf-8", newline="", buffering=1 << 20) as text:
            text.writelines(lines)
        sources = tuple(replace(d, records=(), unmapped=(), owner=None) for d in documents)
        with open(self.staging / "input.pickle", "wb") as handle:
            pickle.dump((sources, settings, gzip), handle)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "scholargraph.build", "--write-staged", str(self.staging)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )

    def finish(self) -> None:
        import json

        if self.job is not None:
            try:
                self.job.wait()
            except BaseException:
                self.cancel()
                raise
            self._move_into_place()
            return
        assert self.process is not None
        _out, err = self.process.communicate()
        failure_file = self.staging / "failure.json"
        if self.process.returncode != 0 or failure_file.exists():
            failure = json.loads(failure_file.read_text(encoding="utf-8")) if failure_file.exists() else None
            self.cancel()
            if failure is None:
                last = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
                raise RuntimeError(f"writing the dumps stopped with exit code {self.process.returncode}: {last[0]}")
            if failure["kind"] == "DocumentError":
                raise DocumentError(failure["path"], failure["line"], failure["message"])
            raise RuntimeError(failure["message"])
        self._move_into_place()

    def _move_into_place(self) -> None:
        from . import dump

        names = [*DUMP_FILES, *(f"{name}.gz" for name in dump.GRAPH_FILES if self.gzip)]
        # the old files are linked aside first: replacing them then frees no blocks (hundreds of
        # MB at a million triples: ~0.3 s), a process of their own removes them after
        old = self.out / OLD_DUMPS_DIR
        shutil.rmtree(old, ignore_errors=True)
        old.mkdir()
        for name in names:
            try:
                os.link(self.out / name, old / name)
            except OSError:
                pass
            os.replace(self.staging / name, self.out / name)
        if not self.gzip:
            for name in dump.GRAPH_FILES:
                (self.out / f"{name}.gz").unlink(missing_ok=True)  # left by an earlier run with gzip
        if self.job is None:  # written afresh, the store too
            shutil.rmtree(self.out / "oxigraph", ignore_errors=True)
            os.replace(self.staging / "oxigraph", self.out / "oxigraph")
        shutil.rmtree(self.staging, ignore_errors=True)
        _remove_aside(old)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            if self.process.stderr is not None:
                self.process.stderr.close()
        shutil.rmtree(self.staging, ignore_errors=True)


def _write_staged(staging: Path) -> int:
    """In the other process: every dump and the store of ``staging/input.nt`` into ``staging``."""
    import json
    import pickle

    import pyoxigraph as ox

    from . import dump

    try:
        with open(staging / "input.pickle", "rb") as handle:
            documents, settings, gzip = pickle.load(handle)  # written by this build a moment ago
        graph = staging / "input.nt"
        # the store's bulk loader releases the GIL: it runs in a thread beside the dumps
        with ThreadPoolExecutor(max_workers=1) as pool:
            store = pool.submit(dump.write_store, (), staging / "oxigraph", ntriples=graph)
            triples = [quad.triple for quad in ox.parse(path=str(graph), format=ox.RdfFormat.N_TRIPLES)]
            dump.write_dumps(triples, documents, settings, staging, gzip=gzip)
            store.result()
        graph.unlink()
    except DocumentError as exc:
        failure = {"kind": "DocumentError", "path": exc.path, "line": exc.line, "message": exc.message}
    except Exception as exc:  # noqa: BLE001 - carried to the build, which raises it
        failure = {"kind": type(exc).__name__, "message": f"writing the dumps failed: {exc}"}
    else:
        return 0
    (staging / "failure.json").write_text(json.dumps(failure), encoding="utf-8")
    return 1


DUMP_FILES = ("graph.ttl", "graph.nt", "graph.jsonld", "graph.trig", "void.ttl")
STAMPED_FILES = (*DUMP_FILES, "merges.yaml")  # a rebuild reuses the entries of merges.yaml too
# In out/cache: the outputs a complete, validated build left (sizes and times of the dumps and
# of the store's files), so that the next build may patch them; removed while they change.
OUTPUTS_STAMP = "outputs.json"
OUTPUTS_FORMAT = 3


def _outputs_listing(out: Path, settings: Settings, gzip: bool) -> dict[str, object] | None:
    """What identifies the outputs in ``out`` as they are now, in the form JSON gives back
    (None if one is missing)."""
    import json

    from . import dump
    from .queries import store_files

    names = [*STAMPED_FILES, *(f"{name}.gz" for name in dump.GRAPH_FILES if gzip)]
    try:
        files = {name: [(stat := (out / name).stat()).st_size, stat.st_mtime_ns] for name in names}
        store = store_files(out / "oxigraph")  # the store's files as queries.py tells a changed store
    except OSError:
        return None
    listing = {
        "format": OUTPUTS_FORMAT, "code": code_fingerprint(), "settings": repr(settings), "gzip": gzip,
        "files": files, "store": store,
    }
    return json.loads(json.dumps(listing))  # tuples as lists, as the stamp reads back


def _stamp_outputs(out: Path, settings: Settings, gzip: bool) -> None:
    import json

    listing = _outputs_listing(out, settings, gzip)
    if listing is not None:
        write_atomically(out / "cache" / OUTPUTS_STAMP, json.dumps(listing).encode("utf-8"))


def _patchable(out: Path, settings: Settings, gzip: bool) -> bool:
    """Whether the outputs in ``out`` are those the last complete build left there (same code
    and settings, not touched since), so that this build may patch them."""
    import json

    try:
        stamp = json.loads((out / "cache" / OUTPUTS_STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return stamp == _outputs_listing(out, settings, gzip)


@dataclass
class _Difference:
    """The previous build's graph (its ``graph.nt``) and how the new one differs from it."""

    old_lines: list[str]
    removed: list[str]  # sorted, as the lines
    added: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.removed or self.added)

    @classmethod
    def given(cls, out: Path, removed: list[str], added: list[str]) -> _Difference:
        """``out/graph.nt`` and the lines removed from it and added (sorted, known already)."""
        return cls(_graph_lines(out), removed, added)

    def fits(self) -> bool:
        """Whether every removed line is in the old graph and no added one is."""
        old = self.old_lines

        def present(line: str) -> bool:
            at = bisect.bisect_left(old, line)
            return at < len(old) and old[at] == line

        return all(present(line) for line in self.removed) and not any(present(line) for line in self.added)

    @classmethod
    def of(cls, out: Path, new: set[str]) -> _Difference:
        """The difference between ``out/graph.nt`` and the graph of the lines ``new``."""
        old_lines = _graph_lines(out)
        old = set(old_lines)
        return cls(old_lines, sorted(old - new), sorted(new - old))

    def new_lines(self) -> list[str]:
        """The new graph's lines, sorted: the old ones without the removed (cut out by position),
        with the added (sorted in: two sorted runs, merged in one pass)."""
        lines: list[str] = []
        start = 0
        for at in sorted(bisect.bisect_left(self.old_lines, line) for line in self.removed):
            lines += self.old_lines[start:at]
            start = at + 1
        lines += self.old_lines[start:]
        lines += self.added
        lines.sort()
        return lines


def _graph_lines(out: Path) -> list[str]:
    """The lines of ``out/graph.nt``, as written (sorted)."""
    with open(out / "graph.nt", encoding="utf-8", newline="\n") as text:  # lines end at "\n" only
        return text.readlines()


def _remove_aside(folder: Path) -> None:
    """Remove ``folder`` in a process of its own, not waited for (the next build removes what
    it may leave)."""
    import subprocess
    import sys

    subprocess.Popen(
        [sys.executable, "-c", "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)", str(folder)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def _remove_dumps(out: Path) -> None:
    """A graph that does not conform leaves no dump behind (not even an old one)."""
    for name in DUMP_FILES:
        (out / name).unlink(missing_ok=True)
        (out / f"{name}.gz").unlink(missing_ok=True)
    shutil.rmtree(out / "oxigraph", ignore_errors=True)


def work_type_label(value: str) -> str:
    return {t.value: t.name.replace("_", " ").lower() for t in WorkType}.get(value, value)


if __name__ == "__main__":  # the process of :class:`_StagedDumps`
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "--write-staged":
        raise SystemExit(_write_staged(Path(sys.argv[2])))
    raise SystemExit("usage: python -m scholargraph.build --write-staged DIR (used by the build itself)")
