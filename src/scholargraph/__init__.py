"""scholargraph: CVs and project pages into a validated scholarly knowledge graph.

>>> import scholargraph
>>> result = scholargraph.build(scholargraph.Settings())   # doctest: +SKIP
"""

from __future__ import annotations

from .build import BuildResult, build, make_graph
from .config import Settings, load_settings
from .curated import load_curated
from .errors import (
    ConfigError,
    CuratedDataError,
    DocumentError,
    PublishError,
    QueryError,
    ScholargraphError,
    ValidationFailed,
)
from .network import CoauthorNetwork, load_network, write_network
from .queries import OutputFormat, ResultTable, load_queries, render_result, run_query
from .readers import read_document
from .records import Document, to_data
from .resolve import resolve

__version__ = "0.1.0"

__all__ = [
    "BuildResult",
    "CoauthorNetwork",
    "ConfigError",
    "CuratedDataError",
    "Document",
    "DocumentError",
    "OutputFormat",
    "PublishError",
    "QueryError",
    "ResultTable",
    "ScholargraphError",
    "Settings",
    "ValidationFailed",
    "build",
    "load_curated",
    "load_network",
    "load_queries",
    "load_settings",
    "make_graph",
    "read_document",
    "render_result",
    "resolve",
    "run_query",
    "to_data",
    "write_network",
]
