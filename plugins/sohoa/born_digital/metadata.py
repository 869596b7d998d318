"""The metadata file of an electronic hồ sơ: ``ho_so.json`` (from a document management system) or
``ho_so.xlsx`` (the form a văn thư fills), both checked against one JSON Schema
(``schemas/nop_luu.schema.json``) with Vietnamese messages.

The workbook has two sheets: ``ho_so`` — two columns ``truong`` | ``gia_tri`` (``co_quan.ma``, ``phong.ma_phong``,
``ho_so.tieu_de``, …) — and ``van_ban`` — a header row of field names, one row per văn bản; ``tu_khoa`` and
``dinh_kem`` (attachment file names) are separated by ``;``. A date cell may be an Excel date or ``YYYY-MM-DD``
/ ``dd/mm/yyyy`` text. An empty cell means the field is not given.

:func:`compare_with_text` sets the submitted số, ký hiệu and ngày against what the văn bản itself reads (NĐ 30
extractor on the PDF's text) and reports every disagreement.
"""
from __future__ import annotations

import datetime as dt
import functools
import io
import json
import zipfile
from pathlib import Path

import jsonschema
import openpyxl

from ..extraction.nd30 import VanBanMetadata
from ..intake.checks import Problem
from ..intake.manifest import _describe as describe_schema_error
from ..intake.manifest import where
from ..vntext import fold

