"""WHO ICTRP exports (search-portal XML, CSV, TRDS XML): values, fixtures and the whole shared corpus."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from kg.coverage import coverage
from kg.readers import detect, ictrp_csv, ictrp_trds, ictrp_xml, read_records
from kg.readers.ictrp_common import Codes, conditions, parse_date, people, target_size, text
from kg.resources import read_tsv

from .conftest import FIXTURES

XML = FIXTURES / "ictrp-xml" / "portal-export.xml"
CSV = FIXTURES / "ictrp-csv" / "covid-export.csv"
TRDS = FIXTURES / "ictrp-trds" / "registry-dump.xml"


def _trials(path: Path) -> dict:
    return {raw.record_id: raw.trial for raw in read_records([path])}


@pytest.mark.parametrize("raw, iso", [
    ("2021-09-03", "2021-09-03"), ("2021/09/03", "2021-09-03"), ("20210903", "2021-09-03"),
    ("08/04/2024", "2024-04-08"), ("April 25, 2024", "2024-04-25"), ("20 May 2024", "2024-05-20"),
    ("January 2022", "2022-01"), ("2020", "2020"), ("31/02/2020", None), ("soon", None),
])
def test_dates_in_every_spelling(raw: str, iso: str | None) -> None:
    assert parse_date(raw) == iso


def test_placeholder_date_is_no_date() -> None:
    codes = Codes()
    assert codes.date("01/01/1900", "f") is None and not codes.issues
    assert codes.date("sometime", "f").text == "sometime"
    assert codes.issues[0].value == "sometime"


def test_code_lookup_ignores_case_whitespace_and_br() -> None:
    codes = Codes()
    assert codes.code("status", "  NOT   recruiting\n", "s").term == "StatusNotRecruiting"
    assert codes.code("status", "Authorised-recruitment may be ongoing or finished", "s").term == "StatusAuthorised"
    assert codes.code("sex", "<br> Female: yes<br> Male: yes<br>", "g").term == "SexAll"
    assert codes.code("sex", "<br>Female: no<br>Male: yes<br>", "g").term == "SexMale"
    assert not codes.issues
    unseen = codes.code("status", "Recruiting soon", "Recruitment_Status")
    assert (unseen.text, unseen.term) == ("Recruiting soon", None)
    assert [(i.field, i.value) for i in codes.issues] == [("Recruitment_Status", "Recruiting soon")]


@pytest.mark.parametrize("raw, terms", [
    ("Phase 2/Phase 3", ["Phase2", "Phase3"]), ("Early Phase 1", ["PhaseEarly1"]), ("N/A", ["PhaseNotApplicable"]),
    ("II-III", ["Phase2", "Phase3"]), ("0", ["Phase0"]), ("Retrospective study", ["PhaseNotApplicable"]),
    ("Human pharmacology (Phase I): no\nTherapeutic exploratory (Phase II): yes\n"
     "Therapeutic confirmatory - (Phase III): yes\nTherapeutic use (Phase IV): no", ["Phase2", "Phase3"]),
    ("Human pharmacology (Phase I): no Therapeutic exploratory (Phase II): no Therapeutic confirmatory - "
     "(Phase III): yes Therapeutic use - (Phase IV): no", ["Phase3"]),
    ("Human pharmacology (Phase I): \nTherapeutic exploratory (Phase II): yes\n"
     "Therapeutic confirmatory - (Phase III): \nTherapeutic use (Phase IV): no", ["Phase2"]),
    ("", []),
])
def test_phase_strings(raw: str, terms: list[str]) -> None:
    codes = Codes()
    assert [c.term for c in codes.phases(raw, "Phase")] == terms
    assert not codes.issues


def test_br_and_padding_become_plain_lines() -> None:
    assert text("\r<br>        Inclusion Criteria:\r<br>\r<br>          -  Adults\r<br>      \n    ") == \
        "Inclusion Criteria:\n\n  -  Adults"
    assert text("<p>one<br />two</p>") == "one\ntwo"


def test_target_size_per_group() -> None:
    codes = Codes()
    assert target_size(" 120\n ", codes, "t") == (120, "")
    assert target_size("control group:50;sepsis group:50;", codes, "t") == (100, "control group:50;sepsis group:50;")
    assert target_size("many", codes, "t") == (None, "many") and codes.issues[0].value == "many"


def test_contacts_packed_in_parallel_fields() -> None:
    found = people("; ; ", "Ann Example, MD;Bo Sample;Bo Sample", "", ";bo@example.org;bo@example.org",
                   ";+1 555;+1 555", "Example Hospital;")
    assert [(p.name, p.email, p.phone, p.affiliation, p.role) for p in found] == [
        ("Ann Example, MD", "", "", "Example Hospital", "ContactRole"),
        ("Bo Sample", "bo@example.org", "+1 555", "", "ContactRole")]
    two = people("Li Example; Chen Sample", "", "1 Road", "li@example.cn", "+86 1", "Hospital A; Hospital B")
    assert [(p.name, p.email, p.address, p.affiliation) for p in two] == [
        ("Li Example", "li@example.cn", "1 Road", "Hospital A"), ("Chen Sample", "", "", "Hospital B")]


def test_meddra_blocks_give_terms_and_keywords() -> None:
    found, keywords = conditions("Lupus <br>MedDRA version: 20.0Level: PTClassification code: 10025140Term: "
                                 "Lupus nephritisSystem Organ Class: 100000004857;Therapeutic area: Diseases [C];"
                                 "E85.0;ORPHA:210115 ORPHA:325004")
    assert [c.text for c in found] == ["Lupus", "Lupus nephritis"]
    assert keywords[1:] == ["Therapeutic area: Diseases [C]", "E85.0", "ORPHA:210115 ORPHA:325004"]


def test_detection_tells_the_three_formats_apart() -> None:
    assert detect(XML.read_bytes(), XML.name) is ictrp_xml
    assert detect(CSV.read_bytes(), CSV.name) is ictrp_csv
    assert detect(TRDS.read_bytes(), TRDS.name) is ictrp_trds


def test_xml_fixture_fields() -> None:
    trials = _trials(XML)
    nct = trials["NCT09000001"]
    assert (nct.trial_id, nct.registry, nct.record_format) == ("NCT09000001", "ClinicalTrialsGov", "ictrp-xml")
    assert nct.version_date == "2025-01-14" and nct.dates["startDate"].value == "2024-04"
    assert nct.official_title.endswith("- WALK-KR")  # padding gone
    assert [(i.value, i.scheme) for i in nct.ids] == [
        ("NCT09000001", "NCTNumber"), ("WALK-2024-01", "OtherIdentifier"), ("2024-000123-45", "EudraCTNumber")]
    assert not [o for o in nct.organisations if o.role == "FunderRole"]  # "Please refer to … sponsors"
    eu = trials["EUCTR2023-000456-78-DE"]
    assert (eu.trial_id, eu.registry) == ("EUCTR2023-000456-78-DE", "EUCTR")
    assert [p.term for p in eu.phases] == ["Phase2"] and eu.overall_status.term == "StatusAuthorised"
    assert eu.eligibility.criteria.startswith("Inclusion criteria:\n1. Biopsy")
    assert "Exclusion criteria:\n1. eGFR < 30" in eu.eligibility.criteria
    assert [(o.kind, o.measure, o.time_frame) for o in eu.outcomes] == [
        ("primary", "Complete renal response", "Week 52"), ("secondary", "Change in proteinuria", "Weeks 12 and 52")]
    chi = trials["ChiCTR2400080001"]
    assert chi.overall_status.term == "StatusNotRecruiting" and chi.study_type.term == "Observational"
    assert chi.enrollment == 120 and "ethicsApprovalDate" not in chi.dates
    assert all(not t.issues for t in trials.values())


def test_csv_fixture_fields() -> None:
    trials = _trials(CSV)
    assert list(trials) == ["ChiCTR2000090001", "NCT09000003", "EUCTR2020-001234-56-NL"]
    nct = trials["NCT09000003"]
    assert nct.overall_status.text == "Recruiting soon" and nct.overall_status.term is None
    assert [(i.field, i.value) for i in nct.issues] == [("Recruitment_Status", "Recruiting soon")]
    assert len(nct.people) == 1 and nct.flags["isBridged"] and nct.texts["bridgedType"] == "parent"
    assert [i.type.term for i in nct.interventions] == ["InterventionDrug", "InterventionDrug"]
    assert [p.term for p in trials["EUCTR2020-001234-56-NL"].phases] == ["Phase3", "Phase4"]
    assert trials["ChiCTR2000090001"].overall_status.term == "StatusNotYetRecruiting"


def test_trds_fixture_fields() -> None:
    trials = _trials(TRDS)
    rbr = trials["RBR-9abc12"]
    assert (rbr.registry, rbr.enrollment, rbr.enrollment_kind) == ("ReBEC", 80, "Estimated")
    assert [(i.value, i.scheme, i.issuer) for i in rbr.ids] == [
        ("RBR-9abc12", "REBECNumber", "REBEC"), ("U1111-1200-0001", "UTNNumber", "WHO"),
        ("NCT09000004", "NCTNumber", "clinicaltrials.gov"), ("0001.0.000.000-10", "OtherIdentifier", "CONEP")]
    assert [p.role_text for p in rbr.people] == ["public", "scientific"]
    assert rbr.eligibility.sex.term == "SexAll" and rbr.interventions[0].type.term == "InterventionBehavioral"
    tctr = trials["TCTR20120000099"]
    assert tctr.brief_title == "" and tctr.official_title.startswith("Urinary")  # "N.A." is no title
    assert "startDate" not in tctr.dates and tctr.overall_status.term == "StatusCompleted"


def test_bad_records_are_kept_with_reasons() -> None:
    (raw,) = list(ictrp_xml.records(b"<Trials_downloaded_from_ICTRP><Trial>", "x.xml"))
    assert raw.trial is None and "not well-formed" in raw.error
    data = b"<Trials_downloaded_from_ICTRP><Trial><TrialID> </TrialID></Trial>" \
           b"<Trial><TrialID>XYZ123</TrialID></Trial></Trials_downloaded_from_ICTRP>"
    first, second = ictrp_xml.records(data, "x.xml")
    assert first.error == "record has no TrialID" and "matches no identifier scheme" in second.error
    header = CSV.read_bytes().split(b"\r\n", 1)[0]
    (short,) = list(ictrp_csv.records(header + b'\r\n"NCT09000009","1 May 2020"\r\n', "x.csv"))
    assert short.trial is None and short.record_id == "NCT09000009" and "2 cells" in short.error
    huge = header + b'\r\n"NCT09000010","' + b"x" * 200_000 + b'"\r\n' + CSV.read_bytes().split(b"\r\n", 1)[1]
    raws = list(ictrp_csv.records(huge, "x.csv"))
    assert "field larger than field limit" in raws[0].error  # reported, and the rows after it still read
    assert [r.record_id for r in raws[1:]] == ["ChiCTR2000090001", "NCT09000003", "EUCTR2020-001234-56-NL"]


def test_entities_are_not_expanded() -> None:
    data = (b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<Trials_downloaded_from_ICTRP><Trial><TrialID>NCT09000001</TrialID><Public_title>&x;</Public_title>"
            b"</Trial></Trials_downloaded_from_ICTRP>")
    (raw,) = list(ictrp_xml.records(data, "x.xml"))
    assert "root:" not in (raw.trial.brief_title if raw.trial else raw.error)


def test_field_map_covers_the_fixtures() -> None:
    rows = read_tsv("mappings", "ictrp", "fields.tsv")
    assert {r[0] for r in rows} == {"ictrp-xml", "ictrp-csv", "ictrp-trds"}
    assert all(r[2] in ("mapped", "left-out") for r in rows)
    assert all(len(r) > 3 and r[3] for r in rows if r[2] == "left-out")
    for path, fmt in ((XML, "ictrp-xml"), (CSV, "ictrp-csv"), (TRDS, "ictrp-trds")):
        assert coverage([str(path)], fmt).unknown == 0


# -- the shared corpus ---------------------------------------------------------------------------------

#: records per corpus file
CORPUS_COUNTS = {
    "web_export_xml/ICTRP-Results_2024-06-09_machado-t.xml": 95,
    "web_export_csv/COVID19-927-trials_7Apr2020.csv": 927,
    "web_export_csv/COVID19-1135-trials.csv": 1135,
    "trds_xml_registry_dumps/rebec-ictrp-2011-10-14.xml": 45,
    "trds_xml_registry_dumps/rebec-ictrp-2011-12-12.xml": 57,
    "trds_xml_registry_dumps/VaidhyaMegha_1995.xml": 1,
    "trds_xml_registry_dumps/VaidhyaMegha_TCTR20150522ir4.xml": 1,
}
#: every value the code lists and date parser do not know, across the corpus (field, value prefix)
EXPECTED_ISSUES = {
    ("Target_size", "Community exposure TCM intervention group:20;"),
    ("Target_size", "Medical students group; Non-medical students group:1300;"),
    ("Target_size", "Patients with COVID-19 VS Healthy controls; Severe group VS Mild group:600;"),
    ("Target_size", "Patients with LE and are taking hydroxychloroquine:200;"),
}


def test_every_corpus_record_is_read(corpus: Path) -> None:
    folder = corpus / "ictrp"
    counts: Counter[str] = Counter()
    formats: Counter[str] = Counter()
    issues = set()
    for raw in read_records([folder]):
        name = str(Path(raw.source_file).relative_to(folder))
        counts[name] += 1
        assert raw.trial is not None, f"{name} record {raw.index}: {raw.error}"
        trial = raw.trial
        formats[trial.record_format] += 1
        assert trial.trial_id and trial.registry and (trial.brief_title or trial.official_title), raw.record_id
        for issue in trial.issues:
            issues.add((issue.field, next((v for f, v in EXPECTED_ISSUES if issue.value.startswith(v)), issue.value)))
    assert dict(counts) == CORPUS_COUNTS
    assert formats == {"ictrp-xml": 95, "ictrp-csv": 2062, "ictrp-trds": 104}
    assert issues == EXPECTED_ISSUES


def test_corpus_values_reach_their_terms(corpus: Path) -> None:
    trials = [raw.trial for raw in read_records([corpus / "ictrp"])]
    unmapped = Counter((name, c.text) for t in trials for name, c in
                       [("status", t.overall_status), ("study_type", t.study_type)] + [("phase", p) for p in t.phases]
                       if c is not None and c.term is None)
    assert not unmapped
    registries = Counter(t.registry for t in trials)
    assert registries["ChiCTR"] == 1184 and registries["ReBEC"] == 102 and registries["EUCTR"] == 91
    by_id = {t.record_id: t for t in trials if t.record_format == "ictrp-xml"}
    ctis = by_id["CTIS2023-507385-11-00"]
    assert (ctis.trial_id, ctis.registry) == ("2023-507385-11-00", "CTIS")
    assert [p.term for p in ctis.phases] == ["Phase2", "Phase3"]
    assert sum(1 for t in trials if t.people) > 2000
    assert all(t.version_date for t in trials if t.record_format != "ictrp-trds")


def test_corpus_coverage_is_complete(corpus: Path) -> None:
    for folder, fmt in (("web_export_xml", "ictrp-xml"), ("web_export_csv", "ictrp-csv"),
                        ("trds_xml_registry_dumps", "ictrp-trds")):
        report = coverage([str(corpus / "ictrp" / folder)], fmt)
        assert report.unknown == 0, [p for p, (s, _, _) in report.paths.items() if s == "unknown"]


def test_fixture_build_end_to_end(tmp_path) -> None:
    from .conftest import run_cli

    store = str(tmp_path / "s")
    proc = run_cli("build", str(FIXTURES / "ictrp-xml"), str(FIXTURES / "ictrp-csv"), str(FIXTURES / "ictrp-trds"),
                   "--store", store, check=True)
    assert "8 records read: 8 loaded, 0 unchanged, 0 superseded, 0 quarantined" in proc.stdout
    out = run_cli("query", "--store", store, "--format", "tsv", "-e",
                  "SELECT ?id ?status WHERE { ?t dcterms:identifier ?id ; tkg:overallStatus ?status } ORDER BY ?id",
                  check=True).stdout.splitlines()
    assert out[1:] == [
        "ChiCTR2000090001\thttps://w3id.org/trialkg/ontology#StatusNotYetRecruiting",
        "ChiCTR2400080001\thttps://w3id.org/trialkg/ontology#StatusNotRecruiting",
        "EUCTR2020-001234-56-NL\thttps://w3id.org/trialkg/ontology#StatusAuthorised",
        "EUCTR2023-000456-78-DE\thttps://w3id.org/trialkg/ontology#StatusAuthorised",
        "NCT09000001\thttps://w3id.org/trialkg/ontology#StatusRecruiting",
        "RBR-9abc12\thttps://w3id.org/trialkg/ontology#StatusNotRecruiting",
        "TCTR20120000099\thttps://w3id.org/trialkg/ontology#StatusCompleted"]


def test_dated_dump_dates_its_records(tmp_path) -> None:
    older, newer = tmp_path / "dump-2011-10-14.xml", tmp_path / "dump-2011-12-12.xml"
    older.write_bytes(TRDS.read_bytes())
    newer.write_bytes(TRDS.read_bytes().replace(b"Universidade Exemplo</primary_sponsor>",
                                                b"Universidade Exemplo - Sul</primary_sponsor>"))
    from kg.pipeline import build
    from kg.store import Store

    store = Store(tmp_path / "s")
    report = build([older, newer], store)
    assert (report.read, report.loaded, report.superseded) == (4, 2, 2)
    rows = store.query("SELECT ?v WHERE { ?r tkg:sourceRecordId 'RBR-9abc12' ; tkg:versionDate ?v }")
    assert [str(r[0].value) for r in rows] == ["2011-12-12"]
    sponsor = store.query("SELECT ?n WHERE { ?t dcterms:identifier 'RBR-9abc12' ; tkg:leadSponsor/rdfs:label ?n }")
    assert [r[0].value for r in sponsor] == ["Universidade Exemplo - Sul"]
