"""ClinicalTrials.gov "Clinical Trial Details" page, saved as text -> :class:`~kg.model.Trial`.

The page mirrors a ClinicalTrials.gov record in sections ("Administrative
data", "Study information", "Clinical Trial Summary", "Recruitment information
/ eligibility", "Intervention", "Locations", "Sponsors", "Outcome", "See
also").  Fields are "Label value" lines without a separator, and tables arrive
as space-joined rows, so labels are matched from a known list and table rows are
split by their shape.  Dates keep the precision the page gives ("January 2017"
is 2017-01); a leading "Est." marks an estimated date or count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..identifiers import classify
from ..model import (
    Condition, Eligibility, Identifier, Intervention, Issue, Location, Organisation, Outcome, Person, RawRecord,
    RelatedTrial, Trial,
)
from ._page import Codes, block, clean, decode, lines_of, page_records, split_phases, squash, yes_no

FORMAT = "ctgov-page"
MAPPING = "ctgov-page"
_NCT = re.compile(r"^NCT\d{8}$")

#: section headings, as whole lines
_SECTIONS = {
    "administrative data": "admin", "study information": "info", "clinical trial summary": "summary",
    "description:": "description", "recruitment information / eligibility": "recruitment",
    "study design": "design", "related conditions & mesh terms": "conditions", "intervention": "interventions",
    "interventions": "interventions", "locations": "locations", "outcome": "outcomes", "outcomes": "outcomes",
    "see also": "related",
}
_SPONSORS = re.compile(r"^Sponsors(?: \((\d+)\))?$", re.IGNORECASE)
#: sections a complete page has; a page without them was cut short
_REQUIRED = ("admin", "recruitment", "outcomes")

#: labelled fields: page label -> key (dates: the ontology property)
_LABELS = {
    "NCT number": "nct", "Other study ID #": "orgStudyId", "Secondary ID": "secondaryId", "Status": "status",
    "Phase": "phase", "First received": "firstSubmittedDate", "First posted": "firstPostedDate",
    "Last updated": "lastUpdateSubmittedDate", "Last update posted": "lastUpdatePostedDate",
    "Start date": "startDate", "Primary completion date": "primaryCompletionDate",
    "Completion date": "completionDate", "Verified date": "statusVerifiedDate", "Source": "source",
    "Contact": "contact", "Is FDA regulated": "isFdaRegulated", "Health authority": "healthAuthority",
    "Study type": "studyType", "Enrollment": "enrollment", "Accepts healthy volunteers": "healthyVolunteers",
    "Gender": "gender", "Sex": "gender", "Age group": "ages", "Eligibility": "eligibility",
}
_LABEL_ORDER = sorted(_LABELS, key=len, reverse=True)
_KIND_PREFIX = re.compile(r"^(Est\.|Estimated|Anticipated|Actual)\s+(.*)$", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d ()./-]{5,}\d(?:\s*(?:ext\.?|x)\s*\d+)?")
_OUTCOME_KIND = re.compile(r"^(Primary|Secondary|Other(?: Pre-specified)?)\s+(.*)$", re.IGNORECASE | re.DOTALL)
#: where an outcome's description starts; "A", "To"… only before a lower-case word ("Time To Flare" is a name)
_SENTENCE_START = re.compile(r"\s(?=(?:The|This|These|An)\s|(?:A|To|It|Assessed|Measured|Defined)\s+[a-z0-9])")
_TIME_FRAME = re.compile(r"\s((?:[Uu]p to|[Aa]t|[Ff]rom|[Bb]aseline|[Cc]hanges? (?:of|from)|[Dd]ay|[Ww]eek|[Mm]onth"
                         r"|[Yy]ear|\d+\s*(?:hours?|days?|weeks?|months?|years?))\b.*)$")
_RELATED = re.compile(r"^(?P<status>.*?)\s*(?P<id>NCT\d{8})\s+-\s+(?P<rest>.*)$")
_RELATED_PHASE = re.compile(r"\s(?P<phase>(?:Early Phase 1|Phase \d)(?:/Phase \d)*|N/A)$")


def _sections(lines: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"head": []}
    current = "head"
    for line in lines:
        key = squash(line).casefold()
        sponsors = _SPONSORS.match(squash(line))
        if key in _SECTIONS and _SECTIONS[key] not in out:
            current = _SECTIONS[key]
        elif sponsors and "sponsors" not in out:
            current = "sponsors"
            out["sponsorCount"] = [sponsors[1] or ""]
        else:
            out.setdefault(current, []).append(line)
            continue
        out.setdefault(current, [])
    return out


def _label(line: str) -> tuple[str, str, str | None] | None:
    """``(key, value, kind)`` of a labelled line, or None; ``Est. completion date X`` has kind ``Est.``."""
    text = squash(line)
    kind = None
    m = _KIND_PREFIX.match(text)
    if m:
        kind = m[1]
        text = m[2][:1].upper() + m[2][1:]
    for label in _LABEL_ORDER:
        if text == label or text.startswith(label + " "):
            return _LABELS[label], text[len(label):].strip(), kind
    return None


class _Reader:
    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.codes = Codes(MAPPING, self.issues)
        self.values: dict[str, tuple[str, str | None]] = {}

    def fields(self, lines: list[str], section: str, trial: Trial) -> list[str]:
        """Collect the labelled fields of a section; return the lines after ``Eligibility`` (criteria)."""
        last = ""
        for n, line in enumerate(lines):
            if not line.strip():
                continue
            found = _label(line)
            if found is None:
                if last == "secondaryId" and clean(line):
                    self.secondary_id(clean(line), trial)
                else:
                    self.issues.append(Issue(section, "unrecognised line, kept verbatim", squash(line)))
                continue
            key, value, kind = found
            last = key
            if key == "eligibility":
                return [value] + lines[n + 1:]
            if key == "secondaryId":
                if clean(value):
                    self.secondary_id(clean(value), trial)
                continue
            if key in self.values:
                if self.values[key][0] != value:
                    self.issues.append(Issue(key, f"the page gives two values; kept {self.values[key][0]!r}", value))
                continue
            self.values[key] = (value, kind)
        return []

    def secondary_id(self, value: str, trial: Trial) -> None:
        scheme = classify(value)
        trial.ids.append(Identifier(value, scheme[0] if scheme else "OtherIdentifier", "Secondary ID"))

    def get(self, key: str) -> str:
        return clean(self.values.get(key, ("", None))[0])

    def kind(self, key: str) -> str | None:
        """The date type term (``Estimated``, ``Actual``) of a field's prefix, e.g. ``Est.``."""
        prefix = self.values.get(key, ("", None))[1]
        return self.codes.term("date_type", prefix) if prefix else None


