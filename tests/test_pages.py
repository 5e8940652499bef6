"""The saved registry web-page readers: ctgov-page ("Clinical Trial Details") and who-page (WHO ICTRP).

Facts are checked against the seed pages as shipped in kg/examples, on the
Trial and in the mapped N-Quads; damaged pages must come back as records with
a clear error, never as exceptions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.coverage import coverage
from kg.pipeline import build, record_quads
from kg.rdf import TKG, XSD
from kg.readers import ctgov_page, detect, read_records, who_page
from kg.readers._page import Codes, design_parts, parse_date
from kg.store import Store

from .conftest import FIXTURES, ROOT, run_cli

EXAMPLES = ROOT / "kg" / "examples"
CTGOV_SEED = EXAMPLES / "000_f7973cea2fe2d9e0.txt"
WHO_SEED = EXAMPLES / "003_8668976acdc2ce5d.txt"
T = "https://w3id.org/trialkg/trial/"


def one(path: Path, fmt: str | None = None):
    records = list(read_records([path], fmt))
    assert len(records) == 1
    assert records[0].trial is not None, records[0].error
    return records[0].trial


@pytest.fixture
def ctgov():
    return one(CTGOV_SEED)


@pytest.fixture
def who():
    return one(WHO_SEED)


# -- detection -------------------------------------------------------------

def test_each_seed_page_is_detected_as_its_own_format():
    assert detect(CTGOV_SEED.read_bytes(), CTGOV_SEED.name) is ctgov_page
    assert detect(WHO_SEED.read_bytes(), WHO_SEED.name) is who_page
    assert detect(b'{"protocolSection": {}}', "x.json") is not ctgov_page
    assert not who_page.detect(CTGOV_SEED.read_bytes(), "")
    assert not ctgov_page.detect(WHO_SEED.read_bytes(), "")


# -- the ClinicalTrials.gov page ---------------------------------------------

def test_ctgov_identity_status_and_phase(ctgov):
    assert (ctgov.trial_id, ctgov.registry, ctgov.record_format, ctgov.record_id) == \
        ("NCT03458156", "ClinicalTrialsGov", "ctgov-page", "NCT03458156")
    assert [(i.value, i.scheme) for i in ctgov.ids] == [("NCT03458156", "NCTNumber"), ("DalianMU_JL_002", "OrgStudyId")]
    assert ctgov.overall_status.term == "StatusActiveNotRecruiting"
    assert [p.term for p in ctgov.phases] == ["PhaseNotApplicable"]
    assert ctgov.study_type.term == "Interventional"
    assert ctgov.flags == {"isFdaRegulated": False}
    assert "healthAuthority" not in ctgov.texts  # a bare label is no value
    assert not ctgov.people  # "Contact n/a"
    assert ctgov.issues == []


def test_ctgov_dates_keep_their_precision_and_estimation(ctgov):
    d = ctgov.dates
    assert (d["startDate"].value, d["startDate"].kind) == ("2017-01", None)
    assert (d["completionDate"].value, d["completionDate"].kind) == ("2020-01", "Estimated")
    assert (d["primaryCompletionDate"].value, d["primaryCompletionDate"].kind) == ("2019-09", "Estimated")
    assert d["firstSubmittedDate"].value == "2018-02-07"
    assert d["lastUpdateSubmittedDate"].value == "2018-03-08"
    assert d["statusVerifiedDate"].value == "2018-03"
    assert ctgov.version_date == "2018-03-08"
    nq = record_quads(ctgov).serialize()
    assert f'<{T}NCT03458156> <{TKG}startDate> "2017-01"^^<{XSD}gYearMonth>' in nq
    assert f'<{T}NCT03458156> <{TKG}firstSubmittedDate> "2018-02-07"^^<{XSD}date>' in nq
    assert f'<{T}NCT03458156> <{TKG}completionDateType> <{TKG}Estimated>' in nq


def test_ctgov_eligibility_summary_and_sponsor(ctgov):
    el = ctgov.eligibility
    assert (el.minimum_age, el.maximum_age, el.sex.term, el.healthy_volunteers) == \
        ("18 Years", "60 Years", "SexAll", False)
    assert el.criteria.startswith("Inclusion Criteria:\n\n- Meeting the 1997 American College of Rheumatology")
    assert "Exclusion Criteria:" in el.criteria and el.criteria.endswith("make their partners pregnant.")
    assert ctgov.enrollment == 30
    assert ctgov.brief_summary.startswith("To investigate the safety and efficacy")
    assert ctgov.detailed_description.endswith("but drug side effects are obvious.")
    roles = {(o.name, o.role) for o in ctgov.organisations}
    assert roles == {("The First Affiliated Hospital of Dalian Medical University", "LeadSponsorRole"),
                     ("The First Affiliated Hospital of Dalian Medical University", "ResponsibleOrganisationRole")}
    assert ctgov.conditions == []  # the page lists none; inferring them is not the reader's job


def test_ctgov_interventions_with_types_and_descriptions(ctgov):
    got = [(i.name, i.type.term, i.description[:40]) for i in ctgov.interventions]
    assert got == [("SLE group", "InterventionBiological", "The patients will be assigned to systemi"),
                   ("LN group", "InterventionBiological", "The patients will be assigned to lupus n"),
                   ("the control group", "InterventionOther", "The patients will be assigned to the con")]


def test_ctgov_outcome_rows_split_into_measure_description_time_frame(ctgov):
    frame = "changes of month 3, month 6, month 9 and month 12 after treatment"
    assert [(o.kind, o.measure, o.time_frame) for o in ctgov.outcomes] == [
        ("primary", "SLEDAI-2000 score", frame), ("secondary", "BILAG-2004 score", frame),
        ("secondary", "Health Assessment Questionnaire (HAQ) score", frame)]
    assert ctgov.outcomes[0].description.startswith("The SLEDAI 2000 is a novel index")
    assert ctgov.outcomes[0].description.endswith("reflecting disease activity overall.")
    assert ctgov.outcomes[2].description.endswith("pain visual analog scales (VAS).")


def test_ctgov_see_also_list_becomes_twenty_related_trials(ctgov):
    rel = {r.trial_id: r for r in ctgov.related}
    assert len(ctgov.related) == 20
    assert all(r.status and r.status.term and r.phases and all(p.term for p in r.phases) for r in ctgov.related)
    r = rel["NCT00368264"]
    assert (r.title, r.status.term, [p.term for p in r.phases]) == (
        "TNF Blockade With Remicade in Active Lupus Nephritis WHO Class V (TRIAL )", "StatusTerminated",
        ["Phase2", "Phase3"])
    assert [p.term for p in rel["NCT00094380"].phases] == ["Phase1", "Phase2"]
    assert rel["NCT06429800"].status.term == "StatusNotYetRecruiting"
    assert rel["NCT03859570"].status.term == "StatusWithdrawn"
    assert [p.term for p in rel["NCT01470183"].phases] == ["PhaseNotApplicable"]
    nq = record_quads(ctgov).serialize()
    assert f'<{T}NCT03458156> <{TKG}relatedTrial> <{T}NCT00368264>' in nq
    n = [r.trial_id for r in ctgov.related].index("NCT00368264") + 1
    assert f'<{T}NCT03458156/related/{n}> <{TKG}mentionedTrial> <{T}NCT00368264>' in nq
    assert f'<{T}NCT03458156/related/{n}> <{TKG}phase> <{TKG}Phase3>' in nq
    assert f'<{T}NCT00368264> <{TKG}phase>' not in nq  # the page's view stays on the mention


def test_ctgov_title_less_page_is_labelled_by_its_id(ctgov):
    nq = record_quads(ctgov).serialize()
    assert f'<{T}NCT03458156> <http://www.w3.org/2000/01/rdf-schema#label> "NCT03458156"' in nq


def test_ctgov_variant_with_conditions_locations_and_two_sponsors():
    t = one(FIXTURES / "ctgov-page" / "variant-conditions-sponsors.txt")
    assert [c.text for c in t.conditions] == ["Rheumatoid Arthritis", "Arthritis"]
    assert [(loc.country, loc.facility, loc.city, loc.state) for loc in t.locations] == [
        ("Italy", "Ospedale San Raffaele", "Milano", "Lombardia"),
        ("Spain", "Hospital Clinic", "Barcelona", "Catalonia")]
    assert t.countries == ["Italy", "Spain"]
    assert [(o.name, o.role) for o in t.organisations if o.role != "ResponsibleOrganisationRole"] == [
        ("Acme Research Institute", "LeadSponsorRole"), ("Beta Pharma", "CollaboratorRole")]
    assert [p.term for p in t.phases] == ["Phase2", "Phase3"]
    assert {k: v.term for k, v in t.design.items()} == {
        "allocation": "AllocationRandomized", "interventionModel": "ModelParallel", "masking": "MaskingDouble",
        "primaryPurpose": "PurposeTreatment"}
    assert [w.term for w in t.who_masked] == ["MaskedParticipant", "MaskedInvestigator"]
    assert (t.enrollment, t.enrollment_kind) == (120, "Estimated")
    assert t.dates["startDate"].kind == "Estimated"
    assert (t.eligibility.minimum_age, t.eligibility.maximum_age) == ("18 Years", "")
    p = t.people[0]
    assert (p.name, p.degree, p.email, p.phone) == ("Maria Rossi", "MD", "maria.rossi@example.org", "+39 02 1234 5678")
    assert t.ids[2].scheme == "EudraCTNumber"
    assert [(o.kind, o.measure, o.time_frame) for o in t.outcomes] == [
        ("primary", "ACR20 response", "week 24"), ("secondary", "DAS28-CRP change", "baseline and week 24"),
        ("other", "Adverse events", "up to 28 weeks")]
    assert [(r.trial_id, r.phases) for r in t.related][1] == ("NCT00000002", [])


# -- the WHO ICTRP page ------------------------------------------------------

def test_who_main_items(who):
    assert (who.trial_id, who.registry, who.record_format) == ("NCT03219801", "ClinicalTrialsGov", "who-page")
    assert who.version_date == "2017-12-16"  # "Last refreshed on"
    assert who.dates["registrationDate"].value == "2017-07-10"  # 10/07/2017 is day first
    assert who.dates["startDate"].value == "2017-08-01"
    assert who.flags["prospectiveRegistration"] is True
    assert who.url == "https://clinicaltrials.gov/show/NCT03219801"
    assert who.brief_title.startswith("Umbilical Cord Derived Mesenchymal Stem Cells")
    assert who.official_title.startswith("Evaluation of Safety and Efficacy")
    assert (who.enrollment, who.overall_status.term, who.study_type.term) == \
        (10, "StatusNotYetRecruiting", "Interventional")
    assert [p.term for p in who.phases] == ["PhaseEarly1"]
    assert {k: v.term for k, v in who.design.items()} == {
        "interventionModel": "ModelSingleGroup", "primaryPurpose": "PurposeTreatment", "masking": "MaskingNone"}
    assert who.texts == {"register": "ClinicalTrials.gov",
                         "sourceOfMonetarySupport": "Please refer to primary and secondary sponsors"}
    assert [(o.name, o.role) for o in who.organisations] == [("Hebei Medical University", "LeadSponsorRole")]
    assert [(i.value, i.scheme) for i in who.ids] == [
        ("NCT03219801", "NCTNumber"), ("17277787D-SLE", "OtherIdentifier")]
    assert who.countries == ["China"]
    assert [c.text for c in who.conditions] == ["Systemic Lupus Erythematosus"]
    assert [(i.name, i.type.term) for i in who.interventions] == [("mesenchymal stem cells", "InterventionBiological")]
    assert who.issues == []
    assert not any(k.startswith("results") for k in (*who.texts, *who.flags, *who.dates))  # empty results fields


def test_who_twelve_contacts_with_degrees_and_affiliations(who):
    assert len(who.people) == 12
    assert all(p.role == "ContactRole" for p in who.people)
    assert [(p.name, p.degree) for p in who.people[:4]] == [
        ("Baoyong Yan", "Doctor"), ("Xianyun Wang", "Doctor"), ("Quanhai Li", "Doctor"), ("Qingchi Liu Liu", "Doctor")]
    assert sorted({p.degree for p in who.people}) == ["Bachelor", "Doctor", "Master"]
    with_affiliation = [p for p in who.people if p.affiliation == "The First Hospital of Hebei Medical University"]
    assert len(with_affiliation) == 11
    jun = next(p for p in who.people if p.name == "Jun Zhang")
    assert (jun.phone, jun.email, jun.affiliation) == ("86-311-85917384", "june_luck@126.com", "")
    nq = record_quads(who).serialize()
    assert nq.count(f"<{TKG}ContactRole>") == 12


def test_who_criteria_ages_and_outcomes(who):
    el = who.eligibility
    assert (el.minimum_age, el.maximum_age, el.sex.term) == ("14 Years", "60 Years", "SexAll")
    assert el.criteria.startswith("Inclusion Criteria:\n\n1. Diagnosis of SLE")
    assert "Exclusion Criteria:" in el.criteria and el.criteria.endswith("infectious period of\ndiseases.")
    assert "Age minimum" not in el.criteria
    frame = "Post cell transplantation: 1, 3, 6 months"
    assert [(o.kind, o.measure, o.time_frame) for o in who.outcomes] == [
        ("primary", "The change of Complement levels(C3 and C4) in peripheral blood", frame),
        ("secondary", "Erythrocyte sedimentation rate", frame), ("secondary", "adverse reaction", frame),
        ("secondary", "C-reactive protein", frame)]


def test_who_page_of_another_registry():
    t = one(FIXTURES / "who-page" / "variant-drks.txt")
    assert (t.trial_id, t.registry, t.ids[0].scheme) == ("DRKS00012345", "DRKS", "DRKSNumber")
    assert t.overall_status.term == "StatusCompleted"
    assert [p.term for p in t.phases] == ["Phase2"]
    assert t.countries == ["Germany", "Austria"]
    assert t.official_title.endswith("therapy versus usual care in chronic low back pain - EXACT")
    assert [(i.value, i.scheme) for i in t.ids[1:]] == [
        ("U1111-1234-5678", "UTNNumber"), ("NCT04999999", "NCTNumber")]
    assert t.flags == {"prospectiveRegistration": False, "resultsAvailable": True}
    assert t.dates["ethicsApprovalDate"].value == "2021-02-12"
    assert t.dates["resultsFirstPostedDate"].value == "2023-06-01"
    assert t.texts["ethicsReviewStatus"] == "Approved"
    assert [(o.name, o.role) for o in t.organisations] == [
        ("Universitätsklinikum Freiburg", "LeadSponsorRole"), ("Universitätsklinikum Heidelberg", "CollaboratorRole")]
    anna = t.people[0]
    assert (anna.name, anna.degree, anna.address) == ("Anna Schmidt", "PhD", "Hugstetter Str. 55\n79106 Freiburg")
    assert [i.type for i in t.interventions] == [None, None]  # no "Type:" prefix the code list knows
    assert [(i.field, i.value) for i in t.issues] == [("Gender", "Both, male and female")]


# -- damaged pages ---------------------------------------------------------

@pytest.mark.parametrize("seed, fmt, cut", [(CTGOV_SEED, "ctgov-page", 0.3), (WHO_SEED, "who-page", 0.5)])
def test_truncated_page_is_a_record_with_an_error(seed, fmt, cut, tmp_path):
    data = seed.read_bytes()
    path = tmp_path / "page.txt"
    path.write_bytes(data[:int(len(data) * cut)])
    [raw] = list(read_records([path], fmt))
    assert raw.trial is None
    assert "truncated" in raw.error
    assert raw.record_id in ("NCT03458156", "NCT03219801")
    assert raw.data == data[:int(len(data) * cut)]


@pytest.mark.parametrize("fmt", ["ctgov-page", "who-page"])
def test_garbled_page_is_a_record_with_an_error(fmt, tmp_path):
    path = tmp_path / "page.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xd8 not a page at all")
    [raw] = list(read_records([path], fmt))
    assert raw.trial is None and raw.error.startswith("not UTF-8 or UTF-16 text")


def test_page_with_a_damaged_id_is_a_record_with_an_error(tmp_path):
    path = tmp_path / "page.txt"
    path.write_text(CTGOV_SEED.read_text(encoding="utf-8").replace("NCT number NCT03458156", "NCT number NCT0345#"),
                    encoding="utf-8")
    [raw] = list(read_records([path], "ctgov-page"))
    assert raw.trial is None and "no valid NCT number" in raw.error and raw.field == "NCT number"
    path.write_text(WHO_SEED.read_text(encoding="utf-8").replace("NCT03219801\n", "\n", 1), encoding="utf-8")
    [raw] = list(read_records([path], "who-page"))
    assert raw.trial is None and "no valid Main ID" in raw.error


# -- helpers -----------------------------------------------------------------

@pytest.mark.parametrize("text, day_first, iso", [
    ("January 2017", True, "2017-01"), ("February 7, 2018", True, "2018-02-07"), ("10/07/2017", True, "2017-07-10"),
    ("10/07/2017", False, "2017-10-07"), ("16 December 2017", True, "2017-12-16"), ("2017", True, "2017"),
    ("Sept. 2019", True, ""), ("31/02/2020", True, ""), ("n/a", True, ""),
])
def test_parse_date(text, day_first, iso):
    assert parse_date(text, day_first) == iso


def test_design_text_and_degrees():
    text = "Allocation: N/A. Intervention model: Single Group Assignment. Masking: None (Open Label)."
    assert design_parts(text) == [
        ("allocation", "N/A"), ("intervention model", "Single Group Assignment"), ("masking", "None (Open Label)")]
    codes = Codes("who-page", [])
    assert codes.split_degree("Anna Schmidt, MD, PhD") == ("Anna Schmidt", "MD, PhD")
    assert codes.split_degree("Smith, John") == ("Smith, John", "")


# -- the whole pipeline ------------------------------------------------------

def test_bundled_examples_build_without_quarantine(tmp_path):
    report = build([EXAMPLES], Store(tmp_path / "store"))
    assert (report.read, report.loaded, report.quarantined, report.field_issues) == (2, 2, 0, 0)


def test_cli_build_and_trial_overview_show_both_pages(tmp_path):
    store = str(tmp_path / "store")
    built = run_cli("build", "--store", store, check=True)
    assert "0 quarantined" in built.stderr + built.stdout
    shown = run_cli("query", "--name", "trial-overview", "--store", store, "--format", "csv", check=True).stdout
    assert "NCT03219801,Umbilical Cord Derived Mesenchymal Stem Cells Therapy" in shown
    assert "NCT03458156,NCT03458156,StatusActiveNotRecruiting,PhaseNotApplicable,2017-01," in shown


def test_field_coverage_of_the_pages(tmp_path):
    for fmt in ("ctgov-page", "who-page"):
        report = coverage([FIXTURES / fmt], fmt)
        assert report.unknown == 0 and report.count("mapped") > 30, report.summary()
    odd = tmp_path / "odd.txt"
    odd.write_text(CTGOV_SEED.read_text(encoding="utf-8").replace("Phase N/A\n", "Phase N/A\nMasked by Nobody\n"),
                   encoding="utf-8")
    report = coverage([odd], "ctgov-page")
    assert report.paths["admin.?"][0] == "unknown"
    [raw] = list(read_records([odd], "ctgov-page"))
    assert [(i.field, i.value) for i in raw.trial.issues] == [("Administrative data", "Masked by Nobody")]


@pytest.mark.parametrize("row, expected", [
    ("Time To First Flare To assess how long remission lasts. up to 52 weeks",
     ("Time To First Flare", "To assess how long remission lasts.", "up to 52 weeks")),
    ("Overall survival 5 years", ("Overall survival", "", "5 years")),
    ("Pain score\tNumeric rating scale 0-10\tweek 12\tNo", ("Pain score", "Numeric rating scale 0-10", "week 12")),
])
def test_outcome_row_split(row, expected):
    out = ctgov_page._outcome("primary", row, [])
    assert (out.measure, out.description, out.time_frame) == expected
