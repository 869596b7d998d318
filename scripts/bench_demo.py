#!/usr/bin/env python3
"""The demo's OCR, without the stack: CER of the pages ``scripts/demo.sh`` makes, over several runs with random
seeds, and which reading path each page kept. The demo prints one run's CER; this prints many, so a page the
preprocessing spoils once in ten runs shows up.

Example:  .venv/bin/python scripts/bench_demo.py --runs 10
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "plugins")]
from ocr_engine import engines, pipeline  # noqa: E402
from ocr_engine.metrics import error_counts, rates  # noqa: E402
from sohoa.demo import PATH_WORDS, demo_page  # noqa: E402
from sohoa.intake.samples import encode  # noqa: E402


def one_run(seed: int, n_ho_so: int, pages: int, work: Path, jobs: int) -> dict:
    truths, files = {}, []
    for number in range(1, n_ho_so + 1):
        for so_trang in range(1, pages + 1):
            image, truth, _ = demo_page(seed, number, so_trang)
            path = work / f"{seed}-{number:03d}-{so_trang:04d}.jpg"
            path.write_bytes(encode(image.convert("RGB"), "jpg", 300))
            truths[path.stem] = truth
            files.append(path)
    engine = engines.get_engine("tesseract", jobs=jobs)
    counts, paths, worst = [], Counter(), (0.0, "")
    for outcome in pipeline.run(files, engine, jobs=jobs):
        c = error_counts(truths[outcome.page_id], outcome.text.text if outcome.text else "")
        counts.append(c)
        paths[outcome.report.path if outcome.report else "none"] += 1
        worst = max(worst, (c["char_edits"] / max(1, c["chars"]), outcome.page_id))
    return {"seed": seed, "pages": len(files), **rates(counts), "paths": dict(paths), "worst": worst}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="demo runs, each with a random seed (default 10)")
    parser.add_argument("--ho-so", type=int, default=3, help="hồ sơ per run, as the demo (default 3)")
    parser.add_argument("--pages", type=int, default=2, help="pages per hồ sơ, as the demo (default 2)")
    parser.add_argument("--jobs", type=int, default=2, help="pages read at once (default 2)")
    parser.add_argument("--seed", type=int, action="append", help="use this seed instead of a random one (repeatable)")
    args = parser.parse_args(argv)
    seeds = args.seed or [uuid.uuid4().int % 10**8 for _ in range(args.runs)]
    worst_run = 0.0
    with tempfile.TemporaryDirectory(prefix="bench_demo-") as tmp:
        for i, seed in enumerate(seeds, 1):
            r = one_run(seed, args.ho_so, args.pages, Path(tmp), args.jobs)
            worst_run = max(worst_run, r["cer"])
            paths = ", ".join(f"{PATH_WORDS.get(k, k)} {n}" for k, n in sorted(r["paths"].items()))
            print(f"run {i:2d} seed {seed:9d}: {r['pages']} pages, CER {100 * r['cer']:.2f} %, "
                  f"WER {100 * r['wer']:.2f} %; worst page {r['worst'][1]} {100 * r['worst'][0]:.2f} %; {paths}",
                  flush=True)
    print(f"worst run: CER {100 * worst_run:.2f} % (target < 1 % in every run)")
    return 0 if worst_run < 0.01 else 1


if __name__ == "__main__":
    sys.exit(main())
