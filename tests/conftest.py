"""Shared test fixtures: paths, the shared corpus (skipped where absent), the CLI runner, local servers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(os.environ.get("TRIALKG_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"


def pytest_addoption(parser):
    parser.addoption("--regen", action="store_true", help="Rewrite the expected golden files from current output.")


@pytest.fixture
def regen(request) -> bool:
    return request.config.getoption("--regen")


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared corpus of real registry records; tests using it skip where it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS} (set TRIALKG_SHARED to its parent folder)")
    return CORPUS


def run_cli(*args: str, check: bool = False, **kwargs) -> subprocess.CompletedProcess:
    """Run the real ``trialkg`` command in a subprocess, from this checkout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, env=env,
                          cwd=kwargs.pop("cwd", ROOT), **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(f"trialkg {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return proc


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str) -> None:
    """Wait (up to 10 s) until a server just started answers at ``url``."""
    for _ in range(100):
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
