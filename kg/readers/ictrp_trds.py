"""WHO ICTRP Trial Registration Data Set XML (registry -> ICTRP): ``<trials><trial><main><trial_id>…``.

The layout of ``who_ictrp_trds_v1.dtd``: ``main`` (ids, titles, dates, status,
phase, free-text condition and intervention), ``contacts``, ``countries``,
``criteria``, coded and keyword conditions and interventions, outcomes,
secondary sponsors, secondary ids and sources of support.  The layout has no
record date: a dump whose file name carries its date gives its records that
date.  Parsing is safe: no DTD loading, no entity expansion, no network.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from ..model import Eligibility, Intervention, Organisation, Outcome, Person, RawRecord, Trial
from .ictrp_common import (
    Codes, clean, conditions, identifier, is_value, parse_date, primary_id, target_size, text, unique,
)
from .ictrp_xml import parser

FORMAT = "ictrp-trds"
MAPPING = "ictrp"
_FILE_DATE = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)")


def detect(head: bytes, name: str) -> bool:
    """A ``<trials>`` document whose trials start with ``<main><trial_id>``."""
    return b"<trials" in head and b"<trial_id>" in head and b"<main>" in head


def records(data: bytes, source: str) -> Iterator[RawRecord]:
    """Yield every ``<trial>`` of the file as a RawRecord carrying its Trial, or its error."""
    try:
        root = etree.fromstring(data, parser())
    except etree.XMLSyntaxError as exc:
        yield RawRecord(source, 0, data, error=f"not well-formed XML: {exc}")
        return
    if root.tag != "trials":
        yield RawRecord(source, 0, data, error=f"root element is <{root.tag}>, not <trials>")
        return
    for index, element in enumerate(root.iterchildren("trial")):
        raw = etree.tostring(element, encoding="utf-8")
        record_id = clean(element.findtext("main/trial_id"))
        if not record_id:
            yield RawRecord(source, index, raw, error="record has no trial_id", field="main/trial_id")
            continue
        try:
            trial = read_trial(element, source)
        except ValueError as exc:
            yield RawRecord(source, index, raw, record_id, error=str(exc), field="main/trial_id")
            continue
        yield RawRecord(source, index, raw, record_id, trial)


def _t(element: etree._Element, path: str) -> str:
    found = element.find(path)
    return "".join(found.itertext()) if found is not None else ""


def _all(element: etree._Element, path: str) -> list[str]:
    return [value for value in (clean("".join(e.itertext())) for e in element.findall(path)) if value]


def _labelled(label: str, body: str) -> str:
    """Criteria text headed by its kind, as the exports write it, unless the registry already did."""
    if not body or body.casefold().startswith(label.split()[0].casefold()):
        return body
    return f"{label}:\n{body}"


def read_trial(el: etree._Element, source: str = "") -> Trial:
    """Map one ``<trial>`` element to a :class:`Trial`."""
    codes = Codes()
    raw_id = clean(_t(el, "main/trial_id"))
    register = clean(_t(el, "main/reg_name"))
    ids = primary_id(raw_id, register, codes, "main/trial_id")
    if ids is None:
        raise ValueError(f"trial_id {raw_id!r} matches no identifier scheme and reg_name {register!r} is unknown")
    trial = Trial(trial_id=ids[0], registry=ids[1], record_format=FORMAT, record_id=raw_id, source_file=source)
    trial.url = clean(_t(el, "main/url"))
    # The layout has no record date; a dump named by its date (rebec-ictrp-2011-12-12.xml) dates its
    # records, so that of two dumps holding one trial the later one wins.
    dumped = _FILE_DATE.search(source.replace("\\", "/").rsplit("/", 1)[-1])
    if dumped and parse_date(dumped.group(1)):
        trial.export_date = trial.version_date = dumped.group(1)
    trial.ids.append(identifier(raw_id, "trial_id", register))
    utrn = clean(_t(el, "main/utrn"))
    if is_value(utrn):
        trial.ids.append(identifier(utrn, "utrn", "WHO"))
    for sec in el.findall("secondary_ids/secondary_id"):
        value = clean(sec.findtext("sec_id"))
        if is_value(value):
            trial.ids.append(identifier(value, "secondary_id", clean(sec.findtext("issuing_authority"))))

    def title(path: str) -> str:
        value = clean(_t(el, path))
        return value if is_value(value) else ""

    trial.brief_title = title("main/public_title")
    trial.official_title = title("main/scientific_title")
    trial.acronym = title("main/acronym") or title("main/scientific_acronym")
    if title("main/scientific_acronym") and title("main/scientific_acronym") != trial.acronym:
        trial.texts["scientificAcronym"] = title("main/scientific_acronym")

    sponsor = clean(_t(el, "main/primary_sponsor")).rstrip(", ")
    if is_value(sponsor):
        trial.organisations.append(Organisation(sponsor, "LeadSponsorRole"))
    for name in _all(el, "secondary_sponsor/sponsor_name"):
        trial.organisations.append(Organisation(name, "CollaboratorRole"))
    for name in _all(el, "source_support/source_name"):
        trial.organisations.append(Organisation(name, "FunderRole"))

    registered = codes.date(_t(el, "main/date_registration"), "main/date_registration")
    if registered:
        trial.dates["registrationDate"] = registered
    kind = codes.code("enrollment_type", _t(el, "main/type_enrolment"), "main/type_enrolment")
    trial.enrollment_kind = kind.term if kind else None
    started = codes.date(_t(el, "main/date_enrolment"), "main/date_enrolment")
    if started:
        trial.dates["startDate"] = started
    trial.enrollment, size_text = target_size(_t(el, "main/target_size"), codes, "main/target_size")
    if size_text:
        trial.design_notes["targetSizeText"] = size_text

    trial.overall_status = codes.code("status", _t(el, "main/recruitment_status"), "main/recruitment_status")
    trial.study_type = codes.code("study_type", _t(el, "main/study_type"), "main/study_type")
    trial.phases = codes.phases(_t(el, "main/phase"), "main/phase")
    design = text(_t(el, "main/study_design"))
    if design:
        trial.design_notes["studyDesignText"] = design

    hc_keywords = [k for e in el.findall("health_condition_keyword/hc_keyword")
                   for k in (clean(line) for line in "".join(e.itertext()).splitlines()) if k]
    trial.conditions, trial.keywords = conditions(_t(el, "main/hc_freetext") or "\n".join(hc_keywords))
    trial.keywords = unique(trial.keywords + hc_keywords + _all(el, "health_condition_code/hc_code"))

    i_codes = [c for c in (codes.code("intervention_type", v, "intervention_code/i_code")
                           for v in _all(el, "intervention_code/i_code")) if c]
    i_text = text(_t(el, "main/i_freetext"))
    i_keywords = _all(el, "intervention_keyword/i_keyword")
    if i_text:
        trial.interventions.append(Intervention(i_text, i_codes[0] if len(i_codes) == 1 else None))
    elif i_keywords:
        trial.interventions = [Intervention(k, i_codes[0] if len(i_codes) == 1 else None) for k in i_keywords]
    if i_text and i_keywords:
        trial.keywords = unique(trial.keywords + i_keywords)
    if len(i_codes) > 1 or (i_codes and not trial.interventions):
        trial.texts["interventionCodes"] = "; ".join(c.text for c in i_codes)

    for path, kind_name in (("primary_outcome/prim_outcome", "primary"),
                            ("secondary_outcome/sec_outcome", "secondary")):
        for e in el.findall(path):
            body = text("".join(e.itertext()))
            if body:
                trial.outcomes.append(Outcome(kind_name, body))

    seen: set[tuple[str, ...]] = set()
    for c in el.findall("contacts/contact"):
        name = clean(" ".join(clean(c.findtext(k)) for k in ("firstname", "middlename", "lastname")))
        email, phone, affiliation = (clean(c.findtext(k)) for k in ("email", "telephone", "affiliation"))
        address = ", ".join(x for x in (clean(c.findtext(k)) for k in ("address", "city", "zip", "country1")) if x)
        name = name or email
        role_text = clean(c.findtext("type"))
        key = (name.casefold(), role_text.casefold(), email, phone, affiliation, address)
        if name and key not in seen:
            seen.add(key)
            trial.people.append(Person(name, "ContactRole", role_text, affiliation=affiliation, email=email,
                                       phone=phone, address=address))
    trial.countries = unique(_all(el, "countries/country2"))

    inclusion, exclusion = (_labelled(label, text(_t(el, f"criteria/{label.casefold().replace(' ', '_')}")))
                            for label in ("Inclusion criteria", "Exclusion criteria"))
    sex = codes.code("sex", _t(el, "criteria/gender"), "criteria/gender")
    agemin, agemax = clean(_t(el, "criteria/agemin")), clean(_t(el, "criteria/agemax"))
    if inclusion or exclusion or sex or agemin or agemax:
        trial.eligibility = Eligibility(criteria="\n\n".join(x for x in (inclusion, exclusion) if x), sex=sex,
                                        minimum_age=agemin, maximum_age=agemax)
    trial.issues = codes.issues
    return trial


def field_paths(data: bytes) -> Iterator[str]:
    """Every non-empty leaf element path of the trials in a file (relative to ``<trial>``), for coverage."""
    try:
        root = etree.fromstring(data, parser())
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"invalid XML: {exc}") from exc
    for trial in root.iterchildren("trial"):
        stack = [(child, child.tag) for child in trial if isinstance(child.tag, str)]
        while stack:
            element, path = stack.pop()
            children = [c for c in element if isinstance(c.tag, str)]
            if children:
                stack.extend((c, f"{path}/{c.tag}") for c in children)
            elif "".join(element.itertext()).strip():
                yield path
