"""Verify the signatures of a PDF with pyHanko: what a văn thư needs to know about each one.

For every signature: the signer's subject, the signing time, the digest algorithm, whether the signed byte
ranges cover the whole file (or an incremental update follows: a counter-signature, or something else),
whether the signed bytes still hash to the signed digest (integrity) and whether the signer's certificate
chains to the configured trust store (trust). Nothing here parses CMS by hand and nothing here changes a byte.

Verdicts, in the terms a văn thư expects:

* integrity ``invalid`` (a changed byte, a signature that does not match its certificate): the file is rejected;
* integrity ``valid``, trust ``unknown``: no trust store is configured — "toàn vẹn, chưa xác định được tổ chức
  cấp chứng thư tại đây", never "invalid";
* trust ``untrusted``: a trust store is configured and the chain does not reach it, or the certificate was
  expired, not yet valid or revoked when used — flagged with the reason, not rejected;
* SHA-1 (or another weak digest) is accepted and flagged; MD5/MD2 signatures are invalid;
* an incremental update after the last signature is flagged; one that changes more than form fields,
  annotations and further signatures (``modified_after_signing``) is a rejection at intake.

:func:`verify_file` never raises for a bad file: unreadable, truncated, encrypted files and unsupported
signature formats are reported as problems with Vietnamese messages.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO

from asn1crypto import crl as asn1_crl
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.misc import PdfError as PyhankoPdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_signature, async_validate_pdf_timestamp
from pyhanko.sign.validation.status import ModificationLevel, SignatureCoverageLevel
from pyhanko.sign.validation.utils import CMSAlgorithmUsagePolicy
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.policy_decl import DisallowWeakAlgorithmsPolicy

from ..intake.checks import Problem
from ..vntime import VN_TZ

log = logging.getLogger(__name__)

# Digests too weak to trust at all. SHA-1 is not here: provincial văn bản of 2015-2020 are still signed with
# it; such a signature is verified, accepted and flagged (WEAK_DIGESTS).
BROKEN_DIGESTS = frozenset({"md2", "md5"})
WEAK_DIGESTS = frozenset({"sha1"})
ALGORITHM_POLICY = CMSAlgorithmUsagePolicy.lift_policy(DisallowWeakAlgorithmsPolicy(BROKEN_DIGESTS))
CERT_SUFFIXES = (".pem", ".crt", ".cer", ".der")

INTEGRITY_VALID, INTEGRITY_INVALID, INTEGRITY_UNKNOWN = "valid", "invalid", "unknown"
# pyHanko verifies adbe.pkcs7.detached, ETSI.CAdES.detached and ETSI.RFC3161. Older formats (adbe.pkcs7.sha1,
# adbe.x509.rsa_sha1) are reported with integrity "unknown" and flagged: the file is kept bit-exact, so the
# signature can still be checked by another tool.
TRUSTED, UNTRUSTED, UNKNOWN = "trusted", "untrusted", "unknown"

# pyHanko's AdES indications of a failed trust check, in Vietnamese; anything else: "chuỗi chứng thư không hợp lệ"
TRUST_REASONS = {
    "NO_CERTIFICATE_CHAIN_FOUND": "chứng thư của người ký không được cấp bởi tổ chức nào trong danh sách tin cậy",
    "OUT_OF_BOUNDS_NO_POE": "chứng thư của người ký đã hết hạn hoặc chưa có hiệu lực tại thời điểm kiểm tra",
    "OUT_OF_BOUNDS_NOT_REVOKED": "chứng thư của người ký đã hết hạn (không bị thu hồi)",
    "EXPIRED": "chứng thư của người ký đã hết hạn",
    "NOT_YET_VALID": "chứng thư của người ký chưa có hiệu lực",
    "REVOKED_NO_POE": "chứng thư của người ký đã bị thu hồi",
    "REVOKED_CA_NO_POE": "chứng thư của tổ chức cấp đã bị thu hồi",
    "CHAIN_CONSTRAINTS_FAILURE": "chuỗi chứng thư không đáp ứng ràng buộc (mục đích sử dụng khóa, …)",
    "SIG_CONSTRAINTS_FAILURE": "chứng thư không được phép dùng để ký văn bản (mục đích sử dụng khóa)",
}


@dataclass(frozen=True)
class TrustStore:
    """Certificates signatures are checked against: ``roots`` are trusted, ``intermediates`` only help build
    paths, ``crls`` (revocation lists brought in by hand: the archive never fetches) say which certificates were
    revoked. An empty store trusts nobody, and trust is then reported ``unknown``."""
    roots: tuple[asn1_x509.Certificate, ...] = ()
    intermediates: tuple[asn1_x509.Certificate, ...] = ()
    crls: tuple[asn1_crl.CertificateList, ...] = ()

    @property
    def configured(self) -> bool:
        return bool(self.roots)

    @classmethod
    def from_dir(cls, folder: Path | None) -> TrustStore:
        """Every certificate in ``folder`` (PEM, possibly several per file, or DER): self-issued ones are roots,
        the others intermediates; every ``.crl`` file (PEM or DER) a revocation list. None or a missing folder:
        an empty store."""
        if folder is None or not Path(folder).is_dir():
            return cls()
        files = sorted(Path(folder).iterdir())
        certs = [cert for path in files if path.suffix.lower() in CERT_SUFFIXES
                 for cert in _load_der(path.read_bytes(), "CERTIFICATE", asn1_x509.Certificate)]
        crls = [crl for path in files if path.suffix.lower() == ".crl"
                for crl in _load_der(path.read_bytes(), "X509 CRL", asn1_crl.CertificateList)]
        return cls(roots=tuple(c for c in certs if c.self_issued),
                   intermediates=tuple(c for c in certs if not c.self_issued), crls=tuple(crls))

    @classmethod
    def from_settings(cls) -> TrustStore:
        from ..config import settings
        return cls.from_dir(settings().signature_trust_dir)

    def validation_context(self) -> ValidationContext:
        """A context that never fetches anything (the archive network is closed) and accepts SHA-1 in
        certificates as in signatures."""
        return ValidationContext(trust_roots=list(self.roots), other_certs=list(self.intermediates),
                                 crls=list(self.crls), allow_fetching=False, revocation_mode="soft-fail",
                                 algorithm_usage_policy=DisallowWeakAlgorithmsPolicy(BROKEN_DIGESTS))


def _load_der(data: bytes, pem_kind: str, kind):
    """Every ``kind`` object in ``data``: PEM blocks of type ``pem_kind`` (several per file allowed), or DER."""
    if pem.detect(data):
        return [kind.load(der) for found, _, der in pem.unarmor(data, multiple=True) if found == pem_kind]
    return [kind.load(data)]


@dataclass
class SignatureCheck:
    """One signature of a file, as reported to the văn thư and stored with the record."""
    field: str
    signer: str
    signed_at: str | None  # ISO-8601 in +07:00; from a trusted timestamp when there is one, else as declared
    digest: str
    subfilter: str
    covers_whole_file: bool
    integrity: str  # valid | invalid | unknown (a signature format pyHanko does not verify)
    trust: str  # trusted | untrusted | unknown
    issuer: str = ""
    kind: str = "signature"  # or "timestamp": a document timestamp (PAdES-LTA, ETSI.RFC3161), signed by a TSA
    timestamped: bool = False
    modification: str = "none"  # what follows the signed revision: none | signatures | form_filling | other
    problems: list[Problem] = field(default_factory=list)  # why integrity is invalid
    flags: list[Problem] = field(default_factory=list)  # accepted, but a văn thư should know

    def as_json(self) -> dict:
        return {"signer": self.signer, "signed_at": self.signed_at, "digest": self.digest,
                "covers_whole_file": self.covers_whole_file, "integrity": self.integrity, "trust": self.trust,
                "field": self.field, "kind": self.kind, "issuer": self.issuer, "subfilter": self.subfilter,
                "timestamped": self.timestamped, "modification": self.modification,
                "problems": [asdict(p) for p in self.problems], "flags": [asdict(p) for p in self.flags]}


@dataclass
class FileVerification:
    """Every signature of one file, and what stops the file from being read or trusted as a whole."""
    file: str
    sha256: str | None = None
    size: int | None = None
    signatures: list[SignatureCheck] = field(default_factory=list)
    empty_fields: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # the file could not be read or verified

    @property
    def readable(self) -> bool:
        return not any(p.code in UNREADABLE for p in self.problems)

    @property
    def broken(self) -> bool:
        """True when the file cannot be read or any signature's integrity is invalid."""
        return not self.readable or any(s.integrity == INTEGRITY_INVALID for s in self.signatures)

    @property
    def modified_after_signing(self) -> bool:
        return any(s.modification == "other" for s in self.signatures)

    def as_json(self) -> dict:
        problems = [p.message for p in self.problems]
        problems += [f"{s.field}: {p.message}" for s in self.signatures for p in s.problems + s.flags]
        if not self.signatures and self.readable:
            problems.append(NO_SIGNATURE.message)
        problems += [f"{name}: {EMPTY_FIELD.message}" for name in self.empty_fields]
        return {"file": self.file, "sha256": self.sha256, "size": self.size,
                "signatures": [s.as_json() for s in self.signatures], "problems": problems}


