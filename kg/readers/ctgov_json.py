"""ClinicalTrials.gov API v2 JSON: one study object -> :class:`~kg.model.Trial`.

Pure: takes the parsed study (a dict) and returns a Trial; unseen code values
and malformed fields become :class:`~kg.model.Issue` entries, never exceptions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import orjson

from ..identifiers import classify
from ..mesh import descriptors, normalise_id
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
from ..resources import read_tsv
from ._codes import CodeLookup

FORMAT = "ctgov-json"
MAPPING = "ctgov"
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_KEYS = re.compile(r'"(protocolSection|studies)"\s*:')

#: statusModule date structures and the ontology property each becomes
_DATES = {
    "startDateStruct": "startDate",
    "primaryCompletionDateStruct": "primaryCompletionDate",
    "completionDateStruct": "completionDate",
    "studyFirstPostDateStruct": "firstPostedDate",
    "lastUpdatePostDateStruct": "lastUpdatePostedDate",
    "resultsFirstPostDateStruct": "resultsFirstPostedDate",
    "dispFirstPostDateStruct": "dispositionFirstPostedDate",
}
_PLAIN_DATES = {
    "statusVerifiedDate": "statusVerifiedDate",
    "studyFirstSubmitDate": "firstSubmittedDate",
    "studyFirstSubmitQcDate": "firstSubmittedQcDate",
    "lastUpdateSubmitDate": "lastUpdateSubmittedDate",
    "resultsFirstSubmitDate": "resultsFirstSubmittedDate",
    "resultsFirstSubmitQcDate": "resultsFirstSubmittedQcDate",
    "dispFirstSubmitDate": "dispositionFirstSubmittedDate",
    "dispFirstSubmitQcDate": "dispositionFirstSubmittedQcDate",
}
_FLAGS = {
    "oversightHasDmc": "hasDataMonitoringCommittee",
    "isFdaRegulatedDrug": "isFdaRegulatedDrug",
    "isFdaRegulatedDevice": "isFdaRegulatedDevice",
    "isUnapprovedDevice": "isUnapprovedDevice",
    "isPpsd": "isPediatricPostmarketSurveillance",
    "isUsExport": "isUsExport",
    "fdaaa801Violation": "fdaaa801Violation",
}
_DESIGN = {
    "allocation": ("allocation", "allocation"),
    "interventionModel": ("interventionModel", "intervention_model"),
    "primaryPurpose": ("primaryPurpose", "primary_purpose"),
    "observationalModel": ("observationalModel", "observational_model"),
    "timePerspective": ("timePerspective", "time_perspective"),
}


class _Reader(CodeLookup):
    """Reads one study; collects issues as it goes."""

    def __init__(self, study: dict[str, Any], trial_id: str) -> None:
        self.study = study
        super().__init__(MAPPING)

    def date(self, value: Any, field: str, kind: str | None = None) -> DateValue | None:
        if not value:
            return None
        value = str(value)
        if not _DATE.match(value):
            self.issues.append(Issue(field, "not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD), kept as text", value))
            return DateValue("", value, kind)
        return DateValue(value, value, kind)

    def integer(self, value: Any, field: str) -> int | None:
        if value in (None, ""):
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            self.issues.append(Issue(field, "not an integer", str(value)))
            return None


def _kind(struct: dict[str, Any], r: _Reader, field: str) -> str | None:
    coded = r.code("date_type", struct.get("type"), field)
    return coded.term if coded else None


def _mesh(module: dict[str, Any], r: _Reader, field: str, key: str = "meshes") -> list[Grounding]:
    out = []
    for item in module.get(key) or ():
        raw = item.get("id", "")
        descriptor = normalise_id(raw)
        if descriptor is None:
            r.issues.append(Issue(field, "not a MeSH 2026 descriptor id", raw))
            continue
        label = descriptors().get(descriptor) or item.get("term", "")
        out.append(Grounding(descriptor, label, "registry", 1.0, "NLM"))
    return out


def read_study(study: dict[str, Any], source_file: str = "") -> Trial:
    """Map one API v2 study object to a :class:`Trial`."""
    ps = study.get("protocolSection") or {}
    ident = ps.get("identificationModule") or {}
    nct = str(ident.get("nctId") or "").strip()
    r = _Reader(study, nct)
    status = ps.get("statusModule") or {}
    trial = Trial(trial_id=nct, registry="ClinicalTrialsGov", record_format=FORMAT, source_file=source_file,
                  url=f"https://clinicaltrials.gov/study/{nct}")
    trial.version_date = str(status.get("lastUpdateSubmitDate") or "")

    # identification
    trial.ids.append(Identifier(nct, "NCTNumber", "NCT number", "ClinicalTrials.gov"))
    for alias in ident.get("nctIdAliases") or ():
        trial.ids.append(Identifier(alias, "NCTNumber", "NCT id alias", "ClinicalTrials.gov"))
    org = ident.get("organization") or {}
    org_study = (ident.get("orgStudyIdInfo") or {})
    if org_study.get("id"):
        trial.ids.append(Identifier(org_study["id"], "OrgStudyId", org_study.get("type", "org study id"),
                                    org.get("fullName", ""), org_study.get("link", "")))
    for sec in ident.get("secondaryIdInfos") or ():
        value = str(sec.get("id") or "").strip()
        if not value:
            continue
        scheme = classify(value)
        coded = r.code("secondary_id_type", sec.get("type") or "OTHER", "identificationModule.secondaryIdInfos.type")
        name = scheme[0] if scheme and coded.term in ("RegistryIdentifier", "OtherIdentifier", None) else coded.term
        trial.ids.append(Identifier(value, name or "OtherIdentifier", sec.get("type", ""),
                                    sec.get("domain", ""), sec.get("link", "")))
    trial.brief_title = ident.get("briefTitle", "")
    trial.official_title = ident.get("officialTitle", "")
    trial.acronym = ident.get("acronym", "")
    if org.get("fullName"):
        trial.organisations.append(Organisation(org["fullName"], "ResponsibleOrganisationRole",
                                                r.code("agency_class", org.get("class"), "identificationModule.organization.class")))

    # status
    trial.overall_status = r.code("status", status.get("overallStatus"), "statusModule.overallStatus")
    trial.last_known_status = r.code("status", status.get("lastKnownStatus"), "statusModule.lastKnownStatus")
    trial.why_stopped = status.get("whyStopped", "")
    for key, prop in _DATES.items():
        struct = status.get(key)
        if struct:
            value = r.date(struct.get("date"), f"statusModule.{key}.date", _kind(struct, r, f"statusModule.{key}.type"))
            if value:
                trial.dates[prop] = value
    for key, prop in _PLAIN_DATES.items():
        value = r.date(status.get(key), f"statusModule.{key}")
        if value:
            trial.dates[prop] = value
    expanded = status.get("expandedAccessInfo") or {}
    if "hasExpandedAccess" in expanded:
        trial.flags["hasExpandedAccess"] = bool(expanded["hasExpandedAccess"])
    if expanded.get("nctId"):
        trial.ids.append(Identifier(expanded["nctId"], "NCTNumber", "expanded access record", "ClinicalTrials.gov"))
        trial.texts["expandedAccessStatus"] = expanded.get("statusForNctId", "")
    if isinstance(study.get("hasResults"), bool):
        trial.flags["hasResults"] = study["hasResults"]
    for key, prop in (("delayedPosting", "delayedPosting"), ("resultsWaived", "resultsWaived")):
        if isinstance(status.get(key), bool):
            trial.flags[prop] = status[key]

    # sponsors and responsible party
    sc = ps.get("sponsorCollaboratorsModule") or {}
    lead = sc.get("leadSponsor") or {}
    if lead.get("name"):
        trial.organisations.append(Organisation(lead["name"], "LeadSponsorRole",
                                                r.code("agency_class", lead.get("class"), "sponsorCollaboratorsModule.leadSponsor.class")))
    for collab in sc.get("collaborators") or ():
        if collab.get("name"):
            trial.organisations.append(Organisation(collab["name"], "CollaboratorRole",
                                                    r.code("agency_class", collab.get("class"), "sponsorCollaboratorsModule.collaborators.class")))
    rp = sc.get("responsibleParty") or {}
    if rp.get("type"):
        trial.texts["responsiblePartyType"] = rp["type"]
    name = rp.get("investigatorFullName") or rp.get("oldNameTitle")
    if name:
        trial.people.append(Person(name, "ResponsiblePartyRole", rp.get("type", ""),
                                   affiliation=rp.get("investigatorAffiliation") or rp.get("oldOrganization", ""),
                                   title=rp.get("investigatorTitle", "")))

    # oversight
    for key, prop in _FLAGS.items():
        value = (ps.get("oversightModule") or {}).get(key)
        if isinstance(value, bool):
            trial.flags[prop] = value

    # descriptions
    desc = ps.get("descriptionModule") or {}
    trial.brief_summary = desc.get("briefSummary", "")
    trial.detailed_description = desc.get("detailedDescription", "")

    # conditions, keywords, MeSH
    cond = ps.get("conditionsModule") or {}
    derived = study.get("derivedSection") or {}
    trial.conditions = [Condition(text) for text in cond.get("conditions") or () if text]
    trial.keywords = [k for k in cond.get("keywords") or () if k]
    for module, target in (("conditionBrowseModule", "condition"), ("interventionBrowseModule", "intervention")):
        browse = derived.get(module) or {}
        setattr(trial, f"{target}_mesh", _mesh(browse, r, f"derivedSection.{module}.meshes"))
        setattr(trial, f"{target}_ancestors", _mesh(browse, r, f"derivedSection.{module}.ancestors", "ancestors"))
    trial.export_date = str((derived.get("miscInfoModule") or {}).get("versionHolder") or "")
    removed = [c for c in (derived.get("miscInfoModule") or {}).get("removedCountries") or () if c]
    if removed:
        trial.texts["removedCountry"] = removed

    # design
    design = ps.get("designModule") or {}
    trial.study_type = r.code("study_type", design.get("studyType"), "designModule.studyType")
    trial.phases = [c for c in (r.code("phase", p, "designModule.phases") for p in design.get("phases") or ()) if c]
    info = design.get("designInfo") or {}
    for key, (prop, table) in _DESIGN.items():
        coded = r.code(table, info.get(key), f"designModule.designInfo.{key}")
        if coded:
            trial.design[prop] = coded
    masking = info.get("maskingInfo") or {}
    coded = r.code("masking", masking.get("masking"), "designModule.designInfo.maskingInfo.masking")
    if coded:
        trial.design["masking"] = coded
    trial.who_masked = [c for c in (r.code("who_masked", w, "designModule.designInfo.maskingInfo.whoMasked")
                                    for w in masking.get("whoMasked") or ()) if c]
    for key, prop in (("interventionModelDescription", "interventionModelDescription"),
                      ("maskingDescription", "maskingDescription")):
        text = info.get(key) or masking.get(key)
        if text:
            trial.design_notes[prop] = text
    if design.get("targetDuration"):
        trial.design_notes["targetDuration"] = design["targetDuration"]
    bio = design.get("bioSpec") or {}
    coded = r.code("biospec_retention", bio.get("retention"), "designModule.bioSpec.retention")
    if coded:
        trial.design["biospecRetention"] = coded
    if bio.get("description"):
        trial.design_notes["biospecDescription"] = bio["description"]
    for kind, flag in (design.get("expandedAccessTypes") or {}).items():
        if isinstance(flag, bool):
            trial.flags["expandedAccess" + kind[:1].upper() + kind[1:]] = flag
    if isinstance(design.get("patientRegistry"), bool):
        trial.flags["patientRegistry"] = design["patientRegistry"]
    enrol = design.get("enrollmentInfo") or {}
    trial.enrollment = r.integer(enrol.get("count"), "designModule.enrollmentInfo.count")
    trial.enrollment_kind = _kind(enrol, r, "designModule.enrollmentInfo.type")

    # arms and interventions
    ai = ps.get("armsInterventionsModule") or {}
    for arm in ai.get("armGroups") or ():
        trial.arms.append(Arm(arm.get("label", ""), r.code("arm_type", arm.get("type"), "armsInterventionsModule.armGroups.type"),
                              arm.get("description", ""), list(arm.get("interventionNames") or ())))
    for itv in ai.get("interventions") or ():
        trial.interventions.append(Intervention(
            itv.get("name", ""), r.code("intervention_type", itv.get("type"), "armsInterventionsModule.interventions.type"),
            itv.get("description", ""), list(itv.get("otherNames") or ()), list(itv.get("armGroupLabels") or ())))

    # outcomes
    om = ps.get("outcomesModule") or {}
    for key, kind in (("primaryOutcomes", "primary"), ("secondaryOutcomes", "secondary"), ("otherOutcomes", "other")):
        for out in om.get(key) or ():
            trial.outcomes.append(Outcome(kind, out.get("measure", ""), out.get("description", ""), out.get("timeFrame", "")))

    # eligibility
    el = ps.get("eligibilityModule") or {}
    if el:
        trial.eligibility = Eligibility(
            criteria=el.get("eligibilityCriteria", ""),
            sex=r.code("sex", el.get("sex"), "eligibilityModule.sex"),
            minimum_age=el.get("minimumAge", ""), maximum_age=el.get("maximumAge", ""),
            healthy_volunteers=el.get("healthyVolunteers") if isinstance(el.get("healthyVolunteers"), bool) else None,
            std_ages=[c for c in (r.code("std_age", a, "eligibilityModule.stdAges") for a in el.get("stdAges") or ()) if c],
            gender_based=el.get("genderBased") if isinstance(el.get("genderBased"), bool) else None,
            gender_description=el.get("genderDescription", ""),
            sampling_method=r.code("sampling_method", el.get("samplingMethod"), "eligibilityModule.samplingMethod"),
            study_population=el.get("studyPopulation", ""))

    # contacts, officials, locations
    cl = ps.get("contactsLocationsModule") or {}
    for c in cl.get("centralContacts") or ():
        if c.get("name"):
            trial.people.append(_person(c, "ContactRole", r, "contactsLocationsModule.centralContacts.role"))
    for o in cl.get("overallOfficials") or ():
        if o.get("name"):
            coded = r.code("official_role", o.get("role"), "contactsLocationsModule.overallOfficials.role")
            trial.people.append(Person(o["name"], (coded.term if coded else None) or "OfficialRole",
                                       o.get("role", ""), affiliation=o.get("affiliation", "")))
    for key in ("locations", "locations_nested"):
        for loc in cl.get(key) or ():
            geo = loc.get("geoPoint") or {}
            trial.locations.append(Location(
                loc.get("facility", ""), loc.get("city", ""), loc.get("state", ""), loc.get("zip", ""),
                loc.get("country", ""), r.code("status", loc.get("status"), f"contactsLocationsModule.{key}.status"),
                geo.get("lat"), geo.get("lon"),
                [_person(c, "SiteContactRole", r, f"contactsLocationsModule.{key}.contacts.role")
                 for c in loc.get("contacts") or () if c.get("name")]))
    seen: set[str] = set()
    trial.countries = [c for c in (loc.country for loc in trial.locations) if c and not (c in seen or seen.add(c))]

    # references
    refs = ps.get("referencesModule") or {}
    for ref in refs.get("references") or ():
        trial.references.append(Reference(ref.get("citation", ""), str(ref.get("pmid") or ""), ref.get("type", "")))
        for retraction in ref.get("retractions") or ():
            trial.references.append(Reference(f"Retraction of PMID {ref.get('pmid', '')} ({retraction.get('source', '')})",
                                              str(retraction.get("pmid") or ""), "RETRACTION"))
    for ipd in refs.get("availIpds") or ():
        trial.references.append(Reference(" ".join(x for x in (ipd.get("type"), ipd.get("id"), ipd.get("comment")) if x),
                                          "", "AVAILABLE_IPD", ipd.get("url", "")))
    for link in refs.get("seeAlsoLinks") or ():
        trial.references.append(Reference(link.get("label", ""), "", "SEE_ALSO", link.get("url", "")))

    # IPD sharing
    ipd = ps.get("ipdSharingStatementModule") or {}
    trial.ipd_sharing = r.code("ipd_sharing", ipd.get("ipdSharing"), "ipdSharingStatementModule.ipdSharing")
    for key, prop in (("description", "ipdDescription"), ("timeFrame", "ipdTimeFrame"),
                      ("accessCriteria", "ipdAccessCriteria"), ("url", "ipdUrl")):
        if ipd.get(key):
            trial.texts[prop] = ipd[key]
    trial.ipd_info_types = [c for c in (r.code("ipd_info_type", t, "ipdSharingStatementModule.infoTypes")
                                        for t in ipd.get("infoTypes") or ()) if c]

    # uploaded study documents (protocol, statistical analysis plan, consent form)
    for doc in ((study.get("documentSection") or {}).get("largeDocumentModule") or {}).get("largeDocs") or ():
        contents = [what for key, what in (("hasProtocol", "PROTOCOL"), ("hasSap", "SAP"), ("hasIcf", "ICF")) if doc.get(key)]
        trial.documents.append(Document(doc.get("label", ""), "", doc.get("filename", ""), doc.get("date", ""), "",
                                        contents, doc.get("typeAbbrev", ""), doc.get("uploadDate", ""),
                                        r.integer(doc.get("size"), "documentSection.largeDocumentModule.largeDocs.size")))

    # results
    if study.get("resultsSection"):
        trial.results = _results(study["resultsSection"], trial, r)

    trial.issues = r.issues
    return trial


def _person(c: dict[str, Any], default_role: str, r: _Reader, field: str) -> Person:
    role = c.get("role") or ""
    coded = r.code("official_role", role, field) if role else None
    return Person(c["name"], (coded.term if coded else None) or default_role, role,
                  email=c.get("email", ""), phone=" ext. ".join(x for x in (c.get("phone"), c.get("phoneExt")) if x))


#: statistical-analysis keys -> property (the legacy XML fills the same properties)
_ANALYSIS = {
    "groupDescription": "groupsDescription", "nonInferiorityType": "nonInferiorityType",
    "nonInferiorityComment": "nonInferiorityDescription", "pValue": "pValue", "pValueComment": "pValueDescription",
    "statisticalMethod": "method", "statisticalComment": "methodDescription", "paramType": "estimateType",
    "paramValue": "estimateValue", "dispersionType": "estimateDispersionType", "dispersionValue": "estimateDispersionValue",
    "ciPctValue": "ciPercent", "ciNumSides": "ciSides", "ciLowerLimit": "ciLowerLimit", "ciUpperLimit": "ciUpperLimit",
    "ciUpperLimitComment": "ciUpperLimitComment", "estimateComment": "estimateDescription",
    "otherAnalysisDescription": "otherAnalysisDescription",
}


def _results(rs: dict[str, Any], trial: Trial, r: _Reader) -> Results:
    res = Results(first_posted=trial.dates.get("resultsFirstPostedDate"))
    flow = rs.get("participantFlowModule") or {}
    titles = _groups(flow, "participant flow", res)
    res.groups.update(titles)
    for key, prop in (("recruitmentDetails", "recruitmentDetails"), ("preAssignmentDetails", "preAssignmentDetails")):
        if flow.get(key):
            res.texts[prop] = str(flow[key])
    for n, period in enumerate(flow.get("periods") or ()):
        fp = FlowPeriod(period.get("title", ""))
        for milestone in period.get("milestones") or ():
            label = milestone.get("type", "")
            target = {"STARTED": res.started, "COMPLETED": res.completed}.get(label) if n == 0 else None
            for ach in milestone.get("achievements") or ():
                count = r.integer(ach.get("numSubjects"), "resultsSection.participantFlowModule.milestones.numSubjects")
                note = " ".join(x for x in (milestone.get("comment"), ach.get("comment")) if x)
                fp.milestones.append(FlowCount(label, titles.get(ach.get("groupId"), ach.get("groupId", "")), count, note))
                if count is not None and target is not None:
                    target[ach.get("groupId", "")] = count
        for drop in period.get("dropWithdraws") or ():
            for reason in drop.get("reasons") or ():
                count = r.integer(reason.get("numSubjects"), "resultsSection.participantFlowModule.dropWithdraws.numSubjects")
                fp.withdrawals.append(FlowCount(drop.get("type", ""), titles.get(reason.get("groupId"), reason.get("groupId", "")),
                                                count, reason.get("comment", "")))
        res.periods.append(fp)
    base = rs.get("baselineCharacteristicsModule") or {}
    if base:
        titles = _groups(base, "baseline", res)
        if base.get("populationDescription"):
            res.texts["baselinePopulation"] = base["populationDescription"]
        res.baseline_analyzed = _denoms(base, titles)
        for measure in base.get("measures") or ():
            bm = BaselineMeasure(measure.get("title", ""), measure.get("paramType", ""), measure.get("dispersionType", ""),
                                 measure.get("unitOfMeasure", ""), measure.get("description", ""),
                                 measure.get("populationDescription", ""))
            bm.values = _values(measure, titles)
            for cls in measure.get("classes") or ():
                bm.analyzed += _denoms(cls, titles, cls.get("title", ""))
            res.baseline.append(bm)
    for n, om in enumerate((rs.get("outcomeMeasuresModule") or {}).get("outcomeMeasures") or (), 1):
        titles = _groups(om, f"outcome {n}", res)
        result = OutcomeResult(str(om.get("type", "")).lower(), om.get("title", ""), om.get("unitOfMeasure", ""),
                               om.get("paramType", ""), om.get("timeFrame", ""), _values(om, titles),
                               om.get("description", ""), om.get("populationDescription", ""),
                               om.get("dispersionType", ""), om.get("typeUnitsAnalyzed", ""))
        result.reporting_status = om.get("reportingStatus", "")
        result.analyzed = _denoms(om, titles)
        for cls in om.get("classes") or ():
            result.analyzed += _denoms(cls, titles, cls.get("title", ""))
        for a in om.get("analyses") or ():
            sa = StatisticalAnalysis([titles.get(g, g) for g in a.get("groupIds") or ()])
            if a.get("testedNonInferiority") is not None:  # the legacy XML's Yes/No
                sa.values["nonInferiorityText"] = "Yes" if a["testedNonInferiority"] else "No"
            for key, prop in _ANALYSIS.items():
                if a.get(key) not in (None, ""):
                    sa.values[prop] = str(a[key])
            result.analyses.append(sa)
        res.outcomes.append(result)
    ae = rs.get("adverseEventsModule") or {}
    groups = ae.get("eventGroups") or ()
    if groups:
        res.serious_adverse_events = sum(int(g.get("seriousNumAffected") or 0) for g in groups)
        res.other_adverse_events = sum(int(g.get("otherNumAffected") or 0) for g in groups)
    if ae:
        titles = _groups({"groups": groups}, "adverse events", res)
        for key, prop in (("description", "adverseEventDescription"), ("timeFrame", "adverseEventTimeFrame"),
                          ("frequencyThreshold", "otherEventFrequencyThreshold")):
            if ae.get(key):
                res.texts[prop] = str(ae[key])
        # the per-group totals, as the legacy XML's Total rows give them
        for kind, serious in (("serious", True), ("other", False)):
            total = AdverseEvent(f"Total, {kind} adverse events", "", serious, True)
            for g in groups:
                total.counts.append(EventCount(g.get("title") or g.get("id", ""), r.integer(g.get(f"{kind}NumAffected"), "eventGroups"),
                                               r.integer(g.get(f"{kind}NumAtRisk"), "eventGroups")))
            res.adverse_events.append(total)
        deaths = AdverseEvent("All-cause mortality", "", None, True)
        for g in groups:
            if g.get("deathsNumAffected") is not None or g.get("deathsNumAtRisk") is not None:
                deaths.counts.append(EventCount(g.get("title") or g.get("id", ""), r.integer(g.get("deathsNumAffected"), "eventGroups"),
                                                r.integer(g.get("deathsNumAtRisk"), "eventGroups")))
        if deaths.counts:
            res.adverse_events.append(deaths)
        for kind, serious in (("seriousEvents", True), ("otherEvents", False)):
            for event in ae.get(kind) or ():
                item = AdverseEvent(event.get("term", ""), event.get("organSystem", ""), serious,
                                    vocabulary=event.get("sourceVocabulary", ""),
                                    assessment=event.get("assessmentType", ""), description=event.get("notes", ""))
                for st in event.get("stats") or ():
                    where = f"resultsSection.adverseEventsModule.{kind}.stats"
                    item.counts.append(EventCount(titles.get(st.get("groupId"), st.get("groupId", "")),
                                                  r.integer(st.get("numAffected"), where + ".numAffected"),
                                                  r.integer(st.get("numAtRisk"), where + ".numAtRisk"),
                                                  r.integer(st.get("numEvents"), where + ".numEvents")))
                res.adverse_events.append(item)
    more = rs.get("moreInfoModule") or {}
    if (more.get("limitationsAndCaveats") or {}).get("description"):
        res.texts["limitationsAndCaveats"] = more["limitationsAndCaveats"]["description"]
    agreement = more.get("certainAgreement") or {}
    for key, prop in (("piSponsorEmployee", "piEmployeeAgreement"), ("restrictiveAgreement", "restrictiveAgreement")):
        if agreement.get(key) is not None:
            res.texts[prop] = "Yes" if agreement[key] else "No"
    for key, prop in (("restrictionType", "restrictionType"), ("otherDetails", "agreementDetails")):
        if agreement.get(key):
            res.texts[prop] = str(agreement[key])
    contact = more.get("pointOfContact") or {}
    if contact.get("title"):
        phone = " ext. ".join(x for x in (contact.get("phone"), contact.get("phoneExt")) if x)
        res.contact = Person(contact["title"], "ResultsContactRole", "results point of contact",
                             affiliation=contact.get("organization", ""), email=contact.get("email", ""), phone=phone)
    return res


def _groups(section: dict[str, Any], name: str, res: Results) -> dict[str, str]:
    """``{group id: title}`` of one results section; each group is also kept with its description."""
    titles = {}
    for group in section.get("groups") or ():
        titles[group.get("id", "")] = group.get("title", "") or group.get("id", "")
        res.result_groups.append(ResultGroup(group.get("id", ""), group.get("title", ""), name,
                                             group.get("description", "")))
    return titles


def _values(measure: dict[str, Any], titles: dict[str, str]) -> list[ResultValue]:
    """The measurements of an outcome or baseline measure, one per group and class/category."""
    values = []
    for cls in measure.get("classes") or ():
        for cat in cls.get("categories") or ():
            qualifier = " / ".join(x for x in (cls.get("title"), cat.get("title")) if x)
            for m in cat.get("measurements") or ():
                if m.get("value") is None and not m.get("comment"):
                    continue
                group = titles.get(m.get("groupId"), m.get("groupId", ""))
                spread = m.get("spread") or " to ".join(x for x in (m.get("lowerLimit"), m.get("upperLimit")) if x)
                values.append(ResultValue(f"{group} ({qualifier})" if qualifier else group, str(m.get("value", "")),
                                          str(spread or ""), m.get("comment", "")))
    return values


def _denoms(section: dict[str, Any], titles: dict[str, str], qualifier: str = "") -> list[AnalyzedCount]:
    """Participants (or other units) analysed per group, from ``denoms``."""
    out = []
    for denom in section.get("denoms") or ():
        for c in denom.get("counts") or ():
            group = titles.get(c.get("groupId"), c.get("groupId", ""))
            out.append(AnalyzedCount(f"{group} ({qualifier})" if qualifier else group, str(c.get("value", "")),
                                     denom.get("units", "")))
    return out


def detect(head: bytes, name: str) -> bool:
    """API v2 JSON: a study object, a ``{"studies": [...]}`` page, or a list of studies."""
    text = _decode(head, lenient=True).lstrip()
    return text[:1] in ("{", "[") and _KEYS.search(text) is not None


def _encoding(data: bytes) -> str:
    """JSON's encoding (RFC 8259 allows only UTF-8; UTF-16/32 are recognised by BOM or by the zero bytes of ASCII)."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if len(data) >= 4 and data[0] and not data[1] and not data[2] and not data[3]:
        return "utf-32-le"
    if len(data) >= 4 and not data[0] and not data[1] and not data[2] and data[3]:
        return "utf-32-be"
    if len(data) >= 2 and data[0] and not data[1]:
        return "utf-16-le"
    if len(data) >= 2 and not data[0] and data[1]:
        return "utf-16-be"
    return "utf-8-sig"


