"""A read-only SPARQL endpoint over the store (SPARQL 1.1 Protocol, query operation only).

``GET /sparql?query=...`` and ``POST /sparql`` (form-encoded or
``application/sparql-query``) answer in JSON, XML, CSV or TSV by the Accept
header; updates are refused.  ``GET /`` is a small page with a query form.
"""

from __future__ import annotations

import html
import logging
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox

from .store import Store

log = logging.getLogger(__name__)

#: media types of SELECT/ASK results, in order of preference when the client accepts anything
_RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
_GRAPH_TYPES = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
                "application/ld+json": ox.RdfFormat.JSON_LD, "application/rdf+xml": ox.RdfFormat.RDF_XML}

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>trialkg SPARQL</title></head>
<body><h1>trialkg SPARQL endpoint</h1><p>{count} quads. Read-only; every graph is in the default graph.</p>
<form method="get" action="/sparql"><textarea name="query" rows="12" cols="100">{example}</textarea><br>
<button type="submit">Run</button></form></body></html>"""
_EXAMPLE = "SELECT ?trial ?title WHERE {\n  ?trial a/rdfs:subClassOf* schema:MedicalTrial ; rdfs:label ?title .\n} LIMIT 10"


def _pick(accept: str, table: dict) -> tuple[str, object]:
    for part in accept.split(","):
        media = part.split(";")[0].strip()
        if media in table:
            return media, table[media]
    media = next(iter(table))
    return media, table[media]


def make_handler(store: Store) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one opened store."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "trialkg"

        def log_message(self, fmt: str, *args) -> None:  # route access logs through logging
            log.info("%s " + fmt, self.address_string(), *args)

        def _send(self, status: int, body: bytes, media: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", media + ("; charset=utf-8" if media.startswith("text/") else ""))
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: HTTPStatus, message: str) -> None:
            self._send(status, (message + "\n").encode(), "text/plain")

        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            url = urlsplit(self.path)
            if url.path in ("/", "/index.html"):
                page = _PAGE.format(count=len(store.db), example=html.escape(_EXAMPLE))
                self._send(HTTPStatus.OK, page.encode(), "text/html")
            elif url.path == "/sparql":
                params = parse_qs(url.query)
                if "update" in params:
                    self._error(HTTPStatus.FORBIDDEN, "this endpoint is read-only")
                    return
                self._answer(params.get("query", [""])[0])
            else:
                self._error(HTTPStatus.NOT_FOUND, "not found; the endpoint is /sparql")

        def do_POST(self) -> None:  # noqa: N802
            if urlsplit(self.path).path != "/sparql":
                self._error(HTTPStatus.NOT_FOUND, "not found; the endpoint is /sparql")
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", errors="replace")
            media = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if media == "application/sparql-update":
                self._error(HTTPStatus.FORBIDDEN, "this endpoint is read-only")
                return
            if media == "application/sparql-query":
                self._answer(body)
                return
            params = parse_qs(body)
            if "update" in params:
                self._error(HTTPStatus.FORBIDDEN, "this endpoint is read-only")
                return
            self._answer(params.get("query", [""])[0])

        def _answer(self, sparql: str) -> None:
            if not sparql.strip():
                self._error(HTTPStatus.BAD_REQUEST, "missing query parameter")
                return
            try:
                result = store.query(sparql)
            except Exception as exc:  # noqa: BLE001 - any query error is the client's, reported as 400
                self._error(HTTPStatus.BAD_REQUEST, f"query error: {exc}")
                return
            accept = self.headers.get("Accept") or ""
            if isinstance(result, ox.QueryTriples):
                media, fmt = _pick(accept, _GRAPH_TYPES)
                body = result.serialize(format=fmt)
            else:
                media, fmt = _pick(accept, _RESULT_TYPES)
                body = result.serialize(format=fmt)
            self._send(HTTPStatus.OK, body, media)

    return Handler


def serve(store: Store, host: str = "127.0.0.1", port: int = 7878) -> ThreadingHTTPServer:
    """Create (but do not start) the HTTP server; call ``serve_forever()`` on it."""
    return ThreadingHTTPServer((host, port), make_handler(store))
