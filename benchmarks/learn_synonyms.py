"""Learn MeSH synonym tables from the learning half of the ctgov_v2 corpus.

Only records at even positions in NCT-id order are read (``grounding.py``
measures on the odd ones).  The legacy-XML records of ``ctgov_xml`` (their
``condition_browse`` and ``intervention_browse`` terms; any trial also in
``ctgov_v2`` left out) add to the kinds, nested and stop tables, not to the
synonyms and implied pairs: NLM's older indexing there has quirks ("Hepatitis C,
Chronic" -> Hepatitis A) not worth copying.  Tables written to ``mappings/mesh/``:

* ``learned-synonyms.tsv`` text -> descriptor: NLM's ``asFound`` phrases that
  occur in a record's condition texts, and whole condition texts (seen at least
  twice, in records listing at most two) whose record NLM indexed with a
  descriptor the matcher does not yet find; kept when the pair holds in at
  least ``syn_ratio`` of the records having the text;
* ``learned-implied.tsv`` descriptor -> descriptor NLM lists along with it
  (Low Back Pain -> Back Pain), kept at a ratio of at least ``implied_ratio``;
* ``learned-nested.tsv`` descriptors NLM lists (in ``nested_ratio`` of cases) when their phrase lies
  inside a longer match (Hernia for "Herniation" in "Lumbar Disc Herniation");
* ``learned-kinds.tsv`` descriptors NLM indexed as conditions or interventions;
* ``learned-stop.tsv`` descriptors that, found inside a longer condition text,
  were mostly not NLM's (Prostatectomy in "Erectile Dysfunction After Prostatectomy");
* ``learned-reject.tsv`` descriptors that, however found, NLM listed in fewer
  than ``reject_ratio`` of the records they were found in (it named a more
  specific descriptor instead);
* ``learned-params.tsv`` the thresholds used, chosen by inner cross-validation.

The thresholds (ratios of the tables above, and a minimum score) are chosen
without the held-out half: the learning half is split in two by position, tables
learned on one fold are measured on the other and the other way round, and of the
settings in :data:`GRID` the one with the highest pooled recall at a precision of
at least :data:`CV_PRECISION` is taken.  The tables are then learned on the whole
learning half with it.

    python benchmarks/learn_synonyms.py [--corpus ../shared/corpus/ctgov_v2]
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from grounding import DEFAULT_CORPUS, gold, halves, load, predict, texts

from kg.link.mesh import Matcher, shipped_vocabulary
from kg.link.text import key
from kg.mesh import normalise_id
from kg.resources import read_tsv, resource

MIN_RATIO = 0.5
#: how often NLM must list a descriptor along with another, or when nested in a longer match, to be learned
IMPLIED_RATIO = 0.9
NESTED_RATIO = 0.5
MAX_CONDITIONS = 2


def load_xml(folder: Path, exclude: set[str]) -> list[dict]:
    """Legacy CT.gov XML records as the parts of a v2 study the learners read (no ``asFound`` there)."""
    from defusedxml.ElementTree import parse

    by_label = {lab: ui for ui, lab in shipped_vocabulary().labels.items()}
    studies = []
    for path in sorted(folder.glob("NCT*.xml")):
        if path.stem in exclude:
            continue
        root = parse(str(path)).getroot()
        if root.find("condition_browse") is None:
            continue

        def browse(tag: str) -> dict:
            return {"meshes": [{"id": by_label[e.text], "term": e.text} for e in root.iterfind(f"{tag}/mesh_term")
                               if e.text in by_label]}
        studies.append({
            "protocolSection": {"conditionsModule": {"conditions": [e.text for e in root.iterfind("condition")],
                                                     "keywords": [e.text for e in root.iterfind("keyword")]}},
            "derivedSection": {"conditionBrowseModule": browse("condition_browse"),
                               "interventionBrowseModule": browse("intervention_browse")},
        })
    return studies


def learn_synonyms(m: Matcher, studies: list[dict], params: Params) -> list[tuple[str, str, int]]:
    """(text, descriptor, support) pairs from asFound phrases and whole condition texts."""
    by_label = {lab: ui for ui, lab in m.labels.items()}
    support: Counter = Counter()
    seen: Counter = Counter()
    shown: dict[tuple[str, ...], str] = {}
    nlm: set[tuple[tuple[str, ...], str]] = set()  # pairs NLM itself reported (asFound)
    for study in studies:
        g = gold(study)
        conds = texts(study, False)
        cond_keys = [key(c) for c in conds]
        joined = " | ".join(" ".join(k) for k in cond_keys)
        predicted = predict(m, study, False)
        leaves = ((study.get("derivedSection") or {}).get("conditionBrowseModule") or {}).get("browseLeaves") or ()
        candidates: set[tuple[tuple[str, ...], str]] = set()
        for leaf in leaves:
            ui, found = by_label.get(leaf.get("name", "")), leaf.get("asFound")
            if ui in g and found and key(found) and f" {' '.join(key(found))} " in f" {joined} ":
                candidates.add((key(found), ui))
                nlm.add((key(found), ui))
                shown.setdefault(key(found), found)
        for k, c in zip(cond_keys, conds):
            shown.setdefault(k, c)
            if len(conds) <= MAX_CONDITIONS:  # in a long list, which text NLM read a descriptor from is anyone's guess
                for ui in g - predicted:
                    candidates.add((k, ui))
        for k in {k for k, _ in candidates} | set(cond_keys):
            seen[k] += 1
        for pair in candidates:
            support[pair] += 1
    out = []
    for (k, ui), n in support.items():
        need = params.asfound_support if (k, ui) in nlm else params.syn_support
        if n >= need and n / seen[k] >= params.syn_ratio and m.table.get(k, (None, ()))[1] != (ui,):
            out.append((shown[k], ui, n))
    return sorted(out, key=lambda r: (r[0].casefold(), r[1]))


def learn_implied(m: Matcher, studies: list[dict], params: Params) -> list[tuple[str, str, int, float]]:
    """(descriptor, descriptor listed along with it, support, ratio)."""
    correct: Counter = Counter()
    along: Counter = Counter()
    for study in studies:
        g, p = gold(study), predict(m, study, False)
        for x in p & g:
            correct[x] += 1
            for y in g - p:
                along[x, y] += 1
    return sorted((x, y, n, n / correct[x]) for (x, y), n in along.items()
                  if n >= 2 and n / correct[x] >= params.implied_ratio)


def learn_nested(m: Matcher, studies: list[dict], params: Params) -> list[tuple[str, int, int]]:
    """(descriptor, right, wrong) for descriptors that NLM mostly lists when found inside a longer match."""
    right: Counter = Counter()
    wrong: Counter = Counter()
    for study in studies:
        g = gold(study)
        nested = {ui for t in texts(study, False) for match in m.matches(t, nested=True) if match.nested
                  for ui in match.descriptors}
        for ui in nested:
            (right if ui in g else wrong)[ui] += 1
    return sorted((ui, n, wrong[ui]) for ui, n in right.items()
                  if n >= params.nested_support and n / (n + wrong[ui]) >= params.nested_ratio)


def learn_stop(m: Matcher, studies: list[dict], params: Params) -> list[tuple[str, int, int]]:
    """(descriptor, right, wrong) for descriptors found inside longer texts that were mostly not NLM's."""
    right: Counter = Counter()
    wrong: Counter = Counter()
    for study in studies:
        g = gold(study)
        partial = set()
        for t in texts(study, False):
            for match in m.matches(t, nested=True):
                if match.partial and not match.nested:
                    partial.update(match.descriptors)
        for ui in partial:
            (right if ui in g else wrong)[ui] += 1
    return sorted((ui, right[ui], w) for ui, w in wrong.items()
                  if w >= params.stop_support and right[ui] / (right[ui] + w) < params.stop_ratio)


