"""ORCID public records: the JSON of the public API v3 (``/v3.0/{iD}/record``), read from a file.

Mapping:

* ``person.name`` (``credit-name``, else ``given-names`` + ``family-name``) and
  ``orcid-identifier.path`` → the document's owner, with its ORCID iD.
* ``person.keywords`` → one PersonFacts (``knows_about``).
* ``activities-summary``: each *group* (the same item from one or more
  sources) is one record spanning the whole group, read from its first summary.

  - ``employments``, ``invited-positions`` → POSITION roles;
    ``educations``, ``qualifications`` → EDUCATION roles;
    ``memberships``, ``services`` → SERVICE roles.  ``role-title`` is the role
    name, ``department-name`` the description, ``organization.name`` the
    organisation (with its ROR id when ``disambiguation-source`` is ROR),
    ``start-date``/``end-date`` (``{year, month, day}``) the dates.  ORCID
    marks no end as ongoing in its own pages, but a record cannot tell
    "ongoing" from "not filled in"; a missing ``end-date`` is therefore
    read as unknown, not ongoing.
  - ``fundings`` → a Project: the funding ``title`` and the funder
    ``organization`` as its funder, the owner as member, dates.
  - ``works`` → Works: ``title`` (and ``translated-title`` as a translated
    title), ``type`` through :data:`WORK_TYPES`, ``publication-date``,
    ``journal-title`` as venue, DOI and HAL id from ``external-ids`` whose
    relationship is ``self`` (or from ``url``).  Work summaries list no
    authors: the owner is the work's author (a work in someone's record is theirs).
  - ``distinctions``, ``peer-reviews``, ``research-resources`` → unmapped.

API bookkeeping (``path``, ``put-code``, ``visibility``, ``source``,
``created-date``, ``last-modified-date``, ...) counts as syntax.
"""

from __future__ import annotations

import dataclasses

import re
from pathlib import Path

from ..dates import InvalidDate
from ..errors import DocumentError
from ..identifiers import normalise_doi, normalise_hal, normalise_orcid, normalise_ror
from ..records import (
    Agent,
    AgentKind,
    Document,
    Membership,
    PartialDate,
    PersonFacts,
    Project,
    Role,
    RoleKind,
    Title,
    Work,
    WorkType,
)
from . import _fields
from ._located import DocumentBuilder, Loc, json_markup, load_json

KIND = "orcid"

WORK_TYPES: dict[str, WorkType] = {
    "journal-article": WorkType.JOURNAL_ARTICLE,
    "conference-paper": WorkType.CONFERENCE_PAPER,
    "conference-abstract": WorkType.CONFERENCE_PAPER,
    "conference-poster": WorkType.CONFERENCE_PAPER,
    "conference-presentation": WorkType.CONFERENCE_PAPER,
    "lecture-speech": WorkType.PRESENTATION,
    "report": WorkType.REPORT,
    "book": WorkType.BOOK,
    "edited-book": WorkType.BOOK,
    "book-chapter": WorkType.BOOK_CHAPTER,
    # ORCID has one thesis type; "dissertation" names the doctoral one.
    "dissertation": WorkType.DOCTORAL_THESIS,
    "dissertation-thesis": WorkType.DOCTORAL_THESIS,
}
"""ORCID work types with a FaBiO class of their own; every other type is an Expression."""

AFFILIATIONS: dict[str, tuple[str, RoleKind]] = {
    "employments": ("employment-summary", RoleKind.POSITION),
    "invited-positions": ("invited-position-summary", RoleKind.POSITION),
    "educations": ("education-summary", RoleKind.EDUCATION),
    "qualifications": ("qualification-summary", RoleKind.EDUCATION),
    "memberships": ("membership-summary", RoleKind.SERVICE),
    "services": ("service-summary", RoleKind.SERVICE),
}
_UNMAPPED = {
    "distinctions": "distinctions (awards) are not part of the graph model",
    "peer-reviews": "peer reviews are not part of the graph model",
    "research-resources": "research resources are not part of the graph model",
    "biography": "a biography is not part of the graph model",
    "other-names": "other names are not part of the graph model",
    "researcher-urls": "researcher URLs are not part of the graph model",
    "emails": "emails are not part of the graph model",
    "addresses": "addresses are not part of the graph model",
    "external-identifiers": "other person identifiers are not part of the graph model",
}
BOOKKEEPING = frozenset(
    {
        "path", "put-code", "visibility", "source", "created-date", "last-modified-date",
        "display-index", "history", "preferences", "orcid-identifier", "external-ids",
    }
)


