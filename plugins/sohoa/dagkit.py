"""What DAG files and their tasks share: the one way a task reaches the catalogue and S3, default arguments and
start date, the asset that links intake to processing, OCR routing, and the pipeline deadline (an Airflow
DeadlineAlert that records and reports a late run).

Tasks reach the catalogue and S3 only through the Airflow connections ``sohoa_postgres`` and ``sohoa_s3``, as
providers' hooks do: ``with catalogue() as conn, s3() as client: …``. sohoa's own commands, outside Airflow,
use the settings instead (:func:`sohoa.catalogue.db.connect`, :func:`sohoa.storage.client`).

Imported at DAG-parse time, so it imports nothing heavy at module level (the settings, pendulum and the
stdlib-only deadline helper); the database and S3 clients load inside the functions that open them.
"""
from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from urllib.parse import quote

import pendulum

from .config import settings
from .alerts.deadline import pipeline_deadline
from .vntime import TIMEZONE_NAME

CATALOGUE_CONN_ID = "sohoa_postgres"
S3_CONN_ID = "sohoa_s3"

PIPELINE_DEADLINE = dt.timedelta(hours=6)  # a batch not intaken or processed within this is late

OWNER = "sohoa-platform"
START_DATE = pendulum.datetime(2026, 1, 1, tz=TIMEZONE_NAME)  # schedules run in Việt Nam time
MASTERS_URI = "s3://masters/"  # intake emits an event on this asset when it stores pages; processing follows


def default_args(**overrides) -> dict:
    """Owner, retries ≥ 2 with back-off: every sohoa task is idempotent, so retrying is always safe."""
    return {"owner": OWNER, "retries": 2, "retry_delay": dt.timedelta(seconds=15),
            "retry_exponential_backoff": True, "max_retry_delay": dt.timedelta(minutes=10), **overrides}


def planning_args() -> dict:
    """Default arguments of the planning DAGs (milestones, yearly report): their team owns them, and a failed
    try waits 10 minutes, without back-off."""
    return default_args(owner="sohoa-milestones", retry_delay=dt.timedelta(minutes=10),
                        retry_exponential_backoff=False)


def dag_defaults(args: dict | None = None) -> dict:
    """What every sohoa DAG sets alike: :data:`START_DATE`, no catch-up, one run at a time, and ``args`` as its
    default arguments (:func:`default_args` when None). Spread into ``@dag(..., **dag_defaults())``."""
    return {"start_date": START_DATE, "catchup": False, "max_active_runs": 1,
            "default_args": default_args() if args is None else args}


def deadline():
    """The DeadlineAlert every pipeline DAG carries (see :mod:`sohoa.alerts.deadline`)."""
    return pipeline_deadline(PIPELINE_DEADLINE)


def ocr_routing() -> dict:
    """Task options for OCR: GPU engines go to the ``gpu`` queue and pool, CPU engines to the ``ocr`` pool (and
    to ``ocr_queue`` when it is set; otherwise to the executor's default queue)."""
    cfg = settings()
    if cfg.ocr_engine in cfg.ocr_gpu_engines:
        return {"queue": cfg.ocr_gpu_queue, "pool": cfg.ocr_gpu_queue}
    return {"pool": cfg.ocr_pool, **({"queue": cfg.ocr_queue} if cfg.ocr_queue else {})}


def _connection(conn_id: str):
    from airflow.sdk import BaseHook

    return BaseHook.get_connection(conn_id)


@contextlib.contextmanager
def catalogue(conn_id: str = CATALOGUE_CONN_ID) -> Iterator:
    """A psycopg2 connection (not autocommit) to the catalogue from the Airflow connection, closed after the block.

    (PostgresHook.get_conn() may hand out psycopg 3; sohoa's SQL layer is psycopg2.)
    """
    from psycopg2.extensions import make_dsn

    from .catalogue.db import connect

    c = _connection(conn_id)
    conn = connect(make_dsn(host=c.host, port=c.port, dbname=c.schema, user=c.login, password=c.password))
    try:
        yield conn
    finally:
        conn.close()


def catalogue_url(conn_id: str = CATALOGUE_CONN_ID) -> str:
    """SQLAlchemy URL of the catalogue from the Airflow connection (for migrations)."""
    c = _connection(conn_id)
    return (f"postgresql+psycopg2://{quote(c.login, safe='')}:{quote(c.password, safe='')}"
            f"@{c.host}:{c.port}/{c.schema}")


@contextlib.contextmanager
def s3(conn_id: str = S3_CONN_ID) -> Iterator:
    """The pipeline's boto3 S3 client from the Airflow connection (amazon provider's S3Hook), closed after."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    client = S3Hook(aws_conn_id=conn_id).get_conn()
    try:
        yield client
    finally:
        client.close()
