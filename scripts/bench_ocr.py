#!/usr/bin/env python3
"""Benchmark ocr_engine on a page set: accuracy and speed per engine and variant, and the
image → PDF/A + ALTO job against OCRmyPDF on the same pages and cores.

Page set layout (as written by bench/make_pages.py): DIR/<variant>/pNN.{png,jpg} and ground
truth DIR/gt/pNN.txt, or DIR/gt/pNN.<dpi>.txt when it differs per resolution. The variant
name's digits give the resolution assumed for files that record none (aug300 → 300 dpi).

Figures: CER, WER, CER with diacritics stripped (all totals over the pages), seconds per page
(wall clock of the CLI run), peak RSS (sum over the process tree, sampled), and pages per
minute for both PDF jobs. Prints a table and writes the figures as JSON.
Exits 0 without doing anything when the page set is absent.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from ocr_engine.metrics import error_counts, rates  # noqa: E402
DEFAULT_DEV = REPO / ".." / "shared" / "bench" / "dev"
PYTHON = sys.executable


def ground_truth(dev: Path, stem: str, dpi: int | None) -> str:
    specific = dev / "gt" / f"{stem}.{dpi}.txt"
    return (specific if specific.is_file() else dev / "gt" / f"{stem}.txt").read_text(encoding="utf-8")


def timed(cmd: list[str]) -> tuple[float, int, subprocess.CompletedProcess]:
    """Run *cmd*; return (seconds, peak RSS bytes of its whole process tree, result)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    root = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            tree = [root] + root.children(recursive=True)
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass  # a process ended between listing and reading; the next sample counts
        time.sleep(0.05)
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    return seconds, peak, subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def variant_pages(dev: Path, variant: str) -> list[Path]:
    return sorted(p for p in (dev / variant).iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".tif", ".tiff"))


def variant_dpi(variant: str) -> int | None:
    digits = re.findall(r"\d+", variant)
    return int(digits[-1]) if digits else None


def bench_recognize(dev: Path, engine: str, variant: str, jobs: int, work: Path, options: list[str]) -> dict:
    pages = variant_pages(dev, variant)
    dpi = variant_dpi(variant)
    out = work / f"{engine}-{variant}"
    cmd = [PYTHON, "-m", "ocr_engine", "recognize", "--engine", engine, "--jobs", str(jobs),
           "--out", str(out)] + (["--assume-dpi", str(dpi)] if dpi else []) + options + [str(p) for p in pages]
    seconds, rss, proc = timed(cmd)
    if proc.returncode not in (0, 1):
        return {"engine": engine, "variant": variant, "error": proc.stderr.decode()[-400:]}
    counts = [error_counts(ground_truth(dev, p.stem, dpi),
                           (out / f"{p.stem}.txt").read_text(encoding="utf-8") if (out / f"{p.stem}.txt").exists() else "")
              for p in pages]
    return {"engine": engine, "variant": variant, "pages": len(pages), **rates(counts),
            "per_page_cer": [c["char_edits"] / c["chars"] for c in counts],
            "s_per_page": seconds / len(pages), "peak_rss_mb": rss / 2**20}


def pdf_text_pages(pdf: Path, count: int) -> list[str]:
    return [subprocess.run(["pdftotext", "-raw", "-f", str(i), "-l", str(i), "-enc", "UTF-8", str(pdf), "-"],
                           capture_output=True, check=True).stdout.decode("utf-8") for i in range(1, count + 1)]


