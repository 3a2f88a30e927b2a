"""Structured documents (YAML, JSON) as trees that remember their lines.

The structured-format readers (curated YAML, YAML CV data, JSON Resume,
ORCID JSON) need the source lines of every value they turn into a record.
:func:`load_yaml` and :func:`load_json` return a :class:`Loc` tree: each
node holds its plain value (scalar, ``dict[str, Loc]`` or ``list[Loc]``) and
the 1-based lines it spans.  :class:`DocumentBuilder` assembles the
:class:`~scholargraph.records.Document` and makes sure that every non-blank
line is either cited by a record, listed as unmapped, or syntax only.

YAML is composed with :class:`yaml.SafeLoader` only and never constructed
with a loader that could build objects: a tag other than the plain data
tags is refused with its line.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..errors import DocumentError
from ..records import Agent, AgentKind, Document, Record, Span, Unmapped

MAX_DEPTH = 100
"""Deepest nesting of mappings and lists read from a YAML or JSON document."""
MAX_NODES = 2_000_000
"""Most values a JSON document may hold."""
MAX_ALIAS_VALUES = 100_000
"""Most values YAML aliases may repeat (a "billion laughs" document repeats billions)."""

_YAML_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}
_MERGE_TAG = "tag:yaml.org,2002:merge"
# libyaml's safe loader when PyYAML was built with it (several times faster), else the pure-Python one.
_SAFE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Loc:
    """One value of a structured document with the lines it spans (1-based, inclusive).

    ``value`` is a scalar (``str``, ``int``, ``float``, ``bool`` or ``None``),
    a ``dict[str, Loc]`` or a ``list[Loc]``.  ``key_line`` is the line of the
    key that introduced the value in its mapping, if any.
    """

    value: Any
    start: int
    end: int
    key_line: int | None = None

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)

    @property
    def is_scalar(self) -> bool:
        return not isinstance(self.value, (dict, list))

    @property
    def first(self) -> int:
        """The first line of the value, counting its key."""
        return min(self.start, self.key_line) if self.key_line is not None else self.start

    def get(self, key: str) -> Loc | None:
        """The value at ``key`` if this is a mapping that has it."""
        if isinstance(self.value, dict):
            return self.value.get(key)
        return None

    def items(self) -> Iterator[tuple[str, Loc]]:
        if isinstance(self.value, dict):
            yield from self.value.items()

    def entries(self) -> list[Loc]:
        """The items of a list; a lone mapping counts as a list of one."""
        if isinstance(self.value, list):
            return list(self.value)
        if isinstance(self.value, dict):
            return [self]
        return []

    def text(self) -> str | None:
        """A scalar as stripped text (numbers too); None for null, empty or a container."""
        if isinstance(self.value, bool) or self.value is None or not self.is_scalar:
            return None
        out = str(self.value).strip()
        return out or None

    def plain(self) -> Any:
        """The value as plain Python data, without lines."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


def lookup(tree: Loc, path: Iterable[str | int]) -> Loc:
    """The deepest node of ``tree`` along ``path`` (keys and list indexes)."""
    node = tree
    for step in path:
        if isinstance(step, int) and isinstance(node.value, list) and 0 <= step < len(node.value):
            node = node.value[step]
        elif isinstance(step, str) and isinstance(node.value, dict) and step in node.value:
            node = node.value[step]
        else:
            break
    return node


# --- text ---------------------------------------------------------------------


def strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


