"""Write the shapes files ``shapes/*.ttl`` from the data they follow.

Value lists (``sh:in``) come from every ``mappings/*/codes.tsv``, identifier
patterns from ``mappings/registries.tsv``, grounding methods from the mapper.
Run ``python shapes/generate.py`` after changing any of them, read the diff,
and commit both; tests/test_validation.py fails while they disagree.
"""
import csv
import sys
from pathlib import Path

ROOT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
codes = {}
tables = [ROOT/"mappings/ctgov/codes.tsv"] + sorted(p for p in ROOT.glob("mappings/*/codes.tsv") if p.parent.name != "ctgov")
for table in tables:
    for row in csv.reader(open(table), delimiter="\t"):
        if row and not row[0].startswith("#") and len(row) > 2 and row[2]:
            codes.setdefault(row[0], [])
            for term in row[2].split():  # a value may map to several terms
                if term not in codes[row[0]]:
                    codes[row[0]].append(term)
for extra in ("sponsor_type", "sponsor_status"):
    for term in codes.get(extra, []):
        if term not in codes["agency_class"]:
            codes["agency_class"].append(term)
schemes = [r for r in csv.reader(open(ROOT/"mappings/registries.tsv"), delimiter="\t") if r and not r[0].startswith("#")]
registries = sorted({r[1] for r in schemes})

sys.path.insert(0, str(ROOT))
from kg.mapper import _METHODS  # noqa: E402
METHODS = list(_METHODS.values())
HEAD = """@prefix tkg: <https://w3id.org/trialkg/ontology#> .
@prefix tkgsh: <https://w3id.org/trialkg/shapes#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .

"""
SEV = {"V": "sh:Violation", "W": "sh:Warning", "I": "sh:Info"}
DATE_RE = r"^\\d{4}(-\\d{2}(-\\d{2})?)?$"

def esc(s): return s.replace("\\", "\\\\").replace('"', '\\"')

def prop(path, sev, msg, **c):
    parts = [f"sh:path {path}"]
    for k in ("minCount", "maxCount"):
        if k in c: parts.append(f"sh:{k} {c[k]}")
    if "dt" in c: parts.append(f"sh:datatype {c['dt']}")
    if "kind" in c: parts.append(f"sh:nodeKind sh:{c['kind']}")
    if "cls" in c: parts.append(f"sh:class {c['cls']}")
    if "pattern" in c: parts.append(f'sh:pattern "{c["pattern"]}"')
    if "minInclusive" in c: parts.append(f"sh:minInclusive {c['minInclusive']}")
    if "maxInclusive" in c: parts.append(f"sh:maxInclusive {c['maxInclusive']}")
    if "maxLength" in c: parts.append(f"sh:maxLength {c['maxLength']}")
    if "in_" in c: parts.append("sh:in ( " + " ".join(c["in_"]) + " )")
    if "or_dt" in c: parts.append("sh:or ( " + " ".join(f"[ sh:datatype {d} ]" for d in c["or_dt"]) + " )")
    parts.append(f"sh:severity {SEV[sev]}")
    parts.append(f'sh:message "{esc(msg)}"')
    return "[\n        " + " ;\n        ".join(parts) + "\n    ]"

def node(name, targets, label, props, sparql=(), comment=""):
    out = f"tkgsh:{name} a sh:NodeShape ;\n    rdfs:label \"{label}\" ;\n"
    out += "    sh:targetClass " + ", ".join(targets) + " ;\n"
    items = [f"    sh:property {p}" for p in props]
    for sev, msg, select in sparql:
        items.append("    sh:sparql [\n        a sh:SPARQLConstraint ;\n        sh:prefixes tkgsh: ;\n"
                     f"        sh:severity {SEV[sev]} ;\n        sh:message \"{esc(msg)}\" ;\n"
                     f'        sh:select """{select}"""\n    ]')
    return out + " ;\n".join(items) + " .\n\n"

def terms(lst): return [f"tkg:{t}" for t in codes[lst]]
KIND = ["tkg:Actual", "tkg:Estimated"]

def text1(path, what, sev="W"):
    return prop(path, sev, f"{what} must be a single plain string.", maxCount=1, dt="xsd:string")

def coded(path, lst, what, many=False):
    c = dict(in_=terms(lst))
    if not many: c["maxCount"] = 1
    return prop(path, "W", f"{what} is not one of the known terms ({lst.replace('_', ' ')} code list).", **c)

