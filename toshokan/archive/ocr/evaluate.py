"""How well OCR finds the text lines of a page, against the NDL-DocL layout annotations.

Two measures per ground-truth line, both reported:
* **matched** — one OCR line overlaps it with IoU ≥ 0.5, each OCR line used once (the usual
  detection measure; strict for long vertical lines that OCR splits in two);
* **covered** — the OCR lines together cover at least half of its area (forgives splits and merges:
  "was the text found at all").
Precision: the share of OCR lines that mostly (≥ 50 % of their area) lie on annotated text lines —
OCR lines found in illustrations, stamps or the colour chart count against it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .boxes import Box, covered_fraction
from .layout import PageLayout

IOU = 0.5
COVER = 0.5


@dataclass(frozen=True, slots=True)
class LineScore:
    truth: int  # ground-truth lines
    matched: int
    covered: int
    found: int  # OCR lines
    on_text: int  # OCR lines mostly on annotated text

    def __add__(self, other: LineScore) -> LineScore:
        return LineScore(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True)))

    def as_tuple(self) -> tuple[int, int, int, int, int]:
        return (self.truth, self.matched, self.covered, self.found, self.on_text)

    @property
    def recall_matched(self) -> float:
        return self.matched / self.truth if self.truth else 0.0

    @property
    def recall_covered(self) -> float:
        return self.covered / self.truth if self.truth else 0.0

    @property
    def precision(self) -> float:
        return self.on_text / self.found if self.found else 0.0


def score(truth: list[Box], found: list[Box], *, all_text: list[Box] | None = None) -> LineScore:
    """Score OCR line boxes `found` against ground-truth line boxes `truth`; `all_text` (default
    `truth`) is every annotated text line, for precision."""
    pairs = sorted(
        ((t.iou(f), i, j) for i, t in enumerate(truth) for j, f in enumerate(found) if t.intersection(f)),
        reverse=True,
    )
    used_truth: set[int] = set()
    used_found: set[int] = set()
    for iou, i, j in pairs:
        if iou < IOU:
            break
        if i not in used_truth and j not in used_found:
            used_truth.add(i)
            used_found.add(j)
    covered = sum(1 for t in truth if covered_fraction(t, found) >= COVER)
    text = truth if all_text is None else all_text
    on_text = sum(1 for f in found if covered_fraction(f, text) >= COVER)
    return LineScore(len(truth), len(used_truth), covered, len(found), on_text)


def score_page(layout: PageLayout, found: list[Box]) -> dict[str, LineScore]:
    """Scores for all text lines and for each kind (handwritten, typography)."""
    everything = [line.box for line in layout.lines]
    out = {"all": score(everything, found)}
    for kind in sorted({line.kind for line in layout.lines}):
        boxes = [line.box for line in layout.lines if line.kind == kind]
        s = score(boxes, found, all_text=everything)
        # Precision is a property of the OCR lines, not of one kind: report it once, under "all".
        out[kind] = LineScore(s.truth, s.matched, s.covered, 0, 0)
    return out
