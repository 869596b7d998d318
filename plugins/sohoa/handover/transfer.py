"""A handover (nộp lưu): packages of a selection of hồ sơ into ``exports``, events, ``ho_so.handed_over_at``,
and the transfer list (danh mục hồ sơ nộp lưu) as .xlsx.

Three steps, so the DAG can map the middle one: :func:`start` selects the hồ sơ and opens a ``handover`` row,
:func:`hand_over_ho_so` builds, validates and stores the packages of one hồ sơ (or records why it was refused),
:func:`finish` writes the transfer list. :func:`hand_over` runs all three (the CLI).

Idempotent: a package already stored for an unchanged hồ sơ (same package id, same bytes in ``exports``) is
not rebuilt unless ``rebuild`` is asked; ``handed_over_at`` keeps its first value.
"""
from __future__ import annotations

import datetime as dt
import logging
import tempfile
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg2.extras
from psycopg2 import sql

from .. import storage
from ..catalogue.db import transaction
from ..catalogue.events import Event, record_event
from ..vntime import VN_TZ
from . import HandoverError, MissingMetadata
from .package import PACKAGE_TYPES, Package, build_package, package_id
from .records import LEVELS, Unit, describe, per_van_ban
from .transfer_list import write_transfer_list

log = logging.getLogger(__name__)
AGENT = "sohoa.handover"


@dataclass(frozen=True)
class Selection:
    """Which hồ sơ to hand over; every given criterion must hold. ``year`` is the year the hồ sơ ends
    (thời gian kết thúc); ``milestone`` is a milestone id of ``config/milestones.toml`` (the hồ sơ of its agency
    that belong to that phase: :meth:`sohoa.milestones.definitions.Milestone.membership`)."""
    phong: str | None = None
    year: int | None = None
    milestone: str | None = None
    ma_ho_so: tuple[str, ...] = ()
    only_not_handed_over: bool = False
    everything: bool = False  # no criterion: every hồ sơ with a PDF — only when asked for in so many words

    @property
    def narrowed(self) -> bool:
        """Whether some criterion narrows the selection (phông, year, milestone or mã hồ sơ)."""
        return bool(self.phong or self.year or self.milestone or self.ma_ho_so)

    def as_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()
                if v not in (None, (), False)}


def select_ho_so(cur, selection: Selection) -> list[str]:
    """Mã of the hồ sơ matching ``selection``, in order; only hồ sơ with at least one PDF are candidates."""
    where = [sql.SQL("h.pdf_keys <> '{}'::jsonb")]
    params: dict = {}
    if selection.phong:
        where.append(sql.SQL("p.ma_phong = %(phong)s"))
        params["phong"] = selection.phong
    if selection.year:
        where.append(sql.SQL("extract(year FROM h.thoi_gian_ket_thuc) = %(year)s"))
        params["year"] = selection.year
    if selection.ma_ho_so:
        where.append(sql.SQL("h.ma_ho_so = ANY(%(ma)s)"))
        params["ma"] = list(selection.ma_ho_so)
    if selection.only_not_handed_over:
        where.append(sql.SQL("h.handed_over_at IS NULL"))
    if selection.milestone:
        from ..milestones.definitions import load_plan

        found = [m for m in load_plan().milestones if m.id == selection.milestone]
        if not found:
            raise HandoverError(f"Không có mốc (milestone) {selection.milestone!r} trong config/milestones.toml")
        scope, scope_params = found[0].membership("h")
        where += [scope, sql.SQL("a.ma = %(agency)s")]
        params |= scope_params | {"agency": found[0].agency}
    query = sql.SQL("""SELECT h.ma_ho_so FROM ho_so h JOIN phong p ON p.id = h.phong_id
                       JOIN agency a ON a.id = h.agency_id WHERE {} ORDER BY h.ma_ho_so""").format(
        sql.SQL(" AND ").join(where))
    cur.execute(query, params)
    return [row[0] for row in cur.fetchall()]


