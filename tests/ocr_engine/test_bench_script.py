import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_ocr.py"


def test_benchmark_skips_cleanly_without_a_page_set(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "absent")], capture_output=True, text=True)
    assert done.returncode == 0 and "not found" in done.stdout and "nothing to do" in done.stdout


def test_benchmark_measures_a_small_page_set(tmp_path, tesseract):
    import json

    from ocr_helpers import SHORT
    from ocr_engine.synth import render_page

    dev = tmp_path / "dev"
    (dev / "gt").mkdir(parents=True)
    (dev / "clean200").mkdir()
    for i in range(2):
        img, gt, _ = render_page(40 + i, dpi=200, doc=SHORT)
        img.save(dev / "clean200" / f"p{i:02d}.png")
        (dev / "gt" / f"p{i:02d}.txt").write_text(gt, encoding="utf-8")
    figures = tmp_path / "figures.json"
    done = subprocess.run([sys.executable, str(SCRIPT), str(dev), "--pdf-variants", "", "--jobs", "2",
                           "--json", str(figures)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    [row] = json.loads(figures.read_text(encoding="utf-8"))["recognize"]
    assert row["variant"] == "clean200" and row["pages"] == 2 and row["cer"] < 0.02
    assert row["s_per_page"] > 0 and row["peak_rss_mb"] > 0
    assert "clean200" in done.stdout


def test_reuse_plain_takes_plain_tesseract_rows_and_cpu_from_an_earlier_run(tmp_path):
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location("bench_ocr", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    side = {"counts": {"char_edits": 1, "chars": 10}, "cer": 0.1, "hyp_chars": 9, "diacritics": {}}
    earlier = {"pages": [{"id": "s000001", "tesseract_psm3": side, "tesseract_psm6": side, "sohoa": side},
                         {"id": "s000002", "tesseract_psm3": side}],  # psm 6 missing: not reusable
               "by_condition": {"clean": {"pages": 2, "tesseract_psm3": {"cpu_s_per_page": 1.5},
                                          "tesseract_psm6": {"cpu_s_per_page": 2.0}}}}
    path = tmp_path / "earlier.json"
    path.write_text(json.dumps(earlier), encoding="utf-8")
    rows, seconds = bench.reused_plain(path)
    assert list(rows) == ["s000001"]
    assert seconds == {"tesseract_psm3": {"clean": 3.0}, "tesseract_psm6": {"clean": 4.0}}
    assert bench.reused_plain(None) == ({}, {})
    assert bench.sohoa_side("tesseract") == "sohoa" and bench.sohoa_side("auto") == "sohoa_auto"
