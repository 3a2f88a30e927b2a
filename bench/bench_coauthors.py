"""Time ``run_query("coauthors", ...)`` through the Python API on a build's embedded store.

For a hub (the person with the most works), a typical person (the median one)
and, if there is one, a person whose only works are hyperauthored (no co-author
under the default cap of 100 authors), given by IRI, by their name as written, and by the name in capitals
without accents (found case- and accent-insensitively), the median wall time
of ``--runs`` calls after a warm-up (and the median CPU time of the process), two ways:

``before``
    every call parses the query files again, opens the read-only store again,
    orders all names by ``STR()`` when it looks a name up case-insensitively,
    and runs the canned SPARQL text (a copy of ``coauthors.rq`` with one
    comment line added, so no fast path can recognise it): what each call cost
    before the query files and the store were kept between calls;
``after``
    ``run_query("coauthors", {"person": ...}, graph_dir=BUILD)`` as it is.

Both must return the same ResultTable, checked once per case.

Usage::

    .venv/bin/python bench/bench_coauthors.py --build-dir /tmp/b1000-coauthors [--runs 51]
    .venv/bin/python bench/bench_coauthors.py --researchers 20 [--seed 7]   # generate and build first
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

from scholargraph import queries as q
from scholargraph.queries import CannedQuery, ResultTable, load_queries, run_query


def _median_ms(call: Callable[[], object], runs: int, warmup: int = 3) -> tuple[float, float, float]:
    """The median and 90th percentile wall time, and the median CPU time of this process, in ms."""
    for _ in range(warmup):
        call()
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.9)] * 1000, statistics.median(cpu) * 1000


def _shouted(name: str) -> str:
    """The name in capitals without accents: found only by the case- and accent-insensitive match."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return plain.upper()


def _build(researchers: int, seed: int, into: Path) -> Path:
    sys.path.insert(0, str(Path(__file__).parent))
    import generate

    from scholargraph.build import build
    from scholargraph.config import Settings

    generate.generate(into / "data", researchers, seed=seed)
    build(Settings(data_dir=into / "data", out_dir=into / "build"), validate=False)
    return into / "build"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=None, help="an existing build directory (with oxigraph/)")
    parser.add_argument("--researchers", type=int, default=20, help="without --build-dir: generate this many CVs")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=51)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-coauthors-") as tmp:
        build_dir = args.build_dir or _build(args.researchers, args.seed, Path(tmp))
        store_dir = build_dir / "oxigraph"
        if not store_dir.is_dir():
            sys.exit(f"{store_dir} is missing: run 'scholargraph build' first")
        nodes = run_query("coauthorship-nodes", graph_dir=build_dir)
        triples = len(q.open_backend(graph_dir=build_dir).store)  # type: ignore[attr-defined]
        hub, typical = nodes.rows[0], nodes.rows[len(nodes) // 2]
        persons = [("hub", hub), ("typical", typical)]
        authors = {row[0] for row in nodes.rows}
        for iri, name, *_ in run_query("people", graph_dir=build_dir).rows[:400]:
            if iri not in authors and len(run_query("coauthors", {"person": iri, "max_authors": 10**6}, graph_dir=build_dir)):
                persons.append(("only on hyperauthored works", (iri, name, None)))
                break

        canned = load_queries()["coauthors"]
        forced = CannedQuery.from_text(canned.text + "# bench: the canned SPARQL, as written\n", "coauthors")

        all_names = q._all_names_query

        def all_names_ordered(kind: q._EntityKind) -> str:
            return all_names(kind) + " ORDER BY STR(?entity) STR(?name)"

        def before(person: str) -> ResultTable:
            q._parsed_query.cache_clear()
            with q._OPEN_STORES_LOCK:
                q._OPEN_STORES.clear()
            load_queries()  # what run_query did on every call
            q._all_names_query = all_names_ordered  # type: ignore[assignment]
            try:
                return run_query(forced, {"person": person}, graph_dir=build_dir)
            finally:
                q._all_names_query = all_names  # type: ignore[assignment]

        def after(person: str) -> ResultTable:
            return run_query("coauthors", {"person": person}, graph_dir=build_dir)

        print(
            f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {platform.node()}: {os.cpu_count()} CPUs, "
            f"{_memory()} RAM; Python {platform.python_version()}, pyoxigraph {version('pyoxigraph')}"
        )
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"build: {build_dir} ({triples} triples, {len(nodes)} authors); {args.runs} runs each after 3 warm-up calls")
        print(f"load average at the start: {load}; times: wall median (wall p90) [CPU median]\n")
        print("| person | co-authors | given as | before: median (p90) [CPU] | after: median (p90) [CPU] |")
        print("|---|---:|---|---:|---:|")
        for label, (iri, name, works) in persons:
            for given, value in (("IRI", iri), ("name", name), ("NAME, no accents", _shouted(str(name)))):
                assert before(str(value)) == after(str(value)), (label, given)
                rows = len(after(str(value)))
                old = _median_ms(lambda: before(str(value)), args.runs)
                new = _median_ms(lambda: after(str(value)), args.runs)
                print(
                    f"| {label}: {name}{'' if works is None else f' ({works} works)'} | {rows} | {given} "
                    f"| {old[0]:.2f} ms ({old[1]:.2f}) [{old[2]:.2f}] | {new[0]:.2f} ms ({new[1]:.2f}) [{new[2]:.2f}] |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
