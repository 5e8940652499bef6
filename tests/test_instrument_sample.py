"""A hand-checked sample of 100 instrument links on real outcome measures stays right."""

from __future__ import annotations

import json

import pytest

from kg.link.instruments import link_outcome

from .conftest import FIXTURES

SAMPLE = [line.split("\t") for line in (FIXTURES / "instrument-links-checked.tsv").read_text().splitlines()
          if line and not line.startswith("#")]


@pytest.mark.corpus
def test_checked_links_hold(corpus) -> None:
    assert len(SAMPLE) == 100
    wrong = []
    for nct, key, position, label, _ in SAMPLE:
        study = json.loads((corpus / "ctgov_v2" / f"{nct}.json").read_text())
        outcome = study["protocolSection"]["outcomesModule"][key][int(position)]
        labels = [link.label for link in link_outcome(outcome.get("measure", ""), outcome.get("description", ""))]
        if label not in labels:
            wrong.append(f"{nct} {key}[{position}]: expected {label}, got {labels}")
    assert not wrong, wrong


def test_taught_instruments_win_over_the_shorter_label() -> None:
    assert [link.label for link in link_outcome("Oxidized LDL cholesterol", "")] == ["oxidized LDL"]
    assert [link.label for link in link_outcome("Child health assessment questionnaire (CHAQ)", "")] == ["CHAQ"]
