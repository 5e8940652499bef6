"""WHO ICTRP trial page (the 22-element WHO Trial Registration Data Set), saved as text -> :class:`~kg.model.Trial`.

ICTRP re-publishes records of many registries; the "Register" line names the
one the record comes from, and "Main ID" is that registry's identifier.  The
page has "Label: value" lines for the main items, then sections under whole-line
headings (contacts, criteria, conditions, interventions, outcomes, secondary
ids, sponsors, ethics review, results).  Numeric dates are day first
(``10/07/2017`` is 10 July 2017).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..identifiers import classify
from ..model import (
    Coded, Condition, Eligibility, Identifier, Intervention, Issue, Organisation, Outcome, Person, RawRecord, Trial,
)
from ._page import Codes, block, clean, decode, lines_of, page_records, split_phases, squash, yes_no

FORMAT = "who-page"
MAPPING = "who-page"

_SECTIONS = {
    "countries of recruitment": "countries", "contacts": "contacts",
    "key inclusion & exclusion criteria": "criteria", "health condition(s) or problem(s) studied": "conditions",
    "intervention(s)": "interventions", "primary outcome(s)": "primary", "secondary outcome(s)": "secondary",
    "secondary id(s)": "secondaryIds", "source(s) of monetary support": "support",
    "secondary sponsor(s)": "secondarySponsors", "ethics review": "ethics", "results": "results",
}
_FOOTER = re.compile(r"^(Disclaimer:|Copyright - World Health Organization)")
_SKIP = re.compile(r"^(World Health Organization site|Skip Navigation Links|Main|Note: This record shows .*)$")
_FIELD = re.compile(r"^([A-Z][A-Za-z()'/ ]{1,60}?):\s*(.*)$")

#: the main items: page label (lower case) -> key
_MAIN = {
    "register": "register", "last refreshed on": "lastRefreshed", "main id": "mainId",
    "date of registration": "registrationDate", "prospective registration": "prospectiveRegistration",
    "primary sponsor": "primarySponsor", "public title": "publicTitle", "scientific title": "scientificTitle",
    "acronym": "acronym", "date of first enrolment": "startDate", "date of first enrollment": "startDate",
    "target sample size": "targetSize", "recruitment status": "status", "url": "url", "study type": "studyType",
    "study design": "studyDesign", "phase": "phase",
}
_ELIGIBILITY = {"age minimum": "min", "age maximum": "max", "gender": "gender", "inclusion gender": "gender"}
_CONTACT = {"name": "name", "address": "address", "telephone": "phone", "email": "email",
            "affiliation": "affiliation"}
_RESULTS = {"results available": "available", "date posted": "posted", "date completed": "completed", "url": "url",
            "summary results": "summary", "results summary": "summary"}
_TIME_FRAME = re.compile(r"\s*\[Time ?Frame:\s*(.*?)\]\s*$", re.IGNORECASE | re.DOTALL)
_EUCTR_PHASE = re.compile(r"\(Phase (IV|III|II|I)\):\s*(yes|no)", re.IGNORECASE)


def _split(lines: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    main: list[str] = []
    sections: dict[str, list[str]] = {}
    current = main
    for line in lines:
        text = squash(line)
        if _FOOTER.match(text):
            sections.setdefault("footer", [])
            break
        key = _SECTIONS.get(text.casefold())
        if key and key not in sections:
            current = sections.setdefault(key, [])
        else:
            current.append(line)
    return main, sections


class _Reader:
    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.codes = Codes(MAPPING, self.issues)

    def fields(self, lines: list[str], labels: dict[str, str], section: str) -> dict[str, str]:
        """``Label: value`` lines of a section; unlabelled lines continue the field before them."""
        out: dict[str, str] = {}
        last = None
        for line in lines:
            text = squash(line)
            if not text or _SKIP.match(text):
                continue
            m = _FIELD.match(text)
            key = labels.get(m[1].casefold()) if m else None
            if key:
                if key in out and clean(out[key]) and clean(m[2]) and out[key] != m[2]:
                    self.issues.append(Issue(key, f"the page gives two values; kept {out[key]!r}", m[2]))
                    continue
                out[key] = m[2]
                last = key
            elif last is not None:
                out[last] = f"{out[last]} {text}"  # a value wrapped onto the next line
            else:
                self.issues.append(Issue(section, "unrecognised line, kept verbatim", text))
        return out


def read_page(text: str, source_file: str = "") -> Trial:
    """Map the text of one WHO ICTRP trial page to a :class:`Trial`; raises ValueError if it is not one."""
    main_lines, secs = _split(lines_of(text))
    if "results" not in secs and "footer" not in secs:
        last = next((squash(line) for line in reversed(lines_of(text)) if line.strip()), "")
        raise ValueError(f"page is incomplete (truncated?): no 'Results' section or page footer; "
                         f"it ends with {last[:60]!r}")
    r = _Reader()
    c = r.codes
    f = r.fields(main_lines, _MAIN, "Main")
    main_id = clean(f.get("mainId", ""))
    if not main_id or " " in main_id:
        raise ValueError(f"no valid Main ID on the page (found {main_id!r})")
    register = clean(f.get("register", ""))
    scheme = classify(main_id)
    registry = c.term("register", register) if register else None
    if registry is None:
        if register:
            r.issues.append(Issue("Register", "unseen register, registry taken from the Main ID", register))
        registry = scheme[1] if scheme else "UnknownRegistry"
    trial = Trial(trial_id=main_id, registry=registry, record_format=FORMAT, source_file=source_file)
    trial.ids.append(Identifier(main_id, scheme[0] if scheme else "OtherIdentifier", "Main ID", register))
    if register:
        trial.texts["register"] = register
    refreshed = c.date(f.get("lastRefreshed", ""), "Last refreshed on")
    trial.version_date = refreshed.value if refreshed else ""
    trial.url = clean(f.get("url", ""))
    for key, label in (("registrationDate", "Date of registration"), ("startDate", "Date of first enrolment")):
        value = c.date(f.get(key, ""), label)
        if value:
            trial.dates[key] = value
    flag = yes_no(f.get("prospectiveRegistration", ""))
    if flag is not None:
        trial.flags["prospectiveRegistration"] = flag
    elif clean(f.get("prospectiveRegistration", "")):
        r.issues.append(Issue("Prospective Registration", "not Yes or No", clean(f["prospectiveRegistration"])))
    if clean(f.get("primarySponsor", "")):
        trial.organisations.append(Organisation(clean(f["primarySponsor"]), "LeadSponsorRole"))
    trial.brief_title = clean(f.get("publicTitle", ""))
    trial.official_title = clean(f.get("scientificTitle", ""))
    trial.acronym = clean(f.get("acronym", ""))
    size = clean(f.get("targetSize", ""))
    if size.isdigit():
        trial.enrollment = int(size)
    elif size:
        trial.texts["targetSampleSize"] = size
        r.issues.append(Issue("Target sample size", "not a single participant count, kept as text", size))
    trial.overall_status = c.code("status", clean(f.get("status", "")), "Recruitment status")
    study_type = clean(f.get("studyType", ""))
    trial.study_type = c.code("study_type", study_type, "Study type")
    if "[patient registry]" in study_type.casefold():
        trial.flags["patientRegistry"] = True
    design = clean(f.get("studyDesign", ""))
    if design:
        trial.design_notes["studyDesignText"] = design
        trial.design, trial.who_masked = c.design(design, "Study design")
    trial.phases = _phases(f.get("phase", ""), c)

    # sections
    trial.countries = [x for line in secs.get("countries", []) for x in (clean(p) for p in line.split(";")) if x]
    trial.people = _contacts(secs.get("contacts", []), c)
    trial.eligibility = _eligibility(secs.get("criteria", []), r)
    trial.conditions = [Condition(clean(x)) for x in secs.get("conditions", []) if clean(x)]
    for line in secs.get("interventions", []):
        if clean(line):
            trial.interventions.append(_intervention(clean(line), c))
    for kind in ("primary", "secondary"):
        for line in secs.get(kind, []):
            if clean(line):
                m = _TIME_FRAME.search(clean(line))
                measure = clean(line)[:m.start()] if m else clean(line)
                trial.outcomes.append(Outcome(kind, measure, "", clean(m[1]) if m else ""))
    for line in secs.get("secondaryIds", []):
        value = clean(line)
        if value:
            found = classify(value)
            trial.ids.append(Identifier(value, found[0] if found else "OtherIdentifier", "Secondary ID"))
    support = block(secs.get("support", []))
    if support:
        trial.texts["sourceOfMonetarySupport"] = support
    for line in secs.get("secondarySponsors", []):
        if clean(line):
            trial.organisations.append(Organisation(clean(line), "CollaboratorRole"))
    _ethics(secs.get("ethics", []), trial, r)
    _results(secs.get("results", []), trial, r)
    trial.issues = r.issues
    return trial


def _phases(text: str, c: Codes) -> list[Coded]:
    """Phases of the phase field, including EU CTR's "(Phase II): yes" block."""
    if _EUCTR_PHASE.search(text):
        parts = [f"Phase {m[1].upper()}" for m in _EUCTR_PHASE.finditer(text) if m[2].casefold() == "yes"]
    else:
        parts = split_phases(text)
    return [x for x in (c.code("phase", p, "Phase") for p in parts) if x]


