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

``--suite broad`` instead generates the project's own broad suite (ocr_engine.suite: 11 layouts,
20 font families, 6 conditions, turned pages, odd file modes; cached in the work dir) and reads
every page three ways: plain Tesseract (``tesseract IMG - -l vie --psm 3`` and ``--psm 6``, the same
binary, one OpenMP thread, no preprocessing) and ``python -m ocr_engine recognize``. Figures per
condition and per layout: CER, WER, diacritic error rate (ocr_engine.benchmetrics), CPU seconds
per page of each side (child-process CPU time, getrusage); for sohoa also orientation accuracy on
pages with 3+ lines, blank-page false positives, the pages it reads worse than Tesseract psm 3
by more than 0.5 CER points, and the rank correlation of its reading score with CER.
Tuning seeds are 0-9999 (the default, from 0); report figures on fresh seeds: --seeds 100000-100299.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from ocr_engine.benchmetrics import diacritic_counts, diacritic_rates, spearman  # noqa: E402
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


# ------------------------------------------------------------------------------ the broad suite
SUITE_PAGES = 300
PLAIN_SIDES = ("tesseract_psm3", "tesseract_psm6")


def sohoa_side(engine: str) -> str:
    """Name of the side that reads pages with ``python -m ocr_engine recognize --engine ENGINE``."""
    return "sohoa" if engine == "tesseract" else f"sohoa_{engine}"


def short_name(side: str) -> str:
    return {"tesseract_psm3": "psm3", "tesseract_psm6": "psm6"}.get(side, side)
WORSE_BY = 0.005  # "worse than plain Tesseract": more than 0.5 CER points above it on the same page
ORIENTATION_MIN_LINES = 3  # pages with fewer lines give orientation too little to go on


def child_cpu() -> float:
    """CPU seconds of every finished child process (and theirs) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


PLAIN_TIMEOUT_S = 600  # one plain Tesseract page; a page over it reads as nothing (it used to end the whole run)


def read_plain(tesseract: str, files: list[Path], psm: int, jobs: int) -> dict[str, str]:
    """Page id → text of ``tesseract FILE - -l vie --psm PSM`` (one OpenMP thread; '' when it fails)."""
    from concurrent.futures import ThreadPoolExecutor

    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def one(path: Path) -> str:
        try:
            done = subprocess.run([tesseract, str(path), "-", "-l", "vie", "--psm", str(psm)], capture_output=True,
                                  env=env, timeout=PLAIN_TIMEOUT_S)
        except subprocess.TimeoutExpired:  # psm 6 on a heavily damaged page can take minutes on a loaded machine
            print(f"… {path.name}: tesseract --psm {psm} ran over {PLAIN_TIMEOUT_S} s, counted as reading nothing",
                  file=sys.stderr)
            return ""
        return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else ""

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return dict(zip((p.stem for p in files), pool.map(one, files)))


def read_sohoa(files: list[Path], jobs: int, out: Path, engine: str = "tesseract"
               ) -> tuple[dict[str, str], dict[str, dict]]:
    """Page id → (text, per-page JSON) from ``python -m ocr_engine recognize --engine ENGINE``."""
    subprocess.run([PYTHON, "-m", "ocr_engine", "recognize", "--engine", engine, "--jobs", str(jobs),
                    "--out", str(out)] + [str(p) for p in files], capture_output=True)
    texts, reports = {}, {}
    for p in files:
        txt, js = out / f"{p.stem}.txt", out / f"{p.stem}.json"
        texts[p.stem] = txt.read_text(encoding="utf-8") if txt.is_file() else ""
        reports[p.stem] = json.loads(js.read_text(encoding="utf-8")) if js.is_file() else {}
    return texts, reports


def reading_score(report: dict) -> float | None:
    reading = report.get("reading") or (report.get("qc") or {}).get("reading") or {}
    return reading.get("score") if isinstance(reading, dict) else None


def said_blank(report: dict) -> bool:
    return bool((report.get("qc") or {}).get("blank")) or report.get("status") == "blank"


def pooled(rows: list[dict], side: str) -> dict:
    """Pooled CER, WER and diacritic rates of *side* over the non-blank pages of *rows*, and the median
    page's CER (pooled rates are dominated by the few pages where an engine emits pages of noise)."""
    text_rows = [r for r in rows if not r["blank"]]
    if not text_rows:
        return {"pages": 0}
    counts = [r[side]["counts"] for r in text_rows]
    return {"pages": len(text_rows), **rates(counts), "median_cer": float(np.median([r[side]["cer"] for r in text_rows])),
            **diacritic_rates([r[side]["diacritics"] for r in text_rows])}


