"""Golden files: every ``tests/fixtures/<format>/<name>.<ext>`` maps to ``<name>.expected.ttl``.

Graphs are compared as graphs (isomorphism), after removing provenance that
changes from run to run; only the differing triples are printed.  Run
``pytest tests/test_golden.py --regen`` to rewrite the expected files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import graph_diff, to_isomorphic

from kg.pipeline import record_quads
from kg.rdf import PREFIXES, PROV, TKG
from kg.readers import read_records, reader_for

from .conftest import FIXTURES

VOLATILE = {URIRef(PROV + "generatedAtTime"), URIRef(TKG + "sourceFile"), URIRef(TKG + "mappedBy")}
CASES = sorted(p for p in FIXTURES.glob("*/*") if p.is_file() and not p.name.endswith(".expected.ttl"))


def mapped_graph(path: Path, fmt: str) -> Graph:
    graph = Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns)
    for raw in read_records([path], fmt):
        assert raw.trial is not None, f"{path}: {raw.error}"
        graph.parse(data=record_quads(raw.trial).ntriples(), format="nt")
    for triple in list(graph):
        if triple[1] in VOLATILE:
            graph.remove(triple)
    # round-trip through Turtle as the expected file did (Turtle writes decimal "9" as 9.0)
    return Graph().parse(data=graph.serialize(format="turtle"), format="turtle")


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_golden(path: Path, regen: bool) -> None:
    fmt = path.parent.name
    reader_for(fmt)  # the folder name is the format name
    actual = mapped_graph(path, fmt)
    expected_path = path.with_name(path.name.split(".")[0] + ".expected.ttl")
    if regen or not expected_path.exists():
        expected_path.write_text(actual.serialize(format="turtle"), encoding="utf-8")
        if not regen:
            pytest.fail(f"wrote missing golden file {expected_path.name}; check it and commit it")
    expected = Graph().parse(expected_path, format="turtle")
    if to_isomorphic(actual) != to_isomorphic(expected):
        _, only_actual, only_expected = graph_diff(to_isomorphic(actual), to_isomorphic(expected))
        lines = [f"+ {s} {p} {o}" for s, p, o in sorted(only_actual)][:40]
        lines += [f"- {s} {p} {o}" for s, p, o in sorted(only_expected)][:40]
        pytest.fail(f"{path.name}: output differs from {expected_path.name} (+ new, - expected):\n" + "\n".join(lines))
