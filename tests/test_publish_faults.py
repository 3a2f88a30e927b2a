"""Publishing under faults: slow, dropping, failing, babbling and locked stores.

A real Oxigraph server (``tests/servers.py``) holds the graph; a small HTTP
front on 127.0.0.1 sits between it and :func:`scholargraph.publish.publish`
and, request by request, forwards, delays, answers 500/503, answers garbage or
asks for credentials.  The connection dropped mid-request uses the
:class:`servers.Proxy`.  After every failure the old graph must be intact in
the store, the message must be one line that says what to do, and no password
may appear in stdout, stderr or the logs.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import logging
import shutil
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph
import pytest

from scholargraph.errors import PublishError
from scholargraph.publish import STAGING_PREFIX, Credentials, PublishResult, publish, run_publish_command
from servers import Proxy, StoreServer, ntriples_set

DATA = Path(__file__).parent / "data" / "publish"
SAMPLE = DATA / "graph.ttl"
GRAPH = "https://example.org/scholargraph/graph"
SECRET = "Sup3r-s3cret-pa55"


def file_triples(path: Path) -> set[str]:
    return ntriples_set([quad.triple for quad in pyoxigraph.parse(path=path)])


@pytest.fixture
def edited(tmp_path: Path) -> Path:
    """The sample with one title changed: publishing it must replace the graph, or leave the old one."""
    text = SAMPLE.read_text(encoding="utf-8")
    path = tmp_path / "edited.ttl"
    path.write_text(text.replace("Le micro-travail en France", "Le micro-travail en France (v2)"), encoding="utf-8")
    assert file_triples(path) != file_triples(SAMPLE)
    return path


@pytest.fixture
def loaded(oxigraph_server: StoreServer) -> StoreServer:
    """The store with the sample in GRAPH: the 'old graph' every failure must leave intact."""
    publish(SAMPLE, oxigraph_server.endpoint, graph_iri=GRAPH)
    assert oxigraph_server.triples(GRAPH) == file_triples(SAMPLE)
    return oxigraph_server


# --------------------------------------------------------------------------- a fault-injecting front


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Action = tuple  # ("forward",) | ("delay", seconds) | ("status", code, body, headers) | ("garbage", content_type, body)
Plan = Callable[[Seen, int], Action]


class Front:
    """An HTTP server on 127.0.0.1 in front of a store; ``plan(request, index)`` decides each answer."""

    def __init__(self, target: StoreServer, plan: Plan) -> None:
        self.target_port = int(urllib.parse.urlsplit(target.endpoint).port or 0)
        self.plan = plan
        self.seen: list[Seen] = []
        self.answered: list[int] = []
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep the test output quiet
                pass

            def version_string(self) -> str:  # the Server header: how publish recognises Oxigraph
                return "oxigraph/0.5 (fault-injecting front)"

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    out = bytearray()
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            self.rfile.readline()
                            return bytes(out)
                        out += self.rfile.read(size)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _handle(self) -> None:
                seen = Seen(self.command, self.path, dict(self.headers.items()), self._body())
                index = len(front.seen)
                front.seen.append(seen)
                action = front.plan(seen, index)
                if action[0] == "delay":
                    time.sleep(action[1])
                    action = ("forward",)
                if action[0] == "forward":
                    status, headers, body = front.forward(seen)
                elif action[0] == "status":
                    status, body, headers = action[1], action[2], action[3]
                else:  # garbage with a 200
                    status, headers, body = 200, {"Content-Type": action[1]}, action[2]
                front.answered.append(status)
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (timed out) first
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def forward(self, seen: Seen) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.target_port, timeout=60)
        headers = {k: v for k, v in seen.headers.items() if k.lower() not in ("transfer-encoding", "content-length", "connection", "host", "authorization")}
        connection.request(seen.method, seen.path, body=seen.body or None, headers=headers)
        response = connection.getresponse()
        body = response.read()
        kept = {k: v for k, v in response.getheaders() if k.lower() == "content-type"}
        connection.close()
        return response.status, kept, body

    def url(self, path: str = "/query") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def front_for(loaded: StoreServer) -> Iterator[Callable[[Plan], Front]]:
    fronts: list[Front] = []

    def make(plan: Plan) -> Front:
        fronts.append(Front(loaded, plan))
        return fronts[-1]

    yield make
    for front in fronts:
        front.close()


def is_staging_load(seen: Seen) -> bool:
    return seen.method == "POST" and seen.path.startswith("/store") and "staging" in seen.path


def is_count(seen: Seen) -> bool:
    return seen.method == "POST" and seen.path == "/query" and b"COUNT" in urllib.parse.unquote_to_bytes(seen.body)


def is_move(seen: Seen) -> bool:
    return seen.method == "POST" and seen.path == "/update" and seen.body.startswith(b"MOVE")


def run(front: Front, path: Path, **options: object) -> PublishResult:
    options = {"retries": 3, "backoff": 0.01, **options}
    return publish(path, front.url(), graph_iri=GRAPH, **options)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- retried, then a success


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried(
    front_for: Callable[[Plan], Front], loaded: StoreServer, edited: Path, status: int
) -> None:
    failures = {"left": 2}

    def plan(seen: Seen, index: int) -> Action:
        if is_staging_load(seen) and failures["left"]:
            failures["left"] -= 1
            return ("status", status, b"temporarily unavailable", {"Retry-After": "0"})
        return ("forward",)

    front = front_for(plan)
    result = run(front, edited)
    assert front.answered.count(status) == 2
    assert [s.method for s in front.seen if is_staging_load(s)] == ["POST"] * 3
    assert result.store_triples == result.triples
    assert loaded.triples(GRAPH) == file_triples(edited)


def test_a_slow_answer_is_retried(front_for: Callable[[Plan], Front], loaded: StoreServer, edited: Path) -> None:
    delays = {"left": 1}

    def plan(seen: Seen, index: int) -> Action:
        if is_staging_load(seen) and delays["left"]:
            delays["left"] -= 1
            return ("delay", 1.5)
        return ("forward",)

    front = front_for(plan)
    result = run(front, edited, timeout=0.5)
    assert result.store_triples == result.triples
    assert loaded.triples(GRAPH) == file_triples(edited)


# --------------------------------------------------------------------------- failures: a clear line, the old graph intact


def test_server_error_that_persists(front_for: Callable[[Plan], Front], loaded: StoreServer, edited: Path) -> None:
    front = front_for(lambda seen, i: ("status", 503, b"busy", {}) if is_staging_load(seen) else ("forward",))
    with pytest.raises(PublishError) as caught:
        run(front, edited)
    staging = [s.path for s in front.seen if is_staging_load(s)][0]
    assert str(caught.value) == (
        f"could not load chunk 1 of 1 at {front.url(staging)}: HTTP 503: busy (tried 4 times); "
        f"the graph <{GRAPH}> was not changed (the load went to the staging graph "
        f"<{urllib.parse.parse_qs(urllib.parse.urlsplit(staging).query)['graph'][0]}>, which the next publish drops)"
    )
    assert front.answered.count(503) == 4
    assert loaded.triples(GRAPH) == file_triples(SAMPLE)


def test_a_store_that_never_answers(front_for: Callable[[Plan], Front], loaded: StoreServer, edited: Path) -> None:
    front = front_for(lambda seen, i: ("delay", 2.0) if is_staging_load(seen) else ("forward",))
    started = time.perf_counter()
    with pytest.raises(PublishError) as caught:
        run(front, edited, timeout=0.3, retries=1)
    assert time.perf_counter() - started < 10
    message = str(caught.value)
    assert message.startswith("cannot load chunk 1 of 1 at http://127.0.0.1:")
    assert ": the request timed out (tried 2 times); the graph <" in message
    assert message.endswith("which the next publish drops); is the store running?")
    time.sleep(2.5)  # let the delayed requests reach the store: they only ever touch the staging graph
    assert loaded.triples(GRAPH) == file_triples(SAMPLE)


def test_the_swap_fails(front_for: Callable[[Plan], Front], loaded: StoreServer, edited: Path) -> None:
    """A MOVE is never retried; the store is asked whether it happened, and it did not."""
    front = front_for(lambda seen, i: ("status", 503, b"busy", {}) if is_move(seen) else ("forward",))
    with pytest.raises(PublishError) as caught:
        run(front, edited)
    assert str(caught.value) == (
        f"could not swap in the new graph at {front.url('/update')}: HTTP 503: busy; "
        f"the graph <{GRAPH}> may or may not have been replaced, run publish again"
    )
    assert sum(1 for s in front.seen if is_move(s)) == 1
    assert loaded.triples(GRAPH) == file_triples(SAMPLE)


def test_the_swap_times_out_on_virtuoso(front_for: Callable[[Plan], Front], loaded: StoreServer, edited: Path) -> None:
    """Virtuoso's SR171 (its MaxQueryExecutionTime) is reported once, with the setting to change."""
    body = b"Virtuoso S1T00 Error SR171: Transaction timed out\n\nSPARQL query:\nMOVE <a> TO <b>"
    front = front_for(lambda seen, i: ("status", 500, body, {}) if is_move(seen) else ("forward",))
    with pytest.raises(PublishError) as caught:
        run(front, edited)
    assert str(caught.value) == (
        f"could not swap in the new graph at {front.url('/update')}: Virtuoso stopped the update at its time limit "
        f"(SR171 Transaction timed out); the graph <{GRAPH}> was not changed (Virtuoso rolled the update back); "
        "raise MaxQueryExecutionTime in the [SPARQL] section of virtuoso.ini (0: no limit) and restart Virtuoso"
    )
    assert sum(1 for s in front.seen if is_move(s)) == 1  # not retried
    assert loaded.triples(GRAPH) == file_triples(SAMPLE)


