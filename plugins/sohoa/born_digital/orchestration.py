"""Airflow glue for born-digital intake: its tasks over the connections of :mod:`sohoa.dagkit`.

Loaded inside tasks (never at DAG-parse time); the intake code loads inside functions.
"""
from __future__ import annotations

from ..dagkit import catalogue, s3


def pending_submissions(conf: dict | None = None) -> list[dict]:
    """The submission named in the run's conf (``{"agency": …, "submission_id": …}``), else every submission
    whose ``_COMPLETE`` marker is in ``inbox/nop-luu/``."""
    from .submission import pending

    conf = conf or {}
    if conf.get("agency") and conf.get("submission_id"):
        return [{"agency": conf["agency"], "submission_id": conf["submission_id"]}]
    with s3() as client:
        return pending(client)


def take_in(agency: str, submission_id: str) -> dict:
    """Judge, keep and register one submission with the Airflow connections; return a short summary."""
    from .signatures import quiet_pyhanko
    from .submission import take_in_from_inbox

    quiet_pyhanko()
    with catalogue() as conn, s3() as client:
        report = take_in_from_inbox(conn, client, agency, submission_id, agent="sohoa_born_digital")
    return {"agency": agency, "submission_id": submission_id, "ma_ho_so": report["ma_ho_so"],
            "verdict": report["verdict"]}
