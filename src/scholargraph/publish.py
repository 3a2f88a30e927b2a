"""Load a built graph into a named graph of a SPARQL 1.1 store, safely.

This is the only module that writes to a SPARQL endpoint.  What it guarantees:

* **Readers never see a half-written graph.**  A reload is staged in a
  temporary graph (``urn:scholargraph:staging:…``), checked, and then swapped
  in with one update request, which the store runs as one transaction:
  ``MOVE <staging> TO <graph>``, or on Virtuoso one ``DELETE {…} WHERE {…} ;
  INSERT {…} WHERE {…}`` that writes only what differs from the staging graph
  (Virtuoso's ``MOVE`` of 100k triples ran past its ``MaxQueryExecutionTime``,
  SR171).  A first load into an empty graph on Oxigraph or Virtuoso is one
  Graph Store request, which Oxigraph's bulk loader commits all at once and
  Virtuoso runs as one transaction.  A
  reload of a large graph on Oxigraph (``one_transaction_min`` triples or
  more) reads the graph back, and sends what differs from the dump as one
  ``DELETE DATA {…} ; INSERT DATA {…}`` request: Oxigraph runs one update
  request as one transaction (readers see the old graph or the new one), and
  its cost is that of the difference, where ``MOVE`` costs deleting the old
  graph, copying the new one and deleting the staging graph, each triple by
  triple (13–20 s for 100k triples).  A Graph Store ``PUT`` is no
  replacement: Oxigraph clears the graph and then loads, in two steps, so a
  reader can see it empty.
  ``--delta`` sends only the difference, as ``DELETE DATA``/``INSERT DATA``:
  in one request (one transaction) when the store takes a request that large
  (Oxigraph 128 MiB, Virtuoso 10 MB), otherwise in the fewest requests it
  takes, each one transaction, after a printed note that readers may see the
  graph partly updated until the last; a failed step says how many were
  applied.  If anything fails before the swap, the target graph is
  untouched and the error says so.
* **The store is checked afterwards**: the number of triples it holds in the
  graph must equal the number in the dump.
* **No text is formatted into SPARQL**: every term comes from the parsed dump
  (``pyoxigraph.parse``) and is written as an N-Triples term by pyoxigraph;
  the graph IRI is validated as an IRI first.
* **Credentials** come from ``SCHOLARGRAPH_USER``/``SCHOLARGRAPH_PASSWORD`` or
  ``~/.netrc`` (HTTP basic and digest), never from the command line, and never
  appear in messages.

Transports, chosen from the ``Server`` header of the endpoint:

=========  =====================================  ==================================
store      loading (Graph Store HTTP protocol)    queries / updates
=========  =====================================  ==================================
Oxigraph   ``/store?graph=…`` (bulk loader)       ``/query``, ``/update``
Virtuoso   ``/sparql-graph-crud-auth?graph-uri=`` ``/sparql-auth`` (digest)
other      — (SPARQL Update ``INSERT DATA``)      the endpoint as given
=========  =====================================  ==================================

The HTTP client is the standard library's, with a private opener: SPARQLWrapper
installs a process-wide urllib opener holding the password for digest
authentication, which this module must not do.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import netrc
import os
import re
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal, TextIO, overload

import pyoxigraph

from .errors import PublishError

StoreKind = Literal["auto", "gsp", "update"]
USER_ENV = "SCHOLARGRAPH_USER"
PASSWORD_ENV = "SCHOLARGRAPH_PASSWORD"
DEFAULT_CHUNK_SIZE = 50_000
# From this size (triples in the store's graph or the dump) a reload on Oxigraph
# is sent as the difference, in one update request; smaller ones are staged and
# swapped with MOVE, which costs little at that size.
ONE_TRANSACTION_MIN = 10_000
# Oxigraph refuses update requests over 128 MiB (MAX_SPARQL_BODY_SIZE in its
# server); a larger difference is staged and swapped instead.
MAX_UPDATE_BYTES = 100 * 1024 * 1024
# Virtuoso 7 refuses a request body over 10 MB ("HT057: The STRING session ... is longer
# than 10Mb"), and its SPARQL parser runs out of stack in a DATA block of ~5,000 triples:
# its updates carry at most 8 MiB, in blocks of 2,000 triples.
VIRTUOSO_MAX_UPDATE_BYTES = 8 * 1024 * 1024
VIRTUOSO_DATA_BLOCK = 2_000
# Virtuoso answers at most ResultSetMaxRows rows (10,000 in the Debian virtuoso.ini):
# --delta reads a graph from it in pages of this size.
VIRTUOSO_PAGE = 10_000
# Lets Virtuoso take many DATA blocks in one request: without it, the endpoint compiles
# constants into SQL text, which is capped at 10,000 lines (SP031).
VIRTUOSO_DATA_PRAGMA = "define sql:big-data-const 1\n"
STAGING_PREFIX = "urn:scholargraph:staging:"

# Server errors that will not go away by asking again (permissions, syntax, a
# missing graph): they are reported at once instead of being retried.
_PERMANENT_5XX = re.compile(
    r"SR186|SR171|SR325|permission|read[- ]only|does not exist|syntax|parse|parser", re.IGNORECASE
)
_READ_ONLY = re.compile(r"SR186|permission|read[- ]only", re.IGNORECASE)


# --------------------------------------------------------------------------- credentials


@dataclass(frozen=True)
class Credentials:
    """A user and password for HTTP basic or digest authentication (never printed)."""

    user: str
    password: str = field(repr=False)

    def __str__(self) -> str:
        return f"Credentials(user={self.user!r})"


def find_credentials(
    url: str, environ: Mapping[str, str], netrc_file: Path | None = None
) -> Credentials | None:
    """Credentials for ``url``: ``SCHOLARGRAPH_USER``/``SCHOLARGRAPH_PASSWORD``, else ``~/.netrc``.

    ``netrc_file`` defaults to ``$NETRC`` or ``~/.netrc``; a missing file means
    no credentials.
    """
    user, password = environ.get(USER_ENV), environ.get(PASSWORD_ENV)
    if user or password:
        if not (user and password):
            missing = PASSWORD_ENV if user else USER_ENV
            raise PublishError(f"{missing} is not set; set both {USER_ENV} and {PASSWORD_ENV}, or neither")
        return Credentials(user, password)
    if netrc_file is None:
        netrc_file = Path(environ.get("NETRC", Path.home() / ".netrc"))
    if not netrc_file.is_file():
        return None
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        entry = netrc.netrc(str(netrc_file)).authenticators(host)
    except netrc.NetrcParseError as exc:
        # The parse error quotes the offending line, which may hold a password.
        raise PublishError(
            f"{netrc_file}: malformed netrc file (line {exc.lineno}); fix it or set {USER_ENV}/{PASSWORD_ENV}"
        ) from None
    if entry is None or not entry[0] or entry[2] is None:
        return None
    return Credentials(entry[0], entry[2])


# --------------------------------------------------------------------------- endpoints


@dataclass(frozen=True)
class Endpoints:
    """Where a store answers queries, updates and Graph Store requests."""

    store: Literal["oxigraph", "virtuoso", "sparql"]
    query_url: str
    update_url: str
    gsp_url: str | None = None
    gsp_graph_param: str = "graph"
    gsp_content_type: str = "application/n-triples"
    bulk_param: str | None = None  # Oxigraph's ``no_transaction``: use the bulk loader

    def gsp(self, graph: str, *, bulk: bool = False) -> str:
        assert self.gsp_url is not None
        params = [(self.gsp_graph_param, graph)]
        if bulk and self.bulk_param:
            params.append((self.bulk_param, ""))
        return f"{self.gsp_url}?{urllib.parse.urlencode(params)}"


def endpoints_for(endpoint: str, server: str, authenticated: bool) -> Endpoints:
    """The store's endpoints, from the URL given and the ``Server`` header it answered with."""
    parts = urllib.parse.urlsplit(endpoint)
    base = f"{parts.scheme}://{parts.netloc}"
    if server.lower().startswith("oxigraph"):
        return Endpoints(
            "oxigraph", f"{base}/query", f"{base}/update", f"{base}/store", bulk_param="no_transaction"
        )
    if server.lower().startswith("virtuoso"):
        if not authenticated:
            return Endpoints("virtuoso", endpoint, endpoint)
        return Endpoints(
            "virtuoso",
            f"{base}/sparql-auth",
            f"{base}/sparql-auth",
            f"{base}/sparql-graph-crud-auth",
            gsp_graph_param="graph-uri",
            gsp_content_type="text/turtle",  # Virtuoso 7 reads N-Triples as Turtle
        )
    return Endpoints("sparql", endpoint, endpoint)


