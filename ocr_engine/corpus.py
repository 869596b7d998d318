"""Vietnamese text for synthetic pages and line images, split once into "train" and "eval".

Sources shipped in the package:

- ``corpus``: ``data/corpus_vi.txt``, the sectioned corpus of :func:`ocr_engine.synth.corpus` (agency
  names, document types, summaries, body paragraphs, signers);
- ``plan``: ``data/plan_vi.txt``, the department's own digitisation plan, one paragraph per line;
- generated NĐ 30 lines (:func:`generated_lines`): số/ký hiệu, date lines, names, quantities,
  addresses, phone numbers, sums of money and short directive sentences, drawn at random.

Every sentence of the two files belongs to exactly one split, fixed by a hash of its text
(:func:`split_of`), so a page benchmark that draws only "eval" sentences never shows a recogniser
trained on "train" sentences a sentence it has memorised. Generated lines are random and take no
split: keep the seeds apart instead (the benchmark suite uses page seeds below
:data:`TRAINING_SEED_START`; a trainer uses seeds from there up).
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import unicodedata
from importlib import resources

import numpy as np

SOURCES = ("corpus", "plan")
SPLITS = ("train", "eval")
TRAINING_SEED_START = 10_000_000  # generated lines for training: seeds from here; the benchmark stays below
EVAL_SHARE_MODULUS = 4  # one sentence in four is "eval"

# A sentence ends at ". " or "; " before a capital letter, digit or list mark; a heading ("1.1. Thực
# trạng", "a) Công tác") stays one sentence. Splitting at "; " too keeps the plan's long enumerations
# (up to 60 words) near line length, which is what a page or a line image needs.
_SENTENCE_END = re.compile(r"(?<=[.;])\s+(?=[A-ZĐÀ-Ỹ0-9(-])")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def split_of(sentence: str) -> str:
    """``"eval"`` for one sentence in four (by the SHA-256 of its NFC, stripped text), else ``"train"``."""
    digest = hashlib.sha256(nfc(sentence.strip()).encode()).hexdigest()
    return "eval" if int(digest[:8], 16) % EVAL_SHARE_MODULUS == 0 else "train"


def _read(name: str) -> list[str]:
    text = resources.files("ocr_engine").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return [nfc(" ".join(line.split())) for line in text.splitlines() if line.strip() and not line.startswith("#")]


_ENUMERATOR = re.compile(r"^(\d+(\.\d+)*\.|[IVX]+\.|[a-zđ]\)|\d+\))$")  # "1.2." or "b)" alone: a heading's mark


def _split_sentences(paragraph: str) -> list[str]:
    out: list[str] = []
    for piece in (s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip()):
        if out and _ENUMERATOR.match(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


@functools.cache
def _all_sentences(source: str) -> tuple[str, ...]:
    if source == "plan":
        items = [s for paragraph in _read("plan_vi.txt") for s in _split_sentences(paragraph)]
    elif source == "corpus":
        items = []
        section = None
        for line in _read("corpus_vi.txt"):
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                continue
            fields = [f.strip() for f in line.split("|")]
            if section == "body":
                items += _split_sentences(fields[0])
            elif section == "types":
                items.append(fields[1])
            elif section is not None:
                items += [f for f in fields if f and not (section == "agencies" and f == fields[-1])]
    else:
        raise ValueError(f"unknown text source {source!r} (known: {', '.join(SOURCES)})")
    return tuple(dict.fromkeys(items))  # first occurrence wins: file order, no duplicates


def sentences(split: str, source: str | None = None) -> list[str]:
    """The NFC sentences of *split* (``"train"`` or ``"eval"``) from *source* (``"corpus"``,
    ``"plan"``, or both when None), in file order, each once."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r} (known: {', '.join(SPLITS)})")
    chosen = SOURCES if source is None else (source,)
    seen = dict.fromkeys(s for src in chosen for s in _all_sentences(src) if split_of(s) == split)
    return list(seen)


# ---------------------------------------------------------------------------------- generated lines
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
            "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trịnh", "Đoàn", "Lương", "Mai", "Tạ", "Cao", "Quách")
MIDDLE_NAMES = ("Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Quang", "Ngọc", "Thu", "Xuân", "Kim", "Hoài",
                "Bảo", "Đình", "Công", "Thế", "Diệu", "Mỹ", "Tiến", "Khắc")
GIVEN_NAMES = ("An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hằng", "Hiếu", "Hoa", "Huệ",
               "Hùng", "Hương", "Khánh", "Lan", "Linh", "Long", "Mạnh", "Nam", "Nga", "Ngọc", "Nhung", "Phúc",
               "Phương", "Quân", "Quyết", "Sơn", "Tâm", "Thảo", "Thắng", "Thủy", "Trang", "Trung", "Tuấn",
               "Tùng", "Uyên", "Vân", "Việt", "Yến", "Ánh", "Đạt", "Đông", "Ước", "Lộc", "Nghĩa", "Oanh")
