"""End to end through the real CLI: build, query, export, stats, on fixtures and on the shared corpus."""

from __future__ import annotations

import json
import re

import pyoxigraph as ox
import pytest
from rdflib import Graph

from .conftest import FIXTURES, run_cli


def _summary(proc) -> dict[str, int]:
    line = proc.stdout.strip().splitlines()[-1]
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (?:records )?(read|loaded|unchanged|superseded|quarantined)", line)}
    counts["trials"] = int(re.search(r"(\d+) trials in the store", line).group(1))
    return counts


def test_fixture_build_query_export(tmp_path) -> None:
    store = str(tmp_path / "s")
    proc = run_cli("build", str(FIXTURES / "ctgov-json"), "--store", store, check=True)
    assert _summary(proc) == {"read": 3, "loaded": 3, "unchanged": 0, "superseded": 0, "quarantined": 0, "trials": 3}
    out = run_cli("query", "--store", store, "--format", "json", "-e",
                  "SELECT ?id WHERE { ?t a/rdfs:subClassOf* schema:MedicalTrial ; dcterms:identifier ?id } ORDER BY ?id",
                  check=True)
    result = json.loads(out.stdout)
    assert result["head"]["vars"] == ["id"]
    assert [b["id"]["value"] for b in result["results"]["bindings"]] == ["NCT99999901", "NCT99999902", "NCT99999903"]
    tsv = run_cli("query", "--store", store, "--format", "tsv", "--name", "trial-overview", check=True).stdout
    assert tsv.splitlines()[0].split("\t") == ["id", "title", "status", "phases", "start", "sponsor"]
    row = next(line.split("\t") for line in tsv.splitlines() if line.startswith("NCT99999901"))
    assert row[:3] == ["NCT99999901", "Umbilical Cord MSC in Active Lupus Nephritis", "StatusCompleted"]
    assert sorted(row[3].split(", ")) == ["Phase1", "Phase2"] and row[4:] == ["2019-06", "Example University Hospital"]
    stats = run_cli("stats", "--store", store, check=True).stdout
    assert "tkg:ClinicalTrial\t3" in stats and "tkg:ClinicalTrialsGov\t3" in stats
    again = run_cli("build", str(FIXTURES / "ctgov-json"), "--store", store, check=True)
    assert _summary(again)["unchanged"] == 3


def test_bad_usage_exit_codes(tmp_path) -> None:
    assert run_cli("build", str(tmp_path / "missing"), "--store", str(tmp_path / "s")).returncode == 2
    assert run_cli("query", "--store", str(tmp_path / "none"), "-e", "ASK {}").returncode == 2
    run_cli("build", str(FIXTURES / "ctgov-json"), "--store", str(tmp_path / "s"), check=True)
    bad = run_cli("query", "--store", str(tmp_path / "s"), "-e", "SELECT WHERE {")
    assert bad.returncode == 2 and "SPARQL" in bad.stderr and "Traceback" not in bad.stderr
    unknown = run_cli("query", "--store", str(tmp_path / "s"), "--name", "no-such-query")
    assert unknown.returncode == 2 and "trial-overview" in unknown.stderr


@pytest.fixture(scope="module")
def corpus_store(corpus, tmp_path_factory):
    store = tmp_path_factory.mktemp("corpus") / "store"
    proc = run_cli("build", str(corpus / "ctgov_v2"), "--store", str(store), timeout=900)
    assert proc.returncode in (0, 1), proc.stderr
    return store, proc


@pytest.mark.corpus
def test_corpus_build_accounts_for_every_record(corpus_store) -> None:
    _, proc = corpus_store
    counts = _summary(proc)
    assert counts["read"] == 1099
    assert counts["trials"] + counts["quarantined"] == 1099


def _select(store, sparql: str) -> list[list[str]]:
    db = ox.Store.read_only(str(store / "oxigraph"))
    prologue = ("PREFIX tkg: <https://w3id.org/trialkg/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/> "
                "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX schema: <http://schema.org/> ")
    return [[t.value if t is not None else None for t in row]
            for row in db.query(prologue + sparql, use_default_graph_as_union=True)]


