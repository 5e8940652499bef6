"""The ontology is the contract of the graph: it parses, reasons, documents and covers what is emitted.

HermiT needs Java: the tests that run it skip, saying so, where Java is missing.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import owlready2
import pytest
from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from kg import ontology
from kg.pipeline import build
from kg.rdf import INSTRUMENT, SCHEMA, TKG
from kg.store import Store

from .conftest import FIXTURES, run_cli

needs_java = pytest.mark.skipif(shutil.which(owlready2.JAVA_EXE) is None,
                                reason=f"Java ({owlready2.JAVA_EXE}) is not installed: HermiT cannot run")
GOLDEN_INPUTS = sorted(str(p) for p in FIXTURES.glob("*/*") if p.is_file() and not p.name.endswith(".expected.ttl"))


@pytest.fixture(scope="module")
def graph() -> Graph:
    return ontology.load()


@pytest.fixture(scope="module")
def sample(corpus: Path) -> list[str]:
    """50 CT.gov v2 records spread over the whole (topic-clustered) corpus."""
    files = sorted((corpus / "ctgov_v2").glob("*.json"))
    step = max(1, len(files) // 50)
    return [str(p) for p in files[::step][:50]]


def test_check_command_passes() -> None:
    proc = run_cli("ontology", "check", *GOLDEN_INPUTS)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ontology check: ok" in proc.stdout
    assert "0 undefined" in proc.stdout
    assert "0 terms lack" in proc.stdout


@needs_java
def test_hermit_finds_the_ontology_consistent_and_every_class_satisfiable(graph: Graph) -> None:
    consistent, unsatisfiable = ontology.classify(graph)
    assert consistent
    assert unsatisfiable == []


def test_every_term_is_declared_once_labelled_and_defined(graph: Graph) -> None:
    declared = ontology.declarations(graph)
    assert len(declared) > 400
    assert ontology.undocumented(graph) == []
    assert ontology.declaration_problems(graph) == []


def test_the_gap_checks_see_gaps() -> None:
    g = Graph()
    g.add((URIRef(TKG + "Bare"), RDF.type, OWL.Class))
    g.add((URIRef(TKG + "Bare"), RDFS.subClassOf, URIRef(TKG + "Undeclared")))
    g.add((URIRef(TKG + "Twice"), RDF.type, OWL.ObjectProperty))
    g.add((URIRef(TKG + "Twice"), RDF.type, OWL.DatatypeProperty))
    assert any("Bare: no rdfs:label@en and no skos:definition" in line for line in ontology.undocumented(g))
    problems = ontology.declaration_problems(g)
    assert any("Undeclared is used in the ontology but not declared" in p for p in problems)
    assert any("Twice is declared as datatype property and object property" in p for p in problems)


def test_every_iri_the_project_uses_is_defined(graph: Graph) -> None:
    used = ontology.static_uses()
    # each source is really scanned
    for local, where in (("StatusRecruiting", "mappings/ctgov/codes.tsv"), ("NCTNumber", "mappings/registries.tsv"),
                         ("ClinicalTrialsGov", "mappings/registries.tsv"), ("outcome", "shapes"),
                         ("MeshGrounding", "kg/mapper.py")):
        assert where in used[TKG + local]
    _, mapped = ontology.map_records(GOLDEN_INPUTS)
    used.update(mapped)
    undefined = sorted(set(used) - set(ontology.declarations(graph)))
    assert undefined == []


@pytest.mark.corpus
def test_every_iri_of_mapped_corpus_records_is_defined(graph: Graph, sample: list[str]) -> None:
    data, used = ontology.map_records(sample)
    assert data.count(b"\n") > 5000
    for local in ("overallStatus", "startDate", "startDateType", "conditionMention", "hasIdentifier", "AssignedByRegistry"):
        assert TKG + local in used
    assert sorted(set(used) - set(ontology.declarations(graph))) == []


@needs_java
@pytest.mark.corpus
@pytest.mark.slow
def test_fifty_mapped_trials_are_consistent_with_the_ontology(graph: Graph, sample: list[str]) -> None:
    data, _ = ontology.map_records(sample)
    assert ontology.consistent_with(graph, data) == (True, "")
    # the reasoner really reads the data: a person who is also a trial breaks the disjointness axioms
    person = re.search(rb"<([^>]+/person/1)>", data).group(1)
    clash = b"<" + person + b"> <" + str(RDF.type).encode() + b"> <" + (TKG + "ClinicalTrial").encode() + b"> .\n"
    verdict, detail = ontology.consistent_with(graph, data + clash)
    assert not verdict and "inconsistent" in detail


@pytest.mark.corpus
def test_sparql_finds_every_trial_as_a_schema_medical_trial(sample: list[str], tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    try:
        report = build(sample, store)
        assert report.loaded == len(sample)
        trials = {r[0].value for r in store.query("SELECT ?t WHERE { ?t a tkg:ClinicalTrial }")}
        medical = {r[0].value for r in store.query(
            f"SELECT DISTINCT ?t WHERE {{ ?t a/rdfs:subClassOf* <{SCHEMA}MedicalTrial> }}")}
    finally:
        store.close()
    assert len(trials) == len(sample)
    assert trials <= medical


def test_docs_list_every_class_property_and_individual(graph: Graph, tmp_path: Path) -> None:
    proc = run_cli("ontology", "docs", "-o", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    individuals = (tmp_path / "individuals.html").read_text(encoding="utf-8")
    declared = ontology.declarations(graph)
    for iri, kinds in declared.items():
        if kinds == {"individual"}:
            assert f'id="{re.split(r"[#/]", iri)[-1]}"' in individuals, f"{iri} is missing from individuals.html"
        else:  # pyLODE shows each class and property with its IRI (its anchors are sometimes made from labels)
            assert f"<code>{iri}</code>" in index, f"{iri} ({', '.join(kinds)}) is missing from index.html"


def test_rdfxml_copies_are_up_to_date() -> None:
    for ttl in ontology.ontology_files():
        owl = ttl.with_suffix(".owl")
        assert owl.is_file(), f"{owl.name} is missing: run `trialkg ontology convert`"
        fresh = ontology.rdfxml(ttl)
        if owl.read_bytes() != fresh:
            assert isomorphic(Graph().parse(owl, format="xml"), Graph().parse(ttl, format="turtle")), \
                f"{owl.name} is out of date: run `trialkg ontology convert`"


def test_alignments_and_key_axioms(graph: Graph) -> None:
    t = URIRef(TKG + "ClinicalTrial")
    assert (t, RDFS.subClassOf, URIRef(SCHEMA + "MedicalTrial")) in graph
    assert (URIRef(TKG + "InterventionalStudy"), RDFS.subClassOf, URIRef("http://purl.obolibrary.org/obo/OBI_0003699")) in graph
    assert (URIRef(TKG + "Person"), RDFS.subClassOf, URIRef(SCHEMA + "Person")) in graph
    assert (URIRef(TKG + "Organisation"), RDFS.subClassOf, URIRef(SCHEMA + "Organization")) in graph
    assert (URIRef(TKG + "healthCondition"), RDFS.subPropertyOf, URIRef(SCHEMA + "healthCondition")) in graph
    assert (URIRef(TKG + "Phase2"), SKOS.exactMatch, URIRef("http://purl.obolibrary.org/obo/NCIT_C15601")) in graph
    assert (URIRef(TKG + "RegistryIndexing"), RDF.type, OWL.Class) in graph
    assert (URIRef(TKG + "RegistryIndexing"), RDF.type, OWL.NamedIndividual) not in graph
    pattern = graph.value(URIRef(TKG + "NCTNumber"), URIRef(TKG + "idPattern"))
    assert re.match(str(pattern), "NCT03458156")
    xsd_duration = URIRef("http://www.w3.org/2001/XMLSchema#duration")
    assert graph.value(URIRef(TKG + "minimumAge"), RDFS.range) == xsd_duration


def test_instrument_labels_are_specific_and_unambiguous(graph: Graph) -> None:
    instruments = set(graph.subjects(RDF.type, URIRef(TKG + "Instrument")))
    assert len(instruments) >= 80
    owner: dict[str, URIRef] = {}
    for node in instruments:
        assert str(node).startswith(INSTRUMENT)
        labels = list(graph.objects(node, SKOS.prefLabel)) + list(graph.objects(node, SKOS.altLabel))
        assert len(list(graph.objects(node, SKOS.prefLabel))) == 1
        for label in labels:
            assert isinstance(label, Literal) and label.language == "en"
            key = str(label).casefold()
            assert owner.setdefault(key, node) == node, f"label {label!r} names {owner[key]} and {node}"
            # two-character labels only where kept on purpose (and noted)
            if len(key) <= 2:
                assert key in {"c3", "c4"}, f"{node}: label {label!r} is too short to match safely"
    # the spellings registries use for SLEDAI-2K are all there
    sledai = {str(x) for x in graph.objects(URIRef(INSTRUMENT + "SLEDAI-2K"), SKOS.altLabel)}
    assert {"SLEDAI 2000", "SLEDAI-2000", "SLE Disease Activity Index 2000"} <= sledai
