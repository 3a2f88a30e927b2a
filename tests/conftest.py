"""Shared fixtures: real SPARQL stores (see tests/servers.py for how they run)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from servers import StoreServer, start_oxigraph, start_virtuoso


@pytest.fixture
def oxigraph_server(tmp_path: Path) -> Iterator[StoreServer]:
    """A fresh Oxigraph server for one test (starts in well under a second)."""
    with start_oxigraph(tmp_path / "oxigraph") as server:
        yield server


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreServer]:
    """One Virtuoso server for the session (it takes seconds to start); use distinct graph IRIs."""
    with start_virtuoso(tmp_path_factory.mktemp("virtuoso")) as server:
        yield server


@pytest.fixture(params=["oxigraph", "virtuoso"])
def store_server(request: pytest.FixtureRequest) -> StoreServer:
    """Each store in turn."""
    server: StoreServer = request.getfixturevalue(f"{request.param}_server")
    return server
