"""sohoa's configuration: one place, read once.

Every setting comes from an environment variable prefixed ``SOHOA_`` (``SOHOA_PG_PORT``…). Secrets that
are not set in the environment come from ``<state_dir>/secrets.env``, which the local stack generates on its
first start (random dev credentials, mode 0600) — no secret is ever committed.

Airflow tasks do not read this module for credentials: they use the connections ``sohoa_postgres`` and
``sohoa_s3`` (see :func:`sohoa.localstack.airflow.environment`), built from these same settings.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]

SECRET_NAMES = (
    "pg_superuser_password",
    "pg_password",
    "airflow_db_password",
    "s3_admin_secret",
    "s3_pipeline_secret",
    "airflow_admin_password",
    "airflow_jwt_secret",
    "airflow_fernet_key",
    "api_reader_token",
    "api_archivist_token",
    "redis_password",
)


def _default_state_dir() -> Path:
    return Path(os.environ.get("SOHOA_STATE_DIR", REPO_ROOT / ".state")).resolve()


class Settings(BaseSettings):
    """All settings of sohoa; each field is also the env var ``SOHOA_<FIELD>``.

    Default ports lie below 32768, outside Linux's ephemeral range (32768–60999): a port in that range can be
    taken at any moment as the local end of some outgoing connection, and a restarting service then cannot bind.
    """

    model_config = SettingsConfigDict(env_prefix="SOHOA_", extra="ignore")

    state_dir: Path = Field(default_factory=_default_state_dir)
    agency: str = "Sở Ngoại vụ Hải Phòng"

    # PostgreSQL: one server, two databases (Airflow metadata, sohoa catalogue).
    pg_host: str = "127.0.0.1"
    pg_port: int = 25432
    pg_superuser: str = "postgres"
    pg_superuser_password: str = ""
    pg_user: str = "sohoa"
    pg_password: str = ""
    pg_database: str = "sohoa"
    airflow_db_user: str = "airflow"
    airflow_db_password: str = ""
    airflow_database: str = "airflow"
    airflow_test_database: str = "airflow_tests"  # metadata for in-process dag.test() runs, apart from the scheduler's

    # S3 (SeaweedFS locally). The admin identity creates buckets; the pipeline identity runs the DAGs.
    s3_endpoint: str = "http://127.0.0.1:28333"
    s3_region: str = "us-east-1"
    s3_admin_key: str = "sohoa-admin"
    s3_admin_secret: str = ""
    s3_pipeline_key: str = "sohoa-pipeline"
    s3_pipeline_secret: str = ""
    vendors: list[str] = Field(default_factory=lambda: ["vendor-demo", "vendor-b"])
    s3_base_port: int = 28300
    # The backup store (TT 05/2025's second, independent copy): another S3 endpoint, reached with the pipeline's
    # key. Empty: the local stack's second SeaweedFS, at the primary's port + 100 (sohoa.backup.replica).
    s3_backup_endpoint: str = ""

    # Airflow.
    airflow_host: str = "127.0.0.1"
    airflow_port: int = 28080
    airflow_admin_user: str = "admin"
    airflow_admin_password: str = ""
    airflow_jwt_secret: str = ""
    airflow_fernet_key: str = ""

    # Alerts: the local stack's sink receives what production sends to the office's mail server and webhook.
    alert_smtp_port: int = 28025
    alert_http_port: int = 28026

    # HTTP API (search, review): bearer tokens of its two roles.
    api_reader_token: str = ""
    api_archivist_token: str = ""

    # Executor profile of the local stack: "local" (LocalExecutor) or "celery" (CeleryExecutor, Redis broker,
    # one Celery worker per queue). ``sohoa stack up --profile P`` records it in <state_dir>/profile.env.
    stack_profile: Literal["local", "celery"] = "local"
    redis_port: int = 26379
    redis_password: str = ""
    celery_worker_concurrency: int = 2
    # Seconds a queued task may wait for a worker before Airflow fails it (then retries and alerts), and
    # seconds without a heartbeat after which a running task's worker is taken for lost (the task is retried).
    task_queued_timeout: int = 300
    task_heartbeat_timeout: int = 60

    # OCR. Engines that need a GPU run in the Airflow queue and pool named by ocr_gpu_queue; CPU engines in
    # ocr_queue when set (the celery profile on a machine without a GPU sends them to the gpu worker).
    ocr_engine: str = "tesseract"
    ocr_jobs: int = 2
    ocr_chunk_pages: int = 8
    ocr_gpu_engines: list[str] = Field(default_factory=lambda: ["paddle", "sohoa"])
    ocr_gpu_queue: str = "gpu"
    ocr_queue: str = ""
    ocr_pool: str = "ocr"
    ocr_pool_slots: int = 2
    ocr_gpu_pool_slots: int = 1

    # Born-digital records: the folder of certificates (PEM or DER, .pem/.crt/.cer/.der) that signatures are
    # trusted against — the government PKI roots and their intermediates — and of revocation lists (.crl) brought
    # in by hand. Unset or empty: no issuer is trusted here, and a signature whose bytes match is reported
    # "integrity valid, issuer not trusted here".
    signature_trust_dir: Path | None = None

    @field_validator("vendors")
    @classmethod
    def _no_vendor_named_as_the_born_digital_inbox(cls, vendors: list[str]) -> list[str]:
        from .storage import BORN_DIGITAL_INBOX  # storage reads these settings: imported once they exist

        if BORN_DIGITAL_INBOX in vendors:
            raise ValueError(f"'{BORN_DIGITAL_INBOX}' là tên dành riêng cho hồ sơ điện tử cơ quan nộp lưu "
                             f"(inbox/{BORN_DIGITAL_INBOX}/<mã cơ quan>/…), không được dùng làm tên nhà thầu số hóa; "
                             "hãy đặt tên khác cho nhà thầu này trong SOHOA_VENDORS")
        return vendors

    @property
    def s3_port(self) -> int:
        return int(self.s3_endpoint.rsplit(":", 1)[1].split("/")[0])

    @property
    def airflow_url(self) -> str:
        return f"http://{self.airflow_host}:{self.airflow_port}"

    def catalogue_dsn(self) -> str:
        """libpq DSN of the sohoa catalogue (password auth over TCP)."""
        return (f"host={self.pg_host} port={self.pg_port} dbname={self.pg_database} "
                f"user={self.pg_user} password={self.pg_password}")

    def catalogue_url(self) -> str:
        """SQLAlchemy URL of the sohoa catalogue."""
        return (f"postgresql+psycopg2://{self.pg_user}:{self.pg_password}"
                f"@{self.pg_host}:{self.pg_port}/{self.pg_database}")

    def vendor_key(self, vendor: str) -> str:
        return f"sohoa-{vendor}"

    def vendor_secret(self, vendor: str) -> str:
        """A vendor's S3 secret: derived from the admin secret so it needs no extra storage."""
        return hmac.new(self.s3_admin_secret.encode(), vendor.encode(), hashlib.sha256).hexdigest()[:40]


