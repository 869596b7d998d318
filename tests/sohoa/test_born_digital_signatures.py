"""Signature verification of born-digital văn bản: each case gets the verdict a văn thư would expect.

Every PDF is signed here with pyHanko by signers of a throw-away CA made for the test module.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest

from sohoa.born_digital.pdfinfo import inspect_pdf
from sohoa.born_digital.samples import (NOW, ThrowawayCA, document_timestamp, encrypted, flip_byte, sign, text_pdf,
                                        tsa, with_embedded_file, with_empty_signature_field, with_javascript)
from sohoa.born_digital.signatures import TrustStore, verify_file
from sohoa.cli import main as sohoa_main

NO_TRUST = TrustStore()


@pytest.fixture(scope="module")
def ca():
    return ThrowawayCA.make()


@pytest.fixture(scope="module")
def ubnd(ca):
    return ca.issue("Ủy ban nhân dân tỉnh Thử Nghiệm", "Tỉnh Thử Nghiệm", rsa_key=True)


@pytest.fixture(scope="module")
def cong_bao(ca):
    return ca.issue("Công báo tỉnh Thử Nghiệm", "Tỉnh Thử Nghiệm")


@pytest.fixture(scope="module")
def trusted(ca, tmp_path_factory):
    return TrustStore.from_dir(ca.write_trust_dir(tmp_path_factory.mktemp("trust")))


@pytest.fixture(scope="module")
def signed(ubnd):
    return sign(text_pdf(), ubnd, digest="sha256")


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _codes(problems):
    return {p.code for p in problems}


def test_sha256_signature_without_trust_store_is_intact_and_issuer_unknown_never_invalid(tmp_path, signed):
    result = verify_file(_write(tmp_path, "qd.pdf", signed), NO_TRUST)
    assert not result.broken and result.problems == []
    [sig] = result.signatures
    assert "Ủy ban nhân dân tỉnh Thử Nghiệm" in sig.signer and "VN" in sig.signer
    assert (sig.digest, sig.integrity, sig.trust, sig.covers_whole_file) == ("sha256", "valid", "unknown", True)
    assert sig.subfilter == "ETSI.CAdES.detached"
    assert sig.signed_at.endswith("+07:00")
    signed_at, slack = dt.datetime.fromisoformat(sig.signed_at), dt.timedelta(minutes=1)
    assert NOW - slack <= signed_at <= dt.datetime.now(dt.timezone.utc) + slack  # signed during this test session
    assert _codes(sig.flags) == {"issuer_not_trusted_here"}


def test_signature_from_the_configured_ca_is_trusted(tmp_path, signed, trusted):
    [sig] = verify_file(_write(tmp_path, "qd.pdf", signed), trusted).signatures
    assert (sig.integrity, sig.trust, sig.flags) == ("valid", "trusted", [])


def test_signature_from_another_ca_is_untrusted_with_the_reason(tmp_path, signed):
    other = TrustStore.from_dir(ThrowawayCA.make("Another root").write_trust_dir(tmp_path / "other"))
    [sig] = verify_file(_write(tmp_path, "qd.pdf", signed), other).signatures
    assert (sig.integrity, sig.trust) == ("valid", "untrusted")
    assert _codes(sig.flags) == {"untrusted"}
    assert "không được cấp bởi tổ chức nào trong danh sách tin cậy" in sig.flags[0].message


def test_an_intermediate_alone_is_not_a_root_and_the_chain_through_it_is_trusted(tmp_path, ca):
    provincial = ca.subordinate("CA tỉnh Thử Nghiệm")
    path = _write(tmp_path, "qd.pdf", sign(text_pdf(), provincial.issue("Sở Thử Nghiệm", "Tỉnh Thử Nghiệm")))
    only_intermediate = TrustStore.from_dir(provincial.write_trust_dir(tmp_path / "intermediate"))
    assert only_intermediate.roots == () and len(only_intermediate.intermediates) == 1
    assert verify_file(path, only_intermediate).signatures[0].trust == "unknown"
    both = ca.write_trust_dir(tmp_path / "both")
    (both / "provincial.pem").write_bytes((tmp_path / "intermediate" / "root.pem").read_bytes())
    assert verify_file(path, TrustStore.from_dir(both)).signatures[0].trust == "trusted"


def test_a_revoked_signer_is_untrusted_with_the_reason_from_the_configured_crl(tmp_path, ca):
    revoked = ca.issue("Sở Bị Thu Hồi", "Tỉnh Thử Nghiệm")
    path = _write(tmp_path, "qd.pdf", sign(text_pdf(), revoked))
    folder = ca.write_trust_dir(tmp_path / "trust")
    (folder / "ca.crl").write_bytes(ca.revocation_list(revoked))
    [sig] = verify_file(path, TrustStore.from_dir(folder)).signatures
    assert (sig.integrity, sig.trust) == ("valid", "untrusted")
    assert any("thu hồi" in f.message for f in sig.flags)


def test_sha1_signature_is_accepted_and_flagged_as_weak(tmp_path, ubnd, trusted):
    data = sign(text_pdf(), ubnd, digest="sha1")
    result = verify_file(_write(tmp_path, "sha1.pdf", data), trusted)
    [sig] = result.signatures
    assert (sig.digest, sig.integrity, sig.trust) == ("sha1", "valid", "trusted")
    assert _codes(sig.flags) == {"weak_digest"}
    assert not result.broken


def test_counter_signature_as_incremental_update_keeps_both_valid_and_says_the_first_does_not_cover_all(
        tmp_path, signed, cong_bao, trusted):
    data = sign(signed, cong_bao, field="CongBao")
    first, second = verify_file(_write(tmp_path, "two.pdf", data), trusted).signatures
    assert "Ủy ban nhân dân" in first.signer and "Công báo" in second.signer
    assert (first.integrity, second.integrity, first.trust, second.trust) == ("valid", "valid", "trusted", "trusted")
    assert (first.covers_whole_file, second.covers_whole_file) == (False, True)
    assert _codes(first.flags) == {"incremental_update_follows"} and second.flags == []
    assert first.modification != "other"


def test_document_timestamp_after_the_signature_is_listed_as_a_timestamp_and_verified(tmp_path, signed, ca,
                                                                                        trusted, capsys):
    path = _write(tmp_path, "lta.pdf", document_timestamp(signed, tsa(ca)))
    signature, stamp = verify_file(path, trusted).signatures
    assert (signature.kind, signature.integrity, signature.covers_whole_file) == ("signature", "valid", False)
    assert (stamp.kind, stamp.integrity, stamp.trust, stamp.covers_whole_file) == ("timestamp", "valid", "trusted",
                                                                                    True)
    assert stamp.timestamped and stamp.signer.startswith("Common Name: TSA sohoa tests")
    assert sohoa_main(["born-digital", "verify", str(path)]) == 0
    assert "Dấu thời gian 2 (" in capsys.readouterr().out


def test_signature_format_pyhanko_cannot_verify_is_unknown_and_flagged_never_invalid(tmp_path, signed):
    old = signed.replace(b"/ETSI.CAdES.detached", b"/adbe.pkcs7.sha1    ")
    result = verify_file(_write(tmp_path, "old.pdf", old), NO_TRUST)
    [sig] = result.signatures
    assert (sig.integrity, sig.subfilter, result.broken) == ("unknown", "adbe.pkcs7.sha1", False)
    assert _codes(sig.flags) == {"signature_format_unsupported"}


def test_one_changed_byte_after_signing_makes_integrity_invalid(tmp_path, signed, trusted):
    result = verify_file(_write(tmp_path, "changed.pdf", flip_byte(signed)), trusted)
    [sig] = result.signatures
    assert sig.integrity == "invalid"
    assert _codes(sig.problems) == {"digest_mismatch"}
    assert result.broken


def test_content_appended_after_the_last_signature_is_flagged_not_covered(tmp_path, signed, trusted):
    data = signed + b"\n%% them noi dung sau khi ky\n"
    [sig] = verify_file(_write(tmp_path, "appended.pdf", data), trusted).signatures
    assert (sig.integrity, sig.covers_whole_file) == ("valid", False)
    assert "content_after_last_signature" in _codes(sig.flags)


def test_expired_signer_certificate_is_untrusted_and_says_when_it_expired(tmp_path, ca, trusted):
    expired = ca.issue("Sở Thử Nghiệm", "Tỉnh Thử Nghiệm", not_before=NOW - dt.timedelta(days=800),
                       not_after=NOW - dt.timedelta(days=30))
    path = _write(tmp_path, "expired.pdf", sign(text_pdf(), expired))
    [sig] = verify_file(path, trusted).signatures
    assert (sig.integrity, sig.trust) == ("valid", "untrusted")
    assert {"untrusted", "certificate_expired_at_signing"} <= _codes(sig.flags)
    [unknown] = verify_file(path, NO_TRUST).signatures
    assert unknown.trust == "unknown" and "certificate_expired_at_signing" in _codes(unknown.flags)


def test_unsigned_pdf_has_no_signature_and_is_not_broken(tmp_path):
    result = verify_file(_write(tmp_path, "plain.pdf", text_pdf()), NO_TRUST)
    assert (result.signatures, result.broken) == ([], False)
    assert result.as_json()["problems"] == ["tệp không có chữ ký số"]


def test_signature_field_without_signature_is_reported_as_unsigned(tmp_path):
    result = verify_file(_write(tmp_path, "field.pdf", with_empty_signature_field(text_pdf())), NO_TRUST)
    assert (result.signatures, result.empty_fields, result.broken) == ([], ["ChuKy"], False)
    assert any("chưa được ký" in p for p in result.as_json()["problems"])


def test_password_protected_pdf_cannot_be_read(tmp_path):
    result = verify_file(_write(tmp_path, "locked.pdf", encrypted(text_pdf(), user_password="mat-khau")), NO_TRUST)
    assert result.broken and _codes(result.problems) == {"pdf_encrypted_password"}
    facts = inspect_pdf(tmp_path / "locked.pdf")
    assert facts.encrypted and _codes(facts.problems) == {"pdf_encrypted_password"}


def test_pdf_encrypted_with_owner_password_only_is_read_but_refused_for_keeping(tmp_path):
    path = _write(tmp_path, "restricted.pdf", encrypted(text_pdf()))
    result = verify_file(path, NO_TRUST)
    assert not result.broken and _codes(result.problems) == {"pdf_encrypted"}
    facts = inspect_pdf(path)
    assert _codes(facts.problems) == {"pdf_encrypted"} and "QUYẾT ĐỊNH" in facts.text


@pytest.mark.parametrize(("data", "code"), [(b"", "pdf_unreadable"), (b"not a pdf at all", "pdf_unreadable"),
                                           (b"%PDF-1.7\n1 0 obj\n<<", "pdf_truncated"),
                                           (b"%PDF-1.7\n1 0 obj\n<<>>\n%%EOF\n", "pdf_unreadable")],
                         ids=["empty", "text", "cut", "no-xref"])
def test_corrupt_or_truncated_file_is_unreadable_with_a_vietnamese_reason(tmp_path, data, code):
    result = verify_file(_write(tmp_path, "bad.pdf", data), NO_TRUST)
    assert result.broken and _codes(result.problems) == {code}
    assert "tệp PDF" in result.problems[0].message


def test_truncated_signed_file_is_unreadable(tmp_path, signed):
    result = verify_file(_write(tmp_path, "cut.pdf", signed[: len(signed) // 2]), NO_TRUST)
    assert result.broken and not result.readable


def test_a_file_cut_inside_its_signature_revision_is_truncated_not_unsigned(tmp_path, signed):
    # the unsigned revision before the signature is intact: a lenient reader would fall back on it
    cut = signed[: signed.rfind(b"%%EOF") - 200]
    result = verify_file(_write(tmp_path, "cut.pdf", cut), NO_TRUST)
    assert result.broken and _codes(result.problems) == {"pdf_truncated"} and result.signatures == []


def test_javascript_is_a_problem_and_embedded_files_a_flag(tmp_path):
    js = inspect_pdf(_write(tmp_path, "js.pdf", with_javascript(text_pdf())))
    assert js.javascript and _codes(js.problems) == {"pdf_javascript"}
    attached = inspect_pdf(_write(tmp_path, "att.pdf", with_embedded_file(text_pdf())))
    assert attached.embedded_files == ["phu-luc.txt"] and attached.problems == []
    assert _codes(attached.flags) == {"pdf_embedded_files"}


def test_text_pdf_pages_have_their_own_text(tmp_path, signed):
    facts = inspect_pdf(_write(tmp_path, "qd.pdf", signed))
    assert facts.pages == 1 and facts.image_only_pages() == [] and facts.pdfa is None
    assert "Số: 15/QĐ-UBND" in facts.text


def test_cli_prints_every_signature_and_exits_zero_for_intact_files(tmp_path, signed, cong_bao, capsys):
    two = _write(tmp_path, "two.pdf", sign(signed, cong_bao, field="CongBao"))
    plain = _write(tmp_path, "plain.pdf", text_pdf())
    assert sohoa_main(["born-digital", "verify", str(two), str(plain)]) == 0
    out = capsys.readouterr().out
    assert "Chữ ký 1 (Signature1): Common Name: Ủy ban nhân dân tỉnh Thử Nghiệm" in out
    assert "Chữ ký 2 (CongBao)" in out and "phủ toàn bộ tệp: không" in out and "phủ toàn bộ tệp: có" in out
    assert "chưa xác định tổ chức cấp (unknown)" in out
    assert f"{plain}" in out and "không có chữ ký số" in out


def test_cli_json_lists_each_file_and_exits_nonzero_when_a_signature_is_invalid(tmp_path, signed, ca, capsys):
    good = _write(tmp_path, "good.pdf", signed)
    bad = _write(tmp_path, "bad.pdf", flip_byte(signed))
    trust = ca.write_trust_dir(tmp_path / "trust")
    assert sohoa_main(["born-digital", "verify", "--json", "--trust-dir", str(trust), str(good), str(bad)]) == 1
    document = json.loads(capsys.readouterr().out)
    assert [d["file"] for d in document] == [str(good), str(bad)]
    [ok], [broken] = document[0]["signatures"], document[1]["signatures"]
    assert {k: ok[k] for k in ("digest", "covers_whole_file", "integrity", "trust")} == {
        "digest": "sha256", "covers_whole_file": True, "integrity": "valid", "trust": "trusted"}
    assert ok["signer"].startswith("Common Name: Ủy ban nhân dân") and ok["signed_at"].endswith("+07:00")
    assert broken["integrity"] == "invalid" and document[0]["problems"] == []
    assert any("đã bị thay đổi sau khi ký" in p for p in document[1]["problems"])


def test_cli_exits_nonzero_when_a_file_cannot_be_read(tmp_path, capsys):
    assert sohoa_main(["born-digital", "verify", "--json", str(tmp_path / "missing.pdf")]) == 1
    [entry] = json.loads(capsys.readouterr().out)
    assert entry["signatures"] == [] and "không mở được tệp" in entry["problems"][0]
