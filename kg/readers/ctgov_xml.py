"""Legacy ClinicalTrials.gov XML (``<clinical_study>``, public.xsd): one study file -> :class:`~kg.model.Trial`.

The legacy download gives display strings ("Active, not recruiting", "Phase 1/Phase 2",
"January 15, 2017") where API v2 gives codes and ISO dates; this reader turns them
into the same Trial the v2 JSON reader makes of the same study, so both source
records describe one trial node.  Two generations of the layout are read: the
pre-2017 one (``firstreceived_date``, free-text ``<study_design>``, results
``measure_list``) and the 2017+ one (``study_first_submitted``,
``<study_design_info>``, results ``measure/class_list``).

XML is parsed with entity resolution and network access switched off.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from datetime import datetime
from functools import cache

from lxml import etree

from ..identifiers import classify
from ..mesh import descriptors
from ..model import (
    AdverseEvent,
    AnalyzedCount,
    Arm,
    BaselineMeasure,
    Condition,
    DateValue,
    Document,
    Eligibility,
    EventCount,
    FlowCount,
    FlowPeriod,
    Grounding,
    Identifier,
    Intervention,
    Issue,
    Location,
    Organisation,
    Outcome,
    OutcomeResult,
    Person,
    RawRecord,
    Reference,
    ResultGroup,
    Results,
    ResultValue,
    StatisticalAnalysis,
    Trial,
)
from ._codes import CodeLookup
from ._xml import safe_parser

FORMAT = "ctgov-xml"
MAPPING = "ctgov-xml"

#: dated elements and the ontology property each becomes (older element names included)
_DATES = {
    "start_date": "startDate",
    "primary_completion_date": "primaryCompletionDate",
    "completion_date": "completionDate",
    "study_first_posted": "firstPostedDate",
    "last_update_posted": "lastUpdatePostedDate",
    "results_first_posted": "resultsFirstPostedDate",
    "disposition_first_posted": "dispositionFirstPostedDate",
    "verification_date": "statusVerifiedDate",
    "study_first_submitted": "firstSubmittedDate",
    "firstreceived_date": "firstSubmittedDate",
    "study_first_submitted_qc": "firstSubmittedQcDate",
    "last_update_submitted": "lastUpdateSubmittedDate",
    "lastchanged_date": "lastUpdateSubmittedDate",
    "results_first_submitted": "resultsFirstSubmittedDate",
    "firstreceived_results_date": "resultsFirstSubmittedDate",
    "results_first_submitted_qc": "resultsFirstSubmittedQcDate",
    "disposition_first_submitted": "dispositionFirstSubmittedDate",
    "firstreceived_results_disposition_date": "dispositionFirstSubmittedDate",
    "disposition_first_submitted_qc": "dispositionFirstSubmittedQcDate",
    "last_update_submitted_qc": "lastUpdateSubmittedQcDate",
}
_FLAGS = {
    "oversight_info/has_dmc": "hasDataMonitoringCommittee",
    "oversight_info/is_fda_regulated_drug": "isFdaRegulatedDrug",
    "oversight_info/is_fda_regulated_device": "isFdaRegulatedDevice",
    "oversight_info/is_unapproved_device": "isUnapprovedDevice",
    "oversight_info/is_ppsd": "isPediatricPostmarketSurveillance",
    "oversight_info/is_us_export": "isUsExport",
    "has_expanded_access": "hasExpandedAccess",
    "is_fda_regulated": "isFdaRegulated",
    "is_section_801": "isSection801",
}
#: repeatable text elements (retired or workflow fields, kept verbatim) -> property
_TEXT_LISTS = {
    "oversight_info/authority": "healthAuthority",
    "removed_countries/country": "removedCountry",
    "pending_results/submitted": "resultsSubmittedText",
    "pending_results/returned": "resultsReturnedText",
    "pending_results/submission_canceled": "resultsSubmissionCanceledText",
}
#: statistical-analysis elements -> property
_ANALYSIS = {
    "groups_desc": "groupsDescription", "non_inferiority": "nonInferiorityText",
    "non_inferiority_type": "nonInferiorityType", "non_inferiority_desc": "nonInferiorityDescription",
    "p_value": "pValue", "p_value_desc": "pValueDescription", "method": "method",
    "method_desc": "methodDescription", "param_type": "estimateType", "param_value": "estimateValue",
    "dispersion_type": "estimateDispersionType", "dispersion_value": "estimateDispersionValue",
    "ci_percent": "ciPercent", "ci_n_sides": "ciSides", "ci_lower_limit": "ciLowerLimit",
    "ci_upper_limit": "ciUpperLimit", "ci_upper_limit_na_comment": "ciUpperLimitComment",
    "estimate_desc": "estimateDescription", "other_analysis_desc": "otherAnalysisDescription",
}
#: results-wide text elements -> property of the results summary
_RESULT_TEXTS = {
    "limitations_and_caveats": "limitationsAndCaveats",
    "certain_agreements/pi_employee": "piEmployeeAgreement",
    "certain_agreements/restrictive_agreement": "restrictiveAgreement",
    "participant_flow/recruitment_details": "recruitmentDetails",
    "participant_flow/pre_assignment_details": "preAssignmentDetails",
    "baseline/population": "baselinePopulation",
    "reported_events/desc": "adverseEventDescription",
    "reported_events/time_frame": "adverseEventTimeFrame",
    "reported_events/serious_events/default_vocab": "seriousEventVocabulary",
    "reported_events/serious_events/default_assessment": "seriousEventAssessment",
    "reported_events/other_events/default_vocab": "otherEventVocabulary",
    "reported_events/other_events/default_assessment": "otherEventAssessment",
    "reported_events/other_events/frequency_threshold": "otherEventFrequencyThreshold",
}
#: study_design_info children (and keys of the older free-text study_design) -> (property, code list)
_DESIGN = {
    "allocation": ("allocation", "allocation"),
    "intervention_model": ("interventionModel", "intervention_model"),
    "primary_purpose": ("primaryPurpose", "primary_purpose"),
    "observational_model": ("observationalModel", "observational_model"),
    "time_perspective": ("timePerspective", "time_perspective"),
}
_OLD_DESIGN_KEYS = re.compile(
    r"(?:^|,\s*)(Allocation|Endpoint Classification|Intervention Model|Masking|Primary Purpose|"
    r"Observational Model|Time Perspective):\s*")
_MASKING = re.compile(r"^(.*?)\s*\((.*)\)$")
_YES_NO = {"Yes": True, "No": False}
_OUTCOME_TYPE = {"Primary": "primary", "Secondary": "secondary", "Other Pre-specified": "other_pre_specified",
                 "Post-Hoc": "post_hoc"}


@cache
def _mesh_by_label() -> dict[str, str]:
    """``{lower-cased preferred label: descriptor id}`` for looking up the XML's MeSH terms."""
    return {label.casefold(): descriptor for descriptor, label in descriptors().items()}


