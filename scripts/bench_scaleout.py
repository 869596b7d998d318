"""Benchmark the scale-out on the local stack: what the CeleryExecutor costs, and what a second worker brings.

  overhead  the same pages processed by ``sohoa_process`` (triggered for that batch alone) under the LocalExecutor
            and under the celery profile; scheduling overhead = (Celery run time − Local run time) as a share of
            the OCR time of the run (target ≤ 10 %)
  scaling   under the celery profile, a CPU-bound batch OCR'd by one Celery worker (one task slot, one OCR
            process), then by two such workers (target ≥ 1.8× the throughput)

Batches are rendered here and taken through intake in this process (so no asset event starts other runs); each
repetition has the same page images but for a corner stamp. The stack's profile is switched as needed and put
back at the end. Needs the local stack (scripts/stack.sh up); never part of the tests.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

from tqdm import tqdm

from ocr_engine.synth import render_page, stamp_variant
from sohoa import localstack
from sohoa.airflow_api import AirflowClient
from sohoa.catalogue.db import connect, transaction
from sohoa.config import settings
from sohoa.intake.samples import intake_here, make_batch
from sohoa.localstack.airflow import Airflow
from sohoa.localstack.celery import CeleryWorkers

VENDOR = "vendor-demo"


def accepted_batch(folder: Path, *, n_ho_so: int, pages: int, seed: int, repeat: int) -> str:
    """A batch through upload and intake (in this process); the same images for a seed, but for a corner stamp."""
    batch_id = f"scale-{uuid.uuid4().hex[:8]}"

    def page_image(ma_ho_so: str, n: int):
        return stamp_variant(render_page(seed + int(ma_ho_so[-3:]) * 1000 + n, dpi=300)[0].convert("RGB"), repeat)

    make_batch(folder / batch_id, VENDOR, batch_id, n_ho_so=n_ho_so, pages_per_ho_so=pages, with_van_ban=False,
               page_image=page_image)
    intake_here(folder / batch_id, VENDOR, batch_id)
    return batch_id


def _time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def process(airflow: AirflowClient, batch_id: str) -> dict:
    """Run ``sohoa_process`` for one batch; its run time, the span of its OCR tasks and the pages OCR'd."""
    run_id = airflow.trigger("sohoa_process", {"vendor": VENDOR, "batch_id": batch_id})
    state = airflow.wait("sohoa_process", run_id, timeout=1800)
    if state != "success":
        raise SystemExit(f"sohoa_process run {run_id} ended {state}")
    run = airflow.run("sohoa_process", run_id)
    ocr = [ti for ti in airflow.task_instances("sohoa_process", run_id) if ti["task_id"] == "ocr" and ti["end_date"]]
    if not ocr:
        raise SystemExit(f"sohoa_process run {run_id} OCR'd nothing: was batch {batch_id} rejected by intake?")
    conn = connect()
    try:
        with transaction(conn) as cur:
            cur.execute("""SELECT count(*), sum(t.ocr_seconds) FROM trang t JOIN ho_so h ON h.id = t.ho_so_id
                           JOIN batch b ON b.id = h.batch_id WHERE b.vendor = %s AND b.batch_id = %s
                           AND t.ocr_status = 'done'""", (VENDOR, batch_id))
            pages, engine_seconds = cur.fetchone()
    finally:
        conn.close()
    return {"run_s": (_time(run["end_date"]) - _time(run["start_date"])).total_seconds(),
            "ocr_span_s": (max(_time(t["end_date"]) for t in ocr) - min(_time(t["start_date"]) for t in ocr))
            .total_seconds(),
            "pages": pages, "engine_s": float(engine_seconds or 0)}


def bench_overhead(folder: Path, n_ho_so: int, pages: int, repeats: int, seed: int) -> dict:
    """Best run time of the same batch under each profile."""
    figures = {}
    for first_repeat, profile in ((0, "local"), (repeats, "celery")):
        cfg = localstack.up(profile=profile, echo=lambda *_: None)
        airflow = AirflowClient(cfg)
        airflow.wait_for_dag("sohoa_process")
        runs = [process(airflow, accepted_batch(folder, n_ho_so=n_ho_so, pages=pages, seed=seed, repeat=r))
                for r in tqdm(range(first_repeat, first_repeat + repeats), desc=f"overhead ({profile})",
                              unit="run", file=sys.stderr)]
        figures[profile] = min(runs, key=lambda r: r["run_s"]) | {"runs": runs}
    local, celery = figures["local"], figures["celery"]
    figures["overhead"] = (celery["run_s"] - local["run_s"]) / local["ocr_span_s"]
    return figures


