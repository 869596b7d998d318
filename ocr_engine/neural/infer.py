"""The recogniser at run time: one ONNX Runtime session per process, lines read in width-sorted batches.

:class:`Recogniser` reads any number of line crops (from any number of pages) at once: each crop is
normalised (:func:`.lineimage.normalise`), the crops are sorted by width and cut into batches of one padded
width (:func:`plan_batches`, bounded by lines and by pixels), each batch is padded to that width
(:func:`pad_batch`), run, decoded per line, and the readings are returned in input order. On a GPU the same
code keeps the device busy with lines from many pages; on a CPU no line pays for a wider one's padding, and
a line reads the same in any batch as alone.

The model directory (``ocr_engine/data/neural/``) holds ``crnn.onnx`` (fp32), ``model.json`` (format,
character set, training metadata, the ONNX file's SHA-256) and, where ``model.json`` lists it under ``int8``,
``crnn-int8.onnx``: the same model quantised for CPUs (``--export --quantize``), 1.8× faster on one core at
the same validation CER. :func:`open_session` takes int8 on a CPU and fp32 where CUDA is available. A
missing, truncated or incompatible model raises :class:`~ocr_engine.errors.ModelError` naming the file and
how to rebuild it.
"""
from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import ModelError
from . import charset, lineimage
from .decode import DECODERS, Decoded

MODEL_FORMAT = "sohoa-crnn-ctc"
MODEL_FORMAT_VERSION = 1
ONNX_NAME = "crnn.onnx"
META_NAME = "model.json"
REBUILD = ("rebuild it with `.venv-train/bin/python scripts/train_recogniser.py --run .state/train/crnn1 "
           "--export --quantize` (see docs/neural.md) or restore ocr_engine/data/neural/ from git")
PRECISIONS = ("auto", "fp32", "int8")  # auto: int8 on CPU when the model has it, fp32 with CUDA (QDQ int8
# would run as fp32 plus quantise/dequantise steps there)
MAX_BATCH_LINES = 64  # lines per batch; CPU throughput was flat from 32 up, a GPU wants more (raise it there)
MAX_BATCH_PIXELS = 64 * 32 * 1024  # bounds memory of one batch: 64 lines 1024 px wide at 32 px high
WIDTH_BUCKET = 64  # batch widths rounded up to this, so a run sees few distinct shapes: oneDNN (training) kept
# a kernel per shape and grew 270 MB/min with widths in steps of 4; cuDNN likewise plans per shape. A batch
# holds lines of one bucket only: padded to its widest line, a page's lines cost 1.41× their own pixels and
# the model's CPU time fell 30 % without it (10 broad-suite pages; 9 % on 40 tuning pages, padding 1.14 → 1.05)


def default_model_dir() -> Path:
    return Path(str(resources.files("ocr_engine").joinpath("data/neural")))


@dataclass(frozen=True)
class LineReading:
    """One line crop's reading: text, per-character span in crop pixels (x0, x1) and probability."""
    text: str
    char_x: tuple[tuple[float, float], ...]
    char_probs: tuple[float, ...]


def load_metadata(model_dir: Path) -> dict:
    """model.json of *model_dir*, checked against this code's format and character set; ModelError if not."""
    meta_path = model_dir / META_NAME
    if not meta_path.is_file():
        raise ModelError(f"recogniser model metadata {meta_path} is missing; {REBUILD}")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"recogniser model metadata {meta_path} is unreadable ({exc}); {REBUILD}") from None
    if meta.get("format") != MODEL_FORMAT or meta.get("format_version") != MODEL_FORMAT_VERSION:
        raise ModelError(f"{meta_path}: model format {meta.get('format')!r} v{meta.get('format_version')} "
                         f"is not {MODEL_FORMAT!r} v{MODEL_FORMAT_VERSION}; {REBUILD}")
    if meta.get("charset_version") != charset.CHARSET_VERSION or meta.get("chars") != charset.CHARS:
        raise ModelError(f"{meta_path}: model character set {meta.get('charset_version')!r} differs from "
                         f"this code's {charset.CHARSET_VERSION!r}; {REBUILD}")
    if meta.get("height") != lineimage.HEIGHT or meta.get("width_step") != lineimage.WIDTH_STEP:
        raise ModelError(f"{meta_path}: model input {meta.get('height')} px / step {meta.get('width_step')} "
                         f"differs from {lineimage.HEIGHT} px / {lineimage.WIDTH_STEP}; {REBUILD}")
    return meta


