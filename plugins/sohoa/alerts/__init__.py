"""Alerts: the channels that carry them (e-mail and webhook, as Airflow notifiers) and which channels are on.

Milestones, fixity, the queue watch and pipeline deadlines each word their own alert (``key``, ``subject``,
``lines``, ``as_json``) and hand it to :func:`sohoa.alerts.channels.configured_channels`' notifiers.
"""
