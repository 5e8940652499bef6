"""The shapes and the two validation engines: valid SHACL, in step with the code lists, same results, fast."""

from __future__ import annotations

import json
import re
import time

import pyshacl
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH

from kg.mapper import record_iri
from kg.pipeline import record_quads
from kg.readers import read_records
from kg.resources import code_lists, read_tsv, resource_dir
from kg.validate import compiled_plan, shapes_graph, validate_records

from .conftest import FIXTURES, run_cli
from .test_bad_input import Build, dumps, study

TKG = "https://w3id.org/trialkg/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"

#: code list -> the trial property whose sh:in it fills
CODED = {"status": "overallStatus", "study_type": "studyType", "phase": "phase", "allocation": "allocation",
         "intervention_model": "interventionModel", "primary_purpose": "primaryPurpose",
         "observational_model": "observationalModel", "time_perspective": "timePerspective", "masking": "masking",
         "who_masked": "whoMasked", "ipd_sharing": "ipdSharing", "ipd_info_type": "ipdInfoType",
         "biospec_retention": "biospecRetention", "agency_class": "agencyClass", "arm_type": "armType",
         "intervention_type": "interventionType", "sex": "sex", "std_age": "ageGroup",
         "sampling_method": "samplingMethod"}


def test_shapes_are_valid_shacl() -> None:
    conforms, _, text = pyshacl.validate(shapes_graph(), shacl_graph=shapes_graph(), meta_shacl=True)
    assert conforms, text


def test_every_property_shape_has_a_severity_and_a_message() -> None:
    g = shapes_graph()
    for shape in set(g.objects(None, SH.property)) | set(g.objects(None, SH.sparql)):
        assert g.value(shape, SH.severity) in (SH.Violation, SH.Warning, SH.Info)
        message = str(g.value(shape, SH.message) or "")
        assert message[:1].isupper() and message.endswith("."), message


def _in_lists(path: str) -> list[set[str]]:
    g = shapes_graph()
    return [{str(m) for m in Collection(g, lst)} for ps in g.subjects(SH.path, URIRef(TKG + path))
            for lst in g.objects(ps, SH["in"])]


TABLES = sorted(p.parent.name for p in resource_dir("mappings").glob("*/codes.tsv"))


@pytest.mark.parametrize("code_list,prop", sorted(CODED.items()))
def test_value_lists_match_the_code_tables(code_list, prop) -> None:
    ctgov = {TKG + term for term in code_lists("ctgov")[code_list].values()}
    every = {TKG + term for table in TABLES for terms in code_lists(table).get(code_list, {}).values()
             for term in terms.split()}
    lists = _in_lists(prop)
    assert lists and all(ctgov <= allowed for allowed in lists)
    assert all(every <= allowed for allowed in lists), \
        f"sh:in of tkg:{prop} lacks terms of code list {code_list}: {sorted(every - lists[0])} (run shapes/generate.py)"


def test_grounding_methods_match_the_mapper() -> None:
    from kg.mapper import _METHODS

    assert _in_lists("groundingMethod") == [{TKG + m for m in _METHODS.values()}]


def test_identifier_patterns_match_the_registry_table() -> None:
    g = shapes_graph()
    table: dict[str, list[str]] = {}
    for scheme, _registry, pattern, *_ in read_tsv("mappings", "registries.tsv"):
        table.setdefault(scheme, []).append(pattern)
    for scheme, patterns in table.items():
        found = {str(p) for shape in g.subjects(SH.targetClass, URIRef(TKG + scheme))
                 for ps in g.objects(shape, SH.property) for p in g.objects(ps, SH.pattern)}
        assert found == {patterns[0] if len(patterns) == 1 else "|".join(f"(?:{p})" for p in patterns)}, scheme


def test_every_class_the_mapper_emits_has_a_shape(corpus) -> None:
    targets = {t for shape in compiled_plan().shapes for t in shape.targets}
    emitted = set()
    for raw in read_records([corpus / "ctgov_v2"]):
        emitted |= set(re.findall(r"<http://www\.w3\.org/1999/02/22-rdf-syntax-ns#type> <([^>]+)>",
                                  record_quads(raw.trial).serialize()))
    assert emitted - targets <= {"http://www.w3.org/ns/prov#Entity"}


# -- the engines agree -------------------------------------------------------------

