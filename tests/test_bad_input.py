"""Bad input through the real CLI: every record ends loaded, unchanged, superseded, duplicate or quarantined
with its reason, never in a traceback.

Most cases share one build of a folder holding every kind of bad file (the
``mixed`` fixture); each test then checks one file's exact outcome.  Cases
that need their own store (versions against the store, --strict, fixing a
quarantined record, empty archives) build on their own.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import zipfile
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.pipeline import BATCH

from .conftest import run_cli

TKG = "https://w3id.org/trialkg/ontology#"
CRITERIA_MB = 10


def study(nct: str | None = "NCT10000001", title: str = "A small trial", updated: str = "2024-01-15",
          **modules) -> dict:
    """A minimal, valid API v2 study; ``modules`` replace whole protocolSection modules."""
    ps = {
        "identificationModule": {"nctId": nct, "briefTitle": title},
        "statusModule": {"overallStatus": "COMPLETED", "lastUpdateSubmitDate": updated,
                         "startDateStruct": {"date": "2020-01", "type": "ACTUAL"}},
        "sponsorCollaboratorsModule": {"leadSponsor": {"name": "Example Sponsor", "class": "OTHER"}},
        "designModule": {"studyType": "INTERVENTIONAL", "phases": ["PHASE2"],
                         "enrollmentInfo": {"count": 10, "type": "ACTUAL"}},
        "outcomesModule": {"primaryOutcomes": [{"measure": "Pain score", "timeFrame": "12 weeks"}]},
        "eligibilityModule": {"eligibilityCriteria": "Adults", "sex": "ALL"},
    }
    if nct is None:
        del ps["identificationModule"]["nctId"]
    for name, module in modules.items():
        ps[name] = module
    return {"protocolSection": ps}


def dumps(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def with_module(nct: str, module: str, **fields) -> dict:
    s = study(nct)
    s["protocolSection"][module] = {**copy.deepcopy(s["protocolSection"].get(module, {})), **fields}
    return s


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<clinical_study><id_info><nct_id>NCT10000071</nct_id></id_info><brief_title>&lol5;</brief_title></clinical_study>
"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE clinical_study [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<clinical_study><id_info><nct_id>NCT10000072</nct_id></id_info><brief_title>&xxe;</brief_title></clinical_study>
"""


