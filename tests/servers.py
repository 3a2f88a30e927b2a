"""Real SPARQL stores for tests: Oxigraph and Virtuoso, on 127.0.0.1 and free ports.

Each server is started in a temporary directory, polled until it answers
(no fixed sleeps), and always stopped, also when the test fails.  Where a
server cannot be started the test is skipped with the reason, except in CI
(``CI=true``), where it fails: CI installs both stores (``.ci/run``).

Use the fixtures registered in ``conftest.py``::

    def test_something(oxigraph_server: StoreServer) -> None:      # fresh store per test
        oxigraph_server.update("INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } }")
        assert oxigraph_server.count("urn:g") == 1

    def test_other(virtuoso_server: StoreServer) -> None:           # one per session
        ...                                                          # use your own graph IRIs

    def test_both(store_server: StoreServer) -> None:               # parametrized over both
        rows = store_server.select("SELECT ?s WHERE { GRAPH <urn:g> { ?s ?p ?o } }")

or the context managers ``start_oxigraph(dir)`` and ``start_virtuoso(dir)``
directly when a test must stop, kill or restart a server.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pyoxigraph
import pytest

READY_TIMEOUT = 60.0  # seconds to wait for a server to answer
VIRTUOSO_PASSWORD = "test-dba-secret"  # set by the fixture; the Debian default is "dba"
VIRTUOSO_INI_CANDIDATES = (
    Path("/etc/virtuoso-opensource-7/virtuoso.ini"),
    Path("/usr/share/virtuoso-opensource-7/virtuoso.ini"),
)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def unavailable(reason: str) -> NoReturn:
    """Skip locally, fail in CI: a store that CI installs must start there."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: store tests must run, not skip)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class StoreServer:
    """A running store and how to talk to it."""

    kind: str  # "oxigraph" or "virtuoso"
    endpoint: str  # what to give ``scholargraph publish --endpoint``
    query_url: str  # anonymous SPARQL query endpoint
    update_url: str  # SPARQL update endpoint (digest auth on Virtuoso)
    gsp_url: str  # Graph Store HTTP protocol endpoint
    process: subprocess.Popen[bytes]
    location: Path  # the database directory
    log: Path
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    # -- talking to it (test helpers; never used by the code under test)

    def _open(self, request: urllib.request.Request, timeout: float = 60.0) -> bytes:
        handlers: list[urllib.request.BaseHandler] = []
        if self.user and self.password:
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            manager.add_password(None, self.update_url, self.user, self.password)
            handlers.append(urllib.request.HTTPDigestAuthHandler(manager))
        with urllib.request.build_opener(*handlers).open(request, timeout=timeout) as response:
            return bytes(response.read())

    def select(self, query: str) -> list[dict[str, str]]:
        """Run a SELECT on the anonymous endpoint; rows map variable names to values."""
        request = urllib.request.Request(
            self.query_url,
            data=urllib.parse.urlencode({"query": query}).encode(),
            headers={"Accept": "application/sparql-results+json"},
        )
        results = json.loads(self._open(request))
        return [{k: v["value"] for k, v in row.items()} for row in results["results"]["bindings"]]

    def update(self, update: str) -> None:
        """Run a SPARQL update (authenticated on Virtuoso)."""
        request = urllib.request.Request(
            self.update_url,
            data=update.encode(),
            headers={"Content-Type": "application/sparql-update"},
        )
        self._open(request)

    def count(self, graph_iri: str) -> int:
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph_iri}> {{ ?s ?p ?o }} }}")
        return int(rows[0]["n"])

    def triples(self, graph_iri: str) -> set[str]:
        """The graph as N-Triples statements written by pyoxigraph (comparable with a parsed file).

        Virtuoso answers at most ``ResultSetMaxRows`` (10,000 in the Debian
        virtuoso.ini) rows per query and sorts at most 10,000 for an OFFSET, so
        a larger graph is read there in 16 parts, split on the MD5 of the subject.
        """
        pattern = f"GRAPH <{graph_iri}> {{ ?s ?p ?o }}"
        parts = [""]
        if self.kind == "virtuoso" and self.count(graph_iri) > 9_000:
            parts = [f' FILTER(SUBSTR(MD5(STR(?s)), 1, 1) = "{digit:x}")' for digit in range(16)]
        triples: list[pyoxigraph.Triple] = []
        for part in parts:
            request = urllib.request.Request(
                self.query_url,
                data=urllib.parse.urlencode({"query": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {pattern}{part} }}"}).encode(),
                headers={"Accept": "application/n-triples"},
            )
            data = self._open(request)
            triples += [quad.triple for quad in pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.N_TRIPLES)]
        return ntriples_set(triples)

    # -- stopping it

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash would."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop the server cleanly (SIGTERM), killing it if it does not exit within 30 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def ntriples_set(triples: object) -> set[str]:
    data = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES)  # type: ignore[arg-type]
    return set((data or b"").decode().splitlines())


