"""EU Clinical Trials Register "full trial details" text download -> one Trial per member-state record.

The register's text download holds one block per trial *and member state*, each
opening with ``Summary`` / ``EudraCT Number: …`` and going on with protocol
fields ``<code> <label>: <value>`` (``A.3 Full title of the trial: …``); values
run on over the following lines until the next field.  Each block is its own
source record (``2021-000037-14-PL``) of one EudraCT trial: the trial id
``EUCTR2021-000037-14-PL`` is keyed to the EudraCT number by
:func:`kg.identifiers.trial_key`.  A member state listed twice (two
applications) gets ``-2`` on its second record id.

Values broken upstream (the literal ``JSON_ERROR_HERE``) become error
:class:`~kg.model.Issue` entries naming the field; the rest of the record stands.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from ..identifiers import classify
from ..mesh import descriptors
from ..model import (
    Coded,
    Condition,
    DateValue,
    Eligibility,
    Grounding,
    Identifier,
    Intervention,
    Issue,
    Organisation,
    Outcome,
    Person,
    RawRecord,
    Trial,
)
from ..resources import read_tsv
from ._codes import CodeLookup

FORMAT = "euctr-text"
MAPPING = "euctr"
BROKEN = "JSON_ERROR_HERE"
_INTRO = b"This file contains full details on each clinical trial"
#: ``A.3``, ``B.1.3.4``, ``D.IMP``, ``N.``, ``E.6 and E.7``, ``D.3.8 to D.3.10``
_FIELD = re.compile(r"^(?P<code>[A-Z]\.(?:[A-Z0-9]+(?:\.\d+)*)?(?:\s+(?:and|to)\s+[A-Z]\.[\d.]+)?)(?::\s*|\s+)(?P<rest>.*)$")
_SUMMARY = ("EudraCT Number", "Sponsor's Protocol Code Number", "National Competent Authority",
            "Clinical Trial Type", "Trial Status",
            "Date on which this record was first entered in the EudraCT database", "Link")
_LANGUAGE = re.compile(r"^(?P<label>.*?) \((?P<lang>[a-z]{2})\)$")
#: labels that hold a colon themselves
_COLON_LABELS = ("Ethics Committee Opinion: Reason(s) for unfavourable opinion",)
#: lines that head a block of fields and carry no value
_HEADERS = re.compile(r"^(Summary|MedDRA Classification|Sponsor \d+)$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_AREA = re.compile(r"^(?:.*?\[[A-Z]\]\s*-\s*)?(?P<label>.+?)\s*\[[A-Z]\d+\]\s*$")


@dataclass(slots=True)
class Field:
    """One ``code label: value`` line (and its run-on lines) of a record."""

    code: str
    label: str
    value: str
    lang: str = ""  #: two-letter code of a translated value (``es``), '' for English
    group: int = 0  #: which sponsor, IMP or placebo block the field belongs to (1, 2 …)

    @property
    def path(self) -> str:
        """The field's path for coverage and issues, e.g. ``A.3 Full title of the trial``."""
        name = f"{self.code} {self.label}".strip() if self.code else f"Summary {self.label}"
        return f"{name} (translation)" if self.lang else name


def parse_fields(text: str) -> list[Field]:
    """The fields of one record block, in order, run-on lines joined to their field."""
    fields: list[Field] = []
    current: Field | None = None
    group = 0
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        match = _FIELD.match(stripped)
        if _HEADERS.match(stripped):
            current = None
            if stripped.startswith("Sponsor "):
                group = int(stripped.split()[1])
            continue
        if match is None and stripped.split(":", 1)[0] in _SUMMARY:
            label, _, value = stripped.partition(":")
            current = Field("", label, value.strip())
            fields.append(current)
            continue
        if match is None:
            if current is not None:
                current.value = f"{current.value}\n{stripped}" if current.value else stripped
            continue
        code, rest = match.group("code"), match.group("rest")
        if code == "D.IMP" or (code == "D.8" and rest.startswith("Placebo:")):
            group = int(re.sub(r"\D", "", rest) or 0)
        label, value = _split(rest)
        if label is None:  # a heading such as "E.8 Design of the trial"
            current = None
            continue
        lang = ""
        tagged = _LANGUAGE.match(label)
        if tagged:
            label, lang = tagged.group("label"), tagged.group("lang")
        current = Field(code, label, value, lang, group if code[:1] in "BD" else 0)
        fields.append(current)
    for f in fields:
        f.value = f.value.strip()
    return fields


def _split(rest: str) -> tuple[str | None, str]:
    """``label: value`` -> (label, value); a question ``…Trial? Yes``; None for a heading without colon."""
    for label in _COLON_LABELS:
        if rest.startswith(label + ":"):
            return label, rest[len(label) + 1:].strip()
    if ":" in rest:
        label, _, value = rest.partition(":")
        return label.strip(), value.strip()
    if "? " in rest:
        label, _, value = rest.partition("? ")
        return label + "?", value.strip()
    return None, ""