def test_connection_dropped_during_the_swap(loaded: StoreServer, edited: Path) -> None:
    """The proxy resets the connection when the MOVE arrives (recognised by its length) and stops listening."""
    staging = STAGING_PREFIX + hashlib.sha256(GRAPH.encode()).hexdigest()[:16]
    move = f"MOVE <{staging}> TO <{GRAPH}>".encode()
    target = urllib.parse.urlsplit(loaded.endpoint)

    def drop(head: bytes) -> bool:
        return head.startswith(b"POST /update") and f"Content-Length: {len(move)}\r\n".encode() in head

    with Proxy(int(target.port or 0), drop_when=drop) as proxy:
        with pytest.raises(PublishError) as caught:
            publish(edited, proxy.url("/query"), graph_iri=GRAPH, retries=1, backoff=0.01)
    assert proxy.dropped.is_set()
    assert str(caught.value) == (
        f"cannot swap in the new graph at {proxy.url('/update')}: the connection was dropped by the server; "
        f"the graph <{GRAPH}> may or may not have been replaced, run publish again; is the store running?"
    )
    assert loaded.triples(GRAPH) == file_triples(SAMPLE)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/sparql-results+json", b"<html>not json</html>"),
        ("application/sparql-results+json", b'{"results": {"bindings": []}}'),
        ("application/sparql-results+json", b"[1, 2, 3]"),
        ("application/sparql-results+json", b'{"results": {"bindings": [{"n": {"value": {"x": 1}}}]}}'),
        ("application/sparql-results+json", b"\xff\xfe\x00garbage"),
    ],
)
def test_garbage_answers(
    front_for: Callable[[Plan], Front], loaded: StoreServer, edited: Path, content_type: str, body: bytes
) -> None:
    front = front_for(lambda seen, i: ("garbage", content_type, body) if is_count(seen) else ("forward",))
    with pytest.raises(PublishError) as caught:
        run(front, edited)
    assert str(caught.value) == (
        f"{front.url('/query')}: the store's answer to a COUNT query is not SPARQL JSON results; "
        f"the graph <{GRAPH}> was not changed"
    )
    assert loaded.triples(GRAPH) == file_triples(SAMPLE)


