"""Deciding by what the page reads as: which orientation and which preprocessing to keep.

Preprocessing proposes (turn the page, straighten it, even out streaks, read it as a line sheet);
none of it is final until the reading it gives is compared with the reading of the page as
scanned. Every way of reading a page is an :class:`Attempt`; :func:`choose` keeps the one whose
reading scores best (:mod:`ocr_engine.quality`), and a turn must win clearly, otherwise the page
is kept as scanned and flagged for review.

Extra readings cost an engine call each, so they are made only where they can matter: a page the
preprocessing turned (the turn is confirmed against the same preprocessing without the turn), and a
page whose first reading is doubtful (:data:`DOUBTFUL_SCORE`: it is also read as scanned). A page that
still reads badly then asks Tesseract's orientation detection for a turn nobody tried yet, and, if it still
reads as nothing, is read at the orientations nobody tried. Clean upright pages cost what they always did.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from ._exec import tesseract as tess
from .errors import EngineError
from . import preprocess, qc
from .images import LoadedPage
from .linesheet import LineSheet, line_sheet
from .model import Line, PageImage, PageText
from .quality import VALID_CLASSES, Reading, page_reading, token_class

DOUBTFUL_SCORE = 0.65  # below this reading score a page is read a second way (as scanned, or turned). The broad
#                        suite's tuning seeds (0-299), with the evened ink (preprocess.even_ink): of 38 pages whose
#                        first reading scored 0.60-0.80, 32 were read again as scanned and that won 5 times, by little
#                        (tables at ~0.7 read the same either way); under 0.60 it won 29 of 34. 0.80 → 0.65: CER 8.23 →
#                        8.22 %, CPU 2.15 → 1.92 s/page (with the faster skew), pages worse than psm 3 by > 0.5
#                        points 30 → 33 (two tables +0.9 and +2.2 points, a short page +0.6)
REVIEW_SCORE = 0.60  # a kept reading below this is flagged for an archivist to look at. Tuning seeds: all 42 pages
#                      kept under 0.60 read at more than 10 % CER; of the 244 at or above it, 33 % did
TURN_MARGIN = 1.3  # a turned reading must have this much more merit than the best upright one, and score better.
#                    Tuning seeds: right turns had 1.8-318× the merit of the upright reading (3 unreadable pages: 0),
#                    wrong proposals at most 0.01×; 1.3 sits in that gap
OSD_BELOW = 0.50  # only a page whose best reading scores under this asks for orientation detection: a reading
#                   that runs across the page and is half valid words is the right way up (wrong turns read < 0.3)
OSD_MIN_CONFIDENCE = 2.0  # Tesseract's orientation confidence below this is no proposal. Tuning seeds: its 7 wrong
#                           answers all came at confidence ≤ 1.0; 32 of its 42 right ones above 1.5
CONFIRMED_SCORE = 0.80  # a turned page whose reading scores at least this, over at least CONFIRMED_EVIDENCE, is
CONFIRMED_EVIDENCE = 150.0  # not read again upright: its own reading is the evidence. Tuning seeds: all 52 turned
#   pages above both won against their upright reading (upright scores 0.03-0.96, never more merit); pages with
#   less evidence (short pages, 3-14 words) tie with their upright reading and keep the check. Saves a full read
#   on about 1 page in 6 of the broad suite (a quarter of it is handed in turned)
THIN_SHARE = 0.15  # a reading with fewer characters than this share of the page's text-like marks (QC) is doubtful
THIN_MIN_MARKS = 50  # whatever its score, on a page with at least this many marks: tuning seeds, all 183 text pages
#   of ≥ 50 marks read under 5 % CER had ≥ 0.31 characters per mark; a line sheet that kept only a heading ("PHÒNG
#   NỘI VỤ", 10 characters for 117 marks, score 0.87) or a turn that read 2 characters (score 0.66) was never
#   compared with the page as scanned, which read it at 8 and 17 % CER
NOISE_MIN_SCORE = 0.50  # lines set aside as dirt are put back only into a reading that then still scores this:
#                         into a page read as next to nothing, junk lines add "evidence" (s000239: 98 → 229 % CER)
NOISE_LINE_VALIDITY = 0.30  # a line set aside as dirt whose words (numbers aside) are at least this share valid
NOISE_LINE_WORDS = 3  # syllables or abbreviations, with at least this many words of two letters or more, is put
NOTE_MAX_WORDS = 12  # (and at most this many words in all, of which at most NOTE_MAX_MIXED mix letters and digits:
NOTE_MAX_MIXED = 2  # a note is short and its misreadings are letters, speckle read as text is long and full of "S90")
NOTE_PAGE_SCORE = 0.80  # back into a reading that scores at least this: on a page read well, such a line is a note
#   in another hand, not dirt. Tuning seeds, 63 margin-note and signature/seal pages, with numbers counted valid and
#   any page score ≥ 0.50: clean 0.32 → 0.25 %, JPEG 0.81 → 0.76 %, typewriter 6.00 → 5.88 % CER, pages worse than
#   psm 3 7 → 5, but speckle lines of digits and short syllables came back on two heavy pages ("hái )0 00 cá xi 100
#   6062:2946", 16.4 → 19.0 %; "VÉ SP san sau dụ Xin 3A 6À 115 2820…", 67.3 → 75.3 %). As now (numbers neutral,
#   page ≥ 0.80), 108 margin-note, signature/seal and NĐ 30 pages: clean 0.70 → 0.65, JPEG 0.88 → 0.84, heavy 17.05 →
#   17.01, typewriter 5.54 → 5.45 % CER, worse than psm 3 9 → 7 pages, no page worse by more than 0.3 points
ENHANCED_MARGIN = 1.10  # preprocessing beats the plain reading of a doubtful page only with this much more merit:
#                         on the broad suite's tuning seeds near-ties (within 7 %) hid line-sheet readings with lines
#                         out of order (s000018: 75 % CER against plain's 26 %), which merit cannot see
MIN_WORD_LETTERS = 3  # words this long or longer tell which way the text runs (shorter ones can be square)
UNTRIED_MAX_MARKS = 150  # only a page with fewer text-like marks (QC; about one full line of text at 150 dpi, where
#   letters and their tone marks are separate marks), and on which orientation detection was not sure, is read at the
#   orientations nobody tried. Tuning seeds 0-299: the untried orientations won only on pages of 2-31 marks, and read
#   8 junk pages of 61-1,499 marks three more times for nothing (3 of them after a sure OSD verdict). 50 (Tesseract's
#   own minimum for OSD) cut that to none, but on fresh seeds 101300-101599 left a long one-line page turned by 270°
#   (65 marks, OSD unsure at 1.38) read as nothing
CROP_MAX_SHARE = 0.25  # a page of about a line (UNTRIED_MAX_MARKS) that reads poorly is also read as the box around
#   its marks, cut out and read as one block of lines, at all four orientations (a small image: four reads cost less
#   than one of the page), when that box covers at most this share of the page (more is speckle all over, not a
#   line). Tesseract's layout analysis finds no text in a lone page number or a short line in the middle of an A4
#   page: tuning seeds 0-299, '9', '59' and a '19' handed in upside down (s000121, s000255, s000035) read as
#   nothing, cut out they read right; no other reading of the 66 short, one-line, page-number and stamp-only pages
#   changed. A '6' read for the '9' turned by 180° loses to the upright '9' (TURN_MARGIN)
CROP_PAD_INCH = 0.1  # white around the cut-out marks (Tesseract wants a margin round the text)
FLIP_MIN_WORDS = 5  # a poor reading says its lines run across the page (so it may be upside down) only with this many
#   words to judge by: tuning seeds 0-299, of the 12 poor readings with no sure orientation verdict and their flip
#   untried, 11 had no word at all (blank or unread pages: 'horizontal' is then 1.0, nothing to say); the one with
#   words, a seal page handed in upside down (s000173), is the one the flip is for
OSD_DPI = 150  # orientation detection runs on the page reduced to this: 0.5 s against 0.6 s at 200 dpi on an A4
#               page, same answers on the 4 turns of a rendered page (confidence 4-6 against 13-18)


@dataclass
class Attempt:
    """One way of reading a page: the image handed to the engine and what came back."""
    name: str  # "sohoa" (preprocessing as measured), "upright" (the same, never turned), "plain" (as scanned),
    #            "turn90", "turn180", "turn270" (turned as Tesseract's orientation detection proposes),
    #            "crop0" … "crop270" (the box round a short page's marks, at that orientation: see crops)
    image: PageImage
    orientation: int = 0
    skew: float = 0.0
    streaks: int = 0
    sheet: LineSheet | None = None
    text: PageText | None = None
    error: EngineError | None = None
    reading: Reading | None = None
    horizontal: float = 0.0  # share of words read as wider than tall (see horizontal_share)
    noise_kept: int = 0  # lines the engine set aside as dirt that read better put back (see _weigh_noise)

    @property
    def engine_input(self) -> PageImage:
        return self.sheet.page if self.sheet is not None else self.image

    def take(self, result: PageText | EngineError) -> None:
        """Record the engine's result for this attempt (mapped back from a line sheet) and score it."""
        if isinstance(result, EngineError):
            self.error = result
            return
        self.text = self.sheet.read_back(result) if self.sheet is not None else result
        self.reading = page_reading(self.text.lines)
        self.horizontal = horizontal_share(self.text)
        if self.text.noise:
            self._weigh_noise()

    def _weigh_noise(self) -> None:
        """Put back the lines the engine set aside as dirt when the reading is better with them: on heavily
        damaged pages Tesseract reads real lines at low confidence, and dropping them lost whole lines."""
        kept, merit = (self.text, self.reading, self.horizontal), self.merit
        self._put_back(self.text.noise)
        if self.merit > merit and self.reading.score >= NOISE_MIN_SCORE:
            return
        self.text, self.reading, self.horizontal = kept
        self.noise_kept = 0
        words = [line for line in self.text.noise if wordlike(line)]
        if words and self.reading.score >= NOTE_PAGE_SCORE:
            self._put_back(words)

    def _put_back(self, noise: list[Line]) -> None:
        """Put *noise* lines back into the reading, in reading order, and rescore it."""
        lines = list(self.text.lines)
        for line in noise:
            at = next((i for i, other in enumerate(lines) if other.box.y0 > line.box.y0), len(lines))
            lines.insert(at, line)
        self.text = dataclasses.replace(self.text, lines=lines, noise=[n for n in self.text.noise if n not in noise])
        self.reading, self.horizontal = page_reading(lines), horizontal_share(self.text)
        self.noise_kept = len(noise)

    @property
    def score(self) -> float:
        """The reading's score, counting only text that runs across the page."""
        return self.reading.score * self.horizontal if self.reading else 0.0

    @property
    def merit(self) -> float:
        """What :func:`choose` compares: evidence (valid text × confidence) weighted by the score and by
        how much of it runs across the page, so lost lines (less evidence), junk words (lower score) and
        text read sideways all count against a reading."""
        return self.reading.evidence * self.score * self.horizontal if self.reading else -1.0

    def to_dict(self, won: bool) -> dict:
        return {"name": self.name, "orientation": self.orientation, "won": won,
                "score": round(self.reading.score, 4) if self.reading else None,
                "evidence": round(self.reading.evidence, 2) if self.reading else None,
                "horizontal": round(self.horizontal, 3) if self.reading else None,
                "noise_lines_kept": self.noise_kept,
                "seconds": self.text.seconds if self.text else None,
                "error": str(self.error) if self.error else None}