def learn_reject(m: Matcher, studies: list[dict], params: Params) -> list[tuple[str, int, int]]:
    """(descriptor, right, wrong) for descriptors that, however found, were NLM's in too few of their records."""
    right: Counter = Counter()
    wrong: Counter = Counter()
    for study in studies:
        g = gold(study)
        for ui in predict(m, study, False):
            (right if ui in g else wrong)[ui] += 1
    return sorted((ui, right[ui], w) for ui, w in wrong.items()
                  if w >= params.reject_support and right[ui] / (right[ui] + w) < params.reject_ratio)


def learn_kinds(studies: list[dict]) -> dict[str, str]:
    """Descriptor -> ``condition`` (in NLM's condition indexing, or an ancestor there) or ``intervention`` (only
    ever in its intervention indexing)."""
    kinds: dict[str, str] = {}
    for study in studies:
        derived = study.get("derivedSection") or {}
        for module, kind in (("interventionBrowseModule", "intervention"), ("conditionBrowseModule", "condition")):
            browse = derived.get(module) or {}
            for item in (browse.get("meshes") or []) + (browse.get("ancestors") or []):
                ui = normalise_id(item.get("id", ""))
                if ui and kinds.get(ui) != "condition":
                    kinds[ui] = kind
    return kinds


@dataclass(frozen=True)
class Params:
    """Thresholds of the learners, chosen by cross-validation inside the learning half (``grounding.py --cv``)."""

    syn_ratio: float = MIN_RATIO  #: share of the records having a text in which the pair holds
    syn_support: int = 2  #: records supporting a pair (NLM's own asFound pairs: ``asfound_support``)
    asfound_support: int = 1
    implied_ratio: float = IMPLIED_RATIO
    nested_ratio: float = NESTED_RATIO
    nested_support: int = 1  #: records in which NLM listed the nested descriptor
    stop_ratio: float = 0.4  #: a descriptor inside a longer text right less often than this is stopped
    stop_support: int = 2  #: records in which it was wrong
    reject_ratio: float = 0.0  #: a descriptor found and NLM's in fewer of its records than this is rejected
    reject_support: int = 1  #: records in which it was found and not NLM's
    min_score: float = 0.0  #: groundings scoring less count as low-confidence and are not emitted


