"""The SPARQL endpoint, served for real on a loopback port and queried over HTTP."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from .conftest import FIXTURES, ROOT, free_port, run_cli, wait_until_up


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    store = tmp_path_factory.mktemp("serve") / "store"
    run_cli("build", str(FIXTURES / "ctgov-json"), "--store", str(store), check=True)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve", "--store", str(store), "--port", str(port)],
                            cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/sparql"
    wait_until_up(f"http://127.0.0.1:{port}/")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


QUERY = "SELECT ?id WHERE { ?t a/rdfs:subClassOf* schema:MedicalTrial ; dcterms:identifier ?id } ORDER BY ?id"


def test_select_json_over_get_and_post(endpoint) -> None:
    got = requests.get(endpoint, params={"query": QUERY}, timeout=10,
                       headers={"Accept": "application/sparql-results+json"})
    assert got.status_code == 200
    assert [b["id"]["value"] for b in got.json()["results"]["bindings"]] == ["NCT99999901", "NCT99999902", "NCT99999903"]
    posted = requests.post(endpoint, data=QUERY.encode(), timeout=10,
                           headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"})
    assert posted.status_code == 200 and posted.text.splitlines()[1] == "NCT99999901"


def test_construct_as_turtle(endpoint) -> None:
    got = requests.get(endpoint, timeout=10, headers={"Accept": "text/turtle"}, params={
        "query": "CONSTRUCT { ?t rdfs:label ?l } WHERE { ?t dcterms:identifier 'NCT99999902' ; rdfs:label ?l }"})
    assert got.status_code == 200 and "Tadalafil After Prostatectomy" in got.text


def test_updates_refused_and_errors_reported(endpoint) -> None:
    assert requests.post(endpoint, data={"update": "CLEAR ALL"}, timeout=10).status_code == 403
    assert requests.post(endpoint, data="CLEAR ALL", timeout=10,
                         headers={"Content-Type": "application/sparql-update"}).status_code == 403
    bad = requests.get(endpoint, params={"query": "SELECT WHERE {"}, timeout=10)
    assert bad.status_code == 400 and "query error" in bad.text
