"""The build's persistent store brought up to date by difference, and the changed graph
seen through the old store before anything is written.

A rebuild after one CV changed hands on the new graph's lines and its difference from
the previous build (``removed``, ``added``: sorted canonical N-Triples lines, see
:func:`scholargraph.mapping.build_lines`).  Rewriting the store takes ~15 s at a million
triples; :func:`patch_store` applies the difference instead:

1. the removed and added triples are written into two staging named graphs (one
   transaction: :meth:`pyoxigraph.Store.extend`);
2. one SPARQL update of fixed text (:data:`_APPLY`: no line of the graph is formatted
   into it) deletes the staged removals from the default graph, inserts the staged
   additions and drops both staging graphs; oxigraph runs an update request in one
   transaction, so the default graph holds either the old graph or the new one;
3. the co-authors index (:mod:`scholargraph.network`) is patched for the works and
   persons the change touches, or written afresh where the old index does not match.

At a million triples, a CV edit (302 lines removed, 307 added) is patched in ~0.1 s
with the index (writing the index afresh instead: ~1.7 s).

:class:`GraphOverlay` answers look-ups on the new graph from the old store, the old
lines and the difference, for validating the change before the store is touched.

Two things the store does not keep as the lines write them: numbers are kept by value
(``"1"^^xsd:positiveInteger`` comes back as ``"1"^^xsd:integer``: both stores, patched
and fresh, hold the same), and blank nodes get new ids when a store is loaded, so a
removed line with a blank node is not found in the store (refused: write it afresh).
The graphs the build makes have no blank nodes.
"""

from __future__ import annotations

import bisect
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import pyoxigraph as ox

from .errors import DocumentError
from .mapping import parse_lines
from .network import (
    COAUTHOR_INDEX,
    apply_coauthor_index_patch,
    coauthor_index_usable,
    read_coauthor_index_patch,
    write_coauthor_index,
)

__all__ = ["GraphOverlay", "patch_store"]

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_REMOVED = ox.NamedNode("urn:scholargraph:patch:removed")
_ADDED = ox.NamedNode("urn:scholargraph:patch:added")
_APPLY = (
    f"DELETE {{ ?s ?p ?o }} WHERE {{ GRAPH {_REMOVED} {{ ?s ?p ?o }} }} ;\n"
    f"INSERT {{ ?s ?p ?o }} WHERE {{ GRAPH {_ADDED} {{ ?s ?p ?o }} }} ;\n"
    f"DROP SILENT GRAPH {_REMOVED} ;\n"
    f"DROP SILENT GRAPH {_ADDED}"
)
"""The change, applied from the staging graphs in one transaction (fixed text)."""