def wordlike(line: Line) -> bool:
    """A line set aside as dirt that reads as words all the same (:data:`NOISE_LINE_VALIDITY`): a handwritten
    note in the margin ("Chuyển Văn phòng xử lý") is read unsurely, but it is text an archivist searches for.
    Numbers count neither way: speckle reads as digits ("6062:2946 0 34", "2206575605008")."""
    tokens = [w.text for w in line.words if token_class(w.text) not in ("punct", "number")]
    letters = [t for t in tokens if sum(c.isalpha() for c in t) >= 2]
    valid = sum(token_class(t) in VALID_CLASSES for t in tokens)
    mixed = sum(any(c.isdigit() for c in t) and any(c.isalpha() for c in t) for t in tokens)
    return (NOISE_LINE_WORDS <= len(letters) and len(tokens) <= NOTE_MAX_WORDS and mixed <= NOTE_MAX_MIXED
            and valid >= NOISE_LINE_VALIDITY * len(tokens))


def horizontal_share(text: PageText) -> float:
    """Share of the words of at least MIN_WORD_LETTERS letters or digits whose box is wider than tall.

    Tesseract's layout analysis reads a page turned by 90° as vertical text, often well, so the text
    alone cannot tell 0° from 90°: the boxes can. 1.0 when there is no such word (nothing to say)."""
    boxes = [w.box for line in text.lines for w in line.words
             if sum(c.isalnum() for c in w.text) >= MIN_WORD_LETTERS]
    if not boxes:
        return 1.0
    return sum(b.width >= b.height for b in boxes) / len(boxes)


