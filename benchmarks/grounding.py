"""Benchmark MeSH grounding against NLM's own indexing of ClinicalTrials.gov records.

For each record of ``ctgov_v2`` the condition texts (``conditionsModule.conditions``
and, with ``--keywords``, its keywords) are grounded without looking at
``derivedSection``; NLM's ``conditionBrowseModule.meshes`` is the gold standard.
Precision and recall are micro-averaged over (record, descriptor) pairs, on the
held-out half (odd positions in NCT-id order) that ``learn_synonyms.py`` never
learned from, and for comparison on the learning half and with exact labels only.
Also prints the time-point parse rate, the instrument link count and link_trial throughput.

    python benchmarks/grounding.py [--corpus ../shared/corpus/ctgov_v2] [--instruments FILE]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.link import instruments, link_trial, timepoints  # noqa: E402
from kg.link.mesh import Matcher, matcher, shipped_vocabulary  # noqa: E402
from kg.mesh import normalise_id  # noqa: E402
from kg.readers.ctgov_json import read_study  # noqa: E402

OUTCOME_KINDS = ("primaryOutcomes", "secondaryOutcomes", "otherOutcomes")

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "ctgov_v2"


def load(corpus: Path) -> list[dict]:
    """The records of the corpus in NCT-id order, each as the parsed study."""
    return [orjson.loads(p.read_bytes()) for p in sorted(corpus.glob("NCT*.json"))]


def halves(studies: list[dict]) -> tuple[list[dict], list[dict]]:
    """(learning half, held-out half): even and odd positions in NCT-id order."""
    return studies[0::2], studies[1::2]


def texts(study: dict, keywords: bool) -> list[str]:
    """The condition texts of a record (and its keywords)."""
    cm = study["protocolSection"].get("conditionsModule") or {}
    return list(cm.get("conditions") or ()) + (list(cm.get("keywords") or ()) if keywords else [])


def gold(study: dict) -> set[str]:
    """NLM's condition descriptors for a record, in canonical id form."""
    meshes = ((study.get("derivedSection") or {}).get("conditionBrowseModule") or {}).get("meshes") or ()
    return {d for d in (normalise_id(m.get("id", "")) for m in meshes) if d}


def predict(m: Matcher, study: dict, keywords: bool) -> set[str]:
    """The descriptors grounded from a record's condition texts (and, known conditions only, its keywords)."""
    found = {g.descriptor for t in texts(study, False) for g in m.ground(t, strict=True)}
    if keywords:
        cm = study["protocolSection"].get("conditionsModule") or {}
        found |= {g.descriptor for t in cm.get("keywords") or () for g in m.ground(t, strict=True)}
    return found


def score(m: Matcher, studies: list[dict], keywords: bool) -> tuple[float, float, int, int, int]:
    """(precision, recall, true positives, predicted, gold), micro-averaged."""
    tp = pred = gld = 0
    for study in studies:
        p, g = predict(m, study, keywords), gold(study)
        tp += len(p & g)
        pred += len(p)
        gld += len(g)
    return tp / max(pred, 1), tp / max(gld, 1), tp, pred, gld


def exact_only(labels: dict[str, str]):
    """A predictor that grounds a condition only when it equals a preferred label (the baseline)."""
    folded = {lab.casefold(): ui for ui, lab in labels.items()}
    return lambda study: {folded[t.casefold()] for t in texts(study, False) if t.casefold() in folded}


def outcomes(studies: list[dict]) -> list[dict]:
    """Every outcome measure of the records."""
    return [o for s in studies for kind in OUTCOME_KINDS
            for o in (s["protocolSection"].get("outcomesModule") or {}).get(kind) or ()]


def report_time_points(studies: list[dict]) -> None:
    frames = [o["timeFrame"] for o in outcomes(studies) if o.get("timeFrame")]
    unparsed = [f for f in frames if not timepoints.parse(f)]
    print(f"time frames parsed into >= 1 time point: {len(frames) - len(unparsed)} of {len(frames)} "
          f"({1 - len(unparsed) / len(frames):.1%})")


def report_instruments(studies: list[dict], catalogue_file: Path | None) -> None:
    cat = instruments.catalogue(catalogue_file)
    outs = outcomes(studies)
    linked = sum(bool(instruments.link_outcome(o.get("measure", ""), o.get("description", ""), cat)) for o in outs)
    print(f"outcomes linked to >= 1 instrument: {linked} of {len(outs)} "
          f"(catalogue {catalogue_file or instruments.catalogue_path()}: {len(cat.labels)} instruments)")


def report_throughput(corpus: Path, catalogue_file: Path | None) -> None:
    import os

    if catalogue_file:
        os.environ[instruments.INSTRUMENTS_ENV] = str(catalogue_file)
    datas = [p.read_bytes() for p in sorted(corpus.glob("NCT*.json"))]
    link_trial(read_study(orjson.loads(datas[0])))  # compile the matchers once
    best = float("inf")
    for _ in range(3):
        trials = [read_study(orjson.loads(d)) for d in datas]
        start = time.process_time()
        for trial in trials:
            link_trial(trial)
        best = min(best, time.process_time() - start)
    print(f"link_trial throughput: {len(datas) / best:,.0f} records/s ({len(datas)} records, CPU time, best of 3)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--instruments", type=Path, default=None,
                        help="instrument catalogue (default: ontology/instruments.ttl, or the test catalogue "
                             "tests/fixtures/instruments.ttl while that is absent)")
    args = parser.parse_args()
    if args.instruments is None and not instruments.catalogue_path().is_file():
        args.instruments = ROOT / "tests" / "fixtures" / "instruments.ttl"
    studies = load(args.corpus)
    learn, held = halves(studies)
    print(f"records: {len(studies)} ({len(learn)} learning half, {len(held)} held-out half)")

    base = exact_only(shipped_vocabulary().labels)
    tp = pred = gld = 0
    for s in held:
        p, g = base(s), gold(s)
        tp, pred, gld = tp + len(p & g), pred + len(p), gld + len(g)
    print(f"exact preferred label only, held-out: P {tp / max(pred, 1):.3f}  R {tp / max(gld, 1):.3f}")
    plain = Matcher(shipped_vocabulary(), learned=[], stop=set(), implied={}, nested_ok=set())
    full = matcher()
    for name, m in (("hand tables, no learned tables", plain), ("shipped tables incl. learned", full)):
        for kw in (False, True):
            for half, rows in (("held-out", held), ("learning", learn)):
                p, r, t, n, g = score(m, rows, kw)
                print(f"{name}, conditions{' + keywords' if kw else ''}, {half}: P {p:.3f}  R {r:.3f}  "
                      f"(tp {t}, predicted {n}, gold {g})")
    report_time_points(studies)
    report_instruments(studies, args.instruments)
    report_throughput(args.corpus, args.instruments)


if __name__ == "__main__":
    main()
