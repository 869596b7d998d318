"""sohoa_handover — hand a selection of hồ sơ over (nộp lưu) as E-ARK CSIP / TT 05/2025 packages.

Triggered by hand with params: ``phong`` (mã phông), ``year`` (year the hồ sơ ends), ``milestone`` (a milestone
id of config/milestones.toml), ``ma_ho_so`` (a list), ``package_type`` (SIP/AIP), ``level`` (ho_so/van_ban),
``rebuild``; with none of the first four, ``all_ho_so`` must be set to hand over everything. Every package is validated (official METS/EAD/PREMIS XSDs, CSIP rules, checksums) before it is
stored in the ``exports`` bucket; each hồ sơ handed over gets a ``transfer`` event and ``handed_over_at``. The
transfer list (danh mục hồ sơ nộp lưu, .xlsx) lists what was handed over and what was refused — a run with
refused hồ sơ ends failed, naming them and why, after storing everything that was valid.

Then (``catalogue_snapshot``, default on) a Parquet snapshot of the catalogue's metadata for the city's shared
data goes to ``exports/catalogue/snapshot=…/`` (all agencies, or ``snapshot_agency``), with or without refusals.
"""
from __future__ import annotations

from airflow.sdk import Param, dag, task

from sohoa.dagkit import dag_defaults

CHUNK = 20  # hồ sơ per mapped task
SELECTION, PACKAGE, SNAPSHOT = "Chọn hồ sơ nộp lưu", "Gói nộp lưu", "Bản chụp mục lục dùng chung"
# The trigger form (Airflow UI, "Trigger"): Vietnamese labels (title), help (description), grouped in sections.
HANDOVER_PARAMS = {
    "phong": Param(None, type=["null", "string"], title="Mã phông", section=SELECTION,
                   description="Chỉ nộp lưu hồ sơ của phông này, ví dụ G01. Để trống: không lọc theo phông."),
    "year": Param(None, type=["null", "integer"], title="Năm kết thúc", section=SELECTION,
                  description="Chỉ hồ sơ kết thúc trong năm này, ví dụ 2015. Để trống: mọi năm."),
    "milestone": Param(None, type=["null", "string"], title="Mốc kế hoạch", section=SELECTION,
                       description="Mã mốc trong config/milestones.toml: nộp lưu các hồ sơ thuộc mốc đó."),
    "ma_ho_so": Param([], type="array", title="Danh sách mã hồ sơ", section=SELECTION,
                      description="Mỗi dòng một mã hồ sơ, ví dụ G01.01.2015.001."),
    "all_ho_so": Param(False, type="boolean", title="Nộp lưu toàn bộ", section=SELECTION,
                       description="Nộp lưu mọi hồ sơ đã có PDF/A. Bắt buộc khi không chọn phông, năm, mốc hay "
                                   "danh sách mã hồ sơ: không chọn gì thì không nộp lưu gì."),
    "package_type": Param("AIP", enum=["SIP", "AIP"], title="Loại gói", section=PACKAGE,
                          values_display={"SIP": "SIP — gói thông tin nộp lưu",
                                          "AIP": "AIP — gói thông tin lưu trữ"},
                          description="Gói E-ARK CSIP theo Thông tư 05/2025/TT-BNV."),
    "level": Param("ho_so", enum=["ho_so", "van_ban"], title="Mức mô tả", section=PACKAGE,
                   values_display={"ho_so": "Theo hồ sơ", "van_ban": "Theo từng văn bản"},
                   description="Mô tả và đóng gói theo hồ sơ, hay đến từng văn bản trong hồ sơ."),
    "rebuild": Param(False, type="boolean", title="Đóng gói lại", section=PACKAGE,
                     description="Tạo lại gói cho hồ sơ đã có gói từ lần nộp lưu trước."),
    "catalogue_snapshot": Param(True, type="boolean", title="Ghi bản chụp mục lục", section=SNAPSHOT,
                                description="Ghi thêm bản chụp siêu dữ liệu mục lục (Parquet) cho kho dữ liệu "
                                            "dùng chung của thành phố."),
    "snapshot_agency": Param(None, type=["null", "string"], title="Mã cơ quan của bản chụp", section=SNAPSHOT,
                             description="Chỉ chụp mục lục của cơ quan này. Để trống: mọi cơ quan."),
}


