"""Publishing to a real Oxigraph SPARQL server (the `oxigraph` PyPI package) over the Graph Store Protocol."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from .conftest import FIXTURES, free_port, run_cli, wait_until_up

OXIGRAPH = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))


@pytest.fixture
def server(tmp_path):
    if not Path(OXIGRAPH).exists():
        pytest.skip("the oxigraph server (pip install oxigraph) is not installed")
    port = free_port()
    proc = subprocess.Popen([OXIGRAPH, "serve", "--location", str(tmp_path / "remote"), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def _count(base: str, sparql: str) -> int:
    got = requests.post(f"{base}/query", data={"query": sparql}, timeout=30,
                        headers={"Accept": "application/sparql-results+json"})
    got.raise_for_status()
    return int(got.json()["results"]["bindings"][0]["n"]["value"])


def test_push_copies_every_graph_and_replaces_on_repeat(server, tmp_path) -> None:
    store = str(tmp_path / "s")
    run_cli("build", str(FIXTURES / "ctgov-json"), "--store", store, check=True)
    local = run_cli("query", "--store", store, "--format", "json", "-e",
                    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", check=True)
    expected = int(__import__("json").loads(local.stdout)["results"]["bindings"][0]["n"]["value"])
    pushed = run_cli("push", f"{server}/store", "--store", store, check=True)
    assert "4 graphs" in pushed.stdout  # three records and the ontology
    assert _count(server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }") == expected
    run_cli("push", f"{server}/store", "--store", store, check=True)
    assert _count(server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }") == expected
    assert _count(server, "PREFIX tkg: <https://w3id.org/trialkg/ontology#> "
                          "SELECT (COUNT(?t) AS ?n) WHERE { GRAPH ?g { ?t a tkg:ClinicalTrial } }") == 3


def test_unreachable_server_is_a_clear_error(tmp_path) -> None:
    store = str(tmp_path / "s")
    run_cli("build", str(FIXTURES / "ctgov-json"), "--store", store, check=True)
    proc = run_cli("push", "http://127.0.0.1:9/store", "--store", store)
    assert proc.returncode == 2 and "error:" in proc.stderr and "Traceback" not in proc.stderr