def _text(el: etree._Element | None) -> str:
    """The text of an element (or its ``textblock``), dedented and without CRs; '' when absent."""
    if el is None:
        return ""
    block = el.find("textblock")
    raw = (block if block is not None else el).xpath("string()")
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    return textwrap.dedent(raw.strip("\n")).strip()


class _Reader(CodeLookup):
    """Reads one ``<clinical_study>``; collects issues as it goes."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        super().__init__(MAPPING)

    def get(self, path: str, el: etree._Element | None = None) -> str:
        return _text((self.root if el is None else el).find(path))

    def all(self, path: str, el: etree._Element | None = None) -> list[str]:
        return [t for t in (_text(e) for e in (self.root if el is None else el).findall(path)) if t]

    def date(self, el: etree._Element, field: str) -> DateValue | None:
        text = _text(el)
        if not text:
            return None
        kind = self.kind(el, field)
        iso = parse_date(text)
        if iso is None:
            self.issues.append(Issue(field, "not a date in the form 'January 2017' or 'January 15, 2017', kept as text", text))
            return DateValue("", text, kind)
        return DateValue(iso, text, kind)

    def kind(self, el: etree._Element, field: str) -> str | None:
        """The ontology term of a ``type`` attribute (Actual, Anticipated, Estimate)."""
        coded = self.code("date_type", el.get("type", ""), f"{field}@type")
        return coded.term if coded else None

    def integer(self, value: str | None, field: str) -> int | None:
        if value in (None, ""):
            return None
        try:
            return int(value)
        except ValueError:
            self.issues.append(Issue(field, "not an integer", value))
            return None

    def flag(self, value: str, field: str) -> bool | None:
        if not value:
            return None
        if value not in _YES_NO:
            self.issues.append(Issue(field, "not Yes or No", value))
        return _YES_NO.get(value)

    def mesh(self, path: str) -> list[Grounding]:
        out = []
        for term in self.all(path):
            descriptor = _mesh_by_label().get(term.casefold())
            if descriptor is None:
                self.issues.append(Issue(path, "MeSH term is not a MeSH 2026 descriptor label", term))
                continue
            out.append(Grounding(descriptor, descriptors()[descriptor], "registry", 1.0, "NLM"))
        return out


def parse_date(text: str) -> str | None:
    """``January 2017`` -> ``2017-01``, ``January 15, 2017`` -> ``2017-01-15``; None if neither."""
    for fmt, width in (("%B %d, %Y", 10), ("%B %Y", 7)):
        try:
            return datetime.strptime(text.strip(), fmt).date().isoformat()[:width]
        except ValueError:
            continue
    return None


def read_study(root: etree._Element, source_file: str = "") -> Trial:
    """Map one ``<clinical_study>`` element to a :class:`Trial`."""
    r = _Reader(root)
    nct = r.get("id_info/nct_id")
    trial = Trial(trial_id=nct, registry="ClinicalTrialsGov", record_format=FORMAT, source_file=source_file,
                  url=f"https://clinicaltrials.gov/study/{nct}")

    # identification
    trial.ids.append(Identifier(nct, "NCTNumber", "NCT number", "ClinicalTrials.gov"))
    for alias in r.all("id_info/nct_alias"):
        trial.ids.append(Identifier(alias, "NCTNumber", "NCT id alias", "ClinicalTrials.gov"))
    source = r.get("source")
    if r.get("id_info/org_study_id"):
        trial.ids.append(Identifier(r.get("id_info/org_study_id"), "OrgStudyId", "org study id", source))
    for value in r.all("id_info/secondary_id"):
        scheme = classify(value)
        trial.ids.append(Identifier(value, scheme[0] if scheme else "OtherIdentifier", "secondary id"))
    trial.brief_title = r.get("brief_title")
    trial.official_title = r.get("official_title")
    trial.acronym = r.get("acronym")
    if source:
        # the legacy <source> is v2's organization; its class is given only where it is also the lead sponsor
        lead = root.find("sponsors/lead_sponsor")
        same = lead is not None and r.get("agency", lead) == source
        trial.organisations.append(Organisation(source, "ResponsibleOrganisationRole", r.code(
            "agency_class", r.get("agency_class", lead), "sponsors/lead_sponsor/agency_class") if same else None))

    # status and dates
    trial.overall_status = r.code("status", r.get("overall_status"), "overall_status")
    trial.last_known_status = r.code("status", r.get("last_known_status"), "last_known_status")
    trial.why_stopped = r.get("why_stopped")
    for tag, prop in _DATES.items():
        el = root.find(tag)
        if el is not None:
            value = r.date(el, tag)
            if value:
                trial.dates[prop] = value
    trial.version_date = (trial.dates.get("lastUpdateSubmittedDate") or DateValue("")).value
    for path, prop in _FLAGS.items():
        value = r.flag(r.get(path), path)
        if value is not None:
            trial.flags[prop] = value
    trial.flags["hasResults"] = root.find("clinical_results") is not None
    for tag in ("individual", "intermediate", "treatment"):
        value = r.flag(r.get(f"expanded_access_info/expanded_access_type_{tag}"), "expanded_access_info")
        if value is not None:
            trial.flags["expandedAccess" + tag.capitalize()] = value
    downloaded = r.get("required_header/download_date").rpartition(" on ")[2]
    trial.export_date = parse_date(downloaded) or ""

    # sponsors and responsible party
    for path, role in (("sponsors/lead_sponsor", "LeadSponsorRole"), ("sponsors/collaborator", "CollaboratorRole")):
        for el in root.findall(path):
            if r.get("agency", el):
                trial.organisations.append(Organisation(
                    r.get("agency", el), role, r.code("agency_class", r.get("agency_class", el), f"{path}/agency_class")))
    rp = root.find("responsible_party")
    if rp is not None:
        rp_type = r.get("responsible_party_type", rp)
        if rp_type:
            trial.texts["responsiblePartyType"] = _v2_code(rp_type)
        name = r.get("investigator_full_name", rp) or r.get("name_title", rp)
        if name:
            trial.people.append(Person(name, "ResponsiblePartyRole", rp_type,
                                       affiliation=r.get("investigator_affiliation", rp) or r.get("organization", rp),
                                       title=r.get("investigator_title", rp)))

    # descriptions, conditions, keywords, MeSH
    trial.brief_summary = r.get("brief_summary")
    trial.detailed_description = r.get("detailed_description")
    trial.conditions = [Condition(text) for text in r.all("condition")]
    trial.keywords = r.all("keyword")
    trial.condition_mesh = r.mesh("condition_browse/mesh_term")
    trial.intervention_mesh = r.mesh("intervention_browse/mesh_term")

    # design
    study_type = r.get("study_type")
    trial.study_type = r.code("study_type", study_type, "study_type")
    if study_type == "Observational [Patient Registry]":
        trial.flags["patientRegistry"] = True
    phase = r.get("phase")
    trial.phases = [c for c in (r.code("phase", p.strip(), "phase") for p in phase.split("/")) if c] \
        if phase and phase != "N/A" else ([r.code("phase", phase, "phase")] if phase else [])
    design = {tag: r.get(f"study_design_info/{tag}") for tag in _DESIGN}
    masking = r.get("study_design_info/masking")
    old = _old_design(r.get("study_design"))
    for tag in _DESIGN:
        design[tag] = design[tag] or old.get(tag, "")
    if not masking and old.get("masking"):
        masking = _old_masking(old["masking"])
    for tag, (prop, table) in _DESIGN.items():
        coded = r.code(table, design[tag], f"study_design_info/{tag}")
        if coded:
            trial.design[prop] = coded
    _masking(r, trial, masking)
    for tag, prop in (("study_design_info/intervention_model_description", "interventionModelDescription"),
                      ("study_design_info/masking_description", "maskingDescription"),
                      ("target_duration", "targetDuration"), ("biospec_descr", "biospecDescription")):
        if r.get(tag):
            trial.design_notes[prop] = r.get(tag)
    coded = r.code("biospec_retention", r.get("biospec_retention"), "biospec_retention")
    if coded:
        trial.design["biospecRetention"] = coded
    enrol = root.find("enrollment")
    if enrol is not None:
        trial.enrollment = r.integer(_text(enrol), "enrollment")
        trial.enrollment_kind = r.kind(enrol, "enrollment")

    # arms, interventions, outcomes
    for el in root.findall("arm_group"):
        trial.arms.append(Arm(r.get("arm_group_label", el), r.code("arm_type", r.get("arm_group_type", el),
                                                                     "arm_group/arm_group_type"),
                              r.get("description", el)))
    for el in root.findall("intervention"):
        trial.interventions.append(Intervention(
            r.get("intervention_name", el),
            r.code("intervention_type", r.get("intervention_type", el), "intervention/intervention_type"),
            r.get("description", el), r.all("other_name", el), r.all("arm_group_label", el)))
    for arm in trial.arms:  # v2 lists an arm's interventions as "Type: name"; rebuild that view
        arm.intervention_names = [f"{i.type.text if i.type else ''}: {i.name}" for i in trial.interventions
                                  if arm.label in i.arm_labels]
    for tag, kind in (("primary_outcome", "primary"), ("secondary_outcome", "secondary"), ("other_outcome", "other")):
        for el in root.findall(tag):
            trial.outcomes.append(Outcome(kind, r.get("measure", el), r.get("description", el), r.get("time_frame", el),
                                          r.flag(r.get("safety_issue", el), f"{tag}/safety_issue")))
    for tag, prop in (("number_of_arms", "numberOfArms"), ("number_of_groups", "numberOfGroups")):
        number = r.integer(r.get(tag), tag)
        if number is not None:
            trial.counts[prop] = number
    for tag, prop in _TEXT_LISTS.items():
        if r.all(tag):
            trial.texts[prop] = r.all(tag)
    for doc in root.findall("provided_document_section/provided_document"):
        contents = [what for what in ("protocol", "sap", "icf") if r.get(f"document_has_{what}", doc) == "Yes"]
        trial.documents.append(Document(r.get("document_type", doc), r.get("document_url", doc), "",
                                        r.get("document_date", doc), "", [c.upper() for c in contents]))
    for doc in root.findall("study_docs/study_doc"):
        trial.documents.append(Document(r.get("doc_type", doc), r.get("doc_url", doc), r.get("doc_id", doc), "",
                                        r.get("doc_comment", doc)))

    # eligibility
    el = root.find("eligibility")
    if el is not None:
        trial.eligibility = Eligibility(
            criteria=r.get("criteria", el),
            sex=r.code("sex", r.get("gender", el), "eligibility/gender"),
            minimum_age=_age(r.get("minimum_age", el)), maximum_age=_age(r.get("maximum_age", el)),
            healthy_volunteers={"Accepts Healthy Volunteers": True, "No": False}.get(r.get("healthy_volunteers", el)),
            gender_based=r.flag(r.get("gender_based", el), "eligibility/gender_based"),
            gender_description=r.get("gender_description", el),
            sampling_method=r.code("sampling_method", r.get("sampling_method", el), "eligibility/sampling_method"),
            study_population=r.get("study_pop", el))

    # contacts, officials, locations
    for tag in ("overall_contact", "overall_contact_backup"):
        for c in root.findall(tag):
            if r.get("last_name", c):
                trial.people.append(_contact(r, c, "ContactRole", "CONTACT"))
    for o in root.findall("overall_official"):
        if r.get("last_name", o):
            role = r.get("role", o)
            coded = r.code("official_role", role, "overall_official/role")
            trial.people.append(Person(r.get("last_name", o), (coded.term if coded else None) or "OfficialRole",
                                       role, affiliation=r.get("affiliation", o)))
    for loc in root.findall("location"):
        contacts = [_contact(r, c, "SiteContactRole", "") for tag in ("contact", "contact_backup")
                    for c in loc.findall(tag) if r.get("last_name", c)]
        for inv in loc.findall("investigator"):
            role = r.get("role", inv)
            coded = r.code("official_role", role, "location/investigator/role") if role else None
            contacts.append(Person(r.get("last_name", inv), (coded.term if coded else None) or "SiteContactRole", role))
        trial.locations.append(Location(
            r.get("facility/name", loc), r.get("facility/address/city", loc), r.get("facility/address/state", loc),
            r.get("facility/address/zip", loc), r.get("facility/address/country", loc),
            r.code("status", r.get("status", loc), "location/status"), None, None, contacts))
    seen: set[str] = set()
    # v2 lists countries in site order; the legacy list is alphabetical and may name countries without sites
    countries = [loc.country for loc in trial.locations] + r.all("location_countries/country")
    trial.countries = [c for c in countries if c and not (c in seen or seen.add(c))]

    # references and links
    for tag, kind in (("reference", "BACKGROUND"), ("results_reference", "RESULT")):
        for ref in root.findall(tag):
            trial.references.append(Reference(r.get("citation", ref), r.get("PMID", ref), kind))
    for link in root.findall("link"):
        trial.references.append(Reference(r.get("description", link), "", "SEE_ALSO", r.get("url", link)))

    # IPD sharing
    trial.ipd_sharing = r.code("ipd_sharing", r.get("patient_data/sharing_ipd"), "patient_data/sharing_ipd")
    for tag, prop in (("ipd_description", "ipdDescription"), ("ipd_time_frame", "ipdTimeFrame"),
                      ("ipd_access_criteria", "ipdAccessCriteria"), ("ipd_url", "ipdUrl")):
        if r.get(f"patient_data/{tag}"):
            trial.texts[prop] = r.get(f"patient_data/{tag}")
    trial.ipd_info_types = [c for c in (r.code("ipd_info_type", t, "patient_data/ipd_info_type")
                                        for t in r.all("patient_data/ipd_info_type")) if c]

    results = root.find("clinical_results")
    if results is not None:
        trial.results = _results(results, trial, r)
    trial.issues = r.issues
    return trial


def _old_design(text: str) -> dict[str, str]:
    """The pre-2017 free-text ``study_design`` ("Allocation: Randomized, Masking: …") as ``{tag: value}``."""
    parts = _OLD_DESIGN_KEYS.split(text or "")
    return {key.lower().replace(" ", "_"): value.strip().rstrip(",") for key, value in zip(parts[1::2], parts[2::2])}


def _old_masking(text: str) -> str:
    """``Double Blind (Subject, Investigator, Outcomes Assessor)`` -> ``Triple (Subject, …)``.

    Before 2017 the level said "blind" and the parentheses who was masked; the
    2017 model (and API v2) counts the masked roles, so the level follows the count.
    """
    match = _MASKING.match(text)
    if not match or "Blind" not in match.group(1):
        return text
    who = [w for w in match.group(2).split(",") if w.strip()]
    level = {1: "Single", 2: "Double", 3: "Triple", 4: "Quadruple"}.get(len(who))
    return f"{level} ({match.group(2)})" if level else text


def _masking(r: _Reader, trial: Trial, text: str) -> None:
    """``Double (Participant, Investigator)`` -> masking Double and two masked roles."""
    if not text:
        return
    match = _MASKING.match(text)
    level, who = (match.group(1), match.group(2)) if match and text not in r.codes["masking"] else (text, "")
    coded = r.code("masking", level, "study_design_info/masking")
    if coded:
        trial.design["masking"] = coded
    trial.who_masked = [c for c in (r.code("who_masked", w.strip(), "study_design_info/masking")
                                    for w in who.split(",") if w.strip()) if c]


def _age(text: str) -> str:
    """Legacy writes ``N/A`` for no age limit, where v2 leaves the field out."""
    return "" if text == "N/A" else text


def _contact(r: _Reader, c: etree._Element, role: str, role_text: str) -> Person:
    phone = " ext. ".join(x for x in (r.get("phone", c), r.get("phone_ext", c)) if x)
    return Person(r.get("last_name", c), role, role_text, email=r.get("email", c), phone=phone)


def _v2_code(text: str) -> str:
    """Legacy ``Least Squares Mean`` -> the v2 code ``LEAST_SQUARES_MEAN`` (same value, other spelling).

    For fields the graph keeps as text (parameter type, responsible-party type), so
    both formats give the same literal.
    """
    return re.sub(r"\W+", "_", text.strip()).upper() if text else ""


def _results(el: etree._Element, trial: Trial, r: _Reader) -> Results:
    res = Results(first_posted=trial.dates.get("resultsFirstPostedDate"))
    for path, prop in _RESULT_TEXTS.items():
        if r.get(path, el):
            res.texts[prop] = r.get(path, el)
    contact = el.find("point_of_contact")
    if contact is not None and r.get("name_or_title", contact):
        res.contact = Person(r.get("name_or_title", contact), "ResultsContactRole", "results point of contact",
                             affiliation=r.get("organization", contact), email=r.get("email", contact),
                             phone=r.get("phone", contact))
    flow = el.find("participant_flow")
    if flow is not None:
        titles = _groups(flow, "participant flow", res, r)
        res.groups.update(titles)
        for n, period in enumerate(flow.findall("period_list/period")):
            fp = FlowPeriod(r.get("title", period))
            for milestone in period.findall("milestone_list/milestone"):
                label = r.get("title", milestone)
                target = {"STARTED": res.started, "COMPLETED": res.completed}.get(label) if n == 0 else None
                for p in milestone.findall("participants_list/participants"):
                    count = r.integer(p.get("count"), "clinical_results/participant_flow/milestone/participants@count")
                    fp.milestones.append(FlowCount(label, titles.get(p.get("group_id", ""), p.get("group_id", "")),
                                                   count, _text(p)))
                    if count is not None and target is not None:
                        target[p.get("group_id", "")] = count
            for reason in period.findall("drop_withdraw_reason_list/drop_withdraw_reason"):
                label = r.get("title", reason)
                for p in reason.findall("participants_list/participants"):
                    count = r.integer(p.get("count"), "clinical_results/participant_flow/drop_withdraw_reason/participants@count")
                    fp.withdrawals.append(FlowCount(label, titles.get(p.get("group_id", ""), p.get("group_id", "")),
                                                    count, _text(p)))
            res.periods.append(fp)
    baseline = el.find("baseline")
    if baseline is not None:
        titles = _groups(baseline, "baseline", res, r)
        res.baseline_analyzed = _analyzed(baseline, titles, r)
        for measure in baseline.findall("measure_list/measure"):
            bm = BaselineMeasure(r.get("title", measure), _v2_code(r.get("param", measure)),
                                 _v2_code(r.get("dispersion", measure)), r.get("units", measure),
                                 r.get("description", measure), r.get("population", measure))
            bm.values = _values(measure, titles, r)
            for cls in measure.findall("class_list/class"):
                bm.analyzed += _analyzed(cls, titles, r, r.get("title", cls))
            res.baseline.append(bm)
    for n, out in enumerate(el.findall("outcome_list/outcome"), 1):
        titles = _groups(out, f"outcome {n}", res, r)
        measure = out.find("measure")
        analyzed: list[AnalyzedCount] = []
        more: list[etree._Element] = []
        if measure is None:  # pre-2017: a list whose first measure counts the participants analysed
            measures = out.findall("measure_list/measure")
            if len(measures) > 1 and r.get("title", measures[0]) == "Number of Participants":
                analyzed = [AnalyzedCount(v.group, v.value, "Participants") for v in _values(measures[0], titles, r)]
                measures = measures[1:]
            measure = measures[0] if measures else None
            more = measures[1:]
        kind = r.get("type", out)
        result = OutcomeResult(_OUTCOME_TYPE.get(kind, kind.lower()), r.get("title", out),
                               r.get("units", measure) if measure is not None else "",
                               _v2_code(r.get("param", measure)) if measure is not None else "",
                               r.get("time_frame", out))
        result.description = r.get("description", out) or (r.get("description", measure) if measure is not None else "")
        result.population = r.get("population", out) or (r.get("population", measure) if measure is not None else "")
        result.posting_date = r.get("posting_date", out)
        result.safety_issue = r.flag(r.get("safety_issue", out), "clinical_results/outcome_list/outcome/safety_issue")
        if measure is not None:
            result.dispersion = _v2_code(r.get("dispersion", measure))
            result.units_analyzed = r.get("units_analyzed", measure)
            result.values = _values(measure, titles, r)
            analyzed += _analyzed(measure, titles, r)
            for cls in measure.findall("class_list/class"):
                analyzed += _analyzed(cls, titles, r, r.get("title", cls))
        result.analyzed = analyzed
        for a in out.findall("analysis_list/analysis"):
            sa = StatisticalAnalysis([titles.get(g, g) for g in r.all("group_id_list/group_id", a)])
            for tag, prop in _ANALYSIS.items():
                if r.get(tag, a):
                    sa.values[prop] = r.get(tag, a)
            result.analyses.append(sa)
        res.outcomes.append(result)
        for extra in more:  # further measures of one pre-2017 outcome: each a result of its own
            res.outcomes.append(OutcomeResult(result.kind, r.get("title", extra) or result.title, r.get("units", extra),
                                              _v2_code(r.get("param", extra)), result.time_frame,
                                              _values(extra, titles, r), r.get("description", extra),
                                              dispersion=_v2_code(r.get("dispersion", extra))))
    events = el.find("reported_events")
    if events is not None:
        titles = _groups(events, "adverse events", res, r)
        res.serious_adverse_events = _total_affected(events.find("serious_events"), r)
        res.other_adverse_events = _total_affected(events.find("other_events"), r)
        for tag, serious in (("serious_events", True), ("other_events", False)):
            for cat in events.findall(f"{tag}/category_list/category"):
                system = r.get("title", cat)
                total = system == "Total"  # participants with any such event, per group
                for event in cat.findall("event_list/event"):
                    sub = event.find("sub_title")
                    ae = AdverseEvent(r.get("sub_title", event) or system, "" if total else system, serious, total,
                                      sub.get("vocab", "") if sub is not None else "",
                                      r.get("assessment", event), r.get("description", event))
                    for c in event.findall("counts"):
                        where = f"clinical_results/reported_events/{tag}/event/counts"
                        ae.counts.append(EventCount(titles.get(c.get("group_id", ""), c.get("group_id", "")),
                                                    r.integer(c.get("subjects_affected"), where + "@subjects_affected"),
                                                    r.integer(c.get("subjects_at_risk"), where + "@subjects_at_risk"),
                                                    r.integer(c.get("events"), where + "@events")))
                    res.adverse_events.append(ae)
    return res


def _groups(section: etree._Element, name: str, res: Results, r: _Reader) -> dict[str, str]:
    """``{group id: title}`` of one results section; each group is also kept with its description."""
    titles = {}
    for group in section.findall("group_list/group"):
        gid = group.get("group_id", "")
        titles[gid] = r.get("title", group) or gid
        res.result_groups.append(ResultGroup(gid, r.get("title", group), name, r.get("description", group)))
    return titles


def _values(measure: etree._Element, titles: dict[str, str], r: _Reader) -> list[ResultValue]:
    """The measurements of a measure (2017+ ``class_list`` or pre-2017 ``category_list``), one per group and category."""
    values = []
    classes = measure.findall("class_list/class") or [measure]
    for cls in classes:
        for cat in cls.findall("category_list/category"):
            qualifier = " / ".join(x for x in (r.get("title", cls) if cls is not measure else "",
                                               r.get("title", cat), r.get("sub_title", cat)) if x)
            for m in cat.findall("measurement_list/measurement"):
                if m.get("value") is None and not _text(m):
                    continue
                group = titles.get(m.get("group_id"), m.get("group_id", ""))
                spread = m.get("spread") or " to ".join(
                    x for x in (m.get("lower_limit"), m.get("upper_limit")) if x)
                values.append(ResultValue(f"{group} ({qualifier})" if qualifier else group,
                                          m.get("value", ""), spread or "", _text(m)))
    return values


def _analyzed(el: etree._Element, titles: dict[str, str], r: _Reader, qualifier: str = "") -> list[AnalyzedCount]:
    """Participants (or other units) analysed per group, from an ``analyzed_list``."""
    out = []
    for analyzed in el.findall("analyzed_list/analyzed"):
        for c in analyzed.findall("count_list/count"):
            group = titles.get(c.get("group_id", ""), c.get("group_id", ""))
            out.append(AnalyzedCount(f"{group} ({qualifier})" if qualifier else group, c.get("value", ""),
                                     r.get("units", analyzed), r.get("scope", analyzed)))
    return out


def _total_affected(section: etree._Element | None, r: _Reader) -> int | None:
    """Participants affected, summed over groups, from the section's ``Total`` row (None without one)."""
    if section is None:
        return None
    for cat in section.findall("category_list/category"):
        if r.get("title", cat) == "Total":
            counts = [r.integer(c.get("subjects_affected"), f"clinical_results/reported_events/{section.tag}@subjects_affected")
                      for c in cat.findall("event_list/event/counts")]
            return sum(c for c in counts if c is not None)
    return None


