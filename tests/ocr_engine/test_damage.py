import time

import numpy as np
import pytest

from ocr_engine import damage
from ocr_engine.synth import render_page


@pytest.fixture(scope="module")
def page200() -> np.ndarray:
    return np.asarray(render_page(3, dpi=200)[0])


def shapes(page: np.ndarray) -> dict[str, np.ndarray]:
    return {"page": page, "line": np.ascontiguousarray(page[300:332, 200:900]), "tiny": np.full((3, 5), 255, np.uint8)}


@pytest.mark.parametrize("kind", damage.KINDS)
def test_every_kind_keeps_the_shape_and_dtype_of_a_page_a_line_and_a_tiny_array(page200, kind):
    for name, grey in shapes(page200).items():
        out = damage.apply(grey, kind, np.random.default_rng(1), dpi=200)
        assert out.shape == grey.shape and out.dtype == np.uint8, (kind, name)


@pytest.mark.parametrize("kind", damage.KINDS)
def test_the_same_seed_gives_the_same_damage(page200, kind):
    line = shapes(page200)["line"]
    a = damage.apply(line, kind, np.random.default_rng(7), dpi=160, strength=1.2)
    b = damage.apply(line, kind, np.random.default_rng(7), dpi=160, strength=1.2)
    assert np.array_equal(a, b)


def test_damage_leaves_its_input_untouched(page200):
    line = shapes(page200)["line"]
    before = line.copy()
    for kind in damage.KINDS:
        damage.apply(line, kind, np.random.default_rng(2), dpi=200)
    assert np.array_equal(line, before)


def test_fading_and_stains_lighten_ink_or_darken_paper_as_named(page200):
    faded = damage.apply(page200, "fade", np.random.default_rng(0), dpi=200)
    assert faded.min() > page200.min() + 40  # black ink became grey
    stained = damage.apply(page200, "stain", np.random.default_rng(0), dpi=200)
    assert stained.mean() < page200.mean()


def test_clean_level_changes_nothing_and_heavy_always_fades_the_ink_on_uneven_paper(page200):
    out, kinds = damage.random_damage(page200, np.random.default_rng(0), dpi=200, level="clean")
    assert kinds == [] and np.array_equal(out, page200)
    for seed in range(5):
        out, kinds = damage.random_damage(page200, np.random.default_rng(seed), dpi=200, level="heavy")
        assert {"fade", "paper"} <= set(kinds) and out.shape == page200.shape
        assert kinds == [k for k in damage.KINDS if k in kinds]  # applied in the canonical order
    _, kinds = damage.random_damage(page200, np.random.default_rng(0), dpi=200, level="mild")
    assert 1 <= len(kinds) <= 3 and set(kinds) <= set(damage.MILD_KINDS)


def test_rotation_fills_the_corners_white(page200):
    out = damage.apply(page200, "rotate", np.random.default_rng(4), dpi=200, strength=1.5)
    assert out.shape == page200.shape and out[0, 0] == 255 and out[-1, -1] == 255


def test_unknown_kinds_levels_and_colour_arrays_are_refused(page200):
    with pytest.raises(ValueError, match="unknown damage kind"):
        damage.apply(page200, "coffee", np.random.default_rng(0), dpi=200)
    with pytest.raises(ValueError, match="unknown damage level"):
        damage.random_damage(page200, np.random.default_rng(0), dpi=200, level="medium")
    with pytest.raises(ValueError, match="2-D uint8"):
        damage.apply(np.dstack([page200] * 3), "blur", np.random.default_rng(0), dpi=200)


def test_heavy_damage_of_a_200_dpi_page_takes_under_half_a_cpu_second(page200):
    seconds = []
    for seed in range(3):
        start = time.process_time()
        damage.random_damage(page200, np.random.default_rng(seed), dpi=200, level="heavy")
        seconds.append(time.process_time() - start)
    assert sorted(seconds)[1] < 0.5, seconds
