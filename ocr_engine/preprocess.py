"""Page preprocessing with OpenCV: border crop, orientation, deskew, streak suppression, evened ink, QC.

The output is greyscale, never binarised: adaptive binarisation before Tesseract was measured
to hurt (11.7 % → 29 % CER on damaged pages) while deskewing helps. The last step,
:func:`even_ink`, smooths the strokes and divides out the paper's shading, so that Tesseract's
global Otsu threshold finds the text on blotchy, faded, noisy and ribbon-worn pages. Every geometric step is
recorded in :attr:`PageImage.to_source` so recognised boxes can be mapped back to the
untouched source image.
"""
from __future__ import annotations

import cv2
import numpy as np

from . import qc
from .images import LoadedPage
from .model import PageImage

ANALYSIS_DPI = 100  # resolution of the binary thumbnail used for orientation and skew
RECOGNITION_DPI = 200  # finer scans are reduced to this for recognition: measured 2× faster
#                        with Tesseract at equal CER on 13-14 pt text (bench/dev, 300 dpi pages)
MAX_SKEW_DEG = 5.0
SKEW_TIE = 0.02  # row-profile variances this close (a tenth of it in the fine search) count as equal: estimate_skew
#                 then keeps the angle nearest 0° (a page number alone reads the same at any angle). On 55 text pages of
#                 the tuning seeds the angle found is that of the former warp search within 0.05°
INK_BLUR_INCH = 1.5 / 300  # even_ink's Gaussian sigma (1.5 px at 300 dpi, 1 px at 200) and its paper kernel
INK_PAPER_INCH = 1.5 / 25.4  # (1.5 mm). Tesseract psm 3 on the preprocessed 200-dpi pages of the broad suite's tuning
#   seeds (141 pages, rotation 0, 25 per condition), CER % without →
#   with: typewriter 58.9 → 5.2, heavy 61.2 → 26.0, augraphy 57.1 → 46.1, clean 2.27 → 2.42, mild 1.46 → 1.48,
#   jpeg 1.68 → 1.76; all 29.9 → 11.7. Sigma 1.0 px @300: all 13.5 (typewriter 11.8); 2.0 px: 12.5; a 3 mm
#   kernel: 12.2; no Gaussian at all: 25.1 (typewriter 60.0: dotted strokes need joining). Smoothing only pages with
#   pixel noise did not help either (typewriter pages are not noisy). 16 of the 141 pages read > 0.5 points worse
#   (mostly tables and augraphy): the page as scanned ("plain", ocr_engine.evidence) still competes wherever the
#   reading is doubtful. The cost: on clean 300-dpi pages the smoothing turns some hỏi into sắc (the demo's pages,
#   worst of 10 runs 0.10 → 0.32 % CER).
PAPER_KERNEL_INCH = 0.15  # the paper's own level is the page closed over this (wider than a stroke, narrower than
#                           a stain): dividing by it evens out shading that otherwise passed Otsu as ink
STREAKY_PAGE = 0.05  # share of the page under streaks above which orientation must be clear to turn it
TURN_MARGIN = 0.05  # ... clear: text_direction below -0.05 (the broad suite's upright pages give 0.05 and up,
#                     but for 3 of 123). Whatever is decided here is confirmed by reading (evidence.py)
UPSIDE_DOWN_MARGIN = 0.01  # the broad suite's tuning pages of 3+ lines: upright ones give -0.07 to 0.6 (tables,
#                            seals and stamps all but 8 of 255 above 0.01), upside-down ones up to 0.08 (tables);
#                            inside ±0.01 the sign was right only about half the time
SEAL_CHROMA = 50  # a seal's ink is this much more colourful (max - min of R, G, B) than the paper's median
SEAL_DIAMETER_MM = (20.0, 60.0)  # a round seal is this wide and tall (agencies' seals are 35-42 mm across)
SEAL_ROUNDNESS = (0.85, 1.15)  # its closed outline's convex hull over the ellipse its box holds: a disc gives 1.0,
#                                an upright rectangle (a "received" stamp, whose text is read) 1.27
SEAL_JOIN_MM = 2.0  # ring, letters and star are joined into one outline by closing over this
MAX_GAP_INCH = 0.25  # text_direction counts gaps up to this long: wider ones are margins and column gutters
MIN_GAPS = 20  # fewer gaps than this either way: no verdict


