"""The command line: build, extract and one-line errors."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from scholargraph.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"


def test_build_prints_summary_and_writes_graph(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", str(DATA), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "cv-clement-le-ludec.md" in result.output and "project-opla.txt" in result.output
    assert "persons" in result.output
    assert "project-opla.txt:18: 'Europe (France)'" in result.output
    assert (tmp_path / "graph.ttl").stat().st_size > 0
    merges = yaml.safe_load((tmp_path / "merges.yaml").read_text(encoding="utf-8"))
    person_merges = [m for m in merges["merges"] if m["kind"] == "person"]
    assert person_merges == [{
        "kind": "person", "name": "Antonio A. Casilli", "variants": ["Antonio A. Casilli", "Antonio Casilli"],
        "evidence": ["equal name key 'antonio casilli'"], "sources": ["cv-clement-le-ludec.md", "project-opla.txt"],
    }]
    assert "Since the last build" not in result.output

    # built again into the same folder: brought up to date by difference (here, nothing changed)
    again = CliRunner().invoke(main, ["build", str(DATA), "--out", str(tmp_path)])
    assert again.exit_code == 0, again.output
    assert (
        "Since the last build: 0 triples removed, 0 added (resolved by difference: 0 documents changed; "
        "the dumps and the store were brought up to date by difference)"
    ) in " ".join(again.output.split())


def test_extract_prints_records_as_yaml() -> None:
    result = CliRunner().invoke(main, ["extract", str(DATA / "project-opla.txt")])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(result.output)
    assert data["kind"] == "project-page"
    project = data["records"][0]
    assert project["record"] == "Project"
    assert project["title"] == "Organizing Platform Labor"
    assert project["acronym"] == "OPLa"
    assert len(project["outputs"]) == 7


def test_bad_date_is_one_line_naming_file_and_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "cv.md").write_text("# Jane Doe\n\n## Experience\n\n- 2020–2019 — Lecturer, University of Nowhere\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(data), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: {data / 'cv.md'}:5: '2020–2019' ends before it starts; correct the date"
    ]


def test_not_utf8_is_reported(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "cv.md").write_bytes("# Jos\xe9\n".encode("latin-1"))
    result = CliRunner().invoke(main, ["build", str(data), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [f"error: {data / 'cv.md'}:1: not UTF-8 text; re-save the file as UTF-8"]


def test_network_command_writes_every_file(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["build", str(DATA), "--out", str(tmp_path / "b")]).exit_code == 0
    result = runner.invoke(main, ["network", "--build", str(tmp_path / "b"), "--out", str(tmp_path / "net")])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "11 people, 28 links"
    assert sorted(p.name for p in (tmp_path / "net").iterdir()) == [
        "coauthorship.gexf", "coauthorship.graphml", "coauthorship.png", "coauthorship.svg", "edges.csv", "nodes.csv",
    ]
    gexf = (tmp_path / "net" / "coauthorship.gexf").read_text(encoding="utf-8")
    assert "lastmodifieddate" not in gexf  # no date stamp: the same graph gives the same file any day
    import networkx as nx

    graph = nx.read_gexf(tmp_path / "net" / "coauthorship.gexf")
    assert graph.number_of_nodes() == 11 and graph.number_of_edges() == 28


def test_query_command_csv(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["build", str(DATA), "--out", str(tmp_path / "b")]).exit_code == 0
    result = runner.invoke(main, ["query", "coauthors", "--param", "person=Clément Le Ludec", "--build", str(tmp_path / "b"), "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "coauthor,name,shared_works,first_year,last_year"
    assert lines[1] == "https://example.org/scholargraph/person/antonio-a-casilli,Antonio A. Casilli,6,2019,2021"
    assert len(lines) == 9


def test_dump_command_writes_every_format(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["build", str(DATA), "--out", str(tmp_path)]).exit_code == 0
    result = runner.invoke(main, ["dump", "--out", str(tmp_path), "--gzip"])
    assert result.exit_code == 0, result.output
    for name in ("graph.nt", "graph.jsonld", "graph.trig", "void.ttl", "graph.ttl.gz", "graph.nt.gz", "graph.jsonld.gz", "graph.trig.gz"):
        assert (tmp_path / name).stat().st_size > 0, name


def test_a_graph_that_does_not_conform_leaves_no_dump(tmp_path: Path, monkeypatch) -> None:
    """Validation failure: exit 1, the report is printed and written, old dumps are removed."""
    from rdflib import Graph

    import scholargraph.validate as validation

    runner = CliRunner()
    assert runner.invoke(main, ["build", str(DATA), "--out", str(tmp_path)]).exit_code == 0
    assert (tmp_path / "graph.ttl").exists() and (tmp_path / "graph.nt").exists()
    bad = validation.Violation(
        severity="Violation", focus="https://example.org/scholargraph/work/x", path=None,
        message="work has no dcterms:title", shape="sg:WorkShape", source="data/cv.md", line=3, label="x", kind="work",
    )
    failing = lambda *a, **k: validation.ValidationReport(False, (bad,), Graph())  # noqa: E731
    monkeypatch.setattr(validation, "validate_lines", failing)
    monkeypatch.setattr(validation, "validate_changes", failing)  # the rebuild validates by difference
    result = runner.invoke(main, ["build", str(DATA), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert 'data/cv.md:3: work "x": work has no dcterms:title (shape sg:WorkShape)' in result.output
    assert result.output.strip().splitlines()[-1] == (
        f"error: the graph does not conform to the shapes; see {tmp_path / 'validation.txt'} (no dump written)"
    )
    assert (tmp_path / "validation.txt").exists()
    assert not any((tmp_path / name).exists() for name in ("graph.ttl", "graph.nt", "graph.jsonld", "graph.trig", "void.ttl", "oxigraph"))


def test_build_kind_forces_the_reader(tmp_path: Path) -> None:
    """A CV saved as .txt with project-page words in it is read as a CV when --kind says so."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "cv.txt").write_text(
        "# Jane Doe\n\n## Experience\n\n- 2019–2021 — Postdoc, University of Ghent\n\n## Team\n\n- Associate member, Funding bodies working group, Ghent Lab\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    detected = runner.invoke(main, ["build", str(data), "--out", str(tmp_path / "a"), "--no-validate"])
    forced = runner.invoke(main, ["build", str(data), "--out", str(tmp_path / "b"), "--kind", "*.txt=markdown-cv"])
    assert forced.exit_code == 0, forced.output
    report = yaml.safe_load((tmp_path / "b" / "report.yaml").read_text(encoding="utf-8"))
    assert report["documents"][0]["kind"] == "markdown-cv"
    assert detected.exit_code == 0, detected.output
    bad = runner.invoke(main, ["build", str(data), "--out", str(tmp_path / "c"), "--kind", "markdown-cv"])
    assert bad.exit_code == 2
    assert "'markdown-cv': write GLOB=KIND, e.g. 'cv/*.txt=markdown-cv'" in bad.output
    unknown = runner.invoke(main, ["build", str(data), "--out", str(tmp_path / "d"), "--kind", "*.txt=word"])
    assert unknown.exit_code == 2
    assert unknown.output.strip().startswith(f"error: {data / 'cv.txt'}: unknown kind 'word'; choose one of ")