#: the settings tried by inner cross-validation; each a change from the defaults of :class:`Params`
GRID = {"stop_ratio": (0.4, 0.7), "nested_ratio": (0.5, 0.6), "reject_ratio": (0.0, 0.5), "syn_ratio": (0.5, 0.7),
        "min_score": (0.0, 0.5, 0.55)}
#: the precision the choice must reach in inner cross-validation: the target 0.90 and a margin for its noise
CV_PRECISION = 0.905


@dataclass
class Tables:
    """The learned tables: rows as written to ``mappings/mesh/``."""

    synonyms: list[tuple[str, str, int]]
    implied: list[tuple[str, str, int, float]]
    nested: list[tuple[str, int, int]]
    stop: list[tuple[str, int, int]]
    kinds: dict[str, str]
    reject: list[tuple[str, int, int]]

    def matcher(self, vocab) -> Matcher:
        """A matcher with these tables instead of the shipped ones."""
        imp: dict[str, list[str]] = defaultdict(list)
        for x, y, *_ in self.implied:
            imp[x].append(y)
        return Matcher(vocab, learned=[(t, ui) for t, ui, _ in self.synonyms], stop={ui for ui, *_ in self.stop},
                       implied=dict(imp), nested_ok={ui for ui, *_ in self.nested}, kinds=self.kinds,
                       reject={ui for ui, *_ in self.reject})