def split_records(text: str) -> list[str]:
    """The record blocks of a download: each starts at a ``Summary`` line followed by ``EudraCT Number:``."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == "Summary"
              and i + 1 < len(lines) and lines[i + 1].startswith("EudraCT Number:")]
    return ["\n".join(lines[a:b]) for a, b in zip(starts, starts[1:] + [len(lines)])]


class _Record(CodeLookup):
    """Field look-ups over one record, with the issues found along the way."""

    def __init__(self, fields: list[Field]) -> None:
        super().__init__(MAPPING)
        self.fields = []
        for f in fields:
            if f.value == BROKEN:
                self.issues.append(Issue(f.path, "value lost upstream (the export wrote JSON_ERROR_HERE); left empty",
                                         f.value, "error"))
                f.value = ""
            self.fields.append(f)

    def all(self, code: str, label: str = "", group: int | None = None) -> list[Field]:
        return [f for f in self.fields if f.code == code and not f.lang and (not label or f.label == label)
                and (group is None or f.group == group)]

    def get(self, code: str, label: str = "", group: int | None = None) -> str:
        found = self.all(code, label, group)
        return found[0].value if found else ""

    def yes(self, code: str, label: str = "") -> bool | None:
        value = self.get(code, label)
        return {"Yes": True, "No": False}.get(value)

    def date(self, value: str, field: str, kind: str | None = None) -> DateValue | None:
        if not value:
            return None
        if not _ISO_DATE.match(value):
            self.issues.append(Issue(field, "not an ISO date (YYYY-MM-DD), kept as text", value))
            return DateValue("", value, kind)
        return DateValue(value, value, kind)


def read_record(fields: list[Field], trial_id: str, record_id: str = "", source_file: str = "") -> Trial:
    """Map the fields of one member-state record to a :class:`Trial`."""
    r = _Record(fields)
    summary = {f.label: f.value for f in r.fields if not f.code}
    eudract = summary.get("EudraCT Number") or r.get("A.2")
    trial = Trial(trial_id=trial_id, registry="EUCTR", record_format=FORMAT, record_id=record_id,
                  source_file=source_file, url=summary.get("Link", ""))

    # identifiers and titles
    trial.ids.append(Identifier(eudract, "EudraCTNumber", "EudraCT number", "EMA"))
    sponsor = r.get("B.1.1", group=1) or r.get("B.1.1")
    protocol = r.get("A.4.1") or summary.get("Sponsor's Protocol Code Number", "")
    if protocol:
        trial.ids.append(Identifier(protocol, "OrgStudyId", "sponsor's protocol code number", sponsor))
    for f in r.fields:
        if f.code.startswith("A.5") and f.value and not f.lang:
            for value in re.split(r"[\s,;]+", f.value) if f.code != "A.5.4" else [f.value]:
                scheme = classify(value)
                trial.ids.append(Identifier(value, scheme[0] if scheme else "OtherIdentifier", f.label))
    trial.official_title = r.get("A.3")
    trial.brief_title = r.get("A.3.1")
    trial.acronym = r.get("A.3.2")

    # status and dates
    status = r.get("P.", "End of Trial Status") or summary.get("Trial Status", "")
    trial.overall_status = r.code("status", status, "P. End of Trial Status")
    entered = r.date(summary.get("Date on which this record was first entered in the EudraCT database", ""),
                     "Summary Date on which this record was first entered in the EudraCT database")
    if entered:
        trial.dates["firstSubmittedDate"] = entered
    ended = r.date(r.get("P.", "Date of the global end of the trial"), "P. Date of the global end of the trial", "Actual")
    if ended:
        trial.dates["completionDate"] = ended
    authorised = r.date(r.get("N.", "Date of Competent Authority Decision"), "N. Date of Competent Authority Decision")
    if authorised and r.get("N.", "Competent Authority Decision") == "Authorised":
        trial.dates["authorisationDate"] = authorised
    opinion = r.get("N.", "Ethics Committee Opinion of the trial application")
    if opinion:
        trial.texts["ethicsReviewStatus"] = opinion
    approved = r.date(r.get("N.", "Date of Ethics Committee Opinion"), "N. Date of Ethics Committee Opinion")
    if approved and opinion == "Favourable":
        trial.dates["ethicsApprovalDate"] = approved

    # sponsors, support, contact point
    for f in r.all("B.1.1"):
        coded = r.code("sponsor_status", r.get("B.3.1 and B.3.2", group=f.group), "B.3.1 and B.3.2 Status of the sponsor")
        trial.organisations.append(Organisation(f.value, "LeadSponsorRole" if f.group <= 1 else "CollaboratorRole", coded))
    for f in r.all("B.4.1"):
        if f.value:
            trial.organisations.append(Organisation(f.value, "FunderRole"))
    contact = r.get("B.5.2") or r.get("B.5.1")
    if contact:
        address = ", ".join(x for x in (r.get("B.5.3.1"), r.get("B.5.3.2"), r.get("B.5.3.3"), r.get("B.5.3.4")) if x)
        trial.people.append(Person(contact, "ContactRole", "contact point designated by the sponsor",
                                   affiliation=r.get("B.5.1"), email=r.get("B.5.6"), phone=r.get("B.5.4"),
                                   address=address))

    # conditions and the therapeutic area (a MeSH tree category)
    # the lay wording stands in where the register left the medical one empty
    trial.conditions = [Condition(f.value) for f in r.all("E.1.1") if f.value] \
        or [Condition(f.value) for f in r.all("E.1.1.1") if f.value]
    by_label = {label.casefold(): d for d, label in descriptors().items()}
    for f in r.all("E.1.1.2"):
        for line in f.value.splitlines():
            match = _AREA.match(line.strip())
            descriptor = by_label.get(match.group("label").casefold()) if match else None
            if descriptor is None:
                r.issues.append(Issue(f.path, "therapeutic area names no MeSH 2026 descriptor", line))
            else:
                trial.condition_mesh.append(Grounding(descriptor, descriptors()[descriptor], "registry", 1.0, "EMA"))
    for code, prop in (("E.2.1", "primaryObjective"), ("E.2.2", "secondaryObjective")):
        if r.get(code):
            trial.texts[prop] = r.get(code)

    # design: the register answers Yes/No per feature; the code tables say which Yes means which term
    trial.study_type = Coded("clinical trial of a medicinal product", "Interventional")
    for table, prop in (("allocation", "allocation"), ("masking", "masking"), ("intervention_model", "interventionModel")):
        for field, term in r.codes[table].items():
            code, _, label = field.partition(" ")
            if r.yes(code, label):
                trial.design.setdefault(prop, Coded(label, term))
    for field, term in r.codes["phase"].items():
        code, _, label = field.partition(" ")
        if r.yes(code, label):
            trial.phases.append(Coded(label, term))
    dmc = r.yes("E.8.7")
    if dmc is not None:
        trial.flags["hasDataMonitoringCommittee"] = dmc

    # interventions: one per IMP, plus the placebo
    imps: dict[int, Intervention] = {}
    for group in sorted({f.group for f in r.all("D.3.1")} | {f.group for f in r.all("D.3.8")}):
        names = [r.get(code, group=group) for code in ("D.3.1", "D.2.1.1.1", "D.3.8", "D.3.2", "D.3.9.2", "D.3.9.3")]
        seen: set[str] = set()
        names = [n for n in names if n and not (n.casefold() in seen or seen.add(n.casefold()))]
        if not names:
            continue
        role = r.get("D.1.2 and D.1.3", group=group)
        strength = " ".join(r.get(code, group=group) for code in ("D.3.10.2", "D.3.10.3", "D.3.10.1")).strip()
        described = [f"IMP role: {role}" if role else "", r.get("D.3.4", group=group),
                     r.get("D.3.7", group=group).replace("\n", ", "), strength]
        imps[group] = Intervention(names[0], Coded("IMP", "InterventionDrug"), "; ".join(x for x in described if x),
                                   names[1:])
        trial.interventions.append(imps[group])
    for f in r.all("D.8", "Placebo"):
        form = r.get("D.8.3", group=f.group)
        route = r.get("D.8.4", group=f.group).replace("\n", ", ")
        placebo = Intervention("Placebo", Coded("placebo", "InterventionDrug"), "; ".join(x for x in (form, route) if x))
        if placebo not in trial.interventions:  # one placebo per IMP strength is listed; the same one once
            trial.interventions.append(placebo)

    # outcomes
    for code, kind in (("E.5.1", "primary"), ("E.5.2", "secondary")):
        if r.get(code):
            trial.outcomes.append(Outcome(kind, r.get(code), "", r.get(code + ".1")))

    # population
    sexes = ", ".join(s for code, s in (("F.2.1", "Female"), ("F.2.2", "Male")) if r.yes(code))
    ages = [Coded(field.partition(" ")[2], term) for field, term in r.codes["std_age"].items()
            if r.yes(*field.split(" ", 1))]
    criteria = "\n\n".join(f"{title}:\n{r.get(code)}" for code, title in
                           (("E.3", "Inclusion criteria"), ("E.4", "Exclusion criteria")) if r.get(code))
    trial.eligibility = Eligibility(criteria=criteria, sex=r.code("sex", sexes, "F.2 Gender"),
                                    healthy_volunteers=r.yes("F.3.1"), std_ages=ages)
    planned = r.get("F.4.2.2") or r.get("F.4.1")
    if planned:
        try:
            trial.enrollment, trial.enrollment_kind = int(planned), "Estimated"
        except ValueError:
            r.issues.append(Issue("F.4 Planned number of subjects to be included", "not an integer", planned))
    country = r.get("A.1").split(" - ")[0].strip() or summary.get("National Competent Authority", "").split(" - ")[0]
    if country:
        trial.countries = [country]

    _extra(r, trial, imps)
    trial.issues = r.issues
    return trial


@cache
def _extra_fields() -> dict[str, tuple[str, str, str]]:
    """``{field path: (target, kind, property)}`` from ``mappings/euctr/extra-fields.tsv``."""
    return {row[0]: (row[1], row[2], row[3]) for row in read_tsv("mappings", MAPPING, "extra-fields.tsv")}


def _extra(r: _Record, trial: Trial, imps: dict[int, Intervention]) -> None:
    """The fields the table of further fields lists: flags, texts, numbers and translations, on the trial or its IMP."""
    for f in r.fields:
        spec = _extra_fields().get(f.path)
        if spec is None or not f.value:
            continue
        target, kind, prop = spec
        if kind == "translation":
            trial.translations.append((prop, f.value, f.lang))
            continue
        itv = imps.get(f.group) if target == "imp" else None
        if target == "imp" and itv is None:
            r.issues.append(Issue(f.path, "product field outside an IMP block, not mapped", f.value))
            continue
        if kind == "flag":
            flag = {"Yes": True, "No": False}.get(f.value)
            if flag is None:
                r.issues.append(Issue(f.path, "not Yes or No", f.value))
                continue
            flags = itv.flags if itv is not None else trial.flags
            flags[prop] = flags.get(prop, False) or flag  # one block saying Yes makes it so for the trial
        elif kind == "integer":
            try:
                trial.counts[prop] = int(f.value)
            except ValueError:
                r.issues.append(Issue(f.path, "not an integer", f.value))
        elif itv is not None:
            itv.texts[prop] = f.value
        else:
            values = trial.texts.setdefault(prop, [])
            for value in f.value.splitlines() if kind == "lines" else [f.value]:
                if value.strip() and value.strip() not in values:
                    values.append(value.strip())


def detect(head: bytes, name: str) -> bool:
    """The register's text download: its banner, or a Summary block with an EudraCT number."""
    text = head.lstrip(b"\xef\xbb\xbf")
    return text.startswith(_INTRO) or (b"\nSummary" in text[:4096] and b"EudraCT Number:" in text[:4096]
                                       and b"A. Protocol Information" in text)


