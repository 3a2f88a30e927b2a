"""The structured-format readers: curated YAML, BibTeX, JSON Resume, ORCID JSON, YAML CV data.

Every document in ``tests/data/formats/`` was written by hand; the records
expected from it are written out here, field by field.
"""

from __future__ import annotations

from dataclasses import replace

import dataclasses
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from scholargraph import records as R
from scholargraph.errors import DocumentError
from scholargraph.readers import bibtex, jsonresume, orcid, records_yaml, yamlcv
from scholargraph.records import (
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
    Span,
    Title,
    Unmapped,
    Work,
    WorkType,
    to_data,
)

DATA = Path(__file__).parent / "data" / "formats"
LIBYAML = hasattr(yaml, "CSafeLoader")  # the readers use libyaml when PyYAML has it; its messages differ
PERSON, ORG = AgentKind.PERSON, AgentKind.ORGANIZATION
D = PartialDate


def read(module: object, name: str) -> Document:
    text = (DATA / name).read_text(encoding="utf-8")
    return module.read(text, f"formats/{name}")  # type: ignore[attr-defined, no-any-return]


def spans(source: str):  # noqa: ANN201 - a tiny local helper
    def span(start: int, end: int | None = None) -> Span:
        return Span(source, start, end if end is not None else start)

    return span


def assert_every_line_accounted(doc: Document, text: str) -> None:
    """Each non-blank line is cited by a record, listed unmapped, or markup."""
    cited: set[int] = set()

    def walk(value: object) -> None:
        if isinstance(value, Span) and value.source == doc.path:
            cited.update(range(value.start, value.end + 1))
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name))
        elif isinstance(value, tuple):
            for item in value:
                walk(item)

    walk((doc.records, doc.owner, doc.unmapped))
    cited.update(doc.markup_lines)
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            assert number in cited, f"line {number} is neither cited, unmapped nor markup: {line!r}"


# --- BibTeX --------------------------------------------------------------------


def test_bibtex_every_entry() -> None:
    doc = read(bibtex, "publications.bib")
    s = spans("formats/publications.bib")
    assert doc.kind == "bibtex" and doc.owner is None and doc.line_count == 87

    def authors(line: int, *names: str) -> tuple[Agent, ...]:
        return tuple(Agent(n, PERSON, s(line)) for n in names)

    expected = (
        Work(
            type=WorkType.JOURNAL_ARTICLE,
            titles=(Title("Counting ‘micro-workers’: societal and methodological challenges around new forms of labour", "en"),),
            span=s(4, 14),
            authors=authors(5, "Paola Tubaro", "Clément Le Ludec", "Antonio A. Casilli"),
            date=D(2020, 9),
            venue="Work Organisation, Labour & Globalisation",
            volume="14",
            issue="1",
            page_start="67",
            page_end="82",
            doi="10.13169/workorgalaboglob.14.1.0067",
        ),
        Work(
            type=WorkType.JOURNAL_ARTICLE,
            titles=(Title("Quel statut pour les « petits doigts » de l'intelligence artificielle ? "
                          "Présent et perspectives du micro-travail en France", "fr"),),
            span=s(16, 24),
            authors=authors(17, "Clément Le Ludec", "Elinor Wahal", "Antonio A. Casilli", "Paola Tubaro"),
            date=D(2020, 10),
            venue="Les Mondes du travail",
            hal="hal-03099683",
        ),
        Work(
            type=WorkType.JOURNAL_ARTICLE,
            titles=(Title("Hidden inequalities: the gendered labour of women on micro-tasking platforms", "en"),),
            span=s(26, 31),
            authors=authors(27, "Paola Tubaro", "Marion Coville", "Clément Le Ludec", "Antonio A. Casilli"),
            forthcoming=True,
            venue="Internet Policy Review",
        ),
        Work(
            type=WorkType.CONFERENCE_PAPER,
            titles=(Title("Deplatformizing data labour? An empirical study of French AI companies organisation", "en"),),
            span=s(33, 40),
            authors=authors(34, "Clément Le Ludec", "Maxime Cornet"),
            date=D(2021, 8),
            presented_at=Event("BSA Work, Employment and Society Conference 2021", s(36), D(2021, 8), place="Online"),
        ),
        Work(
            type=WorkType.REPORT,
            titles=(Title("Travail à l'ère des plateformes. Mise à jour requise", "fr"),),
            span=s(42, 50),
            authors=(Agent("Conseil national du numérique", ORG, s(43)),),
            date=D(2020, 7),
            publisher="Conseil national du numérique",
            hal="hal-02139528",
        ),
        Work(
            type=WorkType.DOCTORAL_THESIS,
            titles=(Title("Les géographies francophones de l'intelligence artificielle", "fr"),),
            span=s(52, 58),
            authors=authors(53, "Clément Le Ludec"),
            date=D(2023),
            forthcoming=True,
            institution=Agent("Institut Polytechnique de Paris", ORG, s(55)),
        ),
        Work(
            type=WorkType.MASTERS_THESIS,
            titles=(Title("Public engagement and online mobilization: an analysis of the data from the "
                          "citizens' consultation on the Digital Republic Act", "en"),),
            span=s(60, 66),
            authors=authors(61, "Clément Le Ludec"),
            date=D(2017, 9),
            institution=Agent("Université Paris-Est Marne-la-Vallée", ORG, s(63)),
        ),
        Work(
            type=WorkType.BOOK_CHAPTER,
            titles=(Title("En la trastienda de la inteligencia artificial", None),),
            span=s(68, 77),
            authors=authors(69, "Antonio A. Casilli", "Paola Tubaro", "Clément Le Ludec", "Elinor Wahal"),
            date=D(2019),
            venue="Arxius de sociologia",
            publisher="Universitat de València",
            page_start="111",
            page_end="128",
            doi="10.5281/zenodo.3567890",
        ),
        Work(
            type=WorkType.PRESENTATION,
            titles=(Title("The fabric of AI systems: which organisation for workers and suppliers of automation?", "en"),),
            span=s(79, 87),
            authors=authors(80, "Clément Le Ludec"),
            date=D(2021, 7),
            presented_at=Event("EGOS Colloquium 2021", s(82), D(2021, 7), place="Amsterdam"),
        ),
    )
    assert doc.records == expected
    assert doc.unmapped == (
        Unmapped(s(73), "editor    = {Garc{\\'\\i}a, Josep},", "editors are not part of the graph model"),
        Unmapped(s(86), "keywords     = {AI, labour},", "keywords are not part of the graph model"),
    )
    assert doc.markup_lines == (1, 2)
    assert_every_line_accounted(doc, (DATA / "publications.bib").read_text())


