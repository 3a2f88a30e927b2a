"""Time the whole build pipeline, stage by stage, on generated corpora, against a naive baseline.

For each corpus size (researchers; about 1,000 triples each) a fresh
subprocess (so that peak memory, ``ru_maxrss``, is per size):

1. writes the corpus with ``bench/generate.py`` (not timed);
2. runs the stages as ``scholargraph.build.build`` does, timing each and
   sampling the memory (PSS) of this process plus its child processes
   every 50 ms (the peak per stage): read (cold document cache, ``jobs``
   processes), resolve, map (``mapping.build_lines``: the sorted N-Triples lines
   the build hands on), validate (``validate.validate_lines``, ``jobs``
   processes, cold validation cache), the pyoxigraph triples of the lines
   (``mapping.parse_lines``, what the writers take), dumps (``dump.write_dumps``:
   every dump), the ``oxigraph/`` store;
3. queries through ``scholargraph.queries.run_query`` on the build's store:
   co-authors of one person (median of 21), the weighted co-authorship network
   (median of 3), and ``scholargraph query coauthors`` as a new process (cold start);
4. builds once with ``build()`` into the same folder, then edits one CV in four ways, one
   after the other (:data:`REBUILD_EDITS`), rebuilding after each: the rebuild by difference;
5. publishes ``graph.ttl`` into a fresh local ``oxigraph serve``;
6. the naive baseline on the same triples: an rdflib Graph built triple by
   triple, rdflib's Turtle serializer, ``pyshacl.validate`` as-is, and the two
   co-authorship queries on rdflib's SPARQL engine (``--no-baseline`` skips it,
   ``--baseline-max`` limits the sizes it runs at, ``--naive-shacl-max`` the
   graphs pySHACL as-is runs on).

Prints one JSON object per run; ``--repeat N`` runs each size N times (each in a new
process) and prints one more object with the median of each time and the highest of each
peak memory; ``--markdown`` prints the table for bench/README.md.

Usage::

    .venv/bin/python bench/bench_pipeline.py --researchers 10 100 1000 [--jobs 2] [--markdown]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
sys.path.insert(0, str(HERE))


def _clock() -> float:
    return time.perf_counter()


class _Times(dict):  # type: ignore[type-arg]
    """Stage timings, echoed to stderr as they come (a crash at 1M still leaves them)."""

    def __setitem__(self, key: str, value: float) -> None:
        print(f"  {key}: {value:.3f} s", file=sys.stderr, flush=True)
        super().__setitem__(key, value)


def _rss_mb(pid: int | str = "self") -> float:
    """Proportional set size (PSS): a page shared by n processes counts 1/n in each, so
    the memory a forked worker shares with the main process is counted once in the sum;
    resident size (RSS) where the kernel has no ``smaps_rollup``."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except (OSError, IndexError, ValueError):
        pass
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, IndexError, ValueError):
        return 0.0


def _children(pid: int | str = "self") -> list[str]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += f.read().split()
    except OSError:
        pass
    return found


