"""Run the catalogue's Alembic migrations (the only authority over its schema)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from ..config import settings

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url or settings().catalogue_url()
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the catalogue to ``revision`` (idempotent; safe to call from several processes at once)."""
    command.upgrade(alembic_config(url), revision)


def head() -> str:
    """The newest revision the migrations define."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("unused")).get_current_head()


def current(url: str | None = None) -> str | None:
    """The revision the catalogue is at, or None before the first migration."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(url or settings().catalogue_url(), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(
                connection, opts={"version_table": "sohoa_alembic_version"}).get_current_revision()
    finally:
        engine.dispose()
