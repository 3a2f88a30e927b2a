"""Deterministic serialisations of the graph.

Triples are sorted before they are written and the graph has no blank nodes,
so the same input gives byte-identical files (pyoxigraph's writers are fast
but keep the input order; sorted input makes them stable).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from .mapping import Triple, triple_key
from .namespaces import PREFIXES


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def turtle_bytes(triples: Iterable[Triple]) -> bytes:
    ordered = sorted(triples, key=triple_key)
    return ox.serialize(ordered, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)


def write_turtle(triples: Iterable[Triple], path: Path) -> None:
    """``graph.ttl``: Turtle with the project's prefixes, subjects in IRI order."""
    _write_atomically(path, turtle_bytes(triples))


def write_ntriples(triples: Iterable[Triple], path: Path) -> None:
    """N-Triples, one line per triple, lines sorted (diffs cleanly, splits safely)."""
    lines = sorted(
        ox.serialize([t], format=ox.RdfFormat.N_TRIPLES).decode("utf-8") for t in triples
    )
    _write_atomically(path, "".join(lines).encode("utf-8"))


def write_store(triples: Iterable[Triple], directory: Path) -> None:
    """A persistent embedded Oxigraph store holding the graph (for fast queries)."""
    import shutil

    tmp = directory.with_name(f".{directory.name}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    store = ox.Store(str(tmp))
    store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    store.flush()
    del store
    if directory.exists():
        shutil.rmtree(directory)
    os.replace(tmp, directory)
