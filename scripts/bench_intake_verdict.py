"""Intake from ``_COMPLETE`` to verdict against the inbox's history (issue 19, item 4) — figures side by side.

    .venv/bin/python scripts/bench_intake_verdict.py [--history 10000] [--rounds 5] [--pages 3]

On a private SeaweedFS (its own ports and temporary folder) and a private catalogue database on the local
stack's PostgreSQL (created, migrated and dropped here; the stack's own buckets and catalogue are not touched).
Each round uploads a new batch of ``--pages`` small pages, writes its ``_COMPLETE`` marker and times until its
verdict is stored and reported: polls back to back until one finds the batch, then ``run_intake``. Three arrival
routes, taking turns: the vendor tool's (marker + pending-index entry, found by the ordinary poll); a plain S3
upload (marker only) with the inbox watcher running (:mod:`sohoa.intake.watcher` writes the pending-index entry
from the filer's event; found by the ordinary poll); the same upload with the watcher stopped, found by the full
sweep (the safety net). The watcher runs in this process, through the vendor tool's route too, as in service.
Measured with 1 batch folder in the inbox, then with ``--history`` folders of batches already judged (manifest,
report and done-index entry, as intake leaves them).
The trigger's wait between polls (30 s) is left out: it is the same whatever the history.
Target: ≤ 1.5 × with ``--history`` folders against 1.

Figures (``--history 10000 --rounds 7``, 3 pages, 2-core development VM with a training job beside it, December
2026; 1 folder | 10,000 folders | ratio):

    before the watcher (one run)         vendor tool 184 | 207 ms 1.12×   plain S3, sweep 185 | 712 ms 3.85×
    with the watcher, run 1              vendor tool 201 | 248 ms 1.23×   plain S3, watcher 218 | 208 ms 0.95×
                                                                          plain S3, sweep 252 | 730 ms 2.90×
    with the watcher, run 2              vendor tool 228 | 257 ms 1.12×   plain S3, watcher 211 | 242 ms 1.15×
                                                                          plain S3, sweep 210 | 889 ms 4.22×

A plain S3 upload now reaches its verdict as fast as the vendor tool's, whatever the history; the sweep alone (the
watcher down) still lists every folder name and done-index entry and misses the target, off the path of a watched
batch. Run to run, the medians move by some 20 % on this machine.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg2
from psycopg2 import sql

from sohoa import storage
from sohoa.catalogue import db, migrate
from sohoa.config import settings
from sohoa.intake.manifest import COMPLETE, MANIFEST, REPORT_JSON, done_key, pending_key
from sohoa.intake.process import complete_batches, run_intake
from sohoa.intake.samples import make_batch
from sohoa.intake.watcher import REPLAY_MARGIN_S, InboxWatcher, in_background
from sohoa.localstack.seaweed import SeaweedS3, weed_binary

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_intake_poll import VENDOR, private_server  # noqa: E402  (a script beside this one)

# route: (how the batch is marked, how it is found)
VENDOR_TOOL, WATCHED, SWEPT = "vendor tool (pending index)", "plain S3 upload (watcher)", "plain S3 upload (full sweep)"
ROUTES = (VENDOR_TOOL, WATCHED, SWEPT)


class PrivateCatalogue:
    """A throw-away catalogue database on the stack's PostgreSQL, migrated to head."""

    def __init__(self):
        self.cfg = settings()
        self.name = f"sohoa_bench_{uuid.uuid4().hex[:8]}"

    def _superuser(self, dbname: str = "postgres"):
        conn = psycopg2.connect(host=self.cfg.pg_host, port=self.cfg.pg_port, dbname=dbname,
                                user=self.cfg.pg_superuser, password=self.cfg.pg_superuser_password)
        conn.autocommit = True  # CREATE/DROP DATABASE (never inside ``with conn``: that opens a transaction)
        return conn

    def __enter__(self) -> str:
        conn = self._superuser()
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8'").format(
                sql.Identifier(self.name), sql.Identifier(self.cfg.pg_user)))
        conn.close()
        conn = self._superuser(self.name)
        with conn.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS unaccent; CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.close()
        mine = self.cfg.model_copy(update={"pg_database": self.name})
        migrate.upgrade(mine.catalogue_url())
        return mine.catalogue_dsn()

    def __exit__(self, *_exc) -> None:
        conn = self._superuser()
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))
        conn.close()


