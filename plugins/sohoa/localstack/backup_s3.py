"""The local stack's second SeaweedFS: the backup store when ``SOHOA_S3_BACKUP_ENDPOINT`` names none.

It runs ``weed mini`` on ports :data:`PORT_OFFSET` above the primary's, with its own data folder
``<state>/s3-backup``: a different process and a different directory tree, with the same buckets, masters
versioned and object-locked as on the primary, and the same identities.
"""
from __future__ import annotations

from ..config import Settings
from .seaweed import SeaweedS3

PORT_OFFSET = 100
NAME = "seaweedfs-backup"


def backup_settings(cfg: Settings) -> Settings:
    """The primary's settings with every S3 port moved by :data:`PORT_OFFSET`."""
    host = cfg.s3_endpoint.rsplit(":", 1)[0]
    return cfg.model_copy(update={"s3_base_port": cfg.s3_base_port + PORT_OFFSET,
                                  "s3_endpoint": f"{host}:{cfg.s3_port + PORT_OFFSET}"})


def backup_server(cfg: Settings) -> SeaweedS3:
    return SeaweedS3(backup_settings(cfg), name=NAME, data_dir=cfg.state_dir / "s3-backup")


def ensure_running(cfg: Settings) -> Settings:
    """Start the second SeaweedFS unless it is healthy; create its buckets (idempotent). Its settings."""
    server = backup_server(cfg)
    if not server.healthy():
        server.start()
    else:
        server.create_buckets()
    return server.cfg