def _graph(nct: str, extra: list[tuple[str, str, str]] = (), drop: tuple[str, ...] = ()) -> tuple[str, str]:
    """A fixture trial's graph, with statements dropped (by property) and added (``(s, p, o)`` N-Triples terms)."""
    raw = next(read_records([FIXTURES / "ctgov-json" / "NCT99999901.json"]))
    raw.trial.trial_id = raw.trial.record_id = raw.trial.ids[0].value = nct
    graph = record_iri(raw.trial)
    lines = [line for line in record_quads(raw.trial).serialize().splitlines(keepends=True)
             if not any(f"<{TKG}{p}>" in line for p in drop)]
    t = f"https://w3id.org/trialkg/trial/{nct}"
    for s, p, o in extra:
        lines.append(f"{s.replace('$T', t)} <{p}> {o.replace('$T', t)} <{graph}> .\n")
    return graph, "".join(lines)


def broken_graphs() -> dict[str, str]:
    """One graph per kind of constraint, each breaking it."""
    t, loc, label = "<$T>", "<$T/location/1>", "http://www.w3.org/2000/01/rdf-schema#label"
    rdf_type, out, crit = str(RDF.type), "<$T/outcome/primary/1>", "<$T/eligibility/inclusion/99>"
    tp1, tp2 = "<$T/outcome/primary/1/time/98>", "<$T/outcome/primary/1/time/99>"
    cases = [
        ("NCT90000001", [(t, TKG + "enrollment", f'"1.5"^^<{XSD}integer>')], ()),            # ill-typed + maxCount
        ("NCT90000002", [(t, TKG + "startDate", f'"2020-13-45"^^<{XSD}date>')], ("startDate",)),  # sh:or, pattern
        ("NCT90000003", [(t, TKG + "hasResults", '"yes"')], ("hasResults",)),                 # datatype boolean
        ("NCT90000004", [(t, label, '"Titre"@fr')], ()),                                       # langString, maxCount
        ("NCT90000005", [(t, TKG + "overallStatus", f"<{TKG}StatusBogus>")], ("overallStatus",)),  # sh:in
        ("NCT90000006", [(t, TKG + "arm", f"<{TKG}NotAnArm>")], ()),                           # sh:class
        ("NCT90000007", [(t, TKG + "outcome", '"an outcome"')], ()),                           # sh:nodeKind
        ("NCT90000008", [], ("sourceRecord", "outcome")),                                      # minCount
        ("NCT90000009", [(loc, TKG + "latitude", f'"123.5"^^<{XSD}decimal>'),
                         (loc, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", f"<{TKG}Location>"),
                         (t, TKG + "location", loc)], ()),                                     # range
        ("NCT90000010", [(t, TKG + "primaryCompletionDate", f'"2001-01"^^<{XSD}gYearMonth>')],
         ("primaryCompletionDate",)),                                                          # SPARQL
        ("NCT90000011", [("<$T/eligibility>", TKG + "criteriaText", '"' + "y" * 100_001 + '"')],
         ("criteriaText",)),                                                                   # maxLength
        ("NCT9000001", [], ()),                                                                # pattern (id)
        ("NCT90000012", [(t, TKG + "enrollment", f'"-3"^^<{XSD}integer>')], ("enrollment",)),  # minInclusive
        ("NCT90000013", [(out, TKG + "timePoint", tp1), (tp1, rdf_type, f"<{TKG}TimePoint>"),
                         (tp1, TKG + "duration", f'"twelve weeks"^^<{XSD}duration>'),
                         (tp1, TKG + "order", f'"0"^^<{XSD}integer>'),
                         (out, TKG + "timePoint", tp2), (tp2, rdf_type, f"<{TKG}TimePoint>"),
                         (tp2, TKG + "duration", f'"P12W"^^<{XSD}duration>')], ()),               # linked parts
        ("NCT90000014", [("<$T/eligibility>", TKG + "inclusionCriterion", crit),
                         (crit, rdf_type, f"<{TKG}InclusionCriterion>"),
                         (crit, TKG + "ambiguousRelation", '"maybe"')], ()),
    ]
    return dict(_graph(nct, extra, drop) for nct, extra, drop in cases)


def _keys(findings: dict) -> set[tuple]:
    return {f.key()[1:] for found in findings.values() for f in found}


def test_engines_agree_on_broken_graphs() -> None:
    graphs = broken_graphs()
    compiled = validate_records(graphs)
    reference = validate_records(graphs, "pyshacl")
    assert _keys(compiled) == _keys(reference)
    # every broken graph breaks something, and the results name its record
    assert all(compiled[g] for g in graphs)
    assert {f.graph for found in compiled.values() for f in found} == set(graphs)
    messages = {f.message for found in compiled.values() for f in found}
    assert "The primary completion date is before the start date." in messages
    assert "The latitude must be one decimal between -90 and 90." in messages
    assert "A criterion needs exactly one text." in messages
    assert not [f for found in compiled.values() for f in found if f.value == "P12W"]  # ISO weeks read as rdflib does


@pytest.mark.corpus
def test_engines_agree_on_the_corpus(corpus) -> None:
    quads = {record_iri(raw.trial): record_quads(raw.trial) for raw in list(read_records([corpus / "ctgov_v2"]))[:250]}
    graphs = {graph: q.serialize() for graph, q in quads.items()}
    compiled = validate_records(graphs)
    assert _keys(compiled) == _keys(validate_records(graphs, "pyshacl"))
    assert validate_records(quads) == compiled  # the mapper's statements, as the build hands them over


@pytest.mark.corpus
def test_compiled_throughput(corpus, capsys) -> None:
    graphs = list({record_iri(raw.trial): record_quads(raw.trial).serialize()
                   for raw in read_records([corpus / "ctgov_v2"])}.items())
    compiled_plan()
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(graphs), 250):
        validate_records(dict(graphs[i:i + 250]))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    with capsys.disabled():
        print(f"\ncompiled validation: {len(graphs)} records in {wall:.2f} s wall "
              f"({len(graphs) / wall:.0f} records/s), "
              f"{cpu:.2f} s CPU ({len(graphs) / cpu:.0f} records/s)")
    assert len(graphs) / cpu > 300  # a loose floor for busy CI machines; the aim is 1,000 and more


