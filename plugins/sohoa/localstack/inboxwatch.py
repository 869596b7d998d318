"""The inbox watcher (:mod:`sohoa.intake.watcher`) as a stack daemon beside the primary SeaweedFS.

It subscribes to the filer's metadata events over the filer's mutual-TLS gRPC port, with the stack's own client
certificate (the ``security.toml`` of :class:`~sohoa.localstack.seaweed.SeaweedS3`, read from the folder it runs
in), and writes pending-index entries with the pipeline's S3 keys. Started after SeaweedFS, supervised like the
other daemons.
"""
from __future__ import annotations

import os
import sys

from ..config import Settings
from .procs import Service
from .seaweed import SeaweedS3, weed_binary


class InboxWatch:
    """Start, health (the process runs), stop."""

    def __init__(self, cfg: Settings, server: SeaweedS3 | None = None):
        self.cfg = cfg
        self.server = server or SeaweedS3(cfg)
        self.service = Service(
            name="inbox-watcher",
            argv=[sys.executable, "-m", "sohoa.intake.watcher", "--filer", self.server.filer_address,
                  "--security-dir", str(self.server.security_dir), "--weed", weed_binary()],
            run_dir=cfg.state_dir / "run", log_dir=cfg.state_dir / "logs", cwd=self.server.security_dir,
            env={**os.environ, "SOHOA_STATE_DIR": str(cfg.state_dir)})

    def start(self) -> None:
        self.service.start()

    def healthy(self) -> bool:
        return self.service.pid() is not None

    def stop(self) -> bool:
        return self.service.stop(timeout=10)

    def describe(self) -> str:
        return (f"writes inbox/<vendor>/_pending/<batch_id> for each _COMPLETE the filer "
                f"{self.server.filer_address} reports")
