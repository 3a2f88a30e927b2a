"""The curated YAML file: canonical names, aliases, types, identifiers, forced merges.

Read with ``yaml.safe_load`` semantics (``yaml.compose`` with the safe loader,
to keep line numbers for error messages).  The format is documented in
``docs/curated.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import CuratedDataError
from .identifiers import normalise_orcid, normalise_ror

ORG_TYPES = frozenset({"CollegeOrUniversity", "GovernmentOrganization", "WorkersUnion", "NGO", "Organization"})
KINDS = frozenset({"person", "organization", "work"})


@dataclass(frozen=True)
class CuratedEntity:
    name: str
    aliases: tuple[str, ...] = ()
    type: str | None = None
    orcid: str | None = None
    ror: str | None = None
    line: int = 0


@dataclass(frozen=True)
class MergeRule:
    kind: str
    names: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Curated:
    path: str = ""
    organizations: tuple[CuratedEntity, ...] = ()
    persons: tuple[CuratedEntity, ...] = ()
    force: tuple[MergeRule, ...] = ()
    forbid: tuple[MergeRule, ...] = field(default=())
    is_records: bool = False  # the file is a curated-records document (records:), not aliases: read it as one


def _scalar(node: yaml.Node, path: Path, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise CuratedDataError(path, node.start_mark.line + 1, f"{what} must be a non-empty text")
    return str(node.value).strip()


def _mapping(node: yaml.Node, path: Path, what: str) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise CuratedDataError(path, node.start_mark.line + 1, f"{what} must be a mapping (key: value)")
    return {_scalar(k, path, "a key"): v for k, v in node.value}


def _sequence(node: yaml.Node, path: Path, what: str) -> list[yaml.Node]:
    if isinstance(node, yaml.ScalarNode) and node.value in ("", "null", "~"):
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise CuratedDataError(path, node.start_mark.line + 1, f"{what} must be a list")
    return list(node.value)


def _entities(node: yaml.Node, path: Path, kind: str) -> tuple[CuratedEntity, ...]:
    out = []
    allowed = {"name", "aliases", "type", "orcid", "ror"}
    for item in _sequence(node, path, f"'{kind}'"):
        fields = _mapping(item, path, f"an entry of '{kind}'")
        line = item.start_mark.line + 1
        unknown = set(fields) - allowed
        if unknown:
            raise CuratedDataError(path, line, f"unknown key {sorted(unknown)[0]!r}; allowed: {', '.join(sorted(allowed))}")
        if "name" not in fields:
            raise CuratedDataError(path, line, f"an entry of '{kind}' needs a 'name'")
        aliases = tuple(_scalar(a, path, "an alias") for a in _sequence(fields["aliases"], path, "'aliases'")) if "aliases" in fields else ()
        org_type = _scalar(fields["type"], path, "'type'") if "type" in fields else None
        if org_type is not None and org_type not in ORG_TYPES:
            raise CuratedDataError(path, fields["type"].start_mark.line + 1, f"type {org_type!r} is not one of {', '.join(sorted(ORG_TYPES))}")
        orcid = None
        if "orcid" in fields:
            raw = _scalar(fields["orcid"], path, "'orcid'")
            orcid = normalise_orcid(raw)
            if orcid is None:
                raise CuratedDataError(path, fields["orcid"].start_mark.line + 1, f"{raw!r} is not a valid ORCID iD (check digit); copy it from orcid.org")
        ror = None
        if "ror" in fields:
            raw = _scalar(fields["ror"], path, "'ror'")
            ror = normalise_ror(raw)
            if ror is None:
                raise CuratedDataError(path, fields["ror"].start_mark.line + 1, f"{raw!r} is not a ROR id (like 05qec5a53)")
        out.append(CuratedEntity(_scalar(fields["name"], path, "'name'"), aliases, org_type, orcid, ror, line))
    return tuple(out)


def _rules(node: yaml.Node, path: Path, what: str) -> tuple[MergeRule, ...]:
    out = []
    for item in _sequence(node, path, what):
        fields = _mapping(item, path, f"an entry of {what}")
        line = item.start_mark.line + 1
        kind = _scalar(fields["kind"], path, "'kind'") if "kind" in fields else ""
        if kind not in KINDS:
            raise CuratedDataError(path, line, f"'kind' must be one of {', '.join(sorted(KINDS))}")
        names = tuple(_scalar(n, path, "a name") for n in _sequence(fields.get("names", yaml.ScalarNode("", "")), path, "'names'"))
        if len(names) < 2:
            raise CuratedDataError(path, line, "'names' must list at least two names (or titles)")
        out.append(MergeRule(kind, names, line))
    return tuple(out)


def load_curated(path: Path) -> Curated:
    """Read the curated file; a missing file is an empty curation."""
    if not path.exists():
        return Curated(str(path))
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CuratedDataError(path, mark.line + 1 if mark else None, f"not valid YAML ({getattr(exc, 'problem', exc)})") from None
    except UnicodeDecodeError:
        raise CuratedDataError(path, None, "not UTF-8 text; re-save the file as UTF-8") from None
    if node is None:
        return Curated(str(path))
    top = _mapping(node, path, "the curated file")
    if "records" in top:
        return Curated(str(path), is_records=True)
    allowed = {"organizations", "persons", "merges"}
    for key, value in top.items():
        if key not in allowed:
            raise CuratedDataError(path, value.start_mark.line + 1, f"unknown section {key!r}; allowed: {', '.join(sorted(allowed))}")
    merges = _mapping(top["merges"], path, "'merges'") if "merges" in top else {}
    return Curated(
        str(path),
        organizations=_entities(top["organizations"], path, "organizations") if "organizations" in top else (),
        persons=_entities(top["persons"], path, "persons") if "persons" in top else (),
        force=_rules(merges["force"], path, "'merges.force'") if "force" in merges else (),
        forbid=_rules(merges["forbid"], path, "'merges.forbid'") if "forbid" in merges else (),
    )
