"""JSON Resume documents (``resume.json``, https://jsonresume.org/schema).

Mapping:

* ``basics.name`` → the document's owner (a person); ``basics`` contact
  details (email, phone, url, location, profiles, image, summary) have no place
  in the graph model and are reported unmapped.
* ``work[]`` → POSITION roles: ``position`` is the role name, ``name`` (or the
  older ``company``) the organisation, ``summary`` and ``highlights`` the description.
* ``education[]`` → EDUCATION roles: role name ``"<studyType> in <area>"``
  (either alone if the other is missing), ``institution`` the organisation.
* ``volunteer[]`` → SERVICE roles (``organization``, ``position``).
* ``publications[]`` → Works of type Expression (JSON Resume does not say
  what kind of publication it is): ``name`` the title, ``publisher``,
  ``releaseDate``, a DOI or HAL id from ``url``; the owner is their
  author (JSON Resume lists no authors; a publication in a résumé is its owner's).
* ``projects[]`` → Projects (``name``, ``description``, dates); the owner is
  a member with the first of ``roles`` as role name.
* ``skills[]`` → one PersonFacts with every skill name and keyword.
* ``awards``, ``certificates``, ``languages``, ``interests``, ``references``
  → unmapped, with the reason.

Dates are ISO 8601 partial dates (``2020``, ``2020-09``, ``2020-09-29``).
**Ongoing**: the schema does not define a missing ``endDate``
(jsonresume/resume-schema#480 is still open), but its themes render an entry
with a ``startDate`` and no ``endDate`` as "Present"; scholargraph does the
same: a ``startDate`` with a missing, null or empty ``endDate`` (or one that
says "present") is ongoing.  An entry with no dates at all has unknown dates.
"""

from __future__ import annotations

import dataclasses

import re
from pathlib import Path

from ..dates import InvalidDate
from ..errors import DocumentError
from ..records import (
    Agent,
    Document,
    Membership,
    PartialDate,
    PersonFacts,
    Project,
    Role,
    RoleKind,
    Work,
    WorkType,
)
from . import _fields
from ._located import DocumentBuilder, Loc, json_markup, load_json

KIND = "json-resume"

_SECTIONS = ("work", "volunteer", "education", "publications", "projects", "skills")
_UNMAPPED = {
    "awards": "awards are not part of the graph model",
    "certificates": "certificates are not part of the graph model",
    "languages": "spoken languages are not part of the graph model",
    "interests": "interests are not part of the graph model",
    "references": "references (referees) are not part of the graph model",
}
_IGNORED = {"$schema", "meta"}


def sniff(path: Path, text: str) -> bool:
    """A ``.json`` file with a ``basics`` object or ``work`` and ``education`` lists, and not ORCID."""
    if path.suffix.lower() != ".json" or '"orcid-identifier"' in text or '"activities-summary"' in text:
        return False
    return bool(re.search(r'"basics"\s*:\s*\{', text)) or (
        bool(re.search(r'"work"\s*:\s*\[', text)) and bool(re.search(r'"education"\s*:\s*\[', text))
    )


def read(text: str, source: str) -> Document:
    tree = load_json(text, source)
    builder = DocumentBuilder(text, source, KIND, markup=json_markup)
    if not tree.is_map:
        raise DocumentError(source, tree.start, "a JSON Resume is an object with 'basics', 'work', ...; found something else")
    _Resume(builder).read(tree)
    return builder.build()


