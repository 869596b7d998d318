"""Scan and paper damage for synthetic pages and line images: greyscale uint8 in, same shape out.

Every kind works on an array of any size, a 32 px line image or a whole page, and scales its
features with *dpi* (the resolution the array stands for; a line image of 14 pt text at 32 px
high is about 160 dpi), so a stain or a streak is as large on paper whatever the pixel size.
Randomness comes only from the ``np.random.Generator`` handed in. Nothing changes the array's
shape: rotation keeps the frame and fills the corners white.

*strength* scales each kind: 0 is (almost) no change, 1 a typical worn archive page, 1.5 about the
worst still worth reading. :func:`random_damage` picks kinds and strengths for a level.
Speed: ``heavy`` on a 200 dpi A4 page (1654 × 2339) takes 0.1–0.3 s on one core; everything
large is drawn at low resolution and resized, and per-pixel randomness is float32.
"""
from __future__ import annotations

import cv2
import numpy as np

# In the order they are applied when several are chosen: geometry, then the ink, then the paper
# and what lies on it, then the scanner's optics and noise, and the file's compression last.
KINDS = ("rotate", "jitter", "ribbon", "fade", "bleed", "paper", "stain", "streaks", "speckle", "blur",
         "downscale", "noise", "jpeg")
LEVELS = ("clean", "mild", "heavy")

# mild: what a careful scan of a sound page shows; heavy adds the damage of archive paper
MILD_KINDS = ("blur", "noise", "jpeg", "paper", "rotate", "downscale", "speckle", "fade")
HEAVY_ALWAYS = ("fade", "paper")
HEAVY_EXTRA = ("stain", "bleed", "streaks", "speckle", "noise", "blur", "jpeg", "ribbon", "jitter", "rotate",
               "downscale")
MILD_STRENGTH = (0.25, 0.6)
HEAVY_STRENGTH = (0.7, 1.2)
MILD_COUNT = (1, 3)
HEAVY_EXTRA_COUNT = (2, 5)

SPECKLE_PER_SQUARE_INCH = 60  # at strength 1: visible dust, as on a dirty scanner glass
MAX_ROTATION_DEG = 2.0  # at strength 1; deskew handles more, but a page turned by more is "rotated", not "skewed"


def _scale(dpi: float) -> float:
    """Pixels per 1/300 inch: features are specified at 300 dpi."""
    return max(dpi, 1.0) / 300.0


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _smooth_field(rng: np.random.Generator, shape: tuple[int, int], cell_px: float) -> np.ndarray:
    """Float32 noise in about [-1, 1], smooth over *cell_px* pixels: a coarse grid resized up."""
    h, w = shape
    gh, gw = max(2, int(round(h / max(cell_px, 1.0))) + 1), max(2, int(round(w / max(cell_px, 1.0))) + 1)
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)


def _ink(grey: np.ndarray) -> np.ndarray:
    """Ink amount, float32 in [0, 1] (1 = black)."""
    return 1.0 - grey.astype(np.float32) * (1.0 / 255.0)


def _to_grey(ink: np.ndarray) -> np.ndarray:
    return np.clip(255.0 - ink * 255.0, 0, 255).astype(np.uint8)


def rotate(grey: np.ndarray, rng: np.random.Generator, dpi: float, strength: float) -> np.ndarray:
    """Turn by up to ±2° (× strength) about the centre; same frame, white corners."""
    angle = _u(rng, 0.2, 1.0) * MAX_ROTATION_DEG * strength * (1 if rng.random() < 0.5 else -1)
    h, w = grey.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(grey, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=255)