import re as _re
def flag(path, what):
    words = _re.sub(r"(?<!^)(?=[A-Z])", " ", path.split(":")[1]).lower()
    return prop(path, "V", f"The '{words}' flag must be a single true or false value.", maxCount=1, dt="xsd:boolean")

DATES = {"startDate": "start date", "primaryCompletionDate": "primary completion date",
         "completionDate": "completion date", "firstPostedDate": "first posted date",
         "lastUpdatePostedDate": "last update posted date", "resultsFirstPostedDate": "results first posted date",
         "dispositionFirstPostedDate": "disposition first posted date", "statusVerifiedDate": "status verified date",
         "firstSubmittedDate": "first submitted date", "firstSubmittedQcDate": "first submitted QC date",
         "lastUpdateSubmittedDate": "last update submitted date", "resultsFirstSubmittedDate": "results first submitted date",
         "resultsFirstSubmittedQcDate": "results first submitted QC date",
         "dispositionFirstSubmittedDate": "disposition first submitted date",
         "dispositionFirstSubmittedQcDate": "disposition first submitted QC date"}
FLAGS = ["hasDataMonitoringCommittee", "isFdaRegulatedDrug", "isFdaRegulatedDevice", "isUnapprovedDevice",
         "isPediatricPostmarketSurveillance", "isUsExport", "fdaaa801Violation", "hasExpandedAccess", "hasResults",
         "delayedPosting", "resultsWaived", "patientRegistry", "expandedAccessIndividual",
         "expandedAccessIntermediate", "expandedAccessTreatment"]
DATE_TYPES = ["xsd:date", "xsd:gYearMonth", "xsd:gYear"]

def date_props(path, what, sev="V"):
    return [prop(path, sev, f"A record gives one {what}.", maxCount=1),
            prop(path, sev, f"The {what} must be an ISO date (YYYY, YYYY-MM or YYYY-MM-DD) typed xsd:date, xsd:gYearMonth or xsd:gYear.",
                 or_dt=DATE_TYPES),
            prop(path, sev, f"The {what} must be an ISO date (YYYY, YYYY-MM or YYYY-MM-DD).", pattern=DATE_RE)]

def before(later, earlier, sev, msg):
    # compare ISO dates at their common precision, so 2020-05 is not "before" 2020-05-14
    q = f"""SELECT $this ?value WHERE {{
            $this tkg:{earlier} ?first ; tkg:{later} ?value .
            BIND(IF(STRLEN(STR(?first)) < STRLEN(STR(?value)), STRLEN(STR(?first)), STRLEN(STR(?value))) AS ?n)
            FILTER(SUBSTR(STR(?value), 1, ?n) < SUBSTR(STR(?first), 1, ?n))
        }}"""
    return (sev, msg, q)

