"""Born-digital records: signed electronic văn bản and hồ sơ submitted (nộp lưu) by an agency.

``signatures`` verifies every PDF signature of a file with pyHanko (integrity, coverage, signer, time, digest,
trust against the configured trust store); ``pdfinfo`` inspects a PDF for what an archive must know (encryption,
JavaScript, embedded files, PDF/A identification, text per page); ``rendition`` makes the PDF/A-2b access copy
beside the untouched original; ``submission`` is the intake of an electronic hồ sơ (contract:
``docs/born-digital-contract.md``); ``figures`` counts born-digital hồ sơ for the plan's figures.
"""
from ..errors import SohoaError


class BornDigitalError(SohoaError):
    """A born-digital submission or file cannot be handled; the message says which and why."""
