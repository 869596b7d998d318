"""sohoa_inbox_retention runs its one task against the stack (the rules themselves: test_intake_retention.py)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.stack


def test_the_inbox_retention_dag_runs_daily_and_succeeds(dag_bag):
    dag = dag_bag.get_dag("sohoa_inbox_retention")
    assert [t.task_id for t in dag.tasks] == ["expire_judged_batches"]
    assert dag.test().state == "success"  # the dev inbox holds nothing judged a month ago: nothing goes
