"""Fetch studies from the ClinicalTrials.gov API v2 into files the readers take.

Network access lives here and nowhere else: the readers stay pure.  Pages of
search results are saved as they come (``{"studies": [...]}``), single studies
as ``NCTxxxxxxxx.json``; ``trialkg build`` reads either.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import requests

from .errors import KGError

log = logging.getLogger(__name__)

API = "https://clinicaltrials.gov/api/v2"
TIMEOUT = 60  #: seconds per request
PAGE_SIZE = 100


class FetchError(KGError):
    """The API could not be reached or answered with an error."""


def _get(session: requests.Session, url: str, params: dict | None = None) -> requests.Response:
    try:
        response = session.get(url, params=params, timeout=TIMEOUT, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise FetchError(f"{url}: {exc}") from exc
    if response.status_code != 200:
        raise FetchError(f"{response.url}: HTTP {response.status_code}: {response.text[:200]}")
    return response


def fetch_studies(ids: list[str], out: Path, api: str = API) -> list[Path]:
    """Save each study as ``out/<NCT id>.json``; return the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with requests.Session() as session:
        for nct in ids:
            response = _get(session, f"{api}/studies/{nct}")
            path = out / f"{nct}.json"
            path.write_bytes(response.content)
            written.append(path)
    return written


def search_pages(query: dict[str, str], out: Path, limit: int, api: str = API) -> Iterator[tuple[Path, int]]:
    """Save search results page by page (``out/page-0001.json`` …) until ``limit`` studies; yield (file, count)."""
    out.mkdir(parents=True, exist_ok=True)
    params = {**query, "pageSize": min(PAGE_SIZE, limit), "format": "json"}
    seen = 0
    with requests.Session() as session:
        for number in range(1, 100_000):
            response = _get(session, f"{api}/studies", params)
            try:
                page = response.json()
            except ValueError as exc:
                raise FetchError(f"{response.url}: the answer is not JSON") from exc
            studies = page.get("studies") or []
            path = out / f"page-{number:04d}.json"
            path.write_bytes(response.content)
            seen += len(studies)
            yield path, len(studies)
            token = page.get("nextPageToken")
            if not token or not studies or seen >= limit:
                return
            params["pageToken"] = token
            params["pageSize"] = min(PAGE_SIZE, limit - seen)
