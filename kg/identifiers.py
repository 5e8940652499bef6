"""Registry identifier schemes: recognise an id, name its registry, link its page."""

from __future__ import annotations

import re
from functools import cache

from .resources import read_tsv


@cache
def _schemes() -> list[tuple[str, str, re.Pattern[str], str]]:
    return [(scheme, registry, re.compile(pattern), page)
            for scheme, registry, pattern, page in (row + [""] * (4 - len(row)) for row in read_tsv("mappings", "registries.tsv"))]


def classify(value: str) -> tuple[str, str] | None:
    """Return ``(scheme, registry)`` for a registry identifier, or None if it matches no scheme."""
    value = value.strip()
    for scheme, registry, pattern, _ in _schemes():
        if pattern.match(value):
            return scheme, registry
    return None


def landing_page(value: str) -> str:
    """The registry's public page for an identifier, where the scheme has one."""
    for _, _, pattern, page in _schemes():
        if page and pattern.match(value):
            return page.replace("{id}", value)
    return ""


_EUCTR = re.compile(r"^EUCTR(\d{4}-\d{6}-\d{2})(?:-[A-Z]{2,3})?$")


def trial_key(trial_id: str) -> str:
    """The key a trial's IRI is minted from: one per trial, whatever the source record.

    Country-specific EU CTR records (``EUCTR2021-000037-14-PL``) all describe one
    EudraCT trial and share its key (``2021-000037-14``).
    """
    match = _EUCTR.match(trial_id)
    return match.group(1) if match else trial_id