def detect(head: bytes, name: str) -> bool:
    """Legacy CT.gov XML: an XML document whose root is ``<clinical_study>``."""
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    return text.startswith(b"<") and b"<clinical_study" in text[:4096]


def records(data: bytes, source: str) -> Iterator[RawRecord]:
    """Yield the study in a file (or each study of a ``<clinical_studies>`` wrapper) as a RawRecord."""
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        yield RawRecord(source, 0, data, error=f"invalid XML: {exc}")
        return
    if root.tag == "clinical_study":
        studies, whole = [root], True
    else:
        studies, whole = root.findall("clinical_study"), False
        if not studies:
            yield RawRecord(source, 0, data, error=f"XML root <{root.tag}> holds no <clinical_study>")
            return
    for index, study in enumerate(studies):
        raw = data if whole else etree.tostring(study)
        yield _read_one(study, raw, source, index)


def _read_one(study: etree._Element, raw: bytes, source: str, index: int) -> RawRecord:
    nct = _text(study.find("id_info/nct_id"))
    if not nct:
        return RawRecord(source, index, raw, error="record has no NCT id", field="id_info/nct_id")
    try:
        trial = read_study(study, source)
    except (AttributeError, TypeError, ValueError) as exc:
        return RawRecord(source, index, raw, nct, error=f"malformed record: {exc}")
    return RawRecord(source, index, raw, nct, trial)


def field_paths(data: bytes) -> Iterator[str]:
    """Every non-empty leaf element and attribute path of the studies in a file, for coverage.

    Paths are relative to ``<clinical_study>`` (``id_info/nct_id``, ``enrollment@type``).
    """
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"invalid XML: {exc}") from exc
    studies = [root] if root.tag == "clinical_study" else root.findall("clinical_study")
    for study in studies:
        stack = [(child, child.tag) for child in study if isinstance(child.tag, str)]
        for name in study.attrib:
            yield f"@{name}"
        while stack:
            el, path = stack.pop()
            children = [c for c in el if isinstance(c.tag, str)]
            for name, value in el.attrib.items():
                if value.strip():
                    yield f"{path}@{name}"
            if children:
                stack.extend((c, f"{path}/{c.tag}") for c in children)
            elif (el.text or "").strip():
                yield path
