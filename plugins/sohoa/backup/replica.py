"""The backup store: a second, independent S3 endpoint.

In production it is ``SOHOA_S3_BACKUP_ENDPOINT``: another server and disk, or another provider, that sohoa reaches
but does not run. Unset, it is the local stack's second SeaweedFS (``weed mini``) on ports
``REPLICA_PORT_OFFSET`` above the primary's, with its own data folder ``<state>/s3-backup``: a different process
and a different directory tree. Either way it has the same buckets, masters versioned and object-locked as on
the primary, and the pipeline's identity.
"""
from __future__ import annotations

from ..config import Settings, settings
from ..localstack.seaweed import SeaweedS3
from ..storage import s3_client

REPLICA_PORT_OFFSET = 100
NAME = "seaweedfs-backup"


def replica_settings(cfg: Settings | None = None) -> Settings:
    """The settings of the backup endpoint: ``s3_backup_endpoint`` when set, else the primary's with every S3
    port moved by the offset (the local second SeaweedFS)."""
    cfg = cfg or settings()
    if cfg.s3_backup_endpoint:
        return cfg.model_copy(update={"s3_endpoint": cfg.s3_backup_endpoint})
    host = cfg.s3_endpoint.rsplit(":", 1)[0]
    return cfg.model_copy(update={"s3_base_port": cfg.s3_base_port + REPLICA_PORT_OFFSET,
                                  "s3_endpoint": f"{host}:{cfg.s3_port + REPLICA_PORT_OFFSET}"})


def replica_server(cfg: Settings | None = None) -> SeaweedS3:
    cfg = cfg or settings()
    return SeaweedS3(replica_settings(cfg), name=NAME, data_dir=cfg.state_dir / "s3-backup")


def ensure_running(cfg: Settings | None = None) -> Settings:
    """Start the local backup S3 unless it is healthy; create its buckets (idempotent). Its settings.

    A backup store given by ``s3_backup_endpoint`` is not sohoa's to start: its settings come back untouched."""
    cfg = cfg or settings()
    if cfg.s3_backup_endpoint:
        return replica_settings(cfg)
    server = replica_server(cfg)
    if not server.healthy():
        server.start()
    else:
        server.create_buckets()
    return server.cfg


def replica_client(cfg: Settings | None = None):
    """An S3 client of the backup endpoint with the pipeline's credentials."""
    backup = replica_settings(cfg)
    return s3_client(backup, backup.s3_pipeline_key, backup.s3_pipeline_secret)
