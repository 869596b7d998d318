"""The production deployment (infra/helm, infra/k8s) holds together offline: its YAML, its schema, and the code
it deploys. No cluster, no helm binary: the values files are merged as ``helm -f`` merges them and checked by
infra/helm/validate.py; these tests also feed it broken releases and expect the problem, named by its path.
"""
from __future__ import annotations

import copy
import importlib.metadata
import importlib.util
import re
import subprocess
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sohoa import dagkit
from sohoa.config import settings
from sohoa.storage import BUCKETS
from sohoa.localstack.seaweed import LOCKED_BUCKETS, VERSIONED_BUCKETS

REPO = Path(__file__).resolve().parents[2]
HELM = REPO / "infra" / "helm"
K8S = REPO / "infra" / "k8s"
OVERLAYS = {"celery": HELM / "values-celery.yaml", "kubernetes": HELM / "values-kubernetes.yaml"}


def _load_validator():
    spec = importlib.util.spec_from_file_location("sohoa_helm_validate", HELM / "validate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


validate = _load_validator()
GPU = validate.GPU
GPU_QUEUE = validate.ReleaseSettings().ocr_gpu_queue


@pytest.fixture(scope="module")
def facts():
    return validate.code_facts()


@pytest.fixture(scope="module")
def releases() -> dict:
    """Each executor variant as released: values.yaml + its overlay, pools.json, secrets.example.yaml."""
    return {variant: validate.load_release([HELM / "values.yaml", overlay]) for variant, overlay in OVERLAYS.items()}


def gpu_sets(values: dict) -> list[dict]:
    return [worker_set for worker_set in values["workers"]["celery"]["sets"] if worker_set["queue"] == GPU_QUEUE]


def gpu_set(release):
    (worker_set,) = gpu_sets(release.values)
    return worker_set


def env_entry(release, name):
    return next(entry for entry in release.values["env"] if entry["name"] == name)


def string_data(release, secret_name):
    return next(doc["stringData"] for doc in release.secrets if doc["metadata"]["name"] == secret_name)


def task_policy() -> Callable:
    """task_policy of the Kubernetes variant's airflowLocalSettings, as Airflow would import it."""
    source = validate.load_mapping(OVERLAYS["kubernetes"])["airflowLocalSettings"]
    namespace: dict = {}
    exec(compile(source, "airflow_local_settings.py", "exec"), namespace)
    return namespace["task_policy"]


@pytest.mark.parametrize("path", sorted([*HELM.glob("*.yaml"), *HELM.glob("*.json"), *K8S.glob("*.yaml")]),
                         ids=lambda path: path.name)
def test_file_parses_without_duplicate_keys(path):
    assert validate.load_documents(path)


def test_duplicate_key_is_refused_with_its_line(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text("executor: CeleryExecutor\nredis:\n  enabled: true\nexecutor: KubernetesExecutor\n")
    with pytest.raises(validate.UnreadableFile, match=r"duplicate key 'executor'(.|\n)*line 4"):
        validate.load_release([values])


@pytest.mark.parametrize("variant", OVERLAYS)
def test_each_variant_passes_the_schema_and_the_checks_against_the_code(releases, facts, variant):
    assert [str(problem) for problem in validate.check(releases[variant], facts)] == []


def test_cli_accepts_the_release_and_rejects_a_broken_one_naming_the_path(tmp_path):
    command = [sys.executable, str(HELM / "validate.py"), str(HELM / "values.yaml")]
    good = subprocess.run([*command, str(OVERLAYS["celery"])], capture_output=True, text=True, cwd=REPO)
    assert good.returncode == 0, good.stderr
    broken = tmp_path / "values-broken.yaml"
    broken.write_text(OVERLAYS["celery"].read_text().replace("executor: CeleryExecutor", "executor: CeleryExecuter"))
    bad = subprocess.run([*command, str(broken)], capture_output=True, text=True, cwd=REPO)
    assert bad.returncode == 1
    assert "values: executor: 'CeleryExecuter' is not one of" in bad.stderr


def test_schema_gpu_rule_is_about_the_queue_the_code_routes_gpu_ocr_to(facts):
    assert validate.SCHEMA["$defs"]["workerSet"]["if"]["properties"]["queue"]["const"] == facts.gpu_queue


def test_gpu_workers_request_gpus_and_consume_the_gpu_queue(releases):
    sets = gpu_sets(releases["celery"].values)
    assert sets
    for worker_set in sets:
        assert worker_set["resources"]["limits"][GPU] >= 1
        assert worker_set["resources"]["requests"][GPU] == worker_set["resources"]["limits"][GPU]


def test_ocr_tasks_under_the_release_settings_reach_gpu_workers_and_a_defined_pool(releases, monkeypatch):
    release = releases["celery"]
    for field, value in validate.release_settings(release).items():
        monkeypatch.setenv(f"SOHOA_{field.upper()}", value)
    settings.cache_clear()
    try:
        routing = dagkit.ocr_routing()
    finally:
        settings.cache_clear()
    assert routing["queue"] in {worker_set["queue"] for worker_set in gpu_sets(release.values)}
    assert routing["pool"] in release.pools


def test_kubernetes_policy_leaves_tasks_of_other_queues_alone():
    task = types.SimpleNamespace(queue="default", executor_config={})
    task_policy()(task)
    assert task.executor_config == {}


def test_kubernetes_policy_gives_gpu_tasks_a_gpu_on_the_nodes_the_celery_gpu_workers_use(releases):
    pytest.importorskip("kubernetes", reason="the Airflow image has it (cncf-kubernetes provider); .venv does not")
    task = types.SimpleNamespace(queue=GPU_QUEUE, executor_config=None)
    task_policy()(task)
    pod = task.executor_config["pod_override"]
    (container,) = pod.spec.containers
    assert container.name == "base"  # the container of the chart's pod template it is merged into
    assert container.resources.limits[GPU] == container.resources.requests[GPU] == "1"
    celery_gpu_set = gpu_set(releases["celery"])
    assert pod.spec.node_selector == celery_gpu_set["nodeSelector"]
    assert [{"key": t.key, "operator": t.operator, "effect": t.effect} for t in pod.spec.tolerations] \
        == celery_gpu_set["tolerations"]


def test_airflow_version_is_the_one_installed(releases):
    assert releases["celery"].values["airflowVersion"] == importlib.metadata.version("apache-airflow")


def test_storage_buckets_are_the_code_buckets_and_the_log_bucket(releases):
    buckets = validate.load_mapping(K8S / "storage.yaml")["s3"]["buckets"]
    log_bucket = urlsplit(releases["celery"].values["config"]["logging"]["remote_base_log_folder"]).netloc
    assert set(buckets) == set(BUCKETS) | {log_bucket}
    assert {name for name, bucket in buckets.items() if bucket["versioning"]} == set(VERSIONED_BUCKETS)
    assert {name for name, bucket in buckets.items() if bucket["objectLock"]} == set(LOCKED_BUCKETS)


def test_storage_databases_are_the_ones_the_release_uses(releases):
    release = releases["celery"]
    cfg = validate.ReleaseSettings(**validate.release_settings(release))
    databases = validate.load_mapping(K8S / "storage.yaml")["postgresql"]["databases"]
    assert {name: database["owner"] for name, database in databases.items()} \
        == {cfg.pg_database: cfg.pg_user, cfg.airflow_database: cfg.airflow_db_user}
    metadata = urlsplit(release.secret_data()[release.values["data"]["metadataSecretName"]]["connection"])
    assert (metadata.username, metadata.path, metadata.hostname) == (cfg.airflow_db_user, f"/{cfg.airflow_database}",
                                                                     cfg.pg_host)


def test_production_postgres_sets_every_parameter_the_local_stack_sets():
    def parameters(path: Path) -> set[str]:
        lines = (line.split("#", 1)[0] for line in path.read_text(encoding="utf-8").splitlines())
        return {line.split("=", 1)[0].strip() for line in lines if "=" in line}

    assert parameters(REPO / "infra" / "local" / "postgresql.conf") <= parameters(K8S / "postgresql.conf")


def test_password_mismatch_is_reported_without_the_password(releases, facts):
    release = copy.deepcopy(releases["celery"])
    string_data(release, "sohoa-settings")["SOHOA_PG_PASSWORD"] = "s3cr3t-that-must-not-leak"
    problems = validate.check(release, facts)
    assert any("AIRFLOW_CONN_SOHOA_POSTGRES" in p.message and p.message.endswith(": password") for p in problems)
    assert not any("s3cr3t-that-must-not-leak" in str(p) for p in problems)


# Broken releases: (variant, how it is broken, the problem's source, where it is, a fragment of its message).
@dataclass(frozen=True)
class Breakage:
    variant: str
    breaks: Callable
    source: str
    where: str   # "[*]" stands for any list index
    fragment: str


BREAKAGES = {
    "misspelled executor": Breakage(
        "celery", lambda r: r.values.update(executor="CeleryExecuter"),
        "values", "executor", "'CeleryExecuter' is not one of"),
    "unknown top-level key": Breakage(
        "celery", lambda r: r.values.update(worker={"replicas": 2}),
        "values", "(root)", "'worker' was unexpected"),
    "bundled PostgreSQL": Breakage(
        "celery", lambda r: r.values["postgresql"].update(enabled=True),
        "values", "postgresql.enabled", "False was expected"),
    "GPU worker without a GPU limit": Breakage(
        "celery", lambda r: gpu_set(r)["resources"]["limits"].pop(GPU),
        "values", "workers.celery.sets[*].resources.limits", f"'{GPU}' is a required property"),
    "GPU worker off the GPU nodes": Breakage(
        "celery", lambda r: gpu_set(r).pop("nodeSelector"),
        "values", "workers.celery.sets[*]", "'nodeSelector' is a required property"),
    "GPU request differs from its limit": Breakage(
        "celery", lambda r: gpu_set(r)["resources"]["requests"].update({GPU: 2}),
        "values", "workers.celery.sets[*].resources.requests", "Kubernetes requires them equal"),
    "no worker set consumes the GPU queue": Breakage(
        "celery", lambda r: r.values["workers"]["celery"].update(sets=[]),
        "values", "workers.celery.sets", f"no worker set consumes the queue '{GPU_QUEUE}'"),
    "misspelt resource name": Breakage(
        "celery", lambda r: r.values["workers"]["celery"]["resources"]["limits"].update(memroy="8Gi"),
        "values", "workers.celery.resources.limits", "'memroy' is not one of"),
    "worker concurrency not a number": Breakage(
        "celery", lambda r: r.values["config"]["celery"].update(worker_concurrency="eight"),
        "values", "config.celery.worker_concurrency", "does not match"),
    "connection secret missing": Breakage(
        "celery", lambda r: r.values.update(secret=[e for e in r.values["secret"]
                                                    if e["envName"] != "AIRFLOW_CONN_SOHOA_SMTP"]),
        "values", "secret", "looks up the connection 'sohoa_smtp'"),
    "secret key absent from the Secrets": Breakage(
        "kubernetes", lambda r: string_data(r, "sohoa-settings").pop("SOHOA_PG_PASSWORD"),
        "values", "secret[*].secretKey", "has no key 'SOHOA_PG_PASSWORD'"),
    "misspelt setting": Breakage(
        "kubernetes", lambda r: env_entry(r, "SOHOA_PG_HOST").update(name="SOHOA_PG_HOTS"),
        "values", "env[*].name", "SOHOA_PG_HOTS is not a sohoa setting"),
    "connection and settings name different servers": Breakage(
        "kubernetes", lambda r: env_entry(r, "SOHOA_S3_ENDPOINT").update(value="http://elsewhere.invalid:8333"),
        "values", "secret[*]", "AIRFLOW_CONN_SOHOA_S3 in Secret 'sohoa-connections' differs"),
    "remote logs through an unknown connection": Breakage(
        "celery", lambda r: r.values["config"]["logging"].update(remote_log_conn_id="aws_default"),
        "values", "config.logging.remote_log_conn_id", "'aws_default'"),
    "remote logs off S3": Breakage(
        "celery", lambda r: r.values["config"]["logging"].update(remote_base_log_folder="/opt/airflow/logs"),
        "values", "config.logging.remote_base_log_folder", "does not match"),
    "negative pool slots": Breakage(
        "celery", lambda r: r.pools[GPU_QUEUE].update(slots=-1),
        "pools.json", f"{GPU_QUEUE}.slots", "less than the minimum of 1"),
    "GPU pool larger than the GPU workers": Breakage(
        "celery", lambda r: r.pools[GPU_QUEUE].update(slots=5),
        "pools.json", f"{GPU_QUEUE}.slots", "they must be equal"),
    "OCR pool missing": Breakage(
        "kubernetes", lambda r: r.pools.pop("ocr"),
        "pools.json", "(root)", "no pool 'ocr'"),
    "Secret without data": Breakage(
        "celery", lambda r: r.secrets[0].update(stringData={}),
        "secrets.example.yaml", "[0].stringData", "should be non-empty"),
    "Kubernetes variant without the GPU policy": Breakage(
        "kubernetes", lambda r: r.values.pop("airflowLocalSettings"),
        "values", "(root)", "'airflowLocalSettings' is a required property"),
    "GPU policy with Helm template delimiters": Breakage(
        "kubernetes", lambda r: r.values.update(airflowLocalSettings=r.values["airflowLocalSettings"] + "# {{ x }}\n"),
        "values", "airflowLocalSettings", "should not be valid"),
}


@pytest.mark.parametrize("breakage", BREAKAGES.values(), ids=BREAKAGES.keys())
def test_broken_release_is_refused_naming_the_path(releases, facts, breakage):
    release = copy.deepcopy(releases[breakage.variant])
    breakage.breaks(release)
    problems = validate.check(release, facts)
    where = re.escape(breakage.where).replace(re.escape("[*]"), r"\[\d+\]")
    assert any(p.source == breakage.source and re.fullmatch(where, p.where) and breakage.fragment in p.message
               for p in problems), "\n".join(map(str, problems)) or "no problem found"
