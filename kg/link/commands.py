"""``trialkg mesh`` and ``trialkg instruments``: the link stage's matchers on any text, as TSV."""

from __future__ import annotations

import os
from pathlib import Path

import click

from .instruments import INSTRUMENTS_ENV, catalogue
from .mesh import MESH_ENV, matcher


def _inputs(texts: tuple[str, ...], file: str | None) -> list[str]:
    if bool(texts) == bool(file):
        raise click.UsageError("give TEXT arguments or --file FILE (one text a line), not both")
    if file:
        return [line.strip() for line in Path(file).read_text(encoding="utf-8").splitlines() if line.strip()]
    return list(texts)


def _tsv(*cells: object) -> str:
    return "\t".join(" ".join(str(c).split()) for c in cells)


@click.command(name="mesh")
@click.argument("texts", nargs=-1)
@click.option("--file", type=click.Path(exists=True, dir_okay=False), help="Read one text a line from FILE.")
@click.option("--mesh", "mesh_file", type=click.Path(exists=True, dir_okay=False), envvar=MESH_ENV,
              help=f"NLM MeSH file (desc2026.xml or mesh.nt, optionally .gz) instead of the shipped tables "
                   f"[env {MESH_ENV}].")
@click.option("--kind", type=click.Choice(["condition", "intervention", "any"]), default="condition",
              show_default=True, help="Which descriptors to keep: conditions (as the link stage does for "
                                      "condition texts), interventions, or any.")
def mesh_cmd(texts: tuple[str, ...], file: str | None, mesh_file: str | None, kind: str) -> None:
    """Ground texts in MeSH: input, descriptor, label, method, score (TSV)."""
    m = matcher(mesh_file)
    click.echo(_tsv("input", "descriptor", "label", "method", "score"))
    rows = grounded = 0
    items = _inputs(texts, file)
    for text in items:
        found = m.ground(text, strict=kind == "condition", kind=None if kind == "any" else kind)
        grounded += bool(found)
        for g in found:
            rows += 1
            click.echo(_tsv(text, g.descriptor, g.label, g.method, f"{g.score:.3f}"))
    click.echo(f"mesh: {grounded} of {len(items)} texts grounded, {rows} groundings ({m.vocab.source})", err=True)


@click.command(name="instruments")
@click.argument("texts", nargs=-1)
@click.option("--file", type=click.Path(exists=True, dir_okay=False), help="Read one text a line from FILE.")
@click.option("--catalogue", "catalogue_file", type=click.Path(exists=True, dir_okay=False),
              envvar=INSTRUMENTS_ENV, help=f"Instrument catalogue (Turtle) [env {INSTRUMENTS_ENV}; "
                                           f"default ontology/instruments.ttl].")
def instruments_cmd(texts: tuple[str, ...], file: str | None, catalogue_file: str | None) -> None:
    """Recognise instruments in outcome texts: input, instrument IRI, label, matched text (TSV)."""
    cat = catalogue(catalogue_file or os.environ.get(INSTRUMENTS_ENV))
    click.echo(_tsv("input", "instrument", "label", "matched"))
    items = _inputs(texts, file)
    linked = 0
    for text in items:
        found = cat.find(text)
        linked += bool(found)
        for link in found:
            click.echo(_tsv(text, link.instrument, link.label, link.matched_text))
    click.echo(f"instruments: {linked} of {len(items)} texts name an instrument of {len(cat.labels)}", err=True)
