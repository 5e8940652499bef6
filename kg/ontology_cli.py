"""``trialkg ontology``: check the ontology, convert it to RDF/XML, document it with pyLODE."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.group(name="ontology")
def ontology() -> None:
    """Check, convert and document the trialkg ontology."""


@ontology.command()
@click.argument("inputs", nargs=-1, type=click.Path())
@click.option("--format", "fmt", default=None, help="Format of the INPUT records (detected by default).")
@click.option("--no-reason", is_flag=True, help="Skip HermiT (which needs Java).")
def check(inputs: tuple[str, ...], fmt: str | None, no_reason: bool) -> None:
    """Parse, reason over and cover-check the ontology.

    Every tkg: IRI used by the code, mappings, shapes and queries must be
    defined, labelled and defined in words.  Records given as INPUT are mapped;
    the IRIs they use are checked too, and HermiT checks the ontology plus their
    triples for consistency.  Exit 0 when all is well, 1 when something must be
    fixed.
    """
    from .ontology import check as run_check

    report = run_check(inputs, fmt, reason=not no_reason)
    for line in report.lines():
        click.echo(line)
    verdict = "ok" if report.ok else "PROBLEMS FOUND"
    click.echo(f"ontology check: {verdict} in {report.seconds:.1f} s")
    if not report.ok:
        sys.exit(1)


@ontology.command()
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder to write to (default: beside the Turtle files, i.e. ontology/).")
def convert(out_dir: str | None) -> None:
    """Write the RDF/XML copy (<name>.owl) of every ontology Turtle file."""
    from .ontology import convert as run_convert

    for path in run_convert(Path(out_dir) if out_dir else None):
        click.echo(f"wrote {path}")


@ontology.command()
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False), required=True, help="Output folder.")
def docs(out_dir: str) -> None:
    """Write HTML documentation: index.html (pyLODE: classes, properties), individuals.html (values, instruments)."""
    from .ontology import docs as run_docs

    written = run_docs(Path(out_dir))
    click.echo(f"ontology docs: {len(written)} pages in {out_dir} ({', '.join(p.name for p in written)})")
