"""The rules a single file must pass: a safe name, a sane size, and an image that decodes and passes the page
rules OCR applies (:mod:`ocr_engine.pages`: pixel size, ≥ 200 dpi, colour — greyscale and bitonal are accepted
but flagged), so intake never accepts a page that OCR would refuse.

Each rule reports a :class:`Problem` with a Vietnamese message a vendor can act on; nothing here raises for a
bad file.
"""
from __future__ import annotations

import io
import unicodedata
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from ocr_engine import pages
from ocr_engine.pages import MAX_PIXELS, MIN_DPI  # noqa: F401  (MIN_DPI: validate compares declared dpi)

MAX_PAGE_BYTES = 512 * 1024 * 1024
FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "tif": "TIFF", "tiff": "TIFF", "png": "PNG", "jp2": "JPEG2000"}


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


@dataclass(frozen=True)
class ImageFacts:
    format: str
    width: int
    height: int
    dpi: int
    mode: str
    color_mode: str


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""


def display_name(name: str) -> str:
    """The name as it can be stored and shown: NUL and undecodable bytes written as escapes."""
    return name.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def name_problems(name: str) -> list[Problem]:
    """Problems with a file name as written in the manifest or found in the batch (empty when safe)."""
    found = []
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return [Problem("name_encoding", "tên tệp không phải UTF-8 hợp lệ")]
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        found.append(Problem("name_control", "tên tệp chứa ký tự điều khiển (ví dụ NUL); hãy đặt lại tên"))
    if name.startswith("/") or "\\" in name or (len(name) > 1 and name[1] == ":"):
        found.append(Problem("name_absolute", "tên tệp là đường dẫn tuyệt đối hoặc chứa dấu \\; "
                                              "chỉ dùng đường dẫn tương đối với '/'"))
    if any(part in ("", ".", "..") for part in name.split("/")):
        found.append(Problem("name_traversal", "tên tệp chứa '..', '.' hoặc '//' (có thể trỏ ra ngoài thư mục "
                                               "lô); chỉ dùng đường dẫn bên trong thư mục lô"))
    if unicodedata.normalize("NFC", name) != name:
        found.append(Problem("name_not_nfc", "tên tệp không ở dạng Unicode dựng sẵn (NFC); hãy lưu lại tên "
                                             "tệp bằng bộ gõ Unicode dựng sẵn"))
    if extension(name) not in FORMATS:
        found.append(Problem("name_extension", f"đuôi tệp '.{extension(name)}' không được chấp nhận; dùng "
                                               ".tif, .tiff, .jpg, .jpeg, .png hoặc .jp2"))
    return found


def size_problems(size: int) -> list[Problem]:
    if size == 0:
        return [Problem("empty_file", "tệp rỗng (0 byte)")]
    if size > MAX_PAGE_BYTES:
        return [Problem("file_too_large", f"tệp quá lớn ({size / 2**20:,.0f} MiB), vượt mức tối đa "
                                          f"{MAX_PAGE_BYTES // 2**20} MiB cho một trang")]
    return []


def inspect_image(data: bytes, ext: str) -> tuple[ImageFacts | None, list[Problem]]:
    """Open, bound-check and fully decode one page image; return its facts or the problems found.

    The pixel count is checked from the header before any decoding. JPEGs are decoded at 1/8 scale in grey
    (``draft``): every entropy-coded block is still read, so truncation and corruption are still caught.
    """
    if data[:5] == b"%PDF-":
        return None, [Problem("not_an_image", "tệp là PDF, không phải ảnh (có thể đã bị đổi đuôi); "
                                              "hãy nộp ảnh trang TIFF/JPEG/PNG")]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # MAX_PIXELS decides
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        return None, [Problem("too_many_pixels", f"ảnh có quá nhiều điểm ảnh (vượt giới hạn an toàn "
                                                 f"{MAX_PIXELS:,}); không giải mã")]
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        return None, [Problem("not_an_image", f"không đọc được tệp như một ảnh ({type(exc).__name__})")]
    with image:
        width, height = image.size
        too_big_or_small = pages.size_problems(width, height)
        if too_big_or_small:
            return None, [Problem(p.code, p.message_vi) for p in too_big_or_small]
        if image.format != FORMATS.get(ext):
            return None, [Problem("format_mismatch", f"nội dung tệp là {image.format}, không khớp đuôi '.{ext}'")]
        if getattr(image, "n_frames", 1) > 1:
            return None, [Problem("multi_frame", "tệp chứa nhiều trang; mỗi trang phải là một tệp riêng")]
        mode = image.mode
        dpi_info = image.info.get("dpi")
        try:
            if image.format == "JPEG":  # every block is still entropy-decoded; only IDCT and colour are spared
                image.draft("L", (max(1, width // 8), max(1, height // 8)))
            image.load()
        except (OSError, SyntaxError, ValueError) as exc:
            return None, [Problem("corrupt_image", f"ảnh bị hỏng hoặc bị cắt cụt, không giải mã được ({exc})")]
    dpi = round(min(float(dpi_info[0]), float(dpi_info[1]))) if dpi_info else 0
    problems = [Problem(p.code, p.message_vi) for p in pages.header_problems(width, height, dpi, mode)]
    return ImageFacts(image.format, width, height, dpi, mode, pages.colour_class(mode)), problems