def records(data: bytes, source: str) -> Iterator[RawRecord]:
    """Yield one RawRecord per member-state record of the download."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield RawRecord(source, 0, data, error=f"not UTF-8 text (byte {exc.start}: {exc.reason})")
        return
    blocks = split_records(text)
    if not blocks:
        yield RawRecord(source, 0, data, error="no record (no 'Summary' block with an EudraCT number)")
        return
    seen: dict[str, int] = {}
    for index, block in enumerate(blocks):
        raw = block.encode("utf-8")
        fields = parse_fields(block)
        summary = {f.label: f.value for f in fields if not f.code}
        eudract = summary.get("EudraCT Number", "").strip()
        if not re.match(r"^\d{4}-\d{6}-\d{2}$", eudract):
            yield RawRecord(source, index, raw, error="record has no EudraCT number", field="Summary EudraCT Number")
            continue
        state = _member_state(summary)
        base = f"{eudract}-{state}" if state else eudract
        seen[base] = seen.get(base, 0) + 1
        record_id = f"{base}-{seen[base]}" if seen[base] > 1 else base  # the same state's second application
        try:
            trial = read_record(fields, f"EUCTR{base}", record_id, source)
        except (AttributeError, TypeError, ValueError) as exc:
            yield RawRecord(source, index, raw, record_id, error=f"malformed record: {exc}")
            continue
        yield RawRecord(source, index, raw, record_id, trial)


def _member_state(summary: dict[str, str]) -> str:
    """The member-state code of a record, from its link (``…/trial/2022-002568-62/ES/``)."""
    match = re.search(r"/trial/[\d-]+/([A-Za-z0-9]+)/?$", summary.get("Link", ""))
    return match.group(1).upper() if match else ""


def field_paths(data: bytes) -> Iterator[str]:
    """Every non-empty field path of the records in a download, for coverage."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text: {exc}") from exc
    for block in split_records(text):
        for f in parse_fields(block):
            if f.value:
                yield f.path
