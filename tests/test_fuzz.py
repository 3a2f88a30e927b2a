"""Fuzzing every reader, the date parser and the reference parser with hypothesis.

Property: :func:`scholargraph.readers.read_document` returns a Document or
raises :class:`DocumentError` naming the file (and a line inside it, when it
gives one); never another exception, never more than a few seconds per
document.  The inputs are random documents built from CV-like lines, and the
real samples of ``data/`` and ``tests/data/`` mutated: truncated, sections
swapped, headings emptied, lines of punctuation only, lines repeated, BOMs,
CRLF, NUL bytes, other encodings spliced in, right-to-left and combining
characters.  Ten-thousand-entry documents and megabyte lines are tested
deterministically at the end.

Profiles (registered here, chosen with ``HYPOTHESIS_PROFILE``):

* ``ci`` (default): a short campaign, a few seconds per test;
* ``long``: the campaign of ``bench/README.md`` (thousands of examples per test)::

      HYPOTHESIS_PROFILE=long .venv/bin/pytest -q tests/test_fuzz.py --hypothesis-seed=8
"""

from __future__ import annotations

import calendar
import os
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scholargraph.dates import InvalidDate, parse_date, parse_range
from scholargraph.errors import DocumentError
from scholargraph.readers import read_document
from scholargraph.readers._located import spans_in
from scholargraph.readers.refs import Reference, parse_reference
from scholargraph.readers.text import parse_inline
from scholargraph.records import Document, PartialDate

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted(
    path
    for folder in (ROOT / "data", ROOT / "tests" / "data")
    for path in folder.rglob("*")
    if path.is_file()
    and path.suffix in {".md", ".txt", ".rst", ".yaml", ".yml", ".json", ".bib"}
    and "bad" not in path.relative_to(ROOT).parts
)
SUFFIXES = (".md", ".txt", ".rst", ".yaml", ".yml", ".json", ".bib")
DEADLINE = timedelta(seconds=5)  # "a few seconds per document"