# What pyHanko raises on a damaged file (it reads objects lazily, so also while validating a signature).
READ_ERRORS = (PyhankoPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError)
UNREADABLE = {"pdf_unreadable", "pdf_encrypted_password", "file_unreadable", "pdf_truncated"}
# A PDF ends with %%EOF (then at most an end of line). pyHanko, reading leniently, falls back on an earlier
# revision when the last one is cut off — a signed file cut in its signature revision reads as an intact unsigned
# file — so the tail is checked first. Measured on 600 damaged copies of a twice-signed file: 6 cuts read as
# "unsigned" without this check. Junk appended after %%EOF is allowed within this many bytes (then flagged by
# the coverage check as content after the last signature).
EOF_WINDOW = 1024
NO_SIGNATURE = Problem("unsigned", "tệp không có chữ ký số")
EMPTY_FIELD = Problem("signature_field_empty", "trường chữ ký chưa được ký (chỉ có ô chữ ký, không có chữ ký)")


DIGEST_LABELS = {"sha1": "SHA-1", "sha224": "SHA-224", "sha256": "SHA-256", "sha384": "SHA-384", "sha512": "SHA-512",
                 "sha3_256": "SHA3-256", "sha3_384": "SHA3-384", "sha3_512": "SHA3-512", "md5": "MD5"}


