"""Legacy ClinicalTrials.gov XML: reading, agreement with API v2 JSON, safety, the whole corpus."""

from __future__ import annotations

from collections import Counter

import pytest

from kg.coverage import coverage
from kg.mapper import record_iri, trial_iri
from kg.model import Trial
from kg.readers import ctgov_xml, detect, read_records

from .conftest import FIXTURES

XML = FIXTURES / "ctgov-xml"


def _trial(name: str) -> Trial:
    (raw,) = list(read_records([XML / name]))
    assert raw.trial is not None, raw.error
    return raw.trial


def test_legacy_dates_become_iso_with_precision() -> None:
    assert ctgov_xml.parse_date("January 2017") == "2017-01"
    assert ctgov_xml.parse_date("January 15, 2017") == "2017-01-15"
    assert ctgov_xml.parse_date("March 03, 2023") == "2023-03-03"
    assert ctgov_xml.parse_date("Spring 2017") is None
    trial = _trial("NCT99999911.xml")
    assert (trial.dates["startDate"].value, trial.dates["startDate"].kind) == ("2019-01-15", "Actual")
    assert (trial.dates["primaryCompletionDate"].value, trial.dates["primaryCompletionDate"].kind) == ("2020-12", "Estimated")
    assert trial.dates["completionDate"].text == "March 2021"
    assert trial.export_date == "2023-03-07" and trial.version_date == "2022-03-01"


def test_display_values_map_to_the_v2_terms() -> None:
    trial = _trial("NCT99999911.xml")
    assert [p.term for p in trial.phases] == ["Phase2", "Phase3"]
    assert trial.overall_status.term == "StatusCompleted"
    assert {k: c.term for k, c in trial.design.items()} == {
        "allocation": "AllocationRandomized", "interventionModel": "ModelParallel",
        "primaryPurpose": "PurposeTreatment", "masking": "MaskingDouble"}
    assert [c.term for c in trial.who_masked] == ["MaskedParticipant", "MaskedInvestigator"]
    assert trial.eligibility.sex.term == "SexAll" and trial.eligibility.maximum_age == ""
    assert [(i.name, i.type.term) for i in trial.interventions] == [("Belimumab", "InterventionBiological"),
                                                                  ("Placebo", "InterventionDrug")]
    assert [(o.name, o.role, o.org_class.term) for o in trial.organisations] == [
        ("Example University Hospital", "ResponsibleOrganisationRole", "AgencyOther"),
        ("Example University Hospital", "LeadSponsorRole", "AgencyOther"),
        ("National Institute of Arthritis and Musculoskeletal and Skin Diseases (NIAMS)", "CollaboratorRole", "AgencyNIH")]
    assert [(i.value, i.scheme) for i in trial.ids] == [
        ("NCT99999911", "NCTNumber"), ("EXU-LN-02", "OrgStudyId"), ("2018-001234-56", "EudraCTNumber"),
        ("R01AR099999", "OtherIdentifier")]


def test_mesh_terms_are_looked_up_by_label() -> None:
    trial = _trial("NCT99999911.xml")
    assert [(g.descriptor, g.label) for g in trial.condition_mesh] == [("D008181", "Lupus Nephritis")]
    assert [(i.field, i.value) for i in trial.issues] == [("condition_browse/mesh_term", "Not A Descriptor Label"),
                                                          ("intervention_browse/mesh_term", "Belimumab")]


def test_results_like_the_json_reader() -> None:
    res = _trial("NCT99999911.xml").results
    assert (sum(res.started.values()), sum(res.completed.values())) == (40, 35)
    assert (res.serious_adverse_events, res.other_adverse_events) == (5, 22)
    (out,) = res.outcomes
    assert (out.kind, out.title, out.unit, out.param_type) == ("primary", "Complete Renal Response", "Participants",
                                                                "COUNT_OF_PARTICIPANTS")
    assert [(v.group, v.value) for v in out.values] == [("Belimumab", "9"), ("Placebo", "4")]


