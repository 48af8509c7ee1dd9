"""Which reader handles which format. Each reader yields BibRecords and ImportProblems in file order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from ..domain.records import BibRecord, ImportProblem

Reader = Callable[[Path], Iterator[BibRecord | ImportProblem]]


def _aozora(path: Path) -> Iterator[BibRecord | ImportProblem]:
    from .aozora import open_catalogue, read_catalogue

    with open_catalogue(path) as stream:
        yield from read_catalogue(stream)


READERS: dict[str, Reader] = {"aozora": _aozora}


def detect_format(path: Path) -> str:
    name = path.name.lower()
    if "list_person_all" in name or (name.endswith((".csv", ".csv.gz")) and "aozora" in name):
        return "aozora"
    if name.endswith((".mrc", ".marc", ".dat", ".iso", ".iso2709")):
        return "marc"
    if name.endswith((".marcxml", ".marc.xml")):
        return "marcxml"
    if name.endswith(".xml"):
        head = path.read_bytes()[:4096]
        if b"dcndl" in head or b"ndl.go.jp/dcndl" in head:
            return "dcndl"
        return "marcxml"
    raise ValueError(f"cannot tell the format of {path.name}; pass --format")
