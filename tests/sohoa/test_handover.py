"""Handover packages against the real Postgres and SeaweedFS: a hồ sơ taken through intake, OCR, PDF assembly and
review is handed over as a valid E-ARK CSIP / TT 05 package; refusals; per-document packages; tampering."""
from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from sohoa import storage
from sohoa.catalogue.db import connect, transaction
from sohoa.cli import main as sohoa_main
from sohoa.handover import records
from sohoa.handover.package import build_package
from sohoa.handover.samples import make_ho_so
from sohoa.handover.schemas import NS
from sohoa.handover.transfer import Selection, hand_over, select_ho_so
from sohoa.handover.validate import problems, validate_zip
from sohoa.processing.assemble import assemble_ho_so
from sohoa.processing.ocr import ocr_chunk
from sohoa.processing.plan import pending_chunks
from sohoa.processing.review import list_items, resolve

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def db(stack):
    conn, s3 = connect(), storage.client()
    yield conn, s3
    conn.close()


@pytest.fixture(scope="module")
def processed(tmp_path_factory, accepted_batch, db):
    """A two-page hồ sơ through intake, OCR, assembly and review (metadata corrected by an archivist)."""
    conn, s3 = db
    ma_ho_so, batch_pk, _ = accepted_batch(tmp_path_factory.mktemp("handover"), 2)
    with transaction(conn) as cur:
        chunks = pending_chunks(cur, batch_pk=batch_pk, chunk_size=8)
    for chunk in chunks:
        ocr_chunk(conn, s3, chunk, engine="tesseract", jobs=2)
    assemble_ho_so(conn, s3, ma_ho_so)
    with transaction(conn) as cur:
        for item in list_items(cur, ma_ho_so=ma_ho_so):
            if item.object_type == "van_ban":
                resolve(cur, item.id, reviewer="archivist-lan", resolution="corrected",
                        corrections={"ten_loai": "Công văn", "co_quan_ban_hanh": "Sở Ngoại vụ Hải Phòng",
                                     "trich_yeu": "V/v hợp tác quốc tế", "ngay_ban_hanh": "2015-03-02"})
    return ma_ho_so


def _fetch(s3, key: str, tmp_path: Path) -> Path:
    path = tmp_path / key.rsplit("/", 1)[-1]
    path.write_bytes(s3.get_object(Bucket="exports", Key=key)["Body"].read())
    return path


def _package_key(conn, ma_ho_so: str) -> list[str]:
    with transaction(conn) as cur:
        cur.execute("""SELECT hp.export_key FROM handover_package hp JOIN ho_so h ON h.id = hp.ho_so_id
                       WHERE h.ma_ho_so = %s ORDER BY hp.package_id""", (ma_ho_so,))
        return [row[0] for row in cur.fetchall()]