# -- the report --------------------------------------------------------------------

def test_validate_report_groups_by_shape_and_field(tmp_path) -> None:
    for nct, extra in (("NCT10000201", {}), ("NCT10000202", {"outcomesModule": {}}),
                       ("NCT10000203", {"outcomesModule": {}})):
        (tmp_path / f"{nct}.json").write_bytes(dumps(study(nct, **extra)))
    store = tmp_path / "s"
    Build(store, str(tmp_path))
    proc = run_cli("validate", "--store", str(store))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("validate: 3 records validated: 0 with violations, 0 unreadable; 0 violations, "
                               "2 warnings, 0 infos (compiled engine: ")
    assert lines[2] == "Warning  ClinicalTrialShape / outcome: 2 results in 2 records"
    assert lines[3] == "  The record lists no outcome measure.  [2]"
    assert lines[4:6] == ["    NCT10000202  outcome = (no single value)  (https://w3id.org/trialkg/trial/NCT10000202)",
                          "    NCT10000203  outcome = (no single value)  (https://w3id.org/trialkg/trial/NCT10000203)"]
    as_json = json.loads(run_cli("validate", "--store", str(store), "--format", "json").stdout)
    assert as_json["conforms"] is True and as_json["counts"] == {"Violation": 0, "Warning": 2, "Info": 0}
    assert as_json["groups"] == [{"severity": "Warning", "shape": "ClinicalTrialShape", "field": "outcome",
                                  "results": 2, "records": 2}]
    report = tmp_path / "report.ttl"
    run_cli("validate", "--store", str(store), "--format", "ttl", "--report", str(report), check=True)
    ttl = Graph().parse(report)
    assert (None, SH.conforms, Literal(True)) in ttl and len(set(ttl.subjects(RDF.type, SH.ValidationResult))) == 2


def test_validate_files_with_violations_exits_1(tmp_path) -> None:
    bad = study("NCT10000211")
    bad["protocolSection"]["statusModule"]["completionDateStruct"] = {"date": "2010-02-03"}
    (tmp_path / "bad.json").write_bytes(dumps(bad))
    (tmp_path / "broken.json").write_bytes(b"{")
    proc = run_cli("validate", str(tmp_path / "bad.json"), str(tmp_path / "broken.json"), "--format", "json")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    out = json.loads(proc.stdout)
    assert out["conforms"] is False and len(out["unreadable"]) == 1
    assert [(r["record"], r["severity"], r["field"], r["value"], r["message"]) for r in out["results"]] == [
        ("NCT10000211", "Violation", "", "2010-02-03", "The completion date is before the start date.")]
