"""scholargraph: CVs and project pages into a validated scholarly knowledge graph."""

from __future__ import annotations

__version__ = "0.1.0"
