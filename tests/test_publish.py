"""Publishing into real stores: Oxigraph and Virtuoso, started by the fixtures in servers.py."""

from __future__ import annotations

import io
import shutil
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph
import pytest

from scholargraph.errors import PublishError
from scholargraph.publish import (
    VIRTUOSO_DATA_PRAGMA,
    Credentials,
    PublishResult,
    find_credentials,
    publish,
    run_publish_command,
)
from servers import Proxy, StoreServer, free_port, ntriples_set, start_oxigraph

DATA = Path(__file__).parent / "data" / "publish"
SAMPLE = DATA / "graph.ttl"
DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample corpus built into a temporary directory (graph.ttl)."""
    from scholargraph.build import build
    from scholargraph.config import Settings

    out = tmp_path_factory.mktemp("sample-build")
    build(Settings(data_dir=DATA, out_dir=out))
    return out / "graph.ttl"
GRAPH = "https://example.org/scholargraph/graph"
XSD = "http://www.w3.org/2001/XMLSchema#"


def file_triples(path: Path) -> set[str]:
    return ntriples_set([quad.triple for quad in pyoxigraph.parse(path=path)])


def credentials(server: StoreServer) -> Credentials | None:
    return Credentials(server.user, server.password) if server.user and server.password else None


def run(server: StoreServer, path: Path, graph: str = GRAPH, **options: object) -> PublishResult:
    return publish(path, server.endpoint, graph_iri=graph, credentials=credentials(server), **options)  # type: ignore[arg-type]


@pytest.fixture
def edited(tmp_path: Path) -> tuple[Path, set[str], set[str]]:
    """The sample with one work's title corrected, one sameAs removed and one keyword added."""
    text = SAMPLE.read_text(encoding="utf-8")
    old_title = '"Le micro-travail en France"@fr'
    new_title = '"Le micro-travail en France (rapport final)"@fr'
    assert text.count(old_title) == 2  # dcterms:title and schema:name
    text = text.replace(old_title, new_title)
    text = text.replace(' ; schema:sameAs <https://hal.science/hal-02139531> ;', ' ;')
    text = text.replace('schema:knowsAbout "R", "LimeSurvey"', 'schema:knowsAbout "R", "LimeSurvey", "Python"')
    path = tmp_path / "edited.ttl"
    path.write_text(text, encoding="utf-8")
    before, after = file_triples(SAMPLE), file_triples(path)
    deleted, inserted = before - after, after - before
    assert (len(deleted), len(inserted)) == (3, 3)  # the edit did what this test means
    return path, deleted, inserted


# --------------------------------------------------------------------------- loading and reading back


@pytest.mark.parametrize("store_kind", ["auto", "update"])
def test_publish_then_read_back(store_server: StoreServer, store_kind: str) -> None:
    graph = f"{GRAPH}/{store_kind}"
    result = run(store_server, SAMPLE, graph, store_kind=store_kind)
    expected = file_triples(SAMPLE)
    assert result.triples == len(expected) == 306
    assert result.store_triples == store_server.count(graph) == len(expected)
    assert result.method == ("gsp" if store_kind == "auto" else "update")
    # Every term survived the trip, quotes, backslashes, newlines and language tags included.
    assert store_server.triples(graph) == expected


def test_publish_the_sample_build(store_server: StoreServer, sample_build: Path) -> None:
    result = run(store_server, sample_build, f"{GRAPH}/sample-build")
    assert result.store_triples == result.triples == store_server.count(f"{GRAPH}/sample-build")
    expected = file_triples(sample_build)
    if store_server.kind == "oxigraph":
        # Oxigraph 0.5 stores "1"^^xsd:positiveInteger as "1"^^xsd:integer (the same value).
        expected = {line.replace(f"^^<{XSD}positiveInteger>", f"^^<{XSD}integer>") for line in expected}
    assert store_server.triples(f"{GRAPH}/sample-build") == expected


def test_publish_twice_leaves_no_duplicates(store_server: StoreServer) -> None:
    graph = f"{GRAPH}/twice"
    first = run(store_server, SAMPLE, graph)
    second = run(store_server, SAMPLE, graph)
    assert (first.mode, second.mode) == ("initial", "replace")
    assert second.previous_triples == 306
    assert store_server.count(graph) == 306
    assert store_server.triples(graph) == file_triples(SAMPLE)
    staging = store_server.select(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), 'urn:scholargraph:staging:')) }"
    )
    assert staging == []


def test_republish_replaces_the_graph(store_server: StoreServer, edited: tuple[Path, set[str], set[str]]) -> None:
    graph = f"{GRAPH}/replace"
    path, deleted, inserted = edited
    run(store_server, SAMPLE, graph)
    result = run(store_server, path, graph, chunk_size=100)  # several chunks into the staging graph
    held = store_server.triples(graph)
    assert held == file_triples(path)
    assert not (held & deleted)
    assert result.mode == "replace"


