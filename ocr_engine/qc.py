"""Page quality metrics and the verdicts drawn from them.

Every page gets a :class:`QcReport`. A page below :data:`MIN_DPI` or without a resolution is
*rejected*; a blank page is *flagged*. Neither is ever silently treated as fine: each problem
carries an English message for operators and a Vietnamese one for vendors and archivists.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

from .pages import MIN_DPI  # the page rules shared with intake

MARK_DPI = 150  # resolution at which marks are looked for: a 1 mm digit stroke is still 6 px tall
MARK_CONTRAST = 10  # a mark is at least this much darker than the paper (grey levels). 50 called 3 of the broad
#                     suite's fresh augraphy pages blank (faint ink 22-45 below flat paper, readable by plain
#                     Tesseract), 20 another (s101489, seeds 101300-101599: 9 lines 9-17 levels below flat paper;
#                     98 marks at 10). Tuning seeds: the 5 blank pages without a mark at 20 have none at 10 either;
#                     paper grain is held off by the noise term below, and a blank page taken for one with marks
#                     only costs a reading
MARK_NOISE_SIGMAS = 4.0  # ... and darker than this many standard deviations of the paper's own noise
MARK_COLOUR_CONTRAST = 12  # ... or, on a page with no such mark, differs this much in colour from the paper (CIELAB a*
#                            or b*, 8-bit units): faint blue ink on grey textured paper can be no darker than the
#                            paper's grain (fresh broad-suite page s101239: 34 lines, 0 dark marks). On the tuning
#                            seeds' 14 blank pages 6 found a mark on one, 12 and 20 on none; 20 still found 97 marks
#                            on the faint blue page, 12 found 597
MARK_MIN_MM = 1.0  # a mark at least this tall or wide is text-like: a page number in 10 pt is 2.5 mm tall,
#                    dust and JPEG specks after the 3×3 median stay under 0.5 mm


@dataclass(frozen=True)
class Problem:
    code: str  # "low_dpi", "dpi_unknown", "blank", "input", "engine", "orientation_uncertain", "low_reading_quality"
    severity: str  # "reject" (page not acceptable) or "flag" (acceptable, needs a look)
    message: str
    message_vi: str


@dataclass
class QcReport:
    dpi: float | None
    colour_depth_bits: int
    colour_mode: str
    width: int
    height: int
    blur_score: float  # variance of the Laplacian; lower is blurrier
    ink_coverage: float  # fraction of dark pixels, 0..1
    marks: int  # text-like marks found (connected components after noise removal; see text_marks)
    blank: bool  # no text-like mark at all
    skew_deg: float  # text-line angle found, degrees counter-clockwise
    orientation_deg: int  # clockwise rotation applied to make the page upright
    streaks_removed: int  # vertical streaks crossing the text, evened out (the page is read as a line sheet)
    problems: list[Problem] = field(default_factory=list)
    reading: dict | None = None  # the kept reading's quality (ocr_engine.quality.Reading.to_dict())
    path: str | None = None  # which way of reading the page won (see ocr_engine.evidence)
    paths: list[dict] = field(default_factory=list)  # every reading tried: name, orientation, score, evidence
    lines_by_engine: dict[str, int] | None = None  # engine auto: how many kept lines each reader's reading won
    osd: dict | None = None  # Tesseract's orientation detection, when it was asked
    words_corrected: int = 0  # words whose tone or vowel marks the syllable model changed (ocr_engine.lm.MARKS_MARGIN)

    @property
    def rejected(self) -> bool:
        return any(p.severity == "reject" for p in self.problems)

    def to_dict(self) -> dict:
        return {**asdict(self), "rejected": self.rejected}


def ink_coverage(grey: np.ndarray) -> float:
    """Fraction of pixels clearly darker than the paper (below 60 % of its median level)."""
    small = grey[::4, ::4]
    paper = float(np.median(small))
    return float(np.count_nonzero(small < paper * 0.6)) / small.size


def text_marks(grey: np.ndarray, dpi: float | None, rgb: np.ndarray | None = None) -> int:
    """How many text-like marks a page holds: connected components clearly darker than the paper
    (MARK_CONTRAST, MARK_NOISE_SIGMAS) after a 3×3 median has removed pixel noise, at least
    MARK_MIN_MM tall or wide, not touching the image edge (scanner bed, page border). When there is
    none and the page is in colour (``rgb``), components whose colour differs from the paper's
    (MARK_COLOUR_CONTRAST in CIELAB a* or b*, and the same noise rule) count instead: coloured ink
    as light as the paper's grain is still ink.

    A single text line, a page number, a stamp, a signature or a handwritten note each give one
    or more; blank paper, one solid colour and pure noise give none. A page is blank only when
    this is 0: whatever else is on it is read.
    """
    scale, min_px = _mark_scale(dpi)
    count = len(_components(_dark(grey, scale), min_px))
    if count or rgb is None or rgb.ndim != 3:
        return count
    lab = cv2.cvtColor(_small(np.ascontiguousarray(rgb[..., :3]), scale), cv2.COLOR_RGB2LAB)
    for channel in (lab[..., 1], lab[..., 2]):
        deviation = np.abs(channel.astype(np.float32) - float(np.median(channel)))
        count = max(count, len(_components(
            deviation > max(MARK_COLOUR_CONTRAST, MARK_NOISE_SIGMAS * _noise(channel)), min_px)))
    return count


def marks_box(grey: np.ndarray, dpi: float | None) -> tuple[int, int, int, int] | None:
    """The box (x0, y0, x1, y1 in *grey*'s pixels) around all the dark text-like marks of :func:`text_marks`,
    or None when there is none."""
    scale, min_px = _mark_scale(dpi)
    stats = _components(_dark(grey, scale), min_px)
    if not len(stats):
        return None
    x0, y0 = stats[:, 0].min(), stats[:, 1].min()
    x1, y1 = (stats[:, 0] + stats[:, 2]).max(), (stats[:, 1] + stats[:, 3]).max()
    return (int(x0 / scale), int(y0 / scale), min(grey.shape[1], int(np.ceil(x1 / scale))),
            min(grey.shape[0], int(np.ceil(y1 / scale))))


def _mark_scale(dpi: float | None) -> tuple[float, float]:
    """(the factor that brings a page of *dpi* to MARK_DPI, the least size of a mark there in pixels)."""
    dpi = dpi or MIN_DPI
    scale = min(1.0, MARK_DPI / dpi)
    return scale, MARK_MIN_MM / 25.4 * dpi * scale


def _dark(grey: np.ndarray, scale: float) -> np.ndarray:
    """Where the page (reduced by *scale*) is clearly darker than its paper (MARK_CONTRAST, MARK_NOISE_SIGMAS)."""
    small = _small(grey, scale)
    return small < float(np.median(small)) - max(MARK_CONTRAST, MARK_NOISE_SIGMAS * _noise(small))


def _small(image: np.ndarray, scale: float) -> np.ndarray:
    """The image at the marks' resolution, its pixel noise removed by a 3×3 median."""
    if scale < 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return cv2.medianBlur(image, 3)


def _noise(channel: np.ndarray) -> float:
    """The standard deviation of a channel's fine texture (robust: from the median absolute deviation of what
    a 9×9 mean leaves)."""
    residual = (channel.astype(np.float32) - cv2.blur(channel, (9, 9)).astype(np.float32))[::2, ::2]
    return 1.4826 * float(np.median(np.abs(residual - np.median(residual))))  # a quarter of the pixels: the
    #   two medians were half of the QC's time, and a page's quarter holds 290,000 samples of its texture


def _components(mask: np.ndarray, min_px: float) -> np.ndarray:
    """The boxes (x, y, width, height) of the connected components of ``mask`` at least ``min_px`` tall or wide,
    not touching the image edge."""
    _n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    h, w = mask.shape
    x, y, bw, bh = (stats[1:, i] for i in range(4))  # in numpy: a noisy page has tens of thousands
    inside = (x > 0) & (y > 0) & (x + bw < w) & (y + bh < h)
    return stats[1:, :4][inside & (np.maximum(bw, bh) >= min_px)]


def blur_score(grey: np.ndarray) -> float:
    """Variance of the Laplacian; sharp text scans score in the hundreds or more."""
    return float(cv2.Laplacian(grey, cv2.CV_32F).var())


def dpi_problems(page_id: str, dpi: float | None) -> list[Problem]:
    """The resolution verdict for one page (empty when acceptable)."""
    if dpi is None:
        return [Problem("dpi_unknown", "reject",
                        f"{page_id}: no resolution recorded in the file (use --assume-dpi "
                        "only if the scan resolution is known)",
                        f"Trang {page_id}: tệp không ghi độ phân giải; cần quét lại hoặc khai báo "
                        "độ phân giải thực tế")]
    if dpi < MIN_DPI:
        return [Problem("low_dpi", "reject",
                        f"{page_id}: {dpi:g} dpi is below the {MIN_DPI} dpi minimum",
                        f"Trang {page_id}: độ phân giải {dpi:g} dpi, thấp hơn mức tối thiểu "
                        f"{MIN_DPI} dpi")]
    return []


def blank_problem(page_id: str, solid: bool = False) -> Problem:
    if solid:
        return Problem("blank", "flag", f"{page_id}: blank page (one solid colour, no text-like marks)",
                       f"Trang {page_id}: trang chỉ có một màu, không có chữ hay dấu; đề nghị kiểm tra lại bản quét")
    return Problem("blank", "flag", f"{page_id}: blank page (no text-like marks found)",
                   f"Trang {page_id}: trang trắng, không có chữ hay dấu; đề nghị kiểm tra lại")


def orientation_problem(page_id: str) -> Problem:
    return Problem("orientation_uncertain", "flag",
                   f"{page_id}: orientation uncertain: a turned reading scored close to the page as scanned, "
                   "which was kept",
                   f"Trang {page_id}: chưa chắc chắn về chiều của trang; đã giữ nguyên chiều như bản quét, "
                   "đề nghị kiểm tra lại")


def reading_problem(page_id: str, score: float) -> Problem:
    return Problem("low_reading_quality", "flag",
                   f"{page_id}: the text reads poorly (reading quality {score:.2f}); check it",
                   f"Trang {page_id}: văn bản nhận dạng được có chất lượng thấp (điểm {score:.2f}); "
                   "đề nghị kiểm tra, hiệu đính")