def test_bibtex_name_forms_and_identifiers_from_urls() -> None:
    text = r"""@article{k,
  author = {Jean-Pierre de la Fontaine and M{\"u}ller, J{\"o}rg and Doe, Jr., John and {Barnes and Noble} and others},
  title = {{\'E}tude},
  journal = {Revue},
  date = {2019-03-15},
  url = {https://hal.science/halshs-01234567v3/document},
  eprint = {2101.00001},
  pubstate = {forthcoming},
}
"""
    doc = bibtex.read(text, "k.bib")
    work = doc.records[0]
    assert isinstance(work, Work)
    assert [(a.name, a.kind) for a in work.authors] == [
        ("Jean-Pierre de la Fontaine", PERSON),
        ("Jörg Müller", PERSON),
        ("John Doe Jr.", PERSON),
        ("Barnes and Noble", ORG),
    ]
    assert (work.title, work.date, work.hal, work.doi, work.forthcoming) == (
        "Étude", D(2019, 3, 15), "halshs-01234567", None, True
    )
    assert [(u.span.start, u.reason) for u in doc.unmapped] == [
        (2, "'and others': the remaining authors are not named"),
        (7, "field 'eprint' is not mapped"),
    ]


def test_bibtex_thesis_type_and_unknown_type() -> None:
    text = "@thesis{a, title={Une thèse}, type={Thèse de doctorat}, institution={EHESS}, year=2010}\n" \
           "@thesis{b, title={A thesis}, year=2011}\n@artcle{c, title={Typo}, year=2012}\n"
    doc = bibtex.read(text, "t.bib")
    assert [(w.type, w.title) for w in doc.records] == [  # type: ignore[union-attr]
        (WorkType.DOCTORAL_THESIS, "Une thèse"),
        (WorkType.OTHER, "A thesis"),
        (WorkType.OTHER, "Typo"),
    ]
    assert doc.records[0].institution == Agent("EHESS", ORG, Span.line("t.bib", 1))  # type: ignore[union-attr]
    assert [u.reason for u in doc.unmapped] == [
        "@thesis without a type saying PhD or master's; read as a generic work (add type = {phdthesis})",
        "@artcle is not a BibTeX entry type scholargraph knows; read as a generic work",
    ]


