"""Document readers: one module per kind of document, each turning text into records.

Each reader module has ``KIND``, ``sniff(path, text) -> bool`` and
``read(text, source) -> Document``.  :func:`read_document` picks the reader
(or takes the one forced with ``kind``), reads the file safely and returns the
records.  No rdflib here.

Reading is bounded by :class:`~scholargraph.config.Limits` (the ``[limits]``
table of the settings), checked here, around the readers:

* before decoding: the size of the file;
* before reading: text only (no NUL byte, no control characters, UTF-8, not
  empty), the longest line (except for JSON), and the nesting depth of YAML and
  JSON, measured by a linear scan of brackets and indentation (PyYAML's C
  composer crashes the interpreter on documents nested a few ten thousand
  levels deep, so this must happen before parsing);
* after reading: the number of entries (records).

Whatever a reader raises that is not a :class:`~scholargraph.errors.DocumentError`
is a bug in that reader; it is reported as a DocumentError naming the file and
the exception type, so that a build stops with one line instead of a traceback.
"""

from __future__ import annotations

import codecs
import importlib
import re
from pathlib import Path
from types import ModuleType

from ..config import Limits
from ..errors import DocumentError
from ..records import Document

# Order matters: the first reader whose sniff() accepts a document reads it.
_READER_MODULES = (
    "records_yaml",
    "bibtex",
    "jsonresume",
    "orcid",
    "yamlcv",
    "project",
    "rst",
    "markdown",
)
_JSON_KINDS = frozenset({"json-resume", "orcid"})
_YAML_KINDS = frozenset({"records-yaml", "yaml-cv"})
MAX_BYTES = Limits().document_bytes
"""The default size limit (kept for callers of the first version of this module)."""

_HOW_TO_RAISE = "or raise [limits] {key} in scholargraph.toml"
_UTF16_32_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
# Control characters that no text document holds: C0 but tab, newlines, vertical
# tab and form feed (NUL is reported as binary data), DEL, and C1 (U+0080-U+009F,
# the trace of text decoded as Latin-1 and saved again as UTF-8).
_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f-\x9f]")


