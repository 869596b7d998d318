"""sohoa_process — accepted pages become text, ALTO, two-layer PDF/A, search entries and proposed metadata.

Runs whenever intake stores pages in masters (asset ``s3://masters/``), or by hand; ``vendor`` and
``batch_id`` in the run's conf limit it to one batch, otherwise every page still waiting is taken. OCR is
mapped over chunks of pages (GPU engines in the ``gpu`` queue and pool, CPU engines in the ``ocr`` pool).
Every task is idempotent: a retry redoes only what is missing; a page that keeps failing is parked for
review, never dropped. A run still unfinished 6 hours after it was queued is late: a DeadlineAlert records it
and alerts the platform team.
"""
from __future__ import annotations

from airflow.sdk import Asset, dag, get_current_context, task

from sohoa.dagkit import MASTERS_URI, dag_defaults, deadline, ocr_routing


def _batch_pk(cur) -> int | None:
    """The catalogue id of the batch named in the run's conf (None: all batches). An unknown batch fails the
    task at once: retrying cannot make it appear."""
    from airflow.sdk.exceptions import AirflowFailException

    from sohoa.processing.plan import batch_pk_of

    conf = get_current_context()["dag_run"].conf or {}
    if not conf.get("batch_id"):
        return None
    pk = batch_pk_of(cur, conf.get("vendor", ""), conf["batch_id"])
    if pk is None:
        raise AirflowFailException(f"batch {conf.get('vendor')}/{conf['batch_id']} is not in the catalogue")
    return pk


@dag(
    dag_id="sohoa_process",
    schedule=[Asset(MASTERS_URI)],
    **dag_defaults(),
    deadline=deadline(),
    tags=["sohoa", "processing", "ocr"],
    doc_md=__doc__,
)
def sohoa_process():
    @task
    def plan_chunks() -> list[dict]:
        """Chunks of page ids waiting for OCR, each with the label its mapped task shows ("hồ sơ tr. 1–8")."""
        from sohoa.catalogue.db import transaction
        from sohoa.config import settings
        from sohoa.dagkit import catalogue
        from sohoa.processing.plan import chunk_labels, pending_chunks

        with catalogue() as conn, transaction(conn) as cur:
            chunks = pending_chunks(cur, batch_pk=_batch_pk(cur), chunk_size=settings().ocr_chunk_pages)
            return [{"chunk": chunk, "label": label} for chunk, label in zip(chunks, chunk_labels(cur, chunks))]

    @task(map_index_template="{{ task.op_kwargs['label'] }}", **ocr_routing())
    def ocr(chunk: list[int], label: str) -> dict:
        """OCR one chunk; store text, ALTO and words; index for search; flag for review. ``label`` names the
        chunk's hồ sơ and pages in Airflow's UI instead of ocr[0], ocr[1], …"""
        from sohoa.config import settings
        from sohoa.dagkit import catalogue, s3
        from sohoa.processing.ocr import ocr_chunk

        cfg = settings()
        with catalogue() as conn, s3() as client:
            return ocr_chunk(conn, client, chunk, engine=cfg.ocr_engine, jobs=cfg.ocr_jobs).as_dict()

    @task(trigger_rule="all_done")
    def assemble() -> dict:
        """One PDF/A per văn bản of every hồ sơ that is complete, even when some chunks failed; proposed
        metadata for review. A hồ sơ whose PDF fails is parked for review; the others go on."""
        from sohoa.catalogue.db import transaction
        from sohoa.dagkit import catalogue, s3
        from sohoa.processing.assemble import assemble_ready, ready_ho_so

        with catalogue() as conn, s3() as client:
            with transaction(conn) as cur:
                ready = ready_ho_so(cur, batch_pk=_batch_pk(cur))
            assembled, parked = assemble_ready(conn, client, ready)
        return {"assembled": assembled, "parked": parked}

    @task
    def summarise(reports: list[dict], assembly: dict) -> dict:
        """The run's figures; this task (and so the run) fails when any OCR chunk failed for good."""
        totals = {k: sum(r.get(k, 0) for r in reports if r) for k in ("done", "failed", "parked", "skipped")}
        return {"pages": totals, "ho_so_assembled": sorted(assembly["assembled"]),
                "ho_so_parked": assembly["parked"]}

    reports = ocr.expand_kwargs(plan_chunks())
    assembly = assemble()
    reports >> assembly
    summarise(reports, assembly)


sohoa_process()