def test_console_script_exits_with_the_command_status(tmp_path: Path) -> None:
    """The installed `scholargraph` script (cli.run) ends without freeing the build object by object,
    with main's exit status and all its output written."""
    import subprocess
    import sys

    import shutil

    script = [sys.executable, "-c", "import sys; from scholargraph.cli import run; sys.argv[0] = 'scholargraph'; run()"]
    data = shutil.copytree(DATA, tmp_path / "data")
    done = subprocess.run([*script, "build", str(data), "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    words = " ".join(done.stdout.split())  # rich wraps long lines at the terminal's width
    assert words.endswith(f"1344 triples written to {tmp_path / 'out' / 'graph.ttl'}; merges in {tmp_path / 'out' / 'merges.yaml'}")
    assert (tmp_path / "out" / "graph.ttl").stat().st_size > 0

    # what a process that ended this way left is patched by the next one (one CV changed: its hash)
    cv = data / "cv-clement-le-ludec.md"
    cv.write_text(cv.read_text(encoding="utf-8") + "\n## Notes\n\n- ??? one more line\n", encoding="utf-8")
    again = subprocess.run([*script, "build", str(data), "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "Since the last build: 1 triples removed, 1 added (resolved by difference: 1 document changed;" in " ".join(again.stdout.split())

    missing = subprocess.run([*script, "build", str(tmp_path / "nowhere")], capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2
    assert missing.stderr == f"error: {tmp_path / 'nowhere'}: data directory not found; pass the folder holding your documents\n"

    usage = subprocess.run([*script, "build", "--jobs", "0"], capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2
    assert "Invalid value for '--jobs'" in usage.stderr
