"""Time writing every dump of a large graph (issues 5 and 7).

The graph is the sample build (data/) copied N times, each copy under its own
IRI space (``{base}c{k}/…``, sources included), so it has the sample's shape:
provenance on every entity, author roles, identifiers, two source documents
per copy.  The copies share nobody, so no node is derived from more than two
documents; ``--graph`` times an existing ``graph.ttl`` instead, such as the
build of a corpus from ``bench/generate.py``, where people are cited by many
CVs.  Usage::

    .venv/bin/python bench/bench_dump.py --triples 1000000 [--gzip] [--out DIR]
    .venv/bin/python bench/bench_dump.py --graph BUILD/graph.ttl [--gzip] [--out DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from scholargraph.build import make_graph
from scholargraph.config import Settings
from scholargraph.dump import write_dumps
from scholargraph.mapping import Triple, triple_key

ROOT = Path(__file__).resolve().parents[1]


def synthetic(size: int, base: str) -> list[Triple]:
    _, _, sample = make_graph(Settings(data_dir=ROOT / "data", out_dir=Path(tempfile.gettempdir())))

    def move(term: ox.NamedNode | ox.Literal, prefix: str) -> ox.NamedNode | ox.Literal:
        if isinstance(term, ox.NamedNode) and term.value.startswith(base):
            return ox.NamedNode(prefix + term.value[len(base):])
        return term

    triples: list[Triple] = []
    copy = 0
    while len(triples) < size:
        prefix = f"{base}c{copy}/"
        triples.extend(
            Triple(move(t.subject, prefix), t.predicate, move(t.object, prefix))  # type: ignore[arg-type]
            for t in sample
        )
        copy += 1
    return sorted(triples[:size], key=triple_key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--graph", type=Path, default=None, help="a graph.ttl to dump instead of the sample's copies")
    args = parser.parse_args()
    settings = Settings()
    started = time.perf_counter()
    if args.graph is None:
        triples = synthetic(args.triples, settings.base_iri)
    else:
        triples = [quad.triple for quad in ox.parse(path=args.graph, format=ox.RdfFormat.TURTLE)]
    print(f"{'generated' if args.graph is None else 'read'} {len(triples)} triples in {time.perf_counter() - started:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        started, cpu = time.perf_counter(), time.process_time()
        paths = write_dumps(triples, (), settings, out, gzip=args.gzip)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        for path in paths:
            print(f"  {path.name:20} {path.stat().st_size / 1e6:8.1f} MB")
        print(f"write_dumps(gzip={args.gzip}): {elapsed:.2f} s wall, {cpu:.2f} s CPU (this process)")


if __name__ == "__main__":
    main()