def _decode(data: bytes, lenient: bool = False) -> str:
    encoding = _encoding(data)
    if lenient and encoding.startswith(("utf-16", "utf-32")):
        data = data[: len(data) - len(data) % 4]  # a head cut inside a character
    return data.decode(encoding, errors="replace" if lenient else "strict")


def records(data: bytes, source: str) -> Iterator[RawRecord]:
    """Yield every study in a file as a RawRecord carrying its Trial, or its error."""
    try:
        parsed = orjson.loads(_decode(data))
    except UnicodeDecodeError as exc:
        bad = data[exc.start:exc.start + 4].hex(" ")
        yield RawRecord(source, 0, data, error=f"not valid {exc.encoding.upper().removesuffix('-SIG')} text (byte {exc.start}: {bad}, "
                        f"{exc.reason}); JSON must be UTF-8 - convert the file (e.g. from Latin-1 or GB18030) first")
        return
    except orjson.JSONDecodeError as exc:
        yield RawRecord(source, 0, data, error=f"invalid JSON: {exc}")
        return
    if isinstance(parsed, dict) and "protocolSection" in parsed:
        studies, whole = [parsed], True
    elif isinstance(parsed, dict) and isinstance(parsed.get("studies"), list):
        studies, whole = parsed["studies"], False
    elif isinstance(parsed, list):
        studies, whole = parsed, False
    else:
        yield RawRecord(source, 0, data, error="JSON holds no study (expected protocolSection or a studies list)")
        return
    for index, study in enumerate(studies):
        raw = data if whole else orjson.dumps(study)
        yield _read_one(study, raw, source, index)