def read_page(text: str, source_file: str = "") -> Trial:
    """Map the text of one "Clinical Trial Details" page to a :class:`Trial`; raises ValueError if it is not one."""
    secs = _sections(lines_of(text))
    missing = [name for name in _REQUIRED if name not in secs]
    if missing:
        last = next((squash(line) for line in reversed(lines_of(text)) if line.strip()), "")
        raise ValueError(f"page is incomplete (truncated?): no {', '.join(repr(m) for m in missing)} section; "
                         f"it ends with {last[:60]!r}")
    r = _Reader()
    probe = Trial("", "ClinicalTrialsGov", FORMAT)  # collects secondary ids met while reading fields
    r.fields(secs.get("admin", []), "Administrative data", probe)
    r.fields(secs.get("info", []), "Study information", probe)
    criteria = r.fields(secs.get("recruitment", []), "Recruitment information / eligibility", probe)
    nct = r.get("nct")
    if not _NCT.match(nct):
        raise ValueError(f"no valid NCT number on the page (found {nct!r})")
    trial = Trial(trial_id=nct, registry="ClinicalTrialsGov", record_format=FORMAT, source_file=source_file)
    trial.ids.append(Identifier(nct, "NCTNumber", "NCT number", "ClinicalTrials.gov"))
    if r.get("orgStudyId"):
        trial.ids.append(Identifier(r.get("orgStudyId"), "OrgStudyId", "Other study ID #", r.get("source")))
    trial.ids.extend(probe.ids)
    c = r.codes

    # status, phases, dates
    trial.overall_status = c.code("status", r.get("status"), "Status")
    for line in secs["head"]:
        m = re.search(r"Status:\s*(.+)$", squash(line))
        if m and trial.overall_status and m[1] != trial.overall_status.text:
            r.issues.append(Issue("Status", f"page heading gives another status; kept {trial.overall_status.text!r}",
                                  m[1]))
    phase = squash(r.values.get("phase", ("", None))[0])
    trial.phases = [p for p in (c.code("phase", x, "Phase") for x in split_phases(phase)) if p]
    for key in ("firstSubmittedDate", "firstPostedDate", "lastUpdateSubmittedDate", "lastUpdatePostedDate",
                "startDate", "primaryCompletionDate", "completionDate", "statusVerifiedDate"):
        value = c.date(r.get(key), key, r.kind(key), day_first=False)
        if value:
            trial.dates[key] = value
    updated = trial.dates.get("lastUpdateSubmittedDate") or trial.dates.get("lastUpdatePostedDate")
    trial.version_date = updated.value if updated else ""

    # study information
    if r.get("source"):
        trial.organisations.append(Organisation(r.get("source"), "ResponsibleOrganisationRole"))
    if r.get("contact"):
        trial.people.append(_contact(r.get("contact"), c))
    flag = yes_no(r.get("isFdaRegulated"))
    if flag is not None:
        trial.flags["isFdaRegulated"] = flag
    elif r.get("isFdaRegulated"):
        r.issues.append(Issue("isFdaRegulated", "not Yes or No", r.get("isFdaRegulated")))
    if r.get("healthAuthority"):
        trial.texts["healthAuthority"] = r.get("healthAuthority")
    study_type = r.get("studyType")
    trial.study_type = c.code("study_type", study_type, "Study type")
    if "[patient registry]" in study_type.casefold():
        trial.flags["patientRegistry"] = True

    # summary and description
    trial.brief_summary = block(secs.get("summary", []))
    trial.detailed_description = block(secs.get("description", []))

    # recruitment and eligibility
    if r.get("enrollment"):
        m = re.fullmatch(r"(\d+)(?:\s*\((Actual|Anticipated|Estimated)\))?", r.get("enrollment"), re.IGNORECASE)
        if m:
            trial.enrollment = int(m[1])
            trial.enrollment_kind = r.kind("enrollment") or (c.term("date_type", m[2]) if m[2] else None)
        else:
            r.issues.append(Issue("Enrollment", "not a participant count", r.get("enrollment")))
    el = Eligibility(criteria=block(criteria), sex=c.code("sex", r.get("gender"), "Gender"),
                     healthy_volunteers=yes_no(r.get("healthyVolunteers")))
    el.minimum_age, el.maximum_age = _ages(r.get("ages"), r.issues)
    if el.criteria or el.sex or el.minimum_age or el.maximum_age or el.healthy_volunteers is not None:
        trial.eligibility = el

    # design, conditions, interventions, locations, sponsors, outcomes, related trials
    design_text = " ".join(squash(x) for x in secs.get("design", []) if clean(x))
    if design_text:
        trial.design_notes["studyDesignText"] = design_text
        trial.design, trial.who_masked = c.design(design_text, "Study Design")
    trial.conditions = [Condition(clean(x)) for x in secs.get("conditions", []) if clean(x)]
    trial.interventions = _interventions(secs.get("interventions", []), c)
    trial.locations = _locations(secs.get("locations", []), r.issues)
    seen: set[str] = set()
    trial.countries = [x for x in (loc.country for loc in trial.locations) if x and not (x in seen or seen.add(x))]
    _sponsors(secs.get("sponsors", []), r.get("source"), (secs.get("sponsorCount") or [""])[0], trial, r.issues)
    trial.outcomes = _outcomes(secs.get("outcomes", []), r.issues)
    trial.related = _related(secs.get("related", []), c)
    trial.issues = r.issues
    return trial


