"""Publishing speed: ``scholargraph.publish`` into a local Oxigraph server vs ``oxigraph load``.

Usage::

    .venv/bin/python bench/bench_publish.py                 # 100k and 1M triples
    .venv/bin/python bench/bench_publish.py --sizes 100000 --replace
    .venv/bin/python bench/bench_publish.py --sizes 100000 --replace --move
    .venv/bin/python bench/bench_publish.py --sizes 100000 --replace --store virtuoso
    .venv/bin/python bench/bench_publish.py --sizes 1000000 --replace --store virtuoso \
        --virtuoso-setting Parameters:TransactionAfterImageLimit=1000000000

For each size it writes a synthetic Turtle file shaped like a build (works,
people, dates, titles with language tags; no blank nodes), then times, each
into a fresh store:

* ``oxigraph load --location DIR --file data.ttl --graph G`` (the store's own
  bulk loader, process start included);
* ``publish(data.ttl, endpoint, graph_iri=G)`` against ``oxigraph serve`` on
  127.0.0.1 (parsing the file, loading, and the count check included);

and with ``--replace`` also reloads over the loaded graph, each atomic for
readers (one update request = one Oxigraph transaction, see publish.py):

* the same file again (the difference is empty: nothing is sent);
* a file with every title changed (a fifth of the triples: 20 % deleted and
  20 % inserted in one ``DELETE DATA ; INSERT DATA`` request);
* a file where every triple differs (the whole graph deleted and inserted in
  one request, or staged and swapped when that exceeds Oxigraph's 128 MiB
  update limit);
* ``--delta`` with nothing to change;
* with ``--move``, the old reload (staging graph + ``MOVE``) for comparison.

``--store virtuoso`` runs the same against Virtuoso 7 as the tests start it
(``tests/servers.py``: the Debian virtuoso.ini, its limits unchanged), with
``DB.DBA.TTLP_MT`` through isql (into a fresh database) as the store's own
loader; there a reload is staging + one update writing the difference.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scholargraph.publish import publish

GRAPH = "https://example.org/scholargraph/graph"
B = "https://example.org/scholargraph/"
OXIGRAPH = str(Path(sys.executable).parent / "oxigraph")


def write_synthetic(path: Path, triples: int, title: str = "Title number", work: str = "work/w") -> None:
    """``triples`` distinct triples, five per work."""
    with open(path, "w", encoding="utf-8") as out:
        out.write("@prefix schema: <https://schema.org/> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n")
        for k in range(triples // 5):
            out.write(
                f'<{B}{work}{k}> a schema:ScholarlyArticle ;\n'
                f'    schema:name "{title} {k}: \\"quoted\\" and accentué"@en ;\n'
                f'    schema:datePublished "{2000 + k % 25}-{1 + k % 12:02d}"^^xsd:gYearMonth ;\n'
                f"    schema:author <{B}person/p{k % 5000}> ;\n"
                f'    schema:position "{k}"^^xsd:integer .\n'
            )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def oxigraph_server(location: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [OXIGRAPH, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/query"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("oxigraph serve did not start") from None
                time.sleep(0.05)  # polling interval
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def timed(action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - start


def virtuoso_runs(size: int, data: Path, work: Path, settings: dict[str, dict[str, str]]) -> None:
    sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
    from servers import isql_binary, start_virtuoso

    from scholargraph.publish import Credentials

    with start_virtuoso(work / f"virtuoso-load-{size}") as server:
        port = subprocess.run(
            ["grep", "-m1", "-oP", r"ServerPort = 127.0.0.1:\K\d+", str(server.location / "virtuoso.ini")],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        copy = server.location / data.name
        shutil.copy(data, copy)
        sql = f"DB.DBA.TTLP_MT(file_to_string_output('{copy}'), '', '{GRAPH}', 0);\n"
        load = timed(lambda: subprocess.run(
            [isql_binary(), f"127.0.0.1:{port}", "dba", server.password or ""], input=sql.encode(),
            check=True, capture_output=True,
        ))
        assert server.count(GRAPH) == size, server.count(GRAPH)
    credentials = None
    with start_virtuoso(work / f"virtuoso-{size}", settings=settings) as server:
        credentials = Credentials(server.user or "", server.password or "")
        retitled, renamed = work / f"retitled-{size}.ttl", work / f"renamed-{size}.ttl"
        write_synthetic(retitled, size, title="Revised title")
        write_synthetic(renamed, size, work="article/a")
        runs = [
            ("first publish into the empty graph", data),
            ("reload, same file", data),
            ("reload, 20% of triples changed", retitled),
            ("reload, every triple changed", renamed),
            ("reload back to the first file", data),
        ]
        print(f"{size:>9} triples  virtuoso TTLP_MT {load:6.2f} s")
        for label, path in runs:
            results = []
            seconds = timed(lambda: results.append(publish(path, server.endpoint, graph_iri=GRAPH, credentials=credentials)))
            done = results[-1]
            assert done.store_triples == size, done
            print(f"{'':>9}          {label:<34} {seconds:6.2f} s  ratio {seconds / load:4.2f}  "
                  f"[{done.mode}, {done.requests} requests]")


def bench(
    size: int, replace: bool, move: bool, work: Path, store: str = "oxigraph",
    settings: dict[str, dict[str, str]] | None = None,
) -> None:
    data = work / f"synthetic-{size}.ttl"
    write_synthetic(data, size)
    if store == "virtuoso":
        virtuoso_runs(size, data, work, settings or {})
        return
    loader_dir = work / f"load-{size}"
    load = timed(
        lambda: subprocess.run(
            [OXIGRAPH, "load", "--location", str(loader_dir), "--file", str(data), "--graph", GRAPH],
            check=True,
            capture_output=True,
        )
    )
    shutil.rmtree(loader_dir)
    server_dir = work / f"serve-{size}"
    with oxigraph_server(server_dir) as endpoint:
        results = []
        seconds = timed(lambda: results.append(publish(data, endpoint, graph_iri=GRAPH)))
        first = results[-1]
        assert first.store_triples == size, first
        print(f"{size:>9} triples  oxigraph load {load:6.2f} s  publish (initial) {seconds:6.2f} s  "
              f"ratio {seconds / load:4.2f}  [{first.mode}, {first.requests} requests]")
        if replace:
            retitled = work / f"retitled-{size}.ttl"
            write_synthetic(retitled, size, title="Revised title")
            renamed = work / f"renamed-{size}.ttl"
            write_synthetic(renamed, size, work="article/a")
            runs = [
                ("reload, same file", data, {}),
                ("reload, 20% of triples changed", retitled, {}),
                ("reload, every triple changed", renamed, {}),
                ("reload back to the first file", data, {}),
                ("publish --delta, nothing changed", data, {"delta": True}),
            ]
            if move:
                big = {"one_transaction_min": size * 10}
                runs += [("staging + MOVE, 20% changed", retitled, big), ("staging + MOVE, same file", retitled, big)]
            for label, path, options in runs:
                seconds = timed(lambda: results.append(publish(path, endpoint, graph_iri=GRAPH, **options)))
                done = results[-1]
                assert done.store_triples == size, done
                print(f"{'':>9}          {label:<34} {seconds:6.2f} s  ratio {seconds / load:4.2f}  "
                      f"[{done.mode}, {done.requests} requests]")
    shutil.rmtree(server_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--replace", action="store_true", help="also time reloads and a delta")
    parser.add_argument("--move", action="store_true", help="with --replace: also the staging + MOVE reload")
    parser.add_argument("--store", choices=["oxigraph", "virtuoso"], default="oxigraph")
    parser.add_argument(
        "--virtuoso-setting", action="append", default=[], metavar="SECTION:KEY=VALUE",
        help="change a virtuoso.ini value of the publishing server, e.g. Parameters:TransactionAfterImageLimit=500000000",
    )
    args = parser.parse_args()
    settings: dict[str, dict[str, str]] = {}
    for item in args.virtuoso_setting:
        section, _, assignment = item.partition(":")
        key, _, value = assignment.partition("=")
        settings.setdefault(section, {})[key] = value
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as work:
        for size in args.sizes:
            bench(size, args.replace, args.move, Path(work), args.store, settings)


if __name__ == "__main__":
    main()
