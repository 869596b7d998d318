"""The neural recogniser's run-time pieces: character set, line normalisation, CTC decoding, batching,
model loading and the ``neural`` engine. Fast, CPU only, no PyTorch (the main venv has none)."""
from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from ocr_engine import engines
from ocr_engine.engines import neural as neural_engine
from ocr_engine.errors import EngineError, EngineUnavailable, ModelError
from ocr_engine.model import Box, PageImage, PageText
from ocr_engine.neural import charset, decode, infer, lineimage, tesslayout

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = infer.default_model_dir()
HAVE_MODEL = (SHIPPED / infer.ONNX_NAME).is_file() and (SHIPPED / infer.META_NAME).is_file()


# ---------------------------------------------------------------------------------------------- charset
def test_charset_spells_every_vietnamese_letter_in_both_cases():
    word = "Cộng hòa xã hội chủ nghĩa Việt Nam: Độc lập - Tự do - Hạnh phúc; ỲỶỸÝỴ ỳỷỹýỵ ĂẰẲẴẮẶ ƯỪỬỮỨỰ"
    assert charset.encodable(word)
    assert charset.decode(charset.encode(word)) == word
    assert len(set(charset.CHARS)) == len(charset.CHARS)
    assert all(unicodedata.is_normalized("NFC", c) for c in charset.CHARS)


def test_normalise_text_folds_look_alikes_and_decomposed_marks():
    assert charset.normalise_text("Ðà  Nẵng\u00a0") == "Đà Nẵng"
    assert charset.normalise_text(unicodedata.normalize("NFD", "Tiếng Việt")) == "Tiếng Việt"


# ------------------------------------------------------------------------------------------- line image
@pytest.mark.parametrize("shape,value", [((1, 20000), 0), ((1, 20000), 255), ((1, 1), 0), ((200, 3), 255),
                                         ((32, 400), 0), ((32, 400), 255), ((5000, 40), 128)])
def test_degenerate_line_crops_normalise_to_blank_inputs_of_legal_size(shape, value):
    out = lineimage.normalise(np.full(shape, value, np.uint8))
    assert out.shape[0] == lineimage.HEIGHT
    assert lineimage.MIN_WIDTH <= out.shape[1] <= lineimage.MAX_WIDTH
    assert out.shape[1] % lineimage.WIDTH_STEP == 0
    assert out.dtype == np.float32 and not out.any()  # no contrast: nothing to read


def test_normalise_makes_ink_one_and_paper_zero_whatever_the_contrast():
    faded = np.full((40, 200), 210, np.uint8)
    faded[15:25, 20:180] = 150  # grey ink on grey paper
    out = lineimage.normalise(faded)
    assert out.shape == (32, 160)
    assert out.max() == pytest.approx(1.0) and out[0].max() == 0.0


def test_normalise_refuses_a_colour_or_empty_array():
    with pytest.raises(ValueError):
        lineimage.normalise(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ValueError):
        lineimage.normalise(np.zeros((0, 10), np.uint8))


# ------------------------------------------------------------------------------------------------ decode
def logits_for(path: list[int], confidence: float = 8.0) -> np.ndarray:
    out = np.zeros((len(path), charset.NUM_CLASSES), np.float32)
    out[np.arange(len(path)), path] = confidence
    return out


def test_greedy_decode_collapses_repeats_and_keeps_letters_split_by_a_blank():
    a, n, space = charset.INDEX["a"], charset.INDEX["n"], charset.INDEX[" "]
    text, d = decode.greedy_decode(logits_for([0, a, a, 0, n, 0, n, space, a, 0]))
    assert text == "ann a"
    assert d.spans == ((1, 2), (4, 4), (6, 6), (7, 7), (8, 8))
    assert all(0.9 < p <= 1.0 for p in d.probs)


def test_greedy_decode_of_nothing_is_empty():
    assert decode.greedy_decode(np.zeros((0, charset.NUM_CLASSES), np.float32))[0] == ""
    assert decode.greedy_decode(logits_for([0, 0, 0]))[0] == ""


def _soft(rows: list[dict[int, float]]) -> np.ndarray:
    """Logits whose softmax gives, per frame, the probabilities in *rows* (the rest spread thin)."""
    out = np.full((len(rows), charset.NUM_CLASSES), -20.0, np.float32)
    for t, row in enumerate(rows):
        for k, p in row.items():
            out[t, k] = np.log(p)
    return out


