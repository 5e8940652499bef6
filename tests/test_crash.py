"""Crash safety: a build killed with SIGKILL part-way leaves a store that the next build completes to the very
graph an uninterrupted build makes; re-running a finished build changes nothing; the corpus conforms."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kg import store as store_module
from kg.store import Store

from .conftest import ROOT, run_cli


def _export(store: Path, out: Path) -> list[str]:
    run_cli("export", "--store", str(store), "--format", "nq", "-o", str(out), check=True, timeout=600)
    return sorted(out.read_text(encoding="utf-8").splitlines())


def _build(store: Path, corpus: Path) -> subprocess.CompletedProcess:
    proc = run_cli("build", str(corpus / "ctgov_v2"), "--store", str(store), timeout=900)
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr
    return proc


def _journaled(journal: Path) -> int:
    try:
        return journal.read_text(encoding="utf-8").count("\n")
    except FileNotFoundError:
        return 0


def _kill_while_loading(store: Path, corpus: Path, wanted_graphs: int, jobs: int = 1) -> None:
    """Start a build and SIGKILL it once its journal lists ``wanted_graphs`` graphs loaded or being loaded."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "build", str(corpus / "ctgov_v2"), "--store", str(store),
                             "--jobs", str(jobs)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    try:
        while proc.poll() is None and time.monotonic() < deadline and _journaled(store / "journal") < wanted_graphs:
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
    _kill_while_loading(store, corpus, 301, jobs=2)  # a later batch, with earlier ones loaded, mapped in 2 processes
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


def test_journal_lists_the_graphs_loaded_since_the_last_checkpoint(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(store_module, "CHECKPOINT", 2)
    names = [f"https://example.org/g{i}" for i in range(3)]
    journal = tmp_path / "s" / "journal"
    store = Store(tmp_path / "s")
    for name in names:
        store.replace_graphs({name: f"<{name}> <{name}> <{name}> <{name}> .\n".encode()})
        if name == names[0]:
            assert journal.read_text(encoding="utf-8").split() == names[:1]
        elif name == names[1]:
            assert not journal.exists()  # two graphs since the last checkpoint: flushed, journal dropped
    assert journal.read_text(encoding="utf-8").split() == names[2:]
    del store  # as a killed build leaves it: the third graph is loaded, but not yet checkpointed
    gc.collect()
    reopened = Store(tmp_path / "s")
    assert not journal.exists()
    assert sorted(g.value for g in reopened.db.named_graphs()) == names[:2]
    reopened.replace_graphs({names[2]: f"<{names[2]}> <{names[2]}> <{names[2]}> <{names[2]}> .\n".encode()})
    reopened.close()
    assert not journal.exists()
    assert sorted(g.value for g in reopened.db.named_graphs()) == names