def reused_plain(path: Path | None) -> tuple[dict[str, dict], dict[str, dict[str, float]]]:
    """Plain Tesseract's per-page results and CPU seconds per condition from an earlier run's JSON (``--reuse-plain``):
    page id → row, side → condition → seconds. Empty without a file."""
    if path is None:
        return {}, {}
    earlier = json.loads(path.read_text(encoding="utf-8"))
    rows = {r["id"]: r for r in earlier["pages"] if all(side in r for side in PLAIN_SIDES)}
    seconds = {side: {c: e[side]["cpu_s_per_page"] * e["pages"] for c, e in earlier["by_condition"].items()}
               for side in PLAIN_SIDES}
    return rows, seconds


def suite_main(args) -> int:
    from ocr_engine import suite

    tesseract = shutil.which("tesseract")
    if not tesseract:
        print("bench_ocr: tesseract not installed (Debian tesseract-ocr tesseract-ocr-vie); nothing to do")
        return 0
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    seeds = suite.seeds_from(args.seeds) if args.seeds else list(range(args.pages or SUITE_PAGES))
    if args.pages:
        seeds = seeds[:args.pages]
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_ocr-"))
    work.mkdir(parents=True, exist_ok=True)
    jobs = max(1, args.jobs)

    print(f"… generating {len(seeds)} suite pages (seeds {seeds[0]}-{seeds[-1]}) in {work / 'suite'}", file=sys.stderr)
    cpu0, wall0 = child_cpu(), time.perf_counter()
    metas = suite.write_suite(work / "suite", seeds, jobs=jobs)
    generation = {"wall_s": round(time.perf_counter() - wall0, 1), "cpu_s": round(child_cpu() - cpu0, 1),
                  "pages": len(metas), "cached_pages_cost_nothing": True}
    skipped = [m for m in metas if "skipped" in m]
    metas = [m for m in metas if "skipped" not in m]
    conditions = sorted({m["condition"] for m in metas})
    previous, previous_cpu = reused_plain(args.reuse_plain)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    sides = [*PLAIN_SIDES, *(sohoa_side(e) for e in engines)]
    rows: list[dict] = []
    cpu: dict[str, dict[str, float]] = {side: {} for side in sides}
    for condition in conditions:
        group = [m for m in metas if m["condition"] == condition]
        files = [work / "suite" / m["file"] for m in group]
        print(f"… {condition}: {len(files)} pages", file=sys.stderr)
        texts: dict[str, dict[str, str]] = {}
        reuse = {m["id"]: previous[m["id"]] for m in group if m["id"] in previous}
        for psm in (3, 6):
            side = f"tesseract_psm{psm}"
            if len(reuse) == len(group):  # --reuse-plain: the same pages read by the same binary before
                cpu[side][condition] = previous_cpu[side][condition]
                continue
            before = child_cpu()
            texts[side] = read_plain(tesseract, files, psm, jobs)
            cpu[side][condition] = child_cpu() - before
        reports: dict[str, dict[str, dict]] = {}
        for engine in engines:
            side = sohoa_side(engine)
            before = child_cpu()
            texts[side], reports[side] = read_sohoa(files, jobs, work / side / condition, engine)
            cpu[side][condition] = child_cpu() - before
        for m in group:
            truth = (work / "suite" / "gt" / f"{m['id']}.txt").read_text(encoding="utf-8")
            row = {"id": m["id"], "meta": {k: m[k] for k in ("condition", "layout", "font", "pt", "dpi", "rotation",
                                                           "file_mode", "damage", "n_lines", "blank", "file")},
                   "blank": m["blank"], "condition": condition, "layout": m["layout"]}
            for side in sides:
                if side not in texts:
                    row[side] = reuse[m["id"]][side]
                    continue
                counts = error_counts(truth, texts[side][m["id"]])
                row[side] = {"counts": counts, "diacritics": diacritic_counts(truth, texts[side][m["id"]]),
                             "cer": counts["char_edits"] / counts["chars"] if counts["chars"] else None,
                             "hyp_chars": len("".join(texts[side][m["id"]].split()))}
            for engine in engines:
                side = sohoa_side(engine)
                report = reports[side][m["id"]]
                row[side].update({"status": report.get("status"), "said_blank": said_blank(report),
                                  "orientation_deg": (report.get("qc") or {}).get("orientation_deg"),
                                  "reading_score": reading_score(report),
                                  "lines_by_engine": (report.get("qc") or {}).get("lines_by_engine")})
            rows.append(row)
    figures = summarise(rows, cpu, conditions, sides)
    figures.update({"suite": "broad", "sides": sides, "seeds": [seeds[0], seeds[-1]], "jobs": jobs, "cpus": os.cpu_count(),
                    "generation": generation, "skipped": [{"id": m["id"], "why": m["skipped"]} for m in skipped],
                    "pages": rows})
    print_suite(figures)
    out = args.json or work / "bench_ocr_suite.json"
    out.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nfigures written to {out}")
    return 0