def confirmed(attempt: Attempt) -> bool:
    """A reading good and long enough to confirm the turn that produced it (:data:`CONFIRMED_SCORE`)."""
    return (attempt.reading is not None and attempt.score >= CONFIRMED_SCORE
            and attempt.reading.evidence >= CONFIRMED_EVIDENCE)


def thin(attempt: Attempt, report: qc.QcReport | None) -> bool:
    """A reading that holds far fewer characters than the page has text-like marks (:data:`THIN_SHARE`)."""
    if attempt.text is None or report is None or report.marks < THIN_MIN_MARKS:
        return False
    chars = sum(len(w.text) for line in attempt.text.lines for w in line.words)
    return chars < THIN_SHARE * report.marks


def doubtful(attempt: Attempt) -> bool:
    return attempt.reading is not None and attempt.score < DOUBTFUL_SCORE


def choose(attempts: list[Attempt]) -> tuple[Attempt, bool]:
    """The attempt to keep and whether the orientation is uncertain.

    The reference is the best reading at the page's own orientation (0°), the page as scanned unless an
    enhancement reads clearly better (ENHANCED_MARGIN). A reading at another
    orientation replaces it only when it is clearly better (TURN_MARGIN more merit and a higher score);
    among readings at the same orientation the higher merit wins. A turned reading that came close but
    not clearly is reported as uncertain, so the page is flagged for review.
    """
    read = [a for a in attempts if a.reading is not None]
    if not read:
        return attempts[0], False
    upright = [a for a in read if a.orientation == 0]
    turned = [a for a in read if a.orientation != 0]
    best_upright = max(upright, key=lambda a: a.merit) if upright else None
    plain = next((a for a in upright if a.name == "plain"), None)
    if plain is not None and plain.merit * ENHANCED_MARGIN >= best_upright.merit:
        best_upright = plain  # an enhancement must read clearly better than the page as scanned
    best_turned = max(turned, key=lambda a: a.merit) if turned else None
    if best_upright is None:
        return best_turned, False
    if best_turned is None:
        return best_upright, False
    if best_turned.merit > TURN_MARGIN * best_upright.merit and best_turned.score > best_upright.score:
        return best_turned, False
    uncertain = best_turned.merit > best_upright.merit  # the turn read better, but not clearly
    return best_upright, uncertain


