"""The ``trialkg`` command line: one command per pipeline stage.

Exit codes: 0 ok; 1 done, but some records were quarantined or do not conform;
2 bad usage or unreadable input; 3 internal error.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import sys
import time
from pathlib import Path

import click
import pyoxigraph as ox

from . import __version__
from .checks import validate_cmd
from .errors import KGError, QueryError, UnreadableInputError
from .rdf import DEFAULT_BASE
from .store import DEFAULT_STORE, Store, quarantine_entries

EXIT_OK, EXIT_NONCONFORMANT, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
QUERIES = Path(__file__).parent / "queries"
EXAMPLES = Path(__file__).parent / "examples"

store_option = click.option("--store", "store_path", default=DEFAULT_STORE, show_default=True,
                            type=click.Path(file_okay=False), help="Store directory.")


class _Group(click.Group):
    """Turns trialkg's own errors into one clear line and the documented exit codes."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UnreadableInputError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        except KGError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        except BrokenPipeError:  # output piped into `head` and the like
            sys.stderr.close()
            sys.exit(EXIT_OK)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as exc:  # the one place an unexpected error becomes exit code 3
            logging.getLogger(__name__).debug("internal error", exc_info=True)
            click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(EXIT_INTERNAL)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="trialkg")
@click.option("-v", "--verbose", is_flag=True, help="Log progress details to stderr.")
def main(verbose: bool) -> None:
    """trialkg: clinical-trial registry records as a linked-data knowledge graph."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.argument("inputs", nargs=-1, type=click.Path())
@store_option
@click.option("--format", "fmt", default=None, help="Input format (detected from the content by default).")
@click.option("--base-iri", default=DEFAULT_BASE, show_default=True, help="Base under which IRIs are minted.")
@click.option("--strict", is_flag=True, help="Stop at the first record that cannot be loaded.")
@click.option("-j", "--jobs", type=click.IntRange(0), default=1, show_default=True,
              help="Processes that link, map and validate records (0: one per core).")
def build(inputs: tuple[str, ...], store_path: str, fmt: str | None, base_iri: str, strict: bool, jobs: int) -> None:
    """Read registry records, map, validate and load them into the store.

    With no INPUT, the bundled example records (the two seed pages) are built.
    """
    from .pipeline import build as run_build
    from .readers import iter_sources

    if fmt:
        from .readers import reader_for
        reader_for(fmt)
    sources = list(inputs) or [str(EXAMPLES)]
    jobs = jobs or os.cpu_count() or 1
    total = sum(1 for _ in iter_sources(sources)) if sys.stderr.isatty() else 0
    store = Store(store_path)
    try:
        if total:
            with click.progressbar(length=total, label="building", file=sys.stderr) as bar:
                seen: set[str] = set()

                def tick(raw):
                    if raw.source_file not in seen:
                        seen.add(raw.source_file)
                        bar.update(1)
                report = run_build(sources, store, fmt, base_iri, strict, tick, jobs=jobs)
        else:
            report = run_build(sources, store, fmt, base_iri, strict, jobs=jobs)
        trials = _scalar(store, "SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t a tkg:ClinicalTrial }")
    finally:
        store.close()
    click.echo(f"build: {report.summary()}; {trials} trials in the store, {report.quarantined} quarantined "
               f"(store {store_path})")
    if report.quarantined:
        sys.exit(EXIT_NONCONFORMANT)


def _scalar(store: Store, sparql: str) -> int:
    for row in store.query(sparql):
        return int(row[0].value)
    return 0


def _bundled_query(name: str) -> str:
    path = QUERIES / f"{name}.rq"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in QUERIES.glob("*.rq")))
        raise QueryError(f"no bundled query named {name!r}; known: {known}")
    return path.read_text(encoding="utf-8")


@main.command()
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("-e", "--expression", help="SPARQL query text.")
@click.option("--name", help="A bundled query (see `trialkg query --list`).")
@click.option("--list", "list_queries", is_flag=True, help="List the bundled queries.")
@store_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]), default="table", show_default=True)
def query(file: str | None, expression: str | None, name: str | None, list_queries: bool, store_path: str,
          fmt: str) -> None:
    """Run a SPARQL query; the default graph is the union of all graphs, ontology included."""
    if list_queries:
        for path in sorted(QUERIES.glob("*.rq")):
            first = path.read_text(encoding="utf-8").splitlines()[0].lstrip("# ")
            click.echo(f"{path.stem}\t{first}")
        return
    given = [x for x in (file, expression, name) if x]
    if len(given) != 1:
        raise click.UsageError("give exactly one of FILE, -e SPARQL or --name NAME")
    sparql = Path(file).read_text(encoding="utf-8") if file else expression or _bundled_query(name)
    store = Store(store_path, read_only=True)
    start = time.perf_counter()
    result = store.query(sparql)
    rows = _emit(result, fmt)
    click.echo(f"query: {rows} rows in {time.perf_counter() - start:.3f} s", err=True)


def _emit(result, fmt: str) -> int:
    """Print a query result; return the number of rows."""
    if isinstance(result, bool):
        if fmt == "json":
            click.echo(json.dumps({"head": {}, "boolean": result}))
        else:
            click.echo("true" if result else "false")
        return 1
    if isinstance(result, ox.QueryTriples):
        buffer = io.BytesIO()
        ox.serialize(result, buffer, format=ox.RdfFormat.N_TRIPLES)
        text = buffer.getvalue().decode()
        click.echo(text, nl=False)
        return text.count("\n")
    names = [v.value for v in result.variables]
    if fmt == "json":
        buffer = io.BytesIO()
        result.serialize(buffer, format=ox.QueryResultsFormat.JSON)
        text = buffer.getvalue().decode()
        click.echo(text)
        return len(json.loads(text)["results"]["bindings"])
    rows = [[_plain(row[name]) for name in names] for row in result]
    if fmt in ("csv", "tsv"):
        out = io.StringIO()
        writer = csv.writer(out, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(names)
        writer.writerows(rows)
        click.echo(out.getvalue(), nl=False)
    else:
        widths = [min(60, max([len(n)] + [len(r[i]) for r in rows])) for i, n in enumerate(names)]
        click.echo("  ".join(n.ljust(w) for n, w in zip(names, widths)))
        click.echo("  ".join("-" * w for w in widths))
        for r in rows:
            click.echo("  ".join((c if len(c) <= w else c[: w - 1] + "…").ljust(w) for c, w in zip(r, widths)))
    return len(rows)


def _plain(term) -> str:
    return "" if term is None else term.value


_EXPORT_FORMATS = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "nq": ox.RdfFormat.N_QUADS,
                   "trig": ox.RdfFormat.TRIG, "jsonld": ox.RdfFormat.JSON_LD}


@main.command()
@store_option
@click.option("--format", "fmt", type=click.Choice(sorted(_EXPORT_FORMATS)), default="ttl", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Output file (standard output by default).")
def export(store_path: str, fmt: str, output: str | None) -> None:
    """Export the store: nq/trig keep the named graphs; ttl/nt/jsonld give their union."""
    store = Store(store_path, read_only=True)
    start = time.perf_counter()
    if output:
        with open(output, "wb") as handle:
            store.dump(handle, _EXPORT_FORMATS[fmt])
        size = Path(output).stat().st_size
    else:
        buffer = io.BytesIO()
        store.dump(buffer, _EXPORT_FORMATS[fmt])
        sys.stdout.buffer.write(buffer.getvalue())
        size = len(buffer.getvalue())
    click.echo(f"export: {store.quad_count()} quads as {fmt}, {size} bytes in {time.perf_counter() - start:.2f} s",
               err=True)


@main.command()
@store_option
def stats(store_path: str) -> None:
    """Counts per class, per registry, and the quarantine."""
    store = Store(store_path, read_only=True)
    click.echo("class\tinstances")
    rows = store.query("SELECT ?c (COUNT(?s) AS ?n) WHERE { GRAPH ?g { ?s a ?c } "
                       "FILTER(?g != <https://w3id.org/trialkg/ontology>) } GROUP BY ?c ORDER BY DESC(?n) ?c")
    for row in rows:
        click.echo(f"{_curie(row[0].value)}\t{row[1].value}")
    click.echo("\nregistry\trecords")
    for row in store.query("SELECT ?r (COUNT(?rec) AS ?n) WHERE { ?rec a tkg:RegistryRecord ; tkg:registry ?r } "
                           "GROUP BY ?r ORDER BY DESC(?n)"):
        click.echo(f"{_curie(row[0].value)}\t{row[1].value}")
    quarantined = sum(1 for _ in store.quarantined())
    trials = _scalar(store, "SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t a tkg:ClinicalTrial }")
    records = _scalar(store, "SELECT (COUNT(?r) AS ?n) WHERE { ?r a tkg:RegistryRecord }")
    click.echo(f"\nstats: {trials} trials from {records} records, {store.quad_count()} quads, "
               f"{quarantined} quarantined")


def _curie(iri: str) -> str:
    from .rdf import PREFIXES
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


@main.command(name="quarantine")
@store_option
@click.option("--format", "fmt", type=click.Choice(["tsv", "json"]), default="tsv", show_default=True)
def quarantine_cmd(store_path: str, fmt: str) -> None:
    """List the quarantined records and why: key, source file, field, message, value (one line per reason)."""
    if not (Path(store_path) / "oxigraph").is_dir():
        raise KGError(f"{store_path}: no trialkg store here (run `trialkg build` first)")
    entries = list(quarantine_entries(Path(store_path)))  # the folder only: readable while a build runs
    if fmt == "json":
        click.echo(json.dumps([{"key": key, "reasons": reasons} for key, reasons in entries], indent=1,
                              ensure_ascii=False))
    else:
        click.echo("key\tsource\tfield\tmessage\tvalue")
        for key, reasons in entries:
            for reason in reasons:
                value = str(reason.get("value") or "").replace("\t", " ").replace("\n", " ")[:120]
                click.echo(f"{key}\t{reason.get('source', '')}\t{reason.get('field') or '-'}\t"
                           f"{reason.get('message', '')}\t{value}")
    click.echo(f"quarantine: {len(entries)} records", err=True)


@main.command()
@click.argument("ids", nargs=-1)
@click.option("--term", help="Search the API: free-text query (query.term).")
@click.option("--condition", help="Search the API: condition (query.cond).")
@click.option("--intervention", help="Search the API: intervention (query.intr).")
@click.option("--max", "limit", default=100, show_default=True, type=click.IntRange(1), help="Most studies to fetch.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Folder for the JSON files.")
@click.option("--api", default="https://clinicaltrials.gov/api/v2", show_default=True, help="API base URL.")
def fetch(ids: tuple[str, ...], term: str | None, condition: str | None, intervention: str | None, limit: int,
          output: str, api: str) -> None:
    """Download studies from the ClinicalTrials.gov API v2 (by NCT id, or by search) for `trialkg build`."""
    from .fetch import fetch_studies, search_pages

    query = {k: v for k, v in (("query.term", term), ("query.cond", condition), ("query.intr", intervention)) if v}
    if bool(ids) == bool(query):
        raise click.UsageError("give NCT ids or a search (--term/--condition/--intervention), not both")
    if ids:
        files = fetch_studies(list(ids), Path(output), api)
        click.echo(f"fetch: {len(files)} studies saved in {output}")
        return
    total = pages = 0
    for _, count in search_pages(query, Path(output), limit, api):
        pages += 1
        total += count
    click.echo(f"fetch: {total} studies in {pages} pages saved in {output}")


@main.command()
@click.argument("endpoint")
@store_option
def push(endpoint: str, store_path: str) -> None:
    """Copy every graph of the store to a SPARQL Graph Store endpoint (e.g. http://host:7878/store)."""
    from .push import push as run_push

    store = Store(store_path, read_only=True)
    start = time.perf_counter()
    graphs, quads = run_push(store, endpoint)
    click.echo(f"push: {graphs} graphs, {quads} quads to {endpoint} in {time.perf_counter() - start:.1f} s")


@main.command()
@store_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=7878, show_default=True, type=int)
def serve(store_path: str, host: str, port: int) -> None:
    """Serve the store as a read-only SPARQL endpoint at http://HOST:PORT/sparql."""
    from .serve import serve as make_server

    store = Store(store_path, read_only=True)
    server = make_server(store, host, port)
    click.echo(f"serve: {store.quad_count()} quads at http://{host}:{server.server_port}/sparql (Ctrl-C stops)",
               err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--format", "fmt", default=None, help="Read every file as this format (detected by default).")
@click.option("--all", "show_all", is_flag=True, help="List every field path, not only those not mapped.")
def coverage(inputs: tuple[str, ...], fmt: str | None, show_all: bool) -> None:
    """Report every non-empty field path in the records as mapped, left out or unknown, per format."""
    from .coverage import coverage_by_format

    reports = coverage_by_format(inputs, fmt)
    for name, report in reports.items():
        for path, (status, count, reason) in sorted(report.paths.items()):
            if show_all or status != "mapped":
                click.echo(f"{name}\t{status}\t{count}\t{path}\t{reason}")
    for name, report in reports.items():
        click.echo(f"coverage {name}: {report.summary()}")
        sections = sorted({p.split(".", 1)[0] for p in report.paths if "." in p})
        if name == "ctgov-json":
            for section in sections:
                click.echo(f"coverage {name} {section}: {report.summary(section + '.')}")
    if not reports:
        raise UnreadableInputError("no records of a known format in the input")
    if any(r.unknown for r in reports.values()):
        sys.exit(EXIT_NONCONFORMANT)


from .link.commands import instruments_cmd, mesh_cmd  # noqa: E402
from .ontology_cli import ontology as _ontology  # noqa: E402  (registered after main is defined)

main.add_command(_ontology)
main.add_command(mesh_cmd)
main.add_command(instruments_cmd)
main.add_command(validate_cmd)

if __name__ == "__main__":  # pragma: no cover
    main()
