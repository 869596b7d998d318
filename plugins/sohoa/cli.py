"""The ``sohoa`` command. Each capability adds its subcommands in its own module (``add_parser``)."""
from __future__ import annotations

import argparse
import importlib
import sys

from .cliparse import Parser
from .errors import SohoaError

# subcommand -> module whose add_parser(subparsers) adds it and sets func on its parser
SUBCOMMANDS = {
    "stack": "sohoa.localstack.cli",
    "catalogue": "sohoa.catalogue.cli",
    "vendor": "sohoa.vendor_tool.cli",
    "intake": "sohoa.intake.cli",
    "milestones": "sohoa.milestones.cli",
    "seed-demo": "sohoa.demo_seed",
    "report": "sohoa.reports.cli",
    "demo": "sohoa.demo",
    "search": "sohoa.processing.cli",
    "review": "sohoa.processing.cli",
    "handover": "sohoa.handover.cli",
    "fixity": "sohoa.fixity.cli",
    "backup": "sohoa.backup.cli",
    "restore": "sohoa.backup.cli",
    "export": "sohoa.export.cli",
    "hpnet": "sohoa.hpnet.cli",
    "born-digital": "sohoa.born_digital.cli",
    "plan": "sohoa.capacity.cli",
}


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="sohoa",
        description="sohoa — số hóa tài liệu lưu trữ: tiếp nhận lô, OCR, CSDL, tiến độ, báo cáo và bàn giao.",
        epilog="Xem hướng dẫn của từng lệnh: sohoa <lệnh> --help (ví dụ: sohoa vendor --help)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="LỆNH", title="các lệnh")
    for module in dict.fromkeys(SUBCOMMANDS.values()):  # a module may add several subcommands
        importlib.import_module(module).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except SohoaError as exc:
        print(f"sohoa: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
