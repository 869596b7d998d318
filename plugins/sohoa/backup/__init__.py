"""Backups (TT 05/2025: at least two copies on independent media): every catalogued object of ``masters`` and
``derivatives`` copied to a second S3 endpoint, verified by re-reading its SHA-256 there, and restored from it
when the primary copy is lost or damaged.

``replica`` holds where the second copy lives (locally a second SeaweedFS with its own ports and data folder
under the state dir), ``replicate`` copies what is missing, ``restore`` rebuilds a primary object from it.
"""
from ..errors import SohoaError


class BackupError(SohoaError):
    """A replica could not be made, verified or restored from; the message names bucket and key."""