def digest_label(name: str) -> str:
    """``sha256`` → ``SHA-256`` (as a văn thư reads it)."""
    return DIGEST_LABELS.get(name, name.upper())


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(VN_TZ).isoformat(timespec="seconds") if moment else None


def _coverage_and_modification(status, is_last: bool) -> tuple[bool, str, list[Problem]]:
    """(covers the whole file, what follows the signed revision, flags) of one signature."""
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    level = status.modification_level
    if whole or level is None:
        return whole, "none", []
    if level == ModificationLevel.NONE:
        what = "none"
    elif level == ModificationLevel.LTA_UPDATES:
        what = "signatures"
    elif level in (ModificationLevel.FORM_FILLING, ModificationLevel.ANNOTATIONS):
        what = "form_filling"
    else:
        what = "other"
    if what == "other" or getattr(status, "docmdp_ok", None) is False:
        return whole, "other", [Problem(
            "modified_after_signing",
            "tệp đã bị sửa đổi sau khi ký (không chỉ thêm chữ ký hay điền biểu mẫu): nội dung đang hiển thị "
            "có thể khác với nội dung đã ký")]
    if is_last:
        return whole, what, [Problem(
            "content_after_last_signature",
            "có nội dung được thêm vào sau chữ ký cuối cùng; phần thêm vào không được chữ ký nào bảo vệ")]
    return whole, what, [Problem(
        "incremental_update_follows",
        "sau chữ ký này có bản cập nhật bổ sung (thường là chữ ký của cơ quan khác); phần đã ký vẫn nguyên vẹn")]


def _trust(status, store: TrustStore) -> tuple[str, list[Problem]]:
    if status.trusted:
        return TRUSTED, []
    if not store.configured:
        return UNKNOWN, [Problem("issuer_not_trusted_here",
                                 "chữ ký toàn vẹn; chưa cấu hình danh sách tổ chức cấp chứng thư tin cậy "
                                 "nên chưa xác định được tổ chức cấp tại đây")]
    indication = getattr(status.trust_problem_indic, "name", "")
    reason = TRUST_REASONS.get(indication, f"chuỗi chứng thư không hợp lệ ({indication or 'không rõ lý do'})")
    return UNTRUSTED, [Problem("untrusted", reason)]


