"""A small client of Airflow's REST API (v2): log in, trigger a DAG run, wait for it, read its tasks.

Used by the demo and the end-to-end tests to drive DAGs through the real scheduler, as an operator would
through the UI.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from .config import Settings
from .errors import AirflowApiError

FINISHED = {"success", "failed"}


def batch_run_id(dag_id: str, conf: dict) -> str:
    """``manual__<vendor>__<batch_id>__<12 hex>`` for a run of one batch, ``manual__<dag_id>__<12 hex>`` otherwise
    (vendor and batch ids are letters, digits, ``.``, ``_`` and ``-``, all allowed in a run id)."""
    unique = uuid.uuid4().hex[:12]
    if conf.get("vendor") and conf.get("batch_id"):
        return f"manual__{conf['vendor']}__{conf['batch_id']}__{unique}"
    return f"manual__{dag_id}__{unique}"


class AirflowClient:
    def __init__(self, cfg: Settings):
        self.base = cfg.airflow_url
        self._token = self._login(cfg.airflow_admin_user, cfg.airflow_admin_password)

    def _login(self, user: str, password: str) -> str:
        return self._request("POST", "/auth/token", {"username": user, "password": password},
                             auth=False)["access_token"]

    def _request(self, method: str, path: str, body: dict | None = None, *, auth: bool = True) -> dict:
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self._token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            raise AirflowApiError(f"{method} {path}: HTTP {exc.code} {exc.read().decode(errors='replace')[:300]}")
        except urllib.error.URLError as exc:
            raise AirflowApiError(f"{method} {path}: Airflow API unreachable at {self.base} ({exc.reason})")

    def dag(self, dag_id: str) -> dict:
        return self._request("GET", f"/api/v2/dags/{dag_id}")

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> dict:
        """Wait until the dag-processor has parsed ``dag_id``; unpause it; return its document."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                doc = self.dag(dag_id)
                break
            except AirflowApiError:
                if time.monotonic() > deadline:
                    raise AirflowApiError(f"DAG {dag_id} not parsed after {timeout:.0f}s; see the dag-processor log")
                time.sleep(2)
        if doc.get("is_paused"):
            self._request("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
        return doc

    def wait_for_queue(self, dag_id: str, task_id: str, queue: str, timeout: float = 180) -> None:
        """Wait until the parsed DAG sends ``task_id`` to ``queue`` (after a change of routing, the dag-processor
        must parse the file again before new runs follow it)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self._request("GET", f"/api/v2/dags/{dag_id}/tasks/{task_id}").get("queue") == queue:
                    return
            except AirflowApiError:
                pass  # not parsed yet
            if time.monotonic() > deadline:
                raise AirflowApiError(f"{dag_id}.{task_id} still not routed to queue {queue!r} after {timeout:.0f}s; "
                                      "see the dag-processor log")
            time.sleep(2)

    def trigger(self, dag_id: str, conf: dict | None = None, run_id: str | None = None) -> str:
        """Start a run now; return its run id. A run for one batch (conf ``vendor`` and ``batch_id``) is named
        after it and carries a Vietnamese note, so Airflow's run list says which batch each run is."""
        conf = conf or {}
        body = {"dag_run_id": run_id or batch_run_id(dag_id, conf), "conf": conf, "logical_date": None}
        if conf.get("vendor") and conf.get("batch_id"):
            body["note"] = f"Lô {conf['batch_id']} của nhà thầu {conf['vendor']}"
        return self._request("POST", f"/api/v2/dags/{dag_id}/dagRuns", body)["dag_run_id"]

    def run(self, dag_id: str, run_id: str) -> dict:
        return self._request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}")

    def wait(self, dag_id: str, run_id: str, timeout: float = 600, on_poll=None,
             outage_tolerance: float = 60) -> str:
        """Poll a run until it finishes; return its final state ('success' or 'failed').

        A passing API error (a database restart, say) is waited out for up to ``outage_tolerance`` seconds.
        """
        deadline = time.monotonic() + timeout
        failing_since = None
        while time.monotonic() < deadline:
            try:
                state = self.run(dag_id, run_id)["state"]
                failing_since = None
            except AirflowApiError:
                failing_since = failing_since or time.monotonic()
                if time.monotonic() - failing_since > outage_tolerance:
                    raise
                time.sleep(3)
                continue
            if on_poll:
                on_poll(state)
            if state in FINISHED:
                return state
            time.sleep(2)
        raise AirflowApiError(f"{dag_id} run {run_id} still running after {timeout:.0f}s")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        path = f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}/taskInstances?limit=1000"
        return self._request("GET", path)["task_instances"]

    def runs(self, dag_id: str, limit: int = 20) -> list[dict]:
        return self._request("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit={limit}&order_by=-start_date")["dag_runs"]