def learn(modern: list[dict], extra: list[dict], params: Params = Params(), vocab=None) -> Tables:
    """Learn every table from ``modern`` v2 records (and, for kinds, nested and stop, ``extra`` legacy ones)."""
    vocab = vocab or shipped_vocabulary()
    both = modern + extra
    kinds = {ui: k for ui, k in learn_kinds(both).items() if ui in vocab.labels}
    everything = set(vocab.labels)
    base = Matcher(vocab, learned=[], stop=set(), implied={}, nested_ok=everything, kinds=kinds, reject=set())
    synonyms = learn_synonyms(base, modern, params)
    pairs = [(t, ui) for t, ui, _ in synonyms]
    nested = learn_nested(Matcher(vocab, learned=pairs, stop=set(), implied={}, nested_ok=everything, kinds=kinds,
                                  reject=set()), both, params)
    nested_ok = {ui for ui, *_ in nested}
    with_syn = Matcher(vocab, learned=pairs, stop=set(), implied={}, nested_ok=nested_ok, kinds=kinds, reject=set())
    implied = learn_implied(with_syn, modern, params)
    imp: dict[str, list[str]] = defaultdict(list)
    for x, y, *_ in implied:
        imp[x].append(y)
    with_imp = Matcher(vocab, learned=pairs, stop=set(), implied=dict(imp), nested_ok=nested_ok, kinds=kinds,
                       reject=set())
    stop = learn_stop(with_imp, both, params)
    stopped = Matcher(vocab, learned=pairs, stop={ui for ui, *_ in stop}, implied=dict(imp), nested_ok=nested_ok,
                      kinds=kinds, reject=set())
    reject = learn_reject(stopped, modern, params)
    return Tables(synonyms, implied, nested, stop, kinds, reject)


def write(name: str, header: str, rows) -> None:
    with open(resource("mappings", "mesh", name), "w", encoding="utf-8") as handle:
        handle.write(header + "\n")
        for row in rows:
            handle.write("\t".join(str(x) for x in row) + "\n")


def write_tables(t: Tables, labels: dict[str, str]) -> None:
    """Write the learned tables to ``mappings/mesh/``."""
    write("learned-kinds.tsv", "# descriptor -> condition | intervention (label), as NLM indexed them in the learning "
          "half; learned by benchmarks/learn_synonyms.py", ((ui, t.kinds[ui], labels[ui]) for ui in sorted(t.kinds)))
    write("learned-synonyms.tsv", "# text -> MeSH descriptor (label, support in the learning half); "
          "learned by benchmarks/learn_synonyms.py", ((x, ui, labels[ui], n) for x, ui, n in t.synonyms))
    write("learned-implied.tsv", "# descriptor -> descriptor NLM lists along with it (labels, support, ratio); "
          "learned by benchmarks/learn_synonyms.py",
          ((x, y, labels[x], labels[y], n, f"{r:.2f}") for x, y, n, r in t.implied))
    write("learned-nested.tsv", "# descriptor grounded from a phrase inside a longer match (label, right, wrong); "
          "learned by benchmarks/learn_synonyms.py", ((ui, labels[ui], r, w) for ui, r, w in t.nested))
    write("learned-reject.tsv", "# descriptor found but mostly not NLM's, never grounded (label, right, wrong); "
          "learned by benchmarks/learn_synonyms.py", ((ui, labels[ui], r, w) for ui, r, w in t.reject))
    write("learned-stop.tsv", "# descriptor not grounded from a phrase inside a longer text (label, right, wrong); "
          "learned by benchmarks/learn_synonyms.py", ((ui, labels[ui], r, w) for ui, r, w in t.stop))


def learning_records(corpus: Path, xml: Path) -> tuple[list[dict], list[dict]]:
    """(learning half of the v2 corpus, legacy XML records of trials not in it)."""
    studies = load(corpus)
    modern, _ = halves(studies)
    extra = load_xml(xml, {s["protocolSection"]["identificationModule"]["nctId"] for s in studies}) \
        if xml.is_dir() else []
    return modern, extra