PLACES = ("Hải Phòng", "Hà Nội", "Thủy Nguyên", "Kiến An", "Đồ Sơn", "Lê Chân", "Ngô Quyền", "Hồng Bàng",
          "An Dương", "Tiên Lãng", "Vĩnh Bảo", "Cát Hải", "An Lão", "Kiến Thụy", "Dương Kinh", "Hải An")
STREETS = ("Lạch Tray", "Trần Phú", "Điện Biên Phủ", "Lê Hồng Phong", "Hoàng Văn Thụ", "Minh Khai",
           "Tô Hiệu", "Nguyễn Đức Cảnh", "Quang Trung", "Cầu Đất", "Đinh Tiên Hoàng", "Lý Tự Trọng",
           "Văn Cao", "Đà Nẵng", "Trần Nguyên Hãn", "Hai Bà Trưng")
WARD_KINDS = ("phường", "xã", "thị trấn")
DISTRICT_KINDS = ("quận", "huyện")
TYPE_CODES = ("QĐ", "KH", "TB", "BC", "HD", "TTr", "CT", "NQ", "GM", "BB", "CV")
AGENCY_CODES = ("UBND", "SNV", "STC", "SNgV", "VP", "CCVTLT", "TTLTLS", "BNV", "HĐND", "PNV", "SKHĐT",
                "STTTT", "SGDĐT", "SYT")
UNITS = ("Văn phòng Sở", "Phòng Nội vụ", "Phòng Tài chính - Kế hoạch", "Trung tâm Lưu trữ lịch sử",
         "Chi cục Văn thư - Lưu trữ", "Ủy ban nhân dân các quận, huyện", "Phòng Hành chính - Tổng hợp",
         "Thanh tra Sở", "Phòng Quản lý văn thư, lưu trữ", "Trung tâm Công nghệ thông tin",
         "Ban Quản lý dự án", "Phòng Tổ chức cán bộ")
ACTIONS = ("rà soát, thống kê hồ sơ tài liệu tồn đọng", "lập danh mục hồ sơ có thời hạn bảo quản vĩnh viễn",
           "hoàn thiện dự toán kinh phí số hóa", "báo cáo kết quả thực hiện về Sở Nội vụ",
           "bàn giao tài liệu cho Lưu trữ lịch sử", "kiểm tra chất lượng ảnh số trước khi nghiệm thu",
           "cập nhật dữ liệu lên phần mềm quản lý tài liệu", "tổ chức tập huấn nghiệp vụ cho công chức",
           "chỉnh lý khối tài liệu hành chính giai đoạn 2015 - 2020", "xác định giá trị tài liệu hết hạn bảo quản",
           "bố trí kho lưu trữ và trang thiết bị bảo quản", "tổng hợp ý kiến góp ý của các đơn vị")
DEADLINES = ("trước ngày {d}/{m}/{y}", "trong tháng {m} năm {y}", "định kỳ hằng quý", "trong quý {q} năm {y}",
             "chậm nhất ngày {d}/{m}/{y}", "theo tiến độ đã được phê duyệt")
VERBS = ("Giao", "Đề nghị", "Yêu cầu", "Ủy quyền cho")
ROLES = ("Ông", "Bà", "Đồng chí")
TITLES = ("Giám đốc", "Phó Giám đốc", "Chánh Văn phòng", "Trưởng phòng", "Phó Trưởng phòng", "Chuyên viên",
          "Lưu trữ viên", "Chủ tịch", "Phó Chủ tịch", "Kế toán trưởng")
QUANTITIES = ("hồ sơ", "tờ", "trang", "mét giá", "hộp", "cặp", "văn bản", "đơn vị bảo quản", "tập")

GENERATED_KINDS = ("so_ky_hieu", "date_line", "name", "quantity", "address", "phone", "money", "email",
                   "directive", "article")


def _pick(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def _thousands(n: int) -> str:
    """``1250000`` → ``1.250.000`` (Vietnamese digit grouping)."""
    return f"{n:,}".replace(",", ".")


def random_date(rng: np.random.Generator) -> dt.date:
    """A day between 2015 and 2026."""
    return dt.date(2015, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365 * 12)))


def person(rng: np.random.Generator) -> str:
    """A Vietnamese full name: surname, middle name(s), given name."""
    middle = [_pick(rng, MIDDLE_NAMES) for _ in range(1 + int(rng.random() < 0.25))]
    return " ".join([_pick(rng, SURNAMES), *middle, _pick(rng, GIVEN_NAMES)])


