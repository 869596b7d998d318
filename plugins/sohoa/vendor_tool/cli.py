"""``sohoa vendor validate|upload|status|convert``: the vendor's side of the batch contract."""
from __future__ import annotations

import contextlib
import json
from pathlib import Path

from ..intake import forms
from ..intake.report import report_text
from ..cliparse import identifier
from .upload import VendorError, batch_status, known_vendor, upload_batch, validate_folder


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "vendor", help="công cụ của nhà thầu: kiểm tra, tải lên và theo dõi lô số hóa",
        description="Công cụ của nhà thầu số hóa: kiểm tra một lô tại máy với đúng các quy tắc của máy chủ, tải lô "
                    "lên kho (tải tiếp được khi bị ngắt), xem kết quả tiếp nhận, chuyển đổi manifest.",
        epilog="Ví dụ:\n"
               "  sohoa vendor validate D:/lo-2026-11-01\n"
               "  sohoa vendor upload D:/lo-2026-11-01 --vendor vendor-demo\n"
               "  sohoa vendor status lo-2026-11-01 --vendor vendor-demo\n"
               "  sohoa vendor convert manifest.xlsx manifest.json")
    actions = parser.add_subparsers(dest="vendor_command", required=True, metavar="VIỆC", title="các việc")

    validate = actions.add_parser(
        "validate", help="kiểm tra một thư mục lô tại máy, theo đúng quy tắc của máy chủ",
        description="Kiểm tra thư mục lô (manifest.json và các tệp ảnh trang) với đúng các quy tắc máy chủ áp "
                    "dụng khi tiếp nhận, rồi in kết quả từng hồ sơ. Mã thoát 0: lô đạt; 1: có tệp bị từ chối.",
        epilog="Ví dụ:\n  sohoa vendor validate D:/lo-2026-11-01\n"
               "  sohoa vendor validate ./lo-01 --json > ket-qua.json")
    validate.add_argument("folder", type=Path, metavar="THƯ_MỤC", help="thư mục lô (chứa manifest.json)")
    validate.add_argument("--vendor", type=identifier, metavar="NHÀ_THẦU",
                          help="tên nhà thầu (mặc định: lấy từ manifest.json)")
    validate.add_argument("--json", action="store_true", help="in kết quả từng tệp dạng JSON")
    validate.set_defaults(func=_validate)

    upload = actions.add_parser(
        "upload", help="tải một lô lên kho (tải tiếp được) và đánh dấu hoàn tất",
        description="Kiểm tra lô tại máy, rồi tải từng tệp lên kho bằng khóa của nhà thầu, kèm mã SHA-256. Chạy "
                    "lại lệnh sau khi bị ngắt thì chỉ tải phần còn thiếu. Tệp _COMPLETE được ghi sau cùng; khi "
                    "đó máy chủ bắt đầu kiểm tra tiếp nhận.",
        epilog="Ví dụ:\n  sohoa vendor upload D:/lo-2026-11-01 --vendor vendor-demo")
    upload.add_argument("folder", type=Path, metavar="THƯ_MỤC", help="thư mục lô (chứa manifest.json)")
    upload.add_argument("--vendor", required=True, type=identifier, metavar="NHÀ_THẦU",
                        help="tên nhà thầu đã được cấp khóa tải lên")
    upload.add_argument("--force", action="store_true",
                        help="vẫn tải lên dù kiểm tra tại máy có lỗi (máy chủ sẽ từ chối các hồ sơ lỗi)")
    upload.set_defaults(func=_upload)

    status = actions.add_parser(
        "status", help="xem kết quả tiếp nhận của một lô đã tải lên",
        description="Đọc kết quả tiếp nhận (_REPORT.txt) của một lô đã tải lên. Lô không có trên kho thì báo lỗi "
                    "và thoát với mã khác 0.",
        epilog="Ví dụ:\n  sohoa vendor status lo-2026-11-01 --vendor vendor-demo\n"
               "  sohoa vendor status lo-2026-11-01 --vendor vendor-demo --json")
    status.add_argument("batch_id", type=identifier, metavar="MÃ_LÔ", help="mã lô (batch_id trong manifest.json)")
    status.add_argument("--vendor", required=True, type=identifier, metavar="NHÀ_THẦU", help="tên nhà thầu")
    status.add_argument("--json", action="store_true", help="in _REPORT.json thay cho bản tóm tắt")
    status.set_defaults(func=_status)

    convert = actions.add_parser(
        "convert", help="chuyển manifest giữa .json, .xlsx và thư mục .csv",
        description="Chuyển manifest giữa ba dạng: manifest.json, sổ Excel .xlsx, hoặc thư mục các tệp .csv.",
        epilog="Ví dụ:\n  sohoa vendor convert manifest.xlsx D:/lo-01/manifest.json\n"
               "  sohoa vendor convert D:/lo-01/manifest.json manifest.xlsx")
    convert.add_argument("source", type=Path, metavar="NGUỒN",
                         help="manifest.json, sổ .xlsx hoặc thư mục các tệp CSV")
    convert.add_argument("target", type=Path, metavar="ĐÍCH",
                         help="manifest.json, sổ .xlsx hoặc thư mục để ghi các tệp CSV")
    convert.set_defaults(func=_convert)