# --------------------------------------------------------------------------- HTTP


class _HttpFailure(Exception):
    """One request failed for good (after retries); turned into a PublishError by the caller."""

    def __init__(
        self, message: str, *, status: int | None = None, transport: bool = False, authenticated: bool = False
    ) -> None:
        super().__init__(message)
        self.status = status
        self.transport = transport
        self.authenticated = authenticated  # credentials were offered


@dataclass(frozen=True)
class _Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "") or ""


@dataclass
class _Client:
    """A small HTTP client with its own opener (credentials stay in this object)."""

    credentials: Credentials | None
    scope: str  # "scheme://host:port/": credentials are only ever sent there
    retries: int = 3
    backoff: float = 0.5
    timeout: float = 300.0
    requests_sent: int = 0
    _opener: urllib.request.OpenerDirector = field(init=False, repr=False)

    def __post_init__(self) -> None:
        handlers: list[urllib.request.BaseHandler] = []
        if self.credentials is not None:
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            manager.add_password(None, self.scope, self.credentials.user, self.credentials.password)
            handlers += [
                urllib.request.HTTPBasicAuthHandler(manager),
                urllib.request.HTTPDigestAuthHandler(manager),
            ]
        self._opener = urllib.request.build_opener(*handlers)

    def redact(self, text: str) -> str:
        """``text`` without the password, in clear or as the Basic ``Authorization`` value a store may echo."""
        if self.credentials is not None and self.credentials.password:
            user, password = self.credentials.user, self.credentials.password
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            for secret in (token, token.rstrip("="), password, urllib.parse.quote(password, safe="")):
                text = text.replace(secret, "***")
        return text

    def request(
        self,
        method: str,
        url: str,
        body: bytes | Callable[[], Iterator[bytes]] | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        retry: bool = True,
        ok_statuses: Iterable[int] = (),
    ) -> _Response:
        """Send one request. Retries transport errors and 5xx; raises _HttpFailure."""
        attempts = 1 + (self.retries if retry else 0)
        last: _HttpFailure | None = None
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            data = body() if callable(body) else body  # a fresh stream for each attempt
            req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
            self.requests_sent += 1
            try:
                with self._opener.open(req, timeout=self.timeout) as response:
                    return _Response(response.status, response.headers, response.read())
            except urllib.error.HTTPError as exc:
                status = exc.code
                try:
                    text = exc.read().decode("utf-8", "replace")
                except (OSError, http.client.HTTPException):
                    text = ""
                if status in ok_statuses:
                    return _Response(status, exc.headers, text.encode())
                message = self.redact(_one_line(text or exc.reason or ""))
                last = _HttpFailure(
                    f"HTTP {status}: {message}", status=status, authenticated=self.credentials is not None
                )
                if status < 500 or _PERMANENT_5XX.search(text):
                    raise last from None
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
                last = _HttpFailure(self.redact(_describe_transport_error(reason)), transport=True)
        assert last is not None
        if attempts > 1:
            last.args = (f"{last.args[0]} (tried {attempts} times)",)
        raise last


def _describe_transport_error(reason: object) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError)):
        return "the connection was dropped by the server"
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return "the request timed out"
    if isinstance(reason, socket.gaierror):
        return "unknown host"
    return _one_line(str(reason)) or type(reason).__name__


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- the dump