def test_bibtex_bad_values_are_reported_not_dropped() -> None:
    text = "@article{a, title={T}, year={20x}, month={Smarch}}\n@article{b, title={U}, year=2020, month=13}\n" \
           "@article{c, year=2020}\nstray text\n"
    doc = bibtex.read(text, "v.bib")
    assert [(w.title, w.date) for w in doc.records] == [("T", None), ("U", D(2020))]  # type: ignore[union-attr]
    assert [(u.span.start, u.reason) for u in doc.unmapped] == [
        (1, "year '20x' is not a four-digit year"),
        (2, "month '13' is not a month"),
        (3, "entry 'c' has no title; add a title field"),
        (4, "text outside any entry (BibTeX ignores it)"),
    ]


def test_bibtex_unbalanced_braces() -> None:
    text = "@article{ok, title={Fine}, year=2019}\n\n@article{bad,\n  title = {Open {brace},\n  year = 2020\n}\n"
    with pytest.raises(DocumentError) as caught:
        bibtex.read(text, "bad.bib")
    assert str(caught.value) == (
        "bad.bib:3: cannot parse '@article{bad': Unexpectedly reached end of file; "
        "check that every { has its } and every field ends with a comma"
    )
    assert (caught.value.path, caught.value.line) == ("bad.bib", 3)


def test_bibtex_extra_closing_brace() -> None:
    with pytest.raises(DocumentError) as caught:
        bibtex.read("@article{a,\n  title = {x}},\n  year = 2020\n}\n", "extra.bib")
    assert str(caught.value) == (
        "extra.bib:2: text with braces outside any entry: an entry above has an extra '}' "
        "or misses a '@type{key,'; balance the braces"
    )


def test_bibtex_duplicate_field() -> None:
    with pytest.raises(DocumentError) as caught:
        bibtex.read("@article{a, title={x}, title={y}}\n", "dup.bib")
    assert str(caught.value) == "dup.bib:1: entry 'a' has the field 'title' more than once; keep one of them"


def test_bibtex_sniff() -> None:
    assert bibtex.sniff(Path("x.bib"), "@article{a, title={x}}")
    assert not bibtex.sniff(Path("x.md"), "@article{a, title={x}}")
    assert not bibtex.sniff(Path("x.bib"), "no entries")


# --- JSON Resume ---------------------------------------------------------------


def test_json_resume() -> None:
    doc = read(jsonresume, "resume.json")
    s = spans("formats/resume.json")
    me = Agent("Clément Le Ludec", PERSON, s(4))
    assert doc.kind == "json-resume" and doc.owner == me
    assert doc.records == (
        Role(RoleKind.POSITION, me, "Doctorant", s(13, 18), Agent("Institut Polytechnique de Paris", ORG, s(14)),
             start=D(2020, 1), ongoing=True,
             description="Thèse sur les géographies francophones de l'intelligence artificielle."),
        Role(RoleKind.POSITION, me, "Chargé de mission", s(19, 28), Agent("Conseil national du numérique", ORG, s(20)),
             start=D(2018, 12), end=D(2019, 12),
             description="Rapports pour le gouvernement\nConsultation citoyenne"),
        Role(RoleKind.POSITION, me, "Research assistant", s(29, 35), Agent("CNRS", ORG, s(30)),
             start=D(2018, 2, 1), end=D(2018, 10, 31)),
        Role(RoleKind.SERVICE, me, "Membre du comité d'organisation", s(38, 42),
             Agent("Association française de sociologie", ORG, s(39)), start=D(2021), ongoing=True),
        Role(RoleKind.EDUCATION, me, "Master in Sciences sociales", s(45, 51),
             Agent("Université Paris-Est Marne-la-Vallée", ORG, s(46)), start=D(2016, 9), end=D(2017, 9)),
        Role(RoleKind.EDUCATION, me, "M.A in Politics", s(52, 59), Agent("Sciences Po Lyon", ORG, s(53)),
             start=D(2014), end=D(2016)),
        Work(WorkType.OTHER,
             (Title("Counting ‘micro-workers’: societal and methodological challenges around new forms of labour", "en"),),
             s(62, 67), authors=(replace(me, span=s(62, 67)),), date=D(2020, 9), publisher="Pluto Journals",
             doi="10.13169/workorgalaboglob.14.1.0067"),
        PersonFacts(me, s(77, 80), knows_about=("Méthodes mixtes", "R", "entretiens")),
        Project("DiPLab", s(83, 88), description="Digital Platform Labor",
                members=(Membership(me, s(86), "Research assistant"),), start=D(2018, 2)),
    )
    assert [(u.span.start, u.span.end, u.reason) for u in doc.unmapped] == [
        (5, 5, "field 'label' of basics (contact details) is not mapped"),
        (6, 6, "field 'email' of basics (contact details) is not mapped"),
        (7, 10, "field 'location' of basics (contact details) is not mapped"),
        (34, 34, "field 'url' of a work entry is not mapped"),
        (58, 58, "field 'score' of an education entry is not mapped"),
        (70, 74, "awards are not part of the graph model"),
    ]
    assert 2 in doc.markup_lines  # "$schema" declares the format
    assert_every_line_accounted(doc, (DATA / "resume.json").read_text())