class MemorySampler:
    """Memory (PSS) of this process and its descendants (reading and validation workers),
    sampled every ``interval`` seconds in a thread; :meth:`peak` gives the largest sum since
    the last call (the peak of a stage)."""

    def __init__(self, interval: float = 0.05) -> None:
        import threading

        self._max = 0.0
        self._generation = 0
        self._stop = threading.Event()
        self._interval = interval
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _total(self) -> float:
        total, todo = _rss_mb(), _children()
        while todo:
            pid = todo.pop()
            total += _rss_mb(pid)
            todo += _children(pid)
        return total

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            generation = self._generation
            total = self._total()
            if generation == self._generation:  # not a sample of the stage before
                self._max = max(self._max, total)

    def peak(self) -> float:
        found = max(self._max, self._total())
        self._generation += 1
        self._max = 0.0
        return found

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _median_time(action: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = _clock()
        action()  # type: ignore[operator]
        times.append(_clock() - start)
    return statistics.median(times)


def run_size(researchers: int, jobs: int, work: Path, baseline: bool, naive_query_max: int, naive_shacl_max: int) -> dict[str, object]:
    """Everything measured for one size (run inside its own process)."""
    import generate
    import pyoxigraph as ox

    from scholargraph import dump
    from scholargraph.cache import DocumentCache, code_fingerprint
    from scholargraph.config import Settings
    from scholargraph.curated import load_curated
    from scholargraph.mapping import build_lines, parse_lines
    from scholargraph.queries import run_query
    from scholargraph.resolve import resolve
    from scholargraph.validate import validate_lines

    build_mod = importlib.import_module("scholargraph.build")
    data, out = work / "data", work / "build"
    corpus = generate.generate(data, researchers, seed=7)
    settings = Settings(data_dir=data, out_dir=out)
    row: dict[str, object] = {"researchers": researchers, "documents": 0}
    t: dict[str, float] = _Times()
    memory: dict[str, float] = {}
    sampler = MemorySampler()
    sampler.peak()

    def stage(name: str, started: float) -> None:
        t[name] = _clock() - started
        memory[name] = round(sampler.peak())
        print(f"    peak memory: {memory[name]} MB", file=sys.stderr, flush=True)

    start = _clock()
    paths = build_mod.find_documents(data, exclude=(settings.curated_path,))
    # the cache as build() keys it (code, reading limits, forced kinds), so that the rebuild below finds it
    limits = getattr(settings, "limits", None)
    cache = DocumentCache(out / "cache", fingerprint=f"{code_fingerprint()}|{limits!r}|{[]!r}")
    extra = {"limits": limits} if limits is not None else {}
    documents = build_mod.read_documents(paths, data, jobs=jobs, cache=cache, **extra)
    stage("read", start)
    row["documents"] = len(documents)
    start = _clock()
    resolved = resolve(documents, load_curated(settings.curated_path))
    stage("resolve", start)
    start = _clock()
    lines = build_lines(resolved, settings.base_iri)
    stage("map (build_lines)", start)
    row["triples"] = len(lines)
    start = _clock()
    report = validate_lines(lines, source_root=f"{data.as_posix()}/", jobs=jobs, cache_dir=out / "cache" / "validation")
    stage("validate (validate_lines, cold cache)", start)
    row["conforms"] = report.conforms
    del report
    start = _clock()
    triples = parse_lines(lines)
    del lines
    stage("triples for the writers (parse_lines)", start)
    start = _clock()
    dump.write_dumps(triples, resolved.documents, settings, out)
    stage("dumps (write_dumps: ttl, nt, jsonld, trig, void)", start)
    row["dump_sizes_mb"] = {p.name: round(p.stat().st_size / 1e6, 1) for p in sorted(out.glob("*")) if p.is_file()}
    start = _clock()
    dump.write_store(triples, out / "oxigraph")
    stage("oxigraph store", start)
    t["build (sum of stages)"] = sum(v for k, v in t.items())
    memory["build (sum of stages)"] = max(memory.values())
    row["memory_mb"] = memory
    sampler.stop()
    print(f"  triples: {len(triples)}, peak so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB", file=sys.stderr, flush=True)

    # queries on the embedded store
    store = ox.Store.read_only(str(out / "oxigraph"))
    person = corpus.persons[0].name
    # co-authors through the build directory, as `scholargraph query` and the Python API on a
    # build run them (the store's co-authors index is found beside it; a bare Store has none)
    rows = run_query("coauthors", {"person": person}, graph_dir=out)
    row["coauthors_of_one"] = len(rows)
    t["query: co-authors of one, by name (median)"] = _median_time(lambda: run_query("coauthors", {"person": person}, graph_dir=out), 21)
    found = store.quads_for_pattern(None, ox.NamedNode("http://xmlns.com/foaf/0.1/name"), ox.Literal(person))
    person_iri = next(iter(found)).subject.value
    t["query: co-authors of one, by IRI (median)"] = _median_time(lambda: run_query("coauthors", {"person": person_iri}, graph_dir=out), 21)
    edges = run_query("coauthorship-network", store=store)
    row["network_edges"] = len(edges)
    t["query: co-authorship network (median)"] = _median_time(lambda: run_query("coauthorship-network", store=store), 3)
    del store
    cli = Path(sys.executable).parent / "scholargraph"
    t["query: `scholargraph query` cold start"] = _median_time(
        lambda: subprocess.run([str(cli), "query", "coauthors", "--param", f"person={person}", "--build", str(out)], check=True, capture_output=True),
        3,
    )

    # the whole build as users run it: build() in one call, no cache (reports, accounting,
    # validation with the dumps and the store written alongside by another process)
    # timed without the memory sampler (reading the PSS of big processes every 50 ms costs
    # CPU), then built again with it for the peak memory
    start = _clock()
    build_mod.build(Settings(data_dir=data, out_dir=work / "build-once"), jobs=jobs, use_cache=False)
    t["build() in one call, cold"] = _clock() - start
    shutil.rmtree(work / "build-once", ignore_errors=True)
    sampler = MemorySampler()
    sampler.peak()
    build_mod.build(Settings(data_dir=data, out_dir=work / "build-once"), jobs=jobs, use_cache=False)
    memory["build() in one call, cold"] = round(sampler.peak())
    sampler.stop()
    shutil.rmtree(work / "build-once", ignore_errors=True)

    # rebuilds after one CV changed, edit after edit (the first build() in `out` leaves what the
    # next ones patch: cached documents, validation state, dumps and store)
    build_mod.build(settings, jobs=jobs)
    cv = sorted(data.glob("cv-*.md"))[0]
    row["rebuilds"] = {}
    for name, edit in REBUILD_EDITS.items():
        cv.write_text(edit(cv.read_text(encoding="utf-8")), encoding="utf-8")
        start = _clock()
        result = build_mod.build(settings, jobs=jobs)
        t[f"rebuild after one CV changed: {name}"] = _clock() - start
        row["rebuilds"][name] = {
            "cache_misses": len(result.cache.misses) if result.cache else None,
            "lines_removed_added": list(result.difference) if result.difference else None,
        }
        del result

    # publish into a local Oxigraph server
    try:
        from bench_publish import GRAPH, oxigraph_server

        from scholargraph.publish import publish

        with oxigraph_server(work / "server") as endpoint:
            start = _clock()
            publish(out / "graph.ttl", endpoint, graph_iri=GRAPH)
            t["publish to oxigraph serve"] = _clock() - start
    except (ImportError, OSError, RuntimeError) as exc:  # no server binary here
        row["publish_error"] = str(exc)

    if baseline:
        t.update(naive(triples, person, queries=len(triples) <= naive_query_max, shacl=len(triples) <= naive_shacl_max))
        if "naive: pySHACL as-is" in t:
            done = ("read", "resolve", "map (build_lines)", "triples for the writers (parse_lines)",
                    "naive: rdflib graph", "naive: pySHACL as-is", "naive: rdflib turtle")
            t["naive build (read, resolve, map, rdflib graph, pySHACL, rdflib Turtle)"] = sum(t[k] for k in done)
    row["seconds"] = {k: round(v, 4) for k, v in t.items()}
    row["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return row


def _add_publication(text: str) -> str:
    owner = text.lstrip("# ").splitlines()[0].strip()
    return text + (
        "\n## Publications\n\n"
        f"1. Zora Newname & {owner} (2025). A work nobody listed before. *Réseaux*. doi: 10.5555/sg.999999\n"
    )


def _change_a_title(text: str) -> str:
    import re

    found = re.search(r"\(\d{4}\)\. ", text)
    if found is None:
        return text + "\n"
    return text[: found.end()] + "Revised: " + text[found.end() :]


# Edits made to one CV in turn, each followed by a rebuild (see run_size).
REBUILD_EDITS = {
    "an unmapped line added": lambda text: text + "\n## Notes\n\n- ??? one more line, unmapped\n",
    "a publication added": _add_publication,
    "a title changed": _change_a_title,
    "a line inserted at the top (every span moves)": lambda text: "<!-- revised -->\n" + text,
}


def naive(triples: list, person_name: str, queries: bool, shacl: bool = True) -> dict[str, float]:
    """The same graph done the naive way: rdflib Graph, serializer, engine, pySHACL as-is."""
    import pyshacl
    import rdflib
    import pyoxigraph as ox

    from scholargraph.queries import load_queries, run_query
    from scholargraph.validate import load_shapes

    t: dict[str, float] = _Times()
    start = _clock()
    graph = rdflib.Graph()
    for tr in triples:
        obj = tr.object
        if isinstance(obj, ox.Literal):
            o = rdflib.Literal(obj.value, lang=obj.language, datatype=None if obj.language or obj.datatype.value == XSD_STRING else rdflib.URIRef(obj.datatype.value))
        else:
            o = rdflib.URIRef(obj.value)
        graph.add((rdflib.URIRef(tr.subject.value), rdflib.URIRef(tr.predicate.value), o))
    t["naive: rdflib graph"] = _clock() - start
    start = _clock()
    graph.serialize(format="turtle")
    t["naive: rdflib turtle"] = _clock() - start
    if shacl:
        shapes = load_shapes()
        start = _clock()
        pyshacl.validate(graph, shacl_graph=shapes, advanced=True)
        t["naive: pySHACL as-is"] = _clock() - start
    if not queries:
        return t
    canned = load_queries()
    start = _clock()
    run_query(canned["coauthors"], {"person": person_name}, store=graph)
    t["naive: co-authors of one (rdflib engine)"] = _clock() - start
    start = _clock()
    run_query(canned["coauthorship-network"], store=graph)
    t["naive: co-authorship network (rdflib engine)"] = _clock() - start
    return t


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--researchers", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--jobs", type=int, default=None, help="reading processes (default: usable CPUs)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--baseline-max", type=int, default=10**9, help="run the baseline only up to this many researchers")
    parser.add_argument("--naive-query-max", type=int, default=20_000, help="run rdflib's engine only on graphs up to this many triples")
    parser.add_argument("--naive-shacl-max", type=int, default=10**9, help="run pySHACL as-is only on graphs up to this many triples")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: run one size in this process
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each size this many times, each in a new process, and report the median of each time "
                             "and the highest of each peak memory")
    args = parser.parse_args(argv)
    jobs = args.jobs or len(os.sched_getaffinity(0))
    if args.one is not None:
        with tempfile.TemporaryDirectory(prefix="sg-bench-") as tmp:
            baseline = not args.no_baseline and args.one <= args.baseline_max
            row = run_size(args.one, jobs, Path(tmp), baseline, args.naive_query_max, args.naive_shacl_max)
        print(json.dumps(row))
        return 0
    rows = []
    for size in args.researchers:
        cmd = [sys.executable, __file__, "--one", str(size), "--jobs", str(jobs), "--baseline-max", str(args.baseline_max), "--naive-query-max", str(args.naive_query_max), "--naive-shacl-max", str(args.naive_shacl_max)]
        if args.no_baseline:
            cmd.append("--no-baseline")
        runs = []
        for _ in range(max(1, args.repeat)):
            done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)  # stderr: progress, errors
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(runs[-1]), flush=True)
        row = combined(runs)
        if len(runs) > 1:
            print(json.dumps(row), flush=True)
        rows.append(row)
    if args.markdown:
        print(markdown(rows))
    return 0