def _read_one(study: Any, raw: bytes, source: str, index: int) -> RawRecord:
    if not isinstance(study, dict):
        return RawRecord(source, index, raw, error=f"study is a JSON {type(study).__name__}, not an object")
    nct = ((study.get("protocolSection") or {}).get("identificationModule") or {}).get("nctId") \
        if isinstance(study.get("protocolSection"), dict) else None
    if not isinstance(nct, str) or not nct.strip():
        return RawRecord(source, index, raw, error="record has no NCT id",
                         field="protocolSection.identificationModule.nctId")
    type_issues: list[Issue] = []
    study = _conform(study, "", type_issues)
    try:
        trial = read_study(study, source)
    except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
        return RawRecord(source, index, raw, nct, error=f"malformed record: {type(exc).__name__}: {exc}")
    trial.issues[:0] = type_issues
    return RawRecord(source, index, raw, nct, trial)


_DROP = object()
_KINDS = {dict: "object", list: "list", str: "string", bool: "boolean", int: "number", float: "number"}


@cache
def _types() -> dict[str, str]:
    """Expected JSON type of every API v2 field path: object, string, number, boolean, ``list of …``."""
    return {row[0]: row[1] for row in read_tsv("mappings", MAPPING, "types.tsv")}


def _fits(value: Any, expected: str) -> bool:
    if value is None:
        return True
    if expected == "object":
        return isinstance(value, dict)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "number":
        return isinstance(value, (str, int, float)) and not isinstance(value, bool)
    # the field table types some flags and counts as text: any scalar is read as it comes
    return isinstance(value, (str, int, float, bool))


