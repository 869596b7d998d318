"""Offline check of sohoa's release of the official Airflow Helm chart: no cluster, no helm binary.

    .venv/bin/python infra/helm/validate.py infra/helm/values.yaml infra/helm/values-celery.yaml

The values files are merged in the order given, as ``helm -f A -f B`` merges them, and checked together with
the pools to import and the Secrets to apply (pools.json and secrets.example.yaml next to this file unless
--pools/--secrets name others): first against values.schema.json, then against the code they deploy — the
connections it looks up, its setting names, the connections it would build from those settings, its GPU queue
and its pools. Prints one line per problem and exits 1 if there is any, 0 otherwise.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from sohoa.alerts.channels import channel_settings
from sohoa.config import Settings
from sohoa.dagkit import CATALOGUE_CONN_ID, S3_CONN_ID
from sohoa.localstack.airflow import environment

HERE = Path(__file__).resolve().parent
SCHEMA = json.loads((HERE / "values.schema.json").read_text(encoding="utf-8"))
DEFAULT_POOLS = HERE / "pools.json"
DEFAULT_SECRETS = HERE / "secrets.example.yaml"
POOLS_SCHEMA = {"$ref": "#/$defs/pools"}
SECRETS_SCHEMA = {"type": "array", "items": {"$ref": "#/$defs/secretManifest"}}

# The Secrets the chart itself reads when the values name them, and the key it reads in each.
CHART_SECRET_KEYS = {"data.metadataSecretName": "connection", "fernetKeySecretName": "fernet-key",
                     "apiSecretKeySecretName": "api-secret-key", "jwtSecretName": "jwt-secret"}
# The connections every task reaches the catalogue and S3 through (sohoa.dagkit), which the code also builds from
# its own settings (sohoa.config); the alert channels point elsewhere.
CONNECTIONS_FROM_SETTINGS = (CATALOGUE_CONN_ID, S3_CONN_ID)
CHART_DEFAULT_WORKER_CONCURRENCY = "16"  # config.celery.worker_concurrency in the chart's own values.yaml
CONCURRENCY_ENV = "AIRFLOW__CELERY__WORKER_CONCURRENCY"
GPU = "nvidia.com/gpu"


class UnreadableFile(Exception):
    """A file of the release is not YAML/JSON, holds a key twice, or is not the document expected."""


class StrictLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses a mapping with a key given twice (PyYAML silently keeps the last)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError("while constructing a mapping", node.start_mark,
                                                        f"found duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_documents(path: Path) -> list:
    """The non-empty documents of a YAML (or JSON) file, read with StrictLoader; UnreadableFile otherwise."""
    try:
        with open(path, encoding="utf-8") as stream:
            return [doc for doc in yaml.load_all(stream, Loader=StrictLoader) if doc is not None]
    except (OSError, yaml.YAMLError) as exc:
        raise UnreadableFile(f"{path}: {exc}") from exc


def load_mapping(path: Path) -> dict:
    """The one mapping a values or pools file holds."""
    docs = load_documents(path)
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise UnreadableFile(f"{path}: expected exactly one mapping, found {len(docs)} document(s)")
    return docs[0]


def merge(base: dict, override: dict) -> dict:
    """``override`` on top of ``base`` as helm merges values files: mappings key by key, anything else replaced."""
    merged = dict(base)
    for key, value in override.items():
        both_maps = isinstance(value, dict) and isinstance(base.get(key), dict)
        merged[key] = merge(base[key], value) if both_maps else value
    return merged


@dataclass
class Release:
    """What one ``helm install`` gets: the merged values, the pools to import, the Secrets applied beforehand."""
    values: dict
    pools: dict
    secrets: list
    pools_source: str = "pools.json"
    secrets_source: str = "secrets.example.yaml"

    def secret_data(self) -> dict[str, dict[str, str]]:
        """Secret name → its stringData."""
        return {doc["metadata"]["name"]: doc["stringData"] for doc in self.secrets}


def load_release(values_paths: Iterable[Path], pools_path: Path = DEFAULT_POOLS,
                 secrets_path: Path = DEFAULT_SECRETS) -> Release:
    """The release the values files (merged in order), the pools file and the Secrets file describe."""
    values: dict = {}
    for path in values_paths:
        values = merge(values, load_mapping(path))
    return Release(values, load_mapping(pools_path), load_documents(secrets_path), pools_path.name, secrets_path.name)


@dataclass(frozen=True)
class Problem:
    source: str   # "values" (the merged values) or the file name of the pools or the Secrets
    where: str    # the path inside it, e.g. "workers.celery.sets[0].resources.limits"
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.where}: {self.message}"


class ReleaseSettings(Settings):
    """sohoa's settings exactly as a release gives them: its values over the code defaults, nothing else."""

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **_other_sources):
        return (init_settings,)


