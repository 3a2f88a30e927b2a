"""The public API is what __all__ says, sorted, and every name in it exists."""

from __future__ import annotations

import scholargraph


def test_all_is_sorted_and_complete() -> None:
    assert scholargraph.__all__ == sorted(scholargraph.__all__)
    for name in scholargraph.__all__:
        assert hasattr(scholargraph, name), name
    public = {n for n in vars(scholargraph) if not n.startswith("_") and not isinstance(getattr(scholargraph, n), type(scholargraph))}
    assert public == set(scholargraph.__all__) | {"annotations"}
