"""The broad benchmark suite and what it is made of: corpus splits, font set, page generator, benchmark."""
import hashlib
import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from fontTools.ttLib import TTFont

from ocr_engine import benchmetrics, corpus, fontset, suite

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_ocr.py"


# ------------------------------------------------------------------------------------------ corpus
def test_the_split_of_a_sentence_is_the_published_hash_rule():
    for sentence in corpus.sentences("train") + corpus.sentences("eval") + ["  Số: 15/QĐ-UBND ", "Hải Phòng"]:
        digest = hashlib.sha256(unicodedata.normalize("NFC", sentence.strip()).encode()).hexdigest()
        assert corpus.split_of(sentence) == ("eval" if int(digest[:8], 16) % 4 == 0 else "train")


def test_train_and_eval_sentences_are_disjoint_nfc_and_in_a_fixed_order():
    train, evaluation = corpus.sentences("train"), corpus.sentences("eval")
    assert train and evaluation and not set(train) & set(evaluation)
    assert all(unicodedata.is_normalized("NFC", s) for s in train + evaluation)
    assert all(corpus.split_of(s) == "eval" for s in evaluation)
    for source in corpus.SOURCES:
        assert corpus.sentences("eval", source) and set(corpus.sentences("eval", source)) <= set(evaluation)
    assert corpus.sentences("train") == train
    with pytest.raises(ValueError):
        corpus.sentences("test")


def test_generated_lines_follow_their_seed_and_cover_every_kind():
    a = corpus.generated_lines(np.random.default_rng(3), 50)
    assert a == corpus.generated_lines(np.random.default_rng(3), 50)
    assert a != corpus.generated_lines(np.random.default_rng(4), 50)
    for kind in corpus.GENERATED_KINDS:
        line = corpus.generated_line(np.random.default_rng(1), kind)
        assert line.strip() and unicodedata.is_normalized("NFC", line)
    money = corpus.generated_line(np.random.default_rng(2), "money")
    assert money.endswith(" đồng") and money.split(": ")[1].split()[0].replace(".", "").isdigit()


# ------------------------------------------------------------------------------------------ fonts
def test_at_least_eight_families_of_serif_sans_and_mono_cover_every_vietnamese_letter():
    families = fontset.available()
    assert len(families) >= 8, f"install the fonts of scripts/setup.sh ({', '.join(fontset.debian_packages())})"
    assert {fontset.FAMILIES[f]["kind"] for f in families} == {"serif", "sans", "mono"}
    assert len(fontset.VIETNAMESE) == 186 and "Ặ" in fontset.VIETNAMESE and "đ" in fontset.VIETNAMESE
    for family in families:
        for style, path in fontset.styles(family).items():
            cmap = TTFont(str(path), lazy=True).getBestCmap()
            missing = [c for c in fontset.VIETNAMESE if ord(c) not in cmap]
            assert not missing, (family, style, missing)


def test_two_families_one_serif_one_mono_are_held_out_of_training():
    kinds = sorted(fontset.FAMILIES[f]["kind"] for f in fontset.EVAL_ONLY_FAMILIES)
    assert kinds == ["mono", "serif"]
    assert set(fontset.EVAL_ONLY_FAMILIES) <= set(fontset.available())
    assert not set(fontset.EVAL_ONLY_FAMILIES) & set(fontset.training_families())


def test_a_missing_style_falls_back_to_the_nearest_one():
    assert fontset.nearest_style("eb_garamond", "bold_italic") == "italic"
    assert fontset.nearest_style("eb_garamond", "bold") == "regular"
    assert fontset.font("liberation_serif", "bold", 40) is fontset.font("liberation_serif", "bold", 40)


# ------------------------------------------------------------------------------------------ pages
def test_the_same_seed_gives_the_same_pixels_and_ground_truth():
    a_img, a_gt, a_meta = suite.make_page(12, condition="heavy")
    b_img, b_gt, b_meta = suite.make_page(12, condition="heavy")
    assert np.array_equal(np.asarray(a_img), np.asarray(b_img)) and a_gt == b_gt and a_meta == b_meta
    assert a_img.info["dpi"] == (a_meta["dpi"],) * 2


@pytest.mark.parametrize("layout", list(suite.LAYOUTS))
def test_every_layout_renders_with_ground_truth_and_only_the_blank_page_has_none(layout):
    image, gt, meta = suite.make_page(40, layout=layout, condition="clean")
    lines = gt.splitlines()
    assert meta["layout"] == layout and meta["n_lines"] == len(lines)
    if layout == "blank":
        assert gt == "" and meta["blank"] and np.asarray(image).min() >= 200
    else:
        assert lines and all(l.strip() and unicodedata.is_normalized("NFC", l) for l in lines) and not meta["blank"]
    if layout == "one_line" or layout == "page_number":
        assert len(lines) == 1
    if layout == "margin_note":
        assert lines[-1] == meta["note"] and meta["note_in_gt"]
    if layout in suite.COLOUR_LAYOUTS:
        assert image.mode == "RGB"


