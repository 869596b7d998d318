"""``sohoa stack up|down|status``: the embedded local stack."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import down, prepare, status, up
from .airflow import environment


def _up(args: argparse.Namespace) -> int:
    cfg = up(with_airflow=not args.no_airflow, profile=args.profile)
    print(f"\nstate directory: {cfg.state_dir}   executor profile: {cfg.stack_profile}")
    if not args.no_airflow:
        print(f"Airflow UI: {cfg.airflow_url}  login: {cfg.airflow_admin_user} / {cfg.airflow_admin_password}")
    return 0


def _down(args: argparse.Namespace) -> int:
    down()
    return 0


def _status(args: argparse.Namespace) -> int:
    rows = status()
    for row in rows:
        state = "healthy" if row.healthy else ("running, NOT healthy" if row.running else "stopped")
        print(f"{row.name:<20} {state:<22} {row.detail}")
    return 0 if all(r.healthy for r in rows) else 1


def _airflow(args: argparse.Namespace) -> int:
    """Replace this process with the airflow CLI, configured for the local stack."""
    airflow = str(Path(sys.executable).with_name("airflow"))
    argv = args.args[1:] if args.args[:1] == ["--"] else args.args
    os.execve(airflow, [airflow, *argv], {**os.environ, **environment(prepare())})


def add_parser(sub) -> None:
    parser = sub.add_parser("stack", help="start, stop or check the local stack (Postgres, S3, Airflow)",
                            description="Manage the embedded local stack; all services bind to 127.0.0.1.")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    p_up = verbs.add_parser("up", help="start every service that is not running (idempotent)")
    p_up.add_argument("--no-airflow", action="store_true", help="start only PostgreSQL and S3")
    p_up.add_argument("--profile", choices=["local", "celery"],
                      help="executor profile, remembered for later commands: 'local' (LocalExecutor, the default) "
                           "or 'celery' (CeleryExecutor with a Redis broker and two workers, queues 'default' "
                           "and 'gpu'); switching restarts Airflow")
    p_up.set_defaults(func=_up)
    verbs.add_parser("down", help="stop every service; data is kept").set_defaults(func=_down)
    verbs.add_parser("status", help="show each service's health; exit 1 unless all are healthy"
                     ).set_defaults(func=_status)
    p_af = verbs.add_parser("airflow", help="run an airflow CLI command against the local stack",
                            description="Example: sohoa stack airflow -- dags list")
    p_af.add_argument("args", nargs=argparse.REMAINDER, help="arguments for airflow (after --)")
    p_af.set_defaults(func=_airflow)
