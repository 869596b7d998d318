"""Page quality metrics and the verdicts drawn from them.

Every page gets a :class:`QcReport`. A page below :data:`MIN_DPI` or without a resolution is
*rejected*; a blank page is *flagged*. Neither is ever silently treated as fine: each problem
carries an English message for operators and a Vietnamese one for vendors and archivists.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

MIN_DPI = 200  # TT 05/2025/TT-BNV: digitised paper records at least 200 dpi
BLANK_INK = 0.002  # below this ink coverage a page counts as blank


@dataclass(frozen=True)
class Problem:
    code: str  # "low_dpi", "dpi_unknown", "blank", "input", "engine"
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
    blank: bool
    skew_deg: float  # text-line angle found, degrees counter-clockwise
    orientation_deg: int  # clockwise rotation applied to make the page upright
    streaks_removed: int  # vertical streaks crossing the text, evened out (the page is read as a line sheet)
    problems: list[Problem] = field(default_factory=list)

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


def blank_problem(page_id: str) -> Problem:
    return Problem("blank", "flag", f"{page_id}: blank page (no ink found)",
                   f"Trang {page_id}: trang trắng, không có nội dung; đề nghị kiểm tra lại")