# ----------------------------------------------------------------- trial.ttl
trial = [
    prop("dcterms:identifier", "V", "A trial needs exactly one registry identifier (dcterms:identifier).", minCount=1, maxCount=1),
    prop("dcterms:identifier", "V", "The trial identifier must be a plain string.", dt="xsd:string"),
    prop("dcterms:identifier", "V", "The trial identifier must not contain spaces or control characters.", pattern=r"^\\S+$"),
    prop("rdfs:label", "V", "A trial needs a title (brief or official).", minCount=1),
    prop("rdfs:label", "W", "A trial should have one title label.", maxCount=1),
    prop("rdfs:label", "V", "The trial title must be a plain string.", dt="xsd:string"),
    text1("tkg:briefTitle", "The brief title"), text1("tkg:officialTitle", "The official title"),
    text1("tkg:acronym", "The acronym"), text1("tkg:briefSummary", "The brief summary"),
    text1("tkg:detailedDescription", "The detailed description"), text1("tkg:whyStopped", "The reason for stopping"),
    prop("tkg:sourceRecord", "V", "A trial must point to the registry record it was read from.", minCount=1, cls="tkg:RegistryRecord"),
    prop("tkg:hasIdentifier", "V", "A trial needs at least one identifier node.", minCount=1, kind="IRI"),
    coded("tkg:overallStatus", "status", "The overall status"),
    coded("tkg:lastKnownStatus", "status", "The last known status"),
    coded("tkg:studyType", "study_type", "The study type"),
    coded("tkg:phase", "phase", "The phase", many=True),
    coded("tkg:allocation", "allocation", "The allocation"),
    coded("tkg:interventionModel", "intervention_model", "The intervention model"),
    coded("tkg:primaryPurpose", "primary_purpose", "The primary purpose"),
    coded("tkg:observationalModel", "observational_model", "The observational model"),
    coded("tkg:timePerspective", "time_perspective", "The time perspective"),
    coded("tkg:masking", "masking", "The masking"),
    coded("tkg:biospecRetention", "biospec_retention", "The biospecimen retention"),
    coded("tkg:whoMasked", "who_masked", "A masked party", many=True),
    coded("tkg:ipdSharing", "ipd_sharing", "The IPD sharing statement"),
    coded("tkg:ipdInfoType", "ipd_info_type", "An IPD information type", many=True),
    prop("tkg:enrollment", "V", "A record gives one enrollment count.", maxCount=1),
    prop("tkg:enrollment", "V", "The enrollment must be a whole number (xsd:integer).", dt="xsd:integer"),
    prop("tkg:enrollment", "W", "The enrollment count is negative.", minInclusive='"0"^^xsd:integer'),
    prop("tkg:enrollmentType", "W", "The enrollment type must be one of Actual or Estimated.", maxCount=1, in_=KIND),
    prop("tkg:leadSponsor", "W", "The record names no lead sponsor.", minCount=1),
    prop("tkg:leadSponsor", "W", "A trial has one lead sponsor.", maxCount=1),
    prop("tkg:leadSponsor", "V", "The lead sponsor must be an Organisation node.", cls="tkg:Organisation"),
    prop("tkg:collaborator", "V", "A collaborator must be an Organisation node.", cls="tkg:Organisation"),
    prop("tkg:hasRole", "V", "A role must be a node (IRI).", kind="IRI"),
    prop("tkg:conditionMention", "V", "A condition must be a ConditionMention node.", cls="tkg:ConditionMention"),
    prop("tkg:intervention", "V", "An intervention must be an Intervention node.", cls="tkg:Intervention"),
    prop("tkg:arm", "V", "An arm must be an Arm node.", cls="tkg:Arm"),
    prop("tkg:outcome", "W", "The record lists no outcome measure.", minCount=1),
    prop("tkg:outcome", "V", "An outcome must be a node (IRI).", kind="IRI"),
    prop("tkg:eligibility", "V", "A trial has at most one Eligibility node.", maxCount=1, cls="tkg:Eligibility"),
    prop("tkg:location", "V", "A location must be a Location node.", cls="tkg:Location"),
    prop("tkg:reference", "V", "A reference must be a Reference node.", cls="tkg:Reference"),
    prop("tkg:results", "V", "A trial has at most one ResultsSummary node.", maxCount=1, cls="tkg:ResultsSummary"),
    prop("tkg:healthCondition", "V", "A health condition must be a MeSH descriptor node.", cls="tkg:MeshDescriptor"),
    prop("tkg:interventionDescriptor", "V", "An intervention descriptor must be a MeSH descriptor node.", cls="tkg:MeshDescriptor"),
    prop("tkg:relatedTrial", "V", "A related trial must be a node (IRI).", kind="IRI"),
    prop("tkg:keyword", "V", "A keyword must be a plain string.", dt="xsd:string"),
    prop("tkg:country", "V", "A country must be a plain string.", dt="xsd:string"),
]
for p, what in DATES.items():
    trial += date_props(f"tkg:{p}", what, "W" if p in ("statusVerifiedDate",) else "V")
    if p in ("startDate", "primaryCompletionDate", "completionDate", "firstPostedDate", "lastUpdatePostedDate",
             "resultsFirstPostedDate", "dispositionFirstPostedDate"):
        trial.append(prop(f"tkg:{p}Type", "W", f"The {what} type must be one of Actual or Estimated.", maxCount=1, in_=KIND))
for f in FLAGS:
    trial.append(flag(f"tkg:{f}", f"tkg:{f}"))
trial_sparql = [
    before("primaryCompletionDate", "startDate", "V", "The primary completion date is before the start date."),
    before("completionDate", "startDate", "V", "The completion date is before the start date."),
    before("completionDate", "primaryCompletionDate", "W", "The completion date is before the primary completion date."),
    before("lastUpdateSubmittedDate", "firstSubmittedDate", "W", "The last update was submitted before the first submission."),
]

