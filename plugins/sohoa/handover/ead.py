"""``metadata/descriptive/EAD.xml``: the TT 05/2025 metadata of a unit as EAD 2002.

Layout: ``archdesc level="fonds"`` (the phông) → ``c01 level="file"`` (the hồ sơ) → one ``c02 level="item"``
per văn bản of the unit, each pointing (``dao``) at its PDF in ``representations/rep1/data``. TT 05 fields with
no EAD element of their own are ``odd`` notes typed with the catalogue's field name.
"""
from __future__ import annotations

from lxml import etree

from ..glossary import MUC_DO_TIEP_CAN, MUC_DO_TIN_CAY, THOI_HAN_BAO_QUAN
from .records import Unit, iso
from .schemas import NS
from .xmltree import sub

LANGUAGE_CODES = {"vi": "vie", "vie": "vie", "tiếng việt": "vie", "en": "eng", "eng": "eng", "tiếng anh": "eng",
                  "fr": "fre", "fre": "fre", "tiếng pháp": "fre", "zh": "chi", "chi": "chi", "tiếng trung": "chi"}


def build(unit: Unit, pdf_href: dict[int, str]) -> etree._Element:
    """The EAD document of ``unit``; ``pdf_href`` maps STT to the PDF's path inside the package."""
    h = unit.ho_so
    ead = etree.Element(f"{{{NS['ead']}}}ead", nsmap={None: NS["ead"], "xlink": NS["xlink"]})
    header = sub(ead, "ead:eadheader", langencoding="iso639-2b", dateencoding="iso8601",
                 countryencoding="iso3166-1", scriptencoding="iso15924")
    sub(header, "ead:eadid", unit.identifier, countrycode="VN")
    titles = sub(sub(header, "ead:filedesc"), "ead:titlestmt")
    sub(titles, "ead:titleproper", h["tieu_de"] if unit.level == "ho_so" else unit.van_ban[0]["trich_yeu"])
    profile = sub(header, "ead:profiledesc")
    created = iso()
    creation = sub(profile, "ead:creation", "Lập bởi sohoa (gói nộp lưu theo TT 05/2025/TT-BNV) ")
    sub(creation, "ead:date", created, normal=created[:10])
    _language(sub(profile, "ead:langusage"), "Tiếng Việt")

    fonds = sub(ead, "ead:archdesc", level="fonds")
    did = sub(fonds, "ead:did")
    sub(did, "ead:unitid", h["ma_phong"], type="ma_phong")
    sub(did, "ead:unittitle", h["ten_phong"])
    sub(sub(did, "ead:repository"), "ead:corpname", h["agency_ten"])
    dsc = sub(fonds, "ead:dsc")
    _ho_so(sub(dsc, "ead:c01", level="file", id=_xml_id("hs", h["ma_ho_so"])), unit, pdf_href)
    return ead


