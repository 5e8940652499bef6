"""Shared helpers for readers of saved registry web pages (text renderings).

Text rendering flattens a page into lines: labels and values share a line,
non-breaking spaces stand in for layout, empty fields read "n/a" or are a bare
label.  These helpers turn such lines into clean values, dates with their real
precision, and code values mapped through a mapping folder's code lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime

from ..model import Coded, DateValue, Issue, RawRecord, Trial
from ._codes import CodeLookup

_MONTHS = {name: n for n, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"), 1)}
_MONTHS.update({name[:3]: n for name, n in list(_MONTHS.items())})
_SPACES = re.compile(r"[ \t\u00a0\u2007\u202f]+")
#: values that mean "nothing given" on a page
EMPTY = {"", "n/a", "na", "none given", "-"}


def decode(data: bytes) -> str:
    """The page text: UTF-8 (with or without BOM) or UTF-16; raises UnicodeDecodeError otherwise."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def lines_of(text: str) -> list[str]:
    """The page's lines, right-stripped, with non-breaking spaces made plain spaces."""
    return [line.replace("\u00a0", " ").rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]


def squash(value: str) -> str:
    """Runs of spaces collapsed, ends stripped."""
    return _SPACES.sub(" ", value).strip()


def clean(value: str) -> str:
    """One field value: runs of spaces collapsed, ends stripped, "n/a" made empty."""
    value = _SPACES.sub(" ", value).strip()
    return "" if value.casefold() in EMPTY else value


def block(lines: list[str]) -> str:
    """A multi-line text field: outer blank lines dropped, inner line breaks kept, runs of blank lines made one."""
    out: list[str] = []
    for line in lines:
        if not line.strip() and (not out or not out[-1]):
            continue
        out.append(line.strip() if not line.strip() else line.rstrip())
    while out and not out[-1]:
        out.pop()
    text = "\n".join(out)
    return "" if clean(text) == "" else text


def parse_date(text: str, day_first: bool = True) -> str:
    """An ISO date of the precision given: ``January 2017`` -> ``2017-01``; empty when not a date.

    Understands ``February 7, 2018``, ``16 December 2017``, ``January 2017``,
    ``2017``, ISO forms and numeric ``10/07/2017`` (day first unless told otherwise).
    """
    t = clean(text).rstrip(".")
    if not t:
        return ""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", t)
    if m:
        return _iso(int(m[1]), int(m[2]) if m[2] else None, int(m[3]) if m[3] else None)
    m = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", t)
    if m:
        day, month = (int(m[1]), int(m[2])) if day_first else (int(m[2]), int(m[1]))
        return _iso(int(m[3]), month, day)
    m = re.fullmatch(r"([A-Za-z]+)\.? (\d{1,2}),? (\d{4})", t)  # February 7, 2018
    if m and m[1].casefold() in _MONTHS:
        return _iso(int(m[3]), _MONTHS[m[1].casefold()], int(m[2]))
    m = re.fullmatch(r"(\d{1,2}) ([A-Za-z]+)\.?,? (\d{4})", t)  # 16 December 2017
    if m and m[2].casefold() in _MONTHS:
        return _iso(int(m[3]), _MONTHS[m[2].casefold()], int(m[1]))
    m = re.fullmatch(r"([A-Za-z]+)\.?,? (\d{4})", t)  # January 2017
    if m and m[1].casefold() in _MONTHS:
        return _iso(int(m[2]), _MONTHS[m[1].casefold()], None)
    return ""


def _iso(year: int, month: int | None, day: int | None) -> str:
    try:
        if day is not None:
            return datetime(year, month or 1, day).strftime("%Y-%m-%d")
        if month is not None:
            return datetime(year, month, 1).strftime("%Y-%m")
    except ValueError:
        return ""
    return f"{year:04d}"


def yes_no(value: str) -> bool | None:
    """``Yes``/``No`` (any case) as a boolean; None for anything else."""
    return {"yes": True, "no": False, "true": True, "false": False}.get(clean(value).casefold())


def split_phases(text: str) -> list[str]:
    """The phases of a phase field: ``Phase 2/Phase 3`` -> ``["Phase 2", "Phase 3"]``; ``N/A`` stays whole."""
    t = squash(text)
    if not t or t.casefold() in ("n/a", "na", "not applicable"):
        return [t] if t else []
    parts = [p.strip() for p in re.split(r"\s*/\s*|\s*,\s*", t) if p.strip()]
    if len(parts) == 2 and re.fullmatch(r"\d|I{1,3}|IV", parts[1]) and parts[0].casefold().startswith("phase"):
        parts[1] = f"Phase {parts[1]}"  # "Phase 2/3"
    return parts


