"""The trialkg ontology as a checked contract: parse, reason, cover, convert, document.

``ontology/*.ttl`` (Turtle, edited by hand) is the source.  :func:`check` holds it
to its promises:

* every file parses (rdflib) and loads into owlready2;
* HermiT finds the ontology consistent, with no unsatisfiable class, and also
  consistent together with mapped records (the graph obeys its domains, ranges
  and disjointness axioms);
* every ``tkg:`` (and instrument) term is declared once, with an English
  ``rdfs:label`` and a ``skos:definition``;
* every ``tkg:`` IRI the code, the mappings, the shapes, the bundled queries
  and the mapper's output of real records use is defined.

HermiT is run through owlready2 (its bundled HermiT and ``owlready2.JAVA_EXE``):
``sync_reasoner`` classifies the ontology; for the ontology plus data only a
consistency check is run (realising every individual, as ``sync_reasoner``
does, costs minutes for a few thousand nodes and proves nothing more).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, URIRef

from .errors import KGError
from .rdf import INSTRUMENT, TKG
from .resources import read_tsv, resource_dir

ONTOLOGY_IRI = "https://w3id.org/trialkg/ontology"
_PACKAGE = Path(__file__).resolve().parent
#: what the declared kinds of a term may be (OWL 2 DL allows no other punning for our terms)
_KINDS = {OWL.Class: "class", OWL.ObjectProperty: "object property", OWL.DatatypeProperty: "datatype property",
          OWL.AnnotationProperty: "annotation property", OWL.NamedIndividual: "individual",
          RDFS.Datatype: "datatype"}
_TKG_IN_CODE = re.compile(r'TKG\s*\+\s*"(\w+)"')
_TKG_IN_QUERY = re.compile(r"\btkg:(\w+)")
_PREFIX = re.compile(r"^@prefix\s+(\w+):\s*<([^>]*)>", re.MULTILINE)
#: code lists whose third column is not an ontology term (degrees are kept as text on the person)
_NOT_TERMS = {"degree"}
_SH = "http://www.w3.org/ns/shacl#"


class ReasonerUnavailable(KGError):
    """Java (needed by HermiT) is not installed."""


@dataclass(slots=True)
class CheckReport:
    """What :func:`check` found; ``ok`` when there is nothing to fix."""

    files: list[str] = field(default_factory=list)
    triples: int = 0
    classes: int = 0
    properties: int = 0
    individuals: int = 0
    consistent: bool | None = None  #: None when the reasoner was not run
    data_consistent: bool | None = None
    data_triples: int = 0
    unsatisfiable: list[str] = field(default_factory=list)
    undocumented: list[str] = field(default_factory=list)
    badly_declared: list[str] = field(default_factory=list)
    undefined: dict[str, list[str]] = field(default_factory=dict)  #: IRI -> where it is used
    used: int = 0
    reasoner_note: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (self.consistent is not False and self.data_consistent is not False and not self.unsatisfiable
                and not self.undocumented and not self.badly_declared and not self.undefined)

    def lines(self) -> list[str]:
        """The report as lines of text, problems first."""
        out = [f"parsed {len(self.files)} files ({', '.join(self.files)}): {self.triples} triples, "
               f"{self.classes} classes, {self.properties} properties, {self.individuals} individuals"]
        if self.consistent is None:
            out.append(f"reasoner: not run{f' ({self.reasoner_note})' if self.reasoner_note else ''}")
        else:
            out.append(f"HermiT: ontology {'consistent' if self.consistent else 'INCONSISTENT'}, "
                       f"{len(self.unsatisfiable)} unsatisfiable classes")
            out += [f"  unsatisfiable: {iri}" for iri in self.unsatisfiable]
            if self.data_consistent is not None:
                out.append(f"HermiT: ontology + {self.data_triples} triples of mapped records "
                           f"{'consistent' if self.data_consistent else 'INCONSISTENT'}"
                           f"{f' ({self.reasoner_note})' if self.reasoner_note else ''}")
        out.append(f"documentation: {len(self.undocumented)} terms lack an English rdfs:label or a skos:definition")
        out += [f"  {line}" for line in self.undocumented]
        out.append(f"declarations: {len(self.badly_declared)} problems")
        out += [f"  {line}" for line in self.badly_declared]
        out.append(f"coverage: {self.used} ontology IRIs used by code, mappings, shapes, queries and mapped records; "
                   f"{len(self.undefined)} undefined")
        out += [f"  undefined {iri} (used in {', '.join(sorted(where)[:4])})" for iri, where in sorted(self.undefined.items())]
        return out


def ontology_files() -> list[Path]:
    """The shipped ontology files, ``trialkg.ttl`` first."""
    return sorted(resource_dir("ontology").glob("*.ttl"), key=lambda p: (p.name != "trialkg.ttl", p.name))


def load(paths: Iterable[Path] | None = None) -> Graph:
    """Parse the ontology files into one rdflib graph (raises on a syntax error, naming the file)."""
    graph = Graph()
    for path in paths or ontology_files():
        try:
            graph.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises several unrelated types for bad syntax
            raise KGError(f"{path}: does not parse as Turtle ({type(exc).__name__}: {exc})") from exc
    return graph


def _ours(iri: object) -> bool:
    return isinstance(iri, URIRef) and (str(iri).startswith(TKG) or str(iri).startswith(INSTRUMENT))


def declarations(graph: Graph) -> dict[str, set[str]]:
    """Every tkg:/instrument IRI declared in the graph and the kinds it is declared as."""
    found: dict[str, set[str]] = {}
    for kind, name in _KINDS.items():
        for s in graph.subjects(RDF.type, kind):
            if _ours(s):
                found.setdefault(str(s), set()).add(name)
    return found


def declaration_problems(graph: Graph) -> list[str]:
    """Terms declared as two incompatible kinds, or used in the ontology without a declaration."""
    declared = declarations(graph)
    problems = [f"{iri} is declared as {' and '.join(sorted(kinds))}" for iri, kinds in sorted(declared.items())
                if len(kinds) > 1]
    mentioned = {str(t) for triple in graph for t in triple if _ours(t)}
    problems += [f"{iri} is used in the ontology but not declared" for iri in sorted(mentioned - set(declared))
                 if iri.rstrip("/#") not in (ONTOLOGY_IRI, INSTRUMENT.rstrip("/"))]
    return problems


def undocumented(graph: Graph) -> list[str]:
    """Declared tkg:/instrument terms lacking an English rdfs:label or a skos:definition."""
    out = []
    for iri in sorted(declarations(graph)):
        node = URIRef(iri)
        labels = [o for o in graph.objects(node, RDFS.label) if isinstance(o, Literal) and o.language == "en"]
        missing = [what for what, present in (("rdfs:label@en", labels),
                                              ("skos:definition", list(graph.objects(node, SKOS.definition))))
                   if not present]
        if missing:
            out.append(f"{iri}: no {' and no '.join(missing)}")
    return out


# -- what the project uses ------------------------------------------------------------------------------
def static_uses() -> dict[str, set[str]]:
    """tkg: IRIs named by the code, the code lists, registries.tsv, the shapes and the bundled queries."""
    used: dict[str, set[str]] = {}

    def add(local: str, where: str) -> None:
        if local:
            used.setdefault(TKG + local, set()).add(where)

    mappings = resource_dir("mappings")
    for path in sorted(mappings.glob("*/codes.tsv")):
        for row in read_tsv("mappings", path.parent.name, "codes.tsv"):
            if len(row) >= 3 and row[0] not in _NOT_TERMS:
                for local in row[2].split():  # "Phase1 Phase2": one value, two terms
                    add(local, f"mappings/{path.parent.name}/codes.tsv")
    for row in read_tsv("mappings", "registries.tsv"):
        add(row[0], "mappings/registries.tsv")
        if len(row) > 1:
            add(row[1], "mappings/registries.tsv")
    shapes = Graph()
    for path in sorted(resource_dir("shapes").glob("*.ttl")):
        shapes.parse(path, format="turtle")
    shape_nodes = set(shapes.subjects(RDF.type, URIRef(_SH + "NodeShape"))) | \
        set(shapes.subjects(RDF.type, URIRef(_SH + "PropertyShape")))
    for triple in shapes:
        for term in triple:
            if isinstance(term, URIRef) and str(term).startswith(TKG) and term not in shape_nodes:
                add(str(term)[len(TKG):], "shapes")
    for path in sorted(_PACKAGE.rglob("*.py")):
        for local in _TKG_IN_CODE.findall(path.read_text(encoding="utf-8")):
            add(local, f"kg/{path.relative_to(_PACKAGE)}")
    for path in sorted((_PACKAGE / "queries").glob("*.rq")):
        for local in _TKG_IN_QUERY.findall(path.read_text(encoding="utf-8")):
            add(local, f"kg/queries/{path.name}")
    return used


def map_records(inputs: Iterable[str | Path], fmt: str | None = None) -> tuple[bytes, dict[str, set[str]]]:
    """Map the records in the inputs; return their triples (N-Triples) and the tkg:/instrument IRIs they use."""
    from .pipeline import record_quads
    from .readers import read_records

    used: dict[str, set[str]] = {}
    out = io.BytesIO()
    for raw in read_records(inputs, fmt):
        if raw.trial is None:
            continue
        nquads = record_quads(raw.trial).serialize()
        triples = [q.triple for q in ox.parse(nquads, format=ox.RdfFormat.N_QUADS)]
        where = f"mapped record {raw.record_id or raw.source_file}"
        for triple in triples:
            for term in (triple.predicate, triple.object):
                if isinstance(term, ox.NamedNode) and _ours(URIRef(term.value)):
                    used.setdefault(term.value, set()).add(where)
        ox.serialize(triples, out, format=ox.RdfFormat.N_TRIPLES)
    return out.getvalue(), used


# -- reasoning -------------------------------------------------------------------------------------------
def _reasoner_graph(graph: Graph) -> Graph:
    """The ontology as one graph for the reasoners: its own imports are all in it, so drop owl:imports."""
    merged = Graph()
    for triple in graph:
        if triple[1] != OWL.imports:
            merged.add(triple)
    return merged


def _java() -> str:
    import owlready2

    java = shutil.which(owlready2.JAVA_EXE)
    if java is None:
        raise ReasonerUnavailable(f"Java ({owlready2.JAVA_EXE}) is not installed; HermiT needs it")
    return java


def classify(graph: Graph) -> tuple[bool, list[str]]:
    """Load the ontology with owlready2 and classify it with HermiT: (consistent, unsatisfiable class IRIs)."""
    import owlready2

    _java()
    world = owlready2.World()
    nt = _reasoner_graph(graph).serialize(format="nt", encoding="utf-8")
    world.get_ontology(ONTOLOGY_IRI).load(fileobj=io.BytesIO(nt), format="ntriples")
    try:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0, ignore_unsupported_datatypes=True)
    except owlready2.OwlReadyInconsistentOntologyError:
        return False, []
    unsatisfiable = sorted(c.iri for c in world.inconsistent_classes() if hasattr(c, "iri"))
    return True, unsatisfiable


def consistent_with(graph: Graph, data_ntriples: bytes) -> tuple[bool, str]:
    """Is the ontology plus these triples consistent?  HermiT (owlready2's copy) checks; returns (verdict, detail)."""
    import owlready2

    java = _java()
    classpath = Path(owlready2.__file__).parent / "hermit"
    with tempfile.TemporaryDirectory(prefix="trialkg-hermit-") as tmp:
        path = Path(tmp) / "all.nt"
        path.write_bytes(_reasoner_graph(graph).serialize(format="nt", encoding="utf-8") + data_ntriples)
        command = [java, f"-Xmx{owlready2.reasoning.JAVA_MEMORY}M", "-cp",
                   f"{classpath}{os.pathsep}{classpath / 'HermiT.jar'}",
                   "org.semanticweb.HermiT.cli.CommandLine", "-k", "--ignoreUnsupportedDatatypes", path.as_uri()]
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
    output = (proc.stdout + proc.stderr).strip()
    if proc.returncode == 0 and "is satisfiable" in output:
        return True, ""
    if "InconsistentOntologyException" in output or "is not satisfiable" in output:
        return False, "HermiT: the ontology plus the data is inconsistent"
    raise KGError(f"HermiT failed (exit {proc.returncode}): {output[-500:]}")


# -- the check -------------------------------------------------------------------------------------------
def check(inputs: Iterable[str | Path] = (), fmt: str | None = None, reason: bool = True) -> CheckReport:
    """Check the ontology and its coverage of what the project (and the mapped inputs) use."""
    start = time.perf_counter()
    report = CheckReport()
    files = ontology_files()
    report.files = [p.name for p in files]
    graph = load(files)
    report.triples = len(graph)
    declared = declarations(graph)
    report.classes = sum("class" in k for k in declared.values())
    report.properties = sum(bool(k & {"object property", "datatype property", "annotation property"})
                            for k in declared.values())
    report.individuals = sum("individual" in k for k in declared.values())
    report.undocumented = undocumented(graph)
    report.badly_declared = declaration_problems(graph)

    used = static_uses()
    data, mapped = map_records(inputs, fmt) if inputs else (b"", {})
    for iri, where in mapped.items():
        used.setdefault(iri, set()).update(where)
    report.used = len(used)
    report.undefined = {iri: sorted(where) for iri, where in used.items() if iri not in declared}

    if reason:
        try:
            report.consistent, report.unsatisfiable = classify(graph)
            if data and report.consistent:
                report.data_triples = data.count(b"\n")
                report.data_consistent, report.reasoner_note = consistent_with(graph, data)
        except ReasonerUnavailable as exc:
            report.reasoner_note = str(exc)
    report.seconds = time.perf_counter() - start
    return report


# -- conversion and documentation ------------------------------------------------------------------------
def rdfxml(path: Path) -> bytes:
    """The RDF/XML form of one Turtle ontology file, byte-for-byte the same on every run.

    Blank nodes get canonical labels (rdflib) and triples are written sorted
    (Oxigraph), so a regenerated file differs only where the ontology does.
    """
    from rdflib.compare import to_canonical_graph

    canonical = to_canonical_graph(load([path])).serialize(format="nt", encoding="utf-8")
    triples = sorted(ox.parse(canonical, format=ox.RdfFormat.N_TRIPLES), key=str)
    prefixes = dict(_PREFIX.findall(path.read_text(encoding="utf-8")))
    return ox.serialize(triples, format=ox.RdfFormat.RDF_XML, prefixes=prefixes)


def convert(out_dir: Path | None = None) -> list[Path]:
    """Write ``<name>.owl`` (RDF/XML) beside (or into out_dir for) every ontology Turtle file."""
    written = []
    for path in ontology_files():
        target = (out_dir or path.parent) / (path.stem + ".owl")
        target.write_bytes(rdfxml(path))
        written.append(target)
    return written


def docs(out_dir: Path) -> list[Path]:
    """HTML documentation: ``index.html`` (pyLODE) for classes and properties, ``individuals.html`` for the rest.

    pyLODE documents classes and properties but not named individuals, so the
    code-list values, registries, grounding methods and the instrument
    catalogue get a plain page of their own.
    """
    from pylode import OntPub

    out_dir.mkdir(parents=True, exist_ok=True)
    index = out_dir / "index.html"
    OntPub(ontology=str(resource_dir("ontology") / "trialkg.ttl")).make_html(destination=index)
    individuals = out_dir / "individuals.html"
    individuals.write_text(_individuals_html(load()), encoding="utf-8")
    return [index, individuals]


def _text(graph: Graph, node: URIRef, prop: URIRef) -> list[str]:
    return sorted(str(o) for o in graph.objects(node, prop))


def _individuals_html(graph: Graph) -> str:
    from html import escape

    by_class: dict[str, list[URIRef]] = {}
    for node in graph.subjects(RDF.type, OWL.NamedIndividual):
        if _ours(node):
            for cls in graph.objects(node, RDF.type):
                if _ours(cls):
                    by_class.setdefault(str(cls), []).append(node)
    parts = ["<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
             "<title>trialkg ontology: named individuals</title>",
             "<style>body{font-family:sans-serif;max-width:70em;margin:auto}td,th{border-bottom:1px solid #ccc;"
             "padding:.3em;vertical-align:top;text-align:left}table{border-collapse:collapse;width:100%}</style>",
             "</head><body><h1>trialkg ontology: named individuals</h1>",
             "<p>Code-list values, registries, grounding methods and outcome instruments. Classes and properties: "
             "<a href=\"index.html\">index.html</a>.</p>"]
    for cls in sorted(by_class, key=lambda c: _local(c)):
        label = (_text(graph, URIRef(cls), RDFS.label) or [_local(cls)])[0]
        parts.append(f"<h2 id=\"{escape(_local(cls))}\">{escape(label)} (<code>{escape(_curie(cls))}</code>)</h2>")
        parts.append("<table><tr><th>individual</th><th>label</th><th>definition</th><th>other labels</th>"
                     "<th>matches</th></tr>")
        for node in sorted(by_class[cls], key=str):
            matches = [f"<a href=\"{escape(m)}\">{escape(m)}</a>" for prop in (SKOS.exactMatch, SKOS.closeMatch,
                       SKOS.relatedMatch) for m in _text(graph, node, prop)]
            parts.append(
                f"<tr id=\"{escape(_local(str(node)))}\"><td><code>{escape(_curie(str(node)))}</code></td>"
                f"<td>{escape('; '.join(_text(graph, node, RDFS.label)))}</td>"
                f"<td>{escape(' '.join(_text(graph, node, SKOS.definition)))}</td>"
                f"<td>{escape('; '.join(_text(graph, node, SKOS.altLabel)))}</td><td>{'<br>'.join(matches)}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _local(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1]


def _curie(iri: str) -> str:
    if iri.startswith(TKG):
        return "tkg:" + iri[len(TKG):]
    if iri.startswith(INSTRUMENT):
        return "instrument:" + iri[len(INSTRUMENT):]
    return iri
