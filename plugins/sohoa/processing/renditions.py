"""The page viewer's image of a master: a downscaled JPEG, made once and kept in ``derivatives``.

A 300-dpi A4 master is 2480 × 3508 pixels (8.7 Mpx, 1–25 MB); the browser gets a JPEG whose long side is
:data:`LONG_SIDE` pixels instead. Its key carries the master's SHA-256 (:func:`sohoa.processing.keys.rendition`),
so a page whose master was replaced never shows the old one's image.
"""
from __future__ import annotations

import io
import tempfile
from pathlib import Path

import botocore.exceptions
from PIL import Image

from .. import storage
from . import keys
from .fetch import download_verified

LONG_SIDE = 1800  # px at most: a 300-dpi A4 master comes out at 1240 × 1754 (150 dpi), readable at 2× zoom
# A JPEG master is decoded at the smallest DCT scale (1/2, 1/4, 1/8) whose long side is still ≥ DRAFT_SIDE: a
# 300-dpi A4 at 1/2, with no resampling after. Measured on a 300-dpi A4 page: 49 ms and 120 kB, against 350 ms
# for a full decode resampled to a 2000-px long side; an LZW TIFF master (no DCT scaling) takes 260 ms.
DRAFT_SIDE = 1400
QUALITY = 80
TURNS = {0: None, 90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,  # clockwise degrees → PIL's
         270: Image.Transpose.ROTATE_90}                                               # counter-clockwise turns


def rendition(s3, ma_ho_so: str, so_trang: int, master_key: str, sha256: str,
              master_version_id: str | None, rotate: int = 0) -> tuple[bytes, str]:
    """The viewer's JPEG of one page and its key; made from the verified master and stored the first time.
    ``rotate`` (one of TURNS: 0, 90, 180, 270 degrees clockwise) turns it upright when the page was scanned turned.

    Raises StorageError (ChecksumMismatch included) when the master cannot be read or does not hash to
    ``sha256``.
    """
    key = keys.rendition(ma_ho_so, so_trang, sha256, rotate)
    try:
        return s3.get_object(Bucket=storage.DERIVATIVES, Key=key)["Body"].read(), key
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404"):
            raise storage.StorageError(f"s3://{storage.DERIVATIVES}/{key}: cannot be read") from exc
    with tempfile.TemporaryDirectory(prefix="sohoa-view-") as tmp:
        path = download_verified(s3, storage.MASTERS, master_key, Path(tmp) / f"m{Path(master_key).suffix}",
                                 sha256, version_id=master_version_id)
        body = downscale(path, rotate)
    storage.put_bytes(s3, storage.DERIVATIVES, key, body, content_type=keys.CONTENT_TYPES["jpg"])
    return body, key


def downscale(path: Path, rotate: int = 0) -> bytes:
    """The first frame of an image file as a JPEG whose long side is at most LONG_SIDE (and, for a master that
    large, at least DRAFT_SIDE), turned ``rotate`` degrees clockwise."""
    with Image.open(path) as img:
        draft = DRAFT_SIDE / max(img.size)
        img.draft("L" if img.mode in ("L", "1") else "RGB",
                  (max(1, round(img.width * draft)), max(1, round(img.height * draft))))
        small = img.convert("L" if img.mode in ("1", "L", "I;16", "I", "LA") else "RGB")
    scale = LONG_SIDE / max(small.size)
    if scale < 1:
        small = small.resize((max(1, round(small.width * scale)), max(1, round(small.height * scale))),
                             Image.Resampling.BILINEAR, reducing_gap=2.0)
    if TURNS[rotate] is not None:
        small = small.transpose(TURNS[rotate])
    out = io.BytesIO()
    small.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()