@dataclass(frozen=True)
class _Dump:
    path: Path
    triples: tuple[pyoxigraph.Triple, ...]  # distinct, no blank nodes

    @cached_property
    def lines(self) -> tuple[bytes, ...]:
        """One N-Triples statement per item, newline included (for deltas)."""
        return _ntriples_lines(self.triples)


def _read_dump(path: Path) -> _Dump:
    fmt = pyoxigraph.RdfFormat.from_extension(path.suffix.lstrip("."))
    if fmt is None:
        raise PublishError(f"{path}: unknown RDF file extension; publish reads .ttl or .nt")
    if fmt.supports_datasets:
        raise PublishError(f"{path}: {fmt.name} holds several graphs; publish loads one graph (.ttl or .nt)")
    try:
        triples = {quad.triple for quad in pyoxigraph.parse(path=path, format=fmt)}
    except FileNotFoundError:
        raise PublishError(f"{path}: no such file; run 'scholargraph build' first") from None
    except SyntaxError as exc:
        raise PublishError(f"{path}: not valid {fmt.name}: {exc}") from None
    blank = pyoxigraph.BlankNode
    for triple in triples:
        if type(triple.subject) is blank or type(triple.object) is blank:
            raise PublishError(
                f"{path}: the graph has blank nodes (e.g. in {triple}); scholargraph graphs have none, "
                "and a store cannot match them for a reload or a delta"
            )
    return _Dump(path, tuple(triples))


def _ntriples_lines(triples: Iterable[pyoxigraph.Triple]) -> tuple[bytes, ...]:
    return tuple(_encode(triples).splitlines(keepends=True))


def _encode(items: Iterable[pyoxigraph.Triple] | Sequence[bytes]) -> bytes:
    """N-Triples for triples (written by pyoxigraph) or for statements already written."""
    if isinstance(items, Sequence) and items and isinstance(items[0], bytes):
        return b"".join(items)  # type: ignore[arg-type]
    return pyoxigraph.serialize(items, format=pyoxigraph.RdfFormat.N_TRIPLES) or b""


def _streamed(items: Sequence[pyoxigraph.Triple] | Sequence[bytes], batch: int = 20_000) -> Callable[[], Iterator[bytes]]:
    """A body written while it is sent (chunked transfer), so that writing overlaps loading."""

    def body() -> Iterator[bytes]:
        for start in range(0, len(items), batch):
            yield _encode(items[start : start + batch])

    return body


@overload
def _canonical_lines(
    data: bytes, content_type: str, what: str, *, blank_ok: bool = False, counted: Literal[False] = False
) -> set[bytes] | None: ...
@overload
def _canonical_lines(
    data: bytes, content_type: str, what: str, *, blank_ok: bool = False, counted: Literal[True]
) -> tuple[set[bytes], int] | None: ...
def _canonical_lines(
    data: bytes, content_type: str, what: str, *, blank_ok: bool = False, counted: bool = False
) -> set[bytes] | tuple[set[bytes], int] | None:
    """What a store returned, re-serialized by pyoxigraph so it compares with the dump.

    A graph with blank nodes cannot be diffed: an error, or None if ``blank_ok``.
    ``counted``: also the number of triples the answer held.
    """
    media = content_type.split(";")[0].strip().lower() or "application/n-triples"
    fmt = pyoxigraph.RdfFormat.from_media_type(media)
    if fmt is None:
        raise PublishError(f"{what}: the store answered in an unreadable format ({media})")
    try:
        triples = [quad.triple for quad in pyoxigraph.parse(data, format=fmt)]
    except SyntaxError as exc:
        raise PublishError(f"{what}: the store's answer is not valid {fmt.name}: {exc}") from None
    if any(isinstance(t.subject, pyoxigraph.BlankNode) or isinstance(t.object, pyoxigraph.BlankNode) for t in triples):
        if blank_ok:
            return None
        raise PublishError(f"{what}: the graph in the store has blank nodes; --delta cannot match them, publish without --delta")
    # pyoxigraph writes language tags in lower case, as Virtuoso returns them.
    lines = set(_ntriples_lines(triples))
    return (lines, len(triples)) if counted else lines


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class PublishResult:
    """What publish did (or, for a dry run, would do)."""

    endpoint: str
    graph_iri: str
    store: str  # "oxigraph", "virtuoso" or "sparql"
    method: str  # "gsp" or "update"
    mode: str  # "initial", "replace", "delta" or "unchanged"
    triples: int  # in the dump
    store_triples: int | None  # counted in the store afterwards; None for a dry run
    previous_triples: int  # in the store's graph before
    requests: int  # HTTP requests made (digest challenge round trips not counted)
    deleted: tuple[str, ...] = ()  # --delta: N-Triples statements deleted, sorted
    inserted: tuple[str, ...] = ()  # --delta: N-Triples statements inserted, sorted
    dry_run: bool = False
    seconds: float = 0.0
    steps: int = 1  # --delta: update requests the difference went in (over 1: not atomic for readers)

    def summary(self) -> str:
        verb = "would publish" if self.dry_run else "published"
        if self.mode == "unchanged":
            return f"<{self.graph_iri}> at {self.endpoint} is already up to date ({self.triples} triples)"
        if self.mode == "delta":
            detail = f"-{len(self.deleted)} +{len(self.inserted)} triples"
            if self.steps > 1:
                detail += f" in {self.steps} steps"
        else:
            detail = f"{self.triples} triples, replacing {self.previous_triples}"
        return (
            f"{verb} {detail} to <{self.graph_iri}> at {self.endpoint} "
            f"({self.store}, {self.mode}, {self.requests} requests, {self.seconds:.2f} s)"
        )


# --------------------------------------------------------------------------- publishing


