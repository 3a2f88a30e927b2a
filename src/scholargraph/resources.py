"""Where the project's data directories (``ontology/``, ``queries/``) are found.

They live at the root of the repository, beside ``src/``; the package is
installed from the checkout (``pip install -e .`` or ``pip install .`` from a
clone), so the directories are found relative to the checkout this module was
installed from, or relative to the current directory.
"""

from __future__ import annotations

from pathlib import Path

from .errors import ConfigError

_CHECKOUT = Path(__file__).resolve().parents[2]


def resource_dir(name: str) -> Path:
    """The directory ``name`` (``"ontology"`` or ``"queries"``) of the project."""
    for base in (_CHECKOUT, Path.cwd()):
        candidate = base / name
        if candidate.is_dir():
            return candidate
    raise ConfigError(
        f"cannot find the project's {name}/ directory beside {_CHECKOUT} or in {Path.cwd()}; "
        "install scholargraph from its checkout with 'pip install -e .'"
    )
