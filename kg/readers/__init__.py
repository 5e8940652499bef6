"""Readers: input paths -> raw records -> :class:`~kg.model.Trial` objects.

Each reader module exposes ``FORMAT`` (its name), ``detect(head, name)`` (does
this content look like mine?) and ``records(data, source)`` (yield one
:class:`~kg.model.RawRecord` per record, carrying a Trial or the reason there is
none).  Readers do no I/O: this module finds the files, opens directories and
ZIP archives, and feeds the bytes in.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType

from ..errors import UnreadableInputError
from ..model import RawRecord
from . import ctgov_json, ctgov_page, ctgov_xml, ctis_csv, euctr_text, ictrp_csv, ictrp_trds, ictrp_xml, who_page

log = logging.getLogger(__name__)

#: every reader, in detection order
READERS: list[ModuleType] = [ctgov_json, ctgov_xml, ictrp_xml, ictrp_trds, ctgov_page, who_page, euctr_text,
                             ictrp_csv, ctis_csv]

_SKIP_SUFFIXES = {".md", ".py", ".ttl", ".nq", ".gitkeep"}


def formats() -> list[str]:
    """Names of every readable format, for ``--format``."""
    return [reader.FORMAT for reader in READERS]


def reader_for(fmt: str) -> ModuleType:
    for reader in READERS:
        if reader.FORMAT == fmt:
            return reader
    raise UnreadableInputError(f"unknown format {fmt!r}; known: {', '.join(formats())}")


def detect(data: bytes, name: str) -> ModuleType | None:
    """The reader whose ``detect`` accepts this content, or None."""
    head = data[:65536]
    for reader in READERS:
        if reader.detect(head, name):
            return reader
    return None


def iter_sources(inputs: Iterable[str | Path]) -> Iterator[tuple[str, bytes]]:
    """Yield ``(source name, bytes)`` for every readable file under the inputs, ZIP members included.

    Directories are walked in sorted order, so builds are deterministic.
    """
    for source, data, error in _sources(inputs):
        if not error:
            yield source, data


def _sources(inputs: Iterable[str | Path]) -> Iterator[tuple[str, bytes, str]]:
    """``(source name, bytes, error)`` for every file under the inputs; ``error`` says why one cannot be read.

    A path given that does not exist is a usage error; a file inside a
    directory or archive that cannot be read is reported, not fatal.
    """
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix not in _SKIP_SUFFIXES
                           and not p.name.startswith("."))
            if not files:
                log.warning("%s: no input files in this directory", path)
        elif path.is_file():
            files = [path]
        else:
            raise UnreadableInputError(f"{path}: no such file or directory")
        for file in files:
            try:
                data = file.read_bytes()
            except OSError as exc:
                yield str(file), b"", f"cannot be read ({exc.strerror or exc})"
                continue
            if file.suffix.lower() == ".zip" or data[:4] == b"PK\x03\x04":
                yield from _zip_members(file, data)
            else:
                yield str(file), data, ""


def _zip_members(path: Path, data: bytes) -> Iterator[tuple[str, bytes, str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = sorted((i for i in archive.infolist() if not i.is_dir()), key=lambda i: i.filename)
            if not members:
                log.warning("%s: empty ZIP archive, no records in it", path)
            for info in members:
                name = f"{path}!{info.filename}"
                try:
                    yield name, archive.read(info), ""
                except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, OSError, EOFError,
                        NotImplementedError, zlib.error) as exc:  # CRC error, encrypted, truncated member
                    yield name, b"", f"ZIP member cannot be extracted ({exc})"
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        yield str(path), data, f"not a readable ZIP archive ({exc})"


def read_records(inputs: Iterable[str | Path], fmt: str | None = None) -> Iterator[RawRecord]:
    """Every record in the inputs, read by the forced or detected reader.

    A file no reader recognises yields one RawRecord with the error set, so it
    reaches the quarantine instead of vanishing.
    """
    forced = reader_for(fmt) if fmt else None
    for source, data, error in _sources(inputs):
        if error:
            yield RawRecord(source, 0, data, error=error)
            continue
        if not data.strip():
            yield RawRecord(source, 0, data, error="empty file")
            continue
        refusal = _entity_declarations(data)
        if refusal:
            yield RawRecord(source, 0, data, error=refusal)
            continue
        reader = forced or detect(data, source)
        if reader is None:
            yield RawRecord(source, 0, data, error="format not recognised (use --format to say which it is)")
            continue
        yield from _guarded(reader, data, source)


_ROOT = re.compile(rb"<[A-Za-z_]")


def _entity_declarations(data: bytes) -> str:
    """Why an XML document is refused before any reader sees it: it declares entities.

    Entity declarations are how "billion laughs" expansion and external
    entities (files, URLs) get into a document; registry exports never need
    them, so such input is refused whatever parser a reader uses.
    """
    head = data[:1 << 20]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="replace").encode("utf-8")
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return ""
    root = _ROOT.search(head)
    prolog = head[: root.start()] if root else head
    if b"<!ENTITY" in prolog.upper():
        return "XML declares entities (<!ENTITY ...>): refused, entity expansion and external entities are not allowed"
    return ""


def _guarded(reader: ModuleType, data: bytes, source: str) -> Iterator[RawRecord]:
    """A reader's records; should the reader itself fail, the rest of the file becomes one error record."""
    index = 0
    try:
        for raw in reader.records(data, source):
            index = raw.index + 1
            yield raw
    except Exception as exc:  # noqa: BLE001 - a reader bug must not lose the file nor end the build
        log.debug("reader %s failed on %s", reader.FORMAT, source, exc_info=True)
        yield RawRecord(source, index, data, error=f"{reader.FORMAT} reader failed: {type(exc).__name__}: {exc}")