def test_a_processed_ho_so_is_handed_over_as_a_valid_aip(processed, db, tmp_path):
    conn, s3 = db
    summary = hand_over(conn, s3, Selection(ma_ho_so=(processed,)), agent="archivist-lan")
    assert summary["refused"] == {} and summary["packages"] == 1
    [key] = _package_key(conn, processed)
    assert key == f"packages/AIP/{processed}/AIP-{processed}.zip"
    path = _fetch(s3, key, tmp_path)
    assert validate_zip(path) == []
    root = f"AIP-{processed}"
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        assert {f"{root}/METS.xml", f"{root}/metadata/descriptive/EAD.xml", f"{root}/metadata/preservation/PREMIS.xml",
                f"{root}/representations/rep1/data/{processed}.01.pdf", f"{root}/representations/rep1/METS.xml",
                f"{root}/schemas/premis.xsd"} <= names
        rep = etree.fromstring(archive.read(f"{root}/representations/rep1/METS.xml"))
        premis = etree.fromstring(archive.read(f"{root}/metadata/preservation/PREMIS.xml"))
        ead = etree.fromstring(archive.read(f"{root}/metadata/descriptive/EAD.xml"))
        mets = etree.fromstring(archive.read(f"{root}/METS.xml"))
    event_types = {e.text for e in premis.iterfind(".//{%s}eventType" % NS["premis"])}
    assert {"replication", "character recognition", "creation", "metadata modification",
            "information package creation"} <= event_types
    times = [e.text for e in premis.iterfind(".//{%s}eventDateTime" % NS["premis"])]
    assert times and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", t) for t in times)
    assert mets.get("OBJID") == root and mets.find("{%s}metsHdr" % NS["mets"]).get("CREATEDATE").endswith("+07:00")
    assert "V/v hợp tác quốc tế" in etree.tostring(ead, encoding="unicode")
    assert [loc.get("{%s}href" % NS["xlink"]) for loc in rep.iter("{%s}FLocat" % NS["mets"])] == [
        f"data/{processed}.01.pdf"]
    with transaction(conn) as cur:
        cur.execute("SELECT handed_over_at FROM ho_so WHERE ma_ho_so = %s", (processed,))
        assert cur.fetchone()[0] is not None
        cur.execute("SELECT agent FROM event WHERE object_type = 'ho_so' AND object_id = %s "
                    "AND event_type = 'transfer'",
                    (processed,))
        assert cur.fetchall() == [("archivist-lan",)]
    book = openpyxl.load_workbook(io.BytesIO(s3.get_object(
        Bucket="exports", Key=summary["transfer_list"].split("/", 1)[1])["Body"].read()))
    rows = [r for r in book["Danh mục hồ sơ nộp lưu"].iter_rows(values_only=True)]
    assert rows[0][0] == "DANH MỤC HỒ SƠ NỘP LƯU"
    assert any(r[1] == processed and r[10] == f"{root}.zip" for r in rows)


def test_handing_over_again_rebuilds_nothing_and_keeps_the_first_date(processed, db):
    conn, s3 = db
    hand_over(conn, s3, Selection(ma_ho_so=(processed,)))
    with transaction(conn) as cur:
        cur.execute("SELECT h.handed_over_at, hp.sha256, hp.built_at FROM ho_so h JOIN handover_package hp "
                    "ON hp.ho_so_id = h.id WHERE h.ma_ho_so = %s", (processed,))
        before = cur.fetchall()
    summary = hand_over(conn, s3, Selection(ma_ho_so=(processed,)))
    assert summary["packages"] == 1
    with transaction(conn) as cur:
        cur.execute("SELECT h.handed_over_at, hp.sha256, hp.built_at FROM ho_so h JOIN handover_package hp "
                    "ON hp.ho_so_id = h.id WHERE h.ma_ho_so = %s", (processed,))
        assert cur.fetchall() == before


def test_per_document_sips_are_one_valid_package_per_van_ban(db, tmp_path):
    conn, s3 = db
    sample = make_ho_so(conn, s3, pages=6, van_ban=3)
    summary = hand_over(conn, s3, Selection(phong=sample.ma_phong), package_type="SIP", level="van_ban")
    assert summary["packages"] == 3 and summary["refused"] == {}
    keys = _package_key(conn, sample.ma_ho_so)
    assert [k.rsplit("/", 1)[-1] for k in keys] == [f"SIP-{sample.ma_ho_so}.{n:02d}.zip" for n in (1, 2, 3)]
    for key in keys:
        path = _fetch(s3, key, tmp_path)
        assert validate_zip(path) == []
        with zipfile.ZipFile(path) as archive:
            assert len([n for n in archive.namelist() if n.endswith(".pdf")]) == 1
            mets = etree.fromstring(archive.read(f"{path.stem}/METS.xml"))
        assert mets.find("{%s}metsHdr" % NS["mets"]).get("{%s}OAISPACKAGETYPE" % NS["csip"]) == "SIP"


