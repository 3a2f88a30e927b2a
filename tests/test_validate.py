"""SHACL shapes (ontology/shapes.ttl) and the located report (scholargraph.validate).

``tests/data/shapes/valid.ttl`` is a small graph with every node kind of the
model that passes every shape without a single result.  Each
``tests/data/shapes/broken/<case>.ru`` is a SPARQL update that breaks it in one
way; ``EXPECTED`` lists, for each case, the exact lines the report prints.
Together they give every shape a passing and a failing graph
(``test_every_shape_fails_somewhere`` checks that).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.plugins.sparql.operators import _CUSTOM_FUNCTIONS

from scholargraph.errors import DocumentError
from scholargraph.namespaces import SG
from scholargraph.validate import (
    ValidationReport,
    Violation,
    load_shapes,
    ontology_dir,
    orcid_check_digit,
    run_validate_command,
    validate_file,
    validate_graph,
)

DATA = Path(__file__).parent / "data" / "shapes"
VALID = DATA / "valid.ttl"
SH = "http://www.w3.org/ns/shacl#"

EXPECTED: dict[str, list[str]] = {
    "author-cross-work": [
        'data/cv-clement-le-ludec.md:35: author role of work "Counting ‘micro-workers’: societal and…": author rank 2 is the oco:hasNext of more than one role (shape sg:AuthorRoleShape)',
        'data/cv-clement-le-ludec.md:51: author role of work "Where is the AI? Micro-work in Madagasc…": author rank 1: its oco:hasNext belongs to another work (shape sg:AuthorChainShape)',
    ],
    "author-gap": [
        'data/cv-clement-le-ludec.md:35: author role of work "Counting ‘micro-workers’: societal and…": author rank 2: its oco:hasNext has rank 4, expected 3 (shape sg:AuthorChainShape)',
    ],
    "author-role-core": [
        'data/cv-clement-le-ludec.md:35: author role of work "Counting ‘micro-workers’: societal and…": author role must be held by exactly one agent (pro:isHeldBy) (shape sg:AuthorRoleShape)',
        'data/cv-clement-le-ludec.md:35: author role of work "Counting ‘micro-workers’: societal and…": author role must have exactly one sg:authorRank, an xsd:positiveInteger, has 3 (shape sg:AuthorRoleShape)',
        'data/cv-clement-le-ludec.md:35: author role of work "Counting ‘micro-workers’: societal and…": author role must have pro:withRole pro:author (once) (shape sg:AuthorRoleShape)',
    ],
    "author-two-firsts": [
        'data/cv-clement-le-ludec.md:35: work "Counting ‘micro-workers’: societal and…": work has more than one author role with sg:authorRank 1 (shape sg:WorkShape)',
        'data/cv-clement-le-ludec.md:35: author role of work "Counting ‘micro-workers’: societal and…": author rank 1: its oco:hasNext has rank 1, expected 2 (shape sg:AuthorChainShape)',
        'data/cv-clement-le-ludec.md:35: author role of work "Counting ‘micro-workers’: societal and…": author rank 1: its oco:hasNext has rank 3, expected 2 (shape sg:AuthorChainShape)',
    ],
    "author-unlinked": [
        'data/cv-clement-le-ludec.md:35: author role of work "Counting ‘micro-workers’: societal and…": author rank 3 is not reached from rank 1 through oco:hasNext (ranks run 1..n without gaps) (shape sg:AuthorRoleShape)',
    ],
    "course": [
        'data/cv-clement-le-ludec.md:61: course "Sociology of digital labour": course audience <https://example.org/scholargraph/course/sociology-of-digital-labour-institut-polytechnique-de-paris-2021/audience> is not a schema:Audience (shape sg:CourseInstanceShape)',
        'data/cv-clement-le-ludec.md:61: course "Sociology of digital labour": course must name its instructor (schema:instructor), a foaf:Person (shape sg:CourseInstanceShape)',
    ],
    "dates-order": [
        'data/cv-clement-le-ludec.md:15: role "M.A in Politics": end date 2019-06 is before start date 2020 (shape sg:DateOrderShape)',
        'data/project-opla.txt:21: event "INDA conference": end date 2021-06-16 is before start date 2021-06-17 (shape sg:DateOrderShape)',
    ],
    "dates-typed": [
        'data/cv-clement-le-ludec.md:9: position "PhD student": start date 2020-13 must be an xsd:gYear (2020), xsd:gYearMonth (2020-01) or xsd:date (2020-01-31) (shape sg:DateTypeShape)',
        'data/cv-clement-le-ludec.md:51: work "Where is the AI? Micro-work in Madagasc…": work has more than one publication date: 2021, 2021-06-17 (shape sg:WorkShape)',
        'data/project-opla.txt:1: project "Organising Platform Labour in Africa": end date 2024 must be an xsd:gYear (2020), xsd:gYearMonth (2020-01) or xsd:date (2020-01-31) (shape sg:DateTypeShape)',
        'data/project-opla.txt:1: project "Organising Platform Labour in Africa": has more than one end date: 2023, 2024 (shape sg:EndDateProperty)',
    ],
    "event": [
        'data/cv-clement-le-ludec.md:45: hearing "Hearing on click work": hearing names nobody heard (schema:performer) (shape sg:HearingShape)',
        'data/project-opla.txt:21: event: event has no schema:name (shape sg:EventShape)',
    ],
    "funder-not-org": [
        'data/cv-clement-le-ludec.md:35: person "Paola Tubaro": a funder must be a foaf:Organization (shape sg:FunderShape)',
    ],
    "funder-type": [
        'data/project-opla.txt:11: organisation "Agence nationale de la recherche": an organisation that is the object of schema:funder must also be a frapo:FundingAgency (shape sg:FundingAgencyTypeShape)',
        'data/project-opla.txt:11: organisation "Agence nationale de la recherche": schema:FundingAgency is a kind of Project, not a funder; type funders frapo:FundingAgency (shape sg:NoSchemaFundingAgencyShape)',
    ],
    "identifier-structure": [
        'data/cv-clement-le-ludec.md:35: identifier of work "Counting ‘micro-workers’: societal and…": its entity has more than one DOI identifier node (one per entity and scheme) (shape sg:DoiShape)',
        'data/cv-clement-le-ludec.md:35: identifier of work "Counting ‘micro-workers’: societal and…": its entity has more than one HAL identifier node (one per entity and scheme) (shape sg:HalShape)',
        'data/cv-clement-le-ludec.md:35: identifier of work "Counting ‘micro-workers’: societal and…": identifier node must belong to exactly one entity (never shared) (shape sg:IdentifierShape)',
        'data/cv-clement-le-ludec.md:35: identifier of work "Counting ‘micro-workers’: societal and…": its entity has more than one DOI identifier node (one per entity and scheme) (shape sg:DoiShape)',
        'data/cv-clement-le-ludec.md:41: identifier of work "Click work in France": its entity has more than one HAL identifier node (one per entity and scheme) (shape sg:HalShape)',
        'data/cv-clement-le-ludec.md:51: identifier of work "Where is the AI? Micro-work in Madagasc…": identifier scheme must be one of datacite:doi, datacite:orcid, datacite:ror, datacite:local-resource-identifier-scheme (HAL), has datacite:isbn (shape sg:IdentifierShape)',
        'data/cv-clement-le-ludec.md:51: warning: work "Where is the AI? Micro-work in Madagasc…": work has no DOI or HAL id (shape sg:WorkIdentifierShape)',
    ],
    "identifier-values": [
        'data/cv-clement-le-ludec.md:9: identifier of organisation "Institut Polytechnique de Paris": ROR id https://ror.org/042tfbd02 is not a bare ROR id (0 + 6 characters + 2 digits) (shape sg:RorShape)',
        'data/cv-clement-le-ludec.md:35: identifier of person "Paola Tubaro": ORCID 0000-0002-1694-233 is not of the form 0000-0000-0000-000X (shape sg:OrcidShape)',
        'data/cv-clement-le-ludec.md:35: identifier of work "Counting ‘micro-workers’: societal and…": DOI https://doi.org/10.13169/x is not a bare DOI (10.NNNN/…) (shape sg:DoiShape)',
        'data/cv-clement-le-ludec.md:35: identifier of work "Counting ‘micro-workers’: societal and…": HAL id hal-02898905v2 is not of the form hal-NNNNNNNN (lower case, no version suffix) (shape sg:HalShape)',
    ],
    "orcid-check-digit": [
        'data/cv-clement-le-ludec.md:1: identifier of person "Clément Le Ludec": ORCID 0000-0002-1825-0098 has a wrong check digit (ISO 7064 11,2 gives 7) (shape sg:OrcidCheckDigitShape)',
    ],
    "org-role-kind": [
        'data/cv-clement-le-ludec.md:15: role: education or service role has no schema:roleName (shape sg:NamedOrganizationRoleShape)',
        'data/cv-clement-le-ludec.md:15: role: role must have exactly one of schema:alumniOf (education), schema:memberOf (service) or schema:member (project membership) (shape sg:OrganizationRoleShape)',
    ],
    "org-two-names": [
        'data/cv-clement-le-ludec.md:9: organisation "IP Paris": is a foaf:Organization but not a schema:Organization (shape sg:OrganizationShape)',
        'data/cv-clement-le-ludec.md:9: organisation "IP Paris": must have exactly one foaf:name literal (other spellings go to schema:alternateName), has IP Paris, Institut Polytechnique de Paris (shape sg:OrganizationShape)',
    ],
    "person-no-name": [
        'data/cv-clement-le-ludec.md:35: person: has no foaf:name (shape sg:PersonShape)',
    ],
    "person-no-orcid": [
        'data/cv-clement-le-ludec.md:35: warning: person "Paola Tubaro": person has no ORCID (shape sg:PersonOrcidShape)',
    ],
    "person-not-schema-person": [
        'data/cv-clement-le-ludec.md:35: person "Paola Tubaro": is a foaf:Person but not a schema:Person (shape sg:PersonShape)',
    ],
    "person-two-names": [
        'data/cv-clement-le-ludec.md:1: person "Clément Le Ludec": has more than one foaf:givenName: C., Clément (shape sg:PersonShape)',
        'data/cv-clement-le-ludec.md:35: person "P. Tubaro": must have exactly one foaf:name literal, has P. Tubaro, Paola Tubaro (shape sg:PersonShape)',
    ],
    "position": [
        'data/cv-clement-le-ludec.md:9: position: position must be held by exactly one person (person schema:worksFor role) (shape sg:EmployeeRoleShape)',
        'data/cv-clement-le-ludec.md:9: position: position must have exactly one schema:roleName (shape sg:EmployeeRoleShape)',
        "data/cv-clement-le-ludec.md:9: position: position's schema:worksFor <https://example.org/scholargraph/person/0000-0002-1694-233X> is not a foaf:Organization (shape sg:EmployeeRoleShape)",
    ],
    "project": [
        'data/project-opla.txt:1: project: project has no schema:name (shape sg:ProjectShape)',
        'data/project-opla.txt:1: project: project is not a schema:ResearchProject (shape sg:ProjectShape)',
        'data/project-opla.txt:1: project: project member <https://example.org/scholargraph/person/0000-0002-1694-233X> is not a schema:OrganizationRole (project schema:member role, role schema:member person) (shape sg:ProjectShape)',
    ],
    "provenance": [
        'data/cv-clement-le-ludec.md:9: position "PhD student": prov:wasDerivedFrom <https://example.org/scholargraph/source/cv-clement-le-ludec.md> is not a passage of a source document (…#line=N,M) (shape sg:ProvenanceShape)',
        '<https://example.org/scholargraph/org/diplab>: organisation "DiPLab": has no prov:wasDerivedFrom: every entity must point at the lines of the document it came from (shape sg:ProvenanceShape)',
    ],
    "role-unattached": [
        'data/cv-clement-le-ludec.md:15: role "M.A in Politics": role must be attached to exactly one person (schema:alumniOf / schema:memberOf) or project (schema:member) (shape sg:OrganizationRoleShape)',
    ],
    "source-document": [
        'data/project-opla.txt: source document "project-opla.txt": source document must have exactly one sg:sha256, 64 lower-case hex digits (shape sg:SourceDocumentShape)',
        '<https://example.org/scholargraph/periodical/work-organisation-labour-globalisation>: periodical: periodical has no schema:name (shape sg:PeriodicalShape)',
    ],
    "work-authors": [
        'data/cv-clement-le-ludec.md:35: work "Counting ‘micro-workers’: societal and…": the holders of the work\'s author roles differ from its schema:author values (<https://example.org/scholargraph/person/0000-0002-1694-233X>) (shape sg:WorkShape)',
        'data/cv-clement-le-ludec.md:51: work "Where is the AI? Micro-work in Madagasc…": the holders of the work\'s author roles differ from its schema:author values (<https://example.org/scholargraph/periodical/work-organisation-labour-globalisation>) (shape sg:WorkShape)',
        '<https://example.org/scholargraph/periodical/work-organisation-labour-globalisation>: periodical "Work Organisation, Labour & Globalisati…": an author must be a foaf:Person or a foaf:Organization (shape sg:AgentShape)',
    ],
    "work-core": [
        'data/cv-clement-le-ludec.md:41: work "Click work in France": work has no schema:author (a person or an organisation) (shape sg:WorkShape)',
        'data/cv-clement-le-ludec.md:51: work: work has no dcterms:title (shape sg:WorkShape)',
        'data/cv-clement-le-ludec.md:51: work: work has no schema:datePublished and is not marked forthcoming (bibo:status) (shape sg:WorkShape)',
    ],
    "work-no-identifier": [
        'data/cv-clement-le-ludec.md:51: warning: work "Where is the AI? Micro-work in Madagasc…": work has no DOI or HAL id (shape sg:WorkIdentifierShape)',
    ],
    "work-types": [
        'data/cv-clement-le-ludec.md:35: work "Counting ‘micro-workers’: societal and…": a fabio:JournalArticle must be a schema:ScholarlyArticle and nothing else, is fabio:JournalArticle, schema:Report (shape sg:JournalArticleShape)',
        'data/cv-clement-le-ludec.md:41: work "Click work in France": a fabio:Book must be a schema:Book and nothing else, is fabio:Book, fabio:ReportDocument, schema:Report (shape sg:BookShape)',
        'data/cv-clement-le-ludec.md:41: work "Click work in France": a fabio:ReportDocument must be a schema:Report and nothing else, is fabio:Book, fabio:ReportDocument, schema:Report (shape sg:ReportDocumentShape)',
        'data/cv-clement-le-ludec.md:51: work "Where is the AI? Micro-work in Madagasc…": work must be typed with one FaBiO class of the model\'s table and its schema.org class, is schema:PresentationDigitalDocument (shape sg:WorkShape)',
    ],
}


@pytest.fixture(scope="module")
def valid_graph() -> Graph:
    return Graph().parse(VALID)


def broken(valid_graph: Graph, *cases: str) -> Graph:
    graph = Graph()
    graph += valid_graph
    for case in cases:
        graph.update((DATA / "broken" / f"{case}.ru").read_text(encoding="utf-8"))
    return graph


def test_valid_graph_has_no_result_at_all(valid_graph: Graph) -> None:
    report = validate_graph(valid_graph, source_root="data/")
    assert report.conforms
    assert report.results == ()
    assert report.counts() == {"Violation": 0, "Warning": 0, "Info": 0}
    assert report.format_text() == "0 violations, 0 warnings: the graph conforms\n"


def test_every_case_file_has_an_expectation() -> None:
    assert sorted(p.stem for p in (DATA / "broken").glob("*.ru")) == sorted(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_broken_graph_reports_exactly(valid_graph: Graph, case: str) -> None:
    report = validate_graph(broken(valid_graph, case), source_root="data/")
    assert [result.format_line() for result in report.results] == EXPECTED[case]
    violations = sum(1 for line in EXPECTED[case] if ": warning: " not in line)
    assert report.counts() == {
        "Violation": violations,
        "Warning": len(EXPECTED[case]) - violations,
        "Info": 0,
    }
    assert report.conforms is (violations == 0)


def test_every_shape_fails_somewhere() -> None:
    shapes = load_shapes()
    named = {
        str(s).rsplit("#", 1)[1]
        for s in shapes.subjects(RDF.type, URIRef(SH + "NodeShape"))
        if isinstance(s, URIRef)
    }
    reported = {
        line.rsplit("(shape sg:", 1)[1].rstrip(")") for lines in EXPECTED.values() for line in lines
    }
    untested = named - reported
    # Pair shapes of the FaBiO table are tested by two of the nine; the rest
    # differ only in their class names.
    untested -= {
        "ConferencePaperShape",
        "PresentationShape",
        "DoctoralThesisShape",
        "MastersThesisShape",
        "BookChapterShape",
        "ExpressionShape",
        "SchemaWorkTypeShape",
    }
    assert untested == set()


def test_schema_work_type_outside_the_table(valid_graph: Graph) -> None:
    graph = Graph()
    graph += valid_graph
    work = URIRef("https://example.org/scholargraph/work/halshs-03041375")
    graph.add((work, RDF.type, URIRef("https://schema.org/Dataset")))
    lines = [r.format_line() for r in validate_graph(graph, source_root="data/").results]
    assert lines == [
        'data/cv-clement-le-ludec.md:41: work "Click work in France": a fabio:ReportDocument must be a '
        "schema:Report and nothing else, is fabio:ReportDocument, schema:Dataset, schema:Report "
        "(shape sg:ReportDocumentShape)",
        'data/cv-clement-le-ludec.md:41: work "Click work in France": work has a type outside the '
        "model's table: schema:Dataset (shape sg:SchemaWorkTypeShape)",
    ]


def test_format_text_groups_by_document(valid_graph: Graph) -> None:
    report = validate_graph(
        broken(valid_graph, "person-no-orcid", "provenance"), source_root="data/"
    )
    assert report.format_text() == (
        "data/cv-clement-le-ludec.md: 1 violation, 1 warning\n"
        'data/cv-clement-le-ludec.md:9: position "PhD student": prov:wasDerivedFrom '
        "<https://example.org/scholargraph/source/cv-clement-le-ludec.md> is not a passage of a "
        "source document (…#line=N,M) (shape sg:ProvenanceShape)\n"
        'data/cv-clement-le-ludec.md:35: warning: person "Paola Tubaro": person has no ORCID '
        "(shape sg:PersonOrcidShape)\n"
        "\n"
        "(no source): 1 violation, 0 warnings\n"
        '<https://example.org/scholargraph/org/diplab>: organisation "DiPLab": has no '
        "prov:wasDerivedFrom: every entity must point at the lines of the document it came from "
        "(shape sg:ProvenanceShape)\n"
        "\n"
        "2 violations, 1 warning: the graph does not conform\n"
    )


def test_warnings_alone_conform(valid_graph: Graph) -> None:
    report = validate_graph(broken(valid_graph, "person-no-orcid", "work-no-identifier"))
    assert report.conforms
    assert report.counts() == {"Violation": 0, "Warning": 2, "Info": 0}
    assert report.format_text().endswith("0 violations, 2 warnings: the graph conforms\n")


def test_without_source_root_paths_are_relative_to_the_data_directory(valid_graph: Graph) -> None:
    report = validate_graph(broken(valid_graph, "person-no-name"))
    assert [(r.source, r.line) for r in report.results] == [("cv-clement-le-ludec.md", 35)]


def test_result_fields(valid_graph: Graph) -> None:
    report = validate_graph(broken(valid_graph, "dates-order"), source_root="data/")
    assert report.results[0] == Violation(
        severity="Violation",
        focus="https://example.org/scholargraph/role/clement-le-ludec-education-m-a-in-politics-sciences-po-2017",
        path=None,
        message="end date 2019-06 is before start date 2020",
        shape="sg:DateOrderShape",
        source="data/cv-clement-le-ludec.md",
        line=15,
        label="M.A in Politics",
        kind="role",
    )
    identifier = validate_graph(broken(valid_graph, "orcid-check-digit")).results[0]
    assert identifier.kind == "identifier of person"
    assert identifier.label == "Clément Le Ludec"
    assert identifier.focus.endswith("/person/0000-0002-1825-0097/id/orcid")
    path_result = validate_graph(broken(valid_graph, "role-unattached")).results[0]
    assert path_result.path == "(^schema:alumniOf|^schema:memberOf|^schema:member)"


def test_to_json_gives_the_same_data(valid_graph: Graph) -> None:
    report = validate_graph(broken(valid_graph, "author-gap"), source_root="data/")
    data = report.to_json()
    assert json.loads(json.dumps(data)) == [
        {
            "severity": "Violation",
            "focus": "https://example.org/scholargraph/work/doi-10-13169-workorgalaboglob-14-1-0067/author/2",
            "path": None,
            "message": "author rank 2: its oco:hasNext has rank 4, expected 3",
            "shape": "sg:AuthorChainShape",
            "source": "data/cv-clement-le-ludec.md",
            "line": 35,
            "label": "Counting ‘micro-workers’: societal and…",
            "kind": "author role of work",
        }
    ]


def test_report_graph_carries_the_filled_messages(valid_graph: Graph) -> None:
    report = validate_graph(broken(valid_graph, "person-two-names"))
    messages = sorted(
        str(m) for m in report.report_graph.objects(None, URIRef(SH + "resultMessage"))
    )
    assert messages == [
        "has more than one foaf:givenName: C., Clément",
        "must have exactly one foaf:name literal, has P. Tubaro, Paola Tubaro",
    ]


def test_extension_function_is_registered_only_during_validation(valid_graph: Graph) -> None:
    assert SG.orcidCheckDigit not in _CUSTOM_FUNCTIONS
    validate_graph(valid_graph)
    assert SG.orcidCheckDigit not in _CUSTOM_FUNCTIONS


@pytest.mark.parametrize(
    ("orcid", "digit"),
    [("0000-0002-1825-0097", "7"), ("0000-0002-1694-233X", "X"), ("0000-0001-5089-0080", "9")],
)
def test_orcid_check_digit(orcid: str, digit: str) -> None:
    assert orcid_check_digit(Literal(orcid)) == Literal(digit)


def test_shapes_are_found_in_the_package() -> None:
    directory = ontology_dir()
    assert (directory / "shapes.ttl").is_file() and (directory / "sg.ttl").is_file()
    shapes = load_shapes()
    assert (SG.authorRank, RDF.type, None) in shapes  # sg.ttl is part of the default shapes
    assert (URIRef(str(SG) + "WorkShape"), RDF.type, URIRef(SH + "NodeShape")) in shapes


def test_validate_file_reads_turtle_ntriples_and_trig(valid_graph: Graph, tmp_path: Path) -> None:
    graph = broken(valid_graph, "author-gap")
    nt = tmp_path / "graph.nt"
    graph.serialize(nt, format="nt")
    trig = tmp_path / "graph.trig"
    trig.write_text(
        "<https://example.org/g> {\n" + nt.read_text(encoding="utf-8") + "}\n", encoding="utf-8"
    )
    for path in (nt, trig):
        report = validate_file(path, source_root="data/")
        assert [r.format_line() for r in report.results] == EXPECTED["author-gap"], path.suffix
    assert validate_file(VALID).conforms


def test_validate_file_with_own_shapes(tmp_path: Path) -> None:
    shapes = tmp_path / "own.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
        "<https://example.org/NoNicks> sh:targetClass foaf:Person ; sh:property [ sh:path foaf:nick ;"
        ' sh:minCount 1 ; sh:message "needs a nickname" ] .\n',
        encoding="utf-8",
    )
    report = validate_file(VALID, shapes)
    assert report.counts() == {"Violation": 3, "Warning": 0, "Info": 0}
    assert {r.message for r in report.results} == {"needs a nickname"}
    assert {r.shape for r in report.results} == {"<https://example.org/NoNicks>"}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "bad.ttl",
            "@prefix ex: <http://ex/> .\nex:a ex:b ex:c .\nex:a ex:b \"x\n",
            "bad.ttl:3: not valid turtle: newline found in string literal",
        ),
        ("bad.nt", "<http://a> <http://b> .\n", "bad.nt: not valid nt: Invalid line: ."),
        ("graph.rdf", "<rdf/>", "graph.rdf: unknown RDF format '.rdf'; use .ttl, .nt or .trig"),
    ],
)
def test_bad_files_are_document_errors(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DocumentError) as caught:
        validate_file(path)
    assert str(caught.value) == f"{tmp_path}/{message}"


def test_missing_file_is_a_document_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="missing.ttl: file not found$"):
        validate_file(tmp_path / "missing.ttl")


def test_run_validate_command(
    valid_graph: Graph, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_validate_command(VALID, None, "text", None) == 0
    assert capsys.readouterr().out == "0 violations, 0 warnings: the graph conforms\n"

    graph_file = tmp_path / "graph.ttl"
    broken(valid_graph, "author-gap").serialize(graph_file, format="turtle")
    report_file = tmp_path / "report.ttl"
    assert run_validate_command(graph_file, None, "json", report_file, source_root="data/") == 1
    printed = json.loads(capsys.readouterr().out)
    assert [(r["source"], r["line"], r["message"]) for r in printed] == [
        ("data/cv-clement-le-ludec.md", 35, "author rank 2: its oco:hasNext has rank 4, expected 3")
    ]
    report_graph = Graph().parse(report_file)
    assert len(list(report_graph.subjects(RDF.type, URIRef(SH + "ValidationResult")))) == 1

    assert run_validate_command(graph_file, None, "text", None) == 1
    assert capsys.readouterr().out.endswith("1 violation, 0 warnings: the graph does not conform\n")

    with pytest.raises(ValueError, match="unknown report format 'xml'"):
        run_validate_command(graph_file, None, "xml", None)


def test_report_type() -> None:
    report = validate_graph(Graph())
    assert isinstance(report, ValidationReport)
    assert report.conforms and report.results == ()
