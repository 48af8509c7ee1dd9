"""Which reader handles which format. Each reader yields BibRecords and ImportProblems in file order.

`READERS` take a path (the import command); `read_stream` takes an open binary file and its name
(the admin's upload). `sniff_format` tells the format from a file's name and first bytes.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from ..domain.records import BibRecord, ImportProblem

Item = BibRecord | ImportProblem
Reader = Callable[[Path], Iterator[Item]]
StreamReader = Callable[[IO[bytes], str], Iterator[Item]]

FORMAT_LABELS = {
    "marc": "MARC21 (ISO 2709, MARC-8 / UTF-8)",
    "marcxml": "MARCXML",
    "dcndl": "DC-NDL (NDL Search RDF/XML, DC-NDL Simple)",
    "aozora": "青空文庫 作家別作品一覧 (CSV)",
}


def _aozora_stream(stream: IO[bytes], name: str) -> Iterator[Item]:
    from .aozora import read_catalogue

    raw: IO[bytes] = gzip.GzipFile(fileobj=stream) if name.lower().endswith(".gz") else stream  # type: ignore[assignment]
    yield from read_catalogue(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))


def _marc_stream(stream: IO[bytes], name: str) -> Iterator[Item]:
    from .marc import read_marc

    yield from read_marc(stream, name=name)


def _marcxml_stream(stream: IO[bytes], name: str) -> Iterator[Item]:
    from .marc import read_marcxml

    yield from read_marcxml(stream, name=name)


def _dcndl_stream(stream: IO[bytes], name: str) -> Iterator[Item]:
    from .dcndl import read_dcndl

    yield from read_dcndl(stream, name=name)


STREAM_READERS: dict[str, StreamReader] = {
    "aozora": _aozora_stream,
    "marc": _marc_stream,
    "marcxml": _marcxml_stream,
    "dcndl": _dcndl_stream,
}


def _from_path(fmt: str) -> Reader:
    def read(path: Path) -> Iterator[Item]:
        with open(path, "rb") as stream:
            yield from STREAM_READERS[fmt](stream, path.name)

    read.__name__ = f"read_{fmt}"
    return read


READERS: dict[str, Reader] = {fmt: _from_path(fmt) for fmt in STREAM_READERS}


def read_stream(fmt: str, stream: IO[bytes], name: str = "") -> Iterator[Item]:
    if fmt not in STREAM_READERS:
        raise ValueError(f"format {fmt!r} is not supported (choose from {sorted(STREAM_READERS)})")
    return STREAM_READERS[fmt](stream, name)


def sniff_format(name: str, head: bytes) -> str | None:
    """The format of a file from its name and first few kilobytes; None when neither tells."""
    lower = name.lower()
    if "list_person_all" in lower or (lower.endswith((".csv", ".csv.gz")) and "aozora" in lower):
        return "aozora"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:5].isdigit():
        return "marc"
    if text.startswith(b"<"):
        if b"ndl.go.jp/dcndl" in head or b"dcndl" in head:
            return "dcndl"
        if b"MARC21/slim" in head or b"<record" in head or b"<collection" in head:
            return "marcxml"
    if lower.endswith((".mrc", ".marc", ".dat", ".iso", ".iso2709")):
        return "marc"
    if lower.endswith((".marcxml", ".marc.xml")):
        return "marcxml"
    return None


def detect_format(path: Path) -> str:
    with open(path, "rb") as stream:
        head = stream.read(8192)
    fmt = sniff_format(path.name, head)
    if fmt is None:
        raise ValueError(f"cannot tell the format of {path.name}; pass --format")
    return fmt