def test_a_ho_so_with_missing_metadata_is_refused_listing_the_fields(db):
    conn, s3 = db
    sample = make_ho_so(conn, s3, pages=2, van_ban=2)
    with transaction(conn) as cur:
        cur.execute("UPDATE ho_so SET ngon_ngu = NULL, thoi_gian_bat_dau = NULL WHERE id = %s", (sample.ho_so_id,))
        cur.execute("UPDATE van_ban SET co_quan_ban_hanh = NULL WHERE ho_so_id = %s AND stt = 2", (sample.ho_so_id,))
    summary = hand_over(conn, s3, Selection(ma_ho_so=(sample.ma_ho_so,)))
    assert summary["packages"] == 0
    assert summary["refused"][sample.ma_ho_so] == [
        "hồ sơ: ngôn ngữ", "hồ sơ: thời gian bắt đầu", f"văn bản 02 ({sample.ma_ho_so}.02): cơ quan ban hành"]
    assert _package_key(conn, sample.ma_ho_so) == []
    with transaction(conn) as cur:
        cur.execute("SELECT handed_over_at FROM ho_so WHERE id = %s", (sample.ho_so_id,))
        assert cur.fetchone() == (None,)
        cur.execute("SELECT outcome, detail->'reasons' FROM event WHERE object_type = 'ho_so' AND object_id = %s "
                    "AND event_type = 'information package creation'", (sample.ma_ho_so,))
        assert cur.fetchall() == [("failure", summary["refused"][sample.ma_ho_so])]
    book = openpyxl.load_workbook(io.BytesIO(s3.get_object(
        Bucket="exports", Key=summary["transfer_list"].split("/", 1)[1])["Body"].read()))
    refused_rows = list(book["Hồ sơ bị từ chối"].iter_rows(values_only=True))
    assert refused_rows[1][0] == sample.ma_ho_so and "ngôn ngữ" in refused_rows[1][1]


@pytest.mark.parametrize("damage, message", [("changed", "SHA-256 không khớp"), ("lost", "thiếu tệp")])
def test_a_pdf_changed_or_lost_in_storage_refuses_the_package(db, damage, message):
    conn, s3 = db
    sample = make_ho_so(conn, s3, pages=2, van_ban=1)
    key = f"{sample.ma_ho_so}/{sample.ma_ho_so}.01.pdf"
    if damage == "changed":
        storage.put_bytes(s3, "derivatives", key, b"%PDF-1.7 tampered")
    else:
        s3.delete_object(Bucket="derivatives", Key=key)
    summary = hand_over(conn, s3, Selection(ma_ho_so=(sample.ma_ho_so,)))
    [reason] = summary["refused"][sample.ma_ho_so]
    assert message in reason and f"{sample.ma_ho_so}.01.pdf" in reason
    assert _package_key(conn, sample.ma_ho_so) == []


def test_validation_finds_tampered_files_broken_rules_and_dangling_premis_links(db, tmp_path):
    conn, s3 = db
    sample = make_ho_so(conn, s3, pages=2, van_ban=1)
    with transaction(conn) as cur:
        unit = records.describe(cur, sample.ma_ho_so)
    package = build_package(s3, unit, "AIP", tmp_path)
    with zipfile.ZipFile(package.zip_path) as archive:
        archive.extractall(tmp_path / "x")
    root = tmp_path / "x" / package.package_id
    assert problems(root) == []
    pdf = root / "representations/rep1/data" / f"{sample.ma_ho_so}.01.pdf"
    pdf.write_bytes(pdf.read_bytes() + b"x")
    (root / "documentation/extra.txt").write_text("không có trong METS")
    premis_path = root / "metadata/preservation/PREMIS.xml"
    premis_path.write_text(premis_path.read_text(encoding="utf-8").replace(
        "<agentIdentifierValue>sohoa.handover</agentIdentifierValue>",
        "<agentIdentifierValue>someone-else</agentIdentifierValue>"), encoding="utf-8")
    mets_path = root / "METS.xml"
    mets_path.write_text(mets_path.read_text(encoding="utf-8").replace(' ROLE="CREATOR"', ' ROLE="OTHER"'),
                         encoding="utf-8")
    found = "\n".join(problems(root))
    assert f"{sample.ma_ho_so}.01.pdf: SHA-256" in found
    assert "documentation/extra.txt is in the package but not listed in METS.xml" in found
    assert "CSIP11" in found
    assert f"representations/rep1/METS.xml: data/{sample.ma_ho_so}.01.pdf: SHA-256" in found
    assert "names agent 'sohoa.handover', which is not described" in found
    shutil.rmtree(root / "schemas")
    assert any("schemas/ is missing" in p for p in problems(root))


