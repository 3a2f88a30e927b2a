"""Curated YAML: the project's own record format (``docs/records-format.md``).

The format is exactly what :func:`scholargraph.records.to_data` makes of a
:class:`~scholargraph.records.Document` (what ``scholargraph extract``
prints): a mapping with ``records``, each a mapping whose ``record`` key names
the dataclass (``Work``, ``Role``, ``Course``, ``Hearing``, ``Project``,
``PersonFacts``) and whose other keys are its fields.  A user extracts a
document, corrects the YAML by hand and rebuilds from it, so reading it back
gives records equal to those extracted.

* ``span`` (``cv.md:33`` or ``cv.md:33-35``) refers to the original document;
  a record or agent written by hand without ``span`` gets the lines of its
  own YAML entry.
* ``path``, ``kind``, ``sha256``, ``line_count`` and ``markup_lines``
  describe the original document and are not read; ``owner`` and
  ``unmapped`` are read back.
* The file is checked against ``records_schema.json`` (JSON Schema 2020-12)
  first; an error names the YAML file and the line of the failing value.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import re
import types
import typing
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from .. import records as _records
from ..dates import InvalidDate
from ..errors import DocumentError
from ..records import Agent, Document, PartialDate, Span, Unmapped
from . import _fields
from ._located import DocumentBuilder, Loc, load_yaml, lookup, yaml_markup

KIND = "records-yaml"

RECORD_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        _records.Work, _records.Role, _records.Course, _records.Hearing,
        _records.Project, _records.PersonFacts,
    )
}
_DOCUMENT_KEYS = {"path", "kind", "sha256", "line_count", "markup_lines", "transcribed_lines"}
_SPAN = re.compile(r"^(?P<source>.+):(?P<start>[1-9]\d*)(?:-(?P<end>[1-9]\d*))?$")
_HELP = "see docs/records-format.md"


def sniff(path: Path, text: str) -> bool:
    """A ``.yaml``/``.yml`` file with a top-level ``records:`` list of ``record:`` entries."""
    return (
        path.suffix.lower() in {".yaml", ".yml"}
        and bool(re.search(r"^records:", text, re.MULTILINE))
        and bool(re.search(r"^\s*(?:-\s+)?record:\s*\w+", text, re.MULTILINE))
    )


@functools.cache
def schema() -> dict[str, Any]:
    """The JSON Schema of the format (``records_schema.json``)."""
    text = resources.files(__package__).joinpath("records_schema.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def read(text: str, source: str) -> Document:
    tree = load_yaml(text, source)
    if tree is None:
        raise DocumentError(source, None, f"the file is empty; a curated record file has a 'records:' list ({_HELP})")
    validate(tree, source)
    builder = DocumentBuilder(text, source, KIND, markup=yaml_markup)
    converter = _Converter(source)
    records_loc = tree.get("records")
    for index, item in enumerate(records_loc.entries() if records_loc is not None else []):
        converter.path = ["records", index]
        record_type = RECORD_TYPES[str(item.get("record").value)]  # type: ignore[union-attr]
        builder.records.append(converter.convert(record_type, item))
        builder.interpreted.update(range(item.first, item.end + 1))
    if (owner := tree.get("owner")) is not None and owner.value is not None:
        converter.path = ["owner"]
        builder.owner = converter.convert(Agent, owner)
        builder.interpreted.update(range(owner.first, owner.end + 1))
    unmapped = tree.get("unmapped")
    for index, item in enumerate(unmapped.entries() if unmapped is not None else []):
        converter.path = ["unmapped", index]
        builder.unmapped.append(converter.convert(Unmapped, item))
        builder.interpreted.update(range(item.first, item.end + 1))
    for key in _DOCUMENT_KEYS:
        if (loc := tree.get(key)) is not None:
            builder.syntax(loc)
    return builder.build()


def validate(tree: Loc, source: str) -> None:
    """Raise DocumentError at the line of the first value the schema refuses."""
    validator = jsonschema.Draft202012Validator(schema())
    errors = list(validator.iter_errors(tree.plain()))
    if not errors:
        return
    error = jsonschema.exceptions.best_match(errors)
    path = list(error.absolute_path)
    node = lookup(tree, path)
    line = node.start
    message = error.message
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            node = lookup(tree, path + [extra[0]])
            line = node.key_line or node.start
            message = f"unknown field {extra[0]!r}; allowed: {', '.join(sorted(allowed - {'record'}))}"
    elif error.validator == "required":
        line = node.start
    elif error.validator == "pattern" and isinstance(error.instance, str):
        what = "a span: write path:line or path:first-last" if ":" in error.validator_value else (
            "a date: write 2020, 2020-09 or 2020-09-29"
        )
        message = f"{error.instance!r} is not {what}"
    elif not path and error.validator == "type":
        message = "the file must be a mapping with a 'records:' list"
    elif node.key_line is not None:
        line = node.key_line if node.is_map or node.is_list else node.start
    if len(message) > 300:
        message = message[:297] + "..."
    raise DocumentError(source, line, f"{_where(path)}{message}; {_HELP}")


def _where(path: list[str | int]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return f"{out}: " if out else ""


class _Converter:
    """Builds records from located YAML values, field by field from the dataclasses' types."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.path: list[str | int] = []

    def convert(self, tp: Any, loc: Loc) -> Any:
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if loc.value is None:
                return None
            return self.convert(args[0], loc)
        if origin is tuple:
            out = []
            for index, item in enumerate(loc.entries()):
                self.path.append(index)
                out.append(self.convert(typing.get_args(tp)[0], item))
                self.path.pop()
            return tuple(out)
        if tp is Span:
            return self.span(loc)
        if tp is PartialDate:
            return self.date(loc)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return tp(loc.value)
        if tp is str:
            return str(loc.value)
        if tp is bool or tp is int:
            return loc.value
        if dataclasses.is_dataclass(tp):
            return self.dataclass(tp, loc)
        raise TypeError(f"no conversion for {tp!r}")  # pragma: no cover - the schema covers every field

    def dataclass(self, cls: Any, loc: Loc) -> Any:
        hints = typing.get_type_hints(cls, vars(_records))
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            value = loc.get(f.name)
            if value is None:
                if f.name == "span":
                    kwargs["span"] = Span(self.source, loc.first, loc.end)
                continue
            self.path.append(f.name)
            kwargs[f.name] = self.convert(hints[f.name], value)
            self.path.pop()
        return cls(**kwargs)

    def span(self, loc: Loc) -> Span:
        match = _SPAN.match(str(loc.value))
        if match is None:  # the schema's pattern makes this unreachable
            raise DocumentError(self.source, loc.start, f"span {loc.value!r} is not 'path:line' or 'path:first-last'")
        start = int(match["start"])
        end = int(match["end"] or start)
        if end < start:
            raise DocumentError(self.source, loc.start, f"span {loc.value!r} ends before it starts; write first-last")
        return Span(match["source"], start, end)

    def date(self, loc: Loc) -> PartialDate:
        try:
            date = _fields.iso_date(loc.value)
        except InvalidDate as error:
            raise DocumentError(self.source, loc.start, f"{_where(self.path)}{error}; {_HELP}") from None
        if date is None:  # the schema's pattern makes this unreachable
            raise DocumentError(self.source, loc.start, f"{loc.value!r} is not a date (2020, 2020-09 or 2020-09-29)")
        return date
