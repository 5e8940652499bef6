"""EU CTIS public-portal CSV export: rows, multi-valued cells, the corpus export."""

from __future__ import annotations

from collections import Counter

import pytest

from kg.coverage import coverage
from kg.readers import ctis_csv, detect, read_records

from .conftest import FIXTURES

CSV = FIXTURES / "ctis-csv" / "export.csv"


def test_row_to_trial() -> None:
    raws = list(read_records([CSV]))
    assert [r.record_id for r in raws] == ["2024-599991-11-00", "2025-599992-22-01"]
    t = raws[0].trial
    assert (t.trial_id, t.registry, t.record_format) == ("2024-599991-11-00", "CTIS", "ctis-csv")
    assert t.url.endswith("EUCT=2024-599991-11-00") and t.version_date == "2025-08-21"
    assert t.official_title == "A Randomised, Double-blind Study of Examplimab in Relapsing Multiple Sclerosis"
    assert [(i.value, i.scheme, i.issuer) for i in t.ids] == [("2024-599991-11-00", "CTISNumber", "EMA"),
                                                              ("EXM-MS-301", "OrgStudyId", "Example Pharma GmbH")]
    assert t.overall_status.term == "StatusActiveNotRecruiting"
    assert [(loc.country, loc.status.term) for loc in t.locations] == [("Germany", "StatusActiveNotRecruiting"),
                                                                       ("France", "StatusCompleted")]
    assert [p.term for p in t.phases] == ["Phase2", "Phase3"]
    assert [a.term for a in t.eligibility.std_ages] == ["AgeOlderAdult", "AgeAdult"] and t.eligibility.sex.term == "SexAll"
    assert [g.label for g in t.condition_mesh] == ["Nervous System Diseases", "Immune System Diseases"]
    # a comma before lower case stays inside a product name
    assert [i.name for i in t.interventions] == ["Examplimab 20 mg/ml, solution for infusion", "Placebo for Examplimab"]
    assert [(o.name, o.role, o.org_class.term) for o in t.organisations] == [
        ("Example Pharma GmbH", "LeadSponsorRole", "AgencyIndustry"), ("Example University", "CollaboratorRole", "AgencyOther")]
    assert {k: d.value for k, d in t.dates.items()} == {"startDate": "2024-03-15", "authorisationDate": "2024-02-03"}
    assert t.enrollment == 240 and t.flags == {"hasResults": False} and t.issues == []


def test_unseen_and_bad_values_become_issues() -> None:
    t = list(read_records([CSV]))[1].trial
    assert [(i.field, i.value) for i in t.issues] == [
        ("Overall trial status", "Paused for review"), ("Decision date", "31/02/2025"),
        ("Location(s) and recruitment status", "Paused for review"),
        ("Therapeutic area", "Diseases [C] - Not A Category [C99]")]
    assert (t.overall_status.text, t.overall_status.term) == ("Paused for review", None)
    assert t.outcomes == [] and t.interventions == []  # "Commercially confidential information" and N/A are no values


def test_bad_rows_are_kept_with_reason() -> None:
    header = CSV.read_text(encoding="utf-8").splitlines()[0]
    data = f"{header}\nnot-a-number,{',' * 22}\n2024-599991-11-00,too,few\n".encode()
    raws = list(ctis_csv.records(data, "bad.csv"))
    assert [(r.trial, r.field, r.error) for r in raws] == [
        (None, "Trial number", "row has no EU trial number (YYYY-5NNNNN-NN-NN)"),
        (None, "", "row has 3 cells, the header 24")]
    assert raws[1].data.decode().splitlines() == [header, "2024-599991-11-00,too,few"]


def test_detected_from_content() -> None:
    assert detect(CSV.read_bytes(), "portal-export.txt") is ctis_csv
    assert not ctis_csv.detect(b"NCT id,Title\n", "x.csv")


@pytest.mark.corpus
def test_corpus_export(corpus) -> None:
    raws = list(read_records([corpus / "other" / "ctis_csv"]))
    assert len(raws) == 104 and all(r.trial is not None for r in raws)
    assert len({r.record_id for r in raws}) == 104
    assert Counter(r.trial.overall_status.term for r in raws) == {
        "StatusActiveNotRecruiting": 32, "StatusRecruiting": 39, "StatusNotYetRecruiting": 23, "StatusCompleted": 9,
        "StatusSuspended": 1}
    assert all(r.trial.phases and all(p.term for p in r.trial.phases) for r in raws)
    issues = [(i.field, i.value) for r in raws for i in r.trial.issues]
    assert issues == [("Therapeutic area", "Phenomena and Processes [G] - Immune system processes [G12]")]
    assert sum(len(r.trial.locations) for r in raws) == 470
    # the end in the EEA, the region and the finer age bands
    assert sum("eeaEndDate" in r.trial.dates for r in raws) == 9
    assert Counter(r.trial.texts["trialRegion"] for r in raws) == {"EEA only": 50, "In both EEA and non-EEA": 54}
    assert Counter(a for r in raws for a in r.trial.texts.get("ageRange", [])) == {
        "65-84 years": 9, "6-11 years": 6, "12-17 years": 6, "2-5 years": 1, "85+ years": 1}


@pytest.mark.corpus
def test_coverage_of_corpus(corpus) -> None:
    report = coverage([corpus / "other" / "ctis_csv"], "ctis-csv")
    assert report.unknown == 0 and report.count("mapped") == 24
