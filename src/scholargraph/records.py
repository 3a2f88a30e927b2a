"""Typed records: what a reader understood of a document, with its source lines.

Readers turn documents into these frozen dataclasses and nothing else (no
rdflib here).  Every record carries the :class:`Span` of the lines that
asserted it, so that provenance and error messages can point back at them.
``to_data`` turns any record into plain YAML-ready data (``scholargraph extract``).
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Span(NamedTuple):
    """Lines ``start``..``end`` (1-based, inclusive) of the document ``source``.

    A named tuple (compared, hashed and pickled as the tuple ``(source, start, end)``, in C):
    a million-triple build holds ~400,000 of them, and the cache and a rebuild's state load
    them twice as fast as a dataclass's."""

    source: str
    start: int
    end: int

    @classmethod
    def line(cls, source: str, number: int) -> Span:
        return cls(source, number, number)

    def __str__(self) -> str:
        if self.start == self.end:
            return f"{self.source}:{self.start}"
        return f"{self.source}:{self.start}-{self.end}"


class Precision(enum.Enum):
    YEAR = "year"
    MONTH = "month"
    DAY = "day"


@dataclass(frozen=True, order=True)
class PartialDate:
    """A calendar date known to the year, the month or the day."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return Precision.DAY
        if self.month is not None:
            return Precision.MONTH
        return Precision.YEAR

    def iso(self) -> str:
        """``2020``, ``2020-01`` or ``2020-01-29``: the lexical form of its XSD type."""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def sort_key(self) -> tuple[int, int, int]:
        return (self.year, self.month or 0, self.day or 0)

    def __str__(self) -> str:
        return self.iso()


class AgentKind(enum.Enum):
    PERSON = "person"
    ORGANIZATION = "organization"


@dataclass(frozen=True)
class Agent:
    """A person or organisation as named at one place in a document."""

    name: str
    kind: AgentKind
    span: Span
    orcid: str | None = None
    ror: str | None = None
    acronym: str | None = None
    org_type: str | None = None  # schema.org subtype local name, e.g. "WorkersUnion"


class WorkType(enum.Enum):
    """The FaBiO class of an output (``shared/design/model.md``, works table)."""

    JOURNAL_ARTICLE = "JournalArticle"
    CONFERENCE_PAPER = "ConferencePaper"
    REPORT = "ReportDocument"
    PRESENTATION = "Presentation"
    DOCTORAL_THESIS = "DoctoralThesis"
    MASTERS_THESIS = "MastersThesis"
    BOOK = "Book"
    BOOK_CHAPTER = "BookChapter"
    OTHER = "Expression"


@dataclass(frozen=True)
class Title:
    text: str
    lang: str | None = None
    translated: bool = False  # a bracketed translation of the main title


@dataclass(frozen=True)
class Event:
    """An event: where a work was presented, or one a project organised."""

    name: str
    span: Span
    date: PartialDate | None = None
    end_date: PartialDate | None = None
    place: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Work:
    """One output (article, report, talk, thesis, ...) with its authors in order."""

    type: WorkType
    titles: tuple[Title, ...]
    span: Span
    authors: tuple[Agent, ...] = ()
    contributors: tuple[Agent, ...] = ()
    date: PartialDate | None = None
    forthcoming: bool = False
    venue: str | None = None  # periodical name
    presented_at: Event | None = None
    publisher: str | None = None
    volume: str | None = None
    issue: str | None = None
    page_start: str | None = None
    page_end: str | None = None
    doi: str | None = None
    hal: str | None = None
    institution: Agent | None = None  # a thesis' university
    description: tuple[str, ...] = ()
    editors: tuple[Agent, ...] = ()  # editors of the book a chapter is in
    book: str | None = None  # title of the book a chapter is in

    @property
    def title(self) -> str:
        return self.titles[0].text if self.titles else ""


class RoleKind(enum.Enum):
    POSITION = "position"  # schema:worksFor / EmployeeRole
    EDUCATION = "education"  # schema:alumniOf / OrganizationRole
    SERVICE = "service"  # schema:memberOf / OrganizationRole


@dataclass(frozen=True)
class Role:
    """A person's position, degree or service at an organisation, in time."""

    kind: RoleKind
    person: Agent
    role_name: str
    span: Span
    organization: Agent | None = None
    start: PartialDate | None = None
    end: PartialDate | None = None  # None with ``ongoing`` False: unknown
    ongoing: bool = False
    description: str | None = None


@dataclass(frozen=True)
class Course:
    """One taught course (or supervision) as a ``schema:CourseInstance``."""

    name: str
    instructor: Agent
    span: Span
    provider: Agent | None = None
    mode: str | None = None  # "CM", "TD", "Short trainings", ...
    workload: str | None = None  # "18 hours"
    audience: str | None = None  # "M1", "engineers"
    start: PartialDate | None = None
    end: PartialDate | None = None
    ongoing: bool = False  # "2021–present": taught still, no end date


@dataclass(frozen=True)
class Hearing:
    """A hearing before a public body (``bibo:Hearing``)."""

    name: str
    performers: tuple[Agent, ...]
    span: Span
    organizer: Agent | None = None
    about: Work | None = None
    date: PartialDate | None = None


@dataclass(frozen=True)
class Membership:
    """A person's membership of a project, with the role name if stated."""

    person: Agent
    span: Span
    role_name: str | None = None
    affiliation: Agent | None = None  # "Name (Université de Lille)": the member's organisation


@dataclass(frozen=True)
class Project:
    title: str
    span: Span
    acronym: str | None = None
    description: str | None = None
    funders: tuple[Agent, ...] = ()
    host: Agent | None = None
    members: tuple[Membership, ...] = ()
    outputs: tuple[Work, ...] = ()
    events: tuple[Event, ...] = ()
    start: PartialDate | None = None
    end: PartialDate | None = None
    spans: tuple[Span, ...] = ()  # further lines that describe the project


@dataclass(frozen=True)
class PersonFacts:
    """Facts about a person stated outside any entry (skills, identifiers)."""

    person: Agent
    span: Span
    knows_about: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unmapped:
    """A line the reader could not turn into any record, and why."""

    span: Span
    text: str
    reason: str


Record = Work | Role | Course | Hearing | Project | PersonFacts


@dataclass(frozen=True)
class Document:
    """Everything read from one document."""

    path: str  # as cited in provenance: relative to the data directory
    kind: str  # "markdown-cv", "project-page", ...
    sha256: str
    line_count: int
    records: tuple[Record, ...]
    owner: Agent | None = None
    unmapped: tuple[Unmapped, ...] = ()
    markup_lines: tuple[int, ...] = field(default=())  # headings, rules, table separators
    # lines transcribed into records that cite another document (a curated-records file
    # keeps the spans of the document it was extracted from): read, but cited there
    transcribed_lines: tuple[int, ...] = ()


def to_data(value: Any) -> Any:
    """Plain data (dicts, lists, strings, ints) for YAML/JSON, omitting empty fields."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Span):
        return str(value)
    if isinstance(value, PartialDate):
        return value.iso()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        if not isinstance(value, Document):
            out["record"] = type(value).__name__
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if item is None or item == () or item is False:
                continue
            out[f.name] = to_data(item)
        return out
    if isinstance(value, (tuple, list)):
        return [to_data(v) for v in value]
    return value
