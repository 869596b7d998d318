"""The stages wired together: load → QC and preprocess → recognise → outcome per page.

:func:`run` yields one :class:`PageOutcome` per input page, in input order, and keeps at most
a few chunks in memory, so a worker's memory stays flat over thousands of pages. A page that
cannot be read, is rejected by QC or fails in the engine becomes an outcome with problems; it
never stops the others.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import alto, evidence, lm, preprocess, qc
from .engines import OcrEngine
from .errors import EngineError, InputError, ModelError
from .images import LoadedPage, SourcePage, list_pages, load_page
from .linesheet import line_sheet
from .model import PageImage, PageText

log = logging.getLogger(__name__)

IDENTITY = np.array([[1.0, 0, 0], [0, 1.0, 0]])


@dataclass
class PageOutcome:
    """Everything known about one page after the pipeline. ``loaded`` is None when unreadable."""
    page_id: str
    source: Path
    frame: int = 0
    loaded: LoadedPage | None = None
    report: qc.QcReport | None = None
    text: PageText | None = None
    to_source: np.ndarray = field(default_factory=lambda: IDENTITY.copy())
    problems: list[qc.Problem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """``ok``, ``flagged`` (usable, needs a look), ``rejected`` (QC) or ``failed``."""
        if any(p.code in ("input", "engine") for p in self.problems):
            return "failed"
        if any(p.severity == "reject" for p in self.problems):
            return "rejected"
        return "flagged" if self.problems else "ok"

    def to_dict(self) -> dict:
        return {
            "page_id": self.page_id, "source": str(self.source), "frame": self.frame,
            "status": self.status,
            "problems": [vars(p) for p in self.problems],
            "notes": self.loaded.notes if self.loaded else [],
            "qc": self.report.to_dict() if self.report else None,
            "engine": self.text.engine if self.text else None,
            "engine_version": self.text.engine_version if self.text else None,
            "mean_confidence": self.text.mean_confidence if self.text else None,
            "reading": self.report.reading if self.report else None,
            "path": self.report.path if self.report else None,
            "line_confidences": [round(l.confidence, 4) for l in self.text.lines] if self.text else [],
            "timings_s": self.timings,
        }


def expand(paths: Iterable[str | Path]) -> Iterator[SourcePage | PageOutcome]:
    """Source pages of every file; a file that cannot be opened yields a failed outcome."""
    for path in paths:
        path = Path(path)
        try:
            yield from list_pages(path)
        except InputError as exc:
            yield PageOutcome(path.stem, path, problems=[_input_problem(path.stem, exc)])


def _input_problem(page_id: str, exc: InputError) -> qc.Problem:
    return qc.Problem("input", "reject", str(exc),
                      f"Trang {page_id}: tệp ảnh không đọc được hoặc không hợp lệ ({exc})")


def _engine_problem(page_id: str, exc: EngineError) -> qc.Problem:
    return qc.Problem("engine", "reject", str(exc),
                      f"Trang {page_id}: nhận dạng ký tự (OCR) thất bại; cần xử lý lại")


def _prepare(source: SourcePage, assume_dpi: float | None,
             recognition_dpi: float | None) -> tuple[PageOutcome, PageImage | None]:
    outcome = PageOutcome(source.page_id, source.path, source.frame)
    start = time.perf_counter()
    try:
        outcome.loaded = load_page(source, assume_dpi=assume_dpi)
    except InputError as exc:
        outcome.problems.append(_input_problem(source.page_id, exc))
        return outcome, None
    loaded_at = time.perf_counter()
    try:
        image, outcome.report = preprocess.prepare(outcome.loaded, recognition_dpi=recognition_dpi)
    except Exception as exc:  # a preprocessing fault is this page's verdict, never the whole chunk's
        log.exception("preprocessing failed on %s", source.page_id)
        outcome.problems.append(qc.Problem(
            "engine", "reject", f"{source.page_id}: preprocessing failed: {exc!r}",
            f"Trang {source.page_id}: tiền xử lý ảnh thất bại ({type(exc).__name__}); cần xử lý lại"))
        return outcome, None
    outcome.problems += outcome.report.problems
    outcome.timings = {"load": round(loaded_at - start, 3),
                       "preprocess": round(time.perf_counter() - loaded_at, 3)}
    if image is not None:
        outcome.to_source = image.to_source
    return outcome, image


def _read(engine: OcrEngine, attempts: list[evidence.Attempt]) -> None:
    """One engine call for a round of attempts (of several pages): each gets its result."""
    if not attempts:
        return
    results = engine.recognize([a.engine_input for a in attempts])
    if len(results) != len(attempts):  # a broken engine must not leave pages silently empty
        results = [EngineError(f"{a.image.page_id}: engine {engine.name} returned {len(results)} results "
                               f"for {len(attempts)} pages") for a in attempts]
    for attempt, result in zip(attempts, results):
        attempt.take(result)


def _chunk(sources: list[SourcePage], engine: OcrEngine, assume_dpi: float | None,
           recognition_dpi: float | None) -> list[PageOutcome]:
    """Read a chunk of pages in rounds (:meth:`ocr_engine.evidence.Trial.next_attempts`): every page the way
    the preprocessing proposes, then, page by page, only what is still worth trying. Each round is one
    engine call over all pages that need it, so batching engines stay busy."""
    prepared = [_prepare(s, assume_dpi, recognition_dpi) for s in sources]
    todo = [(o, img) for o, img in prepared if img is not None and not o.report.blank]
    trials = []
    for outcome, image in todo:
        report = outcome.report
        trials.append(evidence.Trial(outcome.loaded, report, recognition_dpi, [evidence.Attempt(
            "sohoa", image, report.orientation_deg, report.skew_deg, report.streaks_removed,
            line_sheet(image) if report.streaks_removed else None)]))
    batch = [t.attempts[0] for t in trials]
    while batch:
        _read(engine, batch)
        batch = []
        for trial in trials:
            more = trial.next_attempts(engine.timeout)
            trial.attempts += more
            batch += more
    for (outcome, _), trial in zip(todo, trials):
        _settle(outcome, trial.attempts)
    return [o for o, _ in prepared]


def _settle(outcome: PageOutcome, attempts: list[evidence.Attempt]) -> None:
    """Keep the chosen attempt's reading and geometry; record every attempt in the QC report."""
    report = outcome.report
    if attempts[0].error is not None:
        outcome.problems.append(_engine_problem(outcome.page_id, attempts[0].error))
        report.paths = [a.to_dict(False) for a in attempts]
        return
    winner, uncertain = evidence.choose(attempts)
    outcome.text, report.words_corrected = _marks_corrected(winner.text)
    outcome.to_source = winner.image.to_source
    outcome.timings["ocr"] = round(sum(a.text.seconds for a in attempts if a.text), 3)
    report.orientation_deg, report.skew_deg, report.streaks_removed = winner.orientation, winner.skew, winner.streaks
    report.path = winner.name
    report.paths = [a.to_dict(a is winner) for a in attempts]
    report.reading = winner.reading.to_dict()
    sources = [line.source for line in winner.text.lines if line.source]
    report.lines_by_engine = {s: sources.count(s) for s in sorted(set(sources))} or None
    flags = []
    if uncertain:
        flags.append(qc.orientation_problem(outcome.page_id))
    if winner.reading.score < evidence.REVIEW_SCORE:  # nothing read at all on a page with marks counts too
        flags.append(qc.reading_problem(outcome.page_id, winner.reading.score))
    outcome.problems += flags
    report.problems += flags


