"""The manifest of a batch: parsing, JSON Schema validation with Vietnamese messages, and its fingerprint."""
from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema

MANIFEST = "manifest.json"
COMPLETE = "_COMPLETE"
REPORT_JSON = "_REPORT.json"
REPORT_TXT = "_REPORT.txt"
# Written by the vendor tool or by intake, never part of what is validated.
CONTROL_FILES = frozenset({COMPLETE, REPORT_JSON, REPORT_TXT})
# ``<vendor>/_pending/<batch_id>``: the vendor tool's index of batches waiting for intake, written after
# ``_COMPLETE`` and removed by intake after it; polls list it instead of every batch folder ever uploaded.
PENDING = "_pending"


# ``<vendor>/_done/<batch_id>/verdict.json``: written by intake when a batch has its verdict (or is held). A full
# sweep lists this index and the folder names and looks into the folders of neither only, so the batches already
# judged cost it no request of their own. One folder per batch, not one object: SeaweedFS lists 10,000 folder
# names in 0.3-0.4 s and 10,000 objects in 2.1-2.5 s (bench_intake_verdict's private server).
DONE = "_done"


def pending_key(vendor: str, batch_id: str) -> str:
    return f"{vendor}/{PENDING}/{batch_id}"


def done_key(vendor: str, batch_id: str) -> str:
    return f"{vendor}/{DONE}/{batch_id}/verdict.json"

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "manifest.schema.json"
# The contract's deepest value is ho_so[].trang[].sha256 (6 levels below the root); 32 leaves room for any
# later field while keeping the schema validator (recursive) and PostgreSQL's jsonb far from their limits.
MAX_DEPTH = 32

_TYPES = {"object": "đối tượng {…}", "array": "danh sách […]", "string": "chuỗi ký tự", "integer": "số nguyên",
          "number": "số", "boolean": "true/false"}


@functools.cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


def where(path) -> str:
    """A JSON location for people: ``ho_so[2].trang[5].dpi`` with positions counted from 1."""
    text = ""
    for part in path:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(gốc)"


def _describe(error: jsonschema.ValidationError) -> str:
    kind, value, instance = error.validator, error.validator_value, error.instance
    shown = json.dumps(instance, ensure_ascii=False)
    shown = shown if len(shown) <= 60 else shown[:57] + "…"
    if kind == "required":
        missing = [name for name in value if name not in instance]
        return f"thiếu trường bắt buộc {', '.join(missing)}"
    if kind == "additionalProperties":
        extra = sorted(set(instance) - set(error.schema.get("properties", {})))
        return f"trường không có trong mẫu: {', '.join(extra)} (kiểm tra chính tả)"
    if kind == "type":
        return f"sai kiểu dữ liệu: cần {_TYPES.get(value, value)}, nhận được {shown}"
    if kind == "enum":
        return f"giá trị {shown} không hợp lệ; chỉ chấp nhận: {', '.join(map(str, value))}"
    if kind == "const":
        return f"giá trị {shown} không hợp lệ; phải là {value!r}"
    if kind == "pattern":
        return f"giá trị {shown} sai định dạng (mẫu: {value})"
    if kind == "minimum":
        return f"giá trị {shown} phải từ {value} trở lên"
    if kind == "maximum":
        return f"giá trị {shown} phải không quá {value}"
    if kind == "minItems":
        return f"cần ít nhất {value} phần tử"
    if kind == "minLength":
        return "không được để trống"
    if kind == "maxLength":
        return f"quá dài (tối đa {value} ký tự)"
    return error.message


def parse(raw: bytes) -> tuple[dict | None, list[str]]:
    """Decode and schema-check a manifest. Returns (manifest or None, Vietnamese problems; empty when valid)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [f"manifest.json không phải văn bản UTF-8 (byte lỗi ở vị trí {exc.start})"]
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [f"manifest.json không phải JSON hợp lệ: dòng {exc.lineno}, cột {exc.colno}: {exc.msg}"]
    except RecursionError:
        return None, [f"manifest.json lồng nhau quá sâu (tối đa {MAX_DEPTH} cấp); hãy lập lại manifest theo mẫu"]
    unstorable = _unstorable(document)
    if unstorable:
        return None, unstorable
    errors = sorted(_validator().iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        return None, [f"manifest.json, {where(e.absolute_path)}: {_describe(e)}" for e in errors[:200]]
    return document, []


def _unstorable(document) -> list[str]:
    """What no archive could keep, found without recursion: nesting deeper than ``MAX_DEPTH``, and text with
    NUL or lone UTF-16 surrogates (``\\u0000``, ``\\ud800``: valid JSON, refused by PostgreSQL's jsonb)."""
    problems: list[str] = []
    stack: list[tuple[object, tuple]] = [(document, ())]
    while stack and len(problems) < 20:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return [f"manifest.json lồng nhau quá sâu (tối đa {MAX_DEPTH} cấp); hãy lập lại manifest theo mẫu"]
        if isinstance(value, dict):
            for key, child in value.items():
                if _bad_text(key):
                    problems.append(f"manifest.json, {where(path)}: tên trường chứa ký tự NUL hoặc ký tự không "
                                    "hợp lệ")
                stack.append((child, (*path, key)))
        elif isinstance(value, list):
            stack.extend((child, (*path, index)) for index, child in enumerate(value))
        elif isinstance(value, str) and _bad_text(value):
            problems.append(f"manifest.json, {where(path)}: giá trị chứa ký tự NUL (\\u0000) hoặc ký tự không hợp "
                            "lệ (nửa cặp UTF-16); hãy xóa ký tự đó")
    return sorted(problems)


def _bad_text(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def pages(manifest: dict) -> Iterator[tuple[dict, dict]]:
    """(hồ sơ, trang) for every page the manifest lists, in order."""
    for ho_so in manifest["ho_so"]:
        for trang in ho_so["trang"]:
            yield ho_so, trang


def fingerprint(manifest: dict) -> str:
    """SHA-256 over the sorted page digests: equal for two deliveries of the same page images."""
    digests = sorted(trang["sha256"] for _, trang in pages(manifest))
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()
