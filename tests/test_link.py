"""The link stage: MeSH grounding, instrument recognition, time points, eligibility, and what the mapper emits.

The two seed trials are read from the seed pages shipped in ``kg/examples`` by
the page readers; other trials are built here as :class:`~kg.model.Trial` objects.
"""

from __future__ import annotations

import pytest
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, XSD

from kg.link import eligibility, instruments, link_trial, mesh, timepoints
from kg.mapper import map_trial
from kg.model import Trial
from kg.readers import read_records

from .conftest import FIXTURES, ROOT, run_cli

TKG = Namespace("https://w3id.org/trialkg/ontology#")
MESH = Namespace("http://id.nlm.nih.gov/mesh/")
INS = Namespace("https://w3id.org/trialkg/instrument/")
CATALOGUE = FIXTURES / "instruments.ttl"
EXAMPLES = ROOT / "kg" / "examples"


@pytest.fixture
def catalogue(monkeypatch):
    """Link against the test instrument catalogue (the format of ontology/instruments.ttl)."""
    monkeypatch.setenv(instruments.INSTRUMENTS_ENV, str(CATALOGUE))
    return instruments.catalogue()


def seed(name: str) -> Trial:
    """A seed page (kg/examples) as its page reader gives it."""
    records = list(read_records([EXAMPLES / name]))
    assert len(records) == 1 and records[0].trial is not None, records[0].error
    return records[0].trial


def seed_nct03458156() -> Trial:
    """The "Clinical Trial Details" seed page: no condition listed, outcomes SLEDAI-2000, BILAG-2004, HAQ."""
    return seed("000_f7973cea2fe2d9e0.txt")


def seed_nct03219801() -> Trial:
    """The WHO ICTRP seed page: one condition, outcomes complement C3/C4, ESR, adverse reaction, CRP."""
    return seed("003_8668976acdc2ce5d.txt")


def graph_of(trial: Trial) -> Graph:
    """The union of the mapped record's named graph."""
    ds = Dataset()
    ds.parse(data=map_trial(trial).serialize(), format="nquads")
    g = Graph()
    for s, p, o, _ in ds.quads():
        g.add((s, p, o))
    return g


# -- MeSH -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, descriptor, method", [
    ("Lupus Erythematosus, Systemic", "D008180", "exact"),
    ("systemic lupus erythematosus", "D008180", "synonym"),
    ("SLE", "D008180", "synonym"),
    ("LN", "D008181", "synonym"),
    ("Lupus Nephritis", "D008181", "exact"),
    ("type 2 diabetes mellitus", "D003924", "synonym"),
    ("Diabetes Mellitus, Type 2", "D003924", "exact"),
    ("Leukemia, Myeloid, Acute", "D015470", "exact"),
    ("Myeloid Leukaemias", "D007951", "normalised"),
    ("Anaemia", "D000740", "normalised"),
    ("Obstructive Sleep Apnea", "D020181", "synonym"),
    ("Prostate Cancer", "D011471", "normalised"),
    ("Brain Tumours", "D001932", "normalised"),
    ("Herniated Discs", "D007405", "synonym"),
    ("Alzheimer's Disease", "D000544", "normalised"),
    ("Oesophageal Neoplasms", "D004938", "normalised"),
    ("Cancer of the Prostate", "D011471", "normalised"),
    ("Displacement of Intervertebral Disc", "D007405", "normalised"),
    ("Nonradiographic Axial Spondyloarthritis", "D000089202", "normalised"),
    ("Chronic Myelogenous Leukaemia", "D015464", "synonym"),
    ("Post-Op Complications", "D011183", "normalised"),
])
def test_mesh_grounding(text: str, descriptor: str, method: str) -> None:
    found = {g.descriptor: g for g in mesh.matcher().ground(text)}
    assert descriptor in found, found
    assert found[descriptor].method == method
    assert found[descriptor].label == mesh.matcher().labels[descriptor]
    assert 0 < found[descriptor].score <= 1


