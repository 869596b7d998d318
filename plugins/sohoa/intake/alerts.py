"""The operators' alert for a batch intake gave up retrying (held): the shape the alert notifiers deliver
(``key``, ``subject``, ``lines``, ``as_json``), so the e-mail and webhook channels of ``config/alerts.toml``
carry it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HeldBatchAlert:
    vendor: str
    batch_id: str
    failures: int
    last_error: str | None

    def key(self) -> str:
        return f"intake-held:{self.vendor}/{self.batch_id}:{self.failures}"

    def subject(self) -> str:
        return f"[Số hóa] Lô {self.vendor}/{self.batch_id} bị tạm giữ: tiếp nhận thất bại {self.failures} lần"

    def lines(self) -> list[str]:
        return [f"Tiếp nhận lô {self.vendor}/{self.batch_id} thất bại {self.failures} lần liên tiếp; đã dừng thử lại "
                "và báo nhà thầu rằng lô đang được giữ.",
                f"Lỗi cuối cùng: {self.last_error or '(không rõ)'}",
                "Sau khi khắc phục, chạy lại DAG sohoa_intake với conf {\"vendor\": …, \"batch_id\": …}."]

    def as_json(self) -> dict:
        return {"key": self.key(), "kind": "intake_held", "vendor": self.vendor, "batch_id": self.batch_id,
                "failures": self.failures, "last_error": self.last_error}
