"""Namespaces and a fast N-Quads writer.

The mapper writes N-Quads text directly: it is what the store bulk-loads, it
needs no intermediate objects, and escaping is a single ``str.translate``.
"""

from __future__ import annotations

from urllib.parse import quote

TKG = "https://w3id.org/trialkg/ontology#"
INSTRUMENT = "https://w3id.org/trialkg/instrument/"
DEFAULT_BASE = "https://w3id.org/trialkg/"
ONTOLOGY_GRAPH = "https://w3id.org/trialkg/ontology"
MESH = "http://id.nlm.nih.gov/mesh/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SCHEMA = "http://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OWL = "http://www.w3.org/2002/07/owl#"
SH = "http://www.w3.org/ns/shacl#"

PREFIXES = {
    "tkg": TKG, "instrument": INSTRUMENT, "mesh": MESH, "rdf": RDF, "rdfs": RDFS, "xsd": XSD,
    "schema": SCHEMA, "dcterms": DCTERMS, "prov": PROV, "skos": SKOS, "owl": OWL, "sh": SH,
}
#: SPARQL prologue declaring every prefix above
SPARQL_PROLOGUE = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())

TYPE = RDF + "type"
LABEL = RDFS + "label"


def escape(value: str) -> str:
    """Escape a string for an N-Triples literal (most need nothing, so look before replacing)."""
    if "\\" in value or '"' in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return value


def safe(segment: str) -> str:
    """Percent-encode one IRI path segment minted from a registry identifier."""
    return quote(segment, safe="-._~")


def date_datatype(value: str) -> str:
    """The XSD datatype matching an ISO date's precision: gYear, gYearMonth or date."""
    return XSD + {4: "gYear", 7: "gYearMonth"}.get(len(value), "date")


class Quads:
    """The statements of one named graph, built with terse helpers.

    ``iri`` adds a triple whose object is an IRI; ``text`` a plain string
    literal (skipped when empty); ``typed`` a literal with a datatype.
    Every subject and property is a full IRI string.  Statements are kept as
    ``S P O`` lines without terminator, so that N-Quads and N-Triples are one
    ``str.join`` each and the validator reads them without cutting anything off.
    """

    __slots__ = ("graph", "lines", "_add")

    def __init__(self, graph: str) -> None:
        self.graph = graph
        self.lines: list[str] = []
        self._add = self.lines.append

    def iri(self, s: str, p: str, o: str) -> None:
        self._add(f"<{s}> <{p}> <{o}>")

    def text(self, s: str, p: str, value: str | None) -> None:
        if value:
            if "\\" in value or '"' in value or "\n" in value or "\r" in value:  # escape() inlined: a hot path
                value = escape(value)
            self._add(f'<{s}> <{p}> "{value}"')

    def langtext(self, s: str, p: str, value: str | None, lang: str) -> None:
        """A language-tagged string (skipped when empty)."""
        if value:
            self._add(f'<{s}> <{p}> "{escape(value)}"@{lang.lower()}')

    def typed(self, s: str, p: str, value: object, datatype: str) -> None:
        lexical = escape(value) if isinstance(value, str) else value  # numbers need no escaping
        self._add(f'<{s}> <{p}> "{lexical}"^^<{datatype}>')

    def boolean(self, s: str, p: str, value: bool | None) -> None:
        if value is not None:
            self._add(f'<{s}> <{p}> "{"true" if value else "false"}"^^<{XSD}boolean>')

    def __len__(self) -> int:
        return len(self.lines)

    def statements(self) -> str:
        """The ``S P O`` lines, one per line, no terminator: what the validator reads."""
        return "\n".join(self.lines)

    def serialize(self) -> str:
        """The N-Quads text."""
        if not self.lines:
            return ""
        tail = f" <{self.graph}> .\n"
        return tail.join(self.lines) + tail

    def ntriples(self) -> str:
        """The same statements as N-Triples (without the graph name)."""
        return " .\n".join(self.lines) + " .\n" if self.lines else ""