record = [
    prop("tkg:describes", "V", "A registry record must describe exactly one ClinicalTrial.", minCount=1, maxCount=1, cls="tkg:ClinicalTrial"),
    prop("tkg:registry", "V", "A registry record must name exactly one registry (IRI).", minCount=1, maxCount=1, kind="IRI"),
    prop("tkg:registry", "W", "The registry is not one of the registries in mappings/registries.tsv.",
         in_=[f"tkg:{r}" for r in sorted(set(registries) | set(codes.get("register", [])))]),
    prop("tkg:sourceRecordId", "V", "A registry record needs exactly one source record id.", minCount=1, maxCount=1, dt="xsd:string"),
    prop("tkg:recordFormat", "V", "A registry record needs exactly one record format name.", minCount=1, maxCount=1, dt="xsd:string"),
    prop("tkg:sourceFile", "W", "A registry record names one source file.", maxCount=1, dt="xsd:string"),
    prop("tkg:versionDate", "W", "The record has no version date, so newer and older versions of it cannot be told apart.", minCount=1),
    *date_props("tkg:versionDate", "version date"),
    *date_props("tkg:exportDate", "export date", "W"),
    prop("prov:generatedAtTime", "V", "The retrieval time must be one xsd:dateTime.", maxCount=1, dt="xsd:dateTime"),
    prop("tkg:contentHash", "V", "A record carries one content hash.", maxCount=1, dt="xsd:string"),
    prop("tkg:landingPage", "V", "The landing page must be one xsd:anyURI.", maxCount=1, dt="xsd:anyURI"),
    prop("tkg:hasIssue", "V", "A record issue must be a RecordIssue node.", cls="tkg:RecordIssue"),
]

issue = [
    prop("tkg:field", "V", "A record issue names exactly one field.", minCount=1, maxCount=1, dt="xsd:string"),
    prop("tkg:message", "V", "A record issue has exactly one message.", minCount=1, maxCount=1, dt="xsd:string"),
    prop("tkg:value", "V", "A record issue quotes at most one value.", maxCount=1, dt="xsd:string"),
]

out = HEAD + """tkgsh: a owl:Ontology ;
    rdfs:label "trialkg SHACL shapes" ;
    sh:declare [ sh:prefix "tkg" ; sh:namespace "https://w3id.org/trialkg/ontology#"^^xsd:anyURI ] ,
        [ sh:prefix "xsd" ; sh:namespace "http://www.w3.org/2001/XMLSchema#"^^xsd:anyURI ] ,
        [ sh:prefix "rdfs" ; sh:namespace "http://www.w3.org/2000/01/rdf-schema#"^^xsd:anyURI ] .

"""
out += node("ClinicalTrialShape", ["tkg:ClinicalTrial"], "clinical trial", trial, trial_sparql)
out += node("RegistryRecordShape", ["tkg:RegistryRecord"], "registry record", record)
out += node("RecordIssueShape", ["tkg:RecordIssue"], "record issue", issue)
(ROOT/"shapes/trial.ttl").write_text(out)

# ----------------------------------------------------------------- identifiers.ttl
id_classes = sorted({r[0] for r in schemes} | set(codes["secondary_id_type"]) | {"OrgStudyId"})
out = HEAD
out += node("IdentifierShape", [f"tkg:{c}" for c in id_classes], "trial identifier", [
    prop("tkg:idValue", "V", "An identifier node needs exactly one identifier value.", minCount=1, maxCount=1),
    prop("tkg:idValue", "V", "The identifier value must be a plain string.", dt="xsd:string"),
    text1("tkg:idTypeText", "The identifier type text"), text1("tkg:issuer", "The issuer"),
    prop("tkg:landingPage", "V", "The landing page must be one xsd:anyURI.", maxCount=1, dt="xsd:anyURI"),
])
by_scheme = {}
for scheme, registry, pattern, *_ in schemes:
    by_scheme.setdefault(scheme, (registry, []))[1].append(pattern)
for scheme, (registry, patterns) in by_scheme.items():
    sev = "V" if scheme == "NCTNumber" else "W"
    pattern = patterns[0] if len(patterns) == 1 else "|".join(f"(?:{p})" for p in patterns)
    pat = pattern.replace("\\", "\\\\")
    msg = (f"Not a well-formed {scheme} ({registry} identifier, expected to match {' or '.join(patterns)}).")
    out += node(f"{scheme}Shape", [f"tkg:{scheme}"], f"{scheme} identifier",
                [prop("tkg:idValue", sev, msg, pattern=pat)])
(ROOT/"shapes/identifiers.ttl").write_text(out)

