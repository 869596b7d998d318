"""The errors of processing (OCR, assembly, review), in one place."""
from ..errors import SohoaError


class OcrIncomplete(SohoaError):
    """Some pages of a chunk failed and will be tried again (the task should be retried)."""


class AssemblyError(SohoaError):
    """A PDF could not be built or failed its validation; the message names the hồ sơ and văn bản."""


class ReviewError(SohoaError):
    """A review action that cannot be done; the message is for the archivist (Vietnamese)."""


class CorrectionError(SohoaError):
    """A text correction that is refused; the message is for the archivist (Vietnamese)."""


class CorrectionConflict(CorrectionError):
    """The page's text changed since the archivist opened it (optimistic concurrency on its version)."""