def osd(image: PageImage, timeout: float) -> dict | None:
    """Tesseract's orientation verdict on *image* (reduced to OSD_DPI), or None."""
    scale = min(1.0, OSD_DPI / image.dpi)
    pixels = image.pixels if scale >= 1 else cv2.resize(image.pixels, None, fx=scale, fy=scale,
                                                        interpolation=cv2.INTER_AREA)
    ok, pgm = cv2.imencode(".pgm", np.ascontiguousarray(pixels))
    if not ok:
        return None
    return tess.osd(pgm.tobytes(), what=image.page_id, dpi=int(round(image.dpi * min(1.0, scale))), timeout=timeout)


def crops(first: Attempt) -> list[Attempt]:
    """The box round the marks of *first*'s image, padded with white, read as a block of lines at the four
    orientations (:data:`CROP_MAX_SHARE`); none when there is no mark or the box is too large. Each crop's
    ``to_source`` maps its pixels back to the scan, so words land where they are on the page."""
    image = first.image
    box = qc.marks_box(image.pixels, image.dpi)
    height, width = image.pixels.shape
    if box is None or (box[2] - box[0]) * (box[3] - box[1]) > CROP_MAX_SHARE * height * width:
        return []
    pad = max(1, round(CROP_PAD_INCH * image.dpi))
    x0, y0, x1, y1 = max(0, box[0] - pad), max(0, box[1] - pad), min(width, box[2] + pad), min(height, box[3] + pad)
    cut = cv2.copyMakeBorder(image.pixels[y0:y1, x0:x1], pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    to_page = np.vstack([image.to_source, [0, 0, 1.0]]) @ np.array([[1, 0, x0 - pad], [0, 1, y0 - pad], [0, 0, 1.0]])
    out = []
    for turn in (0, 180, 90, 270):
        pixels, matrix = preprocess.rotate_quadrant(cut, turn)
        orientation = (first.orientation + turn) % 360
        crop = PageImage(image.page_id, np.ascontiguousarray(pixels), image.dpi,
                         (to_page @ np.linalg.inv(matrix))[:2], lines_only=True)
        out.append(Attempt(f"crop{orientation}", crop, orientation, first.skew))
    return out


def attempt_at(page: LoadedPage, orientation: int | None, name: str, recognition_dpi: float | None) -> Attempt:
    """The full preprocessing of *page*, turned by *orientation* (measured when None), ready to read."""
    image, orientation, skew, streaks = preprocess.turned(page, orientation, recognition_dpi)
    return Attempt(name, image, orientation, skew, streaks, line_sheet(image) if streaks else None)


@dataclass
class Trial:
    """Every attempt at reading one page, and what is still worth trying."""
    page: LoadedPage
    report: qc.QcReport
    recognition_dpi: float | None
    attempts: list[Attempt]
    osd_asked: bool = False

    def next_attempts(self, timeout: float) -> list[Attempt]:
        """What to read next (empty when done), one step at a time, each only if still needed:

        1. a page the preprocessing turned is also read upright (never turned) with the same preprocessing,
           unless its turned reading is itself good and long enough (:func:`confirmed`): the turn must be
           confirmed by what the page reads as;
        2. a page whose best reading is doubtful, or holds far fewer characters than the page has marks
           (:func:`thin`), is read as scanned (plain);
        3. a page of about a line (:data:`UNTRIED_MAX_MARKS`) whose best reading is poor (OSD_BELOW) is read as
           the box round its marks, at the four orientations (:func:`crops`);
        4. a page whose best reading is still poor (OSD_BELOW) asks Tesseract's orientation detection, and is
           read turned its way when it is sure enough and proposes an orientation not yet tried;
        5. a page whose best reading is still poor, whose words run across the page at that reading's orientation
           (:func:`horizontal_share`), and on which orientation detection was not sure, is read upside down from
           it: lines that run across tell the axis, not which end is up (fresh seeds 101600-101899: a typewritten
           table turned by 270° was read at 270°, upside down, as junk; OSD said 90° at confidence 1.16);
        6. a page whose best reading is still poor after that, that has no more marks than a line of text
           (:data:`UNTRIED_MAX_MARKS`) and on which orientation detection was not sure, is read at the orientations
           not yet tried, one at a time, until one reads
           well (:meth:`_untried`). Orientation detection needs a page of text: a one-line
           page (a cover, a note, "Số điện thoại …") gets no verdict, and its geometry cannot tell 90° from 270°.
           Fresh seeds 100600-100899: 4 one-line pages upside down or turned read as nothing, 100 % CER.
        """
        first = self.attempts[0]
        if first.error is not None:
            return []
        if len(self.attempts) == 1 and first.orientation != 0 and not confirmed(first):
            return [attempt_at(self.page, 0, "upright", self.recognition_dpi)]
        best, _ = choose(self.attempts)
        if not doubtful(best) and not thin(best, self.report):
            return []
        names = {a.name for a in self.attempts}
        if "plain" not in names:  # the preprocessing always changes what the engine sees (at least the evened ink)
            return [Attempt("plain", preprocess.plain(self.page, None))]  # what plain Tesseract reads: the scan itself
        poor_line = best.score < OSD_BELOW and self.report.marks < UNTRIED_MAX_MARKS
        cropped = any(a.name.startswith("crop") for a in self.attempts)
        if poor_line and not cropped:
            cut = crops(first)
            if cut:
                return cut
        tried = {a.orientation for a in self.attempts}
        if not self.osd_asked and best.score < OSD_BELOW:
            self.osd_asked = True
            self.report.osd = verdict = osd(preprocess.plain(self.page, OSD_DPI), timeout)
            if verdict and verdict["confidence"] >= OSD_MIN_CONFIDENCE and verdict["rotate"] not in tried:
                return [attempt_at(self.page, verdict["rotate"], f"turn{verdict['rotate']}", self.recognition_dpi)]
        sure = bool(self.report.osd) and self.report.osd["confidence"] >= OSD_MIN_CONFIDENCE
        flip = (best.orientation + 180) % 360
        if (not sure and best.score < OSD_BELOW and best.reading.words >= FLIP_MIN_WORDS and best.horizontal >= 0.5
                and flip not in tried and not cropped):
            return [attempt_at(self.page, flip, f"turn{flip}", self.recognition_dpi)]
        if poor_line and not sure:
            untried = self._untried()
            if untried:
                return [attempt_at(self.page, untried[0], f"turn{untried[0]}", self.recognition_dpi)]
        return []

    def _untried(self) -> list[int]:
        """The orientations nobody read the page at yet, the most likely first: a reading whose words ran up
        and down the page (:func:`horizontal_share` under a half) says the text runs across a quarter turn away
        from it; then the half turn from the orientation the preprocessing measured."""
        tried = {a.orientation for a in self.attempts}
        hints = [(a.orientation + q) % 360 for a in self.attempts if a.reading is not None and a.horizontal < 0.5
                 for q in (90, 270)]
        hints += [(self.attempts[0].orientation + 180) % 360] + [0, 90, 180, 270]
        order = []
        for orientation in hints:
            if orientation not in tried and orientation not in order:
                order.append(orientation)
        return order