def jitter(grey: np.ndarray, rng: np.random.Generator, dpi: float, strength: float) -> np.ndarray:
    """Baseline wobble: columns shifted up or down by up to 2 px at 300 dpi, in runs a letter wide
    (a typewriter's uneven type bars, a scanner's wavering feed)."""
    h, w = grey.shape
    s = _scale(dpi)
    run = max(2.0, 25 * s)  # about one letter of 12 pt text
    n = int(np.ceil(w / run)) + 1
    steps = rng.uniform(-1, 1, n).astype(np.float32) * 2.0 * s * strength
    offsets = np.repeat(steps, int(np.ceil(run)))[:w]
    offsets += _smooth_field(rng, (1, w), 300 * s)[0] * 1.5 * s * strength  # slow drift along the line
    map_x = np.tile(np.arange(w, dtype=np.float32), (h, 1))
    map_y = np.arange(h, dtype=np.float32)[:, None] + offsets[None, :]
    return cv2.remap(grey, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=255)


def ribbon(grey: np.ndarray, rng: np.random.Generator, dpi: float, strength: float) -> np.ndarray:
    """Typewriter ribbon wear: darkness that changes from letter to letter, a lighter band where the
    ribbon was worn, and strokes broken by gaps in the inked fabric."""
    ink = _ink(grey)
    h, w = ink.shape
    s = _scale(dpi)
    per_letter = 1.0 - strength * 0.35 * np.abs(_smooth_field(rng, (h, w), 20 * s))  # letter-sized cells
    band = 1.0 - strength * 0.3 * np.clip(_smooth_field(rng, (h, w), 250 * s), 0, None)  # worn stretch
    fabric = _smooth_field(rng, (h, w), 2.5 * s)  # weave-sized holes
    holes = fabric < (-1.6 + 0.9 * min(strength, 1.5))
    ink = ink * per_letter * band
    ink[holes] *= 0.25
    return _to_grey(ink)


def fade(grey: np.ndarray, rng: np.random.Generator, dpi: float, strength: float) -> np.ndarray:
    """Faded ink: black becomes grey (down to about 35 % ink at strength 1)."""
    keep = 1.0 - min(0.8, strength * _u(rng, 0.3, 0.65))
    return _to_grey(_ink(grey) * keep)


