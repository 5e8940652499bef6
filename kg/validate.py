"""SHACL validation of record graphs against the shapes in ``shapes/``.

Two engines give the same results (a test holds them to it):

* ``compiled`` (the default): the shapes are compiled once into plain Python
  tests, run over a batch of record graphs indexed by graph, subject and
  property; SPARQL-based constraints run in Oxigraph over an in-memory store
  holding only the statements they read.  Every record is validated on its own
  graph, so a result names its record directly.  It implements the SHACL
  subset the shapes use, with pySHACL's reading of each constraint:
  ``sh:targetClass`` (following ``rdfs:subClassOf`` in the ontology and shapes),
  property shapes with an IRI ``sh:path`` and ``sh:minCount``, ``sh:maxCount``,
  ``sh:datatype`` (well-typed lexical form included), ``sh:nodeKind``,
  ``sh:class``, ``sh:pattern`` (+ ``sh:flags``), ``sh:in``, ``sh:minInclusive``,
  ``sh:maxInclusive``, ``sh:minLength``, ``sh:maxLength``, ``sh:or`` of
  datatypes, and ``sh:sparql`` constraints with ``sh:select``.  Shapes using
  anything else are refused when compiled, so the engines cannot drift apart
  silently.
* ``pyshacl``: the reference implementation, one pySHACL run per batch;
  complete but slow (tens of records a second).
"""

from __future__ import annotations

import gc
import logging
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache, lru_cache

import pyoxigraph as ox
import pyshacl
from rdflib import BNode, Graph, Literal, URIRef
from pyshacl.rdfutil.compare import compare_literal
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD

from .errors import KGError
from .rdf import Quads
from .resources import resource_dir

_SEVERITY = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
SEVERITIES = ("Violation", "Warning", "Info")
ENGINES = ("compiled", "pyshacl")


@dataclass(slots=True, frozen=True)
class Finding:
    """One SHACL result, in plain words."""

    severity: str  #: Violation | Warning | Info
    focus: str  #: the node the result is about
    path: str  #: the property (local name), empty for node-level results
    value: str  #: the offending value, where there is one
    message: str
    shape: str  #: the node shape (local name)
    graph: str = ""  #: the record graph holding the focus node

    def as_dict(self) -> dict[str, str]:
        """The finding as a JSON-friendly dict (``field`` is the property)."""
        return {"severity": self.severity, "graph": self.graph, "focus": self.focus, "field": self.path,
                "value": self.value, "message": self.message, "shape": self.shape}

    def key(self) -> tuple[str, str, str, str, str, str]:
        """What identifies a result, for comparing engines."""
        return (self.graph, self.severity, self.focus, self.path, self.value, self.message)


class ShapeError(KGError):
    """The shapes use a SHACL feature the compiled engine does not implement."""