def _ho_so(c01: etree._Element, unit: Unit, pdf_href: dict[int, str]) -> None:
    h = unit.ho_so
    did = sub(c01, "ead:did")
    sub(did, "ead:unitid", h["ma_ho_so"], type="ma_ho_so")
    sub(did, "ead:unittitle", h["tieu_de"])
    start, end = h["thoi_gian_bat_dau"], h["thoi_gian_ket_thuc"]
    sub(did, "ead:unitdate", f"{start:%d/%m/%Y} - {end:%d/%m/%Y}", normal=f"{start:%Y-%m-%d}/{end:%Y-%m-%d}",
        type="inclusive")
    physdesc = sub(did, "ead:physdesc")
    pages = h["so_luong_trang"] or h["trang_count"] or sum(v["so_trang"] or 0 for v in unit.van_ban)
    sub(physdesc, "ead:extent", pages, unit="trang")
    if h["so_luong_to"] is not None:
        sub(physdesc, "ead:extent", h["so_luong_to"], unit="tờ")
    sub(physdesc, "ead:extent", h["tong_so_tai_lieu"] or len(unit.van_ban), unit="văn bản")
    if h["tinh_trang_vat_ly"]:
        sub(physdesc, "ead:physfacet", h["tinh_trang_vat_ly"], type="tinh_trang_vat_ly")
    _language(sub(did, "ead:langmaterial"), h["ngon_ngu"])
    if h["hop_so"]:
        sub(did, "ead:container", h["hop_so"], type="hop")
    if h["muc_luc_so"]:
        sub(did, "ead:container", h["muc_luc_so"], type="muc_luc")
    sub(sub(c01, "ead:accessrestrict", type="muc_do_tiep_can"), "ead:p", MUC_DO_TIEP_CAN[h["muc_do_tiep_can"]])
    _note(c01, "thoi_han_bao_quan", "Thời hạn bảo quản", THOI_HAN_BAO_QUAN[h["thoi_han_bao_quan"]])
    _note(c01, "muc_do_tin_cay", "Mức độ tin cậy", MUC_DO_TIN_CAY[h["muc_do_tin_cay"]])
    if h["ky_hieu_thong_tin"]:
        _note(c01, "ky_hieu_thong_tin", "Ký hiệu thông tin", h["ky_hieu_thong_tin"])
    if h["ma_ho_so_goc_giay"]:
        sub(sub(c01, "ead:originalsloc"), "ead:p", f"Mã hồ sơ gốc giấy: {h['ma_ho_so_goc_giay']}")
    if h["ghi_chu"]:
        _note(c01, "ghi_chu", "Ghi chú", h["ghi_chu"])
    if h["tu_khoa"]:
        keywords = sub(c01, "ead:controlaccess")
        for word in h["tu_khoa"]:
            sub(keywords, "ead:subject", word, source="tu_khoa")
    for row in unit.van_ban:
        _van_ban(sub(c01, "ead:c02", level="item", id=_xml_id("vb", row["ma_luu_tru"])), row, pdf_href[row["stt"]])


def _van_ban(c02: etree._Element, row: dict, href: str) -> None:
    did = sub(c02, "ead:did")
    sub(did, "ead:unitid", row["ma_luu_tru"], type="ma_luu_tru")
    if row["ma_dinh_danh"]:
        sub(did, "ead:unitid", row["ma_dinh_danh"], type="ma_dinh_danh")
    number = row["so_ky_hieu"] or "/".join(str(x) for x in (row["so"], row["ky_hieu"]) if x)
    if number:
        sub(did, "ead:unitid", number, type="so_ky_hieu")
    sub(did, "ead:unittitle", f"{row['ten_loai']}: {row['trich_yeu']}")
    day = row["ngay_ban_hanh"]
    sub(did, "ead:unitdate", f"{day:%d/%m/%Y}", normal=f"{day:%Y-%m-%d}", type="inclusive")
    sub(sub(did, "ead:origination", label="Cơ quan ban hành"), "ead:corpname", row["co_quan_ban_hanh"])
    pages = row["so_trang"] or row["trang_cuoi"] - row["trang_dau"] + 1
    sub(sub(did, "ead:physdesc"), "ead:extent", pages, unit="trang")
    if row["ngon_ngu"]:
        _language(sub(did, "ead:langmaterial"), row["ngon_ngu"])
    sub(did, "ead:dao", xlink__type="simple", xlink__href=href, xlink__title=href.rsplit("/", 1)[-1])
    _note(c02, "ten_loai", "Tên loại văn bản", row["ten_loai"])
    for field, label in (("but_tich", "Bút tích"), ("ghi_chu", "Ghi chú")):
        if row[field]:
            _note(c02, field, label, row[field])
    if row["nguoi_ky"]:
        sub(sub(c02, "ead:controlaccess"), "ead:persname", row["nguoi_ky"], role="người ký")


def _language(parent: etree._Element, value: str) -> None:
    code = LANGUAGE_CODES.get(value.strip().lower())
    sub(parent, "ead:language", value, langcode=code)


def _note(parent: etree._Element, kind: str, label: str, text: str) -> None:
    note = sub(parent, "ead:odd", type=kind)
    sub(note, "ead:head", label)
    sub(note, "ead:p", text)


def _xml_id(prefix: str, value: str) -> str:
    """An xs:ID from an archival code (codes may contain dots and hyphens, which IDs allow)."""
    return f"{prefix}-{value}".replace("/", "_")
