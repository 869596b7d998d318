"""``sohoa catalogue migrate|current``: manage the catalogue's schema."""
from __future__ import annotations

from . import migrate


def add_parser(sub) -> None:
    parser = sub.add_parser("catalogue", help="the catalogue database (schema migrations)")
    commands = parser.add_subparsers(dest="catalogue_command", required=True, metavar="ACTION")
    commands.add_parser("migrate", help="upgrade the catalogue schema to the newest revision").set_defaults(
        func=_migrate)
    commands.add_parser("current", help="print the catalogue's schema revision").set_defaults(func=_current)


def _migrate(args) -> int:
    migrate.upgrade()
    print(f"catalogue at revision {migrate.current()}")
    return 0


def _current(args) -> int:
    print(migrate.current() or "(empty: run 'sohoa catalogue migrate')")
    return 0
