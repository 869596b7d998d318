"""A small ICC v2 sRGB display profile, generated in code for the PDF/A output intent.

Version 2.1 (what PDF/A validators and Ghostscript's own srgb.icc use), D50 PCS,
Bradford-adapted sRGB primaries, a sampled sRGB tone curve. Built once per process.
"""
from __future__ import annotations

import functools
import struct

DESCRIPTION = "sRGB IEC61966-2.1 (ocr_engine)"


def _s15(v: float) -> bytes:
    return struct.pack(">i", int(round(v * 65536)))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + _s15(x) + _s15(y) + _s15(z)


def _srgb_curve(n: int = 1024) -> bytes:
    def decode(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    samples = [int(round(decode(i / (n - 1)) * 65535)) for i in range(n)]
    return b"curv\0\0\0\0" + struct.pack(">I", n) + struct.pack(f">{n}H", *samples)


def _desc(text: str) -> bytes:
    ascii_ = text.encode("ascii") + b"\0"
    return (b"desc\0\0\0\0" + struct.pack(">I", len(ascii_)) + ascii_
            + struct.pack(">II", 0, 0) + struct.pack(">HB", 0, 0) + b"\0" * 67)


@functools.cache
def srgb_profile() -> bytes:
    """The profile bytes (deterministic)."""
    curve = _srgb_curve()
    tags = [
        (b"desc", _desc(DESCRIPTION)),
        (b"cprt", b"text\0\0\0\0" + b"No copyright, use freely\0"),
        (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", _xyz(0.4361, 0.2225, 0.0139)),
        (b"gXYZ", _xyz(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", _xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data, placed = [], b"", {}
    for sig, body in tags:
        if body not in placed:  # the three TRC tags share one curve
            placed[body] = offset + len(data)
            data += body + b"\0" * (-len(body) % 4)
        table.append(struct.pack(">4sII", sig, placed[body], len(body)))
    size = offset + len(data)
    header = (struct.pack(">I", size) + b"\0\0\0\0" + struct.pack(">I", 0x02100000)
              + b"mntr" + b"RGB " + b"XYZ " + struct.pack(">6H", 2025, 1, 1, 0, 0, 0)
              + b"acsp" + b"\0" * 24 + struct.pack(">I", 0)
              + _s15(0.9642) + _s15(1.0) + _s15(0.8249) + b"\0" * 4 + b"\0" * 44)
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + b"".join(table) + data
