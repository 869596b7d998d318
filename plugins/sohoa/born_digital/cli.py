"""``sohoa born-digital``: verify signed PDFs (for the văn thư and for scripts), submit an electronic hồ sơ.

``verify FILE.pdf… [--json] [--trust-dir DIR]`` prints every signature of each file, or that it has none; exit 1
when any signature's integrity is invalid or a file cannot be read, else 0. ``submit FOLDER --agency MA`` takes
a submission folder from the local disk through the same intake as the DAG ``sohoa_born_digital`` and prints
its report (``docs/born-digital-contract.md``); exit 1 when it is rejected.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from .signatures import FileVerification, TrustStore, digest_label, quiet_pyhanko, verify_files

INTEGRITY = {"valid": "toàn vẹn (valid)", "invalid": "KHÔNG toàn vẹn (invalid)",
             "unknown": "không kiểm tra được (unknown)"}
TRUST = {"trusted": "tin cậy (trusted)", "untrusted": "không tin cậy (untrusted)",
         "unknown": "chưa xác định tổ chức cấp (unknown)"}


def format_text(results: list[FileVerification]) -> str:
    lines = []
    for result in results:
        lines.append(f"{result.file}" + (f"  (SHA-256 {result.sha256})" if result.sha256 else ""))
        for problem in result.problems:
            lines.append(f"  ! {problem.message}")
        if result.readable and not result.signatures:
            lines.append("  không có chữ ký số")
        for name in result.empty_fields:
            lines.append(f"  ô chữ ký {name}: chưa được ký")
        for n, sig in enumerate(result.signatures, start=1):
            label = "Dấu thời gian" if sig.kind == "timestamp" else "Chữ ký"
            lines.append(f"  {label} {n} ({sig.field}): {sig.signer or '?'}")
            stamp = " (dấu thời gian)" if sig.timestamped else ""
            lines.append(f"    thời điểm ký: {sig.signed_at or 'không ghi'}{stamp}"
                         f" · thuật toán băm: {digest_label(sig.digest) or '?'}"
                         f" · phủ toàn bộ tệp: {'có' if sig.covers_whole_file else 'không'}")
            lines.append(f"    toàn vẹn: {INTEGRITY[sig.integrity]} · tin cậy: {TRUST[sig.trust]}")
            for problem in sig.problems + sig.flags:
                lines.append(f"    - {problem.message}")
    return "\n".join(lines)


def _verify(args: argparse.Namespace) -> int:
    quiet_pyhanko()
    store = TrustStore.from_dir(args.trust_dir) if args.trust_dir else TrustStore.from_settings()
    results = verify_files(args.files, store)
    if args.json:
        print(json.dumps([r.as_json() for r in results], ensure_ascii=False, indent=1))
    else:
        print(format_text(results))
    return 1 if any(r.broken for r in results) else 0


def _submit(args: argparse.Namespace) -> int:
    from .. import storage
    from ..catalogue.db import connect
    from ..intake.source import LocalBatch
    from .submission import report_text, take_in

    quiet_pyhanko()
    folder = Path(args.folder)
    conn = connect()
    try:
        report = take_in(conn, storage.client(), LocalBatch(folder), agency_ma=args.agency,
                         submission_id=args.submission_id or folder.name)
    finally:
        conn.close()
    print(json.dumps(report, ensure_ascii=False, indent=1) if args.json else report_text(report))
    return 0 if report["verdict"] == "accepted" else 1


def _form(args: argparse.Namespace) -> int:
    from .metadata import form_workbook

    Path(args.target).write_bytes(form_workbook())
    print(f"Đã tạo mẫu {args.target}: điền trang tính ho_so (cột gia_tri) và van_ban (mỗi dòng một văn bản), "
          "lưu thành ho_so.xlsx trong thư mục nộp lưu")
    return 0


SOURCE_LABELS = {"nop_luu": "nộp lưu điện tử", "hpnet": "nhập từ HP-Net", "khac": "khác"}
STATUS_LABELS = {"catalogued": "đã vào CSDL, chờ duyệt", "reviewed": "đã duyệt", "handed_over": "đã bàn giao"}


def _figures(args: argparse.Namespace) -> int:
    from ..catalogue.db import connect
    from . import figures

    conn = connect()
    try:
        counts = figures.born_digital_counts(conn, args.agency)
        late = figures.paper_after_cutoff(conn, args.agency)
        refused = figures.rejected_submissions(conn, args.agency)
        undated = figures.undated_scans(conn, args.agency)
    finally:
        conn.close()
    print(f"HỒ SƠ GỐC ĐIỆN TỬ của {args.agency} (không tính vào số hóa)")
    for c in counts:
        print(f"  {SOURCE_LABELS[c.source]:<16} {STATUS_LABELS[c.status]:<24} {c.ho_so:>6} hồ sơ "
              f"{c.van_ban:>7} văn bản {c.pages:>8} trang · không ký số {c.unsigned} · SHA-1 {c.weak_digest} · "
              f"tin cậy {c.trusted}")
    if not counts:
        print("  (chưa có)")
    print(f"Lần nộp lưu bị từ chối: {len(refused)}")
    for r in refused[:10]:
        print(f"  {r['submission_id']} ({r['ma_ho_so'] or '?'}): {'; '.join(r['reasons'][:2])}")
    print(f"Hồ sơ hình thành từ 01/7/2025 nhưng nộp bản scan giấy: {len(late)}")
    for finding in late:
        print(f"  {finding.message}")
    if undated:
        print(f"  ({undated} hồ sơ có bản scan chưa ghi thời gian hình thành nên chưa kiểm tra được)")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("born-digital", help="signed electronic văn bản: verify, submit, form, figures")
    commands = parser.add_subparsers(dest="born_digital_command", required=True, metavar="ACTION")
    verify = commands.add_parser("verify", help="verify every signature of signed PDFs")
    verify.add_argument("files", nargs="+", metavar="FILE.pdf")
    verify.add_argument("--json", action="store_true", help="a JSON list, one object per file")
    verify.add_argument("--trust-dir", type=Path, default=None,
                        help="folder of trusted root/intermediate certificates (default: SOHOA_SIGNATURE_TRUST_DIR)")
    verify.set_defaults(func=_verify)
    submit = commands.add_parser("submit", help="take an electronic hồ sơ from a local folder into the archive")
    submit.add_argument("folder")
    submit.add_argument("--agency", required=True, help="mã cơ quan nộp lưu")
    submit.add_argument("--submission-id", default=None, help="default: the folder's name")
    submit.add_argument("--json", action="store_true", help="the full report as JSON")
    submit.set_defaults(func=_submit)
    form = commands.add_parser("form", help="write the empty ho_so.xlsx form a văn thư fills")
    form.add_argument("target", nargs="?", default="ho_so.xlsx")
    form.set_defaults(func=_form)
    numbers = commands.add_parser("figures", help="born-digital hồ sơ of an agency, apart from digitised ones")
    numbers.add_argument("--agency", required=True, help="mã cơ quan")
    numbers.set_defaults(func=_figures)
