"""Fetching from the API v2, against a real HTTP server on loopback that answers like the API."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import FIXTURES, run_cli

STUDIES = [json.loads((FIXTURES / "ctgov-json" / "NCT99999901.json").read_text())] + \
    json.loads((FIXTURES / "ctgov-json" / "studies-page.json").read_text())["studies"]


class _Api(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path.startswith("/api/v2/studies/"):
            nct = url.path.rsplit("/", 1)[1]
            found = [s for s in STUDIES if s["protocolSection"]["identificationModule"]["nctId"] == nct]
            self._reply(200 if found else 404, found[0] if found else {"message": "not found"})
        elif url.path == "/api/v2/studies":
            start = int(params.get("pageToken", "0"))
            size = min(2, int(params["pageSize"]))  # a small page cap makes the client follow tokens
            page = {"studies": STUDIES[start:start + size]}
            if start + size < len(STUDIES):
                page["nextPageToken"] = str(start + size)
            self._reply(200, page)
        else:
            self._reply(404, {})

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/v2"
    server.shutdown()


def test_fetch_by_id_then_build(api, tmp_path) -> None:
    out = tmp_path / "raw"
    run_cli("fetch", "NCT99999902", "NCT99999901", "-o", str(out), "--api", api, check=True)
    assert sorted(p.name for p in out.iterdir()) == ["NCT99999901.json", "NCT99999902.json"]
    built = run_cli("build", str(out), "--store", str(tmp_path / "s"), check=True)
    assert "2 loaded" in built.stdout


def test_search_pages_until_the_limit(api, tmp_path) -> None:
    out = tmp_path / "pages"
    proc = run_cli("fetch", "--term", "lupus", "--max", "3", "-o", str(out), "--api", api, check=True)
    assert "3 studies in 2 pages" in proc.stdout
    ids = [s["protocolSection"]["identificationModule"]["nctId"]
           for p in sorted(out.iterdir()) for s in json.loads(p.read_text())["studies"]]
    assert ids == ["NCT99999901", "NCT99999902", "NCT99999903"]


def test_unknown_study_is_a_clear_error(api, tmp_path) -> None:
    proc = run_cli("fetch", "NCT00000000", "-o", str(tmp_path / "x"), "--api", api)
    assert proc.returncode == 2 and "HTTP 404" in proc.stderr and "Traceback" not in proc.stderr


def test_unreachable_api_is_a_clear_error(tmp_path) -> None:
    proc = run_cli("fetch", "NCT99999901", "-o", str(tmp_path / "x"), "--api", "http://127.0.0.1:9/api/v2")
    assert proc.returncode == 2 and "error:" in proc.stderr and "Traceback" not in proc.stderr
