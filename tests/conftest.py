"""Shared fixtures: the real local stack, started once per test session.

Tests marked ``stack`` (or using these fixtures) run against the real PostgreSQL, SeaweedFS and Airflow that
``scripts/test.sh`` starts; started by hand, ``sohoa stack up`` does the same. If the stack is not running the
fixture starts it (idempotent), so a single test file can be run on its own.
"""
from __future__ import annotations

import os
import uuid

import psycopg2
import pytest

from ocr_engine.synth import render_page
from sohoa import localstack
from sohoa.catalogue.db import connect, transaction
from sohoa.intake.samples import intake_here, make_batch
from sohoa.localstack import airflow as airflow_stack
from sohoa.localstack.seaweed import client
from sohoa.processing.plan import batch_pk_of


@pytest.fixture(scope="session")
def stack():
    """The settings of a running local stack (Postgres, S3, alert sink, Airflow).

    This process's Airflow settings point at the test metadata database (migrated here), so ``dag.test()`` runs
    never meet the live scheduler; tests that want the real scheduler drive it through its REST API.
    """
    cfg = localstack.up(echo=lambda *_: None)
    env = airflow_stack.environment(cfg, database=cfg.airflow_test_database)
    airflow_stack.Airflow(cfg).migrate({**os.environ, **env})
    os.environ.update(env)
    return cfg


@pytest.fixture(scope="session")
def cfg(stack):
    return stack


@pytest.fixture()
def catalogue(stack):
    """A psycopg2 connection to the sohoa catalogue as the pipeline's role (closed after the test)."""
    conn = psycopg2.connect(stack.catalogue_dsn())
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def s3_admin(stack):
    return client(stack, stack.s3_admin_key, stack.s3_admin_secret)


@pytest.fixture(scope="session")
def s3_pipeline(stack):
    return client(stack, stack.s3_pipeline_key, stack.s3_pipeline_secret)


@pytest.fixture(scope="session")
def s3_vendor(stack):
    """A factory: ``s3_vendor(name)`` is an S3 client holding that vendor's own credentials."""
    return lambda vendor: client(stack, stack.vendor_key(vendor), stack.vendor_secret(vendor))


VENDOR = "vendor-demo"


def _rendered_pages(seeds: dict):
    """A page factory: page n of a hồ sơ is the synthetic document rendered from seeds[n]."""
    truths = {}

    def page(ma_ho_so: str, so_trang: int):
        image, truth, fields = render_page(seeds[so_trang], dpi=200)
        truths[so_trang] = (truth, fields)
        return image.convert("RGB")
    return page, truths


def _intake(tmp_path, n_pages: int) -> tuple[str, int, dict]:
    """A fresh batch of ``n_pages`` rendered pages through upload and intake in this process (the tests drive
    processing themselves); seeds are unique per run, since intake rightly rejects a page whose SHA-256 is
    already catalogued."""
    batch_id = f"proc-{uuid.uuid4().hex[:8]}"
    base = uuid.uuid4().int % 10**9
    factory, truths = _rendered_pages({n: base + n for n in range(1, n_pages + 1)})
    manifest = make_batch(tmp_path / batch_id, VENDOR, batch_id, n_ho_so=1, pages_per_ho_so=n_pages,
                          page_image=factory, dpi=200, with_van_ban=False)
    intake_here(tmp_path / batch_id, VENDOR, batch_id)  # no completion marker: the live scheduler stays out of it
    conn = connect()
    try:
        with transaction(conn) as cur:
            batch_pk = batch_pk_of(cur, VENDOR, batch_id)
    finally:
        conn.close()
    return manifest["ho_so"][0]["ma_ho_so"], batch_pk, truths


@pytest.fixture(scope="session")
def accepted_batch(stack):
    """A factory: ``accepted_batch(tmp_path, n_pages)`` → (mã hồ sơ, batch pk, {page: (truth, fields)}) of a fresh
    one-hồ-sơ batch of rendered pages, uploaded by the vendor and accepted by intake."""
    return _intake
