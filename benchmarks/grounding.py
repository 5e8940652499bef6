"""Benchmark MeSH grounding against NLM's own indexing of ClinicalTrials.gov records.

For each record of ``ctgov_v2`` the condition texts (``conditionsModule.conditions``
and, with ``--keywords``, its keywords) are grounded without looking at
``derivedSection``; NLM's ``conditionBrowseModule.meshes`` is the gold standard.
Precision and recall are micro-averaged over (record, descriptor) pairs, on the
held-out half (odd positions in NCT-id order) that ``learn_synonyms.py`` never
learned from, and for comparison on the learning half and with exact labels only.
Also prints the time-point parse rate, the instrument link count and link_trial throughput.

    python benchmarks/grounding.py [--corpus ../shared/corpus/ctgov_v2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.link.mesh import Matcher, matcher, shipped_vocabulary  # noqa: E402
from kg.mesh import normalise_id  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
