"""docs/bad-input.md is a promise only where a test keeps it: every test the table names must exist."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "docs" / "bad-input.md"
ROW = re.compile(r"^\| (\d+b?) \| .+ \| `(tests/[\w/]+\.py)::(test_\w+)` \|$")


def _rows() -> list[tuple[str, str, str]]:
    return [m.groups() for line in CATALOGUE.read_text(encoding="utf-8").splitlines() if (m := ROW.match(line))]


def _tests_in(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_the_catalogue_lists_at_least_fifty_kinds_of_bad_input_each_once():
    numbers = [number for number, _, _ in _rows()]
    assert len(numbers) >= 50
    assert len(numbers) == len(set(numbers))


def test_every_test_the_catalogue_names_exists():
    missing = [f"{path}::{name}" for _, path, name in _rows() if name not in _tests_in(path)]
    assert missing == []
