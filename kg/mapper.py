"""Map a registry-neutral :class:`~kg.model.Trial` to RDF (N-Quads of one named graph).

The mapper knows no registry: everything registry-specific was settled by the
reader.  IRIs are minted from registry identifiers under a configurable base:

* trial ``{base}trial/{key}`` (``key`` from :func:`kg.identifiers.trial_key`),
* its parts ``{trial}/outcome/primary/1``, ``{trial}/arm/2`` …,
* the source record, which is also the named graph, ``{base}record/{format}/{record id}``.
"""

from __future__ import annotations

import re

from . import __version__
from .identifiers import landing_page, trial_key
from .mesh import iri as mesh_iri
from .model import AnalyzedCount, Coded, DateValue, Grounding, Person, ResultValue, Trial
from .rdf import DCTERMS, DEFAULT_BASE, LABEL, PROV, TKG, TYPE, XSD, Quads, date_datatype, safe

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def trial_iri(trial_id: str, base: str = DEFAULT_BASE) -> str:
    """The IRI of the trial a registry identifier names."""
    return f"{base}trial/{safe(trial_key(trial_id))}"


def record_iri(trial: Trial, base: str = DEFAULT_BASE) -> str:
    """The IRI of a source record; also the name of the graph holding its triples."""
    return f"{base}record/{trial.record_format}/{safe(trial.record_id)}"


