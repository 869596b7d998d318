#!/usr/bin/env python3
"""Capacity and cost model of the digitisation plan: the same command as ``sohoa plan`` (docs/capacity.md).

    .venv/bin/python scripts/capacity.py [--today 2025-07-15] [--cpu-workers 4 --gpu-workers 1] [--out DIR] …
    .venv/bin/python scripts/capacity.py --help
"""
import sys

from sohoa.cli import main

if __name__ == "__main__":
    sys.exit(main(["plan", *sys.argv[1:]]))
