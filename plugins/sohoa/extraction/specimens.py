"""Specimen văn bản in the NĐ 30/2020 form with known metadata: the evaluation set for extraction.

``specimen(seed)`` returns the fields and the document's text lines in reading order, as a page renderer
draws them (header block left, motto right, number and date, title, summary, body, signing block).
Deterministic for a seed. ``ocr_noise`` imitates what OCR does to such text, for tests without OCR.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from ocr_engine.synth import date_line

from .nd30 import CONG_VAN, TYPE_ABBREVIATIONS

AGENCIES = [
    ("UBND THÀNH PHỐ HẢI PHÒNG", "SỞ NGOẠI VỤ", "SNV"),
    ("UBND THÀNH PHỐ HẢI PHÒNG", "SỞ NỘI VỤ", "SNV"),
    ("", "ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG", "UBND"),
    ("UBND QUẬN LÊ CHÂN", "PHÒNG NỘI VỤ", "PNV"),
    ("SỞ NỘI VỤ", "TRUNG TÂM LƯU TRỮ LỊCH SỬ", "TTLTLS"),
    ("UBND HUYỆN THỦY NGUYÊN", "VĂN PHÒNG HĐND VÀ UBND", "VP"),
]
PLACES = ["Hải Phòng", "Lê Chân", "Thủy Nguyên", "Hà Nội"]
SUBJECTS = [
    "tăng cường công tác số hóa tài liệu lưu trữ",
    "chỉnh lý tài liệu tồn đọng giai đoạn 2025 - 2026",
    "thu thập hồ sơ, tài liệu vào Lưu trữ lịch sử thành phố",
    "kiểm tra công tác văn thư, lưu trữ năm 2025",
    "ban hành Quy chế công tác văn thư của cơ quan",
    "cử cán bộ tham dự lớp bồi dưỡng nghiệp vụ lưu trữ",
    "báo cáo kết quả thực hiện Kế hoạch số hóa tài liệu",
    "phê duyệt danh mục hồ sơ có giá trị bảo quản vĩnh viễn",
    "tổ chức đoàn công tác của thành phố đi nước ngoài",
    "đón tiếp đoàn đại biểu quốc tế thăm và làm việc",
]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Quang", "Hữu", "Ngọc"]
GIVEN = ["Hùng", "Lan", "Dũng", "Hương", "Tuấn", "Hải", "Phương", "Thắng", "Yến", "Đạt"]
TITLES = {"TM": ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"), "KT": ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"),
          "Q": ("Q. GIÁM ĐỐC", ""), "TL": ("TL. GIÁM ĐỐC", "CHÁNH VĂN PHÒNG"),
          "TUQ": ("TUQ. GIÁM ĐỐC", "TRƯỞNG PHÒNG"), "": ("GIÁM ĐỐC", "")}
BODY = [
    "Căn cứ Luật Lưu trữ số 33/2024/QH15 ngày 21 tháng 6 năm 2024;",
    "Căn cứ Thông tư số 05/2025/TT-BNV của Bộ trưởng Bộ Nội vụ;",
    "Để bảo đảm an toàn tài liệu lưu trữ gốc và phục vụ khai thác sử dụng,",
    "các cơ quan, đơn vị tổ chức thực hiện nghiêm túc các nội dung sau đây.",
]
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


@dataclass(frozen=True)
class Specimen:
    """A văn bản with its true metadata and its text lines."""

    so: int
    ky_hieu: str
    ten_loai: str
    noi_ban_hanh: str
    ngay_ban_hanh: dt.date
    co_quan_ban_hanh: str
    trich_yeu: str
    chuc_vu_ky: str | None
    nguoi_ky: str
    lines: tuple[str, ...]

    @property
    def so_ky_hieu(self) -> str:
        return f"{self.so}/{self.ky_hieu}"

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def specimen(seed: int) -> Specimen:
    """A deterministic random văn bản of one of NĐ 30's types (about one in five is a công văn)."""
    rng = random.Random(seed)
    superior, issuer, issuer_code = rng.choice(AGENCIES)
    is_cong_van = rng.random() < 0.2
    abbreviation = None if is_cong_van else rng.choice(sorted(TYPE_ABBREVIATIONS))
    ten_loai = CONG_VAN if is_cong_van else TYPE_ABBREVIATIONS[abbreviation]
    ky_hieu = f"{issuer_code}-{rng.choice(['VX', 'NV', 'VP', 'TH'])}" if is_cong_van else f"{abbreviation}-{issuer_code}"
    so = rng.randint(1, 2999)
    date = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 16))
    place = rng.choice(PLACES)
    subject = rng.choice(SUBJECTS)
    trich_yeu = f"V/v {subject}" if is_cong_van else subject[0].upper() + subject[1:]
    prefix = rng.choice(list(TITLES))
    first, second = TITLES[prefix]
    name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    header = [line for line in (f"{superior}    {MOTTO[0]}" if superior else MOTTO[0],
                                issuer if superior else f"{issuer}    {MOTTO[1]}",
                                MOTTO[1] if superior else "") if line]
    lines = [*header, f"Số: {so}/{ky_hieu}", date_line(place, date)]
    if is_cong_van:
        lines += [trich_yeu, "Kính gửi: Các cơ quan, đơn vị trực thuộc"]
    else:
        lines += [ten_loai.upper(), trich_yeu]
    lines += ["", *rng.sample(BODY, 3), "", first, *([second] if second else []), name]
    return Specimen(so=so, ky_hieu=ky_hieu, ten_loai=ten_loai, noi_ban_hanh=place, ngay_ban_hanh=date,
                    co_quan_ban_hanh=issuer, trich_yeu=trich_yeu,
                    chuc_vu_ky=first if prefix else None, nguoi_ky=name, lines=tuple(lines))


_CONFUSIONS = {"ố": "ô", "ộ": "ô", "ạ": "a", "ệ": "ê", "Đ": "D", "đ": "d", "0": "O", "1": "l", "ư": "u",
               ":": ";", "ị": "i", "ằ": "ă"}


def ocr_noise(text: str, seed: int, rate: float = 0.02) -> str:
    """Imitate OCR errors: dropped diacritics, digit/letter swaps, stray spaces — at about ``rate`` per char."""
    rng = random.Random(seed)
    out = []
    for ch in text:
        roll = rng.random()
        if roll < rate and ch in _CONFUSIONS:
            out.append(_CONFUSIONS[ch])
        elif roll < rate * 1.2 and ch == "/":
            out.append(" / ")
        else:
            out.append(ch)
    return "".join(out)