def _ages(text: str, issues: list[Issue]) -> tuple[str, str]:
    """``18 Years to 60 Years`` -> (``18 Years``, ``60 Years``); also "and older", "up to"."""
    if not text:
        return "", ""
    m = re.fullmatch(r"(.+?) to (.+)", text)
    if m:
        return clean(m[1]), clean(m[2])
    m = re.fullmatch(r"(.+?) (?:and older|and over|\+)", text, re.IGNORECASE)
    if m:
        return clean(m[1]), ""
    m = re.fullmatch(r"(?:up to|and younger than|under) (.+)", text, re.IGNORECASE)
    if m:
        return "", clean(m[1])
    if re.fullmatch(r"\d+ (?:Years?|Months?|Weeks?|Days?)", text, re.IGNORECASE):
        return text, ""
    issues.append(Issue("Age group", "not an age range, kept verbatim", text))
    return "", ""


def _contact(text: str, c: Codes) -> Person:
    """``Maria Rossi, MD +39 02 1234 5678 maria.rossi@example.org`` -> name, degree, phone, email."""
    email = _EMAIL.search(text)
    rest = _EMAIL.sub(" ", text)
    phone = _PHONE.search(rest)
    name, degree = c.split_degree(clean((_PHONE.sub(" ", rest) if phone else rest).strip(" ,;")))
    return Person(name or text, "ContactRole", "Contact", degree=degree, email=email[0] if email else "",
                  phone=phone[0].strip() if phone else "")


