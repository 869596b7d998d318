"""Benchmark of the page viewer's first paint for a 300-dpi A4 master, in headless Chromium, beside the target.

Against the running local stack: a hồ sơ of one rendered A4 page at 300 dpi (2480 × 3508 px; --ext jpg or tif,
a TIFF master being what a vendor delivering uncompressed scans sends) goes through intake, OCR (tesseract) and
assembly (not timed). Then an Airflow API server with this tree's plugin is started on a free port and Chromium
(Debian's) logs in and opens ``/sohoa/trang/<mã hồ sơ>/1`` in a fresh context each time (no HTTP cache):

* cold — the first open ever: the rendition is made from the master (download, SHA-256 check, decode, downscale,
  store in derivatives);
* warm — --runs later opens: the stored rendition is served.

"First paint" is navigation start → the ``load`` event (the HTML, its script and style, and the page image
received and decoded; the line overlay is part of the HTML). Target ≤ 1 s warm (issue 17). Also printed: time to
first byte, first contentful paint (the load time when Chromium recorded none), and the time to make the
rendition alone.

Run: ``.venv/bin/python scripts/bench_viewer.py [--runs 5] [--ext jpg|tif]``.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

TARGET_MS = 1000.0
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TIMING_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint');
  const img = performance.getEntriesByType('resource').find(e => e.name.endsWith('/anh.jpg'));
  return {ttfb: nav.responseStart, fcp: fcp ? fcp.startTime : null, load: nav.loadEventEnd,
          image_bytes: img ? img.encodedBodySize : null, image_done: img ? img.responseEnd : null};
}"""


def processed_page(tmp: Path, ext: str) -> str:
    """A one-page hồ sơ at 300 dpi through intake, OCR and assembly; its mã hồ sơ."""
    from ocr_engine.synth import render_page
    from sohoa import storage
    from sohoa.catalogue.db import connect, transaction
    from sohoa.intake.samples import intake_here, make_batch
    from sohoa.processing.assemble import assemble_ho_so
    from sohoa.processing.ocr import ocr_chunk
    from sohoa.processing.plan import batch_pk_of, pending_chunks

    vendor, batch_id = "vendor-demo", f"bench-viewer-{uuid.uuid4().hex[:8]}"
    seed = uuid.uuid4().int % 10**9
    manifest = make_batch(tmp / batch_id, vendor, batch_id, n_ho_so=1, pages_per_ho_so=1, ext=ext, dpi=300,
                          page_image=lambda *_: render_page(seed, dpi=300)[0].convert("RGB"), with_van_ban=False)
    intake_here(tmp / batch_id, vendor, batch_id)
    conn, s3 = connect(), storage.client()
    try:
        with transaction(conn) as cur:
            chunks = pending_chunks(cur, batch_pk=batch_pk_of(cur, vendor, batch_id), chunk_size=8)
        for chunk in chunks:
            ocr_chunk(conn, s3, chunk, engine="tesseract", jobs=2)
        ma_ho_so = manifest["ho_so"][0]["ma_ho_so"]
        assemble_ho_so(conn, s3, ma_ho_so)
        with transaction(conn) as cur:
            cur.execute("""SELECT t.width, t.height, t.dpi, t.size_bytes FROM trang t JOIN ho_so h ON h.id = t.ho_so_id
                           WHERE h.ma_ho_so = %s AND t.so_trang = 1""", (ma_ho_so,))
            width, height, dpi, size = cur.fetchone()
    finally:
        conn.close()
    print(f"master: {ma_ho_so} p.1, {width} × {height} px, {dpi} dpi, {ext}, {size / 1e6:.1f} MB")
    return ma_ho_so


def rendition_alone(ma_ho_so: str) -> float:
    """Seconds to make the rendition of a page again (the stored one is ignored), as the first open does."""
    from sohoa import storage
    from sohoa.catalogue.db import connect, transaction
    from sohoa.processing import keys
    from sohoa.processing.corrections import find_page
    from sohoa.processing.renditions import rendition
    from sohoa.search import ACCESS_LEVELS

    conn, s3 = connect(), storage.client()
    with transaction(conn) as cur:
        row = find_page(cur, ma_ho_so, 1, ACCESS_LEVELS)
    conn.close()
    s3.delete_object(Bucket=storage.DERIVATIVES, Key=keys.rendition(ma_ho_so, 1, row.sha256))
    started = time.perf_counter()
    body, _ = rendition(s3, ma_ho_so, 1, row.master_key, row.sha256, row.master_version_id)
    took = time.perf_counter() - started
    print(f"rendition alone: {took * 1000:.0f} ms, {len(body) / 1e3:.0f} kB JPEG")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ext", choices=("jpg", "tif"), default="jpg")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from sohoa.config import settings
    from sohoa.localstack.airflow import extra_api_server

    cfg = settings()
    with tempfile.TemporaryDirectory(prefix="bench-viewer-") as tmp:
        ma_ho_so = processed_page(Path(tmp), args.ext)
        with extra_api_server(cfg, Path(tmp) / "api-server.log") as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            login = browser.new_context()
            page = login.new_page()
            page.goto(f"{base}/sohoa/tim-kiem/")
            page.get_by_label("Username").fill(cfg.airflow_admin_user)
            page.get_by_label("Password").fill(cfg.airflow_admin_password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/sohoa/tim-kiem/**", timeout=30_000)
            cookies = login.cookies()
            login.close()

            def open_once() -> dict:
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                context.add_cookies(cookies)
                tab = context.new_page()
                tab.goto(f"{base}/sohoa/trang/{ma_ho_so}/1", wait_until="load")
                timing = tab.evaluate(TIMING_JS)
                context.close()
                return timing

            cold = open_once()
            warm = [open_once() for _ in range(args.runs)]
            browser.close()
        rendition_alone(ma_ho_so)
    loads = [t["load"] for t in warm]
    print(f"cold (rendition made on this open): ttfb {cold['ttfb']:.0f} ms, first contentful paint "
          f"{cold['fcp'] or cold['load']:.0f} ms, page and image loaded {cold['load']:.0f} ms")
    print(f"warm ({args.runs} opens, fresh browser context each): ttfb median "
          f"{statistics.median(t['ttfb'] for t in warm):.0f} ms, first contentful paint median "
          f"{statistics.median(t['fcp'] or t['load'] for t in warm):.0f} ms, "
          f"image {warm[0]['image_bytes'] / 1e3:.0f} kB")
    worst = max(loads)
    print(f"  first paint with image and lines, warm: median {statistics.median(loads):.0f} ms, max {worst:.0f} ms"
          f"   target ≤ {TARGET_MS:.0f} ms   {'OK' if worst <= TARGET_MS else 'MISSED'}")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