def test_json_syntax_error_has_its_line() -> None:
    text = '{\n  "basics": {\n    "name": "A"\n  },\n  "work": [\n    {"name": "X",}\n  ]\n}\n'
    with pytest.raises(DocumentError) as caught:
        jsonresume.read(text, "bad.json")
    assert str(caught.value) == "bad.json:6: invalid JSON: Expecting property name enclosed in double quotes (column 18); fix the syntax"


def test_json_resume_bad_date_and_no_name() -> None:
    text = '{"work": [{"name": "X", "position": "Y", "startDate": "2020-02-30"}], "education": []}'
    doc = jsonresume.read(text, "r.json")
    assert doc.records == () and doc.owner is None
    assert [u.reason for u in doc.unmapped] == ["a work entry of an unnamed person: add basics.name"]
    text = '{"basics": {"name": "A"}, "work": [{"name": "X", "position": "Y", "startDate": "2020-02-30"}]}'
    doc = jsonresume.read(text, "r.json")
    assert doc.records[0].start is None  # type: ignore[union-attr]
    assert [u.reason for u in doc.unmapped] == [
        "'2020-02-30' is not a calendar date (February has 29 days); write an ISO date (2020, 2020-09 or 2020-09-29)"
    ]


def test_json_sniffs_do_not_overlap() -> None:
    resume = (DATA / "resume.json").read_text()
    record = (DATA / "orcid-record.json").read_text()
    assert jsonresume.sniff(Path("resume.json"), resume) and not orcid.sniff(Path("resume.json"), resume)
    assert orcid.sniff(Path("me.json"), record) and not jsonresume.sniff(Path("me.json"), record)


# --- ORCID ---------------------------------------------------------------------


def test_orcid_record() -> None:
    doc = read(orcid, "orcid-record.json")
    s = spans("formats/orcid-record.json")
    me = Agent("Clément Le Ludec", PERSON, s(9, 15), orcid="0000-0002-1825-0097")
    assert doc.kind == "orcid" and doc.owner == me
    assert doc.records == (
        PersonFacts(me, s(20, 25), knows_about=("micro-travail", "intelligence artificielle")),
        Role(RoleKind.POSITION, me, "PhD student", s(31, 54),
             Agent("Institut Polytechnique de Paris", ORG, s(42), ror="042tfbd02"),
             start=D(2020, 1), description="i3-SES"),
        Role(RoleKind.POSITION, me, "Chargé de mission", s(55, 67), Agent("Conseil national du numérique", ORG, s(63)),
             start=D(2018, 12), end=D(2019, 12, 31)),
        Role(RoleKind.EDUCATION, me, "Master en sciences sociales", s(72, 83),
             Agent("Université Paris-Est Marne-la-Vallée", ORG, s(79)), start=D(2016), end=D(2017)),
        Project("Digital Platform Labor (DiPLab)", s(88, 98),
                funders=(Agent("Agence Nationale de la Recherche", ORG, s(95)),),
                members=(Membership(me, s(88)),), start=D(2018), end=D(2021)),
        Work(WorkType.JOURNAL_ARTICLE,
             (Title("Counting ‘micro-workers’: societal and methodological challenges around new forms of labour", "en"),),
             s(103, 123), authors=(replace(me, span=s(103, 123)),), date=D(2020, 9), venue="Work Organisation, Labour & Globalisation",
             doi="10.13169/workorgalaboglob.14.1.0067"),
        Work(WorkType.JOURNAL_ARTICLE,
             (Title("Quel statut pour les « petits doigts » de l'intelligence artificielle ?", "fr"),),
             s(124, 139), authors=(replace(me, span=s(124, 139)),), date=D(2020, 10), venue="Les Mondes du travail", hal="hal-03099683"),
        Work(WorkType.PRESENTATION, (Title("Le micro-travail dans la chaîne de valeur de l'IA", "fr"),),
             s(140, 148), authors=(replace(me, span=s(140, 148)),), date=D(2021, 6, 17)),
    )
    assert [(u.span.start, u.span.end, u.reason) for u in doc.unmapped] == [
        (16, 19, "a biography is not part of the graph model"),
    ]
    assert_every_line_accounted(doc, (DATA / "orcid-record.json").read_text())


