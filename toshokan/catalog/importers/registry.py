"""Which reader handles which format. Each reader yields BibRecords and ImportProblems in file order.

`READERS` take a path (the import command); `read_stream` takes an open binary file and its name
(the admin's upload). `sniff_format` tells the format from a file's name and first bytes.
`read_in_worker` runs a reader in a process of its own, so that reading a big file and storing
what it gives use two processor cores at once.
"""

from __future__ import annotations

import gzip
import io
import multiprocessing
import os
import queue
import traceback
from collections.abc import Callable, Generator, Iterable, Iterator
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import IO, Any

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


_DONE = "done"
_FAILED = "failed"


def _worker(
    read: Callable[[], Iterable[Item]],
    transform: Callable[[BibRecord], Any] | None,
    chunk_size: int,
    out: multiprocessing.Queue[Any],
    received: EventType,
) -> None:
    parent = os.getppid()

    def orphaned() -> bool:
        # The importing process is gone (killed): so are we. Leaving by os._exit, since a normal
        # exit would wait for the queue's thread to write to a pipe nobody reads any more.
        if os.getppid() != parent:
            os._exit(1)
        return False

    def put(message: tuple[str, Any]) -> None:
        while True:
            try:
                out.put(message, timeout=1)
                return
            except queue.Full:
                orphaned()

    try:
        chunk: list[Any] = []
        for item in read():
            chunk.append(transform(item) if transform is not None and isinstance(item, BibRecord) else item)
            if len(chunk) >= chunk_size:
                put(("items", chunk))
                chunk = []
        put(("items", chunk))
        put((_DONE, None))
    except BaseException:
        put((_FAILED, traceback.format_exc()))
    while not received.wait(0.5) and not orphaned():
        pass  # until the importing process has taken everything


def read_in_worker(
    read: Callable[[], Iterable[Item]],
    *,
    transform: Callable[[BibRecord], Any] | None = None,
    name: str = "",
    chunk_size: int = 250,
    depth: int = 8,
) -> Generator[Any, None, None]:
    """What `read()` yields (e.g. `partial(READERS["marc"], path)`), in the same order, read in a
    child process.

    Each BibRecord is passed through `transform` there first (the catalogue's import prepares
    its rows there). Items come over in lists of `chunk_size` through a queue at most `depth`
    lists long, so the reader is never more than that far ahead and memory stays flat whatever
    the file's size. The child is forked (it needs nothing but this module and the reader, and
    never touches the database it inherits); it stops when the file ends, when this iterator is
    closed, and when the process that started it dies, even of SIGKILL.
    """
    context = multiprocessing.get_context("fork")
    out: multiprocessing.Queue[Any] = context.Queue(maxsize=depth)
    received = context.Event()
    process: BaseProcess = context.Process(
        target=_worker,
        args=(read, transform, chunk_size, out, received),
        name=f"read {name}",
        daemon=True,
    )
    process.start()  # (multiprocessing flushes the standard streams before it forks)
    finished = False
    try:
        while True:
            try:
                kind, payload = out.get(timeout=1)
            except queue.Empty:
                if not process.is_alive():
                    raise RuntimeError(
                        f"the reader of {name} stopped (exit code {process.exitcode})"
                    ) from None
                continue
            if kind == _DONE:
                finished = True
                break
            if kind == _FAILED:
                finished = True
                raise RuntimeError(f"the reader of {name} failed:\n{payload}")
            yield from payload
    finally:
        received.set()
        if not finished:  # closed early (the import failed): the reader may still be reading
            process.terminate()
        process.join()
        out.close()