def secrets_file(state_dir: Path) -> Path:
    return state_dir / "secrets.env"


def profile_file(state_dir: Path) -> Path:
    """Settings of the stack's executor profile, written by ``sohoa stack up --profile``."""
    return state_dir / "profile.env"


def ensure_secrets(state_dir: Path) -> Path:
    """Create ``secrets.env`` with fresh random dev credentials unless it exists; return its path."""
    path = secrets_file(state_dir)
    if path.exists():
        missing = [n for n in SECRET_NAMES if f"SOHOA_{n.upper()}=" not in path.read_text(encoding="utf-8")]
        if missing:  # a state directory from an older version: add the new secrets, keep the rest
            with open(path, "a", encoding="utf-8") as fh:
                fh.writelines(f"SOHOA_{n.upper()}={secrets.token_urlsafe(24)}\n" for n in missing)
        return path
    from cryptography.fernet import Fernet

    state_dir.mkdir(parents=True, exist_ok=True)
    values = {name: secrets.token_urlsafe(24) for name in SECRET_NAMES}
    values["airflow_fernet_key"] = Fernet.generate_key().decode()
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(f"SOHOA_{k.upper()}={v}\n" for k, v in values.items()), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return path


def _read_env_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)
    return {k.strip()[len("SOHOA_"):].lower(): v.strip() for k, v in pairs if k.strip().startswith("SOHOA_")}


@functools.cache
def settings() -> Settings:
    """The settings, read once: environment first, then the state directory's secrets and profile files."""
    state_dir = _default_state_dir()
    files = {**_read_env_file(secrets_file(state_dir)), **_read_env_file(profile_file(state_dir))}
    from_file = {k: v for k, v in files.items() if f"SOHOA_{k.upper()}" not in os.environ}
    return Settings(**from_file)