_DESIGN_KEYS = {
    "allocation": ("allocation", "allocation"),
    "intervention model": ("interventionModel", "intervention_model"),
    "primary purpose": ("primaryPurpose", "primary_purpose"),
    "masking": ("masking", "masking"),
    "observational model": ("observationalModel", "observational_model"),
    "time perspective": ("timePerspective", "time_perspective"),
}
_DESIGN_SPLIT = re.compile(r"(?:^|[.,;]\s*)(" + "|".join(
    ["allocation", "intervention model", "primary purpose", "masking", "observational model", "time perspective",
     "endpoint classification"]) + r")\s*:", re.IGNORECASE)


def design_parts(text: str) -> list[tuple[str, str]]:
    """``Intervention model: Single Group Assignment. Masking: None (Open Label).`` -> (key, value) pairs.

    Keys are lower-cased labels; values lose their closing punctuation.
    """
    matches = list(_DESIGN_SPLIT.finditer(text))
    out = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = squash(text[m.end():end]).rstrip(".,; ")
        out.append((m[1].casefold(), value))
    return out


class Codes(CodeLookup):
    """Looks code values up in one mapping folder and records unseen ones as issues."""

    def __init__(self, folder: str, issues: list[Issue]) -> None:
        super().__init__(folder)
        self.folded = {name: {k.casefold(): v for k, v in table.items()} for name, table in self.codes.items()}
        self.issues = issues

    def term(self, table: str, value: str) -> str | None:
        """The term a value maps to (exact, else case-insensitive), or None."""
        found = self.codes.get(table, {}).get(value)
        return found if found is not None else self.folded.get(table, {}).get(value.casefold())

    def code(self, table: str, value: str, field: str) -> Coded | None:
        """A :class:`Coded` for a page value (None when empty); an unseen value is kept verbatim with an issue."""
        return super().code(table, squash(value), field)  # not clean(): "N/A" is a real value of some lists

    def date(self, text: str, field: str, kind: str | None = None, day_first: bool = True) -> DateValue | None:
        """A :class:`DateValue` for a page date (None when empty); an unparseable date is kept as text."""
        text = clean(text)
        if not text:
            return None
        value = parse_date(text, day_first)
        if not value:
            self.issues.append(Issue(field, "not a recognised date, kept as text", text))
        return DateValue(value, text, kind)

    def design(self, text: str, field: str) -> tuple[dict[str, Coded], list[Coded]]:
        """Design codes and the masked roles from a study design text."""
        design: dict[str, Coded] = {}
        masked: list[Coded] = []
        for key, value in design_parts(text):
            if key not in _DESIGN_KEYS or not value:
                continue  # e.g. the legacy "Endpoint Classification": kept in the verbatim design text
            prop, table = _DESIGN_KEYS[key]
            if key == "masking":
                m = re.fullmatch(r"(.*?)\s*\(([^()]*)\)", value)
                if m and self.term("masking", value) is None:
                    value = m[1]
                    masked = [c for c in (self.code("who_masked", w, f"{field}.masking")
                                          for w in m[2].split(",")) if c]
            coded = self.code(table, value, f"{field}.{prop}")
            if coded:
                design[prop] = coded
        return design, masked

    def split_degree(self, name: str) -> tuple[str, str]:
        """``Baoyong Yan, Doctor`` -> (``Baoyong Yan``, ``Doctor``); degrees come from the ``degree`` list."""
        parts = [p.strip() for p in clean(name).split(",")]
        degrees: list[str] = []
        while len(parts) > 1 and self.term("degree", parts[-1]) is not None:
            degrees.insert(0, self.term("degree", parts.pop()) or "")
        return ", ".join(parts), ", ".join(degrees)


def page_records(data: bytes, source: str, read_page: Callable[[str, str], Trial], record_id: re.Pattern[str],
                 id_field: str) -> Iterator[RawRecord]:
    """One page is one record: its Trial, or the page kept with why it could not be read.

    ``record_id`` finds the page's id (group 1) so that even an unreadable page is filed under it.
    """
    try:
        text = decode(data)
    except UnicodeDecodeError as exc:
        yield RawRecord(source, 0, data, error=f"not UTF-8 or UTF-16 text (byte {exc.start}: {exc.reason})")
        return
    m = record_id.search(text)
    found = m[1] if m else ""
    try:
        trial = read_page(text, source)
    except ValueError as exc:
        yield RawRecord(source, 0, data, found, error=str(exc), field="" if found else id_field)
        return
    yield RawRecord(source, 0, data, trial.trial_id, trial)