def patch_store(directory: Path, removed: Sequence[str], added: Sequence[str]) -> None:
    """Bring the persistent store in ``directory`` (written by
    :func:`scholargraph.dump.write_store` for the old graph, or patched since) to hold the
    new graph, ``old - removed + added``, with its co-authors index.

    Afterwards every query answers as on a store freshly written for the new graph.
    ``removed`` must be lines of the old graph (a :class:`DocumentError` before anything is
    written otherwise) and ``added`` lines it lacks.

    Failure safety: the graph changes in one transaction (see the module's notes).  If
    the change fails, the store still holds the old graph, its co-authors index is
    removed (the store's files changed, so the index no longer matches them; queries
    then run without it) and a :class:`DocumentError` is raised; should even the
    staging graphs fail to go, the store directory is removed before raising, and the
    build must write the store afresh.  A process killed between steps leaves at most
    staging graphs, which the next call drops first.  If the index alone fails, the
    store holds the new graph, the index file is removed and the error is raised.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DocumentError(directory, None, "no store to patch; write it with a full build first")
    removed_triples = parse_lines(removed)
    added_triples = parse_lines(added)
    _check_fits(directory, removed_triples, added_triples)
    indexed = coauthor_index_usable(directory)  # before the store's files change
    store = _open(directory)
    store.remove_graph(_REMOVED)  # left by a process killed before its update
    store.remove_graph(_ADDED)
    try:
        _apply(store, removed_triples, added_triples)
    except Exception as exc:
        try:
            store.remove_graph(_REMOVED)
            store.remove_graph(_ADDED)
            del store
            (directory / COAUTHOR_INDEX).unlink(missing_ok=True)
        except Exception:
            shutil.rmtree(directory, ignore_errors=True)
            raise DocumentError(directory, None, f"the store could not be patched ({exc}) and was removed; rebuild in full") from exc
        raise DocumentError(directory, None, f"the store could not be patched ({exc}); it holds the previous graph") from exc
    try:
        patch = read_coauthor_index_patch(directory, store, removed_triples, added_triples) if indexed else None
    except Exception as exc:
        del store
        _index_failed(directory, exc)
    del store  # closed: its files are what the index's fingerprint records
    try:
        if patch is None or apply_coauthor_index_patch(directory, patch) is None:
            write_coauthor_index(directory)
    except Exception as exc:
        _index_failed(directory, exc)


def _index_failed(directory: Path, exc: Exception) -> NoReturn:
    (directory / COAUTHOR_INDEX).unlink(missing_ok=True)
    raise DocumentError(directory, None, f"the store holds the new graph but its co-authors index failed ({exc})") from exc


def _check_fits(directory: Path, removed: Sequence[ox.Triple], added: Sequence[ox.Triple]) -> None:
    """A :class:`DocumentError` unless the store has every removed triple (read-only: the
    store's files, and so its index, stay as they are).  Added triples are not checked:
    the store keeps numbers by value, so ``"1"^^xsd:integer`` replacing
    ``"1"^^xsd:positiveInteger`` is already there."""
    try:
        store = ox.Store.read_only(str(directory))
    except OSError as exc:
        raise DocumentError(directory, None, f"cannot open the store ({exc}); write it with a full build first") from None
    default = ox.DefaultGraph()
    missing = next((t for t in removed if ox.Quad(*t, default) not in store), None)
    if missing is not None:
        raise DocumentError(
            directory, None, f"the change removes {missing}, which the store lacks: not the store of the previous build; rebuild it in full"
        )


def _open(directory: Path) -> Any:
    """The store, opened for writing."""
    try:
        return ox.Store(str(directory))
    except OSError as exc:
        raise DocumentError(directory, None, f"cannot open the store for writing ({exc}); is another process using it?") from None


def _apply(store: Any, removed: Sequence[ox.Triple], added: Sequence[ox.Triple]) -> None:
    """Stage the change, then apply it in one update."""
    store.extend([ox.Quad(*t, _REMOVED) for t in removed] + [ox.Quad(*t, _ADDED) for t in added])
    store.update(_APPLY)


# --------------------------------------------------------------------------- the new graph, before writing


def _token(term: str) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """The term written as an N-Triples token (``<iri>``, ``_:b``, ``"text"@en``), parsed."""
    try:
        (quad,) = ox.parse(f"<urn:x:s> <urn:x:p> {term} .\n".encode(), format=ox.RdfFormat.N_TRIPLES)
    except (SyntaxError, ValueError):
        raise DocumentError("<term>", None, f"not one N-Triples term: {term!r}") from None
    return quad.object


def _object_token(line: str) -> str:
    return line.split(" ", 2)[2][:-3]


class GraphOverlay:
    """The new graph (``old - removed + added``) seen through the old store in ``directory``
    (opened read-only), the old graph's lines and the difference: each look-up returns the
    new graph's canonical N-Triples lines (as :func:`scholargraph.mapping.build_lines`
    writes them), sorted.

    ``old_lines`` are the old graph's lines, sorted (as in ``graph.nt``); a subject's lines
    are found in them by bisection.  The store finds the subjects
    of an object: it keeps numbers by value (``"1"^^xsd:positiveInteger`` comes back as
    ``"1"^^xsd:integer``), so a line is taken from ``old_lines``, never rebuilt from the
    store, unless its object is an IRI or a string (with or without a language tag).

    Terms are given as N-Triples tokens: ``<http://...>``, ``_:b1``, ``"text"@en``,
    ``"1"^^<http://www.w3.org/2001/XMLSchema#integer>``.
    """

    def __init__(self, directory: Path, old_lines: Sequence[str], removed: Sequence[str], added: Sequence[str]) -> None:
        try:
            self._store = ox.Store.read_only(str(directory))
        except OSError as exc:
            raise DocumentError(directory, None, f"cannot open the store ({exc}); write it with a full build first") from None
        self._graph = ox.DefaultGraph()
        self._old = old_lines
        self._removed = frozenset(removed)
        self._by_subject: dict[str, list[str]] = {}
        self._by_object: dict[str, list[str]] = {}
        for line in added:
            self._by_subject.setdefault(line[: line.index(" ")], []).append(line)
            self._by_object.setdefault(_object_token(line), []).append(line)

    def _block(self, subject: str) -> list[str]:
        """The old lines of ``subject`` (a token), removed ones left out."""
        old = self._old
        prefix = subject + " "
        at = bisect.bisect_left(old, prefix)  # lines sharing a prefix are next to each other
        found = []
        while at < len(old) and old[at].startswith(prefix):
            if old[at] not in self._removed:
                found.append(old[at])
            at += 1
        return found

    def _with_object(self, predicate: ox.NamedNode | None, obj: Any, added: list[str]) -> list[str]:
        quads = self._store.quads_for_pattern(None, predicate, obj, self._graph)
        if isinstance(obj, ox.Literal) and not obj.language and obj.datatype.value != _XSD_STRING:
            # a number comes back from the store by value, not as the line wrote it: each subject's lines, filtered
            token = str(obj)
            wanted = None if predicate is None else str(predicate)
            found = [
                line
                for subject in dict.fromkeys(str(q.subject) for q in quads)
                for line in self._block(subject)
                if _object_token(line) == token and (wanted is None or line.split(" ", 2)[1] == wanted)
            ]
        else:
            removed = self._removed
            found = [line for q in quads if (line := f"{q.subject} {q.predicate} {q.object} .\n") not in removed]
        found += added
        found.sort()
        return found

    def lines_with_subject(self, term: str) -> list[str]:
        """The lines whose subject is ``term``."""
        subject = _token(term)
        if isinstance(subject, ox.Literal):
            return []
        token = str(subject)
        return sorted(self._block(token) + self._by_subject.get(token, []))

    def lines_with_object(self, term: str) -> list[str]:
        """The lines whose object is ``term``."""
        obj = _token(term)
        return self._with_object(None, obj, self._by_object.get(str(obj), []))

    def lines_with_predicate_object(self, predicate: str, obj: str) -> list[str]:
        """The lines with predicate ``predicate`` and object ``obj``."""
        named = _token(predicate)
        if not isinstance(named, ox.NamedNode):
            return []
        value = _token(obj)
        token = str(named)
        added = [line for line in self._by_object.get(str(value), []) if line.split(" ", 2)[1] == token]
        return self._with_object(named, value, added)