def _interventions(lines: list[str], c: Codes) -> list[Intervention]:
    """Blocks of ``Type:`` then alternating name and description lines (or ``Type: name`` lines)."""
    out: list[Intervention] = []
    kind = None
    current: Intervention | None = None
    for raw in lines:
        line = clean(raw)
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z][A-Za-z /-]{0,40}):\s*(.*)", line)
        if m and (c.term("intervention_type", m[1]) is not None or (not m[2] and len(m[1].split()) <= 3)):
            kind = c.code("intervention_type", m[1], "Intervention.type")
            current = None
            if m[2]:
                out.append(Intervention(m[2], kind))
            continue
        if current is not None and not current.description:
            current.description = line  # the line after a name describes it
        elif current is not None and not _name_like(line):
            current.description += "\n" + line
        else:
            current = Intervention(line, kind)
            out.append(current)
    return out


def _name_like(line: str) -> bool:
    return len(line) <= 80 and not line.endswith((".", ":", ";"))


def _locations(lines: list[str], issues: list[Issue]) -> list[Location]:
    """Rows of the Country / Name / City / State table (cells split by tabs or wide gaps)."""
    out = []
    for raw in lines:
        line = raw.replace("\u00a0", " ").strip()
        if not clean(line) or squash(line).casefold().startswith("country name city"):
            continue
        cells = [clean(x) for x in re.split(r"\t|\s{2,}", line)]
        if len(cells) == 4:
            out.append(Location(facility=cells[1], city=cells[2], state=cells[3], country=cells[0]))
        else:
            out.append(Location(facility=squash(line)))
            issues.append(Issue("Locations", "row not split into country, name, city and state; kept as the name",
                                squash(line)))
    return out


def _sponsors(lines: list[str], source: str, count: str, trial: Trial, issues: list[Issue]) -> None:
    """The Lead Sponsor / Collaborator table: the first row names the lead sponsor, later rows collaborators."""
    rows = [raw for raw in lines if clean(raw) and squash(raw).casefold() != "lead sponsor collaborator"]
    found = 0
    for n, raw in enumerate(rows):
        cells = [clean(x) for x in re.split(r"\t|\s{2,}", raw.strip()) if clean(x)]
        if n == 0 and len(cells) == 1 and source and cells[0] != source and cells[0].startswith(source + " "):
            cells = [source, cells[0][len(source):].strip()]  # "Lead Collaborator" joined by the rendering
        if n == 0:
            trial.organisations.append(Organisation(cells[0], "LeadSponsorRole"))
            cells = cells[1:]
            found += 1
        for name in cells:
            trial.organisations.append(Organisation(name, "CollaboratorRole"))
            found += 1
    if count.isdigit() and int(count) != found:
        issues.append(Issue("Sponsors", f"heading announces {count} sponsors, {found} read", count))