def test_orcid_not_a_record() -> None:
    with pytest.raises(DocumentError) as caught:
        orcid.read('{"orcid-identifier": {"path": "0000-0002-1825-0097"}}', "o.json")
    assert str(caught.value) == (
        "o.json:1: not an ORCID record: expected an object with 'person' and 'activities-summary' "
        "(save https://pub.orcid.org/v3.0/<iD>/record as JSON)"
    )


# --- YAML CV data --------------------------------------------------------------


def test_rendercv() -> None:
    doc = read(yamlcv, "rendercv.yaml")
    s = spans("formats/rendercv.yaml")
    me = Agent("Clément Le Ludec", PERSON, s(3))
    assert doc.kind == "yaml-cv" and doc.owner == me
    assert doc.records == (
        Role(RoleKind.POSITION, me, "PhD student", s(8, 13), Agent("Institut Polytechnique de Paris", ORG, s(8)),
             start=D(2020, 1), ongoing=True, description="Thesis on the French-speaking geographies of AI"),
        Role(RoleKind.POSITION, me, "Policy officer", s(14, 17), Agent("Conseil national du numérique", ORG, s(14)),
             start=D(2018, 12), end=D(2019, 12)),
        Role(RoleKind.EDUCATION, me, "M.A in Social sciences", s(19, 22), Agent("ENS de Lyon", ORG, s(19)),
             start=D(2015, 9), end=D(2016, 9)),
        Work(WorkType.JOURNAL_ARTICLE,
             (Title("Counting ‘micro-workers’: societal and methodological challenges around new forms of labour", "en"),),
             s(24, 31),
             authors=tuple(Agent(n, PERSON, s(25, 28)) for n in ("Paola Tubaro", "Clément Le Ludec", "Antonio A. Casilli")),
             date=D(2020, 9), venue="Work Organisation, Labour & Globalisation",
             doi="10.13169/workorgalaboglob.14.1.0067"),
        Work(WorkType.CONFERENCE_PAPER,
             (Title("Le micro-travail dans la chaîne de valeur de l'intelligence artificielle", "fr"),),
             s(33, 38),
             authors=tuple(Agent(n, PERSON, s(34, 36)) for n in ("Clément Le Ludec", "Mandie Joulin")),
             date=D(2021, 6), presented_at=Event("ComtecDev 2021", s(37), D(2021, 6))),
        PersonFacts(me, s(40, 41), knows_about=("Entretiens", "questionnaires", "R")),
    )
    assert [(u.span.start, u.reason) for u in doc.unmapped] == [
        (4, "contact detail 'location' is not part of the graph model"),
        (5, "contact detail 'email' is not part of the graph model"),
        (43, "free text in section 'honors'; not interpreted"),
    ]
    assert_every_line_accounted(doc, (DATA / "rendercv.yaml").read_text())


def test_yaml_data_file_in_french() -> None:
    doc = read(yamlcv, "cv-donnees.yml")
    s = spans("formats/cv-donnees.yml")
    me = Agent("Maxime Cornet", PERSON, s(2))
    assert doc.owner == me
    assert doc.records == (
        Role(RoleKind.POSITION, me, "Doctorant en sociologie", s(4, 7), Agent("Télécom Paris", ORG, s(5)),
             start=D(2021, 10), ongoing=True),
        Role(RoleKind.POSITION, me, "Chargé d'études", s(8, 11), Agent("Observatoire des métiers", ORG, s(9)),
             start=D(2019), end=D(2021)),
        Role(RoleKind.EDUCATION, me, "Master in Sociologie", s(13, 16), Agent("Université Lyon 2", ORG, s(15)),
             start=D(2019)),
        Work(WorkType.OTHER,
             (Title("Beyond “platformisation”: designing a mixed-methods approach to inspect (digital) working conditions", "en"),),
             s(18, 21),
             authors=tuple(Agent(n, PERSON, s(19)) for n in ("Maxime Cornet", "Clément Le Ludec", "Elinor Wahal", "Mandie Joulin")),
             forthcoming=True, venue="Work Organisation, Labour & Globalisation"),
        Work(WorkType.PRESENTATION, (Title("Les travailleurs de la donnée", None),), s(23, 26), authors=(me,),
             date=D(2022, 3, 12), presented_at=Event("Séminaire DiPLab", s(24), D(2022, 3, 12), place="Paris")),
        Course("Sociologie du numérique", me, s(28, 32), provider=Agent("Télécom Paris", ORG, s(29)),
               workload="18 h", audience="M1", start=D(2022)),
    )
    assert [(u.span.start, u.reason) for u in doc.unmapped] == [
        (11, "field 'location' of an entry of section 'parcours' is not mapped"),
        (34, "free text in section 'langues'; not interpreted"),
    ]
    assert_every_line_accounted(doc, (DATA / "cv-donnees.yml").read_text())