def test_benchmark_text_comes_from_the_eval_split_only():
    evaluation = set(corpus.sentences("eval"))
    train = [s for s in corpus.sentences("train") if len(s) > 60]
    for seed in range(6):
        _, gt, _ = suite.make_page(seed, layout="full", condition="clean")
        flat = " ".join(gt.split())
        assert not any(s in flat for s in train)
        assert any(s.removeprefix("- ") in flat for s in evaluation if len(s) > 60) or "Điều" in flat or "Giao" in flat


def test_turned_pages_are_turned_clockwise_and_keep_the_upright_ground_truth():
    seed = next(s for s in range(200) if suite.plan(s)["rotation"] == 90 and suite.plan(s)["condition"] != "augraphy")
    upright, lines, _ = suite.render(seed)
    image, gt, meta = suite.make_page(seed, condition="clean")
    assert meta["rotation"] == 90 and gt.splitlines() == lines
    arr = np.asarray(image)
    assert arr.shape[:2] == upright.shape[:2][::-1]
    assert np.array_equal(arr, np.rot90(upright, k=-1))


def test_typewriter_pages_use_a_mono_family_with_ribbon_wear():
    _, _, meta = suite.make_page(7, condition="typewriter", layout="short")
    assert meta["font_kind"] == "mono" and "ribbon" in meta["damage"]


def test_written_suite_has_images_ground_truth_and_meta_and_reuses_them(tmp_path):
    seeds = [s for s in range(30) if suite.plan(s)["condition"] != "augraphy"][:3]
    metas = suite.write_suite(tmp_path, seeds, jobs=1)
    for m in metas:
        assert (tmp_path / m["file"]).is_file() and m["file"].startswith(m["condition"] + "/")
        assert (tmp_path / "gt" / f"{m['id']}.txt").is_file()
        assert json.loads((tmp_path / "meta" / f"{m['id']}.json").read_text(encoding="utf-8")) == m
    first = (tmp_path / metas[0]["file"]).stat().st_mtime_ns
    assert suite.write_suite(tmp_path, seeds[:1], jobs=1) == metas[:1]
    assert (tmp_path / metas[0]["file"]).stat().st_mtime_ns == first


def test_seed_ranges_parse():
    assert suite.seeds_from("100000-100002") == [100000, 100001, 100002]
    assert suite.seeds_from("1,4,9-11") == [1, 4, 9, 10, 11]


# ------------------------------------------------------------------------------------ benchmetrics
def test_diacritic_errors_count_only_letters_that_differ_in_their_marks():
    counts = benchmetrics.diacritic_counts("Đặng Thị Ánh\n", "Dang Thị Anh x")
    assert counts["diacritic_errors"] == 3  # Đ→D, ặ→a, Á→A; the extra " x" is not a diacritic error
    assert counts["marked_chars"] == 4 and counts["chars"] == len("Đặng Thị Ánh")
    assert benchmetrics.diacritic_counts("abc", "abd")["diacritic_errors"] == 0


def test_spearman_uses_average_ranks_and_is_undefined_for_constant_input():
    assert benchmetrics.ranks([3, 1, 3, 2]).tolist() == [3.5, 1.0, 3.5, 2.0]
    assert benchmetrics.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert benchmetrics.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert benchmetrics.spearman([1, 1, 1], [1, 2, 3]) is None


# ------------------------------------------------------------------------------------ benchmark
@pytest.mark.slow
def test_broad_benchmark_runs_end_to_end_on_four_pages(tmp_path, tesseract):
    figures = tmp_path / "figures.json"
    done = subprocess.run([sys.executable, str(SCRIPT), "--suite", "broad", "--pages", "4", "--jobs", "2",
                           "--engines", "tesseract,auto", "--work", str(tmp_path / "work"), "--json", str(figures)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(figures.read_text(encoding="utf-8"))
    assert len(result["pages"]) + len(result["skipped"]) == 4
    assert result["sides"] == ["tesseract_psm3", "tesseract_psm6", "sohoa", "sohoa_auto"]
    everything = result["by_condition"]["all"]
    for side in result["sides"]:
        assert everything[side]["cpu_s_per_page"] > 0
        assert 0 <= everything[side]["cer"] < 1.5
    assert set(result["sohoa"]) == {"sohoa", "sohoa_auto"}
    assert set(result["sohoa"]["sohoa_auto"]["lines_by_engine"]) <= {"tesseract", "neural"}
    assert sum(result["sohoa"]["sohoa_auto"]["lines_by_engine"].values()) > 0
    assert "orientation" in result["sohoa"]["sohoa"] and "worse_than_psm3" in result["sohoa"]["sohoa"]
    assert "condition" in done.stdout and "sohoa worse than tesseract psm 3" in done.stdout
    assert "sohoa_auto lines by engine" in done.stdout
