"""A per-document cache of parsed records, so that a rebuild re-reads only what changed.

Reading is the costliest stage of a build (reference parsing, name parsing,
LaTeX decoding), and each document is read on its own, so the records of a
document depend only on

* its bytes (SHA-256),
* its source path (the records' spans name it),
* the code that read it: a fingerprint of every module of the package, so that
  a changed reader never serves stale records (any code change empties the cache
  in effect — conservative, and correct).

Entries are pickles of :class:`~scholargraph.records.Document`, one file per
document under ``build/cache/documents/``, named by the hash of that key.  They
are our own files, written by this module; user input is never unpickled.  A
damaged or unreadable entry counts as a miss.  After a build, entries that no
current document used are removed (:meth:`DocumentCache.prune`), so the cache
holds one entry per document.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .records import Document

FORMAT = 1  # bump when the entry layout changes


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 over the package's Python sources (and the Python version)."""
    digest = hashlib.sha256(f"{FORMAT}|{sys.version_info[:2]}".encode())
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py"), key=lambda p: p.relative_to(root).as_posix()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` under a temporary name, then rename it into place: a reader
    sees the old file or the new one, never half of one (the folder is made if missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def entry_key(data: bytes, source: str, fingerprint: str) -> str:
    """The cache key of a document: its bytes, how provenance names it, the reading code."""
    digest = hashlib.sha256(fingerprint.encode())
    digest.update(b"\0" + source.encode("utf-8") + b"\0")
    digest.update(data)
    return digest.hexdigest()


@dataclass
class DocumentCache:
    """Parsed documents by content hash, under ``directory`` (e.g. ``build/cache``)."""

    directory: Path
    fingerprint: str = field(default_factory=code_fingerprint)
    hits: list[str] = field(default_factory=list)  # sources served from the cache
    misses: list[str] = field(default_factory=list)  # sources read afresh
    keys: dict[str, str] = field(default_factory=dict)  # source -> the key of the version read
    _used: set[str] = field(default_factory=set)
    _names_loaded: int = -1  # how many name splits load_names found

    @property
    def entries(self) -> Path:
        return self.directory / "documents"

    def key(self, path: Path, source: str) -> str:
        return entry_key(path.read_bytes(), source, self.fingerprint)

    def get(self, key: str, source: str) -> Document | None:
        self._used.add(key)
        self.keys[source] = key
        document = self.load(key, source)
        (self.misses if document is None else self.hits).append(source)
        return document

    def load(self, key: str, source: str) -> Document | None:
        """The entry ``key`` if it holds ``source``'s records (no hit or miss counted: an
        earlier version of a document, which a rebuild compares with the new one)."""
        try:
            with open(self.entries / f"{key}.pickle", "rb") as handle:
                document = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return None
        if not isinstance(document, Document) or document.path != source:
            return None
        return document

    def put(self, key: str, document: Document) -> None:
        self._used.add(key)
        self.keys[document.path] = key
        self.entries.mkdir(parents=True, exist_ok=True)
        target = self.entries / f"{key}.pickle"
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as handle:
            pickle.dump(document, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)

    @property
    def names_file(self) -> Path:
        return self.directory / "names.pickle"

    def _names_stamp(self) -> str:
        from importlib.metadata import version

        return f"{self.fingerprint}|nameparser {version('nameparser')}"

    def load_names(self) -> int:
        """Give :func:`scholargraph.names.split_person_name` the splits an earlier build made
        with the same code and nameparser; return how many (none if the file is missing or stale)."""
        from . import names

        try:
            with open(self.names_file, "rb") as handle:
                stamp, splits = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return 0
        if stamp != self._names_stamp() or not isinstance(splits, dict):
            return 0
        for name, split in splits.items():
            names.KNOWN_SPLITS.setdefault(name, split)
        self._names_loaded = len(splits)
        return len(splits)

    def save_names(self) -> None:
        """Keep every split this process knows for the next build (when there are new ones)."""
        from . import names

        if len(names.KNOWN_SPLITS) == self._names_loaded:
            return
        data = pickle.dumps((self._names_stamp(), dict(names.KNOWN_SPLITS)), protocol=pickle.HIGHEST_PROTOCOL)
        write_atomically(self.names_file, data)

    def prune(self) -> int:
        """Remove the entries no document of this build used; return how many."""
        removed = 0
        if not self.entries.is_dir():
            return 0
        for entry in self.entries.iterdir():
            if entry.suffix == ".pickle" and entry.stem not in self._used:
                entry.unlink(missing_ok=True)
                removed += 1
        return removed