def test_garbage_graph_for_a_delta(front_for: Callable[[Plan], Front], loaded: StoreServer, edited: Path) -> None:
    def plan(seen: Seen, index: int) -> Action:
        if seen.method == "GET" and seen.path.startswith("/store"):
            return ("garbage", "application/n-triples", b"<urn:a> <urn:b> garbage .\n")
        return ("forward",)

    front = front_for(plan)
    with pytest.raises(PublishError) as caught:
        run(front, edited, delta=True)
    assert str(caught.value).startswith(
        f"<{GRAPH}> at {front.url('/query')}: the store's answer is not valid N-Triples: "
    )
    assert loaded.triples(GRAPH) == file_triples(SAMPLE)


# --------------------------------------------------------------------------- credentials


def locked(user: str, password: str, echo: bool = False) -> Plan:
    """A store that wants HTTP basic credentials (and, if ``echo``, quotes them back in its errors)."""
    token = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def plan(seen: Seen, index: int) -> Action:
        given = seen.headers.get("Authorization")
        if given != token:
            body = f"unauthorized: you sent {given!r}".encode() if echo else b"unauthorized"
            return ("status", 401, body, {"WWW-Authenticate": 'Basic realm="store"'})
        if echo and is_staging_load(seen):
            return ("status", 500, f"internal error for {given} / {password}".encode(), {})
        return ("forward",)

    return plan


