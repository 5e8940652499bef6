"""``trialkg validate``: SHACL-validate the store or input files and report, grouped by shape and field.

The report leads with counts (records, results per severity), then one group
per shape and field, most serious first, each with its message(s), how many
results and records, and a few examples: the trial, the value and the node.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import click
import pyoxigraph as ox

from .rdf import DEFAULT_BASE, ONTOLOGY_GRAPH
from .store import DEFAULT_STORE, Store
from .validate import ENGINES, NQUADS_LINE, SEVERITIES, Finding, validate_nquads, validate_records

BATCH = 250
_RANK = {severity: n for n, severity in enumerate(SEVERITIES)}


def record_id(graph: str) -> str:
    """The source record id a record graph is named after (``…/record/ctgov-json/NCT01`` -> ``NCT01``)."""
    return unquote(graph.rstrip("/").rsplit("/", 1)[-1]) if graph else ""


@dataclass(slots=True)
class ValidationReport:
    """Findings of a validation run and what was validated."""

    records: int = 0
    findings: list[Finding] = field(default_factory=list)
    unreadable: list[dict] = field(default_factory=list)  #: records no reader could read
    engine: str = "compiled"
    seconds: float = 0.0

    def count(self, severity: str) -> int:
        """Results of one severity."""
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def conforms(self) -> bool:
        """No Violation and nothing unreadable."""
        return not self.unreadable and not any(f.severity == "Violation" for f in self.findings)

    def groups(self) -> list[tuple[tuple[str, str, str], list[Finding]]]:
        """Findings grouped by (severity, shape, field), most serious and most frequent first."""
        by_group: dict[tuple[str, str, str], list[Finding]] = defaultdict(list)
        for f in sorted(self.findings, key=lambda f: (record_id(f.graph), f.focus, f.value, f.message)):
            by_group[(f.severity, f.shape, f.path)].append(f)
        return sorted(by_group.items(), key=lambda item: (_RANK[item[0][0]], -len(item[1]), item[0]))

    def summary(self) -> str:
        """The one-line summary."""
        bad = len({f.graph for f in self.findings if f.severity == "Violation"})
        rate = f", {self.records / self.seconds:,.0f} records/s" if self.seconds else ""
        return (f"{self.records} records validated: {bad} with violations, {len(self.unreadable)} unreadable; "
                f"{self.count('Violation')} violations, {self.count('Warning')} warnings, {self.count('Info')} infos "
                f"({self.engine} engine: {self.seconds:.2f} s validating{rate})")

    def text(self, examples: int = 5) -> str:
        """The readable report."""
        lines = [f"validate: {self.summary()}", ""]
        if self.unreadable:
            lines.append(f"Unreadable records ({len(self.unreadable)})")
            for item in self.unreadable[:examples]:
                lines.append(f"    {item['record']}  {item['source']}  field {item.get('field') or '-'}: "
                             f"{item['message']}")
            lines.append("")
        for (severity, shape, path), found in self.groups():
            records = len({f.graph for f in found})
            lines.append(f"{severity}  {shape} / {path or '(node)'}: {len(found)} results in {records} records")
            for message, n in Counter(f.message for f in found).most_common():
                lines.append(f"  {message}  [{n}]")
                for f in [f for f in found if f.message == message][:examples]:
                    value = f.value if len(f.value) <= 60 else f.value[:59] + "…"
                    shown = json.dumps(value, ensure_ascii=False) if f.value else "(no single value)"
                    lines.append(f"    {record_id(f.graph)}  {path or '-'} = {shown}  ({f.focus})")
            lines.append("")
        if not self.findings and not self.unreadable:
            lines.append("Every record conforms to the shapes.")
        return "\n".join(lines).rstrip() + "\n"

    def json(self) -> str:
        """The report as JSON: summary counts, groups, and every result."""
        return json.dumps({
            "conforms": self.conforms, "records": self.records, "engine": self.engine, "seconds": self.seconds,
            "counts": {s: self.count(s) for s in SEVERITIES}, "unreadable": self.unreadable,
            "groups": [{"severity": s, "shape": shape, "field": path, "results": len(found),
                        "records": len({f.graph for f in found})} for (s, shape, path), found in self.groups()],
            "results": [{**f.as_dict(), "record": record_id(f.graph)} for f in self.findings],
        }, indent=1, ensure_ascii=False) + "\n"

    def turtle(self) -> str:
        """The report as a SHACL validation report in Turtle."""
        from rdflib import BNode, Graph, Literal, URIRef
        from rdflib.namespace import RDF, SH, XSD

        from .rdf import TKG

        g = Graph()
        g.bind("sh", SH)
        g.bind("tkg", TKG)
        report = BNode()
        g.add((report, RDF.type, SH.ValidationReport))
        g.add((report, SH.conforms, Literal(self.conforms, datatype=XSD.boolean)))
        for f in self.findings:
            r = BNode()
            g.add((report, SH.result, r))
            g.add((r, RDF.type, SH.ValidationResult))
            g.add((r, SH.resultSeverity, SH[f.severity]))
            g.add((r, SH.focusNode, URIRef(f.focus) if "://" in f.focus else BNode(f.focus)))
            if f.path:
                g.add((r, SH.resultPath, URIRef(TKG + f.path) if ":" not in f.path else URIRef(f.path)))
            if f.value:
                g.add((r, SH.value, Literal(f.value)))
            g.add((r, SH.resultMessage, Literal(f.message)))
            g.add((r, SH.sourceShape, URIRef("https://w3id.org/trialkg/shapes#" + f.shape)))
        return g.serialize(format="turtle")


def validate_graphs(graphs: Iterable[tuple[str, str]], engine: str = "compiled") -> ValidationReport:
    """Validate ``(graph IRI, N-Quads)`` pairs in batches."""
    report = ValidationReport(engine=engine)
    batch: dict[str, str] = {}

    def flush() -> None:
        start = time.perf_counter()  # the validation only, not the reading and mapping that feed it
        for found in validate_records(batch, engine).values():
            report.findings.extend(found)
        report.seconds += time.perf_counter() - start
        report.records += len(batch)
        batch.clear()

    for graph, nquads in graphs:
        batch[graph] = batch.get(graph, "") + nquads
        if len(batch) >= BATCH:
            flush()
    flush()
    return report


def validate_store(store: Store, engine: str = "compiled") -> ValidationReport:
    """Validate every record graph of a store."""
    text = store.db.dump(format=ox.RdfFormat.N_QUADS).decode("utf-8")
    if engine == "compiled":  # one pass over the whole dump
        start = time.perf_counter()
        findings, graphs = validate_nquads(text, skip=[ONTOLOGY_GRAPH, ""])
        report = ValidationReport(len(graphs), findings, engine=engine)
        report.seconds = time.perf_counter() - start
        return report
    by_graph: dict[str, list[str]] = defaultdict(list)
    for match in NQUADS_LINE.finditer(text):
        graph = match.group(4)
        if graph and graph[1:-1] != ONTOLOGY_GRAPH:
            by_graph[graph[1:-1]].append(match.group(0).rstrip() + "\n")
    return validate_graphs(((g, "".join(lines)) for g, lines in sorted(by_graph.items())), engine)


def file_graphs(inputs: Iterable[str], fmt: str | None, base: str, unreadable: list[dict]) -> Iterable[tuple[str, str]]:
    """Read, map and yield the graphs of input files; records that cannot be read go to ``unreadable``."""
    from .mapper import record_iri
    from .pipeline import record_quads
    from .readers import read_records

    for raw in read_records(inputs, fmt):
        if raw.trial is None:
            unreadable.append({"source": raw.source_file, "record": raw.record_id or f"#{raw.index}",
                               "field": raw.field, "message": raw.error})
            continue
        yield record_iri(raw.trial, base), record_quads(raw.trial, base).serialize()


@click.command(name="validate")
@click.argument("inputs", nargs=-1, type=click.Path())
@click.option("--store", "store_path", default=None, type=click.Path(file_okay=False),
              help=f"Validate the records in this store (the default, {DEFAULT_STORE}, when no INPUT is given).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), help="Write the report to this file.")
@click.option("--format", "fmt", type=click.Choice(["text", "ttl", "json"]), default="text", show_default=True)
@click.option("--input-format", default=None, help="Format of the INPUT files (detected by default).")
@click.option("--engine", type=click.Choice(ENGINES), default="compiled", show_default=True,
              help="compiled: fast; pyshacl: the reference implementation.")
@click.option("--examples", default=5, show_default=True, help="Examples shown per group in the text report.")
def validate_cmd(inputs: tuple[str, ...], store_path: str | None, report_path: str | None, fmt: str,
                 input_format: str | None, engine: str, examples: int) -> None:
    """Validate records against the SHACL shapes: exit 0 if they conform, 1 if there are violations.

    With INPUT files, they are read and mapped (nothing is stored); otherwise
    the records in the store are validated.
    """
    if inputs and store_path:
        raise click.UsageError("give either INPUT files or --store, not both")
    unreadable: list[dict] = []
    if inputs:
        report = validate_graphs(file_graphs(inputs, input_format, DEFAULT_BASE, unreadable), engine)
        report.unreadable = unreadable
    else:
        report = validate_store(Store(store_path or DEFAULT_STORE, read_only=True), engine)
    text = {"text": lambda: report.text(examples), "json": report.json, "ttl": report.turtle}[fmt]()
    if report_path:
        Path(report_path).write_text(text, encoding="utf-8")
        click.echo(f"validate: {report.summary()}; report in {report_path}", err=True)
    else:
        click.echo(text, nl=False)
        if fmt != "text":
            click.echo(f"validate: {report.summary()}", err=True)
    sys.exit(0 if report.conforms else 1)