settings.register_profile(
    "ci",
    max_examples=100,
    deadline=DEADLINE,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long",
    max_examples=5000,
    deadline=DEADLINE,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE_NAME = os.environ.get("HYPOTHESIS_PROFILE", "ci")
PROFILE = settings.get_profile(PROFILE_NAME)


def test_there_are_samples_of_every_kind() -> None:
    assert {p.suffix for p in SAMPLES} == set(SUFFIXES)
    assert len(SAMPLES) >= 20


# --------------------------------------------------------------------------- the property


def check_read(data: bytes, suffix: str) -> Document | DocumentError:
    """Read ``data`` as a file with ``suffix``: a Document or a DocumentError about that file, nothing else."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"fuzzed document{suffix}"
        path.write_bytes(data)
        try:
            document = read_document(path, "fuzzed/document" + suffix)
        except DocumentError as error:
            assert error.path == str(path)
            lines = data.count(b"\n") + 2  # a line past the end may name "end of file"
            assert error.line is None or 1 <= error.line <= lines, (error.line, lines)
            assert "\n" not in str(error)
            return error
    assert isinstance(document, Document)
    assert document.path == "fuzzed/document" + suffix
    for unmapped in document.unmapped:
        assert 1 <= unmapped.span.start <= unmapped.span.end
    return document


# --------------------------------------------------------------------------- strategies

HEADINGS = (
    "# Jane Doe", "## Publications", "## Positions", "## Education", "## Teaching", "## Talks",
    "## Expérience professionnelle", "## Enseignement", "## Communications", "Publications", "===========",
    "**Research projects**", "#", "##", "## ", "---", "***",
)
ITEMS = (
    "- Doe, J., & Roe, R. (2020). A title about work. *Journal of Things*, 3(2), 1–20. https://doi.org/10.1234/abc",
    "- 2018–2020 Postdoctoral researcher, University of Nantes",
    "- Sept. 2018 – Aug. 2019: Lecturer, *Université Paris-Saclay*",
    "1. J. Doe. “Quoted title”. In: Proceedings of X, pp. 1-2, 2019.",
    "* 31/12/2020 Talk at the *Workshop on Stuff*, Lyon (with A. Other)",
    "| 2020 | Title | Venue |", "|---|---|---|", "| a | b |", "|",
    "Funders: ANR, CNRS", "Team: Jane Doe (CNRS) — PI", "Acronym: ABC", "Host institution: Inria",
    "@article{key, title = {T}, author = {Doe, Jane}, year = 2020}", "@misc{", "}",
    "cv:", "  name: Jane Doe", "  sections:", "    experience:", "      - company: X", "- title: Y", "  type: map",
    '{"basics": {"name": "Jane"}, "work": [{"name": "X"}]}', '{"orcid-identifier": {"path": "0000"}}', "[", "{",
    "records:", "- record: Work", "  span: cv.md:3",
    ".. title::", "Jane Doe", "========", ":Date: 2020", "* item",
    "2020", "2020–2019", "31/02/2020", "depuis 2019", "30 février 2021", "Jan. 2020 - Present",
)
WEIRD = (
    "\ufeff", "\r\n", "\r", "\x00", "\u200f", "\u202e", "\u0301", "\u0327", "\u2028", "\u2029", "\x85",
    "\x0b", "\x0c", "\u00a0", "\t", "\\", '"', "'", "<", ">", "{", "}", "#", "*", "_", "`", "|", "[", "]",
    "مرحبا", "שלום", "é", "e\u0301", "ﬁ", "𝔘", "😀", "\ud7ff", "\ufffd",
)
line_strategy = st.one_of(
    st.sampled_from(HEADINGS),
    st.sampled_from(ITEMS),
    st.text(max_size=80),
    st.text(alphabet=st.sampled_from("-*_=#|:.,;!?()[]{}<>\"'`~ "), max_size=40),  # only punctuation
    st.lists(st.sampled_from(WEIRD + ITEMS[:6]), max_size=8).map("".join),
)
documents = st.lists(line_strategy, max_size=40).map("\n".join)
encodings = st.sampled_from(("utf-8", "utf-8-sig", "latin-1", "utf-16", "cp1252"))


@st.composite
def encoded(draw: st.DrawFn, texts: st.SearchStrategy[str]) -> bytes:
    text = draw(texts)
    encoding = draw(st.sampled_from(("utf-8",) * 6 + ("utf-8-sig", "latin-1", "utf-16", "cp1252")))
    return text.encode(encoding, errors="replace")


def _truncate(data: bytes, draw: st.DrawFn) -> bytes:
    return data[: draw(st.integers(0, len(data)))]


def _blocks(data: bytes) -> list[bytes]:
    return data.split(b"\n\n")


def _swap_sections(data: bytes, draw: st.DrawFn) -> bytes:
    blocks = _blocks(data)
    if len(blocks) < 2:
        return data
    i, j = draw(st.integers(0, len(blocks) - 1)), draw(st.integers(0, len(blocks) - 1))
    blocks[i], blocks[j] = blocks[j], blocks[i]
    return b"\n\n".join(blocks)


def _drop_section(data: bytes, draw: st.DrawFn) -> bytes:
    blocks = _blocks(data)
    del blocks[draw(st.integers(0, len(blocks) - 1))]
    return b"\n\n".join(blocks)


def _empty_headings(data: bytes, draw: st.DrawFn) -> bytes:
    return b"\n".join(
        line.split(b" ", 1)[0] if line.lstrip().startswith((b"#", b"=", b"-")) else line for line in data.split(b"\n")
    )


def _on_a_line(data: bytes, draw: st.DrawFn, replace: Callable[[bytes], bytes]) -> bytes:
    lines = data.split(b"\n")
    i = draw(st.integers(0, len(lines) - 1))
    lines[i] = replace(lines[i])
    return b"\n".join(lines)


def _punctuation_line(data: bytes, draw: st.DrawFn) -> bytes:
    junk = draw(st.text(alphabet=st.sampled_from("-*_=#|:.,;!?()[]{}<>\"'`~ &%@"), min_size=1, max_size=30))
    return _on_a_line(data, draw, lambda _: junk.encode())


def _repeat_line(data: bytes, draw: st.DrawFn) -> bytes:
    times = draw(st.integers(2, 300))
    return _on_a_line(data, draw, lambda line: b"\n".join([line] * times))


def _insert(data: bytes, draw: st.DrawFn) -> bytes:
    piece = draw(st.one_of(st.sampled_from(WEIRD).map(str.encode), encoded(st.text(max_size=20)), st.binary(max_size=8)))
    at = draw(st.integers(0, len(data)))
    return data[:at] + piece + data[at:]


def _crlf(data: bytes, draw: st.DrawFn) -> bytes:
    return data.replace(b"\n", draw(st.sampled_from((b"\r\n", b"\r", b"\n\r", "\u2028".encode()))))


def _bom(data: bytes, draw: st.DrawFn) -> bytes:
    return draw(st.sampled_from((b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))) + data


def _reencode(data: bytes, draw: st.DrawFn) -> bytes:
    """Part of the document in another encoding (mixed encodings)."""
    at = draw(st.integers(0, len(data)))
    tail = data[at:].decode("utf-8", errors="ignore")
    return data[:at] + tail.encode(draw(st.sampled_from(("latin-1", "cp1252", "utf-16-le"))), errors="replace")


def _rtl_and_combining(data: bytes, draw: st.DrawFn) -> bytes:
    marks = draw(st.sampled_from(("\u202e", "\u200f", "\u0301\u0301\u0301", "\u0627\u0644", "\u05e9", "\u2066")))
    return _on_a_line(data, draw, lambda line: marks.encode() + line + marks.encode())


def _indent(data: bytes, draw: st.DrawFn) -> bytes:
    prefix = draw(st.sampled_from((b" ", b"\t", b"  - ", b"> ", b"| ")))
    return _on_a_line(data, draw, lambda line: prefix + line)


MUTATIONS = (
    _truncate, _swap_sections, _drop_section, _empty_headings, _punctuation_line, _repeat_line,
    _insert, _crlf, _bom, _reencode, _rtl_and_combining, _indent,
)


@st.composite
def mutated_sample(draw: st.DrawFn) -> tuple[bytes, str]:
    sample = draw(st.sampled_from(SAMPLES))
    data = sample.read_bytes()
    for mutation in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=4)):
        data = mutation(data, draw)
    suffix = draw(st.one_of(st.just(sample.suffix), st.sampled_from(SUFFIXES)))
    # The deadline holds per document of up to 500 kB: the text readers run at 3-6 µs a byte, so a
    # 1 MB CV of 12,000 entries takes ~6 s (see bench/README.md); big documents are timed below.
    return data[:500_000], suffix


# --------------------------------------------------------------------------- readers


@PROFILE
@given(data=encoded(documents), suffix=st.sampled_from(SUFFIXES))
@example(data=b"", suffix=".md")
@example(data=b"cv:\n\xc2\x80", suffix=".yaml")  # found by the long campaign: a multi-line YAML error
@example(data=b"\xef\xbb\xbf# Jane Doe\r\n\r\n## Publications\r\n\r\n- x\r\n", suffix=".md")
@example(data="# \u202eeoD enaJ\n\n## Positions\n\n- 2020 e\u0301tudiant, Universit\u00e9\n".encode(), suffix=".md")
def test_random_documents(data: bytes, suffix: str) -> None:
    check_read(data, suffix)


@PROFILE
@given(case=mutated_sample())
def test_mutated_samples(case: tuple[bytes, str]) -> None:
    check_read(*case)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_samples_themselves(sample: Path) -> None:
    started = time.perf_counter()
    check_read(sample.read_bytes(), sample.suffix)
    assert time.perf_counter() - started < 5


# --------------------------------------------------------------------------- parsers


def _valid(date: PartialDate | None) -> None:
    if date is None:
        return
    assert 1 <= date.year <= 9999
    if date.month is not None:
        assert 1 <= date.month <= 12
    if date.day is not None:
        assert date.month is not None and 1 <= date.day <= calendar.monthrange(date.year, date.month)[1]


DATE_WORDS = (
    "2020", "1999", "0000", "31", "02", "/", "-", "–", "—", "to", "au", "depuis", "since", "present", "aujourd'hui",
    "janvier", "février", "Jan.", "Sept.", "December", "déc.", " ", "\u00a0", "12/2020", "31/02/2020", "2020-13",
    "2014-16", "1er", "mars", "2021", "en cours", "ongoing", "now", ".", ",", "(", ")",
)
date_texts = st.one_of(st.text(max_size=40), st.lists(st.sampled_from(DATE_WORDS), max_size=8).map(" ".join))


@PROFILE
@given(text=date_texts)
@example(text="31/02/2020")
@example(text="2020–2019")
def test_dates(text: str) -> None:
    try:
        _valid(parse_date(text))
    except InvalidDate as error:
        assert str(error)
    try:
        found = parse_range(text)
    except InvalidDate as error:
        assert str(error)
        return
    if found is not None:
        _valid(found.start)
        _valid(found.end)


REF_WORDS = (
    "Doe, J.", "& Roe, R.", "(2020).", "(dir.)", "(eds.)", "*Title*", "**Bold**", "“Quoted”", "«", "»", "In:",
    "pp. 1–2", "vol. 64, n° 2", "3(2),", "https://doi.org/10.1/x", "<hal-01234567>", "[", "]", "_", "*", ".", ",",
    "et al.", "H. R. Whitfield", "Le Ludec, C.", "Paris:", "Publisher.", "\\", "`code`", "<b>", "</i>", "&amp;",
)
ref_texts = st.one_of(st.text(max_size=120), st.lists(st.sampled_from(REF_WORDS), max_size=16).map(" ".join))


@PROFILE
@given(text=ref_texts)
def test_references(text: str) -> None:
    reference = parse_reference(parse_inline(text))
    assert isinstance(reference, Reference)


# --------------------------------------------------------------------------- big documents, deterministically


def _timed_read(data: bytes, suffix: str, seconds: float) -> Document | DocumentError:
    started = time.perf_counter()
    outcome = check_read(data, suffix)
    elapsed = time.perf_counter() - started
    assert elapsed < seconds, f"{elapsed:.1f} s"
    return outcome


# Entries in the big documents: 10,000 in the long campaign, fewer in CI (the readers are linear,
# and a 10,000-entry BibTeX file alone takes ~18 s; see bench/README.md).
N = 10_000 if PROFILE_NAME == "long" else 1_000
BIG_SECONDS = 30.0 if PROFILE_NAME == "long" else 5.0
BIG: dict[str, tuple[str, bytes]] = {
    "markdown references": (
        ".md",
        ("# Jane Doe\n\n## Publications\n\n" + "".join(
            f"- Doe, J. ({1990 + i % 30}). Title number {i}. *Journal {i % 7}*, 3(2), 1-2.\n" for i in range(N)
        )).encode(),
    ),
    "markdown positions": (
        ".md",
        ("# Jane Doe\n\n## Positions\n\n" + "".join(f"- {1990 + i % 30} Researcher {i}, University {i % 50}\n" for i in range(N))).encode(),
    ),
    "project team": (
        ".txt",
        ("Acronym: BIG\nFunders: ANR\nTeam:\n" + "".join(f"- Person {i} (Lab {i % 9}) — member\n" for i in range(N))).encode(),
    ),
    "bibtex": (
        ".bib",
        "".join(f"@article{{k{i},\n  author = {{Doe, Jane}},\n  title = {{T {i}}},\n  journal = {{J}},\n  year = {{2020}}\n}}\n" for i in range(N)).encode(),
    ),
    "json resume": (
        ".json",
        ('{"basics": {"name": "Jane Doe"}, "work": [' + ",".join(
            f'{{"name": "Org {i}", "position": "P {i}", "startDate": "2020-01"}}' for i in range(N)) + "]}").encode(),
    ),
    "yaml cv": (
        ".yaml",
        ("cv:\n  name: Jane Doe\n  sections:\n    experience:\n" + "".join(
            f"      - company: Org {i}\n        position: P {i}\n        start_date: 2020-01\n" for i in range(N))).encode(),
    ),
}


@pytest.mark.parametrize("name", sorted(BIG))
def test_many_entries(name: str) -> None:
    suffix, data = BIG[name]
    outcome = _timed_read(data, suffix, BIG_SECONDS)
    assert isinstance(outcome, Document), outcome
    # Nothing lost: every entry's line is cited by a record or reported unmapped.
    cited = {line for span in spans_in(outcome.records) for line in range(span.start, span.end + 1)}
    cited |= {line for u in outcome.unmapped for line in range(u.span.start, u.span.end + 1)}
    entry_lines = [n for n, line in enumerate(data.decode().splitlines(), start=1) if str(N - 1) in line]
    assert entry_lines and set(entry_lines) <= cited


LONG = ("Doe, J. (2020). a, " * 55_000)[:1_000_000]
MEGABYTE_LINES: dict[str, tuple[str, str]] = {
    "markdown": (".md", f"# Jane Doe\n\n## Publications\n\n- {LONG}\n"),
    "project": (".txt", f"Acronym: BIG\nFunders: ANR\nDescription: {LONG}\n"),
    "rst": (".rst", f"Jane Doe\n========\n\nPublications\n------------\n\n* {LONG}\n"),
    "yaml": (".yaml", f"cv:\n  name: Jane Doe\n  summary: {LONG}\n"),
    "bibtex": (".bib", f"@article{{k,\n  author = {{Doe, Jane}},\n  title = {{{LONG}}},\n  year = 2020\n}}\n"),
}


@pytest.mark.parametrize("name", sorted(MEGABYTE_LINES))
def test_megabyte_line_is_refused(name: str) -> None:
    suffix, text = MEGABYTE_LINES[name]
    outcome = _timed_read(text.encode(), suffix, 5)
    assert isinstance(outcome, DocumentError)
    line = 1 + next(n for n, line in enumerate(text.splitlines()) if len(line) > 1_000_000)
    assert (outcome.line, outcome.message) == (
        line,
        f"the line is {len(text.splitlines()[line - 1])} characters long, over the limit of 10000; "
        "break it into shorter lines, or raise [limits] line_length in scholargraph.toml",
    )


def test_megabyte_line_in_json_is_read() -> None:
    """JSON is exempt from the line limit (exports are one line); a 1 MB string is read in time."""
    text = '{"basics": {"name": "Jane Doe", "summary": "%s"}, "work": []}' % LONG
    outcome = _timed_read(text.encode(), ".json", 5)
    assert isinstance(outcome, Document)
    assert outcome.kind == "json-resume"
