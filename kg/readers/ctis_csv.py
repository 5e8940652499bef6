"""EU CTIS public-portal CSV export: one row per trial -> :class:`~kg.model.Trial`.

The portal's search export has one row per trial with display values: statuses
("Ongoing, recruiting"), phases ("Phase I and Phase II (Integrated)- Other"),
``dd/mm/yyyy`` dates, and lists joined with ", " (countries with their
status, age groups, products, sponsors).  Multi-valued cells are split where
the pieces can be told apart; free texts whose pieces cannot (end points) are
kept whole.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import datetime

from ..mesh import descriptors
from ..model import (
    Coded, Condition, DateValue, Eligibility, Grounding, Identifier, Intervention, Issue, Location, Organisation,
    Outcome, RawRecord, Trial,
)
from ..identifiers import landing_page
from ..resources import code_lists

FORMAT = "ctis-csv"
MAPPING = "ctis"
_HEADER = ("Trial number", "Title of the trial", "Overall trial status")
_CTIS_ID = re.compile(r"^\d{4}-5\d{5}-\d{2}-\d{2}$")
#: "Croatia:Authorised, recruiting, Bulgaria:Ended" -> (Croatia, Authorised, recruiting), (Bulgaria, Ended)
_LOCATION = re.compile(r"(?:^|,\s*)([^:,]+):")
#: list items in a cell: a comma followed by a capital letter or digit (product names have lower-case commas inside)
_ITEM = re.compile(r",\s+(?=[A-Z0-9\[])")
_AREA = re.compile(r"^(?:.*?\[[A-Z]\]\s*-\s*)?(?P<label>.+?)\s*\[[A-Z]\d+\]\s*$")
_NONE = ("", "N/A")
#: what the portal shows instead of a redacted value
_WITHHELD = "Commercially confidential information"


def _date(text: str) -> str | None:
    """``17/09/2024`` -> ``2024-09-17``; None when not a date in that form."""
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").date().isoformat()
    except ValueError:
        return None


def _norm(text: str) -> str:
    return " ".join(text.split())


class _Row:
    """One CSV row with its issues."""

    def __init__(self, row: dict[str, str]) -> None:
        self.row = {k: (v or "").strip() for k, v in row.items() if k}
        self.codes = code_lists(MAPPING)
        self.issues: list[Issue] = []

    def get(self, column: str) -> str:
        value = self.row.get(column, "")
        return "" if value in _NONE or value == _WITHHELD else value

    def code(self, table: str, value: str, column: str) -> Coded | None:
        """The first term of a value; tables may give several (``Phase1 Phase2``): see :meth:`terms`."""
        coded = self.terms(table, value, column)
        return coded[0] if coded else None

    def terms(self, table: str, value: str, column: str) -> list[Coded]:
        if not value:
            return []
        terms = self.codes[table].get(_norm(value))
        if terms is None:
            self.issues.append(Issue(column, f"unseen {table.replace('_', ' ')} value, kept verbatim", value))
            return [Coded(value, None)]
        return [Coded(value, term) for term in terms.split()]

    def date(self, column: str, kind: str | None = None) -> DateValue | None:
        text = self.get(column)
        if not text:
            return None
        iso = _date(text)
        if iso is None:
            self.issues.append(Issue(column, "not a date in the form dd/mm/yyyy, kept as text", text))
            return DateValue("", text, kind)
        return DateValue(iso, text, kind)


def read_row(row: dict[str, str], source_file: str = "") -> Trial:
    """Map one row of the export to a :class:`Trial`."""
    r = _Row(row)
    number = r.get("Trial number")
    trial = Trial(trial_id=number, registry="CTIS", record_format=FORMAT, source_file=source_file,
                  url=landing_page(number))
    trial.ids.append(Identifier(number, "CTISNumber", "EU trial number", "EMA"))
    trial.official_title = _norm(r.get("Title of the trial"))  # titles carry the submitter's line breaks
    trial.study_type = Coded("clinical trial of a medicinal product", "Interventional")

    # status, dates
    status = r.get("Overall trial status")
    trial.overall_status = r.code("status", status, "Overall trial status")
    updated = r.date("Last updated")
    trial.version_date = updated.value if updated else ""
    for column, prop, kind in (("Start date", "startDate", None), ("Global end of the trial", "completionDate", "Actual"),
                               ("End date", "eeaEndDate", None)):
        value = r.date(column, kind)
        if value:
            trial.dates[prop] = value
    if r.get("Trial region"):
        trial.texts["trialRegion"] = r.get("Trial region")
    if r.get("Age range secondary identifier"):
        trial.texts["ageRange"] = [a.strip() for a in r.get("Age range secondary identifier").split(",") if a.strip()]
    decided = r.date("Decision date")
    if decided and status != "Not authorised":
        trial.dates["authorisationDate"] = decided
    results = r.get("Trial results")
    if results in ("Yes", "No"):
        trial.flags["hasResults"] = results == "Yes"

    # sites: one location per member state, with its own status
    cell = r.get("Location(s) and recruitment status")
    parts = _LOCATION.split(cell) if cell else []
    for country, state in zip(parts[1::2], parts[2::2]):
        trial.locations.append(Location(country=country.strip(), status=r.code(
            "status", state.strip().rstrip(","), "Location(s) and recruitment status")))
    seen: set[str] = set()
    trial.countries = [c for c in (loc.country for loc in trial.locations) if not (c in seen or seen.add(c))]

    # population
    ages = [c for group in r.get("Age group").split(", ") if group
            for c in r.terms("std_age", group, "Age group")]
    ages = [c for i, c in enumerate(ages) if c.term is None or c.term not in {a.term for a in ages[:i]}]
    trial.eligibility = Eligibility(sex=r.code("sex", r.get("Gender"), "Gender"), std_ages=ages)
    enrolled = r.get("Number of participants enrolled")
    if enrolled:
        try:
            trial.enrollment = int(enrolled)
        except ValueError:
            r.issues.append(Issue("Number of participants enrolled", "not an integer", enrolled))

    # conditions and the therapeutic areas (MeSH tree categories)
    if r.get("Medical conditions"):
        trial.conditions = [Condition(r.get("Medical conditions"))]
    by_label = {label.casefold(): d for d, label in descriptors().items()}
    for area in _areas(r):
        match = _AREA.match(area)
        descriptor = by_label.get(match.group("label").casefold()) if match else None
        if descriptor is None:
            r.issues.append(Issue("Therapeutic area", "therapeutic area names no MeSH 2026 descriptor", area))
        else:
            trial.condition_mesh.append(Grounding(descriptor, descriptors()[descriptor], "registry", 1.0, "EMA"))

    # design, products, end points
    trial.phases = r.terms("phase", r.get("Trial phase"), "Trial phase")
    products = [_norm(p) for p in _ITEM.split(r.get("Product")) if p.strip()]
    for name in dict.fromkeys(products):
        trial.interventions.append(Intervention(name, Coded("medicinal product", "InterventionDrug")))
    for column, kind in (("Primary endpoint", "primary"), ("Secondary endpoints", "secondary")):
        if r.get(column):
            trial.outcomes.append(Outcome(kind, r.get(column)))

    # sponsors: names and types pair up when both cells split into as many pieces
    names, types = r.get("Sponsor/Co-Sponsors"), r.get("Sponsor type")
    name_list, type_list = names.split(", "), types.split(", ")
    pairs = list(zip(name_list, type_list)) if len(name_list) == len(type_list) else [(names, types)]
    done: set[str] = set()
    for n, (name, kind) in enumerate(pairs):
        if name and name not in done:
            done.add(name)
            trial.organisations.append(Organisation(name, "LeadSponsorRole" if n == 0 else "CollaboratorRole",
                                                    r.code("sponsor_type", kind, "Sponsor type")))
    if r.get("Protocol code"):
        issuer = trial.organisations[0].name if trial.organisations else ""
        trial.ids.append(Identifier(r.get("Protocol code"), "OrgStudyId", "protocol code", issuer))
    trial.issues = r.issues
    return trial


def _areas(r: _Row) -> list[str]:
    """The therapeutic areas of a row: a JSON list in a cell (``["Diseases [C] - … [C10]"]``)."""
    cell = r.get("Therapeutic area")
    if not cell:
        return []
    try:
        areas = json.loads(cell)
    except ValueError:
        areas = [cell]
    return [str(a) for a in (areas if isinstance(areas, list) else [areas])]


def detect(head: bytes, name: str) -> bool:
    """The CTIS export: a CSV whose header names the trial number, title and overall status."""
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", errors="replace")
    return all(column in first for column in _HEADER) and "," in first


def records(data: bytes, source: str) -> Iterator[RawRecord]:
    """Yield one RawRecord per row of the export."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield RawRecord(source, 0, data, error=f"not UTF-8 text (byte {exc.start}: {exc.reason})")
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        yield RawRecord(source, 0, data, error="no CSV header")
        return
    index = -1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RawRecord(source, index + 1, b"", error=f"unreadable CSV at line {reader.line_num}: {exc}")
            return
        if not any(c.strip() for c in cells):
            continue
        index += 1
        raw = _row_bytes(header, cells)
        number = cells[0].strip() if cells else ""
        if len(cells) != len(header):
            yield RawRecord(source, index, raw, number, error=f"row has {len(cells)} cells, the header {len(header)}")
            continue
        if not _CTIS_ID.match(number):
            yield RawRecord(source, index, raw, number, error="row has no EU trial number (YYYY-5NNNNN-NN-NN)",
                            field="Trial number")
            continue
        try:
            trial = read_row(dict(zip(header, cells)), source)
        except (AttributeError, TypeError, ValueError) as exc:
            yield RawRecord(source, index, raw, number, error=f"malformed row: {exc}")
            continue
        yield RawRecord(source, index, raw, number, trial)


def _row_bytes(header: list[str], cells: list[str]) -> bytes:
    """The row as a one-row CSV with its header, so a quarantined row can be read on its own."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerow(cells)
    return out.getvalue().encode("utf-8")


def field_paths(data: bytes) -> Iterator[str]:
    """The column names of every non-empty cell, for coverage."""
    try:
        text = data.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"unreadable CSV: {exc}") from exc
    if not rows:
        return
    header = rows[0]
    for cells in rows[1:]:
        for column, value in zip(header, cells):
            if value.strip() not in _NONE:
                yield column