JSON_NAME, XLSX_NAME = "ho_so.json", "ho_so.xlsx"
METADATA_NAMES = (JSON_NAME, XLSX_NAME)
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "nop_luu.schema.json"
MAX_METADATA_BYTES = 16 * 1024 * 1024
INTEGER_FIELDS = {"stt", "so_trang"}
LIST_FIELDS = {"tu_khoa"}
# The submitted fields a văn bản's own text can confirm, and the NĐ 30 field that reads it.
COMPARED = {"so": "so", "ky_hieu": "ky_hieu", "ngay_ban_hanh": "ngay_ban_hanh"}


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def validate(document: object, source: str) -> list[Problem]:
    errors = sorted(_validator().iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    return [Problem("metadata_invalid", f"{source}, {where(e.absolute_path)}: {describe_schema_error(e)}")
            for e in errors[:200]]


def parse(name: str, raw: bytes) -> tuple[dict | None, list[Problem]]:
    """Decode and check a metadata file (by its name: JSON or workbook). (document or None, problems)."""
    if len(raw) > MAX_METADATA_BYTES:
        return None, [Problem("metadata_invalid", f"{name} quá lớn ({len(raw)} byte, tối đa {MAX_METADATA_BYTES})")]
    document, problems = (_read_json(raw) if name == JSON_NAME else _read_workbook(raw))
    if problems:
        return None, problems
    problems = validate(document, name)
    return (None, problems) if problems else (document, [])


def _read_json(raw: bytes) -> tuple[dict | None, list[Problem]]:
    try:
        return json.loads(raw.decode("utf-8-sig")), []
    except UnicodeDecodeError as exc:
        return None, [Problem("metadata_invalid",
                              f"{JSON_NAME} không phải văn bản UTF-8 (byte lỗi ở vị trí {exc.start})")]
    except json.JSONDecodeError as exc:
        return None, [Problem("metadata_invalid",
                              f"{JSON_NAME} không phải JSON hợp lệ: dòng {exc.lineno}, cột {exc.colno}: {exc.msg}")]
    except RecursionError:
        return None, [Problem("metadata_invalid", f"{JSON_NAME} lồng nhau quá sâu")]


def _cell(field: str, value):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if field in INTEGER_FIELDS:
        return int(value) if isinstance(value, int) or str(value).strip().isdigit() else str(value).strip()
    value = str(value).strip()
    if field in LIST_FIELDS:
        return [part.strip() for part in value.split(";") if part.strip()]
    if field.startswith("ngay") or field.startswith("thoi_gian"):
        try:
            return dt.datetime.strptime(value, "%d/%m/%Y").date().isoformat()
        except ValueError:
            return value
    return value


def _read_workbook(raw: bytes) -> tuple[dict | None, list[Problem]]:
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        return None, [Problem("metadata_invalid", f"{XLSX_NAME} không phải sổ tính Excel đọc được: {exc}")]
    missing = [sheet for sheet in ("ho_so", "van_ban") if sheet not in book.sheetnames]
    if missing:
        return None, [Problem("metadata_invalid", f"{XLSX_NAME} thiếu trang tính {', '.join(missing)}")]
    document: dict = {"schema_version": "1.0"}
    for row in book["ho_so"].iter_rows(min_row=2, values_only=True):
        if not row or row[0] is None:
            continue
        path = str(row[0]).strip().split(".")
        value = _cell(path[-1], row[1] if len(row) > 1 else None)
        if value is None:
            continue
        if len(path) == 1:
            document[path[0]] = value
        else:
            document.setdefault(path[0], {})[path[1]] = value
    rows = book["van_ban"].iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    document["van_ban"] = []
    for row in rows:
        entry = {h: _cell(h, v) for h, v in zip(header, row) if h}
        entry = {k: v for k, v in entry.items() if v is not None}
        if not entry:
            continue
        if "dinh_kem" in entry:
            entry["dinh_kem"] = [{"tep": name.strip()} for name in str(entry["dinh_kem"]).split(";") if name.strip()]
        document["van_ban"].append(entry)
    book.close()
    return document, []


def _normal(field: str, value) -> str:
    text = str(value).strip()
    return text if field == "ngay_ban_hanh" else fold(text).upper().replace(" ", "")


def compare_with_text(submitted: dict, read: VanBanMetadata) -> list[Problem]:
    """Every field the văn bản's own text reads differently from the submitted metadata (fields the text does
    not show, or the metadata does not give, are not compared)."""
    problems = []
    labels = {"so": "số", "ky_hieu": "ký hiệu", "ngay_ban_hanh": "ngày ban hành"}
    for field, extracted in COMPARED.items():
        given, found = submitted.get(field), getattr(read, extracted).value
        if given is None or found is None:
            continue
        if _normal(field, given) != _normal(field, found):
            shown = found.strftime("%d/%m/%Y") if isinstance(found, dt.date) else found
            given_shown = (dt.date.fromisoformat(given).strftime("%d/%m/%Y") if field == "ngay_ban_hanh"
                           else given)
            problems.append(Problem("metadata_mismatch",
                                    f"{labels[field]} khai là {given_shown} nhưng trong văn bản là {shown}"))
    return problems


HO_SO_ROWS = (("co_quan.ma", "mã cơ quan nộp lưu (bắt buộc)"), ("co_quan.ten", "tên cơ quan (bắt buộc)"),
              ("phong.ma_phong", "mã phông (bắt buộc)"), ("phong.ten_phong", "tên phông (bắt buộc)"),
              ("ho_so.ma_ho_so", "mã hồ sơ (bắt buộc): chữ, số, . _ -"), ("ho_so.tieu_de", "tiêu đề (bắt buộc)"),
              ("ho_so.thoi_han_bao_quan", "vinh_vien, 70, 50, 30, 20, 10 hoặc khac (bắt buộc)"),
              ("ho_so.muc_do_tiep_can", "cong_khai, co_dieu_kien hoặc mat (bắt buộc)"),
              ("ho_so.ngon_ngu", "ví dụ Tiếng Việt"), ("ho_so.thoi_gian_bat_dau", "dd/mm/yyyy"),
              ("ho_so.thoi_gian_ket_thuc", "dd/mm/yyyy"), ("ho_so.tu_khoa", "các từ khóa cách nhau bằng ;"),
              ("ho_so.ky_hieu_thong_tin", ""), ("ho_so.ghi_chu", ""))
VAN_BAN_COLUMNS = ("stt", "tep", "sha256", "ten_loai", "so", "ky_hieu", "ngay_ban_hanh", "co_quan_ban_hanh",
                   "trich_yeu", "nguoi_ky", "so_trang", "ngon_ngu", "ma_dinh_danh", "but_tich", "ghi_chu", "dinh_kem")


def form_workbook() -> bytes:
    """The empty ``ho_so.xlsx`` a văn thư fills: sheet ``ho_so`` (field | value | what to write) and sheet
    ``van_ban`` (one row per văn bản under the header of field names)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "ho_so"
    sheet.append(["truong", "gia_tri", "huong_dan"])
    for name, hint in HO_SO_ROWS:
        sheet.append([name, None, hint])
    for column, width in (("A", 28), ("B", 48), ("C", 56)):
        sheet.column_dimensions[column].width = width
    van_ban = book.create_sheet("van_ban")
    van_ban.append(list(VAN_BAN_COLUMNS))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
