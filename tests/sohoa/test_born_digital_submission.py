"""Intake of electronic hồ sơ (nộp lưu) against the real catalogue and S3: verdicts, storage, catalogue, events."""
from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile

import openpyxl
import pytest
from lxml import etree

from ocr_engine.synth import render_page
from sohoa import storage
from sohoa.born_digital import figures
from sohoa.born_digital import submission as sub
from sohoa.born_digital.samples import VAN_BAN_TEXT, ThrowawayCA, flip_byte, image_pdf, sign, text_pdf, with_javascript
from sohoa.born_digital.signatures import TrustStore
from sohoa.catalogue.db import transaction
from sohoa.cli import main as sohoa_main
from sohoa.handover.package import build_package
from sohoa.handover.records import describe
from sohoa.handover.schemas import NS
from sohoa.handover.validate import validate_zip
from sohoa.intake.source import LocalBatch

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def signers():
    ca = ThrowawayCA.make()
    return (ca.issue("Ủy ban nhân dân tỉnh Thử Nghiệm", "Tỉnh Thử Nghiệm", rsa_key=True),
            ca.issue("Công báo tỉnh Thử Nghiệm", "Tỉnh Thử Nghiệm"))


@pytest.fixture(scope="module")
def s3(migrated):
    return storage.client()


@pytest.fixture()
def agency(conn):
    code = f"UB{uuid.uuid4().hex[:8]}"
    with transaction(conn) as cur:
        cur.execute("INSERT INTO agency (ma, ten) VALUES (%s, 'Ủy ban nhân dân tỉnh Thử Nghiệm')", (code,))
    return code


def _scan_pdf(seed: int = 11) -> bytes:
    image, _truth, _fields = render_page(seed=seed, dpi=300)
    png = io.BytesIO()
    image.save(png, format="PNG", dpi=(300, 300))
    return image_pdf(png.getvalue())


def _metadata(agency: str, code: str, van_ban: list[dict]) -> dict:
    return {"schema_version": "1.0", "co_quan": {"ma": agency, "ten": "Ủy ban nhân dân tỉnh Thử Nghiệm"},
            "phong": {"ma_phong": f"P{agency}", "ten_phong": "Phông UBND tỉnh Thử Nghiệm"},
            "ho_so": {"ma_ho_so": code, "tieu_de": "Hồ sơ về số hóa tài liệu lưu trữ năm 2025",
                      "thoi_han_bao_quan": "vinh_vien", "muc_do_tiep_can": "cong_khai"},
            "van_ban": van_ban}


