"""Time frames of outcome measures as structured time points (``xsd:duration``).

"month 3, month 6, month 9 and month 12 after treatment" -> P3M P6M P9M P12M;
"1, 3, 6 months" -> P1M P3M P6M; "Baseline and week 52" -> P0D P364D.
xsd:duration has no weeks, so weeks become days.  A unit written before its
numbers ("weeks 4, 8 and 12") takes the numbers that follow it; numbers written
before a unit ("3 and 6 mos") take the unit that follows them.
"""

from __future__ import annotations

import re
from functools import lru_cache

_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+|[,;&/+:()-]")
_WORD_NUMBERS = {w: n for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_WORD_NUMBERS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "hundred": 100,
                      "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
                      "eighth": 8, "ninth": 9, "tenth": 10, "twelfth": 12})
_ORDINAL = {"st", "nd", "rd", "th"}
#: unit words -> (designator, multiplier); weeks are written as days
UNITS = {
    "second": ("S", 1), "seconds": ("S", 1), "sec": ("S", 1), "secs": ("S", 1),
    "minute": ("MIN", 1), "minutes": ("MIN", 1), "min": ("MIN", 1), "mins": ("MIN", 1),
    "hour": ("H", 1), "hours": ("H", 1), "hr": ("H", 1), "hrs": ("H", 1), "h": ("H", 1),
    "day": ("D", 1), "days": ("D", 1), "d": ("D", 1),
    "week": ("D", 7), "weeks": ("D", 7), "wk": ("D", 7), "wks": ("D", 7), "w": ("D", 7),
    "month": ("M", 1), "months": ("M", 1), "mo": ("M", 1), "mos": ("M", 1), "mth": ("M", 1), "mths": ("M", 1),
    "m": ("M", 1),
    "year": ("Y", 1), "years": ("Y", 1), "yr": ("Y", 1), "yrs": ("Y", 1), "y": ("Y", 1),
}
#: abbreviations that are units only right after a number ("12 m", "24h")
_ONLY_AFTER_NUMBER = {"h", "d", "w", "m", "y", "mo", "min", "sec"}
#: words and signs between numbers and units that keep the numbers waiting for their unit
_SEPARATORS = {",", ";", "&", "/", "+", "-", "and", "or", "to", "through", "thru", "until", "till", "then",
               "postoperative", "operative", "consecutive", "additional", "treatment",
               "up", "at", "of", "by", "post", "after", "following", "within", "from", "approximately", "about",
               "the", "every", "each", "visit", "visits", "end", "(", ")", ":"}
_BASELINE = {"baseline", "pre", "pretreatment", "preoperative", "preoperatively", "enrollment", "enrolment",
             "randomization", "randomisation", "admission"}


def duration(amount: float, unit: str) -> str | None:
    """An xsd:duration for an amount of a unit word (``3, "months"`` -> ``P3M``); None if not expressible."""
    designator, factor = UNITS[unit]
    value = amount * factor
    if value != int(value):
        if designator == "Y" and value * 12 == int(value * 12):
            return f"P{int(value * 12)}M"
        if designator == "D" and value * 24 == int(value * 24):
            return f"PT{int(value * 24)}H"
        if designator == "H" and value * 60 == int(value * 60):
            return f"PT{int(value * 60)}M"
        return None
    value = int(value)
    if designator in ("H", "S"):
        return f"PT{value}{designator}"
    if designator == "MIN":
        return f"PT{value}M"
    return f"P{value}{designator}"


def _number(tok: str) -> float | None:
    if tok[0].isdigit():
        return float(tok)
    return _WORD_NUMBERS.get(tok)


def parse(text: str) -> list[str]:
    """The time points a time-frame text names, as xsd:durations in text order, without repeats."""
    return list(_parse(text))


@lru_cache(maxsize=8192)  # registries repeat the same few time frames across outcomes and records
def _parse(text: str) -> tuple[str, ...]:
    toks = _TOKEN.findall(text.lower())
    out: list[str] = []
    pending: list[float] = []
    pre_unit: str | None = None  # a unit written before its numbers, still taking numbers

    def emit(amount: float, unit: str) -> None:
        d = duration(amount, unit)
        if d and d not in out:
            out.append(d)

    for i, tok in enumerate(toks):
        if tok in _ORDINAL and i and toks[i - 1][0].isdigit():
            continue
        if tok in _BASELINE:
            if "P0D" not in out:
                out.append("P0D")
            pending, pre_unit = [], None
            continue
        value = _number(tok)
        if value is not None:
            if pre_unit:
                emit(value, pre_unit)
            else:
                pending.append(value)
            continue
        if tok in UNITS and (pending or tok not in _ONLY_AFTER_NUMBER):
            if pending:
                for value in pending:
                    emit(value, tok)
                pending, pre_unit = [], None
            else:
                nxt = toks[i + 1] if i + 1 < len(toks) else ""
                pre_unit = tok if nxt and _number(nxt) is not None else None
            continue
        if tok in _SEPARATORS:
            continue
        pending, pre_unit = [], None
    return tuple(out)