def publish(
    graph_file: Path,
    endpoint: str,
    *,
    graph_iri: str,
    store_kind: StoreKind = "auto",
    delta: bool = False,
    dry_run: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    one_transaction_min: int = ONE_TRANSACTION_MIN,
    credentials: Credentials | None = None,
    retries: int = 3,
    backoff: float = 0.5,
    timeout: float = 300.0,
    out: TextIO | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> PublishResult:
    """Load ``graph_file`` (Turtle or N-Triples) into the named graph ``graph_iri`` at ``endpoint``.

    ``store_kind``: ``"auto"`` uses the Graph Store protocol where the store is
    known to have it and SPARQL Update otherwise; ``"gsp"`` insists on the
    Graph Store protocol; ``"update"`` uses SPARQL Update only.  ``delta``
    sends only the difference from what the store holds.  ``dry_run`` reads
    from the store but writes nothing, and prints what would be sent to
    ``out``.  ``progress(step, done, total)`` is called after each chunk (and
    with ``("apply", 0, 1)`` just before a one-request reload is sent).
    ``one_transaction_min``: from this many triples (in the store's graph or
    the dump), a reload on Oxigraph is sent as one difference request rather
    than staged and swapped with ``MOVE``.
    Raises :class:`PublishError`; its message says whether the graph changed.
    """
    started = time.perf_counter()
    if chunk_size < 1:
        raise PublishError(f"chunk size must be positive, not {chunk_size}")
    _check_endpoint_url(endpoint)
    graph = _graph_term(graph_iri)
    dump = _read_dump(graph_file)
    if len(dump.triples) == 0:
        raise PublishError(f"{graph_file}: the graph is empty; refusing to replace <{graph_iri}> with nothing")
    parts = urllib.parse.urlsplit(endpoint)
    client = _Client(credentials, f"{parts.scheme}://{parts.netloc}/", retries=retries, backoff=backoff, timeout=timeout)
    show = _Printer(out, client)
    ends = _discover(client, endpoint)
    if store_kind == "gsp" and ends.gsp_url is None:
        raise PublishError(
            f"{endpoint}: no known Graph Store endpoint for this store ({ends.store}"
            + (", and no credentials for Virtuoso's authenticated endpoints" if ends.store == "virtuoso" else "")
            + "); use SPARQL Update instead"
        )
    use_gsp = store_kind != "update" and ends.gsp_url is not None
    session = _Session(client, ends, graph_iri, graph, dump, chunk_size, dry_run, show, progress, one_transaction_min)
    previous = session.count(graph_iri)
    steps = 1
    if delta:
        mode, deleted, inserted, steps = session.apply_delta(previous)
    else:
        deleted, inserted = (), ()
        mode = "initial" if previous == 0 else "replace"
        session.replace(previous, use_gsp=use_gsp)
    store_triples = None if dry_run else session.verify()
    return PublishResult(
        endpoint=endpoint,
        graph_iri=graph_iri,
        store=ends.store,
        method="gsp" if use_gsp and not delta else "update",
        mode=mode,
        triples=len(dump.triples),
        store_triples=store_triples,
        previous_triples=previous,
        requests=client.requests_sent,
        deleted=tuple(sorted(line.decode().rstrip("\n") for line in deleted)),
        inserted=tuple(sorted(line.decode().rstrip("\n") for line in inserted)),
        dry_run=dry_run,
        seconds=time.perf_counter() - started,
        steps=steps,
    )


def _check_endpoint_url(endpoint: str) -> None:
    parts = urllib.parse.urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PublishError(f"{endpoint!r} is not an http(s) URL of a SPARQL endpoint")
    if parts.username is not None or parts.password is not None:
        # Do not echo the URL: it holds a secret.
        raise PublishError(
            f"the endpoint URL contains credentials; remove them from the URL and set {USER_ENV} and "
            f"{PASSWORD_ENV} or a ~/.netrc entry instead"
        )


def _graph_term(graph_iri: str) -> str:
    try:
        node = pyoxigraph.NamedNode(graph_iri)
    except ValueError as exc:
        raise PublishError(f"{graph_iri!r} is not a valid graph IRI: {exc}") from None
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", graph_iri):
        raise PublishError(f"{graph_iri!r} is not an absolute IRI; give the graph an absolute IRI")
    return str(node)  # "<iri>", safe to put in a query


def _discover(client: _Client, endpoint: str) -> Endpoints:
    """Ask the endpoint who it is (also the check that a store is there)."""
    try:
        response = client.request("GET", endpoint, headers={"Accept": "text/html, */*"}, ok_statuses=(400, 405, 406))
    except _HttpFailure as exc:
        raise _failure(exc, endpoint, what="reach the store", changed=True) from None
    return endpoints_for(endpoint, response.headers.get("Server", "") or "", client.credentials is not None)


def _failure(
    exc: _HttpFailure, url: str, *, what: str, changed: bool | None, graph: str = "", note: str = ""
) -> PublishError:
    """A one-line message for a failed request: what to do, and whether ``graph`` changed.

    ``changed``: False = untouched (``note`` says why), None = unknown, True = do not mention the graph.
    """
    hint = ""
    if exc.status == 401 and not exc.authenticated:
        text = f"the store at {url} asks for credentials (HTTP 401)"
        hint = f"set {USER_ENV} and {PASSWORD_ENV}, or a ~/.netrc entry for this host"
    elif exc.status == 401:
        text = f"the store at {url} refused the credentials (HTTP 401)"
        hint = f"check {USER_ENV}/{PASSWORD_ENV} or your ~/.netrc entry for this host"
    elif exc.status == 403 or (exc.status is not None and _READ_ONLY.search(str(exc))):
        text = f"the store at {url} does not allow writing (HTTP {exc.status}): the endpoint is read-only or the account may not update"
        hint = "use the store's update endpoint and an account with write access"
    elif exc.status == 404:
        text = f"there is no SPARQL endpoint at {url} (HTTP 404)"
        hint = "check --endpoint"
    elif exc.transport:
        text = f"cannot {what} at {url}: {exc}"
        hint = "is the store running?"
    elif "SR171" in str(exc):
        text = f"could not {what} at {url}: Virtuoso stopped the update at its time limit (SR171 Transaction timed out)"
        hint = "raise MaxQueryExecutionTime in the [SPARQL] section of virtuoso.ini (0: no limit) and restart Virtuoso"
        note = note or " (Virtuoso rolled the update back)"
        changed = False if changed is None else changed
    elif "SR325" in str(exc):
        text = f"could not {what} at {url}: the update is larger than Virtuoso lets one transaction be (SR325)"
        hint = "raise TransactionAfterImageLimit in the [Parameters] section of virtuoso.ini and restart Virtuoso"
        note = note or " (Virtuoso rolled the update back)"
        changed = False if changed is None else changed
    else:
        text = f"could not {what} at {url}: {exc}"
    if changed is False and graph:
        text += f"; the graph {graph} was not changed{note}"
    elif changed is None and graph:
        text += f"; the graph {graph} may or may not have been replaced, run publish again"
    return PublishError(f"{text}; {hint}" if hint else text)


class _Printer:
    """Where dry runs and notes go; never prints a secret."""

    def __init__(self, out: TextIO | None, client: _Client) -> None:
        self.out = out
        self.client = client

    def __call__(self, text: str) -> None:
        if self.out is not None:
            print(self.client.redact(text), file=self.out)


@dataclass
class _Session:
    client: _Client
    ends: Endpoints
    graph_iri: str
    graph: str  # "<iri>"
    dump: _Dump
    chunk_size: int
    dry_run: bool
    show: _Printer
    progress: Callable[[str, int, int], None] | None
    one_transaction_min: int = ONE_TRANSACTION_MIN

    @property
    def staging_iri(self) -> str:
        digest = hashlib.sha256(self.graph_iri.encode()).hexdigest()[:16]
        return f"{STAGING_PREFIX}{digest}"

    # -- reading

    def post_query(self, query: str, accept: str) -> _Response:
        """A SPARQL query sent by POST (form-encoded) to the query endpoint."""
        return self.client.request(
            "POST",
            self.ends.query_url,
            urllib.parse.urlencode({"query": query}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
        )

    def count(self, graph_iri: str, *, changed: bool | None = False) -> int:
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph_iri}> {{ ?s ?p ?o }} }}"
        try:
            response = self.post_query(query, "application/sparql-results+json")
            return int(json.loads(response.body)["results"]["bindings"][0]["n"]["value"])
        except _HttpFailure as exc:
            raise _failure(
                exc, self.ends.query_url, what="count the triples", changed=changed, graph=f"<{self.graph_iri}>"
            ) from None
        except (ValueError, KeyError, IndexError, TypeError):
            raise PublishError(
                f"{self.ends.query_url}: the store's answer to a COUNT query is not SPARQL JSON results"
                + (f"; the graph <{self.graph_iri}> was not changed" if changed is False else "")
            ) from None

    def read_graph(self, *, blank_ok: bool = False) -> set[bytes] | None:
        """The triples the store holds in the graph, as canonical N-Triples lines.

        With blank nodes in the graph: an error, or None if ``blank_ok``.
        """
        what = f"<{self.graph_iri}> at {self.ends.query_url}"
        if self.ends.store == "virtuoso":
            return self._read_pages(what, blank_ok=blank_ok)
        response = self._fetch_graph()
        if response is None:
            return set()
        return _canonical_lines(response.body, response.content_type, what, blank_ok=blank_ok)

    def _read_pages(self, what: str, *, blank_ok: bool) -> set[bytes] | None:
        """Virtuoso: the graph in pages of ``VIRTUOSO_PAGE`` (its ResultSetMaxRows caps one answer at 10,000).

        The pages are not ordered (sorting is capped at 10,000 rows too); pages
        that overlapped or missed triples show as a total below the graph's
        count, which the caller refuses.
        """
        held: set[bytes] = set()
        offset = 0
        while True:
            query = (
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {self.graph} {{ ?s ?p ?o }} }} "
                f"LIMIT {VIRTUOSO_PAGE} OFFSET {offset}"
            )
            try:
                response = self.post_query(query, "application/n-triples")
            except _HttpFailure as exc:
                raise _failure(
                    exc, self.ends.query_url, what="read the graph", changed=False, graph=f"<{self.graph_iri}>"
                ) from None
            page = _canonical_lines(response.body, response.content_type, what, blank_ok=blank_ok, counted=True)
            if page is None:
                return None
            lines, count = page
            held |= lines
            if count < VIRTUOSO_PAGE:
                return held
            offset += VIRTUOSO_PAGE

    def _fetch_graph(self) -> _Response | None:
        """The graph as the store sends it (None: the store has no such graph)."""
        try:
            if self.ends.gsp_url is not None:
                response = self.client.request(
                    "GET", self.ends.gsp(self.graph_iri), headers={"Accept": "application/n-triples"}, ok_statuses=(404,)
                )
                if response.status == 404:
                    return None
            else:
                query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {self.graph} {{ ?s ?p ?o }} }}"
                response = self.post_query(query, "application/n-triples, text/turtle;q=0.9")
        except _HttpFailure as exc:
            raise _failure(
                exc, self.ends.query_url, what="read the graph", changed=False, graph=f"<{self.graph_iri}>"
            ) from None
        return response

    # -- writing

    def update(self, text: str, *, what: str, changed: bool | None = False, retry: bool = True) -> None:
        if self.dry_run:
            self.show(f"POST {self.ends.update_url}  (SPARQL Update)\n{text}")
            return
        try:
            self.post_update(text, retry=retry)
        except _HttpFailure as exc:
            raise _failure(exc, self.ends.update_url, what=what, changed=changed, graph=f"<{self.graph_iri}>") from None

    def post_update(self, text: str | bytes, *, retry: bool = True) -> None:
        """Send one SPARQL Update request; HTTP failures are the caller's to explain."""
        self.client.request(
            "POST",
            self.ends.update_url,
            text.encode("utf-8") if isinstance(text, str) else text,
            {"Content-Type": "application/sparql-update", "Accept": "*/*"},
            retry=retry,
        )

    def load_lines(
        self, target_iri: str, items: Sequence[pyoxigraph.Triple] | Sequence[bytes], *, use_gsp: bool, bulk: bool
    ) -> None:
        """Add triples to ``target_iri`` in chunks (Graph Store POSTs or INSERT DATA)."""
        size = len(items) if bulk else self.chunk_size
        total = (len(items) + size - 1) // size
        for number, start in enumerate(range(0, len(items), size), start=1):
            chunk = items[start : start + size]
            if use_gsp:
                url = self.ends.gsp(target_iri, bulk=self.ends.bulk_param is not None)
                if self.dry_run:
                    self.show(f"POST {url}  ({len(chunk)} triples as {self.ends.gsp_content_type})")
                else:
                    # Digest authentication sends a body twice, so only an unauthenticated one is streamed.
                    body = _streamed(chunk) if self.client.credentials is None else _encode(chunk)
                    try:
                        self.client.request("POST", url, body, {"Content-Type": self.ends.gsp_content_type})
                    except _HttpFailure as exc:
                        raise self._load_failure(exc, url, number, total, target_iri) from None
            else:
                if self.dry_run:
                    self.show(f"POST {self.ends.update_url}  (INSERT DATA, {len(chunk)} triples)")
                else:
                    try:
                        for body, _, _ in self.data_requests((), _ntriples_lines(chunk), f"<{target_iri}>"):  # type: ignore[arg-type]
                            self.post_update(body)
                    except _HttpFailure as exc:
                        raise self._load_failure(exc, self.ends.update_url, number, total, target_iri) from None
            if self.progress is not None:
                self.progress("load", number, total)

    def _load_failure(self, exc: _HttpFailure, url: str, number: int, total: int, target_iri: str) -> PublishError:
        if target_iri != self.graph_iri:
            note = f" (the load went to the staging graph <{target_iri}>, which the next publish drops)"
        else:
            note = " (the store applies one Graph Store request all at once or not at all)"
        what = f"load chunk {number} of {total}"
        return _failure(exc, url, what=what, changed=False, graph=f"<{self.graph_iri}>", note=note)

    def replace(self, previous: int, *, use_gsp: bool) -> None:
        lines = self.dump.triples
        if use_gsp and self.ends.store in ("oxigraph", "virtuoso") and previous == 0:
            # A first load: one Graph Store request, which Oxigraph's bulk loader and
            # Virtuoso (one transaction) commit all at once.
            self.show(f"<{self.graph_iri}> is empty: loading it with one Graph Store request")
            self.load_lines(self.graph_iri, lines, use_gsp=True, bulk=True)
            return
        if (
            use_gsp
            and self.ends.store == "oxigraph"
            and max(previous, len(lines)) >= self.one_transaction_min
            and self.replace_in_one_request(previous)
        ):
            return
        staging = self.staging_iri
        self.update(f"DROP SILENT GRAPH <{staging}>", what="clear the staging graph")
        self.load_lines(staging, lines, use_gsp=use_gsp, bulk=False)
        self.check_staged(staging, "", " (the store merged or dropped some)")
        self.swap(staging)

    def check_staged(self, staging: str, after: str, why: str) -> None:
        """Before the swap: the staging graph must hold exactly the dump's triples."""
        if self.dry_run:
            return
        staged = self.count(staging)
        if staged != len(self.dump.triples):
            raise PublishError(
                f"the staging graph <{staging}> holds {staged} triples{after} but the dump has "
                f"{len(self.dump.triples)}{why}; the graph <{self.graph_iri}> was not changed"
            )

    def replace_in_one_request(self, previous: int) -> bool:
        """Reload as ``DELETE DATA {old - new} ; INSERT DATA {new - old}``, one request, one transaction.

        Oxigraph evaluates one update request in one transaction: readers see
        the old graph until it commits, and the new one after.  Returns False
        (nothing sent) when the difference cannot go in one request: the graph
        has blank nodes, or the request would exceed the store's size limit.
        """
        what = f"<{self.graph_iri}> at {self.ends.query_url}"
        # The store writes the graph out while the dump's lines are written here.
        fetched: dict[str, object] = {}

        def fetch() -> None:
            try:
                fetched["response"] = self._fetch_graph()
            except BaseException as exc:  # re-raised below, in this thread
                fetched["error"] = exc

        reader = threading.Thread(target=fetch, name="scholargraph-read-graph", daemon=True)
        reader.start()
        wanted = set(self.dump.lines)
        reader.join()
        if "error" in fetched:
            raise fetched["error"]  # type: ignore[misc]
        response: _Response | None = fetched["response"]  # type: ignore[assignment]
        del fetched
        held: set[bytes] | None = set()
        if response is not None:
            media = response.content_type.split(";")[0].strip().lower()
            if media in ("application/n-triples", "text/plain"):
                # Compared as the store wrote them (Oxigraph writes N-Triples as pyoxigraph does);
                # only the lines to delete are parsed, checked and rewritten by pyoxigraph below.
                body = response.body if response.body.endswith(b"\n") or not response.body else response.body + b"\n"
                held = set(body.splitlines(keepends=True))
                held.discard(b"\n")
            else:
                held = _canonical_lines(response.body, response.content_type, what, blank_ok=True)
        del response
        if held is not None:
            count = len(held)
            extra = _canonical_lines(b"".join(held - wanted), "application/n-triples", what, blank_ok=True)
            if extra is not None:
                inserted_set = wanted - held
                same = extra & inserted_set  # written differently by the store, but the same triple
                deleted, inserted = sorted(extra - same), sorted(inserted_set - same)
            held = extra
        if held is None or count != previous:
            why = "it has blank nodes" if held is None else f"the store returned {count} of its {previous} triples"
            self.show(f"<{self.graph_iri}> cannot be diffed ({why}): staging it and swapping it in instead")
            return False
        del held, wanted
        if not deleted and not inserted:
            self.show(f"<{self.graph_iri}> already holds the {len(self.dump.triples)} triples of the dump: nothing to send")
            return True
        size = sum(map(len, deleted)) + sum(map(len, inserted)) + 2 * len(self.graph) + 64
        if size > MAX_UPDATE_BYTES:
            self.show(
                f"the difference ({len(deleted)} deleted, {len(inserted)} inserted, {size} bytes) is too large for "
                "one update request: staging the graph and swapping it in instead"
            )
            return False
        what = f"replace the graph (-{len(deleted)} +{len(inserted)} triples in one request)"
        if self.dry_run:
            self.show(f"POST {self.ends.update_url}  (DELETE DATA, {len(deleted)} triples ; INSERT DATA, {len(inserted)} triples: one transaction)")
            return True
        graph = self.graph.encode()
        parts: list[bytes] = []
        if deleted:
            parts += [b"DELETE DATA { GRAPH ", graph, b" {\n", *deleted, b"} }"]
        if inserted:
            parts += [b" ;\n" if deleted else b"", b"INSERT DATA { GRAPH ", graph, b" {\n", *inserted, b"} }"]
        body = b"".join(parts)
        del parts, deleted, inserted
        if self.progress is not None:
            self.progress("apply", 0, 1)
        try:
            # Retrying is safe: the same difference applied twice gives the same graph.
            self.post_update(body)
        except _HttpFailure as exc:
            # An answer means the store rolled the transaction back; no answer means it may have committed.
            raise _failure(
                exc,
                self.ends.update_url,
                what=what,
                changed=None if exc.transport else False,
                graph=f"<{self.graph_iri}>",
                note=" (the store applies an update request all at once or not at all)",
            ) from None
        if self.progress is not None:
            self.progress("apply", 1, 1)
        return True

    def swap(self, staging: str) -> None:
        """Make the target graph what the staging graph holds: one request, one transaction, never retried.

        Virtuoso: one update that deletes from the target what the staging graph
        lacks and inserts what it adds (writes only the difference, then drops
        the staging graph).  Elsewhere: ``MOVE``.
        """
        if self.ends.store == "virtuoso":
            self.merge(staging)
            return
        try:
            self.update(f"MOVE <{staging}> TO {self.graph}", what="swap in the new graph", changed=None, retry=False)
        except PublishError:
            if self.dry_run:
                raise
            # The request may have been applied before the connection broke: look.
            try:
                done = self.count(self.graph_iri, changed=None) == len(self.dump.triples) and self.count(staging) == 0
            except PublishError:
                done = False
            if not done:
                raise

    def merge(self, staging: str) -> None:
        """Replace the target with the staging graph by writing only what differs, in one update request.

        Virtuoso's ``MOVE`` of a 100k-triple graph took 1.5 s on a fresh
        database and, after a few reloads, over a minute (95 s in isql), past
        the endpoint's ``MaxQueryExecutionTime`` (SR171, rolled back).  This
        request deletes and inserts only the difference (3-6 s for a fifth of
        100k triples changed, 7-13 s for all of them) and is one transaction:
        readers see the old graph until it commits.
        """
        g, s = self.graph, f"<{staging}>"
        text = (
            f"DELETE {{ GRAPH {g} {{ ?s ?p ?o }} }}\n"
            f"WHERE {{ GRAPH {g} {{ ?s ?p ?o }} FILTER NOT EXISTS {{ GRAPH {s} {{ ?s ?p ?o }} }} }} ;\n"
            f"INSERT {{ GRAPH {g} {{ ?s ?p ?o }} }}\n"
            f"WHERE {{ GRAPH {s} {{ ?s ?p ?o }} FILTER NOT EXISTS {{ GRAPH {g} {{ ?s ?p ?o }} }} }}"
        )
        what = "swap in the new graph (one update writing the difference from the staging graph)"
        if self.dry_run:
            self.update(text, what=what)
            self.update(f"DROP SILENT GRAPH {s}", what="drop the staging graph")
            return
        if self.progress is not None:
            self.progress("apply", 0, 1)
        try:
            self.post_update(text, retry=False)
        except _HttpFailure as exc:
            if not exc.transport:  # an answer: the store rolled the transaction back
                raise _failure(exc, self.ends.update_url, what=what, changed=False, graph=f"<{self.graph_iri}>",
                               note=" (the store applies an update request all at once or not at all)") from None
            # No answer: it may have committed. Look.
            if not self.holds_staging(staging):
                raise _failure(exc, self.ends.update_url, what=what, changed=None, graph=f"<{self.graph_iri}>") from None
        if self.progress is not None:
            self.progress("apply", 1, 1)
        try:
            self.post_update(f"DROP SILENT GRAPH {s}")
        except _HttpFailure:
            self.show(f"note: the staging graph {s} was left in the store; the next publish drops it")

    def holds_staging(self, staging: str) -> bool:
        """Whether the target graph holds exactly the staging graph's triples (after an unanswered swap)."""
        query = (
            f"ASK {{ {{ GRAPH {self.graph} {{ ?s ?p ?o }} FILTER NOT EXISTS {{ GRAPH <{staging}> {{ ?s ?p ?o }} }} }}"
            f" UNION {{ GRAPH <{staging}> {{ ?s ?p ?o }} FILTER NOT EXISTS {{ GRAPH {self.graph} {{ ?s ?p ?o }} }} }} }}"
        )
        try:
            response = self.post_query(query, "application/sparql-results+json")
            return json.loads(response.body)["boolean"] is False
        except (_HttpFailure, ValueError, KeyError, TypeError):
            return False

    def apply_delta(self, previous: int) -> tuple[str, tuple[bytes, ...], tuple[bytes, ...], int]:
        """``--delta``: send only the difference, as ``DELETE DATA``/``INSERT DATA``.

        In one request (one transaction) when the store takes a request that
        large; otherwise in the fewest requests it takes, each one transaction,
        with a printed note that readers may see the graph between them.
        Returns the mode, the deleted and inserted lines, and the number of requests.
        """
        held = self.read_graph()
        assert held is not None
        if len(held) != previous:
            hint = (
                "raise ResultSetMaxRows in the [SPARQL] section of virtuoso.ini, or publish without --delta"
                if self.ends.store == "virtuoso"
                else "publish without --delta"
            )
            raise PublishError(
                f"the store returned {len(held)} of the {previous} triples in <{self.graph_iri}> "
                f"(a result size limit?); cannot compute a delta, {hint}; the graph was not changed"
            )
        wanted = set(self.dump.lines)
        deleted = tuple(sorted(held - wanted))
        inserted = tuple(sorted(wanted - held))
        if not deleted and not inserted:
            self.show(f"<{self.graph_iri}> already holds the {len(wanted)} triples of the dump: nothing to send")
            return "unchanged", (), (), 0
        steps = self.data_requests(deleted, inserted)
        if len(steps) > 1:
            self.show(
                f"note: the difference (-{len(deleted)} +{len(inserted)} triples) is larger than one update request "
                f"to this store may be ({_update_limit(self.ends.store)} bytes): applying it in {len(steps)} steps, "
                f"each one transaction; until the last, readers may see <{self.graph_iri}> partly updated"
            )
        for number, (body, removed, added) in enumerate(steps, start=1):
            if self.dry_run:
                self.show(f"POST {self.ends.update_url}  (SPARQL Update, step {number} of {len(steps)})\n{body.decode()}")
                continue
            try:
                # Retrying is safe: the same difference applied twice gives the same graph.
                self.post_update(body)
            except _HttpFailure as exc:
                raise self._delta_failure(exc, number, len(steps)) from None
            if self.progress is not None:
                self.progress("delta", number, len(steps))
        return "delta", deleted, inserted, len(steps)

    def data_requests(
        self, deleted: Sequence[bytes], inserted: Sequence[bytes], graph: str | None = None
    ) -> list[tuple[bytes, int, int]]:
        """``DELETE DATA``/``INSERT DATA`` requests within the store's limits: (body, deleted, inserted) each.

        ``graph`` (``<iri>``) defaults to the target graph.

        Statements are taken in subject order, so that a step changes some
        subjects wholly rather than all of them partly.
        """
        limit = _update_limit(self.ends.store)
        block = VIRTUOSO_DATA_BLOCK if self.ends.store == "virtuoso" else max(len(deleted), len(inserted), 1)
        pragma = VIRTUOSO_DATA_PRAGMA.encode() if self.ends.store == "virtuoso" else b""
        graph_term = (graph or self.graph).encode()
        # Each DATA block costs its operation, graph and braces, and " ;\n" before the next one.
        block_cost = len(b"INSERT DATA { GRAPH ") + len(graph_term) + len(b" {\n} }") + len(b" ;\n")
        changes = sorted([(line, False) for line in deleted] + [(line, True) for line in inserted])
        groups: list[tuple[list[bytes], list[bytes]]] = [([], [])]
        size = len(pragma)
        for line, insert in changes:
            lines = groups[-1][1 if insert else 0]
            cost = len(line) + (block_cost if len(lines) % block == 0 else 0)
            if size + cost > limit and (groups[-1][0] or groups[-1][1]):
                groups.append(([], []))
                size = len(pragma)
                lines = groups[-1][1 if insert else 0]
                cost = len(line) + block_cost
            lines.append(line)
            size += cost
        requests = []
        for removed, added in groups:
            ops = [
                b"".join([operation, b" { GRAPH ", graph_term, b" {\n", *lines[start : start + block], b"} }"])
                for operation, lines in ((b"DELETE DATA", removed), (b"INSERT DATA", added))
                for start in range(0, len(lines), block)
            ]
            requests.append((pragma + b" ;\n".join(ops), len(removed), len(added)))
        return requests

    def _delta_failure(self, exc: _HttpFailure, number: int, total: int) -> PublishError:
        what = f"apply the delta (step {number} of {total})" if total > 1 else "apply the delta"
        if number == 1:
            changed: bool | None = None if exc.transport else False
            return _failure(exc, self.ends.update_url, what=what, changed=changed, graph=f"<{self.graph_iri}>")
        error = _failure(exc, self.ends.update_url, what=what, changed=True)
        done = f"{number - 1} or {number}" if exc.transport else f"{number - 1}"  # no answer: it may have committed
        return PublishError(
            f"{error}; <{self.graph_iri}> holds the first {done} of the {total} steps (partly updated): "
            "run publish --delta again to send the rest"
        )

    def verify(self) -> int:
        held = self.count(self.graph_iri, changed=None)
        if held != len(self.dump.triples):
            raise PublishError(
                f"after loading, the store holds {held} triples in <{self.graph_iri}> but the dump has "
                f"{len(self.dump.triples)}: the store merged or dropped triples (Virtuoso, for one, merges "
                "xsd:gYear/gYearMonth/date literals of equal value on one subject and property)"
            )
        return held


def _update_limit(store: str) -> int:
    """The largest update request this store takes, in bytes."""
    return MAX_UPDATE_BYTES if store == "oxigraph" else VIRTUOSO_MAX_UPDATE_BYTES


# --------------------------------------------------------------------------- command line


def run_publish_command(
    build_dir: Path, endpoint: str, graph_iri: str | None, delta: bool, dry_run: bool
) -> int:
    """``scholargraph publish``: prints what happened and returns the exit code (0, 1 on failure)."""
    from .config import load_settings

    try:
        if graph_iri is None:
            graph_iri = f"{load_settings().base_iri}graph"
        credentials = find_credentials(endpoint, os.environ)
        result = publish(
            build_dir / "graph.ttl",
            endpoint,
            graph_iri=graph_iri,
            delta=delta,
            dry_run=dry_run,
            credentials=credentials,
            out=sys.stdout,
        )
    except PublishError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if delta and not dry_run:
        for line in result.deleted:
            print(f"- {line}")
        for line in result.inserted:
            print(f"+ {line}")
    print(result.summary())
    return 0