def test_selection_by_phong_and_year(db):
    conn, s3 = db
    first = make_ho_so(conn, s3, pages=1, van_ban=1, year=2015)
    with transaction(conn) as cur:
        cur.execute("SELECT agency_id FROM phong WHERE ma_phong = %s", (first.ma_phong,))
        agency_id = cur.fetchone()[0]
    second = make_ho_so(conn, s3, pages=1, van_ban=1, year=2016, phong=(agency_id, first.ma_phong))
    with transaction(conn) as cur:
        assert select_ho_so(cur, Selection(phong=first.ma_phong)) == sorted([first.ma_ho_so, second.ma_ho_so])
        assert select_ho_so(cur, Selection(phong=first.ma_phong, year=2016)) == [second.ma_ho_so]


def test_the_cli_hands_over_and_validates(db, tmp_path, capsys):
    conn, s3 = db
    sample = make_ho_so(conn, s3, pages=2, van_ban=1)
    assert sohoa_main(["handover", "build", "--ma-ho-so", sample.ma_ho_so, "--type", "SIP"]) == 0
    [key] = _package_key(conn, sample.ma_ho_so)
    path = _fetch(s3, key, tmp_path)
    assert sohoa_main(["handover", "validate", str(path)]) == 0
    assert "hợp lệ" in capsys.readouterr().out
    assert sohoa_main(["handover", "build", "--phong", "KHONG-CO-PHONG-NAY"]) == 2
    assert "Không có hồ sơ nào" in capsys.readouterr().err


def test_selection_by_milestone_takes_its_agency_and_the_ho_so_of_that_phase_only(db):
    from sohoa.handover import HandoverError

    conn, _ = db
    in_scope = "(h.thoi_han_bao_quan IN ('vinh_vien', '70', '50') OR h.high_value)"
    with transaction(conn) as cur:
        for milestone, arranged in (("sngv-hp-gd1", "h.arranged"), ("sngv-hp-gd2", "NOT h.arranged")):
            chosen = select_ho_so(cur, Selection(milestone=milestone))
            cur.execute(f"""SELECT h.ma_ho_so FROM ho_so h JOIN agency a ON a.id = h.agency_id
                            WHERE a.ma = 'SNGV-HP' AND h.pdf_keys <> '{{}}'::jsonb AND {in_scope} AND {arranged}
                              AND h.muc_do_tin_cay <> 'goc_dien_tu' ORDER BY h.ma_ho_so""")
            assert chosen == [row[0] for row in cur.fetchall()], milestone  # phase 1 holds the arranged ones
        with pytest.raises(HandoverError, match="Không có mốc"):
            select_ho_so(cur, Selection(milestone="khong-co"))


def test_a_handover_with_no_criterion_is_refused_unless_everything_is_asked_for(db):
    from sohoa.handover import HandoverError
    from sohoa.handover.transfer import start

    conn, _ = db
    with transaction(conn) as cur:
        cur.execute("SELECT count(*) FROM handover")
        before = cur.fetchone()[0]
    for nothing in (Selection(), Selection(only_not_handed_over=True)):
        with pytest.raises(HandoverError, match="Chưa chọn hồ sơ để bàn giao"):
            start(conn, nothing)
    with transaction(conn) as cur:
        cur.execute("SELECT count(*) FROM handover")
        assert cur.fetchone()[0] == before  # no handover opened
        assert select_ho_so(cur, Selection(everything=True))  # asked for in so many words: every hồ sơ with a PDF


def test_per_document_packages_are_refused_together_naming_every_van_ban(db):
    conn, s3 = db
    sample = make_ho_so(conn, s3, pages=3, van_ban=3)
    with transaction(conn) as cur:
        cur.execute("UPDATE van_ban SET trich_yeu = NULL WHERE ho_so_id = %s AND stt IN (1, 3)", (sample.ho_so_id,))
    summary = hand_over(conn, s3, Selection(ma_ho_so=(sample.ma_ho_so,)), level="van_ban")
    assert summary["refused"][sample.ma_ho_so] == [f"văn bản {n:02d} ({sample.ma_ho_so}.{n:02d}): trích yếu nội dung"
                                                   for n in (1, 3)]
    assert _package_key(conn, sample.ma_ho_so) == []
