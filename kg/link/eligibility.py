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

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\b")


def _anycase(word: str) -> str:
    # spelled-out case classes: several times faster than re.IGNORECASE on long criteria texts
    return "".join(f"[{c.upper()}{c.lower()}]" for c in word)


_HEADING = re.compile(rf"(?<![^\s.:;])(?:{_anycase('key')}\s+)?({_anycase('in')}|{_anycase('ex')}){_anycase('clusion')}"
                      rf"(?:\s+{_anycase('criteria')})?\s*(?::|\n|{_anycase('criteria')}\b)")
_BLANK = re.compile(r"\n[ \t]*\n")
#: a line starting with a bullet, a number ("1." "(2)" but not "2.5"), a letter or a roman numeral
_LINE_MARKER = re.compile(r"\n[ \t]*(?:[*\-•·▪◦o][ \t]+|\(?\d{1,2}[.)](?!\d)[ \t]*"
                          r"|\(?[a-z][.)][ \t]+|[ivx]{1,4}[.)][ \t]+)")
_INLINE_NUMBER = re.compile(r"(?:^|(?<=\s))\(?\d{1,2}[.)]\s+")
#: "=" before a number where a rendering dropped "≥" or "≤" (not "==", "<=", ">=", "≥=")
AMBIGUOUS_RELATION = re.compile(r"(?<![<>≤≥=!])=(?!=)\s*[-+]?\d")


def age_duration(text: str) -> str:
    """``18 Years`` -> ``P18Y``; ``6 Months`` -> ``P6M``; ``N/A`` or anything unreadable -> ``""``.

    A bare number (``18``, as some WHO ICTRP exports give it) is read as years.
    """
    if text.strip().isdigit():
        return f"P{int(text)}Y"
    m = _AGE.match(text or "")
    if not m:
        return ""
    unit = m.group(2).lower()
    if unit not in UNITS:
        return ""
    return duration(float(m.group(1)), unit) or ""


def _items(section: str) -> list[str]:
    # paragraphs end items; inside one, a marker at a line start begins an item and other lines continue it
    items = [" ".join(part.split()) for para in _BLANK.split(section) for part in _LINE_MARKER.split("\n" + para)]
    items = [i for i in items if i]
    if len(items) == 1:
        parts = [p.strip().rstrip(";").strip() for p in _INLINE_NUMBER.split(items[0]) if p.strip()]
        if len(parts) < 2:
            parts = [p.strip() for p in items[0].split(";") if p.strip()]
        items = parts
    return [i for i in items if i]


_AT_HEADING = re.compile(r"(?:key\s+)?(in|ex)clusion(?:\s+criteria)?\s*(?::|\n|criteria\b)")


def _headings(text: str) -> list[re.Match[str]]:
    """Inclusion/exclusion headings: found with ``str.find`` on the lower-cased text, checked by a regex there."""
    low = text.lower()
    if len(low) != len(text):  # a few characters change length when lower-cased: take the slower path
        return list(_HEADING.finditer(text))
    found: list[re.Match[str]] = []
    at = low.find("clusion")
    while at >= 0:
        start = at - 2
        key = low.rfind("key", 0, start)
        if key >= 0 and key + 3 < start and not low[key + 3:start].strip():
            start = key
        m = _AT_HEADING.match(low, start) if start >= 0 else None
        if m and (start == 0 or low[start - 1] in " \t\r\n.:;") and (not found or m.start() >= found[-1].end()):
            found.append(m)
        at = low.find("clusion", at + 7)
    return found


def split_criteria(text: str) -> tuple[list[Criterion], list[Criterion]]:
    """(inclusion, exclusion) items of an eligibility criteria text.

    Text before any heading counts as inclusion; with no heading at all, every
    item is an inclusion criterion.
    """
    sections: dict[str, list[str]] = {"inclusion": [], "exclusion": []}
    headings = _headings(text or "")
    if not headings:
        sections["inclusion"] = _items(text or "")
    else:
        sections["inclusion"] = _items(text[:headings[0].start()])
        for h, nxt in zip(headings, headings[1:] + [None]):
            body = text[h.end(): nxt.start() if nxt else len(text)]
            sections[h.group(1).lower() + "clusion"] += _items(body.lstrip(": \t"))
    out = []
    for kind in ("inclusion", "exclusion"):
        out.append([Criterion(t, n, "=" in t and bool(AMBIGUOUS_RELATION.search(t)))
                    for n, t in enumerate(sections[kind], 1)])
    return out[0], out[1]
