"""Read the listing of an HP-Net export: ``hpnet_export.xml``, ``danh_sach.xlsx`` or ``danh_sach.csv``.

Every format yields the same :class:`Listing`: one :class:`Entry` per hồ sơ with its văn bản (raw strings; typed
and checked by the importer, so one bad hồ sơ does not sink the others) and the counts per year the export
declares about itself. A listing that cannot be read as a whole raises :class:`ExportFormatError` and nothing is
imported: malformed XML, a spreadsheet with merged cells in its data, a CSV that is not UTF-8, text that is
mis-encoded (TCVN3/VNI or UTF-8 read as Windows-1252 — "QuyÕt ®Þnh", "Quyáº¿t"), no or several listings.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..vntext import fold
from . import ExportFormatError

LISTINGS = ("hpnet_export.xml", "danh_sach.xlsx", "danh_sach.csv")
HO_SO_FIELDS = ("ma_ho_so", "ma_phong", "ten_phong", "nam", "tieu_de", "thoi_han_bao_quan", "muc_do_tiep_can",
                "ngon_ngu", "thoi_gian_bat_dau", "thoi_gian_ket_thuc", "tu_khoa")
VAN_BAN_FIELDS = ("stt", "ten_loai", "so", "ky_hieu", "ngay_ban_hanh", "co_quan_ban_hanh", "trich_yeu",
                  "nguoi_ky", "so_trang", "tep", "sha256")
# Spreadsheet headers (compared without diacritics, case and spacing) -> field.
HEADERS = {
    "ma ho so": "ma_ho_so", "ma phong": "ma_phong", "ten phong": "ten_phong", "nam": "nam",
    "tieu de ho so": "tieu_de", "tieu de": "tieu_de", "thoi han bao quan": "thoi_han_bao_quan",
    "che do su dung": "muc_do_tiep_can", "muc do tiep can": "muc_do_tiep_can", "ngon ngu": "ngon_ngu",
    "ngay bat dau": "thoi_gian_bat_dau", "thoi gian bat dau": "thoi_gian_bat_dau",
    "ngay ket thuc": "thoi_gian_ket_thuc", "thoi gian ket thuc": "thoi_gian_ket_thuc", "tu khoa": "tu_khoa",
    "stt van ban": "stt", "stt": "stt", "ten loai": "ten_loai", "ten loai van ban": "ten_loai", "so": "so",
    "ky hieu": "ky_hieu", "ngay van ban": "ngay_ban_hanh", "ngay ban hanh": "ngay_ban_hanh",
    "co quan ban hanh": "co_quan_ban_hanh", "trich yeu": "trich_yeu", "trich yeu noi dung": "trich_yeu",
    "nguoi ky": "nguoi_ky", "so trang": "so_trang", "tep": "tep", "tep dinh kem": "tep", "sha-256": "sha256",
    "sha256": "sha256",
}
# Characters Vietnamese text never contains but mis-decoded Vietnamese always does (Latin-1 symbols but the
# no-break space, letters of other languages, C1 controls, the replacement character).
_MOJIBAKE = re.compile("[\u0080-\u009f\u00a1-\u00bf\u00c4-\u00c7\u00cb\u00ce\u00cf\u00d0\u00d1"
                       "\u00d6-\u00d8\u00db\u00dc\u00de\u00df\u00e4-\u00e7\u00eb\u00ee\u00ef\u00f0\u00f1"
                       "\u00f6-\u00f8\u00fb\u00fc\u00fe\u00ff\ufffd]")


@dataclass
class Entry:
    """One hồ sơ as the listing gives it; ``where`` locates it for the archivist (rows, element)."""
    ho_so: dict[str, str | None]
    van_ban: list[dict[str, str | None]]
    where: str
    problems: list[str] = field(default_factory=list)


@dataclass
class Listing:
    name: str
    entries: list[Entry]
    declared: dict[int, int]          # year -> hồ sơ the export says it holds
    declared_total: int | None
    problems: list[str] = field(default_factory=list)   # rows that belong to no hồ sơ


def read_listing(export_dir: Path) -> Listing:
    """Find and read the one listing of ``export_dir``."""
    found = [export_dir / name for name in LISTINGS if (export_dir / name).is_file()]
    if len(found) != 1:
        raise ExportFormatError(export_dir.name, [f"cần đúng một tệp danh sách ({', '.join(LISTINGS)}), "
                                                 f"tìm thấy {len(found)}: {[p.name for p in found]}"])
    path = found[0]
    reader = {".xml": _read_xml, ".xlsx": _read_xlsx, ".csv": _read_csv}[path.suffix]
    return reader(path)


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _check_encoding(name: str, cells: Iterable[tuple[str, str | None]]) -> None:
    bad = [f"{where}: {value!r}" for where, value in cells if value and _MOJIBAKE.search(value)]
    if bad:
        raise ExportFormatError(name, ["văn bản bị sai bảng mã (TCVN3/VNI hoặc UTF-8 đọc nhầm) — hãy xuất lại "
                                       "dưới dạng Unicode UTF-8:"] + bad[:20])


# ---- XML --------------------------------------------------------------------------------------------------

def _read_xml(path: Path) -> Listing:
    parser = etree.XMLParser(no_network=True, resolve_entities=False, huge_tree=True)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise ExportFormatError(path.name, [f"XML hỏng: {e.message} (dòng {e.line}, cột {e.column})"
                                            for e in exc.error_log] or [str(exc)]) from exc
    if etree.QName(root).localname != "HPNetExport":
        raise ExportFormatError(path.name, [f"phần tử gốc là <{etree.QName(root).localname}>, cần <HPNetExport>"])
    cells = [(f"dòng {e.sourceline}", e.text.strip() if e.text else None) for e in root.iter()
             if isinstance(e.tag, str)]
    _check_encoding(path.name, cells)
    declared, total = {}, None
    summary = root.find("TongHop")
    if summary is not None:
        for year in summary.iterfind("Nam"):
            declared[int(year.get("value"))] = int(year.text)
        total = int(summary.findtext("Tong")) if summary.findtext("Tong") else None
    entries = []
    for element in root.iterfind("HoSo"):
        ho_so = {name: _text(element.findtext(name)) for name in HO_SO_FIELDS}
        van_ban = [{name: _text(vb.findtext(name)) for name in VAN_BAN_FIELDS} for vb in element.iterfind("VanBan")]
        entries.append(Entry(ho_so, van_ban, f"<HoSo> dòng {element.sourceline}"))
    return Listing(path.name, entries, declared, total)


# ---- spreadsheets (one row per văn bản, hồ sơ columns repeated) -------------------------------------------

def _read_xlsx(path: Path) -> Listing:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise ExportFormatError(path.name, [f"không mở được tệp Excel: {exc}"]) from exc
    sheet = book["DanhSach"] if "DanhSach" in book.sheetnames else book.worksheets[0]
    rows = [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    header_at = _header_row(path.name, rows)
    merged = [str(r) for r in sorted(sheet.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col))
              if r.max_row > header_at + 1]
    if merged:
        raise ExportFormatError(path.name, [f"trang {sheet.title} có ô gộp {', '.join(merged[:20])} — hãy bỏ gộp ô "
                                            "và điền đủ giá trị cho từng dòng văn bản"])
    declared, total = {}, None
    if "TongHop" in book.sheetnames:
        declared, total = _declared([[_text(v) for v in row] for row in book["TongHop"].iter_rows(values_only=True)])
    return _from_rows(path.name, rows, header_at, declared, total,
                      lambda r, c: f"ô {openpyxl.utils.get_column_letter(c + 1)}{r + 1}")


def _read_csv(path: Path) -> Listing:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExportFormatError(path.name, [f"tệp không phải UTF-8 (byte 0x{data[exc.start]:02x} ở vị trí "
                                            f"{exc.start}) — có thể đang ở bảng mã Windows-1258 hoặc TCVN3; hãy "
                                            "lưu lại dưới dạng CSV UTF-8"]) from exc
    rows = [[_text(v) for v in row] for row in csv.reader(io.StringIO(text))]
    declared, total = {}, None
    summary = path.with_name("tong_hop.csv")
    if summary.is_file():
        declared, total = _declared([[_text(v) for v in row] for row in
                                     csv.reader(io.StringIO(summary.read_bytes().decode("utf-8-sig")))])
    return _from_rows(path.name, rows, _header_row(path.name, rows), declared, total,
                      lambda r, c: f"dòng {r + 1}, cột {c + 1}")


def _header_row(name: str, rows: list[list[str | None]]) -> int:
    for number, row in enumerate(rows[:20]):
        if any(cell and fold(cell).lower() == "ma ho so" for cell in row):
            return number
    raise ExportFormatError(name, ["không tìm thấy dòng tiêu đề có cột 'Mã hồ sơ' trong 20 dòng đầu"])


def _declared(rows: list[list[str | None]]) -> tuple[dict[int, int], int | None]:
    """(year -> count, total) from rows ``Năm | Số hồ sơ``; a row whose first cell reads "Tổng" is the total."""
    declared, total = {}, None
    for row in rows:
        if len(row) < 2 or row[0] is None or row[1] is None or not row[1].isdigit():
            continue
        if row[0].isdigit():
            declared[int(row[0])] = int(row[1])
        elif fold(row[0]).lower().startswith("tong"):
            total = int(row[1])
    return declared, total


def _from_rows(name: str, rows: list[list[str | None]], header_at: int, declared: dict[int, int],
               total: int | None, locate) -> Listing:
    columns = {i: HEADERS.get(re.sub(r"\s+", " ", fold(cell).lower())) for i, cell in enumerate(rows[header_at])
               if cell}
    unknown = [rows[header_at][i] for i, f in columns.items() if f is None]
    required = {"ma_ho_so", "stt", "tep"}
    missing = required - set(columns.values())
    if missing or unknown:
        raise ExportFormatError(name, [f"thiếu cột {sorted(missing)}" if missing else "",
                                       f"cột không biết {unknown}" if unknown else ""])
    _check_encoding(name, ((locate(r, c), row[c]) for r, row in enumerate(rows) for c in range(len(row))))
    by_code: dict[str, Entry] = {}
    orphans = []
    for r in range(header_at + 1, len(rows)):
        values = {f: rows[r][c] if c < len(rows[r]) else None for c, f in columns.items() if f}
        if not any(values.values()):
            continue
        code = values.get("ma_ho_so")
        if not code:
            orphans.append(f"dòng {r + 1}: thiếu mã hồ sơ — dòng bị bỏ qua")
            continue
        ho_so = {f: values.get(f) for f in HO_SO_FIELDS}
        entry = by_code.get(code)
        if entry is None:
            entry = by_code[code] = Entry(ho_so, [], f"dòng {r + 1}")
        else:
            entry.where = f"{entry.where.split('–')[0]}–{r + 1}"
            conflicts = [f for f in HO_SO_FIELDS if ho_so[f] != entry.ho_so[f]]
            if conflicts:
                entry.problems.append(f"dòng {r + 1}: thông tin hồ sơ khác các dòng trước ({', '.join(conflicts)})")
        entry.van_ban.append({f: values.get(f) for f in VAN_BAN_FIELDS})
    return Listing(name, list(by_code.values()), declared, total, orphans)
