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
  least half the records having the text;
* ``learned-implied.tsv`` descriptor -> descriptor NLM lists along with it
  (Low Back Pain -> Back Pain), kept at a ratio of at least 0.5;
* ``learned-nested.tsv`` descriptors NLM mostly lists when their phrase lies
  inside a longer match (Hernia for "Herniation" in "Lumbar Disc Herniation");
* ``learned-kinds.tsv`` descriptors NLM indexed as conditions or interventions;
* ``learned-stop.tsv`` descriptors that, found inside a longer condition text,
  were mostly not NLM's (Prostatectomy in "Erectile Dysfunction After Prostatectomy").

    python benchmarks/learn_synonyms.py [--corpus ../shared/corpus/ctgov_v2]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from collections import Counter, defaultdict

from grounding import DEFAULT_CORPUS, gold, halves, load, predict, texts

from kg.link.mesh import Matcher, shipped_vocabulary
from kg.link.text import key
from kg.mesh import normalise_id
from kg.resources import resource

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


def learn_synonyms(m: Matcher, studies: list[dict]) -> list[tuple[str, str, int]]:
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
        if (n >= 2 or (k, ui) in nlm) and n / seen[k] >= MIN_RATIO and m.table.get(k, (None, ()))[1] != (ui,):
            out.append((shown[k], ui, n))
    return sorted(out, key=lambda r: (r[0].casefold(), r[1]))


def learn_implied(m: Matcher, studies: list[dict]) -> list[tuple[str, str, int, float]]:
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
                  if n >= 2 and n / correct[x] >= IMPLIED_RATIO)


def learn_nested(m: Matcher, studies: list[dict]) -> list[tuple[str, int, int]]:
    """(descriptor, right, wrong) for descriptors that NLM mostly lists when found inside a longer match."""
    right: Counter = Counter()
    wrong: Counter = Counter()
    for study in studies:
        g = gold(study)
        nested = {ui for t in texts(study, False) for match in m.matches(t, nested=True) if match.nested
                  for ui in match.descriptors}
        for ui in nested:
            (right if ui in g else wrong)[ui] += 1
    return sorted((ui, n, wrong[ui]) for ui, n in right.items() if n / (n + wrong[ui]) >= NESTED_RATIO)


def learn_stop(m: Matcher, studies: list[dict]) -> list[tuple[str, int, int]]:
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
    return sorted((ui, right[ui], w) for ui, w in wrong.items() if w >= 2 and right[ui] / (right[ui] + w) < 0.4)


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


def write(name: str, header: str, rows) -> None:
    with open(resource("mappings", "mesh", name), "w", encoding="utf-8") as handle:
        handle.write(header + "\n")
        for row in rows:
            handle.write("\t".join(str(x) for x in row) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--xml", type=Path, default=DEFAULT_CORPUS.parent / "ctgov_xml",
                        help="legacy XML records to learn from as well (trials also in --corpus are left out)")
    args = parser.parse_args()
    studies = load(args.corpus)
    modern, _ = halves(studies)
    learn = modern
    if args.xml.is_dir():
        learn = learn + load_xml(args.xml, {s["protocolSection"]["identificationModule"]["nctId"] for s in studies})
    vocab = shipped_vocabulary()
    kinds = learn_kinds(learn)
    write("learned-kinds.tsv", "# descriptor -> condition | intervention (label), as NLM indexed them in the learning "
          "half; learned by benchmarks/learn_synonyms.py",
          ((ui, kinds[ui], vocab.labels[ui]) for ui in sorted(kinds) if ui in vocab.labels))
    everything = set(vocab.labels)
    base = Matcher(vocab, learned=[], stop=set(), implied={}, nested_ok=everything)
    synonyms = learn_synonyms(base, modern)
    pairs = [(t, ui) for t, ui, _ in synonyms]
    nested = learn_nested(Matcher(vocab, learned=pairs, stop=set(), implied={}, nested_ok=everything), learn)
    nested_ok = {ui for ui, *_ in nested}
    with_syn = Matcher(vocab, learned=pairs, stop=set(), implied={}, nested_ok=nested_ok)
    implied = learn_implied(with_syn, modern)
    imp: dict[str, list[str]] = defaultdict(list)
    for x, y, *_ in implied:
        imp[x].append(y)
    with_imp = Matcher(vocab, learned=pairs, stop=set(), implied=dict(imp), nested_ok=nested_ok)
    stop = learn_stop(with_imp, learn)
    labels = vocab.labels
    write("learned-synonyms.tsv", "# text -> MeSH descriptor (label, support in the learning half); "
          "learned by benchmarks/learn_synonyms.py", ((t, ui, labels[ui], n) for t, ui, n in synonyms))
    write("learned-implied.tsv", "# descriptor -> descriptor NLM lists along with it (labels, support, ratio); "
          "learned by benchmarks/learn_synonyms.py",
          ((x, y, labels[x], labels[y], n, f"{r:.2f}") for x, y, n, r in implied))
    write("learned-nested.tsv", "# descriptor grounded from a phrase inside a longer match (label, right, wrong); "
          "learned by benchmarks/learn_synonyms.py", ((ui, labels[ui], r, w) for ui, r, w in nested))
    write("learned-stop.tsv", "# descriptor not grounded from a phrase inside a longer text (label, right, wrong); "
          "learned by benchmarks/learn_synonyms.py", ((ui, labels[ui], r, w) for ui, r, w in stop))
    print(f"learned from {len(learn)} records: {len(synonyms)} synonyms, {len(implied)} implied pairs, "
          f"{len(stop)} stop descriptors, {len(nested)} nested descriptors, {len(kinds)} descriptor kinds")


if __name__ == "__main__":
    main()
