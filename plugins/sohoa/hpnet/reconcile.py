"""Reconciliation per year of an HP-Net import: the plan's figures, the export's own declaration, what the
listing holds, what was imported, refused or already there, and what the catalogue now holds — with every
disagreement written out. Totals that do not add up (the plan's 3,035 against its years' 1,511) are shown as
a gap, never spread over the years.
"""
from __future__ import annotations

import io
from collections import Counter

from openpyxl import Workbook
from openpyxl.styles import Font

PLAN_SQL = """SELECT year, ho_so, holding FROM plan_figure
              WHERE agency_ma = %s AND holding IN ('hp-net', 'hp-net-theo-nam')"""
CATALOGUE_SQL = """SELECT extract(year FROM h.thoi_gian_ket_thuc)::int, count(*) FROM ho_so h
                   JOIN agency a ON a.id = h.agency_id
                   WHERE a.ma = %s AND h.muc_do_tin_cay = 'goc_dien_tu' GROUP BY 1"""
COLUMNS = ("Năm", "Kế hoạch", "HP-Net khai báo", "Trong danh sách", "Nhập lần này", "Đã có từ trước",
           "Bị từ chối", "Trong CSDL (gốc điện tử)", "Ghi chú")


def _n(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def per_year(cur, agency_ma: str, declared: dict[int, int], declared_total: int | None,
             outcome: dict[str, Counter]) -> dict:
    """The reconciliation: ``rows`` (one per year, then unknown year), ``totals`` and ``gaps`` (sentences).
    ``outcome`` maps listed/imported/already/refused to a Counter of year (None: year unknown) -> hồ sơ."""
    cur.execute(PLAN_SQL, (agency_ma,))
    plan, plan_total = {}, None
    for year, count, holding in cur.fetchall():
        if holding == "hp-net":
            plan_total = count
        elif year is not None:
            plan[year] = count
    cur.execute(CATALOGUE_SQL, (agency_ma,))
    catalogue = dict(cur.fetchall())
    known = set(plan) | set(declared) | set(catalogue) | {y for c in outcome.values() for y in c if y is not None}
    years = list(range(min(known), max(known) + 1)) if known else []
    rows = []
    for year in years + ([None] if any(None in c for c in outcome.values()) else []):
        row = {"year": year, "plan": plan.get(year), "declared": declared.get(year),
               **{k: outcome[k].get(year, 0) for k in ("listed", "imported", "already", "refused")},
               "catalogue": catalogue.get(year, 0)}
        row["notes"] = _notes(row, bool(plan), bool(declared))
        rows.append(row)
    totals = {"plan": plan_total, "plan_years": sum(plan.values()), "declared": declared_total,
              "declared_years": sum(declared.values()),
              **{k: sum(outcome[k].values()) for k in ("listed", "imported", "already", "refused")},
              "catalogue": sum(catalogue.values())}
    gaps = []
    if plan_total is not None and plan_total != totals["plan_years"]:
        gaps.append(f"Kế hoạch ghi tổng {_n(plan_total)} hồ sơ nhưng các năm cộng lại chỉ {_n(totals['plan_years'])}: "
                    f"{_n(plan_total - totals['plan_years'])} hồ sơ không được phân bổ theo năm.")
    if declared_total is not None and declared_total != totals["declared_years"]:
        gaps.append(f"HP-Net khai tổng {_n(declared_total)} hồ sơ nhưng các năm cộng lại {_n(totals['declared_years'])}"
                    f" (chênh {_n(declared_total - totals['declared_years'])}).")
    if plan_total is not None and totals["catalogue"] != plan_total:
        gaps.append(f"Cơ sở dữ liệu có {_n(totals['catalogue'])} hồ sơ gốc điện tử của HP-Net so với "
                    f"{_n(plan_total)} theo kế hoạch (còn thiếu {_n(plan_total - totals['catalogue'])}).")
    gaps += [f"Năm {r['year']}: {'; '.join(r['notes'])}." for r in rows if r["notes"]]
    return {"rows": rows, "totals": totals, "gaps": gaps}


def _notes(row: dict, have_plan: bool, have_declared: bool) -> list[str]:
    notes = []
    year = row["year"]
    if year is None:
        return [f"{row['listed']} hồ sơ không xác định được năm"]
    if have_plan and row["plan"] is None:
        notes.append("kế hoạch không nêu số liệu năm này")
    if have_declared and row["declared"] is None:
        notes.append("HP-Net không khai số liệu năm này")
    if row["declared"] is not None and row["declared"] != row["listed"]:
        notes.append(f"HP-Net khai {_n(row['declared'])}, danh sách có {_n(row['listed'])}")
    if row["plan"] is not None and row["catalogue"] != row["plan"]:
        notes.append(f"CSDL có {_n(row['catalogue'])}, kế hoạch {_n(row['plan'])} "
                     f"(chênh {row['catalogue'] - row['plan']:+d})")
    if row["refused"]:
        notes.append(f"{row['refused']} hồ sơ bị từ chối")
    return notes


def workbook(report: dict) -> bytes:
    """The import's report as .xlsx: reconciliation per year, refused hồ sơ, file findings."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Đối chiếu theo năm"
    sheet.append([f"ĐỐI CHIẾU SỐ LƯỢNG HỒ SƠ ĐIỆN TỬ HP-NET — {report['agency']} — {report['export']}"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([])
    sheet.append(list(COLUMNS))
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    recon = report["reconciliation"]
    for r in recon["rows"]:
        sheet.append([r["year"] if r["year"] is not None else "Không rõ năm", r["plan"], r["declared"], r["listed"],
                      r["imported"], r["already"], r["refused"], r["catalogue"], "; ".join(r["notes"])])
    t = recon["totals"]
    sheet.append(["Tổng", t["plan"], t["declared"], t["listed"], t["imported"], t["already"], t["refused"],
                  t["catalogue"], f"các năm của kế hoạch cộng lại: {t['plan_years']}"])
    sheet.append([])
    for gap in recon["gaps"]:
        sheet.append([gap])
    sheet.column_dimensions["I"].width = 90
    refused = book.create_sheet("Bị từ chối")
    refused.append(["Mã hồ sơ", "Vị trí trong danh sách", "Lý do"])
    for item in report["refused"]:
        refused.append([item["ma_ho_so"], item["where"], "\n".join(item["reasons"])])
    files = book.create_sheet("Tệp")
    files.append(["Loại", "Tệp", "Ghi chú"])
    for path in report["unlisted_files"]:
        files.append(["Tệp không có trong danh sách", path, "không nhập"])
    for group in report["duplicate_contents"]:
        files.append(["Trùng nội dung", ", ".join(group), "các tệp có cùng SHA-256"])
    for line in report["listing_problems"]:
        files.append(["Dòng bị bỏ qua", "", line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
