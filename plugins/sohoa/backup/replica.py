"""The backup store: a second, independent S3 endpoint.

Locally it is a second SeaweedFS (``weed mini``) on ports ``REPLICA_PORT_OFFSET`` above the primary's, with
its own data folder ``<state>/s3-backup`` — a different process and a different directory tree (on a real
deployment: another server and disk, or another provider; point the endpoint there). It has the same
buckets, masters versioned and object-locked as on the primary.
"""
from __future__ import annotations

from ..config import Settings, settings
from ..localstack.seaweed import SeaweedS3
from ..storage import s3_client

REPLICA_PORT_OFFSET = 100
NAME = "seaweedfs-backup"


def replica_settings(cfg: Settings | None = None) -> Settings:
    """The settings of the backup endpoint: the primary's, with every S3 port moved by the offset."""
    cfg = cfg or settings()
    host = cfg.s3_endpoint.rsplit(":", 1)[0]
    return cfg.model_copy(update={"s3_base_port": cfg.s3_base_port + REPLICA_PORT_OFFSET,
                                  "s3_endpoint": f"{host}:{cfg.s3_port + REPLICA_PORT_OFFSET}"})


def replica_server(cfg: Settings | None = None) -> SeaweedS3:
    cfg = cfg or settings()
    return SeaweedS3(replica_settings(cfg), name=NAME, data_dir=cfg.state_dir / "s3-backup")


def ensure_running(cfg: Settings | None = None) -> Settings:
    """Start the local backup S3 unless it is healthy; create its buckets (idempotent). Its settings."""
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