def test_pre_2017_layout() -> None:
    """Free-text study_design, 'Double Blind' counted as v2 does, first measure of a list skipped."""
    trial = _trial("NCT99999912.xml")
    assert trial.design["masking"].term == "MaskingTriple"
    assert sorted(c.term for c in trial.who_masked) == ["MaskedInvestigator", "MaskedOutcomesAssessor", "MaskedParticipant"]
    assert trial.design["allocation"].term == "AllocationRandomized" and trial.eligibility.sex.term == "SexAll"
    assert trial.dates["firstSubmittedDate"].value == "2009-03-03"
    assert trial.dates["lastUpdateSubmittedDate"].value == "2011-07-26"
    assert trial.enrollment_kind == "Estimated" and trial.last_known_status.term == "StatusActiveNotRecruiting"
    (out,) = trial.results.outcomes
    assert (out.unit, out.param_type, [(v.value, v.spread) for v in out.values]) == (
        "units on a scale", "LEAST_SQUARES_MEAN", [("-6.1", "0.43")])
    assert trial.issues == []


def test_unseen_value_is_kept_verbatim_with_an_issue() -> None:
    data = (XML / "NCT99999912.xml").read_bytes().replace(b"<phase>Phase 3</phase>", b"<phase>Phase 5</phase>")
    (raw,) = list(ctgov_xml.records(data, "x.xml"))
    assert [(p.text, p.term) for p in raw.trial.phases] == [("Phase 5", None)]
    assert [(i.field, i.value) for i in raw.trial.issues] == [("phase", "Phase 5")]


def test_bad_records_are_kept_with_reason() -> None:
    broken = b"<?xml version='1.0'?><clinical_study><id_info><nct_id>NCT1</nct_id></id_info>"
    (raw,) = list(ctgov_xml.records(broken, "broken.xml"))
    assert raw.trial is None and raw.error.startswith("invalid XML") and raw.data == broken
    no_id = b"<clinical_study><brief_title>No id</brief_title></clinical_study>"
    (raw,) = list(ctgov_xml.records(no_id, "noid.xml"))
    assert (raw.trial, raw.field, raw.error) == (None, "id_info/nct_id", "record has no NCT id")