class _Mapper:
    """Holds the writer and the per-record node registries while one trial is mapped."""

    def __init__(self, trial: Trial, base: str, retrieved: str) -> None:
        self.trial = trial
        self.base = base
        self.retrieved = retrieved
        self.record = record_iri(trial, base)
        self.t = trial_iri(trial.trial_id, base)
        self.q = Quads(self.record)
        self.orgs: dict[str, str] = {}
        self.people: dict[tuple[str, str], str] = {}

    # -- small helpers -------------------------------------------------------
    def coded(self, s: str, prop: str, value: Coded | None) -> None:
        if value is None:
            return
        if value.term:
            self.q.iri(s, TKG + prop, TKG + value.term)
        else:
            self.q.text(s, TKG + prop + "Text", value.text)

    def date(self, s: str, prop: str, value: DateValue) -> None:
        if value.value:
            self.q.typed(s, TKG + prop, value.value, date_datatype(value.value))
        else:
            self.q.text(s, TKG + prop + "Text", value.text)
        if value.kind:
            self.q.iri(s, TKG + prop + "Type", TKG + value.kind)

    def org(self, name: str) -> str:
        """The node of an organisation named in this record (one per distinct name)."""
        key = " ".join(name.split()).casefold()
        node = self.orgs.get(key)
        if node is None:
            node = self.orgs[key] = f"{self.t}/org/{len(self.orgs) + 1}"
            self.q.iri(node, TYPE, TKG + "Organisation")
            self.q.text(node, LABEL, " ".join(name.split()))
        return node

    def person(self, p: Person) -> str:
        """The node of a person named in this record; details given anywhere in it all land on it."""
        key = (" ".join(p.name.split()).casefold(), p.affiliation.casefold())
        q = self.q
        node = self.people.get(key)
        if node is None:
            node = self.people[key] = f"{self.t}/person/{len(self.people) + 1}"
            q.iri(node, TYPE, TKG + "Person")
            q.text(node, LABEL, " ".join(p.name.split()))
            if p.affiliation:
                q.iri(node, TKG + "affiliation", self.org(p.affiliation))
        q.text(node, TKG + "degree", p.degree)
        q.text(node, TKG + "jobTitle", p.title)
        q.text(node, TKG + "email", p.email)
        q.text(node, TKG + "telephone", p.phone)
        q.text(node, TKG + "address", p.address)
        return node

    def role(self, n: int, role_class: str, agent: str, role_text: str = "", scope: str | None = None) -> str:
        node = f"{scope or self.t}/role/{n}"
        self.q.iri(scope or self.t, TKG + "hasRole", node)
        self.q.iri(node, TYPE, TKG + role_class)
        self.q.iri(node, TKG + "agent", agent)
        self.q.text(node, TKG + "roleText", role_text)
        return node

    def grounding(self, s: str, n: int, g: Grounding, text: str = "") -> None:
        node = f"{s}/mesh/{n}"
        q = self.q
        q.iri(s, TKG + "grounding", node)
        q.iri(node, TYPE, TKG + "MeshGrounding")
        q.iri(node, TKG + "descriptor", mesh_iri(g.descriptor))
        q.iri(node, TKG + "groundingMethod", TKG + _METHODS[g.method])
        q.typed(node, TKG + "score", f"{g.score:.3f}", XSD + "decimal")
        q.text(node, TKG + "groundedText", g.matched or text)
        q.text(node, TKG + "groundingSource", g.source)
        q.iri(mesh_iri(g.descriptor), TYPE, TKG + "MeshDescriptor")
        q.text(mesh_iri(g.descriptor), LABEL, g.label)

    # -- the record ----------------------------------------------------------
    def run(self) -> Quads:
        tr, q, t = self.trial, self.q, self.t
        self.provenance()
        q.iri(t, TYPE, TKG + "ClinicalTrial")
        q.text(t, DCTERMS + "identifier", tr.trial_id)
        q.iri(t, TKG + "sourceRecord", self.record)
        for n, ident in enumerate(tr.ids, 1):
            node = f"{t}/id/{n}"
            q.iri(t, TKG + "hasIdentifier", node)
            q.iri(node, TYPE, TKG + ident.scheme)
            q.text(node, TKG + "idValue", ident.value)
            q.text(node, TKG + "idTypeText", ident.type_text)
            q.text(node, TKG + "issuer", ident.issuer)
            link = ident.link or landing_page(ident.value)
            if link:
                q.typed(node, TKG + "landingPage", link, XSD + "anyURI")
        # a page without a title (the "Clinical Trial Details" page has none) is labelled by its identifier
        q.text(t, LABEL, tr.brief_title or tr.official_title or tr.trial_id)
        q.text(t, TKG + "briefTitle", tr.brief_title)
        q.text(t, TKG + "officialTitle", tr.official_title)
        q.text(t, TKG + "acronym", tr.acronym)
        q.text(t, TKG + "briefSummary", tr.brief_summary)
        q.text(t, TKG + "detailedDescription", tr.detailed_description)
        self.coded(t, "overallStatus", tr.overall_status)
        self.coded(t, "lastKnownStatus", tr.last_known_status)
        q.text(t, TKG + "whyStopped", tr.why_stopped)
        self.coded(t, "studyType", tr.study_type)
        for phase in tr.phases:
            self.coded(t, "phase", phase)
        for prop, value in tr.dates.items():
            self.date(t, prop, value)
        if tr.enrollment is not None:
            q.typed(t, TKG + "enrollment", tr.enrollment, XSD + "integer")
            if tr.enrollment_kind:
                q.iri(t, TKG + "enrollmentType", TKG + tr.enrollment_kind)
        for prop, value in tr.design.items():
            self.coded(t, prop, value)
        for value in tr.who_masked:
            self.coded(t, "whoMasked", value)
        for prop, text in tr.design_notes.items():
            q.text(t, TKG + prop, text)
        for prop, flag in tr.flags.items():
            q.boolean(t, TKG + prop, flag)
        for prop, text in tr.texts.items():
            for value in [text] if isinstance(text, str) else text:
                q.text(t, TKG + prop, value)
        for prop, number in tr.counts.items():
            q.typed(t, TKG + prop, number, XSD + "integer")
        for n, (prop, text, lang) in enumerate(tr.translations, 1):
            node = f"{t}/translation/{n}"
            q.iri(t, TKG + "translation", node)
            q.iri(node, TYPE, TKG + "Translation")
            q.iri(node, TKG + "translationOf", TKG + prop)
            q.langtext(node, TKG + "translatedText", text, lang)
        for n, doc in enumerate(tr.documents, 1):
            node = f"{t}/document/{n}"
            q.iri(t, TKG + "studyDocument", node)
            q.iri(node, TYPE, TKG + "StudyDocument")
            q.text(node, TKG + "documentTypeText", doc.doc_type)
            if doc.url:
                q.typed(node, TKG + "documentUrl", doc.url, XSD + "anyURI")
            q.text(node, TKG + "documentId", doc.doc_id)
            q.text(node, TKG + "documentDate", doc.date)
            q.text(node, TKG + "comment", doc.comment)
            for content in doc.contents:
                q.text(node, TKG + "documentContent", content)
            q.text(node, TKG + "documentTypeCode", doc.type_code)
            q.text(node, TKG + "uploadDate", doc.uploaded)
            if doc.size is not None:
                q.typed(node, TKG + "fileSize", doc.size, XSD + "integer")
        for keyword in tr.keywords:
            q.text(t, TKG + "keyword", keyword)
        self.organisations()
        self.conditions()
        self.interventions()
        self.outcomes()
        self.eligibility()
        self.locations()
        for country in tr.countries:
            q.text(t, TKG + "country", country)
        self.references()
        self.related()
        self.coded(t, "ipdSharing", tr.ipd_sharing)
        for value in tr.ipd_info_types:
            self.coded(t, "ipdInfoType", value)
        self.results()
        return q

    def provenance(self) -> None:
        tr, q, rec = self.trial, self.q, self.record
        q.iri(rec, TYPE, TKG + "RegistryRecord")
        q.iri(rec, TYPE, PROV + "Entity")
        q.iri(rec, TKG + "describes", self.t)
        q.iri(rec, TKG + "registry", TKG + tr.registry)
        q.text(rec, TKG + "sourceRecordId", tr.record_id)
        q.text(rec, TKG + "recordFormat", tr.record_format)
        q.text(rec, TKG + "sourceFile", tr.source_file)
        if tr.url:
            q.typed(rec, TKG + "landingPage", tr.url, XSD + "anyURI")
        if tr.version_date:
            q.typed(rec, TKG + "versionDate", tr.version_date, date_datatype(tr.version_date))
        if tr.export_date:
            q.typed(rec, TKG + "exportDate", tr.export_date, date_datatype(tr.export_date))
        if self.retrieved:
            q.typed(rec, PROV + "generatedAtTime", self.retrieved, XSD + "dateTime")
        q.text(rec, TKG + "mappedBy", f"trialkg {__version__}")
        for n, issue in enumerate(tr.issues, 1):
            node = f"{rec}/issue/{n}"
            q.iri(rec, TKG + "hasIssue", node)
            q.iri(node, TYPE, TKG + "RecordIssue")
            q.text(node, TKG + "field", issue.field)
            q.text(node, TKG + "message", issue.message)
            q.text(node, TKG + "value", issue.value)

    def organisations(self) -> None:
        n = 0
        for org in self.trial.organisations:
            node = self.org(org.name)
            n += 1
            self.role(n, org.role, node)
            if org.role == "LeadSponsorRole":
                self.q.iri(self.t, TKG + "leadSponsor", node)
            elif org.role == "CollaboratorRole":
                self.q.iri(self.t, TKG + "collaborator", node)
            self.coded(node, "agencyClass", org.org_class)
        for person in self.trial.people:
            n += 1
            self.role(n, person.role, self.person(person), person.role_text)

    def conditions(self) -> None:
        tr, q, t = self.trial, self.q, self.t
        for n, cond in enumerate(tr.conditions, 1):
            node = f"{t}/condition/{n}"
            q.iri(t, TKG + "conditionMention", node)
            q.iri(node, TYPE, TKG + "ConditionMention")
            q.text(node, LABEL, cond.text)
            q.boolean(node, TKG + "inferred", True if cond.inferred else None)
            for k, g in enumerate(cond.mesh, 1):
                q.iri(node, TKG + "groundedTo", mesh_iri(g.descriptor))
                q.iri(t, TKG + "healthCondition", mesh_iri(g.descriptor))
                self.grounding(node, k, g, cond.text)
        for k, g in enumerate(tr.condition_mesh, 1):
            q.iri(t, TKG + "healthCondition", mesh_iri(g.descriptor))
            self.grounding(f"{t}/conditions", k, g)
        for k, g in enumerate(tr.intervention_mesh, 1):
            q.iri(t, TKG + "interventionDescriptor", mesh_iri(g.descriptor))
            self.grounding(f"{t}/interventions", k, g)
        for g in tr.condition_ancestors:
            q.iri(t, TKG + "healthConditionAncestor", mesh_iri(g.descriptor))
            q.text(mesh_iri(g.descriptor), LABEL, g.label)
        for g in tr.intervention_ancestors:
            q.iri(t, TKG + "interventionAncestor", mesh_iri(g.descriptor))
            q.text(mesh_iri(g.descriptor), LABEL, g.label)
        if tr.condition_mesh:
            q.iri(t, TKG + "conditionIndexing", f"{t}/conditions")
            q.iri(f"{t}/conditions", TYPE, TKG + "RegistryIndexing")
        if tr.intervention_mesh:
            q.iri(t, TKG + "interventionIndexing", f"{t}/interventions")
            q.iri(f"{t}/interventions", TYPE, TKG + "RegistryIndexing")

    def interventions(self) -> None:
        tr, q, t = self.trial, self.q, self.t
        by_name: dict[str, str] = {}
        for n, itv in enumerate(tr.interventions, 1):
            node = f"{t}/intervention/{n}"
            by_name.setdefault(itv.name.casefold(), node)
            if itv.type and itv.type.term:
                by_name.setdefault(f"{itv.type.text}: {itv.name}".casefold(), node)
            q.iri(t, TKG + "intervention", node)
            q.iri(node, TYPE, TKG + "Intervention")
            q.text(node, LABEL, itv.name)
            self.coded(node, "interventionType", itv.type)
            q.text(node, TKG + "description", itv.description)
            for other in itv.other_names:
                q.text(node, TKG + "otherName", other)
            for prop, flag in itv.flags.items():
                q.boolean(node, TKG + prop, flag)
            for prop, text in itv.texts.items():
                q.text(node, TKG + prop, text)
            for k, g in enumerate(itv.mesh, 1):
                q.iri(node, TKG + "groundedTo", mesh_iri(g.descriptor))
                self.grounding(node, k, g, itv.name)
        arms: dict[str, str] = {}
        for n, arm in enumerate(tr.arms, 1):
            node = f"{t}/arm/{n}"
            arms.setdefault(arm.label.casefold(), node)
            q.iri(t, TKG + "arm", node)
            q.iri(node, TYPE, TKG + "Arm")
            q.text(node, LABEL, arm.label)
            self.coded(node, "armType", arm.type)
            q.text(node, TKG + "description", arm.description)
            for name in arm.intervention_names:
                target = by_name.get(name.casefold())
                if target:
                    q.iri(node, TKG + "receives", target)
        for n, itv in enumerate(tr.interventions, 1):
            for label in itv.arm_labels:
                arm_node = arms.get(label.casefold())
                if arm_node:
                    q.iri(arm_node, TKG + "receives", f"{t}/intervention/{n}")

    def outcomes(self) -> None:
        q, t = self.q, self.t
        counters = {"primary": 0, "secondary": 0, "other": 0}
        for out in self.trial.outcomes:
            counters[out.kind] += 1
            node = f"{t}/outcome/{out.kind}/{counters[out.kind]}"
            q.iri(t, TKG + "outcome", node)
            q.iri(node, TYPE, TKG + _OUTCOME_CLASS[out.kind])
            q.text(node, LABEL, out.measure)
            q.text(node, TKG + "description", out.description)
            q.text(node, TKG + "timeFrame", out.time_frame)
            q.boolean(node, TKG + "safetyIssue", out.safety_issue)
            for k, link in enumerate(out.instruments, 1):
                use = f"{node}/instrument/{k}"
                q.iri(node, TKG + "usesInstrument", link.instrument)
                q.iri(node, TKG + "instrumentMention", use)
                q.iri(use, TYPE, TKG + "InstrumentMention")
                q.iri(use, TKG + "instrument", link.instrument)
                q.text(use, TKG + "matchedText", link.matched_text)
            for k, point in enumerate(out.time_points, 1):
                tp = f"{node}/time/{k}"
                q.iri(node, TKG + "timePoint", tp)
                q.iri(tp, TYPE, TKG + "TimePoint")
                q.typed(tp, TKG + "duration", point, XSD + "duration")
                q.typed(tp, TKG + "order", k, XSD + "integer")

    def eligibility(self) -> None:
        el = self.trial.eligibility
        if el is None:
            return
        q, node = self.q, f"{self.t}/eligibility"
        q.iri(self.t, TKG + "eligibility", node)
        q.iri(node, TYPE, TKG + "Eligibility")
        q.text(node, TKG + "criteriaText", el.criteria)
        self.coded(node, "sex", el.sex)
        q.text(node, TKG + "minimumAgeText", el.minimum_age)
        q.text(node, TKG + "maximumAgeText", el.maximum_age)
        if el.minimum_age_duration:
            q.typed(node, TKG + "minimumAge", el.minimum_age_duration, XSD + "duration")
        if el.maximum_age_duration:
            q.typed(node, TKG + "maximumAge", el.maximum_age_duration, XSD + "duration")
        for segment, items in (("inclusion", el.inclusion), ("exclusion", el.exclusion)):
            prop, cls = f"{segment}Criterion", f"{segment.capitalize()}Criterion"
            for c in items:
                crit = f"{node}/{segment}/{c.order}"
                q.iri(node, TKG + prop, crit)
                q.iri(crit, TYPE, TKG + cls)
                q.text(crit, TKG + "criterionText", c.text)
                q.typed(crit, TKG + "order", c.order, XSD + "integer")
                if c.ambiguous_relation:
                    q.boolean(crit, TKG + "ambiguousRelation", True)
        q.boolean(node, TKG + "healthyVolunteers", el.healthy_volunteers)
        for age in el.std_ages:
            self.coded(node, "ageGroup", age)
        q.boolean(node, TKG + "genderBased", el.gender_based)
        q.text(node, TKG + "genderDescription", el.gender_description)
        self.coded(node, "samplingMethod", el.sampling_method)
        q.text(node, TKG + "studyPopulation", el.study_population)

    def locations(self) -> None:
        q, t = self.q, self.t
        for n, loc in enumerate(self.trial.locations, 1):
            node = f"{t}/location/{n}"
            q.iri(t, TKG + "location", node)
            q.iri(node, TYPE, TKG + "Location")
            q.text(node, LABEL, ", ".join(x for x in (loc.facility, loc.city, loc.country) if x))
            q.text(node, TKG + "facility", loc.facility)
            q.text(node, TKG + "city", loc.city)
            q.text(node, TKG + "state", loc.state)
            q.text(node, TKG + "postalCode", loc.zip)
            q.text(node, TKG + "country", loc.country)
            self.coded(node, "recruitmentStatus", loc.status)
            if loc.lat is not None and loc.lon is not None:
                q.typed(node, TKG + "latitude", loc.lat, XSD + "decimal")
                q.typed(node, TKG + "longitude", loc.lon, XSD + "decimal")
            for k, contact in enumerate(loc.contacts, 1):
                self.role(k, contact.role, self.person(contact), contact.role_text, scope=node)

    def references(self) -> None:
        q, t = self.q, self.t
        for n, ref in enumerate(self.trial.references, 1):
            node = f"{t}/reference/{n}"
            q.iri(t, TKG + "reference", node)
            q.iri(node, TYPE, TKG + "Reference")
            q.text(node, TKG + "citation", ref.citation)
            q.text(node, TKG + "referenceTypeText", ref.type)
            if ref.pmid:
                q.text(node, TKG + "pmid", ref.pmid)
                q.iri(node, TKG + "pubmed", f"https://pubmed.ncbi.nlm.nih.gov/{safe(ref.pmid)}/")
            if ref.url:
                q.typed(node, TKG + "url", ref.url, XSD + "anyURI")

    def related(self) -> None:
        """Trials the record points to: a link to the trial, and what this record says of it on a node of its own.

        The record's view of another trial (its status and phase as listed here) may be older than that trial's
        own record, so it is kept apart instead of being stated about the trial itself.
        """
        q, t = self.q, self.t
        for n, rel in enumerate(self.trial.related, 1):
            other = trial_iri(rel.trial_id, self.base)
            node = f"{t}/related/{n}"
            q.iri(t, TKG + "relatedTrial", other)
            q.iri(t, TKG + "relatedTrialMention", node)
            q.iri(node, TYPE, TKG + "RelatedTrialMention")
            q.iri(node, TKG + "mentionedTrial", other)
            q.text(node, DCTERMS + "identifier", rel.trial_id)
            q.text(node, LABEL, rel.title)
            self.coded(node, "overallStatus", rel.status)
            for phase in rel.phases:
                self.coded(node, "phase", phase)

    def results(self) -> None:
        res = self.trial.results
        if res is None:
            return
        q, node = self.q, f"{self.t}/results"
        q.iri(self.t, TKG + "results", node)
        q.iri(node, TYPE, TKG + "ResultsSummary")
        if res.started:
            q.typed(node, TKG + "participantsStarted", sum(res.started.values()), XSD + "integer")
        if res.completed:
            q.typed(node, TKG + "participantsCompleted", sum(res.completed.values()), XSD + "integer")
        if res.serious_adverse_events is not None:
            q.typed(node, TKG + "seriousAdverseEventCount", res.serious_adverse_events, XSD + "integer")
        if res.other_adverse_events is not None:
            q.typed(node, TKG + "otherAdverseEventCount", res.other_adverse_events, XSD + "integer")
        for prop, text in res.texts.items():
            q.text(node, TKG + prop, text)
        if res.contact is not None:
            self.role(1, "ResultsContactRole", self.person(res.contact), res.contact.role_text, scope=node)
        for n, g in enumerate(res.result_groups, 1):
            gn = f"{node}/group/{n}"
            q.iri(node, TKG + "resultGroup", gn)
            q.iri(gn, TYPE, TKG + "ResultGroup")
            q.text(gn, LABEL, g.title)
            q.text(gn, TKG + "groupId", g.group_id)
            q.text(gn, TKG + "resultSection", g.section)
            q.text(gn, TKG + "description", g.description)
        for n, period in enumerate(res.periods, 1):
            p = f"{node}/period/{n}"
            q.iri(node, TKG + "flowPeriod", p)
            q.iri(p, TYPE, TKG + "FlowPeriod")
            q.text(p, LABEL, period.title)
            for prop, counts in (("milestoneCount", period.milestones), ("withdrawalCount", period.withdrawals)):
                for k, c in enumerate(counts, 1):
                    cn = f"{p}/{prop}/{k}"
                    q.iri(p, TKG + prop, cn)
                    q.iri(cn, TYPE, TKG + "ParticipantCount")
                    q.text(cn, LABEL, c.label)
                    q.text(cn, TKG + "group", c.group)
                    if c.count is not None:
                        q.typed(cn, TKG + "count", c.count, XSD + "integer")
                    q.text(cn, TKG + "note", c.note)
        self.analyzed(node, res.baseline_analyzed)
        for n, b in enumerate(res.baseline, 1):
            bn = f"{node}/baseline/{n}"
            q.iri(node, TKG + "baselineMeasure", bn)
            q.iri(bn, TYPE, TKG + "BaselineMeasure")
            q.text(bn, LABEL, b.title)
            q.text(bn, TKG + "description", b.description)
            q.text(bn, TKG + "unit", b.unit)
            q.text(bn, TKG + "paramType", b.param_type)
            q.text(bn, TKG + "dispersionType", b.dispersion)
            q.text(bn, TKG + "population", b.population)
            self.values(bn, b.values)
            self.analyzed(bn, b.analyzed)
        for n, out in enumerate(res.outcomes, 1):
            o = f"{node}/outcome/{n}"
            q.iri(node, TKG + "outcomeResult", o)
            q.iri(o, TYPE, TKG + "OutcomeResult")
            q.text(o, LABEL, out.title)
            q.text(o, TKG + "outcomeTypeText", out.kind)
            q.text(o, TKG + "unit", out.unit)
            q.text(o, TKG + "paramType", out.param_type)
            q.text(o, TKG + "timeFrame", out.time_frame)
            q.text(o, TKG + "description", out.description)
            q.text(o, TKG + "population", out.population)
            q.text(o, TKG + "dispersionType", out.dispersion)
            q.text(o, TKG + "unitsAnalyzed", out.units_analyzed)
            q.text(o, TKG + "postingDate", out.posting_date)
            q.text(o, TKG + "reportingStatus", out.reporting_status)
            q.boolean(o, TKG + "safetyIssue", out.safety_issue)
            self.values(o, out.values)
            self.analyzed(o, out.analyzed)
            for k, a in enumerate(out.analyses, 1):
                an = f"{o}/analysis/{k}"
                q.iri(o, TKG + "statisticalAnalysis", an)
                q.iri(an, TYPE, TKG + "StatisticalAnalysis")
                for group in a.groups:
                    q.text(an, TKG + "comparedGroup", group)
                for prop, value in a.values.items():
                    q.text(an, TKG + prop, value)
        for n, ae in enumerate(res.adverse_events, 1):
            e = f"{node}/event/{n}"
            q.iri(node, TKG + "adverseEvent", e)
            q.iri(e, TYPE, TKG + "AdverseEvent")
            q.text(e, TKG + "term", ae.term)
            q.text(e, TKG + "organSystem", ae.organ_system)
            q.boolean(e, TKG + "serious", ae.serious)
            q.boolean(e, TKG + "totalRow", True if ae.total else None)
            q.text(e, TKG + "adverseEventVocabulary", ae.vocabulary)
            q.text(e, TKG + "assessmentType", ae.assessment)
            q.text(e, TKG + "description", ae.description)
            for k, c in enumerate(ae.counts, 1):
                cn = f"{e}/count/{k}"
                q.iri(e, TKG + "eventCount", cn)
                q.iri(cn, TYPE, TKG + "AdverseEventCount")
                q.text(cn, TKG + "group", c.group)
                for prop, number in (("numAffected", c.affected), ("numAtRisk", c.at_risk), ("numEvents", c.events)):
                    if number is not None:
                        q.typed(cn, TKG + prop, number, XSD + "integer")

    def values(self, s: str, values: list[ResultValue]) -> None:
        q = self.q
        for k, v in enumerate(values, 1):
            m = f"{s}/value/{k}"
            q.iri(s, TKG + "measurement", m)
            q.iri(m, TYPE, TKG + "Measurement")
            q.text(m, TKG + "group", v.group)
            if _NUMBER.match(v.value):
                q.typed(m, TKG + "value", v.value, XSD + "decimal")
            else:
                q.text(m, TKG + "valueText", v.value)
            q.text(m, TKG + "spread", v.spread)
            q.text(m, TKG + "note", v.note)

    def analyzed(self, s: str, counts: list[AnalyzedCount]) -> None:
        q = self.q
        for k, c in enumerate(counts, 1):
            node = f"{s}/analyzed/{k}"
            q.iri(s, TKG + "analyzedCount", node)
            q.iri(node, TYPE, TKG + "AnalyzedCount")
            q.text(node, TKG + "group", c.group)
            if c.count.isdigit():
                q.typed(node, TKG + "count", c.count, XSD + "integer")
            else:
                q.text(node, TKG + "countText", c.count)
            q.text(node, TKG + "unitsAnalyzed", c.units)
            q.text(node, TKG + "scope", c.scope)


_OUTCOME_CLASS = {"primary": "PrimaryOutcome", "secondary": "SecondaryOutcome", "other": "OtherOutcome"}
_METHODS = {"registry": "AssignedByRegistry", "exact": "ExactLabelMatch", "synonym": "SynonymMatch",
            "normalised": "NormalisedMatch", "inferred": "InferredFromText"}


def map_trial(trial: Trial, base: str = DEFAULT_BASE, retrieved: str = "") -> Quads:
    """The N-Quads of one source record, in the record's own named graph."""
    return _Mapper(trial, base, retrieved).run()
