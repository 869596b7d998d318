"""A vendor batch as the archivist's workspace shows it, written straight into the real catalogue and S3.

One batch ``partial``: a public hồ sơ of three pages (page 1 read, with its ALTO and a master image; page 2
parked after three failures; page 3 failed once) and two văn bản with proposed metadata on the review queue; a
mật hồ sơ of one parked page with its own văn bản item; a rejected file (150 dpi) that never reached the catalogue.
"""
from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from sohoa import storage
from sohoa.catalogue.db import connect, transaction
from sohoa.processing.review import flag_page, flag_van_ban

WIDTH, HEIGHT = 1240, 1754  # an A4 page at 150 dpi
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
VENDOR = "vendor-demo"
# (text, x, y) per line; words are laid out left to right, 14 px per character
LINES = [("UBND THÀNH PHỐ HẢI PHÒNG", 120, 120), ("SỞ NỘI VỤ", 200, 160), ("Số: 113/TB-SNV", 170, 210),
         ("Hải Phòng, ngày 28 tháng 6 năm 2025", 700, 210), ("THÔNG BÁO", 520, 320),
         ("Về kết quả thực hiện nhiệm vụ chuyển đổi số", 300, 370), ("GIÁM ĐỐC", 800, 1300),
         ("Phạm Minh Tuấn", 780, 1460)]
PROPOSED = {"so": "113", "ky_hieu": "TB-SNV", "ngay_ban_hanh": "2025-06-28", "ten_loai": "Thông báo",
            "co_quan_ban_hanh": "SỞ NỘI VỤ", "trich_yeu": "Về kết quả thực hiện nhiệm vụ chuyển đổi số",
            "nguoi_ky": "Phạm Minh Tuấn"}
CHAR_PX = 14


@dataclass
class Workspace:
    vendor: str
    batch_id: str
    ma_public: str
    ma_secret: str
    pages: dict[str, int]  # "read", "parked", "failed", "secret" → trang id
    items: dict[str, int]  # "first", "second", "secret" (văn bản), "parked" (page) → review item id


def _words():
    for n, (text, x, y) in enumerate(LINES):
        for word in text.split(" "):
            yield n, word, x, y, len(word) * CHAR_PX, 28
            x += (len(word) + 1) * CHAR_PX


def page_image(label: str) -> bytes:
    """The page's words where its ALTO says, and ``label`` in the footer (the catalogue wants one SHA-256 a page)."""
    image = Image.new("L", (WIDTH, HEIGHT), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 22)
    for _, word, x, y, _, _ in _words():
        draw.text((x, y), word, fill=0, font=font)
    draw.text((120, HEIGHT - 80), label, fill=0, font=font)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, dpi=(150, 150))
    return out.getvalue()


def page_alto() -> bytes:
    lines: dict[int, list[str]] = {}
    for n, word, x, y, w, h in _words():
        content = word.replace("&", "&amp;").replace('"', "&quot;")
        lines.setdefault(n, []).append(f'<String CONTENT="{content}" HPOS="{x}" VPOS="{y}" WIDTH="{w}" HEIGHT="{h}"/>')
    body = "".join(f'<TextLine ID="L{n}">{"<SP/>".join(words)}</TextLine>' for n, words in lines.items())
    return (f'<?xml version="1.0" encoding="UTF-8"?><alto xmlns="http://www.loc.gov/standards/alto/ns-v4#">'
            f'<Layout><Page ID="P1" WIDTH="{WIDTH}" HEIGHT="{HEIGHT}"><PrintSpace><TextBlock ID="B1">{body}'
            f'</TextBlock></PrintSpace></Page></Layout></alto>').encode()