@cache
def shapes_graph() -> Graph:
    """All shapes files, parsed once."""
    graph = Graph()
    for path in sorted(resource_dir("shapes").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@cache
def ontology_graph() -> Graph:
    """The ontology, so that ``sh:targetClass`` and ``sh:class`` follow ``rdfs:subClassOf``."""
    graph = Graph()
    for path in sorted(resource_dir("ontology").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def _short(term) -> str:
    if term is None:
        return ""
    text = str(term)
    return text.rsplit("#", 1)[-1] if isinstance(term, URIRef) and "#" in text else text


# -- the compiled engine ----------------------------------------------------------

_HANDLED = {SH.path, SH.minCount, SH.maxCount, SH.datatype, SH.nodeKind, SH["class"], SH.pattern, SH.flags, SH["in"],
            SH.minInclusive, SH.maxInclusive, SH.minLength, SH.maxLength, SH["or"], SH.severity, SH.message,
            SH.name, SH.description, SH.order, SH.group, RDF.type}
_NODE_HANDLED = {SH.targetClass, SH.property, SH.sparql, RDF.type, RDFS.label, RDFS.comment, SH.severity,
                 SH.message, SH.name, SH.description}
_TYPE = str(RDF.type)
_STRING = str(XSD.string)
_LANG_STRING = str(RDF.langString)

#: a term of a data graph: ("I", iri) | ("B", label) | ("L", lexical form, datatype, language)
Term = tuple


def _node(term) -> Term:
    """An rdflib term of the shapes graph as a data-graph term tuple."""
    if isinstance(term, URIRef):
        return ("I", str(term))
    if isinstance(term, Literal):
        dt = str(term.datatype) if term.datatype else (_LANG_STRING if term.language else _STRING)
        return ("L", str(term), dt, term.language or "")
    raise ShapeError(f"cannot compile the term {term!r}")


def _subclasses(classes: Iterable[URIRef], graph: Graph) -> list[URIRef]:
    """The classes and all their subclasses (transitively)."""
    out: list[URIRef] = []
    todo = list(classes)
    while todo:
        cls = todo.pop()
        if cls in out:
            continue
        out.append(cls)
        todo.extend(s for s in graph.subjects(RDFS.subClassOf, cls) if isinstance(s, URIRef))
    return sorted(out)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch is indexed.

    Indexing makes hundreds of thousands of small dicts and lists, none in a
    reference cycle; each collection would walk them all again, which costs
    more than the validation itself.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _quiet_rdflib() -> Iterator[None]:
    """rdflib logs a traceback for every ill-typed literal it meets; they are reported as SHACL results instead."""
    logger = logging.getLogger("rdflib.term")
    before = logger.disabled
    logger.disabled = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.disabled = before


@cache
def _literal(lexical: str, datatype: str, lang: str) -> Literal:
    with _quiet_rdflib():
        return Literal(lexical, lang=lang or None, datatype=None if datatype in (_STRING, _LANG_STRING) else datatype)


_PY_TYPES = {XSD.string: str, RDF.langString: str, XSD.integer: int, XSD.float: float, XSD.decimal: Decimal,
             XSD.boolean: bool, XSD.date: date, XSD.time: time, XSD.dateTime: datetime}


def _is_string(v: Term, _types: dict | None = None) -> bool:
    """sh:datatype xsd:string (inlined by the engine: it is by far the most common test)."""
    return v[0] == "L" and v[2] == _STRING and not v[3]


def _is_iri(v: Term, _types: dict | None = None) -> bool:
    """sh:nodeKind sh:IRI (inlined by the engine)."""
    return v[0] == "I"


def _iso(parse: Callable[[str], object], pattern: str) -> Callable[[str], bool]:
    regex = re.compile(pattern)

    def ok(lexical: str) -> bool:
        if not regex.match(lexical):
            return False
        try:
            parse(lexical)
        except ValueError:
            return False
        return True
    return ok


#: lexical forms rdflib certainly reads as well-typed values of their datatype: checked without a Literal
_CANONICAL: dict[URIRef, Callable[[str], bool]] = {
    XSD.integer: re.compile(r"-?\d+\Z").match,
    XSD.decimal: re.compile(r"-?\d+(\.\d+)?\Z").match,
    XSD.boolean: re.compile(r"(true|false)\Z").match,
    XSD.gYear: re.compile(r"\d{4}\Z").match,
    XSD.gYearMonth: re.compile(r"\d{4}-(0[1-9]|1[0-2])\Z").match,
    XSD.date: _iso(date.fromisoformat, r"\d{4}-\d{2}-\d{2}\Z"),
    XSD.dateTime: _iso(datetime.fromisoformat, r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})?\Z"),
}


def _datatype_test(datatype: URIRef) -> Callable[[Term], bool]:
    """SHACL sh:datatype as pySHACL reads it: the datatype matches and the lexical form is well-typed."""
    want = str(datatype)
    kind = _PY_TYPES.get(datatype)
    if datatype == XSD.string:
        return _is_string

    canonical = _CANONICAL.get(datatype)

    def test(v: Term) -> bool:
        if v[0] != "L" or v[2] != want:
            return False
        if canonical is not None and canonical(v[1]):
            return True
        lit = _literal(v[1], v[2], v[3])
        if lit.ill_typed is True:
            return False
        return kind is None or isinstance(lit.value, kind)
    return test


_NUMERIC = {str(XSD.integer): int, str(XSD.decimal): Decimal}


def _compare(v: Term, bound: Literal) -> int | None:
    """pySHACL's ordering of a value against a bound; None when they cannot be compared."""
    if v[0] != "L":
        return None
    convert = _NUMERIC.get(v[2])
    if convert is not None and isinstance(bound.value, (int, Decimal)):  # rdflib's own converters, without a Literal
        try:
            number = convert(v[1])
        except (ValueError, ArithmeticError):
            return None
        return (number > bound.value) - (number < bound.value)
    lit = _literal(v[1], v[2], v[3])
    if isinstance(lit.value, str) != isinstance(bound.value, str):
        return None
    try:
        return compare_literal(lit, bound)
    except (TypeError, NotImplementedError):
        return None


_NODE_KINDS = {SH.IRI: {"I"}, SH.Literal: {"L"}, SH.BlankNode: {"B"}, SH.BlankNodeOrIRI: {"B", "I"},
               SH.BlankNodeOrLiteral: {"B", "L"}, SH.IRIOrLiteral: {"I", "L"}}


def _value_tests(ps, g: Graph, classes: Graph) -> list[Callable[[Term, dict], bool]]:
    """One test per value constraint of a property shape: ``test(value, types of the graph) -> conforms``."""
    tests: list[Callable[[Term, dict], bool]] = []
    for dt in g.objects(ps, SH.datatype):
        check = _datatype_test(dt)
        tests.append(check if check is _is_string else (lambda v, _, check=check: check(v)))
    for kind in g.objects(ps, SH.nodeKind):
        tests.append(_is_iri if kind == SH.IRI else (lambda v, _, ok=_NODE_KINDS[kind]: v[0] in ok))
    for cls in g.objects(ps, SH["class"]):
        tests.append(_ClassTest(frozenset(f"<{c}>" for c in _subclasses([cls], classes))))
    flags = str(g.value(ps, SH.flags) or "").lower()
    re_flags = (re.I if "i" in flags else 0) | (re.M if "m" in flags else 0)
    for pattern in g.objects(ps, SH.pattern):
        regex = re.compile(str(pattern), re_flags)
        tests.append(lambda v, _, regex=regex: v[0] != "B" and regex.search(v[1]) is not None)
    for lst in g.objects(ps, SH["in"]):
        allowed = frozenset(_node(m) for m in Collection(g, lst))
        tests.append(lambda v, _, allowed=allowed: (v if v[0] == "L" else v[:2]) in allowed)
    for bound in g.objects(ps, SH.minInclusive):
        tests.append(lambda v, _, b=bound: (c := _compare(v, b)) is not None and c >= 0)
    for bound in g.objects(ps, SH.maxInclusive):
        tests.append(lambda v, _, b=bound: (c := _compare(v, b)) is not None and c <= 0)
    for bound in g.objects(ps, SH.minLength):
        tests.append(lambda v, _, n=int(bound): v[0] != "B" and len(v[1]) >= n)
    for bound in g.objects(ps, SH.maxLength):
        tests.append(lambda v, _, n=int(bound): v[0] != "B" and len(v[1]) <= n)
    for lst in g.objects(ps, SH["or"]):
        alternatives = []
        for member in Collection(g, lst):
            if set(g.predicates(member, None)) != {SH.datatype}:
                raise ShapeError("the compiled engine supports sh:or only over datatypes")
            alternatives.append(_datatype_test(g.value(member, SH.datatype)))
        tests.append(lambda v, _, alts=tuple(alternatives): any(alt(v) for alt in alts))
    return tests


@dataclass(frozen=True, slots=True)
class _ClassTest:
    """sh:class: the value is a node of one of these classes (the one test that needs the graph's types)."""

    wanted: frozenset[str]

    def __call__(self, v: Term, types: dict) -> bool:
        return v[0] != "L" and not self.wanted.isdisjoint(types.get(f"<{v[1]}>" if v[0] == "I" else v[1], ()))


@dataclass(slots=True)
class _Property:
    """A compiled property shape."""

    path: str
    name: str  #: local name of the path, for reports
    low: int
    high: int | None
    tests: list[Callable[[Term, dict], bool]]
    severity: str
    message: str
    #: how many of the tests that look at the value alone (not _is_string, _is_iri or sh:class) a value token
    #: fails; cached, since records repeat the same codes, dates and numbers
    failures: Callable[[str], int] | None = None

    def __post_init__(self) -> None:
        plain = tuple(t for t in self.tests if t is not _is_string and t is not _is_iri
                      and not isinstance(t, _ClassTest))
        if plain:
            self.failures = lru_cache(maxsize=1 << 12)(
                lambda token: sum(1 for test in plain if not test(_term_of(token), None)))


@dataclass(slots=True)
class _Shape:
    """A compiled node shape: its targets, property shapes and SPARQL constraints."""

    name: str
    targets: frozenset[str]
    properties: list[_Property]
    tokens: frozenset[str]  #: the targets as N-Triples tokens
    sparql: list[tuple[str, str, str, str]]  #: (query, severity, message, path)


def _prologue(g: Graph) -> str:
    prefixes = {"rdf": str(RDF), "xsd": str(XSD)}
    for decl in g.objects(None, SH.declare):
        prefixes[str(g.value(decl, SH.prefix))] = str(g.value(decl, SH.namespace))
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(prefixes.items()))


