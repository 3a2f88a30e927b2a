"""Resolution: the same person, organisation or work named twice becomes one entity.

Rules, conservative by design:

* people are one on a shared ORCID, or on equal name keys (first given name and
  family name, folded: accents, case, honorifics, middle initials and markup
  don't split a person); similar but unequal names are *candidates*, not merged;
* organisations are one on equal folded names, a curated alias, or a name that
  is another's acronym;
* works are one on a shared DOI or HAL id, else on an equal normalised title
  (main or translated) with a compatible year, else on a near-equal title
  (rapidfuzz ≥ 90) with the same year and shared authors.

Every merge keeps its evidence; :class:`MergeReport` is written to
``build/merges.yaml``.  The result is independent of document order.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

from rapidfuzz import fuzz, process

from . import names as _names
from .curated import Curated
from .dates import fold
from .names import is_shouting
from .records import (
    Agent,
    AgentKind,
    Course,
    Document,
    Event,
    Hearing,
    PartialDate,
    PersonFacts,
    Project,
    Role,
    RoleKind,
    Span,
    Title,
    Work,
    WorkType,
)

TITLE_MERGE_SCORE = 90.0
TITLE_CANDIDATE_SCORE = 80.0

# Name keys are pure functions of a string, and resolution asks for the same
# names again and again (every mention of a person, at every step); nameparser
# costs ~1 ms a call, so they are memoised (bounded, for long-lived processes).
_NAME_CACHE = 1 << 18
display_person_name = lru_cache(maxsize=_NAME_CACHE)(_names.display_person_name)
initials_key = lru_cache(maxsize=_NAME_CACHE)(_names.initials_key)
org_key = lru_cache(maxsize=_NAME_CACHE)(_names.org_key)
person_key = lru_cache(maxsize=_NAME_CACHE)(_names.person_key)
split_person_name = lru_cache(maxsize=_NAME_CACHE)(_names.split_person_name)


# ----------------------------------------------------------------- union-find


class _Union:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        lo, hi = min(ra, rb), max(ra, rb)
        self.parent[hi] = lo
        return True


# ------------------------------------------------------------------- entities


@dataclass
class PersonEntity:
    key: str
    name: str
    given: str
    family: str
    orcid: str | None
    names: tuple[str, ...]
    spans: tuple[Span, ...]
    knows_about: tuple[str, ...] = ()


@dataclass
class OrgEntity:
    key: str
    name: str
    alternate_names: tuple[str, ...]
    subtype: str | None
    ror: str | None
    spans: tuple[Span, ...]
    funder: bool = False


@dataclass
class WorkEntity:
    key: str
    type: WorkType
    titles: tuple[Title, ...]
    alternate_titles: tuple[Title, ...]
    authors: tuple[tuple[str, str], ...]  # (kind "person"|"org", entity key), in order
    contributors: tuple[tuple[str, str], ...]
    date: PartialDate | None
    forthcoming: bool
    venue: str | None
    venue_names: tuple[str, ...]
    event: str | None  # event key
    publisher: str | None  # org key
    volume: str | None
    issue: str | None
    page_start: str | None
    page_end: str | None
    doi: str | None
    hal: str | None
    institution: str | None  # org key
    description: tuple[str, ...]
    spans: tuple[Span, ...]
    projects: tuple[str, ...] = ()
    editors: tuple[str, ...] = ()  # person keys of the book's editors (chapters)
    book: str | None = None  # title of the book a chapter is in


@dataclass
class RoleEntity:
    kind: RoleKind
    person: str
    org: str | None
    role_name: str
    start: PartialDate | None
    end: PartialDate | None
    ongoing: bool
    description: str | None
    spans: tuple[Span, ...]


@dataclass
class EventEntity:
    key: str
    name: str
    date: PartialDate | None
    end_date: PartialDate | None
    place: str | None
    description: str | None
    spans: tuple[Span, ...]
    organizer_project: str | None = None
    organizer_org: str | None = None
    performers: tuple[str, ...] = ()
    about: str | None = None  # work key
    hearing: bool = False


@dataclass
class CourseEntity:
    name: str
    instructor: str
    provider: str | None
    mode: str | None
    workload: str | None
    audience: str | None
    start: PartialDate | None
    end: PartialDate | None
    spans: tuple[Span, ...]
    ongoing: bool = False


@dataclass
class ProjectEntity:
    key: str
    title: str
    acronym: str | None
    description: str | None
    funders: tuple[str, ...]
    host: str | None
    members: tuple[tuple[str, str | None, Span, str | None], ...]  # person, role, span, affiliation
    events: tuple[str, ...]
    start: PartialDate | None
    end: PartialDate | None
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class Merge:
    kind: str
    name: str
    variants: tuple[str, ...]
    evidence: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Candidate:
    kind: str
    names: tuple[str, str]
    keys: tuple[str, str]
    reason: str
    score: float


@dataclass
class MergeReport:
    merges: list[Merge] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)


@dataclass
class Resolved:
    documents: tuple[Document, ...]
    persons: dict[str, PersonEntity]
    organizations: dict[str, OrgEntity]
    works: dict[str, WorkEntity]
    roles: list[RoleEntity]
    events: dict[str, EventEntity]
    courses: list[CourseEntity]
    projects: dict[str, ProjectEntity]
    report: MergeReport


# -------------------------------------------------------------------- helpers


@lru_cache(maxsize=_NAME_CACHE)
def title_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(text)).strip()


def _span_key(span: Span) -> tuple[str, int, int]:
    return (span.source, span.start, span.end)


def _uniq(items: Iterable[Span]) -> tuple[Span, ...]:
    """The distinct spans, in (source, start, end) order (keyed by that tuple: a Span's own
    hash and equality run in Python, ~476,000 calls in a million-triple resolution)."""
    distinct = {(span.source, span.start, span.end): span for span in items}
    return tuple(distinct[key] for key in sorted(distinct))


def _walk_works(documents: Iterable[Document]) -> list[Work]:
    works: list[Work] = []
    seen: set[int] = set()

    def add(work: Work | None) -> None:
        if work is not None and id(work) not in seen:
            seen.add(id(work))
            works.append(work)

    for document in documents:
        for record in document.records:
            if isinstance(record, Work):
                add(record)
            elif isinstance(record, Project):
                for output in record.outputs:
                    add(output)
            elif isinstance(record, Hearing):
                add(record.about)
    return works


def _agents(documents: Iterable[Document], works: list[Work]) -> list[Agent]:
    return [*_record_agents(documents), *_work_agents(works)]


def _record_agents(documents: Iterable[Document]) -> list[Agent]:
    agents: list[Agent] = []
    for document in documents:
        if document.owner is not None:
            agents.append(document.owner)
        for record in document.records:
            if isinstance(record, Role):
                agents.append(record.person)
                if record.organization:
                    agents.append(record.organization)
            elif isinstance(record, Course):
                agents.append(record.instructor)
                if record.provider:
                    agents.append(record.provider)
            elif isinstance(record, Hearing):
                agents.extend(record.performers)
                if record.organizer:
                    agents.append(record.organizer)
            elif isinstance(record, Project):
                agents.extend(record.funders)
                if record.host:
                    agents.append(record.host)
                agents.extend(m.person for m in record.members)
                agents.extend(m.affiliation for m in record.members if m.affiliation is not None)
            elif isinstance(record, PersonFacts):
                agents.append(record.person)
                # the lines stating the facts (skills, keywords) are cited by the person
                agents.append(Agent(record.person.name, AgentKind.PERSON, record.span, orcid=record.person.orcid))
    return agents


def _work_agents(works: list[Work]) -> list[Agent]:
    agents: list[Agent] = []
    for work in works:
        agents.extend(work.authors)
        agents.extend(work.contributors)
        agents.extend(work.editors)
        if work.institution:
            agents.append(work.institution)
        if work.publisher:
            agents.append(Agent(work.publisher, AgentKind.ORGANIZATION, work.span))
    return agents


def _smart_case(name: str) -> str:
    """``INSTITUT POLYTECHNIQUE DE PARIS`` → ``Institut Polytechnique de Paris``."""
    small = {"de", "du", "des", "la", "le", "les", "pour", "of", "the", "and", "et", "en", "for", "sur", "à", "au", "aux"}
    words = []
    for index, word in enumerate(name.split()):
        lower = word.lower()
        if index and lower in small:
            words.append(lower)
        elif "'" in lower or "’" in lower:
            head, _, tail = lower.replace("’", "'").partition("'")
            words.append((head if index else head.capitalize()) + "'" + tail.capitalize())
        else:
            words.append("-".join(p.capitalize() for p in lower.split("-")))
    return " ".join(words)


def org_subtype(name: str) -> str | None:
    folded = fold(name)
    if re.search(r"\b(?:universit|college|ecole|school|polytechni|sciences po|ens\b|institut (?:national )?(?:des )?sciences)", folded):
        return "CollegeOrUniversity"
    if re.search(r"\b(?:ministr|government|gouvernement|senat|senate|assemblee|parliament|parlement|city of|ville de|mairie|conseil national|national council|mission d.information|prefecture|region )", folded):
        return "GovernmentOrganization"
    if re.search(r"\b(?:union|syndicat|confederation generale du travail)\b", folded):
        return "WorkersUnion"
    if re.search(r"\b(?:fondation|foundation|association|ngo|ong)\b", folded):
        return "NGO"
    return None


# ------------------------------------------------------------------- people


@dataclass
class NameMentions:
    """The mentions of one person name key (:func:`person_key`), counted.

    A person entity is made from the counts of its name keys (never from the
    mentions themselves), so that a rebuild can count a changed document's
    mentions out and in again instead of going over every document
    (:mod:`scholargraph.delta`)."""

    display: Counter[str] = field(default_factory=Counter)  # display name -> mentions
    written: Counter[str] = field(default_factory=Counter)  # the name as written -> mentions
    orcids: Counter[str] = field(default_factory=Counter)  # ORCID stated (or curated) -> mentions
    spans: Counter[tuple[str, int, int]] = field(default_factory=Counter)  # (source, start, end) -> mentions
    span_of: dict[tuple[str, int, int], Span] = field(default_factory=dict)  # one Span object per span

    def count(self, agents: list[Agent], curated_orcid: str | None, sign: int = 1) -> None:
        """Count ``agents`` (all of this name key) in, or out with ``sign`` -1."""
        written = Counter(a.name for a in agents)
        display: Counter[str] = Counter()
        for name, times in written.items():
            display[display_person_name(name)] += times
        orcids = Counter(o for o in (a.orcid or curated_orcid for a in agents) if o)
        spans = Counter((a.span.source, a.span.start, a.span.end) for a in agents)
        if sign > 0:
            self.written += written
            self.display += display
            self.orcids += orcids
            self.spans += spans
            for agent in agents:
                self.span_of.setdefault((agent.span.source, agent.span.start, agent.span.end), agent.span)
        else:
            self.written -= written
            self.display -= display
            self.orcids -= orcids
            self.spans -= spans
            for key in spans:
                if key not in self.spans:
                    self.span_of.pop(key, None)

    def __bool__(self) -> bool:
        return bool(self.written)

    def __getstate__(self) -> dict[str, object]:
        # plain dicts (a Counter pickles through Python code); the Spans are made again where needed
        return {"display": dict(self.display), "written": dict(self.written), "orcids": dict(self.orcids), "spans": dict(self.spans)}

    def __setstate__(self, state: dict[str, dict]) -> None:
        self.display, self.written = Counter(state["display"]), Counter(state["written"])
        self.orcids, self.spans = Counter(state["orcids"]), Counter(state["spans"])
        self.span_of = {}


def count_person_mentions(agents: Iterable[Agent], curated: Curated, table: dict[str, NameMentions] | None = None, sign: int = 1) -> dict[str, NameMentions]:
    """``table`` (a new one by default) with ``agents`` counted in (or out), by name key."""
    table = {} if table is None else table
    by_key: dict[str, list[Agent]] = defaultdict(list)
    for agent in agents:
        by_key[person_key(agent.name)].append(agent)
    orcid_of = curated_person_orcids(curated)
    for key, group in by_key.items():
        mentions = table.get(key)
        if mentions is None:
            mentions = table[key] = NameMentions()
        mentions.count(group, orcid_of.get(key), sign)
        if not mentions:
            del table[key]
    return table


def curated_person_names(curated: Curated) -> dict[str, CuratedPersonLike]:
    """Name key of a curated person's name or alias -> its canonical name and ORCID."""
    found: dict[str, CuratedPersonLike] = {}
    for entity in curated.persons:
        for name in (entity.name, *entity.aliases):
            found[person_key(name)] = CuratedPersonLike(entity.name, entity.orcid)
    return found


