"""One text-line crop → the recogniser's input: a float32 array, :data:`HEIGHT` px high, ink 1, paper 0.

Used unchanged by training (``scripts/train_recogniser.py``) and inference (:mod:`.infer`), so the model
sees at run time exactly the kind of input it learnt on.
"""
from __future__ import annotations

import cv2
import numpy as np

HEIGHT = 32  # input height of the CRNN; the 2.9 M CRNN reached 3 % CER on an unseen font at 32 px
WIDTH_STEP = 4  # the CNN halves the width twice: one output frame per 4 input columns
MIN_WIDTH = 8  # two frames: room for one character
MAX_WIDTH = 4096  # ~250 characters at 32 px; longer crops (a 20,000 px sliver) are squeezed, not refused
PAPER_PERCENTILE = 90  # most of a line crop is paper: its 90th brightness percentile is the paper tone
INK_PERCENTILE = 2  # the darkest 2 % is ink even in a one-character crop
MIN_CONTRAST = 40  # grey levels: below this the crop is blank paper (or all ink); noise is not stretched


def frames(width: int) -> int:
    """Number of CTC frames the model emits for an input *width* (after :func:`normalise`)."""
    return width // WIDTH_STEP


def scaled_width(shape: tuple[int, ...]) -> int:
    """Width of a crop of *shape* (h, w) once scaled to HEIGHT, before padding to a multiple of WIDTH_STEP."""
    h, w = shape[:2]
    return int(np.clip(round(w * HEIGHT / max(1, h)), MIN_WIDTH, MAX_WIDTH))


def normalise(grey: np.ndarray) -> np.ndarray:
    """Greyscale crop (uint8, paper light, any size ≥ 1×1) → float32 (HEIGHT, W), W a multiple of 4.

    Scaled to HEIGHT keeping the aspect ratio (width clamped to [MIN_WIDTH, MAX_WIDTH]); contrast stretched
    so paper is 0 and ink 1, which makes faded ink and grey paper look like the clean lines the model
    learnt on. A crop without contrast (all white, all black) comes out all 0.
    """
    if grey.ndim != 2 or grey.size == 0:
        raise ValueError(f"line crop must be a non-empty 2-D greyscale array, got shape {grey.shape}")
    width = scaled_width(grey.shape)
    interp = cv2.INTER_AREA if grey.shape[0] > HEIGHT else cv2.INTER_LINEAR
    img = cv2.resize(grey, (width, HEIGHT), interpolation=interp).astype(np.float32)
    paper, ink = np.percentile(img, [PAPER_PERCENTILE, INK_PERCENTILE])
    out = np.zeros((HEIGHT, -(-width // WIDTH_STEP) * WIDTH_STEP), np.float32)
    if paper - ink >= MIN_CONTRAST:
        out[:, :width] = np.clip((paper - img) / (paper - ink), 0.0, 1.0)
    return out
