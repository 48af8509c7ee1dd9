"""Tesseract (Debian `tesseract-ocr` with the `jpn`, `jpn_vert` models) as a subprocess: a page image in,
its text lines and words with their boxes and confidences out.

The TSV output is read rather than plain text because the boxes are what a hit is highlighted with
on the page image (IIIF annotations), and the confidences say how far to trust the text. Vertical
Japanese is read with `jpn_vert` first; `jpn` beside it takes the horizontal lines a page may have
(captions, page numbers). Tesseract runs one thread (OMP_THREAD_LIMIT=1): the background worker
runs pages side by side instead, and a page never takes every core from the web server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .boxes import Box

DEFAULT_LANGUAGES = "jpn_vert+jpn"
# Page segmentation: 5 takes the page as one block of vertical lines, which reads a vertical page of
# print well (「吾輩は猫である」 letter for letter) where 3, the automatic layout analysis, often
# garbles it — but 3 copes with pages of mixed columns, figures and captions. "auto" runs both and
# keeps the reading Tesseract is more confident of (docs/ocr.md has the figures).
DEFAULT_PSM = "auto"
AUTO_MODES = (5, 3)


class OcrError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    box: Box
    confidence: float  # 0–100, as Tesseract gives it


@dataclass(slots=True)
class Line:
    box: Box
    words: list[Word] = field(default_factory=list)

    @property
    def text(self) -> str:
        # Japanese is written without spaces; Latin words keep theirs.
        out = ""
        for word in self.words:
            if (
                out
                and out[-1].isascii()
                and out[-1].isalnum()
                and word.text[:1].isascii()
                and word.text[:1].isalnum()
            ):
                out += " "
            out += word.text
        return out

    @property
    def confidence(self) -> float:
        weights = [len(w.text) for w in self.words]
        total = sum(weights)
        return (
            sum(w.confidence * n for w, n in zip(self.words, weights, strict=True)) / total if total else 0.0
        )


@dataclass(frozen=True, slots=True)
class PageText:
    width: int
    height: int
    lines: list[Line]
    languages: str

    psm: int = 0

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines if line.text)

    @property
    def confidence(self) -> float:
        """Tesseract's confidence over the whole page, weighted by characters (0–100)."""
        words = [w for line in self.lines for w in line.words]
        total = sum(len(w.text) for w in words)
        return sum(w.confidence * len(w.text) for w in words) / total if total else 0.0


def available() -> str | None:
    """None when Tesseract and the Japanese models are installed; otherwise what is missing."""
    if shutil.which("tesseract") is None:
        return "tesseract is not installed (Debian: tesseract-ocr tesseract-ocr-jpn tesseract-ocr-jpn-vert)"
    listed = subprocess.run(
        ["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30
    ).stdout.split()
    missing = [lang for lang in ("jpn", "jpn_vert") if lang not in listed]
    return f"Tesseract models missing: {', '.join(missing)}" if missing else None


def recognise(
    image: Path, *, languages: str = DEFAULT_LANGUAGES, psm: int | str = DEFAULT_PSM, timeout_s: float = 300
) -> PageText:
    """The text of one page image; `psm` a Tesseract page segmentation mode or "auto"."""
    if psm == "auto":
        readings = [_run(image, languages, mode, timeout_s) for mode in AUTO_MODES]
        return max(readings, key=lambda page: page.confidence)
    return _run(image, languages, int(psm), timeout_s)


def _run(image: Path, languages: str, psm: int, timeout_s: float) -> PageText:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run(
            ["tesseract", str(image), "stdout", "-l", languages, "--psm", str(psm), "tsv"],
            capture_output=True,
            timeout=timeout_s,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise OcrError(f"Tesseract took longer than {timeout_s:.0f} s on {image.name}") from None
    except FileNotFoundError:
        raise OcrError("tesseract is not installed") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrError(f"Tesseract failed on {image.name}: {message[-1] if message else done.returncode}")
    return parse_tsv(done.stdout.decode("utf-8", "replace"), languages=languages, psm=psm)


def parse_tsv(tsv: str, *, languages: str = DEFAULT_LANGUAGES, psm: int = 0) -> PageText:
    """Tesseract's TSV (level, page, block, paragraph, line, word, left, top, width, height, conf, text)."""
    width = height = 0
    lines: dict[tuple[int, int, int], Line] = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12:
            continue
        level = int(cols[0])
        left, top, w, h = (int(c) for c in cols[6:10])
        box = Box(left, top, left + w, top + h)
        key = (int(cols[2]), int(cols[3]), int(cols[4]))
        if level == 1:
            width, height = w, h
        elif level == 4:
            lines[key] = Line(box)
        elif level == 5:
            text = cols[11].strip()
            if text and key in lines:
                lines[key].words.append(Word(text, box, float(cols[10])))
    return PageText(width, height, [line for line in lines.values() if line.words], languages, psm)
