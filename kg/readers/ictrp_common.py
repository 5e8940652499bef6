"""What the WHO ICTRP readers share: value clean-up, code lists, dates, identifiers.

ICTRP passes each registry's own words through: padded text, literal ``<br>``
line breaks, ``;``-packed lists, a dozen date spellings and free-text status
and phase strings.  The helpers here turn those into model values; code values
are looked up in ``mappings/ictrp/codes.tsv`` by a normalised key, and what is
not found there is kept verbatim and reported as an :class:`~kg.model.Issue`.

:func:`trial_from_fields` maps one export record (search-portal XML or CSV,
which carry the same fields) to a :class:`~kg.model.Trial`.
"""

from __future__ import annotations

import re
import textwrap
from datetime import date
from functools import cache

from ..identifiers import classify
from ..model import (
    Coded,
    Condition,
    DateValue,
    Eligibility,
    Identifier,
    Intervention,
    Issue,
    Organisation,
    Outcome,
    Person,
    Trial,
)
from ..resources import code_lists
from ._codes import CodeLookup

MAPPING = "ictrp"

_BR = re.compile(r"\r?\n?<br\s*/?>", re.IGNORECASE)
_TAGS = re.compile(r"</?p>", re.IGNORECASE)
_MONTHS = {m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                       "september", "october", "november", "december"), 1)}
_MONTH_NAMES = "|".join(_MONTHS)
#: the placeholder some registries write for "no date"
_NO_DATE = {"1900-01-01"}
_EUCTR = re.compile(r"^EUCTR(\d{4}-\d{6}-\d{2})(?:-[A-Z]{2,3})?$")
_CTIS = re.compile(r"^CTIS(\d{4}-5\d{5}-\d{2}-\d{2})$")
_NO_VALUE = {"", "n.a.", "na", "n/a", "none", "nil", "-"}


def clean(value: str | None) -> str:
    """A single-line value without padding: whitespace runs become one space."""
    return " ".join((value or "").split())


def text(value: str | None) -> str:
    """A multi-line free-text value: ``<br>`` and ``<p>`` become line breaks, padding goes."""
    value = (value or "").replace("\r\n", "\n")
    value = _BR.sub("\n", value)
    value = _TAGS.sub("\n", value).replace("\r", "\n")
    lines = [line.rstrip() for line in value.split("\n")]
    out = re.sub(r"\n{3,}", "\n\n", textwrap.dedent("\n".join(lines)))  # CT.gov text comes indented
    return out.strip()


def split(value: str | None, sep: str = ";") -> list[str]:
    """The non-empty, stripped items of a ``;``-packed field."""
    return [item for item in (clean(part) for part in (value or "").split(sep)) if item]


def norm_key(value: str) -> str:
    """The lookup key of a code value: ``<br>`` read as a space, whitespace collapsed, case folded."""
    return " ".join(_BR.sub(" ", value).split()).casefold()


@cache
def _lists() -> dict[str, dict[str, str]]:
    return {name: {norm_key(k): v for k, v in values.items()} for name, values in code_lists(MAPPING).items()}


def lookup(table: str, value: str) -> str | None:
    """The term a code value maps to in one list of ``mappings/ictrp/codes.tsv``, or None."""
    return _lists().get(table, {}).get(norm_key(value))