def start(conn, selection: Selection, *, package_type: str = "AIP", level: str = "ho_so", agent: str = AGENT,
          name: str | None = None) -> tuple[int, list[str]]:
    """Open a handover for the hồ sơ of ``selection``: (handover id, their mã). Raises HandoverError when the
    selection names no criterion without ``everything``, matches nothing, or the options are wrong."""
    if package_type not in PACKAGE_TYPES or level not in LEVELS:
        raise HandoverError(f"package type must be one of {PACKAGE_TYPES} and level one of {LEVELS}")
    if not selection.narrowed and not selection.everything:
        raise HandoverError("Chưa chọn hồ sơ để bàn giao: nêu phông, năm, mốc hoặc mã hồ sơ; bàn giao toàn bộ phải "
                            "được yêu cầu rõ (sohoa handover build --all --yes, hoặc tham số all_ho_so của DAG)")
    name = name or f"nop-luu-{dt.datetime.now(VN_TZ):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
    with transaction(conn) as cur:
        chosen = select_ho_so(cur, selection)
        if not chosen:
            raise HandoverError(f"Không có hồ sơ nào (đã có PDF) khớp với lựa chọn {selection.as_dict()}")
        cur.execute("""INSERT INTO handover (name, selection, package_type, level, agent)
                       VALUES (%s, %s, %s, %s, %s) RETURNING id""",
                    (name, psycopg2.extras.Json(selection.as_dict()), package_type, level, agent))
        return cur.fetchone()[0], chosen


def hand_over_ho_so(conn, s3, handover_id: int, ma_ho_so: str, *, rebuild: bool = False,
                    work_dir: Path | None = None) -> dict:
    """Build, validate and store every package of one hồ sơ for a handover; record events and
    ``handed_over_at``. A refused hồ sơ (missing metadata, changed or missing PDF, invalid package) gets a
    failure event and its reasons in ``handover.refused``; nothing of it is stored. Returns a summary."""
    with transaction(conn) as cur:
        cur.execute("SELECT package_type, level, agent FROM handover WHERE id = %s", (handover_id,))
        package_type, level, agent = cur.fetchone()
    try:
        with transaction(conn) as cur:
            units = _units(cur, ma_ho_so, level)
        with tempfile.TemporaryDirectory(prefix="sohoa-handover-", dir=work_dir) as tmp:
            stored = [_store(conn, s3, handover_id, unit, package_type, Path(tmp), rebuild) for unit in units]
    except HandoverError as exc:
        reasons = exc.missing if isinstance(exc, MissingMetadata) else [str(exc)]
        log.warning("handover %s: hồ sơ %s refused: %s", handover_id, ma_ho_so, reasons)
        with transaction(conn) as cur:
            cur.execute("UPDATE handover SET refused = refused || jsonb_build_object(%s::text, %s::jsonb) "
                        "WHERE id = %s", (ma_ho_so, psycopg2.extras.Json(reasons), handover_id))
            record_event(cur, Event("information package creation", "ho_so", ma_ho_so, agent, "failure",
                                    {"handover_id": handover_id, "reasons": reasons}))
        return {"ma_ho_so": ma_ho_so, "refused": reasons}
    with transaction(conn) as cur:
        cur.execute("""UPDATE ho_so SET handed_over_at = coalesce(handed_over_at, now())
                       WHERE ma_ho_so = %s RETURNING handed_over_at""", (ma_ho_so,))
        record_event(cur, Event("transfer", "ho_so", ma_ho_so, agent, "success",
                                {"handover_id": handover_id, "packages": [p["package_id"] for p in stored]}))
    return {"ma_ho_so": ma_ho_so, "packages": stored}


def _units(cur, ma_ho_so: str, level: str) -> list[Unit]:
    """The units of one hồ sơ; the whole hồ sơ is checked either way, so a refusal names every missing field."""
    whole = describe(cur, ma_ho_so)
    return [whole] if level == "ho_so" else per_van_ban(whole)


