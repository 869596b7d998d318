"""The manifest as tables, for vendors who work in Excel: an ``.xlsx`` workbook or a folder of CSV files.

Five tables: ``lo`` (the batch, cơ quan, phông and mục lục as field/value rows), ``hop``, ``ho_so`` (one row per
hồ sơ; ``tu_khoa`` joined with "; "), ``trang`` and ``van_ban`` (one row each, tied to their hồ sơ by
``ma_ho_so``). Columns and types come from the JSON Schema, so a manifest that passes the schema converts to
tables and back without loss.
"""
from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

from .manifest import schema

SHEETS = ("lo", "hop", "ho_so", "trang", "van_ban")
LO_OBJECTS = ("co_quan", "phong", "muc_luc")
LIST_SEPARATOR = "; "


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        node = schema()["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _columns(definition: dict, skip: tuple[str, ...] = ()) -> dict[str, dict]:
    return {name: _resolve(sub) for name, sub in _resolve(definition)["properties"].items() if name not in skip}


def _layout() -> dict[str, dict[str, dict]]:
    """Sheet → {column: property schema}."""
    top = schema()["properties"]
    return {
        "hop": _columns(top["hop"]["items"]),
        "ho_so": _columns(schema()["$defs"]["ho_so"], skip=("trang", "van_ban")),
        "trang": {"ma_ho_so": {"type": "string"}, **_columns(schema()["$defs"]["trang"])},
        "van_ban": {"ma_ho_so": {"type": "string"}, **_columns(schema()["$defs"]["van_ban"])},
    }


def _lo_fields() -> dict[str, dict]:
    top = schema()["properties"]
    fields = {name: _resolve(sub) for name, sub in top.items() if _resolve(sub).get("type") != "object"
              and name not in ("hop", "ho_so")}
    for obj in LO_OBJECTS:
        fields.update({f"{obj}.{name}": sub for name, sub in _columns(top[obj]).items()})
    return fields


def _cell(value):
    return LIST_SEPARATOR.join(value) if isinstance(value, list) else value


def _value(raw, prop: dict):
    """A cell (from Excel: typed; from CSV: text) as the schema's type; None for an empty cell."""
    if raw is None or raw == "":
        return None
    kind = prop.get("type", "string")
    if kind == "array":
        return [part.strip() for part in str(raw).split(";")]
    if kind == "integer":
        return int(float(raw)) if isinstance(raw, str) else int(raw)
    if kind == "number":
        number = float(raw)
        return int(number) if number.is_integer() and "." not in str(raw) else number
    if kind == "boolean":
        return raw if isinstance(raw, bool) else str(raw).strip().lower() in ("true", "1", "có", "x")
    return str(raw)


def to_tables(manifest: dict) -> dict[str, list[list]]:
    """The manifest as {sheet: [header, row, …]}."""
    layout = _layout()
    lo = [["truong", "gia_tri"]]
    for field in _lo_fields():
        obj, _, name = field.rpartition(".")
        value = manifest.get(obj, {}).get(name) if obj else manifest.get(field)
        if value is not None:
            lo.append([field, value])
    tables = {"lo": lo}
    rows = {"hop": manifest.get("hop", []), "ho_so": manifest["ho_so"],
            "trang": [{"ma_ho_so": h["ma_ho_so"], **t} for h in manifest["ho_so"] for t in h["trang"]],
            "van_ban": [{"ma_ho_so": h["ma_ho_so"], **v} for h in manifest["ho_so"] for v in h.get("van_ban", [])]}
    for sheet, columns in layout.items():
        tables[sheet] = [list(columns)] + [[_cell(row.get(c)) for c in columns] for row in rows[sheet]]
    return tables


def from_tables(tables: dict[str, list[list]]) -> dict:
    """The manifest described by {sheet: [header, row, …]} (the inverse of :func:`to_tables`)."""
    layout, lo_fields = _layout(), _lo_fields()
    manifest: dict = {}
    for field, raw in tables.get("lo", [])[1:]:
        value = _value(raw, lo_fields.get(field, {}))
        if value is None:
            continue
        obj, _, name = field.rpartition(".")
        (manifest.setdefault(obj, {}) if obj else manifest)[name] = value

    def records(sheet: str) -> list[dict]:
        rows = tables.get(sheet, [])
        if not rows:
            return []
        header, columns = rows[0], layout[sheet]
        found = []
        for row in rows[1:]:
            record = {name: _value(raw, columns.get(name, {})) for name, raw in zip(header, row)}
            record = {k: v for k, v in record.items() if v is not None}
            if record:
                found.append(record)
        return found

    if hop := records("hop"):
        manifest["hop"] = hop
    ho_so = records("ho_so")
    by_ma = {h["ma_ho_so"]: h for h in ho_so}
    for sheet in ("trang", "van_ban"):
        for record in records(sheet):
            by_ma[record.pop("ma_ho_so")].setdefault(sheet, []).append(record)
    manifest["ho_so"] = ho_so
    return manifest


def write_xlsx(manifest: dict, path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for sheet, rows in to_tables(manifest).items():
        worksheet = workbook.create_sheet(sheet)
        for row in rows:
            worksheet.append(row)
    workbook.save(path)


def read_xlsx(path: Path) -> dict:
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return from_tables({ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in workbook})
    finally:
        workbook.close()


def write_csv(manifest: dict, folder: Path) -> None:
    """One ``<sheet>.csv`` per table, UTF-8 with BOM (Excel opens it with the right accents)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for sheet, rows in to_tables(manifest).items():
        with open(folder / f"{sheet}.csv", "w", newline="", encoding="utf-8-sig") as fh:
            csv.writer(fh).writerows([["" if v is None else _csv_text(v) for v in row] for row in rows])


def _csv_text(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def read_csv(folder: Path) -> dict:
    tables = {}
    for sheet in SHEETS:
        path = Path(folder) / f"{sheet}.csv"
        if path.exists():
            with open(path, newline="", encoding="utf-8-sig") as fh:
                tables[sheet] = list(csv.reader(fh))
    return from_tables(tables)