_IRI_IN_QUERY = re.compile(r"<([^<>\s]+)>|\b([A-Za-z][\w-]*):([A-Za-z_][\w-]*)")


@dataclass(slots=True)
class _Plan:
    """Everything compiled from the shapes."""

    shapes: list[_Shape]
    sparql_predicates: frozenset[str]  #: properties the SPARQL constraints read
    sparql_types: frozenset[str]  #: classes their focus nodes have


@cache
def compiled_plan() -> _Plan:
    """The shapes, compiled once into Python tests and SPARQL queries."""
    g = shapes_graph()
    classes = ontology_graph() + g
    prologue = _prologue(g)
    prefixes = {str(g.value(d, SH.prefix)): str(g.value(d, SH.namespace)) for d in g.objects(None, SH.declare)}
    shapes: list[_Shape] = []
    predicates: set[str] = set()
    types: set[str] = set()
    for shape in sorted(set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(SH.targetClass, None))):
        extra = set(g.predicates(shape, None)) - _NODE_HANDLED
        if extra:
            raise ShapeError(f"{_short(shape)} uses {', '.join(sorted(map(_short, extra)))}, not compiled")
        targets = frozenset(map(str, _subclasses(g.objects(shape, SH.targetClass), classes)))
        if not targets:
            continue
        name = _short(shape)
        properties = []
        for ps in sorted(g.objects(shape, SH.property), key=str):
            extra = set(g.predicates(ps, None)) - _HANDLED
            if extra:
                raise ShapeError(f"{name} has a property shape using {', '.join(sorted(map(_short, extra)))}")
            path = g.value(ps, SH.path)
            if not isinstance(path, URIRef):
                raise ShapeError(f"{name}: only IRI paths are compiled")
            high = g.value(ps, SH.maxCount)
            properties.append(_Property(str(path), _short(path), int(g.value(ps, SH.minCount, default=Literal(0))),
                                        None if high is None else int(high), _value_tests(ps, g, classes),
                                        _SEVERITY[g.value(ps, SH.severity, default=SH.Violation)],
                                        str(g.value(ps, SH.message, default=""))))
        sparql = []
        for constraint in sorted(g.objects(shape, SH.sparql), key=str):
            select = str(g.value(constraint, SH.select))
            body = select[select.index("{") + 1: select.rindex("}")].replace("$this", "?this")
            focus = f"VALUES ?c_ {{ {' '.join(f'<{c}>' for c in sorted(targets))} }} ?this rdf:type ?c_ ."
            query = prologue + f"SELECT DISTINCT ?g ?this ?value WHERE {{ GRAPH ?g {{ {focus} {body} }} }}"
            ox.Store().query(query)  # fail now, not on the first batch, if it does not parse
            for iri, prefix, local in _IRI_IN_QUERY.findall(body):
                predicates.add(iri or prefixes.get(prefix, "") + local)
            types |= targets
            path = g.value(constraint, SH.path)
            sparql.append((query, _SEVERITY[g.value(constraint, SH.severity, default=SH.Violation)],
                           str(g.value(constraint, SH.message, default="")), _short(path)))
        shapes.append(_Shape(name, targets, properties, frozenset(f"<{t}>" for t in targets), sparql))
    return _Plan(shapes, frozenset(predicates), frozenset(types))