class LineIndex:
    """Maps character offsets of a text to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)


# --- YAML ---------------------------------------------------------------------


def load_yaml(text: str, source: str) -> Loc | None:
    """The located tree of a YAML document, or None if it holds no document.

    Raises DocumentError for a syntax error, a tag that would construct an
    object, a duplicate key, or a document too deep or too large.
    """
    try:
        node = yaml.compose(strip_bom(text), Loader=_SAFE_LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = min(mark.line + 1, max(1, len(text.splitlines()))) if mark is not None else None
        problem = error.problem or error.context or "malformed YAML"
        raise DocumentError(source, line, f"invalid YAML: {problem}; fix the syntax at this line") from None
    except RecursionError:
        raise DocumentError(
            source, None, f"the YAML is nested too deep to read; flatten it below {MAX_DEPTH} levels"
        ) from None
    except yaml.YAMLError as error:  # a reader error: control characters and the like
        raise DocumentError(source, None, f"invalid YAML: {error}; save the file as plain UTF-8 text") from None
    if node is None:
        return None
    lines = text.splitlines()
    return _YamlWalker(source, lines).walk(node, 0)


class _YamlWalker:
    def __init__(self, source: str, lines: list[str]) -> None:
        self.source = source
        self.lines = lines
        self.seen: set[int] = set()
        self.repeats = 0
        self.constructor = yaml.SafeLoader("")  # used only to construct plain scalars

    def walk(self, node: yaml.Node, depth: int, key_line: int | None = None) -> Loc:
        line = node.start_mark.line + 1
        if id(node) in self.seen:  # reached again through an alias
            self.repeats += 1
            if self.repeats > MAX_ALIAS_VALUES:
                raise DocumentError(
                    self.source, line,
                    f"the YAML's aliases repeat more than {MAX_ALIAS_VALUES} values (an alias bomb?); "
                    "write the data out without nested aliases",
                )
        else:
            self.seen.add(id(node))
        if depth > MAX_DEPTH:
            raise DocumentError(
                self.source, line, f"the YAML is nested more than {MAX_DEPTH} levels deep; flatten it"
            )
        if node.tag not in _YAML_TAGS:
            raise DocumentError(
                self.source, line,
                f"YAML tag {node.tag.replace('tag:yaml.org,2002:', '!!')!r} is refused: "
                "only plain data (strings, numbers, lists, mappings) is read; remove the tag",
            )
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, depth, key_line)
        if isinstance(node, yaml.SequenceNode):
            items = [self.walk(child, depth + 1) for child in node.value]
            end = max([line] + [item.end for item in items])
            return Loc(items, line, end, key_line)
        return Loc(self._scalar(node), line, self._scalar_end(node), key_line)

    def _mapping(self, node: yaml.MappingNode, depth: int, key_line: int | None) -> Loc:
        line = node.start_mark.line + 1
        out: dict[str, Loc] = {}
        merged: dict[str, Loc] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                for source in value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]:
                    merged_loc = self.walk(source, depth + 1)
                    if not merged_loc.is_map:
                        raise DocumentError(
                            self.source, key_node.start_mark.line + 1,
                            "a YAML merge key '<<' must refer to a mapping; fix the alias",
                        )
                    for k, v in merged_loc.items():
                        merged.setdefault(k, v)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise DocumentError(
                    self.source, key_node.start_mark.line + 1,
                    "a mapping key is a list or mapping; keys must be plain text",
                )
            self.walk(key_node, depth + 1)  # checks the key's tag
            key = str(key_node.value)
            klines = key_node.start_mark.line + 1
            if key in out:
                first = out[key].key_line
                raise DocumentError(
                    self.source, klines, f"duplicate key {key!r} (first at line {first}); keep one of them"
                )
            out[key] = self.walk(value_node, depth + 1, klines)
        for k, v in merged.items():
            out.setdefault(k, v)
        end = max([line] + [v.end for v in out.values()] + [v.key_line or 0 for v in out.values()])
        return Loc(out, line, end, key_line)

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"):
            return node.value  # dates stay as written: "2020-09-01"
        try:
            return self.constructor.construct_object(node)
        except (ValueError, yaml.YAMLError):
            return node.value

    def _scalar_end(self, node: yaml.Node) -> int:
        start = node.start_mark.line + 1
        mark = node.end_mark
        end = mark.line + (0 if mark.column == 0 else 1)
        while end > start and _blank_or_comment(self.lines, end):
            end -= 1
        return max(start, end)


def _blank_or_comment(lines: list[str], number: int) -> bool:
    if not 1 <= number <= len(lines):
        return True
    stripped = lines[number - 1].strip()
    return not stripped or stripped.startswith("#")


# --- JSON ---------------------------------------------------------------------


_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")


def load_json(text: str, source: str) -> Loc:
    """The located tree of a JSON document; DocumentError for bad syntax or depth."""
    body = strip_bom(text)
    try:
        json.loads(body)
    except json.JSONDecodeError as error:
        raise DocumentError(
            source, error.lineno, f"invalid JSON: {error.msg} (column {error.colno}); fix the syntax"
        ) from None
    except RecursionError:
        raise DocumentError(source, None, f"the JSON is nested too deep; flatten it below {MAX_DEPTH} levels") from None
    parser = _JsonParser(body, source)
    value, _ = parser.value(_WS.match(body, 0).end(), 0, None)  # type: ignore[union-attr]
    return value


class _JsonParser:
    """Positions for a document already known to be valid JSON."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.index = LineIndex(text)
        self.count = 0

    def skip(self, pos: int) -> int:
        return _WS.match(self.text, pos).end()  # type: ignore[union-attr]

    def value(self, pos: int, depth: int, key_line: int | None) -> tuple[Loc, int]:
        self.count += 1
        line = self.index.line(pos)
        if depth > MAX_DEPTH:
            raise DocumentError(self.source, line, f"the JSON is nested more than {MAX_DEPTH} levels deep; flatten it")
        if self.count > MAX_NODES:
            raise DocumentError(self.source, line, f"the JSON holds more than {MAX_NODES} values; split the document")
        char = self.text[pos]
        if char == "{":
            out: dict[str, Loc] = {}
            pos = self.skip(pos + 1)
            while self.text[pos] != "}":
                kline = self.index.line(pos)
                key, pos = json.decoder.scanstring(self.text, pos + 1)  # type: ignore[attr-defined]
                pos = self.skip(self.skip(pos) + 1)  # the colon
                if key in out:
                    raise DocumentError(
                        self.source, kline,
                        f"duplicate key {key!r} (first at line {out[key].key_line}); keep one of them",
                    )
                out[key], pos = self.value(pos, depth + 1, kline)
                pos = self.skip(pos)
                if self.text[pos] == ",":
                    pos = self.skip(pos + 1)
            return Loc(out, line, self.index.line(pos), key_line), pos + 1
        if char == "[":
            items: list[Loc] = []
            pos = self.skip(pos + 1)
            while self.text[pos] != "]":
                item, pos = self.value(pos, depth + 1, None)
                items.append(item)
                pos = self.skip(pos)
                if self.text[pos] == ",":
                    pos = self.skip(pos + 1)
            return Loc(items, line, self.index.line(pos), key_line), pos + 1
        if char == '"':
            text, end = json.decoder.scanstring(self.text, pos + 1)  # type: ignore[attr-defined]
            return Loc(text, line, self.index.line(end - 1), key_line), end
        for literal, python in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(literal, pos):
                return Loc(python, line, line, key_line), pos + len(literal)
        match = _NUMBER.match(self.text, pos)
        assert match is not None  # the document was validated by json.loads
        number = match.group(0)
        parsed: int | float = float(number) if any(c in number for c in ".eE") else int(number)
        return Loc(parsed, line, line, key_line), match.end()


