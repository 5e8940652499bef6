"""The link stage, between read and map: ground a :class:`~kg.model.Trial`'s text in vocabularies.

:func:`link_trial` enriches a trial in place:

* condition texts -> MeSH descriptors that are conditions (``Condition.mesh``),
  with the method and a score; a record listing no condition gets conditions inferred from its titles
  and summary (``Condition(inferred=True)``, method ``inferred``); the registry's
  own MeSH indexing (``Trial.condition_mesh``) is kept as it is;
* intervention names -> MeSH descriptors (``Intervention.mesh``);
* outcome measures -> the instruments of the catalogue they use, and their time
  frames -> time points (xsd:durations);
* eligibility -> minimum and maximum age as durations, criteria split into
  inclusion and exclusion items.

Every matcher is compiled once per process; nothing is rebuilt per record.
"""

from __future__ import annotations

from functools import lru_cache

from ..model import Condition, Grounding, Trial
from . import eligibility, instruments, mesh, timepoints

__all__ = ["link_trial"]


def link_trial(trial: Trial) -> None:
    """Ground the trial's conditions, interventions, outcomes and eligibility, in place."""
    m = mesh.matcher()
    for cond in trial.conditions:
        if not cond.mesh:
            cond.mesh = list(_ground(m, cond.text, True, "condition"))
    if not trial.conditions:
        trial.conditions = infer_conditions(trial, m)
    for itv in trial.interventions:
        if not itv.mesh:
            itv.mesh = list(_ground(m, itv.name, False, "intervention"))
    cat = instruments.catalogue()
    for out in trial.outcomes:
        out.instruments = instruments.link_outcome(out.measure, out.description, cat)
        out.time_points = timepoints.parse(out.time_frame)
    el = trial.eligibility
    if el is not None:
        el.minimum_age_duration = eligibility.age_duration(el.minimum_age)
        maximum = eligibility.age_duration(el.maximum_age)
        # registries write a maximum age of 0 for "no limit"
        el.maximum_age_duration = "" if maximum[1:-1] in ("0", "T0") else maximum
        el.inclusion, el.exclusion = eligibility.split_criteria(el.criteria)


@lru_cache(maxsize=1 << 15)  # registries name the same conditions and interventions over and over
def _ground(m: mesh.Matcher, text: str, strict: bool, kind: str) -> tuple[Grounding, ...]:
    return tuple(m.ground(text, strict=strict, kind=kind))


def infer_conditions(trial: Trial, m: mesh.Matcher | None = None) -> list[Condition]:
    """Conditions named in the titles and summary of a record that lists none (known conditions only)."""
    m = m or mesh.matcher()
    found: dict[str, Condition] = {}
    for text in (trial.brief_title, trial.official_title, trial.brief_summary):
        for phrase, g in m.ground_spans(text, method="inferred", strict=True, expand=False):
            if g.descriptor not in found:
                found[g.descriptor] = Condition(phrase, [g], inferred=True)
    return list(found.values())