def test_alfolio_cv() -> None:
    doc = read(yamlcv, "alfolio-cv.yml")
    s = spans("formats/alfolio-cv.yml")
    me = Agent("Paola Tubaro", PERSON, s(5))
    assert doc.owner == me
    assert doc.records == (
        Role(RoleKind.EDUCATION, me, "PhD in Economics", s(11, 13), Agent("Université Paris Nanterre", ORG, s(12)),
             start=D(1999), end=D(2003)),
        Role(RoleKind.POSITION, me, "Research Director", s(17, 21), Agent("CNRS", ORG, s(18)),
             start=D(2016), ongoing=True, description="Sociology of digital platform labour."),
    )
    assert [(u.span.start, u.span.end, u.reason) for u in doc.unmapped] == [
        (6, 7, "general information 'Languages' is not part of the graph model"),
        (25, 25, "free text in section 'Other Interests'; not interpreted"),
    ]
    assert_every_line_accounted(doc, (DATA / "alfolio-cv.yml").read_text())


def test_yaml_sniffs() -> None:
    assert yamlcv.sniff(Path("cv.yaml"), (DATA / "rendercv.yaml").read_text())
    assert yamlcv.sniff(Path("_data/talks.yml"), "- title: A talk\n  date: 2020\n")
    assert not yamlcv.sniff(Path("config.yml"), "base_iri: https://example.org/\n")
    # CV-like keys without the person's name: not a CV (expectation files, settings)
    assert not yamlcv.sniff(Path("x.expected.yaml"), "owner: A\nworks:\n  - title: T\n    date: 2020\n")
    curated = yaml.safe_dump(to_data(read(bibtex, "publications.bib")))
    assert records_yaml.sniff(Path("curated.yaml"), curated) and not yamlcv.sniff(Path("curated.yaml"), curated)


def test_yaml_object_tag_is_refused() -> None:
    text = "cv:\n  name: A\n  sections:\n    experience: !!python/object/apply:os.system ['echo pwned']\n"
    with pytest.raises(DocumentError) as caught:
        yamlcv.read(text, "evil.yaml")
    assert str(caught.value) == (
        "evil.yaml:4: YAML tag '!!python/object/apply:os.system' is refused: only plain data "
        "(strings, numbers, lists, mappings) is read; remove the tag"
    )


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(DocumentError) as caught:
        yamlcv.read("[" * 5000 + "]" * 5000, "deep.yaml")
    assert str(caught.value) == (
        "deep.yaml:1: the YAML is nested more than 100 levels deep; flatten it" if LIBYAML
        else "deep.yaml: the YAML is nested too deep to read; flatten it below 100 levels"  # PyYAML recursion
    )
    with pytest.raises(DocumentError) as caught:
        jsonresume.read("[" * 150 + "]" * 150, "deep.json")
    assert str(caught.value) == "deep.json:1: the JSON is nested more than 100 levels deep; flatten it"


def test_yaml_alias_bomb_is_refused() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdefgh"):
        prev = "abcdefgh"[i]
        lines.append(f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]")
    with pytest.raises(DocumentError) as caught:
        yamlcv.read("\n".join(lines) + "\n", "bomb.yaml")
    assert str(caught.value).startswith("bomb.yaml:")
    assert str(caught.value).endswith(
        "the YAML's aliases repeat more than 100000 values (an alias bomb?); write the data out without nested aliases"
    )


def test_long_yaml_lists_are_read() -> None:
    entries = "".join(
        f"      - company: Org {i}\n        position: Role {i}\n        start_date: 2020-01\n        end_date: 2020-02\n"
        for i in range(10_000)
    )
    doc = yamlcv.read("cv:\n  name: A\n  sections:\n    experience:\n" + entries, "long.yaml")
    assert len(doc.records) == 10_000 and doc.unmapped == ()


# --- curated YAML --------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "name"),
    [(bibtex, "publications.bib"), (jsonresume, "resume.json"), (orcid, "orcid-record.json"),
     (yamlcv, "rendercv.yaml"), (yamlcv, "cv-donnees.yml")],
)
def test_curated_yaml_round_trip(module: object, name: str) -> None:
    original = read(module, name)
    text = yaml.safe_dump(to_data(original), allow_unicode=True, sort_keys=False)
    back = records_yaml.read(text, "curated.yaml")
    assert back.records == original.records
    assert back.owner == original.owner
    assert back.unmapped == original.unmapped
    assert (back.path, back.kind) == ("curated.yaml", "records-yaml")
    assert [u for u in back.unmapped if u.span.source == "curated.yaml"] == []  # every YAML line was read