def _affine3(m: np.ndarray) -> np.ndarray:
    return np.vstack([m, [0.0, 0.0, 1.0]])


def _thumbnail_ink(grey: np.ndarray, dpi: float) -> np.ndarray:
    """Binary (0/1 uint8) ink mask of the page at about ANALYSIS_DPI."""
    scale = min(1.0, ANALYSIS_DPI / dpi)
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    size = int(round(PAPER_KERNEL_INCH * dpi * scale)) | 1
    paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    flat = np.clip(small.astype(np.float32) / np.maximum(paper, 1) * 255, 0, 255).astype(np.uint8)
    _, ink = cv2.threshold(flat, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return ink


def border_box(grey: np.ndarray) -> tuple[int, int, int, int]:
    """Box (x0, y0, x1, y1) without the dark scanner-bed margins along the edges.

    A margin row/column is one that is mostly (> 60 %) dark; only runs touching an edge are cut.
    """
    small = grey[::4, ::4]
    dark = small < min(100, int(np.median(small)) // 2)

    def run(profile: np.ndarray) -> int:
        above = profile > 0.6
        return int(np.argmin(above)) if not above.all() else 0

    rows, cols = dark.mean(axis=1), dark.mean(axis=0)
    top, bottom = run(rows), run(rows[::-1])
    left, right = run(cols), run(cols[::-1])
    h, w = grey.shape
    return left * 4, top * 4, w - right * 4, h - bottom * 4


def _row_profile(ink: np.ndarray) -> np.ndarray:
    """Ink per row, counting only columns that are not streaks or borders (< 30 % ink)."""
    keep = ink.mean(axis=0) < 0.3
    return ink[:, keep].mean(axis=1).astype(np.float64) if keep.any() else np.zeros(ink.shape[0])


def _ink_above_minus_below(ink: np.ndarray) -> float:
    """Sum over text lines of ink above the x-height band minus ink below it.

    Vietnamese and Latin script carry far more ink above the x-height (capitals, ascenders,
    tone marks) than below (a few descenders), so on a straightened page the sign tells
    upright from upside down.
    """
    profile = _row_profile(ink)
    rows = np.flatnonzero(profile > 0.1 * np.percentile(profile, 95))
    score = 0.0
    for line in np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1):
        if line.size < 4:
            continue
        band = profile[line[0]:line[-1] + 1]
        core = np.flatnonzero(band >= 0.5 * band.max())
        score += band[:core[0]].sum() - band[core[-1] + 1:].sum()
    return score


def _gaps(ink: np.ndarray) -> np.ndarray:
    """Lengths of the white runs between ink along every row, up to MAX_GAP_INCH (margins are left out)."""
    padded = np.pad(ink, ((0, 0), (1, 1)), constant_values=1).astype(np.int8).ravel()
    steps = np.diff(padded)
    lengths = np.flatnonzero(steps == 1) - np.flatnonzero(steps == -1)
    return lengths[lengths <= MAX_GAP_INCH * ANALYSIS_DPI]


def text_direction(ink: np.ndarray, dpi: float) -> float:
    """log(mean gap between ink down the columns / mean gap along the rows), gaps up to MAX_GAP_INCH.

    Along a text line the gaps are between letters and words; down the page they are between lines, which
    are wider in every font, monospaced typewriter faces included. Upright text gives a positive value, text
    turned by 90° a negative one; 0 when there is too little ink to say.

    Chosen on the broad suite's tuning seeds (123 pages of 3+ lines, each as handed in and turned by 90°):
    6 of 246 wrong, against 36 for counting the pieces ink breaks into when smeared along rows or columns
    (typewriter pages fooled it) and 70 of 320 for the row-profile "line structure" before that.
    """
    along, down = _gaps(ink), _gaps(np.ascontiguousarray(ink.T))
    if min(along.size, down.size) < MIN_GAPS:
        return 0.0
    return float(np.log(down.mean() / along.mean()))


def lines_run_vertically(grey: np.ndarray, dpi: float, margin: float = 0.0) -> bool:
    """True when the text lines run top to bottom (page turned by 90° or 270°): :func:`text_direction`
    below -*margin*. Give it a page :func:`without_streaks`."""
    return text_direction(_thumbnail_ink(grey, dpi), dpi) < -margin


def without_streaks(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The page with vertical and horizontal streaks painted white, the mask of what was painted, and
    the :func:`streak_mask` of the vertical streaks alone.

    This is what layout is measured on. Left in, a page of drum streaks has more "line structure"
    across the streaks than along its text (it was turned by 90°), and more ink below its lines
    than above (it was turned upside down).
    """
    down = streak_mask(grey)
    across = np.rot90(streak_mask(np.ascontiguousarray(np.rot90(grey))), -1)
    streaks = (down > 0) | (across > 0)
    return np.where(streaks, 255, grey).astype(np.uint8), streaks, down


def is_upside_down(grey: np.ndarray, dpi: float) -> bool:
    """On a page with horizontal, straightened lines: is it clearly upside down? Ink above minus ink below the
    lines' cores, as a share of all the ink in the lines, below -UPSIDE_DOWN_MARGIN. A page that is not clearly
    either way stays as it is; if it reads badly so, the reading stage tries the other ways."""
    ink = _thumbnail_ink(grey, dpi)
    total = float(_row_profile(ink).sum())
    return total > 0 and _ink_above_minus_below(ink) / total < -UPSIDE_DOWN_MARGIN


def upright(grey: np.ndarray, dpi: float, force: int | None = None) -> tuple[np.ndarray, np.ndarray, int, float, int]:
    """Turn, clean and straighten a page: (image, 3×3 matrix, orientation, skew, streaks).

    Order matters: lines are made horizontal first, streaks are suppressed, skew is measured
    and removed, and only then is upside-down decided (it needs straight lines). Orientation and
    skew are measured on the page :func:`without_streaks`. *force* (0, 90, 180, 270) imposes the
    turn instead of measuring it: the pipeline uses it to read a page the way Tesseract's
    orientation detection proposes. *orientation* is the clockwise rotation applied.
    """
    layout, painted, down = without_streaks(grey)
    if force is None:
        margin = TURN_MARGIN if painted.mean() > STREAKY_PAGE else 0.0
        orientation = 90 if lines_run_vertically(layout, dpi, margin) else 0
    else:
        orientation = force % 180
    layout = rotate_quadrant(layout, orientation)[0]
    work, transform = rotate_quadrant(grey, orientation)
    work, streaks = suppress_streaks(work, dpi, down if orientation == 0 else None)
    skew = estimate_skew(layout, dpi)  # not on `work`: suppression leaves streak fragments cut square to the page
    if abs(skew) >= 0.05:
        work, m = deskew(work, skew)
        layout = deskew(layout, skew)[0]
        transform = m @ transform
    if (is_upside_down(layout, dpi) if force is None else force >= 180):
        work, m = rotate_quadrant(work, 180)
        transform = m @ transform
        orientation += 180
    return even_ink(work, dpi), transform, orientation, skew, streaks


def even_ink(grey: np.ndarray, dpi: float) -> np.ndarray:
    """Strokes smoothed (Gaussian, :data:`INK_BLUR_INCH`) and the paper's shading divided out (the page closed
    over :data:`INK_PAPER_INCH`, box-averaged): paper becomes white, ink keeps its darkness relative to the
    paper around it.

    Tesseract binarises a page with one global Otsu threshold. On a page with blotchy paper and pixel noise that
    threshold lands in the paper's dark tail and the page turns to speckle (layout analysis then finds no text
    at all); ribbon-worn typewriter strokes are dotted and fall apart into specks. Smoothing joins the dots and
    averages the noise away; dividing by the local paper level removes stains, shading and bleed-through
    fainter than the ink. Both scale with the resolution.
    """
    sigma = INK_BLUR_INCH * dpi
    smooth = cv2.GaussianBlur(grey, (0, 0), sigma) if sigma >= 0.3 else grey
    size = max(3, int(round(INK_PAPER_INCH * dpi)) | 1)
    paper = cv2.morphologyEx(smooth, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    paper = cv2.blur(paper, (size, size))
    return np.clip(smooth.astype(np.float32) / np.maximum(paper, 1) * 255, 0, 255).astype(np.uint8)


def detect_orientation(grey: np.ndarray, dpi: float) -> int:
    """Clockwise rotation (0, 90, 180 or 270) that makes the page upright."""
    return upright(grey, dpi)[2]


def rotate_quadrant(grey: np.ndarray, degrees_cw: int) -> tuple[np.ndarray, np.ndarray]:
    """Rotate by a multiple of 90° clockwise; return (image, 3×3 source→result matrix)."""
    h, w = grey.shape
    if degrees_cw == 0:
        return grey, np.eye(3)
    if degrees_cw == 90:
        return cv2.rotate(grey, cv2.ROTATE_90_CLOCKWISE), np.array([[0, -1, h], [1, 0, 0], [0, 0, 1.0]])
    if degrees_cw == 180:
        return cv2.rotate(grey, cv2.ROTATE_180), np.array([[-1, 0, w], [0, -1, h], [0, 0, 1.0]])
    if degrees_cw == 270:
        return cv2.rotate(grey, cv2.ROTATE_90_COUNTERCLOCKWISE), np.array([[0, 1, 0], [-1, 0, w], [0, 0, 1.0]])
    raise ValueError(f"not a quadrant rotation: {degrees_cw}")


def estimate_skew(grey: np.ndarray, dpi: float) -> float:
    """Angle in degrees (counter-clockwise positive) of the text lines, within ±MAX_SKEW_DEG.

    Chosen as the rotation that maximises the variance of the row profile of the ink
    thumbnail: coarse 0.5° steps, then 0.05° steps around the best. The profile at an angle is a
    histogram of the ink pixels' rotated rows (no image is rotated: 6× cheaper than warping the
    thumbnail 42 times, the same angle within 0.05° on the broad suite's tuning pages with text);
    of angles within :data:`SKEW_TIE` of the best, the one nearest 0° wins (a page number alone reads
    the same at any angle).
    """
    ink = _thumbnail_ink(grey, dpi)
    h, w = ink.shape
    ys, xs = np.nonzero(ink)
    if ys.size == 0:
        return 0.0
    x = xs.astype(np.float64) - w / 2
    y = ys.astype(np.float64) - h / 2

    def sharpness(angle: float) -> float:
        t = np.deg2rad(angle)
        rows = np.rint(x * np.sin(t) + y * np.cos(t) + h / 2).astype(np.int64)
        return float(np.bincount(rows[(rows >= 0) & (rows < h)], minlength=h).var())

    def best(angles: np.ndarray, tie: float) -> float:
        values = np.array([sharpness(a) for a in angles])
        near = angles[values >= values.max() * (1.0 - tie)]
        return float(near[np.argmin(np.abs(near))])

    coarse = best(np.arange(-MAX_SKEW_DEG, MAX_SKEW_DEG + 1e-9, 0.5), SKEW_TIE)
    return float(round(best(np.arange(coarse - 0.5, coarse + 0.5 + 1e-9, 0.05), SKEW_TIE / 10), 2))


def deskew(grey: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """Rotate by -*angle* around the centre, white fill; return (image, 3×3 matrix)."""
    h, w = grey.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
    out = cv2.warpAffine(grey, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=255)
    return out, _affine3(m)


def streak_mask(grey: np.ndarray) -> np.ndarray:
    """Mask (uint8 0/1) of vertical streaks: dark bands denser than text over a quarter page.

    Drum and scanner streaks run the page height; text never stays this dense that long.
    """
    h, w = grey.shape
    dark = (grey < 128).astype(np.float32)
    density = cv2.boxFilter(dark, -1, (15, max(3, h // 8)))
    mask = (density > 0.3).astype(np.uint8)
    if not mask.any():  # most pages: nothing to open or widen (the same empty mask, 2 morphology passes saved)
        return mask
    tall = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(3, h // 4)))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, tall)
    return cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (31, 1)))


def text_rows(dark: np.ndarray, free: np.ndarray, *, smooth: int, min_ink: float) -> np.ndarray:
    """Boolean per row of a boolean ink image: does the row carry text? Its share of ink over the *free* columns
    (those not under a streak), averaged over *smooth* rows, above *min_ink*. No row does when no column is free."""
    if not free.any():
        return np.zeros(dark.shape[0], bool)
    return np.convolve(dark[:, free].mean(axis=1), np.ones(smooth) / smooth, mode="same") > min_ink


def _text_rows(grey: np.ndarray, streak_columns: np.ndarray) -> np.ndarray:
    """Boolean per row: does the row carry text, judged only on columns free of streaks (widened by 4 rows)."""
    rows = text_rows(grey < 128, ~streak_columns, smooth=5, min_ink=0.02)
    return cv2.dilate(rows.astype(np.uint8)[:, None], np.ones((9, 1), np.uint8))[:, 0] > 0


def suppress_streaks(grey: np.ndarray, dpi: float, mask: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Even out vertical streaks (*mask*: their :func:`streak_mask`, found here when not given); return
    (image, number of streaks crossing the text block).

    Inside a streak every pixel is divided by the streak's own local darkness (its 5 px median,
    averaged over 0.3 in down the page: letters are too short to move it), so the letters under
    it come back darker than the speckle around them. Measured on augraphy DirtyDrum pages, read as a line
    sheet (:mod:`ocr_engine.linesheet`): 34 % → 24.5 % CER, where whitening the streak between
    lines and closing its speckle across them had given the 34 %.
    """
    mask = streak_mask(grey) if mask is None else mask
    if not mask.any():  # most pages: no streak, and no labelling of an empty page (26 ms at 200 dpi)
        return grey, 0
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask)
    streak_columns = mask.max(axis=0) > 0
    rows = _text_rows(grey, streak_columns)
    if grey[rows].size:
        density = np.convolve((grey[rows] < 128).mean(axis=0), np.ones(31) / 31, mode="same")
        text_columns = np.flatnonzero((density > 0.01) & ~streak_columns)
    else:  # no text rows found: the streaks may cross text anywhere
        text_columns = np.empty(0, np.intp)
    x_lo, x_hi = (text_columns[0], text_columns[-1]) if text_columns.size else (0, grey.shape[1])
    crossing = sum(1 for x, _, w, _, _ in stats[1:] if not (x + w < x_lo or x > x_hi))
    if not crossing:
        return grey, 0
    background = cv2.blur(cv2.medianBlur(grey, 5).astype(np.float32), (3, int(round(0.3 * dpi)) | 1))
    outside = grey[mask == 0]  # a page dark all over is one streak: its own level is the paper's
    paper = float(np.percentile(outside if outside.size else grey, 90))
    evened = np.clip(grey.astype(np.float32) / np.maximum(background, 1) * paper, 0, 255).astype(np.uint8)
    out = grey.copy()
    out[mask > 0] = evened[mask > 0]
    return out, crossing