def curated_person_orcids(curated: Curated) -> dict[str, str | None]:
    return {key: like.orcid for key, like in curated_person_names(curated).items()}


@dataclass
class PersonGroups:
    """Which name keys make each person (its key -> name keys), and the merges that joined them."""

    members: dict[str, list[str]]
    orcids: dict[str, set[str]]  # the ORCIDs stated for a person key before ORCIDs joined keys
    merges: list[Merge]  # aligned initials, shared ORCIDs

    def person_of(self) -> dict[str, str]:
        return {name_key: key for key, name_keys in self.members.items() for name_key in name_keys}


def person_groups(table: dict[str, NameMentions], curated: Curated, aligned: list[tuple[str, str, str]]) -> PersonGroups:
    curated_alias = curated_person_names(curated)
    forced: dict[str, str] = {}
    for rule in curated.force:
        if rule.kind == "person":
            target = person_key(rule.names[0])
            for name in rule.names[1:]:
                forced[person_key(name)] = target
    forbidden = {frozenset(person_key(n) for n in rule.names) for rule in curated.forbid if rule.kind == "person"}
    merges: list[Merge] = []
    for short, full, why in aligned:
        if frozenset((person_key(short), person_key(full))) in forbidden:
            continue
        if person_key(short) not in forced and person_key(short) != person_key(full):
            forced[person_key(short)] = person_key(full)
            merges.append(Merge("person", display_person_name(full), (short, full), (why,), ()))
    groups: dict[str, list[str]] = defaultdict(list)
    orcid_by_key: dict[str, set[str]] = defaultdict(set)
    for name_key in sorted(table):
        key = name_key
        if key in curated_alias:
            key = person_key(curated_alias[key].name)
        key = forced.get(key, key)
        if table[name_key].orcids:
            orcid_by_key[key].update(table[name_key].orcids)
        groups[key].append(name_key)
    # an ORCID shared by two person keys joins them
    keys_by_orcid: dict[str, list[str]] = defaultdict(list)
    for key, orcids in orcid_by_key.items():
        for orcid in orcids:
            keys_by_orcid[orcid].append(key)
    for orcid, keys in sorted(keys_by_orcid.items()):
        keys = sorted(set(keys))
        for other in keys[1:]:
            if frozenset((keys[0], other)) in forbidden:
                continue
            groups[keys[0]].extend(groups.pop(other, []))
            merges.append(Merge("person", keys[0], (keys[0], other), (f"shared ORCID {orcid}",), ()))
    return PersonGroups({key: groups[key] for key in sorted(groups) if groups[key]}, dict(orcid_by_key), merges)