class Codes(CodeLookup):
    """Collects the issues of one record while its code values and dates are read."""

    def __init__(self) -> None:
        super().__init__(MAPPING)

    def term(self, table: str, value: str) -> str | None:
        return lookup(table, value)

    def code(self, table: str, value: str | None, field: str) -> Coded | None:
        """Map a value through a code list; unseen values are kept verbatim and reported."""
        return super().code(table, clean(_BR.sub(" ", value or "")), field)

    def phases(self, value: str | None, field: str) -> list[Coded]:
        """The phases a phase string names: one Coded per phase, the EU CTR yes/no block included."""
        raw = (value or "").strip()
        if not clean(raw):
            return []
        if "(phase i)" in raw.casefold() and ":" in raw:
            return self._phase_block(raw, field)
        coded = self.code("phase", raw, field)
        if coded is None or coded.term is None:
            return [coded] if coded else []
        return [Coded(coded.text, term) for term in coded.term.split()]

    def _phase_block(self, raw: str, field: str) -> list[Coded]:
        # "Human pharmacology (Phase I): no\nTherapeutic exploratory (Phase II): yes ..." (lines may be run together)
        out: list[Coded] = []
        for label, answer in re.findall(r"([A-Za-z][A-Za-z \-]*\(Phase [IV]+\))\s*:\s*(yes|no)?", raw, re.IGNORECASE):
            if (answer or "").casefold() != "yes":
                continue
            term = lookup("phase", label)
            if term is None:
                self.issues.append(Issue(field, "unseen phase value, kept verbatim", clean(label)))
            out.append(Coded(clean(label), term))
        return out

    def date(self, value: str | None, field: str, kind: str | None = None) -> DateValue | None:
        """A date in any of the spellings ICTRP passes through, with its real precision."""
        raw = clean(value)
        if not raw:
            return None
        iso = parse_date(raw)
        if iso is None:
            self.issues.append(Issue(field, "not a recognised date, kept as text", raw))
            return DateValue("", raw, kind)
        if iso in _NO_DATE:
            return None
        return DateValue(iso, raw, kind)


def parse_date(raw: str) -> str | None:
    """ISO 8601 (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) of an ICTRP date, or None if it is not one.

    Accepted: ``2021-09-03``, ``2021/09/03``, ``20210903``, ``08/04/2024`` (day first, as ICTRP
    writes it), ``April 25, 2024``, ``25 April 2024``, ``April 2024``, ``2024``.
    """
    raw = raw.strip()
    m = re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})", raw) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", raw)
    if m:
        return _iso(int(m[1]), int(m[2]), int(m[3]))
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", raw)
    if m:
        return _iso(int(m[3]), int(m[2]), int(m[1]))
    m = re.fullmatch(rf"({_MONTH_NAMES})\s+(\d{{1,2}}),?\s+(\d{{4}})", raw, re.IGNORECASE)
    if m:
        return _iso(int(m[3]), _MONTHS[m[1].casefold()], int(m[2]))
    m = re.fullmatch(rf"(\d{{1,2}})\s+({_MONTH_NAMES})\s+(\d{{4}})", raw, re.IGNORECASE)
    if m:
        return _iso(int(m[3]), _MONTHS[m[2].casefold()], int(m[1]))
    m = re.fullmatch(rf"({_MONTH_NAMES})\s+(\d{{4}})", raw, re.IGNORECASE)
    if m:
        return f"{int(m[2]):04d}-{_MONTHS[m[1].casefold()]:02d}"
    m = re.fullmatch(r"(\d{4})-(\d{2})", raw)
    if m and 1 <= int(m[2]) <= 12:
        return raw
    if re.fullmatch(r"\d{4}", raw):
        return raw
    return None


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def export_date(value: str | None) -> str:
    """The ISO date of an export timestamp, or empty.

    Unlike its other dates, ICTRP writes the export timestamp month first:
    ``4/7/2020 10:40:56 AM`` is the download of 7 April 2020, ``06/09/2024 16:01:13`` of 9 June 2024.
    """
    m = re.match(r"(\d{1,2})/(\d{1,2})/(\d{4})\b", clean(value))
    return (_iso(int(m[3]), int(m[1]), int(m[2])) or "") if m else ""


def target_size(value: str | None, codes: Codes, field: str) -> tuple[int | None, str]:
    """The planned number of participants and, where it was given per group, the verbatim text.

    ``control group:50;sepsis group:50;`` (ChiCTR) counts 100 in all.
    """
    raw = clean(value)
    if not raw:
        return None, ""
    if raw.isdigit():
        return int(raw), ""
    groups = [item.rsplit(":", 1) for item in split(raw)]
    if groups and all(len(g) == 2 and g[1].strip().isdigit() for g in groups):
        return sum(int(g[1]) for g in groups), raw
    codes.issues.append(Issue(field, "not a number of participants, kept as text", raw))
    return None, raw


