"""Resolved entities → RDF triples: the only module that builds triples.

IRIs are minted under the configured base (see ``docs/graph.md``); no blank
nodes.  The graph comes out as sorted N-Triples lines (:func:`build_lines`:
what the build hands to validation and to the dumps' process) or as
pyoxigraph triples (:func:`build_triples`), which the embedded store and the
deterministic writers take as they are; :func:`to_rdflib` converts for
pySHACL.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator, Sequence

import pyoxigraph as ox

from .identifiers import iri_segment, short_hash, slug
from .namespaces import BIBO, DATACITE, DCTERMS, FABIO, FOAF, FRAPO, LITERAL, OCO, PRO, PROV, RDF, SCHEMA, SG, XSD
from .records import Document, PartialDate, Precision, RoleKind, Span, WorkType
from .resolve import CourseEntity, EventEntity, OrgEntity, PersonEntity, ProjectEntity, Resolved, RoleEntity, WorkEntity


class _Terms:
    """A namespace's terms as plain IRI strings, each looked up once: rdflib's Namespace
    builds and validates a new URIRef on every attribute access (a third of the mapping's
    time, ~130k accesses per 100k triples)."""

    def __init__(self, namespace: object) -> None:
        self._namespace = namespace
        self._items: dict[str, str] = {}

    def __getattr__(self, name: str) -> str:
        if name.startswith("__"):
            raise AttributeError(name)
        value = str(getattr(self._namespace, name))
        setattr(self, name, value)  # found as a plain attribute from now on
        return value

    def __getitem__(self, name: str) -> str:
        value = self._items.get(name)
        if value is None:
            value = self._items[name] = str(self._namespace[name])  # type: ignore[index]
        return value


BIBO, DATACITE, DCTERMS, FABIO, FOAF, FRAPO, LITERAL, OCO, PRO, PROV, RDF, SCHEMA, SG, XSD = (  # type: ignore[misc]
    _Terms(ns) for ns in (BIBO, DATACITE, DCTERMS, FABIO, FOAF, FRAPO, LITERAL, OCO, PRO, PROV, RDF, SCHEMA, SG, XSD)
)

Triple = ox.Triple
_XSD_STRING = str(XSD.string)

_XSD_OF = {Precision.YEAR: XSD.gYear, Precision.MONTH: XSD.gYearMonth, Precision.DAY: XSD.date}
_SCHEMA_TYPE = {
    WorkType.JOURNAL_ARTICLE: "ScholarlyArticle",
    WorkType.CONFERENCE_PAPER: "ScholarlyArticle",
    WorkType.REPORT: "Report",
    WorkType.PRESENTATION: "PresentationDigitalDocument",
    WorkType.DOCTORAL_THESIS: "Thesis",
    WorkType.MASTERS_THESIS: "Thesis",
    WorkType.BOOK: "Book",
    WorkType.BOOK_CHAPTER: "Chapter",
    WorkType.OTHER: "CreativeWork",
}
FORTHCOMING = "http://purl.org/ontology/bibo/status/forthcoming"
_ROLE_PROPERTY = {RoleKind.POSITION: "worksFor", RoleKind.EDUCATION: "alumniOf", RoleKind.SERVICE: "memberOf"}
_ROLE_CLASS = {RoleKind.POSITION: "EmployeeRole", RoleKind.EDUCATION: "OrganizationRole", RoleKind.SERVICE: "OrganizationRole"}


@lru_cache(maxsize=1 << 16)
def _named(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def N(iri: str) -> ox.NamedNode:
    return _named(str(iri))


def date_literal(date: PartialDate) -> ox.Literal:
    return ox.Literal(date.iso(), datatype=N(_XSD_OF[date.precision]))


def text(value: str, lang: str | None = None) -> ox.Literal:
    return ox.Literal(value, language=lang) if lang else ox.Literal(value)


@dataclass
class Minted:
    persons: dict[str, str]
    orgs: dict[str, str]
    works: dict[str, str]
    events: dict[str, str]
    projects: dict[str, str]


def _unique(base: str, wanted: dict[str, str]) -> dict[str, str]:
    """Key → IRI; where two keys want one IRI, both get a hash suffix."""
    counts: dict[str, int] = defaultdict(int)
    for iri in wanted.values():
        counts[iri] += 1
    return {key: base + (iri if counts[iri] == 1 else f"{iri}-{short_hash(key)}") for key, iri in wanted.items()}


def wanted_person(person: PersonEntity) -> str:
    return f"person/{person.orcid}" if person.orcid else f"person/{slug(person.name)}"


def wanted_org(org: OrgEntity) -> str:
    return f"org/{org.ror}" if org.ror else f"org/{slug(org.name)}"


def wanted_work(work: WorkEntity) -> str:
    if work.doi:
        return f"work/doi-{slug(work.doi, limit=120)}"
    if work.hal:
        return f"work/{work.hal}"
    title = work.titles[0].text if work.titles else "untitled"
    return f"work/{slug(title)}-{work.date.year if work.date else 'nd'}"


def wanted_event(event: EventEntity) -> str:
    return f"event/{slug(event.name)}-{event.date.year if event.date else 'nd'}"


def wanted_project(project: ProjectEntity) -> str:
    return f"project/{slug(project.acronym or project.title)}"


def wanted_iris(resolved: Resolved) -> dict[str, dict[str, str]]:
    """Kind -> key -> the IRI (under the base) each entity asks for; :func:`_unique` settles clashes."""
    return {
        "persons": {k: wanted_person(p) for k, p in resolved.persons.items()},
        "orgs": {k: wanted_org(o) for k, o in resolved.organizations.items()},
        "works": {k: wanted_work(w) for k, w in resolved.works.items()},
        "events": {k: wanted_event(e) for k, e in resolved.events.items()},
        "projects": {k: wanted_project(p) for k, p in resolved.projects.items()},
    }


def mint(resolved: Resolved, base: str, wanted: dict[str, dict[str, str]] | None = None) -> Minted:
    wanted = wanted_iris(resolved) if wanted is None else wanted
    return Minted(*(_unique(base, wanted[kind]) for kind in ("persons", "orgs", "works", "events", "projects")))


class _Builder:
    def __init__(self, resolved: Resolved, base: str, iris: Minted | None = None) -> None:
        self.resolved = resolved
        self.base = base
        self.iris = mint(resolved, base) if iris is None else iris
        # the graph's N-Triples lines, each made as its triple is added: plain strings hash
        # several times faster than pyoxigraph Triples (made, where needed, from the lines)
        self.lines: set[str] = set()
        self._bracketed: dict[str, str] = {}  # "<iri>" made once per IRI
        self.sources = {d.path: base + "source/" + "/".join(iri_segment(p) for p in d.path.split("/")) for d in resolved.documents}

    def _iri(self, iri: str) -> str:
        found = self._bracketed.get(iri)
        if found is None:  # pyoxigraph checks the IRI, as when the triples were its terms
            found = self._bracketed[iri] = str(ox.NamedNode(iri))
        return found

    def add(self, s: str | ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal | str | None) -> None:
        if o is None:
            return
        if isinstance(o, ox.NamedNode):
            obj = self._iri(o.value)
        elif isinstance(o, ox.Literal):
            obj = str(o)
        else:
            obj = self._iri(str(o))  # str(): rdflib's URIRef hashes unlike the equal str
        subject = s.value if isinstance(s, ox.NamedNode) else str(s)
        self.lines.add(f"{self._iri(subject)} {self._iri(str(p))} {obj} .\n")

    def sorted_lines(self) -> list[str]:
        """The triples as N-Triples lines, sorted as strings: the order of ``graph.nt``
        (code point order is UTF-8's byte order), so the lines of a build can be read back
        from its ``graph.nt`` and compared with the next build's."""
        return sorted(self.lines)

    def types(self, s: str, *classes: str) -> None:
        for cls in classes:
            self.add(s, RDF.type, cls)

    def _source(self, path: str) -> str:
        """The IRI of a source document; one outside this build (cited by curated records) is minted the same way."""
        iri = self.sources.get(path)
        if iri is None:
            iri = self.sources[path] = self.base + "source/" + "/".join(iri_segment(p) for p in path.split("/"))
        return iri

    def prov(self, s: str, spans: Iterable[Span]) -> None:
        for span in spans:
            self.add(s, PROV.wasDerivedFrom, f"{self._source(span.source)}#line={span.start - 1},{span.end}")

    def identifier(self, entity: str, scheme: str, scheme_iri: str, value: str, same_as: str) -> None:
        node = f"{entity}/id/{scheme}"
        self.add(entity, DATACITE.hasIdentifier, node)
        self.types(node, DATACITE.Identifier)
        self.add(node, DATACITE.usesIdentifierScheme, scheme_iri)
        self.add(node, LITERAL.hasLiteralValue, text(value))
        self.add(entity, SCHEMA.sameAs, same_as)

    def agent(self, ref: tuple[str, str]) -> str:
        kind, key = ref
        return self.iris.persons[key] if kind == "person" else self.iris.orgs[key]

    # ------------------------------------------------------------- entities
    def documents(self, documents: Iterable[Document] | None = None) -> None:
        for document in self.resolved.documents if documents is None else documents:
            iri = self._source(document.path)
            self.types(iri, PROV.Entity)
            self.add(iri, DCTERMS.title, text(document.path.rsplit("/", 1)[-1]))
            self.add(iri, SG.sha256, text(document.sha256))

    def persons(self, keys: Iterable[str] | None = None) -> None:
        persons = self.resolved.persons
        for key in persons if keys is None else keys:
            person = persons[key]
            iri = self.iris.persons[key]
            self.types(iri, FOAF.Person, SCHEMA.Person)
            self.add(iri, FOAF.name, text(person.name))
            if person.given:
                self.add(iri, FOAF.givenName, text(person.given))
            if person.family:
                self.add(iri, FOAF.familyName, text(person.family))
            for name in person.names:
                if name != person.name:
                    self.add(iri, SCHEMA.alternateName, text(name))
            for topic in person.knows_about:
                self.add(iri, SCHEMA.knowsAbout, text(topic))
            if person.orcid:
                self.identifier(iri, "orcid", DATACITE.orcid, person.orcid, f"https://orcid.org/{person.orcid}")
            self.prov(iri, person.spans)

    def possible_same_as(self) -> None:
        persons = self.resolved.persons
        for candidate in self.resolved.report.candidates:
            if candidate.kind == "person" and all(k in persons for k in candidate.keys):
                a, b = sorted(candidate.keys)
                self.add(self.iris.persons[a], SG.possibleSameAs, self.iris.persons[b])

    def organizations(self, keys: Iterable[str] | None = None) -> None:
        orgs = self.resolved.organizations
        for key in orgs if keys is None else keys:
            org = orgs[key]
            iri = self.iris.orgs[key]
            self.types(iri, FOAF.Organization, SCHEMA.Organization)
            if org.subtype and org.subtype != "Organization":
                self.types(iri, SCHEMA[org.subtype])
            if org.funder:
                self.types(iri, FRAPO.FundingAgency)
            self.add(iri, FOAF.name, text(org.name))
            for name in org.alternate_names:
                self.add(iri, SCHEMA.alternateName, text(name))
            if org.ror:
                self.identifier(iri, "ror", DATACITE.ror, org.ror, f"https://ror.org/{org.ror}")
            self.prov(iri, org.spans)

    def works(self, keys: Iterable[str] | None = None) -> None:
        works = self.resolved.works
        for key in works if keys is None else keys:
            self.work(self.iris.works[key], works[key])

    def periodical(self, work: WorkEntity) -> str | None:
        """The lines of the periodical ``work`` is part of (other works name it too); its IRI."""
        if not work.venue:
            return None
        periodical = f"{self.base}periodical/{slug(work.venue)}"
        self.types(periodical, SCHEMA.Periodical)
        self.add(periodical, SCHEMA.name, text(work.venue))
        for name in work.venue_names:
            self.add(periodical, SCHEMA.alternateName, text(name))
        self.prov(periodical, work.spans)
        return periodical

    def work(self, iri: str, work: WorkEntity) -> None:
        self.types(iri, FABIO[work.type.value], SCHEMA[_SCHEMA_TYPE[work.type]])
        for title in work.titles:
            self.add(iri, DCTERMS.title, text(title.text, title.lang))
            self.add(iri, SCHEMA.name, text(title.text, title.lang))
        for title in work.alternate_titles:
            self.add(iri, SCHEMA.alternateName, text(title.text, title.lang))
        if work.date:
            self.add(iri, SCHEMA.datePublished, date_literal(work.date))
        if work.forthcoming:
            self.add(iri, BIBO.status, FORTHCOMING)
        if work.book:
            self.add(iri, SG.bookTitle, text(work.book))
        for editor in work.editors:
            self.add(iri, SCHEMA.editor, self.iris.persons[editor])
        periodical = self.periodical(work)
        if periodical is not None:
            self.add(iri, SCHEMA.isPartOf, periodical)
        for prop, value in (
            (SCHEMA.volumeNumber, work.volume),
            (SCHEMA.issueNumber, work.issue),
            (SCHEMA.pageStart, work.page_start),
            (SCHEMA.pageEnd, work.page_end),
        ):
            if value:
                self.add(iri, prop, text(value))
        for description in work.description:
            self.add(iri, SCHEMA.description, text(description))
        if work.publisher:
            self.add(iri, SCHEMA.publisher, self.iris.orgs[work.publisher])
        if work.institution:
            self.add(iri, SCHEMA.sourceOrganization, self.iris.orgs[work.institution])
        if work.event:
            self.add(iri, BIBO.presentedAt, self.iris.events[work.event])
        for project in work.projects:
            self.add(iri, FRAPO.isOutputOf, self.iris.projects[project])
        roles = [f"{iri}/author/{rank}" for rank in range(1, len(work.authors) + 1)]
        for rank, (ref, role) in enumerate(zip(work.authors, roles), start=1):
            agent = self.agent(ref)
            self.add(iri, SCHEMA.author, agent)
            self.add(iri, PRO.isDocumentContextFor, role)
            self.types(role, PRO.RoleInTime)
            self.add(role, PRO.withRole, PRO.author)
            self.add(role, PRO.isHeldBy, agent)
            self.add(role, SG.authorRank, ox.Literal(str(rank), datatype=N(XSD.positiveInteger)))
            if rank < len(roles):
                self.add(role, OCO.hasNext, roles[rank])
        for ref in work.contributors:
            self.add(iri, SCHEMA.contributor, self.agent(ref))
        if work.doi:
            self.identifier(iri, "doi", DATACITE.doi, work.doi, f"https://doi.org/{work.doi}")
        if work.hal:
            self.identifier(iri, "hal", DATACITE["local-resource-identifier-scheme"], work.hal, f"https://hal.science/{work.hal}")
        self.prov(iri, work.spans)

    def roles(self, roles: Iterable[RoleEntity] | None = None) -> None:
        for role in self.resolved.roles if roles is None else roles:
            person = self.iris.persons[role.person]
            org_slug = slug(self.resolved.organizations[role.org].name) if role.org else "nd"
            iri = (
                f"{self.base}role/{person.rsplit('/', 1)[-1]}-{role.kind.value}-{slug(role.role_name, 40)}"
                f"-{org_slug[:40]}-{role.start.iso() if role.start else 'nd'}"
            )
            prop = SCHEMA[_ROLE_PROPERTY[role.kind]]
            self.add(person, prop, iri)
            self.types(iri, SCHEMA[_ROLE_CLASS[role.kind]])
            if role.org:
                self.add(iri, prop, self.iris.orgs[role.org])
            self.add(iri, SCHEMA.roleName, text(role.role_name))
            if role.start:
                self.add(iri, SCHEMA.startDate, date_literal(role.start))
            if role.end:
                self.add(iri, SCHEMA.endDate, date_literal(role.end))
            if role.description:
                self.add(iri, SCHEMA.description, text(role.description))
            self.prov(iri, role.spans)

    def events(self, keys: Iterable[str] | None = None) -> None:
        events = self.resolved.events
        for key in events if keys is None else keys:
            event = events[key]
            iri = self.iris.events[key]
            self.types(iri, SCHEMA.Event)
            if event.hearing:
                self.types(iri, BIBO.Hearing)
            self.add(iri, SCHEMA.name, text(event.name))
            if event.date:
                self.add(iri, SCHEMA.startDate, date_literal(event.date))
            if event.end_date:
                self.add(iri, SCHEMA.endDate, date_literal(event.end_date))
            if event.place:
                self.add(iri, SCHEMA.location, text(event.place))
            if event.description:
                self.add(iri, SCHEMA.description, text(event.description))
            if event.organizer_project:
                self.add(iri, SCHEMA.organizer, self.iris.projects[event.organizer_project])
            if event.organizer_org:
                self.add(iri, SCHEMA.organizer, self.iris.orgs[event.organizer_org])
            for performer in event.performers:
                self.add(iri, SCHEMA.performer, self.iris.persons[performer])
            if event.about:
                self.add(iri, SCHEMA.about, self.iris.works[event.about])
            self.prov(iri, event.spans)

    def courses(self, courses: Iterable[CourseEntity] | None = None) -> None:
        for course in self.resolved.courses if courses is None else courses:
            provider = slug(self.resolved.organizations[course.provider].name) if course.provider else "nd"
            iri = f"{self.base}course/{slug(course.name)}-{provider[:40]}-{course.start.year if course.start else 'nd'}"
            self.types(iri, SCHEMA.CourseInstance)
            self.add(iri, SCHEMA.name, text(course.name))
            self.add(iri, SCHEMA.instructor, self.iris.persons[course.instructor])
            if course.provider:
                self.add(iri, SCHEMA.provider, self.iris.orgs[course.provider])
            if course.mode:
                self.add(iri, SCHEMA.courseMode, text(course.mode))
            if course.workload:
                self.add(iri, SCHEMA.courseWorkload, text(course.workload))
            if course.audience:
                audience = f"{iri}/audience"
                self.add(iri, SCHEMA.audience, audience)
                self.types(audience, SCHEMA.Audience)
                self.add(audience, SCHEMA.audienceType, text(course.audience))
            if course.start:
                self.add(iri, SCHEMA.startDate, date_literal(course.start))
            if course.end:
                self.add(iri, SCHEMA.endDate, date_literal(course.end))
            self.prov(iri, course.spans)

    def projects(self) -> None:
        for key, project in self.resolved.projects.items():
            iri = self.iris.projects[key]
            self.types(iri, FOAF.Project, SCHEMA.ResearchProject)
            self.add(iri, SCHEMA.name, text(project.title))
            if project.acronym:
                self.add(iri, SCHEMA.alternateName, text(project.acronym))
            if project.description:
                self.add(iri, SCHEMA.description, text(project.description))
            for funder in project.funders:
                self.add(iri, SCHEMA.funder, self.iris.orgs[funder])
                self.add(iri, FRAPO.isFundedBy, self.iris.orgs[funder])
            if project.host:
                self.add(iri, SCHEMA.parentOrganization, self.iris.orgs[project.host])
            if project.start:
                self.add(iri, SCHEMA.foundingDate, date_literal(project.start))
            if project.end:
                self.add(iri, SCHEMA.dissolutionDate, date_literal(project.end))
            for person, role_name, span, affiliation in project.members:
                person_iri = self.iris.persons[person]
                if affiliation:
                    self.add(person_iri, SCHEMA.affiliation, self.iris.orgs[affiliation])
                member = f"{iri}/member/{person_iri.rsplit('/', 1)[-1]}"
                self.add(iri, SCHEMA.member, member)
                self.types(member, SCHEMA.OrganizationRole)
                self.add(member, SCHEMA.member, person_iri)
                if role_name:
                    self.add(member, SCHEMA.roleName, text(role_name))
                self.prov(member, [span])
            self.prov(iri, project.spans)


def build_lines(resolved: Resolved, base: str) -> list[str]:
    """Every triple of the graph as an N-Triples line (pyoxigraph's canonical forms), sorted
    as strings (``"".join`` of them is the build's ``graph.nt``); :func:`parse_lines` makes the triples.

    Lines, not pyoxigraph triples, are what the build hands on (to validation, to
    the dumps' process): making a million pyoxigraph triples from Python strings
    took ~5 s, parsing the lines in Rust takes ~3 s and only where triples are needed.
    """
    return sorted(build_line_set(resolved, base))


def build_line_set(resolved: Resolved, base: str) -> set[str]:
    """The lines of :func:`build_lines`, not sorted (sorting a million lines takes ~1 s; a
    rebuild sorts only the lines that are new, see :func:`scholargraph.build.build`)."""
    builder = _Builder(resolved, base)
    builder.documents()
    builder.persons()
    builder.possible_same_as()
    builder.organizations()
    builder.works()
    builder.roles()
    builder.events()
    builder.courses()
    builder.projects()
    return builder.lines


def parse_lines(lines: Sequence[str]) -> list[Triple]:
    """The triples of N-Triples lines, in their order (parsed a block of lines at a time:
    one string of a million lines would take 4 bytes a character if one of them needs it)."""
    triples: list[Triple] = []
    for start in range(0, len(lines), _PARSE_BLOCK):
        block = "".join(lines[start : start + _PARSE_BLOCK]).encode()
        triples.extend(quad.triple for quad in ox.parse(block, format=ox.RdfFormat.N_TRIPLES))
    return triples


_PARSE_BLOCK = 50_000


def build_triples(resolved: Resolved, base: str) -> list[Triple]:
    """Every triple of the graph, sorted (subject, predicate, object) for stable output."""
    return parse_lines(build_lines(resolved, base))


def triple_key(triple: Triple) -> tuple[str, str, str]:
    return (triple.subject.value, triple.predicate.value, str(triple.object))


def from_rdflib(graph: "rdflib.Graph") -> list[Triple]:  # noqa: F821
    """The triples of an rdflib Graph as pyoxigraph triples (blank node ids kept); the inverse of :func:`to_rdflib`."""
    import rdflib

    def term(node: object) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        if isinstance(node, rdflib.URIRef):
            return ox.NamedNode(str(node))
        if isinstance(node, rdflib.BNode):
            return ox.BlankNode(str(node))
        assert isinstance(node, rdflib.Literal)
        if node.language:
            return ox.Literal(str(node), language=node.language)
        if node.datatype is not None:
            return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
        return ox.Literal(str(node))

    return [Triple(term(s), term(p), term(o)) for s, p, o in graph]


def rdflib_term(node: ox.NamedNode | ox.BlankNode | ox.Literal) -> "rdflib.term.Node":  # noqa: F821
    """A pyoxigraph term as rdflib's; an xsd:string literal without a datatype, as rdflib parses it."""
    import rdflib

    if isinstance(node, ox.NamedNode):
        return rdflib.URIRef(node.value)
    if isinstance(node, ox.BlankNode):
        return rdflib.BNode(node.value)
    language = node.language
    datatype = node.datatype.value
    return rdflib.Literal(
        node.value,
        lang=language,
        datatype=None if language or datatype == _XSD_STRING else rdflib.URIRef(datatype),
    )


def to_rdflib(triples: Iterable[Triple]) -> "rdflib.Graph":  # noqa: F821
    """The same triples in an in-memory rdflib Graph (for pySHACL).

    Each distinct IRI and literal is converted once (a graph names the same
    nodes many times; rdflib's term constructors validate and normalise).
    """
    import rdflib

    iris: dict[str, rdflib.URIRef] = {}
    literals: dict[ox.Literal, rdflib.term.Node] = {}

    def iri(value: str) -> rdflib.URIRef:
        node = iris.get(value)
        if node is None:
            node = iris[value] = rdflib.URIRef(value)
        return node

    def converted() -> Iterator[tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node, rdflib.Graph]]:
        for t in triples:
            obj = t.object
            if isinstance(obj, ox.Literal):
                o = literals.get(obj)
                if o is None:
                    o = literals[obj] = rdflib_term(obj)
            else:
                o = iri(obj.value)
            yield iri(t.subject.value), iri(t.predicate.value), o, graph

    graph = rdflib.Graph()
    graph.addN(converted())
    return graph


def triple_lines(triples: Iterable[Triple]) -> list[str]:
    """The N-Triples lines of pyoxigraph triples, each once, in their order: the forms
    :func:`build_lines` writes and :func:`scholargraph.validate.validate_lines` takes."""
    return list(dict.fromkeys(f"{t.subject} {t.predicate} {t.object} .\n" for t in triples))


def iter_subjects(triples: Iterable[Triple]) -> Iterator[str]:
    seen: set[str] = set()
    for t in triples:
        if t.subject.value not in seen:
            seen.add(t.subject.value)
            yield t.subject.value
