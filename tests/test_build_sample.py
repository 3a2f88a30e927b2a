"""The sample corpus (data/): every expectation of the build issue, asserted exactly."""

from __future__ import annotations

import importlib
import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import yaml
import pytest

from scholargraph.build import build, find_documents, make_graph, read_documents
from scholargraph.config import Settings
from scholargraph.curated import load_curated
from scholargraph.dump import turtle_bytes
from scholargraph.mapping import build_triples
from scholargraph.resolve import resolve

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
PREFIXES = """
PREFIX schema: <https://schema.org/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX fabio: <http://purl.org/spar/fabio/>
PREFIX pro: <http://purl.org/spar/pro/>
PREFIX sg: <https://w3id.org/scholargraph/ns#>
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX frapo: <http://purl.org/cerif/frapo/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX datacite: <http://purl.org/spar/datacite/>
PREFIX literal: <http://www.essepuntato.it/2010/06/literalreification/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX oco: <https://w3id.org/oc/ontology/>
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("build")
    return build(Settings(data_dir=DATA, out_dir=out))


@pytest.fixture(scope="module")
def store(built) -> ox.Store:
    s = ox.Store()
    s.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in built.triples)
    return s


def rows(store: ox.Store, query: str) -> list[tuple[str, ...]]:
    return [tuple(term.value if term is not None else None for term in row) for row in store.query(PREFIXES + query)]


def values(store: ox.Store, query: str) -> list[str]:
    return [r[0] for r in rows(store, query)]


def test_persons_each_once(store: ox.Store) -> None:
    assert sorted(values(store, "SELECT ?n WHERE { ?p a foaf:Person ; foaf:name ?n }")) == sorted([
        "Clément Le Ludec", "Paola Tubaro", "Antonio A. Casilli", "Marion Coville", "Maxime Cornet",
        "Elinor Wahal", "Mandie Joulin", "Maxime Besenval", "Touhfat Mouhtare", "Stephen Bouquin",
        "Pascal Savoldelli",
    ])


def test_positions_with_organisation_and_start_month(store: ox.Store) -> None:
    found = rows(store, """
        SELECT ?role ?org ?start WHERE {
          ?p foaf:name "Clément Le Ludec" ; schema:worksFor ?r .
          ?r a schema:EmployeeRole ; schema:roleName ?role ; schema:worksFor/foaf:name ?org ; schema:startDate ?start .
        } ORDER BY ?start""")
    assert found == [
        ("Administrative and communication support", "Fondation pour l'Audition", "2016-04"),
        ("Quantitative policy officer", "City of Paris", "2016-10"),
        ("Research assistant", "CNRS", "2018-02"),
        ("Policy officer", "Conseil national du numérique", "2018-12"),
        ("PhD student", "Institut Polytechnique de Paris", "2020-01"),
    ]
    dtypes = values(store, """SELECT DISTINCT (STR(DATATYPE(?s)) AS ?d) WHERE { ?r a schema:EmployeeRole ; schema:startDate ?s }""")
    assert dtypes == ["http://www.w3.org/2001/XMLSchema#gYearMonth"]
    ongoing = values(store, """SELECT ?role WHERE { ?r a schema:EmployeeRole ; schema:roleName ?role FILTER NOT EXISTS { ?r schema:endDate ?e } }""")
    assert ongoing == ["PhD student"]


def test_education_entries(store: ox.Store) -> None:
    found = rows(store, """
        SELECT ?role ?org ?start ?end WHERE {
          ?p foaf:name "Clément Le Ludec" ; schema:alumniOf ?r .
          ?r a schema:OrganizationRole ; schema:roleName ?role ; schema:alumniOf/foaf:name ?org ; schema:startDate ?start .
          OPTIONAL { ?r schema:endDate ?end }
        } ORDER BY ?start""")
    assert found == [
        ("B.A in Politics", "Université Laval", "2013-09", "2014-04"),
        ("M.A in Politics", "Sciences Po Lyon", "2014-09", "2016-09"),
        ("M.A in Social sciences - Management of research and innovation", "ENS de Lyon", "2015-09", "2016-09"),
        ("M.A in Social sciences - Data science and digital society", "Université Marne-la-Vallée", "2016-09", "2017-09"),
        ("PhD in Sociology", "Institut Polytechnique de Paris", "2020-01", None),
    ]


def test_theses_one_node_each(store: ox.Store) -> None:
    found = rows(store, """
        SELECT ?type ?title ?org WHERE {
          ?w a ?type ; dcterms:title ?title ; schema:author/foaf:name "Clément Le Ludec" ; schema:sourceOrganization/foaf:name ?org .
          FILTER(?type IN (fabio:DoctoralThesis, fabio:MastersThesis))
        } ORDER BY ?type ?title""")
    assert found == [
        ("http://purl.org/spar/fabio/DoctoralThesis", "The French-speaking geographies of AI. Human labor at the core of data production processes", "Institut Polytechnique de Paris"),
        ("http://purl.org/spar/fabio/MastersThesis", "Mechanisms of emergence of a research field and criticisms of indicator-based management: a bibliometric analysis of the hearing field", "ENS de Lyon"),
        ("http://purl.org/spar/fabio/MastersThesis", "Participatory culture(s) on discussion forums: a history of the interactive odyssey Jeuxvidéo.com", "Sciences Po Lyon"),
        ("http://purl.org/spar/fabio/MastersThesis", "Public engagement and online mobilization: an analysis of the data from the citizens' consultation on the Digital Republic Act", "Université Marne-la-Vallée"),
    ]
    # the PhD thesis is in progress: forthcoming, no date invented; cited by both CV lines
    assert values(store, """SELECT ?s WHERE { ?w a fabio:DoctoralThesis ; bibo:status ?s FILTER NOT EXISTS { ?w schema:datePublished ?d } }""") == ["http://purl.org/ontology/bibo/status/forthcoming"]
    assert sorted(values(store, "SELECT ?src WHERE { ?w a fabio:DoctoralThesis ; prov:wasDerivedFrom ?src }")) == [
        "https://example.org/scholargraph/source/cv-clement-le-ludec.md#line=20,21",
        "https://example.org/scholargraph/source/cv-clement-le-ludec.md#line=8,9",
    ]


def test_service_roles(store: ox.Store) -> None:
    found = rows(store, """
        SELECT ?role ?org ?start WHERE {
          ?p foaf:name "Clément Le Ludec" ; schema:memberOf ?r .
          ?r a schema:OrganizationRole ; schema:roleName ?role ; schema:memberOf/foaf:name ?org ; schema:startDate ?start .
          FILTER NOT EXISTS { ?r schema:endDate ?e }
        } ORDER BY ?start ?org""")
    assert found == [
        ("Member", "Conseil National Consultatif des Personnes Handicapées", "2020-01"),
        ("Representative", "Institut Mines-Télécom", "2021-01"),
        ("Representative", "Télécom Paris", "2021-01"),
    ]
    assert values(store, """SELECT ?a WHERE { ?o foaf:name "Conseil National Consultatif des Personnes Handicapées" ; schema:alternateName ?a }""") == ["CNCPH"]


def test_works_by_type(store: ox.Store) -> None:
    counts = dict(rows(store, """
        SELECT (STRAFTER(STR(?t), "fabio/") AS ?type) (STR(COUNT(?w)) AS ?n) WHERE {
          ?w a ?t FILTER(STRSTARTS(STR(?t), "http://purl.org/spar/fabio/")) } GROUP BY ?t"""))
    assert counts == {
        "JournalArticle": "8", "ConferencePaper": "3", "ReportDocument": "6", "Presentation": "9",
        "DoctoralThesis": "1", "MastersThesis": "3",
    }
    forthcoming = values(store, """SELECT ?t WHERE { ?w a fabio:JournalArticle ; bibo:status ?s ; dcterms:title ?t FILTER NOT EXISTS { ?w schema:datePublished ?d } } ORDER BY ?t""")
    assert forthcoming == [
        "Beyond “platformisation”: Designing a mixed-methods approach to inspect (digital) working conditions through organizational systems?",
        "Hidden inequalities: the gendered labour of women on micro-tasking platforms",
    ]


def test_reports(store: ox.Store) -> None:
    policy = rows(store, """
        SELECT ?date ?title WHERE {
          ?w a fabio:ReportDocument ; dcterms:title ?title ; schema:datePublished ?date ;
             schema:author/foaf:name "Conseil national du numérique" ; schema:contributor/foaf:name "Clément Le Ludec" .
        } ORDER BY ?date""")
    assert [r[0] for r in policy] == ["2019", "2020-02", "2020-05", "2020-06"]
    senate = rows(store, """
        SELECT ?date ?author WHERE { ?w a fabio:ReportDocument ; schema:datePublished ?date ; schema:author/foaf:name ?author
          FILTER(DATATYPE(?date) = <http://www.w3.org/2001/XMLSchema#date>) }""")
    assert senate == [("2021-09-29", "Pascal Savoldelli")]


def test_final_report_merged_with_both_titles(store: ox.Store) -> None:
    titles = rows(store, """SELECT ?t (LANG(?t) AS ?l) WHERE {
        ?w datacite:hasIdentifier/literal:hasLiteralValue "hal-02139528" ; dcterms:title ?t } ORDER BY ?l""")
    assert titles == [
        ("Micro-work in France : beyond automation, new forms of precarious labour", "en"),
        ("Le Micro-travail en France. Derrière l’automatisation de nouvelles précarités au travail ?", "fr"),
    ]
    assert values(store, """SELECT ?d WHERE { ?w datacite:hasIdentifier/literal:hasLiteralValue "hal-02139528" ; schema:datePublished ?d }""") == ["2019-05"]


def test_counting_carries_both_identifiers(store: ox.Store) -> None:
    found = rows(store, """SELECT ?scheme ?v WHERE {
        ?w dcterms:title "Counting ‘micro-workers’: societal and methodological challenges around new forms of labour"@en ;
           datacite:hasIdentifier ?id . ?id datacite:usesIdentifierScheme ?scheme ; literal:hasLiteralValue ?v } ORDER BY ?v""")
    assert found == [
        ("http://purl.org/spar/datacite/doi", "10.13169/workorgalaboglob.14.1.0067"),
        ("http://purl.org/spar/datacite/local-resource-identifier-scheme", "hal-02898905"),
    ]


def test_talks_teaching_hearing(store: ox.Store) -> None:
    assert len(values(store, "SELECT ?w WHERE { ?w a fabio:Presentation ; bibo:presentedAt ?e }")) == 9
    courses = rows(store, """SELECT ?name ?provider WHERE { ?c a schema:CourseInstance ; schema:name ?name ;
        schema:instructor/foaf:name "Clément Le Ludec" ; schema:provider/foaf:name ?provider } ORDER BY ?name""")
    assert len(courses) == 9
    assert ("Un mémoire sur l'UX et un mémoire sur les visites virtuelles dans les musées", "UCO") in courses
    assert ("SHS appliquées au monde des start-up", "Télécom Paris") in courses
    hearing = values(store, """SELECT ?n WHERE { ?h a bibo:Hearing ; schema:performer/foaf:name ?n ; schema:about ?r . ?r a fabio:ReportDocument } ORDER BY ?n""")
    assert hearing == ["Clément Le Ludec", "Paola Tubaro"]


def test_coauthors_of_clement(store: ox.Store) -> None:
    found = rows(store, """
        SELECT ?name (STR(COUNT(DISTINCT ?w)) AS ?n) WHERE {
          ?me foaf:name "Clément Le Ludec" . ?w schema:author ?me, ?co . ?co a foaf:Person ; foaf:name ?name FILTER(?co != ?me)
        } GROUP BY ?name ORDER BY DESC(COUNT(DISTINCT ?w)) ?name""")
    assert found == [
        ("Antonio A. Casilli", "6"), ("Paola Tubaro", "5"), ("Elinor Wahal", "4"), ("Maxime Cornet", "4"),
        ("Mandie Joulin", "2"), ("Marion Coville", "2"), ("Maxime Besenval", "1"), ("Touhfat Mouhtare", "1"),
    ]


def test_project_opla(store: ox.Store) -> None:
    assert values(store, "SELECT ?n WHERE { ?p a schema:ResearchProject ; schema:name ?n ; schema:alternateName \"OPLa\" }") == ["Organizing Platform Labor"]
    assert values(store, "SELECT ?n WHERE { ?p a schema:ResearchProject ; schema:funder ?f . ?f a frapo:FundingAgency ; foaf:name ?n } ORDER BY ?n") == [
        "Force Ouvrière", "France Stratégie", "MSH Paris Saclay",
    ]
    assert len(values(store, "SELECT ?m WHERE { ?p a schema:ResearchProject ; schema:member/schema:member ?m }")) == 7
    assert len(values(store, "SELECT ?w WHERE { ?w frapo:isOutputOf ?p }")) == 7
    assert values(store, "SELECT ?n WHERE { ?e a schema:Event ; schema:organizer ?p ; schema:name ?n . ?p a schema:ResearchProject }") == ["Micro-working Platforms"]


def test_author_order(store: ox.Store) -> None:
    def authors(title: str) -> list[str]:
        return values(store, f"""SELECT ?n WHERE {{ ?w dcterms:title ?t FILTER(STR(?t) = {title!r}^^<http://www.w3.org/2001/XMLSchema#string> || STR(?t) = "{title}")
            ?w pro:isDocumentContextFor ?r . ?r sg:authorRank ?k ; pro:isHeldBy/foaf:name ?n }} ORDER BY ?k""")

    assert authors("Hidden inequalities: the gendered labour of women on micro-tasking platforms") == [
        "Paola Tubaro", "Marion Coville", "Clément Le Ludec", "Antonio A. Casilli"]
    assert authors("Micro-work in France : beyond automation, new forms of precarious labour") == [
        "Antonio A. Casilli", "Paola Tubaro", "Clément Le Ludec", "Marion Coville", "Maxime Besenval",
        "Touhfat Mouhtare", "Elinor Wahal"]
    # ranks are 1..n on every work, and hasNext links rank k to k+1
    for work, ranks in rows(store, """SELECT ?w (GROUP_CONCAT(STR(?k); separator=",") AS ?ks) WHERE {
            ?w pro:isDocumentContextFor/sg:authorRank ?k } GROUP BY ?w"""):
        numbers = sorted(int(k) for k in ranks.split(","))
        assert numbers == list(range(1, len(numbers) + 1)), work
    broken = rows(store, """SELECT ?a WHERE { ?a oco:hasNext ?b ; sg:authorRank ?i . ?b sg:authorRank ?j FILTER(?j != ?i + 1) }""")
    assert broken == []


def test_no_blank_nodes_and_unmapped_lines(built) -> None:
    assert not any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in built.triples)
    assert [(str(u.span), u.text) for u in built.unmapped] == [
        ("project-opla.txt:8", "Time frame"), ("project-opla.txt:18", "Europe (France)")]


def test_every_line_accounted_for(built) -> None:
    cited: dict[str, set[int]] = {}
    for t in built.triples:
        if t.predicate.value == "http://www.w3.org/ns/prov#wasDerivedFrom":
            m = re.search(r"/source/(.+)#line=(\d+),(\d+)$", t.object.value)
            assert m
            cited.setdefault(m[1], set()).update(range(int(m[2]) + 1, int(m[3]) + 1))
    for document in built.documents:
        lines = (DATA / document.path).read_text(encoding="utf-8").splitlines()
        accounted = cited.get(document.path, set()) | set(document.markup_lines) | {
            n for u in document.unmapped for n in range(u.span.start, u.span.end + 1)}
        missing = [n for n, line in enumerate(lines, 1) if line.strip() and n not in accounted]
        assert missing == [], document.path


def test_graph_is_byte_identical_across_runs_and_orders(built, tmp_path: Path) -> None:
    settings = Settings(data_dir=DATA, out_dir=tmp_path)
    first = turtle_bytes(built.triples)
    _, _, again = make_graph(settings)
    assert turtle_bytes(again) == first
    paths = find_documents(DATA, exclude=(settings.curated_path,))
    reversed_docs = list(reversed(read_documents(paths, DATA)))
    triples = build_triples(resolve(reversed_docs, load_curated(settings.curated_path)), settings.base_iri)
    assert turtle_bytes(triples) == first
    assert (built.out_dir / "graph.ttl").read_bytes() == first


def test_documents_copied_into_another_folder_give_the_same_graph(built, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    _, _, triples = make_graph(Settings(data_dir=data, out_dir=tmp_path / "out"))
    assert turtle_bytes(triples) == turtle_bytes(built.triples)


def test_sample_build_uses_only_defined_terms(built) -> None:
    """Every class and property of the sample graph is in shared/vocab or ontology/sg.ttl."""
    vocab = pytest.importorskip("scholargraph.vocab")
    directory = vocab.vocab_dir()
    if not directory.is_dir():
        pytest.skip(f"vocabulary copies not found at {directory}")
    from scholargraph.mapping import to_rdflib

    assert vocab.term_problems(to_rdflib(built.triples)) == {}
    used = {t.predicate.value for t in built.triples}
    assert "https://schema.org/FundingAgency" not in {t.object.value for t in built.triples}
    assert "http://xmlns.com/foaf/0.1/Project" in {t.object.value for t in built.triples}
    assert "https://w3id.org/oc/ontology/hasNext" in used


def test_build_reports_no_unaccounted_lines(built) -> None:
    assert built.unaccounted == {}
    report = yaml.safe_load((built.out_dir / "report.yaml").read_text(encoding="utf-8"))
    assert [(d["path"], d["unaccounted"], [u["line"] for u in d["unmapped"]]) for d in report["documents"]] == [
        ("cv-clement-le-ludec.md", [], []), ("project-opla.txt", [], [8, 18])]


def test_yaml_reports_are_what_pyyaml_safe_dump_writes(tmp_path: Path) -> None:
    """merges.yaml and report.yaml go through libyaml's emitter when PyYAML has it: same text."""
    from scholargraph.build import _dump_yaml

    data = {
        "merges": [
            {
                "kind": "person",
                "name": "Clément Le Ludec",
                "variants": ["C. Le Ludec", "LE LUDEC, Clément", "« Le Ludec »: 'quoted' \"twice\""],
                "evidence": ["same ORCID 0000-0002-1825-0097", "x" * 150, "- starts like a list", "yes", "1.0"],
                "sources": ["cv/é.md:12", "#hash", ""],
            }
        ],
        "candidates": [{"kind": "work", "names": ["A: b", "tab\there"], "reason": None, "score": 0.875}],
    }
    _dump_yaml(data, tmp_path / "out.yaml")
    expected = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    assert (tmp_path / "out.yaml").read_text(encoding="utf-8") == expected
    assert yaml.safe_load(expected) == data


def _files(out: Path) -> dict[str, bytes]:
    names = ("graph.ttl", "graph.nt", "graph.jsonld", "graph.trig", "void.ttl", "graph.ttl.gz", "graph.trig.gz")
    return {name: (out / name).read_bytes() for name in names if (out / name).exists()}


def test_dumps_written_during_validation_are_the_same_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Big graphs have their dumps and store written by a forked process while they are validated."""
    building = importlib.import_module("scholargraph.build")

    direct = build(Settings().with_paths(DATA, tmp_path / "direct"), gzip=True, jobs=1)
    monkeypatch.setattr(building, "STAGED_DUMPS_MIN_TRIPLES", 0)
    staged = build(Settings().with_paths(DATA, tmp_path / "staged"), gzip=True, jobs=1)
    assert len(staged.triples) == len(direct.triples) == 1344
    assert _files(tmp_path / "staged") == _files(tmp_path / "direct")
    assert len(_files(tmp_path / "staged")) == 7
    assert not (tmp_path / "staged" / building.STAGING_DIR).exists()
    store = ox.Store.read_only(str(tmp_path / "staged" / "oxigraph"))
    assert len(store) == 1344
    del store
    # a rebuild without --gzip into the same folder removes the .gz files of the first one
    build(Settings().with_paths(DATA, tmp_path / "staged"), jobs=1)
    assert sorted(_files(tmp_path / "staged")) == ["graph.jsonld", "graph.nt", "graph.trig", "graph.ttl", "void.ttl"]


def test_staged_dumps_are_dropped_when_the_graph_does_not_conform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rdflib import Graph

    building = importlib.import_module("scholargraph.build")
    import scholargraph.validate as validation
    from scholargraph.errors import ValidationFailed

    out = tmp_path / "out"
    build(Settings().with_paths(DATA, out), jobs=1)
    monkeypatch.setattr(building, "STAGED_DUMPS_MIN_TRIPLES", 0)
    monkeypatch.setattr(validation, "validate_lines", lambda *a, **k: validation.ValidationReport(False, (), Graph()))
    with pytest.raises(ValidationFailed):  # without the cache: written afresh, not patched
        build(Settings().with_paths(DATA, out), jobs=1, use_cache=False)
    assert sorted(p.name for p in out.iterdir()) == ["cache", "merges.yaml", "report.yaml", "validation.txt"]


def test_an_error_while_writing_staged_dumps_is_raised_in_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The process writing the dumps refuses documents that are not the graph's; the build raises its error."""
    from dataclasses import replace

    from scholargraph.errors import DocumentError

    building = importlib.import_module("scholargraph.build")
    original = building._read_and_resolve

    def tampered(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        documents, resolved = original(*args, **kwargs)
        return (replace(documents[0], sha256="0" * 64), *documents[1:]), resolved

    monkeypatch.setattr(building, "STAGED_DUMPS_MIN_TRIPLES", 0)
    monkeypatch.setattr(building, "_read_and_resolve", tampered)
    out = tmp_path / "out"
    with pytest.raises(DocumentError) as raised:
        build(Settings().with_paths(DATA, out), jobs=1)
    assert str(raised.value) == (
        "cv-clement-le-ludec.md: the graph has no source description "
        "<https://example.org/scholargraph/source/cv-clement-le-ludec.md> with this document's sha256; "
        "pass the triples and the documents of one build"
    )
    assert not (out / building.STAGING_DIR).exists()
    assert not (out / "graph.ttl").exists()


def test_staged_dumps_from_a_script_without_a_main_guard(tmp_path: Path) -> None:
    """The dumps' process does not import the caller's script again (multiprocessing's spawn would)."""
    import subprocess
    import sys

    script = tmp_path / "plain.py"
    script.write_text(
        "import importlib\n"
        "from pathlib import Path\n"
        "from scholargraph.config import Settings\n"
        "building = importlib.import_module('scholargraph.build')\n"
        "building.STAGED_DUMPS_MIN_TRIPLES = 0\n"
        f"result = building.build(Settings().with_paths(Path({str(DATA)!r}), Path({str(tmp_path / 'out')!r})), jobs=1)\n"
        "print(len(result.triples))\n",
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (0, "1344\n"), done.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "cache", "graph.jsonld", "graph.nt", "graph.trig", "graph.ttl", "merges.yaml", "oxigraph", "report.yaml", "void.ttl"
    ]


def test_a_staging_folder_left_by_a_killed_build_is_removed(tmp_path: Path) -> None:
    building = importlib.import_module("scholargraph.build")
    out = tmp_path / "out"
    (out / building.STAGING_DIR).mkdir(parents=True)
    (out / building.STAGING_DIR / "input.nt").write_text("<a:b> <a:c> <a:d> .\n", encoding="utf-8")
    build(Settings().with_paths(DATA, out), jobs=1)  # small: no staging of its own
    assert not (out / building.STAGING_DIR).exists()
    assert (out / "graph.ttl").exists()


def test_merges_written_aside_are_the_reports_merges(built, tmp_path: Path) -> None:
    """merges.yaml is written by a forked copy of the build while it maps: the text of its report."""
    from scholargraph.build import _dump_yaml, _merges_data

    out = built.out_dir
    _dump_yaml(_merges_data(built.report), tmp_path / "merges.yaml")
    assert (out / "merges.yaml").read_bytes() == (tmp_path / "merges.yaml").read_bytes()
    assert not list(out.glob(".*.part"))


def test_a_file_written_aside_raises_its_error_and_leaves_nothing(tmp_path: Path) -> None:
    from scholargraph.build import _WrittenAside

    def fails(path: Path) -> None:
        path.write_text("half")
        raise OSError(28, "No space left on device")

    aside = _WrittenAside(tmp_path / "merges.yaml", fails)
    with pytest.raises(RuntimeError) as raised:
        aside.finish()
    assert str(raised.value) == f"writing {tmp_path / 'merges.yaml'} failed: OSError: [Errno 28] No space left on device"
    assert sorted(p.name for p in tmp_path.iterdir()) == []

    written = _WrittenAside(tmp_path / "merges.yaml", lambda path: path.write_text("merges: []\n"))
    written.finish()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["merges.yaml"]
    assert (tmp_path / "merges.yaml").read_text() == "merges: []\n"


def test_a_file_written_aside_is_stopped_when_the_build_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mapping fails while merges.yaml is being written: the child is stopped and no merges.yaml is left."""
    import time

    from scholargraph.build import _WrittenAside

    def slow(path: Path) -> None:
        path.write_text("partial")
        time.sleep(60)

    aside = _WrittenAside(tmp_path / "merges.yaml", slow)
    time.sleep(0.2)
    started = time.monotonic()
    aside.cancel()
    assert time.monotonic() - started < 5
    assert sorted(p.name for p in tmp_path.iterdir()) == []

    building = importlib.import_module("scholargraph.build")

    def broken(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        raise ValueError("mapping broke")

    monkeypatch.setattr(building, "build_lines", broken)
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="mapping broke"):
        build(Settings().with_paths(DATA, out), jobs=1)
    assert not (out / "merges.yaml").exists()
    assert not list(out.glob(".*.part"))


def test_mapping_lines_are_the_triples_in_n_triples(built) -> None:
    """The build hands on N-Triples lines; its triples are those lines parsed, in order."""
    from scholargraph.mapping import build_lines, parse_lines, triple_lines

    lines = build_lines(built.resolved, Settings().base_iri)
    assert lines == built.lines == triple_lines(built.triples)
    assert "".join(lines).encode() == ox.serialize(built.triples, format=ox.RdfFormat.N_TRIPLES)
    assert parse_lines(lines) == built.triples == build_triples(built.resolved, Settings().base_iri)
    assert len(built.triples) == len(lines) == 1344
    assert lines == sorted(lines)
    # the lines are the build's graph.nt, byte for byte: a rebuild can read them back
    assert "".join(lines) == (built.out_dir / "graph.nt").read_text(encoding="utf-8")


def test_the_build_tells_its_stages(tmp_path: Path) -> None:
    """`stage` hears each stage as it starts, and the validation's batches as they are done."""
    heard: list[tuple[str, int, int]] = []
    settings = Settings(data_dir=DATA, out_dir=tmp_path / "out")
    build(settings, jobs=1, stage=lambda name, done, total: heard.append((name, done, total)))
    assert heard == [
        ("resolving", 0, 0), ("mapping", 0, 0), ("writing reports", 0, 0),
        ("validating", 0, 0), ("validating", 0, 1), ("validating", 1, 1), ("writing dumps", 0, 0),
    ]
    heard.clear()
    build(settings, jobs=1, stage=lambda name, done, total: heard.append((name, done, total)))  # every chunk cached
    assert heard == [
        ("resolving", 0, 0), ("mapping", 0, 0), ("writing reports", 0, 0),
        ("validating", 0, 0), ("validating", 0, 0), ("writing dumps", 0, 0),
    ]