def so_ky_hieu(rng: np.random.Generator) -> str:
    """``Số: 154/KH-UBND``, ``Số: 07/2025/QĐ-UBND`` or ``Số: 1260/UBND-VP`` (a công văn)."""
    number, kind, agency = int(rng.integers(1, 2000)), _pick(rng, TYPE_CODES), _pick(rng, AGENCY_CODES)
    number_text = f"{number:02d}" if number < 10 else str(number)
    shape = rng.random()
    if kind == "CV" or shape < 0.2:
        return f"Số: {number_text}/{agency}-{_pick(rng, ('VP', 'NV', 'KSTTHC', 'QLVTLT', 'TH'))}"
    if shape < 0.4:
        return f"Số: {number_text}/{int(rng.integers(2015, 2027))}/{kind}-{agency}"
    return f"Số: {number_text}/{kind}-{agency}"


def date_line(rng: np.random.Generator) -> str:
    """``Hải Phòng, ngày 05 tháng 02 năm 2025``, as :func:`ocr_engine.synth.date_line` writes it."""
    from .synth import date_line as formatted

    return formatted(_pick(rng, PLACES), random_date(rng))


def generated_line(rng: np.random.Generator, kind: str) -> str:
    """One random line of *kind* (one of :data:`GENERATED_KINDS`), NFC."""
    if kind == "so_ky_hieu":
        line = so_ky_hieu(rng)
    elif kind == "date_line":
        line = date_line(rng)
    elif kind == "name":
        line = f"{_pick(rng, ROLES)} {person(rng)}, {_pick(rng, TITLES)}" if rng.random() < 0.6 else person(rng)
    elif kind == "quantity":
        count = int(rng.integers(1, 20000))
        text = _thousands(count) if rng.random() < 0.7 else f"{count / 100:.2f}".replace(".", ",")
        line = f"{_pick(rng, ('Tổng số', 'Gồm', 'Số lượng', 'Còn lại', 'Đã số hóa'))}: {text} {_pick(rng, QUANTITIES)}"
    elif kind == "address":
        line = (f"Số {int(rng.integers(1, 400))} đường {_pick(rng, STREETS)}, {_pick(rng, WARD_KINDS)} "
                f"{_pick(rng, PLACES)}, {_pick(rng, DISTRICT_KINDS)} {_pick(rng, PLACES)}, thành phố Hải Phòng")
    elif kind == "phone":
        if rng.random() < 0.5:
            digits = f"0225 {int(rng.integers(3000, 3999))} {int(rng.integers(0, 1000)):03d}"
        else:
            digits = f"09{int(rng.integers(0, 100)):02d} {int(rng.integers(0, 1000)):03d} {int(rng.integers(0, 1000)):03d}"
        line = f"{_pick(rng, ('Điện thoại', 'ĐT', 'Fax', 'Số điện thoại liên hệ'))}: {digits}"
    elif kind == "money":
        amount = int(rng.integers(1, 50000)) * 50_000 if rng.random() < 0.5 else int(rng.integers(10, 9999)) * 1000
        label = _pick(rng, ("Tổng kinh phí", "Kinh phí thực hiện", "Đơn giá", "Thành tiền", "Số tiền"))
        line = f"{label}: {_thousands(amount)} đồng"
    elif kind == "email":
        user = _pick(rng, ("vanthu", "luutru", "vanphong", "tonghop", "sonoivu", "ubnd"))
        line = f"Email: {user}{'' if rng.random() < 0.5 else int(rng.integers(1, 99))}@haiphong.gov.vn"
    elif kind == "directive":
        day = random_date(rng)
        deadline = _pick(rng, DEADLINES).format(d=f"{day.day:02d}", m=day.month, y=day.year,
                                                q=_pick(rng, ("I", "II", "III", "IV")))
        partner = f", phối hợp với {_pick(rng, UNITS)}" if rng.random() < 0.4 else ""
        line = f"{_pick(rng, VERBS)} {_pick(rng, UNITS)}{partner} {_pick(rng, ACTIONS)} {deadline}."
    elif kind == "article":
        line = f"Điều {int(rng.integers(1, 12))}. {_pick(rng, UNITS)} chịu trách nhiệm {_pick(rng, ACTIONS)}."
    else:
        raise ValueError(f"unknown generated line kind {kind!r} (known: {', '.join(GENERATED_KINDS)})")
    return nfc(line)


def generated_lines(rng: np.random.Generator, n: int, kinds: tuple[str, ...] = GENERATED_KINDS) -> list[str]:
    """*n* random NĐ 30 lines, each of a kind drawn uniformly from *kinds*."""
    return [generated_line(rng, _pick(rng, kinds)) for _ in range(n)]