# --------------------------------------------------------------------------- failures midway


def test_server_killed_mid_load_leaves_old_graph(tmp_path: Path, edited: tuple[Path, set[str], set[str]]) -> None:
    path, _, _ = edited
    location = tmp_path / "store"
    with start_oxigraph(location) as server:
        run(server, SAMPLE)
        port = int(urllib.parse.urlsplit(server.endpoint).port or 0)

        def kill_after_second_chunk(step: str, done: int, total: int) -> None:
            if step == "load" and done == 2:
                server.kill()

        with pytest.raises(PublishError) as caught:
            run(server, path, chunk_size=50, retries=2, backoff=0.01, progress=kill_after_second_chunk)
    message = str(caught.value)
    assert "load chunk 3 of 7" in message
    assert "connection refused" in message
    assert f"the graph <{GRAPH}> was not changed" in message
    with start_oxigraph(location, port=port) as restarted:
        assert restarted.triples(GRAPH) == file_triples(SAMPLE)


def test_connection_dropped_mid_load_exits_nonzero(
    store_server: StoreServer,
    edited: tuple[Path, set[str], set[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    graph = f"{GRAPH}/dropped"
    path, _, _ = edited
    run(store_server, SAMPLE, graph)
    build = tmp_path / "build"
    build.mkdir()
    shutil.copy(path, build / "graph.ttl")
    set_credentials(monkeypatch, store_server)
    target = urllib.parse.urlsplit(store_server.endpoint)
    def drop(head: bytes) -> bool:  # the Graph Store POST into the staging graph
        request_line = head.split(b"\r\n", 1)[0]
        return request_line.startswith(b"POST") and b"staging" in request_line

    with Proxy(int(target.port or 0), drop_when=drop) as proxy:
        code = run_publish_command(build, proxy.url(target.path), graph, delta=False, dry_run=False)
    assert proxy.dropped.is_set()
    out, err = capsys.readouterr()
    assert code == 1
    assert err.startswith("error: cannot load chunk 1 of 1 at http://127.0.0.1:")
    assert f"the graph <{graph}> was not changed" in err
    assert len(err.strip().splitlines()) == 1
    assert store_server.triples(graph) == file_triples(SAMPLE)


# --------------------------------------------------------------------------- credentials and refusals


def set_credentials(monkeypatch: pytest.MonkeyPatch, server: StoreServer, password: str | None = None) -> None:
    monkeypatch.setenv("NETRC", "/nonexistent")
    if server.user:
        monkeypatch.setenv("SCHOLARGRAPH_USER", server.user)
        monkeypatch.setenv("SCHOLARGRAPH_PASSWORD", password or server.password or "")
    else:
        monkeypatch.delenv("SCHOLARGRAPH_USER", raising=False)
        monkeypatch.delenv("SCHOLARGRAPH_PASSWORD", raising=False)


def test_wrong_password(
    virtuoso_server: StoreServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    graph = f"{GRAPH}/wrong-password"
    run(virtuoso_server, SAMPLE, graph)
    build = tmp_path / "build"
    build.mkdir()
    (build / "graph.ttl").write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    wrong = "Wr0ng-Pa55word-7f3a"
    set_credentials(monkeypatch, virtuoso_server, password=wrong)
    code = run_publish_command(build, virtuoso_server.endpoint, graph, delta=False, dry_run=False)
    out, err = capsys.readouterr()
    assert code == 1
    assert "refused the credentials (HTTP 401)" in err
    assert "SCHOLARGRAPH_USER" in err
    assert wrong not in out + err
    assert virtuoso_server.count(graph) == 306


def test_credentials_never_printed(tmp_path: Path) -> None:
    secret = "s3cret-Value"
    assert secret not in repr(Credentials("dba", secret))
    assert secret not in str(Credentials("dba", secret))
    with pytest.raises(PublishError) as caught:
        publish(SAMPLE, f"http://dba:{secret}@127.0.0.1:1/sparql", graph_iri=GRAPH)
    assert secret not in str(caught.value)
    assert "SCHOLARGRAPH_PASSWORD" in str(caught.value)


def test_credentials_from_environment_and_netrc(tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine store.example.org login alice password from-netrc\n")
    netrc.chmod(0o600)
    url = "https://store.example.org/sparql"
    env = {"SCHOLARGRAPH_USER": "bob", "SCHOLARGRAPH_PASSWORD": "from-env"}
    assert find_credentials(url, env, netrc) == Credentials("bob", "from-env")
    assert find_credentials(url, {}, netrc) == Credentials("alice", "from-netrc")
    assert find_credentials("https://other.example.org/sparql", {}, netrc) is None
    assert find_credentials(url, {}, tmp_path / "missing") is None
    with pytest.raises(PublishError, match="SCHOLARGRAPH_PASSWORD is not set"):
        find_credentials(url, {"SCHOLARGRAPH_USER": "bob"}, netrc)


def test_virtuoso_without_credentials_is_read_only(virtuoso_server: StoreServer) -> None:
    with pytest.raises(PublishError) as caught:
        publish(SAMPLE, virtuoso_server.endpoint, graph_iri=f"{GRAPH}/anonymous", retries=0)
    assert "does not allow writing (HTTP 500)" in str(caught.value)
    assert "read-only" in str(caught.value)
    assert virtuoso_server.count(f"{GRAPH}/anonymous") == 0


def test_read_only_oxigraph(tmp_path: Path) -> None:
    location = tmp_path / "store"
    with start_oxigraph(location) as server:
        run(server, SAMPLE)
    with start_oxigraph(location, read_only=True) as server:
        with pytest.raises(PublishError) as caught:
            run(server, SAMPLE, retries=0)
        assert "does not allow writing (HTTP 403)" in str(caught.value)
        assert f"the graph <{GRAPH}> was not changed" in str(caught.value)
        assert server.count(GRAPH) == 306


def test_no_store_there() -> None:
    endpoint = f"http://127.0.0.1:{free_port()}/sparql"
    with pytest.raises(PublishError) as caught:
        publish(SAMPLE, endpoint, graph_iri=GRAPH, retries=2, backoff=0.01)
    assert str(caught.value) == (
        f"cannot reach the store at {endpoint}: connection refused (tried 3 times); is the store running?"
    )


def test_wrong_path_on_a_store(oxigraph_server: StoreServer) -> None:
    endpoint = oxigraph_server.endpoint.replace("/query", "/nothing-here")
    with pytest.raises(PublishError, match=r"there is no SPARQL endpoint at .*/nothing-here \(HTTP 404\)"):
        publish(SAMPLE, endpoint, graph_iri=GRAPH, retries=0)


# --------------------------------------------------------------------------- inputs that cannot be misread


def test_graph_iri_cannot_inject(oxigraph_server: StoreServer) -> None:
    run(oxigraph_server, SAMPLE)
    for bad in (f"{GRAPH}> }} ; DROP ALL ; #", "not an iri", "relative/graph"):
        with pytest.raises(PublishError, match="graph IRI|absolute IRI"):
            run(oxigraph_server, SAMPLE, bad)
    assert oxigraph_server.count(GRAPH) == 306


def test_blank_nodes_and_empty_graphs_are_refused(oxigraph_server: StoreServer, tmp_path: Path) -> None:
    blank = tmp_path / "blank.ttl"
    blank.write_text('<urn:a> <urn:b> [ <urn:c> "d" ] .\n')
    with pytest.raises(PublishError, match="blank nodes"):
        run(oxigraph_server, blank)
    empty = tmp_path / "empty.ttl"
    empty.write_text("# nothing\n")
    with pytest.raises(PublishError, match="the graph is empty"):
        run(oxigraph_server, empty)


# --------------------------------------------------------------------------- delta and dry run


def sent_updates(proxy: Proxy) -> list[str]:
    """The bodies of the SPARQL updates that went through the proxy.

    With digest authentication each request goes twice (the first draws the
    challenge); only the authenticated ones count then.
    """
    requests = [raw.partition(b"\r\n\r\n") for raw in proxy.requests]
    updates = [(head.lower(), body) for head, _, body in requests if b"application/sparql-update" in head.lower()]
    if any(b"\r\nauthorization:" in head for head, _ in updates):
        updates = [(head, body) for head, body in updates if b"\r\nauthorization:" in head]
    return [body.decode("utf-8") for _, body in updates]


def test_delta_sends_only_the_difference(store_server: StoreServer, edited: tuple[Path, set[str], set[str]]) -> None:
    graph = f"{GRAPH}/delta"
    path, deleted, inserted = edited
    run(store_server, SAMPLE, graph)
    target = urllib.parse.urlsplit(store_server.endpoint)
    with Proxy(int(target.port or 0)) as proxy:
        result = publish(
            path, proxy.url(target.path), graph_iri=graph, credentials=credentials(store_server), delta=True
        )
    assert result.mode == "delta"
    assert set(result.deleted) == deleted
    assert set(result.inserted) == inserted
    assert store_server.triples(graph) == file_triples(path)
    # On the wire: one update, holding exactly those statements and nothing else.
    [update] = sent_updates(proxy)
    delete_part, _, insert_part = update.partition("INSERT DATA")
    pragma = VIRTUOSO_DATA_PRAGMA if store_server.kind == "virtuoso" else ""
    assert delete_part.startswith(f"{pragma}DELETE DATA {{ GRAPH <{graph}> {{\n")
    statements = lambda text: {line for line in text.splitlines() if line.endswith(" .")}  # noqa: E731
    assert statements(delete_part) == deleted
    assert statements(insert_part) == inserted
    assert not any(b"/store" in raw.split(b"\r\n")[0] and raw.startswith(b"POST") for raw in proxy.requests)


@pytest.fixture
def small_requests(monkeypatch: pytest.MonkeyPatch) -> int:
    """Update requests capped at 300 bytes on both stores: one statement each."""
    import scholargraph.publish as module

    monkeypatch.setattr(module, "MAX_UPDATE_BYTES", 300)
    monkeypatch.setattr(module, "VIRTUOSO_MAX_UPDATE_BYTES", 300)
    return 300


def test_delta_too_large_for_one_request_goes_in_steps(
    store_server: StoreServer, edited: tuple[Path, set[str], set[str]], small_requests: int
) -> None:
    """Only the difference is sent, in the fewest requests the store takes, and publish says it is not atomic."""
    graph = f"{GRAPH}/delta-steps"
    path, deleted, inserted = edited
    run(store_server, SAMPLE, graph)
    target = urllib.parse.urlsplit(store_server.endpoint)
    out = io.StringIO()
    with Proxy(int(target.port or 0)) as proxy:
        result = publish(
            path, proxy.url(target.path), graph_iri=graph, credentials=credentials(store_server), delta=True, out=out
        )
    updates = sent_updates(proxy)
    assert result.steps == len(updates) == 6
    assert out.getvalue() == (
        f"note: the difference (-3 +3 triples) is larger than one update request to this store may be "
        f"({small_requests} bytes): applying it in 6 steps, each one transaction; until the last, readers may "
        f"see <{graph}> partly updated\n"
    )
    assert result.summary().startswith(f"published -3 +3 triples in 6 steps to <{graph}> at ")
    assert (set(result.deleted), set(result.inserted)) == (deleted, inserted)
    statements = {line for update in updates for line in update.splitlines() if line.endswith(" .")}
    assert statements == deleted | inserted  # the difference and nothing else: no staging, no copy
    assert all(len(update.encode()) <= small_requests for update in updates)
    assert store_server.triples(graph) == file_triples(path)
    graphs = store_server.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), 'urn:scholargraph:staging')) }")
    assert graphs == []


def test_delta_step_that_fails_says_how_far_it_went(
    oxigraph_server: StoreServer, edited: tuple[Path, set[str], set[str]], small_requests: int
) -> None:
    path, deleted, inserted = edited
    run(oxigraph_server, SAMPLE)
    port = int(urllib.parse.urlsplit(oxigraph_server.endpoint).port or 0)
    updates = 0

    def second_update(head: bytes) -> bool:
        nonlocal updates
        updates += b"application/sparql-update" in head.lower()
        return updates == 2

    with Proxy(port, drop_when=second_update) as proxy:
        with pytest.raises(PublishError) as caught:
            publish(path, proxy.url("/query"), graph_iri=GRAPH, delta=True, retries=0)
    assert str(caught.value) == (
        f"cannot apply the delta (step 2 of 6) at {proxy.url('/update')}: the connection was dropped by the server; "
        f"is the store running?; <{GRAPH}> holds the first 1 or 2 of the 6 steps (partly updated): "
        "run publish --delta again to send the rest"
    )
    held = oxigraph_server.triples(GRAPH)
    assert held not in (file_triples(SAMPLE), file_triples(path))  # partly updated, as it said
    result = run(oxigraph_server, path, delta=True)  # and running it again sends the rest
    assert oxigraph_server.triples(GRAPH) == file_triples(path)
    assert len(result.deleted) + len(result.inserted) == len(held ^ file_triples(path)) < 6


def test_delta_when_nothing_changed(store_server: StoreServer) -> None:
    graph = f"{GRAPH}/unchanged"
    run(store_server, SAMPLE, graph)
    result = run(store_server, SAMPLE, graph, delta=True)
    assert result.mode == "unchanged"
    assert (result.deleted, result.inserted) == ((), ())


def test_dry_run_sends_nothing(store_server: StoreServer, edited: tuple[Path, set[str], set[str]]) -> None:
    graph = f"{GRAPH}/dry-run"
    path, deleted, inserted = edited
    run(store_server, SAMPLE, graph)
    out = io.StringIO()
    full = run(store_server, path, graph, dry_run=True, out=out)
    assert full.dry_run and full.store_triples is None
    if store_server.kind == "virtuoso":  # the staging graph's difference, written in one update
        assert f"DELETE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}\nWHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} FILTER NOT EXISTS {{ GRAPH <urn:scholargraph:staging:" in out.getvalue()
    else:
        assert f"MOVE <urn:scholargraph:staging:" in out.getvalue()
        assert f"TO <{graph}>" in out.getvalue()
    out = io.StringIO()
    run(store_server, path, graph, dry_run=True, delta=True, out=out)
    printed = out.getvalue()
    assert "DELETE DATA" in printed and "INSERT DATA" in printed
    assert all(statement in printed for statement in deleted | inserted)
    assert store_server.triples(graph) == file_triples(SAMPLE)  # nothing was written


def test_command_prints_and_returns_zero(
    oxigraph_server: StoreServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    edited: tuple[Path, set[str], set[str]],
) -> None:
    build = tmp_path / "build"
    build.mkdir()
    shutil.copy(SAMPLE, build / "graph.ttl")
    set_credentials(monkeypatch, oxigraph_server)
    assert run_publish_command(build, oxigraph_server.endpoint, GRAPH, delta=False, dry_run=False) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith(f"published 306 triples, replacing 0 to <{GRAPH}>")
    shutil.copy(edited[0], build / "graph.ttl")
    assert run_publish_command(build, oxigraph_server.endpoint, GRAPH, delta=True, dry_run=False) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert sum(line.startswith("- ") for line in lines) == 3
    assert sum(line.startswith("+ ") for line in lines) == 3
    assert lines[-1].startswith(f"published -3 +3 triples to <{GRAPH}>")
    shutil.rmtree(build)
    assert run_publish_command(build, oxigraph_server.endpoint, GRAPH, delta=False, dry_run=False) == 1
    assert "run 'scholargraph build' first" in capsys.readouterr().err


def test_coauthors_query_same_rows_on_store_as_embedded(store_server: StoreServer, sample_build: Path) -> None:
    """The canned co-authors query gives the same rows on the loaded store as on the build's embedded store."""
    from scholargraph.queries import run_query

    graph = f"{GRAPH}/coauthors"
    run(store_server, sample_build, graph)
    params = {"person": "Clément Le Ludec"}
    embedded = run_query("coauthors", params, graph_dir=sample_build.parent)
    remote = run_query("coauthors", params, endpoint=store_server.query_url, graph=graph)
    assert remote.rows == embedded.rows
    assert [(row[1], row[2]) for row in embedded.rows] == [
        ("Antonio A. Casilli", 6), ("Paola Tubaro", 5), ("Elinor Wahal", 4), ("Maxime Cornet", 4),
        ("Mandie Joulin", 2), ("Marion Coville", 2), ("Maxime Besenval", 1), ("Touhfat Mouhtare", 1),
    ]


# --------------------------------------------------------------------------- a reload on Oxigraph: one transaction


def write_works(path: Path, works: int, title: str = "Title", first: int = 0) -> int:
    """N-Triples for ``works`` works (four triples each, numbered from ``first``); returns the triple count."""
    base = "https://example.org/scholargraph/work/w"
    with open(path, "w", encoding="utf-8") as out:
        for k in range(first, first + works):
            out.write(
                f"<{base}{k}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/ScholarlyArticle> .\n"
                f'<{base}{k}> <https://schema.org/name> "{title} {k} \\"quoted\\" accentué"@en .\n'
                f'<{base}{k}> <https://schema.org/position> "{k}"^^<{XSD}integer> .\n'
                f"<{base}{k}> <https://schema.org/author> <https://example.org/scholargraph/person/p{k % 500}> .\n"
            )
    return 4 * works


class Reader:
    """Counts the triples in a graph, again and again, from another thread, as a reader of the endpoint would."""

    def __init__(self, server: StoreServer, graph: str) -> None:
        self.server, self.graph = server, graph
        self.seen: list[tuple[float, int]] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self.stopped.is_set():
            try:
                self.seen.append((time.monotonic(), self.server.count(self.graph)))
            except OSError:  # the server was killed
                return

    def __enter__(self) -> Reader:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(timeout=60)

    def counts(self) -> set[int]:
        return {n for _, n in self.seen}


def test_reload_is_one_transaction_readers_see_old_or_new(oxigraph_server: StoreServer, tmp_path: Path) -> None:
    """A reader polling the graph during a first load and a reload only ever sees 0/old, then old/new."""
    old, new = tmp_path / "old.nt", tmp_path / "new.nt"
    old_count = write_works(old, 6_000)  # 24,000 triples
    new_count = write_works(new, 7_000, title="Revised title", first=3_000)  # 28,000: 3,000 works kept, titles changed
    with Reader(oxigraph_server, GRAPH) as reader:
        first = run(oxigraph_server, old)
    assert first.mode == "initial"
    assert reader.counts() <= {0, old_count}

    applying: list[float] = []
    with Reader(oxigraph_server, GRAPH) as reader:
        time.sleep(0.05)
        result = run(oxigraph_server, new, progress=lambda step, done, total: applying.append(time.monotonic()) if step == "apply" else None)
        time.sleep(0.05)
    assert (result.mode, result.previous_triples, result.store_triples) == ("replace", old_count, new_count)
    assert len(applying) == 2  # the reload went as one difference request, not staging + MOVE
    during = [n for t, n in reader.seen if applying[0] <= t <= applying[1]]
    assert during, "no read happened while the update was being applied"
    assert reader.counts() <= {old_count, new_count}, sorted(reader.counts())
    assert {old_count, new_count} <= reader.counts()
    assert oxigraph_server.triples(GRAPH) == file_triples(new)
    staging = oxigraph_server.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert staging == [{"g": GRAPH}]


def test_reload_killed_midway_leaves_old_graph(tmp_path: Path) -> None:
    """The server is killed 0.1 s into the reload's one update request: the old graph survives whole.

    (Killed later, once the store has committed, it holds the new graph whole: measured here, a kill
    0.05-0.15 s in left the old graph and 0.3-0.5 s in the new one, never a mixture.)
    """
    old, new = tmp_path / "old.nt", tmp_path / "new.nt"
    write_works(old, 10_000)
    write_works(new, 10_000, first=10_000)  # every triple differs: the longest transaction
    location = tmp_path / "store"
    with start_oxigraph(location) as server:
        run(server, old)
        port = int(urllib.parse.urlsplit(server.endpoint).port or 0)

        def kill_while_applying(step: str, done: int, total: int) -> None:
            if step == "apply" and done == 0:
                threading.Timer(0.1, server.kill).start()

        with Reader(server, GRAPH) as reader:
            with pytest.raises(PublishError) as caught:
                run(server, new, retries=1, backoff=0.01, progress=kill_while_applying)
    message = str(caught.value)
    assert message.startswith(f"cannot replace the graph (-40000 +40000 triples in one request) at {server.update_url}: ")
    assert f"the graph <{GRAPH}> may or may not have been replaced, run publish again" in message
    assert reader.counts() == {40_000}
    with start_oxigraph(location, port=port) as restarted:
        assert restarted.triples(GRAPH) == file_triples(old)
        result = run(restarted, new)  # and publishing again completes the reload
        assert restarted.triples(GRAPH) == file_triples(new)
    assert result.mode == "replace"


def test_reload_sends_only_the_difference(oxigraph_server: StoreServer, edited: tuple[Path, set[str], set[str]]) -> None:
    path, deleted, inserted = edited
    run(oxigraph_server, SAMPLE)
    out = io.StringIO()
    dry = run(oxigraph_server, path, dry_run=True, out=out, one_transaction_min=0)
    assert "(DELETE DATA, 3 triples ; INSERT DATA, 3 triples: one transaction)" in out.getvalue()
    assert "staging" not in out.getvalue() and "MOVE" not in out.getvalue()
    assert dry.mode == "replace"
    assert oxigraph_server.triples(GRAPH) == file_triples(SAMPLE)
    result = run(oxigraph_server, path, one_transaction_min=0)
    held = oxigraph_server.triples(GRAPH)
    assert held == file_triples(path) and not (held & deleted) and inserted <= held
    # discovery, count, reading the graph, the update, the count check
    assert (result.mode, result.requests, result.store_triples) == ("replace", 5, 306)
    again = run(oxigraph_server, path, one_transaction_min=0)
    assert (again.mode, again.requests) == ("replace", 4)  # nothing to send


def test_reload_too_large_for_one_request_is_staged(
    oxigraph_server: StoreServer, edited: tuple[Path, set[str], set[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import scholargraph.publish as module

    path, _, _ = edited
    run(oxigraph_server, SAMPLE)
    monkeypatch.setattr(module, "MAX_UPDATE_BYTES", 100)
    out = io.StringIO()
    result = run(oxigraph_server, path, one_transaction_min=0, out=out)
    assert "too large for one update request: staging the graph and swapping it in instead" in out.getvalue()
    assert result.store_triples == 306
    assert oxigraph_server.triples(GRAPH) == file_triples(path)


def test_reload_of_a_graph_with_blank_nodes_is_staged(oxigraph_server: StoreServer) -> None:
    oxigraph_server.update(f"INSERT DATA {{ GRAPH <{GRAPH}> {{ _:b <urn:p> <urn:o> . <urn:a> <urn:p> _:c }} }}")
    out = io.StringIO()
    result = run(oxigraph_server, SAMPLE, one_transaction_min=0, out=out)
    assert "cannot be diffed (it has blank nodes): staging it and swapping it in instead" in out.getvalue()
    assert (result.mode, result.previous_triples) == ("replace", 2)
    assert oxigraph_server.triples(GRAPH) == file_triples(SAMPLE)


# --------------------------------------------------------------------------- a reload on Virtuoso: one transaction


def write_edited_works(path: Path, tmp_path: Path) -> int:
    """Works 500-8,499 (32,000 triples): 0-499 gone, 500-1,499 retitled, 7,500-8,499 new."""
    parts = [tmp_path / "retitled.nt", tmp_path / "kept.nt", tmp_path / "added.nt"]
    write_works(parts[0], 1_000, title="Revised title", first=500)
    write_works(parts[1], 6_000, first=1_500)
    write_works(parts[2], 1_000, first=7_500)
    path.write_bytes(b"".join(part.read_bytes() for part in parts))
    return 4 * 8_000


class PairReader(Reader):
    """Asks, again and again, whether a work only the old graph has and one only the new graph has are there."""

    def __init__(self, server: StoreServer, graph: str, gone: str, added: str) -> None:
        super().__init__(server, graph)
        pattern = "{{ GRAPH <{g}> {{ <{s}> a <https://schema.org/ScholarlyArticle> }} }}"
        self.query = (
            f"SELECT ?gone ?added WHERE {{ BIND(EXISTS {pattern.format(g=graph, s=gone)} AS ?gone) "
            f"BIND(EXISTS {pattern.format(g=graph, s=added)} AS ?added) }}"
        )
        self.states: list[tuple[str, str]] = []

    def _poll(self) -> None:
        while not self.stopped.is_set():
            [row] = self.server.select(self.query)
            self.states.append((row["gone"], row["added"]))


def test_reload_on_virtuoso_writes_the_difference_in_one_transaction(virtuoso_server: StoreServer, tmp_path: Path) -> None:
    """30k triples reloaded as 32k, 8k of them changed: readers see the old graph, then the new one.

    The reader asks about two works at once: one the reload deletes, one it
    inserts.  Applied as more than one transaction (or MOVE's clear, then
    copy), some reads would find neither or both.  (Virtuoso reads are READ
    COMMITTED, not snapshots: a long query running while the commit is being
    applied may see part of it, so the reader's query is two key lookups.)
    """
    graph = f"{GRAPH}/virtuoso-reload"
    old, new = tmp_path / "old.nt", tmp_path / "new.nt"
    old_count = write_works(old, 7_500)  # 30,000 triples
    new_count = write_edited_works(new, tmp_path)  # 32,000: 3,000 deleted, 5,000 inserted
    work = "https://example.org/scholargraph/work/w"
    with PairReader(virtuoso_server, graph, gone=f"{work}0", added=f"{work}7499") as reader:
        first = run(virtuoso_server, old, graph)  # one Graph Store request: none of it, then all of it
        time.sleep(0.05)
    assert (first.mode, first.store_triples, first.requests) == ("initial", old_count, 4)  # discovery, count, the load, the count check
    flip = reader.states.index(("1", "1"))
    assert set(reader.states[:flip]) == {("0", "0")} and set(reader.states[flip:]) == {("1", "1")}, reader.states

    with PairReader(virtuoso_server, graph, gone=f"{work}0", added=f"{work}8000") as reader:
        time.sleep(0.05)
        result = run(virtuoso_server, new, graph)
        time.sleep(0.05)
    assert (result.mode, result.previous_triples, result.store_triples) == ("replace", old_count, new_count)
    old_state, new_state = ("1", "0"), ("0", "1")
    assert reader.states[0] == old_state and reader.states[-1] == new_state
    flip = reader.states.index(new_state)
    assert set(reader.states[:flip]) == {old_state} and set(reader.states[flip:]) == {new_state}, reader.states
    assert len(reader.states) > 20  # the reader kept reading during the reload

    assert virtuoso_server.triples(graph) == file_triples(new)
    assert len(file_triples(old) - file_triples(new)) == 3_000 and len(file_triples(new) - file_triples(old)) == 5_000
    staging = virtuoso_server.select(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), 'urn:scholargraph:staging')) }"
    )
    assert staging == []