def test_credentials_asked_for_but_not_given(front_for: Callable[[Plan], Front], loaded: StoreServer, edited: Path) -> None:
    front = front_for(locked("dba", SECRET))
    with pytest.raises(PublishError) as caught:
        run(front, edited)
    assert str(caught.value) == (
        f"the store at {front.url('/query')} asks for credentials (HTTP 401); "
        "set SCHOLARGRAPH_USER and SCHOLARGRAPH_PASSWORD, or a ~/.netrc entry for this host"
    )
    assert sum(1 for s in front.seen) == 1  # a 401 is not retried
    assert loaded.triples(GRAPH) == file_triples(SAMPLE)


def test_right_credentials(front_for: Callable[[Plan], Front], loaded: StoreServer, edited: Path) -> None:
    front = front_for(locked("dba", SECRET))
    result = run(front, edited, credentials=Credentials("dba", SECRET))
    assert result.store_triples == result.triples
    assert loaded.triples(GRAPH) == file_triples(edited)


@pytest.mark.parametrize("echo", [False, True])
def test_the_password_is_never_printed(
    front_for: Callable[[Plan], Front],
    loaded: StoreServer,
    edited: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    echo: bool,
) -> None:
    """Wrong credentials, and a store that quotes what it was sent back in its error pages."""
    token = base64.b64encode(f"dba:{SECRET}".encode()).decode()
    build = tmp_path / "build"
    build.mkdir()
    shutil.copy(edited, build / "graph.ttl")
    monkeypatch.setenv("NETRC", "/nonexistent")
    monkeypatch.setenv("SCHOLARGRAPH_USER", "dba")
    caplog.set_level(logging.DEBUG)
    outputs = []
    cases = [("wr0ng-" + SECRET, "other-password")] + ([(SECRET, SECRET)] if echo else [])
    for sent, wanted in cases:  # wrong credentials; right ones, with the store quoting them in a 500
        monkeypatch.setenv("SCHOLARGRAPH_PASSWORD", sent)
        front = front_for(locked("dba", wanted, echo=echo))
        code = run_publish_command(build, front.url(), GRAPH, delta=False, dry_run=False)
        out, err = capsys.readouterr()
        assert code == 1
        assert len(err.strip().splitlines()) == 1
        outputs.append(out + err + caplog.text)
    tokens = [base64.b64encode(f"dba:{sent}".encode()).decode() for sent, _ in cases]
    assert all(SECRET not in text for text in outputs)
    assert all(t not in text and t.rstrip("=") not in text for text in outputs for t in [token, *tokens])
    assert "refused the credentials (HTTP 401)" in outputs[0]
    if echo:
        assert "HTTP 500: internal error for Basic *** / *** (tried 4 times)" in outputs[1]
    assert loaded.triples(GRAPH) == file_triples(SAMPLE)
