"""The registry-neutral record model.

Every reader turns its input into :class:`Trial` objects; the mapper turns a
:class:`Trial` into triples and never looks at where it came from.  Code values
(statuses, phases, design codes…) are :class:`Coded`: the verbatim registry
value plus the ontology term it maps to (``None`` when the value is unseen).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Coded:
    """A registry code value and the ontology term (local name) it maps to."""

    text: str
    term: str | None = None


@dataclass(slots=True)
class DateValue:
    """A date as the registry gave it, with its precision kept (``2017-01``)."""

    value: str  #: ISO 8601 ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; empty when unparseable
    text: str = ""  #: the verbatim source text
    kind: str | None = None  #: ontology term: ``Actual`` or ``Estimated``


@dataclass(slots=True)
class Identifier:
    """An identifier of the trial in some scheme (NCT, EudraCT, sponsor's own …)."""

    value: str
    scheme: str  #: ontology local name of the identifier class, e.g. ``NCTNumber``
    type_text: str = ""  #: the registry's own label for the kind of identifier
    issuer: str = ""  #: issuing organisation or domain, where given
    link: str = ""


@dataclass(slots=True)
class Grounding:
    """A link from a text mention to a MeSH descriptor, with how it was made."""

    descriptor: str  #: ``D008180``
    label: str = ""
    method: str = "registry"  #: registry | exact | synonym | normalised | inferred
    score: float = 1.0
    source: str = ""  #: where the link came from, e.g. the registry that indexed it
    matched: str = ""  #: the words of the text that named the descriptor, where only part of it did


@dataclass(slots=True)
class Condition:
    """A condition mention and its MeSH groundings."""

    text: str
    mesh: list[Grounding] = field(default_factory=list)
    inferred: bool = False


@dataclass(slots=True)
class Intervention:
    """An intervention of the trial."""

    name: str
    type: Coded | None = None
    description: str = ""
    other_names: list[str] = field(default_factory=list)
    arm_labels: list[str] = field(default_factory=list)
    mesh: list[Grounding] = field(default_factory=list)  #: set by the link stage
    flags: dict[str, bool] = field(default_factory=dict)  #: ontology property local name -> yes/no
    texts: dict[str, str] = field(default_factory=dict)  #: ontology property local name -> text


@dataclass(slots=True)
class Arm:
    """An arm (group) of the trial."""

    label: str
    type: Coded | None = None
    description: str = ""
    intervention_names: list[str] = field(default_factory=list)


@dataclass(slots=True)
class InstrumentLink:
    """An instrument of the catalogue that an outcome measure uses, and the words that named it."""

    instrument: str  #: IRI in the instrument catalogue
    label: str = ""
    matched_text: str = ""


@dataclass(slots=True)
class Outcome:
    """An outcome measure: primary, secondary or other."""

    kind: str  #: primary | secondary | other
    measure: str
    description: str = ""
    time_frame: str = ""
    safety_issue: bool | None = None  #: retired CT.gov flag: the outcome was a safety issue
    instruments: list[InstrumentLink] = field(default_factory=list)  #: set by the link stage
    time_points: list[str] = field(default_factory=list)  #: xsd:durations parsed from the time frame


@dataclass(slots=True)
class Criterion:
    """One inclusion or exclusion criterion, as written."""

    text: str
    order: int
    ambiguous_relation: bool = False  #: a relational sign seems lost in rendering ("LVEF= 50%")


@dataclass(slots=True)
class Eligibility:
    """Who may take part."""

    criteria: str = ""
    sex: Coded | None = None
    minimum_age: str = ""  #: verbatim, e.g. ``18 Years``
    maximum_age: str = ""
    healthy_volunteers: bool | None = None
    std_ages: list[Coded] = field(default_factory=list)
    gender_based: bool | None = None
    gender_description: str = ""
    sampling_method: Coded | None = None
    study_population: str = ""
    minimum_age_duration: str = ""  #: xsd:duration, set by the link stage (``P18Y``)
    maximum_age_duration: str = ""
    inclusion: list[Criterion] = field(default_factory=list)  #: set by the link stage
    exclusion: list[Criterion] = field(default_factory=list)


@dataclass(slots=True)
class Organisation:
    """An organisation in a role for this trial."""

    name: str
    role: str  #: ontology local name of the role, e.g. ``LeadSponsorRole``
    org_class: Coded | None = None


@dataclass(slots=True)
class Person:
    """A person in a role for this trial (official, contact, responsible party)."""

    name: str
    role: str  #: ontology local name of the role
    role_text: str = ""  #: the registry's own words for the role
    affiliation: str = ""
    degree: str = ""
    title: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""


@dataclass(slots=True)
class Location:
    """A site of the trial."""

    facility: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    country: str = ""
    status: Coded | None = None
    lat: float | None = None
    lon: float | None = None
    contacts: list[Person] = field(default_factory=list)


@dataclass(slots=True)
class Reference:
    """A publication or link cited by the record."""

    citation: str = ""
    pmid: str = ""
    type: str = ""
    url: str = ""


@dataclass(slots=True)
class RelatedTrial:
    """Another trial the record points to (e.g. a page's "See also" list)."""

    trial_id: str
    title: str = ""
    status: Coded | None = None
    phases: list[Coded] = field(default_factory=list)


@dataclass(slots=True)
class ResultValue:
    """One reported value of an outcome (or baseline measure) for one group."""

    group: str
    value: str
    spread: str = ""
    note: str = ""  #: the registry's footnote on this value (e.g. why it is missing)


@dataclass(slots=True)
class ResultGroup:
    """A group (arm) as one section of the results names it."""

    group_id: str
    title: str
    section: str  #: participant flow | baseline | outcome <n> | adverse events
    description: str = ""


@dataclass(slots=True)
class AnalyzedCount:
    """How many participants (or other units) one group contributed to a measure."""

    group: str
    count: str
    units: str = ""  #: participants, eyes, lesions …
    scope: str = ""  #: the registry's scope of the count (overall, per measure …)


@dataclass(slots=True)
class BaselineMeasure:
    """A baseline characteristic of the participants, reported per group."""

    title: str
    param_type: str = ""
    dispersion: str = ""
    unit: str = ""
    description: str = ""
    population: str = ""
    values: list[ResultValue] = field(default_factory=list)
    analyzed: list[AnalyzedCount] = field(default_factory=list)


@dataclass(slots=True)
class StatisticalAnalysis:
    """A statistical analysis of an outcome: what was compared and how, as the registry gives it.

    ``values`` holds the analysis fields by ontology property local name
    (``pValue``, ``method``, ``ciLowerLimit`` …), verbatim.
    """

    groups: list[str] = field(default_factory=list)  #: titles of the groups compared
    values: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class EventCount:
    """Participants affected, at risk and events of one adverse event in one group."""

    group: str
    affected: int | None = None
    at_risk: int | None = None
    events: int | None = None


@dataclass(slots=True)
class AdverseEvent:
    """One reported adverse event term with its counts per group."""

    term: str
    organ_system: str = ""
    serious: bool | None = False  #: None for the all-cause mortality row, which is neither
    total: bool = False  #: the registry's row of participants with any such event
    vocabulary: str = ""
    assessment: str = ""
    description: str = ""
    counts: list[EventCount] = field(default_factory=list)


@dataclass(slots=True)
class FlowCount:
    """Participants of one group at one milestone (or leaving for one reason) of a participant-flow period."""

    label: str
    group: str
    count: int | None = None
    note: str = ""


@dataclass(slots=True)
class FlowPeriod:
    """One period of the participant flow: its milestones and the reasons participants left."""

    title: str
    milestones: list[FlowCount] = field(default_factory=list)
    withdrawals: list[FlowCount] = field(default_factory=list)


@dataclass(slots=True)
class OutcomeResult:
    """A reported outcome result: what was measured, in which unit, per group."""

    kind: str
    title: str
    unit: str = ""
    param_type: str = ""
    time_frame: str = ""
    values: list[ResultValue] = field(default_factory=list)
    description: str = ""
    population: str = ""
    dispersion: str = ""
    units_analyzed: str = ""
    posting_date: str = ""
    reporting_status: str = ""  #: whether the result is posted (API v2 ``reportingStatus``)
    safety_issue: bool | None = None
    analyzed: list[AnalyzedCount] = field(default_factory=list)
    analyses: list[StatisticalAnalysis] = field(default_factory=list)


@dataclass(slots=True)
class Results:
    """A summary of posted results."""

    first_posted: DateValue | None = None
    groups: dict[str, str] = field(default_factory=dict)  #: group id -> title
    started: dict[str, int] = field(default_factory=dict)  #: group id -> participants started
    completed: dict[str, int] = field(default_factory=dict)
    outcomes: list[OutcomeResult] = field(default_factory=list)
    serious_adverse_events: int | None = None
    other_adverse_events: int | None = None
    result_groups: list[ResultGroup] = field(default_factory=list)
    baseline: list[BaselineMeasure] = field(default_factory=list)
    baseline_analyzed: list[AnalyzedCount] = field(default_factory=list)
    periods: list[FlowPeriod] = field(default_factory=list)
    adverse_events: list[AdverseEvent] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  #: further text fields: property local name -> text
    contact: Person | None = None  #: the results point of contact


@dataclass(slots=True)
class Document:
    """A study document the record points to (protocol, statistical analysis plan, consent form …)."""

    doc_type: str = ""
    url: str = ""
    doc_id: str = ""
    date: str = ""
    comment: str = ""
    contents: list[str] = field(default_factory=list)  #: what it holds: protocol, SAP, ICF
    type_code: str = ""  #: the registry's short code of the document type (Prot_SAP …)
    uploaded: str = ""  #: when the file was uploaded, verbatim
    size: int | None = None  #: file size in bytes


@dataclass(slots=True)
class Issue:
    """A problem found while reading one field of a record; the rest of the record stands."""

    field: str
    message: str
    value: str = ""
    severity: str = "warning"  #: warning | error


@dataclass(slots=True)
class Trial:
    """One source record of one trial, in registry-neutral form."""

    trial_id: str  #: the primary registry identifier, e.g. ``NCT03458156``
    registry: str  #: ontology local name of the registry, e.g. ``ClinicalTrialsGov``
    record_format: str  #: short name of the source format, e.g. ``ctgov-json``
    record_id: str = ""  #: id of the source record; defaults to ``trial_id``
    source_file: str = ""
    version_date: str = ""  #: the registry's last-update date of this version
    export_date: str = ""  #: when the registry exported this copy of the record, where it says
    url: str = ""
    ids: list[Identifier] = field(default_factory=list)
    brief_title: str = ""
    official_title: str = ""
    acronym: str = ""
    brief_summary: str = ""
    detailed_description: str = ""
    overall_status: Coded | None = None
    last_known_status: Coded | None = None
    why_stopped: str = ""
    study_type: Coded | None = None
    phases: list[Coded] = field(default_factory=list)
    dates: dict[str, DateValue] = field(default_factory=dict)  #: ontology property local name -> date
    enrollment: int | None = None
    enrollment_kind: str | None = None  #: ontology term: Actual | Estimated
    design: dict[str, Coded] = field(default_factory=dict)  #: ontology property local name -> code
    who_masked: list[Coded] = field(default_factory=list)
    design_notes: dict[str, str] = field(default_factory=dict)  #: ontology property local name -> text
    flags: dict[str, bool] = field(default_factory=dict)  #: ontology property local name -> yes/no
    texts: dict[str, str | list[str]] = field(default_factory=dict)  #: further text fields: property local name -> text(s)
    counts: dict[str, int] = field(default_factory=dict)  #: further whole numbers: property local name -> number
    translations: list[tuple[str, str, str]] = field(default_factory=list)  #: (property local name, text, language)
    documents: list[Document] = field(default_factory=list)
    organisations: list[Organisation] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    interventions: list[Intervention] = field(default_factory=list)
    condition_mesh: list[Grounding] = field(default_factory=list)  #: the registry's own indexing of the record
    condition_ancestors: list[Grounding] = field(default_factory=list)  #: broader descriptors of that indexing
    intervention_ancestors: list[Grounding] = field(default_factory=list)
    intervention_mesh: list[Grounding] = field(default_factory=list)
    arms: list[Arm] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    eligibility: Eligibility | None = None
    locations: list[Location] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    related: list[RelatedTrial] = field(default_factory=list)
    ipd_sharing: Coded | None = None
    ipd_info_types: list[Coded] = field(default_factory=list)
    results: Results | None = None
    issues: list[Issue] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.record_id:
            self.record_id = self.trial_id


@dataclass(slots=True)
class RawRecord:
    """One record as found in the input, before or instead of a :class:`Trial`.

    Readers yield these so that a record that cannot be read still reaches the
    quarantine with its bytes and its reason.
    """

    source_file: str
    index: int  #: position of the record in its file (0 for one-record files)
    data: bytes
    record_id: str = ""
    trial: Trial | None = None
    error: str = ""  #: why no trial could be read
    field: str = ""  #: the field the error is about, where known
