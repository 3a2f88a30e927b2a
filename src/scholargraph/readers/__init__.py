"""Document readers: one module per kind of document, each turning text into records.

Each reader module has ``KIND``, ``sniff(path, text) -> bool`` and
``read(text, source) -> Document``.  :func:`read_document` picks the reader
(or takes the one forced with ``kind``), reads the file safely and returns the
records.  No rdflib here.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from ..errors import DocumentError
from ..records import Document

# Order matters: the first reader whose sniff() accepts a document reads it.
_READER_MODULES = (
    "records_yaml",
    "bibtex",
    "jsonresume",
    "orcid",
    "yamlcv",
    "project",
    "markdown",
)
MAX_BYTES = 5_000_000


def _readers() -> list[ModuleType]:
    found = []
    for name in _READER_MODULES:
        try:
            found.append(importlib.import_module(f"{__name__}.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    return found


def kinds() -> list[str]:
    """The document kinds that can be forced with ``--kind``."""
    return [module.KIND for module in _readers()]


def decode(path: Path) -> str:
    """The text of ``path`` as UTF-8, or a DocumentError that says what to do."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(path, None, f"cannot read the file ({exc.strerror})") from None
    if len(data) > MAX_BYTES:
        raise DocumentError(path, None, f"file is {len(data)} bytes, over the {MAX_BYTES}-byte limit; split it")
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise DocumentError(path, line, "binary data (NUL byte): not a text document")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DocumentError(path, line, "not UTF-8 text; re-save the file as UTF-8") from None


def detect(path: Path, text: str) -> ModuleType:
    for module in _readers():
        if module.sniff(path, text):
            return module
    raise DocumentError(path, None, f"unknown kind of document; force one with --kind ({', '.join(kinds())})")


def read_document(path: Path, source: str | None = None, kind: str | None = None) -> Document:
    """Read one document; ``source`` is how provenance names it (default: the path)."""
    text = decode(path)
    if kind is not None:
        by_kind = {module.KIND: module for module in _readers()}
        if kind not in by_kind:
            raise DocumentError(path, None, f"unknown kind {kind!r}; choose one of {', '.join(by_kind)}")
        module = by_kind[kind]
    else:
        module = detect(path, text)
    document: Document = module.read(text, source or str(path))
    return document
