"""Shared fixtures for the ocr_engine tests; self-sufficient (no repo-wide conftest needed)."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import fake_engines  # noqa: E402,F401  (registers the misbehaving test engines)
from ocr_helpers import SHORT  # noqa: E402
from ocr_engine.synth import render_page  # noqa: E402


@pytest.fixture(scope="session")
def tesseract() -> str:
    """Path of tesseract with the vie model; fails loudly when missing (CI installs it)."""
    exe = shutil.which("tesseract")
    if exe is None:
        pytest.fail("tesseract is not installed: apt-get install tesseract-ocr tesseract-ocr-vie")
    from ocr_engine._exec import tesseract as tess
    if "vie" not in tess.languages():
        pytest.fail("tesseract has no 'vie' model: apt-get install tesseract-ocr-vie")
    return exe


@pytest.fixture(scope="session")
def pages(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """A few small synthetic pages written once: name -> (path, ground truth)."""
    out = tmp_path_factory.mktemp("pages")
    specs = {"clean": (11, 200, False, ".png"), "degraded": (12, 200, True, ".jpg"),
             "clean300": (13, 300, False, ".png")}
    made = {}
    for name, (seed, dpi, degrade, ext) in specs.items():
        img, gt, _ = render_page(seed, dpi=dpi, degrade=degrade, doc=SHORT)
        path = out / f"{name}{ext}"
        img.save(path)
        made[name] = (path, gt)
    return made
