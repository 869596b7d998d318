"""The ``sohoa`` command's argument parser, speaking Vietnamese, and the argument checks its commands share.

:class:`Parser` is argparse's parser with Vietnamese headings, usage line and error messages; every subcommand
parser inherits it (argparse builds subparsers with the parent's class). Help texts are written with their
line breaks kept, so a command's ``epilog`` can show examples as typed. :class:`UsageError` is what a command
raises when its arguments are well-formed but refused (no selection for a bulk action, an unknown agency): the
``sohoa`` entry point prints its Vietnamese message and exits 2, as for a malformed argument.
"""
from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import textwrap
from typing import NoReturn

from .errors import SohoaError

# argparse's own error messages (Python 3.11) -> Vietnamese; anything else (our own type checks) passes as is.
_MESSAGES = (
    (re.compile(r"^the following arguments are required: (.*)$"), r"thiếu tham số bắt buộc: \1"),
    (re.compile(r"^unrecognized arguments: (.*)$"), r"không hiểu tham số: \1"),
    (re.compile(r"^one of the arguments (.*) is required$"), r"cần một trong các tham số: \1"),
    (re.compile(r"^ambiguous option: (.*) could match (.*)$"), r"tùy chọn \1 không rõ, có thể là: \2"),
    (re.compile(r"^argument (.*?): invalid choice: (.*) \(choose from (.*)\)$"),
     r"tham số \1: không có lựa chọn \2 (chọn một trong: \3)"),
    (re.compile(r"^argument (.*?): invalid (\w+) value: (.*)$"), r"tham số \1: giá trị \3 không hợp lệ (\2)"),
    (re.compile(r"^argument (.*?): expected one argument$"), r"tham số \1 cần một giá trị"),
    (re.compile(r"^argument (.*?): expected at least one argument$"), r"tham số \1 cần ít nhất một giá trị"),
    (re.compile(r"^argument (.*?): not allowed with argument (.*)$"), r"tham số \1 không dùng cùng \2"),
    (re.compile(r"^argument (.*?): (.*)$"), r"tham số \1: \2"),
)

FIRST_YEAR = 1900  # the oldest records of the agencies served are from 1955


class UsageError(SohoaError):
    """Arguments that parse but are refused; the message is Vietnamese and says what to type instead."""


def vietnamese(message: str) -> str:
    """An argparse error message in Vietnamese (unchanged when it is not one of argparse's own)."""
    for pattern, replacement in _MESSAGES:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message


class Formatter(argparse.HelpFormatter):
    """Descriptions and epilogs keep their line breaks and lines indented by two spaces (the examples) stay as
    typed; other lines are wrapped to the terminal. Usage is "Cách dùng"."""

    def _fill_text(self, text, width, indent):
        return "\n".join(line if line.startswith("  ") or not line else
                         textwrap.fill(line, width, initial_indent=indent, subsequent_indent=indent)
                         for line in text.splitlines())

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "Cách dùng: " if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """argparse's parser with Vietnamese headings, ``-h/--help`` and error messages."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", Formatter)
        add_help = kwargs.pop("add_help", True)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "tham số"
        self._optionals.title = "tùy chọn"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                              help="in hướng dẫn này rồi thoát")

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: lỗi: {vietnamese(message)}\n")


def year(value: str) -> int:
    """An argparse type: a year written with four digits, from :data:`FIRST_YEAR` to next year."""
    last = dt.date.today().year + 1
    if not re.fullmatch(r"\d{4}", value.strip()):
        raise argparse.ArgumentTypeError(f"năm phải viết đủ 4 chữ số (ví dụ 2026), không phải {value!r}")
    number = int(value)
    if not FIRST_YEAR <= number <= last:
        raise argparse.ArgumentTypeError(f"năm {number} nằm ngoài khoảng {FIRST_YEAR}–{last}")
    return number


def identifier(value: str) -> str:
    """An argparse type: a code such as a batch id, mã hồ sơ or agency code — no spaces, slashes or controls."""
    if not re.fullmatch(r"[0-9A-Za-zÀ-ỹ._-]{1,200}", value):
        raise argparse.ArgumentTypeError(f"mã {value!r} không hợp lệ: chỉ gồm chữ, số, '.', '-' hoặc '_', "
                                         "không có dấu cách hay '/'")
    return value


def require_all_and_yes(selected: bool, args: argparse.Namespace, what: str, how_many: int | None = None) -> None:
    """A bulk action runs on an explicit selection, or on everything only with ``--all --yes``.

    Raises :class:`UsageError` (Vietnamese, naming ``what`` and, when known, how many items ``--all`` covers)
    when neither is given, when ``--all`` comes without ``--yes``, or when ``--all`` is mixed with a selection.
    """
    if selected and args.all:
        raise UsageError(f"--all không dùng cùng các điều kiện chọn; bỏ --all hoặc bỏ điều kiện để {what}")
    if selected:
        return
    count = f" ({how_many} mục)" if how_many is not None else ""
    if not args.all:
        raise UsageError(f"Chưa chọn đối tượng để {what}. Hãy nêu điều kiện chọn (xem --help), hoặc dùng "
                         f"--all --yes nếu thật sự muốn {what} toàn bộ{count}.")
    if not args.yes:
        raise UsageError(f"--all sẽ {what} toàn bộ{count}; thêm --yes để xác nhận.")


def add_all_yes(parser: argparse.ArgumentParser, what: str) -> None:
    """The ``--all`` and ``--yes`` options of a bulk action (see :func:`require_all_and_yes`)."""
    parser.add_argument("--all", action="store_true", help=f"{what} toàn bộ (phải kèm --yes)")
    parser.add_argument("--yes", action="store_true", help="xác nhận thao tác trên toàn bộ khi dùng --all")
