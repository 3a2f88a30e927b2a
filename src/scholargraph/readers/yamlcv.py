"""CV data kept as YAML by CV generators and static-site themes.

Three layouts are read:

* **RenderCV** (``cv.yaml``): ``cv: {name, sections: {<title>: [entries]}}``.
  ``design``, ``locale``, ``settings`` and ``rendercv_settings`` are layout
  settings (syntax); contact fields of ``cv`` are reported unmapped.
* **al-folio** ``_data/cv.yml``: a list of ``{title, type, contents}``
  sections; the ``Full Name`` of a ``map`` section names the owner.
* **Data files** of Jekyll/Hugo sites: a mapping with the person's ``name``
  (or ``author``) and section names with lists (``jobs:``, ``education:``,
  ``papers:``, ``talks:``), or a bare list whose section is the file's name
  (``_data/talks.yml``).  Without a name and a section, a YAML file is not
  taken for a CV (``sniff`` is False): configuration and test expectation
  files look too much like CV data otherwise.

Sections are classified by their title, in English or French (see
:data:`SECTIONS`); an unknown title falls back on the keys of its entries.
Entries are read with synonyms for their keys (:data:`KEYS`):

* positions, education and service → Roles (role name ``position``/``title``;
  for education ``"<degree> in <area>"``; organisation ``company``/
  ``institution``/...; dates from ``start_date``/``end_date`` or a range in
  ``date``/``year``; ``summary``/``description``/``highlights`` as the description);
* publications and talks → Works (the section title gives the type, e.g.
  "Journal articles" → JournalArticle, "Talks" → Presentation; a plain
  "Publications" section gives Expression); ``authors`` in order, with
  Markdown emphasis (RenderCV's ``*John Doe*``) removed;
* teaching → Courses; projects → Projects; skills → PersonFacts;
* free-text entries (RenderCV bullets, text entries) and other sections
  (awards, languages, ...) → unmapped, with the reason.

Dates: ISO partial dates or any form :func:`~scholargraph.dates.parse_range`
knows; an end date of "present" (any language) is ongoing; a start without an
end is an unknown end, not an ongoing one.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..dates import InvalidDate, fold, parse_range
from ..records import (
    Agent,
    AgentKind,
    Course,
    Document,
    Event,
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
from ._located import DocumentBuilder, Loc, load_yaml, yaml_markup

KIND = "yaml-cv"

# Section title words (folded, no accents) → what the entries are.
SECTIONS: list[tuple[str, str]] = [
    (r"teach|enseign|\bcours\b|courses", "teaching"),
    (r"volunteer|benevol|service|responsabilit|membership|adhesion|administrative|reviewing|expertise", "service"),
    (r"educat|formation|diplom|degree|stud|etudes|cursus", "education"),
    (r"journal|revue|article", "pub:JournalArticle"),
    (r"conference|communication|proceeding|colloque", "pub:ConferencePaper"),
    (r"talk|presentation|seminar|seminaire|expose|invited|conferences invitees|lecture", "pub:Presentation"),
    (r"report|rapport", "pub:ReportDocument"),
    (r"chapter|chapitre", "pub:BookChapter"),
    (r"\bbooks?\b|ouvrage|livre|monograph", "pub:Book"),
    (r"thes[ie]s|these|dissertation", "pub:DoctoralThesis"),
    (r"publication|paper|preprint|working|selected|bibliograph|output", "pub:Expression"),
    (r"experience|work|job|employ|position|appointment|career|parcours|poste|professional|emploi", "position"),
    (r"project|projet|grant|funding|financement", "project"),
    (r"skill|competence|expertise|tool|outil|technolog", "skills"),
]
KEYS: dict[str, tuple[str, ...]] = {
    "role": ("position", "title", "role", "job", "name"),
    "degree": ("degree", "studyType", "study_type", "course", "diploma", "title", "name"),
    "area": ("area", "field", "major", "subject"),
    "org": ("company", "institution", "organization", "organisation", "employer", "school",
            "university", "org", "affiliation", "where"),
    "start": ("start_date", "date_start", "startDate", "start", "from", "begin"),
    "end": ("end_date", "date_end", "endDate", "end", "to", "until"),
    "when": ("date", "dates", "year", "years", "period", "when"),
    "text": ("summary", "description", "details", "content", "highlights", "items", "notes"),
    "title": ("title", "name", "paper", "talk"),
    "venue": ("journal", "venue", "booktitle", "conference", "event", "periodical", "in"),
    "place": ("location", "place", "city", "address"),
}
_CONTACT = {"email", "phone", "website", "location", "social_networks", "photo", "headline",
            "custom_connections", "label", "url", "links", "address", "image", "profiles"}
_OWNER_KEYS = ("name", "author", "full_name")
_LAYOUT = {"design", "locale", "settings", "rendercv_settings", "locale_catalog"}


def sniff(path: Path, text: str) -> bool:
    """A YAML file with a RenderCV ``cv:``, al-folio sections, or CV data sections; not curated records."""
    if path.suffix.lower() not in {".yaml", ".yml"} or re.search(r"^records:", text, re.MULTILINE):
        return False
    if re.search(r"^cv:\s*$", text, re.MULTILINE) or re.search(r"^-\s+title:.*\n\s+type:\s*(?:map|time_table|list|nested_list)", text, re.MULTILINE):
        return True
    keys = re.findall(r"^([A-Za-z_][\w ]*):", text, re.MULTILINE)
    if any(k in _OWNER_KEYS for k in keys) and any(_section_kind(k) for k in keys):
        return True  # a data file that names its person and has CV sections
    return bool(_section_kind(path.stem)) and text.lstrip().startswith("-")


def _section_kind(title: str) -> str | None:
    folded = fold(title).replace("_", " ")
    for pattern, kind in SECTIONS:
        if re.search(pattern, folded):
            return kind
    return None


def read(text: str, source: str) -> Document:
    builder = DocumentBuilder(text, source, KIND, markup=yaml_markup)
    tree = load_yaml(text, source)
    if tree is None:
        return builder.build()
    _Cv(builder, Path(source).stem).read(tree)
    return builder.build()


class _Cv:
    def __init__(self, builder: DocumentBuilder, stem: str) -> None:
        self.b = builder
        self.stem = stem
        self.owner: Agent | None = None

    # --- layouts ---

    def read(self, tree: Loc) -> None:
        cv = tree.get("cv")
        if cv is not None and cv.is_map:
            self.rendercv(tree, cv)
        elif tree.is_list and all(e.is_map and e.get("contents") is not None for e in tree.entries()):
            self.alfolio(tree)
        elif tree.is_list:
            self.section(self.stem, tree)
        elif tree.is_map:
            self.datafile(tree)
        else:
            self.b.skip(tree, "a YAML CV is a mapping or a list of sections")

    def set_owner(self, loc: Loc) -> None:
        if name := loc.text():
            self.owner = Agent(_fields.clean(name), AgentKind.PERSON, self.b.span(loc, whole=False))
            self.b.owner = self.owner

    def rendercv(self, tree: Loc, cv: Loc) -> None:
        for key, value in tree.items():
            if key in _LAYOUT:
                self.b.syntax(value)
            elif key != "cv":
                self.b.skip(value, f"top-level key {key!r} is not part of a RenderCV file")
        if (name := cv.get("name")) is not None:
            self.set_owner(name)
        for key, value in cv.items():
            if key == "sections":
                for title, entries in value.items():
                    self.section(title, entries)
            elif key != "name" and value.plain() not in (None, "", [], {}):
                self.b.skip(value, f"contact detail {key!r} is not part of the graph model")

    def alfolio(self, tree: Loc) -> None:
        sections = tree.entries()
        for section in sections:  # the owner first: entries need them
            if (section.get("type") and section.get("type").text()) == "map":  # type: ignore[union-attr]
                for item in section.get("contents").entries():  # type: ignore[union-attr]
                    label = item.get("name")
                    if label is not None and fold(label.text() or "") in {"full name", "name", "nom", "nom complet"}:
                        if (value := item.get("value")) is not None:
                            self.set_owner(value)
                            self.b.syntax(label)
        for section in sections:
            title = section.get("title").text() if section.get("title") else None  # type: ignore[union-attr]
            contents = section.get("contents")
            kind = section.get("type").text() if section.get("type") else None  # type: ignore[union-attr]
            for key in ("title", "type"):
                if (heading := section.get(key)) is not None:
                    self.b.syntax(heading)
            if kind == "map":
                for item in contents.entries():  # type: ignore[union-attr]
                    value = item.get("value")
                    if value is not None and self.owner is not None and value.first == self.owner.span.start:
                        continue
                    self.b.skip(item, f"general information {(item.get('name').text() if item.get('name') else '')!r} is not part of the graph model")
            else:
                self.section(title or "", contents)  # type: ignore[arg-type]

    def datafile(self, tree: Loc) -> None:
        for key, value in tree.items():
            if key in _OWNER_KEYS and value.is_scalar:
                self.set_owner(value)
        for key, value in tree.items():
            if key in _OWNER_KEYS and value.is_scalar:
                continue
            if value.is_list or (value.is_map and _section_kind(key)):
                self.section(key, value)
            elif value.plain() not in (None, "", [], {}):
                self.b.skip(value, f"{key!r} is not a CV section")

    # --- sections and entries ---

    def section(self, title: str, entries: Loc) -> None:
        kind = _section_kind(title)
        items = entries.entries()
        if entries.is_map:  # Wowchemy: education: {courses: [...]}
            inner = [v for _, v in entries.items() if v.is_list]
            items = [e for v in inner for e in v.entries()] if inner else [entries]
        for entry in items:
            self.entry(kind, title, entry)

    def entry(self, kind: str | None, title: str, entry: Loc) -> None:
        if not entry.is_map:
            if kind == "skills" and (text := entry.text()):
                self.skills(entry, [text])
            else:
                self.b.skip(entry, f"free text in section {title!r}; not interpreted")
            return
        keys = set(entry.value)
        if keys <= {"bullet", "number", "reversed_number"}:
            self.b.skip(entry, f"free text in section {title!r}; not interpreted")
            return
        if kind is None:
            kind = _kind_from_keys(keys)
        if kind == "skills" or keys == {"label", "details"}:
            if kind == "skills":
                words = [w.strip() for w in re.split(r"[,;]", _text(entry, ("details", "keywords", "items")) or "") if w.strip()]
                if not words and (name := _text(entry, ("name", "label", "title"))):
                    words = [name]
                self.skills(entry, words)
            else:
                self.b.skip(entry, f"one-line entry in section {title!r}; not interpreted")
        elif kind in {"position", "service", "education"}:
            self.role(kind, title, entry)
        elif kind is not None and kind.startswith("pub:"):
            self.work(WorkType(kind[4:]), title, entry)
        elif kind == "teaching":
            self.course(title, entry)
        elif kind == "project":
            self.project(entry)
        else:
            self.b.skip(entry, f"entries of section {title!r} are not mapped")

    def dates(self, entry: Loc) -> tuple[PartialDate | None, PartialDate | None, bool, set[str]]:
        used: set[str] = set()
        start_key, start_loc = _find(entry, KEYS["start"])
        end_key, end_loc = _find(entry, KEYS["end"])
        when_key, when_loc = _find(entry, KEYS["when"])
        start = end = None
        ongoing = False
        try:
            if start_loc is not None and start_loc.text():
                used.add(start_key)
                start = _fields.iso_date(start_loc.text()) or _range_start(start_loc.text() or "")
                if start is None:
                    self.b.skip(start_loc, f"{start_key} {start_loc.text()!r} is not a date")
            if end_loc is not None and end_loc.text():
                used.add(end_key)
                if _fields.is_ongoing(end_loc.text()):
                    ongoing = True
                else:
                    end = _fields.iso_date(end_loc.text()) or _range_start(end_loc.text() or "")
                    if end is None:
                        self.b.skip(end_loc, f"{end_key} {end_loc.text()!r} is not a date")
            if start is None and end is None and not ongoing and when_loc is not None and when_loc.text():
                used.add(when_key)
                found = parse_range(when_loc.text() or "")
                if found is None:
                    self.b.skip(when_loc, f"{when_key} {when_loc.text()!r} is not a date or a range")
                else:
                    start, end, ongoing = found.start, found.end, found.ongoing
        except InvalidDate as error:
            self.b.skip(entry, f"{error}")
        return start, end, ongoing, used

    def role(self, kind: str, title: str, entry: Loc) -> None:
        if self.owner is None:
            self.b.skip(entry, f"an entry of section {title!r} of an unnamed person: add the CV's name")
            return
        used: set[str] = set()
        if kind == "education":
            degree_key, degree = _find_text(entry, KEYS["degree"])
            area_key, area = _find_text(entry, KEYS["area"])
            used |= {degree_key, area_key} - {""}
            name = f"{degree} in {area}" if degree and area else (degree or area or "")
        else:
            role_key, name = _find_text(entry, KEYS["role"])
            name = name or ""
            used.add(role_key)
        org_key, org_loc = _find(entry, KEYS["org"])
        org = None
        if org_loc is not None and (org_name := org_loc.text()):
            org = Agent(_fields.clean(org_name), AgentKind.ORGANIZATION, self.b.span(org_loc, whole=False))
            used.add(org_key)
        if not name and org is None:
            self.b.skip(entry, f"an entry of section {title!r} names neither a role nor an organisation")
            return
        start, end, ongoing, date_keys = self.dates(entry)
        text_keys, description = _description(entry)
        self.b.records.append(
            Role(
                kind={"position": RoleKind.POSITION, "service": RoleKind.SERVICE}.get(kind, RoleKind.EDUCATION),
                person=self.owner,
                role_name=_fields.clean(name),
                span=self.b.span(entry),
                organization=org,
                start=start,
                end=end,
                ongoing=ongoing,
                description=description,
            )
        )
        self.b.leftovers(entry, used | date_keys | text_keys, f"an entry of section {title!r}")

    def work(self, work_type: WorkType, title: str, entry: Loc) -> None:
        title_key, text = _find_text(entry, KEYS["title"])
        if not text:
            self.b.skip(entry, f"an entry of section {title!r} without a title")
            return
        used = {title_key}
        authors: list[Agent] = []
        if (loc := entry.get("authors") or entry.get("author")) is not None:
            used |= {"authors", "author"}
            names = [i.text() or "" for i in loc.entries()] if loc.is_list else re.split(r"\s+and\s+|\s*[;,]\s*(?:and\s+)?", loc.text() or "")
            span = self.b.span(loc)
            authors = [Agent(_fields.clean(n), AgentKind.PERSON, span) for n in names if _fields.clean(n)]
        venue_key, venue = _find_text(entry, KEYS["venue"])
        place_key, place = _find_text(entry, KEYS["place"])
        used |= {venue_key}
        date = None
        when_key, when_loc = _find(entry, KEYS["when"] + KEYS["start"])
        if when_loc is not None and when_loc.text():
            used.add(when_key)
            try:
                date = _fields.iso_date(when_loc.text()) or _range_start(when_loc.text() or "")
            except InvalidDate as error:
                self.b.skip(when_loc, f"{error}")
            else:
                if date is None:
                    self.b.skip(when_loc, f"{when_key} {when_loc.text()!r} is not a date")
        doi = hal = None
        for key in ("doi", "hal", "hal_id", "url", "link", "pdf"):
            if (value := _text(entry, (key,))) is not None:
                found_doi, found_hal = _fields.doi_or_hal(value)
                if found_doi or found_hal or key in {"doi", "hal", "hal_id"}:
                    used.add(key)
                doi, hal = doi or found_doi, hal or found_hal
        forthcoming = False
        for key in ("status", "note", "when", "date"):
            if (value := _text(entry, (key,))) and _fields.is_forthcoming(value):
                forthcoming = True
                used.add(key)
        presented_at = None
        if work_type in (WorkType.PRESENTATION, WorkType.CONFERENCE_PAPER) and venue:
            venue_loc = entry.get(venue_key)
            presented_at = Event(venue, self.b.span(venue_loc, whole=False), date=date, place=place)  # type: ignore[arg-type]
            used.add(place_key)
            venue = None
        start_page = end_page = None
        if (pages := _text(entry, ("pages",))) is not None:
            used.add("pages")
            start_page, end_page = _fields.split_pages(pages)
        contributors: tuple[Agent, ...] = ()
        if not authors and self.owner is not None:
            authors = [self.owner]  # a work listed without authors in someone's CV is theirs
        text_keys, description = _description(entry)
        self.b.records.append(
            Work(
                type=work_type,
                titles=(_fields.title(text),),
                span=self.b.span(entry),
                authors=tuple(authors),
                contributors=contributors,
                date=date,
                forthcoming=forthcoming,
                venue=venue,
                presented_at=presented_at,
                publisher=_text(entry, ("publisher",)),
                volume=_text(entry, ("volume",)),
                issue=_text(entry, ("issue", "number")),
                page_start=start_page,
                page_end=end_page,
                doi=doi,
                hal=hal,
                description=(description,) if description else (),
            )
        )
        used |= text_keys | {"publisher", "volume", "issue", "number"}
        self.b.leftovers(entry, used, f"an entry of section {title!r}")

    def course(self, title: str, entry: Loc) -> None:
        if self.owner is None:
            self.b.skip(entry, "a course of an unnamed person: add the CV's name")
            return
        name_key, name = _find_text(entry, ("course", "title", "name"))
        if not name:
            self.b.skip(entry, f"an entry of section {title!r} without a course name")
            return
        org_key, org_loc = _find(entry, KEYS["org"])
        provider = Agent(org_loc.text() or "", AgentKind.ORGANIZATION, self.b.span(org_loc, whole=False)) if org_loc is not None and org_loc.text() else None
        start, end, _, date_keys = self.dates(entry)
        self.b.records.append(
            Course(
                name=name,
                instructor=self.owner,
                span=self.b.span(entry),
                provider=provider,
                workload=_text(entry, ("hours", "workload", "volume")),
                audience=_text(entry, ("audience", "level", "public")),
                mode=_text(entry, ("type", "mode", "format")),
                start=start,
                end=end,
            )
        )
        used = {name_key, org_key, "hours", "workload", "volume", "audience", "level", "public", "type", "mode", "format"}
        self.b.leftovers(entry, used | date_keys, f"an entry of section {title!r}")

    def project(self, entry: Loc) -> None:
        name_key, name = _find_text(entry, ("name", "title", "project"))
        if not name:
            self.b.skip(entry, "a project without a name")
            return
        funder_key, funder_loc = _find(entry, ("funder", "funding", "agency", "financeur"))
        funders = (Agent(funder_loc.text() or "", AgentKind.ORGANIZATION, self.b.span(funder_loc, whole=False)),) if funder_loc is not None and funder_loc.text() else ()
        role_key, role = _find_text(entry, ("role", "position"))
        members = (Membership(self.owner, self.b.span(entry, whole=False), role),) if self.owner else ()
        start, end, _, date_keys = self.dates(entry)
        text_keys, description = _description(entry)
        self.b.records.append(
            Project(title=_fields.clean(name), span=self.b.span(entry), acronym=_text(entry, ("acronym",)),
                    description=description, funders=funders, members=members, start=start, end=end)
        )
        self.b.leftovers(entry, {name_key, funder_key, role_key, "acronym"} | date_keys | text_keys, "a project")

    def skills(self, entry: Loc, words: list[str]) -> None:
        if self.owner is None or not words:
            self.b.skip(entry, "skills of an unnamed person: add the CV's name" if words else "an empty skill entry")
            return
        self.b.records.append(PersonFacts(self.owner, self.b.span(entry), knows_about=tuple(words)))


def _kind_from_keys(keys: set[str]) -> str | None:
    if keys & {"company", "employer", "position"}:
        return "position"
    if keys & {"institution", "school", "university"} and keys & {"degree", "area", "studyType", "diploma"}:
        return "education"
    if keys & {"authors", "author", "doi", "journal"}:
        return "pub:Expression"
    return None


def _find(entry: Loc, keys: tuple[str, ...]) -> tuple[str, Loc | None]:
    for key in keys:
        if (loc := entry.get(key)) is not None and loc.value not in (None, ""):
            return key, loc
    return "", None


def _find_text(entry: Loc, keys: tuple[str, ...]) -> tuple[str, str | None]:
    for key in keys:
        if (loc := entry.get(key)) is not None and (text := loc.text()):
            return key, _fields.clean(text)
    return "", None


def _text(entry: Loc, keys: tuple[str, ...]) -> str | None:
    return _find_text(entry, keys)[1]


def _description(entry: Loc) -> tuple[set[str], str | None]:
    used: set[str] = set()
    parts: list[str] = []
    for key in KEYS["text"]:
        loc = entry.get(key)
        if loc is None:
            continue
        used.add(key)
        if loc.is_list:
            parts.extend(_fields.clean(t) for item in loc.value if (t := item.text()))
        elif text := loc.text():
            parts.append(_fields.clean(text))
    return used, "\n".join(parts) or None


def _range_start(text: str) -> PartialDate | None:
    found = parse_range(text)
    return found.start if found is not None else None