def person_entity(
    key: str, groups: PersonGroups, table: dict[str, NameMentions], curated_names: dict[str, CuratedPersonLike]
) -> tuple[PersonEntity, Merge | None]:
    """The person of ``key`` made from its name keys' counts, and the merge of its spellings (if several)."""
    display: Counter[str] = Counter()
    written: set[str] = set()
    spans: dict[tuple[str, int, int], Span] = {}
    for name_key in groups.members[key]:
        mentions = table[name_key]
        display.update(mentions.display)
        written.update(mentions.written)
        for place in mentions.spans:
            if place not in spans:
                found = mentions.span_of.get(place)
                spans[place] = found if found is not None else Span(*place)
    names = sorted(display)
    curated_name = curated_names.get(key)
    name = curated_name.name if curated_name else sorted(
        names, key=lambda n: (_is_initials_only(n), -len(n.split()), is_shouting(n), -display[n], n)
    )[0]
    given, family = split_person_name(name)
    orcids = sorted(groups.orcids.get(key, set()))
    entity = PersonEntity(key, name, given, family, orcids[0] if orcids else None, tuple(names), tuple(spans[s] for s in sorted(spans)))
    merge = None
    if len(written) > 1:
        merge = Merge("person", name, tuple(sorted(written)), (f"equal name key '{key}'",), tuple(sorted({s[0] for s in spans})))
    return entity, merge


