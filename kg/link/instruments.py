"""Recognise the instruments an outcome measure uses, from the instrument catalogue's labels only.

The catalogue (``ontology/instruments.ttl``, or the file named by
``TRIALKG_INSTRUMENTS``) lists individuals of ``tkg:Instrument`` under
``https://w3id.org/trialkg/instrument/`` with ``skos:prefLabel`` and
``skos:altLabel``; adding an alternative label there is how a new wording is
taught.  Labels are compiled once into a table of word tuples, matched longest
first: labels written in capitals and digits (``CRP``, ``C3``, ``HAQ``) match
case-sensitively, the others ignoring case; punctuation between words does not
count (``SLEDAI-2K`` = ``SLEDAI 2K`` = ``SLEDAI2K``), and singular and plural match each other.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..model import InstrumentLink
from ..rdf import INSTRUMENT, RDF, SKOS, TKG
from ..resources import resource

INSTRUMENTS_ENV = "TRIALKG_INSTRUMENTS"
_CHUNK = re.compile(r"[A-Za-z0-9]+")


def _keys(label: str) -> list[tuple[bool, tuple[str, ...]]]:
    """(case-sensitive?, token tuple) keys of one label: as written, joined up, and with a plural ``s``."""
    chunks = _CHUNK.findall(label)
    if not chunks:
        return []
    exact = label == label.upper()
    if not exact:
        chunks = [c.lower() for c in chunks]
    keys = [tuple(chunks)]
    if len(chunks) > 1:
        keys.append(("".join(chunks),))  # "SLEDAI-2K" also as "SLEDAI2K"
    last = chunks[-1]
    if not exact and last[-1:].isalpha() and not last.endswith("s"):
        keys.append((*chunks[:-1], last + "s"))
    elif not exact and len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is")):
        keys.append((*chunks[:-1], last[:-1]))  # "adverse reactions" also as "adverse reaction"
    return [(exact, k) for k in keys]


@dataclass(slots=True)
class Catalogue:
    """Instrument labels compiled into token tables: one lookup per candidate phrase length."""

    labels: dict[str, str]  #: IRI -> preferred label
    table: dict[tuple[bool, tuple[str, ...]], str]  #: (case-sensitive?, tokens) -> IRI
    lengths: dict[tuple[bool, str], tuple[int, ...]]  #: (case-sensitive?, first token) -> phrase lengths, longest first
    first_words: frozenset[str]  #: first tokens of all keys, lower case

    def find(self, text: str) -> list[InstrumentLink]:
        """The instruments named in a text, in text order, one link per instrument (longest phrase first)."""
        if not text:
            return []
        lows = _CHUNK.findall(text.lower())
        # most texts name no instrument: a set intersection says so without walking the words
        if self.first_words.isdisjoint(lows):
            return []
        words = _CHUNK.findall(text)
        if len(words) != len(lows):  # lower-casing changed the words (non-ASCII letters): lower them one by one
            lows = [w.lower() for w in words]
        spans: list[tuple[int, int]] = []
        out: list[InstrumentLink] = []
        seen: set[str] = set()
        i, n, first = 0, len(words), self.first_words
        while i < n:
            if lows[i] not in first:
                i += 1
                continue
            step = 1
            for exact, tokens in ((True, words), (False, lows)):
                for length in self.lengths.get((exact, tokens[i]), ()):
                    iri = self.table.get((exact, tuple(tokens[i:i + length]))) if i + length <= n else None
                    if iri is None:
                        continue
                    if iri not in seen:
                        seen.add(iri)
                        spans = spans or [m.span() for m in _CHUNK.finditer(text)]
                        out.append(InstrumentLink(iri, self.labels[iri], text[spans[i][0]:spans[i + length - 1][1]]))
                    step = max(step, length)
                    break
            i += step
        return out


def load_catalogue(path: str | Path) -> Catalogue:
    """Compile the instrument catalogue at ``path`` (Turtle)."""
    import pyoxigraph as ox

    labels: dict[str, str] = {}
    alt: dict[str, list[str]] = {}
    instruments: set[str] = set()
    with open(path, "rb") as handle:
        for t in ox.parse(handle, format=ox.RdfFormat.TURTLE):
            s, p, o = t.subject, t.predicate.value, t.object
            if not isinstance(s, ox.NamedNode):
                continue
            if p == RDF + "type" and o.value == TKG + "Instrument":
                instruments.add(s.value)
            elif p == SKOS + "prefLabel":
                labels.setdefault(s.value, o.value)
            elif p == SKOS + "altLabel":
                alt.setdefault(s.value, []).append(o.value)
    keep = {iri for iri in labels if iri in instruments or iri.startswith(INSTRUMENT)}
    labels = {iri: lab for iri, lab in labels.items() if iri in keep}
    table: dict[tuple[bool, tuple[str, ...]], str] = {}
    for iri in sorted(labels):
        for label in [labels[iri], *alt.get(iri, ())]:
            for k in _keys(label):
                table.setdefault(k, iri)  # the first instrument to claim a wording keeps it
    lengths: dict[tuple[bool, str], set[int]] = {}
    for exact, k in table:
        lengths.setdefault((exact, k[0]), set()).add(len(k))
    return Catalogue(labels, table, {f: tuple(sorted(ls, reverse=True)) for f, ls in lengths.items()},
                     frozenset(k[0].lower() for _, k in table))


def catalogue_path() -> Path:
    """Where the catalogue is read from: ``TRIALKG_INSTRUMENTS`` or the shipped ``ontology/instruments.ttl``."""
    env = os.environ.get(INSTRUMENTS_ENV)
    return Path(env) if env else resource("ontology", "instruments.ttl")


@cache
def _cached(path: str) -> Catalogue:
    file = Path(path) if path else catalogue_path()
    if not file.is_file():
        return Catalogue({}, {}, {}, frozenset())
    return load_catalogue(file)


def catalogue(path: str | Path | None = None) -> Catalogue:
    """The compiled catalogue (once per path, or per ``TRIALKG_INSTRUMENTS`` value); empty when there is no file."""
    return _cached(str(path) if path else os.environ.get(INSTRUMENTS_ENV, ""))


def link_outcome(measure: str, description: str, cat: Catalogue | None = None) -> list[InstrumentLink]:
    """Instruments an outcome uses: those its title names, else those its description names."""
    cat = cat or catalogue()
    return cat.find(measure) or cat.find(description)
