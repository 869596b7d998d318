"""The page "Hàng chờ duyệt": the review queue in the browser, inside Airflow's UI.

Mounted by the Airflow plugin at ``/sohoa/duyet`` (see :mod:`sohoa.web`). The queue of
:func:`sohoa.processing.review.list_items` (worst-read pages first) with its filters — batch, phông, reason,
confidence of the proposal, reading quality — and one item opened beside the image of its page (a văn bản's
first page; the page viewer's rendition, :mod:`sohoa.web.viewer`): the proposed NĐ 30 metadata (số, ký hiệu,
ngày, tên loại, cơ quan, trích yếu, người ký) with each field's confidence, and where the page says it drawn
over the image (:mod:`sohoa.extraction.locate`, from the page's ALTO). An archivist (Airflow ``admin`` or ``op``)
accepts, corrects or rejects it through :func:`sohoa.processing.review.resolve`; corrected values are checked
first (a date is a real date, a số a number…) and refused with a Vietnamese message. Any other user sees the
queue of public hồ sơ only, read-only; mật and có điều kiện items never reach them (nor their images: the viewer
applies the same rights). POSTs must come from this origin (:func:`sohoa.web.forms.require_same_origin`).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..catalogue.db import open_catalogue, transaction
from ..glossary import MUC_DO_TIEP_CAN
from ..processing.errors import ReviewError
from ..processing.review import RESOLUTION_LABELS, Filters, ReviewItem, get_item, list_items, resolve
from .forms import environment, install_error_pages, is_archivist, levels_of, require_archivist, \
    require_same_origin, user_dependency, user_name

LIST_LIMIT = 100  # items listed at once
VIEWER = "/sohoa/trang"  # the page viewer (sohoa.web.viewer): its page and its image, with the same rights

# The văn bản fields shown and corrected, in the order of the form, with their Vietnamese labels.
FIELDS = {"so": "Số", "ky_hieu": "Ký hiệu", "ngay_ban_hanh": "Ngày ban hành", "ten_loai": "Tên loại",
          "co_quan_ban_hanh": "Cơ quan ban hành", "trich_yeu": "Trích yếu", "nguoi_ky": "Người ký"}
MAX_CHARS = {"trich_yeu": 1000}  # other fields: DEFAULT_MAX_CHARS
DEFAULT_MAX_CHARS = 200
REASONS = {"metadata": "Siêu dữ liệu đề xuất", "qc_flag": "Trang bị gắn cờ", "low_confidence": "Độ tin cậy thấp",
           "ocr_parked": "Nhận dạng dừng sau nhiều lần lỗi", "pdf_failed": "PDF/A không đạt"}
ACTIONS = {"accept": "accepted", "correct": "corrected", "reject": "rescan"}

VAN_BAN_SQL = """
SELECT v.stt, v.trang_dau, v.trang_cuoi, v.status, h.tieu_de, fp.alto_key,
       v.so, v.ky_hieu, v.ngay_ban_hanh, v.ten_loai, v.co_quan_ban_hanh, v.trich_yeu, v.nguoi_ky
  FROM van_ban v JOIN ho_so h ON h.id = v.ho_so_id
  LEFT JOIN trang fp ON fp.ho_so_id = v.ho_so_id AND fp.so_trang = v.trang_dau
 WHERE v.id = %s