_ESCAPE = re.compile(r'\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))')
_ESCAPED = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)) if (m.group(1) or m.group(2))
                       else _ESCAPED.get(m.group(3), m.group(3)), text)


@lru_cache(maxsize=1 << 16)
def _term_of(token: str) -> Term:
    """An N-Triples object token as a term tuple."""
    if token[0] != '"':
        return ("I", token[1:-1]) if token[0] == "<" else ("B", token)
    q = token.rindex('"')
    lexical = token[1:q]
    if "\\" in lexical:
        lexical = _unescape(lexical)
    if q == len(token) - 1:
        return ("L", lexical, _STRING, "")
    if token[q + 1] == "^":
        return ("L", lexical, token[q + 4:-1], "")
    return ("L", lexical, _LANG_STRING, token[q + 2:].lower())


#: ``S P O`` of a record graph's line once its graph and final dot are cut off
_RECORD_LINE = re.compile(r'^(<[^>]*>|_:\S+) <([^>]*)> (.*)$', re.M)
#: one N-Quads line in a named graph: subject, predicate, object token, graph token
NQUADS_LINE = re.compile(r'^(<[^>\s]*>|_:\S+) <([^>\s]*)> (.*) (<[^>\s"]*>|_:[^\s"]+) \.[ \t]*$', re.M)
#: one line in the default graph
_TRIPLE_LINE = re.compile(r'^(<[^>\s]*>|_:\S+) <([^>\s]*)> (.*) \.[ \t]*$', re.M)