# ----------------------------------------------------------------- parts.ttl
out = HEAD
out += node("ConditionMentionShape", ["tkg:ConditionMention"], "condition mention", [
    prop("rdfs:label", "V", "A condition mention needs exactly one text label.", minCount=1, maxCount=1, dt="xsd:string"),
    prop("tkg:groundedTo", "V", "A condition is grounded to MeSH descriptor nodes.", cls="tkg:MeshDescriptor"),
    prop("tkg:grounding", "V", "A grounding must be a MeshGrounding node.", cls="tkg:MeshGrounding"),
    flag("tkg:inferred", "tkg:inferred"),
])
out += node("RegistryIndexingShape", ["tkg:RegistryIndexing"], "registry indexing", [
    prop("tkg:grounding", "V", "A grounding must be a MeshGrounding node.", cls="tkg:MeshGrounding"),
])
out += node("MeshGroundingShape", ["tkg:MeshGrounding"], "MeSH grounding", [
    prop("tkg:descriptor", "V", "A grounding points to exactly one MeSH descriptor.", minCount=1, maxCount=1),
    prop("tkg:descriptor", "V", "The descriptor must be a MeSH descriptor or supplementary concept IRI (http://id.nlm.nih.gov/mesh/ + D or C + 6 or 9 digits).",
         kind="IRI", pattern=r"^http://id\\.nlm\\.nih\\.gov/mesh/[DC](\\d{6}|\\d{9})$"),
    prop("tkg:groundingMethod", "V", "A grounding states exactly one method.", minCount=1, maxCount=1),
    prop("tkg:groundingMethod", "W", "The grounding method is not one of the known methods.",
         in_=[f"tkg:{m}" for m in METHODS]),
    prop("tkg:score", "V", "A grounding has exactly one score.", minCount=1, maxCount=1),
    prop("tkg:score", "V", "The grounding score must be a decimal between 0 and 1.", dt="xsd:decimal",
         minInclusive='"0"^^xsd:decimal', maxInclusive='"1"^^xsd:decimal'),
    text1("tkg:groundedText", "The grounded text"), text1("tkg:groundingSource", "The grounding source"),
])
out += node("MeshDescriptorShape", ["tkg:MeshDescriptor"], "MeSH descriptor", [
    prop("rdfs:label", "W", "A MeSH descriptor label must be a plain string.", dt="xsd:string"),
])
out += node("InterventionShape", ["tkg:Intervention"], "intervention", [
    prop("rdfs:label", "W", "An intervention should have exactly one name.", minCount=1, maxCount=1),
    prop("rdfs:label", "V", "The intervention name must be a plain string.", dt="xsd:string"),
    coded("tkg:interventionType", "intervention_type", "The intervention type"),
    text1("tkg:description", "The description"),
    prop("tkg:otherName", "V", "Another name must be a plain string.", dt="xsd:string"),
])
out += node("ArmShape", ["tkg:Arm"], "arm", [
    prop("rdfs:label", "W", "An arm should have exactly one label.", minCount=1, maxCount=1),
    prop("rdfs:label", "V", "The arm label must be a plain string.", dt="xsd:string"),
    coded("tkg:armType", "arm_type", "The arm type"),
    text1("tkg:description", "The description"),
    prop("tkg:receives", "V", "An arm receives Intervention nodes.", cls="tkg:Intervention"),
])
out += node("OrganisationShape", ["tkg:Organisation"], "organisation", [
    prop("rdfs:label", "V", "An organisation needs exactly one name.", minCount=1, maxCount=1, dt="xsd:string"),
    coded("tkg:agencyClass", "agency_class", "The agency class"),
])
out += node("PersonShape", ["tkg:Person"], "person", [
    prop("rdfs:label", "V", "A person needs exactly one name.", minCount=1, maxCount=1, dt="xsd:string"),
    text1("tkg:degree", "The degree"), text1("tkg:jobTitle", "The job title"),
    prop("tkg:telephone", "W", "A telephone number must be a plain string.", dt="xsd:string"),
    text1("tkg:address", "The address"),
    prop("tkg:email", "W", "This does not look like an e-mail address.", dt="xsd:string", pattern=r"^[^@\\s]+@[^@\\s]+$"),
    prop("tkg:affiliation", "V", "An affiliation must be an Organisation node.", maxCount=1, cls="tkg:Organisation"),
])
roles = sorted(set(codes["official_role"]) | {"LeadSponsorRole", "CollaboratorRole", "ResponsibleOrganisationRole",
                                                 "ResponsiblePartyRole", "ContactRole", "SiteContactRole", "OfficialRole",
                                                 "ResultsContactRole"})
