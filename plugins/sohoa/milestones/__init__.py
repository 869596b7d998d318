"""Milestones of the digitisation plan: definitions, progress, forecast, alerts and pipeline deadlines.

Plain Python over the catalogue; the DAG ``sohoa_milestones`` and the dashboard call into it.
"""
