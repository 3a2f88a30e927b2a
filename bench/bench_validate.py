"""Time ``scholargraph.validate`` (validate_graph, validate_triples) on a synthetic ~100k-triple graph.

The graph follows docs/graph.md: people with ORCID identifiers, organisations
with ROR ids, positions / education / service roles, works with 1-12 ordered
author roles (sg:authorRank, oco:hasNext), DOI and HAL identifiers, projects
with member roles, events, courses, provenance line fragments and source
documents.  It is generated from a seed, so every run validates the same graph.
Exactly ``len(DEFECTS)`` defects are planted, and the run checks that the
report finds exactly them, so a fast but wrong validator cannot pass.

``validate_graph`` (one rdflib graph, one process) is timed on the rdflib
graph; ``validate_triples`` (the graph cut into chunks, ``--jobs`` worker
processes) on the same triples as pyoxigraph triples, without a cache, then
again with a warm cache.  CPU time counts the worker processes too.  Both
reports must be equal.

Usage::

    .venv/bin/python bench/bench_validate.py [--triples 100000] [--seed 7] [--runs 3] [--jobs 2]
        [--only graph|triples]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from importlib.metadata import version
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from scholargraph.namespaces import (
    BIBO,
    DATACITE,
    DCTERMS,
    FABIO,
    FOAF,
    FRAPO,
    LITERAL,
    OCO,
    PRO,
    PROV,
    RDF,
    SCHEMA,
    SG,
)
from scholargraph.mapping import from_rdflib
from scholargraph.validate import ValidationReport, load_shapes, validate_graph, validate_triples

BASE = "https://example.org/scholargraph/"
WORK_TYPES = (
    (FABIO.JournalArticle, SCHEMA.ScholarlyArticle),
    (FABIO.ConferencePaper, SCHEMA.ScholarlyArticle),
    (FABIO.ReportDocument, SCHEMA.Report),
    (FABIO.Presentation, SCHEMA.PresentationDigitalDocument),
    (FABIO.Book, SCHEMA.Book),
    (FABIO.BookChapter, SCHEMA.Chapter),
    (FABIO.Expression, SCHEMA.CreativeWork),
)
# (shape, message start) of the planted defects; see _plant_defects.
DEFECTS = (
    ("sg:AuthorChainShape", "author rank 2: its oco:hasNext has rank 4, expected 3"),
    ("sg:OrcidCheckDigitShape", "ORCID"),
    ("sg:DateOrderShape", "end date 2001 is before start date 2005"),
)


def _orcid(rng: random.Random) -> str:
    digits = "".join(str(rng.randrange(10)) for _ in range(15))
    total = 0
    for char in digits:
        total = (total + int(char)) * 2
    check = (12 - total % 11) % 11
    raw = digits + ("X" if check == 10 else str(check))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _year(rng: random.Random, start: int = 1995, end: int = 2024) -> Literal:
    return Literal(str(rng.randrange(start, end)), datatype=XSD.gYear)


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.graph = Graph()
        self.sources = [URIRef(f"{BASE}source/cv-{i:03d}.md") for i in range(40)]
        for source in self.sources:
            self.add(source, RDF.type, PROV.Entity)
            self.add(source, DCTERMS.title, Literal(str(source).rsplit("/", 1)[1]))
            digest = "".join(self.rng.choice("0123456789abcdef") for _ in range(64))
            self.add(source, SG.sha256, Literal(digest))
        self.persons: list[URIRef] = []
        self.orgs: list[URIRef] = []
        self.works: list[URIRef] = []
        self.projects: list[URIRef] = []

    def add(self, s: URIRef, p: URIRef, o: URIRef | Literal) -> None:
        self.graph.add((s, p, o))

    def derive(self, node: URIRef) -> None:
        source = self.rng.choice(self.sources)
        line = self.rng.randrange(300)
        self.add(node, PROV.wasDerivedFrom, URIRef(f"{source}#line={line},{line + 1}"))

    def identifier(self, owner: URIRef, scheme: str, value: str) -> URIRef:
        node = URIRef(f"{owner}/id/{scheme}")
        schemes = {
            "doi": DATACITE.doi,
            "hal": DATACITE["local-resource-identifier-scheme"],
            "orcid": DATACITE.orcid,
            "ror": DATACITE.ror,
        }
        self.add(owner, DATACITE.hasIdentifier, node)
        self.add(node, RDF.type, DATACITE.Identifier)
        self.add(node, DATACITE.usesIdentifierScheme, schemes[scheme])
        self.add(node, LITERAL.hasLiteralValue, Literal(value))
        return node

    def person(self, i: int) -> None:
        orcid = _orcid(self.rng)
        node = URIRef(f"{BASE}person/{orcid}")
        self.persons.append(node)
        self.add(node, RDF.type, FOAF.Person)
        self.add(node, RDF.type, SCHEMA.Person)
        self.add(node, FOAF.name, Literal(f"Given{i} Family{i}"))
        self.add(node, FOAF.givenName, Literal(f"Given{i}"))
        self.add(node, FOAF.familyName, Literal(f"Family{i}"))
        if self.rng.random() < 0.9:
            self.identifier(node, "orcid", orcid)
            self.add(node, SCHEMA.sameAs, URIRef(f"https://orcid.org/{orcid}"))
        self.derive(node)

    def org(self, i: int) -> None:
        node = URIRef(f"{BASE}org/org-{i}")
        self.orgs.append(node)
        self.add(node, RDF.type, FOAF.Organization)
        self.add(node, RDF.type, SCHEMA.Organization)
        self.add(node, FOAF.name, Literal(f"Organisation {i}"))
        if i % 3 == 0:
            ror = f"0{i:06d}{i % 100:02d}"
            self.identifier(node, "ror", ror)
            self.add(node, SCHEMA.sameAs, URIRef(f"https://ror.org/{ror}"))
        self.derive(node)

    def role(self, i: int) -> None:
        rng = self.rng
        person, org = rng.choice(self.persons), rng.choice(self.orgs)
        node = URIRef(f"{BASE}role/role-{i}")
        kind = rng.randrange(3)
        if kind == 0:
            self.add(person, SCHEMA.worksFor, node)
            self.add(node, RDF.type, SCHEMA.EmployeeRole)
            self.add(node, SCHEMA.worksFor, org)
        elif kind == 1:
            self.add(person, SCHEMA.alumniOf, node)
            self.add(node, RDF.type, SCHEMA.OrganizationRole)
            self.add(node, SCHEMA.alumniOf, org)
        else:
            self.add(person, SCHEMA.memberOf, node)
            self.add(node, RDF.type, SCHEMA.OrganizationRole)
            self.add(node, SCHEMA.memberOf, org)
        self.add(node, SCHEMA.roleName, Literal(f"Role {i % 50}"))
        start = rng.randrange(1990, 2020)
        self.add(node, SCHEMA.startDate, Literal(f"{start}-{rng.randrange(1, 13):02d}", datatype=XSD.gYearMonth))
        if rng.random() < 0.7:
            self.add(node, SCHEMA.endDate, Literal(str(start + rng.randrange(0, 5)), datatype=XSD.gYear))
        self.derive(node)

    def work(self, i: int) -> None:
        rng = self.rng
        fabio_type, schema_type = rng.choice(WORK_TYPES)
        node = URIRef(f"{BASE}work/work-{i}")
        self.works.append(node)
        self.add(node, RDF.type, fabio_type)
        self.add(node, RDF.type, schema_type)
        title = Literal(f"Title of work {i}", lang="en")
        self.add(node, DCTERMS.title, title)
        self.add(node, SCHEMA.name, title)
        if rng.random() < 0.05:
            self.add(node, BIBO.status, URIRef("http://purl.org/ontology/bibo/status/forthcoming"))
        else:
            self.add(node, SCHEMA.datePublished, _year(rng))
        authors = rng.sample(self.persons, rng.randint(1, 12))
        previous: URIRef | None = None
        for rank, author in enumerate(authors, start=1):
            role = URIRef(f"{node}/author/{rank}")
            self.add(node, SCHEMA.author, author)
            self.add(node, PRO.isDocumentContextFor, role)
            self.add(role, RDF.type, PRO.RoleInTime)
            self.add(role, PRO.withRole, PRO.author)
            self.add(role, PRO.isHeldBy, author)
            self.add(role, SG.authorRank, Literal(rank, datatype=XSD.positiveInteger))
            if previous is not None:
                self.add(previous, OCO.hasNext, role)
            previous = role
        if rng.random() < 0.7:
            doi = f"10.{1000 + i % 9000}/work.{i}"
            self.identifier(node, "doi", doi)
            self.add(node, SCHEMA.sameAs, URIRef(f"https://doi.org/{doi}"))
        if rng.random() < 0.4:
            self.identifier(node, "hal", f"hal-{i:08d}")
        if self.projects and rng.random() < 0.2:
            self.add(node, FRAPO.isOutputOf, rng.choice(self.projects))
        self.derive(node)

    def project(self, i: int) -> None:
        rng = self.rng
        node = URIRef(f"{BASE}project/project-{i}")
        self.projects.append(node)
        self.add(node, RDF.type, FOAF.Project)
        self.add(node, RDF.type, SCHEMA.ResearchProject)
        self.add(node, SCHEMA.name, Literal(f"Project {i}"))
        funder = self.orgs[i % len(self.orgs)]
        self.add(funder, RDF.type, FRAPO.FundingAgency)
        self.add(node, SCHEMA.funder, funder)
        self.add(node, FRAPO.isFundedBy, funder)
        self.add(node, SCHEMA.parentOrganization, rng.choice(self.orgs))
        for person in rng.sample(self.persons, 4):
            role = URIRef(f"{node}/member/{self.persons.index(person)}")
            self.add(node, SCHEMA.member, role)
            self.add(role, RDF.type, SCHEMA.OrganizationRole)
            self.add(role, SCHEMA.member, person)
            self.derive(role)
        self.add(node, SCHEMA.startDate, Literal("2020", datatype=XSD.gYear))
        self.add(node, SCHEMA.endDate, Literal("2023", datatype=XSD.gYear))
        self.derive(node)

    def event(self, i: int) -> None:
        node = URIRef(f"{BASE}event/event-{i}")
        self.add(node, RDF.type, SCHEMA.Event)
        self.add(node, SCHEMA.name, Literal(f"Event {i}"))
        self.add(node, SCHEMA.startDate, _year(self.rng))
        self.add(node, SCHEMA.location, Literal("Paris"))
        if self.projects:
            self.add(node, SCHEMA.organizer, self.rng.choice(self.projects))
        self.derive(node)

    def course(self, i: int) -> None:
        node = URIRef(f"{BASE}course/course-{i}")
        audience = URIRef(f"{node}/audience")
        self.add(node, RDF.type, SCHEMA.CourseInstance)
        self.add(node, SCHEMA.name, Literal(f"Course {i}"))
        self.add(node, SCHEMA.instructor, self.rng.choice(self.persons))
        self.add(node, SCHEMA.provider, self.rng.choice(self.orgs))
        self.add(node, SCHEMA.courseWorkload, Literal("18 hours"))
        self.add(node, SCHEMA.audience, audience)
        self.add(audience, RDF.type, SCHEMA.Audience)
        self.add(audience, SCHEMA.audienceType, Literal("M1"))
        self.add(node, SCHEMA.startDate, _year(self.rng))
        self.derive(node)


def _plant_defects(builder: _Builder) -> None:
    """One defect per entry of DEFECTS, each caught only by a SPARQL-backed check."""
    g = builder.graph
    # A work with exactly three authors: ranks 1, 2, 4.
    work = next(w for w in builder.works if len(set(g.objects(w, PRO.isDocumentContextFor))) == 3)
    g.set((URIRef(f"{work}/author/3"), SG.authorRank, Literal(4, datatype=XSD.positiveInteger)))
    # An ORCID iD with a wrong check digit.
    orcid_node = next(iter(sorted(g.subjects(DATACITE.usesIdentifierScheme, DATACITE.orcid))))
    value = str(g.value(orcid_node, LITERAL.hasLiteralValue))
    wrong = value[:-1] + ("0" if value[-1] != "0" else "1")
    g.set((orcid_node, LITERAL.hasLiteralValue, Literal(wrong)))
    # A role that ends before it starts.
    role = URIRef(f"{BASE}role/role-0")
    g.set((role, SCHEMA.startDate, Literal("2005", datatype=XSD.gYear)))
    g.set((role, SCHEMA.endDate, Literal("2001", datatype=XSD.gYear)))


def generate(target_triples: int = 100_000, seed: int = 7) -> Graph:
    """A graph of about ``target_triples`` triples (±5 %) with the planted DEFECTS."""
    builder = _Builder(seed)
    scale = target_triples / 100_000
    n_persons = max(20, int(1500 * scale))
    n_orgs = max(5, int(300 * scale))
    for i in range(n_persons):
        builder.person(i)
    for i in range(n_orgs):
        builder.org(i)
    for i in range(max(2, int(40 * scale))):
        builder.project(i)
    for i in range(max(3, int(1500 * scale))):
        builder.role(i)
    for i in range(max(2, int(150 * scale))):
        builder.event(i)
    for i in range(max(2, int(150 * scale))):
        builder.course(i)
    i = 0
    while len(builder.graph) < target_triples:
        builder.work(i)
        i += 1
    _plant_defects(builder)
    return builder.graph


def _machine() -> str:
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    free = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.rstrip()
    return (
        f"date: {date.today().isoformat()}\n"
        f"nproc: {nproc}\n{free}\n"
        f"python: {platform.python_version()} ({platform.machine()})\n"
        f"rdflib: {version('rdflib')}, pyshacl: {version('pyshacl')}"
    )


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime




def _time(label: str, runs: int, call) -> ValidationReport:  # noqa: ANN001
    times: list[float] = []
    cpu_times: list[float] = []
    report = None
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), _cpu()
        report = call()
        times.append(time.perf_counter() - started)
        cpu_times.append(_cpu() - cpu_started)
    assert report is not None
    print(f"{label}")
    print("  runs, wall (s): " + ", ".join(f"{t:.2f}" for t in times))
    print("  runs, CPU incl. workers (s): " + ", ".join(f"{t:.2f}" for t in cpu_times))
    print(f"  median wall: {statistics.median(times):.2f} s, median CPU: {statistics.median(cpu_times):.2f} s")
    print(f"  load average: {os.getloadavg()[0]:.1f} (on {os.cpu_count()} CPUs)")
    return report


def _check(report: ValidationReport) -> bool:
    print(f"  results: {report.counts()}")
    violations = [r for r in report.results if r.severity == "Violation"]
    found = sorted((r.shape, r.message) for r in violations)
    expected_ok = len(found) == len(DEFECTS) and all(
        any(shape == s and message.startswith(m) for s, message in found) for shape, m in DEFECTS
    )
    for shape, message in found:
        print(f"    {shape}: {message}")
    if not expected_ok:
        print("UNEXPECTED violations: the planted defects were not found exactly", file=sys.stderr)
    return expected_ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", choices=("graph", "triples"))
    args = parser.parse_args(argv)

    print(_machine())
    started = time.perf_counter()
    graph = generate(args.triples, args.seed)
    print(f"generated {len(graph)} triples in {time.perf_counter() - started:.1f} s (seed {args.seed})")
    triples = from_rdflib(graph)
    shapes = load_shapes()
    rss_before = _peak_rss_mib()
    ok = True
    reports: list[ValidationReport] = []
    if args.only in (None, "graph"):
        report = _time("validate_graph (one process)", args.runs, lambda: validate_graph(graph, shapes))
        ok = _check(report) and ok
        reports.append(report)
    if args.only in (None, "triples"):
        report = _time(
            f"validate_triples, jobs={args.jobs}, no cache",
            args.runs,
            lambda: validate_triples(triples, jobs=args.jobs),
        )
        ok = _check(report) and ok
        reports.append(report)
        with tempfile.TemporaryDirectory() as cache:
            validate_triples(triples, jobs=args.jobs, cache_dir=Path(cache))
            report = _time(
                f"validate_triples, jobs={args.jobs}, warm cache (every chunk a hit)",
                args.runs,
                lambda: validate_triples(triples, jobs=args.jobs, cache_dir=Path(cache)),
            )
            ok = _check(report) and ok
            reports.append(report)
    print(f"peak RSS (main process): {_peak_rss_mib():.0f} MiB (after generating the graph: {rss_before:.0f} MiB)")
    if any(r.results != reports[0].results for r in reports):
        print("UNEXPECTED: the reports differ", file=sys.stderr)
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