def _submission(folder, files: dict[str, bytes], document: dict | None):
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    if document is not None:
        (folder / "ho_so.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return LocalBatch(folder)


def _take(conn, s3, source, agency, submission_id="N001"):
    return sub.take_in(conn, s3, source, agency_ma=agency, submission_id=submission_id, trust=TrustStore())


def _reasons(report, name):
    item = next(i for i in report["items"] if i["name"] == name)
    return {r["code"] for r in item["reasons"]}


def test_signed_ho_so_is_kept_bit_exact_with_a_pdfa_copy_catalogued_as_goc_dien_tu(conn, s3, agency, signers,
                                                                                     tmp_path):
    ubnd, cong_bao = signers
    qd = sign(sign(text_pdf(), ubnd), cong_bao, field="CongBao")
    scan = sign(_scan_pdf(), ubnd, digest="sha1")
    code = f"{agency}.01.2025.01"
    document = _metadata(agency, code, [
        {"stt": 1, "tep": "van-ban/qd-15.pdf", "sha256": hashlib.sha256(qd).hexdigest(), "ten_loai": "Quyết định",
         "so": "15", "ky_hieu": "QĐ-UBND", "ngay_ban_hanh": "2025-08-18", "co_quan_ban_hanh": "UBND tỉnh Thử Nghiệm",
         "trich_yeu": "Về việc ban hành Kế hoạch số hóa tài liệu lưu trữ năm 2025",
         "dinh_kem": [{"tep": "van-ban/ke-hoach.docx"}]},
        {"stt": 2, "tep": "van-ban/scan.pdf"}])
    source = _submission(tmp_path / "N001", {"van-ban/qd-15.pdf": qd, "van-ban/scan.pdf": scan,
                                             "van-ban/ke-hoach.docx": b"PK\x03\x04 docx bytes"}, document)
    report = _take(conn, s3, source, agency)
    assert report["verdict"] == "accepted", json.dumps(report, ensure_ascii=False, indent=1)
    flags = {f["code"] for i in report["items"] for f in i["flags"]}
    assert {"weak_digest", "incremental_update_follows", "issuer_not_trusted_here"} <= flags

    original_key = sub.original_key(code, 1)
    assert storage.read_sha256(s3, storage.MASTERS, original_key) == (hashlib.sha256(qd).hexdigest(), len(qd))
    admin = storage.client(identity="admin")
    retention = admin.get_object_retention(Bucket=storage.MASTERS, Key=original_key)["Retention"]
    assert retention["Mode"] == "COMPLIANCE"
    with transaction(conn) as cur:
        cur.execute("SELECT muc_do_tin_cay, pdf_keys, thoi_gian_bat_dau::text FROM ho_so WHERE ma_ho_so = %s", (code,))
        tin_cay, pdf_keys, start = cur.fetchone()
        cur.execute("""SELECT v.stt, v.status, v.so, v.ky_hieu, v.ten_loai, f.rendition_key, f.signatures, f.ocr_pages
                       FROM van_ban v JOIN born_digital_file f ON f.van_ban_id = v.id AND f.role = 'original'
                       JOIN ho_so h ON h.id = v.ho_so_id WHERE h.ma_ho_so = %s ORDER BY v.stt""", (code,))
        rows = cur.fetchall()
        cur.execute("""SELECT e.detail FROM event e JOIN van_ban v ON e.object_id = v.id::text
                       JOIN ho_so h ON h.id = v.ho_so_id WHERE e.object_type = 'van_ban' AND h.ma_ho_so = %s
                       AND e.event_type = 'validation'""", (code,))
        validations = [r[0] for r in cur.fetchall()]
        cur.execute("""SELECT count(*) FROM review_item r JOIN van_ban v ON r.object_id = v.id
                       JOIN ho_so h ON h.id = v.ho_so_id WHERE r.object_type = 'van_ban' AND h.ma_ho_so = %s
                       AND r.status = 'open'""", (code,))
        open_reviews = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM born_digital_file f JOIN ho_so h ON h.id = f.ho_so_id "
                    "WHERE h.ma_ho_so = %s AND f.role = 'attachment'", (code,))
        attachments = cur.fetchone()[0]
    assert tin_cay == "goc_dien_tu" and start == "2025-08-18"
    assert pdf_keys["1"]["bucket"] == storage.MASTERS and pdf_keys["1"]["role"] == "preservation master"
    assert pdf_keys["1"]["rendition"]["format"] == "PDF/A-2b"
    (stt1, status1, so1, kh1, loai1, rend1, sigs1, ocr1), (stt2, status2, so2, kh2, _, rend2, sigs2, ocr2) = rows
    assert (status1, so1, kh1, loai1, ocr1) == ("final", "15", "QĐ-UBND", "Quyết định", [])
    assert len(sigs1) == 2 and sigs1[0]["covers_whole_file"] is False and sigs2[0]["digest"] == "sha1"
    assert status2 == "proposed" and ocr2 == [1] and so2 and kh2  # read from the scan's OCR, for review
    assert open_reviews == 1 and attachments == 1
    assert all(v["check"] == "digital signature validation" for v in validations) and len(validations) == 2
    rendered = s3.get_object(Bucket=storage.DERIVATIVES, Key=rend1)["Body"].read()
    assert b"pdfaid" in rendered and rendered != qd

    again = _take(conn, s3, source, agency)
    assert again == report
    with transaction(conn) as cur:
        cur.execute("SELECT count(*) FROM born_digital_submission WHERE agency_ma = %s", (agency,))
        assert cur.fetchone()[0] == 1