def person_candidates(persons: dict[str, PersonEntity]) -> list[Candidate]:
    """Pairs of people that may be one: same family name and initial, or near-equal name keys."""
    candidates: list[Candidate] = []
    keys = sorted(persons)
    by_initials: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        by_initials[initials_key(persons[key].name)].append(key)
    for ikey, members in sorted(by_initials.items()):
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                candidates.append(Candidate("person", (persons[a].name, persons[b].name), (a, b), f"same family name and initial ('{ikey}')", 100.0))
    by_family: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        by_family[title_key(persons[key].family)[:4]].append(key)
    seen = {(c.keys[0], c.keys[1]) for c in candidates}
    for members in by_family.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if (a, b) in seen:
                    continue
                score = fuzz.ratio(a, b)
                if score >= 90:
                    candidates.append(Candidate("person", (persons[a].name, persons[b].name), (a, b), "similar names", round(score, 1)))
    return candidates


def knows_about(documents: Iterable[Document], person_of: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """Person key -> the topics the documents' facts give it, in document order."""
    found: dict[str, tuple[str, ...]] = {}
    for document in documents:
        for record in document.records:
            if isinstance(record, PersonFacts):
                key = person_of[person_key(record.person.name)]
                found[key] = tuple(dict.fromkeys((*found.get(key, ()), *record.knows_about)))
    return found


# ------------------------------------------------------------ organisations


def organizations(agents: list[Agent], curated: Curated) -> tuple[dict[str, OrgEntity], dict[str, str], list[Merge]]:
    """The organisations of the mentions ``agents``; org key of a mention's name -> its organisation; the merges."""
    mentions = sorted(agents, key=lambda a: (_span_key(a.span), a.name))
    canonical: dict[str, str] = {}
    curated_by_key: dict[str, object] = {}
    for entity in curated.organizations:
        for name in (entity.name, *entity.aliases):
            canonical[org_key(name)] = org_key(entity.name)
        curated_by_key[org_key(entity.name)] = entity
    acronyms: dict[str, str] = {}
    for agent in mentions:
        if agent.acronym:
            acronyms[org_key(agent.acronym)] = canonical.get(org_key(agent.name), org_key(agent.name))
    groups: dict[str, list[Agent]] = defaultdict(list)
    evidence: dict[str, set[str]] = defaultdict(set)
    for agent in mentions:
        raw = org_key(agent.name)
        if raw in canonical:
            key = canonical[raw]
            if raw != key:
                evidence[key].add(f"curated alias '{agent.name}'")
        elif raw in acronyms and acronyms[raw] != raw:
            key = acronyms[raw]
            evidence[key].add(f"acronym '{agent.name}'")
        else:
            key = raw
        groups[key].append(agent)
    orgs: dict[str, OrgEntity] = {}
    org_of: dict[str, str] = {}
    merges: list[Merge] = []
    for key in sorted(groups):
        agents = groups[key]
        entity = curated_by_key.get(key)
        names = sorted({a.name for a in agents})
        if entity is not None:
            name = entity.name  # type: ignore[attr-defined]
        else:
            best = sorted(names, key=lambda n: (is_shouting(n), len(n) <= 6 and n.isupper(), -len(n), n))[0]
            name = _smart_case(best) if is_shouting(best) and len(best.split()) > 1 else best
        alternates = {n for n in names if n != name}
        alternates.update(a.acronym for a in agents if a.acronym)
        if entity is not None:
            alternates.update(entity.aliases)  # type: ignore[attr-defined]
        subtype = (entity.type if entity is not None else None) or next((a.org_type for a in agents if a.org_type), None) or org_subtype(name)  # type: ignore[attr-defined]
        ror = (entity.ror if entity is not None else None) or next((a.ror for a in agents if a.ror), None)  # type: ignore[attr-defined]
        orgs[key] = OrgEntity(key, name, tuple(sorted(alternates - {name})), subtype, ror, _uniq(a.span for a in agents))
        for agent in agents:
            org_of[org_key(agent.name)] = key
        if len(names) > 1:
            merges.append(
                Merge("organization", name, tuple(names), tuple(sorted(evidence[key])) or (f"equal folded name '{key}'",), tuple(sorted({a.span.source for a in agents})))
            )
    return orgs, org_of, merges


# -------------------------------------------------------------------- works


def work_order(work: Work) -> tuple[str, int, int, str]:
    """Where a work mention stands among all (its span, then its title): the order the
    clustering visits them in, and the mention's identity across builds."""
    return (work.span.source, work.span.start, work.span.end, work.title)


@dataclass
class Clustering:
    """Work mentions grouped into works (clusters), as :func:`cluster_works` finds them."""

    clusters: list[list[Work]]  # each in work_order, the clusters in the order of their first mention
    evidence: list[tuple[str, ...]]  # per cluster: why its mentions are one (empty for one mention)
    candidates: list[tuple[tuple, Candidate]]  # (when the clustering met the pair, candidate)


def _compatible(a: Work, b: Work) -> bool:
    strict = {WorkType.PRESENTATION, WorkType.DOCTORAL_THESIS, WorkType.MASTERS_THESIS}
    if (a.type in strict or b.type in strict) and a.type != b.type:
        return False
    if a.doi and b.doi and a.doi != b.doi:
        return False
    if a.hal and b.hal and a.hal != b.hal:
        return False
    if a.date and b.date and a.date.year != b.date.year:
        return False
    return True


def cluster_works(mentions: Iterable[Work]) -> Clustering:
    """Group work mentions into works: a shared DOI or HAL id, an equal normalised title with
    a compatible year, a near-equal title with the same year and shared authors.

    Only mentions that share a DOI, a HAL id or a title key, or whose titles score at least
    TITLE_CANDIDATE_SCORE (with a compatible year), are ever compared: clustering a set of
    mentions closed under those relations gives the clusters of the whole corpus there
    (what a rebuild relies on, :mod:`scholargraph.delta`)."""
    works = sorted(mentions, key=work_order)
    union = _Union()
    evidence: dict[int, list[str]] = defaultdict(list)
    candidates: list[tuple[tuple, Candidate]] = []

    def join(a: int, b: int, why: str) -> None:
        if union.union(a, b):
            evidence[a].append(why)

    by_doi: dict[str, int] = {}
    by_hal: dict[str, int] = {}
    for i, work in enumerate(works):
        if work.doi:
            if work.doi in by_doi:
                join(by_doi[work.doi], i, f"same DOI {work.doi}")
            by_doi.setdefault(work.doi, i)
        if work.hal:
            if work.hal in by_hal:
                join(by_hal[work.hal], i, f"same HAL id {work.hal}")
            by_hal.setdefault(work.hal, i)

    by_title: dict[str, list[int]] = defaultdict(list)
    for i, work in enumerate(works):
        for title in work.titles:
            by_title[title_key(title.text)].append(i)
    for tkey, members in sorted(by_title.items()):
        for other in members[1:]:
            if _compatible(works[members[0]], works[other]):
                join(members[0], other, f"same title '{tkey[:60]}'")

    author_key_cache: dict[int, set[str]] = {}

    def author_keys(i: int) -> set[str]:
        # family name and first initial: "A. Martin" and "Alice Martin" count as shared
        if i not in author_key_cache:
            author_key_cache[i] = {initials_key(a.name) for a in works[i].authors if a.kind == AgentKind.PERSON}
        return author_key_cache[i]

    by_year: dict[int | None, list[int]] = defaultdict(list)
    for i, work in enumerate(works):
        by_year[work.date.year if work.date else None].append(i)
    for year, members in sorted(by_year.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
        pool = members + (by_year.get(None, []) if year is not None else [])
        # Every pair (i, j) of this year is considered in the order below, but only
        # pairs whose titles score >= TITLE_CANDIDATE_SCORE can merge or become
        # candidates; the others are skipped without effect.  The scores are taken
        # once per pair of distinct title keys (rapidfuzz's cdist, in C).
        for x, i, j, score in _similar_pairs(works, members, pool, year is None):
            if union.find(i) == union.find(j) or not _compatible(works[i], works[j]):
                continue
            shared = author_keys(i) & author_keys(j)
            smaller = min(len(author_keys(i)), len(author_keys(j))) or 1
            if score >= TITLE_MERGE_SCORE and year is not None and len(shared) / smaller >= 0.5:
                join(i, j, f"near-equal title (score {score:.0f}), same year {year}, {len(shared)} shared authors")
            else:
                # when the pair was met: the year's turn, i's place, then j's place in the pool
                met = ((year is None, year or 0), work_order(works[i]), (year is not None and works[j].date is None, work_order(works[j])))
                candidates.append((met, Candidate(
                    "work", (works[i].title, works[j].title), (str(works[i].span), str(works[j].span)),
                    f"similar titles, {len(shared)} shared authors", round(score, 1),
                )))
    clusters: dict[int, list[Work]] = defaultdict(list)
    for i, work in enumerate(works):
        clusters[union.find(i)].append(work)
    evidence_of_root: dict[int, set[str]] = defaultdict(set)
    for i, whys in evidence.items():
        evidence_of_root[union.find(i)].update(whys)
    roots = sorted(clusters)
    return Clustering(
        [clusters[root] for root in roots],
        [tuple(sorted(evidence_of_root.get(root, ()))) if len(clusters[root]) > 1 else () for root in roots],
        candidates,
    )


def aligned_in(members: list[Work]) -> dict[tuple[str, str], str]:
    """(initials name, full name) -> evidence, for authors at the same rank of the mentions of one work.

    "A. Martin" at rank 2 of a work whose other mention has "Alice Martin" at
    rank 2 is the same person: same family name, compatible initials, same
    place in the author list of the same work.
    """
    found: dict[tuple[str, str], str] = {}
    if len(members) < 2:
        return found
    lists = [w.authors for w in members if w.authors]
    # the ranks of each list that hold a person named by initials only: most lists have
    # none, and then no pair starting with them can align (the pairs are visited in the
    # same order as before, the others skipped)
    short_ranks = [
        [rank for rank, a in enumerate(a_list, start=1) if a.kind == AgentKind.PERSON and _is_initials_only(a.name)]
        for a_list in lists
    ]
    for a_list, ranks in zip(lists, short_ranks):
        if not ranks:
            continue
        for b_list in lists:
            if a_list is b_list or len(a_list) != len(b_list):
                continue
            for rank in ranks:
                a, b = a_list[rank - 1], b_list[rank - 1]
                if b.kind != AgentKind.PERSON or _is_initials_only(b.name):
                    continue
                fam_a = title_key(split_person_name(display_person_name(a.name))[1])
                fam_b = title_key(split_person_name(display_person_name(b.name))[1])
                ia, ib = given_initials(a.name), given_initials(b.name)
                if fam_a and fam_a == fam_b and ib.startswith(ia):
                    title = members[0].title
                    found.setdefault((display_person_name(a.name), display_person_name(b.name)), f"rank {rank} of '{title[:50]}' in a merged work")
    return found


def aligned_initials(per_cluster: Iterable[dict[tuple[str, str], str]]) -> list[tuple[str, str, str]]:
    """(initials name, full name, evidence) over the clusters' :func:`aligned_in`, the clusters
    in order (the first to align a pair gives its evidence)."""
    found: dict[tuple[str, str], str] = {}
    for aligned in per_cluster:
        for pair, why in aligned.items():
            found.setdefault(pair, why)
    return [(short, full, why) for (short, full), why in sorted(found.items())]


# ------------------------------------------------------------------- events


def add_event(events: dict[str, EventEntity], event: Event) -> str:
    """Count ``event`` into ``events`` (by normalised name and year); return its key."""
    key = f"{title_key(event.name)}|{event.date.year if event.date else 'nd'}"
    existing = events.get(key)
    if existing is None:
        events[key] = EventEntity(key, event.name, event.date, event.end_date, event.place, event.description, (event.span,))
    else:
        existing.spans = _uniq((*existing.spans, event.span))
        existing.place = existing.place or event.place
        if event.date and (existing.date is None or len(event.date.iso()) > len(existing.date.iso())):
            existing.date = event.date
    return key


# ----------------------------------------------------------------- resolution


@dataclass
class Resolution:
    """What a resolution knows beyond its :class:`Resolved`: what a rebuild needs to
    resolve again only what a changed document touches (:mod:`scholargraph.delta`)."""

    person_table: dict[str, NameMentions]
    person_groups: PersonGroups
    clustering: Clustering
    cluster_keys: list[str]  # the work key of each cluster
    aligned: list[dict[tuple[str, str], str]]  # per cluster
    cluster_events: list[Event | None]  # per cluster, the event it was presented at
    spelling_merges: dict[str, Merge]  # person key -> the merge of its spellings, where it has several
    work_merges: list[Merge | None]  # per cluster
    org_of: dict[str, str]  # org key of a mention's name -> its organisation


class _Resolver:
    def __init__(self, documents: list[Document], curated: Curated) -> None:
        self.documents = sorted(documents, key=lambda d: d.path)
        self.curated = curated
        self.works = _walk_works(self.documents)
        self.events: dict[str, EventEntity] = {}

    def person(self, agent: Agent) -> str:
        return self.person_of[person_key(agent.name)]

    def org(self, agent: Agent | str) -> str:
        name = agent.name if isinstance(agent, Agent) else agent
        return self.org_of[org_key(name)]

    def agent_ref(self, agent: Agent) -> tuple[str, str]:
        if agent.kind == AgentKind.PERSON:
            return ("person", self.person(agent))
        return ("org", self.org(agent))

    # ---------------------------------------------------------------- people
    def persons(self, aligned: list[tuple[str, str, str]]) -> dict[str, PersonEntity]:
        self.person_table = count_person_mentions((a for a in self.agents if a.kind == AgentKind.PERSON), self.curated)
        self.groups = person_groups(self.person_table, self.curated, aligned)
        self.person_of = self.groups.person_of()
        persons: dict[str, PersonEntity] = {}
        self.spelling_merges: dict[str, Merge] = {}
        curated_names = curated_person_names(self.curated)
        for key in self.groups.members:
            persons[key], merge = person_entity(key, self.groups, self.person_table, curated_names)
            if merge is not None:
                self.spelling_merges[key] = merge
        for key, topics in knows_about(self.documents, self.person_of).items():
            persons[key].knows_about = topics
        return persons

    # ----------------------------------------------------------------- works
    def works_(self, clustering: Clustering) -> dict[str, WorkEntity]:
        entities: dict[str, WorkEntity] = {}
        self.work_of: dict[int, str] = {}
        self.cluster_keys: list[str] = []
        self.cluster_events: list[Event | None] = []
        self.work_merges: list[Merge | None] = []
        for members, why in zip(clustering.clusters, clustering.evidence):
            entity, event = self._merge_work(members)
            self.cluster_events.append(event)
            key = entity.key
            if key in entities:  # two clusters that mint the same key: keep them apart
                key = entity.key = collision_key(key, members[0].span)
            entities[key] = entity
            self.cluster_keys.append(key)
            for work in members:
                self.work_of[id(work)] = key
            self.work_merges.append(work_merge(entity, members, why))
        return entities

    def _merge_work(self, members: list[Work]) -> tuple[WorkEntity, Event | None]:
        ordered = sorted(members, key=lambda w: (_span_key(w.span)))
        types = Counter(w.type for w in ordered if w.type != WorkType.OTHER)
        wtype = sorted(types.items(), key=lambda kv: (-kv[1], kv[0].value))[0][0] if types else WorkType.OTHER
        titles_by_lang: dict[str | None, list[Title]] = defaultdict(list)
        for work in ordered:
            for title in work.titles:
                titles_by_lang[title.lang].append(title)
        chosen: list[Title] = []
        alternates: list[Title] = []
        for lang in sorted(titles_by_lang, key=lambda lang: lang or ""):
            options = sorted(titles_by_lang[lang], key=lambda t: (t.translated, -len(t.text), t.text))
            chosen.append(Title(options[0].text, lang))
            alternates.extend(Title(t.text, lang) for t in options[1:] if t.text != options[0].text)
        main_lang = ordered[0].titles[0].lang if ordered[0].titles else None
        chosen.sort(key=lambda t: (t.lang != main_lang, t.lang or ""))
        dates = [w.date for w in ordered if w.date]
        date = None
        if dates:
            years = Counter(d.year for d in dates)
            year = sorted(years.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
            date = sorted((d for d in dates if d.year == year), key=lambda d: (-len(d.iso()), d.iso()))[0]
        forthcoming = date is None and any(w.forthcoming for w in ordered)
        author_lists = sorted((w.authors for w in ordered if w.authors), key=lambda a: -len(a))
        authors: list[tuple[str, str]] = []
        for agent in author_lists[0] if author_lists else ():
            ref = self.agent_ref(agent)
            if ref not in authors:
                authors.append(ref)
        contributors = []
        for work in ordered:
            for agent in work.contributors:
                ref = self.agent_ref(agent)
                if ref not in contributors and ref not in authors:
                    contributors.append(ref)
        venues = sorted({w.venue for w in ordered if w.venue}, key=lambda v: (-len(v), v))
        doi = sorted({w.doi for w in ordered if w.doi})
        hal = sorted({w.hal for w in ordered if w.hal})

        def first(attr: str) -> str | None:
            return next((getattr(w, attr) for w in ordered if getattr(w, attr)), None)

        publisher = first("publisher")
        institution = next((w.institution for w in ordered if w.institution), None)
        event = next((w.presented_at for w in ordered if w.presented_at), None)
        event_key = add_event(self.events, event) if event else None
        description = tuple(dict.fromkeys(d for w in ordered for d in w.description))
        year = date.year if date else None
        if doi:
            key = f"doi:{doi[0]}"
        elif hal:
            key = f"hal:{hal[0]}"
        else:
            key = f"title:{title_key(chosen[0].text) if chosen else ''}|{year or 'nd'}|{wtype.value}"
        return WorkEntity(
            key=key,
            type=wtype,
            titles=tuple(chosen),
            alternate_titles=tuple(alternates),
            authors=tuple(authors),
            contributors=tuple(contributors),
            date=date,
            forthcoming=forthcoming,
            venue=venues[0] if venues else None,
            venue_names=tuple(venues[1:]),
            event=event_key,
            publisher=self.org(publisher) if publisher else None,
            volume=first("volume"),
            issue=first("issue"),
            page_start=first("page_start"),
            page_end=first("page_end"),
            doi=doi[0] if doi else None,
            hal=hal[0] if hal else None,
            institution=self.org(institution) if institution else None,
            description=description,
            spans=_uniq(w.span for w in ordered),
            editors=tuple(dict.fromkeys(self.person(e) for w in ordered for e in w.editors)),
            book=next((w.book for w in ordered if w.book), None),
        ), event

    # ------------------------------------------------- roles, courses, projects
    def work_key(self, work: Work) -> str:
        return self.work_of[id(work)]

    def records(self, orgs: dict[str, OrgEntity]) -> tuple[list[RoleEntity], list[CourseEntity], dict[str, ProjectEntity], dict[str, tuple[str, ...]]]:
        """The roles, courses, hearings and projects of the documents, in document order, and
        the projects of each work that is a project's output (work key -> project keys);
        projects mark their funders, hearings and projects add to ``self.events``."""
        projects_of: dict[str, set[str]] = defaultdict(set)
        roles: dict[tuple, RoleEntity] = {}
        courses: dict[tuple, CourseEntity] = {}
        projects: dict[str, ProjectEntity] = {}
        for document in self.documents:
            for record in document.records:
                if isinstance(record, Role):
                    org = self.org(record.organization) if record.organization else None
                    rkey = (record.kind.value, self.person(record.person), org, fold(record.role_name), record.start.iso() if record.start else "")
                    if rkey in roles:
                        roles[rkey].spans = _uniq((*roles[rkey].spans, record.span))
                    else:
                        roles[rkey] = RoleEntity(record.kind, self.person(record.person), org, record.role_name, record.start, record.end, record.ongoing, record.description, (record.span,))
                elif isinstance(record, Course):
                    provider = self.org(record.provider) if record.provider else None
                    ckey = (fold(record.name), self.person(record.instructor), provider, record.start.iso() if record.start else "")
                    if ckey in courses:
                        courses[ckey].spans = _uniq((*courses[ckey].spans, record.span))
                    else:
                        courses[ckey] = CourseEntity(record.name, self.person(record.instructor), provider, record.mode, record.workload, record.audience, record.start, record.end, (record.span,), record.ongoing)
                elif isinstance(record, Hearing):
                    hkey = add_event(self.events, Event(record.name, record.span, date=record.date))
                    entity = self.events[hkey]
                    entity.hearing = True
                    entity.performers = tuple(dict.fromkeys((*entity.performers, *(self.person(p) for p in record.performers))))
                    entity.organizer_org = self.org(record.organizer) if record.organizer else entity.organizer_org
                    entity.about = self.work_key(record.about) if record.about is not None else entity.about
                elif isinstance(record, Project):
                    pkey = title_key(record.acronym or record.title)
                    funders = tuple(dict.fromkeys(self.org(f) for f in record.funders))
                    for funder in funders:
                        orgs[funder].funder = True
                    members = tuple(
                        (self.person(m.person), m.role_name, m.span, self.org(m.affiliation) if m.affiliation else None)
                        for m in record.members
                    )
                    event_keys = []
                    for event in record.events:
                        ekey = add_event(self.events, event)
                        self.events[ekey].organizer_project = pkey
                        event_keys.append(ekey)
                    for output in record.outputs:
                        projects_of[self.work_key(output)].add(pkey)
                    spans = _uniq((record.span, *record.spans))
                    if pkey in projects:
                        old = projects[pkey]
                        old.funders = tuple(dict.fromkeys((*old.funders, *funders)))
                        old.members = (*old.members, *members)
                        old.events = tuple(dict.fromkeys((*old.events, *event_keys)))
                        old.spans = _uniq((*old.spans, *spans))
                    else:
                        projects[pkey] = ProjectEntity(
                            pkey, record.title, record.acronym, record.description, funders,
                            self.org(record.host) if record.host else None, members, tuple(event_keys),
                            record.start, record.end, spans,
                        )
        return (
            sorted(roles.values(), key=lambda r: (r.person, r.kind.value, r.start.iso() if r.start else "", r.role_name, r.org or "")),
            sorted(courses.values(), key=lambda c: (c.instructor, c.start.iso() if c.start else "", fold(c.name), c.provider or "")),
            projects,
            {key: tuple(sorted(pkeys)) for key, pkeys in projects_of.items()},
        )

    def run(self) -> tuple[Resolved, Resolution]:
        self.agents = _agents(self.documents, self.works)
        clustering = cluster_works(self.works)
        aligned = [aligned_in(members) for members in clustering.clusters]
        persons = self.persons(aligned_initials(aligned))
        orgs, self.org_of, org_merges = organizations([a for a in self.agents if a.kind == AgentKind.ORGANIZATION], self.curated)
        works = self.works_(clustering)
        roles, courses, projects, projects_of = self.records(orgs)
        for wkey, pkeys in projects_of.items():
            works[wkey].projects = pkeys
        report = MergeReport(
            merges=sorted(
                [*self.groups.merges, *self.spelling_merges.values(), *org_merges, *(m for m in self.work_merges if m is not None)],
                key=lambda m: (m.kind, m.name),
            ),
            candidates=sorted([*(c for _, c in clustering.candidates), *person_candidates(persons)], key=lambda c: (c.kind, c.names)),
        )
        resolved = Resolved(tuple(self.documents), persons, orgs, works, roles, self.events, courses, projects, report)
        resolution = Resolution(
            self.person_table, self.groups, clustering, self.cluster_keys, aligned, self.cluster_events,
            self.spelling_merges, self.work_merges, self.org_of,
        )
        return resolved, resolution


def collision_key(key: str, first: Span) -> str:
    """The key of a work whose key another work (met first) already has: its own, with where its
    first mention (``first``) is (not a number that depends on every mention before it: rebuilds
    keep it)."""
    return f"{key}#{first}"


def work_merge(entity: WorkEntity, members: list[Work], why: tuple[str, ...]) -> Merge | None:
    if len(members) < 2:
        return None
    return Merge("work", entity.titles[0].text if entity.titles else entity.key, tuple(sorted({w.title for w in members})), why, tuple(sorted({w.span.source for w in members})))


def _similar_pairs(works: list[Work], members: list[int], pool: list[int], undated: bool) -> list[tuple[int, int, int, float]]:
    """``(x, i, j, score)`` for the pairs of the fuzzy pass whose best title score is at least
    TITLE_CANDIDATE_SCORE, in the order the plain double loop visits them::

        for x, i in enumerate(members):
            for j in (pool[x + 1:] if undated else pool):
                if j <= i: continue
                score = max(fuzz.ratio(title_key(s.text), title_key(t.text)) for s in works[i].titles for t in works[j].titles)

    The double loop costs n² Python-level ratios per year; here each pair of distinct
    title keys is scored once, in C, and only the pairs over the cut-off are visited.
    """
    keys: list[str] = []
    key_index: dict[str, int] = {}
    titles_of: dict[int, list[int]] = {}
    for i in pool:
        ids = []
        for title in works[i].titles:
            tkey = title_key(title.text)
            if tkey not in key_index:
                key_index[tkey] = len(keys)
                keys.append(tkey)
            ids.append(key_index[tkey])
        titles_of[i] = ids
    if not keys:
        return []
    # (threads pay from a few thousand keys: starting them costs ~0.1 s)
    workers = -1 if len(keys) > 4000 else 1
    scores = process.cdist(keys, keys, scorer=fuzz.ratio, score_cutoff=TITLE_CANDIDATE_SCORE, dtype="float64", workers=workers)
    near: list[list[int]] = [[] for _ in keys]
    rows, cols = scores.nonzero()
    for a, b in zip(rows.tolist(), cols.tolist()):
        near[a].append(b)
    mentions_of_key: dict[int, list[int]] = defaultdict(list)
    for i in pool:
        for k in dict.fromkeys(titles_of[i]):
            mentions_of_key[k].append(i)
    position = {i: p for p, i in enumerate(pool)}
    found: list[tuple[int, int, int, float]] = []
    for x, i in enumerate(members):
        candidates: set[int] = set()
        for k in titles_of[i]:
            for other in near[k]:
                candidates.update(mentions_of_key[other])
        for j in sorted(candidates, key=position.__getitem__):
            if (undated and position[j] <= x) or j <= i:
                continue
            score = max(float(scores[a, b]) for a in titles_of[i] for b in titles_of[j])
            if score >= TITLE_CANDIDATE_SCORE:
                found.append((x, i, j, score))
    return found


@lru_cache(maxsize=_NAME_CACHE)
def given_initials(name: str) -> str:
    """Initials of the given names: ``J.-H.`` → ``jh``, ``Alice`` → ``a``."""
    given = split_person_name(display_person_name(name))[0]
    return "".join(part[0] for part in re.split(r"[\s.\-]+", fold(given)) if part)


@lru_cache(maxsize=_NAME_CACHE)
def _is_initials_only(name: str) -> bool:
    given = split_person_name(display_person_name(name))[0]
    return bool(given) and all(len(part) <= 1 for part in re.split(r"[\s.\-]+", given) if part)


@dataclass(frozen=True)
class CuratedPersonLike:
    name: str
    orcid: str | None


def resolve(documents: list[Document], curated: Curated | None = None) -> Resolved:
    """Merge what the documents say into entities, with a report of every merge."""
    return _Resolver(documents, curated or Curated()).run()[0]


def resolve_with_state(documents: list[Document], curated: Curated | None = None) -> tuple[Resolved, Resolution]:
    """:func:`resolve`, with what a rebuild needs to resolve by difference (:mod:`scholargraph.delta`)."""
    return _Resolver(documents, curated or Curated()).run()
