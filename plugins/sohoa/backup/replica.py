"""The backup store: a second, independent S3 endpoint.

In production it is ``SOHOA_S3_BACKUP_ENDPOINT``: another server and disk, or another provider, that sohoa reaches
but does not run. Unset, it is the local stack's second SeaweedFS (:mod:`sohoa.localstack.backup_s3`). Either way
it has the same buckets, masters versioned and object-locked as on the primary, and the pipeline's identity.
"""
from __future__ import annotations

from ..config import Settings, settings
from ..localstack import backup_s3
from ..storage import s3_client


def replica_settings(cfg: Settings | None = None) -> Settings:
    """The settings of the backup endpoint: ``s3_backup_endpoint`` when set, else the local second SeaweedFS's."""
    cfg = cfg or settings()
    if cfg.s3_backup_endpoint:
        return cfg.model_copy(update={"s3_endpoint": cfg.s3_backup_endpoint})
    return backup_s3.backup_settings(cfg)


def ensure_running(cfg: Settings | None = None) -> Settings:
    """Start the local backup S3 unless it is healthy; create its buckets (idempotent). Its settings.

    A backup store given by ``s3_backup_endpoint`` is not sohoa's to start: its settings come back untouched."""
    cfg = cfg or settings()
    if cfg.s3_backup_endpoint:
        return replica_settings(cfg)
    return backup_s3.ensure_running(cfg)


def replica_client(cfg: Settings | None = None):
    """An S3 client of the backup endpoint with the pipeline's credentials."""
    backup = replica_settings(cfg)
    return s3_client(backup, backup.s3_pipeline_key, backup.s3_pipeline_secret)
