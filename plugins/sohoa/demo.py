"""``sohoa demo``: the main job end to end on the local stack, as a vendor and an operator would see it.

1. Render a realistic vendor batch: hồ sơ of synthetic Vietnamese administrative pages (NĐ 30/2020 layout,
   some with scanner degradation) with their ground truth, plus one page scanned at 150 dpi, which the
   rules must reject.
2. Upload it with the vendor's own S3 credentials (``sohoa vendor upload``), checksums and all.
3. Let the real scheduler run ``sohoa_intake`` (it notices the completed batch by itself) and then
   ``sohoa_process``; wait for both.
4. Act as the archivist: accept the proposed metadata of each văn bản (the review queue), then hand the
   hồ sơ over: an E-ARK/TT 05 package validated against the official schemas, stored in ``exports`` with the
   transfer list.
5. Print what happened, read back from the real services: pages accepted and rejected with reasons, OCR
   character error rate against the ground truth, where the PDF/A files and packages are, a search without
   diacritics, where phase 1 of the plan stands (the plan's own figures seeded), and the Airflow UI address.
"""
from __future__ import annotations

import argparse
import json
import time
import uuid
from collections import Counter
from pathlib import Path

from ocr_engine.metrics import error_counts, rates
from ocr_engine.synth import render_page

from . import storage
from .airflow_api import AirflowClient
from .catalogue import migrate
from .catalogue.db import connect, transaction
from .config import settings
from .errors import DemoError
from .handover.transfer import Selection, hand_over
from .intake.samples import encode, make_batch, page_entry, read_manifest, write_manifest
from .processing.review import list_items, resolve
from .search import search
from .vntext import fold
from .vendor_tool.upload import batch_status, upload_batch

VENDOR = "vendor-demo"
PATH_WORDS = {"sohoa": "tiền xử lý đầy đủ", "upright": "giữ nguyên chiều (không xoay)", "plain": "ảnh gốc",
              "turn90": "xoay 90°", "turn180": "xoay 180°", "turn270": "xoay 270°", "none": "không ghi"}
LOW_DPI = 150


def demo_page(seed: int, number: int, so_trang: int):
    """Page *so_trang* of the demo batch's hồ sơ *number*: (image, ground truth, fields); every second hồ sơ
    is scanned on grey, noisy, skewed paper. ``scripts/bench_demo.py`` reads the same pages without the stack."""
    return render_page(seed + number * 100 + so_trang, dpi=300, degrade=number % 2 == 0)


def build_batch(folder: Path, batch_id: str, *, n_ho_so: int, pages: int, seed: int) -> tuple[dict[str, str], str]:
    """Write the batch; return the ground truth of every page by its file name, and a search query: the first
    page's summary typed without diacritics, as a user in a hurry would."""
    truths: dict[str, str] = {}
    summaries: list[str] = []

    def page(ma_ho_so: str, so_trang: int):
        image, truth, fields = demo_page(seed, int(ma_ho_so.rsplit("-", 1)[1]), so_trang)
        truths[f"{ma_ho_so}/{so_trang:04d}.jpg"] = truth
        summaries.append(fields["trich_yeu"])
        return image.convert("RGB")

    make_batch(folder, VENDOR, batch_id, n_ho_so=n_ho_so, pages_per_ho_so=pages, page_image=page, dpi=300,
               with_van_ban=False)
    _rescan_one_page_at_low_dpi(folder)
    return truths, " ".join(fold(summaries[0]).lower().split()[1:6])


def _rescan_one_page_at_low_dpi(folder: Path) -> None:
    """Replace the last hồ sơ's last page by a 150-dpi scan, declared honestly in the manifest."""
    manifest = read_manifest(folder)
    entry = manifest["ho_so"][-1]["trang"][-1]
    image, _, _ = render_page(7, dpi=LOW_DPI)
    data = encode(image.convert("RGB"), "jpg", LOW_DPI)
    (folder / entry["ten_tep"]).write_bytes(data)
    entry.update(page_entry(entry["so_trang"], entry["ten_tep"], data, LOW_DPI, "color"))
    write_manifest(folder, manifest)


