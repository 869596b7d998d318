"""``sohoa vendor validate|upload|status|convert``: the vendor's side of the batch contract."""
from __future__ import annotations

import json
from pathlib import Path

from ..intake import forms
from ..intake.report import report_text
from .upload import VendorError, batch_status, upload_batch, validate_folder


def add_parser(sub) -> None:
    parser = sub.add_parser("vendor", help="vendor tool: validate, upload and follow a batch (lô số hóa)")
    actions = parser.add_subparsers(dest="vendor_command", required=True, metavar="ACTION")

    validate = actions.add_parser("validate", help="check a batch folder with exactly the server's rules")
    validate.add_argument("folder", type=Path)
    validate.add_argument("--vendor", help="vendor name (default: from manifest.json)")
    validate.add_argument("--json", action="store_true", help="print every item as JSON")
    validate.set_defaults(func=_validate)

    upload = actions.add_parser("upload", help="upload a batch (resumable) and mark it complete")
    upload.add_argument("folder", type=Path)
    upload.add_argument("--vendor", required=True)
    upload.add_argument("--force", action="store_true", help="upload even if local validation fails")
    upload.set_defaults(func=_upload)

    status = actions.add_parser("status", help="show the verdict of an uploaded batch")
    status.add_argument("batch_id")
    status.add_argument("--vendor", required=True)
    status.add_argument("--json", action="store_true", help="print _REPORT.json instead of the summary")
    status.set_defaults(func=_status)

    convert = actions.add_parser("convert", help="convert a manifest: .json ↔ .xlsx ↔ folder of .csv")
    convert.add_argument("source", type=Path, help="manifest.json, a .xlsx workbook or a folder of CSV files")
    convert.add_argument("target", type=Path, help="manifest.json, a .xlsx workbook or a folder for CSV files")
    convert.set_defaults(func=_convert)


def _validate(args) -> int:
    verdict = validate_folder(args.folder, vendor=args.vendor, progress=not args.json)
    if args.json:
        print(json.dumps([item.__dict__ for item in verdict.items], ensure_ascii=False, indent=1))
    else:
        print(report_text(verdict.vendor, verdict.batch_id, verdict.verdict, verdict.items))
        print("(Kiểm tra tại máy: chưa so trùng với kho lưu trữ; máy chủ sẽ kiểm tra thêm.)")
    return 0 if verdict.verdict == "accepted" else 1


def _upload(args) -> int:
    result = upload_batch(args.folder, vendor=args.vendor, force=args.force)
    print(f"Lô {result.batch_id}: đã tải lên {result.uploaded} tệp ({result.bytes_sent:,} byte), bỏ qua "
          f"{result.skipped} tệp đã có; đã đánh dấu hoàn tất. Xem kết quả: "
          f"sohoa vendor status {result.batch_id} --vendor {result.vendor}")
    return 0


def _status(args) -> int:
    text, document = batch_status(args.vendor, args.batch_id)
    print(json.dumps(document, ensure_ascii=False, indent=1) if args.json and document else text, end="")
    return 0


def _read_any(path: Path) -> dict:
    if path.is_dir():
        return forms.read_csv(path)
    if path.suffix.lower() == ".xlsx":
        return forms.read_xlsx(path)
    if path.suffix.lower() == ".json":
        return json.loads(path.read_text(encoding="utf-8-sig"))
    raise VendorError(f"không nhận ra định dạng của {path}: dùng .json, .xlsx hoặc một thư mục CSV")


def _convert(args) -> int:
    manifest = _read_any(args.source)
    target: Path = args.target
    if target.suffix.lower() == ".xlsx":
        forms.write_xlsx(manifest, target)
    elif target.suffix.lower() == ".json":
        target.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        forms.write_csv(manifest, target)
    print(f"{args.source} → {target}")
    return 0