class _Data:
    """A batch of record graphs, indexed by graph, subject and property for the compiled shapes.

    Values are kept as their N-Triples tokens (``<iri>``, ``"text"``,
    ``"12"^^<…#integer>``) and decoded only when a test needs more than the
    token shows; the regular-expression split runs in C.
    """

    def __init__(self) -> None:
        plan = compiled_plan()
        #: graph -> subject token -> property IRI -> value tokens
        self.subjects: dict[str, dict[str, dict[str, list[str]]]] = {}
        self.types: dict[str, dict[str, frozenset[str]]] = {}  #: graph -> node token -> class tokens
        self.side: list[str] = []  # the statements the SPARQL constraints read, as N-Quads
        self._wanted_types = frozenset(f"<{c}>" for c in plan.sparql_types)
        self._special = plan.sparql_predicates | {_TYPE}  # statements indexed a second time

    def _index(self, graph: str, rows: Iterable[tuple[str, ...]]) -> None:
        subjects = self.subjects.setdefault(graph, {})
        special = self._special
        side: list[tuple[str, str, str]] = []
        for s, p, o in rows:
            props = subjects.get(s)
            if props is None:
                subjects[s] = {p: [o]}
            else:
                values = props.get(p)
                if values is None:
                    props[p] = [o]
                else:
                    values.append(o)
            if p in special:
                side.append((s, p, o))
        types = self.types.setdefault(graph, {})
        tail = f" <{graph}> .\n" if graph else " .\n"
        for s, p, o in side:
            if p == _TYPE:
                types[s] = frozenset(subjects[s][_TYPE])
                if o not in self._wanted_types:
                    continue
            self.side.append(f"{s} <{p}> {o}{tail}")

    def add_graph(self, graph: str, nquads: str | Quads) -> None:
        """Add one record graph: N-Quads whose lines all end with `` <graph> .``, or the mapper's statements."""
        if isinstance(nquads, Quads):
            self._index(graph, _RECORD_LINE.findall(nquads.statements()))
            return
        lines = nquads.count("\n")
        tail = f" <{graph}> .\n"  # a literal holds no line break: this is found at line ends only
        rows = _RECORD_LINE.findall(nquads.replace(tail, "\n")) if nquads.count(tail) == lines else ()
        if len(rows) != lines:
            self.add_nquads(nquads)  # some line is not in the graph: take the general way
            return
        self._index(graph, rows)

    def add_nquads(self, nquads: str) -> None:
        """Add N-Quads lines in any graphs (the default graph is named "")."""
        by_graph: dict[str, list[tuple[str, ...]]] = {}
        rows = NQUADS_LINE.findall(nquads)
        if len(rows) < nquads.count("\n"):  # some lines are in the default graph
            named = {m.start() for m in NQUADS_LINE.finditer(nquads)}
            for m in _TRIPLE_LINE.finditer(nquads):
                if m.start() not in named:
                    by_graph.setdefault("", []).append(m.groups())
        for s, p, o, g in rows:
            by_graph.setdefault(g[1:-1] if g[:1] == "<" else g, []).append((s, p, o))
        for graph, rows in by_graph.items():
            self._index(graph, rows)


