"""``sohoa hpnet import EXPORT_DIR --agency MA``: import an HP-Net export and print the reconciliation per year."""
from __future__ import annotations

import argparse
from pathlib import Path


def _import(args: argparse.Namespace) -> int:
    from .. import storage
    from ..catalogue.db import connect
    from .importer import import_export
    from .reconcile import COLUMNS

    conn = connect()
    try:
        report = import_export(conn, storage.client(), args.export_dir, agency_ma=args.agency, agent=args.agent)
    finally:
        conn.close()
    print(f"Nhập HP-Net #{report['import_id']} ({report['listing']}): {len(report['imported'])} hồ sơ đã nhập, "
          f"{len(report['already'])} đã có từ trước, {len(report['refused'])} bị từ chối.")
    print(" | ".join(COLUMNS))
    for r in report["reconciliation"]["rows"]:
        print(" | ".join("" if v is None else str(v) for v in (
            r["year"] if r["year"] is not None else "Không rõ năm", r["plan"], r["declared"], r["listed"],
            r["imported"], r["already"], r["refused"], r["catalogue"], "; ".join(r["notes"]))))
    for gap in report["reconciliation"]["gaps"]:
        print(f"- {gap}")
    for item in report["refused"]:
        print(f"TỪ CHỐI {item['ma_ho_so']} ({item['where']}): {'; '.join(item['reasons'])}")
    print(f"Báo cáo đối chiếu: {report['report_key']}")
    return 0


def add_parser(sub) -> None:
    parser = sub.add_parser("hpnet", help="import electronic hồ sơ exported from HP-Net")
    actions = parser.add_subparsers(dest="hpnet_command", required=True, metavar="ACTION")
    imp = actions.add_parser("import", help="import one export folder and reconcile the counts per year",
                             description="Import an HP-Net export (hpnet_export.xml, danh_sach.xlsx or danh_sach.csv "
                                         "plus its files; see docs/handover.md) as 'gốc điện tử' hồ sơ.")
    imp.add_argument("export_dir", type=Path)
    imp.add_argument("--agency", required=True, help="mã cơ quan the export belongs to (e.g. SNGV-HP)")
    imp.add_argument("--agent", default="sohoa.hpnet", help="recorded as the events' agent")
    imp.set_defaults(func=_import)
