"""The vendor's and the archivists' commands: Vietnamese help with an example, checked arguments, Vietnamese
refusals with a non-zero exit, and no bulk or destructive action without an explicit selection or --all --yes."""
from __future__ import annotations

import uuid

import pytest

from sohoa.catalogue.db import transaction
from sohoa.cli import main

VENDOR_AND_ARCHIVIST_COMMANDS = [
    ["vendor"], ["vendor", "validate"], ["vendor", "upload"], ["vendor", "status"], ["vendor", "convert"],
    ["handover"], ["handover", "build"], ["handover", "validate"], ["restore"], ["report"], ["report", "annual"],
    ["milestones"], ["milestones", "status"], ["search"], ["review"], ["review", "list"], ["review", "resolve"],
]


def run(capsys, *argv) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of ``sohoa argv`` run in this process."""
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("command", VENDOR_AND_ARCHIVIST_COMMANDS, ids=" ".join)
def test_help_is_vietnamese_with_an_example(capsys, command):
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0
    assert out.startswith("Cách dùng: sohoa ") and "Ví dụ:\n  sohoa " in out
    assert "in hướng dẫn này rồi thoát" in out
    assert "usage:" not in out and "show this help" not in out and "options:" not in out


def test_a_missing_required_argument_is_explained_in_vietnamese(capsys):
    code, _, err = run(capsys, "vendor", "status", "lo-01")
    assert code == 2 and "lỗi: thiếu tham số bắt buộc: --vendor" in err


@pytest.mark.parametrize("value, message", [("1890", "năm 1890 nằm ngoài khoảng 1900"), ("26", "4 chữ số"),
                                            ("2026x", "4 chữ số")])
def test_a_year_that_is_no_year_of_the_archive_is_refused(capsys, value, message):
    code, _, err = run(capsys, "report", "annual", "--year", value, "--no-upload")
    assert code == 2 and message in err


def test_an_annual_report_before_the_plan_began_is_refused_and_nothing_is_written(capsys, tmp_path):
    code, _, err = run(capsys, "report", "annual", "--year", "1990", "--out", str(tmp_path), "--no-upload",
                       "--today", "2026-11-24")
    assert code == 2 and "Năm 1990 không có báo cáo: kế hoạch của SNGV-HP bắt đầu từ năm 2025" in err
    assert not list(tmp_path.iterdir())


def test_an_annual_report_for_a_year_not_yet_come_is_refused(capsys, tmp_path):
    code, _, err = run(capsys, "report", "annual", "--year", "2027", "--out", str(tmp_path), "--no-upload",
                       "--today", "2026-11-24")
    assert code == 2 and "chỉ lập được báo cáo đến năm hiện tại (2026)" in err


def test_a_report_for_an_unknown_agency_is_refused_in_vietnamese(capsys, tmp_path):
    code, _, err = run(capsys, "report", "annual", "--year", "2026", "--agency", "NOPE", "--out", str(tmp_path),
                       "--no-upload", "--today", "2026-11-24")
    assert code == 2 and "Không có cơ quan mã 'NOPE' trong kế hoạch" in err and "SNGV-HP" in err


def test_a_date_that_is_not_one_is_refused_in_vietnamese(capsys):
    code, _, err = run(capsys, "milestones", "status", "--today", "2026-02-30")
    assert code == 2 and "ngày phải viết dạng YYYY-MM-DD" in err


def test_validating_a_folder_that_does_not_exist_says_so(capsys, tmp_path):
    code, _, err = run(capsys, "vendor", "validate", str(tmp_path / "does-not-exist"))
    assert code == 2 and "Không tìm thấy thư mục lô" in err and "manifest" not in err


def test_validating_a_file_instead_of_a_folder_says_so(capsys, tmp_path):
    (tmp_path / "manifest.json").write_text("{}")
    code, _, err = run(capsys, "vendor", "validate", str(tmp_path / "manifest.json"))
    assert code == 2 and "là một tệp, không phải thư mục lô" in err


def test_an_unknown_vendor_is_refused_in_vietnamese(capsys, tmp_path):
    code, _, err = run(capsys, "vendor", "status", "lo-01", "--vendor", "no-such-vendor")
    assert code == 2 and "Nhà thầu 'no-such-vendor' chưa được cấp khóa tải lên" in err and "vendor-demo" in err
    code, _, err = run(capsys, "vendor", "upload", str(tmp_path), "--vendor", "no-such-vendor")
    assert code == 2 and "chưa được cấp khóa tải lên" in err


def test_a_batch_id_with_a_slash_is_refused(capsys):
    code, _, err = run(capsys, "vendor", "status", "../other/lo", "--vendor", "vendor-demo")
    assert code == 2 and "không hợp lệ" in err


def test_the_status_of_a_batch_never_uploaded_is_an_error(capsys, stack):
    code, out, err = run(capsys, "vendor", "status", f"nosuchbatch-{uuid.uuid4().hex[:6]}", "--vendor",
                         "vendor-demo")
    assert code == 2 and "Không có lô nosuchbatch-" in err and "chưa hoàn tất" not in out + err


@pytest.fixture()
def handable_ho_so(conn):
    """A hồ sơ with a PDF, not handed over, in a phông of its own: what ``handover build`` would take."""
    tag = uuid.uuid4().hex[:8]
    with transaction(conn) as cur:
        cur.execute("INSERT INTO agency (ma, ten) VALUES (%s, 'Cơ quan thử') RETURNING id", (f"A{tag}",))
        agency = cur.fetchone()[0]
        cur.execute("INSERT INTO phong (agency_id, ma_phong, ten_phong) VALUES (%s, %s, 'Phông thử') RETURNING id",
                    (agency, f"P{tag}"))
        cur.execute("""INSERT INTO ho_so (agency_id, phong_id, ma_ho_so, tieu_de, thoi_han_bao_quan, muc_do_tiep_can,
                                          muc_do_tin_cay, pdf_keys)
                       VALUES (%s, %s, %s, 'Hồ sơ thử', 'vinh_vien', 'cong_khai', 'so_hoa', %s)""",
                    (agency, cur.fetchone()[0], f"P{tag}.01.2015.001", '{"1": "x.pdf"}'))
    return f"P{tag}.01.2015.001"


def handed_over(conn, ma_ho_so) -> bool:
    with transaction(conn) as cur:
        cur.execute("SELECT handed_over_at IS NOT NULL FROM ho_so WHERE ma_ho_so = %s", (ma_ho_so,))
        return cur.fetchone()[0]


def test_handover_without_a_selection_is_refused_and_hands_nothing_over(capsys, conn, handable_ho_so):
    code, _, err = run(capsys, "handover", "build")
    assert code == 2 and "Chưa chọn đối tượng để bàn giao" in err and "--all --yes" in err
    assert not handed_over(conn, handable_ho_so)


def test_handover_of_everything_needs_yes_and_says_how_many(capsys, conn, handable_ho_so):
    code, _, err = run(capsys, "handover", "build", "--all", "--only-new")
    assert code == 2 and "--all sẽ bàn giao toàn bộ (" in err and "thêm --yes để xác nhận" in err
    assert not handed_over(conn, handable_ho_so)


def test_handover_refuses_all_mixed_with_a_selection(capsys, conn, handable_ho_so):
    code, _, err = run(capsys, "handover", "build", "--all", "--yes", "--ma-ho-so", handable_ho_so)
    assert code == 2 and "--all không dùng cùng các điều kiện chọn" in err
    assert not handed_over(conn, handable_ho_so)


def test_handover_of_an_unknown_ho_so_or_milestone_is_refused(capsys, conn, handable_ho_so):
    code, _, err = run(capsys, "handover", "build", "--ma-ho-so", handable_ho_so, "--ma-ho-so", "KHONG.CO.HO.SO")
    assert code == 2 and "Không có hồ sơ KHONG.CO.HO.SO trong CSDL" in err
    code, _, err = run(capsys, "handover", "build", "--milestone", "gd-9")
    assert code == 2 and "Không có mốc 'gd-9'" in err and "sngv-hp-gd1" in err
    assert not handed_over(conn, handable_ho_so)


def test_restoring_over_an_intact_copy_needs_yes(capsys):
    code, _, err = run(capsys, "restore", "--bucket", "masters", "--key", "x/0001.jpg", "--force")
    assert code == 2 and "thêm --yes để xác nhận" in err


def test_validating_a_package_that_does_not_exist_says_so(capsys, tmp_path):
    code, _, err = run(capsys, "handover", "validate", str(tmp_path / "goi.zip"))
    assert code == 2 and "Không tìm thấy gói" in err


def test_the_verdict_says_how_many_pages_were_faulty_and_how_many_followed_their_ho_so(capsys, tmp_path):
    from sohoa.intake.samples import encode, make_batch, noise_page, page_entry, read_manifest, write_manifest

    folder = tmp_path / "lo-01"
    make_batch(folder, "vendor-demo", "lo-01", n_ho_so=1, pages_per_ho_so=3)
    manifest = read_manifest(folder)
    trang = manifest["ho_so"][0]["trang"][0]
    data = encode(noise_page("low", 1), dpi=150)
    (folder / trang["ten_tep"]).write_bytes(data)
    trang.update(page_entry(1, trang["ten_tep"], data, 150, "color"))
    write_manifest(folder, manifest)

    code, out, _ = run(capsys, "vendor", "validate", str(folder))
    assert code == 1
    assert "TỪ CHỐI (1/3 trang có lỗi; 2 trang đạt yêu cầu nhưng bị từ chối theo cả hồ sơ)" in out


def test_an_unreachable_store_is_explained_to_the_vendor_in_vietnamese(capsys, monkeypatch):
    from sohoa import storage
    from sohoa.config import settings

    nowhere = settings().model_copy(update={"s3_endpoint": "http://127.0.0.1:9"})  # nothing listens on port 9
    monkeypatch.setattr(storage, "client", lambda identity: storage.s3_client(nowhere, "k", "s"))
    code, _, err = run(capsys, "vendor", "status", "lo-01", "--vendor", "vendor-demo")
    assert code == 2 and "Không kết nối được kho lưu trữ khi đọc kết quả tiếp nhận" in err


def test_converting_a_manifest_that_does_not_exist_says_so(capsys, tmp_path):
    code, _, err = run(capsys, "vendor", "convert", str(tmp_path / "manifest.xlsx"), str(tmp_path / "m.json"))
    assert code == 2 and "Không tìm thấy" in err and not (tmp_path / "m.json").exists()