def _entries(plan: _Plan, key: frozenset[str]) -> tuple[dict[str, list[tuple]], list[tuple[_Shape, _Property]]]:
    """For nodes of these classes: checks by property (flattened for the loop below), and required properties."""
    by_path: dict[str, list[tuple]] = {}
    required = []
    for shape in plan.shapes:
        if shape.tokens.isdisjoint(key):
            continue
        for prop in shape.properties:
            classes = tuple(t for t in prop.tests if isinstance(t, _ClassTest))
            by_path.setdefault(prop.path, []).append(
                (prop.low, sys.maxsize if prop.high is None else prop.high, _is_string in prop.tests,
                 _is_iri in prop.tests, prop.failures, classes, shape, prop))
            if prop.low > 0:
                required.append((shape, prop))
    return by_path, required


def _run_compiled(data: _Data) -> list[Finding]:
    plan = compiled_plan()
    findings = []
    add = findings.append
    dispatch: dict[frozenset[str], tuple[dict[str, list[tuple]], list]] = {}  # per set of classes
    for graph, subjects in data.subjects.items():
        types = data.types.get(graph, {})
        for node, key in types.items():
            plan_for = dispatch.get(key)
            if plan_for is None:
                plan_for = dispatch[key] = _entries(plan, key)
            by_path, required = plan_for
            props = subjects.get(node, {})
            focus = node[1:-1] if node[0] == "<" else node
            for shape, prop in required:
                if prop.path not in props:
                    add(Finding(prop.severity, focus, prop.name, "", prop.message, shape.name, graph))
            for path, values in props.items():
                entries = by_path.get(path)
                if entries is None:
                    continue
                if len(values) > 1:
                    values = list(dict.fromkeys(values))
                n = len(values)
                for low, high, is_string, is_iri, failures, classes, shape, prop in entries:
                    if n < low or n > high:
                        add(Finding(prop.severity, focus, prop.name, "", prop.message, shape.name, graph))
                    if is_string:
                        for token in values:
                            if token[-1] != '"' and not _is_string(_term_of(token)):
                                add(Finding(prop.severity, focus, prop.name, _term_of(token)[1], prop.message,
                                            shape.name, graph))
                    if is_iri:
                        for token in values:
                            if token[0] != "<":
                                add(Finding(prop.severity, focus, prop.name, _term_of(token)[1], prop.message,
                                            shape.name, graph))
                    if failures is not None:
                        for token in values:
                            for _ in range(failures(token)):
                                add(Finding(prop.severity, focus, prop.name, _term_of(token)[1], prop.message,
                                            shape.name, graph))
                    for test in classes:
                        for token in values:
                            if not test(_term_of(token), types):
                                add(Finding(prop.severity, focus, prop.name, _term_of(token)[1], prop.message,
                                            shape.name, graph))
    if data.side:
        store = ox.Store()
        store.load("".join(data.side).encode("utf-8"), format=ox.RdfFormat.N_QUADS)
        for shape in plan.shapes:
            for query, severity, message, path in shape.sparql:
                for row in store.query(query):
                    value = row["value"]
                    findings.append(Finding(severity, row["this"].value, path, "" if value is None else value.value,
                                            message, shape.name, row["g"].value))
    return findings