def identifier(value: str, type_text: str = "", issuer: str = "") -> Identifier:
    """An identifier with its scheme; ICTRP's ``EUCTR``/``CTIS`` prefixes are taken off the number."""
    value = clean(value)
    for pattern, scheme in ((_EUCTR, "EudraCTNumber"), (_CTIS, "CTISNumber")):
        match = pattern.match(value)
        if match:
            return Identifier(match.group(1), scheme, type_text, issuer)
    found = classify(value)
    return Identifier(value, found[0] if found else "OtherIdentifier", type_text, issuer)


def primary_id(trial_id: str, register: str, codes: Codes, field: str) -> tuple[str, str] | None:
    """``(trial id, registry)`` of an ICTRP TrialID, or None when neither it nor the register is known.

    CTIS records keep only their EU CT number (``CTIS2023-507385-11-00`` -> ``2023-507385-11-00``);
    EU CTR country records keep ICTRP's form, which :func:`kg.identifiers.trial_key` folds into one trial.
    """
    match = _CTIS.match(trial_id)
    if match:
        return match.group(1), "CTIS"
    found = classify(trial_id)
    if found:
        return trial_id, found[1]
    registry = lookup("register", register) if register else None
    if registry:
        codes.issues.append(Issue(field, "TrialID matches no identifier scheme of its register", trial_id))
        return trial_id, registry
    return None


def people(first: str, last: str, address: str, email: str, phone: str, affiliation: str) -> list[Person]:
    """The contacts packed in the parallel ``;``-separated Contact_* fields of one record.

    Names decide how many contacts there are; a field with as many items as
    there are names is shared out by position, any other is given (its items
    joined by ``; ``) to the first contact.  A contact without a name is named by its e-mail or affiliation.
    """
    fields = [[clean(x) for x in (f or "").split(";")] for f in (first, last, address, email, phone, affiliation)]
    count = max(len(fields[0]), len(fields[1]))

    def part(k: int, i: int) -> str:
        items = fields[k]
        if len(items) == count:
            return items[i]
        return "; ".join(x for x in items if x) if i == 0 else ""

    out: list[Person] = []
    seen: set[tuple[str, ...]] = set()
    for i in range(count):
        f, l, a, e, p, aff = (part(k, i) for k in range(6))
        name = clean(f"{f} {l}") or e or aff
        key = (name.casefold(), a, e, p, aff)
        if not name or key in seen:
            continue
        seen.add(key)
        out.append(Person(name, "ContactRole", "contact", affiliation=aff, email=e, phone=p, address=a))
    return out


_MEDDRA_TERM = re.compile(r"Term:\s*(.+?)\s*(?:System Organ Class|$)", re.DOTALL)
_CODE_ONLY = re.compile(r"^((ORPHA:\d+|[A-Z]\d{2}(\.\d+)?|\d{8})[\s,]*)+$")


def conditions(value: str | None) -> tuple[list[Condition], list[str]]:
    """Condition mentions (one per ``;`` item or line) and the coding lines kept as keywords.

    EU CTR MedDRA blocks give their ``Term:`` as the mention; ``Therapeutic area:``
    lines and bare ORPHA/ICD-10/MedDRA codes become keywords.
    """
    found: list[str] = []
    keywords: list[str] = []
    for segment in (value or "").split(";"):
        for piece in _BR.split(segment):
            if "MedDRA version" in piece:
                term = _MEDDRA_TERM.search(piece)
                if term:
                    found.append(clean(term.group(1)))
                keywords.append(clean(piece))
                continue
            for line in piece.splitlines():
                line = clean(line).lstrip("-• ").strip()
                if not line:
                    continue
                if line.casefold().startswith("therapeutic area") or _CODE_ONLY.match(line):
                    keywords.append(line)
                else:
                    found.append(line)
    return [Condition(c) for c in unique(found)], unique(keywords)


def unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    return [x for x in items if x and not (x.casefold() in seen or seen.add(x.casefold()))]


_PRODUCT = re.compile(r"^(Product Name|Trade Name|INN or Proposed INN):[ \t]*(\S.*)$", re.MULTILINE)
_TYPED = re.compile(r"^([A-Z][A-Za-z ]+?)\s*:\s*(.+)$", re.DOTALL)