def _validity_flags(cert: asn1_x509.Certificate, signed_at: dt.datetime | None) -> list[Problem]:
    """The certificate's own dates against the declared signing time (told whether or not trust is known)."""
    if signed_at is None:
        return []
    validity = cert["tbs_certificate"]["validity"]
    start, end = validity["not_before"].native, validity["not_after"].native
    if signed_at > end:
        return [Problem("certificate_expired_at_signing",
                        f"chứng thư của người ký đã hết hạn ngày {end.astimezone(VN_TZ):%d/%m/%Y} "
                        f"trước thời điểm ký {signed_at.astimezone(VN_TZ):%d/%m/%Y}")]
    if signed_at < start:
        return [Problem("certificate_not_yet_valid_at_signing",
                        f"chứng thư của người ký chỉ có hiệu lực từ {start.astimezone(VN_TZ):%d/%m/%Y}, "
                        f"sau thời điểm ký {signed_at.astimezone(VN_TZ):%d/%m/%Y}")]
    return []


def _unsupported(name: str, subfilter: str) -> SignatureCheck:
    """A filled signature field whose format pyHanko does not verify (it leaves it out of its signatures)."""
    return SignatureCheck(
        name, signer="", signed_at=None, digest="", subfilter=subfilter, covers_whole_file=False,
        integrity=INTEGRITY_UNKNOWN, trust=UNKNOWN,
        flags=[Problem("signature_format_unsupported",
                       f"chữ ký định dạng {subfilter or 'không rõ'} không kiểm tra được tại đây (chỉ kiểm tra "
                       "adbe.pkcs7.detached, ETSI.CAdES.detached và dấu thời gian ETSI.RFC3161); tệp được giữ "
                       "nguyên để kiểm tra bằng công cụ khác")])


def _check_signature(embedded, context: ValidationContext, store: TrustStore, is_last: bool) -> SignatureCheck:
    name = embedded.field_name or "?"
    subfilter = str(embedded.sig_object.get("/SubFilter", "")).lstrip("/")
    timestamp_only = embedded.sig_object_type == "/DocTimeStamp"
    try:
        if timestamp_only:
            status = asyncio.run(async_validate_pdf_timestamp(embedded, context))
        else:
            status = asyncio.run(async_validate_pdf_signature(embedded, context, algorithm_policy=ALGORITHM_POLICY))
    except (SignatureValidationError, ValueError, KeyError) as exc:
        log.info("signature %s cannot be validated: %s", name, exc)
        return SignatureCheck(
            name, signer="", signed_at=None, digest="", subfilter=subfilter, covers_whole_file=False,
            integrity=INTEGRITY_INVALID, trust=UNKNOWN,
            problems=[Problem("signature_unverifiable",
                              f"không kiểm tra được chữ ký (định dạng {subfilter or 'không rõ'}): {exc}")])
    cert = status.signing_cert
    digest = status.md_algorithm
    integrity = INTEGRITY_VALID if status.intact and status.valid else INTEGRITY_INVALID
    problems = []
    if not status.intact:
        problems.append(Problem("digest_mismatch",
                                "nội dung đã ký không còn khớp với chữ ký: tệp đã bị thay đổi sau khi ký"))
    elif not status.valid:
        problems.append(Problem("signature_invalid",
                                "chữ ký không khớp với chứng thư của người ký (chữ ký giả hoặc hỏng)"))
    if timestamp_only:
        timestamped, signed_at = True, status.timestamp
    else:
        timestamp = status.timestamp_validity
        timestamped = bool(timestamp and timestamp.intact and timestamp.valid)
        signed_at = timestamp.timestamp if timestamped else status.signer_reported_dt
    whole, modification, flags = _coverage_and_modification(status, is_last)
    trust, trust_flags = _trust(status, store)
    if integrity == INTEGRITY_VALID:  # the trust and strength of a broken signature are beside the point
        flags = flags + trust_flags + _validity_flags(cert, signed_at)
    if integrity == INTEGRITY_VALID and digest in WEAK_DIGESTS:
        flags.append(Problem("weak_digest", f"chữ ký dùng thuật toán băm yếu {digest_label(digest)}: "
                                            "vẫn được chấp nhận nhưng cần lưu ý"))
    return SignatureCheck(
        name, signer=cert.subject.human_friendly, signed_at=_iso(signed_at), digest=digest, subfilter=subfilter,
        covers_whole_file=whole, integrity=integrity, trust=trust, issuer=cert.issuer.human_friendly,
        kind="timestamp" if timestamp_only else "signature", timestamped=timestamped, modification=modification,
        problems=problems, flags=flags)



