"""The one exception hierarchy of ocr_engine.

Every exception raised on purpose by this package derives from :class:`OcrEngineError`.
Messages are English and name the page or file concerned, for operators and logs;
:mod:`ocr_engine.qc` carries the Vietnamese wording shown to vendors and archivists.
"""


class OcrEngineError(Exception):
    """Base class of every error raised by ocr_engine."""


class InputError(OcrEngineError):
    """A page file cannot be used: unreadable, empty, too small, too large, not an image."""


class EngineUnavailable(OcrEngineError):
    """An engine cannot run at all here (binary, package or model missing)."""


class EngineError(OcrEngineError):
    """An engine failed on one page (crash, bad output, killed)."""


class EngineTimeout(EngineError):
    """An engine did not finish one page within its time limit."""


class ModelError(OcrEngineError):
    """A recognition model is unsuitable (e.g. its dictionary cannot spell Vietnamese)."""


class PdfError(OcrEngineError):
    """The two-layer PDF/A could not be assembled."""