def test_workbook_metadata_is_read_like_json(conn, s3, agency, signers, tmp_path):
    qd = sign(text_pdf(), signers[0])
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "ho_so"
    sheet.append(["truong", "gia_tri"])
    for key, value in (("co_quan.ma", agency), ("co_quan.ten", "UBND tỉnh"), ("phong.ma_phong", f"P{agency}"),
                       ("phong.ten_phong", "Phông UBND"), ("ho_so.ma_ho_so", f"{agency}.01.2025.02"),
                       ("ho_so.tieu_de", "Hồ sơ lập bằng Excel"), ("ho_so.thoi_han_bao_quan", "vinh_vien"),
                       ("ho_so.muc_do_tiep_can", "cong_khai"), ("ho_so.tu_khoa", "số hóa; lưu trữ")):
        sheet.append([key, value])
    van_ban = book.create_sheet("van_ban")
    van_ban.append(["stt", "tep", "so", "ky_hieu", "ngay_ban_hanh"])
    van_ban.append([1, "qd.pdf", "15", "QĐ-UBND", "18/08/2025"])
    folder = tmp_path / "X1"
    _submission(folder, {"qd.pdf": qd}, None)
    book.save(folder / "ho_so.xlsx")
    report = _take(conn, s3, LocalBatch(folder), agency, "X1")
    assert report["verdict"] == "accepted", report
    with transaction(conn) as cur:
        cur.execute("SELECT tu_khoa FROM ho_so WHERE ma_ho_so = %s", (f"{agency}.01.2025.02",))
        assert cur.fetchone()[0] == ["số hóa", "lưu trữ"]


def test_changed_byte_rejects_the_ho_so_and_stores_nothing_in_masters(conn, s3, agency, signers, tmp_path):
    bad = flip_byte(sign(text_pdf(), signers[0]))
    code = f"{agency}.01.2025.03"
    source = _submission(tmp_path / "R1", {"qd.pdf": bad, "phu-luc.xlsx": b"PK\x03\x04"},
                         _metadata(agency, code, [{"stt": 1, "tep": "qd.pdf", "dinh_kem": [{"tep": "phu-luc.xlsx"}]}]))
    report = _take(conn, s3, source, agency, "R1")
    assert report["verdict"] == "rejected"
    assert "digest_mismatch" in _reasons(report, "qd.pdf") and _reasons(report, "phu-luc.xlsx") == {"ho_so_incomplete"}
    assert storage.stored_sha256(s3, storage.MASTERS, sub.original_key(code, 1)) is None
    quarantined = storage.stored_sha256(s3, storage.QUARANTINE, report["quarantine"]["qd.pdf"])
    assert quarantined == hashlib.sha256(bad).hexdigest()
    with transaction(conn) as cur:
        cur.execute("SELECT count(*) FROM ho_so WHERE ma_ho_so = %s", (code,))
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT outcome FROM event WHERE object_type = 'ho_so' AND object_id = %s", (code,))
        assert [r[0] for r in cur.fetchall()] == ["failure"]


def test_metadata_that_disagrees_with_the_pdf_is_rejected_with_both_values(conn, s3, agency, signers, tmp_path):
    qd = sign(text_pdf(), signers[0])
    source = _submission(tmp_path / "M1", {"qd.pdf": qd}, _metadata(agency, f"{agency}.01.2025.04", [
        {"stt": 1, "tep": "qd.pdf", "so": "16", "ky_hieu": "QĐ-UBND", "ngay_ban_hanh": "2025-08-19"}]))
    report = _take(conn, s3, source, agency, "M1")
    item = next(i for i in report["items"] if i["name"] == "qd.pdf")
    messages = [r["message"] for r in item["reasons"]]
    assert report["verdict"] == "rejected"
    assert "số khai là 16 nhưng trong văn bản là 15" in messages
    assert "ngày ban hành khai là 19/08/2025 nhưng trong văn bản là 18/08/2025" in messages