def bench_scaling(folder: Path, n_ho_so: int, pages: int, seed: int, repeats: int) -> dict:
    """OCR throughput of one and of two single-slot workers on the ``gpu`` queue (OCR's queue in this profile)."""
    cfg = localstack.up(profile="celery", echo=lambda *_: None)
    stack_airflow = Airflow(cfg)
    airflow = AirflowClient(cfg)
    airflow.wait_for_dag("sohoa_process")
    airflow.wait_for_queue("sohoa_process", "ocr", cfg.ocr_queue or cfg.ocr_gpu_queue)
    stack_workers = stack_airflow.celery_workers()
    env = {**stack_airflow.env, "SOHOA_OCR_JOBS": "1"}  # one OCR process per task: one core per worker
    bench = [CeleryWorkers.worker(cfg, env, stack_airflow.airflow, cfg.ocr_gpu_queue, f"bench-{n}", concurrency=1)
             for n in (1, 2)]
    gpu_worker = next(s for s in stack_workers.services if s.name == f"celery-worker-{cfg.ocr_gpu_queue}")
    figures = {}
    try:
        gpu_worker.stop()
        for count in (1, 2):
            bench[count - 1].start()
            _wait_answering(stack_workers, {f"bench-{n}" for n in range(1, count + 1)})
            batch = accepted_batch(folder, n_ho_so=n_ho_so, pages=pages, seed=seed, repeat=2 * repeats + count)
            result = process(airflow, batch)
            figures[count] = result | {"pages_per_s": result["pages"] / result["ocr_span_s"]}
    finally:
        for worker in bench:
            worker.stop()
        stack_workers.start()
    figures["speed_up"] = figures[2]["pages_per_s"] / figures[1]["pages_per_s"]
    return figures


def _wait_answering(workers: CeleryWorkers, names: set[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not names <= workers.answering():
        if time.monotonic() > deadline:
            raise SystemExit(f"workers {sorted(names)} do not answer after {timeout:.0f}s")
        time.sleep(1)


def print_table(figures: dict) -> None:
    ov = figures.get("overhead")
    if ov:
        local, celery = ov["local"], ov["celery"]
        print(f"\nScheduling overhead, {local['pages']} pages (best of {len(local['runs'])} runs each):")
        print(f"  {'executor':<16}{'run':>9}{'OCR span':>11}{'engine s/page':>15}")
        for name, row in (("LocalExecutor", local), ("CeleryExecutor", celery)):
            print(f"  {name:<16}{row['run_s']:>8.1f}s{row['ocr_span_s']:>10.1f}s{row['engine_s'] / row['pages']:>15.2f}")
        print(f"  Celery − Local = {celery['run_s'] - local['run_s']:+.1f} s "
              f"({(celery['run_s'] - local['run_s']) / local['pages']:+.2f} s/page) → {ov['overhead']:+.1%} of the "
              f"OCR time (target ≤ 10 %)")
    sc = figures.get("scaling")
    if sc:
        print(f"\nThroughput of single-slot CPU workers (one OCR process each), {sc[1]['pages']} pages per batch:")
        for count in (1, 2):
            print(f"  {count} worker{'s' if count > 1 else ' '}: OCR span {sc[count]['ocr_span_s']:6.1f} s → "
                  f"{sc[count]['pages_per_s']:.3f} pages/s")
        print(f"  speed-up {sc['speed_up']:.2f}× (target ≥ 1.8×)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=["overhead", "scaling"], default=["overhead", "scaling"],
                        help="which parts to run (default both)")
    parser.add_argument("--pages", type=int, default=16,
                        help="pages per batch, in hồ sơ of 8 (default 16: two OCR chunks for overhead; scaling "
                             "uses twice as many, so that two workers have work to share)")
    parser.add_argument("--repeats", type=int, default=2, help="overhead runs per executor; the best counts (default 2)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    before = settings().stack_profile
    seed = uuid.uuid4().int % 10**8
    figures: dict = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if "overhead" in args.only:
                figures["overhead"] = bench_overhead(Path(tmp), max(1, args.pages // 8), 8, args.repeats, seed)
            if "scaling" in args.only:
                figures["scaling"] = bench_scaling(Path(tmp), max(2, args.pages // 4), 8, seed, args.repeats)
    finally:
        localstack.up(profile=before, echo=lambda *_: None)
    print_table(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