"""

@dataclass(frozen=True)
class Opened:
    """The item opened beside its image."""

    item: ReviewItem
    van_ban: dict | None  # stt, pages, status, tieu_de and the current value of each of FIELDS
    confidence: dict[str, float]  # field → the extraction's confidence
    areas: dict  # field → [Area] on the page image


def check_corrections(form: dict[str, str], current: dict[str, object]) -> tuple[dict[str, object], list[str]]:
    """The corrections a form asks for — the fields of :data:`FIELDS` whose value differs from ``current`` — and
    the Vietnamese errors that refuse them. A date is ``dd/mm/yyyy`` or ``yyyy-mm-dd``; a số a whole number;
    no field is longer than its limit or holds control characters; an emptied field becomes empty (None)."""
    changes: dict[str, object] = {}
    errors: list[str] = []
    for name, label in FIELDS.items():
        if name not in form:
            continue
        value = re.sub(r"\s+", " ", form[name]).strip()
        limit = MAX_CHARS.get(name, DEFAULT_MAX_CHARS)
        if len(value) > limit:
            errors.append(f"{label}: dài {len(value)} ký tự, quá mức {limit} ký tự.")
            continue
        if re.search(r"[\x00-\x1f\x7f]", value):
            errors.append(f"{label}: có ký tự điều khiển không hợp lệ.")
            continue
        parsed: object = value or None
        if value and name == "ngay_ban_hanh":
            parsed = _date(value)
            if parsed is None:
                errors.append(f"Ngày ban hành «{value}» không phải một ngày có thật; viết dạng ngày/tháng/năm, "
                              "ví dụ 18/06/2015.")
                continue
            if parsed > dt.date.today() + dt.timedelta(days=1) or parsed.year < 1800:
                errors.append(f"Ngày ban hành {parsed:%d/%m/%Y} nằm ngoài khoảng hợp lý (từ năm 1800 đến hôm nay).")
                continue
        if value and name == "so" and not re.fullmatch(r"[0-9]{1,7}", value):
            errors.append(f"Số «{value}» phải là một số nguyên, ví dụ 154 (ký hiệu ghi ở ô Ký hiệu).")
            continue
        if value and name == "ky_hieu" and not re.fullmatch(r"[0-9A-Za-zÀ-ỹĐđ.]+(?:-[0-9A-Za-zÀ-ỹĐđ.]+)*", value):
            errors.append(f"Ký hiệu «{value}» chỉ gồm chữ, số và dấu gạch nối, ví dụ QĐ-UBND.")
            continue
        old = current.get(name)
        if (None if old is None else str(old)) != (None if parsed is None else str(parsed)):
            changes[name] = parsed.isoformat() if isinstance(parsed, dt.date) else parsed
    return changes, errors


def shown(value) -> str:
    """A field's value as the form shows it: a date as ``dd/mm/yyyy``, nothing as an empty box."""
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y") if isinstance(value, dt.date) else str(value)


def _date(text: str) -> dt.date | None:
    try:
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
            return dt.date(*map(int, text.split("-")))
        if re.fullmatch(r"\d{1,2}[/.]\d{1,2}[/.]\d{4}", text):
            day, month, year = map(int, re.split(r"[/.]", text))
            return dt.date(year, month, day)
    except ValueError:
        return None
    return None


def open_item(cur, s3, item: ReviewItem) -> Opened:
    """An item with its văn bản's current values, the extraction's confidences and the fields' areas."""
    from ..extraction.locate import alto_words, locate
    from ..storage import DERIVATIVES

    if item.object_type != "van_ban":
        return Opened(item, None, {}, {})
    cur.execute(VAN_BAN_SQL, (item.object_id,))
    stt, first, last, status, tieu_de, alto_key, *values = cur.fetchone()
    current = dict(zip(FIELDS, values))
    proposed = (item.detail or {}).get("proposed", {})
    confidence = {name: proposed[name]["confidence"] for name in FIELDS
                  if isinstance(proposed.get(name), dict) and proposed[name].get("confidence") is not None}
    areas = {}
    if alto_key:
        alto = s3.get_object(Bucket=DERIVATIVES, Key=alto_key)["Body"].read()
        areas = locate(alto_words(alto), current)
    van_ban = {"stt": stt, "trang_dau": first, "trang_cuoi": last, "status": status, "tieu_de": tieu_de,
               "values": current}
    return Opened(item, van_ban, confidence, areas)


def _float(value: str, label: str, errors: list[str]) -> float | None:
    if not value.strip():
        return None
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        errors.append(f"{label} phải là một số từ 0 đến 1, ví dụ 0,8 — không phải «{value}».")
        return None
    if not 0 <= number <= 1:
        errors.append(f"{label} phải từ 0 đến 1, không phải {value}.")
        return None
    return number


