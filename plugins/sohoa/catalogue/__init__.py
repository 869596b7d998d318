"""The catalogue: PostgreSQL tables for phông, mục lục, hộp, hồ sơ, văn bản, trang, batches and the audit trail.

The schema is owned by the Alembic migrations in ``migrations/`` (:func:`sohoa.catalogue.migrate.upgrade`,
``sohoa catalogue migrate``). Code reaches the tables through this small layer: :mod:`.db` (connections,
explicit transactions, per-batch locks), :mod:`.events` (the append-only PREMIS-style event table),
:mod:`.batches` (deliveries and their items) and :mod:`.records` (the archival records and their pages).
Functions take a cursor: the caller decides where a transaction begins and ends.
"""
