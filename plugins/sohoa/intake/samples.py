"""Build batch folders that follow the contract: for tests, benchmarks and the demo.

``make_batch`` writes page images and a manifest that matches them. The page images come from a factory
callable, so the demo can plug in realistic rendered pages while tests use small ones (the intake checks read
dpi from metadata, so a small image at 300 dpi is a valid page as long as it has the pixels the page rules ask).
"""
from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from ocr_engine.pages import MIN_SIDE

from .manifest import MANIFEST

PageFactory = Callable[[str, int], Image.Image]
PIL_FORMATS = {"jpg": "JPEG", "tif": "TIFF", "png": "PNG"}
COLOR_MODES = {"RGB": "color", "L": "grayscale", "1": "bitonal"}


def noise_page(ma_ho_so: str, so_trang: int, size: tuple[int, int] = (MIN_SIDE, round(MIN_SIDE * 1.414))
               ) -> Image.Image:
    """A small RGB page whose pixels (and so SHA-256) are unique to (mã hồ sơ, page); by default the smallest
    page of A4 proportions that the page rules (:mod:`ocr_engine.pages`) accept."""
    seed = int.from_bytes(hashlib.sha256(f"{ma_ho_so}/{so_trang}".encode()).digest()[:8], "big")
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


def encode(image: Image.Image, ext: str = "jpg", dpi: int = 300) -> bytes:
    """The bytes of a page image file with its dpi recorded."""
    out = io.BytesIO()
    options = {"quality": 90} if ext == "jpg" else {}
    image.save(out, PIL_FORMATS[ext], dpi=(dpi, dpi), **options)
    return out.getvalue()


def page_entry(so_trang: int, ten_tep: str, data: bytes, dpi: int, che_do_mau: str) -> dict:
    return {"so_trang": so_trang, "ten_tep": ten_tep, "sha256": hashlib.sha256(data).hexdigest(), "dpi": dpi,
            "che_do_mau": che_do_mau}


def write_manifest(folder: Path, manifest: dict) -> None:
    (Path(folder) / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def read_manifest(folder: Path) -> dict:
    return json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))


def make_batch(folder: Path, vendor: str, batch_id: str, n_ho_so: int = 1, pages_per_ho_so: int = 3, *,
               page_image: PageFactory = noise_page, ext: str = "jpg", dpi: int = 300, ma_phong: str = "G01",
               co_quan: tuple[str, str] = ("SNGV-HP", "Sở Ngoại vụ Hải Phòng"), muc_luc: str = "01",
               nam: int = 2015, with_van_ban: bool = True) -> dict:
    """Write a valid batch into ``folder`` (created): ``<ma_ho_so>/<page:04d>.<ext>`` files + manifest.json.

    Mã hồ sơ are ``<ma_phong>.<muc_luc>.<nam>.<batch_id>-<n>`` so batches with distinct ids never collide.
    Returns the manifest written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ho_so_list = []
    for number in range(1, n_ho_so + 1):
        ma_ho_so = f"{ma_phong}.{muc_luc}.{nam}.{batch_id}-{number:03d}"
        (folder / ma_ho_so).mkdir(exist_ok=True)
        trang = []
        for page in range(1, pages_per_ho_so + 1):
            image = page_image(ma_ho_so, page)
            data = encode(image, ext, dpi)
            name = f"{ma_ho_so}/{page:04d}.{ext}"
            (folder / name).write_bytes(data)
            trang.append(page_entry(page, name, data, dpi, COLOR_MODES[image.mode]))
        ho_so = {
            "ma_ho_so": ma_ho_so, "tieu_de": f"Hồ sơ về hợp tác quốc tế năm {nam}, số {number}",
            "thoi_han_bao_quan": "vinh_vien", "muc_do_tiep_can": "cong_khai", "muc_do_tin_cay": "so_hoa",
            "ngon_ngu": "Tiếng Việt", "thoi_gian_bat_dau": f"{nam}-01-05", "thoi_gian_ket_thuc": f"{nam}-12-28",
            "tu_khoa": ["hợp tác quốc tế", "đoàn ra"], "so_luong_to": pages_per_ho_so,
            "so_luong_trang": pages_per_ho_so, "tinh_trang_vat_ly": "Bình thường", "hop_so": "01",
            "gia_tri_cao": number == 1, "trang": trang,
        }
        if with_van_ban:
            ho_so["van_ban"] = [{
                "stt": 1, "trang_dau": 1, "trang_cuoi": pages_per_ho_so, "ten_loai": "Quyết định",
                "so": str(number), "ky_hieu": "QĐ-SNgV", "ngay_ban_hanh": f"{nam}-06-18",
                "co_quan_ban_hanh": co_quan[1], "trich_yeu": "Về việc cử cán bộ đi công tác nước ngoài",
                "nguoi_ky": "Nguyễn Văn A",
            }]
        ho_so_list.append(ho_so)
    manifest = {
        "schema_version": "1.0", "vendor": vendor, "batch_id": batch_id,
        "co_quan": {"ma": co_quan[0], "ten": co_quan[1]},
        "phong": {"ma_phong": ma_phong, "ten_phong": f"Phông {co_quan[1]}", "ngon_ngu": "Tiếng Việt"},
        "muc_luc": {"so": muc_luc, "nam": nam, "ten": f"Mục lục hồ sơ năm {nam}"},
        "hop": [{"hop_so": "01"}],
        "ho_so": ho_so_list,
    }
    write_manifest(folder, manifest)
    return manifest


def intake_here(folder: Path, vendor: str, batch_id: str) -> None:
    """Upload a batch folder with the vendor's keys but without its completion marker, so the scheduler's own
    intake (and the processing run its asset event would start) stays out of it, then run intake in this
    process. For benchmarks that time the pipeline's parts themselves."""
    from .. import storage
    from ..catalogue.db import connect
    from ..vendor_tool.upload import upload_batch
    from .process import run_intake

    upload_batch(folder, vendor=vendor, s3=storage.client(identity=vendor), progress=False, complete=False)
    conn = connect()
    try:
        run_intake(storage.client(), conn, vendor, batch_id)
    finally:
        conn.close()