def test_mesh_longest_phrase_inside_longer_condition() -> None:
    found = {g.descriptor: g for g in mesh.matcher().ground("Erectile Dysfunction Following Radical Prostatectomy")}
    assert "D007172" in found  # Erectile Dysfunction
    assert "D011468" not in found  # Prostatectomy: a procedure named in the condition, not the condition
    whole = mesh.matcher().ground("Erectile Dysfunction")[0]
    assert found["D007172"].score < whole.score  # a phrase covering part of the text scores less


def test_mesh_condition_kind_from_the_label() -> None:
    m = mesh.Matcher(mesh.shipped_vocabulary(), learned=[], stop=set(), implied={}, nested_ok=set(), kinds={},
                     reject=set())
    assert m.kind("D003876") == "condition"  # Dermatitis, Atopic: the inverted heading's head word
    assert m.kind("D056128") == "condition"  # Obesity, Abdominal: its head names a condition (Obesity)
    assert m.kind("D001940") is None  # Breast
    assert [g.descriptor for g in m.ground("Abdominal Obesity", strict=True)] == ["D056128"]


def test_mesh_abbreviations_only_as_written() -> None:
    assert mesh.matcher().ground("lupus nephritis (LN)")[0].descriptor == "D008181"
    assert not [g for g in mesh.matcher().ground("sle") if g.descriptor == "D008180"]


def test_mesh_intervention_kind() -> None:
    found = {g.descriptor for g in mesh.matcher().ground("Mesenchymal Stem Cell Transplantation", kind="intervention")}
    assert "D045164" in found


def test_mesh_rejected_descriptor_only_for_conditions() -> None:
    vocab = mesh.shipped_vocabulary()
    m = mesh.Matcher(vocab, learned=[], stop=set(), implied={}, nested_ok={"D010003"}, reject={"D010003"})
    assert [g.descriptor for g in m.ground("Osteoarthritis, Knee")] == ["D020370"]  # not its parent Osteoarthritis
    assert not m.ground("Osteoarthritis")
    assert [g.descriptor for g in m.ground("Osteoarthritis", kind=None)] == ["D010003"]
    kept = mesh.Matcher(vocab, learned=[], stop=set(), implied={}, nested_ok={"D010003"}, reject=set())
    assert {g.descriptor for g in kept.ground("Osteoarthritis, Knee")} == {"D010003", "D020370"}


def _study(nct: str, conditions: list[str], meshes: list[tuple[str, str]]) -> dict:
    """A small CT.gov v2 study: its conditions and NLM's condition indexing."""
    return {"protocolSection": {"identificationModule": {"nctId": nct}, "conditionsModule": {"conditions": conditions}},
            "derivedSection": {"conditionBrowseModule": {"meshes": [{"id": i, "term": t} for i, t in meshes]}}}


def test_learners_reject_and_cross_validate() -> None:
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import learn_synonyms as ls

    # NLM indexes the bare condition "Pain" of these records as Chronic Pain, never as Pain
    pain = [_study(f"NCT0000000{i}", ["Pain"], [("D059350", "Chronic Pain")]) for i in range(4)]
    lupus = [_study(f"NCT0000001{i}", ["Lupus Nephritis"], [("D008181", "Lupus Nephritis")]) for i in range(4)]
    records = pain[:2] + lupus[:2] + pain[2:] + lupus[2:]  # each inner fold (every other record) has both kinds
    tables = ls.learn(records, [], ls.Params(reject_ratio=0.5))
    assert [(ui, right, wrong) for ui, right, wrong in tables.reject] == [("D010146", 0, 4)]
    m = tables.matcher(mesh.shipped_vocabulary())
    assert not m.ground("Pain", strict=True)
    assert [g.descriptor for g in m.ground("Lupus Nephritis", strict=True)] == ["D008181"]
    assert not ls.learn(records, [], ls.Params(reject_ratio=0.0)).reject
    # inner cross-validation: each fold learns the rejection from the other, so every prediction left is NLM's
    assert ls.cross_validate(records, [], ls.Params(reject_ratio=0.5)) == (1.0, 0.5, 4, 4, 8)
    assert ls.cross_validate(records, [], ls.Params()) == (0.5, 0.5, 4, 8, 8)