def verify_stream(stream: BinaryIO, name: str, store: TrustStore | None = None) -> FileVerification:
    """Verify every signature of the PDF in ``stream`` (seekable, read only). See the module docstring."""
    store = store if store is not None else TrustStore.from_settings()
    result = FileVerification(name)
    if stream.read(EOF_WINDOW).find(b"%PDF-") < 0:
        result.problems.append(Problem("pdf_unreadable", "không đọc được tệp PDF (hỏng, bị cắt cụt hoặc không phải "
                                                         "PDF): không có phần đầu %PDF-"))
        return result
    stream.seek(0, 2)
    stream.seek(max(0, stream.tell() - EOF_WINDOW))
    if stream.read(EOF_WINDOW).find(b"%%EOF") < 0:
        result.problems.append(Problem("pdf_truncated", "tệp PDF không kết thúc bằng %%EOF: tệp bị cắt cụt (tải lên "
                                                        "chưa hết?) hoặc hỏng; đề nghị nộp lại tệp gốc"))
        return result
    stream.seek(0)
    try:
        reader = PdfFileReader(stream, strict=False)
        if reader.encrypted:
            if reader.decrypt("").status.name == "FAILED":
                result.problems.append(Problem("pdf_encrypted_password",
                                               "tệp PDF được mã hóa bằng mật khẩu: không đọc được"))
                return result
            result.problems.append(Problem("pdf_encrypted", "tệp PDF được mã hóa (đặt quyền hạn chế): đọc được "
                                                            "nhưng không lưu trữ lâu dài được ở dạng mã hóa"))
        embedded = list(reader.embedded_signatures)
        fields = list(enumerate_sig_fields(reader))
        result.empty_fields = [fname for fname, value, _ in fields if value is None]
        verified = {e.field_name for e in embedded}
        unsupported = [(fname, str(value.get_object().get("/SubFilter", "")).lstrip("/"))
                       for fname, value, _ in fields if value is not None and fname not in verified]
    except READ_ERRORS as exc:
        log.info("%s is not a readable PDF: %s: %s", name, type(exc).__name__, exc)
        result.problems.append(Problem("pdf_unreadable", f"không đọc được tệp PDF (hỏng, bị cắt cụt hoặc "
                                                         f"không phải PDF): {exc}"))
        return result
    context = store.validation_context()
    for index, signature in enumerate(embedded):
        try:
            check = _check_signature(signature, context, store, is_last=index == len(embedded) - 1)
        except READ_ERRORS as exc:  # pyHanko reads lazily: a damaged revision surfaces only now
            log.info("%s: signature %d cannot be read: %s: %s", name, index + 1, type(exc).__name__, exc)
            check = SignatureCheck(
                f"#{index + 1}", signer="", signed_at=None, digest="", subfilter="", covers_whole_file=False,
                integrity=INTEGRITY_INVALID, trust=UNKNOWN,
                problems=[Problem("signature_unreadable",
                                  f"chữ ký hoặc phần tệp đã ký bị hỏng, không đọc được: {exc}")])
        result.signatures.append(check)
    result.signatures += [_unsupported(fname, subfilter) for fname, subfilter in unsupported]
    return result


def verify_file(path: str | Path, store: TrustStore | None = None, *, name: str | None = None) -> FileVerification:
    """Verify the PDF at ``path``; also records its SHA-256 and size. Never raises for a bad file."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            digest, size = _hash(fh)
            fh.seek(0)
            result = verify_stream(fh, name or str(path), store)
    except OSError as exc:
        result = FileVerification(name or str(path))
        result.problems.append(Problem("file_unreadable", f"không mở được tệp: {exc.strerror or exc}"))
        return result
    result.sha256, result.size = digest, size
    return result


def _hash(fh: BinaryIO) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := fh.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def verify_files(paths: Iterable[str | Path], store: TrustStore | None = None) -> list[FileVerification]:
    store = store if store is not None else TrustStore.from_settings()
    return [verify_file(p, store) for p in paths]


def quiet_pyhanko() -> None:
    """pyHanko logs every failed path search with a traceback; the verdict already carries the reason."""
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)