def summarise(rows: list[dict], cpu: dict[str, dict[str, float]], conditions: list[str],
              sides: list[str]) -> dict:
    by_condition = {}
    for condition in conditions + ["all"]:
        group = [r for r in rows if condition in ("all", r["condition"])]
        entry = {"pages": len(group)}
        for side in sides:
            seconds = sum(cpu[side].values()) if condition == "all" else cpu[side][condition]
            entry[side] = {**pooled(group, side), "cpu_s_per_page": seconds / max(1, len(group))}
        by_condition[condition] = entry
    by_layout = {layout: {side: pooled([r for r in rows if r["layout"] == layout], side) for side in sides}
                 for layout in sorted({r["layout"] for r in rows})}
    blank_pages = [r for r in rows if r["blank"]]
    return {
        "by_condition": by_condition,
        "by_layout": by_layout,
        "chars_emitted_on_blank_pages": {side: sum(r[side]["hyp_chars"] for r in blank_pages) for side in sides},
        "blank_pages": len(blank_pages),
        "sohoa": {side: sohoa_figures(rows, side) for side in sides if side not in PLAIN_SIDES},
    }


def sohoa_figures(rows: list[dict], side: str) -> dict:
    """Orientation, blank pages, pages worse than psm 3, reading score vs CER, lines by engine of one sohoa side."""
    oriented = [r for r in rows if r["meta"]["n_lines"] >= ORIENTATION_MIN_LINES and not r["blank"]]
    correct = [r for r in oriented if r[side]["orientation_deg"] is not None
               and (r["meta"]["rotation"] + r[side]["orientation_deg"]) % 360 == 0]
    turned = [r for r in oriented if r["meta"]["rotation"]]
    blank_pages = [r for r in rows if r["blank"]]
    worse = [r for r in rows if not r["blank"] and r[side]["cer"] is not None
             and r[side]["cer"] > r["tesseract_psm3"]["cer"] + WORSE_BY]
    scored = [r for r in rows if not r["blank"] and r[side]["reading_score"] is not None]
    lines: dict[str, int] = {}
    for r in rows:
        for engine, n in (r[side].get("lines_by_engine") or {}).items():
            lines[engine] = lines.get(engine, 0) + n
    return {
        "orientation": {"pages": len(oriented), "correct": len(correct),
                        "accuracy": len(correct) / max(1, len(oriented)),
                        "turned_pages": len(turned), "turned_correct": sum(r in correct for r in turned)},
        "blank": {"non_blank_pages_said_blank": [r["id"] for r in rows if not r["blank"] and r[side]["said_blank"]],
                  "blank_pages": len(blank_pages),
                  "blank_pages_said_blank": sum(r[side]["said_blank"] for r in blank_pages)},
        "worse_than_psm3": [{"id": r["id"], "cer": round(r[side]["cer"], 4),
                             "psm3_cer": round(r["tesseract_psm3"]["cer"], 4), **r["meta"]} for r in worse],
        "reading_score_vs_cer": {"pages": len(scored), "spearman": spearman(
            [r[side]["reading_score"] for r in scored], [r[side]["cer"] for r in scored]) if scored else None},
        "lines_by_engine": lines,
    }