def _readers() -> list[ModuleType]:
    found = []
    for name in _READER_MODULES:
        try:
            found.append(importlib.import_module(f"{__name__}.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    return found


def kinds() -> list[str]:
    """The document kinds that can be forced with ``--kind``."""
    return [module.KIND for module in _readers()]


def _line_at(data: bytes | str, offset: int) -> int:
    newline: bytes | str = b"\n" if isinstance(data, bytes) else "\n"
    return data.count(newline, 0, offset) + 1  # type: ignore[arg-type]


def decode(path: Path, limits: Limits | None = None) -> str:
    """The text of ``path`` as UTF-8, or a DocumentError that says what to do."""
    limits = limits or Limits()
    try:
        size = path.stat().st_size
        if size > limits.document_bytes:
            raise DocumentError(path, None, _over_size(size, limits))
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(path, None, f"cannot read the file ({exc.strerror})") from None
    if len(data) > limits.document_bytes:  # the file grew while it was read
        raise DocumentError(path, None, _over_size(len(data), limits))
    for bom, encoding in _UTF16_32_BOMS:
        if data.startswith(bom):
            raise DocumentError(path, 1, f"{encoding} text; re-save the file as UTF-8")
    if b"\x00" in data:
        line = _line_at(data, data.index(b"\x00"))
        raise DocumentError(path, line, "binary data (NUL byte): not a text document")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(path, _line_at(data, exc.start), "not UTF-8 text; re-save the file as UTF-8") from None
    control = _CONTROL.search(text)
    if control is not None:
        raise DocumentError(
            path,
            _line_at(text, control.start()),
            f"control character U+{ord(control.group()):04X}: not plain text; remove it",
        )
    return text


def _over_size(size: int, limits: Limits) -> str:
    return (
        f"the file is {size} bytes, over the limit of {limits.document_bytes} bytes; split it, "
        + _HOW_TO_RAISE.format(key="document_bytes")
    )


def detect(path: Path, text: str) -> ModuleType:
    for module in _readers():
        if _guarded(path, lambda: module.sniff(path, text)):
            return module
    raise DocumentError(path, None, f"unknown kind of document; force one with --kind ({', '.join(kinds())})")


def _guarded(path: Path, call):  # type: ignore[no-untyped-def]
    """``call()``, its DocumentError naming ``path``; any other exception (a reader's bug) becomes one."""
    try:
        return call()
    except DocumentError as exc:  # name the file as the user knows it, in one line
        raise type(exc)(path, exc.line, " ".join(exc.message.split())) from None
    except Exception as exc:  # noqa: BLE001 - any other exception is a reader's bug, reported as such
        raise DocumentError(
            path, None, f"could not read this document (internal error: {type(exc).__name__}); please report it"
        ) from exc


def read_document(
    path: Path, source: str | None = None, kind: str | None = None, *, limits: Limits | None = None
) -> Document:
    """Read one document; ``source`` is how provenance names it (default: the path).

    ``limits`` bound what is read (default: :class:`~scholargraph.config.Limits`).
    Raises :class:`DocumentError` (with the file, and the line where known) and
    nothing else.
    """
    limits = limits or Limits()
    text = decode(path, limits)
    if not text.strip():
        raise DocumentError(path, None, "the file is empty; write the document or remove the file")
    if kind is not None:
        by_kind = {module.KIND: module for module in _readers()}
        if kind not in by_kind:
            raise DocumentError(path, None, f"unknown kind {kind!r}; choose one of {', '.join(by_kind)}")
        module = by_kind[kind]
    else:
        module = detect(path, text)
    check_text(path, text, module.KIND, limits)
    document: Document = _guarded(path, lambda: module.read(text, source or str(path)))
    entries = len(document.records)
    if entries > limits.entries:
        raise DocumentError(
            path,
            None,
            f"{entries} entries, over the limit of {limits.entries} per document; split the document, "
            + _HOW_TO_RAISE.format(key="entries"),
        )
    return document


# --------------------------------------------------------------------------- limits before reading


def check_text(path: Path, text: str, kind: str, limits: Limits) -> None:
    """Raise DocumentError if ``text`` has (YAML/JSON) nesting or a line over ``limits``."""
    depth, line = 0, None
    if kind in _JSON_KINDS:
        depth, line = json_depth(text, limits.nesting_depth)
    elif kind in _YAML_KINDS:
        depth, line = yaml_depth(text, limits.nesting_depth)
    if depth > limits.nesting_depth:
        raise DocumentError(
            path,
            line,
            f"nested more than {limits.nesting_depth} levels deep; flatten it, "
            + _HOW_TO_RAISE.format(key="nesting_depth"),
        )
    if kind not in _JSON_KINDS:
        number, length = longest_line(text)
        if length > limits.line_length:
            raise DocumentError(
                path,
                number,
                f"the line is {length} characters long, over the limit of {limits.line_length}; "
                "break it into shorter lines, " + _HOW_TO_RAISE.format(key="line_length"),
            )


def longest_line(text: str) -> tuple[int, int]:
    """``(line number, length)`` of the longest line (the first of equals), counted as ``splitlines`` does."""
    best_number, best_length = 1, 0
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > best_length:
            best_number, best_length = number, len(line)
    return best_number, best_length


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


def json_depth(text: str, stop: int) -> tuple[int, int | None]:
    """The deepest nesting of JSON arrays and objects, and the line where it passes ``stop``.

    A linear scan that skips strings; brackets of invalid JSON count as they
    come (the parser reports the syntax error afterwards).
    """
    depth = deepest = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop:
                    return deepest, _line_at(text, match.start())
        elif token in "]}":
            depth = max(0, depth - 1)
    return deepest, None


_YAML_SEQ = re.compile(r"-(?:[ \t]+|$)")
_YAML_KEY = re.compile(r"""(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|\?|[^\s#'"\[\]{},&*!|>%@`-][^#]*?|-[^\s#][^#]*?)[ \t]*:(?:[ \t]+|$)""")
_YAML_PROPS = re.compile(r"(?:[&!][^\s]*[ \t]+)+")
_YAML_BLOCK_SCALAR = re.compile(r"[|>][-+0-9]*[ \t]*(?:#.*)?$")
_FLOW_TOKEN = re.compile(r""""(?:[^"\\]|\\.)*"?|'(?:[^']|'')*'?|[\[\]{}]|(?:^|[ \t])#.*""")


def yaml_depth(text: str, stop: int) -> tuple[int, int | None]:
    """An estimate (from above, within a level) of how deep a YAML document nests.

    Block collections are followed by their indentation (a stack of the
    columns of open mappings and sequences, ``- - x`` counting twice), flow
    collections by their brackets outside quotes; block scalars are skipped.
    Linear in the size of the text, and it never parses, so a document
    nested deep enough to crash a parser is refused first.
    """
    stack: list[tuple[int, str]] = []  # (column, "map" | "seq") of the open block collections
    flow = 0
    deepest = 0
    scalar_indent: int | None = None  # inside a block scalar whose parent is at this column
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip(" ")
        column = len(line) - len(stripped)
        if scalar_indent is not None:
            if not stripped.strip() or column > scalar_indent:
                continue
            scalar_indent = None
        if flow:
            flow, line_deepest = _flow_scan(stripped, flow)
        else:
            if not stripped.strip() or stripped.startswith(("#", "---", "...", "%")):
                continue
            rest, position = stripped, column
            while True:
                seq = _YAML_SEQ.match(rest)
                if seq is not None:
                    _open(stack, position, "seq")
                elif (key := _YAML_KEY.match(rest)) is not None:
                    _open(stack, position, "map")
                elif (props := _YAML_PROPS.match(rest)) is None:
                    break
                step = (seq or key or props).end()  # type: ignore[union-attr]
                position += step
                rest = rest[step:]
            line_deepest = 0
            if _YAML_BLOCK_SCALAR.match(rest.strip()):
                scalar_indent = stack[-1][0] if stack else -1
            elif rest.startswith(("[", "{")):
                flow, line_deepest = _flow_scan(rest, 0)
        deepest = max(deepest, len(stack) + line_deepest)
        if deepest > stop:
            return deepest, number
    return deepest, None


def _open(stack: list[tuple[int, str]], column: int, kind: str) -> None:
    """A block collection of ``kind`` continues or starts at ``column``."""
    while stack and stack[-1][0] > column:
        stack.pop()
    if stack and stack[-1] == (column, "seq") and kind == "map":
        stack.pop()  # a key at the column of a sequence's dashes: the sequence has ended
    if stack and stack[-1] == (column, kind):
        return
    stack.append((column, kind))  # deeper, or a sequence at its parent key's column


def _flow_scan(text: str, depth: int) -> tuple[int, int]:
    """The flow depth after ``text`` and the deepest within it (brackets outside quotes and comments)."""
    deepest = depth
    for match in _FLOW_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth = max(0, depth - 1)
    return depth, deepest