def make_workspace() -> Workspace:
    """Write the batch; every name carries a fresh tag, so runs never collide."""
    tag = uuid.uuid4().hex[:10]
    batch_id, s3 = f"ws-{tag}", storage.client()
    alto = page_alto()
    conn = connect()
    try:
        with transaction(conn) as cur:
            cur.execute("INSERT INTO agency (ma, ten) VALUES (%s, 'Cơ quan thử') RETURNING id", (f"W{tag}",))
            agency = cur.fetchone()[0]
            cur.execute("INSERT INTO phong (agency_id, ma_phong, ten_phong) VALUES (%s, %s, 'Phông thử') RETURNING id",
                        (agency, f"W{tag}"))
            phong = cur.fetchone()[0]
            cur.execute(
                """INSERT INTO batch (vendor, batch_id, agency_id, status, verdict, item_count, accepted_count,
                                      rejected_count, validated_at, finished_at)
                   VALUES (%s, %s, %s, 'done', 'partial', 5, 4, 1, now(), now()) RETURNING id""",
                (VENDOR, batch_id, agency))
            batch = cur.fetchone()[0]
            ma_public, ma_secret = f"W{tag}.01.2025.001", f"W{tag}.01.2025.002"
            cur.execute(
                """INSERT INTO batch_item (batch_id, name, kind, status, reasons, ma_ho_so, so_trang)
                   VALUES (%s, %s, 'page', 'rejected', %s, %s, 4)""",
                (batch, f"{ma_public}/0004.jpg", '[{"code": "dpi_too_low", "message": "Trang 4 (' + ma_public
                 + '/0004.jpg): độ phân giải 150 dpi, thấp hơn mức tối thiểu 200 dpi"}]', ma_public))
            pages, items = {}, {}
            for ma, level in ((ma_public, "cong_khai"), (ma_secret, "mat")):
                cur.execute(
                    """INSERT INTO ho_so (agency_id, phong_id, batch_id, ma_ho_so, tieu_de, thoi_han_bao_quan,
                                          muc_do_tiep_can, muc_do_tin_cay) VALUES (%s, %s, %s, %s, %s, 'vinh_vien',
                                          %s, 'so_hoa') RETURNING id""",
                    (agency, phong, batch, ma, f"Hồ sơ thử {level}", level))
                ho_so = cur.fetchone()[0]
                kinds = (("read", "done"), ("parked", "parked"), ("failed", "failed")) if level == "cong_khai" \
                    else (("secret", "parked"),)
                for so_trang, (kind, status) in enumerate(kinds, start=1):
                    key = f"test-workspace/{ma}/{so_trang:04d}.jpg"
                    put = storage.put_bytes(s3, storage.MASTERS, key, page_image(key), content_type="image/jpeg")
                    cur.execute(
                        """INSERT INTO trang (ho_so_id, so_trang, sha256, size_bytes, dpi, width, height, color_mode,
                                              master_key, master_version_id, ocr_status, ocr_attempts, ocr_error,
                                              reading_quality, ocr_confidence)
                           VALUES (%s, %s, %s, %s, 300, %s, %s, 'grayscale', %s, %s, %s, %s, %s, %s, %s)
                           RETURNING id""",
                        (ho_so, so_trang, put.sha256, put.size, WIDTH, HEIGHT, key, put.version_id, status,
                         {"done": 1, "parked": 3, "failed": 1}[status],
                         None if status == "done" else "OCR raised RuntimeError('engine crashed on this page')",
                         0.42 if status == "done" else None, 0.91 if status == "done" else None))
                    pages[kind] = cur.fetchone()[0]
                    if status == "parked":
                        flag_page(cur, pages[kind], "ocr_parked", {"error": "engine crashed", "attempts": 3})
                if level == "cong_khai":
                    alto_key = f"{ma}/ocr/0001.alto.xml"
                    storage.put_bytes(s3, storage.DERIVATIVES, alto_key, alto, content_type="application/xml")
                    cur.execute("UPDATE trang SET alto_key = %s WHERE id = %s", (alto_key, pages["read"]))
                spans = ((1, 1, 1), (2, 2, 3)) if level == "cong_khai" else ((1, 1, 1),)
                for stt, first, last in spans:
                    proposal = {name: {"value": value, "confidence": 0.6 if name == "trich_yeu" else 0.95}
                                for name, value in PROPOSED.items()}
                    cur.execute(
                        """INSERT INTO van_ban (ho_so_id, stt, ma_luu_tru, trang_dau, trang_cuoi, so, ky_hieu,
                                                ngay_ban_hanh, ten_loai, co_quan_ban_hanh, trich_yeu, nguoi_ky,
                                                proposed)
                           VALUES (%(h)s, %(stt)s, %(ml)s, %(f)s, %(l)s, %(so)s, %(ky_hieu)s, %(ngay_ban_hanh)s,
                                   %(ten_loai)s, %(co_quan_ban_hanh)s, %(trich_yeu)s, %(nguoi_ky)s, %(p)s)
                           RETURNING id""",
                        {**PROPOSED, "h": ho_so, "stt": stt, "ml": f"{ma}.{stt:02d}", "f": first, "l": last,
                         "p": json.dumps(proposal)})
                    van_ban = cur.fetchone()[0]
                    flag_van_ban(cur, van_ban, {"proposed": proposal})
                    cur.execute("SELECT id FROM review_item WHERE object_type = 'van_ban' AND object_id = %s",
                                (van_ban,))
                    items[{(ma_public, 1): "first", (ma_public, 2): "second"}.get((ma, stt), "secret")] = \
                        cur.fetchone()[0]
            cur.execute("SELECT id FROM review_item WHERE object_type = 'trang' AND object_id = %s", (pages["parked"],))
            items["parked"] = cur.fetchone()[0]
    finally:
        conn.close()
    return Workspace(VENDOR, batch_id, ma_public, ma_secret, pages, items)