def wait_for_verdict(batch_id: str, timeout: float, vendor: str = VENDOR) -> dict:
    """The verdict intake wrote for a batch uploaded as complete; DemoError when none comes within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text, report = batch_status(vendor, batch_id)
        if report is not None:
            return {"text": text, "report": report}
        time.sleep(3)
    raise DemoError(f"no verdict for batch {batch_id} after {timeout:.0f}s: is sohoa_intake running? "
                    "Look at the Airflow UI or .state/logs/airflow/")


def run_demo(*, n_ho_so: int, pages: int, timeout: float, echo=print) -> dict:
    cfg = settings()
    migrate.upgrade()
    batch_id = f"demo-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:4]}"
    folder = cfg.state_dir / "demo" / batch_id
    echo(f"① Tạo lô mẫu {batch_id}: {n_ho_so} hồ sơ × {pages} trang (300 dpi, 1 trang 150 dpi) → {folder}")
    truths, query = build_batch(folder, batch_id, n_ho_so=n_ho_so, pages=pages, seed=uuid.uuid4().int % 10**8)

    echo(f"② Tải lên như nhà thầu {VENDOR} (khóa S3 riêng, SHA-256 từng tệp)")
    upload_batch(folder, vendor=VENDOR, s3=storage.client(identity=VENDOR), force=True, progress=True)

    airflow = AirflowClient(cfg)
    for dag_id in ("sohoa_intake", "sohoa_process"):
        airflow.wait_for_dag(dag_id)
    echo("③ sohoa_intake: chờ bộ lập lịch phát hiện lô và kiểm tra…")
    started = time.monotonic()
    verdict = wait_for_verdict(batch_id, timeout)
    echo(f"   biên bản tiếp nhận sau {time.monotonic() - started:.0f}s")

    echo("④ sohoa_process: nhận dạng ký tự, PDF/A, siêu dữ liệu…")
    run_id = airflow.trigger("sohoa_process", {"vendor": VENDOR, "batch_id": batch_id})
    state = airflow.wait("sohoa_process", run_id, timeout=timeout)
    if state != "success":
        raise DemoError(f"sohoa_process run {run_id} ended {state}; see {cfg.airflow_url}/dags/sohoa_process")
    echo("⑤ Lưu trữ viên duyệt siêu dữ liệu đề xuất, rồi lập gói nộp lưu (E-ARK/TT 05)…")
    handover = review_and_hand_over(batch_id)
    return {**summarise(batch_id, truths, verdict, run_id, query), "handover": handover,
            "milestones": phase_status()}


def review_and_hand_over(batch_id: str) -> dict:
    """Accept every proposed văn bản metadata of the batch (as an archivist would after reading it), then build
    the AIPs of its processed hồ sơ."""
    conn = connect()
    try:
        with transaction(conn) as cur:
            cur.execute("""SELECT h.ma_ho_so FROM ho_so h JOIN batch b ON b.id = h.batch_id
                           WHERE b.vendor = %s AND b.batch_id = %s AND h.pdf_key IS NOT NULL""", (VENDOR, batch_id))
            ho_so = [row[0] for row in cur.fetchall()]
            reviewed = 0
            for ma in ho_so:
                for item in list_items(cur, ma_ho_so=ma):
                    if item.reason == "metadata":
                        resolve(cur, item.id, reviewer="demo-archivist", resolution="accepted")
                        reviewed += 1
        summary = hand_over(conn, storage.client(), Selection(ma_ho_so=tuple(ho_so)), agent="sohoa demo")
    finally:
        conn.close()
    return {"reviewed": reviewed, **summary}


def phase_status() -> list[dict]:
    """Where each milestone of the plan stands today, with the plan's own figures seeded (idempotent)."""
    import datetime as dt

    from . import demo_seed
    from .milestones.daily import evaluate_plan, summary
    from .milestones.definitions import load_plan
    from .catalogue.db import open_catalogue

    today = dt.date.today()
    conn = open_catalogue()
    try:
        demo_seed.seed(conn, load_plan(), today)
        return [summary(status) for status in evaluate_plan(conn, load_plan(), today)]
    finally:
        conn.close()