def _contacts(lines: list[str], c: Codes) -> list[Person]:
    groups: list[dict[str, str]] = []
    for line in lines:
        m = _FIELD.match(squash(line))
        key = _CONTACT.get(m[1].casefold()) if m else None
        if key is None:
            if groups and clean(line):
                groups[-1]["address"] = "\n".join(x for x in (groups[-1].get("address", ""), clean(line)) if x)
            continue
        if key == "name" or not groups:
            groups.append({})
        groups[-1][key] = clean(m[2])
    people = []
    for g in groups:
        name, degree = c.split_degree(g.get("name", ""))
        name = name or g.get("email", "") or g.get("affiliation", "")
        if name:
            people.append(Person(name, "ContactRole", "Contact", affiliation=g.get("affiliation", ""), degree=degree,
                                 email=g.get("email", ""), phone=g.get("phone", ""), address=g.get("address", "")))
    return people


def _eligibility(lines: list[str], r: _Reader) -> Eligibility | None:
    criteria: list[str] = []
    values: dict[str, str] = {}
    for line in lines:
        m = _FIELD.match(squash(line))
        key = _ELIGIBILITY.get(m[1].casefold()) if m else None
        if key:
            values[key] = clean(m[2])
        else:
            criteria.append(line)
    el = Eligibility(criteria=block(criteria), sex=r.codes.code("sex", values.get("gender", ""), "Gender"),
                     minimum_age=values.get("min", ""), maximum_age=values.get("max", ""))
    return el if el.criteria or el.sex or el.minimum_age or el.maximum_age else None


