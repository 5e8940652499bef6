"""Readers: input paths -> raw records -> :class:`~kg.model.Trial` objects.

Each reader module exposes ``FORMAT`` (its name), ``detect(head, name)`` (does
this content look like mine?) and ``records(data, source)`` (yield one
:class:`~kg.model.RawRecord` per record, carrying a Trial or the reason there is
none).  Readers do no I/O: this module finds the files, opens directories and
ZIP archives, and feeds the bytes in.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType

from ..errors import UnreadableInputError
from ..model import RawRecord
from . import ctgov_json, ctgov_page, who_page

#: every reader, in detection order
READERS: list[ModuleType] = [ctgov_json, ctgov_page, who_page]

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
    """Yield ``(source name, bytes)`` for every file under the inputs, ZIP members included.

    Directories are walked in sorted order, so builds are deterministic.
    """
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix not in _SKIP_SUFFIXES
                           and not p.name.startswith("."))
        elif path.is_file():
            files = [path]
        else:
            raise UnreadableInputError(f"{path}: no such file or directory")
        for file in files:
            if file.suffix.lower() == ".zip":
                yield from _zip_members(file)
            else:
                try:
                    yield str(file), file.read_bytes()
                except OSError as exc:
                    raise UnreadableInputError(f"{file}: cannot be read ({exc.strerror})") from exc


def _zip_members(path: Path) -> Iterator[tuple[str, bytes]]:
    try:
        with zipfile.ZipFile(path) as archive:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                if not info.is_dir():
                    yield f"{path}!{info.filename}", archive.read(info)
    except zipfile.BadZipFile as exc:
        raise UnreadableInputError(f"{path}: not a readable ZIP archive ({exc})") from exc


def read_records(inputs: Iterable[str | Path], fmt: str | None = None) -> Iterator[RawRecord]:
    """Every record in the inputs, read by the forced or detected reader.

    A file no reader recognises yields one RawRecord with the error set, so it
    reaches the quarantine instead of vanishing.
    """
    forced = reader_for(fmt) if fmt else None
    for source, data in iter_sources(inputs):
        reader = forced or detect(data, source)
        if reader is None:
            yield RawRecord(source, 0, data, error="format not recognised (use --format to say which it is)")
            continue
        yield from reader.records(data, source)