@pytest.mark.corpus
def test_corpus_trials_carry_the_required_facts(corpus, corpus_store) -> None:
    store, _ = corpus_store
    facts = {}
    for nct, title, status, stype, start in _select(store, """
            SELECT ?id ?title ?status ?type ?start WHERE {
              ?t a/rdfs:subClassOf* schema:MedicalTrial ; dcterms:identifier ?id .
              OPTIONAL { ?t rdfs:label ?title } OPTIONAL { ?t tkg:overallStatus ?status }
              OPTIONAL { ?t tkg:studyType ?type } OPTIONAL { ?t tkg:startDate ?start } }"""):
        facts[nct] = (title, status, stype, start)
    phases = {}
    for nct, phase in _select(store, "SELECT ?id ?p WHERE { ?t dcterms:identifier ?id ; tkg:phase ?p }"):
        phases.setdefault(nct, set()).add(phase.rsplit("#", 1)[1])
    mesh = {}
    for nct, d in _select(store, "SELECT ?id ?d WHERE { ?t a tkg:ClinicalTrial ; dcterms:identifier ?id ; tkg:healthCondition ?d }"):
        mesh.setdefault(nct, set()).add(d)
    frames = {nct for (nct,) in _select(store, "SELECT DISTINCT ?id WHERE { ?t dcterms:identifier ?id ; tkg:outcome/tkg:timeFrame ?f }")}
    from kg.mesh import normalise_id
    problems = []
    for path in sorted((corpus / "ctgov_v2").glob("*.json")):
        study = json.loads(path.read_text())
        ps = study["protocolSection"]
        nct = ps["identificationModule"]["nctId"]
        title, status, stype, start = facts[nct]
        if not title or not status.startswith("https://w3id.org/trialkg/ontology#") or not stype.startswith("https://"):
            problems.append(f"{nct}: title/status/type")
        want_start = ps["statusModule"].get("startDateStruct", {}).get("date")
        if want_start and start != want_start:
            problems.append(f"{nct}: start {start} != {want_start}")
        want_phases = {p for p in ps.get("designModule", {}).get("phases", [])}
        if len(phases.get(nct, ())) != len(want_phases):
            problems.append(f"{nct}: phases {phases.get(nct)} vs {want_phases}")
        outs = [o for k in ("primaryOutcomes", "secondaryOutcomes", "otherOutcomes")
                for o in ps.get("outcomesModule", {}).get(k, [])]
        if any(o.get("timeFrame") for o in outs) and nct not in frames:
            problems.append(f"{nct}: no outcome time frame")
        want_mesh = {"http://id.nlm.nih.gov/mesh/" + normalise_id(m["id"])
                     for m in study.get("derivedSection", {}).get("conditionBrowseModule", {}).get("meshes", [])}
        if not want_mesh <= mesh.get(nct, set()):
            problems.append(f"{nct}: MeSH {want_mesh - mesh.get(nct, set())} missing")
    assert not problems, problems[:20]
    typed = _select(store, "SELECT ?t (COUNT(*) AS ?n) WHERE { ?s tkg:startDate ?d BIND(DATATYPE(?d) AS ?t) } GROUP BY ?t")
    assert {t.rsplit("#", 1)[1] for t, _ in typed} <= {"gYearMonth", "date", "gYear"}


@pytest.mark.corpus
def test_corpus_export_round_trips(corpus, corpus_store, tmp_path) -> None:
    store, _ = corpus_store
    count = len(ox.Store.read_only(str(store / "oxigraph")))
    run_cli("export", "--store", str(store), "--format", "nq", "-o", str(tmp_path / "all.nq"), check=True)
    again = ox.Store()
    again.bulk_load(path=str(tmp_path / "all.nq"), format=ox.RdfFormat.N_QUADS)
    assert len(again) == count
    run_cli("export", "--store", str(store), "--format", "ttl", "-o", str(tmp_path / "all.ttl"), check=True)
    graph = Graph().parse(tmp_path / "all.ttl", format="turtle")
    assert len(graph) > 0.9 * count
    rebuilt = run_cli("build", str(corpus / "ctgov_v2"), "--store", str(store), timeout=900)
    assert _summary(rebuilt)["unchanged"] == 1099
    assert len(ox.Store.read_only(str(store / "oxigraph"))) == count


def test_parallel_build_equals_serial_build(corpus, tmp_path) -> None:
    """--jobs 2 maps in worker processes while the store loads: the same records end in the same places.

    The ICTRP exports overlap (newer versions supersede older ones, often while the
    older one is still being mapped); the bad-input files add every kind of bad record.
    """
    from kg.pipeline import build
    from kg.store import Store

    from .test_bad_input import mixed_files

    bad = tmp_path / "bad"
    bad.mkdir()
    for name, data in mixed_files().items():
        if len(data) < 1 << 20:  # not the 10 MB record (its own test): it makes a whole-store dump slow
            (bad / name).write_bytes(data)
    inputs = [corpus / "ictrp", bad, FIXTURES / "ctgov-json"]
    results = {}
    for jobs in (1, 2):
        store = Store(tmp_path / f"s{jobs}")
        report = build(inputs, store, jobs=jobs)
        quads = sorted(store.db.dump(format=ox.RdfFormat.N_QUADS).decode().splitlines())
        quarantined = list(store.quarantined())
        store.close()
        report.seconds = 0.0
        report.quarantine_keys.sort()  # records are quarantined as their batch comes back from the workers
        results[jobs] = (report, quads, quarantined)
    serial, parallel = results[1], results[2]
    report = serial[0]
    assert report.superseded > 900 and report.loaded > 1000 and report.quarantined > 10 and report.duplicates
    assert report.read == report.loaded + report.unchanged + report.superseded + report.quarantined + report.duplicates
    assert parallel[0] == serial[0]
    assert parallel[2] == serial[2]
    assert parallel[1] == serial[1]