@pytest.mark.parametrize("name", ["mesh-desc-sample.xml", "mesh-sample.nt"])
def test_full_mesh_loaders(name: str) -> None:
    vocab = mesh.load_vocabulary(FIXTURES / name)
    assert vocab.labels["D008180"] == "Lupus Erythematosus, Systemic"
    assert "Libman-Sacks Disease" in vocab.entries["D008180"]
    assert "C17.300.480" in vocab.trees["D008180"]
    m = mesh.Matcher(vocab)
    assert [g.descriptor for g in m.ground("Libman-Sacks disease")] == ["D008180"]
    assert m.kind("D008180") == "condition" and m.kind("D045164") == "intervention"
    # tree numbers keep a procedure out of the conditions and in the interventions
    assert [g.descriptor for g in m.ground("MSC transplantation for Systemic Lupus Erythematosus")] == ["D008180"]
    assert [g.descriptor for g in m.ground("MSC transplantation", kind="intervention")] == ["D045164"]


def test_mesh_file_from_environment(monkeypatch) -> None:
    monkeypatch.setenv(mesh.MESH_ENV, str(FIXTURES / "mesh-desc-sample.xml"))
    proc = run_cli("mesh", "NIDDM", "Maturity-Onset Diabetes Mellitus", check=True)
    rows = [line.split("\t") for line in proc.stdout.splitlines()[1:]]
    assert [(r[0], r[1], r[3]) for r in rows] == [("NIDDM", "D003924", "synonym"),
                                                 ("Maturity-Onset Diabetes Mellitus", "D003924", "synonym")]


def test_mesh_command(tmp_path) -> None:
    proc = run_cli("mesh", "Obstructive Sleep Apnea", "Prostate Cancer", check=True)
    lines = proc.stdout.splitlines()
    assert lines[0] == "input\tdescriptor\tlabel\tmethod\tscore"
    assert "Obstructive Sleep Apnea\tD020181\tSleep Apnea, Obstructive\tsynonym\t0.950" in lines
    assert "Prostate Cancer\tD011471\tProstatic Neoplasms\tnormalised\t0.900" in lines
    listing = tmp_path / "conditions.txt"
    listing.write_text("SLE\n\nLupus Nephritis\n", encoding="utf-8")
    rows = run_cli("mesh", "--file", str(listing), check=True).stdout.splitlines()[1:]
    pairs = [tuple(r.split("\t")[:2]) for r in rows]
    assert pairs[0] == ("SLE", "D008180") and pairs[1] == ("Lupus Nephritis", "D008181")
    assert {p[0] for p in pairs} == {"SLE", "Lupus Nephritis"}  # the blank line is no input
    assert run_cli("mesh").returncode == 2


# -- instruments ------------------------------------------------------------------------------------------------

def test_instruments_several_in_one_outcome(catalogue) -> None:
    links = catalogue.find("The change of Complement levels(C3 and C4) in peripheral blood")
    assert [(x.instrument, x.matched_text) for x in links] == [(str(INS.ComplementC3), "C3"),
                                                              (str(INS.ComplementC4), "C4")]


def test_instruments_alt_labels_and_case(catalogue) -> None:
    assert [x.instrument for x in catalogue.find("SLEDAI 2000 score")] == [str(INS["SLEDAI-2K"])]
    assert [x.instrument for x in catalogue.find("Adverse Events")] == [str(INS.AdverseEvents)]
    assert catalogue.find("the c3 plant") == []  # capital-letter labels match only as written
    assert catalogue.find("HAQUE score") == []  # whole words only


def test_instruments_command() -> None:
    proc = run_cli("instruments", "--catalogue", str(CATALOGUE), "Erythrocyte sedimentation rate", "CRP and ESR",
                   check=True)
    rows = [line.split("\t") for line in proc.stdout.splitlines()[1:]]
    assert rows == [["Erythrocyte sedimentation rate", str(INS.ESR), "erythrocyte sedimentation rate",
                     "Erythrocyte sedimentation rate"],
                    ["CRP and ESR", str(INS.CRP), "C-reactive protein", "CRP"],
                    ["CRP and ESR", str(INS.ESR), "erythrocyte sedimentation rate", "ESR"]]


