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
from .readers import iter_sources, reader_for
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


def coverage(inputs: Iterable[str], fmt: str) -> CoverageReport:
    """Classify every non-empty field path found in the inputs."""
    reader = reader_for(fmt)
    if not hasattr(reader, "field_paths"):
        raise KGError(f"format {fmt!r} does not report field coverage")
    counts: Counter[str] = Counter()
    for _, data in iter_sources(inputs):
        try:
            counts.update(reader.field_paths(data))
        except ValueError:
            continue  # unreadable files are the build's business; coverage counts what can be read
    table = field_table(reader.MAPPING, fmt)
    report = CoverageReport()
    for path, n in counts.items():
        status, reason = table.get(path, ("unknown", ""))
        report.paths[path] = (status, n, reason)
    return report
