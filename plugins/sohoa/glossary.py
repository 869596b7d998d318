"""The archive's Vietnamese terms, mapped once.

Code names things in the archive's own words where that helps (``phong``, ``ho_so``, ``van_ban``); this module
says what each word means and holds the coded values with the labels shown to people. The database's check
constraints (migrations) list the same codes; ``tests/sohoa/test_catalogue.py`` keeps the two in step.
"""
from __future__ import annotations

TERMS = {
    "co_quan": "cơ quan — the agency that owns the records (several agencies share one catalogue)",
    "phong": "phông lưu trữ — fonds: every record formed by one agency",
    "muc_luc": "mục lục hồ sơ — a finding list (register) of hồ sơ within a phông, numbered per year",
    "hop": "hộp — archival box holding hồ sơ on the shelf",
    "ho_so": "hồ sơ — file: the unit of description and of delivery (mã hồ sơ identifies it)",
    "van_ban": "văn bản — one document inside a hồ sơ (NĐ 30/2020 fields)",
    "trang": "trang — one page image",
    "lo": "lô — a vendor's delivery (batch) of hồ sơ",
    "thoi_han_bao_quan": "thời hạn bảo quản — retention period",
    "muc_do_tiep_can": "mức độ tiếp cận — access level",
    "muc_do_tin_cay": "mức độ tin cậy — reliability (born digital / digitised / mixed)",
    "che_do_mau": "chế độ màu — colour mode of a page image",
    "so_luong_to": "số lượng tờ — number of sheets",
    "so_luong_trang": "số lượng trang — number of pages",
    "tu_khoa": "từ khóa — keywords",
    "met_gia": "mét giá — shelf metres",
    "gia_tri_cao": "giá trị cao — of high value / in frequent use (phase-1 priority)",
    "da_chinh_ly": "đã chỉnh lý — arranged",
    "nop_luu": "nộp lưu — an agency's submission of an electronic hồ sơ to the archive (born-digital intake)",
    "van_thu": "văn thư — the agency's records clerk who registers, signs off and submits văn bản",
    "goc_dien_tu": "gốc điện tử — born digital: the signed electronic original is the record",
    "dinh_kem": "đính kèm — an attachment of a văn bản (DOCX, XLSX, images…)",
    "chu_ky_so": "chữ ký số — digital signature (PDF, CAdES detached) of the issuing body or a counter-signer",
}

THOI_HAN_BAO_QUAN = {
    "vinh_vien": "Vĩnh viễn",
    "70": "70 năm",
    "50": "50 năm",
    "30": "30 năm",
    "20": "20 năm",
    "10": "10 năm",
    "khac": "Khác",
}
MUC_DO_TIEP_CAN = {
    "cong_khai": "Công khai",
    "co_dieu_kien": "Sử dụng có điều kiện",
    "mat": "Mật",
}
MUC_DO_TIN_CAY = {
    "goc_dien_tu": "Gốc điện tử",
    "so_hoa": "Số hóa",
    "hon_hop": "Hỗn hợp",
}
CHE_DO_MAU = {
    "color": "Màu (24 bit trở lên)",
    "grayscale": "Thang xám",
    "bitonal": "Đen trắng (1 bit)",
}
VERDICT = {
    "accepted": "Chấp nhận",
    "partial": "Chấp nhận một phần",
    "rejected": "Từ chối",
}
