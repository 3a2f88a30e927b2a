"""Settings: one frozen object, read from one TOML file.

The file is ``scholargraph.toml`` in the current directory (or the path given
with ``--config`` or in ``SCHOLARGRAPH_CONFIG``).  Every key has a default, so
the tool works out of the box without the file::

    [graph]
    base_iri = "https://example.org/scholargraph/"   # minted nodes live under it
    license = "https://creativecommons.org/licenses/by/4.0/"
    title = "Scholarly knowledge graph"

    [build]
    data_dir = "data"                 # documents to read
    out_dir = "build"                 # where graph.ttl and reports go
    curated = "curated.yaml"          # aliases and forced merges, relative to data_dir

    [limits]
    document_bytes = 5000000          # largest document read, in bytes
    entries = 10000                   # most entries (records) read from one document
    nesting_depth = 50                # deepest nesting of lists and mappings in YAML or JSON
    line_length = 10000               # longest line, in characters (JSON is exempt)

A document over a limit is refused with a one-line error that names the file,
the limit and the key that raises it.  The limits bound the time and memory a
hostile or broken document can cost; the defaults are far above any real CV.
``nesting_depth`` cannot usefully exceed 100: the YAML and JSON readers refuse
deeper documents themselves.  ``line_length`` does not apply to JSON (exports
such as ORCID records are often a single line).

This module is the only place that reads the environment.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

CONFIG_FILE = "scholargraph.toml"
CONFIG_ENV = "SCHOLARGRAPH_CONFIG"
DEFAULT_BASE_IRI = "https://example.org/scholargraph/"


@dataclass(frozen=True)
class Limits:
    """How much one document may hold (the ``[limits]`` table); see the module docstring."""

    document_bytes: int = 5_000_000
    entries: int = 10_000
    nesting_depth: int = 50
    line_length: int = 10_000

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"[limits] {item.name} must be a positive whole number, not {value!r}")


@dataclass(frozen=True)
class Settings:
    """Everything a build needs to know besides its documents."""

    base_iri: str = DEFAULT_BASE_IRI
    license: str = "https://creativecommons.org/licenses/by/4.0/"
    title: str = "Scholarly knowledge graph"
    data_dir: Path = Path("data")
    out_dir: Path = Path("build")
    curated: str = "curated.yaml"
    limits: Limits = Limits()

    def __post_init__(self) -> None:
        if not self.base_iri.startswith(("http://", "https://")):
            raise ConfigError(
                f"base_iri {self.base_iri!r} must be an http(s) IRI; set [graph] base_iri in {CONFIG_FILE}"
            )
        if not self.base_iri.endswith(("/", "#")):
            raise ConfigError(
                f"base_iri {self.base_iri!r} must end with '/' or '#' so that minted IRIs extend it"
            )

    def with_paths(self, data_dir: Path | None = None, out_dir: Path | None = None) -> Settings:
        """A copy with the data or output directory replaced (for command-line overrides)."""
        return replace(
            self,
            data_dir=data_dir if data_dir is not None else self.data_dir,
            out_dir=out_dir if out_dir is not None else self.out_dir,
        )

    @property
    def curated_path(self) -> Path:
        return self.data_dir / self.curated


_KEYS: dict[str, dict[str, type]] = {
    "graph": {"base_iri": str, "license": str, "title": str},
    "build": {"data_dir": str, "out_dir": str, "curated": str},
    "limits": {f.name: int for f in fields(Limits)},
}
_TYPE_NAMES = {str: "a string", int: "a positive whole number"}


def load_settings(path: Path | None = None) -> Settings:
    """Read settings from ``path``, ``$SCHOLARGRAPH_CONFIG`` or ``./scholargraph.toml``.

    A missing default file gives the defaults; a missing file that was asked
    for by name is an error.
    """
    explicit = path is not None or CONFIG_ENV in os.environ
    if path is None:
        path = Path(os.environ.get(CONFIG_ENV, CONFIG_FILE))
    if not path.exists():
        if explicit:
            raise ConfigError(f"{path}: config file not found; create it or drop --config")
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the file or remove it") from None
    values: dict[str, Any] = {}
    limits: dict[str, int] = {}
    for table, content in data.items():
        if table not in _KEYS or not isinstance(content, dict):
            raise ConfigError(f"{path}: unknown table [{table}]; known: {', '.join(_KEYS)}")
        for key, value in content.items():
            if key not in _KEYS[table]:
                raise ConfigError(
                    f"{path}: unknown key {key!r} in [{table}]; known: {', '.join(_KEYS[table])}"
                )
            wanted = _KEYS[table][key]
            if not isinstance(value, wanted) or isinstance(value, bool) or (wanted is int and value < 1):
                raise ConfigError(f"{path}: [{table}] {key} must be {_TYPE_NAMES[wanted]}, not {value!r}")
            (limits if table == "limits" else values)[key] = value
    for key in ("data_dir", "out_dir"):
        if key in values:
            values[key] = Path(values[key])
    return Settings(**values, limits=Limits(**limits))