def test_reload_on_virtuoso_again_and_back(virtuoso_server: StoreServer, tmp_path: Path) -> None:
    """The same file again, then every triple changed, then back: each leaves exactly the file's triples."""
    graph = f"{GRAPH}/virtuoso-reloads"
    first, renamed = tmp_path / "first.nt", tmp_path / "renamed.nt"
    count = write_works(first, 5_000)  # 20,000 triples
    write_works(renamed, 5_000, first=5_000)  # every triple differs
    run(virtuoso_server, first, graph)
    for path in (first, renamed, first):
        result = run(virtuoso_server, path, graph)
        assert (result.mode, result.previous_triples, result.store_triples) == ("replace", count, count)
        assert virtuoso_server.triples(graph) == file_triples(path)


def test_delta_on_virtuoso_reads_past_its_result_limit(virtuoso_server: StoreServer, tmp_path: Path) -> None:
    """The Debian virtuoso.ini answers at most 10,000 rows: --delta reads a 32k graph in pages of 10,000."""
    graph = f"{GRAPH}/virtuoso-delta-pages"
    old, new = tmp_path / "old.nt", tmp_path / "new.nt"
    write_works(old, 8_000, first=500)  # 32,000 triples
    write_edited_works(new, tmp_path)  # 1,000 titles changed
    run(virtuoso_server, old, graph)
    result = run(virtuoso_server, new, graph, delta=True)
    assert (result.mode, len(result.deleted), len(result.inserted), result.steps) == ("delta", 1_000, 1_000, 1)
    assert set(result.inserted) == file_triples(new) - file_triples(old)
    assert virtuoso_server.triples(graph) == file_triples(new)