def _wait_until_ready(
    url: str, process: subprocess.Popen[bytes], log: Path, headers: dict[str, str] | None = None
) -> None:
    """Poll ``url`` until it answers 200; fail early if the process dies."""
    deadline = time.monotonic() + READY_TIMEOUT
    delay = 0.05
    while True:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"the server exited with code {process.returncode} before answering:\n{tail}")
        try:
            request = urllib.request.Request(url, headers=headers or {})
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not answer {url} within {READY_TIMEOUT:.0f} s")
        time.sleep(delay)  # polling interval, not a wait for readiness
        delay = min(delay * 1.5, 0.5)


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


# --------------------------------------------------------------------------- Oxigraph


def oxigraph_binary() -> str | None:
    beside_python = Path(sys.executable).parent / "oxigraph"
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("oxigraph")


@contextmanager
def start_oxigraph(location: Path, *, read_only: bool = False, port: int | None = None) -> Iterator[StoreServer]:
    """Run ``oxigraph serve`` on ``location`` (created if needed) until the block ends.

    ``port`` reuses a port (to restart a killed server where a client expects it).
    """
    binary = oxigraph_binary()
    if binary is None:
        unavailable("the oxigraph server is not installed (pip install oxigraph)")
    location.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    log = location.parent / f"{location.name}-oxigraph-{port}.log"
    command = [binary, "serve-read-only" if read_only else "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    with open(log, "ab") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        try:
            _wait_until_ready(f"{base}/query", process, log)
        except RuntimeError as exc:
            unavailable(f"cannot start oxigraph: {exc}")
        yield StoreServer(
            kind="oxigraph",
            endpoint=f"{base}/query",
            query_url=f"{base}/query",
            update_url=f"{base}/update",
            gsp_url=f"{base}/store",
            process=process,
            location=location,
            log=log,
        )
    finally:
        _stop_process(process)


# --------------------------------------------------------------------------- Virtuoso


def virtuoso_binary() -> str | None:
    return shutil.which("virtuoso-t")


def isql_binary() -> str | None:
    return shutil.which("isql-vt") or shutil.which("isql-v")


def write_virtuoso_ini(
    directory: Path, sql_port: int, http_port: int, settings: Mapping[str, Mapping[str, str]] | None = None
) -> Path:
    """Copy the Debian package's virtuoso.ini into ``directory``, with its own files and ports.

    ``settings`` (section → key → value) change the package's values, e.g. a benchmark's
    ``{"Parameters": {"TransactionAfterImageLimit": "500000000"}}``; the tests keep the defaults.
    """
    template = next((p for p in VIRTUOSO_INI_CANDIDATES if p.exists()), None)
    if template is None:
        unavailable("no virtuoso.ini from the Debian package virtuoso-opensource")
    ini = configparser.ConfigParser(strict=False, inline_comment_prefixes=(";",), interpolation=None)
    ini.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    ini.read(template)
    files = {"DatabaseFile": "virtuoso.db", "ErrorLogFile": "virtuoso.log", "LockFile": "virtuoso.lck",
             "TransactionFile": "virtuoso.trx", "xa_persistent_file": "virtuoso.pxa"}
    for key, name in files.items():
        ini["Database"][key] = str(directory / name)
    ini["TempDatabase"]["DatabaseFile"] = str(directory / "virtuoso-temp.db")
    ini["TempDatabase"]["TransactionFile"] = str(directory / "virtuoso-temp.trx")
    ini["Parameters"]["ServerPort"] = f"127.0.0.1:{sql_port}"
    ini["Parameters"]["DisableUnixSocket"] = "1"
    ini["Parameters"]["DirsAllowed"] = f"., {directory}, /usr/share/virtuoso-opensource-7/vad"
    ini["HTTPServer"]["ServerPort"] = f"127.0.0.1:{http_port}"
    if ini.has_section("URIQA"):
        ini["URIQA"]["DefaultHost"] = f"127.0.0.1:{http_port}"
    ini.remove_section("Plugins")  # hosting plugins are not needed
    for section, values in (settings or {}).items():
        for key, value in values.items():
            ini[section][key] = value
    path = directory / "virtuoso.ini"
    with open(path, "w") as handle:
        ini.write(handle)
    return path


@contextmanager
def start_virtuoso(
    directory: Path, *, password: str = VIRTUOSO_PASSWORD, settings: Mapping[str, Mapping[str, str]] | None = None
) -> Iterator[StoreServer]:
    """Run ``virtuoso-t +foreground`` with a database in ``directory`` until the block ends.

    The dba password is changed to ``password``; updates go through
    ``/sparql-auth`` and ``/sparql-graph-crud-auth`` with digest authentication.
    """
    binary, isql = virtuoso_binary(), isql_binary()
    if binary is None or isql is None:
        unavailable("Virtuoso is not installed (apt-get install virtuoso-opensource)")
    directory.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = write_virtuoso_ini(directory, sql_port, http_port, settings)
    log = directory / "virtuoso-stdout.log"
    base = f"http://127.0.0.1:{http_port}"
    with open(log, "ab") as log_file:
        process = subprocess.Popen(
            [binary, "+foreground", "+configfile", str(ini)],
            cwd=directory,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        try:
            _wait_until_ready(f"{base}/sparql?query={urllib.parse.quote('ASK {}')}", process, log)
            # The new password goes through stdin, not the command line.
            subprocess.run(
                [isql, f"127.0.0.1:{sql_port}", "dba", "dba"],
                input=f"user_set_password('dba', '{password}');\nexit;\n".encode(),
                check=True,
                capture_output=True,
                timeout=60,
            )
        except (RuntimeError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            unavailable(f"cannot start Virtuoso: {exc}")
        server = StoreServer(
            kind="virtuoso",
            endpoint=f"{base}/sparql",
            query_url=f"{base}/sparql",
            update_url=f"{base}/sparql-auth",
            gsp_url=f"{base}/sparql-graph-crud-auth",
            process=process,
            location=directory,
            log=log,
            user="dba",
            password=password,
        )
        try:
            server.update("DROP SILENT GRAPH <urn:scholargraph:tests:probe>")  # the new password works
        except (urllib.error.URLError, OSError) as exc:
            unavailable(f"Virtuoso started but refuses authenticated updates: {exc}")
        yield server
    finally:
        _stop_process(process)


# --------------------------------------------------------------------------- a TCP proxy


class Proxy:
    """A TCP proxy on 127.0.0.1 in front of a server: records requests, can drop one.

    ``drop_when(head)`` is called with each request's head (request line and
    headers); when it returns True the proxy reads part of the body, drops the
    connection and stops listening, as a server that dies mid-request would.
    ``requests`` holds every forwarded request (head and body) as bytes.
    """

    def __init__(self, target_port: int, drop_when: Callable[[bytes], bool] | None = None) -> None:
        self.target_port = target_port
        self.drop_when = drop_when
        self.requests: list[bytes] = []
        self.dropped = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        self.port = int(self._listener.getsockname()[1])
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept_loop, daemon=True)
        self._accepting.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, client: socket.socket) -> None:
        with client:
            head = b""
            while b"\r\n\r\n" not in head:
                data = client.recv(65536)
                if not data:
                    return
                head += data
            if self.drop_when is not None and not self.dropped.is_set() and self.drop_when(head):
                self.dropped.set()
                self.close()  # stop listening: later connections are refused
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                return  # closing with SO_LINGER 0 resets the connection mid-request
            record = bytearray(head)
            self.requests.append(b"")
            index = len(self.requests) - 1
            with socket.create_connection(("127.0.0.1", self.target_port)) as upstream:
                upstream.sendall(head)

                def pump_back() -> None:
                    try:
                        while data := upstream.recv(65536):
                            client.sendall(data)
                    except OSError:
                        pass
                    finally:
                        try:
                            client.shutdown(socket.SHUT_WR)
                        except OSError:
                            pass

                back = threading.Thread(target=pump_back, daemon=True)
                back.start()
                try:
                    while data := client.recv(65536):
                        record += data
                        self.requests[index] = bytes(record)
                        upstream.sendall(data)
                except OSError:
                    pass
                self.requests[index] = bytes(record)
                try:
                    upstream.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                back.join(timeout=60)

    def close(self) -> None:
        self._stop.set()
        try:
            self._listener.close()
        except OSError:
            pass

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
        self._accepting.join(timeout=5)
