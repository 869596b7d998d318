"""Capacity and cost model (``sohoa plan``, ``scripts/capacity.py``): workers needed per phase and dự toán kinh phí.

From a backlog (per agency, phase and retention class: hồ sơ, shelf-metres, pages), the measured throughputs and
configurable unit prices (``config/capacity.toml``), it computes the CPU or GPU workers needed to finish each
phase of ``config/milestones.toml`` by its deadline, when a given fleet would finish, and the cost of scanning,
storage (with the backup copies) and compute. The formulas are in ``docs/capacity.md``.
"""
