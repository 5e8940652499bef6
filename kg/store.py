"""The embedded store: an Oxigraph database plus a quarantine folder.

Layout of a store directory::

    oxigraph/       the database; one named graph per source record, one for the ontology
    quarantine/     one folder per record that could not be loaded: the raw bytes + reasons.json
    journal         graphs loaded since the last checkpoint, or being loaded (removed at the checkpoint)

Loads use Oxigraph's bulk loader, which is fast but not transactional; the
journal makes them safe: the graphs of a batch are added to it before the batch
is written, and it is removed at a checkpoint, once the data is flushed (every
``CHECKPOINT`` records and when the build ends).  Opening a store with a
journal left by a killed build drops those graphs, so they are simply loaded
again by the next build.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

from .errors import StoreError
from .rdf import ONTOLOGY_GRAPH, SPARQL_PROLOGUE, TKG
from .resources import resource_dir

DEFAULT_STORE = "trialkg-data"
#: records loaded between checkpoints: a flush per batch leaves many small files for Oxigraph to compact
CHECKPOINT = 5_000


class Store:
    """An opened trialkg store."""

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self.quarantine_dir = self.path / "quarantine"
        self._journaled: list[str] = []  # graphs written since the last checkpoint
        self._loading = False  # a load is under way (or failed half-way: then its journal must stay)
        db = self.path / "oxigraph"
        try:
            if read_only:
                if not db.is_dir():
                    raise StoreError(f"{self.path}: no trialkg store here (run `trialkg build` first)")
                self.db = ox.Store.read_only(str(db))
            else:
                db.mkdir(parents=True, exist_ok=True)
                self.db = ox.Store(str(db))
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot open the store ({exc})") from exc
        if not read_only:
            self.recover()

    # -- crash safety --------------------------------------------------------
    @property
    def journal(self) -> Path:
        return self.path / "journal"

    def recover(self) -> list[str]:
        """Drop the graphs of a load that did not finish; return their names."""
        if not self.journal.exists():
            return []
        graphs = [g for g in self.journal.read_text(encoding="utf-8").splitlines() if g]
        for graph in graphs:
            self.db.remove_graph(ox.NamedNode(graph))
        self.db.flush()
        self.journal.unlink()
        return graphs

    def _begin(self, graphs: Iterable[str]) -> None:
        """Journal the graphs about to be written, with those written since the last checkpoint; durable before
        any of them is touched."""
        self._journaled += graphs
        tmp = self.journal.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write("\n".join(self._journaled) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.journal)
        self._loading = True

    def checkpoint(self) -> bool:
        """Flush what the loads wrote and drop their journal (kept after a load that failed half-way); return
        whether every load so far is durable."""
        if self._loading:
            return False
        self.db.flush()
        if self._journaled:
            self.journal.unlink()
            self._journaled = []
        return True

    def replace_graphs(self, graphs: dict[str, bytes]) -> bool:
        """Replace whole named graphs: ``{graph IRI: N-Quads of that graph, UTF-8}``; return whether this
        load ended at a checkpoint (so it and every load before it are durable)."""
        if not graphs:
            return False
        self._begin(graphs)
        for graph in graphs:
            node = ox.NamedNode(graph)
            if self.db.contains_named_graph(node):
                self.db.remove_graph(node)
        self.db.bulk_load(b"".join(graphs.values()), format=ox.RdfFormat.N_QUADS)
        self._loading = False
        return len(self._journaled) >= CHECKPOINT and self.checkpoint()

    # -- ontology ------------------------------------------------------------
    def load_ontology(self) -> int:
        """(Re)load every ``ontology/*.ttl`` file into the ontology graph; return its size."""
        text = "".join(p.read_text(encoding="utf-8") for p in sorted(resource_dir("ontology").glob("*.ttl")))
        graph = ox.NamedNode(ONTOLOGY_GRAPH)
        labels: dict[str, ox.BlankNode] = {}

        def stable(term):  # blank nodes labelled in parse order, so the same ontology gives the same quads
            if isinstance(term, ox.BlankNode):
                if term.value not in labels:
                    labels[term.value] = ox.BlankNode(f"ontology{len(labels) + 1}")
                return labels[term.value]
            return term
        quads = [ox.Quad(stable(t.subject), t.predicate, stable(t.object), graph)
                 for t in ox.parse(text, format=ox.RdfFormat.TURTLE)] if text else []
        if set(self.db.quads_for_pattern(None, None, None, graph)) == set(quads):
            return len(quads)  # unchanged: a finished build changes nothing
        self._begin([ONTOLOGY_GRAPH])
        if self.db.contains_named_graph(graph):
            self.db.remove_graph(graph)
        self.db.extend(quads)
        self._loading = False
        self.checkpoint()
        return len(quads)

    # -- reading ---------------------------------------------------------------
    def query(self, sparql: str):
        """Run SPARQL with every graph (ontology included) as the default graph."""
        try:
            return self.db.query(sparql, use_default_graph_as_union=True, prefixes=_PREFIX_MAP)
        except SyntaxError as exc:
            raise StoreError(f"SPARQL syntax error: {exc}") from exc

    def record_hashes(self) -> dict[str, str]:
        """``{record graph IRI: content hash}`` of every loaded record."""
        return {graph: digest for graph, (digest, _) in self.record_versions().items()}

    def record_versions(self) -> dict[str, tuple[str, str]]:
        """``{record graph IRI: (content hash, registry version date or "")}`` of every loaded record."""
        rows = self.db.query(f"SELECT ?g ?h ?v WHERE {{ GRAPH ?g {{ ?g <{TKG}contentHash> ?h "
                             f"OPTIONAL {{ ?g <{TKG}versionDate> ?v }} }} }}")
        return {row[0].value: (row[1].value, row[2].value if row[2] is not None else "") for row in rows}

    def quad_count(self) -> int:
        return len(self.db)

    def dump(self, output, fmt: ox.RdfFormat) -> None:
        """Serialise the whole store (named graphs) or, for triple formats, the union."""
        if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            self.db.dump(output, format=fmt)
            return
        triples = (ox.Triple(q.subject, q.predicate, q.object) for q in self.db.quads_for_pattern(None, None, None))
        ox.serialize(triples, output, format=fmt, prefixes=_PREFIX_MAP)

    # -- quarantine ------------------------------------------------------------
    def quarantine(self, key: str, raw: bytes, reasons: list[dict], suffix: str = "") -> None:
        """Keep a record that could not be loaded, with its reasons."""
        folder = self.quarantine_dir / _safe_name(key)
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("record*"):  # a record of another suffix kept before
            old.unlink()
        (folder / f"record{suffix}").write_bytes(raw)
        # reasons.json is what makes the entry visible: write it last, atomically
        tmp = folder / "reasons.json.tmp"
        tmp.write_text(json.dumps(reasons, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, folder / "reasons.json")

    def release(self, key: str) -> bool:
        """Forget a quarantined record (it has loaded, or was found good); return whether there was one."""
        folder = self.quarantine_dir / _safe_name(key)
        if not folder.is_dir():
            return False
        (folder / "reasons.json").unlink(missing_ok=True)  # first, so a half-removed entry is invisible
        shutil.rmtree(folder)
        return True

    def quarantined(self) -> Iterator[tuple[str, list[dict]]]:
        """``(key, reasons)`` of every quarantined record, in key order."""
        return quarantine_entries(self.path)

    def close(self) -> None:
        if not self.read_only:
            self.checkpoint()


def quarantine_entries(store_path: Path) -> Iterator[tuple[str, list[dict]]]:
    """``(key, reasons)`` of every record quarantined in a store directory, in key order."""
    folder = Path(store_path) / "quarantine"
    if not folder.is_dir():
        return
    for entry in sorted(folder.iterdir()):
        reasons = entry / "reasons.json"
        if reasons.is_file():
            try:
                yield entry.name, json.loads(reasons.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                yield entry.name, [{"message": f"quarantine entry unreadable ({exc})", "field": ""}]


def _safe_name(key: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in key)[:200]


_PREFIX_MAP = {line.split()[1].rstrip(":"): line.split()[2][1:-1] for line in SPARQL_PROLOGUE.splitlines()}

