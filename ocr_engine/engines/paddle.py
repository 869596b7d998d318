"""The ``paddle`` engine: PaddleOCR 3.x with models from local directories only.

Optional: ``pip install paddleocr paddlepaddle`` (or ``paddlepaddle-gpu``). paddleocr is imported
only when the engine is instantiated, and a missing install is a clear EngineUnavailable.
Models are never fetched from a hub: both model directories are required, and the recognition
dictionary must be able to spell Vietnamese (stock PaddleOCR dictionaries cannot; see
PaddleOCR issues #16339, #15189) unless ``force=True``.
"""
from __future__ import annotations

import importlib.metadata
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from . import OcrEngine, finish_lines, register
from ..errors import EngineError, EngineUnavailable, ModelError
from ..model import Box, Line, PageImage, PageText, Word

VIETNAMESE_LETTERS = frozenset(
    [chr(c) for c in range(0x1EA0, 0x1EFA)]
    + list("ăâđêôơưĂÂĐÊÔƠƯ")
    + list("àáãèéìíòóõùúýÀÁÃÈÉÌÍÒÓÕÙÚÝĩĨũŨ")
)


def read_dictionary(path: str | Path) -> set[str]:
    """Characters a recognition model can output.

    *path* is a dictionary text file (one character per line) or a PaddleOCR 3.x model
    directory / ``inference.yml`` whose ``PostProcess.character_dict`` lists them.
    Raises ModelError when nothing readable is found.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "inference.yml"
    if not path.is_file():
        raise ModelError(f"{path}: no recognition dictionary found")
    if path.suffix in (".yml", ".yaml"):
        import yaml  # PaddleOCR's own dependency

        with open(path, encoding="utf-8") as fh:
            chars = (yaml.safe_load(fh) or {}).get("PostProcess", {}).get("character_dict") or []
        if not chars:
            raise ModelError(f"{path}: has no PostProcess.character_dict")
        return {str(c) for c in chars}
    with open(path, encoding="utf-8") as fh:
        return {line.rstrip("\r\n") for line in fh if line.rstrip("\r\n")}


def missing_vietnamese(chars: Iterable[str]) -> list[str]:
    """Vietnamese letters absent from *chars*, sorted; empty means the dictionary suffices."""
    return sorted(VIETNAMESE_LETTERS - set(chars))


def check_dictionary(chars: Iterable[str], *, source: str, force: bool = False) -> None:
    """Raise ModelError when *chars* cannot spell Vietnamese, unless *force*."""
    missing = missing_vietnamese(chars)
    if missing and not force:
        raise ModelError(
            f"{source}: recognition dictionary lacks {len(missing)} Vietnamese letters "
            f"({''.join(missing[:20])}{'…' if len(missing) > 20 else ''}); it would drop tone "
            "marks (QUYẾT ĐỊNH → QUYT ĐNH). Use a Vietnamese recognition model, or force=True "
            "to run it anyway")


def _model_name(model_dir: Path) -> str | None:
    import yaml

    config = model_dir / "inference.yml"
    if not config.is_file():
        return None
    with open(config, encoding="utf-8") as fh:
        return ((yaml.safe_load(fh) or {}).get("Global") or {}).get("model_name")


def _words(text: str, box: Box, confidence: float) -> tuple[Word, ...]:
    """Split a recognised line into words, sharing its box out by character count."""
    tokens = text.split()
    total = sum(len(t) for t in tokens) + max(0, len(tokens) - 1)
    words, offset = [], 0
    for token in tokens:
        x0 = box.x0 + box.width * offset // max(total, 1)
        offset += len(token)
        x1 = box.x0 + box.width * offset // max(total, 1)
        offset += 1
        words.append(Word(token, Box(x0, box.y0, max(x1, x0 + 1), box.y1), confidence))
    return tuple(words)


@register
class PaddleEngine(OcrEngine):
    """Options: ``det_model_dir``, ``rec_model_dir`` (required, local), ``device`` ("cpu",
    "gpu:0"), ``batch_size`` (pages per predict call), ``force`` (accept a dictionary without
    Vietnamese letters)."""
    name = "paddle"

    def __init__(self, *, det_model_dir: str | None = None, rec_model_dir: str | None = None,
                 device: str = "cpu", batch_size: int = 4, force: bool = False, **options) -> None:
        super().__init__(**options)
        try:
            import paddleocr
        except ImportError as exc:
            raise EngineUnavailable("engine 'paddle' needs the optional packages paddleocr and "
                                    "paddlepaddle: pip install paddleocr paddlepaddle") from exc
        if not det_model_dir or not rec_model_dir:
            raise EngineUnavailable("engine 'paddle' needs det_model_dir and rec_model_dir: local "
                                    "model directories (models are never downloaded)")
        det, rec = Path(det_model_dir), Path(rec_model_dir)
        for d in (det, rec):
            if not d.is_dir():
                raise EngineUnavailable(f"paddle model directory {d} does not exist")
        check_dictionary(read_dictionary(rec), source=str(rec), force=force)
        self.batch_size = max(1, batch_size)
        self._lock = threading.Lock()  # one predictor, shared by the pipeline's worker threads
        self._version = (f"paddleocr {importlib.metadata.version('paddleocr')} "
                         f"(det {_model_name(det) or det.name}, rec {_model_name(rec) or rec.name}, {device})")
        self._ocr = paddleocr.PaddleOCR(
            text_detection_model_dir=str(det), text_detection_model_name=_model_name(det),
            text_recognition_model_dir=str(rec), text_recognition_model_name=_model_name(rec),
            use_doc_orientation_classify=False, use_doc_unwarping=False,
            use_textline_orientation=False, device=device)

    def version(self) -> str:
        return self._version

    def _page(self, page: PageImage, result, seconds: float) -> PageText:
        lines = []
        for text, score, (x0, y0, x1, y1) in zip(result["rec_texts"], result["rec_scores"],
                                                 np.asarray(result["rec_boxes"]).tolist()):
            words = _words(text, Box(int(x0), int(y0), int(x1), int(y1)), round(float(score), 4))
            if words:
                lines.append(Line(words))
        lines.sort(key=lambda line: (line.box.y0 + line.box.y1) // 2)
        return PageText(page.page_id, finish_lines(lines, page), self.name, self._version, seconds)

    def recognize(self, pages: Sequence[PageImage]) -> list[PageText | EngineError]:
        out: list[PageText | EngineError] = []
        for start in range(0, len(pages), self.batch_size):
            batch = pages[start:start + self.batch_size]
            began = time.perf_counter()
            try:
                with self._lock:
                    results = list(self._ocr.predict([np.dstack([p.pixels] * 3) for p in batch]))
            except (RuntimeError, ValueError, MemoryError) as exc:
                out.extend(EngineError(f"{p.page_id}: paddle failed on its batch: {exc!r}") for p in batch)
                continue
            seconds = round((time.perf_counter() - began) / len(batch), 3)
            out.extend(self._page(p, r, seconds) for p, r in zip(batch, results))
        return out