def _intervention(line: str, c: Codes) -> Intervention:
    m = re.fullmatch(r"([A-Za-z][A-Za-z /]{0,40}):\s*(.+)", line)
    if m and c.term("intervention_type", m[1]) is not None:
        return Intervention(m[2], c.code("intervention_type", m[1], "Intervention(s)"))
    return Intervention(line)


def _ethics(lines: list[str], trial: Trial, r: _Reader) -> None:
    f = r.fields(lines, {"status": "status", "approval date": "date", "contact": "contact"}, "Ethics review")
    if clean(f.get("status", "")):
        trial.texts["ethicsReviewStatus"] = clean(f["status"])
    date = r.codes.date(f.get("date", ""), "Ethics review.Approval date")
    if date:
        trial.dates["ethicsApprovalDate"] = date
    if clean(f.get("contact", "")):
        trial.texts["ethicsReviewContact"] = clean(f["contact"])


def _results(lines: list[str], trial: Trial, r: _Reader) -> None:
    f = r.fields(lines, _RESULTS, "Results")
    flag = yes_no(f.get("available", ""))
    if flag is not None:
        trial.flags["resultsAvailable"] = flag
    for key, prop, label in (("posted", "resultsFirstPostedDate", "Results.Date Posted"),
                             ("completed", "completionDate", "Results.Date Completed")):
        date = r.codes.date(f.get(key, ""), label)
        if date:
            trial.dates[prop] = date
    if clean(f.get("url", "")):
        trial.texts["resultsUrl"] = clean(f["url"])
    if clean(f.get("summary", "")):
        trial.texts["resultsSummary"] = clean(f["summary"])


def detect(head: bytes, name: str) -> bool:
    """A text page with the WHO data-set note, or the "Register:", "Last refreshed on:" and "Main ID:" lines."""
    text = head.decode("utf-8", errors="replace")
    return "Main ID:" in text and ("WHO Trial Registration Data Set" in text
                                   or ("Register:" in text and "Last refreshed on:" in text))


#: where the page names its record id
_RECORD_ID = re.compile(r"Main ID:\s*(\S+)")


def records(data: bytes, source: str) -> Iterator[RawRecord]:
    """One page is one record."""
    return page_records(data, source, read_page, _RECORD_ID, "Main ID")


def field_paths(data: bytes) -> Iterator[str]:
    """Every non-empty field of a page as ``main.publicTitle``, ``contacts.email``, ``conditions``…, for coverage.

    A line the reader does not recognise in a labelled part is ``section.?``.
    """
    main_lines, secs = _split(lines_of(decode(data)))
    parts = {"main": (main_lines, _MAIN), "contacts": (secs.get("contacts", []), _CONTACT),
             "criteria": (secs.get("criteria", []), _ELIGIBILITY),
             "ethics": (secs.get("ethics", []), {"status": "status", "approval date": "date", "contact": "contact"}),
             "results": (secs.get("results", []), _RESULTS)}
    for name, (lines, labels) in parts.items():
        last = None
        for line in lines:
            text = squash(line)
            if not text or (name == "main" and _SKIP.match(text)):
                continue
            m = _FIELD.match(text)
            key = labels.get(m[1].casefold()) if m else None
            if key and clean(m[2]):
                yield f"{name}.{key}"
            elif key is None and name == "criteria":
                yield "criteria.text"
            elif key is None and last is None:
                yield f"{name}.?"
            last = key or last  # an unlabelled line after a field continues it
    for name, lines in secs.items():
        if name not in parts and name != "footer" and any(clean(line) for line in lines):
            yield name