def bench_pdf_jobs(dev: Path, variants: list[str], jobs: int, work: Path) -> dict:
    """Our image → PDF/A + ALTO job against ``ocrmypdf -l vie --output-type pdfa``."""
    pages = [p for v in variants for p in variant_pages(dev, v)]
    truths = [ground_truth(dev, p.stem, variant_dpi(p.parent.name)) for p in pages]
    result: dict = {"variants": variants, "pages": len(pages), "jobs": jobs}
    ours = work / "ours.pdf"
    seconds, rss, proc = timed([PYTHON, "-m", "ocr_engine", "pdf", "--jobs", str(jobs), "--out", str(ours),
                                "--pages-dir", str(work / "ours-pages")] + [str(p) for p in pages])
    if proc.returncode != 0:
        result["ours"] = {"error": proc.stderr.decode()[-600:]}
    else:
        counts = [error_counts(t, h) for t, h in zip(truths, pdf_text_pages(ours, len(pages)))]
        result["ours"] = {"seconds": seconds, "pages_per_min": 60 * len(pages) / seconds,
                          "peak_rss_mb": rss / 2**20, **rates(counts)}
    ocrmypdf = shutil.which("ocrmypdf", path=str(Path(PYTHON).parent)) or shutil.which("ocrmypdf")
    if not ocrmypdf:
        result["ocrmypdf"] = {"error": "ocrmypdf not installed (pip install ocrmypdf; needs ghostscript)"}
        return result
    try:
        import img2pdf
    except ImportError as exc:
        result["ocrmypdf"] = {"error": f"img2pdf missing: {exc}"}
        return result
    combined = work / "pages.pdf"
    combined.write_bytes(img2pdf.convert([str(p) for p in pages]))
    theirs = work / "ocrmypdf.pdf"
    seconds, rss, proc = timed([ocrmypdf, "-l", "vie", "--output-type", "pdfa", "--jobs", str(jobs),
                                "--quiet", str(combined), str(theirs)])
    if proc.returncode != 0:
        result["ocrmypdf"] = {"error": f"exit {proc.returncode}: {proc.stderr.decode()[-600:]}"}
        return result
    version = subprocess.run([ocrmypdf, "--version"], capture_output=True, text=True).stdout.strip()
    counts = [error_counts(t, h) for t, h in zip(truths, pdf_text_pages(theirs, len(pages)))]
    result["ocrmypdf"] = {"version": version, "seconds": seconds, "pages_per_min": 60 * len(pages) / seconds,
                          "peak_rss_mb": rss / 2**20, **rates(counts)}
    if "pages_per_min" in result.get("ours", {}):
        result["speedup"] = result["ours"]["pages_per_min"] / result["ocrmypdf"]["pages_per_min"]
    return result