def combined(runs: list[dict]) -> dict:
    """One row for several runs of a size: the median of each time, the highest of each peak memory."""
    if len(runs) == 1:
        return runs[0]
    row = dict(runs[0])
    row["runs"] = len(runs)
    row["seconds"] = {
        key: round(statistics.median(run["seconds"][key] for run in runs), 4)
        for key in runs[0]["seconds"] if all(key in run["seconds"] for run in runs)
    }
    row["seconds_spread"] = {
        key: [min(run["seconds"][key] for run in runs), max(run["seconds"][key] for run in runs)] for key in row["seconds"]
    }
    row["memory_mb"] = {
        key: max(run["memory_mb"][key] for run in runs)
        for key in runs[0].get("memory_mb", {}) if all(key in run.get("memory_mb", {}) for run in runs)
    }
    row["peak_rss_mb"] = max(run["peak_rss_mb"] for run in runs)
    return row


def markdown(rows: list[dict]) -> str:
    keys = list(dict.fromkeys(k for row in rows for k in row["seconds"]))
    head = "| stage | " + " | ".join(
        f"{r['triples']:,} triples ({r['researchers']} researchers{', median of %d runs' % r['runs'] if r.get('runs') else ''})"
        for r in rows
    ) + " |"
    lines = [head, "|---|" + "---:|" * len(rows)]
    for key in keys:
        lines.append(f"| {key} | " + " | ".join(f"{r['seconds'][key]:.3f} s" if key in r["seconds"] else "–" for r in rows) + " |")
    for key in dict.fromkeys(k for row in rows for k in row.get("memory_mb", {})):
        lines.append(f"| peak memory: {key} | " + " | ".join(f"{r['memory_mb'][key]:,} MB" if key in r.get("memory_mb", {}) else "–" for r in rows) + " |")
    lines.append("| peak memory of this process, whole run (maxrss) | " + " | ".join(f"{r['peak_rss_mb']:,} MB" for r in rows) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
