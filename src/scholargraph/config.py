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

This module is the only place that reads the environment.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

CONFIG_FILE = "scholargraph.toml"
CONFIG_ENV = "SCHOLARGRAPH_CONFIG"
DEFAULT_BASE_IRI = "https://example.org/scholargraph/"


@dataclass(frozen=True)
class Settings:
    """Everything a build needs to know besides its documents."""

    base_iri: str = DEFAULT_BASE_IRI
    license: str = "https://creativecommons.org/licenses/by/4.0/"
    title: str = "Scholarly knowledge graph"
    data_dir: Path = Path("data")
    out_dir: Path = Path("build")
    curated: str = "curated.yaml"

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
}


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
    for table, content in data.items():
        if table not in _KEYS or not isinstance(content, dict):
            raise ConfigError(f"{path}: unknown table [{table}]; known: {', '.join(_KEYS)}")
        for key, value in content.items():
            if key not in _KEYS[table]:
                raise ConfigError(
                    f"{path}: unknown key {key!r} in [{table}]; known: {', '.join(_KEYS[table])}"
                )
            if not isinstance(value, _KEYS[table][key]):
                raise ConfigError(f"{path}: [{table}] {key} must be a string")
            values[key] = value
    for key in ("data_dir", "out_dir"):
        if key in values:
            values[key] = Path(values[key])
    return Settings(**values)