def bench_rss(dev: Path, variant: str, count: int, jobs: int) -> list[dict]:
    """RSS of one worker process over *count* pages (the variant's pages repeated)."""
    from ocr_engine import engines, pipeline

    pages = variant_pages(dev, variant)
    engine = engines.get_engine("tesseract", jobs=jobs)
    me = psutil.Process()
    samples = []
    stream = (pages[i % len(pages)] for i in range(count))
    for i, _ in enumerate(pipeline.run(stream, engine, jobs=jobs, assume_dpi=variant_dpi(variant)), 1):
        if i == 1 or i % max(1, count // 10) == 0:
            samples.append({"pages": i, "rss_mb": round(me.memory_info().rss / 2**20, 1)})
    return samples


def print_table(figures: dict) -> None:
    print(f"\n{'engine':10} {'variant':9} {'pages':>5} {'CER %':>7} {'WER %':>7} {'CER-nd %':>8} "
          f"{'s/page':>7} {'RSS MB':>7}")
    for r in figures["recognize"]:
        if "error" in r:
            print(f"{r['engine']:10} {r['variant']:9} error: {r['error']}")
            continue
        print(f"{r['engine']:10} {r['variant']:9} {r['pages']:5d} {100 * r['cer']:7.3f} {100 * r['wer']:7.3f} "
              f"{100 * r['cer_no_diacritics']:8.3f} {r['s_per_page']:7.2f} {r['peak_rss_mb']:7.0f}")
    for name, why in figures.get("skipped", {}).items():
        print(f"{name:10} skipped: {why}")
    job = figures.get("pdf_job")
    if job:
        print(f"\nimage → PDF/A ({job['pages']} pages of {', '.join(job['variants'])}, --jobs {job['jobs']}):")
        for key, label in (("ours", "ocr_engine pdf (+ALTO)"), ("ocrmypdf", "ocrmypdf --output-type pdfa")):
            r = job.get(key, {})
            if "error" in r:
                print(f"  {label:28} cannot run: {r['error']}")
            else:
                print(f"  {label:28} {r['pages_per_min']:6.1f} pages/min  CER {100 * r['cer']:.3f} %  "
                      f"WER {100 * r['wer']:.3f} %  RSS {r['peak_rss_mb']:.0f} MB")
        if "speedup" in job:
            print(f"  throughput ratio ocr_engine / ocrmypdf: {job['speedup']:.2f}×")
    for s in figures.get("rss_over_pages", []):
        print(f"  RSS after {s['pages']:5d} pages: {s['rss_mb']:.1f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dev", nargs="?", type=Path, default=DEFAULT_DEV,
                        help="page set directory (default: ../shared/bench/dev next to the repo)")
    parser.add_argument("--engines", default="tesseract", help="comma-separated engine names (default: tesseract)")
    parser.add_argument("--variants", default=None, help="comma-separated variants (default: every folder with pages)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel pages (default: all cores)")
    parser.add_argument("--paddle-option", action="append", default=[], metavar="KEY=VALUE",
                        help="options for the paddle engine (det_model_dir=..., rec_model_dir=...)")
    parser.add_argument("--pdf-variants", default="clean300,deg300",
                        help="variants for the PDF/A throughput comparison ('' to skip; default: clean300,deg300)")
    parser.add_argument("--rss-pages", type=int, default=0, metavar="N",
                        help="also record one worker's RSS over N pages (--rss-variant repeated)")
    parser.add_argument("--rss-variant", default="clean300", help="pages for --rss-pages (default: clean300)")
    parser.add_argument("--json", type=Path, default=None,
                        help="where to write the figures (default: bench_ocr.json in the work dir)")
    parser.add_argument("--work", type=Path, default=None, help="keep outputs here (default: a temporary dir)")
    args = parser.parse_args(argv)

    dev = args.dev.resolve()
    if not (dev / "gt").is_dir():
        print(f"bench_ocr: page set {dev} not found (needs {dev}/gt); nothing to do")
        return 0
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    variants = (args.variants.split(",") if args.variants else
                sorted(d.name for d in dev.iterdir() if d.is_dir() and d.name != "gt"))
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_ocr-"))
    work.mkdir(parents=True, exist_ok=True)
    figures: dict = {"dev": str(dev), "jobs": args.jobs, "cpus": os.cpu_count(), "recognize": [], "skipped": {}}
    for engine in args.engines.split(","):
        options = [f"--option={o}" for o in args.paddle_option] if engine == "paddle" else []
        probe = subprocess.run([PYTHON, "-m", "ocr_engine", "recognize", "--engine", engine, "--out", str(work / "probe"),
                                *options, str(variant_pages(dev, variants[0])[0])], capture_output=True)
        if probe.returncode == 2:
            figures["skipped"][engine] = probe.stderr.decode().strip().splitlines()[-1]
            continue
        for variant in variants:
            print(f"… {engine} {variant}", file=sys.stderr)
            figures["recognize"].append(bench_recognize(dev, engine, variant, args.jobs, work, options))
    pdf_variants = [v for v in args.pdf_variants.split(",") if v]
    if pdf_variants:
        print("… PDF/A jobs", file=sys.stderr)
        figures["pdf_job"] = bench_pdf_jobs(dev, pdf_variants, args.jobs, work)
    if args.rss_pages:
        print(f"… RSS over {args.rss_pages} pages", file=sys.stderr)
        figures["rss_over_pages"] = bench_rss(dev, args.rss_variant, args.rss_pages, args.jobs)
    print_table(figures)
    out = args.json or work / "bench_ocr.json"
    out.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nfigures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
