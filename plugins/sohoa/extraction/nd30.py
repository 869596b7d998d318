"""Extract a văn bản's metadata from its OCR text, following the document form of NĐ 30/2020/NĐ-CP.

Fields: số and ký hiệu (``Số: 154/KH-UBND``), the date line (place, day, month, year), tên loại (from the
ký hiệu's type abbreviation, else the title; a công văn has none and a ``V/v`` summary), cơ quan ban hành (the
header block), trích yếu (the line(s) under the title, or the ``V/v`` line), người ký and the signing prefix
(TM., KT., Q., TL., TUQ.).

Matching runs on a diacritics-folded copy of the text (same length, see :func:`sohoa.vntext.fold`), so OCR
that drops or garbles tone marks still matches; values are cut from the original NFC text. Each field carries
a confidence in [0, 1]: lower when the match needed tolerance (a folded keyword, a repaired digit).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field

from ..vntext import fold, nfc

# NĐ 30/2020, Phụ lục III: abbreviation → tên loại văn bản.
TYPE_ABBREVIATIONS = {
    "NQ": "Nghị quyết", "QĐ": "Quyết định", "CT": "Chỉ thị", "QC": "Quy chế", "QyĐ": "Quy định",
    "TC": "Thông cáo", "TB": "Thông báo", "HD": "Hướng dẫn", "CTr": "Chương trình", "KH": "Kế hoạch",
    "PA": "Phương án", "ĐA": "Đề án", "DA": "Dự án", "BC": "Báo cáo", "BB": "Biên bản", "TTr": "Tờ trình",
    "HĐ": "Hợp đồng", "CĐ": "Công điện", "BGN": "Bản ghi nhớ", "BTT": "Bản thỏa thuận",
    "GUQ": "Giấy ủy quyền", "GM": "Giấy mời", "GGT": "Giấy giới thiệu", "GNP": "Giấy nghỉ phép",
    "PG": "Phiếu gửi", "PC": "Phiếu chuyển", "PB": "Phiếu báo",
}
CONG_VAN = "Công văn"
SIGNING_PREFIXES = ("TM", "KT", "Q", "TL", "TUQ")
MOTTO_FOLDED = ("CONG HOA XA HOI CHU NGHIA VIET NAM", "DOC LAP - TU DO - HANH PHUC")

# Folded abbreviation → canonical, for repairing a lost stroke ("QD" → "QĐ"); folds that two abbreviations
# share (HD Hướng dẫn / HĐ Hợp đồng, DA / ĐA) are left out: there the letters read are taken as they are.
_FOLD_COUNTS: dict[str, int] = {}
for _abbr in TYPE_ABBREVIATIONS:
    _FOLD_COUNTS[fold(_abbr)] = _FOLD_COUNTS.get(fold(_abbr), 0) + 1
_FOLDED_TYPES = {fold(k): k for k in TYPE_ABBREVIATIONS if _FOLD_COUNTS[fold(k)] == 1}
_TITLE_TYPES = {fold(v).upper(): v for v in TYPE_ABBREVIATIONS.values()}

_NUMBER_LINE = re.compile(  # the slash may be lost ("Số: 1HD-PNV"); then the ký hiệu must start with a known type
    r"\bS[o0ô6]\s*[:;.,]?\s*(?P<so>[0-9OIlo]{1,5})\s*(?P<slash>/)?\s*(?P<kh>[A-Za-z0-9]+(?:\s*-\s*[A-Za-z0-9]+)*)")
_DATE_LINE = re.compile(
    r"(?P<place>[^\n,]{2,40}?)\s*,\s*ngay\s*(?P<d>[0-9OIl]{1,2})\s*thang\s*(?P<m>[0-9OIl]{1,2})"
    r"\s*nam\s*(?P<y>[0-9OIl]{4})", re.IGNORECASE)
_VV_LINE = re.compile(r"^\s*V\s*/\s*v\.?\s*(?P<rest>.+)$", re.MULTILINE)
_PREFIX_LINE = re.compile(r"^\s*(?P<prefix>TM|KT|TUQ|TL|Q)\s*\.\s*(?P<rest>.+)$", re.MULTILINE)
_NAME = re.compile(r"^(?:[A-ZĐ][a-zà-ỹđ]+)(?: [A-ZĐ][a-zà-ỹđ]+){1,4}$")
_DIGIT_REPAIR = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1"})


@dataclass(frozen=True)
class Extracted:
    value: str | int | None
    confidence: float


@dataclass
class VanBanMetadata:
    """Proposed metadata of one văn bản; every field has a value (or None) and a confidence."""

    so: Extracted = field(default_factory=lambda: Extracted(None, 0.0))
    ky_hieu: Extracted = field(default_factory=lambda: Extracted(None, 0.0))
    noi_ban_hanh: Extracted = field(default_factory=lambda: Extracted(None, 0.0))
    ngay_ban_hanh: Extracted = field(default_factory=lambda: Extracted(None, 0.0))
    ten_loai: Extracted = field(default_factory=lambda: Extracted(None, 0.0))
    co_quan_ban_hanh: Extracted = field(default_factory=lambda: Extracted(None, 0.0))
    trich_yeu: Extracted = field(default_factory=lambda: Extracted(None, 0.0))
    chuc_vu_ky: Extracted = field(default_factory=lambda: Extracted(None, 0.0))
    nguoi_ky: Extracted = field(default_factory=lambda: Extracted(None, 0.0))

    @property
    def so_ky_hieu(self) -> str | None:
        """``15/QĐ-UBND`` as it appears on the number line."""
        if self.so.value is None or self.ky_hieu.value is None:
            return None
        return f"{self.so.value}/{self.ky_hieu.value}"

    def to_dict(self) -> dict:
        return {name: {"value": str(f["value"]) if isinstance(f["value"], dt.date) else f["value"],
                       "confidence": round(f["confidence"], 3)}
                for name, f in asdict(self).items()}


def extract(text: str) -> VanBanMetadata:
    """Propose NĐ 30 metadata for the OCR text of a văn bản (its first page carries almost everything)."""
    text = nfc(text)
    folded = fold(text)
    meta = VanBanMetadata()
    number = next((m for m in _NUMBER_LINE.finditer(folded) if m.group("slash") or _starts_with_type(m.group("kh"))),
                  None)
    if number:
        meta.so, meta.ky_hieu = _number_fields(text, number)
    date = _DATE_LINE.search(folded)
    if date:
        meta.noi_ban_hanh, meta.ngay_ban_hanh = _date_fields(text, date)
    meta.ten_loai = _ten_loai(text, folded, meta.ky_hieu)
    header_end = min(m.start() for m in (number, date) if m) if (number or date) else 0
    meta.co_quan_ban_hanh = _co_quan(text[:header_end])
    meta.trich_yeu = _trich_yeu(text, folded, meta.ten_loai, date.end() if date else header_end)
    meta.chuc_vu_ky, meta.nguoi_ky = _signer(text)
    return meta


def _number_fields(text: str, match: re.Match) -> tuple[Extracted, Extracted]:
    raw_so = match.group("so")
    repaired = raw_so.translate(_DIGIT_REPAIR)
    so_conf = (1.0 if raw_so == repaired else 0.8) * (1.0 if match.group("slash") else 0.85)
    kh = re.sub(r"\s*-\s*", "-", text[match.start("kh"):match.end("kh")])
    parts = kh.split("-")
    canonical = None if parts[0] in TYPE_ABBREVIATIONS else (
        _FOLDED_TYPES.get(fold(parts[0])) or _undoubled(parts[0]) or _unconfused(parts[0]))
    kh_conf = 0.95
    if canonical:
        parts[0] = canonical  # "QD" read without its stroke → "QĐ"
        kh_conf = 0.85
    return Extracted(int(repaired), so_conf), Extracted("-".join(parts), kh_conf)


def _starts_with_type(folded_kh: str) -> bool:
    """Does a folded ký hiệu begin with a known tên loại abbreviation ("HD-PNV")?"""
    first = folded_kh.split("-")[0].strip()
    return first in _FOLDED_TYPES or first in TYPE_ABBREVIATIONS


_CONFUSED = {"I": "T", "l": "I", "1": "I"}  # letters OCR reads for others in thin print ("TIr" for "TTr")


def _unconfused(abbreviation: str) -> str | None:
    """A known abbreviation that OCR read with one letter swapped for a look-alike ("TIr" → "TTr"), else None."""
    for i, ch in enumerate(abbreviation):
        if ch in _CONFUSED:
            candidate = abbreviation[:i] + _CONFUSED[ch] + abbreviation[i + 1:]
            if candidate in TYPE_ABBREVIATIONS:
                return candidate
    return None


def _undoubled(abbreviation: str) -> str | None:
    """A known abbreviation that OCR read with one letter doubled ("QĐĐ" → "QĐ"), else None."""
    for i in range(1, len(abbreviation)):
        if abbreviation[i] == abbreviation[i - 1]:
            candidate = abbreviation[:i] + abbreviation[i + 1:]
            if candidate in TYPE_ABBREVIATIONS:
                return candidate
    return None


def _date_fields(text: str, match: re.Match) -> tuple[Extracted, Extracted]:
    day, month, year = (int(match.group(g).translate(_DIGIT_REPAIR)) for g in ("d", "m", "y"))
    place = text[match.start("place"):match.end("place")].strip(" .:-\t")
    place = place.splitlines()[-1].strip() if place else place
    exact = text[match.start():match.end()] == nfc(text[match.start():match.end()]) and \
        "ngày" in text[match.start():match.end()]
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return Extracted(place or None, 0.5), Extracted(None, 0.0)
    return Extracted(place or None, 0.9 if place else 0.0), Extracted(date, 0.95 if exact else 0.8)


def _ten_loai(text: str, folded: str, ky_hieu: Extracted) -> Extracted:
    if ky_hieu.value:
        first = str(ky_hieu.value).split("-")[0]
        if first in TYPE_ABBREVIATIONS:
            return Extracted(TYPE_ABBREVIATIONS[first], ky_hieu.confidence)
    for line in folded.splitlines():
        title = line.strip().upper()
        if title in _TITLE_TYPES:
            return Extracted(_TITLE_TYPES[title], 0.85)
    if _VV_LINE.search(folded) or ky_hieu.value:
        return Extracted(CONG_VAN, 0.8 if _VV_LINE.search(folded) else 0.5)
    return Extracted(None, 0.0)


def _strip_motto(line: str) -> str:
    folded = fold(line).upper()
    for motto in MOTTO_FOLDED:
        at = folded.find(motto)
        if at >= 0:
            line = (line[:at] + line[at + len(motto):])
            folded = fold(line).upper()
    return line.strip(" -\t")


def _co_quan(header: str) -> Extracted:
    """The issuing body: the last upper-case header line before the number/date lines, motto removed."""
    lines = [_strip_motto(line) for line in header.splitlines()]
    candidates = [line for line in lines if len(line) >= 3 and line.upper() == line and any(c.isalpha() for c in line)]
    if not candidates:
        return Extracted(None, 0.0)
    return Extracted(candidates[-1], 0.85 if len(candidates) >= 1 else 0.6)


def _trich_yeu(text: str, folded: str, ten_loai: Extracted, after: int) -> Extracted:
    vv = _VV_LINE.search(folded, after if ten_loai.value == CONG_VAN else 0)
    if ten_loai.value == CONG_VAN and vv:
        rest = text[vv.start("rest"):vv.end("rest")].strip()
        continuation = _continuation(text[vv.end():].splitlines()[1:], stop_on_upper=False)
        return Extracted(" ".join(["V/v " + rest, *continuation]).strip(), 0.9)
    lines = text[after:].splitlines()
    folded_lines = folded[after:].splitlines()
    for i, line in enumerate(folded_lines):
        if line.strip().upper() in _TITLE_TYPES:
            body = _continuation(lines[i + 1:], stop_on_upper=False)
            return Extracted(" ".join(body) or None, 0.85 if body else 0.0)
    return Extracted(None, 0.0)


def _continuation(lines: list[str], *, stop_on_upper: bool) -> list[str]:
    """The lines of a summary: its first line, then wrapped lines that continue the sentence (they start in
    lower case); a blank line, a capitalised line (a new paragraph), a 'Căn cứ'/'Kính gửi' line or a list
    item ends it."""
    out = []
    for line in lines:
        stripped = line.strip()
        key = fold(stripped).lower()
        if not stripped or key.startswith(("can cu", "kinh gui", "theo de nghi", "thuc hien")) or stripped.startswith("-"):
            break
        if stop_on_upper and stripped.upper() == stripped:
            break
        if out and not stripped[0].islower():
            break
        out.append(stripped)
        if len(out) == 3:
            break
    return out


def _signer(text: str) -> tuple[Extracted, Extracted]:
    """The signing block at the end: an optional prefix line, a title line, then the signer's name."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    tail = lines[-12:]
    prefix_line = None
    for line in tail:
        match = _PREFIX_LINE.match(fold(line))
        if match:
            prefix_line = line
    name = next((line for line in reversed(tail) if _NAME.match(line)), None)
    chuc_vu = Extracted(prefix_line, 0.9) if prefix_line else Extracted(None, 0.0)
    return chuc_vu, (Extracted(name, 0.85) if name else Extracted(None, 0.0))


def signing_prefix(chuc_vu: str | None) -> str | None:
    """``"KT. GIÁM ĐỐC"`` → ``"KT."``; None when the signer signs in their own right."""
    if not chuc_vu:
        return None
    match = _PREFIX_LINE.match(fold(chuc_vu))
    return f"{match.group('prefix')}." if match else None
