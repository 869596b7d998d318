"""Milestones: the plan's seeded figures, milestones, daily progress, alert state, pipeline deadline misses.

Revision ID: 0100_milestones
Revises: 0001
Create Date: 2026-11-24

Also adds ``ho_so.handed_over_at``: the moment a hồ sơ's package was handed over (set by the handover DAG);
the milestones count a hồ sơ as handed over when it is set.
"""
from alembic import op

revision = "0100_milestones"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE ho_so ADD COLUMN handed_over_at timestamptz;

-- The agency's own inventory as its plan states it: figures to plan against, NOT records processed here.
CREATE TABLE plan_figure (
    agency_ma       text NOT NULL,
    line            text NOT NULL,
    position        integer NOT NULL DEFAULT 0,
    holding         text NOT NULL,
    label           text NOT NULL,
    year            integer CHECK (year BETWEEN 1900 AND 2200),
    ho_so           integer CHECK (ho_so >= 0),
    shelf_metres    numeric(9, 3) CHECK (shelf_metres >= 0),
    period          text NOT NULL DEFAULT '',
    note            text NOT NULL DEFAULT '',
    source          text NOT NULL,
    seeded_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_ma, line)
);

CREATE TABLE milestone (
    id          text PRIMARY KEY,
    agency_ma   text NOT NULL,
    phase       integer NOT NULL CHECK (phase IN (1, 2)),
    title       text NOT NULL,
    deadline    date NOT NULL,
    created_on  date NOT NULL,
    CHECK (deadline >= created_on)
);

-- One snapshot per milestone, day and stage, written by the daily milestones DAG (re-runs overwrite the day).
CREATE TABLE milestone_progress (
    milestone_id    text NOT NULL REFERENCES milestone (id),
    day             date NOT NULL,
    stage           text NOT NULL
                    CHECK (stage IN ('registered', 'received', 'accepted', 'ocr', 'reviewed', 'handed_over')),
    ho_so           integer NOT NULL CHECK (ho_so >= 0),
    pages           bigint NOT NULL CHECK (pages >= 0),
    shelf_metres    numeric(12, 3) NOT NULL CHECK (shelf_metres >= 0),
    PRIMARY KEY (milestone_id, day, stage)
);

-- Alert state: one open row per milestone, condition and channel, so an unchanged condition is sent once.
CREATE TABLE milestone_alert (
    id              bigserial PRIMARY KEY,
    milestone_id    text NOT NULL REFERENCES milestone (id),
    condition       text NOT NULL CHECK (condition IN ('approaching', 'forecast_late', 'overdue')),
    channel         text NOT NULL,
    raised_on       date NOT NULL,
    sent_at         timestamptz NOT NULL DEFAULT now(),
    cleared_on      date,
    detail          jsonb NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX milestone_alert_open ON milestone_alert (milestone_id, condition, channel)
    WHERE cleared_on IS NULL;

CREATE TABLE pipeline_deadline_miss (
    dag_id          text NOT NULL,
    run_id          text NOT NULL,
    deadline_at     timestamptz,
    detected_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dag_id, run_id)
);
"""

DOWNGRADE = """
DROP TABLE pipeline_deadline_miss, milestone_alert, milestone_progress, milestone, plan_figure;
ALTER TABLE ho_so DROP COLUMN handed_over_at;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