def _frames(text: str, doubt: dict[int, dict[str, float]] | None = None) -> list[dict[int, float]]:
    """Frames spelling *text* (char, blank, ...); character i uncertain as *doubt*[i] says."""
    rows = []
    for i, ch in enumerate(text):
        rows.append({charset.INDEX[c]: p for c, p in (doubt or {}).get(i, {ch: 0.99}).items()})
        rows.append({charset.BLANK: 0.99})
    return rows


def test_beam_decode_takes_the_reading_the_language_model_knows():
    """The CTC slightly prefers "liẹu" (no such syllable); the syllable LM makes "tài liệu" win."""
    text = "tài liệu lưu trữ"
    logits = _soft(_frames(text, {6: {"ẹ": 0.55, "ệ": 0.44}}))
    assert decode.greedy_decode(logits)[0] == "tài liẹu lưu trữ"
    best, d = decode.beam_decode(logits)
    assert best == text
    assert len(d.spans) == len(text) == len(d.probs)
    assert all(a <= b for a, b in d.spans) and all(d.spans[i][1] < d.spans[i + 1][0] for i in range(len(text) - 1))


def test_beam_decode_agrees_with_greedy_on_a_sure_line_and_keeps_repeats_apart():
    a, n, space = charset.INDEX["a"], charset.INDEX["n"], charset.INDEX[" "]
    logits = logits_for([0, a, a, 0, n, 0, n, space, a, 0])
    assert decode.beam_decode(logits)[0] == decode.greedy_decode(logits)[0] == "ann a"
    assert decode.beam_decode(logits)[1].spans == ((1, 2), (4, 4), (6, 6), (7, 7), (8, 8))
    assert decode.beam_decode(np.zeros((0, charset.NUM_CLASSES), np.float32))[0] == ""


def test_beam_decode_reads_the_same_however_long_the_runs_of_sure_blanks():
    """A run of sure blanks counts as its first frame: tripling every blank changes neither the words nor
    the characters' probabilities."""
    text = "tài liệu lưu trữ"
    rows = _frames(text, {6: {"ẹ": 0.55, "ệ": 0.44}, 10: {"ư": 0.6, "u": 0.4}})
    longer = [r for row in rows for r in ([row] * (3 if charset.BLANK in row else 1))]
    short, long = decode.beam_decode(_soft(rows)), decode.beam_decode(_soft(longer))
    assert short[0] == long[0] == text
    assert short[1].probs == long[1].probs
    assert [b - a for a, b in short[1].spans] == [b - a for a, b in long[1].spans]


class _NoModel:
    def __getattr__(self, name):
        raise AssertionError("the beam searched a line whose best path is dirt")


def test_beam_decode_leaves_a_line_read_as_dirt_or_as_nothing_to_its_best_path():
    """Flat frames (speckle read as text) and a line of blanks are not searched: the best path is the reading."""
    rows = [{charset.INDEX["a"]: 0.3, charset.INDEX[" "]: 0.25, charset.INDEX["b"]: 0.2, charset.BLANK: 0.25}
            if t % 2 else {charset.INDEX["b"]: 0.35, charset.INDEX[" "]: 0.3, charset.BLANK: 0.35} for t in range(40)]
    logits = _soft(rows)
    best = decode.beam_decode(logits, _NoModel())
    assert best == decode.greedy_decode(logits)
    assert np.mean(best[1].probs) < decode.DIRT_PROB
    nothing = _soft([{charset.BLANK: 0.9, charset.INDEX["a"]: 0.05, charset.INDEX[" "]: 0.05}] * 50)
    assert decode.beam_decode(nothing, _NoModel()) == decode.greedy_decode(nothing) == ("", decode.Decoded("", (), ()))


def test_recogniser_decodes_with_the_beam_by_default():
    assert infer.Recogniser(lambda x: x).decode is decode.beam_decode


