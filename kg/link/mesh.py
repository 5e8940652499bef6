"""MeSH grounding of free text: a precompiled longest-phrase matcher over descriptor names.

The offline vocabulary is the shipped MeSH 2026 descriptor table (id -> preferred
label) plus the tables in ``mappings/mesh/``: hand-written synonyms, upper-case
abbreviations, synonyms learned from registry records, and British spellings.
Users who download NLM's full MeSH (``desc2026.xml`` or ``mesh.nt``, optionally
gzipped) can point ``TRIALKG_MESH`` (or ``--mesh``) at it: its entry terms
replace the hand-written synonyms and its tree numbers tell diseases apart.

Every label, inverted heading and synonym is turned into a token tuple once;
matching walks the text's tokens and takes, at each position, the longest
tuple in the table (a dict lookup per candidate length).
"""

from __future__ import annotations

import gzip
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..mesh import descriptors
from ..model import Grounding
from ..resources import read_tsv
from .text import _POSSESSIVE, _DROP, inversions, key, raw_tokens, word

#: environment variable naming a full NLM MeSH file to use instead of the shipped tables
MESH_ENV = "TRIALKG_MESH"
#: base score of each way of matching; a match covering only part of the text scores less
BASE_SCORE = {"exact": 1.0, "synonym": 0.95, "normalised": 0.9, "inferred": 0.7}
#: MeSH tree branches whose descriptors are conditions (diseases; mental disorders; signs and symptoms)
CONDITION_TREES = ("C", "F03")
#: MeSH tree branches whose descriptors are interventions (chemicals and drugs; techniques and equipment)
INTERVENTION_TREES = ("D", "E")


@dataclass(slots=True)
class Vocabulary:
    """Descriptor names: preferred labels, entry terms (synonyms) and tree numbers."""

    labels: dict[str, str]
    entries: dict[str, list[str]] = field(default_factory=dict)
    trees: dict[str, list[str]] = field(default_factory=dict)
    source: str = "shipped"


@dataclass(slots=True)
class Match:
    """One phrase of the text matched to one or more descriptors."""

    descriptors: tuple[str, ...]
    method: str
    start: int
    end: int
    text: str
    score: float
    partial: bool = False  #: the phrase is only part of the text
    nested: bool = False  #: the phrase lies inside or across a longer match


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def load_descriptor_xml(path: str | Path) -> Vocabulary:
    """Read NLM's descriptor XML (``desc2026.xml``): names, entry terms and tree numbers."""
    from defusedxml.ElementTree import iterparse

    labels: dict[str, str] = {}
    entries: dict[str, list[str]] = {}
    trees: dict[str, list[str]] = {}
    with _open(Path(path)) as handle:
        for _, rec in iterparse(handle, events=("end",)):
            if rec.tag != "DescriptorRecord":
                continue
            ui = rec.findtext("DescriptorUI")
            name = rec.findtext("DescriptorName/String")
            if ui and name:
                labels[ui] = name
                terms = (t.text for t in rec.iterfind("ConceptList/Concept/TermList/Term/String"))
                entries[ui] = list(dict.fromkeys(t for t in terms if t and t != name))
                trees[ui] = [t.text for t in rec.iterfind("TreeNumberList/TreeNumber") if t.text]
            rec.clear()  # the file is large: keep only what was taken from each record
    return Vocabulary(labels, entries, trees, source=str(path))