class _Resume:
    def __init__(self, builder: DocumentBuilder) -> None:
        self.b = builder
        self.owner: Agent | None = None

    def read(self, tree: Loc) -> None:
        basics = tree.get("basics")
        if basics is not None and basics.is_map:
            self.basics(basics)
        for key, value in tree.items():
            if key == "basics":
                continue
            if key in _IGNORED:
                self.b.syntax(value)
            elif key in _UNMAPPED:
                for entry in value.entries() or [value]:
                    self.b.skip(entry, _UNMAPPED[key])
            elif key in _SECTIONS:
                for entry in value.entries():
                    getattr(self, key)(entry)
            elif value.plain() not in (None, "", [], {}):
                self.b.skip(value, f"section {key!r} is not part of JSON Resume; not mapped")

    def basics(self, basics: Loc) -> None:
        name = basics.get("name")
        if name is not None and (text := name.text()):
            self.owner = self.b.person(_fields.clean(text), name)
            self.b.owner = self.owner
        self.b.leftovers(basics, {"name"}, "basics (contact details)")

    def need_owner(self, entry: Loc, what: str) -> Agent | None:
        if self.owner is None:
            self.b.skip(entry, f"{what} of an unnamed person: add basics.name")
        return self.owner

    def dates(self, entry: Loc, start_key: str = "startDate", end_key: str = "endDate") -> tuple[PartialDate | None, PartialDate | None, bool]:
        start = self.date(entry, start_key)
        end_loc = entry.get(end_key)
        if end_loc is not None and _fields.is_ongoing(end_loc.value):
            return start, None, True
        end = self.date(entry, end_key)
        ongoing = start is not None and end is None and (end_loc is None or end_loc.text() is None)
        return start, end, ongoing

    def date(self, entry: Loc, key: str) -> PartialDate | None:
        loc = entry.get(key)
        if loc is None or loc.text() is None:
            return None
        try:
            date = _fields.iso_date(loc.text())
        except InvalidDate as error:
            self.b.skip(loc, f"{error}; write an ISO date (2020, 2020-09 or 2020-09-29)")
            return None
        if date is None:
            self.b.skip(loc, f"{key} {loc.text()!r} is not an ISO date (2020, 2020-09 or 2020-09-29)")
        return date

    def description(self, entry: Loc, *keys: str) -> str | None:
        parts: list[str] = []
        for key in keys:
            loc = entry.get(key)
            if loc is None:
                continue
            if loc.is_list:
                parts.extend(t for item in loc.value if (t := item.text()))
            elif text := loc.text():
                parts.append(text)
        return "\n".join(parts) or None

    def role(self, entry: Loc, kind: RoleKind, org_keys: tuple[str, ...], name: str | None, what: str, used: set[str]) -> None:
        person = self.need_owner(entry, what)
        if person is None:
            return
        org = None
        for key in org_keys:
            if (loc := entry.get(key)) is not None and (text := loc.text()):
                org = self.b.organization(text, loc)
                break
        if not name and org is None:
            self.b.skip(entry, f"{what} names neither a role nor an organisation")
            return
        start, end, ongoing = self.dates(entry)
        self.b.records.append(
            Role(
                kind=kind,
                person=person,
                role_name=name or "",
                span=self.b.span(entry),
                organization=org,
                start=start,
                end=end,
                ongoing=ongoing,
                description=self.description(entry, "summary", "highlights"),
            )
        )
        self.b.leftovers(entry, used | set(org_keys) | {"startDate", "endDate", "summary", "highlights"}, what)

    def work(self, entry: Loc) -> None:
        self.role(entry, RoleKind.POSITION, ("name", "company"), _text(entry, "position"), "a work entry", {"position"})

    def volunteer(self, entry: Loc) -> None:
        self.role(entry, RoleKind.SERVICE, ("organization",), _text(entry, "position"), "a volunteer entry", {"position"})

    def education(self, entry: Loc) -> None:
        study, area = _text(entry, "studyType"), _text(entry, "area")
        name = f"{study} in {area}" if study and area else (study or area)
        self.role(entry, RoleKind.EDUCATION, ("institution",), name, "an education entry", {"studyType", "area"})

    def publications(self, entry: Loc) -> None:
        title = entry.get("name")
        if title is None or title.text() is None:
            self.b.skip(entry, "a publication without a name (title)")
            return
        doi, hal = _fields.doi_or_hal(_text(entry, "url"))
        self.b.records.append(
            Work(
                type=WorkType.OTHER,
                titles=(_fields.title(title.text() or ""),),
                span=self.b.span(entry),
                # JSON Resume lists no authors: a publication in someone's résumé is theirs
                authors=(dataclasses.replace(self.owner, span=self.b.span(entry)),) if self.owner else (),
                date=self.date(entry, "releaseDate"),
                publisher=_text(entry, "publisher"),
                doi=doi,
                hal=hal,
                description=tuple(d for d in (_text(entry, "summary"),) if d),
            )
        )
        used = {"name", "releaseDate", "publisher", "summary"} | ({"url"} if doi or hal else set())
        self.b.leftovers(entry, used, "a publication")

    def projects(self, entry: Loc) -> None:
        name = _text(entry, "name")
        if not name:
            self.b.skip(entry, "a project without a name")
            return
        roles = entry.get("roles")
        role_name = next((t for item in roles.entries() if (t := item.text())), None) if roles and roles.is_list else None
        members = (Membership(self.owner, self.b.span(roles or entry, whole=False), role_name),) if self.owner else ()
        start, end, _ = self.dates(entry)
        self.b.records.append(
            Project(
                title=name,
                span=self.b.span(entry),
                description=self.description(entry, "description", "highlights"),
                members=members,
                start=start,
                end=end,
            )
        )
        self.b.leftovers(entry, {"name", "roles", "description", "highlights", "startDate", "endDate"}, "a project")

    def skills(self, entry: Loc) -> None:
        person = self.need_owner(entry, "a skill")
        if person is None:
            return
        names = [t for t in (_text(entry, "name"),) if t]
        keywords = entry.get("keywords")
        if keywords is not None:
            names.extend(t for item in keywords.entries() for t in [item.text()] if t)
        if not names:
            self.b.skip(entry, "a skill without a name or keywords")
            return
        self.b.records.append(PersonFacts(person, self.b.span(entry), knows_about=tuple(names)))
        self.b.leftovers(entry, {"name", "keywords"}, "a skill")


def _text(entry: Loc, key: str) -> str | None:
    loc = entry.get(key)
    return _fields.clean(t) if loc is not None and (t := loc.text()) else None
