"""What DAG files share: default arguments, the asset that links intake to processing, OCR routing, and the
pipeline deadline (an Airflow DeadlineAlert that records and reports a late run).

Imported at DAG-parse time, so it imports nothing heavy (the settings and the stdlib-only deadline helper).
"""
from __future__ import annotations

import datetime as dt

from .config import settings
from .milestones.deadline import pipeline_deadline

PIPELINE_DEADLINE = dt.timedelta(hours=6)  # a batch not intaken or processed within this is late

OWNER = "sohoa-platform"
MASTERS_URI = "s3://masters/"  # intake emits an event on this asset when it stores pages; processing follows


def default_args(**overrides) -> dict:
    """Owner, retries ≥ 2 with back-off: every sohoa task is idempotent, so retrying is always safe."""
    return {"owner": OWNER, "retries": 2, "retry_delay": dt.timedelta(seconds=15),
            "retry_exponential_backoff": True, "max_retry_delay": dt.timedelta(minutes=10), **overrides}


def deadline():
    """The DeadlineAlert every pipeline DAG carries (see :mod:`sohoa.milestones.deadline`)."""
    return pipeline_deadline(PIPELINE_DEADLINE)


def ocr_routing() -> dict:
    """Task options for OCR: GPU engines go to the ``gpu`` queue and pool, CPU engines to the ``ocr`` pool (and
    to ``ocr_queue`` when it is set; otherwise to the executor's default queue)."""
    cfg = settings()
    if cfg.ocr_engine in cfg.ocr_gpu_engines:
        return {"queue": cfg.ocr_gpu_queue, "pool": cfg.ocr_gpu_queue}
    return {"pool": cfg.ocr_pool, **({"queue": cfg.ocr_queue} if cfg.ocr_queue else {})}
