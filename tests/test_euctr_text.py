"""EU Clinical Trials Register "full trial details" text: member-state records, broken values, the corpus file."""

from __future__ import annotations

import pytest

from kg.coverage import coverage
from kg.identifiers import trial_key
from kg.mapper import record_iri, trial_iri
from kg.readers import detect, euctr_text, read_records

from .conftest import FIXTURES

TEXT = FIXTURES / "euctr-text" / "two-states.txt"


def test_member_states_are_records_of_one_trial() -> None:
    raws = list(read_records([TEXT]))
    assert [r.record_id for r in raws] == ["2019-009999-11-DE", "2019-009999-11-FR"]
    de, fr = (r.trial for r in raws)
    assert (de.trial_id, fr.trial_id) == ("EUCTR2019-009999-11-DE", "EUCTR2019-009999-11-FR")
    assert trial_key(de.trial_id) == trial_key(fr.trial_id) == "2019-009999-11"
    assert trial_iri(de.trial_id) == trial_iri(fr.trial_id) and record_iri(de) != record_iri(fr)
    assert (de.registry, de.record_format) == ("EUCTR", "euctr-text")
    assert (de.countries, fr.countries) == (["Germany"], ["France"])
    assert (de.overall_status.term, fr.overall_status.term) == ("StatusCompleted", "StatusTerminated")


def test_fields_of_a_record() -> None:
    de = next(read_records([TEXT])).trial
    assert [(i.value, i.scheme) for i in de.ids] == [("2019-009999-11", "EudraCTNumber"), ("EX-LN-301", "OrgStudyId"),
                                                     ("NCT99999911", "NCTNumber")]
    assert de.official_title.startswith("A Randomised, Double-blind") and de.acronym == "EXAMPLE-LN"
    assert [p.term for p in de.phases] == ["Phase3"]
    assert {k: c.term for k, c in de.design.items()} == {
        "allocation": "AllocationRandomized", "masking": "MaskingDouble", "interventionModel": "ModelParallel"}
    assert [(g.descriptor, g.label) for g in de.condition_mesh] == [("D007154", "Immune System Diseases")]
    assert [(i.name, i.other_names) for i in de.interventions] == [("Examplimab", ["EXM-001"]),
                                                                   ("Placebo", [])]
    assert [(o.kind, o.measure, o.time_frame) for o in de.outcomes] == [
        ("primary", "Complete renal response", "Week 52"), ("secondary", "Adverse events", "Up to week 60")]
    assert (de.enrollment, de.enrollment_kind) == (120, "Estimated")
    assert de.eligibility.sex.term == "SexAll" and [a.term for a in de.eligibility.std_ages] == ["AgeAdult", "AgeOlderAdult"]
    assert {k: d.value for k, d in de.dates.items()} == {
        "firstSubmittedDate": "2019-05-02", "completionDate": "2021-11-30", "authorisationDate": "2019-07-01",
        "ethicsApprovalDate": "2019-06-20"}
    assert [(o.name, o.role, o.org_class and o.org_class.term) for o in de.organisations] == [
        ("Example Pharma GmbH", "LeadSponsorRole", "AgencyIndustry"), ("Example Pharma GmbH", "FunderRole", None)]
    assert de.people[0].email == "trials@example.com"
    assert de.official_title.count("Eine") == 0  # the German translation is not the title


def test_broken_value_is_an_error_issue_and_the_record_stands() -> None:
    de = next(read_records([TEXT])).trial
    assert [(i.field, i.value, i.severity) for i in de.issues] == [
        ("A.7 Trial is part of a Paediatric Investigation Plan", "JSON_ERROR_HERE", "error")]
    assert de.brief_title and de.interventions and de.outcomes


def test_unreadable_values_become_issues() -> None:
    fr = list(read_records([TEXT]))[1].trial
    assert [(i.field, i.value) for i in fr.issues] == [
        ("E.1.1.2 Therapeutic area", "Diseases [C] - Not A MeSH Category [C99]"),
        ("F.4 Planned number of subjects to be included", "twenty")]
    assert fr.enrollment is None