out += node("RoleShape", [f"tkg:{r}" for r in roles], "role", [
    prop("tkg:agent", "V", "A role needs exactly one agent (a person or an organisation node).", minCount=1, maxCount=1, kind="IRI"),
    text1("tkg:roleText", "The role text"),
])
out += node("EligibilityShape", ["tkg:Eligibility"], "eligibility", [
    text1("tkg:criteriaText", "The criteria text", "V"),
    prop("tkg:criteriaText", "W", "The criteria text is longer than 100,000 characters.", maxLength=100000),
    coded("tkg:sex", "sex", "The sex"),
    coded("tkg:ageGroup", "std_age", "The age group", many=True),
    coded("tkg:samplingMethod", "sampling_method", "The sampling method"),
    text1("tkg:minimumAgeText", "The minimum age text"), text1("tkg:maximumAgeText", "The maximum age text"),
    prop("tkg:minimumAge", "V", "The minimum age must be one xsd:duration (e.g. P18Y).", maxCount=1, dt="xsd:duration"),
    prop("tkg:maximumAge", "V", "The maximum age must be one xsd:duration (e.g. P65Y).", maxCount=1, dt="xsd:duration"),
    prop("tkg:inclusionCriterion", "V", "An inclusion criterion must be an InclusionCriterion node.",
         cls="tkg:InclusionCriterion"),
    prop("tkg:exclusionCriterion", "V", "An exclusion criterion must be an ExclusionCriterion node.",
         cls="tkg:ExclusionCriterion"),
    flag("tkg:healthyVolunteers", "tkg:healthyVolunteers"), flag("tkg:genderBased", "tkg:genderBased"),
    text1("tkg:genderDescription", "The gender description"), text1("tkg:studyPopulation", "The study population"),
])
out += node("CriterionShape", ["tkg:InclusionCriterion", "tkg:ExclusionCriterion"], "eligibility criterion", [
    prop("tkg:criterionText", "V", "A criterion needs exactly one text.", minCount=1, maxCount=1, dt="xsd:string"),
    flag("tkg:ambiguousRelation", "tkg:ambiguousRelation"),
    prop("tkg:order", "V", "The order must be one whole number from 1.", maxCount=1, dt="xsd:integer",
         minInclusive='"1"^^xsd:integer'),
])
out += node("OutcomeShape", ["tkg:PrimaryOutcome", "tkg:SecondaryOutcome", "tkg:OtherOutcome"], "outcome measure", [
    prop("rdfs:label", "W", "An outcome should have exactly one measure title.", minCount=1, maxCount=1),
    prop("rdfs:label", "V", "The outcome measure title must be a plain string.", dt="xsd:string"),
    text1("tkg:description", "The description"), text1("tkg:timeFrame", "The time frame"),
    prop("tkg:usesInstrument", "V", "An instrument must be a node (IRI).", kind="IRI"),
    prop("tkg:instrumentMention", "V", "An instrument mention must be an InstrumentMention node.",
         cls="tkg:InstrumentMention"),
    prop("tkg:timePoint", "V", "A time point must be a TimePoint node.", cls="tkg:TimePoint"),
])
out += node("InstrumentMentionShape", ["tkg:InstrumentMention"], "instrument mention", [
    prop("tkg:instrument", "V", "An instrument mention names exactly one instrument (IRI).", minCount=1, maxCount=1,
         kind="IRI"),
    text1("tkg:matchedText", "The matched text"),
])
out += node("TimePointShape", ["tkg:TimePoint"], "time point", [
    prop("tkg:duration", "V", "A time point has at most one duration, an xsd:duration (e.g. P12W).", maxCount=1, dt="xsd:duration"),
    text1("tkg:timePointText", "The time point text"),
    prop("tkg:order", "V", "The order must be one whole number from 1.", maxCount=1, dt="xsd:integer",
         minInclusive='"1"^^xsd:integer'),
])
out += node("InstrumentShape", ["tkg:Instrument"], "instrument", [
    prop("rdfs:label", "W", "An instrument should have a name.", minCount=1),
])
out += node("LocationShape", ["tkg:Location"], "location", [
    text1("rdfs:label", "The location label"), text1("tkg:facility", "The facility"), text1("tkg:city", "The city"),
    text1("tkg:state", "The state"), text1("tkg:postalCode", "The postal code"), text1("tkg:country", "The country"),
    coded("tkg:recruitmentStatus", "status", "The recruitment status"),
    prop("tkg:latitude", "V", "The latitude must be one decimal between -90 and 90.", maxCount=1, dt="xsd:decimal",
         minInclusive='"-90"^^xsd:decimal', maxInclusive='"90"^^xsd:decimal'),
    prop("tkg:longitude", "V", "The longitude must be one decimal between -180 and 180.", maxCount=1, dt="xsd:decimal",
         minInclusive='"-180"^^xsd:decimal', maxInclusive='"180"^^xsd:decimal'),
    prop("tkg:hasRole", "V", "A role must be a node (IRI).", kind="IRI"),
])
out += node("ReferenceShape", ["tkg:Reference"], "reference", [
    text1("tkg:citation", "The citation"), text1("tkg:referenceTypeText", "The reference type"),
    prop("tkg:pmid", "W", "A PubMed id is one string of digits.", maxCount=1, dt="xsd:string", pattern=r"^\\d+$"),
    prop("tkg:pubmed", "V", "The PubMed link must be one IRI.", maxCount=1, kind="IRI"),
    prop("tkg:url", "V", "The URL must be one xsd:anyURI.", maxCount=1, dt="xsd:anyURI"),
])
count = lambda p, what: prop(p, "V", f"The {what} must be one non-negative whole number.", maxCount=1, dt="xsd:integer",
                             minInclusive='"0"^^xsd:integer')
