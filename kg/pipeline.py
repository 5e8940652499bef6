"""The build: read -> map -> validate -> store, streaming in batches.

Every input record ends in exactly one of: loaded (new or changed), unchanged
(already in the store with the same content), superseded (an older version of
a record also present in the input or store) or quarantined (with reasons).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from .errors import KGError
from .link import link_trial
from .link.instruments import INSTRUMENTS_ENV
from .link.mesh import MESH_ENV
from .mapper import map_trial, record_iri
from .model import RawRecord, Trial
from .rdf import DEFAULT_BASE, TKG, Quads
from .readers import read_records
from .resources import resource_dir
from .store import Store
from .validate import validate_records

log = logging.getLogger(__name__)

BATCH = 250


@dataclass(slots=True)
class BuildReport:
    """What a build did; the counts add up to ``read``."""

    read: int = 0
    loaded: int = 0
    unchanged: int = 0
    superseded: int = 0
    quarantined: int = 0
    quads: int = 0
    warnings: int = 0
    field_issues: int = 0
    seconds: float = 0.0
    quarantine_keys: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.read} records read: {self.loaded} loaded, {self.unchanged} unchanged, "
                f"{self.superseded} superseded, {self.quarantined} quarantined; {self.quads} quads written, "
                f"{self.warnings} shape warnings, {self.field_issues} field issues; {self.seconds:.1f} s")


def record_quads(trial: Trial, base: str = DEFAULT_BASE, retrieved: str = "") -> Quads:
    """Everything one record becomes: the linked, mapped N-Quads of its named graph."""
    link_trial(trial)
    return map_trial(trial, base, retrieved)


def _setup_digest(base: str) -> str:
    """A digest of what decides a record's triples besides its bytes: version, base IRI, mapping data,
    the instrument catalogue and the MeSH file the link stage uses."""
    linking = "|".join(os.environ.get(name, "") for name in (MESH_ENV, INSTRUMENTS_ENV))
    h = hashlib.blake2b(f"{__version__}|{base}|{linking}".encode(), digest_size=16)
    for folder in ("mappings", "shapes", "ontology"):
        for path in sorted(resource_dir(folder).rglob("*")):
            if path.is_file():
                h.update(path.name.encode())
                h.update(path.read_bytes())
    return h.hexdigest()


def _mtime(source: str) -> str:
    path = Path(source.split("!", 1)[0])
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return ""
    return datetime.fromtimestamp(int(stamp), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _key(raw: RawRecord) -> str:
    return raw.record_id or f"{Path(raw.source_file).name}-{raw.index}"


class _Build:
    def __init__(self, store: Store, base: str, strict: bool) -> None:
        self.store = store
        self.base = base
        self.strict = strict
        self.report = BuildReport()
        self.setup = _setup_digest(base)
        self.hashes = store.record_hashes()
        self.versions: dict[str, str] = {}  # record graph -> version date loaded by this build
        self.batch: dict[str, tuple[RawRecord, str, str]] = {}  # graph -> (raw, nquads, hash)

    def quarantine(self, raw: RawRecord, reasons: list[dict]) -> None:
        if self.strict:
            first = reasons[0]
            raise KGError(f"{raw.source_file}, record {_key(raw)}, field {first.get('field') or '-'}: "
                          f"{first['message']} (--strict)")
        suffix = Path(raw.source_file.split("!")[-1]).suffix
        self.store.quarantine(_key(raw), raw.data, reasons, suffix)
        self.report.quarantined += 1
        self.report.quarantine_keys.append(_key(raw))

    def add(self, raw: RawRecord) -> None:
        self.report.read += 1
        if raw.trial is None:
            self.quarantine(raw, [{"source": raw.source_file, "record": _key(raw), "field": raw.field,
                                   "message": raw.error, "severity": "Violation"}])
            return
        trial = raw.trial
        graph = record_iri(trial, self.base)
        digest = hashlib.blake2b(raw.data, digest_size=16, key=self.setup.encode()[:64]).hexdigest()
        previous = self.batch.get(graph)
        seen_version = self.versions.get(graph) if previous is None else previous[0].trial.version_date
        if seen_version is not None:
            if trial.version_date <= seen_version:  # same record again, or an older version of it
                self.report.superseded += 1
                return
            self.report.superseded += 1  # the one seen before gives way to this newer version
        if previous is None and seen_version is None and self.hashes.get(graph) == digest:
            self.report.unchanged += 1
            self.versions[graph] = trial.version_date
            self.store.release(_key(raw))
            return
        quads = record_quads(trial, self.base, _mtime(raw.source_file))
        quads.text(graph, TKG + "contentHash", digest)
        self.report.field_issues += len(trial.issues)
        self.batch[graph] = (raw, quads.serialize(), digest)
        self.versions[graph] = trial.version_date
        if len(self.batch) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        findings = validate_records({g: nq for g, (_, nq, _) in self.batch.items()})
        loaded: dict[str, str] = {}
        for graph, (raw, nquads, _) in self.batch.items():
            results = findings.get(graph, [])
            violations = [f for f in results if f.severity == "Violation"]
            if violations:
                self.versions.pop(graph, None)
                self.quarantine(raw, [{"source": raw.source_file, "record": _key(raw), "severity": f.severity,
                                       "field": f.path, "value": f.value, "message": f.message, "shape": f.shape,
                                       "focus": f.focus} for f in violations])
                continue
            self.report.warnings += len(results)
            loaded[graph] = nquads
            self.report.quads += nquads.count("\n")
            self.store.release(_key(raw))
        self.store.replace_graphs(loaded)
        self.report.loaded += len(loaded)
        self.batch.clear()


def build(inputs: Iterable[str | Path], store: Store, fmt: str | None = None, base: str = DEFAULT_BASE,
          strict: bool = False, on_record: Callable[[RawRecord], None] | None = None) -> BuildReport:
    """Build (or update) the store from the inputs and report what happened."""
    start = time.perf_counter()
    store.load_ontology()
    run = _Build(store, base, strict)
    for raw in read_records(inputs, fmt):
        run.add(raw)
        if on_record:
            on_record(raw)
    run.flush()
    run.report.seconds = time.perf_counter() - start
    log.info(run.report.summary())
    return run.report