@contextlib.contextmanager
def _store(action: str):
    """Turn the store being unreachable or refusing the vendor's keys into a Vietnamese :class:`VendorError`."""
    import botocore.exceptions

    try:
        yield
    except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError) as exc:
        raise VendorError(f"Không kết nối được kho lưu trữ khi {action} ({exc}); kiểm tra mạng rồi chạy lại lệnh — "
                          "phần đã tải lên không phải tải lại") from exc
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            raise VendorError(f"Kho lưu trữ từ chối khóa của nhà thầu khi {action} ({code}); kiểm tra --vendor và "
                              "khóa đã được cấp") from exc
        raise


def _batch_folder(folder: Path) -> Path:
    """``folder`` when it is a directory; otherwise a :class:`VendorError` saying what was found."""
    if not folder.exists():
        raise VendorError(f"Không tìm thấy thư mục lô {folder}; kiểm tra lại đường dẫn")
    if not folder.is_dir():
        raise VendorError(f"{folder} là một tệp, không phải thư mục lô; hãy chỉ đường dẫn tới thư mục chứa "
                          "manifest.json")
    return folder


def _validate(args) -> int:
    verdict = validate_folder(_batch_folder(args.folder), vendor=args.vendor, progress=not args.json)
    if args.json:
        print(json.dumps([item.__dict__ for item in verdict.items], ensure_ascii=False, indent=1))
    else:
        print(report_text(verdict.vendor, verdict.batch_id, verdict.verdict, verdict.items))
        print("(Kiểm tra tại máy: chưa so trùng với kho lưu trữ; máy chủ sẽ kiểm tra thêm.)")
    return 0 if verdict.verdict == "accepted" else 1


def _upload(args) -> int:
    folder, vendor = _batch_folder(args.folder), known_vendor(args.vendor)
    with _store("tải lô lên"):
        result = upload_batch(folder, vendor=vendor, force=args.force)
    print(f"Lô {result.batch_id}: đã tải lên {result.uploaded} tệp ({result.bytes_sent:,} byte), bỏ qua "
          f"{result.skipped} tệp đã có; đã đánh dấu hoàn tất. Xem kết quả: "
          f"sohoa vendor status {result.batch_id} --vendor {result.vendor}")
    return 0


def _status(args) -> int:
    vendor = known_vendor(args.vendor)
    with _store("đọc kết quả tiếp nhận"):
        text, document = batch_status(vendor, args.batch_id)
    print(json.dumps(document, ensure_ascii=False, indent=1) if args.json and document else text, end="")
    return 0


def _read_any(path: Path) -> dict:
    if not path.exists():
        raise VendorError(f"Không tìm thấy {path}; kiểm tra lại đường dẫn")
    if path.is_dir():
        return forms.read_csv(path)
    if path.suffix.lower() == ".xlsx":
        return forms.read_xlsx(path)
    if path.suffix.lower() == ".json":
        try:
            return json.loads(path.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:  # RecursionError: nested too deep
            raise VendorError(f"{path} không phải JSON UTF-8 hợp lệ hoặc lồng nhau quá sâu "
                              f"({type(exc).__name__}); hãy lập lại manifest theo mẫu") from exc
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
