"""Signed văn bản for tests, benchmarks and demos: a throw-away CA, signer certificates, PDFs signed with pyHanko.

Nothing here is a fixture file: every PDF and certificate is built when asked for, so a test shows what each
case is. Keys are EC P-256 (fast to make) or RSA-2048 as many provincial signing tokens use. Never a real key.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from fpdf import FPDF
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
NOW = dt.datetime.now(dt.timezone.utc)

VAN_BAN_TEXT = (
    "ỦY BAN NHÂN DÂN TỈNH THỬ NGHIỆM\n"
    "Số: 15/QĐ-UBND\n"
    "Thử Nghiệm, ngày 18 tháng 8 năm 2025\n"
    "QUYẾT ĐỊNH\n"
    "Về việc ban hành Kế hoạch số hóa tài liệu lưu trữ năm 2025\n"
    "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH\n"
    "Điều 1. Ban hành kèm theo Quyết định này Kế hoạch số hóa tài liệu lưu trữ.\n"
    "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.\n"
    "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\nNguyễn Văn Thử\n"
)


def _name(common: str, org: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")])


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


@dataclass
class ThrowawayCA:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @classmethod
    def make(cls, common: str = "Test Root CA sohoa") -> ThrowawayCA:
        key = ec.generate_private_key(ec.SECP256R1())
        usage = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                              data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                              encipher_only=False, decipher_only=False)
        cert = (x509.CertificateBuilder().subject_name(_name(common, "sohoa tests")).issuer_name(
            _name(common, "sohoa tests")).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=3650)).not_valid_after(NOW + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(usage, critical=True).sign(key, hashes.SHA256()))
        return cls(key, cert)

    def subordinate(self, common: str) -> ThrowawayCA:
        """An intermediate CA this one certifies (as a provincial CA under the national root)."""
        key = ec.generate_private_key(ec.SECP256R1())
        usage = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                              data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                              encipher_only=False, decipher_only=False)
        cert = (x509.CertificateBuilder().subject_name(_name(common, "sohoa tests")).issuer_name(self.cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(NOW - dt.timedelta(days=1000)).not_valid_after(NOW + dt.timedelta(days=1000))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(usage, critical=True).sign(self.key, hashes.SHA256()))
        return ThrowawayCA(key, cert)

    def revocation_list(self, *revoked: signers.SimpleSigner) -> bytes:
        """A CRL (PEM) of this CA revoking the signers' certificates as of a day ago."""
        builder = (x509.CertificateRevocationListBuilder().issuer_name(self.cert.subject)
                   .last_update(NOW - dt.timedelta(hours=1)).next_update(NOW + dt.timedelta(days=7)))
        for signer in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(signer.signing_cert.serial_number)
                .revocation_date(NOW - dt.timedelta(days=1)).build())
        return builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)

    def write_trust_dir(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "root.pem").write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        return folder

    def issue(self, common: str, org: str, *, rsa_key: bool = False, not_before: dt.datetime | None = None,
              not_after: dt.datetime | None = None) -> signers.SimpleSigner:
        """A signer whose certificate this CA issued (valid from a year ago for a year unless told)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if rsa_key else \
            ec.generate_private_key(ec.SECP256R1())
        usage = x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                              data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                              encipher_only=False, decipher_only=False)
        cert = (x509.CertificateBuilder().subject_name(_name(common, org)).issuer_name(self.cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(not_before or NOW - dt.timedelta(days=365))
                .not_valid_after(not_after or NOW + dt.timedelta(days=365))
                .add_extension(usage, critical=True)
                .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                    [x509.UniformResourceIdentifier("http://crl.invalid/sohoa-tests.crl")], None, None, None)]),
                    critical=False)
                .sign(self.key, hashes.SHA256()))
        private = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        return signers.SimpleSigner(
            signing_cert=asn1_x509.Certificate.load(_der(cert)),
            signing_key=asn1_keys.PrivateKeyInfo.load(private),
            cert_registry=SimpleCertificateStore.from_certs([asn1_x509.Certificate.load(_der(self.cert))]))


def tsa(ca: ThrowawayCA) -> DummyTimeStamper:
    """A time-stamping authority whose certificate ``ca`` issued (extended key usage timeStamping; RSA, as
    pyHanko's dummy timestamper requires)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder().subject_name(_name("TSA sohoa tests", "sohoa tests")).issuer_name(ca.cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=365)).not_valid_after(NOW + dt.timedelta(days=365))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(ca.key, hashes.SHA256()))
    private = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return DummyTimeStamper(tsa_cert=asn1_x509.Certificate.load(_der(cert)),
                            tsa_key=asn1_keys.PrivateKeyInfo.load(private),
                            certs_to_embed=SimpleCertificateStore.from_certs(
                                [asn1_x509.Certificate.load(_der(ca.cert))]))


def document_timestamp(data: bytes, timestamper: DummyTimeStamper) -> bytes:
    """``data`` with a PAdES document timestamp (``/DocTimeStamp``, ETSI.RFC3161) added as an incremental update."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    return signers.PdfTimeStamper(timestamper).timestamp_pdf(writer, "sha256").getvalue()


def text_pdf(text: str = VAN_BAN_TEXT, *, pages: int = 1) -> bytes:
    """A PDF 1.3-style văn bản with a real text layer (DejaVu embedded, every diacritic)."""
    pdf = FPDF()
    pdf.add_font("dejavu", fname=FONT)
    pdf.set_font("dejavu", size=12)
    for _ in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def image_pdf(png: bytes, *, dpi: int = 300) -> bytes:
    """A PDF whose only page is a scan (an image, no text), as the 300-dpi scans agencies sign."""
    pdf = FPDF(unit="pt")
    pdf.add_page(format=(595, 842))
    pdf.image(io.BytesIO(png), x=0, y=0, w=595, h=842)
    return bytes(pdf.output())


def sign(data: bytes, signer: signers.SimpleSigner, *, digest: str = "sha256", field: str = "Signature1") -> bytes:
    """Sign ``data`` (PAdES subfilter ETSI.CAdES.detached) as an incremental update; return the new file."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    meta = signers.PdfSignatureMetadata(field_name=field, md_algorithm=digest, subfilter=SigSeedSubFilter.PADES)
    return signers.sign_pdf(writer, meta, signer=signer).getvalue()


def with_empty_signature_field(data: bytes, name: str = "ChuKy") -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    fields.append_signature_field(writer, fields.SigFieldSpec(name, box=(50, 50, 250, 110)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def flip_byte(data: bytes) -> bytes:
    """The file with one byte changed inside the signed range (in the document information's /Producer)."""
    changed = bytearray(data)
    at = data.find(b"/Producer")
    changed[at + 3] ^= 0x01
    return bytes(changed)


def encrypted(data: bytes, *, user_password: str = "") -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(owner="chu-so-huu", user=user_password, R=6))
    return out.getvalue()


def with_javascript(data: bytes) -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        action = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")))
        pdf.Root.OpenAction = action
        pdf.save(out)
    return out.getvalue()


def with_embedded_file(data: bytes) -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.attachments["phu-luc.txt"] = pikepdf.AttachedFileSpec(pdf, "Phụ lục".encode())
        pdf.save(out)
    return out.getvalue()
