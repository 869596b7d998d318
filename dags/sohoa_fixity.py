"""sohoa_fixity — re-read stored objects, recompute SHA-256, compare with the catalogue, alert on any difference.

Daily it checks a rotating sample (``sample`` objects, those checked longest ago first, so every object comes
round); ``sample`` = 0 in the run's params checks everything, ``prefix`` limits it to keys under a prefix (one
hồ sơ: ``<mã hồ sơ>/``); ``every_key`` (on by default) also lists masters for keys no catalogue row names.
Every check is a PREMIS ``fixity check`` event. Any mismatch, missing, unreadable, overwritten or unknown object is
sent as an alert (the e-mail/webhook channels of ``config/alerts.toml``) and fails the ``alert_on_problems`` task with the
list of objects, without retrying: a retry cannot repair bytes — ``sohoa restore`` from the backup copy can.

Beside it, ``replicate`` copies every catalogued master and derivative that has no verified copy yet to the
backup S3 (TT 05/2025: two copies on independent media); it fails the run if the backup store is unreachable.
"""
from __future__ import annotations

from airflow.sdk import Param, dag, task

from sohoa.dagkit import dag_defaults


@dag(
    dag_id="sohoa_fixity",
    schedule="30 1 * * *",
    **dag_defaults(),
    tags=["sohoa", "fixity", "preservation"],
    doc_md=__doc__,
    params={"sample": Param(5000, type="integer", minimum=0, description="objects per run; 0 = all"),
            "prefix": Param(None, type=["null", "string"], description="only keys under this prefix"),
            "jobs": Param(4, type="integer", minimum=1),
            "every_key": Param(True, type="boolean",
                               description="also list masters for keys the catalogue does not know")},
)
def sohoa_fixity():
    @task
    def verify(params=None) -> dict:
        """Check the sample; record the events; return the report (problems listed, not raised)."""
        from sohoa.dagkit import catalogue, s3
        from sohoa.fixity.check import run_fixity

        with catalogue() as conn, s3() as client:
            report = run_fixity(conn, client, limit=params["sample"] or None, prefix=params["prefix"],
                                jobs=params["jobs"], agent="sohoa_fixity", every_key=params["every_key"])
        return report.as_dict()

    @task
    def alert_on_problems(report: dict, run_id=None) -> int:
        """Alert and fail (no retry) when any object differs or is missing; else the number checked."""
        import datetime as dt

        from airflow.sdk.exceptions import AirflowFailException

        from sohoa.alerts.channels import configured_channels
        from sohoa.fixity.alerts import FixityAlert, deliver, failure_message
        from sohoa.fixity.check import FixityReport

        result = FixityReport(report["checked"], report["bytes"], report["seconds"], report["problems"])
        if not result.problems:
            return result.checked
        deliver(FixityAlert(run_id, result, dt.datetime.now(dt.timezone.utc)), configured_channels())
        raise AirflowFailException(failure_message(result, run_id))

    @task
    def replicate(params=None) -> dict:
        """Copy and verify, on the backup S3, every catalogued object not backed up yet (under ``prefix``)."""
        from sohoa.backup.replica import replica_client, replica_settings
        from sohoa.backup.replicate import replicate as copy_missing
        from sohoa.dagkit import catalogue, s3

        with catalogue() as conn, s3() as client:
            return copy_missing(conn, client, replica_client(), endpoint=replica_settings().s3_endpoint,
                                prefix=params["prefix"], jobs=params["jobs"], agent="sohoa_fixity").as_dict()

    replicate()
    alert_on_problems(verify())


sohoa_fixity()