def interventions(value: str | None, codes: Codes) -> list[Intervention]:
    """One intervention per ``;`` item; a CT.gov-style ``Drug: name`` prefix gives its type.

    EU CTR product blocks (``Product Name: …<br>Pharmaceutical Form: …``) are
    named by their product, trade or INN name and kept whole as the description.
    """
    out = []
    for item in (value or "").split(";"):
        body = text(item)
        if not body:
            continue
        match = _TYPED.match(body)
        term = lookup("intervention_type", match.group(1)) if match else None
        product = _PRODUCT.search(body)
        if match and term:
            out.append(Intervention(match.group(2).strip(), Coded(match.group(1), term)))
        elif product:  # an EU CTR product block: named by its product, kept whole as description
            # CTIS runs the block together on one line: "Product Name: X,Product Code: Y,…"
            name = re.split(r",\s*(?=[A-Z][A-Za-z ]+:)", product.group(2))[0].strip()
            out.append(Intervention(name, description=body))
        else:
            out.append(Intervention(body))
    return out


_EUCTR_OUTCOME = re.compile(r"^(Main Objective|Secondary Objective|Primary end point\(s\)|Secondary end point\(s\)|"
                            r"Timepoint\(s\) of evaluation of this end point)\s*:\s*(.*)$", re.IGNORECASE | re.DOTALL)


def outcomes(value: str | None, kind: str, trial: Trial) -> list[Outcome]:
    """One outcome per ``;`` item, time frames left in the text.

    EU CTR's labelled items are read for what they are: objectives go to the
    trial's texts, ``Timepoint(s) of evaluation`` becomes the time frame of the
    end point before it.
    """
    out: list[Outcome] = []
    for item in (value or "").split(";"):
        body = text(item)
        if not body:
            continue
        match = _EUCTR_OUTCOME.match(body)
        if match:
            label, rest = match.group(1).casefold(), match.group(2).strip()
            if label.startswith("main objective"):
                trial.texts["primaryObjective"] = rest
                continue
            if label.startswith("secondary objective"):
                trial.texts["secondaryObjective"] = rest
                continue
            if label.startswith("timepoint"):
                if out and not out[-1].time_frame:
                    out[-1].time_frame = rest
                    continue
                body = rest
            else:
                body = rest
        if body:
            out.append(Outcome(kind, body))
    return out


def yes_no(value: str | None) -> bool | None:
    """``Yes``/``No``/``True``/``False`` as a boolean; anything else None."""
    return {"yes": True, "true": True, "no": False, "false": False}.get(clean(value).casefold())


def is_value(value: str) -> bool:
    """False for the placeholders registries write for "nothing" (``N.A.``, ``-``, ``None``)."""
    return clean(value).casefold() not in _NO_VALUE


#: Source_Support text that names no organisation
_NO_FUNDER = "please refer to primary and secondary sponsors"


