"""Fixity: re-read stored objects, recompute their SHA-256, compare with the catalogue, record every check.

What is checked (``check.targets``): master page images (``trang.sha256``, the exact version stored), the
per-page derivatives (``trang.derivative_keys``), the PDFs (``ho_so.pdf_keys``) and the handover packages
(``handover_package``). A run checks all of them or a rotating sample — the objects checked longest ago (or
never) first, so successive runs cover everything. Each check is a PREMIS ``fixity check`` event; a mismatch
or a missing object is a ``failure`` event and an alert.
"""
from ..errors import SohoaError


class FixityError(SohoaError):
    """Stored objects do not match the catalogue; the message lists them (bucket, key, expected, found)."""