# ---------------------------------------------------------------------------------------------- batching
def test_plan_batches_sorts_by_width_bounds_lines_and_pixels_and_keeps_every_line_once():
    rng = np.random.default_rng(0)
    widths = [int(w) for w in rng.integers(8, 3000, 500)] + [4096]
    batches = infer.plan_batches(widths, max_lines=16, max_pixels=16 * 32 * 800)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(widths)))
    assert [widths[i] for i in flat] == sorted(widths)
    for b in batches:
        assert len(b) <= 16
        assert len(b) == 1 or max(widths[i] for i in b) * 32 * len(b) <= 16 * 32 * 800
        assert len({-(-widths[i] // infer.WIDTH_BUCKET) for i in b}) == 1  # one padded width per batch


def test_pad_batch_left_aligns_lines_and_pads_with_paper():
    a, b = np.ones((32, 8), np.float32), np.ones((32, 16), np.float32)
    x = infer.pad_batch([a, b], bucket=4)
    assert x.shape == (2, 1, 32, 16)
    assert x[0, 0, :, :8].all() and not x[0, 0, :, 8:].any() and x[1].all()
    assert infer.pad_batch([a, b]).shape == (2, 1, 32, infer.WIDTH_BUCKET)


def counting_model(x: np.ndarray) -> np.ndarray:
    """A fake model that spells, per line, how many of its input columns hold ink (padding holds none)."""
    n, _, _, w = x.shape
    logits = np.zeros((n, w // 4, charset.NUM_CLASSES), np.float32)
    logits[:, :, charset.BLANK] = 10.0  # peaky, as a trained model's frames are
    for row in range(n):
        for k, digit in enumerate(str(int((x[row, 0] > 0).any(axis=0).sum()))):
            logits[row, 2 * k, charset.INDEX[digit]] = 15.0
    return logits


def test_recogniser_returns_readings_in_input_order_whatever_the_batching():
    widths = [300, 40, 1000, 40, 120, 640, 8, 2000, 96]
    crops = [np.zeros((32, w), np.uint8) for w in widths]  # ink below paper: every column counts
    for c in crops:
        c[:16] = 255
    readings = infer.Recogniser(counting_model, max_lines=3, max_pixels=32 * 2000 * 2).read(crops)
    assert [r.text for r in readings] == [str(w) for w in widths]


def width_model(x: np.ndarray) -> np.ndarray:
    """A fake model that spells, on every line, the width its batch was padded to."""
    n, _, _, w = x.shape
    logits = np.zeros((n, w // 4, charset.NUM_CLASSES), np.float32)
    logits[:, :, charset.BLANK] = 10.0
    for k, digit in enumerate(str(w)):
        logits[:, 2 * k, charset.INDEX[digit]] = 15.0
    return logits


def test_a_line_is_padded_alike_in_a_batch_and_alone():
    """Padding changes what a bidirectional model reads at a line's end: no line is padded for a wider one."""
    widths = [300, 40, 1000, 40, 120, 640, 8, 2000, 96, 310, 1010, 990]
    crops = [np.full((32, w), 255, np.uint8) for w in widths]
    batched = infer.Recogniser(width_model, decoder="greedy").read(crops)
    alone = [infer.Recogniser(width_model, decoder="greedy").read([c])[0] for c in crops]
    assert [r.text for r in batched] == [r.text for r in alone]


def test_reading_maps_character_spans_back_to_crop_pixels():
    crop = np.zeros((64, 400), np.uint8)  # scaled by 1/2 to 32 px: one frame = 8 crop pixels
    crop[:32] = 255
    reading = infer.Recogniser(counting_model).read([crop])[0]
    assert reading.text == "200"
    assert reading.char_x[0] == (0.0, 8.0) and reading.char_x[1] == (16.0, 24.0)


def test_words_are_split_at_spaces_with_page_boxes_and_confidences():
    reading = infer.LineReading("Số 15", ((0, 8), (8, 16), (16, 24), (24, 32), (32, 40)), (0.9, 0.8, 0.5, 1.0, 1.0))
    words = neural_engine.words_of(reading, Box(100, 50, 200, 80), Box(105, 55, 195, 78))
    assert [w.text for w in words] == ["Số", "15"]
    assert words[0].box == Box(100, 55, 116, 78) and words[1].box == Box(124, 55, 140, 78)
    assert words[0].confidence == pytest.approx((0.9 * 0.8) ** 0.5, abs=1e-4)


TSV_HEAD = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"


def test_line_boxes_come_from_tsv_level_four_and_skip_specks():
    tsv = (TSV_HEAD + "1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t\n"
           "4\t1\t1\t1\t1\t0\t10\t20\t300\t40\t-1\t\n"
           "5\t1\t1\t1\t1\t1\t10\t20\t100\t40\t90\tSố\n"
           "5\t1\t1\t1\t1\t2\t130\t20\t180\t40\t90\t15/QĐ\n"
           "4\t1\t1\t1\t2\t0\t10\t90\t3\t3\t-1\t\n")
    assert neural_engine.line_boxes(tsv, what="p1") == [[Box(10, 20, 310, 60)]]


def test_a_line_joining_two_header_blocks_is_read_in_two_pieces():
    tsv = (TSV_HEAD + "4\t1\t1\t1\t1\t0\t100\t200\t1800\t50\t-1\t\n"
           "5\t1\t1\t1\t1\t1\t100\t200\t200\t50\t90\tUBND\n"
           "5\t1\t1\t1\t1\t2\t320\t200\t300\t50\t90\tTHÀNH\n"
           "5\t1\t1\t1\t1\t3\t1000\t200\t400\t50\t90\tCỘNG\n"
           "5\t1\t1\t1\t1\t4\t1450\t200\t450\t50\t90\tHÒA\n")
    assert neural_engine.line_boxes(tsv, what="p1") == [[Box(100, 200, 620, 250), Box(1000, 200, 1900, 250)]]
    with pytest.raises(EngineError, match="p1: tesseract output is not TSV"):
        neural_engine.line_boxes("Error: bad", what="p1")


def test_crop_pads_above_for_tone_marks_and_stays_on_the_page():
    page = np.full((100, 100), 255, np.uint8)
    crop, box = neural_engine.crop_line(page, Box(0, 50, 100, 75))
    assert box == Box(0, 47, 100, 76) and crop.shape == (29, 100)


# ------------------------------------------------------------------------------------------ model files
def write_model(tmp: Path, **meta_changes) -> Path:
    meta = {"format": infer.MODEL_FORMAT, "format_version": infer.MODEL_FORMAT_VERSION,
            "charset_version": charset.CHARSET_VERSION, "chars": charset.CHARS,
            "height": lineimage.HEIGHT, "width_step": lineimage.WIDTH_STEP} | meta_changes
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / infer.META_NAME).write_text(json.dumps(meta), encoding="utf-8")
    return tmp


def test_missing_model_names_the_file_and_how_to_rebuild_it(tmp_path):
    with pytest.raises(ModelError, match=r"model\.json is missing.*train_recogniser\.py"):
        infer.open_session(tmp_path)
    write_model(tmp_path)
    with pytest.raises(ModelError, match=r"crnn\.onnx is missing.*--export"):
        infer.open_session(tmp_path)


def test_model_of_another_version_or_charset_is_refused(tmp_path):
    with pytest.raises(ModelError, match="format"):
        infer.load_metadata(write_model(tmp_path / "a", format_version=99))
    with pytest.raises(ModelError, match="character set"):
        infer.load_metadata(write_model(tmp_path / "b", charset_version="0123", chars="abc"))
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / infer.META_NAME).write_bytes(b"\xff\xfe{")
    with pytest.raises(ModelError, match="unreadable"):
        infer.load_metadata(tmp_path / "c")


def test_truncated_or_corrupt_model_is_refused_with_the_file_named(tmp_path):
    model = write_model(tmp_path, onnx_sha256="0" * 64)
    (model / infer.ONNX_NAME).write_bytes(b"\x08\x07onnx-but-cut-off")
    with pytest.raises(ModelError, match=r"crnn\.onnx.*truncated or replaced"):
        infer.open_session(model)
    no_sum = write_model(tmp_path / "nosum")
    (no_sum / infer.ONNX_NAME).write_bytes(b"\x08\x07onnx-but-cut-off")
    with pytest.raises(ModelError, match=r"crnn\.onnx cannot be loaded"):
        infer.open_session(no_sum)


def test_cpu_takes_the_int8_model_where_model_json_lists_one_and_cuda_the_fp32(tmp_path):
    meta = {"onnx_sha256": "f" * 64, "int8": {"file": "crnn-int8.onnx", "sha256": "8" * 64}}
    cpu, cuda = ["CPUExecutionProvider"], ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert infer.model_file(tmp_path, meta, "auto", cpu) == (tmp_path / "crnn-int8.onnx", "8" * 64, "int8")
    assert infer.model_file(tmp_path, meta, "auto", cuda) == (tmp_path / infer.ONNX_NAME, "f" * 64, "fp32")
    assert infer.model_file(tmp_path, meta, "fp32", cpu)[2] == "fp32"
    assert infer.model_file(tmp_path, meta, "int8", cuda)[2] == "int8"
    assert infer.model_file(tmp_path, {"onnx_sha256": "f" * 64}, "auto", cpu)[2] == "fp32"
    with pytest.raises(ModelError, match=r"model\.json lists no int8 model.*--quantize"):
        infer.model_file(tmp_path, {}, "int8", cpu)
    with pytest.raises(ValueError, match="precision"):
        infer.model_file(tmp_path, meta, "fp16", cpu)


def test_missing_or_truncated_int8_model_is_refused_with_the_file_named(tmp_path):
    model = write_model(tmp_path, int8={"file": "crnn-int8.onnx", "sha256": "0" * 64})
    (model / infer.ONNX_NAME).write_bytes(b"\x08\x07an-fp32-file")
    with pytest.raises(ModelError, match=r"crnn-int8\.onnx is missing.*--export --quantize"):
        infer.open_session(model, precision="int8")
    (model / "crnn-int8.onnx").write_bytes(b"\x08\x07onnx-but-cut-off")
    with pytest.raises(ModelError, match=r"crnn-int8\.onnx \(\d+ bytes\).*truncated or replaced"):
        infer.open_session(model, precision="int8")


def test_engine_refuses_an_unknown_precision():
    with pytest.raises(EngineUnavailable, match="precision must be one of auto, fp32, int8"):
        engines.get_engine("neural", precision="fp16")


def _text_page(lines: list[str], *, size=(1240, 1754), px: int = 34) -> np.ndarray:
    """A white 150 dpi A4 page with *lines* of DejaVu Sans (or PIL's default font) from the top left."""
    from PIL import Image, ImageDraw, ImageFont
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", px)
    except OSError:
        font = ImageFont.load_default(px)
    img = Image.new("L", size, 255)
    for i, text in enumerate(lines):
        ImageDraw.Draw(img).text((120, 150 + i * 2 * px), text, font=font, fill=0)
    return np.asarray(img)


PAGE_LINES = ["Căn cứ Luật Lưu trữ ngày 21 tháng 6 năm 2024;", "Quyết định này có hiệu lực kể từ ngày ký.",
              "Ủy ban nhân dân thành phố Hải Phòng đề nghị các sở thực hiện."]


@pytest.mark.skipif(not tesslayout.available() or shutil.which("tesseract") is None,
                    reason="needs Debian tesseract-ocr (libtesseract5, vie)")
def test_layout_alone_finds_the_lines_the_cli_tsv_finds():
    from ocr_engine._exec import tesseract as tess
    from ocr_engine.engines import tesseract as tesseract_engine
    page = _text_page(PAGE_LINES)
    alone = tesslayout.lines(page, lang="vie", psm=3, dpi=150)
    tsv = tesseract_engine.tsv_lines(tess.tsv(cv2_pgm(page), what="page", lang="vie", psm=3, dpi=150, timeout=60),
                                     what="page")
    assert len(alone) == len(tsv) == len(PAGE_LINES)
    assert [line.key for line in alone] == [line.key for line in tsv]
    for a, t in zip(alone, tsv):
        assert a.words == () and len(a.spans) == len(t.spans) == len(t.words)
        corners = [(a.box.x0, t.box.x0), (a.box.y0, t.box.y0), (a.box.x1, t.box.x1), (a.box.y1, t.box.y1)]
        assert max(abs(u - v) for u, v in corners) <= 3, (a.box, t.box)
    assert tesslayout.lines(np.full((800, 600), 255, np.uint8), lang="vie", psm=3, dpi=150) == []
    with pytest.raises(ValueError, match="2-D uint8"):
        tesslayout.lines(np.zeros((10, 10, 3), np.uint8), lang="vie", psm=3, dpi=150)


@pytest.mark.skipif(not tesslayout.available(), reason="needs Debian libtesseract5 with vie")
def test_layout_alone_is_the_same_from_several_threads_at_once():
    from concurrent.futures import ThreadPoolExecutor
    pages = [_text_page(PAGE_LINES[:k]) for k in (1, 2, 3)] * 2
    alone = [tesslayout.lines(p, lang="vie", psm=3, dpi=150) for p in pages]
    with ThreadPoolExecutor(3) as pool:
        together = list(pool.map(lambda p: tesslayout.lines(p, lang="vie", psm=3, dpi=150), pages))
    assert together == alone and [len(x) for x in alone] == [1, 2, 3] * 2
    made = len(tesslayout._handles)  # each holds a loaded model: new threads (a new call) reuse them
    assert made <= 4
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda p: tesslayout.lines(p, lang="vie", psm=3, dpi=150), pages))
    assert len(tesslayout._handles) == made


def test_neural_takes_the_layout_alone_and_auto_the_cli_reading():
    assert engines.get_engine("auto")._in_process() is False
    assert engines.get_engine("neural", layout="cli")._in_process() is False
    assert engines.get_engine("neural")._in_process() is tesslayout.available()
    with pytest.raises(EngineUnavailable, match="layout must be auto or cli"):
        engines.get_engine("neural", layout="none")


def cv2_pgm(page: np.ndarray) -> bytes:
    import cv2
    return cv2.imencode(".pgm", page)[1].tobytes()


def test_engine_without_a_model_is_unavailable_with_a_clear_message(tmp_path):
    engine = engines.get_engine("neural", model_dir=tmp_path)
    with pytest.raises(EngineUnavailable, match=r"engine neural: .*model\.json is missing"):
        engine.recognize([PageImage("p1", np.full((100, 100), 255, np.uint8), 300.0)])


@pytest.fixture
def fake_recogniser(monkeypatch):
    rec = infer.Recogniser(counting_model, {"arch": "fake", "step": 0})
    monkeypatch.setattr(infer, "shared", lambda model_dir=None, threads=1, precision="auto": rec)
    return rec


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs Debian tesseract-ocr")
def test_page_without_lines_gives_an_empty_page_not_an_error(fake_recogniser):
    out = engines.get_engine("neural").recognize([PageImage("blank", np.full((800, 600), 255, np.uint8), 300.0)])
    assert isinstance(out[0], PageText) and out[0].lines == []


# ------------------------------------------------------------------------------------------ training script
def load_training_script():
    spec = importlib.util.spec_from_file_location("train_recogniser", ROOT / "scripts" / "train_recogniser.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_training_corpus_with_invalid_utf8_names_the_file_and_line(tmp_path):
    bad = tmp_path / "corpus.txt"
    bad.write_bytes("Một dòng đúng\nHai dòng\n".encode() + b"sai \xc3\x28 ch\xe1\n")
    script = load_training_script()
    with pytest.raises(script.CorpusError, match=rf"{bad}: line 3: invalid UTF-8"):
        script.read_text_file(bad)


def test_annealing_schedule_warms_up_peaks_and_decays_to_its_end_rate():
    """A run continued with --init --anneal N: a fresh optimiser warms up to --lr, then a cosine decay reaches
    ANNEAL_END_LR after N steps (counted from the checkpoint's step); without it the old schedule is unchanged."""
    script = load_training_script()
    anneal = {"from_step": 12_493, "steps": 5_000, "lr": 1e-4}
    at = [script.lr_at(12_493 + k, anneal) for k in (0, script.ANNEAL_WARMUP_STEPS - 1, 2_500, 4_999, 5_000)]
    assert at[0] < at[1] == pytest.approx(1e-4, rel=1e-3)
    assert at[1] > at[2] > at[3] == pytest.approx(script.ANNEAL_END_LR, rel=1e-3)
    assert at[4] == script.ANNEAL_END_LR
    assert script.lr_at(20_000) == script.lr_at(20_000, None) >= script.MIN_LR


def test_training_script_help_runs_without_torch():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "train_recogniser.py"), "--help"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert "--resume" in out and "--export" in out and "Examples" in out


# ------------------------------------------------------------------------------------ the shipped model
@pytest.mark.skipif(not HAVE_MODEL, reason="no exported model in ocr_engine/data/neural")
def test_shipped_model_reads_a_clean_line_of_a_font_it_never_saw():
    from PIL import Image, ImageDraw

    from ocr_engine import fontset
    from ocr_engine.metrics import error_counts
    family = fontset.EVAL_ONLY_FAMILIES[0]
    if family not in fontset.available():
        pytest.skip(f"font {family} not installed")
    texts = ["Căn cứ Luật Lưu trữ ngày 21 tháng 6 năm 2024;", "Quyết định này có hiệu lực kể từ ngày ký.",
             "Số: 15/QĐ-UBND", "Ủy ban nhân dân thành phố Hải Phòng"]
    crops = []
    for text in texts:
        font = fontset.font(family, "regular", 50)  # 12 pt at 300 dpi
        left, top, right, bottom = font.getbbox(text)
        img = Image.new("L", (right - left + 30, bottom - top + 16), 255)
        ImageDraw.Draw(img).text((15 - left, 10 - top), text, font=font, fill=0)
        crops.append(np.asarray(img))
    readings = infer.shared().read(crops)
    counts = [error_counts(t, r.text) for t, r in zip(texts, readings)]
    cer = sum(c["char_edits"] for c in counts) / sum(c["chars"] for c in counts)
    assert cer <= 0.05, [r.text for r in readings]
    alone = [infer.shared().read([c])[0] for c in crops + [c[:, : c.shape[1] // 2] for c in crops]]
    batched = infer.shared().read(crops + [c[:, : c.shape[1] // 2] for c in crops])
    assert [(r.text, r.char_probs) for r in batched] == [(r.text, r.char_probs) for r in alone]


@pytest.mark.skipif(not HAVE_MODEL, reason="no exported model in ocr_engine/data/neural")
def test_shipped_int8_model_is_made_from_the_shipped_fp32_and_reads_as_well():
    """model.json ties the int8 file to the fp32 one it was quantised from; both read the same unseen-font
    lines within a few characters of each other (validation: within 0.05 CER points)."""
    from PIL import Image, ImageDraw

    from ocr_engine import fontset
    from ocr_engine.metrics import error_counts
    meta = infer.load_metadata(SHIPPED)
    assert meta["int8"]["from_sha256"] == meta["onnx_sha256"]
    assert meta["int8"]["val_cer_int8"]["all"] <= meta["int8"]["val_cer_fp32"]["all"] + 0.0005
    family = fontset.EVAL_ONLY_FAMILIES[0]
    if family not in fontset.available():
        pytest.skip(f"font {family} not installed")
    texts = ["Ủy ban nhân dân tỉnh Nghệ An đề nghị các sở, ngành khẩn trương thực hiện;",
             "Giám đốc Sở Nội vụ, Chánh Văn phòng và Thủ trưởng các cơ quan chịu trách nhiệm thi hành."]
    crops = []
    for text in texts:
        font = fontset.font(family, "regular", 50)
        left, top, right, bottom = font.getbbox(text)
        img = Image.new("L", (right - left + 30, bottom - top + 16), 255)
        ImageDraw.Draw(img).text((15 - left, 10 - top), text, font=font, fill=0)
        crops.append(np.asarray(img))
    edits = {}
    for precision in ("fp32", "int8"):
        rec = infer.Recogniser.from_dir(SHIPPED, precision=precision)
        assert rec.meta["precision"] == precision and precision in rec.version
        counts = [error_counts(t, r.text) for t, r in zip(texts, rec.read(crops))]
        edits[precision] = sum(c["char_edits"] for c in counts)
    total = sum(len(t) for t in texts)
    assert edits["int8"] <= edits["fp32"] + 2 and edits["int8"] / total <= 0.05, edits


# ------------------------------------------------------------------------------------------ engine auto
def _line(text: str, source: str, conf: float = 0.9) -> "Line":
    from ocr_engine.model import Line, Word
    return Line(tuple(Word(w, Box(10 * i, 0, 10 * i + 8, 10), conf) for i, w in enumerate(text.split())), source)


def test_auto_keeps_the_reading_the_language_model_finds_plausible():
    from ocr_engine import lm
    model = lm.shared()
    right = "Ủy ban nhân dân thành phố Hải Phòng"
    for tess, neural, want in [
        (right, "Ủy ban nhân đân thành phổ Hải Phòng", "tesseract"),
        ("Ủy bạn nhân dân thánh phố Hải Phong", right, "neural"),
        ("Ủy ban nhân dân", right, "neural"),  # Tesseract lost words: the missing tokens cost
        (right, right, "tesseract"),  # a tie keeps Tesseract's reading
    ]:
        unsure = neural_engine.SURE_CONFIDENCE - 0.1  # (a line Tesseract is sure of is kept: see below)
        chosen = neural_engine.choose([_line(tess, "tesseract", unsure), _line(neural, "neural")], model)
        assert chosen.source == want, (tess, neural)
    alone = _line("dọ} ưọu", "neural")
    assert neural_engine.choose([alone], model) is alone


def test_auto_keeps_a_line_tesseract_is_sure_of_whatever_the_recogniser_read():
    from ocr_engine import lm
    model = lm.shared()
    sure = _line("Tăng cường công tác số hóa", "tesseract", conf=neural_engine.SURE_CONFIDENCE)
    assert neural_engine.choose([sure, _line("1. Tăng cường công tác số hóa tài liệu", "neural")], model) is sure
    unsure = _line("Tăng cường công tác số hóa", "tesseract", conf=neural_engine.SURE_CONFIDENCE - 0.1)
    fuller = _line("1. Tăng cường công tác số hóa tài liệu", "neural")
    assert neural_engine.choose([unsure, fuller], model) is fuller


def test_table_rules_read_between_tesseract_words_are_dropped():
    from ocr_engine.model import Word
    read = [Word(t, Box(x0, 0, x1, 30), 0.9) for t, x0, x1 in
            [("356/TTr-SNV", 10, 200), ("[", 215, 222), ("Bộ", 240, 280), ("phận", 290, 360), ("1", 380, 386),
             ("53", 400, 440), ("1", 460, 466)]]
    spans = [(10, 200), (240, 280), (290, 360), (400, 440), (455, 470)]  # Tesseract saw the last "1" as a word
    assert [w.text for w in neural_engine.off_rules(read, spans)] == ["356/TTr-SNV", "Bộ", "phận", "53", "1"]
    assert neural_engine.off_rules(read, []) == read  # no layout words to judge by: nothing dropped


def test_auto_takes_single_words_from_the_other_reading_where_they_fit_better():
    """Tesseract and the recogniser slip on different marks: the kept line takes the other reading's word where the
    two align word for word and the syllable model prefers it in the kept line's context."""
    from ocr_engine import lm
    model = lm.shared()
    kept, other = _line("Ủy ban nhân đân thành phố năm 2O25", "tesseract"), _line("Ủy bạn nhân dân thành phố năm 2025",
                                                                                  "neural")
    merged = neural_engine.merge_words(kept, other, model)
    assert merged.text == "Ủy ban nhân dân thành phố năm 2025" and merged.source == "tesseract"
    assert merged.words[3] is other.words[3] and merged.words[1] is kept.words[1]
    right = _line("Ủy ban nhân dân thành phố", "tesseract")
    assert neural_engine.merge_words(right, _line("Ủy bạn nhân đân thánh phổ", "neural"), model) is right
    mono = _line("tài Liệu Lưu trữ. Lưu ý", "tesseract")  # a monospaced 'l' read as 'L' mid-sentence
    fixed = neural_engine.merge_words(mono, _line("tài liệu lưu trữ. lưu ý", "neural"), model)
    assert fixed.text == "tài liệu lưu trữ. Lưu ý"  # after a full stop the capital stays
    office = _line("các phòng thuộc Sở", "tesseract")  # S and s have one shape: the case is nobody's to change
    assert neural_engine.merge_words(office, _line("các phòng thuộc sở", "neural"), model) is office
    short = _line("Ủy ban", "neural")  # no word-for-word alignment: nothing taken
    assert neural_engine.merge_words(right, short, model) is right


def test_auto_builds_lines_from_both_readings_and_sets_noise_aside():
    from ocr_engine.engines.tesseract import TsvLine
    from ocr_engine.model import Word
    engine = engines.get_engine("auto")
    good = tuple(Word(w, Box(0, 0, 10, 10), 0.95) for w in "Ủy ban nhân dân thành phố".split())
    bad = tuple(Word(w, Box(0, 20, 10, 30), 0.6) for w in "Ủy bạn nhân đân thánh phổ".split())
    dirt = (Word("~", Box(0, 40, 5, 45), 0.1), Word("ư", Box(6, 40, 9, 45), 0.2))
    layout = [TsvLine(("1", "1", "1"), Box(0, 0, 100, 10), (), good),
              TsvLine(("1", "1", "2"), Box(0, 20, 100, 30), (), bad),
              TsvLine(("1", "1", "3"), Box(0, 40, 100, 45), (), dirt)]
    neural = {0: list(bad), 1: list(good), 2: None}
    lines, noise = engine._lines(layout, neural)
    assert [(l.source, l.text) for l in lines] == [("tesseract", "Ủy ban nhân dân thành phố"),
                                                   ("neural", "Ủy ban nhân dân thành phố")]
    assert [l.text for l in noise] == ["~ ư"]


def test_auto_without_its_language_model_is_unavailable_with_the_file_named(tmp_path):
    engine = engines.get_engine("auto", lm=tmp_path / "absent.tsv.gz")
    with pytest.raises(EngineUnavailable, match=r"engine auto: language model .*absent\.tsv\.gz is missing"):
        engine.version()
