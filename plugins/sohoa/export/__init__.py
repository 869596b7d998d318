"""Catalogue snapshots for the city's shared data: Parquet datasets of phông, hồ sơ, văn bản and trang metadata.

See :mod:`sohoa.export.parquet` for the layout and :data:`sohoa.export.parquet.SCHEMA_VERSION` for the contract.
"""
