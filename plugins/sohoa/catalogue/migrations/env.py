"""Alembic environment of the sohoa catalogue (not Airflow's): version table ``sohoa_alembic_version``.

The URL comes from ``config.attributes["url"]`` (set by :func:`sohoa.catalogue.migrate.upgrade`). Concurrent
migrators (several intake runs, tests) serialise on a transaction-level advisory lock.
"""
from alembic import context
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

VERSION_TABLE = "sohoa_alembic_version"

engine = create_engine(context.config.attributes["url"], poolclass=NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, version_table=VERSION_TABLE)
    with context.begin_transaction():
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('sohoa_catalogue_migrate'))"))
        context.run_migrations()
engine.dispose()