def _store(conn, s3, handover_id: int, unit: Unit, package_type: str, tmp: Path, rebuild: bool) -> dict:
    pid = package_id(unit, package_type)
    key = f"packages/{package_type}/{unit.ho_so['ma_ho_so']}/{pid}.zip"
    with transaction(conn) as cur:
        cur.execute("SELECT sha256, size_bytes, file_count FROM handover_package WHERE package_id = %s", (pid,))
        existing = cur.fetchone()
    if existing and not rebuild and storage.stored_sha256(s3, storage.EXPORTS, key) == existing[0]:
        with transaction(conn) as cur:
            cur.execute("UPDATE handover_package SET handover_id = %s WHERE package_id = %s", (handover_id, pid))
        return {"package_id": pid, "key": key, "sha256": existing[0], "size": existing[1], "built": False}
    package: Package = build_package(s3, unit, package_type, tmp)
    with open(package.zip_path, "rb") as fh:
        storage.upload_chunks(s3, storage.EXPORTS, key, storage.file_chunks(fh), size=package.size,
                              sha256_hex=package.sha256)
    package.zip_path.unlink()
    van_ban_id = package.van_ban_ids[0] if unit.level == "van_ban" else None
    with transaction(conn) as cur:
        cur.execute(
            """INSERT INTO handover_package (package_id, handover_id, ho_so_id, van_ban_id, package_type, level,
                                             export_key, sha256, size_bytes, file_count)
               VALUES (%(pid)s, %(handover)s, %(ho_so)s, %(van_ban)s, %(type)s, %(level)s, %(key)s, %(sha)s,
                       %(size)s, %(files)s)
               ON CONFLICT (package_id) DO UPDATE SET handover_id = EXCLUDED.handover_id, sha256 = EXCLUDED.sha256,
                   size_bytes = EXCLUDED.size_bytes, file_count = EXCLUDED.file_count, built_at = now()""",
            {"pid": pid, "handover": handover_id, "ho_so": unit.ho_so["id"], "van_ban": van_ban_id,
             "type": package_type, "level": unit.level, "key": key, "sha": package.sha256, "size": package.size,
             "files": package.file_count})
        record_event(cur, Event("information package creation", "ho_so", unit.ho_so["ma_ho_so"], AGENT, "success",
                                {"package_id": pid, "package_type": package_type, "key": f"{storage.EXPORTS}/{key}",
                                 "sha256": package.sha256, "size": package.size, "handover_id": handover_id}))
    return {"package_id": pid, "key": key, "sha256": package.sha256, "size": package.size, "built": True}


def finish(conn, s3, handover_id: int) -> dict:
    """Write the transfer list of a handover to ``exports`` (``handover/<name>/danh_muc_ho_so_nop_luu.xlsx``);
    return the handover's summary: name, packages, refused hồ sơ with their reasons, transfer list key."""
    with transaction(conn) as cur:
        cur.execute("SELECT name, refused FROM handover WHERE id = %s", (handover_id,))
        name, refused = cur.fetchone()
        data, package_count = write_transfer_list(cur, handover_id)
    key = f"handover/{name}/danh_muc_ho_so_nop_luu.xlsx"
    stored = storage.put_bytes(s3, storage.EXPORTS, key, data,
                               content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    with transaction(conn) as cur:
        cur.execute("UPDATE handover SET transfer_list_key = %s, transfer_list_sha256 = %s WHERE id = %s",
                    (key, stored.sha256, handover_id))
    return {"handover_id": handover_id, "name": name, "packages": package_count, "refused": refused,
            "transfer_list": f"{storage.EXPORTS}/{key}"}


def hand_over(conn, s3, selection: Selection, *, package_type: str = "AIP", level: str = "ho_so",
              agent: str = AGENT, rebuild: bool = False, work_dir: Path | None = None) -> dict:
    """Start, hand over every selected hồ sơ, finish; the summary of :func:`finish`."""
    handover_id, chosen = start(conn, selection, package_type=package_type, level=level, agent=agent)
    for ma in chosen:
        hand_over_ho_so(conn, s3, handover_id, ma, rebuild=rebuild, work_dir=work_dir)
    return finish(conn, s3, handover_id)