def _measure(page: LoadedPage) -> qc.QcReport:
    """The QC report of a decoded page: resolution verdict, metrics, blankness."""
    page_id = page.source.page_id
    grey = page.grey
    dpi_problems = qc.dpi_problems(page_id, page.dpi)
    marks = qc.text_marks(grey, page.dpi, page.pixels)
    report = qc.QcReport(dpi=page.dpi, colour_depth_bits=page.bits, colour_mode=page.mode,
                         width=grey.shape[1], height=grey.shape[0], blur_score=qc.blur_score(grey),
                         ink_coverage=qc.ink_coverage(grey), marks=marks, blank=marks == 0, skew_deg=0.0,
                         orientation_deg=0, streaks_removed=0, problems=list(dpi_problems))
    if report.blank:
        report.problems.append(qc.blank_problem(page_id, solid=float(grey[::4, ::4].std()) < 2.0))
    return report


def without_seals(page: LoadedPage) -> tuple[np.ndarray, int]:
    """The page in grey with its round seals' coloured ink turned to paper: (grey, seals removed).

    A red round seal stamped over the signer's block makes Tesseract's layout analysis call the whole block a
    picture, and the signer's title and name (printed in black under the seal) are lost. Only ink that is both
    coloured and not bluer than red (signatures and notes in blue or violet ink stay), and only where it forms
    a round outline of a seal's size (:data:`SEAL_DIAMETER_MM`, :data:`SEAL_ROUNDNESS`), is removed; black ink
    under the seal keeps its darkness (it is not coloured). A seal's own ring text is not part of a page's
    text. Greyscale scans are returned unchanged."""
    grey = page.grey
    if page.pixels.ndim != 3:
        return grey, 0
    # per channel in OpenCV: numpy's max and min over the colour axis took 15× as long
    red, green, blue = cv2.split(np.ascontiguousarray(page.pixels[..., :3]))
    chroma = cv2.subtract(cv2.max(cv2.max(red, green), blue), cv2.min(cv2.min(red, green), blue))
    paper = float(np.median(chroma[::8, ::8]))
    mask = ((chroma > paper + SEAL_CHROMA) & (red >= blue)).astype(np.uint8)
    if not mask.any():
        return grey, 0
    mm = page.dpi / 25.4
    join = max(3, int(round(SEAL_JOIN_MM * mm)) | 1)
    closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (join, join)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    out, removed = None, 0
    for i in range(1, count):
        x, y, w, h = (int(v) for v in stats[i, :4])
        low, high = SEAL_DIAMETER_MM[0] * mm, SEAL_DIAMETER_MM[1] * mm
        if not (low <= w <= high and low <= h <= high):
            continue
        blob = (labels[y:y + h, x:x + w] == i).astype(np.uint8)
        contours, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        hull = cv2.contourArea(cv2.convexHull(np.vstack(contours)))
        if not SEAL_ROUNDNESS[0] <= hull / (np.pi / 4 * w * h) <= SEAL_ROUNDNESS[1]:
            continue
        out = grey.copy() if out is None else out
        region = out[y:y + h, x:x + w]
        inside = np.zeros_like(blob)  # the seal's disc: its ring, letters and the star in the middle
        cv2.ellipse(inside, (w // 2, h // 2), (w // 2, h // 2), 0, 0, 360, 1, -1)
        ink = ((blob > 0) | (inside > 0)) & (mask[y:y + h, x:x + w] > 0)
        region[ink] = np.uint8(np.percentile(region, 90))
        removed += 1
    return (grey if out is None else out), removed


def _working(page: LoadedPage, recognition_dpi: float | None, crop: bool) -> tuple[np.ndarray, float, np.ndarray]:
    """The page at recognition resolution, its scanner-bed margins cut when *crop*: (grey, dpi, 3×3 matrix).
    The cropped page (the one preprocessing works on) has its seals removed (:func:`without_seals`); the uncropped
    one is the page as scanned."""
    grey = without_seals(page)[0] if crop else page.grey
    x0, y0, x1, y1 = border_box(grey) if crop else (0, 0, grey.shape[1], grey.shape[0])
    scale = min(1.0, recognition_dpi / page.dpi) if recognition_dpi else 1.0
    work = grey[y0:y1, x0:x1]
    if scale < 1.0:
        work = cv2.resize(work, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    matrix = np.array([[scale, 0, -x0 * scale], [0, scale, -y0 * scale], [0, 0, 1.0]])
    return work, page.dpi * scale, matrix


def _page_image(page: LoadedPage, work: np.ndarray, dpi: float, transform: np.ndarray) -> PageImage:
    return PageImage(page.source.page_id, np.ascontiguousarray(work), dpi, np.linalg.inv(transform)[:2])


def prepare(page: LoadedPage, *, recognition_dpi: float | None = RECOGNITION_DPI) -> tuple[PageImage | None, qc.QcReport]:
    """Preprocess one decoded page; return (PageImage or None when rejected, QcReport).

    Pages scanned finer than *recognition_dpi* are reduced to it before anything else (None
    keeps the scan resolution); the QC metrics describe the scan itself. A rejected page
    (resolution unknown or below MIN_DPI) is measured but not processed further; a blank page
    is flagged and returned as scanned.
    """
    report = _measure(page)
    if report.rejected:
        return None, report
    if report.blank:
        return PageImage(page.source.page_id, page.grey, page.dpi), report
    image, report.orientation_deg, report.skew_deg, report.streaks_removed = turned(page, None, recognition_dpi)
    return image, report


def turned(page: LoadedPage, orientation: int | None,
           recognition_dpi: float | None = RECOGNITION_DPI) -> tuple[PageImage, int, float, int]:
    """The page cropped, turned (by *orientation*, or as measured when None), cleaned and straightened:
    (image, orientation applied, skew, streaks crossing the text)."""
    work, dpi, crop = _working(page, recognition_dpi, crop=True)
    work, transform, orientation, skew, streaks = upright(work, dpi, orientation)
    return _page_image(page, work, dpi, transform @ crop), orientation, skew, streaks


def plain(page: LoadedPage, recognition_dpi: float | None = RECOGNITION_DPI) -> PageImage:
    """The page as scanned, only reduced to *recognition_dpi*: what plain Tesseract would read (colour kept)."""
    work, dpi, scale = _working(page, recognition_dpi, crop=False)
    image = _page_image(page, work, dpi, scale)
    if page.pixels.ndim == 3:
        colour = page.pixels if scale[0, 0] == 1.0 else cv2.resize(page.pixels, (work.shape[1], work.shape[0]),
                                                                   interpolation=cv2.INTER_AREA)
        image.colour = np.ascontiguousarray(colour)
    return image
