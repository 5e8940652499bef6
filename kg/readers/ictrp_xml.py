"""WHO ICTRP search-portal XML export: ``<Trials_downloaded_from_ICTRP><Trial>…``.

Each ``<Trial>`` holds flat elements (``TrialID``, ``Public_title``,
``Recruitment_Status`` …) whose text is padded with whitespace and may carry
literal ``<br>``; :func:`kg.readers.ictrp_common.trial_from_fields` maps them.
Parsing is safe: no DTD loading, no entity expansion, no network.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from ..model import RawRecord
from ._xml import safe_parser
from .ictrp_common import clean, trial_from_fields

FORMAT = "ictrp-xml"
MAPPING = "ictrp"
ROOT = b"<Trials_downloaded_from_ICTRP"


def parser() -> etree.XMLParser:
    """The ICTRP exports' parser: large files allowed, comments dropped."""
    return safe_parser(huge_tree=True, remove_comments=True)


def detect(head: bytes, name: str) -> bool:
    """The export's root element is ``Trials_downloaded_from_ICTRP``."""
    return ROOT in head


def records(data: bytes, source: str) -> Iterator[RawRecord]:
    """Yield every ``<Trial>`` of the file as a RawRecord carrying its Trial, or its error."""
    try:
        root = etree.fromstring(data, parser())
    except etree.XMLSyntaxError as exc:
        yield RawRecord(source, 0, data, error=f"not well-formed XML: {exc}")
        return
    if root.tag != "Trials_downloaded_from_ICTRP":
        yield RawRecord(source, 0, data, error=f"root element is <{root.tag}>, not <Trials_downloaded_from_ICTRP>")
        return
    for index, element in enumerate(root.iterchildren("Trial")):
        raw = etree.tostring(element, encoding="utf-8")
        fields: dict[str, str] = {}
        for child in element:
            if isinstance(child.tag, str):
                fields[child.tag] = "".join(child.itertext())
        record_id = clean(fields.get("TrialID"))
        if not record_id:
            yield RawRecord(source, index, raw, error="record has no TrialID", field="TrialID")
            continue
        try:
            trial = trial_from_fields(fields, FORMAT, source)
        except ValueError as exc:
            yield RawRecord(source, index, raw, record_id, error=str(exc), field="TrialID")
            continue
        yield RawRecord(source, index, raw, record_id, trial)


def field_paths(data: bytes) -> Iterator[str]:
    """Every non-empty field (element name) of the trials in a file, for coverage."""
    try:
        root = etree.fromstring(data, parser())
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"invalid XML: {exc}") from exc
    for element in root.iterchildren("Trial"):
        for child in element:
            if isinstance(child.tag, str) and "".join(child.itertext()).strip():
                yield child.tag