def test_entities_are_not_resolved(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = (f'<?xml version="1.0"?><!DOCTYPE clinical_study [<!ENTITY x SYSTEM "file://{secret}">]>'
            "<clinical_study><id_info><nct_id>NCT99999913</nct_id></id_info><brief_title>&x;</brief_title>"
            "</clinical_study>").encode()
    (raw,) = list(ctgov_xml.records(data, "xxe.xml"))
    assert "TOP-SECRET" not in (raw.trial.brief_title if raw.trial else raw.error)


def test_detected_from_content() -> None:
    data = (XML / "NCT99999911.xml").read_bytes()
    assert detect(data, "anything.dat") is ctgov_xml
    assert not ctgov_xml.detect(b'{"protocolSection": {}}', "x.xml")


# --- the shared corpus -----------------------------------------------------------------------------------------

#: the three studies present in both corpus folders
SHARED = ("NCT00855582", "NCT02513394", "NCT03377387")
_LEGACY_GAPS = {  # the 2016 download has no posted or QC dates
    "date.firstPostedDate", "date.firstSubmittedQcDate", "date.lastUpdatePostedDate", "date.resultsFirstPostedDate",
    "date.resultsFirstSubmittedQcDate"}
#: fields that differ between the two copies, and why; anything else differing fails the test
EXPECTED_DIFFERENCES = {
    # same version (last update 2011 in both): only what the 2016 layout lacks
    "NCT00855582": _LEGACY_GAPS,
    # XML downloaded 2020 (last update 2020-03), JSON 2023 (last update 2023-06, results posted 2022)
    "NCT02513394": {"date.lastUpdatePostedDate", "date.lastUpdateSubmittedDate", "date.primaryCompletionDate",
                    "date.resultsFirstPostedDate", "date.resultsFirstSubmittedDate", "date.resultsFirstSubmittedQcDate",
                    "date.statusVerifiedDate", "outcomes", "results", "countries",
                    "intervention_mesh",  # Palbociclib is a supplementary concept (C500026): no offline label table
                    "sponsors"},  # legacy XML has no NETWORK agency class: "Other" where v2 says NETWORK
    # XML downloaded 2020 (recruiting), JSON 2023 (active, not recruiting, enrolment actual)
    "NCT03377387": {"date.completionDate", "date.lastUpdatePostedDate", "date.lastUpdateSubmittedDate",
                    "date.primaryCompletionDate", "date.statusVerifiedDate", "enrollment", "overall_status"},
}


def _view(t: Trial) -> dict[str, object]:
    """What both formats must agree on: identifiers, statuses, dates, design, conditions, MeSH, interventions, outcomes."""
    view: dict[str, object] = {
        "ids": sorted((i.value, i.scheme) for i in t.ids),
        "overall_status": t.overall_status and t.overall_status.term,
        "last_known_status": t.last_known_status and t.last_known_status.term,
        "study_type": t.study_type and t.study_type.term,
        "phases": sorted(p.term or p.text for p in t.phases),
        "enrollment": (t.enrollment, t.enrollment_kind),
        "who_masked": sorted(c.term for c in t.who_masked),
        "conditions": [c.text for c in t.conditions],
        "condition_mesh": sorted(g.descriptor for g in t.condition_mesh),
        "intervention_mesh": sorted(g.descriptor for g in t.intervention_mesh),
        "interventions": [(i.name, i.type and i.type.term, i.other_names, i.arm_labels) for i in t.interventions],
        "arms": [(a.label, a.type and a.type.term, a.intervention_names) for a in t.arms],
        "outcomes": [(o.kind, o.measure, o.time_frame) for o in t.outcomes],
        "sponsors": [(o.name, o.role, o.org_class and o.org_class.term) for o in t.organisations],
        "eligibility": t.eligibility and (t.eligibility.sex and t.eligibility.sex.term, t.eligibility.minimum_age,
                                          t.eligibility.maximum_age, t.eligibility.healthy_volunteers),
        "countries": t.countries,
        # retired pre-2017 flags are only in the legacy XML
        "flags": {k: v for k, v in t.flags.items() if k not in ("hasResults", "isFdaRegulated", "isSection801")},
        "results": t.results and (
            sum(t.results.started.values()), sum(t.results.completed.values()), t.results.serious_adverse_events,
            t.results.other_adverse_events,
            [(o.kind, o.title, o.unit, o.param_type, [(v.group, v.value, v.spread) for v in o.values])
             for o in t.results.outcomes]),
    }
    view.update({f"date.{k}": (d.value, d.kind) for k, d in t.dates.items()
                 if k != "lastUpdateSubmittedQcDate"})  # API v2 has no such date
    view.update({f"design.{k}": c.term for k, c in t.design.items()})
    return view


@pytest.mark.corpus
@pytest.mark.parametrize("nct", SHARED)
def test_json_and_xml_of_one_study_agree(corpus, nct: str) -> None:
    (j,) = [r.trial for r in read_records([corpus / "ctgov_v2" / f"{nct}.json"])]
    (x,) = [r.trial for r in read_records([corpus / "ctgov_xml" / f"{nct}.xml"])]
    assert trial_iri(j.trial_id) == trial_iri(x.trial_id)  # one trial node ...
    assert record_iri(j) != record_iri(x)  # ... described by two source records
    assert (j.record_format, x.record_format) == ("ctgov-json", "ctgov-xml")
    a, b = _view(j), _view(x)
    differences = {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}
    listing = "\n".join(f"{k}:\n  json {str(v[0])[:200]}\n  xml  {str(v[1])[:200]}" for k, v in differences.items())
    assert set(differences) == EXPECTED_DIFFERENCES[nct], listing


@pytest.mark.corpus
def test_every_corpus_record_is_read(corpus) -> None:
    raws = list(read_records([corpus / "ctgov_xml"]))
    assert len(raws) == 1068
    assert [r.error for r in raws if r.trial is None] == []
    assert all(r.trial.record_format == "ctgov-xml" for r in raws)
    with_results = sum(1 for r in raws if r.trial.results is not None)
    assert with_results == 524
    issues = Counter((i.field, i.value) if i.field == "study_type" else i.field for r in raws for i in r.trial.issues)
    # only MeSH terms without a 2026 descriptor label (supplementary concepts, renamed descriptors)
    # and the retired study type "N/A" are not mapped
    assert issues == {"intervention_browse/mesh_term": 299, "condition_browse/mesh_term": 15, ("study_type", "N/A"): 2}


@pytest.mark.corpus
def test_coverage_of_corpus(corpus) -> None:
    report = coverage([corpus / "ctgov_xml"], "ctgov-xml")
    assert report.unknown == 0, [p for p, (s, _, _) in report.paths.items() if s == "unknown"]
    protocol = [p for p in report.paths if not p.startswith("clinical_results")]
    mapped = [p for p in protocol if report.paths[p][0] == "mapped"]
    assert len(mapped) / len(protocol) >= 0.75


@pytest.mark.corpus
def test_mapped_fields_really_reach_the_graph(corpus) -> None:
    """Every value of an element or attribute the field map calls mapped shows up in the graph (as text, date or term).

    Results included: baseline measures, statistical analyses, adverse events per term, flow periods.
    """
    import pyoxigraph as ox
    from lxml import etree

    from kg.pipeline import record_quads
    from kg.resources import code_lists, read_tsv

    mapped = {row[0] for row in read_tsv("mappings", "ctgov-xml", "fields.tsv")
              if row[1] == "mapped" and not row[0].startswith("@")}
    terms: dict[str, set[str]] = {}
    for table in code_lists("ctgov-xml").values():
        for value, term in table.items():
            terms.setdefault(value, set()).add(term)
    derived = ("study_design", "study_design_info/masking", "phase", "required_header/download_date",
               "condition_browse/mesh_term", "intervention_browse/mesh_term", "responsible_party/responsible_party_type",
               "clinical_results/outcome_list/outcome/type")
    missing: dict[str, str] = {}
    for path in sorted((corpus / "ctgov_xml").glob("*.xml"))[::25]:
        data = path.read_bytes()
        trial = next(ctgov_xml.records(data, str(path))).trial
        quads = list(ox.parse(record_quads(trial).serialize().encode(), format=ox.RdfFormat.N_QUADS))
        texts = " | ".join(" ".join(q.object.value.split()) for q in quads if isinstance(q.object, ox.Literal))
        iris = {q.object.value for q in quads if isinstance(q.object, ox.NamedNode)}
        root = etree.fromstring(data)
        for el in root.iter():
            if not isinstance(el.tag, str):
                continue
            where = "/".join(a.tag for a in reversed(list(el.iterancestors())) if a is not root) + "/" + el.tag
            where = where.lstrip("/")
            leaves = [(f"{where}@{k}", v) for k, v in el.attrib.items()]
            if not len(el):
                leaves.append((where, el.text or ""))
            for where, value in leaves:
                value = " ".join(value.split())
                if where not in mapped or where.endswith(derived) or not value:
                    continue
                iso = ctgov_xml.parse_date(value)
                found = (value in texts or (iso and iso in texts) or ctgov_xml._v2_code(value) in texts
                         or any(i.rpartition("#")[2] in terms.get(value, ()) for i in iris)
                         or value in ("Yes", "No", "Accepts Healthy Volunteers", "N/A"))
                if not found:
                    missing.setdefault(where, f"{path.name}: {value[:60]}")
    assert not missing, "\n".join(f"{k}  <- {v}" for k, v in sorted(missing.items()))
