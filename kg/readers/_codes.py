"""Code-list lookups shared by the readers: a value maps to an ontology term, or is kept and reported."""

from __future__ import annotations

from typing import Any

from ..model import Coded, Issue
from ..resources import code_lists


class CodeLookup:
    """Looks values up in one mapping folder's code lists, collecting an Issue for every unseen value."""

    def __init__(self, folder: str) -> None:
        self.codes = code_lists(folder)
        self.issues: list[Issue] = []

    def term(self, table: str, value: str) -> str | None:
        """The ontology term of a value, or None; readers whose registries vary spelling override this."""
        return self.codes[table].get(value)

    def code(self, table: str, value: Any, field: str) -> Coded | None:
        """A :class:`Coded` for a value (None when empty); an unseen value is kept verbatim with an issue."""
        if value is None or value == "":
            return None
        value = str(value)
        term = self.term(table, value)
        if term is None:
            self.issues.append(Issue(field, f"unseen {table.replace('_', ' ')} value, kept verbatim", value))
        return Coded(value, term)
