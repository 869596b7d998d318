"""Milestones of the digitisation plan: definitions, progress, forecast and the alerts they raise.

Plain Python over the catalogue; the DAG ``sohoa_milestones`` and the dashboard call into it. The channels that
carry the alerts are :mod:`sohoa.alerts`'.
"""
