"""One accessor for the data that ships with trialkg: ontology, shapes, mappings.

In a wheel they live in ``kg/_resources/``; in a checkout, beside ``kg/``.
Nothing is fetched at run time.
"""

from __future__ import annotations

import csv
import gzip
from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def resource_dir(name: str) -> Path:
    """Return the folder ``ontology``, ``shapes`` or ``mappings``."""
    for base in (_PACKAGE / "_resources", _PACKAGE.parent):
        path = base / name
        if path.is_dir():
            return path
    raise FileNotFoundError(f"trialkg resource folder {name!r} is missing from {_PACKAGE}")


def resource(*parts: str) -> Path:
    """Return the path of a shipped file, e.g. ``resource('mappings', 'ctgov', 'codes.tsv')``."""
    return resource_dir(parts[0]).joinpath(*parts[1:])


def read_tsv(*parts: str) -> list[list[str]]:
    """Read a shipped TSV table (optionally gzipped), skipping ``#`` comment lines."""
    path = resource(*parts)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        return [row for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
                if row and not row[0].startswith("#")]


@cache
def code_lists(folder: str) -> dict[str, dict[str, str]]:
    """Code lists of one mapping folder: ``{list: {registry value: ontology term}}``."""
    lists: dict[str, dict[str, str]] = {}
    for row in read_tsv("mappings", folder, "codes.tsv"):
        lists.setdefault(row[0], {})[row[1]] = row[2]
    return lists
