"""OCR of Japanese pages with Tesseract: how many text lines it finds on Edo-period page images, and how
well it reads modern vertical print, in the same run.

* **Edo-period pages** — the NDL-DocL samples (public domain; 算法少女 1775 and 機巧図彙 1796, two-page
  spreads, 1600×1200) with their layout annotations: line-detection recall against the annotated
  text lines (matched at IoU ≥ 0.5, and covered ≥ 50 %), split into cursive (くずし字) and
  printed/regular-script lines, and precision. The dataset has no transcriptions, so how well the
  text itself is read can only be shown by Tesseract's own confidence and by the recognised text.
* **Modern print** — pages set in vertical Japanese (Noto Serif CJK, 28 px on a 1600×1200 page,
  as a scan of a modern book at about 200 dpi) from an Aozora Bunko text the project ships, so the
  true text is known: character error rate (edit distance / length) and line recall.

Both run Tesseract exactly as the archive does (toshokan.archive.ocr.tesseract).
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toshokan.archive.ocr import tesseract
from toshokan.archive.ocr.boxes import Box
from toshokan.archive.ocr.evaluate import LineScore, score, score_page
from toshokan.archive.ocr.layout import read_layout

from .paths import ROOT

FONT = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
PAGE = (1600, 1200)
FONT_PX = 28
MARGIN = 90


def _ndl_pages() -> list[Path]:
    # All ten annotated spreads where the shared data is at hand; else the few the demo ships.
    for base in (ROOT.parent / "shared" / "data" / "page_images", ROOT / "data" / "archive" / "page_images"):
        pages = sorted(p for p in base.glob("**/*.xml") if p.with_suffix(".jpg").exists())
        if pages:
            return pages
    return []


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _plain(text: str) -> str:
    """Aozora text without its ruby 《》, notes ［＃…］, ruby bar ｜ and anything that is not a letter."""
    text = re.sub(r"《[^》]*》|［＃[^］]*］|｜", "", text)
    return "".join(c for c in text if c.isalnum())


def _aozora_lines(count: int, per_line: int) -> list[str]:
    source = ROOT / "data" / "aozora" / "texts" / "127_ruby_150.txt"  # 羅生門 (新字新仮名)
    raw = source.read_bytes().decode("utf-8", "replace")
    body = raw.split("-------------------------------------------------------", 2)[-1]
    plain = _plain(body)
    return [plain[i : i + per_line] for i in range(0, per_line * count, per_line)]


def render_vertical_page(lines: list[str], path: Path) -> list[Box]:
    """Columns of vertical text, right to left; the box of each column."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", PAGE, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), FONT_PX, index=0)  # Noto Serif CJK JP is the first face
    step = int(FONT_PX * 1.9)
    boxes = []
    for n, line in enumerate(lines):
        x = PAGE[0] - MARGIN - (n + 1) * step
        y = MARGIN
        for ch in line:
            draw.text((x, y), ch, font=font, fill=0)
            y += int(FONT_PX * 1.1)
        boxes.append(Box(x, MARGIN, x + FONT_PX, y))
    image.save(path, quality=92)
    return boxes


