"""BibTeX publication lists (``.bib``), read with bibtexparser v2.

Each entry becomes one :class:`~scholargraph.records.Work` whose span is the
entry's lines; its authors keep their order and carry the line of the
``author`` field.  bibtexparser's ``SeparateCoAuthors`` splits the
``and``-separated names and ``LatexDecodingMiddleware`` decodes accents and
braces in every other field; names are split into parts with bibtexparser's
``parse_single_name_into_parts`` and decoded here, so that an author written
in braces (``{Conseil national du numérique}``) is kept as an organisation.

Entry types: ``article`` → JournalArticle; ``inproceedings``/``conference``
→ ConferencePaper (``booktitle``/``eventtitle`` is the event); ``techreport``/
``report`` → ReportDocument; ``book`` → Book; ``incollection``/``inbook`` →
BookChapter (``booktitle`` is the venue); ``phdthesis`` → DoctoralThesis;
``mastersthesis`` → MastersThesis; ``thesis`` by its ``type``;
``misc``/``unpublished`` → Expression, or Presentation when ``howpublished``
(or ``type``) says it was a talk.  Any other type is read as an Expression and
noted as unmapped.

A file that does not parse (unbalanced braces, a field written twice) raises
:class:`~scholargraph.errors.DocumentError` at the entry's line.
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path

import bibtexparser
from bibtexparser import middlewares
from bibtexparser.middlewares.names import InvalidNameError, parse_single_name_into_parts
from bibtexparser.model import (
    Block,
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ExplicitComment,
    ImplicitComment,
    MiddlewareErrorBlock,
    ParsingFailedBlock,
    Preamble,
    String,
)
import pylatexenc.latex2text
from pylatexenc import latexwalker
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec

from ..dates import InvalidDate, fold
from ..errors import DocumentError
from ..identifiers import normalise_doi, normalise_hal
from ..records import Agent, AgentKind, Document, Event, PartialDate, Span, Work, WorkType
from . import _fields
from ._located import DocumentBuilder

KIND = "bibtex"

TYPES: dict[str, WorkType] = {
    "article": WorkType.JOURNAL_ARTICLE,
    "inproceedings": WorkType.CONFERENCE_PAPER,
    "conference": WorkType.CONFERENCE_PAPER,
    "techreport": WorkType.REPORT,
    "report": WorkType.REPORT,
    "book": WorkType.BOOK,
    "mvbook": WorkType.BOOK,
    "incollection": WorkType.BOOK_CHAPTER,
    "inbook": WorkType.BOOK_CHAPTER,
    "phdthesis": WorkType.DOCTORAL_THESIS,
    "mastersthesis": WorkType.MASTERS_THESIS,
    "misc": WorkType.OTHER,
    "unpublished": WorkType.OTHER,
    "online": WorkType.OTHER,
    "electronic": WorkType.OTHER,
    "manual": WorkType.OTHER,
    "booklet": WorkType.OTHER,
    "proceedings": WorkType.OTHER,
    "collection": WorkType.OTHER,
    "dataset": WorkType.OTHER,
    "software": WorkType.OTHER,
    "patent": WorkType.OTHER,
}
_TALK = re.compile(
    r"^\s*(?:invited\s+|keynote\s+)?(?:talk|presentation|seminar|lecture|keynote|expose|seminaire"
    r"|conference invitee|intervention)s?\b[\s,:.-]*(?:(?:at|a|au|in|to|given at)\s+)?",
    re.IGNORECASE,
)
_DOCTORAL = re.compile(r"phd|ph\.d|doctora|doctoral|dphil|these de doctorat", re.IGNORECASE)
_MASTERS = re.compile(r"master|m\.a\b|m\.sc|msc|memoire|mathesis|diplom", re.IGNORECASE)
# Fields that carry no scholarly fact (reference managers' bookkeeping).
IGNORED = frozenset(
    {
        "file", "timestamp", "owner", "bibsource", "biburl", "urldate", "added-at", "interhash",
        "intrahash", "mendeley-groups", "mendeley-tags", "date-added", "date-modified",
        "bdsk-url-1", "bdsk-url-2", "language", "langid", "eprinttype", "archiveprefix",
        "hal_version", "month", "year", "date", "shorttitle",
    }
)
_ENTRY_LINE = re.compile(r"^\s*@\s*[a-zA-Z]+\s*[{(]", re.MULTILINE)


_COMMENTS_ONLY = re.compile(r"\A(?:[ \t]*(?:%[^\n]*)?\n?)*\Z")


def sniff(path: Path, text: str) -> bool:
    """A ``.bib`` file with at least one ``@type{`` entry, or with nothing but ``%`` comments
    and blank lines (a publication list whose last entry was removed: no publications)."""
    if path.suffix.lower() not in {".bib", ".bibtex"}:
        return False
    return bool(_ENTRY_LINE.search(text)) or bool(_COMMENTS_ONLY.match(text))


# bibtexparser logs each block it cannot parse; this reader raises DocumentError for
# them instead, so keep Python's last-resort handler from printing them a second time.
# (Records still propagate to handlers an application configures.)
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())

# Speed.  pylatexenc's LatexWalker builds its default parsing context (~500 macro
# specs) anew for every string it is not given one for, and bibtexparser and this
# module decode every field and every name part: that was a third of the time spent
# reading BibTeX.  The context is built once here and shared (parsing only reads it);
# the decoding of a string, a pure function of it, is memoised, as is the splitting
# of a name, since the same authors come back entry after entry.
_WALKER_CONTEXT = latexwalker.get_default_latex_context_db()
_CACHE_SIZE = 1 << 16


class _SharedContextDecoder(LatexNodes2Text):
    """``LatexNodes2Text`` parsing with the one shared walker context, memoised."""

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self._decoded = functools.lru_cache(maxsize=_CACHE_SIZE)(self._latex_to_text)

    def _latex_to_text(self, latex: str) -> str:
        nodes = latexwalker.LatexWalker(latex, latex_context=_WALKER_CONTEXT).get_latex_nodes()[0]
        return self.nodelist_to_text(nodes)

    def latex_to_text(self, latex, **parse_flags):  # type: ignore[no-untyped-def]
        if parse_flags or not isinstance(latex, str):
            return super().latex_to_text(latex, **parse_flags)
        if _PLAIN.fullmatch(latex) and not _NOT_PLAIN.search(latex):
            return latex  # nothing for LaTeX to decode: pylatexenc would return it as it is
        return self._decoded(latex)


# Letters, digits, single spaces and punctuation that LaTeX gives no meaning to, without the
# ligatures pylatexenc reads ("--", "''", "!`", "?`"): decoded, such a string is itself
# (checked against both decoders on 170,000 random strings).
_PLAIN = re.compile(r"(?:[^\W_]|[ .,;:()/'\"+@?!=<>|\[\]*-])*")
_NOT_PLAIN = re.compile(r"--|''|!`|\?`|  |^ | $")


def _middleware_decoder() -> LatexNodes2Text:
    """The decoder ``LatexDecodingMiddleware()`` makes for itself (bibtexparser 2.x), on the shared context."""
    context = pylatexenc.latex2text.get_default_latex_context_db()
    context.add_context_category(
        "bibtexparse-default-context", prepend=True, macros=[MacroTextSpec("url", simplify_repl="%s")]
    )
    return _SharedContextDecoder(latex_context=context, keep_braced_groups=False, math_mode="verbatim")


_DECODER = _SharedContextDecoder()
_MIDDLEWARE = (middlewares.SeparateCoAuthors(), middlewares.LatexDecodingMiddleware(decoder=_middleware_decoder()))


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _decode(text: str) -> str:
    return re.sub(r"\s+", " ", _DECODER.latex_to_text(text)).strip()


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _person_name(raw: str) -> tuple[str, str | None]:
    """``(name, None)`` for one author as written, or ``(name as written, why)`` when it cannot be split."""
    try:
        parts = parse_single_name_into_parts(raw)
    except InvalidNameError as error:
        return _decode(raw), error.reason
    return " ".join(_decode(" ".join(p)) for p in (parts.first, parts.von, parts.last, parts.jr) if p), None


def read(text: str, source: str) -> Document:
    """Every entry of the BibTeX ``text`` as a Work; comments as markup."""
    library = bibtexparser.parse_string(_fields_text(text), append_middleware=list(_MIDDLEWARE))
    builder = DocumentBuilder(text, source, KIND, markup=_markup)
    for block in library.blocks:
        _check(block, source)
    for block in library.blocks:
        _Entry.read(block, builder, text)
    return builder.build()


def _fields_text(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def _markup(line: str) -> bool:
    stripped = line.strip()
    return not stripped or bool(re.fullmatch(r"[{}()\s,]+|%.*", stripped))


def _check(block: Block, source: str) -> None:
    """Raise for blocks that did not parse; they would lose data silently."""
    line = (block.start_line or 0) + 1
    if isinstance(block, DuplicateFieldKeyBlock):
        key = getattr(block.ignore_error_block, "key", "?")
        duplicates = ", ".join(sorted(getattr(block.error, "duplicate_keys", set()) or ())) or _dup_fields(block)
        raise DocumentError(
            source, line, f"entry {key!r} has the field {duplicates} more than once; keep one of them"
        )
    if isinstance(block, (MiddlewareErrorBlock, DuplicateBlockKeyBlock)):
        return  # read from ignore_error_block
    if isinstance(block, ParsingFailedBlock):
        reason = getattr(block.error, "abort_reason", "") or str(block.error)
        head = (block.raw or "").strip().splitlines()[0] if (block.raw or "").strip() else "entry"
        raise DocumentError(
            source, line,
            f"cannot parse {head.rstrip(',')!r}: {reason.rstrip('.')}; check that every {{ has its }} "
            "and every field ends with a comma",
        )
    if isinstance(block, ImplicitComment) and re.search(r"[{}]", block.comment or ""):
        raise DocumentError(
            source, line,
            "text with braces outside any entry: an entry above has an extra '}' or misses a '@type{key,'; "
            "balance the braces",
        )


def _dup_fields(block: ParsingFailedBlock) -> str:
    match = re.search(r"'([^']+)'", str(block.error))
    return repr(match.group(1)) if match else "a field"


class _Entry:
    """One entry being read: its fields, their lines, and the builder."""

    def __init__(self, entry: Entry, builder: DocumentBuilder, raw_text: str) -> None:
        self.entry = entry
        self.builder = builder
        self.source = builder.source
        self.start = (entry.start_line or 0) + 1
        raw = entry.raw or ""
        self.end = self.start + raw.rstrip().count("\n")
        self.lines = _field_lines(raw, self.start)
        self.fields: dict[str, object] = {f.key.lower(): f.value for f in entry.fields}
        self.used: set[str] = set()

    @classmethod
    def read(cls, block: Block, builder: DocumentBuilder, text: str) -> None:
        note = None
        if isinstance(block, (MiddlewareErrorBlock, DuplicateBlockKeyBlock)):
            note = str(block.error)
            block = block.ignore_error_block  # type: ignore[assignment]
        start = (block.start_line or 0) + 1
        if isinstance(block, Entry):
            reader = cls(block, builder, text)
            if note and isinstance(block, Entry) and "Duplicate entry key" not in note:
                builder.skip_span(reader.span(), f"partly decoded: {note}")
            reader.work()
        elif isinstance(block, (String, Preamble, ExplicitComment)):
            # @string macros are expanded into the entries; @preamble and @comment hold no work
            end = start + (block.raw or "").rstrip().count("\n")
            builder.extra_markup.update(range(start, end + 1))
        elif isinstance(block, ImplicitComment):
            comment = (block.comment or "").strip()
            if comment and not all(line.strip().startswith("%") for line in comment.splitlines() if line.strip()):
                end = start + (block.raw or "").rstrip().count("\n")
                for number in range(start, end + 1):
                    line = builder.lines[number - 1].strip() if number <= len(builder.lines) else ""
                    if line and not line.startswith("%"):
                        builder.skip_span(
                            Span.line(builder.source, number), "text outside any entry (BibTeX ignores it)"
                        )

    # --- helpers ---

    def span(self) -> Span:
        return Span(self.source, self.start, self.end)

    def field_span(self, key: str) -> Span:
        start, end = self.lines.get(key, (self.start, self.start))
        return Span(self.source, start, end)

    def text(self, *keys: str) -> str | None:
        """The first non-empty field among ``keys``, decoded; marks it used."""
        for key in keys:
            value = self.fields.get(key)
            if isinstance(value, str) and value.strip():
                self.used.add(key)
                return re.sub(r"\s+", " ", value).strip()
        return None

    def skip(self, key: str, reason: str) -> None:
        span = self.field_span(key)
        self.builder.skip_span(span, reason)

    # --- the work ---

    def work(self) -> None:
        entry_type = self.entry.entry_type.lower()
        work_type = TYPES.get(entry_type)
        if work_type is None and entry_type == "thesis":
            work_type = self._thesis_type()
        elif work_type is None:
            work_type = WorkType.OTHER
            self.builder.skip_span(
                Span.line(self.source, self.start),
                f"@{entry_type} is not a BibTeX entry type scholargraph knows; read as a generic work",
            )
        talk_from = None
        if work_type is WorkType.OTHER and entry_type in {"misc", "unpublished"}:
            for key in ("howpublished", "type", "note"):
                value = self.fields.get(key)
                if isinstance(value, str) and _TALK.match(fold(value)):
                    work_type, talk_from = WorkType.PRESENTATION, key
                    break
        title_text = self.text("title")
        if title_text is None:
            self.builder.skip_span(self.span(), f"entry {self.entry.key!r} has no title; add a title field")
            return
        lang = _fields.language_code(self.text("language", "langid"))
        titles = [_fields.title(title_text, lang)]
        date = self._date()
        forthcoming = self._forthcoming()
        doi, hal = self._identifiers()
        pages_start = pages_end = None
        if pages := self.text("pages"):
            pages_start, pages_end = _fields.split_pages(pages)
        venue = self.text("journal", "journaltitle")
        presented_at = None
        institution = None
        publisher = self.text("publisher")
        if work_type is WorkType.CONFERENCE_PAPER:
            presented_at = self._event(self.text("eventtitle", "booktitle"), date)
        elif work_type is WorkType.PRESENTATION:
            presented_at = self._event(self.text("eventtitle") or self._talk_event(talk_from), date)
        elif work_type is WorkType.BOOK_CHAPTER:
            venue = venue or self.text("booktitle")
        elif work_type in (WorkType.DOCTORAL_THESIS, WorkType.MASTERS_THESIS):
            if school := self.text("school", "institution"):
                key = "school" if "school" in self.used else "institution"
                institution = Agent(school, AgentKind.ORGANIZATION, self.field_span(key))
            self.used.add("type")
        if work_type is WorkType.REPORT:
            publisher = publisher or self.text("institution")
            self.used.add("type")  # "Research report", "Rapport de recherche": the type is the class
        description = tuple(d for d in (self.text("abstract"),) if d)
        work = Work(
            type=work_type,
            titles=tuple(titles),
            span=self.span(),
            authors=self._authors(),
            date=date,
            forthcoming=forthcoming,
            venue=venue,
            presented_at=presented_at,
            publisher=publisher,
            volume=self.text("volume"),
            issue=self.text("number", "issue"),
            page_start=pages_start,
            page_end=pages_end,
            doi=doi,
            hal=hal,
            institution=institution,
            description=description,
        )
        self.builder.records.append(work)
        self._leftovers()

    def _thesis_type(self) -> WorkType:
        kind = self.text("type") or ""
        if _DOCTORAL.search(fold(kind)):
            return WorkType.DOCTORAL_THESIS
        if _MASTERS.search(fold(kind)):
            return WorkType.MASTERS_THESIS
        self.builder.skip_span(
            Span.line(self.source, self.start),
            "@thesis without a type saying PhD or master's; read as a generic work (add type = {phdthesis})",
        )
        return WorkType.OTHER

    def _date(self) -> PartialDate | None:
        try:
            if iso := self.text("date"):
                date = _fields.iso_date(iso)
                if date is None:
                    self.skip("date", f"date {iso!r} is not an ISO date (2020, 2020-09 or 2020-09-29)")
                return date
            year = self.text("year")
            if year is None:
                return None
            if not re.fullmatch(r"\d{4}", year):
                if not _fields.is_forthcoming(year):
                    self.skip("year", f"year {year!r} is not a four-digit year")
                return None
            month_text = self.text("month")
            month = _fields.month_number(month_text) if month_text else None
            if month_text and month is None:
                self.skip("month", f"month {month_text!r} is not a month")
            return PartialDate(int(year), month)
        except InvalidDate as error:
            self.skip("date", f"{error}")
            return None

    def _forthcoming(self) -> bool:
        found = False
        for key in ("note", "pubstate", "year", "howpublished"):
            value = self.fields.get(key)
            if isinstance(value, str) and _fields.is_forthcoming(value):
                self.used.add(key)
                found = True
        return found

    def _identifiers(self) -> tuple[str | None, str | None]:
        doi = None
        if value := self.text("doi"):
            doi = normalise_doi(value)
            if doi is None:
                self.skip("doi", f"doi {value!r} is not a DOI (10.xxxx/...)")
        hal = None
        if value := self.text("hal_id", "hal"):
            hal = normalise_hal(value)
        eprint = self.fields.get("eprint")
        if isinstance(eprint, str) and (found := normalise_hal(eprint)):
            hal = hal or found
            self.used.add("eprint")
        for key in ("url", "howpublished", "note"):
            value = self.fields.get(key)
            if not isinstance(value, str):
                continue
            url_doi, url_hal = _fields.doi_or_hal(value) if "http" in value or key == "url" else (None, None)
            if url_doi or url_hal:
                self.used.add(key)
            doi = doi or url_doi
            hal = hal or url_hal
        self.used.add("url")  # a URL that names neither a DOI nor a HAL id has no place in the model
        return doi, hal

    def _event(self, name: str | None, date: PartialDate | None) -> Event | None:
        if not name:
            return None
        place = self.text("venue", "location", "address")
        key = next((k for k in ("eventtitle", "booktitle", "howpublished", "organization") if k in self.used), "title")
        return Event(name=name, span=self.field_span(key), date=date, place=place)

    def _talk_event(self, key: str | None) -> str | None:
        if key is None:
            return self.text("organization")
        value = self.text(key) or ""
        rest = _TALK.sub("", value, count=1).strip(" ,;:.-")
        if rest and fold(rest) != fold(value):
            return rest
        return self.text("organization")

    def _authors(self) -> tuple[Agent, ...]:
        value = self.fields.get("author")
        if not isinstance(value, list):
            return ()
        self.used.add("author")
        span = self.field_span("author")
        out: list[Agent] = []
        for raw in value:
            raw = raw.strip()
            if fold(raw) == "others":
                self.builder.skip_span(span, "'and others': the remaining authors are not named")
                continue
            if _braced(raw):
                out.append(Agent(_decode(raw), AgentKind.ORGANIZATION, span))
                continue
            name, why = _person_name(raw)
            if why is not None:
                self.builder.skip_span(span, f"name {raw!r} could not be split ({why}); kept as written")
            if name:
                out.append(Agent(name, AgentKind.PERSON, span))
        return tuple(out)

    def _leftovers(self) -> None:
        for key, value in self.fields.items():
            if key in self.used or key in IGNORED or not value:
                continue
            if key == "editor":
                reason = "editors are not part of the graph model"
            elif key in {"isbn", "issn"}:
                reason = f"{key.upper()} is not part of the graph model"
            elif key == "keywords":
                reason = "keywords are not part of the graph model"
            else:
                reason = f"field {key!r} is not mapped"
            self.skip(key, reason)


def _braced(name: str) -> bool:
    """True if the whole name is one brace group: ``{Conseil national du numérique}``."""
    if not (name.startswith("{") and name.endswith("}")):
        return False
    depth = 0
    for index, char in enumerate(name):
        depth += char == "{"
        depth -= char == "}"
        if depth == 0 and index < len(name) - 1:
            return False
    return True


_FIELD_START = re.compile(r"([A-Za-z][\w:.+-]*)\s*=")
_MARK = re.compile(r'[\\{}()"]')
_MARK_OR_LETTER = re.compile(r'[\\{}()"]|[^\W\d_]')  # (every character that isalpha(), and a few more)


def _field_lines(raw: str, first_line: int) -> dict[str, tuple[int, int]]:
    """The lines of each field of one entry's raw text (first line of the entry is ``first_line``)."""
    starts: list[tuple[str, int]] = []
    depth = 0
    quoted = False
    index = 0
    while index < len(raw):
        # to the next character that may change something: between fields (depth 1, not in
        # quotes) a letter may start a field name; elsewhere only these marks count
        jump = (_MARK_OR_LETTER if depth == 1 and not quoted else _MARK).search(raw, index)
        if jump is None:
            break
        index = jump.start()
        char = raw[index]
        if char == "\\":
            index += 2
            continue
        if char == "{" or (char == "(" and depth == 0):
            depth += 1
        elif char == "}" or (char == ")" and depth == 1 and not quoted):
            depth -= 1
        elif char == '"' and depth == 1:
            quoted = not quoted
        elif depth == 1 and not quoted and (char.isalpha()) and (index == 0 or not (raw[index - 1].isalnum() or raw[index - 1] in "_-:.+")):
            match = _FIELD_START.match(raw, index)
            if match:
                starts.append((match.group(1).lower(), index))
                index = match.end()
                continue
        index += 1
    out: dict[str, tuple[int, int]] = {}
    body_end = raw.rstrip().rstrip("})").rstrip().rstrip(",")
    for position, (key, offset) in enumerate(starts):
        next_offset = starts[position + 1][1] if position + 1 < len(starts) else len(body_end)
        chunk = raw[offset:next_offset].rstrip().rstrip(",").rstrip()
        start = first_line + raw.count("\n", 0, offset)
        out.setdefault(key, (start, start + chunk.count("\n")))
    return out

