"""Field coverage: which field paths of the input records trialkg maps, leaves out, or does not know.

Each reader that supports coverage exposes ``field_paths(data)`` (every
non-empty field path in a file) and ``MAPPING`` (its folder in ``mappings/``),
whose ``fields.tsv`` lists each known path as ``mapped`` or ``left-out`` with a
reason.  A path in neither is ``unknown``: a field nobody has decided about.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from .errors import KGError
from .readers import detect, iter_sources, reader_for
from .resources import read_tsv


@dataclass(slots=True)
class CoverageReport:
    """Every distinct field path seen: ``{path: (status, occurrences, reason)}``."""

    paths: dict[str, tuple[str, int, str]] = field(default_factory=dict)

    def count(self, status: str, prefix: str = "") -> int:
        return sum(1 for p, (s, _, _) in self.paths.items() if s == status and p.startswith(prefix))

    @property
    def unknown(self) -> int:
        return self.count("unknown")

    def summary(self, prefix: str = "") -> str:
        total = sum(1 for p in self.paths if p.startswith(prefix))
        mapped, left, unknown = (self.count(s, prefix) for s in ("mapped", "left-out", "unknown"))
        accounted = 100.0 * (mapped + left) / total if total else 100.0
        share = 100.0 * mapped / total if total else 100.0
        return (f"{total} field paths{' under ' + prefix if prefix else ''}: {mapped} mapped ({share:.1f} %), "
                f"{left} left out, {unknown} unknown; {accounted:.1f} % accounted")


def field_table(folder: str, fmt: str) -> dict[str, tuple[str, str]]:
    """``{path: (status, reason)}`` from ``mappings/<folder>/fields.tsv`` (rows may start with the format)."""
    table = {}
    for row in read_tsv("mappings", folder, "fields.tsv"):
        if len(row) >= 4 or (len(row) == 3 and row[2] in ("mapped", "left-out")):
            if row[0] != fmt:
                continue
            row = row[1:]
        path, status, reason = (row + ["", ""])[:3]
        table[path] = (status, reason)
    return table


def coverage_by_format(inputs: Iterable[str], fmt: str | None = None) -> dict[str, CoverageReport]:
    """Classify every non-empty field path found in the inputs, per format (detected, or ``fmt``)."""
    forced = reader_for(fmt) if fmt else None
    counts: dict[str, Counter[str]] = {}
    readers = {}
    for source, data in iter_sources(inputs):
        reader = forced or detect(data, source)
        if reader is None:
            continue  # unrecognised files are the build's business (it quarantines them)
        if not hasattr(reader, "field_paths"):
            raise KGError(f"format {reader.FORMAT!r} does not report field coverage")
        readers[reader.FORMAT] = reader
        try:
            counts.setdefault(reader.FORMAT, Counter()).update(reader.field_paths(data))
        except ValueError:
            continue  # an unreadable file: coverage counts what can be read
    reports = {}
    for name, found in sorted(counts.items()):
        table = field_table(readers[name].MAPPING, name)
        report = reports[name] = CoverageReport()
        for path, n in found.items():
            status, reason = table.get(path, ("unknown", ""))
            report.paths[path] = (status, n, reason)
    return reports


def coverage(inputs: Iterable[str], fmt: str) -> CoverageReport:
    """Coverage of the inputs read as one format."""
    return coverage_by_format(inputs, fmt).get(fmt, CoverageReport())