def run(*, log: Callable[[str], None], modern_pages: int = 3) -> dict[str, Any]:
    missing = tesseract.available()
    if missing:
        return {"skipped": missing}
    out: dict[str, Any] = {"tesseract": tesseract.DEFAULT_LANGUAGES, "psm": tesseract.DEFAULT_PSM}

    pages = _ndl_pages()
    if pages:
        totals: dict[str, LineScore] = {}
        confidences: list[float] = []
        seconds: list[float] = []
        samples: list[str] = []
        modes: dict[int, int] = {}
        for xml in pages:
            layout = read_layout(xml)
            t0 = time.perf_counter()
            page = tesseract.recognise(xml.with_suffix(".jpg"))
            seconds.append(time.perf_counter() - t0)
            for kind, s in score_page(layout, [line.box for line in page.lines]).items():
                totals[kind] = totals[kind] + s if kind in totals else s
            confidences += [line.confidence for line in page.lines]
            modes[page.psm] = modes.get(page.psm, 0) + 1
            samples += [line.text for line in sorted(page.lines, key=lambda ln: -ln.confidence)[:1]]
            log(f"ocr: {xml.stem}: {len(page.lines)} lines in {seconds[-1]:.1f} s")
        out["edo"] = {
            "pages": len(pages),
            "seconds_per_page": round(statistics.median(seconds), 2),
            "mean_line_confidence": round(statistics.fmean(confidences), 1) if confidences else 0.0,
            "sample_text": samples[:3],
            "segmentation_chosen": {str(k): v for k, v in sorted(modes.items())},
            **{
                kind: {
                    "lines": s.truth,
                    "recall_matched": round(s.recall_matched, 3),
                    "recall_covered": round(s.recall_covered, 3),
                    **({"precision": round(s.precision, 3), "ocr_lines": s.found} if kind == "all" else {}),
                }
                for kind, s in totals.items()
            },
        }
    else:
        out["edo"] = {
            "skipped": "no NDL-DocL page images (data/archive/page_images or ../shared/data/page_images)"
        }

    if not FONT.exists():
        out["modern"] = {"skipped": f"no font at {FONT} (Debian: fonts-noto-cjk)"}
        return out
    per_line = int((PAGE[1] - 2 * MARGIN) / (FONT_PX * 1.1))
    columns = int((PAGE[0] - 2 * MARGIN) / (FONT_PX * 1.9))
    all_lines = _aozora_lines(columns * modern_pages, per_line)
    errors = length = 0
    score_sum: LineScore | None = None
    confidences = []
    chosen: dict[int, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(modern_pages):
            truth_lines = all_lines[n * columns : (n + 1) * columns]
            path = Path(tmp) / f"modern{n}.jpg"
            boxes = render_vertical_page(truth_lines, path)
            page = tesseract.recognise(path)
            read = _plain("".join(line.text for line in sorted(page.lines, key=lambda ln: -ln.box.left)))
            truth = "".join(truth_lines)
            errors += edit_distance(read, truth)
            length += len(truth)
            s = score(boxes, [line.box for line in page.lines])
            score_sum = s if score_sum is None else score_sum + s
            confidences += [line.confidence for line in page.lines]
            chosen[page.psm] = chosen.get(page.psm, 0) + 1
            log(f"ocr: modern page {n + 1}: CER {edit_distance(read, truth) / len(truth):.3f}")
    assert score_sum is not None
    out["modern"] = {
        "pages": modern_pages,
        "characters": length,
        "cer": round(errors / length, 4),
        "recall_matched": round(score_sum.recall_matched, 3),
        "recall_covered": round(score_sum.recall_covered, 3),
        "mean_line_confidence": round(statistics.fmean(confidences), 1) if confidences else 0.0,
        "segmentation_chosen": {str(k): v for k, v in sorted(chosen.items())},
    }
    return out


def render(ocr: dict[str, Any]) -> str:
    if ocr.get("skipped"):
        return f"OCR: skipped: {ocr['skipped']}"
    lines = [f"OCR (Tesseract {ocr['tesseract']}, page segmentation {ocr['psm']}):"]
    edo = ocr.get("edo", {})
    if edo.get("skipped"):
        lines.append(f"  Edo-period pages: skipped: {edo['skipped']}")
    elif edo:
        lines.append(
            f"  Edo-period pages (NDL-DocL, {edo['pages']} spreads, {edo['seconds_per_page']} s/page): "
            f"mean line confidence {edo['mean_line_confidence']}"
        )
        for kind in ("all", "handwritten", "typography"):
            if kind in edo:
                s = edo[kind]
                extra = (
                    f", precision {s['precision']:.2f} of {s['ocr_lines']} OCR lines"
                    if "precision" in s
                    else ""
                )
                lines.append(
                    f"    {kind:12s} {s['lines']:4d} lines: recall {s['recall_matched']:.2f} matched (IoU ≥ 0.5), "
                    f"{s['recall_covered']:.2f} covered{extra}"
                )
        lines.append(f"    most confident lines read: {' | '.join(edo['sample_text'])}")
    modern = ocr.get("modern", {})
    if modern.get("skipped"):
        lines.append(f"  modern print: skipped: {modern['skipped']}")
    elif modern:
        lines.append(
            f"  modern vertical print ({modern['pages']} pages, {modern['characters']} characters): "
            f"CER {modern['cer']:.3f}, line recall {modern['recall_matched']:.2f} matched, "
            f"mean line confidence {modern['mean_line_confidence']}"
        )
    return "\n".join(lines)
