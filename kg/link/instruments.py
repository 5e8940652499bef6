"""Recognise the instruments an outcome measure uses, from the instrument catalogue's labels only.

The catalogue (``ontology/instruments.ttl``, or the file named by
``TRIALKG_INSTRUMENTS``) lists individuals of ``tkg:Instrument`` under
``https://w3id.org/trialkg/instrument/`` with ``skos:prefLabel`` and
``skos:altLabel``; adding an alternative label there is how a new wording is
taught.  All labels are compiled into two alternations, longest first: labels
written in capitals and digits (``CRP``, ``C3``, ``HAQ``) match case-sensitively,
the others ignoring case; spaces and hyphens inside a label match each other,
and a final ``s`` is optional.
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


def _norm(text: str) -> str:
    return "".join(_CHUNK.findall(text)).casefold()


def _pattern(label: str) -> str:
    chunks = _CHUNK.findall(label)
    body = r"[\s\-]*".join(map(re.escape, chunks))
    if label[-1:].isalpha() and not label.isupper():
        body += "s?"
    return body


@dataclass(slots=True)
class Catalogue:
    """Instrument labels compiled into regular expressions."""

    labels: dict[str, str]  #: IRI -> preferred label
    by_key: dict[str, str]  #: normalised label -> IRI
    exact_case: re.Pattern[str] | None
    any_case: re.Pattern[str] | None

    def find(self, text: str) -> list[InstrumentLink]:
        """The instruments named in a text, in text order, one link per instrument."""
        hits: list[tuple[int, InstrumentLink]] = []
        seen: set[str] = set()
        for pattern in (self.exact_case, self.any_case):
            if pattern is None:
                continue
            for m in pattern.finditer(text):
                k = _norm(m.group(0))
                iri = self.by_key.get(k) or self.by_key.get(k[:-1])
                if iri and iri not in seen:
                    seen.add(iri)
                    hits.append((m.start(), InstrumentLink(iri, self.labels[iri], m.group(0))))
        return [link for _, link in sorted(hits, key=lambda h: h[0])]


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
    by_key: dict[str, str] = {}
    exact: list[str] = []
    loose: list[str] = []
    for iri in sorted(labels):
        for label in [labels[iri], *alt.get(iri, ())]:
            k = _norm(label)
            if not k or k in by_key:
                continue
            by_key[k] = iri
            (exact if label == label.upper() else loose).append(label)

    def compile_(items: list[str], flags: int) -> re.Pattern[str] | None:
        if not items:
            return None
        alternation = "|".join(_pattern(x) for x in sorted(items, key=len, reverse=True))
        return re.compile(rf"(?<![A-Za-z0-9])(?:{alternation})(?![A-Za-z0-9])", flags)

    return Catalogue(labels, by_key, compile_(exact, 0), compile_(loose, re.IGNORECASE))


def catalogue_path() -> Path:
    """Where the catalogue is read from: ``TRIALKG_INSTRUMENTS`` or the shipped ``ontology/instruments.ttl``."""
    env = os.environ.get(INSTRUMENTS_ENV)
    return Path(env) if env else resource("ontology", "instruments.ttl")


@cache
def _cached(path: str) -> Catalogue:
    return load_catalogue(path)


def catalogue(path: str | Path | None = None) -> Catalogue:
    """The compiled catalogue (once per path); empty when the file does not exist."""
    path = Path(path) if path else catalogue_path()
    if not path.is_file():
        return Catalogue({}, {}, None, None)
    return _cached(str(path))


def link_outcome(measure: str, description: str, cat: Catalogue | None = None) -> list[InstrumentLink]:
    """Instruments an outcome uses: those its title names, else those its description names."""
    cat = cat or catalogue()
    return cat.find(measure) or cat.find(description)