def test_delta_on_virtuoso_past_its_result_limit_names_the_setting(
    virtuoso_server: StoreServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages larger than the store answers (ResultSetMaxRows set lower than 10,000): refused, with the setting."""
    import scholargraph.publish as module

    graph = f"{GRAPH}/virtuoso-delta-limit"
    path = tmp_path / "works.nt"
    count = write_works(path, 3_000)  # 12,000 triples
    run(virtuoso_server, path, graph)
    monkeypatch.setattr(module, "VIRTUOSO_PAGE", 20_000)
    with pytest.raises(PublishError) as caught:
        run(virtuoso_server, path, graph, delta=True)
    assert str(caught.value) == (
        f"the store returned 10001 of the {count} triples in <{graph}> (a result size limit?); cannot compute a delta, "
        "raise ResultSetMaxRows in the [SPARQL] section of virtuoso.ini, or publish without --delta; the graph was not changed"
    )
    assert virtuoso_server.triples(graph) == file_triples(path)


def test_sparql_update_only_on_virtuoso_loads_more_than_one_data_block(virtuoso_server: StoreServer, tmp_path: Path) -> None:
    """Virtuoso's parser takes ~5,000 triples in one INSERT DATA: a larger load goes in blocks of 2,000."""
    graph = f"{GRAPH}/virtuoso-update-only"
    path = tmp_path / "works.nt"
    count = write_works(path, 3_000)  # 12,000 triples
    result = run(virtuoso_server, path, graph, store_kind="update")
    assert (result.method, result.store_triples) == ("update", count)
    assert virtuoso_server.triples(graph) == file_triples(path)


def test_reload_on_virtuoso_cut_off_during_its_update(virtuoso_server: StoreServer, tmp_path: Path) -> None:
    """No answer to the one update: publish looks whether it was applied (here it was not) and says so."""
    graph = f"{GRAPH}/virtuoso-cut-off"
    old, new = tmp_path / "old.nt", tmp_path / "new.nt"
    write_works(old, 100)
    write_works(new, 100, title="Revised title")
    run(virtuoso_server, old, graph)
    updates = 0

    def second_update(head: bytes) -> bool:  # clearing the staging graph, then the swap
        nonlocal updates
        head = head.lower()
        updates += b"application/sparql-update" in head and b"\r\nauthorization:" in head
        return updates == 2

    target = urllib.parse.urlsplit(virtuoso_server.endpoint)
    with Proxy(int(target.port or 0), drop_when=second_update) as proxy:
        with pytest.raises(PublishError) as caught:
            publish(new, proxy.url(target.path), graph_iri=graph, credentials=credentials(virtuoso_server), retries=0)
    assert str(caught.value) == (
        "cannot swap in the new graph (one update writing the difference from the staging graph) at "
        f"{proxy.url('/sparql-auth')}: the connection was dropped by the server; "
        f"the graph <{graph}> may or may not have been replaced, run publish again; is the store running?"
    )
    assert virtuoso_server.triples(graph) == file_triples(old)
    result = run(virtuoso_server, new, graph)  # and publishing again completes the reload
    assert (result.mode, result.store_triples) == ("replace", 400)
    assert virtuoso_server.triples(graph) == file_triples(new)
