"""Born-digital benchmarks — figures printed, not timed tests (no stack needed).

    .venv/bin/python scripts/bench_born_digital.py [--files 40] [--pages 3] [--scans 4]

1. signature verification (pyHanko): files/s and CPU-s per file and per page, on văn bản of ``--pages`` text
   pages signed twice (the issuing body, then a counter-signature as an incremental update), one process
2. PDF/A-2b access copy of a text PDF (its own text kept, no OCR): CPU-s per page
3. PDF/A-2b access copy of a signed 300-dpi scan (one image per page, OCR in Tesseract ``vie``): CPU-s per page
4. for comparison, the scanned-page path: ``ocr_engine`` pipeline (engine ``tesseract``) on the same scans' page
   images, CPU-s per page

CPU seconds include child processes (Tesseract runs as one). Wall time is printed beside.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

from ocr_engine.engines import get_engine
from ocr_engine.pipeline import run
from ocr_engine.synth import render_page
from sohoa.born_digital.pdfinfo import inspect_pdf
from sohoa.born_digital.rendition import make_rendition
from sohoa.born_digital.samples import ThrowawayCA, image_pdf, sign, text_pdf
from sohoa.born_digital.signatures import TrustStore, quiet_pyhanko, verify_file


def cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def measure(label: str, work, count: int, unit: str) -> None:
    wall0, cpu0 = time.perf_counter(), cpu()
    work()
    wall, used = time.perf_counter() - wall0, cpu() - cpu0
    print(f"{label:<58} {count / wall:8.2f} {unit}/s wall   {used / count:7.3f} CPU-s/{unit}   ({count} {unit}s, "
          f"{wall:.1f} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=40, help="signed files to verify")
    parser.add_argument("--pages", type=int, default=3, help="text pages per signed file")
    parser.add_argument("--scans", type=int, default=4, help="signed one-page scans for the OCR'd rendition")
    args = parser.parse_args(argv)
    quiet_pyhanko()
    ca = ThrowawayCA.make()
    ubnd = ca.issue("Ủy ban nhân dân tỉnh Thử Nghiệm", "Tỉnh Thử Nghiệm", rsa_key=True)
    cong_bao = ca.issue("Công báo tỉnh Thử Nghiệm", "Tỉnh Thử Nghiệm")
    with tempfile.TemporaryDirectory(prefix="bench-born-digital-") as work:
        work = Path(work)
        signed = sign(sign(text_pdf(pages=args.pages), ubnd), cong_bao, field="CongBao")
        texts = []
        for n in range(args.files):
            path = work / f"vb-{n:03d}.pdf"
            path.write_bytes(signed)
            texts.append(path)
        scans, images = [], []
        for n in range(args.scans):
            image, _truth, _fields = render_page(seed=100000 + n, dpi=300)
            png = io.BytesIO()
            image.save(png, format="PNG", dpi=(300, 300))
            images.append(work / f"scan-{n:03d}.png")
            images[-1].write_bytes(png.getvalue())
            scans.append(work / f"scan-{n:03d}.pdf")
            scans[-1].write_bytes(sign(image_pdf(png.getvalue()), ubnd))
        trust = TrustStore.from_dir(ca.write_trust_dir(work / "trust"))

        print(f"born-digital benchmark — {os.cpu_count()} CPUs visible, one process")
        measure(f"1. verify 2 signatures, {args.pages}-page file (per file)",
                lambda: [verify_file(p, trust) for p in texts], len(texts), "file")
        measure("   same, per page", lambda: [verify_file(p, trust) for p in texts], len(texts) * args.pages, "page")
        facts = {p: inspect_pdf(p) for p in texts[:5] + scans}
        measure("2. PDF/A-2b copy of a text PDF (own text, no OCR)",
                lambda: [make_rendition(p, p.with_suffix(".a.pdf"), facts[p], title="bench") for p in texts[:5]],
                5 * args.pages, "page")
        measure("3. PDF/A-2b copy of a signed 300-dpi scan (OCR vie)",
                lambda: [make_rendition(p, p.with_suffix(".a.pdf"), facts[p], title="bench") for p in scans],
                len(scans), "page")
        engine = get_engine("tesseract")
        measure("4. scanned-page path: ocr_engine pipeline, tesseract",
                lambda: list(run(images, engine)), len(images), "page")
    return 0


if __name__ == "__main__":
    sys.exit(main())
