"""The command line: outputs per page, clear per-page errors, exit status, help."""
import json
import shutil
import unicodedata

import numpy as np
import pytest
from PIL import Image

from ocr_helpers import SHORT
from ocr_engine.cli import main
from ocr_engine.synth import render_page


def test_recognize_writes_text_alto_and_json_per_page(tmp_path, pages, tesseract):
    out = tmp_path / "out"
    assert main(["recognize", "--jobs", "2", "--out", str(out), str(pages["clean"][0]),
                 str(pages["degraded"][0])]) == 0
    text = (out / "clean.txt").read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", text) and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert (out / "degraded.alto.xml").read_bytes().startswith(b"<?xml")
    report = json.loads((out / "degraded.json").read_text(encoding="utf-8"))
    assert report["status"] == "ok" and report["engine"] == "tesseract"
    assert report["qc"]["dpi"] == 200 and report["mean_confidence"] > 0.5
    assert set(report["timings_s"]) == {"load", "preprocess", "ocr"}


def test_bad_pages_are_named_on_stderr_and_good_pages_still_written(tmp_path, pages, tesseract, capsys):
    low, _, _ = render_page(31, dpi=150, doc=SHORT)
    low.save(tmp_path / "low.png")
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "broken.png").write_bytes(pages["clean"][0].read_bytes()[:5000])
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4\n")
    shutil.copy(pages["clean"][0], tmp_path / "good.png")
    out = tmp_path / "out"
    names = ["low.png", "empty.jpg", "broken.png", "scan.pdf", "good.png"]
    status = main(["recognize", "--out", str(out)] + [str(tmp_path / n) for n in names])
    err = capsys.readouterr().err
    assert status == 1
    assert "low: 150 dpi is below the 200 dpi minimum" in err
    assert "empty.jpg: empty file" in err and "broken.png: truncated or corrupt" in err
    assert "scan.pdf: is a PDF" in err
    assert (out / "good.txt").stat().st_size > 0
    assert json.loads((out / "low.json").read_text(encoding="utf-8"))["status"] == "rejected"
    assert not (out / "low.txt").exists()


def test_engine_failure_is_reported_per_page(tmp_path, pages, capsys):
    shutil.copy(pages["clean"][0], tmp_path / "p1.png")
    shutil.copy(pages["clean"][0], tmp_path / "p2-bad.png")
    status = main(["recognize", "--engine", "fake-oom", "--out", str(tmp_path / "o"),
                   str(tmp_path / "p1.png"), str(tmp_path / "p2-bad.png")])
    assert status == 1 and "p2-bad: python" in capsys.readouterr().err
    assert (tmp_path / "o" / "p1.txt").read_text(encoding="utf-8") == "trang\n"
    assert json.loads((tmp_path / "o" / "p2-bad.json").read_text(encoding="utf-8"))["status"] == "failed"


def test_blank_page_is_warned_about_but_written(tmp_path, capsys):
    Image.new("L", (1654, 2339), 255).save(tmp_path / "blank.png", dpi=(200, 200))
    assert main(["recognize", "--engine", "fake-crash", "--out", str(tmp_path / "o"), str(tmp_path / "blank.png")]) == 0
    assert "warning: blank: blank page" in capsys.readouterr().err
    assert (tmp_path / "o" / "blank.txt").read_text() == ""


def test_pdf_command_builds_a_valid_two_layer_pdfa(tmp_path, pages, tesseract):
    out = tmp_path / "hoso.pdf"
    assert main(["pdf", "--jobs", "2", "--out", str(out), "--title", "Hồ sơ 01", "--pages-dir",
                 str(tmp_path / "pages"), str(pages["clean"][0]), str(pages["degraded"][0])]) == 0
    assert out.stat().st_size > 0 and (tmp_path / "pages" / "clean.alto.xml").exists()


def test_unknown_engine_is_a_usage_error(tmp_path, pages, capsys):
    assert main(["recognize", "--engine", "nope", "--out", str(tmp_path), str(pages["clean"][0])]) == 2
    assert "unknown engine 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["recognize", "pdf"])
def test_help_explains_every_option(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    help_text = capsys.readouterr().out
    for option in ("--engine", "--jobs", "--out", "--assume-dpi", "--timeout", "--option"):
        assert option in help_text


def test_fine_scan_is_recognised_smaller_but_reported_in_scan_pixels(tmp_path, pages, tesseract):
    from lxml import etree

    boxes = {}
    for ocr_dpi in ("200", "0"):  # reduced to 200 dpi for recognition, and at the scan's 300 dpi
        out = tmp_path / ocr_dpi
        assert main(["recognize", "--ocr-dpi", ocr_dpi, "--out", str(out), str(pages["clean300"][0])]) == 0
        first = next(etree.parse(str(out / "clean300.alto.xml")).getroot().iter("{*}String"))
        boxes[ocr_dpi] = [int(first.get(k)) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT")]
    assert np.allclose(boxes["200"], boxes["0"], atol=6)
    report = json.loads((tmp_path / "200" / "clean300.json").read_text(encoding="utf-8"))
    assert report["qc"]["dpi"] == 300 and report["qc"]["width"] == 2480


def test_pages_of_the_same_name_in_different_folders_keep_their_folders(tmp_path, capsys):
    """Every vendor batch names its pages 0001.jpg, 0002.jpg… per hồ sơ: one page must not overwrite another."""
    for folder, word in (("hs01", "một"), ("hs02", "hai")):
        (tmp_path / "in" / folder).mkdir(parents=True)
        Image.new("L", (700, 900), 255).save(tmp_path / "in" / folder / "0001.png", dpi=(200, 200))
    out = tmp_path / "out"
    assert main(["recognize", "--engine", "fake-crash", "--out", str(out),
                 str(tmp_path / "in" / "hs01" / "0001.png"), str(tmp_path / "in" / "hs02" / "0001.png")]) == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json")) == ["hs01/0001.json", "hs02/0001.json"]
    assert {json.loads(p.read_text())["source"] for p in out.rglob("*.json")} == {
        str(tmp_path / "in" / "hs01" / "0001.png"), str(tmp_path / "in" / "hs02" / "0001.png")}


@pytest.mark.parametrize("names", [("0001.png", "0001.jpg"), ("0001.png", "0001.png")], ids=["same-stem", "twice"])
def test_two_inputs_that_would_write_the_same_outputs_are_refused_before_anything_is_written(tmp_path, capsys, names):
    for name in set(names):
        Image.new("L", (700, 900), 255).save(tmp_path / name, dpi=(200, 200))
    out = tmp_path / "out"
    assert main(["recognize", "--engine", "fake-crash", "--out", str(out), *(str(tmp_path / n) for n in names)]) == 2
    err = capsys.readouterr().err
    assert "would both write" in err and "0001" in err
    assert not out.exists()
