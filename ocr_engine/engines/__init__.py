"""The engine interface and the registry that picks an engine by name.

An engine receives a batch of preprocessed :class:`~ocr_engine.model.PageImage` and returns one
entry per page, in input order: a :class:`~ocr_engine.model.PageText` or the
:class:`~ocr_engine.errors.EngineError` that explains why that page failed. A failing page
never takes the batch down; only :class:`~ocr_engine.errors.EngineUnavailable` (the engine
cannot run at all) is raised.

Engines register with :func:`register` and are made with :func:`get_engine`; all text they
return goes through :func:`finish_lines` (reading order, NFC, Ð→Đ).
"""
from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar

from ..errors import EngineError, EngineUnavailable
from ..layout import split_columns
from ..model import Line, PageImage, PageText, Word
from ..textnorm import normalize_text

log = logging.getLogger(__name__)

_REGISTRY: dict[str, type[OcrEngine]] = {}


class OcrEngine(ABC):
    """Base of every engine. Options are keyword-only and engine specific.

    ``jobs`` is how many pages may be worked on at once; ``timeout`` bounds one page in seconds.
    """
    name: ClassVar[str]

    def __init__(self, *, jobs: int = 1, timeout: float = 300.0) -> None:
        self.jobs = max(1, jobs)
        self.timeout = timeout

    @abstractmethod
    def version(self) -> str:
        """Engine and model version, for provenance. Raises EngineUnavailable."""

    @abstractmethod
    def recognize(self, pages: Sequence[PageImage]) -> list[PageText | EngineError]:
        """Recognise a batch; one PageText or EngineError per page, in input order."""


class PerPageEngine(OcrEngine):
    """An engine that handles one page per call, up to ``jobs`` calls at once.

    Calls run in threads, so :meth:`recognize_page` must spend its time outside the GIL
    (in a child process or native code).
    """

    @abstractmethod
    def recognize_page(self, page: PageImage) -> list[Line]:
        """Lines of one page in reading order, coordinates of *page*. Raises EngineError."""

    def recognize_page_and_noise(self, page: PageImage) -> tuple[list[Line], list[Line]]:
        """Lines of one page as :meth:`recognize_page` gives them, and the lines it read but judged to be dirt
        (an engine that judges nothing returns none)."""
        return self.recognize_page(page), []

    def _one(self, page: PageImage) -> PageText | EngineError:
        start = time.perf_counter()
        try:
            lines, noise = self.recognize_page_and_noise(page)
        except EngineError as exc:
            return exc
        except Exception as exc:  # a buggy engine is a page verdict, logged with its traceback
            log.exception("engine %s failed on %s", self.name, page.page_id)
            return EngineError(f"{page.page_id}: engine {self.name} crashed: {exc!r}")
        return PageText(page.page_id, finish_lines(lines, page), self.name, self.version(),
                        round(time.perf_counter() - start, 3), normalised(noise))

    def recognize(self, pages: Sequence[PageImage]) -> list[PageText | EngineError]:
        self.version()  # fail the whole batch early when the engine cannot run
        if self.jobs == 1 or len(pages) == 1:
            return [self._one(p) for p in pages]
        with ThreadPoolExecutor(max_workers=min(self.jobs, len(pages))) as pool:
            return list(pool.map(self._one, pages))


def finish_lines(lines: list[Line], page: PageImage) -> list[Line]:
    """Lines in reading order (:func:`~ocr_engine.layout.split_columns`, except on a line sheet,
    whose reading back orders its lines), every word NFC-normalised with Ð→Đ mapped; empty words
    and lines dropped."""
    out = normalised(lines)
    return out if page.lines_only else split_columns(out)


def normalised(lines: list[Line]) -> list[Line]:
    """*lines* with every word NFC-normalised (Ð→Đ); empty words and lines dropped; each line's source kept."""
    out = []
    for line in lines:
        words = tuple(Word(t, w.box, w.confidence) for w in line.words
                      if (t := normalize_text(w.text).strip()))
        if words:
            out.append(Line(words, line.source))
    return out


def register(cls: type[OcrEngine]) -> type[OcrEngine]:
    """Class decorator: make *cls* available to :func:`get_engine` under ``cls.name``."""
    _REGISTRY[cls.name] = cls
    return cls


def engine_names() -> list[str]:
    return sorted(_REGISTRY)


def get_engine(name: str, **options) -> OcrEngine:
    """Instantiate the engine registered as *name*; EngineUnavailable for unknown names."""
    try:
        cls = _REGISTRY[name]
    except KeyError:
        raise EngineUnavailable(f"unknown engine {name!r}; known: {', '.join(engine_names())}") from None
    return cls(**options)


from . import neural, paddle, tesseract  # noqa: E402,F401  (built-in engines register themselves)
