"""SHACL validation with pyshacl against the shapes in ``shapes/``.

Records are validated in batches (one pyshacl run over many record graphs) and
each result is traced back to the record whose graph holds its focus node.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pyshacl
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from .resources import resource_dir

_SEVERITY = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}


@dataclass(slots=True, frozen=True)
class Finding:
    """One SHACL result, in plain words."""

    severity: str  #: Violation | Warning | Info
    focus: str
    path: str
    value: str
    message: str
    shape: str

    def as_dict(self) -> dict[str, str]:
        return {"severity": self.severity, "focus": self.focus, "field": self.path,
                "value": self.value, "message": self.message, "shape": self.shape}


@cache
def shapes_graph() -> Graph:
    """All shapes files, parsed once."""
    graph = Graph()
    for path in sorted(resource_dir("shapes").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@cache
def ontology_graph() -> Graph:
    """The ontology, so that ``sh:class`` follows ``rdfs:subClassOf``."""
    graph = Graph()
    for path in sorted(resource_dir("ontology").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def _short(term) -> str:
    if term is None:
        return ""
    text = str(term)
    return text.rsplit("#", 1)[-1] if isinstance(term, URIRef) and "#" in text else text


def validate_graph(data: Graph) -> list[Finding]:
    """Validate one data graph; return every result."""
    _, results, _ = pyshacl.validate(data, shacl_graph=shapes_graph(), ont_graph=ontology_graph(),
                                     inference="none", abort_on_first=False, allow_warnings=True)
    findings = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        get = lambda p: results.value(result, p)  # noqa: E731
        message = get(SH.resultMessage)
        findings.append(Finding(_SEVERITY.get(get(SH.resultSeverity), "Violation"), str(get(SH.focusNode)),
                                _short(get(SH.resultPath)), str(get(SH.value)) if get(SH.value) is not None else "",
                                str(message) if isinstance(message, Literal) else "", _short(get(SH.sourceShape))))
    return findings


def validate_records(graphs: dict[str, str]) -> dict[str, list[Finding]]:
    """Validate many record graphs at once: ``{graph IRI: N-Quads}`` -> ``{graph IRI: findings}``."""
    data = Graph()
    owner: dict[str, str] = {}
    for graph, nquads in graphs.items():
        tail = f" <{graph}> .\n"
        triples = nquads.replace(tail, " .\n")
        data.parse(data=triples, format="nt")
        for line in triples.splitlines():
            owner.setdefault(line[1:line.index(">")], graph)
    out: dict[str, list[Finding]] = {graph: [] for graph in graphs}
    for finding in validate_graph(data):
        graph = owner.get(finding.focus)
        if graph is not None:
            out[graph].append(finding)
    return out
