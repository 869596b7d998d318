"""Intake poll cost against the inbox's history (issue 19, item 4) — figures printed next to the target.

    .venv/bin/python scripts/bench_intake_poll.py [--history 10000] [--repeat 5]

On a private SeaweedFS (its own ports and temporary folder; the local stack is not touched): the time a poll
takes to find 1 new batch when the inbox holds 1 batch folder, and when it holds ``--history`` folders of batches
already done, both for the pending index (what the intake trigger does every poll) and for the full sweep (every
20th poll: folder names and the done index are listed, unjudged folders only looked into). Target: the
pending-index poll with 10,000 folders ≤ 1.5 × with 1.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sohoa import storage
from sohoa.config import settings
from sohoa.intake.manifest import COMPLETE, REPORT_JSON, done_key, pending_key
from sohoa.intake.process import complete_batches
from sohoa.localstack.seaweed import SeaweedS3

PORT_OFFSET = 300
VENDOR = "vendor-demo"


def private_server(folder: Path) -> SeaweedS3:
    cfg = settings()
    host = cfg.s3_endpoint.rsplit(":", 1)[0]
    mine = cfg.model_copy(update={"s3_base_port": cfg.s3_base_port + PORT_OFFSET, "state_dir": folder,
                                  "s3_endpoint": f"{host}:{cfg.s3_port + PORT_OFFSET}"})
    return SeaweedS3(mine, name="seaweedfs-bench", data_dir=folder / "s3")


def fill(s3, first: int, last: int) -> None:
    """Batch folders ``first``..``last - 1`` as intake leaves them: a report and a done-index entry, no marker."""
    def judged(n: int) -> None:
        s3.put_object(Bucket=storage.INBOX, Key=f"{VENDOR}/old-{n:06d}/{REPORT_JSON}", Body=b"{}")
        s3.put_object(Bucket=storage.INBOX, Key=done_key(VENDOR, f"old-{n:06d}"), Body=b"{}")
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(judged, range(first, last)))


def timed(call, repeat: int) -> float:
    """Median seconds of ``repeat`` calls, after one untimed call (connections, server caches)."""
    call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        found = call()
        times.append(time.perf_counter() - started)
        assert {"vendor": VENDOR, "batch_id": "new"} in found, found
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-poll-") as tmp:
        server = private_server(Path(tmp))
        server.start()
        try:
            s3 = server.admin()
            for key in (f"{VENDOR}/new/{COMPLETE}", pending_key(VENDOR, "new")):
                s3.put_object(Bucket=storage.INBOX, Key=key, Body=b"{}")
            fill(s3, 0, 1)
            small = {sweep: timed(lambda: complete_batches(s3, sweep=sweep), args.repeat if not sweep else 3)
                     for sweep in (False, True)}
            started = time.perf_counter()
            fill(s3, 1, args.history)
            print(f"filled {args.history:,} batch folders in {time.perf_counter() - started:.0f} s")
            large = {sweep: timed(lambda: complete_batches(s3, sweep=sweep), args.repeat if not sweep else 3)
                     for sweep in (False, True)}
        finally:
            server.stop()
    for sweep, what in ((False, "pending index (every poll)"), (True, "full sweep (every 20th poll)")):
        print(f"{what:30} 1 folder: {small[sweep] * 1000:8.1f} ms   {args.history:,} folders: "
              f"{large[sweep] * 1000:8.1f} ms   ratio {large[sweep] / small[sweep]:6.2f}×")
    ratio = large[False] / small[False]
    print(f"target: pending-index poll ≤ 1.5× with {args.history:,} folders: {'met' if ratio <= 1.5 else 'NOT met'} "
          f"({ratio:.2f}×)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
