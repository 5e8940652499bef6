"""The build: read -> map -> validate -> store, streaming in batches.

Every input record ends in exactly one of: loaded (new or changed), unchanged
(already in the store with the same content), superseded (an older version of
a record also present in the input or store, by the registry's version date),
duplicate (the very same record again) or quarantined (kept raw with its
reasons: it could not be read, or its graph has SHACL Violations).  Warnings
and Infos are reported and the record loads.

A quarantined record is released when a later build loads it, finds it
unchanged or superseded, or reads its source file again without finding it
bad (the cause was fixed, or the record now has another key).
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
    duplicates: int = 0
    quarantined: int = 0
    released: int = 0
    quads: int = 0
    warnings: int = 0
    field_issues: int = 0
    seconds: float = 0.0
    quarantine_keys: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line: the counts (they add up to the records read), then the rest."""
        return (f"{self.read} records read: {self.loaded} loaded, {self.unchanged} unchanged, "
                f"{self.superseded} superseded, {self.quarantined} quarantined, {self.duplicates} duplicate; "
                f"{self.released} released from quarantine; {self.quads} quads written, "
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
        self.stored = store.record_versions()  # graph -> (content hash, version date) already in the store
        self.seen: dict[str, tuple[str, str, str]] = {}  # graph -> (version date, outcome, hash) in this build
        self.batch: dict[str, tuple[RawRecord, str]] = {}  # graph -> (raw, nquads)
        self.sources: set[str] = set()
        self.bad_keys: set[str] = set()

    def quarantine(self, raw: RawRecord, reasons: list[dict]) -> None:
        if self.strict:
            first = reasons[0]
            value = f" (value {first['value'][:80]!r})" if first.get("value") else ""
            raise KGError(f"{raw.source_file}, record {_key(raw)}, field {first.get('field') or '-'}: "
                          f"{first['message']}{value}; stopped at the first bad record (--strict)")
        suffix = Path(raw.source_file.split("!")[-1]).suffix
        self.store.quarantine(_key(raw), raw.data, reasons, suffix)
        self.report.quarantined += 1
        self.report.quarantine_keys.append(_key(raw))
        self.bad_keys.add(_key(raw))

    def _give_way(self, graph: str, outcome: str) -> None:
        """The record seen before under this graph gives way to a newer version."""
        self.report.superseded += 1
        if outcome == "loaded":
            self.report.loaded -= 1
        elif outcome == "unchanged":
            self.report.unchanged -= 1
        elif outcome == "batch":
            self.batch.pop(graph, None)

    def add(self, raw: RawRecord) -> None:
        self.report.read += 1
        self.sources.add(raw.source_file)
        if raw.trial is None:
            self.quarantine(raw, [{"source": raw.source_file, "record": _key(raw), "field": raw.field,
                                   "message": raw.error, "severity": "Violation"}])
            return
        trial = raw.trial
        graph = record_iri(trial, self.base)
        digest = hashlib.blake2b(raw.data, digest_size=16, key=self.setup.encode()[:64]).hexdigest()
        version = trial.version_date
        seen = self.seen.get(graph)
        if seen is not None:
            seen_version, outcome, seen_digest = seen
            if digest == seen_digest and version == seen_version:
                self.report.duplicates += 1
                return
            if version <= seen_version:  # an older version (or the same version again, the first one wins)
                self.report.superseded += 1
                return
            self._give_way(graph, outcome)
        else:
            stored_digest, stored_version = self.stored.get(graph, ("", ""))
            if stored_digest == digest:
                self.report.unchanged += 1
                self.seen[graph] = (version, "unchanged", digest)
                self._release(_key(raw))
                return
            if stored_version and version and version < stored_version:  # the store holds a newer version
                self.report.superseded += 1
                self.seen[graph] = (stored_version, "stored", stored_digest)
                self._release(_key(raw))
                return
        try:
            quads = record_quads(trial, self.base, _mtime(raw.source_file))
        except (TypeError, ValueError, AttributeError, KeyError) as exc:  # a value the reader let through
            log.debug("mapping %s failed", _key(raw), exc_info=True)
            self.quarantine(raw, [{"source": raw.source_file, "record": _key(raw), "field": "", "severity": "Violation",
                                   "message": f"cannot be mapped: {type(exc).__name__}: {exc}"}])
            return
        quads.text(graph, TKG + "contentHash", digest)
        self.report.field_issues += len(trial.issues)
        self.batch[graph] = (raw, quads.serialize())
        self.seen[graph] = (version, "batch", digest)
        if len(self.batch) >= (1 if self.strict else BATCH):  # --strict: stop at the very first bad record
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        findings = validate_records({g: nq for g, (_, nq) in self.batch.items()})
        loaded: dict[str, str] = {}
        for graph, (raw, nquads) in self.batch.items():
            results = findings.get(graph, [])
            violations = [f for f in results if f.severity == "Violation"]
            if violations:
                self.seen.pop(graph, None)
                self.quarantine(raw, [{"source": raw.source_file, "record": _key(raw), "severity": f.severity,
                                       "field": f.path, "value": f.value[:300], "message": f.message, "shape": f.shape,
                                       "focus": f.focus} for f in violations])
                continue
            self.report.warnings += len(results)
            loaded[graph] = nquads
            self.report.quads += nquads.count("\n")
            self.seen[graph] = (self.seen[graph][0], "loaded", self.seen[graph][2])
        self.store.replace_graphs(loaded)
        for graph in loaded:  # only once the data is safely in the store
            self._release(_key(self.batch[graph][0]))
        self.report.loaded += len(loaded)
        self.batch.clear()

    def release_fixed(self) -> None:
        """Release quarantined records of the sources read again that this build did not find bad."""
        for key, reasons in list(self.store.quarantined()):
            if key in self.bad_keys:
                continue
            if any(reason.get("source") in self.sources for reason in reasons):
                self._release(key)

    def _release(self, key: str) -> None:
        if self.store.release(key):
            self.report.released += 1


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
    run.release_fixed()
    run.report.seconds = time.perf_counter() - start
    log.info(run.report.summary())
    return run.report