@dag(
    dag_id="sohoa_handover",
    schedule=None,
    **dag_defaults(),
    tags=["sohoa", "handover", "preservation"],
    doc_md=__doc__,
    params=HANDOVER_PARAMS,
)
def sohoa_handover():
    @task
    def start(params=None) -> list[dict]:
        """Select the hồ sơ and open the handover; one job (handover id, chunk of hồ sơ) per mapped build. A
        selection that matches nothing (or wrong options) fails at once: retrying cannot change it."""
        from airflow.sdk.exceptions import AirflowFailException

        from sohoa.dagkit import catalogue
        from sohoa.handover import HandoverError
        from sohoa.handover.transfer import Selection, start as open_handover

        selection = Selection(phong=params["phong"], year=params["year"], milestone=params["milestone"],
                              ma_ho_so=tuple(params["ma_ho_so"] or ()), everything=params["all_ho_so"])
        with catalogue() as conn:
            try:
                handover_id, chosen = open_handover(conn, selection, package_type=params["package_type"],
                                                    level=params["level"], agent="sohoa_handover")
            except HandoverError as exc:
                raise AirflowFailException(str(exc)) from exc
        return [{"handover_id": handover_id, "ho_so": chosen[i:i + CHUNK]} for i in range(0, len(chosen), CHUNK)]

    @task
    def build(job: dict, params=None) -> list[dict]:
        """Build, validate and store the packages of a chunk of hồ sơ (refusals are recorded, not raised)."""
        from sohoa.dagkit import catalogue, s3
        from sohoa.handover.transfer import hand_over_ho_so

        with catalogue() as conn, s3() as client:
            return [hand_over_ho_so(conn, client, job["handover_id"], ma, rebuild=params["rebuild"])
                    for ma in job["ho_so"]]

    @task(trigger_rule="all_done")
    def finish(jobs: list[dict], results: list[list[dict]]) -> dict:
        """Write the transfer list; fail (without retrying) when any hồ sơ was refused, any build task failed, or
        ``start`` failed — this task is a leaf, so the run's state is the handover's."""
        from airflow.sdk.exceptions import AirflowFailException

        from sohoa.dagkit import catalogue, s3
        from sohoa.handover.transfer import finish as close_handover

        if not jobs:
            raise AirflowFailException("no handover was opened: the start task failed (see its log)")
        with catalogue() as conn, s3() as client:
            summary = close_handover(conn, client, jobs[0]["handover_id"])
        problems = []
        if summary["refused"]:
            lines = "; ".join(f"{ma}: {', '.join(reasons)}" for ma, reasons in summary["refused"].items())
            problems.append(f"{len(summary['refused'])} hồ sơ refused ({lines})")
        failed_builds = len(jobs) - len([r for r in results or [] if r is not None])
        if failed_builds:
            problems.append(f"{failed_builds} of {len(jobs)} build tasks failed (their hồ sơ are missing from the list)")
        if problems:
            raise AirflowFailException(f"handover {summary['name']}: {'; '.join(problems)}; "
                                       f"transfer list {summary['transfer_list']}")
        return summary

    @task(trigger_rule="all_done")
    def snapshot(params=None) -> dict:
        """Parquet snapshot of phông, hồ sơ, văn bản and trang metadata, partitioned by agency and year."""
        from airflow.sdk.exceptions import AirflowSkipException

        from sohoa.dagkit import catalogue, s3
        from sohoa.export.parquet import export_snapshot

        if not params["catalogue_snapshot"]:
            raise AirflowSkipException("catalogue_snapshot is off for this run")
        with catalogue() as conn, s3() as client:
            manifest = export_snapshot(conn, client, agency=params["snapshot_agency"])
        return {k: manifest[k] for k in ("schema_version", "snapshot", "prefix", "rows")}

    jobs = start()
    built = build.expand(job=jobs)
    finish(jobs, built)
    built >> snapshot()  # beside finish, not after it: a failed finish must still fail the run


sohoa_handover()
