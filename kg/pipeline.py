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
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from .errors import KGError
from .link import link_trial
from .link.instruments import INSTRUMENTS_ENV, catalogue
from .link.mesh import MESH_ENV, matcher
from .mapper import map_trial, record_iri
from .model import RawRecord, Trial
from .rdf import DEFAULT_BASE, TKG, Quads
from .readers import read_records
from .resources import resource_dir
from .store import Store
from .validate import Finding, compiled_plan, validate_records

log = logging.getLogger(__name__)

BATCH = 100  # records per batch: mapped, validated and loaded together


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


def _map_batch(items: list[tuple[str, Trial, str, str]], base: str) -> list[tuple[str, bytes, int, list[Finding], str]]:
    """Link, map and validate a batch of records.

    ``(graph, trial, retrieved, content hash)`` in; ``(graph, N-Quads in UTF-8, field issues,
    findings, error)`` out, where a record that cannot be mapped has only its error.
    """
    done: list[tuple[str, Quads | None, int, str]] = []
    for graph, trial, retrieved, digest in items:
        try:
            quads = record_quads(trial, base, retrieved)
        except (TypeError, ValueError, AttributeError, KeyError) as exc:  # a value the reader let through
            log.debug("mapping %s failed", graph, exc_info=True)
            done.append((graph, None, 0, f"cannot be mapped: {type(exc).__name__}: {exc}"))
            continue
        quads.text(graph, TKG + "contentHash", digest)
        done.append((graph, quads, len(trial.issues), ""))
    findings = validate_records({graph: quads for graph, quads, _, error in done if not error})
    return [(graph, b"" if quads is None else quads.serialize().encode(), issues, findings.get(graph, []), error)
            for graph, quads, issues, error in done]


def _warm() -> None:
    """Load what every record needs (shapes, MeSH and instrument tables) once per process."""
    compiled_plan()
    matcher()
    catalogue()


class _Build:
    def __init__(self, store: Store, base: str, strict: bool, jobs: int) -> None:
        self.store = store
        self.base = base
        self.strict = strict
        self.report = BuildReport()
        self.setup = _setup_digest(base)
        self.stored = store.record_versions()  # graph -> (content hash, version date) already in the store
        self.seen: dict[str, tuple[str, str, str]] = {}  # graph -> (version date, outcome, hash) in this build
        self.batch: dict[str, RawRecord] = {}  # graph -> record waiting to be mapped
        self.sources: set[str] = set()
        self.bad_keys: set[str] = set()
        # batches being mapped (by worker processes when jobs > 1), oldest first
        self.mapping: deque[tuple[dict[str, tuple[RawRecord, str]], Callable[[], list]]] = deque()
        self.jobs = 1 if strict else jobs
        self.pool = None
        if self.jobs > 1:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
            self.pool = context.Pool(self.jobs, initializer=_warm)
        # the store loads in a thread (Oxigraph releases the GIL) while the next batch is mapped
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="trialkg-store")
        self.writing: tuple[Future, list[tuple[str, str]]] | None = None
        # (key, graph) of records loaded but not yet durable: their quarantine entries wait for a checkpoint
        self.unreleased: list[tuple[str, str]] = []

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
        # "mapping": the batch is with the mappers; its result is dropped when it comes back

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
        self.batch[graph] = raw
        self.seen[graph] = (version, "batch", digest)
        if len(self.batch) >= (1 if self.strict else BATCH):  # --strict: stop at the very first bad record
            self.submit()

    def submit(self) -> None:
        """Send the batch to be mapped; take in the results of the batches sent before, keeping
        as many in flight as there are mapping processes."""
        if self.batch:
            batch: dict[str, tuple[RawRecord, str]] = {}
            items = []
            for graph, raw in self.batch.items():
                version, _, digest = self.seen[graph]
                self.seen[graph] = (version, "mapping", digest)
                batch[graph] = (raw, digest)
                items.append((graph, raw.trial, _mtime(raw.source_file), digest))
            self.batch = {}
            if self.pool is None:
                results = _map_batch(items, self.base)
                self.mapping.append((batch, lambda: results))
            else:
                self.mapping.append((batch, self.pool.apply_async(_map_batch, (items, self.base)).get))
        while len(self.mapping) > (self.jobs if self.pool else 0):
            self.collect(*self.mapping.popleft())

    def finish(self) -> None:
        """Map what is left and wait until it is in the store."""
        self.submit()
        while self.mapping:
            self.collect(*self.mapping.popleft())
        self._written()
        if self.store.checkpoint():
            self._release_loaded()

    def close(self) -> None:
        """Stop the mapping processes and the store writer (after an error too)."""
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
        self.writer.shutdown()

    def collect(self, batch: dict[str, tuple[RawRecord, str]], results: Callable[[], list]) -> None:
        """Quarantine the records of a mapped batch that have Violations and load the rest."""
        loaded: dict[str, bytes] = {}
        for graph, nquads, issues, findings, error in results():
            raw, digest = batch[graph]
            seen = self.seen.get(graph)
            if seen is None or seen[1:] != ("mapping", digest):
                continue  # a newer version of the record came along while this one was mapped
            if error:
                self.seen.pop(graph, None)
                self.quarantine(raw, [{"source": raw.source_file, "record": _key(raw), "field": "",
                                       "severity": "Violation", "message": error}])
                continue
            self.report.field_issues += issues
            violations = [f for f in findings if f.severity == "Violation"]
            if violations:
                self.seen.pop(graph, None)
                self.quarantine(raw, [{"source": raw.source_file, "record": _key(raw), "severity": f.severity,
                                       "field": f.path, "value": f.value[:300], "message": f.message, "shape": f.shape,
                                       "focus": f.focus} for f in violations])
                continue
            self.report.warnings += len(findings)
            loaded[graph] = nquads
            self.report.quads += nquads.count(b"\n")
            self.seen[graph] = (seen[0], "loaded", seen[2])
        self.report.loaded += len(loaded)
        self._written()
        keys = [(_key(batch[graph][0]), graph) for graph in loaded]
        self.writing = (self.writer.submit(self.store.replace_graphs, loaded), keys)

    def _written(self) -> None:
        """Wait for the store write under way; release records from quarantine once their data is durable
        (at a store checkpoint)."""
        if self.writing is not None:
            future, keys = self.writing
            self.writing = None
            durable = future.result()
            self.unreleased += keys
            if durable:
                self._release_loaded()

    def _release_loaded(self) -> None:
        for key, graph in self.unreleased:
            if graph in self.seen:  # not if a newer version of the record has been quarantined since
                self._release(key)
        self.unreleased = []

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
          strict: bool = False, on_record: Callable[[RawRecord], None] | None = None, jobs: int = 1) -> BuildReport:
    """Build (or update) the store from the inputs and report what happened.

    With ``jobs`` > 1, that many processes link, map and validate the records
    (not with ``strict``, which stops at the first bad record).
    """
    start = time.perf_counter()
    store.load_ontology()
    run = _Build(store, base, strict, jobs)
    try:
        for raw in read_records(inputs, fmt):
            run.add(raw)
            if on_record:
                on_record(raw)
        run.finish()
    finally:
        run.close()
    run.release_fixed()
    run.report.seconds = time.perf_counter() - start
    log.info(run.report.summary())
    return run.report
