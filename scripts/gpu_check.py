#!/usr/bin/env python3
"""One prepared check of the ``neural`` recogniser on a GPU machine (issue 15): pages/s, GPU memory, CER.

Run it with ``scripts/gpu_check.sh`` on a machine with an NVIDIA GPU. It

1. writes broad-suite pages (``ocr_engine.suite``, seeds :data:`SEEDS` unless ``--seeds``; fresh, never tuned on);
2. finds their text lines with Tesseract on all CPU cores (the ``neural`` engine's own layout pass) and cuts the
   line crops;
3. reads the crops — replicated to at least ``--lines`` lines — through :class:`ocr_engine.neural.infer.Recogniser`
   (the production batching code: width-sorted, padded batches of ``--batch-lines`` lines) on ONNX Runtime's CUDA
   provider, or on PyTorch CUDA from the shipped checkpoint when ONNX Runtime has no CUDA; it reports lines/s,
   pages/s (lines/s ÷ mean lines per page) for the recogniser alone and with line normalisation included, and the
   GPU memory in use (``nvidia-smi``, sampled);
4. reads the same pages with ``python -m ocr_engine recognize`` engines ``tesseract`` and ``neural`` and prints
   their CER side by side.

It writes ``OUT/gpu_check.json`` (every figure) and ``OUT/throughput.json`` (``gpu_pages_per_s`` and its source),
which ``sohoa capacity plan --throughput-from`` reads.
Without a GPU runtime it says what is missing and exits 2 (``--allow-cpu`` measures the CPU instead, for testing
the script itself).

Example::

    scripts/gpu_check.sh --out /tmp/gpu_check            # on the GPU machine
    .venv/bin/python scripts/gpu_check.py --allow-cpu --seeds 300000-300003 --lines 200 --out /tmp/gc
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SEEDS = "300000-300199"  # a range no benchmark or tuning run has used


def gpu_memory_sampler(stop: threading.Event, peak: list[int]) -> None:
    """Keep the highest ``nvidia-smi`` memory.used (MiB, summed over GPUs) in peak[0] until *stop*."""
    while not stop.is_set():
        try:
            out = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                                 capture_output=True, text=True, timeout=10).stdout
            peak[0] = max(peak[0], sum(int(v) for v in out.split() if v.strip().isdigit()))
        except (OSError, subprocess.SubprocessError):
            return
        stop.wait(0.5)


def gpu_name() -> str | None:
    if not shutil.which("nvidia-smi"):
        return None
    out = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True)
    return out.stdout.strip() or None


def onnx_recogniser(batch_lines: int, allow_cpu: bool):
    """(Recogniser, runtime name) on ONNX Runtime CUDA, or None when it has no CUDA provider (CPU with allow_cpu)."""
    import onnxruntime as ort

    from ocr_engine.neural import infer

    cuda = "CUDAExecutionProvider" in ort.get_available_providers()
    if not cuda and not allow_cpu:
        return None
    model_dir = infer.default_model_dir()
    session, meta = infer.open_session(model_dir, threads=os.cpu_count() or 1)
    rec = infer.Recogniser(lambda x: session.run(None, {"image": x})[0], meta, max_lines=batch_lines,
                           max_pixels=batch_lines * 32 * 1024)
    return rec, f"onnxruntime {ort.__version__} {session.get_providers()[0]}"


def torch_recogniser(batch_lines: int):
    """(Recogniser, runtime name) on PyTorch CUDA from ocr_engine/data/neural/checkpoint.pt, or None."""
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    import importlib.util

    from ocr_engine.neural import infer

    spec = importlib.util.spec_from_file_location("train_recogniser", REPO / "scripts" / "train_recogniser.py")
    trainer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(trainer)
    meta = infer.load_metadata(infer.default_model_dir())
    state = torch.load(infer.default_model_dir() / "checkpoint.pt", map_location="cuda", weights_only=False)
    model = trainer.build_model(len(meta["chars"]) + 1).cuda().eval()
    model.load_state_dict(state.get("ema") or state["model"])

    def run(x):
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.float16):
            return model(torch.from_numpy(x).cuda()).float().cpu().numpy()
    return infer.Recogniser(run, meta, max_lines=batch_lines, max_pixels=batch_lines * 32 * 1024), \
        f"torch {torch.__version__} CUDA fp16"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default=SEEDS, help=f"broad-suite page seeds (default {SEEDS})")
    parser.add_argument("--lines", type=int, default=50_000, help="lines to time (crops replicated; default 50000)")
    parser.add_argument("--batch-lines", type=int, default=256, help="lines per batch on the GPU (default 256)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="CPU jobs for layout and engines")
    parser.add_argument("--out", type=Path, default=Path("gpu_check"), help="work and result folder")
    parser.add_argument("--allow-cpu", action="store_true", help="measure on the CPU when there is no GPU runtime")
    parser.add_argument("--skip-cer", action="store_true", help="skip step 4 (engines on the pages)")
    args = parser.parse_args(argv)

    from ocr_engine import suite
    from ocr_engine.engines import get_engine
    from ocr_engine.engines.neural import crop_line, pieces
    from ocr_engine.metrics import error_counts, rates
    from ocr_engine.model import PageImage
    from ocr_engine.neural import lineimage
    from ocr_engine.neural.infer import pad_batch, plan_batches
    from ocr_engine.pipeline import _prepare, expand

    args.out.mkdir(parents=True, exist_ok=True)
    result: dict = {"gpu": gpu_name(), "seeds": args.seeds}
    picked = onnx_recogniser(args.batch_lines, False) or torch_recogniser(args.batch_lines)
    if picked is None:
        if not args.allow_cpu:
            print("gpu_check: no GPU runtime: onnxruntime has no CUDAExecutionProvider (pip install onnxruntime-gpu) "
                  "and PyTorch has no CUDA; --allow-cpu measures the CPU instead", file=sys.stderr)
            return 2
        picked = onnx_recogniser(args.batch_lines, True)
    rec, runtime = picked
    result["runtime"] = runtime
    print(f"gpu_check: {result['gpu'] or 'no GPU'}; recogniser on {runtime}", flush=True)

    t0 = time.perf_counter()
    metas = [m for m in suite.write_suite(args.out / "suite", suite.seeds_from(args.seeds), jobs=args.jobs)
             if "skipped" not in m and not m["blank"]]
    print(f"… {len(metas)} pages written in {time.perf_counter() - t0:.0f} s", flush=True)

    engine = get_engine("neural", jobs=args.jobs)

    def layout_crops(meta):
        outcome, image = _prepare(next(iter(expand([args.out / "suite" / meta["file"]]))), None, None)
        if image is None:
            return []
        lines = engine._layout(PageImage(image.page_id, image.pixels, image.dpi))
        if isinstance(lines, Exception):
            return []
        return [crop_line(image.pixels, box)[0] for line in lines for box in pieces(line)]

    t0 = time.perf_counter()
    with ThreadPoolExecutor(args.jobs) as pool:
        per_page = list(pool.map(layout_crops, metas))
    crops = [c for page in per_page for c in page if c.size]
    lines_per_page = len(crops) / max(1, len(metas))
    print(f"… {len(crops)} line crops ({lines_per_page:.1f} per page) in {time.perf_counter() - t0:.0f} s", flush=True)
    work = (crops * (args.lines // max(1, len(crops)) + 1))[:max(args.lines, len(crops))]

    rec.read(work[:args.batch_lines])  # warm-up: session, kernels, cuDNN plans
    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=gpu_memory_sampler, args=(stop, peak), daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    rec.read(work)
    end_to_end = time.perf_counter() - t0
    inputs = [lineimage.normalise(c) for c in work]
    batches = [pad_batch([inputs[i] for i in b]) for b in plan_batches([x.shape[1] for x in inputs],
                                                                       max_lines=rec.max_lines,
                                                                       max_pixels=rec.max_pixels)]
    t0 = time.perf_counter()
    for batch in batches:
        rec._run(batch)
    model_only = time.perf_counter() - t0
    stop.set()
    sampler.join(timeout=5)
    throughput = {
        "lines": len(work), "lines_per_page": round(lines_per_page, 1),
        "model_lines_per_s": round(len(work) / model_only, 1),
        "model_pages_per_s": round(len(work) / model_only / max(lines_per_page, 1e-9), 1),
        "end_to_end_lines_per_s": round(len(work) / end_to_end, 1),
        "gpu_pages_per_s": round(len(work) / end_to_end / max(lines_per_page, 1e-9), 1),
        "gpu_memory_peak_mib": peak[0] or None,
    }
    result["throughput"] = throughput
    print(f"recogniser: {throughput['model_lines_per_s']} lines/s model only ({throughput['model_pages_per_s']} "
          f"pages/s); {throughput['end_to_end_lines_per_s']} lines/s with normalisation "
          f"({throughput['gpu_pages_per_s']} pages/s); GPU memory peak {throughput['gpu_memory_peak_mib']} MiB",
          flush=True)

    if not args.skip_cer:
        files = [str(args.out / "suite" / m["file"]) for m in metas]
        result["cer"] = {}
        for name in ("tesseract", "neural"):
            out = args.out / name
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "ocr_engine", "recognize", "--engine", name, "--jobs",
                            str(args.jobs), "--out", str(out), *files], capture_output=True,
                           env={**os.environ, "PYTHONPATH": str(REPO)})
            counts = []
            written = {p.stem: p for p in out.rglob("*.txt")}  # recognize keeps the input folders under --out
            for m in metas:
                txt = written.get(m["id"], out / "missing")
                truth = (args.out / "suite" / "gt" / f"{m['id']}.txt").read_text(encoding="utf-8")
                counts.append(error_counts(truth, txt.read_text(encoding="utf-8") if txt.is_file() else ""))
            result["cer"][name] = {"cer": round(rates(counts)["cer"], 4),
                                   "wall_s_per_page": round((time.perf_counter() - t0) / max(1, len(metas)), 3)}
            print(f"{name}: CER {100 * result['cer'][name]['cer']:.2f} % over {len(metas)} pages, "
                  f"{result['cer'][name]['wall_s_per_page']} s/page wall on {args.jobs} jobs", flush=True)
    (args.out / "gpu_check.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    capacity = {"gpu_pages_per_s": throughput["gpu_pages_per_s"],
                "gpu_source": f"scripts/gpu_check.sh, {result['gpu'] or 'CPU'}, {runtime}, "
                              f"{time.strftime('%Y-%m-%d')}, recogniser stage ({lines_per_page:.0f} lines/page)"}
    (args.out / "throughput.json").write_text(json.dumps(capacity, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"written {args.out / 'gpu_check.json'} and {args.out / 'throughput.json'} "
          "(for sohoa capacity plan --throughput-from)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