def _marks_corrected(text: PageText) -> tuple[PageText, int]:
    """*text* with every word's tone and vowel marks corrected by its neighbours
    (:meth:`ocr_engine.lm.SyllableLM.correct_marks`), and how many words changed. Without the syllable model
    (a broken install) the reading is kept as it is."""
    try:
        model = lm.shared()
    except ModelError as exc:
        log.warning("marks not corrected: %s", exc)
        return text, 0
    lines, changed = [], 0
    for line in text.lines:
        read = [w.text for w in line.words]
        fixed = model.correct_marks(read, [w.confidence for w in line.words])
        if fixed == read:
            lines.append(line)
            continue
        changed += sum(t != r for r, t in zip(read, fixed))
        lines.append(dataclasses.replace(line, words=tuple(
            w if t == w.text else dataclasses.replace(w, text=t) for w, t in zip(line.words, fixed))))
    return dataclasses.replace(text, lines=lines), changed


def run(paths: Iterable[str | Path], engine: OcrEngine, *, jobs: int = 1,
        assume_dpi: float | None = None, pages_per_call: int = 1,
        recognition_dpi: float | None = preprocess.RECOGNITION_DPI) -> Iterator[PageOutcome]:
    """Process every page of *paths*; yield outcomes in input order.

    *assume_dpi* is used for files that record no resolution; *recognition_dpi* is passed to
    :func:`ocr_engine.preprocess.prepare`.

    Up to *jobs* chunks of *pages_per_call* pages are in flight at once (one worker thread
    each; the work itself runs in OpenCV and in engine processes).
    """
    window: deque = deque()
    pending: list[SourcePage] = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        def flush() -> None:
            window.append(pool.submit(_chunk, list(pending), engine, assume_dpi, recognition_dpi))
            pending.clear()

        for item in expand(paths):
            if isinstance(item, PageOutcome):
                if pending:
                    flush()
                window.append(item)
            else:
                pending.append(item)
                if len(pending) >= pages_per_call:
                    flush()
            while len(window) > 2 * max(1, jobs):
                yield from _drain(window.popleft())
        if pending:
            flush()
        while window:
            yield from _drain(window.popleft())


def _drain(item) -> list[PageOutcome]:
    return [item] if isinstance(item, PageOutcome) else item.result()


class Output(NamedTuple):
    """One output file of a page: its name (``<page_id>.<kind>``), its kind and its bytes."""

    name: str
    kind: str  # "txt", "alto.xml" or "json"
    data: bytes


def page_outputs(outcome: PageOutcome) -> list[Output]:
    """A page's output files as data: ``txt`` (UTF-8) and ``alto.xml`` when text was recognised or the page is
    blank, then ``json`` (the outcome) always."""
    outputs = []
    text = outcome.text
    if text is None and outcome.report is not None and outcome.report.blank and not outcome.report.rejected:
        text = PageText(outcome.page_id, [], "none", "blank page, not recognised", 0.0)
    if text is not None and outcome.loaded is not None:
        h, w = outcome.loaded.pixels.shape[:2]
        outputs.append(Output(f"{outcome.page_id}.txt", "txt", text.text.encode("utf-8")))
        outputs.append(Output(f"{outcome.page_id}.alto.xml", "alto.xml", alto.alto_xml(
            text, source_name=outcome.source.name, width=w, height=h, to_source=outcome.to_source)))
    meta = json.dumps(outcome.to_dict(), ensure_ascii=False, indent=1)
    return outputs + [Output(f"{outcome.page_id}.json", "json", meta.encode("utf-8"))]


def write_outputs(outcome: PageOutcome, out_dir: Path) -> list[Path]:
    """Write :func:`page_outputs` into ``out_dir``: ``<page_id>.json`` always; ``.txt`` and ``.alto.xml`` when
    text was recognised or the page is blank. Returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for output in page_outputs(outcome):
        path = out_dir / output.name
        path.write_bytes(output.data)
        written.append(path)
    return written