_NT = re.compile(r'^<([^>]+)>\s+<([^>]+)>\s+(?:<([^>]+)>|"((?:[^"\\]|\\.)*)"(?:@en|\^\^<[^>]+>)?)\s*\.\s*$')
_MESH_NS = "http://id.nlm.nih.gov/mesh/"
_V = "http://id.nlm.nih.gov/mesh/vocab#"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def load_mesh_nt(path: str | Path) -> Vocabulary:
    """Read NLM's MeSH RDF as N-Triples (``mesh.nt``): descriptor labels, their terms' labels, tree numbers."""
    labels: dict[str, str] = {}
    concepts: dict[str, list[str]] = {}  # descriptor -> concepts
    terms: dict[str, list[str]] = {}  # concept -> terms
    term_labels: dict[str, list[str]] = {}
    trees: dict[str, list[str]] = {}
    with _open(Path(path)) as handle:
        for raw in handle:
            m = _NT.match(raw.decode("utf-8"))
            if not m or not m.group(1).startswith(_MESH_NS):
                continue
            s, p, o_iri, o_lit = m.groups()
            local = s[len(_MESH_NS):]
            if p == _RDFS_LABEL and o_lit is not None and local[:1] == "D" and local[1:].isdigit():
                labels[local] = o_lit.encode().decode("unicode_escape") if "\\" in o_lit else o_lit
            elif p in (_V + "concept", _V + "preferredConcept") and o_iri:
                concepts.setdefault(local, []).append(o_iri[len(_MESH_NS):])
            elif p in (_V + "term", _V + "preferredTerm") and o_iri:
                terms.setdefault(local, []).append(o_iri[len(_MESH_NS):])
            elif p in (_V + "prefLabel", _V + "altLabel") and o_lit is not None:
                term_labels.setdefault(local, []).append(o_lit)
            elif p == _V + "treeNumber" and o_iri:
                trees.setdefault(local, []).append(o_iri[len(_MESH_NS):])
    entries = {}
    for ui, name in labels.items():
        found = [lab for c in concepts.get(ui, ()) for t in terms.get(c, ()) for lab in term_labels.get(t, ())]
        entries[ui] = [x for x in dict.fromkeys(found) if x != name]
    return Vocabulary(labels, entries, {ui: trees.get(ui, []) for ui in labels}, source=str(path))


def load_vocabulary(path: str | Path) -> Vocabulary:
    """Read a full NLM MeSH file: descriptor XML or N-Triples, by content."""
    with _open(Path(path)) as handle:
        head = handle.read(2048).lstrip()
    if head.startswith(b"<?xml") or head.startswith(b"<DescriptorRecordSet") or b"<!DOCTYPE" in head[:300]:
        return load_descriptor_xml(path)
    return load_mesh_nt(path)


def shipped_vocabulary() -> Vocabulary:
    """The offline default: the shipped descriptor table and the synonym tables of ``mappings/mesh/``."""
    labels = descriptors()
    entries: dict[str, list[str]] = {}
    for text, ui, *_ in read_tsv("mappings", "mesh", "synonyms.tsv"):
        entries.setdefault(ui, []).append(text)
    return Vocabulary(dict(labels), entries)


