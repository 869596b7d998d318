"""HP-Net import: the electronic hồ sơ of the city's HP-Net system, from its export into the catalogue (mức độ
tin cậy "gốc điện tử"), with a reconciliation per year against the plan's figures and the export's own.

``listing`` reads the export's listing (XML, .xlsx or UTF-8 .csv — the formats are documented in
docs/handover.md), ``importer`` checks the files against it and imports what is sound, ``reconcile`` counts per
year and shows every gap instead of hiding it.
"""
from ..errors import SohoaError


class HpnetError(SohoaError):
    """An HP-Net import could not run; the message says what to fix (Vietnamese for the archivists)."""


class ExportFormatError(HpnetError):
    """The export's listing cannot be read as a whole (malformed XML, merged cells, wrong encoding…):
    nothing is imported. ``problems`` lists every finding."""

    def __init__(self, listing: str, problems: list[str]):
        self.problems = problems
        shown = "\n  ".join(problems[:20]) + (f"\n  … và {len(problems) - 20} lỗi khác" if len(problems) > 20 else "")
        super().__init__(f"Không đọc được danh sách {listing} của bản xuất HP-Net:\n  {shown}")