# -- time points ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, points", [
    ("changes of month 3, month 6, month 9 and month 12 after treatment", ["P3M", "P6M", "P9M", "P12M"]),
    ("Post cell transplantation: 1, 3, 6 months", ["P1M", "P3M", "P6M"]),
    ("Baseline and week 52", ["P0D", "P364D"]),
    ("up to 24 weeks", ["P168D"]),
    ("Day 1 through Day 28", ["P1D", "P28D"]),
    ("12 months", ["P12M"]),
    ("2 years", ["P2Y"]),
    ("24 hours", ["PT24H"]),
    ("Baseline, 6 wks, 3 and 6 mos, Annually thereafter", ["P0D", "P42D", "P3M", "P6M"]),
    ("weeks 4, 8 and 12", ["P28D", "P56D", "P84D"]),
    ("1.5 years", ["P18M"]),
    ("30 minutes after dosing", ["PT30M"]),
    ("Through study completion, an average of one year", ["P1Y"]),
    ("For duration of surgery", []),
])
def test_time_points(text: str, points: list[str]) -> None:
    assert timepoints.parse(text) == points


# -- eligibility ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("18 Years", "P18Y"), ("6 Months", "P6M"), ("N/A", ""), ("", ""), ("2 Weeks", "P14D"), ("30 Days", "P30D"),
    ("18", "P18Y"), ("18Y", "P18Y"), ("No limit", "")])
def test_age_durations(text: str, expected: str) -> None:
    assert eligibility.age_duration(text) == expected


def test_criteria_run_on_style() -> None:
    inc, exc = eligibility.split_criteria(
        "Inclusion criteria: 1) age 18-60; 2) SLE; 3) LVEF= 50%. Exclusion criteria: pregnancy; infection")
    assert [c.text for c in inc] == ["age 18-60", "SLE", "LVEF= 50%."]
    assert [c.ambiguous_relation for c in inc] == [False, False, True]
    assert [(c.order, c.text) for c in exc] == [(1, "pregnancy"), (2, "infection")]


def test_criteria_without_heading_and_real_relations() -> None:
    inc, exc = eligibility.split_criteria("* eGFR >= 30 mL/min\n* HbA1c ≥ 7%\n  continued on this line\n")
    assert [c.text for c in inc] == ["eGFR >= 30 mL/min", "HbA1c ≥ 7% continued on this line"]
    assert not any(c.ambiguous_relation for c in inc) and exc == []


# -- the seed trials, linked and mapped --------------------------------------------------------------------------

def test_seed_nct03458156_linked(catalogue) -> None:
    trial = seed_nct03458156()
    link_trial(trial)
    assert [(c.mesh[0].descriptor, c.inferred, c.mesh[0].method) for c in trial.conditions] == [
        ("D008180", True, "inferred"), ("D008181", True, "inferred")]
    assert [c.text for c in trial.conditions] == ["systemic lupus erythematosus", "lupus nephritis"]
    assert [[x.instrument for x in o.instruments] for o in trial.outcomes] == [
        [str(INS["SLEDAI-2K"])], [str(INS["BILAG-2004"])], [str(INS.HAQ)]]
    assert all(o.time_points == ["P3M", "P6M", "P9M", "P12M"] for o in trial.outcomes)
    el = trial.eligibility
    assert (el.minimum_age_duration, el.maximum_age_duration) == ("P18Y", "P60Y")
    # "24-hour urine protein = 1.0 g" and "SLEDAI scores = 10": the page lost the sign; kept and flagged
    assert [c.ambiguous_relation for c in el.inclusion] == [False, False, False, True, True, False, False]
    assert el.inclusion[1].text == "age 18-60 years."
    assert len(el.exclusion) == 7
    assert el.exclusion[0].text == "Poor blood pressure control by drug treatment (= 160/100 mmHg)"
    assert [c.ambiguous_relation for c in el.exclusion] == [True] + [False] * 6