def sniff(path: Path, text: str) -> bool:
    """A ``.json`` file holding an ORCID record (``orcid-identifier`` or ``activities-summary``)."""
    return path.suffix.lower() == ".json" and bool(
        re.search(r'"(?:orcid-identifier|activities-summary)"\s*:', text)
    )


def read(text: str, source: str) -> Document:
    tree = load_json(text, source)
    if not tree.is_map or (tree.get("person") is None and tree.get("activities-summary") is None):
        raise DocumentError(
            source, tree.start,
            "not an ORCID record: expected an object with 'person' and 'activities-summary' "
            "(save https://pub.orcid.org/v3.0/<iD>/record as JSON)",
        )
    builder = DocumentBuilder(text, source, KIND, markup=json_markup)
    _Record(builder).read(tree)
    return builder.build()


def _value(loc: Loc | None, *path: str) -> str | None:
    """The text at ``path`` under ``loc``; ORCID wraps most strings as ``{"value": ...}``."""
    for key in path:
        if loc is None:
            return None
        loc = loc.get(key)
    if loc is None:
        return None
    if loc.is_map:
        loc = loc.get("value")
        if loc is None:
            return None
    return loc.text()


class _Record:
    def __init__(self, builder: DocumentBuilder) -> None:
        self.b = builder
        self.owner: Agent | None = None

    def read(self, tree: Loc) -> None:
        orcid = normalise_orcid(_value(tree, "orcid-identifier", "path") or "")
        person = tree.get("person")
        if person is not None:
            self.person(person, orcid)
        activities = tree.get("activities-summary")
        for key, value in tree.items():
            if key not in {"person", "activities-summary"}:
                self.b.syntax(value)
        if activities is None:
            return
        for key, value in activities.items():
            if key in AFFILIATIONS:
                summary_key, kind = AFFILIATIONS[key]
                for group in _groups(value, "affiliation-group"):
                    self.affiliation(group, summary_key, kind)
            elif key == "fundings":
                for group in _groups(value, "group"):
                    self.funding(group)
            elif key == "works":
                for group in _groups(value, "group"):
                    self.work(group)
            elif key in BOOKKEEPING or _empty(value):
                self.b.syntax(value)
            else:
                self.b.skip(value, _UNMAPPED.get(key, f"section {key!r} of the ORCID record is not mapped"))

    def person(self, person: Loc, orcid: str | None) -> None:
        name = person.get("name")
        if name is not None and name.is_map:
            credit = _value(name, "credit-name")
            given, family = _value(name, "given-names"), _value(name, "family-name")
            display = credit or " ".join(p for p in (given, family) if p)
            if display:
                self.owner = Agent(display, AgentKind.PERSON, self.b.span(name), orcid=orcid)
                self.b.owner = self.owner
        keywords = person.get("keywords")
        for key, value in person.items():
            if key in {"name", "keywords"}:
                continue
            if key in BOOKKEEPING or _empty(value):
                self.b.syntax(value)
            else:
                self.b.skip(value, _UNMAPPED.get(key, f"field {key!r} of the person is not mapped"))
        if keywords is not None:
            words = [t for k in (keywords.get("keyword") or keywords).entries() if (t := _value(k, "content"))]
            if words and self.owner is not None:
                self.b.records.append(PersonFacts(self.owner, self.b.span(keywords), knows_about=tuple(words)))
            elif words:
                self.b.skip(keywords, "keywords of an unnamed person")
            else:
                self.b.syntax(keywords)

    def date(self, loc: Loc | None) -> PartialDate | None:
        if loc is None or not loc.is_map:
            return None
        year, month, day = _value(loc, "year"), _value(loc, "month"), _value(loc, "day")
        if year is None:
            return None
        text = year + (f"-{month}" if month else "") + (f"-{day}" if month and day else "")
        try:
            date = _fields.iso_date(text)
        except InvalidDate as error:
            self.b.skip(loc, f"{error}")
            return None
        if date is None:
            self.b.skip(loc, f"date {text!r} is not a date")
        return date

    def organization(self, summary: Loc) -> Agent | None:
        org = summary.get("organization")
        if org is None or (name := _value(org, "name")) is None:
            return None
        ror = None
        dis = org.get("disambiguated-organization")
        if dis is not None and (_value(dis, "disambiguation-source") or "").upper() == "ROR":
            ror = normalise_ror(_value(dis, "disambiguated-organization-identifier") or "")
        name_loc = org.get("name") or org
        return Agent(name, AgentKind.ORGANIZATION, self.b.span(name_loc, whole=False), ror=ror)

    def affiliation(self, group: Loc, summary_key: str, kind: RoleKind) -> None:
        summary = _first_summary(group, summary_key)
        if summary is None:
            self.b.syntax(group) if _empty(group) else self.b.skip(group, f"an affiliation group without a {summary_key}")
            return
        if self.owner is None:
            self.b.skip(group, "an affiliation of an unnamed person: the record has no name")
            return
        org = self.organization(summary)
        role_name = _value(summary, "role-title") or ""
        if org is None and not role_name:
            self.b.skip(group, "an affiliation with neither an organisation nor a role title")
            return
        self.b.records.append(
            Role(
                kind=kind,
                person=self.owner,
                role_name=role_name,
                span=self.b.span(group),
                organization=org,
                start=self.date(summary.get("start-date")),
                end=self.date(summary.get("end-date")),
                description=_value(summary, "department-name"),
            )
        )
        self._leftovers(summary, {"role-title", "organization", "start-date", "end-date", "department-name"}, summary_key)

    def funding(self, group: Loc) -> None:
        summary = _first_summary(group, "funding-summary")
        title = _value(summary, "title", "title") if summary is not None else None
        if summary is None or title is None:
            self.b.skip(group, "a funding without a title")
            return
        funder = self.organization(summary)
        members = (Membership(self.owner, self.b.span(group, whole=False)),) if self.owner else ()
        self.b.records.append(
            Project(
                title=title,
                span=self.b.span(group),
                funders=(funder,) if funder else (),
                members=members,
                start=self.date(summary.get("start-date")),
                end=self.date(summary.get("end-date")),
            )
        )
        self._leftovers(summary, {"title", "type", "organization", "start-date", "end-date", "url", "amount"}, "funding-summary")

    def work(self, group: Loc) -> None:
        summary = _first_summary(group, "work-summary")
        title_loc = summary.get("title") if summary is not None else None
        title = _value(title_loc, "title") if title_loc is not None else None
        if summary is None or title is None:
            self.b.skip(group, "a work without a title")
            return
        titles = [_fields.title(title)]
        if subtitle := _value(title_loc, "subtitle"):
            titles[0] = _fields.title(f"{title}: {subtitle}")
        translated = title_loc.get("translated-title") if title_loc is not None else None
        if translated is not None and translated.is_map and (text := translated.get("value")) is not None and text.text():
            lang = _value(translated, "language-code")
            titles.append(Title(text.text() or "", lang.lower() if lang else None, translated=True))
        work_type = _value(summary, "type") or ""
        doi = hal = None
        ids = summary.get("external-ids")
        for ext in (ids.get("external-id") or ids).entries() if ids is not None else []:
            if (_value(ext, "external-id-relationship") or "self").lower() != "self":
                continue
            id_type = (_value(ext, "external-id-type") or "").lower()
            value = " ".join(v for v in (_value(ext, "external-id-value"), _value(ext, "external-id-url")) if v)
            if id_type == "doi":
                doi = doi or normalise_doi(value)
            hal = hal or normalise_hal(value)
        url_doi, url_hal = _fields.doi_or_hal(_value(summary, "url"))
        self.b.records.append(
            Work(
                type=WORK_TYPES.get(work_type.lower(), WorkType.OTHER),
                titles=tuple(titles),
                span=self.b.span(group),
                # a work in someone's ORCID record is theirs: the owner is its author
                authors=(dataclasses.replace(self.owner, span=self.b.span(group)),) if self.owner else (),
                date=self.date(summary.get("publication-date")),
                venue=_value(summary, "journal-title"),
                doi=doi or url_doi,
                hal=hal or url_hal,
            )
        )
        self._leftovers(summary, {"title", "type", "publication-date", "journal-title", "url"}, "work-summary")

    def _leftovers(self, summary: Loc, used: set[str], what: str) -> None:
        self.b.leftovers(summary, used, f"an ORCID {what}", ignored=BOOKKEEPING)


def _groups(section: Loc, key: str) -> list[Loc]:
    inner = section.get(key)
    return inner.entries() if inner is not None else []


def _first_summary(group: Loc, key: str) -> Loc | None:
    """The first summary of a group: ``summaries[0][key]`` (affiliations) or ``key[0]`` (works, fundings)."""
    summaries = group.get("summaries")
    if summaries is not None:
        for item in summaries.entries():
            if (found := item.get(key)) is not None and found.is_map:
                return found
        return None
    found = group.get(key)
    if found is None:
        return None
    entries = found.entries()
    return entries[0] if entries else None


def _empty(loc: Loc) -> bool:
    plain = loc.plain()
    if isinstance(plain, dict):
        return all(_empty(v) for v in loc.value.values())
    if isinstance(plain, list):
        return all(_empty(v) for v in loc.value)
    return plain in (None, "")
