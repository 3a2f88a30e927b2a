"""The command line: thin commands that call one library function and print.

Library errors (:class:`~scholargraph.errors.ScholargraphError`) become one
line on stderr and exit status 2 (1 for a graph that does not conform); no
traceback reaches the user.
"""

from __future__ import annotations

import atexit
import functools
import os
import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

import click
import yaml
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from .config import load_settings
from .errors import ScholargraphError, ValidationFailed
from .records import to_data

F = TypeVar("F", bound=Callable[..., Any])
err = Console(stderr=True, highlight=False)
out = Console(highlight=False)


def friendly_errors(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValidationFailed as exc:
            report = exc.report
            if report is not None and hasattr(report, "format_text"):
                click.echo(report.format_text(), err=True)
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except ScholargraphError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def run() -> None:
    """The ``scholargraph`` console script: :func:`main`, then an exit that does not free the
    build's objects one by one (3-4 s after a million-triple build).  Output is flushed and
    ``atexit`` handlers run first; the exit status is :func:`main`'s."""
    try:
        main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if not isinstance(code, int):  # None, or a message to print as Python would
        if code is not None:
            print(code, file=sys.stderr)
        code = 0 if code is None else 1
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


@click.group()
@click.version_option(package_name="scholargraph")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Settings file (default: ./scholargraph.toml, or $SCHOLARGRAPH_CONFIG).")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None) -> None:
    """Turn CVs and project pages into a validated scholarly knowledge graph."""
    ctx.obj = config_path


@main.command()
@click.argument("data_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output directory (default: build/).")
@click.option("--no-validate", is_flag=True, help="Skip SHACL validation (not recommended).")
@click.option("--gzip", is_flag=True, help="Also write gzipped copies (.gz) of the dumps.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Worker processes (default: the usable CPUs).")
@click.option("--no-cache", is_flag=True,
              help="Read every document again and write every output afresh, instead of reusing build/cache/ "
                   "and patching what the last build left.")
@click.option("--kind", "kinds", multiple=True, metavar="GLOB=KIND",
              help="Force the kind of documents whose path matches GLOB, e.g. 'cv/*.txt=markdown-cv' (repeatable).")
@click.pass_obj
@friendly_errors
def build(config_path: Path | None, data_dir: Path | None, out_dir: Path | None, no_validate: bool,
          gzip: bool, jobs: int | None, no_cache: bool, kinds: tuple[str, ...]) -> None:
    """Read DATA_DIR (default data/) and write build/graph.ttl with a summary."""
    from .build import build as run_build

    settings = load_settings(config_path).with_paths(data_dir, out_dir)
    forced = []
    for item in kinds:
        pattern, sep, kind = item.rpartition("=")
        if not sep or not pattern or not kind:
            raise click.BadParameter(f"{item!r}: write GLOB=KIND, e.g. 'cv/*.txt=markdown-cv'", param_hint="--kind")
        forced.append((pattern, kind))
    with Progress(TextColumn("{task.fields[stage]}"), BarColumn(), TextColumn("{task.fields[count]}"),
                  TextColumn("{task.description}"), console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("", total=None, stage="reading", count="")

        def progress(source: str, index: int, total: int) -> None:
            bar.update(task, total=total, completed=index, description=source, count=f"{index}/{total}")

        def stage(name: str, done: int, total: int) -> None:  # a pulsing bar where the total is unknown
            bar.update(task, stage=name, total=total or None, completed=done, description="",
                       count=f"{done}/{total} batches" if total else "")

        result = run_build(settings, validate=not no_validate, progress=progress, jobs=jobs, use_cache=not no_cache,
                           gzip=gzip, kinds=forced, stage=stage)
    _print_summary(result)


def _print_summary(result: Any) -> None:
    docs = Table(title="Documents read", title_justify="left")
    for column in ("document", "kind", "records", "unmapped lines"):
        docs.add_column(column, justify="right" if column in ("records", "unmapped lines") else "left")
    for summary in result.summaries():
        docs.add_row(summary.path, summary.kind, str(summary.records), str(summary.unmapped))
    out.print(docs)
    entities = Table(title="Entities", title_justify="left")
    entities.add_column("kind")
    entities.add_column("count", justify="right")
    for kind, count in result.counts.items():
        entities.add_row(kind, str(count))
    out.print(entities)
    if result.unmapped:
        out.print(f"Entries not mapped ({len(result.unmapped)}), also in {result.out_dir / 'report.yaml'}:")
        for item in result.unmapped:
            out.print(f"  {item.span}: {item.text[:70]!r}: {item.reason}", markup=False, soft_wrap=True)
    for path, lines in result.unaccounted.items():
        out.print(f"Lines neither mapped nor reported in {path} (please report this): "
                  f"{', '.join(str(n) for n in lines)}", markup=False, soft_wrap=True)
    validation = result.validation
    if validation is not None and hasattr(validation, "counts"):
        counts = validation.counts()
        out.print(f"Validation: conforms ({counts.get('Warning', 0)} warnings)")
    if getattr(result, "difference", None) is not None:
        removed, added = result.difference
        how, _, why = result.resolution.partition(" (")
        resolved = f"resolved {how}: {why[:-1]}; " if why else ""
        out.print(f"Since the last build: {removed} triples removed, {added} added "
                  f"({resolved}the dumps and the store were brought up to date by difference)", soft_wrap=True, markup=False)
    out.print(f"{len(result.lines)} triples written to {result.out_dir / 'graph.ttl'}; "
              f"merges in {result.out_dir / 'merges.yaml'}", markup=False)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", default=None, help="Force the kind of document instead of detecting it.")
@friendly_errors
def extract(file: Path, kind: str | None) -> None:
    """Print the records read from FILE as YAML (to check or correct what was understood)."""
    from .readers import read_document

    document = read_document(file, str(file), kind=kind)
    click.echo(yaml.safe_dump(to_data(document), allow_unicode=True, sort_keys=False, width=100), nl=False)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--shapes", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Your own SHACL shapes instead of the project's.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--report-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the SHACL report graph as Turtle.")
@click.option("--source-root", default="", help="Prefix for document paths in messages (e.g. data/).")
@friendly_errors
def validate(file: Path, shapes: Path | None, fmt: str, report_out: Path | None, source_root: str) -> None:
    """Validate a Turtle, N-Triples or TriG FILE with the project's shapes."""
    from .validate import run_validate_command

    sys.exit(run_validate_command(file, shapes, fmt, report_out, source_root=source_root))


@main.command("queries")
@friendly_errors
def queries_list() -> None:
    """List the canned queries with their descriptions and parameters."""
    from .queries import run_queries_list_command

    sys.exit(run_queries_list_command())


@main.command()
@click.argument("name")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="A query parameter (repeatable).")
@click.option("--build", "build_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
              show_default=True, help="Build directory whose embedded store is queried.")