def summarise(batch_id: str, truths: dict[str, str], verdict: dict, run_id: str, query: str) -> dict:
    """Figures read back from the catalogue and S3."""
    cfg = settings()
    conn = connect()
    try:
        with transaction(conn) as cur:
            cur.execute(
                """SELECT h.ma_ho_so, t.so_trang, t.ocr_status, t.ocr_text, t.ocr_confidence, h.pdf_keys, t.ocr_path
                   FROM trang t JOIN ho_so h ON h.id = t.ho_so_id JOIN batch b ON b.id = h.batch_id
                   WHERE b.batch_id = %s AND b.vendor = %s ORDER BY h.ma_ho_so, t.so_trang""", (batch_id, VENDOR))
            pages = cur.fetchall()
            ho_so = sorted({row[0] for row in pages})
            review = [i for ma in ho_so for i in list_items(cur, ma_ho_so=ma)]
            found = search(conn, query, levels=("cong_khai", "co_dieu_kien", "mat"), limit=3)
    finally:
        conn.close()
    counts = [error_counts(truths[f"{ma}/{n:04d}.jpg"], text or "") for ma, n, status, text, *_ in pages
              if status == "done"]
    paths = Counter(row[6] or "none" for row in pages if row[2] == "done")
    accuracy = rates(counts) if counts else None
    report = verdict["report"]
    pdfs = sorted({entry["key"] for *_, keys in pages for entry in (keys or {}).values()})
    return {
        "batch_id": batch_id, "vendor": VENDOR, "verdict": report["verdict"], "counts": report["counts"],
        "rejected": [{"name": i["name"], "reasons": i.get("reasons")} for i in report["items"]
                     if i["status"] == "rejected"],
        "verdict_text": verdict["text"], "pages_ocr": len(counts), "accuracy": accuracy, "paths": dict(paths),
        "pdfs": [f"s3://derivatives/{key}" for key in pdfs], "search": {
            "query": query, "corrections": found.corrections,
            "hits": [{"ma_ho_so": h.ma_ho_so, "trang": h.trang, "snippet": h.trich_doan} for h in found.hits]},
        "review_open": len(review), "airflow": {"url": cfg.airflow_url, "user": cfg.airflow_admin_user,
                                                 "password": cfg.airflow_admin_password,
                                                 "process_run": f"{cfg.airflow_url}/dags/sohoa_process/runs/{run_id}"},
    }


def print_summary(s: dict) -> None:
    c = s["counts"]
    print("\n══════════ sohoa — kết quả chạy thử ══════════")
    print(f"Lô {s['batch_id']} của {s['vendor']}: {s['verdict']} — {c['accepted']} tệp chấp nhận, "
          f"{c['rejected']} từ chối, {c['flagged']} cần lưu ý")
    for item in s["rejected"]:
        print(f"  ✗ {item['name']}: {'; '.join(r['message'] for r in item['reasons'])}")
    if s["accuracy"]:
        a = s["accuracy"]
        print(f"OCR {s['pages_ocr']} trang: CER {a['cer']:.2%}, WER {a['wer']:.2%}, "
              f"CER bỏ dấu {a['cer_no_diacritics']:.2%} (so với bản gốc)")
    if s.get("paths"):
        print("  cách đọc được giữ: " + ", ".join(f"{PATH_WORDS.get(name, name)} {n}"
                                                  for name, n in sorted(s["paths"].items())))
    print("PDF/A hai lớp:")
    for key in s["pdfs"]:
        print(f"  {key}")
    q = s["search"]
    fixes = f" (sửa lỗi gõ: {q['corrections']})" if q["corrections"] else ""
    print(f"Tìm \"{q['query']}\"{fixes}: {len(q['hits'])} kết quả")
    for hit in q["hits"]:
        print(f"  {hit['ma_ho_so']} trang {hit['trang']}: {hit['snippet'][:110]}")
    print(f"Hàng chờ duyệt: {s['review_open']} mục còn mở (sohoa review list)")
    h = s["handover"]
    print(f"Nộp lưu: {h['reviewed']} văn bản đã duyệt; {h['packages']} gói AIP hợp lệ (METS/EAD/PREMIS) trong "
          f"s3://exports/packages/…; danh mục hồ sơ nộp lưu: s3://{h['transfer_list']}"
          + (f"; từ chối: {', '.join(h['refused'])}" if h["refused"] else ""))
    for m in s["milestones"]:
        target = m["planned_ho_so"] if m["planned_ho_so"] is not None else "(chưa có chỉ tiêu)"
        print(f"Tiến độ {m['milestone']} (hạn {m['deadline']}): {m['done_ho_so']}/{target} hồ sơ, "
              f"dự báo {m['forecast']}; cảnh báo: {', '.join(m['conditions']) or 'không'}")
    af = s["airflow"]
    print(f"Airflow: {af['url']}  đăng nhập {af['user']} / {af['password']}  — trang \"Tiến độ số hóa\": "
          f"{af['url']}/sohoa/tien-do/")
    print(f"  lần chạy xử lý: {af['process_run']}")
    print("Dừng hệ thống: scripts/stack.sh down")


def _main(args: argparse.Namespace) -> int:
    summary = run_demo(n_ho_so=args.ho_so, pages=args.pages, timeout=args.timeout)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    print_summary(summary)
    return 0


def add_parser(sub) -> None:
    parser = sub.add_parser("demo", help="run the main job end to end on the local stack and print a summary",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ho-so", type=int, default=3, help="number of hồ sơ in the sample batch (default 3)")
    parser.add_argument("--pages", type=int, default=2, help="pages per hồ sơ (default 2)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for each DAG (default 600)")
    parser.add_argument("--json", metavar="FILE", help="also write the summary as JSON to FILE")
    parser.set_defaults(func=_main)
