"""Time the document readers: a generated corpus, and 10,000 entries per reader.

Two measures, each in this one process (no pool), so that they time the
readers alone (and, with ``--pipeline-jobs N``, the build's read stage,
``build.read_documents`` in N processes without cache, timed first):

1. ``corpus``: every document of a corpus written by ``bench/generate.py``
   (``--researchers``, ``--seed``) read with ``read_document``, one after the
   other, in one round (the readers memoise, so a second round in the same
   process would time the caches: run the script again instead); wall and CPU
   seconds in all, wall seconds per kind of document;
2. ``entries``: one synthetic document of 10,000 entries per reader (BibTeX
   ``@article`` with 5 fields, Markdown references, project page team list,
   Markdown positions, YAML CV experience, JSON Resume work), as the fuzz
   test's big documents (``tests/test_fuzz.py``); seconds each.

``--fingerprint FILE`` writes the SHA-256 of ``repr()`` of every document read
(corpus and big documents), one line each, so that two versions of the readers
can be compared for identical output (``diff`` the files).

Usage::

    .venv/bin/python bench/bench_readers.py [--researchers 100] [--seed 7] [--entries 10000]
        [--pipeline-jobs 2] [--fingerprint FILE] [--skip-corpus] [--skip-entries] [--profile OUT.pstats]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent


def big_documents(n: int) -> dict[str, tuple[str, str]]:
    """``name -> (file name, text)``: one document of ``n`` entries per reader, as ``tests/test_fuzz.py`` BIG."""
    return {
        "bibtex": ("big.bib", "".join(
            f"@article{{k{i},\n  author = {{Doe, Jane}},\n  title = {{T {i}}},\n  journal = {{J}},\n  year = {{2020}}\n}}\n"
            for i in range(n))),
        "markdown references": ("big-refs.md", "# Jane Doe\n\n## Publications\n\n" + "".join(
            f"- Doe, J. ({1990 + i % 30}). Title number {i}. *Journal {i % 7}*, 3(2), 1-2.\n" for i in range(n))),
        "project team": ("big-project.txt", "Acronym: BIG\nFunders: ANR\nTeam:\n" + "".join(
            f"- Person {i} (Lab {i % 9}) — member\n" for i in range(n))),
        "markdown positions": ("big-positions.md", "# Jane Doe\n\n## Positions\n\n" + "".join(
            f"- {1990 + i % 30} Researcher {i}, University {i % 50}\n" for i in range(n))),
        "yaml cv": ("big-cv.yaml", "cv:\n  name: Jane Doe\n  sections:\n    experience:\n" + "".join(
            f"      - company: Org {i}\n        position: P {i}\n        start_date: 2020-01\n" for i in range(n))),
        "json resume": ("big-resume.json", '{"basics": {"name": "Jane Doe"}, "work": [' + ",".join(
            f'{{"name": "Org {i}", "position": "P {i}", "startDate": "2020-01"}}' for i in range(n)) + "]}"),
    }


def _digest(document: object) -> str:
    return hashlib.sha256(repr(document).encode()).hexdigest()


def time_corpus(corpus: Path, prints: list[str]) -> dict[str, object]:
    from scholargraph.config import Limits
    from scholargraph.readers import read_document

    limits = Limits()
    paths = sorted(p for p in corpus.iterdir() if p.is_file() and not p.name.endswith(".expected.yaml"))
    per_kind: dict[str, float] = defaultdict(float)
    total = cpu = 0.0
    failures = 0
    documents: list[tuple[str, object]] = []
    for path in paths:
        start, cpu_start = time.perf_counter(), time.process_time()
        try:
            document: object = read_document(path, path.name, limits=limits)
            kind = getattr(document, "kind", None) or path.suffix
        except Exception as exc:  # noqa: BLE001 - a DocumentError is a result too
            document, kind = f"{type(exc).__name__}: {exc}", "error"
            failures += 1
        elapsed = time.perf_counter() - start
        cpu += time.process_time() - cpu_start
        per_kind[f"{path.suffix} {kind}"] += elapsed
        total += elapsed
        documents.append((path.name, document))
    prints.extend(f"{name} {_digest(document)}" for name, document in documents)
    return {"documents": len(paths), "errors": failures, "seconds": round(total, 3), "cpu_seconds": round(cpu, 3),
            "by_kind": {k: round(v, 3) for k, v in sorted(per_kind.items())}}


def time_pipeline_read(corpus: Path, jobs: int) -> dict[str, object]:
    """``build.read_documents`` on the corpus in ``jobs`` processes, no cache: the build's read stage."""
    from scholargraph.build import find_documents, read_documents

    paths = find_documents(corpus)
    start, cpu = time.perf_counter(), time.process_time()
    documents = read_documents(paths, corpus, jobs=jobs)
    return {"documents": len(documents), "jobs": jobs, "seconds": round(time.perf_counter() - start, 3),
            "main_process_cpu_seconds": round(time.process_time() - cpu, 3)}


def time_entries(n: int, prints: list[str]) -> dict[str, float]:
    from scholargraph.config import Limits
    from scholargraph.readers import read_document

    limits = Limits(entries=10 * n + 1000, document_bytes=1 << 30)
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (filename, text) in big_documents(n).items():
            path = Path(tmp) / filename
            path.write_text(text, encoding="utf-8")
            start, cpu = time.perf_counter(), time.process_time()
            document = read_document(path, filename, limits=limits)
            times[name] = round(time.perf_counter() - start, 3)
            cpu = time.process_time() - cpu
            prints.append(f"{filename} records={len(document.records)} {_digest(document)}")
            print(f"  {name}: {times[name]} s, {cpu:.3f} s CPU ({len(document.records)} records)", file=sys.stderr, flush=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--researchers", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--corpus", type=Path, help="an existing corpus directory (else one is generated)")
    parser.add_argument("--fingerprint", type=Path)
    parser.add_argument("--skip-corpus", action="store_true")
    parser.add_argument("--skip-entries", action="store_true")
    parser.add_argument("--pipeline-jobs", type=int, default=0,
                        help="also time build.read_documents on the corpus in this many processes (wall seconds)")
    parser.add_argument("--profile", type=Path, help="write cProfile statistics of the whole run here")
    args = parser.parse_args()

    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    prints: list[str] = []
    result: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_corpus:
            corpus = args.corpus
            if corpus is None:
                corpus = Path(tmp) / "corpus"
                subprocess.run(
                    [sys.executable, str(HERE / "generate.py"), str(corpus),
                     "--researchers", str(args.researchers), "--seed", str(args.seed)],
                    check=True, stdout=subprocess.DEVNULL,
                )
            if args.pipeline_jobs:  # first, in a fresh process: the workers start with empty memo caches
                result["pipeline_read"] = time_pipeline_read(corpus, args.pipeline_jobs)
                print(f"  pipeline read: {result['pipeline_read']}", file=sys.stderr, flush=True)
            result["corpus"] = time_corpus(corpus, prints)
            print(f"  corpus: {result['corpus']}", file=sys.stderr, flush=True)
        if not args.skip_entries:
            result["entries"] = time_entries(args.entries, prints)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(str(args.profile))
    if args.fingerprint:
        args.fingerprint.write_text("\n".join(prints) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