# --- documents ----------------------------------------------------------------

_JSON_MARKUP = re.compile(r'^(?:[\[\]{},]+|"(?:[^"\\]|\\.)*"\s*:\s*(?:[\[{]\s*(?:[\]}]\s*,?)?|null\s*,?))$')
_YAML_MARKUP = re.compile(
    r"""^(?:\#.*|---|\.\.\.|-|(?:-\s+)?(?:[^\s#'"][^:#]*|"[^"]*"|'[^']*')\s*:\s*(?:~|null|\[\]|\{\}|[|>][-+0-9]*)?\s*(?:\#.*)?)$"""
)


def json_markup(line: str) -> bool:
    """True for a JSON line of syntax only: brackets, commas, a key opening a container."""
    return bool(_JSON_MARKUP.match(line.strip()))


def yaml_markup(line: str) -> bool:
    """True for a YAML line of syntax only: a comment, ``---``, a key with no value on its line."""
    return bool(_YAML_MARKUP.match(line.strip()))


def spans_in(value: Any) -> Iterator[Span]:
    """Every Span inside a record, recursively (depth first, fields in their order)."""
    found: list[Span] = []
    _collect_spans(value, found)
    return iter(found)


# Speed: a document's records hold ~10 values each, mostly strings; recursive
# generators and ``dataclasses.fields`` for every one of them were a tenth of the
# reading time.  Field names are looked up once per class; scalars stop at once.
_SCALARS = (str, int, float, type(None))
_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(cls: type) -> tuple[str, ...] | None:
    try:
        return _FIELD_NAMES[cls]
    except KeyError:
        names = tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) else None
        _FIELD_NAMES[cls] = names
        return names


# What a value of each type is, for _collect_spans: a span, a leaf (a scalar, an enum: no span
# inside), a sequence, or a dataclass (its field names); decided once per type.
_SPAN, _LEAF, _SEQUENCE = "span", "leaf", "sequence"
_KINDS: dict[type, str | tuple[str, ...]] = {}