class Matcher:
    """Longest-phrase MeSH matcher compiled once from a vocabulary and the synonym tables."""

    def __init__(self, vocab: Vocabulary, learned: list[tuple[str, str]] | None = None,
                 stop: set[str] | None = None, implied: dict[str, list[str]] | None = None,
                 nested_ok: set[str] | None = None, kinds: dict[str, str] | None = None,
                 reject: set[str] | None = None) -> None:
        self.vocab = vocab
        self.labels = vocab.labels
        self.abbreviations: dict[str, tuple[str, ...]] = {}
        for abbr, ui in read_tsv("mappings", "mesh", "abbreviations.tsv"):
            if ui in self.labels:
                self.abbreviations[abbr] = self.abbreviations.get(abbr, ()) + (ui,)
        self.abbr_set = frozenset(self.abbreviations)
        self.table: dict[tuple[str, ...], tuple[str, tuple[str, ...]]] = {}
        # earlier sources win a key that later ones also define
        self._add_source(((lab, ui) for ui, lab in self.labels.items()), "exact")
        self._add_source(((f"#{a}", ui) for a, uis in self.abbreviations.items() for ui in uis), "synonym", raw=True)
        self._add_source(((t, ui) for ui, ts in vocab.entries.items() for t in ts), "synonym")
        self._add_source(((inv, ui) for ui, lab in self.labels.items() for inv in inversions(lab)), "normalised")
        # "Cancer of the Prostate" for "Prostatic Neoplasms": the head word, "of", then the words before it
        self._add_source(((f"{k[-1]} of {' '.join(k[:-1])}", ui) for ui, lab in self.labels.items()
                          for form in (inversions(lab) or [lab]) for k in [key(form)] if len(k) > 1), "normalised")
        if learned is None:
            learned = [(t, ui) for t, ui, *_ in read_tsv("mappings", "mesh", "learned-synonyms.tsv")]
        self._add_source(((t, ui) for t, ui in learned if ui in self.labels), "synonym")
        if stop is None:
            stop = {row[0] for row in read_tsv("mappings", "mesh", "learned-stop.tsv")}
        #: descriptors not grounded from a phrase inside a longer text (they rarely name the condition there)
        self.stop = stop
        if reject is None:
            reject = {row[0] for row in read_tsv("mappings", "mesh", "learned-reject.tsv")}
        #: descriptors found that NLM's indexing mostly does not list, however found (it names a more specific one)
        self.reject = frozenset(reject)
        if nested_ok is None:
            nested_ok = {row[0] for row in read_tsv("mappings", "mesh", "learned-nested.tsv")}
        #: descriptors grounded from a phrase inside or across a longer match ("Herniation" in "Disc Herniation")
        self.nested_ok = nested_ok
        if implied is None:
            implied = {}
            for row in read_tsv("mappings", "mesh", "learned-implied.tsv"):
                implied.setdefault(row[0], []).append(row[1])
        #: descriptor -> condition | intervention, as NLM indexed it; the hand-written tables name conditions
        if kinds is None:
            kinds = {row[0]: row[1] for row in read_tsv("mappings", "mesh", "learned-kinds.tsv")}
        self.kinds = dict(kinds)
        for uis in self.abbreviations.values():
            self.kinds.update(dict.fromkeys(uis, "condition"))
        for text, ui, *_ in read_tsv("mappings", "mesh", "synonyms.tsv"):
            self.kinds[ui] = "condition"
        words = read_tsv("mappings", "mesh", "condition-words.tsv")
        endings = tuple(w for kind, w in words if kind == "ending")
        marks = {w for kind, w in words if kind == "word"}
        for ui, label in self.labels.items():
            if ui not in self.kinds:
                parts = label.replace(",", " ").lower().split()
                # the head word: the label's last word, or an inverted heading's last word before its first comma
                heads = (parts[-1], label.split(",")[0].split()[-1].lower()) if parts else ()
                if any(h.endswith(endings) for h in heads) or marks.intersection(parts):
                    self.kinds[ui] = "condition"
        # a heading whose head phrase ends with a condition's name names a kind of it
        # ("Leukemia, B-Cell", "Aortic Aneurysm, Abdominal", "Foot Ulcer", "Synovial Cyst")
        known = {key(self.labels[ui]) for ui, k in self.kinds.items() if k == "condition" and ui in self.labels}
        for ui, label in self.labels.items():
            if ui not in self.kinds:
                head = key(label.split(",")[0])
                if any(head[i:] in known for i in range(len(head))):
                    self.kinds[ui] = "condition"
        #: descriptors NLM's indexing lists along with another (Low Back Pain -> Back Pain)
        self.implied = {ui: tuple(x for x in more if x in self.labels) for ui, more in implied.items()}
        self.lengths: dict[str, tuple[int, ...]] = {}
        for k in self.table:
            self.lengths[k[0]] = self.lengths.get(k[0], ()) + (len(k),)
        self.lengths = {t: tuple(sorted(set(ls), reverse=True)) for t, ls in self.lengths.items()}
        self.casefolded = {lab.casefold(): ui for ui, lab in self.labels.items()}

    def _add_source(self, pairs, method: str, raw: bool = False) -> None:
        new: dict[tuple[str, ...], list[str]] = {}
        for text, ui in pairs:
            k = (text,) if raw else key(text)
            if k and k not in self.table:
                uis = new.setdefault(k, [])
                if ui not in uis:
                    uis.append(ui)
        for k, uis in new.items():
            self.table[k] = (method, tuple(uis))

    def _tokens(self, text: str) -> list[tuple[str, int, int]]:
        out = []
        for raw, start, end in raw_tokens(text):
            if raw in self.abbr_set:
                out.append(("#" + raw, start, end))
                continue
            low = raw.lower()
            if low not in _DROP:
                out.append((word(low), start, end))
        return out

    def matches(self, text: str, nested: bool = False) -> list[Match]:
        """Longest phrases of ``text`` that name descriptors, left to right, without overlap.

        With ``nested``, also the shorter phrases inside them and overlapping
        them (``Herniation`` in ``Lumbar Disc Herniation``), flagged ``nested``.
        """
        text = _POSSESSIVE.sub(lambda m: "  ", text)  # same length: spans stay valid
        toks = self._tokens(text)
        n = len(toks)
        words = [t[0] for t in toks]
        found: list[Match] = []
        covered_to = 0  # end (token index) of the last longest match
        for i in range(n):
            for length in self.lengths.get(words[i], ()):
                if i + length > n:
                    continue
                k = tuple(words[i:i + length])
                hit = self.table.get(k)
                if hit is None:
                    continue
                inner = i < covered_to
                if inner and not nested:
                    break
                method, uis = hit
                start, end = toks[i][1], toks[i + length - 1][2]
                phrase = text[start:end]
                if method == "exact" and self.labels[uis[0]].casefold() != phrase.casefold():
                    method = "normalised"
                score = BASE_SCORE[method] * (0.6 + 0.4 * length / n) * (0.8 if inner else 1.0)
                found.append(Match(uis, method, start, end, phrase, round(score, 3), length < n, inner))
                if not inner:
                    covered_to = i + length
                if not nested:
                    break
                if not inner:
                    continue  # shorter phrases at this position are nested in this one
        return found

    def ground_spans(self, text: str, method: str | None = None, strict: bool = False,
                     kind: str | None = "condition", expand: bool = True) -> list[tuple[str, Grounding]]:
        """(matched phrase, grounding) pairs of one text, one per descriptor (best score kept), in text order.

        Only descriptors that can be of ``kind`` (``condition`` or ``intervention``;
        None for any) are kept: those known to be of the other kind are left
        out, and so are those of unknown kind when found inside a longer text
        or, with ``strict``, anywhere.  A condition's name mentions body parts,
        people and procedures that are not the condition.  With ``expand``
        (NLM's way of indexing) phrases nested in longer matches count too, and
        descriptors NLM lists along with those found are added.  Conditions
        that NLM's indexing mostly left out (``learned-reject.tsv``) are dropped.
        """
        best: dict[str, tuple[str, Grounding]] = {}
        found = self.matches(text, nested=expand)
        if "," in text and not any(not m.partial for m in found):
            # an inverted heading written by the registry: "Disk, Herniated", "Hypogonadism, Male"
            for form in inversions(text):
                whole = [m for m in self.matches(form, nested=True) if not m.partial]
                if whole:
                    found = [Match(m.descriptors, "normalised", 0, len(text), text, m.score) for m in whole]
                    break
        for m in found:
            for ui in m.descriptors:
                if kind:
                    known = self.kind(ui)
                    if (known and known != kind) or ((strict or m.partial) and known is None):
                        continue
                if (m.partial and ui in self.stop) or (m.nested and ui not in self.nested_ok):
                    continue
                score = round(m.score * BASE_SCORE["inferred"], 3) if method == "inferred" else m.score
                if ui not in best or best[ui][1].score < score:
                    best[ui] = (m.text, Grounding(ui, self.labels[ui], method or m.method, score, "trialkg", m.text))
        for ui, (phrase, g) in list(best.items()) if expand else ():
            for extra in self.implied.get(ui, ()):
                if extra not in best:
                    best[extra] = (phrase, Grounding(extra, self.labels[extra], method or "synonym",
                                                     round(g.score * 0.9, 3), "trialkg", phrase))
        if kind != "condition":
            return list(best.values())
        return [x for ui, x in best.items() if ui not in self.reject]  # learned from condition texts only

    def ground(self, text: str, method: str | None = None, strict: bool = False,
               kind: str | None = "condition") -> list[Grounding]:
        """Groundings of one text (see :meth:`ground_spans`)."""
        return [g for _, g in self.ground_spans(text, method, strict, kind)]

    def kind(self, ui: str) -> str | None:
        """``condition``, ``intervention`` or None (unknown): by tree numbers, else as NLM indexed it."""
        trees = self.vocab.trees.get(ui)
        if not trees:
            return self.kinds.get(ui)
        if any(t.startswith(CONDITION_TREES) for t in trees):
            return "condition"
        return "intervention" if any(t.startswith(INTERVENTION_TREES) for t in trees) else None


@cache
def matcher(path: str | None = None) -> Matcher:
    """The matcher for a full MeSH file, or (by default, or from ``TRIALKG_MESH``) the shipped tables."""
    path = path or os.environ.get(MESH_ENV) or None
    return Matcher(load_vocabulary(path) if path else shipped_vocabulary())
