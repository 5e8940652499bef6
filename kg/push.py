"""Publish the store to another triple store over the SPARQL 1.1 Graph Store HTTP Protocol.

Each record graph (and the ontology graph) is sent with ``PUT <endpoint>?graph=<IRI>`` as N-Triples, which
replaces that graph on the server: pushing again after a rebuild leaves the server equal to the store.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

import pyoxigraph as ox
import requests

from .errors import KGError
from .store import Store

log = logging.getLogger(__name__)
TIMEOUT = 120  #: seconds per request


class PushError(KGError):
    """The server refused a graph or could not be reached."""


def push(store: Store, endpoint: str, on_graph: Callable[[str], None] | None = None) -> tuple[int, int]:
    """Send every named graph of the store; return (graphs, quads) sent."""
    graphs = quads = 0
    with requests.Session() as session:
        for graph in sorted(store.db.named_graphs(), key=lambda g: g.value):
            buffer = io.BytesIO()
            count = 0

            def triples():
                nonlocal count
                for q in store.db.quads_for_pattern(None, None, None, graph):
                    count += 1
                    yield ox.Triple(q.subject, q.predicate, q.object)

            ox.serialize(triples(), buffer, format=ox.RdfFormat.N_TRIPLES)
            try:
                response = session.put(endpoint, params={"graph": graph.value}, data=buffer.getvalue(),
                                       headers={"Content-Type": "application/n-triples"}, timeout=TIMEOUT)
            except requests.RequestException as exc:
                raise PushError(f"{endpoint}: {exc}") from exc
            if response.status_code not in (200, 201, 204):
                raise PushError(f"{endpoint}: graph {graph.value}: HTTP {response.status_code}: {response.text[:200]}")
            graphs += 1
            quads += count
            if on_graph:
                on_graph(graph.value)
    return graphs, quads
