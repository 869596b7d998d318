"""Shared fixtures: the real local stack, started once per test session.

Tests marked ``stack`` (or using these fixtures) run against the real PostgreSQL, SeaweedFS and Airflow that
``scripts/test.sh`` starts; started by hand, ``sohoa stack up`` does the same. If the stack is not running the
fixture starts it (idempotent), so a single test file can be run on its own.
"""
from __future__ import annotations

import os

import psycopg2
import pytest

from sohoa import localstack
from sohoa.localstack import airflow as airflow_stack
from sohoa.localstack.seaweed import client


@pytest.fixture(scope="session")
def stack():
    """The settings of a running local stack (Postgres, S3, Airflow)."""
    cfg = localstack.up(echo=lambda *_: None)
    os.environ.update(airflow_stack.environment(cfg))
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