def fill(s3, first: int, last: int) -> None:
    """Batch folders ``first``..``last - 1`` as intake leaves them: manifest, report, done-index entry."""
    def judged(n: int) -> None:
        batch_id = f"old-{n:06d}"
        prefix = storage.batch_prefix(VENDOR, batch_id)
        s3.put_object(Bucket=storage.INBOX, Key=prefix + MANIFEST, Body=b"{}")
        s3.put_object(Bucket=storage.INBOX, Key=prefix + REPORT_JSON, Body=b"{}")
        s3.put_object(Bucket=storage.INBOX, Key=done_key(VENDOR, batch_id), Body=b'{"verdict": "accepted"}')
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(judged, range(first, last)))


def upload(s3, folder: Path, batch_id: str) -> None:
    prefix = storage.batch_prefix(VENDOR, batch_id)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        s3.put_object(Bucket=storage.INBOX, Key=prefix + path.relative_to(folder).as_posix(), Body=path.read_bytes())


def to_verdict(s3, dsn: str, work: Path, pages: int, route: str) -> tuple[float, int]:
    """(seconds from ``_COMPLETE`` to the stored verdict, polls it took) for one new batch."""
    batch_id = f"new-{uuid.uuid4().hex[:10]}"
    make_batch(work / batch_id, VENDOR, batch_id, 1, pages, with_van_ban=False)
    upload(s3, work / batch_id, batch_id)
    conn = db.connect(dsn)
    try:
        started = time.perf_counter()
        s3.put_object(Bucket=storage.INBOX, Key=storage.batch_prefix(VENDOR, batch_id) + COMPLETE, Body=b"{}")
        if route == VENDOR_TOOL:
            s3.put_object(Bucket=storage.INBOX, Key=pending_key(VENDOR, batch_id), Body=b"{}")
        polls = 0
        while True:
            polls += 1
            if {"vendor": VENDOR, "batch_id": batch_id} in complete_batches(s3, sweep=route == SWEPT):
                break
        outcome = run_intake(s3, conn, VENDOR, batch_id)
        elapsed = time.perf_counter() - started
    finally:
        conn.close()
    assert outcome.verdict == "accepted", outcome
    return elapsed, polls


def measure(server: SeaweedS3, dsn: str, work: Path, pages: int, rounds: int) -> dict[str, float]:
    """Median seconds to verdict per route, after one untimed round (connections, caches). The routes take turns
    round by round, so a server still settling after the fill slows them alike. The watcher runs through the
    vendor tool's route too, as in service, and is stopped for the sweep's."""
    s3, times = server.admin(), {route: [] for route in ROUTES}
    for round_ in range(rounds + 1):
        watcher = InboxWatcher(s3, weed=weed_binary(), filer=server.filer_address, security_dir=server.security_dir)
        with in_background(watcher):
            time.sleep(REPLAY_MARGIN_S + 1)  # past its replay of the last rounds' events: as it runs in service
            found = {route: to_verdict(s3, dsn, work, pages, route)[0] for route in (VENDOR_TOOL, WATCHED)}
        found[SWEPT] = to_verdict(s3, dsn, work, pages, SWEPT)[0]
        for route, elapsed in found.items():
            if round_:
                times[route].append(elapsed)
    return {route: statistics.median(found) for route, found in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pages", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-verdict-") as tmp, PrivateCatalogue() as dsn:
        server = private_server(Path(tmp))
        server.start()
        try:
            s3 = server.admin()
            fill(s3, 0, 1)
            small = measure(server, dsn, Path(tmp), args.pages, args.rounds)
            started = time.perf_counter()
            fill(s3, 1, args.history)
            print(f"filled {args.history:,} judged batch folders in {time.perf_counter() - started:.0f} s")
            large = measure(server, dsn, Path(tmp), args.pages, args.rounds)
        finally:
            server.stop()
    print(f"_COMPLETE → verdict, {args.pages}-page batch, median of {args.rounds} "
          f"(1 folder | {args.history:,} folders | ratio):")
    for route in ROUTES:
        ratio = large[route] / small[route]
        print(f"  {route:30} {small[route] * 1000:8.0f} ms | {large[route] * 1000:8.0f} ms | {ratio:5.2f}×  "
              f"target ≤ 1.5×: {'met' if ratio <= 1.5 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
