"""Benchmark of handover packages and fixity against the running local stack, printed beside the targets.

1. A hồ sơ of --pages pages (default 1,000) in --van-ban văn bản, --page-kb KB per page (page images in masters,
   one PDF per văn bản in derivatives; random bytes: what is measured is storage, XML, validation, zipping):
   build + validate (official XSDs, CSIP rules, every checksum) + zip its AIP — target ≤ 60 s on 2 cores.
2. Fixity over the same objects (every page image and PDF re-read and hashed) — target ≥ 200 MB/s.

Run: ``.venv/bin/python scripts/bench_handover.py [--pages 1000] [--page-kb 400] [--cores 2]``.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sohoa import storage
from sohoa.catalogue.db import connect, transaction
from sohoa.fixity.check import run_fixity
from sohoa.handover import records
from sohoa.handover.package import build_package
from sohoa.handover.samples import make_ho_so

PACKAGE_TARGET_S = 60.0
FIXITY_TARGET_MB_S = 200.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--van-ban", type=int, default=10)
    parser.add_argument("--page-kb", type=int, default=400)
    parser.add_argument("--cores", type=int, default=2, help="CPUs this process may use (sched_setaffinity)")
    parser.add_argument("--fixity-jobs", type=int, default=4)
    args = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0))[:args.cores]
    os.sched_setaffinity(0, cpus)
    conn, s3 = connect(), storage.client()
    started = time.monotonic()
    sample = make_ho_so(conn, s3, pages=args.pages, van_ban=args.van_ban, page_bytes=args.page_kb * 1024)
    print(f"setup: hồ sơ {sample.ma_ho_so}, {args.pages} pages × {args.page_kb} KB, {args.van_ban} PDFs "
          f"stored in {time.monotonic() - started:.1f} s (not timed below); CPUs {cpus}")

    with tempfile.TemporaryDirectory(prefix="bench-handover-") as tmp:
        t0 = time.monotonic()
        with transaction(conn) as cur:
            unit = records.describe(cur, sample.ma_ho_so)
        t1 = time.monotonic()
        package = build_package(s3, unit, "AIP", Path(tmp))
        t2 = time.monotonic()
    took = t2 - t0
    print(f"package: {len(unit.events)} events, {len(unit.pages)} pages, {package.file_count} files, "
          f"zip {package.size / 1e6:.0f} MB — catalogue read {t1 - t0:.2f} s, build+validate+zip {t2 - t1:.1f} s")
    print(f"  build and validate the AIP of a {args.pages}-page hồ sơ: {took:6.1f} s   "
          f"target ≤ {PACKAGE_TARGET_S:.0f} s"
          f"   {'OK' if took <= PACKAGE_TARGET_S else 'MISSED'}")

    report = run_fixity(conn, s3, prefix=f"{sample.ma_ho_so}/", jobs=args.fixity_jobs, agent="bench_handover")
    print(f"fixity: {report.checked} objects, {report.bytes / 1e6:.0f} MB in {report.seconds:.1f} s, "
          f"{len(report.problems)} problems")
    print(f"  fixity throughput: {report.mb_per_s:8.0f} MB/s   target ≥ {FIXITY_TARGET_MB_S:.0f} MB/s"
          f"   {'OK' if report.mb_per_s >= FIXITY_TARGET_MB_S else 'MISSED'}")
    conn.close()
    return 0 if took <= PACKAGE_TARGET_S and report.mb_per_s >= FIXITY_TARGET_MB_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
