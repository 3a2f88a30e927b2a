"""The command line: thin commands that call one library function and print.

Library errors (:class:`~scholargraph.errors.ScholargraphError`) become one
line on stderr and exit status 2 (1 for a graph that does not conform); no
traceback reaches the user.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

import click
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
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
                err.print(report.format_text(), markup=False)
            err.print(f"error: {exc}", markup=False)
            sys.exit(1)
        except ScholargraphError as exc:
            err.print(f"error: {exc}", markup=False)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


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
@click.pass_obj
@friendly_errors
def build(config_path: Path | None, data_dir: Path | None, out_dir: Path | None, no_validate: bool) -> None:
    """Read DATA_DIR (default data/) and write build/graph.ttl with a summary."""
    from .build import build as run_build

    settings = load_settings(config_path).with_paths(data_dir, out_dir)
    with Progress(TextColumn("reading"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  console=err, transient=True) as bar:
        task = bar.add_task("", total=None)

        def progress(source: str, index: int, total: int) -> None:
            bar.update(task, total=total, completed=index, description=source)

        result = run_build(settings, validate=not no_validate, progress=progress)
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
            out.print(f"  {item.span}: {item.text[:70]!r}: {item.reason}", markup=False)
    validation = result.validation
    if validation is not None and hasattr(validation, "counts"):
        counts = validation.counts()
        out.print(f"Validation: conforms ({counts.get('Warning', 0)} warnings)")
    out.print(f"{len(result.triples)} triples written to {result.out_dir / 'graph.ttl'}; "
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


if __name__ == "__main__":  # pragma: no cover
    main()