def trial_from_fields(f: dict[str, str], fmt: str, source: str) -> Trial:
    """Map one search-portal export record (XML element or CSV column names, ``_`` for spaces)."""
    codes = Codes()
    raw_id = clean(f.get("TrialID"))
    register = clean(f.get("Source_Register"))
    ids = primary_id(raw_id, register, codes, "TrialID")
    if ids is None:
        raise ValueError(f"TrialID {raw_id!r} matches no identifier scheme and register {register!r} is unknown")
    trial_id, registry = ids
    trial = Trial(trial_id=trial_id, registry=registry, record_format=fmt, record_id=raw_id, source_file=source)
    refreshed = codes.date(f.get("Last_Refreshed_on"), "Last_Refreshed_on")
    trial.version_date = refreshed.value if refreshed else ""
    trial.url = clean(f.get("web_address"))
    trial.export_date = export_date(f.get("Export_date"))

    trial.ids.append(identifier(raw_id, "TrialID", register))
    for sec in split(f.get("Secondary_ID")):
        trial.ids.append(identifier(sec, "Secondary_ID"))

    trial.brief_title = clean(f.get("Public_title"))
    trial.official_title = clean(f.get("Scientific_title"))
    trial.acronym = clean(f.get("Acronym"))

    sponsor = clean(f.get("Primary_sponsor"))
    if sponsor:
        trial.organisations.append(Organisation(sponsor, "LeadSponsorRole"))
    for name in split(f.get("Secondary_Sponsor")):
        trial.organisations.append(Organisation(name, "CollaboratorRole"))
    for name in split(f.get("Source_Support")):
        if name.casefold() != _NO_FUNDER:
            trial.organisations.append(Organisation(name, "FunderRole"))

    for key, prop in (("Date_registration", "registrationDate"), ("Date_enrollement", "startDate"),
                      ("results_date_posted", "resultsFirstPostedDate"),
                      ("results_date_completed", "completionDate")):
        source_value = f.get(key)
        if key == "Date_registration" and clean(f.get("Date_registration3")):
            source_value = f.get("Date_registration3")  # YYYYMMDD: no day/month ambiguity
            key = "Date_registration3"
        value = codes.date(source_value, key)
        if value:
            trial.dates[prop] = value
    approvals = [d for d in (codes.date(x, "Ethics_review_approval_date")
                             for x in (f.get("Ethics_review_approval_date") or "").split(";")) if d]
    if approvals:
        trial.dates["ethicsApprovalDate"] = min(approvals, key=lambda d: d.value or "9999")

    trial.overall_status = codes.code("status", f.get("Recruitment_Status"), "Recruitment_Status")
    trial.study_type = codes.code("study_type", f.get("Study_type"), "Study_type")
    trial.phases = codes.phases(f.get("Phase"), "Phase")
    design = text(f.get("Study_design"))
    if design:
        trial.design_notes["studyDesignText"] = design
    trial.enrollment, size_text = target_size(f.get("Target_size"), codes, "Target_size")
    if size_text:
        trial.design_notes["targetSizeText"] = size_text

    trial.countries = unique(split(f.get("Countries")))
    trial.people = people(f.get("Contact_Firstname", ""), f.get("Contact_Lastname", ""),
                          f.get("Contact_Address", ""), f.get("Contact_Email", ""), f.get("Contact_Tel", ""),
                          f.get("Contact_Affiliation", ""))

    inclusion, exclusion = text(f.get("Inclusion_Criteria")), text(f.get("Exclusion_Criteria"))
    sex = codes.code("sex", f.get("Inclusion_gender"), "Inclusion_gender")
    agemin, agemax = clean(f.get("Inclusion_agemin")), clean(f.get("Inclusion_agemax"))
    if inclusion or exclusion or sex or agemin or agemax:
        trial.eligibility = Eligibility(criteria="\n\n".join(x for x in (inclusion, exclusion) if x), sex=sex,
                                        minimum_age=agemin, maximum_age=agemax)

    trial.conditions, trial.keywords = conditions(f.get("Condition"))
    trial.interventions = interventions(f.get("Intervention"), codes)
    trial.outcomes = outcomes(f.get("Primary_outcome"), "primary", trial) + \
        outcomes(f.get("Secondary_outcome"), "secondary", trial)

    ethics = _ethics(f)
    if ethics:
        trial.texts["ethicsReview"] = ethics
    status = "; ".join(unique(split(f.get("Ethics_review_status"))))
    if status:
        trial.texts["ethicsReviewStatus"] = status

    for key, prop in (("Retrospective_flag", "retrospectivelyRegistered"), ("other_records", "hasOtherRecords"),
                      ("Bridging_flag_truefalse", "isBridged"), ("results_yes_no", "hasResults")):
        flag = yes_no(f.get(key))
        if flag is not None:
            trial.flags[prop] = flag
    if clean(f.get("Bridged_type")):
        trial.texts["bridgedType"] = clean(f.get("Bridged_type"))
    if clean(f.get("results_url_link")):
        trial.texts["resultsUrl"] = clean(f.get("results_url_link"))

    trial.issues = codes.issues
    return trial


def _ethics(f: dict[str, str]) -> str:
    """The ethics committees' contact details, one line per committee (the fields are ``;``-parallel)."""
    keys = ("Ethics_review_contact_name", "Ethics_review_contact_address", "Ethics_review_contact_phone",
            "Ethics_review_contact_email")
    columns = [(f.get(k) or "").split(";") for k in keys]
    lines = []
    for i in range(max(len(c) for c in columns)):
        parts = unique([clean(c[i]) for c in columns if i < len(c)])
        if parts:
            lines.append(", ".join(parts))
    return "\n".join(unique(lines))