def test_seed_nct03219801_linked_and_mapped(catalogue) -> None:
    trial = seed_nct03219801()
    link_trial(trial)
    assert [g.descriptor for g in trial.conditions[0].mesh] == ["D008180"]
    assert not trial.conditions[0].inferred
    linked = {x.instrument for o in trial.outcomes for x in o.instruments}
    assert linked == {str(INS[n]) for n in ("ComplementC3", "ComplementC4", "ESR", "CRP", "AdverseEvents")}
    assert all(o.time_points == ["P1M", "P3M", "P6M"] for o in trial.outcomes)
    el = trial.eligibility
    assert (el.minimum_age_duration, el.maximum_age_duration) == ("P14Y", "P60Y")
    assert [c.ambiguous_relation for c in el.inclusion] == [False, False, False, True, False, False, False]
    assert el.inclusion[3].text == "Left ventricular ejection fraction (LVEF)= 50%"
    assert el.inclusion[0].text.endswith("American College of Rheumatology(ACR) according to established criteria "
                                         "in 1997")  # a line broken inside an item is joined back
    assert len(el.exclusion) == 8

    g = graph_of(trial)
    t = URIRef("https://w3id.org/trialkg/trial/NCT03219801")
    out = URIRef(f"{t}/outcome/primary/1")
    assert set(g.objects(out, TKG.usesInstrument)) == {INS.ComplementC3, INS.ComplementC4}
    matched = {str(o) for m in g.objects(out, TKG.instrumentMention) for o in g.objects(m, TKG.matchedText)}
    assert matched == {"C3", "C4"}
    durations = {o for tp in g.objects(out, TKG.timePoint) for o in g.objects(tp, TKG.duration)}
    assert durations == {Literal(d, datatype=XSD.duration) for d in ("P1M", "P3M", "P6M")}
    node = URIRef(f"{t}/eligibility")
    assert g.value(node, TKG.minimumAge) == Literal("P14Y", datatype=XSD.duration)
    assert g.value(node, TKG.maximumAge) == Literal("P60Y", datatype=XSD.duration)
    crit = URIRef(f"{node}/inclusion/4")
    assert (node, TKG.inclusionCriterion, crit) in g and (crit, RDF.type, TKG.InclusionCriterion) in g
    assert g.value(crit, TKG.criterionText) == Literal("Left ventricular ejection fraction (LVEF)= 50%")
    assert g.value(crit, TKG.ambiguousRelation) == Literal(True)
    assert (URIRef(f"{node}/exclusion/1"), RDF.type, TKG.ExclusionCriterion) in g
    cond = URIRef(f"{t}/condition/1")
    assert (cond, TKG.groundedTo, MESH.D008180) in g
    grounding = g.value(cond, TKG.grounding)
    assert g.value(grounding, TKG.groundingMethod) == TKG.SynonymMatch


def test_inferred_conditions_are_marked_in_the_graph(catalogue) -> None:
    trial = seed_nct03458156()
    link_trial(trial)
    g = graph_of(trial)
    t = URIRef("https://w3id.org/trialkg/trial/NCT03458156")
    conds = list(g.objects(t, TKG.conditionMention))
    assert len(conds) == 2 and all(g.value(c, TKG.inferred) == Literal(True) for c in conds)
    assert {g.value(g.value(c, TKG.grounding), TKG.groundingMethod) for c in conds} == {TKG.InferredFromText}
    assert {MESH.D008180, MESH.D008181} <= set(g.objects(t, TKG.healthCondition))


def test_seeds_with_the_shipped_catalogue(monkeypatch) -> None:
    monkeypatch.delenv(instruments.INSTRUMENTS_ENV, raising=False)
    assert instruments.catalogue_path() == ROOT / "ontology" / "instruments.ttl"
    who, ctgov = seed_nct03219801(), seed_nct03458156()
    link_trial(who)
    link_trial(ctgov)
    local = {x.instrument.rsplit("/", 1)[1] for o in who.outcomes for x in o.instruments}
    assert local == {"complement-C3", "complement-C4", "ESR", "CRP", "adverse-events"}  # "adverse reaction" too
    assert [[x.instrument.rsplit("/", 1)[1] for x in o.instruments] for o in ctgov.outcomes] == [
        ["SLEDAI-2K"], ["BILAG-2004"], ["HAQ-DI"]]
