"""Handover (nộp lưu): E-ARK CSIP packages per TT 05/2025, their validation, and the transfer to the archive.

``records`` reads what a package describes from the catalogue (and refuses incomplete metadata),
``ead``/``premis``/``mets`` write the three XML documents, ``package`` builds and zips one package,
``validate`` checks a package (structure, checksums, official XSDs, CSIP Schematron), ``transfer`` hands a
selection over (exports bucket, events, ``ho_so.handed_over_at``, the danh mục hồ sơ nộp lưu as .xlsx).
"""
from ..errors import SohoaError


class HandoverError(SohoaError):
    """A package could not be built, validated or handed over; the message names the hồ sơ."""


class MissingMetadata(HandoverError):
    """A hồ sơ or văn bản lacks metadata a package must carry; ``missing`` lists the fields (Vietnamese)."""

    def __init__(self, ma_ho_so: str, missing: list[str]):
        self.ma_ho_so, self.missing = ma_ho_so, missing
        super().__init__(f"Hồ sơ {ma_ho_so}: không lập được gói nộp lưu vì thiếu thông tin: {'; '.join(missing)}")


class PackageInvalid(HandoverError):
    """A built package failed validation; ``problems`` lists every violation found."""

    def __init__(self, package_id: str, problems: list[str]):
        self.package_id, self.problems = package_id, problems
        shown = "\n  ".join(problems[:20]) + (f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else "")
        super().__init__(f"package {package_id} is not valid ({len(problems)} problems):\n  {shown}")