def validate_nquads(nquads: str, skip: Iterable[str] = ()) -> tuple[list[Finding], set[str]]:
    """Validate N-Quads (one named graph per record) with the compiled engine, leaving out the ``skip`` graphs.

    Returns the findings and the names of the graphs validated.
    """
    with _no_gc():
        data = _Data()
        data.add_nquads(nquads)
        for graph in skip:
            data.subjects.pop(graph, None)
            data.types.pop(graph, None)
        found, graphs = _run_compiled(data), set(data.subjects)
        del data  # freed while the collector is off
    return found, graphs


# -- the reference engine ---------------------------------------------------------

@cache
def _parent_shapes() -> dict:
    g = shapes_graph()
    parents = {}
    for shape, ps in g.subject_objects(SH.property):
        parents[ps] = shape
    for shape, constraint in g.subject_objects(SH.sparql):
        parents[constraint] = shape
    return parents


def validate_graph(data: Graph, graph: str = "") -> list[Finding]:
    """Validate one data graph with pyshacl; return every result."""
    _, results, _ = pyshacl.validate(data, shacl_graph=shapes_graph(), ont_graph=ontology_graph(),
                                     inference="none", abort_on_first=False, allow_warnings=True)
    findings = []
    parents = _parent_shapes()
    for result in results.subjects(RDF.type, SH.ValidationResult):
        get = lambda p: results.value(result, p)  # noqa: E731
        message = get(SH.resultMessage)
        source = get(SH.sourceShape)
        shape = parents.get(source, source)
        value = get(SH.value)
        findings.append(Finding(_SEVERITY.get(get(SH.resultSeverity), "Violation"), str(get(SH.focusNode)),
                                _short(get(SH.resultPath)),
                                "" if value is None or isinstance(value, BNode) else str(value),
                                str(message) if isinstance(message, Literal) else "", _short(shape), graph))
    return findings


def _pyshacl_records(graphs: dict[str, str | Quads]) -> list[Finding]:
    """One pySHACL run over the union of the record graphs; results go to the graph holding their focus node.

    Records of different trials share no node but MeSH descriptors, so this
    equals validating each graph on its own, at a fraction of the cost.
    """
    data = Graph()
    owner: dict[str, str] = {}
    with _quiet_rdflib():
        for graph, nquads in graphs.items():
            triples = nquads.ntriples() if isinstance(nquads, Quads) else nquads.replace(f" <{graph}> .\n", " .\n")
            data.parse(data=triples, format="nt")
            for line in triples.splitlines():
                owner.setdefault(line[1:line.index(">")], graph)
        found = validate_graph(data)
    return [Finding(f.severity, f.focus, f.path, f.value, f.message, f.shape, owner.get(f.focus, "")) for f in found]


# -- the API ----------------------------------------------------------------------

def validate_records(graphs: dict[str, str | Quads], engine: str = "compiled") -> dict[str, list[Finding]]:
    """Validate many record graphs: ``{graph IRI: N-Quads of that graph, or its Quads}`` -> ``{graph IRI: findings}``."""
    if engine == "compiled":
        with _no_gc():
            data = _Data()
            for graph, nquads in graphs.items():
                data.add_graph(graph, nquads)
            found = _run_compiled(data)
            del data  # freed while the collector is off: it would otherwise walk it all once more
    elif engine == "pyshacl":
        found = _pyshacl_records(graphs)
    else:
        raise KGError(f"unknown validation engine {engine!r}; known: {', '.join(ENGINES)}")
    out: dict[str, list[Finding]] = {graph: [] for graph in graphs}
    for finding in found:
        if finding.graph in out:
            out[finding.graph].append(finding)
    for findings in out.values():
        findings.sort(key=Finding.key)
    return out

