"""A real Zebra SRU server (Debian idzebra-2.0 with yaz) on loopback, indexed from the repository's MARC data.

The register is built in a temporary directory with `zebraidx` from records in data/marc; the
ISBN index (MARC 020 $a → Bib-1 use attribute 7, the Bath profile's ISBN) is added to Zebra's
stock marc21.abs, and yaz's stock CQL → PQF mapping (pqf.properties) gives `bath.isbn` and
`dc.title`. Records are served as MARCXML through a yaz retrieval rule.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings

ZEBRA_TAB = Path("/usr/share/idzebra-2.0/tab")
CQL_MAP = Path("/usr/share/yaz/etc/pqf.properties")
RECORDS = ("solrmarc/uva_001-200.mrc", "japanese/japanese_880_records.mrc")


def missing() -> str:
    """Why Zebra cannot run here, or "" when it can."""
    for tool in ("zebrasrv", "zebraidx"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: apt-get install idzebra-2.0 yaz)"
    if not (ZEBRA_TAB / "marc21.abs").exists() or not CQL_MAP.exists():
        return "Zebra's marc21.abs or yaz's pqf.properties is missing (idzebra-2.0, yaz)"
    return ""


@dataclass
class Zebra:
    process: subprocess.Popen[bytes]
    port: int
    directory: Path
    log: IO[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/Default"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.log.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(directory: Path) -> Zebra:
    data = Path(settings.TOSHOKAN_DATA_DIR) / "marc"
    (directory / "register").mkdir(parents=True)
    (directory / "tmp").mkdir()
    abs_file = (ZEBRA_TAB / "marc21.abs").read_text()
    (directory / "marc21.abs").write_text(abs_file + "melm 020$a\t\tISBN:w\n")
    shutil.copy(CQL_MAP, directory / "cql2pqf.txt")
    (directory / "zebra.cfg").write_text(
        f"profilePath: {directory}:{ZEBRA_TAB}\n"
        "attset: bib1.att\nattset: explain.att\n"
        "recordType: grs.marcxml.marc21\nencoding: utf-8\n"
        f"register: {directory}/register:50M\n"
        f"lockDir: {directory}/tmp\nsetTmpDir: {directory}/tmp\nkeyTmpDir: {directory}/tmp\n"
    )
    port = _free_port()
    (directory / "yazgfs.xml").write_text(f"""<yazgfs>
  <listen id="public">tcp:127.0.0.1:{port}</listen>
  <server id="zebra" listenref="public">
    <directory>{directory}</directory>
    <config>zebra.cfg</config>
    <cql2rpn>cql2pqf.txt</cql2rpn>
    <retrievalinfo>
      <retrieval syntax="xml" name="marcxml" identifier="info:srw/schema/1/marcxml-v1.1">
        <backend syntax="usmarc" name="F">
          <marc inputformat="marc" outputformat="marcxml" inputcharset="utf-8"/>
        </backend>
      </retrieval>
      <retrieval syntax="usmarc" name="F"/>
    </retrievalinfo>
  </server>
</yazgfs>
""")
    files = [str(data / name) for name in RECORDS]
    for args in (["init"], ["update", *files]):
        subprocess.run(
            ["zebraidx", "-c", "zebra.cfg", *args], cwd=directory, check=True, capture_output=True, timeout=60
        )
    log = (directory / "zebrasrv.log").open("wb")
    process = subprocess.Popen(["zebrasrv", "-f", "yazgfs.xml"], cwd=directory, stdout=log, stderr=log)
    zebra = Zebra(process, port, directory, log)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return zebra
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.05)
    zebra.stop()
    raise RuntimeError(f"zebrasrv did not start: {(directory / 'zebrasrv.log').read_text()[-2000:]}")
