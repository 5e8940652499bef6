"""Packaging: the wheel carries ontology/, shapes/ and mappings/, and the accessor finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from kg.resources import code_lists, resource_dir

from .conftest import ROOT


def test_resources_found_in_checkout() -> None:
    assert (resource_dir("ontology") / "trialkg.ttl").is_file()
    assert code_lists("ctgov")["phase"]["PHASE2"] == "Phase2"


def test_wheel_contains_resources(tmp_path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path),
                    str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("trialkg-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("ontology", "shapes", "mappings"):
        expected = {f"kg/_resources/{p.relative_to(ROOT).as_posix()}" for p in (ROOT / folder).rglob("*") if p.is_file()}
        assert expected and expected <= names, sorted(expected - names)[:5]
    assert "kg/examples/000_f7973cea2fe2d9e0.txt" in names
    assert any(n.startswith("kg/queries/") for n in names)
