"""Eligibility: ages as durations and the criteria text split into inclusion and exclusion items.

Criteria come numbered ("1. …", "(2) …"), bulleted ("* …", "- …", "• …") or
run on in one paragraph ("… 1) age 18-60; 2) SLE …").  Lines that continue an
item without a marker of their own are joined to it.  Relational signs lost in
rendering ("urine protein = 1.0 g" where ≥ was meant) are kept verbatim and the
item is flagged, never read as equality.
"""

from __future__ import annotations

import re

from ..model import Criterion
from .timepoints import UNITS, duration

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")
_HEADING = re.compile(r"(?:^|(?<=[\s.:;]))(?:key\s+)?(inclusion|exclusion)(?:\s+criteria)?\s*(?::|\n|criteria\b)",
                      re.IGNORECASE)
_MARKER = re.compile(r"^\s*(?:[*\-•·▪◦o]\s+|\(?\d{1,2}[.)](?!\d)\s*|\(?[a-z][.)]\s+|[ivx]{1,4}[.)]\s+)")
_INLINE_NUMBER = re.compile(r"(?:^|(?<=\s))\(?\d{1,2}[.)]\s+")
#: "=" before a number where a rendering dropped "≥" or "≤" (not "==", "<=", ">=", "≥=")
AMBIGUOUS_RELATION = re.compile(r"(?<![<>≤≥=!])=(?!=)\s*[-+]?\d")


def age_duration(text: str) -> str:
    """``18 Years`` -> ``P18Y``; ``6 Months`` -> ``P6M``; ``N/A`` or anything unreadable -> ``""``."""
    m = _AGE.match(text or "")
    if not m:
        return ""
    unit = m.group(2).lower()
    if unit not in UNITS:
        return ""
    return duration(float(m.group(1)), unit) or ""


def _items(section: str) -> list[str]:
    items: list[str] = []
    open_item = False
    for line in section.splitlines():
        if not line.strip():
            open_item = False
            continue
        marker = _MARKER.match(line)
        text = line[marker.end():].strip() if marker else line.strip()
        if marker or not open_item or not items:
            items.append(text)
        else:
            items[-1] += " " + text
        open_item = True
    if len(items) == 1:
        parts = [p.strip().rstrip(";").strip() for p in _INLINE_NUMBER.split(items[0]) if p.strip()]
        if len(parts) < 2:
            parts = [p.strip() for p in items[0].split(";") if p.strip()]
        items = parts
    return [i for i in items if i]


def split_criteria(text: str) -> tuple[list[Criterion], list[Criterion]]:
    """(inclusion, exclusion) items of an eligibility criteria text.

    Text before any heading counts as inclusion; with no heading at all, every
    item is an inclusion criterion.
    """
    sections: dict[str, list[str]] = {"inclusion": [], "exclusion": []}
    headings = list(_HEADING.finditer(text or ""))
    if not headings:
        sections["inclusion"] = _items(text or "")
    else:
        sections["inclusion"] = _items(text[:headings[0].start()])
        for h, nxt in zip(headings, headings[1:] + [None]):
            body = text[h.end(): nxt.start() if nxt else len(text)]
            sections[h.group(1).lower()] += _items(body.lstrip(": \t"))
    out = []
    for kind in ("inclusion", "exclusion"):
        out.append([Criterion(t, n, bool(AMBIGUOUS_RELATION.search(t)))
                    for n, t in enumerate(sections[kind], 1)])
    return out[0], out[1]