out += node("ResultsSummaryShape", ["tkg:ResultsSummary"], "results summary", [
    count("tkg:participantsStarted", "number of participants started"),
    count("tkg:participantsCompleted", "number of participants completed"),
    count("tkg:seriousAdverseEventCount", "serious adverse event count"),
    count("tkg:otherAdverseEventCount", "other adverse event count"),
    prop("tkg:outcomeResult", "V", "An outcome result must be an OutcomeResult node.", cls="tkg:OutcomeResult"),
    prop("tkg:resultGroup", "V", "A result group must be a ResultGroup node.", cls="tkg:ResultGroup"),
    prop("tkg:flowPeriod", "V", "A participant-flow period must be a FlowPeriod node.", cls="tkg:FlowPeriod"),
    prop("tkg:baselineMeasure", "V", "A baseline measure must be a BaselineMeasure node.", cls="tkg:BaselineMeasure"),
    prop("tkg:analyzedCount", "V", "An analysed count must be an AnalyzedCount node.", cls="tkg:AnalyzedCount"),
    prop("tkg:adverseEvent", "V", "An adverse event must be an AdverseEvent node.", cls="tkg:AdverseEvent"),
    *(text1(f"tkg:{p}", what) for p, what in (
        ("limitationsAndCaveats", "The limitations and caveats"), ("recruitmentDetails", "The recruitment details"),
        ("preAssignmentDetails", "The pre-assignment details"), ("baselinePopulation", "The baseline population"),
        ("adverseEventDescription", "The adverse event description"),
        ("adverseEventTimeFrame", "The adverse event time frame"))),
], [("W", "More participants completed than started.", """SELECT $this ?value WHERE {
            $this tkg:participantsStarted ?started ; tkg:participantsCompleted ?value .
            FILTER(?value > ?started)
        }""")])
