"""MeSH descriptors: the shipped 2026 descriptor table and id normalisation.

ClinicalTrials.gov exports up to 2024-09 pad every descriptor id to nine
digits (``D000003920`` for ``D003920``); descriptors created since about 2016
genuinely have nine (``D000068877``…), while six-digit ids run only to
``D066331``.  :func:`normalise_id` maps both forms to the one NLM uses, by
number, and checks descriptors against the table.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from .rdf import MESH
from .resources import read_tsv

_ID = re.compile(r"^([DC])(\d+)$")
#: the largest descriptor number NLM writes with six digits; larger ones have nine
LAST_SHORT_DESCRIPTOR = 66331
#: supplementary concepts below this number are written with six digits (observed bound:
#: C582435 is the largest short id and C000633765 the smallest long one in 2026 exports)
FIRST_LONG_SUPPLEMENTARY = 600000


@cache
def descriptors() -> dict[str, str]:
    """``{descriptor id: preferred label}`` for the 30,532 topical MeSH 2026 descriptors."""
    return {row[0]: row[1] for row in read_tsv("mappings", "mesh", "descriptors.tsv.gz")}


@lru_cache(maxsize=1 << 16)  # a record lists each descriptor's ancestors too: the same ids again and again
def normalise_id(raw: str) -> str | None:
    """The canonical form of a MeSH id (``D000003920`` -> ``D003920``), or None if it is not one.

    Descriptor ids (``D…``) are checked against the shipped table; supplementary
    concept ids (``C…``) have no table offline and are normalised by number only.
    """
    match = _ID.match(raw.strip())
    if not match:
        return None
    kind, number = match.group(1), int(match.group(2))
    if kind == "C":
        return f"C{number:06d}" if number < FIRST_LONG_SUPPLEMENTARY else f"C{number:09d}"
    canonical = f"D{number:06d}" if number <= LAST_SHORT_DESCRIPTOR else f"D{number:09d}"
    return canonical if canonical in descriptors() else None


def iri(descriptor: str) -> str:
    """NLM's RDF IRI of a descriptor (``http://id.nlm.nih.gov/mesh/D008180``)."""
    return MESH + descriptor