def _show(value: Any) -> str:
    return orjson.dumps(value).decode()[:200]


def _conform(value: Any, path: str, issues: list[Issue]) -> Any:
    """The study with every field of the wrong JSON type reported and left out.

    A single value where a list is expected is read as a one-item list (and
    reported); fields the type table does not know are kept as they are.
    """
    expected = _types().get(path, "object" if path == "" else None)
    if expected is None or value is None:
        return value
    if expected.startswith("list of "):
        item = expected[len("list of "):]
        if not isinstance(value, list):
            if not _fits(value, item):
                issues.append(Issue(path, f"expected a list of {item}s, got {_KINDS.get(type(value), 'a value')}; "
                                    "left out", _show(value)))
                return _DROP
            issues.append(Issue(path, "expected a list, got a single value; read as a one-item list", _show(value)))
            value = [value]
        out = []
        for element in value:
            if not _fits(element, item):
                issues.append(Issue(path, f"expected a list of {item}s, one item is "
                                    f"{_KINDS.get(type(element), 'something else')}; item left out", _show(element)))
            elif item == "object" and element is not None:
                out.append(_object(element, path, issues))
            else:
                out.append(_scalar(element, item))
        return out
    if not _fits(value, expected):
        issues.append(Issue(path, f"expected {expected}, got {_KINDS.get(type(value), 'something else')}; left out",
                            _show(value)))
        return _DROP
    return _object(value, path, issues) if expected == "object" else _scalar(value, expected)


def _scalar(value: Any, expected: str) -> Any:
    """A number in a text field as its text (the reader and mapper expect text there)."""
    if expected == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return orjson.dumps(value).decode()
    return value


def _object(value: dict[str, Any], path: str, issues: list[Issue]) -> dict[str, Any]:
    out = {}
    for key, item in value.items():
        checked = _conform(item, f"{path}.{key}" if path else key, issues)
        if checked is not _DROP:
            out[key] = checked
    return out


def field_paths(data: bytes) -> Iterator[str]:
    """Every non-empty leaf field path of the studies in a file (list items without ``[]``), for coverage."""
    parsed = orjson.loads(_decode(data))
    studies = parsed.get("studies", [parsed]) if isinstance(parsed, dict) else parsed
    stack: list[tuple[str, Any]] = [("", s) for s in studies]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((f"{path}.{k}" if path else k, v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((path, v) for v in value)
        elif value not in (None, ""):
            yield path