def print_suite(figures: dict) -> None:
    sides = figures["sides"]
    pct = lambda v: f"{100 * v:6.2f}" if v is not None else "     -"
    width = 7 * len(sides) - 1
    head = " ".join(f"{short_name(s)[-6:]:>6}" for s in sides)
    columns = (("cer", "CER %"), ("median_cer", "median page CER %"), ("wer", "WER %"),
               ("diacritic_error_rate", "diacritic err %"))
    print("\nsides: " + ", ".join(sides))
    print("\n" + " " * 18 + "".join(f"| {label:^{width}} " for _, label in columns) + f"| {'CPU s/page':^{width}}")
    print(f"{'condition':11} {'pages':>5}  " + f"| {head} " * (len(columns) + 1))
    for name, entry in figures["by_condition"].items():
        cells = "".join("| " + " ".join(pct(entry[s].get(key)) for s in sides) + " " for key, _ in columns)
        cpu_cells = " ".join(f"{entry[s]['cpu_s_per_page']:6.2f}" for s in sides)
        print(f"{name:11} {entry['pages']:5d}  {cells}| {cpu_cells}")
    print(f"\n{'layout':15} {'pages':>5}  " + "".join(f"| {label:^{width}} " for _, label in columns))
    print(" " * 23 + f"| {head} " * len(columns))
    for name, entry in figures["by_layout"].items():
        cells = "".join("| " + " ".join(pct(entry[s].get(key)) for s in sides) + " " for key, _ in columns)
        print(f"{name:15} {entry[sides[-1]].get('pages', 0):5d}  {cells}")
    print(f"\ncharacters emitted on {figures['blank_pages']} blank pages: "
          + ", ".join(f"{short_name(s)} {n}" for s, n in figures["chars_emitted_on_blank_pages"].items()))
    for side, f in figures["sohoa"].items():
        o, b = f["orientation"], f["blank"]
        print(f"\n{side} orientation: {o['correct']}/{o['pages']} pages with ≥ {ORIENTATION_MIN_LINES} lines upright "
              f"({100 * o['accuracy']:.1f} %); turned pages {o['turned_correct']}/{o['turned_pages']}")
        print(f"{side} blank: {len(b['non_blank_pages_said_blank'])} non-blank pages said blank "
              f"{b['non_blank_pages_said_blank'][:10]}; blank pages said blank {b['blank_pages_said_blank']}/{b['blank_pages']}")
        rs = f["reading_score_vs_cer"]
        if rs["pages"]:
            print(f"{side} reading score vs CER: Spearman {rs['spearman']:.3f} over {rs['pages']} pages"
                  if rs["spearman"] is not None else f"{side} reading score vs CER: undefined over {rs['pages']} pages")
        if f["lines_by_engine"]:
            print(f"{side} lines by engine: " + ", ".join(f"{k} {v}" for k, v in sorted(f["lines_by_engine"].items())))
        worse = f["worse_than_psm3"]
        print(f"{side} worse than tesseract psm 3 by > {100 * WORSE_BY:.1f} CER points: {len(worse)} pages")
        for w in worse:
            print(f"  {w['id']} {100 * w['cer']:.2f} % vs psm3 {100 * w['psm3_cer']:.2f} %  {w['condition']} "
                  f"{w['layout']} {w['font']} {w['dpi']} dpi rot {w['rotation']} {w['file_mode']} {','.join(w['damage'])}")
    g = figures["generation"]
    print(f"\nsuite generation: {g['pages']} pages, {g['wall_s']} s wall, {g['cpu_s']} s CPU (pages already in the work "
          "dir cost nothing)")
    for s in figures["skipped"][:1]:
        print(f"skipped {len(figures['skipped'])} pages: {s['why']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dev", nargs="?", type=Path, default=DEFAULT_DEV,
                        help="page set directory (default: ../shared/bench/dev next to the repo)")
    parser.add_argument("--suite", choices=["broad"], default=None,
                        help="generate and read the project's broad synthetic suite instead of a page set")
    parser.add_argument("--seeds", default=None, metavar="A-B",
                        help="suite seeds, e.g. 100000-100299 or 1,5,9-12 (default: from 0, the tuning range)")
    parser.add_argument("--pages", type=int, default=None, metavar="N",
                        help=f"suite pages (default: {SUITE_PAGES}, or all of --seeds)")
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
    parser.add_argument("--reuse-plain", type=Path, default=None, metavar="JSON",
                        help="--suite broad: take plain Tesseract's readings of the same pages from an earlier run's "
                             "figures instead of reading them again (for quick iterations; report figures from a "
                             "full run)")
    args = parser.parse_args(argv)
    if args.suite:
        return suite_main(args)

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