def test_curated_yaml_by_hand() -> None:
    doc = read(records_yaml, "curated.yaml")
    s = spans("formats/curated.yaml")
    cv = spans("cv.md")
    me = Agent("Clément Le Ludec", PERSON, cv(1), orcid="0000-0002-1825-0097")
    assert doc.owner == me
    assert doc.records == (
        Work(WorkType.JOURNAL_ARTICLE,
             (Title("Hidden inequalities: the gendered labour of women on micro-tasking platforms", "en"),),
             cv(33),
             authors=(Agent("Paola Tubaro", PERSON, cv(33)), Agent("Marion Coville", PERSON, s(16)), me),
             forthcoming=True, venue="Internet Policy Review"),
        Work(WorkType.BOOK, (Title("Les travailleurs du clic", "fr"), Title("Click workers", "en", translated=True)),
             s(22, 32), authors=(Agent("Conseil national du numérique", ORG, s(29), acronym="CNNum"),),
             date=D(2021), publisher="Seuil", volume="3"),
        Role(RoleKind.SERVICE, me, "Membre du bureau", s(33, 39),
             Agent("Association française de sociologie", ORG, s(37)), start=D(2022, 1), ongoing=True),
    )
    assert doc.unmapped == ()


def test_schema_covers_every_field() -> None:
    schema = records_yaml.schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for cls in (*records_yaml.RECORD_TYPES.values(), R.Agent, R.Title, R.Event, R.Membership, R.Unmapped):
        properties = set(schema["$defs"][cls.__name__]["properties"])
        assert properties == {f.name for f in dataclasses.fields(cls)} | {"record"}, cls.__name__
    document_fields = {f.name for f in dataclasses.fields(Document)}
    assert set(schema["properties"]) == document_fields
    assert json.loads((Path(records_yaml.__file__).parent / "records_schema.json").read_text()) == schema


CURATED_ERRORS = [
    ("records:\n- record: Work\n  type: JournalArticle\n  titles:\n  - text: T\n  tittle: x\n",
     "c.yaml:6: records[0]: unknown field 'tittle'; allowed: authors, book, contributors, date, description, doi, "
     "editors, forthcoming, hal, institution, issue, page_end, page_start, presented_at, publisher, span, titles, "
     "type, venue, volume; see docs/records-format.md"),
    ("records:\n- record: Work\n  type: Article\n  titles:\n  - text: T\n",
     "c.yaml:3: records[0].type: 'Article' is not one of ['JournalArticle', 'ConferencePaper', 'ReportDocument', "
     "'Presentation', 'DoctoralThesis', 'MastersThesis', 'Book', 'BookChapter', 'Expression']; "
     "see docs/records-format.md"),
    ("records:\n- record: Work\n  type: Book\n  titles:\n  - text: T\n  date: 2020-13\n",
     "c.yaml:6: records[0].date: '2020-13' is not a date: write 2020, 2020-09 or 2020-09-29; "
     "see docs/records-format.md"),
    ("records:\n- record: Work\n  type: Book\n  titles:\n  - text: T\n  date: 2020-02-30\n",
     "c.yaml:6: records[0].date: '2020-02-30' is not a calendar date (February has 29 days); "
     "see docs/records-format.md"),
    ("records:\n- record: Role\n  kind: position\n  role_name: X\n",
     "c.yaml:2: records[0]: 'person' is a required property; see docs/records-format.md"),
    ("records:\n- record: Work\n  type: Book\n  titles:\n  - text: T\n  span: cv.md\n",
     "c.yaml:6: records[0].span: 'cv.md' is not a span: write path:line or path:first-last; "
     "see docs/records-format.md"),
    ("records:\n- record: Work\n  type: Book\n  type: Book\n",
     "c.yaml:4: duplicate key 'type' (first at line 3); keep one of them"),
    ("- a\n- b\n",
     "c.yaml:1: the file must be a mapping with a 'records:' list; see docs/records-format.md"),
    ("records:\n- record: Work\n  type: [Book\n",
     "c.yaml:3: invalid YAML: did not find expected ',' or ']'; fix the syntax at this line" if LIBYAML
     else "c.yaml:3: invalid YAML: expected ',' or ']', but got '<stream end>'; fix the syntax at this line"),
    ("records:\n- record: Work\n  titles: !!python/object:os.system [x]\n",
     "c.yaml:3: YAML tag '!!python/object:os.system' is refused: only plain data (strings, numbers, lists, "
     "mappings) is read; remove the tag"),
]