@dataclass(frozen=True)
class CodeFacts:
    """What the code expects of a deployment, read from the code."""
    connection_ids: frozenset[str]   # every connection id a task looks up
    setting_names: frozenset[str]    # SOHOA_<FIELD> of every setting
    gpu_queue: str                   # queue (and pool) of OCR tasks of GPU engines
    pools: frozenset[str]


def code_facts() -> CodeFacts:
    """The facts from the code: the local stack's connections and the alert channels, the settings."""
    defaults = ReleaseSettings()
    local = {name.removeprefix("AIRFLOW_CONN_").lower() for name in environment(defaults)
             if name.startswith("AIRFLOW_CONN_")}
    alerts = channel_settings()
    return CodeFacts(frozenset(local | set(CONNECTIONS_FROM_SETTINGS)
                               | ({alerts.email_conn_id, alerts.webhook_conn_id} - {""})),
                     frozenset(f"SOHOA_{name.upper()}" for name in Settings.model_fields),
                     defaults.ocr_gpu_queue, frozenset({defaults.ocr_pool, defaults.ocr_gpu_queue}))


def json_path(parts: Iterable) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(root)"


def schema_problems(instance, source: str, schema: dict | None = None) -> list[Problem]:
    """Where ``instance`` breaks values.schema.json (or ``schema``, which may use its $defs)."""
    validator = Draft202012Validator(SCHEMA if schema is None else {"$defs": SCHEMA["$defs"], **schema})
    errors = sorted(validator.iter_errors(instance), key=lambda error: json_path(error.absolute_path))
    return [Problem(source, json_path(error.absolute_path), error.message) for error in errors]


def dig(values: dict, dotted: str):
    for key in dotted.split("."):
        values = values[key]
    return values


def connection_entries(values: dict) -> dict[str, tuple[int, dict]]:
    """Connection id → (index, entry) of the ``secret`` entries that give AIRFLOW_CONN_* variables."""
    return {entry["envName"].removeprefix("AIRFLOW_CONN_").lower(): (i, entry)
            for i, entry in enumerate(values["secret"]) if entry["envName"].startswith("AIRFLOW_CONN_")}


def release_settings(release: Release) -> dict[str, str]:
    """The SOHOA_* variables the release gives sohoa, secret ones resolved, keyed by setting field."""
    data = release.secret_data()
    given = {entry["name"]: entry["value"] for entry in release.values["env"]}
    given |= {entry["envName"]: data.get(entry["secretName"], {}).get(entry["secretKey"], "")
              for entry in release.values["secret"]}
    return {name.removeprefix("SOHOA_").lower(): value for name, value in given.items() if name.startswith("SOHOA_")}


def secret_references(release: Release, facts: CodeFacts) -> list[Problem]:
    """Every Secret and key the values read is among the Secrets applied before the release."""
    data = release.secret_data()
    refs = [(f"secret[{i}].secretKey", entry["secretName"], entry["secretKey"])
            for i, entry in enumerate(release.values["secret"])]
    refs += [(path, dig(release.values, path), key) for path, key in CHART_SECRET_KEYS.items()]
    return [Problem("values", where, f"Secret {name!r} has no key {key!r} in {release.secrets_source}"
                    if name in data else f"no Secret {name!r} in {release.secrets_source}")
            for where, name, key in refs if key not in data.get(name, {})]


def code_connections_given(release: Release, facts: CodeFacts) -> list[Problem]:
    """Every connection the code looks up comes from a Secret."""
    given = connection_entries(release.values)
    return [Problem("values", "secret", f"no entry gives AIRFLOW_CONN_{conn.upper()}, "
                                        f"but the code looks up the connection {conn!r}")
            for conn in sorted(facts.connection_ids - given.keys())]


def log_connection_given(release: Release, facts: CodeFacts) -> list[Problem]:
    """Remote task logs use a connection that a Secret gives."""
    conn = release.values["config"]["logging"]["remote_log_conn_id"]
    if conn in connection_entries(release.values):
        return []
    return [Problem("values", "config.logging.remote_log_conn_id",
                    f"remote logs use connection {conn!r}, which no secret entry gives (AIRFLOW_CONN_{conn.upper()})")]


def setting_names(release: Release, facts: CodeFacts) -> list[Problem]:
    """Every SOHOA_* variable names a setting: a misspelt one would silently leave the code default."""
    names = [(f"env[{i}].name", entry["name"]) for i, entry in enumerate(release.values["env"])]
    names += [(f"secret[{i}].envName", entry["envName"]) for i, entry in enumerate(release.values["secret"])]
    return [Problem("values", where, f"{name} is not a sohoa setting (no such field in sohoa.config.Settings)")
            for where, name in names if name.startswith("SOHOA_") and name not in facts.setting_names]