def model_file(model_dir: Path, meta: dict, precision: str, providers: Sequence[str]) -> tuple[Path, str | None, str]:
    """(ONNX file, its SHA-256 from model.json or None, "fp32" or "int8") for *precision* ("auto": int8
    when model.json lists an int8 file and CUDA is not among *providers*)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    int8 = meta.get("int8")
    if precision == "int8" and not int8:
        raise ModelError(f"{model_dir / META_NAME} lists no int8 model; {REBUILD}")
    if int8 and (precision == "int8" or (precision == "auto" and "CUDAExecutionProvider" not in providers)):
        return model_dir / int8.get("file", ""), int8.get("sha256"), "int8"
    return model_dir / ONNX_NAME, meta.get("onnx_sha256"), "fp32"


def open_session(model_dir: Path, *, threads: int = 1, precision: str = "auto"):
    """(ONNX Runtime session, metadata). CUDA when ONNX Runtime has it, else CPU with *threads* threads;
    the model file chosen by :func:`model_file` (metadata key ``precision`` says which)."""
    meta = load_metadata(model_dir)
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise ModelError(f"onnxruntime is not installed ({exc}); pip install -r requirements.txt") from None
    available = ort.get_available_providers()
    providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]
    onnx_path, sha256, meta["precision"] = model_file(model_dir, meta, precision, providers)
    if not onnx_path.is_file():
        raise ModelError(f"recogniser model {onnx_path} is missing; {REBUILD}")
    data = onnx_path.read_bytes()
    if sha256 and hashlib.sha256(data).hexdigest() != sha256:
        raise ModelError(f"recogniser model {onnx_path} ({len(data)} bytes) does not match the SHA-256 in "
                         f"{model_dir / META_NAME}: truncated or replaced; {REBUILD}")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    try:
        session = ort.InferenceSession(data, options, providers=providers)
    except Exception as exc:  # onnxruntime raises its own untyped errors for a corrupt model
        raise ModelError(f"recogniser model {onnx_path} cannot be loaded ({exc}); {REBUILD}") from None
    return session, meta


def _bucketed(width: int, bucket: int) -> int:
    return -(-width // bucket) * bucket


def plan_batches(widths: Sequence[int], *, max_lines: int = MAX_BATCH_LINES, max_pixels: int = MAX_BATCH_PIXELS,
                 bucket: int = WIDTH_BUCKET) -> list[list[int]]:
    """Indices of *widths* grouped into batches: sorted by width (narrow first), each batch of lines that
    round up to the same multiple of *bucket* (so that padding one to the batch's width is padding it to its
    own), at most *max_lines* lines and at most *max_pixels* once padded (a single line wider than that
    still gets a batch of its own). Every index appears exactly once."""
    order = sorted(range(len(widths)), key=lambda i: (widths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        padded = _bucketed(widths[i], bucket) * lineimage.HEIGHT * (len(current) + 1)  # sorted: the widest
        if current and (len(current) >= max_lines or padded > max_pixels
                        or _bucketed(widths[current[0]], bucket) != _bucketed(widths[i], bucket)):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def pad_batch(images: Sequence[np.ndarray], *, bucket: int = WIDTH_BUCKET) -> np.ndarray:
    """(N, 1, HEIGHT, W) float32, W the widest line rounded up to *bucket*: each normalised line
    left-aligned, padded with paper (0)."""
    width = _bucketed(max(img.shape[1] for img in images), bucket)
    out = np.zeros((len(images), 1, lineimage.HEIGHT, width), np.float32)
    for k, img in enumerate(images):
        out[k, 0, :, :img.shape[1]] = img
    return out


class Recogniser:
    """Reads line crops with one model. ``run`` is the batch function (the ONNX session by default):
    (N, 1, HEIGHT, W) float32 → (N, W/4, classes) logits; tests pass a fake. Thread-safe."""

    def __init__(self, run: Callable[[np.ndarray], np.ndarray], meta: dict | None = None, *,
                 decoder: str = "beam", max_lines: int = MAX_BATCH_LINES,
                 max_pixels: int = MAX_BATCH_PIXELS) -> None:
        self._run = run
        self.meta = meta or {}
        self.decode = DECODERS[decoder]
        self.max_lines, self.max_pixels = max_lines, max_pixels
        self._lock = threading.Lock()  # one batch at a time: the session already uses its threads

    @classmethod
    def from_dir(cls, model_dir: Path | None = None, *, threads: int = 1, precision: str = "auto",
                 **options) -> Recogniser:
        session, meta = open_session(model_dir or default_model_dir(), threads=threads, precision=precision)
        return cls(lambda x: session.run(None, {"image": x})[0], meta, **options)

    @property
    def version(self) -> str:
        return (f"crnn {self.meta.get('arch', '?')} step {self.meta.get('step', '?')} "
                f"{self.meta.get('precision', 'fp32')} charset {charset.CHARSET_VERSION}")

    def read(self, crops: Sequence[np.ndarray]) -> list[LineReading]:
        """Readings of greyscale line crops (uint8, paper light), in input order."""
        inputs = [lineimage.normalise(c) for c in crops]
        scales = [c.shape[1] / max(1, lineimage.scaled_width(c.shape)) for c in crops]
        out: list[LineReading | None] = [None] * len(crops)
        for batch in plan_batches([x.shape[1] for x in inputs], max_lines=self.max_lines,
                                  max_pixels=self.max_pixels):
            with self._lock:
                logits = self._run(pad_batch([inputs[i] for i in batch]))
            for row, i in enumerate(batch):
                frames = lineimage.frames(inputs[i].shape[1])
                _, decoded = self.decode(np.asarray(logits[row, :frames], np.float32))
                out[i] = _to_reading(decoded, scales[i])
        return out  # type: ignore[return-value]


def _to_reading(decoded: Decoded, scale: float) -> LineReading:
    step = lineimage.WIDTH_STEP * scale
    return LineReading(decoded.text, tuple((a * step, (b + 1) * step) for a, b in decoded.spans), decoded.probs)


@functools.lru_cache(maxsize=4)
def shared(model_dir: str | None = None, threads: int = 1, precision: str = "auto") -> Recogniser:
    """The process-wide recogniser for *model_dir* (default: the shipped model): the session is created once."""
    return Recogniser.from_dir(Path(model_dir) if model_dir else None, threads=threads, precision=precision)
