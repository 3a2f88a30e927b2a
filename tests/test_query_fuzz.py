"""Canned-query parameters are bound, never formatted in: hypothesis over every parameter.

For any text given as a parameter, :func:`scholargraph.queries.run_query`
returns rows or raises :class:`QueryError`; and every query text sent to the
store (the entity look-ups and the canned query itself) holds the text only
inside an escaped literal or a validated IRI: with literals and IRIs removed,
the canned query is its template with the marker line replaced by empty
``VALUES`` blocks (or an integer), and a look-up holds nothing of the value.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scholargraph.errors import QueryError
from scholargraph.queries import (
    CannedQuery,
    OxigraphBackend,
    ParamType,
    ResultTable,
    bind_query,
    load_queries,
    run_query,
)

GRAPH = Path(__file__).parent / "data" / "queries" / "graph.ttl"
QUERIES = load_queries()
PARAMS = sorted((name, p.name) for name, q in QUERIES.items() for p in q.params)
LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
PROFILE = settings(
    max_examples=2000 if LONG else 25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

INJECTIONS = (
    '"} ; DROP ALL ; #',
    "\"} } UNION { ?s ?p ?o } #",
    "> } UNION { ?s ?p ?o } #",
    "<http://example.org/x> } ; CLEAR ALL",
    "https://example.org/a b",
    "https://example.org/a>b",
    "http://example.org/ok",
    "<https://example.org/scholargraph/person/x>",
    "\\u0022 } #",
    "\\\\",
    "'''",
    "line\nbreak",
    "tab\there",
    "0000-0002-1825-0097",
    "https://orcid.org/0000-0002-1825-0097",
    "10.1234/abc def",
    "doi:10.1234/x\"y",
    "hal-02139528",
    "05qec5a53",
    "-1",
    "99999999999999999999",
    "1e3",
    "  ",
    "",
    "Clément Le Ludec",
    "CLEMENT LE LUDEC",
    "\u202eévian",
    "e\u0301",
    "#@params",
    "?person",
    "$x",
)
values = st.one_of(st.sampled_from(INJECTIONS), st.text(max_size=40), st.lists(st.sampled_from(INJECTIONS), max_size=3).map(" ".join))

_LITERAL = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_IRI = re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*>")


def skeleton(query: str) -> str:
    """The query without its string literals and IRIs."""
    return _IRI.sub("", _LITERAL.sub("", query))


class Recording(OxigraphBackend):
    """The embedded store, remembering every query sent."""

    def __init__(self, store: ox.Store) -> None:
        super().__init__(store)
        self.sent: list[str] = []

    def select(self, query: str) -> ResultTable:
        self.sent.append(query)
        return super().select(query)


@pytest.fixture(scope="module")
def store() -> ox.Store:
    store = ox.Store()
    store.load(path=GRAPH, format=ox.RdfFormat.TURTLE)
    return store


def test_there_are_parameters_of_every_kind() -> None:
    kinds = {QUERIES[name].param(param).type for name, param in PARAMS}
    assert kinds == {ParamType.PERSON, ParamType.ORGANIZATION, ParamType.PROJECT, ParamType.WORK, ParamType.INTEGER}


_INTEGER = re.compile(r"(?<![\w?$])[+-]?\d+(?![\w])")


def shape(query: str) -> list[str]:
    """The query's tokens with literals, IRIs and integers taken out."""
    return _INTEGER.sub("N", skeleton(query)).split()


def check_sent(query: CannedQuery, param: str, value: str, sent: list[str]) -> None:
    final, lookups = sent[-1], sent[:-1]
    for name, inside in re.findall(r"VALUES \?(\w+) \{ ([^{}]*) \}", skeleton(final)):
        # Nothing but a literal or an IRI (taken out), or an integer, inside a parameter's VALUES block.
        assert name in {p.name for p in query.params}
        assert re.fullmatch(r"[+-]?\d*", inside.strip()), inside
    # The same query as with a harmless value: the text changed nothing but the terms bound
    # (in VALUES blocks and in ?_NAME placeholders).
    harmless = value if not value.strip() else ("7" if query.param(param).type is ParamType.INTEGER else "http://example.org/harmless")
    assert shape(final) == shape(bind_query(query, {param: harmless}))
    raw = value.strip()
    if len(raw) >= 3 and not raw.isdigit():
        for lookup in lookups:
            assert raw not in skeleton(lookup), lookup


@pytest.mark.parametrize(("name", "param"), PARAMS, ids=[f"{n}:{p}" for n, p in PARAMS])
@PROFILE
@given(value=values)
@example(value='"} ; DROP ALL ; #')
@example(value="Clément Le Ludec")
def test_any_text_is_bound_safely(store: ox.Store, name: str, param: str, value: str) -> None:
    query = QUERIES[name]
    backend = Recording(store)
    before = len(store)
    try:
        text = bind_query(query, {param: value}, backend)
        table = backend.select(text)
    except QueryError as error:
        assert str(error) and "\n" not in str(error).strip() or "\n" in value
        return
    finally:
        assert len(store) == before  # nothing was ever written
    assert isinstance(table, ResultTable)
    assert all(len(row) == len(table.columns) for row in table.rows)
    check_sent(query, param, value, backend.sent)


@pytest.mark.parametrize(("name", "param"), PARAMS[:3], ids=[f"{n}:{p}" for n, p in PARAMS[:3]])
@settings(max_examples=200 if LONG else 10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=values)
def test_run_query_returns_rows_or_query_error(store: ox.Store, name: str, param: str, value: str) -> None:
    try:
        table = run_query(name, {param: value}, store=store)
    except QueryError:
        return
    assert isinstance(table, ResultTable)


@pytest.fixture(scope="module")
def rdflib_graph() -> rdflib.Graph:
    return rdflib.Graph().parse(GRAPH, format="turtle")


@settings(max_examples=200 if LONG else 15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=values)
def test_rdflib_engine_takes_any_text(rdflib_graph: rdflib.Graph, value: str) -> None:
    graph = rdflib_graph
    query = QUERIES["works-of-person"]
    try:
        run_query(query, {"person": value}, store=graph)
    except QueryError:
        pass