def connections_match_settings(release: Release, facts: CodeFacts) -> list[Problem]:
    """sohoa_postgres and sohoa_s3 are the connections the code builds from the release's SOHOA_* settings.

    Tasks reach the catalogue and S3 only through these connections (:mod:`sohoa.dagkit`); the ``sohoa``
    commands run in the same images (migrations, fixity, restore, reports) reach them through the settings. Both
    must name the same servers. Passwords are compared but never printed.
    """
    try:
        built = environment(ReleaseSettings(**release_settings(release)))
    except ValidationError as exc:
        return [Problem("values", "env", f"the SOHOA_* settings are invalid: {exc}")]
    data = release.secret_data()
    problems = []
    for conn in CONNECTIONS_FROM_SETTINGS:
        i, entry = connection_entries(release.values).get(conn, (None, None))
        text = data.get(entry["secretName"], {}).get(entry["secretKey"]) if entry else None
        if text is None:
            continue  # reported by code_connections_given / secret_references
        try:
            given = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(Problem("values", f"secret[{i}]", f"{entry['envName']} is not JSON: {exc}"))
            continue
        expected = json.loads(built[entry["envName"]])
        differences = [key if key == "password" else f"{key} {given.get(key)!r} (code: {expected.get(key)!r})"
                       for key in sorted(given.keys() | expected.keys()) if given.get(key) != expected.get(key)]
        if differences:
            problems.append(Problem("values", f"secret[{i}]",
                                    f"{entry['envName']} in Secret {entry['secretName']!r} differs from the connection "
                                    f"the code builds from the release's SOHOA_* settings: {'; '.join(differences)}"))
    return problems


def gpu_workers(release: Release, facts: CodeFacts) -> list[Problem]:
    """With Celery, worker sets consume the GPU queue, ask for as many GPUs as they limit, and fill the GPU pool.

    The pool must have exactly as many slots as the GPU sets run tasks at once (replicas × worker concurrency):
    more would leave tasks waiting in Celery, fewer would leave GPUs idle.
    """
    if release.values["executor"] != "CeleryExecutor":
        return []
    celery = release.values["workers"]["celery"]
    gpu_sets = [(i, worker_set) for i, worker_set in enumerate(celery["sets"])
                if worker_set["queue"] == facts.gpu_queue]
    if not gpu_sets:
        return [Problem("values", "workers.celery.sets",
                        f"no worker set consumes the queue {facts.gpu_queue!r} that OCR tasks of GPU engines go to")]
    problems = []
    for i, worker_set in gpu_sets:
        limit = worker_set["resources"]["limits"][GPU]
        request = worker_set["resources"].get("requests", {}).get(GPU, limit)
        if request != limit:
            problems.append(Problem("values", f"workers.celery.sets[{i}].resources.requests",
                                    f"{GPU} request {request} differs from its limit {limit} "
                                    "(Kubernetes requires them equal)"))
    default = release.values["config"].get("celery", {}).get("worker_concurrency", CHART_DEFAULT_WORKER_CONCURRENCY)
    capacity = sum(worker_set["replicas"] * int(next((env["value"] for env in worker_set.get("env", [])
                                                      if env["name"] == CONCURRENCY_ENV), default))
                   for _, worker_set in gpu_sets)
    slots = release.pools.get(facts.gpu_queue, {}).get("slots")
    if slots is not None and slots != capacity:
        problems.append(Problem(release.pools_source, f"{facts.gpu_queue}.slots",
                                f"{slots} slots, but the GPU worker sets run {capacity} tasks at once "
                                "(replicas × worker concurrency); they must be equal"))
    return problems


def pools_defined(release: Release, facts: CodeFacts) -> list[Problem]:
    """Every pool the code sends tasks to is defined."""
    return [Problem(release.pools_source, "(root)", f"no pool {pool!r}, but the code sends OCR tasks to it")
            for pool in sorted(facts.pools - release.pools.keys())]


RULES = (secret_references, code_connections_given, log_connection_given, setting_names,
         connections_match_settings, gpu_workers, pools_defined)


def check(release: Release, facts: CodeFacts | None = None) -> list[Problem]:
    """Every problem of the release. Schema problems come first; the rules across files and the code run only
    once the values, the pools and the Secrets all pass the schema."""
    problems = (schema_problems(release.values, "values")
                + schema_problems(release.pools, release.pools_source, POOLS_SCHEMA)
                + schema_problems(release.secrets, release.secrets_source, SECRETS_SCHEMA))
    if problems:
        return problems
    facts = facts or code_facts()
    return [problem for rule in RULES for problem in rule(release, facts)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check sohoa's Helm values offline (see the module docstring).")
    parser.add_argument("values", nargs="+", type=Path, help="values files, in `helm -f` order")
    parser.add_argument("--pools", type=Path, default=DEFAULT_POOLS)
    parser.add_argument("--secrets", type=Path, default=DEFAULT_SECRETS)
    args = parser.parse_args(argv)
    try:
        release = load_release(args.values, args.pools, args.secrets)
    except UnreadableFile as exc:
        print(exc, file=sys.stderr)
        return 1
    problems = check(release)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"ok: {' + '.join(map(str, args.values))} with {args.pools} and {args.secrets}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
