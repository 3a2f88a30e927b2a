"""Hostile and broken documents (``tests/data/bad/``): the exact one-line message for each.

Each file is read by :func:`scholargraph.readers.read_document` and built by
``scholargraph build DIR`` on the command line: the library raises
:class:`DocumentError` with the file and the line, the command exits with
status 2 and prints that one line, never a traceback.  The limits of the
``[limits]`` settings table are tested here too.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from scholargraph.cli import main
from scholargraph.config import Limits, load_settings
from scholargraph.errors import ConfigError, DocumentError
from scholargraph.readers import json_depth, read_document, yaml_depth
from scholargraph.records import Role

BAD = Path(__file__).parent / "data" / "bad"
KINDS = "records-yaml, bibtex, json-resume, orcid, yaml-cv, project-page, rst-cv, markdown-cv"
RAISE = "or raise [limits] {} in scholargraph.toml"

# file → (line, message) of the DocumentError
EXPECTED: dict[str, tuple[int | None, str]] = {
    "not-utf8.md": (1, "not UTF-8 text; re-save the file as UTF-8"),
    "utf16.md": (1, "UTF-16 text; re-save the file as UTF-8"),
    "binary.md": (3, "binary data (NUL byte): not a text document"),
    "control-chars.md": (5, "control character U+001B: not plain text; remove it"),
    "empty.md": (None, "the file is empty; write the document or remove the file"),
    "alias-bomb.yaml": (
        4,
        "the YAML's aliases repeat more than 100000 values (an alias bomb?); write the data out without nested aliases",
    ),
    "object-tag.yaml": (
        2,
        "YAML tag '!!python/object/apply:os.system' is refused: only plain data "
        "(strings, numbers, lists, mappings) is read; remove the tag",
    ),
    "deep.yaml": (52, "nested more than 50 levels deep; flatten it, " + RAISE.format("nesting_depth")),
    "deep-flow.yaml": (4, "nested more than 50 levels deep; flatten it, " + RAISE.format("nesting_depth")),
    "deep.json": (3, "nested more than 50 levels deep; flatten it, " + RAISE.format("nesting_depth")),
    "unbalanced.bib": (
        1,
        "cannot parse '@article{doe2020': Unexpectedly reached end of file; "
        "check that every { has its } and every field ends with a comma",
    ),
    "date-february-31.md": (5, "'31/02/2020' is not a calendar date (February has 29 days); correct the date"),
    "date-reversed.md": (5, "'2020–2019' ends before it starts; correct the date"),
}


def test_every_bad_file_has_an_expectation() -> None:
    assert sorted(p.name for p in BAD.iterdir()) == sorted([*EXPECTED, "ragged-table.md"])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_message(name: str) -> None:
    path = BAD / name
    line, message = EXPECTED[name]
    started = time.perf_counter()
    with pytest.raises(DocumentError) as caught:
        read_document(path)
    assert time.perf_counter() - started < 5
    error = caught.value
    assert (error.path, error.line, error.message) == (str(path), line, message)
    where = f"{path}:{line}" if line is not None else str(path)
    assert str(error) == f"{where}: {message}"
    assert "\n" not in str(error)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_on_the_command_line(name: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(BAD / name, data / name)
    result = CliRunner().invoke(main, ["build", str(data), "--out", str(tmp_path / "out")])
    line, message = EXPECTED[name]
    where = f"{data / name}:{line}" if line is not None else str(data / name)
    assert result.exit_code == 2
    # One line of text (the progress bar, transient, leaves an empty line: see the test below).
    assert [line for line in result.stderr.splitlines() if line.strip()] == [f"error: {where}: {message}"]
    assert "Traceback" not in result.output
    assert not (tmp_path / "out" / "graph.ttl").exists()


def test_command_line_error_is_exactly_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(BAD / "empty.md", data / "empty.md")
    result = CliRunner().invoke(main, ["build", str(data), "--out", str(tmp_path / "out")])
    assert result.stderr == f"error: {data / 'empty.md'}: the file is empty; write the document or remove the file\n"


def test_object_tag_constructs_nothing(tmp_path: Path) -> None:
    marker = Path("/tmp/scholargraph-pwned")
    marker.unlink(missing_ok=True)
    with pytest.raises(DocumentError):
        read_document(BAD / "object-tag.yaml")
    assert not marker.exists()


def test_unknown_kind_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_text('{"hello": "world"}\n', encoding="utf-8")
    with pytest.raises(DocumentError) as caught:
        read_document(path)
    assert str(caught.value) == f"{path}: unknown kind of document; force one with --kind ({KINDS})"


def test_ragged_table_rows_lose_nothing() -> None:
    document = read_document(BAD / "ragged-table.md")
    unmapped = {line for u in document.unmapped for line in range(u.span.start, u.span.end + 1)}
    roles = {r.span.start: r for r in document.records if isinstance(r, Role)}
    # The short row: a role without an institution.
    assert roles[7].role_name == "Postdoctoral researcher"
    assert roles[7].organization is None
    # The long row: the institution is kept (or the row is reported), never replaced by the last cell.
    assert 8 in unmapped or (roles[8].organization is not None and roles[8].organization.name == "University of Nantes")
    assert roles[8].description == "Nantes, France"
    # The row holding only a date is not a position named after it.
    assert 9 in unmapped or roles[9].role_name != "2023"


# --------------------------------------------------------------------------- limits


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


CV = "# Jane Doe\n\n## Positions\n\n- 2020 Researcher, University of Nantes\n"


def test_size_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "cv.md", CV)
    size = len(CV.encode())
    with pytest.raises(DocumentError) as caught:
        read_document(path, limits=Limits(document_bytes=size - 1))
    assert str(caught.value) == (
        f"{path}: the file is {size} bytes, over the limit of {size - 1} bytes; split it, "
        + RAISE.format("document_bytes")
    )
    assert len(read_document(path, limits=Limits(document_bytes=size)).records) == 1


def test_default_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(CV)
        handle.write(("x" * 99 + "\n") * 50_000)
    size = path.stat().st_size
    with pytest.raises(DocumentError) as caught:
        read_document(path)
    assert caught.value.message == (
        f"the file is {size} bytes, over the limit of 5000000 bytes; split it, " + RAISE.format("document_bytes")
    )


def test_line_length_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "cv.md", CV + "\n" + "word " * 2001 + "\n")
    with pytest.raises(DocumentError) as caught:
        read_document(path)
    assert str(caught.value) == (
        f"{path}:7: the line is 10005 characters long, over the limit of 10000; break it into shorter lines, "
        + RAISE.format("line_length")
    )
    assert read_document(path, limits=Limits(line_length=10_005)).records


def test_a_one_line_json_is_not_a_long_line(tmp_path: Path) -> None:
    skills = ", ".join(f'{{"name": "skill {i}"}}' for i in range(1000))
    path = write(tmp_path, "resume.json", f'{{"basics": {{"name": "Jane Doe"}}, "skills": [{skills}]}}')
    assert len(path.read_text()) > 10_000
    document = read_document(path)
    assert document.kind == "json-resume"


def test_entries_limit(tmp_path: Path) -> None:
    items = "".join(f"- {2000 + i % 20} Researcher number {i}, University of Nantes\n" for i in range(30))
    path = write(tmp_path, "cv.md", "# Jane Doe\n\n## Positions\n\n" + items)
    assert len(read_document(path).records) == 30
    with pytest.raises(DocumentError) as caught:
        read_document(path, limits=Limits(entries=29))
    assert str(caught.value) == (
        f"{path}: 30 entries, over the limit of 29 per document; split the document, " + RAISE.format("entries")
    )


def test_nesting_limit_is_configurable(tmp_path: Path) -> None:
    path = write(tmp_path, "cv.yaml", "cv:\n  name: Jane Doe\n  sections:\n    extra: [[[[x]]]]\n")
    assert read_document(path).kind == "yaml-cv"
    with pytest.raises(DocumentError) as caught:
        read_document(path, limits=Limits(nesting_depth=5))
    assert str(caught.value) == (
        f"{path}:4: nested more than 5 levels deep; flatten it, " + RAISE.format("nesting_depth")
    )


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("a: 1\n", 1),
        ("a: [[[1]]]\n", 4),
        ("- - - - x\n", 4),
        ("a:\n- b:\n  - c:\n    - d: 1\n", 7),
        ("a: |\n  b:\n    c:\n      d:\n", 1),
        ("a: {b: [c, {d: e}]}\n", 4),
        ("a: [\n [\n  [1]\n ]\n]\n", 4),
        ("a: 'x [[['\n", 1),
        ("a: \"x {{{\" # [[[\n", 1),
        ("a:\n  b:\n    c: 1\n  d: 2\ne: 3\n", 3),
    ],
)
def test_yaml_depth(text: str, depth: int) -> None:
    assert yaml_depth(text, 100) == (depth, None)


@pytest.mark.parametrize(
    ("text", "depth"),
    [('{"a": 1}', 1), ('{"a": "[[[{{{"}', 1), ('[[[], [[]]], {"a": {"b": [1]}}]', 4), ('"\\"[["', 0)],
)
def test_json_depth(text: str, depth: int) -> None:
    assert json_depth(text, 100) == (depth, None)


def test_limits_from_the_settings_file(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "scholargraph.toml",
        "[limits]\ndocument_bytes = 1000\nentries = 20\nnesting_depth = 8\nline_length = 300\n",
    )
    assert load_settings(config).limits == Limits(document_bytes=1000, entries=20, nesting_depth=8, line_length=300)
    assert load_settings(write(tmp_path, "empty.toml", "")).limits == Limits()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("entries = 0", "[limits] entries must be a positive whole number, not 0"),
        ("entries = true", "[limits] entries must be a positive whole number, not True"),
        ('line_length = "10"', "[limits] line_length must be a positive whole number, not '10'"),
        ("depth = 3", "unknown key 'depth' in [limits]; known: document_bytes, entries, nesting_depth, line_length"),
    ],
)
def test_bad_limits_in_the_settings_file(tmp_path: Path, line: str, message: str) -> None:
    config = write(tmp_path, "scholargraph.toml", f"[limits]\n{line}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value) == f"{config}: {message}"


def test_limits_refuse_nonsense() -> None:
    with pytest.raises(ConfigError, match=r"^\[limits\] entries must be a positive whole number, not -1$"):
        Limits(entries=-1)


def test_c1_control_character(tmp_path: Path) -> None:
    """Found by the fuzzing campaign: PyYAML's message for it spanned two lines."""
    path = tmp_path / "cv.yaml"
    path.write_bytes(b"cv:\n\xc2\x80")
    with pytest.raises(DocumentError) as caught:
        read_document(path)
    assert str(caught.value) == f"{path}:2: control character U+0080: not plain text; remove it"
