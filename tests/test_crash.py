"""Crash safety: a build killed with SIGKILL part-way leaves a store that the next build completes to the very
graph an uninterrupted build makes; re-running a finished build changes nothing; the corpus conforms."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT, run_cli


def _export(store: Path, out: Path) -> list[str]:
    run_cli("export", "--store", str(store), "--format", "nq", "-o", str(out), check=True, timeout=600)
    return sorted(out.read_text(encoding="utf-8").splitlines())


def _build(store: Path, corpus: Path) -> subprocess.CompletedProcess:
    proc = run_cli("build", str(corpus / "ctgov_v2"), "--store", str(store), timeout=900)
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr
    return proc


def _kill_while_loading(store: Path, corpus: Path, wanted_batches: int, jobs: int = 1) -> None:
    """Start a build and SIGKILL it while it writes its ``wanted_batches``-th batch (journal present)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "build", str(corpus / "ctgov_v2"), "--store", str(store),
                             "--jobs", str(jobs)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    journal, seen, present = store / "journal", 0, False
    deadline = time.monotonic() + 600
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            now = journal.exists()
            if now and not present:
                seen += 1
                if seen >= wanted_batches:
                    break
            present = now
            time.sleep(0.002)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the build finished before it could be killed"


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory):
    """An uninterrupted build of the corpus and its sorted N-Quads."""
    base = tmp_path_factory.mktemp("reference")
    _build(base / "s", corpus)
    return base / "s", _export(base / "s", base / "all.nq")


@pytest.mark.corpus
@pytest.mark.slow
def test_killed_build_resumes_to_the_same_graph(corpus, reference, tmp_path) -> None:
    store = tmp_path / "s"
    _kill_while_loading(store, corpus, 1)  # during the ontology load or the first batch
    _kill_while_loading(store, corpus, 3, jobs=2)  # a later batch, with earlier ones loaded, mapped in 2 processes
    resumed = _build(store, corpus)
    assert not (store / "journal").exists()
    assert "1099 records read" in resumed.stdout
    assert _export(store, tmp_path / "resumed.nq") == reference[1]
    again = _build(store, corpus)
    assert "0 loaded, 1099 unchanged" in again.stdout
    assert _export(store, tmp_path / "again.nq") == reference[1]


@pytest.mark.corpus
def test_corpus_conforms(reference) -> None:
    store, _ = reference
    proc = run_cli("validate", "--store", str(store), timeout=600)
    assert proc.returncode == 0, proc.stdout[:2000]
    first = proc.stdout.splitlines()[0]
    assert first.startswith("validate: 1099 records validated: 0 with violations, 0 unreadable; 0 violations, ")
    groups = [line for line in proc.stdout.splitlines() if line.startswith(("Warning  ", "Info  "))]
    assert groups and all(" / " in g and " results in " in g for g in groups)
    assert "Warning  ClinicalTrialShape / outcome: " in proc.stdout
    assert "  The record lists no outcome measure.  [" in proc.stdout