@click.option("--endpoint", default=None, help="Run on this SPARQL endpoint instead of the build.")
@click.option("--graph", "graph_iri", default=None, help="On an endpoint: the named graph to query (e.g. the one 'publish' loaded).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]), default="table", show_default=True)
@friendly_errors
def query(name: str, params: tuple[str, ...], build_dir: Path, endpoint: str | None, graph_iri: str | None, fmt: str) -> None:
    """Run the canned query NAME (see 'scholargraph queries')."""
    from .queries import run_query_command

    sys.exit(run_query_command(name, list(params), build_dir, endpoint, fmt, graph=graph_iri))


@main.command()
@click.option("--endpoint", required=True, help="SPARQL endpoint (Graph Store or Update) to load into.")
@click.option("--graph", "graph_iri", default=None, help="Named graph IRI (default: BASE_IRI + 'graph').")
@click.option("--build", "build_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
              show_default=True)
@click.option("--delta", is_flag=True, help="Send only the difference from what the store holds.")
@click.option("--dry-run", is_flag=True, help="Print what would be sent, send nothing.")
@friendly_errors
def publish(endpoint: str, graph_iri: str | None, build_dir: Path, delta: bool, dry_run: bool) -> None:
    """Load build/graph.ttl into a named graph of a SPARQL store, atomically.

    Credentials come from SCHOLARGRAPH_USER / SCHOLARGRAPH_PASSWORD or ~/.netrc.
    """
    from .publish import run_publish_command

    sys.exit(run_publish_command(build_dir, endpoint, graph_iri, delta, dry_run))


@main.command()
@click.option("--person", default=None, help="Draw this person's ego network (IRI, ORCID or name).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("build/network"),
              show_default=True)
@click.option("--build", "build_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
              show_default=True)
@click.option("--endpoint", default=None, help="Read the graph from this SPARQL endpoint instead of the build.")
@click.option("--graph", "graph_iri", default=None, help="Named graph to read on the endpoint.")
@friendly_errors
def network(person: str | None, out_dir: Path, build_dir: Path, endpoint: str | None, graph_iri: str | None) -> None:
    """Write the co-authorship network as GraphML, GEXF, CSV and a picture (SVG, PNG)."""
    from .network import run_network_command

    sys.exit(run_network_command(person, build_dir, endpoint, out_dir, graph=graph_iri))


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Build directory holding graph.ttl (default: build/).")
@click.option("--gzip", is_flag=True, help="Also write gzipped copies (.gz) of the graph dumps.")
@click.pass_obj
@friendly_errors
def dump(config_path: Path | None, out_dir: Path | None, gzip: bool) -> None:
    """Write graph.nt, graph.jsonld, graph.trig and void.ttl from an existing build/graph.ttl."""
    from .dump import run_dump_command

    settings = load_settings(config_path).with_paths(out_dir=out_dir)
    sys.exit(run_dump_command(settings.out_dir, gzip, settings=settings))


if __name__ == "__main__":  # pragma: no cover
    main()
