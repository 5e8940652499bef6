"""ClinicalTrials.gov API v2 JSON: reading, MeSH ids, field coverage."""

from __future__ import annotations

import json

import orjson
import pytest

from kg.coverage import coverage
from kg.mesh import normalise_id
from kg.pipeline import record_quads
from kg.readers import ctgov_json, read_records
from kg.resources import code_lists

from .conftest import FIXTURES


def test_mesh_ids_normalised_by_number() -> None:
    assert normalise_id("D000003920") == "D003920"  # padded export form
    assert normalise_id("D003920") == "D003920"
    assert normalise_id("D000068677") == "D000068677"  # genuinely nine digits (Sildenafil Citrate)
    assert normalise_id("D068677") == "D000068677"
    assert normalise_id("D999999") is None  # not a descriptor
    assert normalise_id("C000044245") == "C044245"
    assert normalise_id("C000633765") == "C000633765"


def test_dates_keep_their_precision() -> None:
    trial = next(read_records([FIXTURES / "ctgov-json" / "NCT99999901.json"])).trial
    assert trial.dates["startDate"].value == "2019-06"
    assert trial.dates["completionDate"].value == "2023"
    assert trial.dates["completionDate"].kind == "Estimated"
    text = record_quads(trial).serialize()
    assert '"2019-06"^^<http://www.w3.org/2001/XMLSchema#gYearMonth>' in text
    assert '"2023"^^<http://www.w3.org/2001/XMLSchema#gYear>' in text


def test_page_of_studies_and_unseen_code() -> None:
    raws = list(read_records([FIXTURES / "ctgov-json" / "studies-page.json"]))
    assert [r.record_id for r in raws] == ["NCT99999902", "NCT99999903"]
    unseen = raws[1].trial.issues
    assert [(i.field, i.value) for i in unseen] == [("statusModule.overallStatus", "SOMETHING_NEW")]
    assert raws[1].trial.overall_status.term is None


def test_zip_of_studies(tmp_path) -> None:
    import zipfile

    archive = tmp_path / "studies.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted((FIXTURES / "ctgov-json").glob("*.json")):
            z.write(path, path.name)
    assert [r.record_id for r in read_records([archive])] == ["NCT99999901", "NCT99999902", "NCT99999903"]


def test_record_without_id_is_kept_with_reason() -> None:
    data = json.dumps({"protocolSection": {"identificationModule": {"briefTitle": "No id"}}}).encode()
    (raw,) = list(ctgov_json.records(data, "x.json"))
    assert raw.trial is None
    assert raw.field == "protocolSection.identificationModule.nctId"
    assert raw.data == data


@pytest.mark.corpus
def test_coverage_of_corpus(corpus) -> None:
    report = coverage([corpus / "ctgov_v2"], "ctgov-json")
    assert report.unknown == 0, [p for p, (s, _, _) in report.paths.items() if s == "unknown"]
    protocol = [p for p in report.paths if p.startswith("protocolSection")]
    mapped = [p for p in protocol if report.paths[p][0] == "mapped"]
    assert len(mapped) / len(protocol) >= 0.95


@pytest.mark.corpus
def test_mapped_fields_really_reach_the_graph(corpus) -> None:
    """Every leaf value of a field the table calls mapped shows up in the record's triples (or its code's term).

    The results section included: baseline measures, analyses, adverse events per term, flow periods, contact.
    """
    table = {row.split("\t")[0] for row in (FIXTURES.parent.parent / "mappings/ctgov/fields.tsv").read_text().splitlines()
             if "\tmapped" in row}
    codes: dict[str, set[str]] = {}
    for lst in code_lists("ctgov").values():
        for value, term in lst.items():
            codes.setdefault(value, set()).add(term)
    links_only = ("interventionNames", "armGroupLabels")  # become arm -> intervention links, not text
    missing: dict[str, str] = {}
    for path in sorted((corpus / "ctgov_v2").glob("*.json"))[::11]:
        study = orjson.loads(path.read_bytes())
        text = record_quads(ctgov_json.read_study(study)).serialize()
        stack = [("", study)]
        while stack:
            where, value = stack.pop()
            if isinstance(value, dict):
                stack.extend((f"{where}.{k}" if where else k, v) for k, v in value.items())
            elif isinstance(value, list):
                stack.extend((where, v) for v in value)
            elif where in table and where.startswith(("protocolSection", "resultsSection")) and value not in ("", None) \
                    and not where.endswith(links_only):
                if isinstance(value, bool):  # results yes/no fields are kept as the legacy XML words them
                    if f'"{"Yes" if value else "No"}"' not in text and f'"{str(value).lower()}"' not in text:
                        missing.setdefault(where, f"{path.name}: {value}")
                    continue
                value = str(value).lower() if where.endswith("outcomeMeasures.type") else str(value)  # kept lower-case
                escaped = value.translate(str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}))
                terms = codes.get(value, ())
                if escaped not in text and not any("#" + term + ">" in text for term in terms):
                    missing.setdefault(where, f"{path.name}: {value[:60]}")
    assert not missing, "\n".join(f"{k}  <- {v}" for k, v in sorted(missing.items()))
