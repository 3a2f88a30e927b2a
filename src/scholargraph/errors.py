"""The one exception tree of scholargraph.

::

    ScholargraphError              anything the tool reports to a user
    ├── ConfigError                the config file is missing a value or malformed
    ├── DocumentError              a document cannot be read (carries path and line)
    │   └── CuratedDataError       the curated YAML is malformed
    ├── ValidationFailed           the graph does not conform to the shapes
    ├── QueryError                 a canned query is unknown or a parameter is bad
    └── PublishError               a SPARQL store refused or failed a load

Every message says what went wrong and what to do; ``str(error)`` is the one
line the command line prints.
"""

from __future__ import annotations

from pathlib import Path


class ScholargraphError(Exception):
    """Base class: a failure explained to the user in one line."""


class ConfigError(ScholargraphError):
    """The configuration file is malformed or names an impossible value."""


class DocumentError(ScholargraphError):
    """A document cannot be read; the message starts with ``path:line:``."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class CuratedDataError(DocumentError):
    """The curated YAML file (aliases, forced merges) is malformed."""


class ValidationFailed(ScholargraphError):
    """The built graph violates the shapes; ``report`` holds the details."""

    def __init__(self, message: str, report: object | None = None) -> None:
        self.report = report
        super().__init__(message)


class QueryError(ScholargraphError):
    """A canned query is unknown, or a parameter value is missing or malformed."""


class PublishError(ScholargraphError):
    """Loading into a SPARQL store failed; the message says whether the old graph is intact."""
