"""The error family of trialkg: every error says which file, record and field."""

from __future__ import annotations


class KGError(Exception):
    """Base of all errors trialkg raises on purpose."""


class ParseError(KGError):
    """A record, or one field of it, could not be read."""

    def __init__(self, source: str, detail: str, record_id: str = "", field: str = "") -> None:
        self.source = source
        self.record_id = record_id
        self.field = field
        self.detail = detail
        where = source
        if record_id:
            where += f", record {record_id}"
        if field:
            where += f", field {field}"
        super().__init__(f"{where}: {detail}")


class UnreadableInputError(KGError):
    """An input path does not exist, or holds nothing trialkg can read."""


class StoreError(KGError):
    """The store cannot be opened or written."""


class QueryError(KGError):
    """A SPARQL query is malformed or names an unknown bundled query."""