def test_block_without_eudract_number_is_kept_with_reason() -> None:
    data = b"Summary\nEudraCT Number: not-a-number\nLink: x\n\nA. Protocol Information\nA.3 Full title of the trial: T\n"
    (raw,) = list(euctr_text.records(data, "bad.txt"))
    assert (raw.trial, raw.field, raw.error) == (None, "Summary EudraCT Number", "record has no EudraCT number")
    (raw,) = list(euctr_text.records(b"\xff\xfe\x00nonsense", "bin.txt"))
    assert raw.trial is None and raw.error.startswith("not UTF-8")


def test_detected_from_content() -> None:
    assert detect(TEXT.read_bytes(), "download.dat") is euctr_text
    assert not euctr_text.detect(b"<clinical_study></clinical_study>", "x.txt")


@pytest.mark.corpus
def test_corpus_file(corpus) -> None:
    raws = list(read_records([corpus / "other" / "euctr_text"]))
    assert [r.record_id for r in raws] == [
        "2022-002568-62-ES", "2022-002568-62-SE", "2022-002568-62-SE-2",
        "2021-002179-21-FR", "2021-002179-21-ES", "2021-002179-21-GR", "2021-002179-21-PL", "2021-002179-21-PL-2",
        "2021-002179-21-PT", "2021-002179-21-HU"]
    assert all(r.trial is not None for r in raws)
    assert {trial_key(r.trial.trial_id) for r in raws} == {"2022-002568-62", "2021-002179-21"}
    # the second Swedish and Polish applications keep their member state's trial id
    assert raws[2].trial.trial_id == "EUCTR2022-002568-62-SE" and raws[7].trial.trial_id == "EUCTR2021-002179-21-PL"
    issues = [(r.record_id, i.field, i.severity) for r in raws for i in r.trial.issues]
    assert issues == [("2022-002568-62-ES", "A.7 Trial is part of a Paediatric Investigation Plan", "error"),
                      ("2021-002179-21-FR", "A.8 EMA Decision number of Paediatric Investigation Plan", "error")]
    es, fr = raws[0].trial, raws[3].trial
    assert es.official_title.startswith("A Phase 1/2 Open-Label") and [p.term for p in es.phases] == ["Phase1", "Phase2"]
    assert fr.conditions[0].text == "Alzheimer's disease" and fr.enrollment == 600
    assert all(r.trial.condition_mesh[0].label == "Nervous System Diseases" for r in raws)


@pytest.mark.corpus
def test_coverage_of_corpus(corpus) -> None:
    report = coverage([corpus / "other" / "euctr_text"], "euctr-text")
    assert report.unknown == 0, [p for p, (s, _, _) in report.paths.items() if s == "unknown"]
    assert report.count("mapped") == len(report.paths)  # every field the corpus holds


@pytest.mark.corpus
def test_further_fields_really_reach_the_graph(corpus) -> None:
    """Every value of a field the table of further fields lists shows up in the graph: flags, numbers, texts, translations."""
    import pyoxigraph as ox

    from kg.pipeline import record_quads
    from kg.rdf import TKG
    from kg.resources import read_tsv

    table = {row[0]: (row[2], row[3]) for row in read_tsv("mappings", "euctr", "extra-fields.tsv")}
    missing, seen = {}, set()
    for raw in read_records([corpus / "other" / "euctr_text"]):
        quads = list(ox.parse(record_quads(raw.trial).serialize().encode(), format=ox.RdfFormat.N_QUADS))
        values = {(q.predicate.value, q.object.value, getattr(q.object, "language", None))
                  for q in quads if isinstance(q.object, ox.Literal)}
        texts = {v for _, v, _ in values}
        for f in euctr_text.parse_fields(raw.data.decode("utf-8")):
            if f.path not in table or not f.value or f.value == euctr_text.BROKEN:
                continue
            kind, prop = table[f.path]
            seen.add(f.path)
            if kind == "flag":
                # a No of one block, where another block of the record says Yes, is outweighed: the flag is there
                wanted = {"true"} if f.value == "Yes" else {"true", "false"}
                found = any(p == TKG + prop and v in wanted for p, v, _ in values)
            elif kind == "translation":
                found = (TKG + "translatedText", f.value, f.lang.lower()) in values
            elif kind == "lines":
                found = all(line.strip() in texts for line in f.value.splitlines() if line.strip())
            else:
                found = f.value in texts
            if not found:
                missing.setdefault(f.path, f"{raw.record_id}: {f.value[:60]}")
    assert not missing, "\n".join(f"{k}  <- {v}" for k, v in sorted(missing.items()))
    assert len(seen) > 100
