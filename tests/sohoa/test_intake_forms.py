"""The manifest's Excel/CSV forms convert to JSON and back without loss; the schema is the contract."""
from __future__ import annotations

import json

import jsonschema

from sohoa.cli import main
from sohoa.intake import forms
from sohoa.intake.manifest import fingerprint, parse, schema
from sohoa.intake.samples import make_batch


def rich_manifest(tmp_path) -> dict:
    manifest = make_batch(tmp_path / "b", "vendor-demo", "forms-1", n_ho_so=3, pages_per_ho_so=2)
    manifest["ghi_chu"] = "Lô thử: có dấu tiếng Việt, dấu phẩy, \"ngoặc kép\" và xuống dòng\nthứ hai"
    manifest["phong"].update(tong_so_tai_lieu=9494, lich_su="Thành lập năm 1955")
    manifest["ho_so"][0].update(met_gia=0.125, gia_tri_cao=True, da_chinh_ly=False, tong_so_tai_lieu=2)
    manifest["ho_so"][1].update(met_gia=2, tu_khoa=["ngoại giao"])
    del manifest["ho_so"][2]["van_ban"]
    assert parse(json.dumps(manifest).encode()) == (manifest, [])
    return manifest


def test_the_schema_is_itself_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(schema())


def test_excel_round_trip_is_lossless(tmp_path):
    manifest = rich_manifest(tmp_path)
    forms.write_xlsx(manifest, tmp_path / "manifest.xlsx")
    assert forms.read_xlsx(tmp_path / "manifest.xlsx") == manifest


def test_csv_round_trip_is_lossless(tmp_path):
    manifest = rich_manifest(tmp_path)
    forms.write_csv(manifest, tmp_path / "csv")
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == [f"{s}.csv" for s in sorted(forms.SHEETS)]
    assert forms.read_csv(tmp_path / "csv") == manifest


def test_the_vendor_cli_converts_json_to_excel_and_back(tmp_path, capsys):
    manifest = rich_manifest(tmp_path)
    (tmp_path / "in.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    assert main(["vendor", "convert", str(tmp_path / "in.json"), str(tmp_path / "m.xlsx")]) == 0
    assert main(["vendor", "convert", str(tmp_path / "m.xlsx"), str(tmp_path / "out.json")]) == 0
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8")) == manifest


def test_excel_typed_by_hand_is_read_by_the_schema_types(tmp_path):
    manifest = rich_manifest(tmp_path)
    tables = forms.to_tables(manifest)
    header = tables["trang"][0]
    tables["trang"][1][header.index("dpi")] = "300"  # a number typed as text
    tables["trang"][1][header.index("so_trang")] = 1.0  # Excel's float
    assert forms.from_tables(tables) == manifest


def test_the_fingerprint_ignores_order_and_metadata(tmp_path):
    manifest = rich_manifest(tmp_path)
    shuffled = json.loads(json.dumps(manifest))
    shuffled["ho_so"].reverse()
    shuffled["ho_so"][0]["tieu_de"] = "Tiêu đề khác"
    assert fingerprint(shuffled) == fingerprint(manifest)