out += node("OutcomeResultShape", ["tkg:OutcomeResult"], "outcome result", [
    prop("rdfs:label", "W", "An outcome result should have exactly one title.", minCount=1, maxCount=1),
    text1("tkg:outcomeTypeText", "The outcome type"), text1("tkg:unit", "The unit"),
    text1("tkg:paramType", "The parameter type"), text1("tkg:timeFrame", "The time frame"),
    prop("tkg:measurement", "V", "A measurement must be a Measurement node.", cls="tkg:Measurement"),
])
out += node("MeasurementShape", ["tkg:Measurement"], "measurement", [
    text1("tkg:group", "The group"), text1("tkg:spread", "The spread"), text1("tkg:valueText", "The value text"),
    prop("tkg:value", "V", "A measured value must be one decimal.", maxCount=1, dt="xsd:decimal"),
])
out += node("ResultGroupShape", ["tkg:ResultGroup"], "result group", [
    text1("rdfs:label", "The group title"), text1("tkg:groupId", "The group id"),
    prop("tkg:resultSection", "V", "A result group names exactly one results section.", minCount=1, maxCount=1,
         dt="xsd:string"),
    text1("tkg:description", "The group description"),
])
out += node("FlowPeriodShape", ["tkg:FlowPeriod"], "participant-flow period", [
    text1("rdfs:label", "The period title"),
    prop("tkg:milestoneCount", "V", "A milestone count must be a ParticipantCount node.", cls="tkg:ParticipantCount"),
    prop("tkg:withdrawalCount", "V", "A withdrawal count must be a ParticipantCount node.", cls="tkg:ParticipantCount"),
])
out += node("ParticipantCountShape", ["tkg:ParticipantCount"], "participant count", [
    prop("rdfs:label", "W", "A participant count should name its milestone or reason.", minCount=1, maxCount=1),
    text1("tkg:group", "The group"), count("tkg:count", "participant count"), text1("tkg:note", "The note"),
])
out += node("BaselineMeasureShape", ["tkg:BaselineMeasure"], "baseline measure", [
    prop("rdfs:label", "W", "A baseline measure should have exactly one title.", minCount=1, maxCount=1),
    text1("tkg:unit", "The unit"), text1("tkg:paramType", "The parameter type"),
    text1("tkg:dispersionType", "The dispersion type"), text1("tkg:population", "The population"),
    text1("tkg:description", "The description"),
    prop("tkg:measurement", "V", "A measurement must be a Measurement node.", cls="tkg:Measurement"),
    prop("tkg:analyzedCount", "V", "An analysed count must be an AnalyzedCount node.", cls="tkg:AnalyzedCount"),
])
out += node("AnalyzedCountShape", ["tkg:AnalyzedCount"], "analysed count", [
    text1("tkg:group", "The group"), count("tkg:count", "analysed count"), text1("tkg:countText", "The count text"),
    text1("tkg:unitsAnalyzed", "The units analysed"), text1("tkg:scope", "The scope"),
])
out += node("StatisticalAnalysisShape", ["tkg:StatisticalAnalysis"], "statistical analysis", [
    prop("tkg:comparedGroup", "W", "A compared group is a plain string.", dt="xsd:string"),
    *(text1(f"tkg:{p}", f"The {p}") for p in (
        "pValue", "method", "estimateType", "estimateValue", "ciPercent", "ciSides", "ciLowerLimit", "ciUpperLimit")),
])
out += node("AdverseEventShape", ["tkg:AdverseEvent"], "adverse event", [
    prop("tkg:term", "W", "An adverse event should have exactly one term.", minCount=1, maxCount=1, dt="xsd:string"),
    text1("tkg:organSystem", "The organ system"),
    prop("tkg:serious", "V", "Whether an adverse event is serious is one boolean.", maxCount=1, dt="xsd:boolean"),
    prop("tkg:totalRow", "V", "The total-row flag is one boolean.", maxCount=1, dt="xsd:boolean"),
    text1("tkg:adverseEventVocabulary", "The vocabulary"), text1("tkg:assessmentType", "The assessment type"),
    prop("tkg:eventCount", "V", "An event count must be an AdverseEventCount node.", cls="tkg:AdverseEventCount"),
])
out += node("AdverseEventCountShape", ["tkg:AdverseEventCount"], "adverse event count", [
    text1("tkg:group", "The group"), count("tkg:numAffected", "number of participants affected"),
    count("tkg:numAtRisk", "number of participants at risk"), count("tkg:numEvents", "number of events"),
], [("W", "More participants affected than at risk.", """SELECT $this ?value WHERE {
            $this tkg:numAffected ?value ; tkg:numAtRisk ?risk .
            FILTER(?value > ?risk)
        }""")])
out += node("StudyDocumentShape", ["tkg:StudyDocument"], "study document", [
    text1("tkg:documentTypeText", "The document type"), text1("tkg:documentId", "The document id"),
    prop("tkg:documentUrl", "V", "The document URL must be one xsd:anyURI.", maxCount=1, dt="xsd:anyURI"),
])
out += node("TranslationShape", ["tkg:Translation"], "translation", [
    prop("tkg:translationOf", "V", "A translation names exactly one translated property.", minCount=1, maxCount=1,
         kind="IRI"),
    prop("tkg:translatedText", "V", "A translation has exactly one language-tagged text.", minCount=1, maxCount=1,
         dt="rdf:langString"),
])
(ROOT/"shapes/parts.ttl").write_text(out)