def _outcomes(lines: list[str], issues: list[Issue]) -> list[Outcome]:
    rows: list[str] = []
    for raw in lines:
        line = squash(raw)
        if not line or line.casefold().startswith("type measure description"):
            continue
        if _OUTCOME_KIND.match(line) or not rows:
            rows.append(raw.strip())
        else:
            rows[-1] += "\n" + raw.strip()
    out = []
    for row in rows:
        m = _OUTCOME_KIND.match(row)
        if not m:
            issues.append(Issue("Outcome", "row without Primary/Secondary/Other type, kept as an other outcome", row))
            out.append(Outcome("other", squash(row)))
            continue
        kind = "other" if m[1].casefold().startswith("other") else m[1].casefold()
        out.append(_outcome(kind, m[2], issues))
    return out


def _outcome(kind: str, rest: str, issues: list[Issue]) -> Outcome:
    """Split ``<measure> <description> <time frame> [<safety issue>]`` by the shape of its text."""
    if "\t" in rest:
        cells = [squash(x) for x in rest.split("\t")] + ["", "", ""]
        return Outcome(kind, cells[0], cells[1], cells[2])
    rest = re.sub(r"\s+(?:Yes|No)$", "", rest.strip())  # the legacy "Safety issue" column
    # the time frame follows the description's closing full stop
    ends = [m.end() for m in re.finditer(r"[.!?]\s+(?=\S)", rest)]
    if ends:
        head, time_frame = rest[:ends[-1]].strip(), squash(rest[ends[-1]:])
    else:
        m = _TIME_FRAME.search(rest)
        head, time_frame = (rest[:m.start()], squash(m[1])) if m else (rest, "")
    # the description starts a sentence ("The SLEDAI 2000 is …") after the measure's name
    m = _SENTENCE_START.search(head)
    if m:
        measure, description = squash(head[:m.start()]), block(head[m.end():].split("\n"))
    else:
        measure, description = squash(head).rstrip("."), ""
        if ends:
            issues.append(Issue("Outcome", "measure and description not told apart; kept as the measure", measure))
    return Outcome(kind, measure, description, time_frame)


def _related(lines: list[str], c: Codes) -> list[RelatedTrial]:
    out = []
    for raw in lines:
        m = _RELATED.match(squash(raw))
        if not m:
            continue
        rest, phases = m["rest"], []
        p = _RELATED_PHASE.search(rest)
        if p:
            rest = rest[:p.start()]
            phases = [x for x in (c.code("phase", v, "See also.phase") for v in split_phases(p["phase"])) if x]
        out.append(RelatedTrial(m["id"], rest.strip(), c.code("status", m["status"], "See also.status"), phases))
    return out


def detect(head: bytes, name: str) -> bool:
    """A text page with the "Clinical Trial Details" heading and an "NCT number" field."""
    text = head.decode("utf-8", errors="replace")
    return "Clinical Trial Details" in text and "NCT number" in text and "Administrative data" in text


#: where the page names its record id
_RECORD_ID = re.compile(r"NCT number\s+(NCT\d{8})")


def records(data: bytes, source: str) -> Iterator[RawRecord]:
    """One page is one record."""
    return page_records(data, source, read_page, _RECORD_ID, "NCT number")


#: sections whose lines are labelled fields; the rest are text or tables
_FIELD_SECTIONS = ("admin", "info", "recruitment")


def field_paths(data: bytes) -> Iterator[str]:
    """Every non-empty field of a page as ``section.field`` (``admin.nct``, ``outcomes``), for coverage.

    An unlabelled line in a field section is ``section.?``: a field the reader does not know.
    """
    secs = _sections(lines_of(decode(data)))
    for name, lines in secs.items():
        if name in ("head", "sponsorCount"):
            continue
        if name not in _FIELD_SECTIONS:
            if any(clean(line) for line in lines):
                yield name
            continue
        for line in lines:
            found = _label(line) if line.strip() else None
            if found is None:
                if clean(line):
                    yield f"{name}.?"
            elif clean(found[1]) or found[0] == "eligibility":
                yield f"{name}.{found[0]}"
                if found[0] == "eligibility":
                    break  # the criteria text follows
