"""Intake benchmarks — figures printed next to their targets (not timed tests).

    .venv/bin/python scripts/bench_intake.py [--pages 200] [--register 10000] [--flat 10000]

1. catalogue registration: pages/s for one bulk registration (rows + events)   target ≥ 1,000 pages/s
2. validation of 300-dpi A4 JPEG pages on 2 cores (read, SHA-256, full decode, dpi)   target ≥ 50 pages/s
3. validation of a 10,000-page batch: peak memory vs a 1,000-page batch            target: flat
4. (for information) server intake of an uploaded batch: S3 validate + verified, locked copies + registration
Needs the local stack for (1) (``sohoa stack up``); (2) and (3) run on local folders.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from PIL import Image

from sohoa import storage
from sohoa.catalogue import db, migrate, records
from sohoa.catalogue.events import Event, record_events
from sohoa.intake.samples import make_batch
from sohoa.intake.source import LocalBatch
from sohoa.intake.process import run_intake
from sohoa.intake.validate import validate_batch
from sohoa.vendor_tool.upload import upload_batch

A4_300DPI = (2480, 3508)


def a4_page(seed: int) -> Image.Image:
    """A plausible scanned A4 page: off-white paper, dark text-like strokes, sensor noise."""
    rng = np.random.default_rng(seed)
    width, height = A4_300DPI
    page = np.full((height, width, 3), 236, np.uint8)
    for top in range(300, height - 300, 70):
        left = 250
        while left < width - 400:
            word = int(rng.integers(60, 260))
            page[top:top + 28, left:left + word] = rng.integers(20, 70)
            left += word + int(rng.integers(20, 40))
    page += rng.integers(0, 12, (height, width, 1), dtype=np.uint8)
    return Image.fromarray(page, "RGB")


def bench_register(total: int) -> float:
    migrate.upgrade()
    conn = db.connect()
    tag = uuid.uuid4().hex[:10]
    manifest = {"co_quan": {"ma": "BENCH", "ten": "Benchmark"}, "phong": {"ma_phong": "B01", "ten_phong": "Bench"},
                "muc_luc": {"so": "01"},
                "ho_so": [{"ma_ho_so": f"B01.{tag}", "tieu_de": "Benchmark", "thoi_han_bao_quan": "vinh_vien",
                           "muc_do_tiep_can": "cong_khai", "muc_do_tin_cay": "so_hoa", "so_luong_trang": total}]}
    try:
        with db.transaction(conn) as cur:
            ho_so_id = records.register_tree(cur, manifest, batch_pk=None, ma_ho_so={f"B01.{tag}"})[f"B01.{tag}"]
        rows = [records.PageRow(ho_so_id=ho_so_id, so_trang=n, sha256=hashlib.sha256(f"{tag}/{n}".encode()).hexdigest(),
                                size_bytes=1_500_000, dpi=300, width=2480, height=3508, color_mode="color",
                                format="JPEG", master_key=f"B01.{tag}/{n:04d}.jpg", qc_flags=[])
                for n in range(1, total + 1)]
        start = time.perf_counter()
        with db.transaction(conn) as cur:
            new = records.register_pages(cur, rows)
            record_events(cur, [Event("replication", "trang", row.master_key, "bench", detail={"sha256": row.sha256})
                                for row in rows])
        elapsed = time.perf_counter() - start
        assert len(new) == total
    finally:
        conn.close()
    return total / elapsed


def bench_validate(pages: int, workers: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "bench-a4"
        base = a4_page(0)

        def page(ma_ho_so: str, so_trang: int) -> Image.Image:
            image = base.copy()
            for bit in range(16):  # the page number as black/white squares: unique bytes per page
                shade = 0 if so_trang >> bit & 1 else 255
                image.paste((shade, shade, shade), (100 + 40 * bit, 100, 132 + 40 * bit, 132))
            return image

        start = time.perf_counter()
        make_batch(folder, "vendor-demo", "bench-a4", 1, pages, page_image=page)
        print(f"   (wrote {pages} A4 pages, {sum(p.stat().st_size for p in folder.rglob('*.jpg')) / pages / 1e6:.2f} "
              f"MB each, in {time.perf_counter() - start:.1f} s)")
        cpu, start = _cpu_seconds(), time.perf_counter()
        verdict = validate_batch(LocalBatch(folder), vendor="vendor-demo", batch_id="bench-a4", workers=workers)
        elapsed, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
        assert verdict.verdict == "accepted", [i.reasons for i in verdict.rejected][:3]
        return pages / elapsed, cpu / pages


def _cpu_seconds() -> float:
    """CPU time of this process, all threads."""
    times = os.times()
    return times.user + times.system


def peak_rss_for(pages: int) -> tuple[float, float]:
    """(peak RSS MiB, seconds) of validating a ``pages``-page batch in a fresh process."""
    out = subprocess.run([sys.executable, __file__, "--child-memory", str(pages)], capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), float(out[1])


def child_memory(pages: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "flat"
        make_batch(folder, "vendor-demo", "flat", max(1, pages // 500), min(pages, 500), with_van_ban=False)
        start = time.perf_counter()
        verdict = validate_batch(LocalBatch(folder), vendor="vendor-demo", batch_id="flat", workers=2)
        elapsed = time.perf_counter() - start
        assert verdict.verdict == "accepted"
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, elapsed)


def bench_server_intake(pages: int) -> tuple[float, float]:
    """(upload pages/s, intake pages/s) of a batch of small pages through S3 and the catalogue."""
    batch_id = f"bench-{uuid.uuid4().hex[:10]}"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / batch_id
        make_batch(folder, "vendor-demo", batch_id, max(1, pages // 100), min(pages, 100), with_van_ban=False)
        start = time.perf_counter()
        upload_batch(folder, vendor="vendor-demo", progress=False, complete=False)
        uploaded = time.perf_counter() - start
    conn = db.connect()
    try:
        start = time.perf_counter()
        outcome = run_intake(storage.client(), conn, "vendor-demo", batch_id)
        elapsed = time.perf_counter() - start
    finally:
        conn.close()
    assert outcome.verdict == "accepted"
    return pages / uploaded, pages / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200, help="A4 pages for the validation benchmark")
    parser.add_argument("--register", type=int, default=10_000, help="pages for the registration benchmark")
    parser.add_argument("--flat", type=int, default=10_000, help="pages of the large batch (memory)")
    parser.add_argument("--server", type=int, default=500, help="pages for the server intake figure")
    parser.add_argument("--child-memory", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_memory:
        child_memory(args.child_memory)
        return
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])
    print(f"cores used: {len(os.sched_getaffinity(0))}")
    rate = bench_register(args.register)
    print(f"1. register {args.register:,} pages (rows + events, one transaction): {rate:,.0f} pages/s   "
          f"target ≥ 1,000 pages/s   {'OK' if rate >= 1000 else 'MISSED'}")
    rate, cpu_per_page = bench_validate(args.pages, workers=2)
    capacity = len(os.sched_getaffinity(0)) / cpu_per_page
    print(f"2. validate {args.pages} × 300-dpi A4 JPEG (SHA-256, decode, dpi), 2 workers: {rate:.1f} pages/s "
          f"wall   target ≥ 50 pages/s   {'OK' if rate >= 50 else 'MISSED'}\n"
          f"   CPU {cpu_per_page * 1000:.1f} ms/page → {capacity:.0f} pages/s on 2 idle cores "
          f"(load average now {os.getloadavg()[0]:.1f}: other processes share these cores)")
    small, _ = peak_rss_for(1_000)
    large, seconds = peak_rss_for(args.flat)
    print(f"3. validate a {args.flat:,}-page batch: peak RSS {large:.0f} MiB vs {small:.0f} MiB for 1,000 pages "
          f"({seconds:.1f} s, {args.flat / seconds:,.0f} small pages/s)   target: flat   "
          f"{'OK' if large < small * 1.5 else 'GREW'}")
    upload_rate, intake_rate = bench_server_intake(args.server)
    print(f"4. server intake of {args.server} small pages: vendor upload {upload_rate:.0f} pages/s, intake "
          f"{intake_rate:.0f} pages/s (no target; S3 round trips dominate)")


if __name__ == "__main__":
    main()