@pytest.mark.parametrize(("text", "message"), CURATED_ERRORS)
def test_curated_yaml_errors_point_at_the_line(text: str, message: str) -> None:
    with pytest.raises(DocumentError) as caught:
        records_yaml.read(text, "c.yaml")
    assert str(caught.value) == message


def test_every_reader_imports_alone_and_has_the_protocol() -> None:
    for module in (records_yaml, bibtex, jsonresume, orcid, yamlcv):
        assert isinstance(module.KIND, str)
        assert callable(module.sniff) and callable(module.read)


def test_spans_in_by_type_as_by_value() -> None:
    """``spans_in`` decides once per type what a value is: the spans of every document, in order, as by value."""
    from scholargraph.readers import read_document
    from scholargraph.readers._located import spans_in

    def by_value(value: object, found: list[R.Span]) -> None:
        if isinstance(value, R.Span):
            found.append(value)
        elif isinstance(value, (str, int, float, type(None))):
            return
        elif isinstance(value, (tuple, list)) and not dataclasses.is_dataclass(type(value)):
            for item in value:
                by_value(item, found)
        elif dataclasses.is_dataclass(type(value)):
            for f in dataclasses.fields(value):  # type: ignore[arg-type]
                by_value(getattr(value, f.name), found)

    root = Path(__file__).parents[1]
    checked = 0
    for path in sorted([*(root / "tests" / "data").rglob("*"), *(root / "data").rglob("*")]):
        if not path.is_file() or "bad" in path.parts:
            continue
        try:
            document = read_document(path, path.name)
        except DocumentError:
            continue
        whole = (document.records, document.owner, tuple(u.span for u in document.unmapped), [1, "x", None, (2.0,)])
        expected: list[R.Span] = []
        by_value(whole, expected)
        assert list(spans_in(whole)) == expected, path
        checked += bool(expected)
    assert checked > 20


def test_bibtex_field_lines_jumping_as_char_by_char() -> None:
    """``_field_lines`` jumps to the next character that may matter: the same lines as reading every character."""
    import random
    import re

    field_start = re.compile(r"([A-Za-z][\w:.+-]*)\s*=")

    def char_by_char(raw: str) -> list[tuple[str, int]]:
        starts, depth, quoted, index = [], 0, False, 0
        while index < len(raw):
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
            elif depth == 1 and not quoted and char.isalpha() and (
                index == 0 or not (raw[index - 1].isalnum() or raw[index - 1] in "_-:.+")
            ):
                if match := field_start.match(raw, index):
                    starts.append((match.group(1).lower(), index))
                    index = match.end()
                    continue
            index += 1
        return starts

    pieces = list('ab =,{}()"\\\n\t ') + ["title", "author = ", "year = 2020", "@article{k,", "@book(k,", "é", "½",
                                          "_", "-", ":", "x2", "+", ".", "{\\'e}", "Müller", "ΣΑ"]
    rng = random.Random(19)
    for _ in range(30000):
        raw = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        starts = char_by_char(raw)
        lines = bibtex._field_lines(raw, 1)
        assert list(lines) == list(dict.fromkeys(key for key, _ in starts)), repr(raw)
        for key, offset in starts:  # a field's first line; the first of a repeated key wins
            if lines[key][0] != 1 + raw.count("\n", 0, offset):
                assert [k for k, _ in starts].count(key) > 1, repr(raw)
    raw = "@article{k,\n  author = {Doe, Jane},\n  title = {A {B} \\\"c\\\" (d)},\n  year = 2020\n}"
    assert bibtex._field_lines(raw, 5) == {"author": (6, 6), "title": (7, 7), "year": (8, 8)}


def test_a_bib_file_left_with_comments_only_has_no_publications(tmp_path: Path) -> None:
    """Its last entry removed, a publication list is still BibTeX (no publications, nothing
    unmapped); a .bib file holding other text is not taken for BibTeX."""
    from scholargraph.readers import read_document

    path = tmp_path / "publications-a-b.bib"
    path.write_text("% Publications of A B\n\n% (none yet)\n", encoding="utf-8")
    document = read_document(path)
    assert (document.kind, document.records, document.unmapped, document.markup_lines) == ("bibtex", (), (), (1, 3))
    other = tmp_path / "notes.bib"
    other.write_text("# Notes\n\nhello\n", encoding="utf-8")
    with pytest.raises(DocumentError) as caught:
        read_document(other)
    assert "unknown kind of document" in str(caught.value)