def create_app() -> FastAPI:
    """The review queue app; every route requires an Airflow user."""
    app = FastAPI(title="Hàng chờ duyệt", docs_url=None, redoc_url=None, openapi_url=None)
    get_user = user_dependency()
    install_error_pages(app)
    env = environment()
    env.globals.update(fields=FIELDS, reasons=REASONS, mdtc=MUC_DO_TIEP_CAN, max_chars=MAX_CHARS,
                       default_max_chars=DEFAULT_MAX_CHARS, viewer=VIEWER, shown=shown)

    def page(user, query: dict, *, chosen: int | None, form: dict | None = None, errors: list[str] = (),
             notice: str = "", status_code: int = 200) -> HTMLResponse:
        from ..storage import client

        problems = list(errors)
        filters = Filters(
            reason=query.get("reason") if query.get("reason") in REASONS else None,
            phong=query.get("phong", "").strip() or None, vendor=query.get("vendor", "").strip() or None,
            batch_id=query.get("batch_id", "").strip() or None,
            below_confidence=_float(query.get("below_confidence", ""), "Độ tin cậy", problems),
            below_quality=_float(query.get("below_quality", ""), "Chất lượng đọc", problems))
        levels = levels_of(user)
        conn = open_catalogue()
        try:
            with transaction(conn) as cur:
                items = list_items(cur, levels=levels, filters=filters, limit=LIST_LIMIT)
                opened = None
                # the item asked for, even resolved meanwhile or outside the filters; else the first listed
                wanted = get_item(cur, chosen, levels=levels) if chosen else (items[0] if items else None)
                if wanted:
                    opened = open_item(cur, client(), wanted)
        finally:
            conn.close()
        return HTMLResponse(env.get_template("review.html").render(
            items=items, opened=opened, query=query, archivist=is_archivist(user), form=form or {},
            errors=problems, notice=notice, limit=LIST_LIMIT, labels=RESOLUTION_LABELS), status_code=status_code)

    @app.get("/", response_class=HTMLResponse)
    def queue(request: Request, user=Depends(get_user), muc: int | None = None,
              thong_bao: str = Query("", max_length=500)) -> Response:
        query = {k: v[:200] for k, v in request.query_params.items() if k not in ("muc", "thong_bao")}
        return page(user, query, chosen=muc, notice=thong_bao)

    @app.post("/{item_id}")
    async def act(item_id: int, request: Request, user=Depends(get_user)) -> Response:
        """Accept, correct or reject one item (the form's ``action``); the catalogue work runs in a worker
        thread, off the API server's event loop."""
        from starlette.concurrency import run_in_threadpool

        require_same_origin(request)
        require_archivist(user)
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        query = {k: v[:200] for k, v in request.query_params.items()}
        return await run_in_threadpool(decide, user, item_id, form, query)

    def decide(user, item_id: int, form: dict[str, str], query: dict[str, str]) -> Response:
        from urllib.parse import urlencode

        action = form.get("action", "")
        if action not in ACTIONS:
            return page(user, query, chosen=item_id, form=form, status_code=422,
                        errors=["Chọn một việc: chấp nhận, lưu chỗ sửa hoặc từ chối."])
        conn = open_catalogue()
        try:
            with transaction(conn) as cur:
                corrections = {}
                if action == "correct":
                    item = get_item(cur, item_id)
                    if item is None or item.object_type != "van_ban":
                        raise ReviewError("Chỉ sửa được siêu dữ liệu của một văn bản.")
                    cur.execute(VAN_BAN_SQL, (item.object_id,))
                    current = dict(zip(FIELDS, cur.fetchone()[6:]))
                    corrections, errors = check_corrections(form, current)
                    if errors:
                        return page(user, query, chosen=item_id, form=form, errors=errors, status_code=422)
                    if not corrections:
                        return page(user, query, chosen=item_id, form=form, status_code=422, errors=[
                            "Không có trường nào thay đổi; nếu đề xuất đã đúng, bấm «Chấp nhận»."])
                done = resolve(cur, item_id, reviewer=user_name(user), resolution=ACTIONS[action],
                               corrections=corrections)
        except ReviewError as exc:
            return page(user, query, chosen=item_id, form=form, errors=[str(exc)], status_code=409)
        finally:
            conn.close()
        notice = f"Mục #{done.id} ({done.ma_ho_so}): {RESOLUTION_LABELS[done.status]}."
        return RedirectResponse(f"./?{urlencode({**query, 'thong_bao': notice})}", status_code=303)

    return app
