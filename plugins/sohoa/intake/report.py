"""The verdict written back to the vendor: ``_REPORT.json`` (machine) and ``_REPORT.txt`` (Vietnamese summary).

Both are pure functions of the stored verdict, so writing them again after a retry produces the same bytes.
"""
from __future__ import annotations

import collections
import json

from ..catalogue.batches import Item
from ..glossary import VERDICT

HELD_LABEL = "Tạm giữ"
ADVICE = ("Cách xử lý: sửa các lỗi nêu trên rồi nộp lại các hồ sơ bị từ chối trong một lô mới (batch_id mới). "
          "Không nộp lại hồ sơ đã được chấp nhận.")


def report_json(vendor: str, batch_id: str, verdict: str, items: list[Item]) -> bytes:
    document = {
        "vendor": vendor, "batch_id": batch_id, "verdict": verdict, "verdict_label": VERDICT[verdict],
        "counts": {"items": len(items), "accepted": sum(i.status == "accepted" for i in items),
                   "rejected": sum(i.status == "rejected" for i in items),
                   "flagged": sum(bool(i.flags) for i in items)},
        "items": [{"name": i.name, "kind": i.kind, "ma_ho_so": i.ma_ho_so, "so_trang": i.so_trang,
                   "status": i.status, "sha256": i.sha256, "reasons": i.reasons, "flags": i.flags}
                  for i in items],
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def report_text(vendor: str, batch_id: str, verdict: str, items: list[Item]) -> str:
    accepted = sum(i.status == "accepted" for i in items)
    lines = [
        "KẾT QUẢ TIẾP NHẬN LÔ SỐ HÓA",
        f"Nhà thầu: {vendor}    Lô: {batch_id}",
        f"Kết luận: {VERDICT[verdict].upper()}",
        f"Tổng số tệp: {len(items)} — chấp nhận {accepted}, từ chối {len(items) - accepted}, "
        f"cần lưu ý {sum(bool(i.flags) for i in items)}",
        "",
    ]
    by_ho_so: dict[str, list[Item]] = collections.defaultdict(list)
    for item in items:
        if item.ma_ho_so:
            by_ho_so[item.ma_ho_so].append(item)
    for ma_ho_so, pages in by_ho_so.items():
        bad = [p for p in pages if p.status == "rejected"]
        if not bad:
            lines.append(f"Hồ sơ {ma_ho_so}: CHẤP NHẬN ({len(pages)} trang)")
            continue
        faulty = sum(any(r["code"] != "ho_so_incomplete" for r in p.reasons) for p in bad)
        followed = len(bad) - faulty
        lines.append(f"Hồ sơ {ma_ho_so}: TỪ CHỐI ({faulty}/{len(pages)} trang có lỗi"
                     + (f"; {followed} trang đạt yêu cầu nhưng bị từ chối theo cả hồ sơ)" if followed else ")"))
        lines += [f"  - {reason['message']}" for page in bad for reason in page.reasons]
    others = [i for i in items if not i.ma_ho_so and i.status == "rejected"]
    if others:
        lines += ["", "Tệp khác bị từ chối:"]
        lines += [f"  - {i.name}: {reason['message']}" for i in others for reason in i.reasons]
    flagged = [i for i in items if i.flags]
    if flagged:
        lines += ["", "Lưu ý (được chấp nhận nhưng cần kiểm tra):"]
        lines += [f"  - {flag['message']}" for i in flagged for flag in i.flags]
    if accepted < len(items):
        lines += ["", ADVICE]
    return "\n".join(lines) + "\n"


def held_report_json(vendor: str, batch_id: str, failures: int) -> bytes:
    """The report of a batch intake gave up retrying (:func:`sohoa.intake.process.run_intake`): no verdict on
    its files yet, and why."""
    document = {"vendor": vendor, "batch_id": batch_id, "verdict": "held", "verdict_label": HELD_LABEL,
                "failures": failures, "message": _held_message(failures)}
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def held_report_text(vendor: str, batch_id: str, failures: int) -> str:
    return "\n".join(["KẾT QUẢ TIẾP NHẬN LÔ SỐ HÓA", f"Nhà thầu: {vendor}    Lô: {batch_id}",
                      f"Kết luận: {HELD_LABEL.upper()}", "", _held_message(failures)]) + "\n"


def _held_message(failures: int) -> str:
    return (f"Máy chủ chưa kiểm tra xong lô này sau {failures} lần thử vì lỗi hệ thống (không phải lỗi của lô). "
            "Cán bộ vận hành đã được báo; lô sẽ được kiểm tra lại khi lỗi được khắc phục. Nhà thầu không cần tải "
            "lại lô; nếu đã sửa lô, hãy nộp trong một lô mới (batch_id mới).")