def _kind(cls: type) -> str | tuple[str, ...]:
    try:
        return _KINDS[cls]
    except KeyError:
        pass
    kind: str | tuple[str, ...]
    if issubclass(cls, Span):
        kind = _SPAN
    elif issubclass(cls, _SCALARS):
        kind = _LEAF
    elif issubclass(cls, (tuple, list)) and not dataclasses.is_dataclass(cls):
        kind = _SEQUENCE
    else:
        names = _field_names(cls)
        kind = _LEAF if names is None else names
    _KINDS[cls] = kind
    return kind


def _collect_spans(value: Any, found: list[Span]) -> None:
    kind = _kind(type(value))
    if kind is _SPAN:
        found.append(value)
    elif kind is _SEQUENCE:
        for item in value:
            if _kind(type(item)) is not _LEAF:  # (a leaf: no call)
                _collect_spans(item, found)
    elif kind is not _LEAF:
        for name in kind:
            if _kind(type(item := getattr(value, name))) is not _LEAF:
                _collect_spans(item, found)


@dataclass
class DocumentBuilder:
    """Collects records and unmapped passages of one document, then accounts for every line."""

    text: str
    source: str
    kind: str
    markup: Callable[[str], bool]
    records: list[Record] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    owner: Agent | None = None
    extra_markup: set[int] = field(default_factory=set)
    interpreted: set[int] = field(default_factory=set)  # read into records whose spans cite another document

    def __post_init__(self) -> None:
        self.lines = self.text.splitlines()

    def syntax(self, loc: Loc) -> None:
        """Count the lines of ``loc`` as syntax only (a schema declaration, API bookkeeping)."""
        self.extra_markup.update(range(loc.first, loc.end + 1))

    def span(self, loc: Loc, whole: bool = True) -> Span:
        """The lines of ``loc`` (with its key); ``whole=False`` for its first line only."""
        start = loc.first
        return Span(self.source, start, loc.end if whole else start)

    def line_text(self, start: int, end: int) -> str:
        return "\n".join(line.strip() for line in self.lines[start - 1 : end]).strip()

    def skip(self, loc: Loc, reason: str) -> None:
        """Report ``loc`` (and its key) as not interpreted, with the reason."""
        span = self.span(loc)
        self.unmapped.append(Unmapped(span, self.line_text(span.start, span.end), reason))

    def skip_span(self, span: Span, reason: str) -> None:
        self.unmapped.append(Unmapped(span, self.line_text(span.start, span.end), reason))

    def leftovers(self, entry: Loc, used: Iterable[str], what: str, ignored: Iterable[str] = ()) -> None:
        """Report the fields of ``entry`` that were neither used nor deliberately ignored."""
        known = set(used) | set(ignored)
        for key, value in entry.items():
            if key in known or value.plain() in (None, "", [], {}):
                continue
            self.skip(value, f"field {key!r} of {what} is not mapped")

    def person(self, name: str, loc: Loc, orcid: str | None = None) -> Agent:
        return Agent(name, AgentKind.PERSON, self.span(loc, whole=False), orcid=orcid)

    def organization(self, name: str, loc: Loc, ror: str | None = None) -> Agent:
        return Agent(name, AgentKind.ORGANIZATION, self.span(loc, whole=False), ror=ror)

    def build(self) -> Document:
        """The Document; every non-blank line not cited nor markup is reported unmapped."""
        covered: set[int] = set()
        for span in spans_in((tuple(self.records), self.owner, tuple(u.span for u in self.unmapped))):
            if span.source == self.source:
                covered.update(range(span.start, span.end + 1))
        markup: list[int] = []
        transcribed = [n for n in sorted(self.interpreted) if n not in covered and 0 < n <= len(self.lines) and self.lines[n - 1].strip()]
        for number, line in enumerate(self.lines, start=1):
            if number in covered or number in self.interpreted or not line.strip():
                continue
            if number in self.extra_markup or self.markup(line):
                markup.append(number)
            else:
                self.unmapped.append(Unmapped(Span.line(self.source, number), line.strip(), "not interpreted"))
        return Document(
            path=self.source,
            kind=self.kind,
            sha256=hashlib.sha256(self.text.encode("utf-8")).hexdigest(),
            line_count=len(self.lines),
            records=tuple(self.records),
            owner=self.owner,
            unmapped=tuple(sorted(self.unmapped, key=lambda u: (u.span.start, u.span.end))),
            markup_lines=tuple(markup),
            transcribed_lines=tuple(transcribed),
        )
