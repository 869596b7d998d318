"""Handover, fixity, backups, HP-Net imports.

Revision ID: 0300_handover
Revises: 0200_processing
Create Date: 2026-11-24

``handover``: one transfer (nộp lưu) of a selection, with its transfer list in ``exports``.
``handover_package``: every package built and stored (one per unit and package type; rebuilt in place).
``fixity_state``: when each stored object was last re-read and with what outcome — the rotating sample takes
the objects checked longest ago first. ``replica``: the verified copy of each object on the backup store.
``hpnet_import``: one run of the HP-Net import with its reconciliation report.
"""
from alembic import op

revision = "0300_handover"
down_revision = "0200_processing"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE handover (
    id                   bigserial PRIMARY KEY,
    name                 text NOT NULL UNIQUE,
    selection            jsonb NOT NULL,
    package_type         text NOT NULL CHECK (package_type IN ('SIP', 'AIP')),
    level                text NOT NULL CHECK (level IN ('ho_so', 'van_ban')),
    agent                text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    transfer_list_key    text,
    transfer_list_sha256 char(64) CHECK (transfer_list_sha256 ~ '^[0-9a-f]{64}$'),
    refused              jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE handover_package (
    package_id    text PRIMARY KEY,
    handover_id   bigint NOT NULL REFERENCES handover (id),
    ho_so_id      bigint NOT NULL REFERENCES ho_so (id),
    van_ban_id    bigint REFERENCES van_ban (id),
    package_type  text NOT NULL CHECK (package_type IN ('SIP', 'AIP')),
    level         text NOT NULL CHECK (level IN ('ho_so', 'van_ban')),
    export_key    text NOT NULL UNIQUE,
    sha256        char(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes    bigint NOT NULL CHECK (size_bytes > 0),
    file_count    integer NOT NULL CHECK (file_count > 0),
    built_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((level = 'van_ban') = (van_ban_id IS NOT NULL))
);
CREATE INDEX handover_package_ho_so ON handover_package (ho_so_id);

CREATE TABLE fixity_state (
    bucket          text NOT NULL,
    key             text NOT NULL,
    last_checked_at timestamptz NOT NULL,
    last_outcome    text NOT NULL CHECK (last_outcome IN ('success', 'failure')),
    PRIMARY KEY (bucket, key)
);
CREATE INDEX fixity_state_oldest ON fixity_state (last_checked_at);

CREATE TABLE replica (
    bucket        text NOT NULL,
    key           text NOT NULL,
    sha256        char(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes    bigint NOT NULL CHECK (size_bytes >= 0),
    endpoint      text NOT NULL,
    version_id    text,
    replicated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bucket, key, endpoint)
);

CREATE TABLE hpnet_import (
    id           bigserial PRIMARY KEY,
    export_name  text NOT NULL,
    export_sha256 char(64) NOT NULL CHECK (export_sha256 ~ '^[0-9a-f]{64}$'),
    agency_ma    text NOT NULL,
    imported_at  timestamptz NOT NULL DEFAULT now(),
    report       jsonb NOT NULL
);
"""

DOWNGRADE = """
DROP TABLE hpnet_import, replica, fixity_state, handover_package, handover;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