def mixed_files() -> dict[str, bytes]:
    """Every file of the mixed folder: name -> bytes."""
    good = dumps(study("NCT10000002"))
    old = study("NCT10000032", "Old title", "2023-01-01")
    new = study("NCT10000032", "New title", "2024-06-01")
    late_new = study("NCT10000033", "Newer version", "2024-06-01")
    late_old = study("NCT10000033", "Older version", "2023-01-01")
    geo = with_module("NCT10000052", "contactsLocationsModule",
                      locations=[{"facility": "Clinic", "city": "Bern", "country": "Switzerland",
                                  "geoPoint": {"lat": "north", "lon": 7.4}}])
    dates = study("NCT10000051")
    dates["protocolSection"]["statusModule"]["primaryCompletionDateStruct"] = {"date": "2019-03", "type": "ACTUAL"}
    criteria = "Inclusion: " + "x" * (CRITERIA_MB << 20)
    huge = with_module("NCT10000025", "eligibilityModule", eligibilityCriteria=criteria, sex="ALL")
    return {
        "good.json": good,
        "empty.json": b"",
        "blank.json": b"  \n\t\n",
        "truncated.json": good[: len(good) // 2],
        "invalid.json": b'{"protocolSection": {"identificationModule": {"nctId": "NCT10000003",}}}',
        "nested.json": b'{"protocolSection": ' + b"[" * 100_000,
        "latin1.json": json.dumps(study("NCT10000004", "\u00c9tude \u00e0 Gen\u00e8ve"), ensure_ascii=False)
        .encode("latin-1"),
        "gb18030.json": json.dumps(study("NCT10000005", "\u4e34\u5e8a\u8bd5\u9a8c"), ensure_ascii=False)
        .encode("gb18030"),
        "utf16bom.json": json.dumps(study("NCT10000011", "\u00c9tude \u2713 UTF-16"), ensure_ascii=False)
        .encode("utf-16"),
        "utf16le.json": json.dumps(study("NCT10000012", "Sans BOM \u00e9"), ensure_ascii=False).encode("utf-16-le"),
        "utf8bom.json": b"\xef\xbb\xbf" + dumps(study("NCT10000013", "Avec BOM \u00e9")),
        "bomb.xml": BOMB,
        "xxe.xml": XXE,
        "noid.json": dumps(study(None)),
        "phases-string.json": dumps(with_module("NCT10000021", "designModule", phases="PHASE2",
                                                studyType="INTERVENTIONAL")),
        "count-many.json": dumps(with_module("NCT10000022", "designModule", enrollmentInfo={"count": "many"})),
        "enrollment-string.json": dumps(with_module("NCT10000023", "designModule", enrollmentInfo="many")),
        "conditions-object.json": dumps(with_module("NCT10000024", "conditionsModule", conditions={"a": 1},
                                                    keywords=[7, "pain"])),
        "huge-criteria.json": dumps(huge),
        "dup-a.json": dumps(study("NCT10000031")),
        "dup-b.json": dumps(study("NCT10000031")),
        "v1-old.json": dumps(old),
        "v2-new.json": dumps(new),
        "w1-new.json": dumps(late_new),
        "w2-old.json": dumps(late_old),
        "notes.txt": b"Some notes that are not a registry record.\n",
        "corrupt.zip": b"PK\x03\x04" + b"\x00garbage" * 20,
        "good.zip": zip_bytes({"NCT10000041.json": dumps(study("NCT10000041"))}),
        "bad-nct.json": dumps(study("NCT123")),
        "dates.json": dumps(dates),
        "latitude.json": dumps(geo),
        "numbers.json": b"[1, " + dumps(study("NCT10000062")) + b"]",
        "page.json": dumps({"studies": [study("NCT10000061"), study(None)]}),
        "garbage.bin": bytes(range(1, 256)) * 4,
    }


class Build:
    """One run of ``trialkg build`` and what it left in the store."""

    def __init__(self, store: Path, *inputs: str, args: tuple[str, ...] = ()) -> None:
        self.store = store
        self.proc = run_cli("build", *inputs, "--store", str(store), *args, timeout=600)
        assert "Traceback" not in self.proc.stderr, self.proc.stderr
        last = self.proc.stdout.strip().splitlines()[-1] if self.proc.stdout.strip() else ""
        self.counts = {k: int(v) for v, k in re.findall(
            r"(\d+) (?:records )?(read|loaded|unchanged|superseded|duplicate|quarantined|released)", last)}
        listing = run_cli("quarantine", "--store", str(store), "--format", "json")
        assert listing.returncode == 0 and "Traceback" not in listing.stderr, listing.stderr
        self.quarantine = {entry["key"]: entry["reasons"] for entry in json.loads(listing.stdout)}

    def adds_up(self) -> None:
        c = self.counts
        assert c["read"] == c["loaded"] + c["unchanged"] + c["superseded"] + c["duplicate"] + c["quarantined"], c

    def reason(self, key: str) -> dict:
        assert key in self.quarantine, f"{key} not quarantined; quarantine holds {sorted(self.quarantine)}"
        return self.quarantine[key][0]

    def query(self, sparql: str) -> list[list[str]]:
        db = ox.Store.read_only(str(self.store / "oxigraph"))
        return [[t.value if t is not None else "" for t in row]
                for row in db.query(f"PREFIX tkg: <{TKG}>\n" + sparql, use_default_graph_as_union=True)]

    def records(self) -> set[str]:
        return {row[0] for row in self.query("SELECT ?id WHERE { ?r a tkg:RegistryRecord ; tkg:sourceRecordId ?id }")}

    def value(self, nct: str, prop: str) -> list[str]:
        return sorted(row[0] for row in self.query(
            f"SELECT ?v WHERE {{ ?t <http://purl.org/dc/terms/identifier> \"{nct}\" ; {prop} ?v }}"))

    def issues(self, nct: str) -> list[tuple[str, str]]:
        return sorted((r[0], r[1]) for r in self.query(
            f'SELECT ?f ?m WHERE {{ ?r tkg:sourceRecordId "{nct}" ; tkg:hasIssue ?i . '
            "?i tkg:field ?f ; tkg:message ?m }"))


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Build:
    folder = tmp_path_factory.mktemp("mixed") / "input"
    folder.mkdir()
    for name, data in mixed_files().items():
        (folder / name).write_bytes(data)
    (folder / "mem.json").symlink_to("/proc/self/mem")  # a file that exists but cannot be read, even by root
    build = Build(tmp_path_factory.mktemp("store") / "s", str(folder))
    build.folder = folder
    return build


LOADED = {"NCT10000002", "NCT10000011", "NCT10000012", "NCT10000013", "NCT10000021", "NCT10000022", "NCT10000023",
          "NCT10000024", "NCT10000025", "NCT10000031", "NCT10000032", "NCT10000033", "NCT10000041", "NCT10000061",
          "NCT10000062"}
QUARANTINED = {"empty.json-0", "blank.json-0", "truncated.json-0", "invalid.json-0", "nested.json-0", "latin1.json-0",
               "gb18030.json-0", "bomb.xml-0", "xxe.xml-0", "noid.json-0", "notes.txt-0", "corrupt.zip-0",
               "NCT123", "NCT10000051", "NCT10000052", "numbers.json-0", "page.json-1",
               "garbage.bin-0", "mem.json-0"}


def test_mixed_build_accounts_for_every_record(mixed) -> None:
    mixed.adds_up()
    assert mixed.proc.returncode == 1  # done, with records quarantined
    assert mixed.records() == LOADED
    assert set(mixed.quarantine) == QUARANTINED
    assert mixed.counts == {"read": 37, "loaded": 15, "unchanged": 0, "superseded": 2, "duplicate": 1,
                            "quarantined": 19, "released": 0}


def test_empty_and_blank_files(mixed) -> None:
    assert mixed.reason("empty.json-0")["message"] == "empty file"
    assert mixed.reason("blank.json-0")["message"] == "empty file"
    assert mixed.reason("empty.json-0")["source"].endswith("empty.json")


def test_truncated_json(mixed) -> None:
    assert mixed.reason("truncated.json-0")["message"].startswith("invalid JSON: ")


def test_invalid_json(mixed) -> None:
    assert mixed.reason("invalid.json-0")["message"].startswith("invalid JSON: ")


def test_pathologically_nested_json(mixed) -> None:
    assert mixed.reason("nested.json-0")["message"].startswith("invalid JSON: ")


@pytest.mark.parametrize("key", ["latin1.json-0", "gb18030.json-0"])
def test_legacy_encodings_are_reported_not_garbled(mixed, key) -> None:
    message = mixed.reason(key)["message"]
    assert message.startswith("not valid UTF-8 text (byte 85: ") and "JSON must be UTF-8" in message
    assert ("NCT10000004" if key.startswith("latin") else "NCT10000005") not in mixed.records()


@pytest.mark.parametrize("nct,title", [("NCT10000011", "\u00c9tude \u2713 UTF-16"), ("NCT10000012", "Sans BOM \u00e9"),
                                       ("NCT10000013", "Avec BOM \u00e9")])
def test_unicode_encodings_are_decoded(mixed, nct, title) -> None:
    assert mixed.value(nct, "tkg:briefTitle") == [title]


@pytest.mark.parametrize("key", ["bomb.xml-0", "xxe.xml-0"])
def test_xml_entities_are_never_expanded(mixed, key) -> None:
    assert mixed.reason(key)["message"] == ("XML declares entities (<!ENTITY ...>): refused, entity expansion and "
                                            "external entities are not allowed")
    everything = json.dumps(mixed.quarantine) + mixed.proc.stdout + mixed.proc.stderr
    assert "lollollol" not in everything and "root:" not in everything
    assert not mixed.query("SELECT ?s WHERE { ?s ?p ?o "
                           "FILTER(CONTAINS(STR(?o), 'lollol') || CONTAINS(STR(?o), 'root:')) }")


def test_record_without_id(mixed) -> None:
    reason = mixed.reason("noid.json-0")
    assert reason["message"] == "record has no NCT id"
    assert reason["field"] == "protocolSection.identificationModule.nctId"


def test_string_where_a_list_is_expected(mixed) -> None:
    assert mixed.value("NCT10000021", "tkg:phase") == [TKG + "Phase2"]
    assert mixed.issues("NCT10000021") == [
        ("protocolSection.designModule.phases", "expected a list, got a single value; read as a one-item list")]


def test_count_that_is_not_a_number(mixed) -> None:
    assert mixed.value("NCT10000022", "tkg:enrollment") == []
    assert mixed.issues("NCT10000022") == [("designModule.enrollmentInfo.count", "not an integer")]


def test_object_that_is_a_string(mixed) -> None:
    assert mixed.value("NCT10000023", "tkg:enrollment") == []
    assert mixed.issues("NCT10000023") == [
        ("protocolSection.designModule.enrollmentInfo", "expected object, got string; left out")]


def test_list_that_is_an_object(mixed) -> None:
    assert mixed.value("NCT10000024", "tkg:conditionMention") == []
    assert mixed.issues("NCT10000024") == [
        ("protocolSection.conditionsModule.conditions", "expected a list of strings, got object; left out")]
    assert mixed.value("NCT10000024", "tkg:keyword") == ["7", "pain"]  # a number in a text list is its text


def test_ten_megabyte_criteria_load_with_a_warning(mixed) -> None:
    lengths = mixed.query('SELECT (STRLEN(?c) AS ?n) WHERE { ?t <http://purl.org/dc/terms/identifier> "NCT10000025" ; '
                          "tkg:eligibility/tkg:criteriaText ?c }")
    assert lengths == [[str(len("Inclusion: ") + (CRITERIA_MB << 20))]]
    report = run_cli("validate", str(mixed.folder / "huge-criteria.json"), "--format", "json")
    assert report.returncode == 0
    results = json.loads(report.stdout)["results"]
    assert [(r["severity"], r["field"], r["message"]) for r in results] == [
        ("Warning", "criteriaText", "The criteria text is longer than 100,000 characters.")]


def test_same_record_twice(mixed) -> None:
    assert "NCT10000031" in mixed.records()
    assert mixed.counts["duplicate"] == 1


@pytest.mark.parametrize("nct,title", [("NCT10000032", "New title"), ("NCT10000033", "Newer version")])
def test_newer_version_wins_whatever_the_order(mixed, nct, title) -> None:
    assert mixed.value(nct, "tkg:briefTitle") == [title]
    assert mixed.query(f'SELECT ?v WHERE {{ ?r tkg:sourceRecordId "{nct}" ; tkg:versionDate ?v }}') == [["2024-06-01"]]


def test_unknown_file_in_a_directory(mixed) -> None:
    assert mixed.reason("notes.txt-0")["message"] == "format not recognised (use --format to say which it is)"
    assert mixed.reason("garbage.bin-0")["message"] == "format not recognised (use --format to say which it is)"


def test_unreadable_file_in_a_directory(mixed) -> None:
    reason = mixed.reason("mem.json-0")
    assert reason["message"].startswith("cannot be read (") and reason["source"].endswith("mem.json")


def test_corrupt_zip(mixed) -> None:
    assert mixed.reason("corrupt.zip-0")["message"].startswith("not a readable ZIP archive (")


def test_zip_members_are_read(mixed) -> None:
    assert mixed.query('SELECT ?f WHERE { ?r tkg:sourceRecordId "NCT10000041" ; tkg:sourceFile ?f }')[0][0] \
        .endswith("good.zip!NCT10000041.json")


def test_malformed_registry_id_is_a_violation(mixed) -> None:
    reasons = mixed.quarantine["NCT123"]
    assert {(r["severity"], r["field"], r["value"], r["message"]) for r in reasons} == {
        ("Violation", "idValue", "NCT123",
         "Not a well-formed NCTNumber (ClinicalTrialsGov identifier, expected to match ^NCT\\d{8}$).")}


def test_primary_completion_before_start_is_a_violation(mixed) -> None:
    reason = mixed.reason("NCT10000051")
    assert (reason["severity"], reason["message"], reason["value"]) == (
        "Violation", "The primary completion date is before the start date.", "2019-03")


def test_latitude_that_is_not_a_number(mixed) -> None:
    reason = mixed.reason("NCT10000052")
    assert (reason["field"], reason["value"]) == ("latitude", "north")
    assert reason["message"] == "The latitude must be one decimal between -90 and 90."


def test_json_list_with_a_number_among_the_studies(mixed) -> None:
    assert mixed.reason("numbers.json-0")["message"] == "study is a JSON int, not an object"
    assert "NCT10000062" in mixed.records()


def test_one_bad_record_in_a_page_does_not_stop_the_others(mixed) -> None:
    assert "NCT10000061" in mixed.records()
    assert mixed.reason("page.json-1")["message"] == "record has no NCT id"


def test_quarantine_keeps_the_raw_record(mixed) -> None:
    kept = mixed.store / "quarantine" / "latin1.json-0" / "record.json"
    assert kept.read_bytes() == mixed_files()["latin1.json"]


# -- cases with a store of their own --------------------------------------------------

def test_empty_zip(tmp_path) -> None:
    (tmp_path / "empty.zip").write_bytes(zip_bytes({}))
    build = Build(tmp_path / "s", str(tmp_path / "empty.zip"))
    assert build.proc.returncode == 0
    assert build.counts["read"] == 0 and build.quarantine == {}
    assert "empty ZIP archive" in build.proc.stderr


def test_missing_input_is_a_usage_error(tmp_path) -> None:
    proc = run_cli("build", str(tmp_path / "nowhere.json"), "--store", str(tmp_path / "s"))
    assert proc.returncode == 2 and "no such file or directory" in proc.stderr and "Traceback" not in proc.stderr


def test_newer_version_in_the_store_wins(tmp_path) -> None:
    (tmp_path / "new.json").write_bytes(dumps(study("NCT10000081", "Newer", "2024-05-01")))
    (tmp_path / "old.json").write_bytes(dumps(study("NCT10000081", "Older", "2023-05-01")))
    (tmp_path / "newest.json").write_bytes(dumps(study("NCT10000081", "Newest", "2025-05-01")))
    store = tmp_path / "s"
    first = Build(store, str(tmp_path / "new.json"))
    assert first.counts["loaded"] == 1
    older = Build(store, str(tmp_path / "old.json"))
    older.adds_up()
    assert (older.counts["superseded"], older.counts["loaded"]) == (1, 0)
    assert older.value("NCT10000081", "tkg:briefTitle") == ["Newer"]
    newest = Build(store, str(tmp_path / "newest.json"))
    assert newest.counts["loaded"] == 1 and newest.value("NCT10000081", "tkg:briefTitle") == ["Newest"]
    assert len(newest.records()) == 1


def test_strict_stops_at_the_first_bad_record(tmp_path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.json").write_bytes(dumps(study("NCT10000091")))
    (tmp_path / "in" / "b.json").write_bytes(b'{"protocolSection": ')
    proc = run_cli("build", str(tmp_path / "in"), "--store", str(tmp_path / "s"), "--strict")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert re.search(r"error: .*b\.json, record b\.json-0, field -: invalid JSON: .*\(--strict\)", proc.stderr)
    assert not (tmp_path / "s" / "quarantine").exists() or not any((tmp_path / "s" / "quarantine").iterdir())


def test_fixed_records_are_picked_up_and_released(tmp_path) -> None:
    bad_dates = study("NCT10000101")
    bad_dates["protocolSection"]["statusModule"]["primaryCompletionDateStruct"] = {"date": "2019-01"}
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "dates.json").write_bytes(dumps(bad_dates))
    (folder / "broken.json").write_bytes(b'{"protocolSection": {')
    store = tmp_path / "s"
    first = Build(store, str(folder))
    assert set(first.quarantine) == {"NCT10000101", "broken.json-0"} and first.proc.returncode == 1
    again = Build(store, str(folder))  # nothing fixed: still quarantined, nothing released
    assert set(again.quarantine) == {"NCT10000101", "broken.json-0"} and again.counts["released"] == 0
    bad_dates["protocolSection"]["statusModule"]["primaryCompletionDateStruct"] = {"date": "2021-01"}
    (folder / "dates.json").write_bytes(dumps(bad_dates))
    (folder / "broken.json").write_bytes(dumps(study("NCT10000102")))
    fixed = Build(store, str(folder))
    fixed.adds_up()
    assert fixed.proc.returncode == 0
    assert fixed.quarantine == {} and fixed.counts["released"] == 2 and fixed.counts["loaded"] == 2
    assert fixed.records() == {"NCT10000101", "NCT10000102"}
    assert not list((store / "quarantine").iterdir())


def test_rebuilding_a_finished_build_changes_nothing(tmp_path) -> None:
    (tmp_path / "a.json").write_bytes(dumps(study("NCT10000111")))
    store = tmp_path / "s"
    Build(store, str(tmp_path / "a.json"))
    before = sorted(map(str, ox.Store.read_only(str(store / "oxigraph"))))
    again = Build(store, str(tmp_path / "a.json"))
    assert again.counts["unchanged"] == 1 and again.counts["loaded"] == 0
    assert sorted(map(str, ox.Store.read_only(str(store / "oxigraph")))) == before
    assert not (store / "journal").exists()
    os.sync()


def test_a_bad_newer_version_stays_quarantined_after_its_older_version_loaded(tmp_path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.json").write_bytes(dumps(study("NCT10000111", "Older", "2023-01-01")))
    for i in range(BATCH):  # the older version's batch is loaded before the newer version is read
        (folder / f"f{i:03d}.json").write_bytes(dumps(study(f"NCT2{i:07d}")))
    newer = study("NCT10000111", "Newer", "2024-01-01")
    newer["protocolSection"]["statusModule"]["primaryCompletionDateStruct"] = {"date": "2019-01"}
    (folder / "z.json").write_bytes(dumps(newer))
    build = Build(tmp_path / "s", str(folder))
    build.adds_up()
    assert build.counts["quarantined"] == 1
    assert build.reason("NCT10000111")["message"] == "The primary completion date is before the start date."