def test_same_files_submitted_again_under_another_id_are_refused(conn, s3, agency, signers, tmp_path):
    qd = sign(text_pdf(), signers[0])
    first = _submission(tmp_path / "D1", {"qd.pdf": qd}, _metadata(agency, f"{agency}.01.2025.05",
                                                                    [{"stt": 1, "tep": "qd.pdf"}]))
    assert _take(conn, s3, first, agency, "D1")["verdict"] == "accepted"
    again = _submission(tmp_path / "D2", {"qd.pdf": qd}, _metadata(agency, f"{agency}.01.2025.06",
                                                                    [{"stt": 1, "tep": "qd.pdf"}]))
    report = _take(conn, s3, again, agency, "D2")
    assert report["verdict"] == "rejected" and [p["code"] for p in report["problems"]] == ["duplicate_submission"]
    same_code = _submission(tmp_path / "D3", {"qd.pdf": qd}, _metadata(agency, f"{agency}.01.2025.05",
                                                                        [{"stt": 1, "tep": "qd.pdf"}]))
    assert "ho_so_exists" in [p["code"] for p in _take(conn, s3, same_code, agency, "D3")["problems"]]


def test_unsafe_name_javascript_oversized_and_corrupt_files_each_get_a_reason(conn, s3, agency, signers, tmp_path):
    folder = tmp_path / "B1"
    good = sign(text_pdf(), signers[0])
    source = _submission(folder, {"js.pdf": sign(with_javascript(text_pdf()), signers[0]),
                                  "cut.pdf": good[: len(good) // 2], "extra.pdf": good}, _metadata(
        agency, f"{agency}.01.2025.07", [{"stt": 1, "tep": "../../etc/passwd.pdf"}, {"stt": 2, "tep": "js.pdf"},
                                         {"stt": 3, "tep": "huge.pdf"}, {"stt": 4, "tep": "cut.pdf"},
                                         {"stt": 5, "tep": "missing.pdf"}]))
    with open(folder / "huge.pdf", "wb") as fh:  # 2 GiB, sparse: its size is refused before any byte is read
        fh.truncate(2 * 2**30)
    report = _take(conn, s3, source, agency, "B1")
    assert report["verdict"] == "rejected"
    assert _reasons(report, "../../etc/passwd.pdf") == {"name_traversal"}
    assert "pdf_javascript" in _reasons(report, "js.pdf")
    assert _reasons(report, "huge.pdf") == {"file_too_large"}
    assert _reasons(report, "cut.pdf") & {"pdf_unreadable", "pdf_truncated"}
    assert _reasons(report, "missing.pdf") == {"file_missing"}
    assert _reasons(report, "extra.pdf") == {"unlisted"}
    assert "huge.pdf" not in report["quarantine"] and "extra.pdf" in report["quarantine"]
    assert "Trang" not in sub.report_text(report) and "KHÔNG ĐẠT" in sub.report_text(report)


def test_invalid_metadata_is_refused_with_field_level_messages(conn, s3, agency, tmp_path):
    document = _metadata(agency, "bad code!", [{"stt": 1, "tep": "qd.pdf"}])
    document["ho_so"]["thoi_han_bao_quan"] = "mai mai"
    report = _take(conn, s3, _submission(tmp_path / "S1", {"qd.pdf": b"%PDF-1.4"}, document), agency, "S1")
    messages = [r["message"] for r in next(i for i in report["items"] if i["role"] == "metadata")["reasons"]]
    assert report["verdict"] == "rejected"
    assert any(m.startswith("ho_so.json, ho_so.thoi_han_bao_quan: giá trị \"mai mai\" không hợp lệ") for m in messages)
    assert any("ho_so.ma_ho_so" in m and "sai định dạng" in m for m in messages)


def test_submission_from_the_inbox_gets_its_report_back_and_loses_its_marker(conn, s3, agency, signers):
    qd = sign(text_pdf(), signers[0])
    base = storage.batch_prefix(sub.prefix(agency), "S3A")
    document = _metadata(agency, f"{agency}.01.2025.08", [{"stt": 1, "tep": "qd.pdf"}])
    storage.put_bytes(s3, storage.INBOX, base + "qd.pdf", qd)
    storage.put_bytes(s3, storage.INBOX, base + "ho_so.json", json.dumps(document).encode())
    storage.put_bytes(s3, storage.INBOX, base + "_COMPLETE", b"")
    assert {"agency": agency, "submission_id": "S3A"} in sub.pending(s3)
    report = sub.take_in_from_inbox(conn, s3, agency, "S3A")
    assert report["verdict"] == "accepted"
    back = json.loads(s3.get_object(Bucket=storage.INBOX, Key=base + "_REPORT.json")["Body"].read())
    assert back["verdict"] == "accepted" and {"agency": agency, "submission_id": "S3A"} not in sub.pending(s3)
    text = s3.get_object(Bucket=storage.INBOX, Key=base + "_REPORT.txt")["Body"].read().decode()
    assert "Kết luận: CHẤP NHẬN" in text


def test_figures_count_born_digital_apart_and_flag_paper_scans_formed_after_july_2025(conn, s3, agency, signers,
                                                                                      tmp_path, capsys):
    qd = sign(text_pdf(), signers[0])
    full = {"stt": 1, "tep": "qd.pdf", "ten_loai": "Quyết định", "ngay_ban_hanh": "2025-08-18",
            "co_quan_ban_hanh": "UBND tỉnh Thử Nghiệm", "trich_yeu": "Về việc số hóa"}
    reviewed = _submission(tmp_path / "F1", {"qd.pdf": qd}, _metadata(agency, f"{agency}.F1", [full]))
    assert _take(conn, s3, reviewed, agency, "F1")["verdict"] == "accepted"
    other = sign(text_pdf(VAN_BAN_TEXT.replace("15/QĐ", "16/QĐ")), signers[0])
    proposed = _submission(tmp_path / "F2", {"qd.pdf": other}, _metadata(agency, f"{agency}.F2",
                                                                          [{"stt": 1, "tep": "qd.pdf"}]))
    assert _take(conn, s3, proposed, agency, "F2")["verdict"] == "accepted"
    refused = _submission(tmp_path / "F3", {}, _metadata(agency, f"{agency}.F3", [{"stt": 1, "tep": "qd.pdf"}]))
    assert _take(conn, s3, refused, agency, "F3")["verdict"] == "rejected"
    with transaction(conn) as cur:
        cur.execute("SELECT id FROM agency WHERE ma = %s", (agency,))
        agency_id = cur.fetchone()[0]
        cur.execute("SELECT id FROM phong WHERE agency_id = %s", (agency_id,))
        phong_id = cur.fetchone()[0]
        for code, start in ((f"{agency}.SCAN.2025", "2025-09-01"), (f"{agency}.SCAN.2024", "2024-03-01")):
            cur.execute("""INSERT INTO ho_so (agency_id, phong_id, ma_ho_so, tieu_de, thoi_han_bao_quan,
                                              muc_do_tiep_can, muc_do_tin_cay, thoi_gian_bat_dau, thoi_gian_ket_thuc)
                           VALUES (%s, %s, %s, 'Hồ sơ giấy', '50', 'cong_khai', 'so_hoa', %s, %s) RETURNING id""",
                        (agency_id, phong_id, code, start, start))
            ho_so_id = cur.fetchone()[0]
            cur.execute("""INSERT INTO trang (ho_so_id, so_trang, sha256, size_bytes, dpi, color_mode, master_key)
                           VALUES (%s, 1, %s, 1, 300, 'color', %s)""",
                        (ho_so_id, uuid.uuid4().hex * 2, f"test/{code}/0001.jpg"))
        cur.execute("""INSERT INTO ho_so (agency_id, phong_id, ma_ho_so, tieu_de, thoi_han_bao_quan, muc_do_tiep_can,
                                          muc_do_tin_cay, handed_over_at)
                       VALUES (%s, %s, %s, 'Hồ sơ HP-Net', '50', 'cong_khai', 'goc_dien_tu', now())""",
                    (agency_id, phong_id, f"{agency}.HPNET"))
        cur.execute("""INSERT INTO event (event_type, object_type, object_id, agent, outcome, detail)
                       VALUES ('ingestion', 'ho_so', %s, 'test', 'success', '{"source": "HP-Net"}')""",
                    (f"{agency}.HPNET",))

    counts = {(c.source, c.status): c for c in figures.born_digital_counts(conn, agency)}
    assert set(counts) == {("nop_luu", "reviewed"), ("nop_luu", "catalogued"), ("hpnet", "handed_over")}
    assert (counts["nop_luu", "reviewed"].ho_so, counts["nop_luu", "reviewed"].van_ban) == (1, 1)
    assert counts["nop_luu", "catalogued"].ho_so == 1 and counts["nop_luu", "catalogued"].pages == 1
    assert counts["nop_luu", "reviewed"].unsigned == 0 and counts["nop_luu", "reviewed"].trusted == 0
    [late] = figures.paper_after_cutoff(conn, agency)
    assert late.ma_ho_so == f"{agency}.SCAN.2025" and late.pages == 1
    assert "hình thành ngày 01/09/2025 (sau 01/7/2025)" in late.message and "phải là hồ sơ điện tử" in late.message
    assert sohoa_main(["born-digital", "figures", "--agency", agency]) == 0
    printed = capsys.readouterr().out
    assert "nộp lưu điện tử" in printed and "Lần nộp lưu bị từ chối: 1" in printed and late.message in printed
    [rejected] = figures.rejected_submissions(conn, agency)
    assert rejected["submission_id"] == "F3" and any("file_missing" not in r and "qd.pdf" in r
                                                     for r in rejected["reasons"])


def test_handover_package_carries_the_signed_original_as_preservation_master_and_its_pdfa_copy(
        conn, s3, agency, signers, tmp_path):
    qd = sign(sign(text_pdf(), signers[0]), signers[1], field="CongBao")
    code = f"{agency}.01.2025.HO"
    row = {"stt": 1, "tep": "qd.pdf", "ten_loai": "Quyết định", "so": "15", "ky_hieu": "QĐ-UBND",
           "ngay_ban_hanh": "2025-08-18", "co_quan_ban_hanh": "UBND tỉnh Thử Nghiệm", "trich_yeu": "Về việc số hóa"}
    document = _metadata(agency, code, [row])
    document["ho_so"]["ngon_ngu"] = "Tiếng Việt"
    report = _take(conn, s3, _submission(tmp_path / "H1", {"qd.pdf": qd}, document), agency, "H1")
    assert report["verdict"] == "accepted"
    with transaction(conn) as cur:
        package = build_package(s3, describe(cur, code), "AIP", tmp_path)
    assert validate_zip(package.zip_path) == []
    root = f"AIP-{code}"
    with zipfile.ZipFile(package.zip_path) as archive:
        assert archive.read(f"{root}/representations/rep1/data/{code}.01.pdf") == qd
        copy = archive.read(f"{root}/representations/rep2/data/{code}.01.pdf")
        premis = etree.fromstring(archive.read(f"{root}/metadata/preservation/PREMIS.xml"))
    assert b"pdfaid" in copy and copy != qd
    ns = {"p": NS["premis"]}
    objects = {o.findtext("p:objectIdentifier/p:objectIdentifierValue", namespaces=ns): o
               for o in premis.iterfind("p:object", ns)}
    original = objects[f"representations/rep1/data/{code}.01.pdf"]
    access = objects[f"representations/rep2/data/{code}.01.pdf"]
    assert original.findtext("p:preservationLevel/p:preservationLevelRole", namespaces=ns) == "preservation master"
    assert original.findtext(".//p:formatName", namespaces=ns) == "PDF"
    assert access.findtext(".//p:formatName", namespaces=ns) == "PDF/A-2b"
    assert access.findtext("p:relationship/p:relatedObjectIdentifier/p:relatedObjectIdentifierValue",
                           namespaces=ns) == f"representations/rep1/data/{code}.01.pdf"
    details = [e.findtext(".//p:eventDetail", namespaces=ns) for e in premis.iterfind("p:event", ns)
               if e.findtext("p:eventType", namespaces=ns) == "validation"]
    assert len(details) == 1 and "digital signature validation" in details[0] and "Công báo" in details[0]


def test_cli_submit_prints_the_vietnamese_verdict_and_exits_by_it(conn, agency, signers, tmp_path, capsys):
    qd = sign(text_pdf(), signers[0])
    good = _submission(tmp_path / "C1", {"qd.pdf": qd},
                       _metadata(agency, f"{agency}.C1", [{"stt": 1, "tep": "qd.pdf"}]))
    assert sohoa_main(["born-digital", "submit", str(good.root), "--agency", agency]) == 0
    out = capsys.readouterr().out
    assert "Kết luận: CHẤP NHẬN" in out and "chữ ký: Common Name: Ủy ban nhân dân tỉnh Thử Nghiệm" in out
    bad = _submission(tmp_path / "C2", {"qd.pdf": flip_byte(qd)},
                      _metadata(agency, f"{agency}.C2", [{"stt": 1, "tep": "qd.pdf"}]))
    assert sohoa_main(["born-digital", "submit", str(bad.root), "--agency", agency, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["verdict"] == "rejected"


def test_a_run_stopped_after_storing_is_finished_by_the_next_with_one_version_of_each_original(
        conn, s3, agency, signers, tmp_path):
    qd = sign(text_pdf(), signers[0])
    code = f"{agency}.01.2025.RR"
    source = _submission(tmp_path / "RR", {"qd.pdf": qd}, _metadata(agency, code, [{"stt": 1, "tep": "qd.pdf"}]))
    work = tmp_path / "work"
    work.mkdir()
    judged = sub.judge(conn, source, agency_ma=agency, workdir=work, trust=TrustStore())
    sub.keep(s3, judged, sub.render(judged))  # … and the worker dies before the catalogue transaction
    assert _take(conn, s3, source, agency, "RR")["verdict"] == "accepted"
    admin = storage.client(identity="admin")
    versions = admin.list_object_versions(Bucket=storage.MASTERS, Prefix=sub.original_key(code, 1))["Versions"]
    assert len(versions) == 1
    with transaction(conn) as cur:
        cur.execute("SELECT count(*) FROM ho_so WHERE ma_ho_so = %s", (code,))
        assert cur.fetchone()[0] == 1


def test_fixity_covers_the_original_its_attachment_and_its_access_copy(conn, s3, agency, signers, tmp_path):
    from sohoa.fixity.check import run_fixity, targets

    qd = sign(text_pdf(), signers[0])
    code = f"{agency}.01.2025.FX"
    source = _submission(tmp_path / "FX", {"qd.pdf": qd, "phu-luc.xlsx": b"PK\x03\x04 xlsx"},
                         _metadata(agency, code, [{"stt": 1, "tep": "qd.pdf", "dinh_kem": [{"tep": "phu-luc.xlsx"}]}]))
    assert _take(conn, s3, source, agency, "FX")["verdict"] == "accepted"
    with transaction(conn) as cur:
        found = {(t.bucket, t.key) for t in targets(cur, prefix=f"{code}/")}
    assert found == {(storage.MASTERS, sub.original_key(code, 1)),
                     (storage.MASTERS, sub.attachment_key(code, 1, "phu-luc.xlsx")),
                     (storage.DERIVATIVES, f"{code}/{code}.01.pdf")}
    report = run_fixity(conn, s3, prefix=f"{code}/", jobs=1)
    assert report.as_dict()["problems"] == [] and report.as_dict()["checked"] == 3