def bleed(grey: np.ndarray, rng: np.random.Generator, dpi: float, strength: float) -> np.ndarray:
    """Bleed-through: the page's own text mirrored left to right and moved, blurred and faint, as
    the back of a thin sheet shows through (a different text arrangement than the front)."""
    h, w = grey.shape
    s = _scale(dpi)
    back = np.roll(grey[:, ::-1], (int(rng.integers(0, max(1, h))), int(rng.integers(0, max(1, w // 8)))), (0, 1))
    back = cv2.GaussianBlur(back, (0, 0), max(0.5, 2.0 * s))
    alpha = min(0.6, strength * _u(rng, 0.15, 0.35))
    shade = 1.0 - alpha * _ink(back)
    return np.clip(grey.astype(np.float32) * shade, 0, 255).astype(np.uint8)


def paper(grey: np.ndarray, rng: np.random.Generator, dpi: float, strength: float) -> np.ndarray:
    """Uneven paper and lighting: a darker, yellowed sheet (as grey), brightness drifting across
    the page (a lamp's fall-off, a curled sheet) and blotchy paper texture."""
    h, w = grey.shape
    s = _scale(dpi)
    base = 1.0 - strength * _u(rng, 0.04, 0.15)
    yy = np.linspace(-0.5, 0.5, h, dtype=np.float32)[:, None]
    xx = np.linspace(-0.5, 0.5, w, dtype=np.float32)[None, :]
    gradient = strength * (_u(rng, -0.15, 0.15) * xx + _u(rng, -0.15, 0.15) * yy)
    blotch = strength * 0.04 * _smooth_field(rng, (h, w), 150 * s)
    grain = strength * 0.02 * _smooth_field(rng, (h, w), 3 * s)
    light = np.clip(base + gradient + blotch + grain, 0.45, 1.0)
    return np.clip(grey.astype(np.float32) * light, 0, 255).astype(np.uint8)


def stain(grey: np.ndarray, rng: np.random.Generator, dpi: float, strength: float) -> np.ndarray:
    """One to four blotches (water, coffee, foxing): soft-edged, irregular, darker at the rim."""
    h, w = grey.shape
    s = _scale(dpi)
    factor = 8  # drawn at 1/8 size, then resized: a stain has no fine detail
    sh, sw = max(2, h // factor), max(2, w // factor)
    mask = np.zeros((sh, sw), np.float32)
    for _ in range(int(rng.integers(1, 5))):
        r = _u(rng, 60, 400) * s / factor
        cy, cx = _u(rng, 0, sh), _u(rng, 0, sw)
        yy, xx = np.ogrid[:sh, :sw]
        angle = np.arctan2(yy - cy, xx - cx)
        wobble = 1 + 0.25 * np.sin(angle * int(rng.integers(2, 6)) + _u(rng, 0, 6.3))
        d = np.sqrt(((yy - cy) / _u(rng, 0.6, 1.0)) ** 2 + (xx - cx) ** 2) / (r * wobble)
        body = np.clip(1 - d, 0, 1) ** 0.5 * _u(rng, 0.3, 0.7)
        rim = np.exp(-((d - 1) ** 2) / 0.005) * _u(rng, 0.2, 0.6)
        mask = np.maximum(mask, body + rim)
    mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR)
    darkness = np.clip(1 - strength * 0.35 * mask, 0.3, 1.0)
    return np.clip(grey.astype(np.float32) * darkness, 0, 255).astype(np.uint8)


def streaks(grey: np.ndarray, rng: np.random.Generator, dpi: float, strength: float) -> np.ndarray:
    """Photocopier drum streaks, made as :func:`ocr_engine.synth.drum_streaks` makes them (dense
    speckle in bands 8–20 px wide at 200 dpi, fading out, blurred, darker pixel kept), down the page
    or (one time in three) along the lines; one draw of randomness for all bands, so a page takes
    ~50 ms instead of ~300 ms."""
    across = rng.random() < 1 / 3
    arr = np.ascontiguousarray(grey.T) if across else grey
    h, w = arr.shape
    s = dpi / 200.0
    count = max(1, int(round(w / (1654 / 6) * _u(rng, 0.5, 1.2))))  # about 6 on an A4 width at 200 dpi
    cols = np.arange(w, dtype=np.float32)
    density = np.zeros(w, np.float32)
    for centre in rng.uniform(0, w, count):
        sigma = _u(rng, 8, 20) * s * 0.5
        density = np.maximum(density, _u(rng, 0.3, 0.9) * min(1.0, strength) * np.exp(-0.5 * ((cols - centre) / sigma) ** 2))
    dirt = np.where(rng.random((h, w), dtype=np.float32) < density[None, :], np.uint8(30), np.uint8(255))
    dirt = cv2.GaussianBlur(dirt, (3, 3), 0)
    out = np.minimum(arr, dirt)
    return np.ascontiguousarray(out.T) if across else out


def speckle(grey: np.ndarray, rng: np.random.Generator, dpi: float, strength: float) -> np.ndarray:
    """Dust and pepper: scattered dark dots 1–3 px at 300 dpi, and a few white dropouts in the ink."""
    h, w = grey.shape
    s = _scale(dpi)
    count = int(SPECKLE_PER_SQUARE_INCH * strength * h * w / max(dpi, 1.0) ** 2)
    out = grey.copy()
    if count:
        dots = np.full((h, w), 255, np.uint8)
        ys, xs = rng.integers(0, h, count), rng.integers(0, w, count)
        dots[ys, xs] = rng.integers(0, 120, count).astype(np.uint8)
        size = max(1, int(round(2 * s)))
        if size > 1:
            dots = cv2.erode(dots, np.ones((size, size), np.uint8))
        out = np.minimum(out, dots)
        ys, xs = rng.integers(0, h, count // 2), rng.integers(0, w, count // 2)
        out[ys, xs] = np.maximum(out[ys, xs], rng.integers(180, 256, count // 2).astype(np.uint8))
    return out


def blur(grey: np.ndarray, rng: np.random.Generator, dpi: float, strength: float) -> np.ndarray:
    """Out-of-focus optics: Gaussian blur of 0.4–1.2 px at 300 dpi (× strength)."""
    sigma = _u(rng, 0.4, 1.2) * _scale(dpi) * strength
    return grey if sigma < 0.1 else cv2.GaussianBlur(grey, (0, 0), sigma)


def downscale(grey: np.ndarray, rng: np.random.Generator, dpi: float, strength: float) -> np.ndarray:
    """A low-resolution scan scaled back up: down to 40–85 % of the size and back, exact shape kept."""
    h, w = grey.shape
    factor = 1.0 - min(0.6, strength * _u(rng, 0.15, 0.45))
    small = cv2.resize(grey, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR if rng.random() < 0.5 else cv2.INTER_CUBIC)


def noise(grey: np.ndarray, rng: np.random.Generator, dpi: float, strength: float) -> np.ndarray:
    """Sensor noise: Gaussian, σ 4–14 grey levels (× strength)."""
    sigma = _u(rng, 4, 14) * strength
    return np.clip(grey.astype(np.float32) + rng.standard_normal(grey.shape, dtype=np.float32) * sigma,
                   0, 255).astype(np.uint8)


def jpeg(grey: np.ndarray, rng: np.random.Generator, dpi: float, strength: float) -> np.ndarray:
    """A JPEG round trip, quality 80 down to 25 as strength goes from 0 to 1.5."""
    quality = int(np.clip(80 - strength * _u(rng, 20, 40), 15, 95))
    ok, data = cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("OpenCV could not encode a JPEG")
    return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)


_FUNCTIONS = {"rotate": rotate, "jitter": jitter, "ribbon": ribbon, "fade": fade, "bleed": bleed, "paper": paper,
              "stain": stain, "streaks": streaks, "speckle": speckle, "blur": blur, "downscale": downscale,
              "noise": noise, "jpeg": jpeg}


def apply(grey: np.ndarray, kind: str, rng: np.random.Generator, *, dpi: float,
          strength: float = 1.0) -> np.ndarray:
    """*grey* (2-D uint8) with damage *kind* at *strength*; a new array of the same shape and dtype."""
    if kind not in _FUNCTIONS:
        raise ValueError(f"unknown damage kind {kind!r} (known: {', '.join(KINDS)})")
    if grey.ndim != 2 or grey.dtype != np.uint8:
        raise ValueError(f"damage needs a 2-D uint8 greyscale array, got {grey.dtype} {grey.shape}")
    out = _FUNCTIONS[kind](np.ascontiguousarray(grey), rng, dpi, max(0.0, strength))
    assert out.shape == grey.shape and out.dtype == np.uint8, kind
    return out if out is not grey else grey.copy()


def random_damage(grey: np.ndarray, rng: np.random.Generator, *, dpi: float,
                  level: str) -> tuple[np.ndarray, list[str]]:
    """Damage typical of *level*: ``clean`` (none), ``mild`` (1–3 light kinds) or ``heavy`` (faded ink
    on uneven paper plus 2–5 of stains, bleed-through, streaks, speckle, ribbon wear and scanner
    faults). Returns the new array and the kinds applied, in the order applied."""
    if level == "clean":
        return grey.copy(), []
    if level == "mild":
        chosen = list(rng.choice(MILD_KINDS, int(rng.integers(MILD_COUNT[0], MILD_COUNT[1] + 1)), replace=False))
        lo, hi = MILD_STRENGTH
    elif level == "heavy":
        extra = rng.choice(HEAVY_EXTRA, int(rng.integers(HEAVY_EXTRA_COUNT[0], HEAVY_EXTRA_COUNT[1] + 1)), replace=False)
        chosen = list(HEAVY_ALWAYS) + list(extra)
        lo, hi = HEAVY_STRENGTH
    else:
        raise ValueError(f"unknown damage level {level!r} (known: {', '.join(LEVELS)})")
    kinds = [k for k in KINDS if k in {str(c) for c in chosen}]
    out = grey
    for kind in kinds:
        out = apply(out, kind, rng, dpi=dpi, strength=_u(rng, lo, hi))
    return out, kinds