def folds(modern: list[dict]) -> tuple[list[dict], list[dict]]:
    """The learning half split in two by position, for inner cross-validation."""
    return modern[0::2], modern[1::2]


def cross_validate(modern: list[dict], extra: list[dict], params: Params, vocab=None) -> tuple[float, float, int,
                                                                                                int, int]:
    """(precision, recall, tp, predicted, gold) pooled over both inner folds: learn on one, measure the other."""
    vocab = vocab or shipped_vocabulary()
    tp = pred = gld = 0
    a, b = folds(modern)
    for teach, test in ((a, b), (b, a)):
        m = learn(teach, extra, params, vocab).matcher(vocab)
        for study in test:
            p, g = predict(m, study, False, params.min_score), gold(study)
            tp, pred, gld = tp + len(p & g), pred + len(p), gld + len(g)
    return tp / max(pred, 1), tp / max(gld, 1), tp, pred, gld


def grid() -> list[Params]:
    """Every combination of the settings in :data:`GRID`."""
    from itertools import product

    names = list(GRID)
    return [Params(**dict(zip(names, values))) for values in product(*GRID.values())]


def choose(modern: list[dict], extra: list[dict], report=None) -> tuple[Params, tuple]:
    """The settings with the highest inner-CV recall among those reaching :data:`CV_PRECISION` (else the most
    precise), and their inner-CV figures.  ``report(params, figures)`` sees every setting tried."""
    vocab = shipped_vocabulary()
    results = []
    for params in grid():
        figures = cross_validate(modern, extra, params, vocab)
        if report:
            report(params, figures)
        results.append((params, figures))
    good = [r for r in results if r[1][0] >= CV_PRECISION]
    return max(good, key=lambda r: (r[1][1], r[1][0])) if good else max(results, key=lambda r: r[1][0])


def chosen_params() -> Params:
    """The settings last chosen by :func:`choose` (``mappings/mesh/learned-params.tsv``)."""
    types = {f: type(getattr(Params(), f)) for f in Params.__dataclass_fields__}
    return Params(**{name: types[name](value) for name, value, *_ in read_tsv("mappings", "mesh",
                                                                               "learned-params.tsv")})


def describe(params: Params) -> str:
    """The settings that differ from the defaults of :class:`Params`, as ``name=value``."""
    base = Params()
    return " ".join(f"{f}={getattr(params, f)}" for f in Params.__dataclass_fields__
                    if getattr(params, f) != getattr(base, f)) or "defaults"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--xml", type=Path, default=DEFAULT_CORPUS.parent / "ctgov_xml",
                        help="legacy XML records to learn from as well (trials also in --corpus are left out)")
    args = parser.parse_args()
    modern, extra = learning_records(args.corpus, args.xml)
    vocab = shipped_vocabulary()

    def show(params: Params, f: tuple) -> None:
        print(f"inner CV  P {f[0]:.3f}  R {f[1]:.3f}  (tp {f[2]}, predicted {f[3]}, gold {f[4]})  {describe(params)}")

    params, figures = choose(modern, extra, show)
    print(f"chosen (highest inner-CV recall at precision >= {CV_PRECISION}): {describe(params)}: "
          f"P {figures[0]:.3f}  R {figures[1]:.3f}")
    t = learn(modern, extra, params, vocab)
    write_tables(t, vocab.labels)
    write("learned-params.tsv", "# learner settings chosen by inner cross-validation on the learning half; "
          "written by benchmarks/learn_synonyms.py", ((f, getattr(params, f)) for f in Params.__dataclass_fields__))
    print(f"learned from {len(modern) + len(extra)} records: {len(t.synonyms)} synonyms, {len(t.implied)} implied "
          f"pairs, {len(t.stop)} stop descriptors, {len(t.nested)} nested descriptors, "
          f"{len(t.reject)} rejected descriptors, {len(t.kinds)} descriptor kinds")


if __name__ == "__main__":
    main()
