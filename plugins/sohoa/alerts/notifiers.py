"""Airflow notifiers that deliver an alert: e-mail (SMTP connection) and a webhook (HTTP connection).

Both are :class:`airflow.sdk.BaseNotifier`; call one with a context holding ``alert`` (anything with ``key()``,
``subject()``, ``lines()`` and ``as_json()``: a :class:`~sohoa.milestones.alerts.Alert`, a fixity alert…). A
failure raises :class:`AlertDeliveryError` naming the channel, the connection and the cause; nothing is swallowed, so the caller can record only what was really delivered.
"""
from __future__ import annotations

import html
import smtplib
import socket
from typing import Any

import requests
from airflow.sdk import BaseNotifier
from airflow.sdk.exceptions import AirflowException

from .errors import AlertDeliveryError


class EmailAlertNotifier(BaseNotifier):
    """Send the alert as an e-mail through the SMTP connection ``conn_id`` to ``to``.

    Sender, TLS and timeout are the connection's (extras ``from_email``, ``disable_tls``, ``timeout``).
    """

    channel = "email"

    def __init__(self, *, conn_id: str, to: tuple[str, ...]):
        super().__init__()
        if not to:
            raise AlertDeliveryError(f"e-mail alerts via {conn_id!r} have no recipients (email_to in config/alerts.toml)")
        self.conn_id, self.to = conn_id, list(to)

    def notify(self, context: dict[str, Any]) -> None:
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        alert = context["alert"]
        body = "".join(f"<p>{html.escape(line)}</p>" for line in alert.lines())
        try:
            with SmtpHook(smtp_conn_id=self.conn_id) as smtp:
                smtp.send_email_smtp(to=self.to, subject=alert.subject(), html_content=body,
                                     custom_headers={"X-Sohoa-Alert": alert.key()})
        except (OSError, smtplib.SMTPException, AirflowException, ValueError) as exc:
            raise AlertDeliveryError(f"e-mail alert {alert.key()} via connection {self.conn_id!r} to {self.to} "
                                     f"failed: {type(exc).__name__}: {exc}") from exc


class WebhookAlertNotifier(BaseNotifier):
    """POST the alert as JSON to the URL of the HTTP connection ``conn_id``; fail after ``timeout`` seconds."""

    channel = "webhook"

    def __init__(self, *, conn_id: str, timeout: float):
        super().__init__()
        self.conn_id, self.timeout = conn_id, timeout

    def notify(self, context: dict[str, Any]) -> None:
        from airflow.providers.http.hooks.http import HttpHook

        alert = context["alert"]
        hook = HttpHook(method="POST", http_conn_id=self.conn_id)
        try:
            hook.run("", json=alert.as_json(), extra_options={"timeout": self.timeout, "check_response": True})
        except (requests.RequestException, socket.timeout, AirflowException) as exc:
            raise AlertDeliveryError(f"webhook alert {alert.key()} via connection {self.conn_id!r} failed "
                                     f"(timeout {self.timeout:g} s): {type(exc).__name__}: {exc}") from exc


def channels_from_settings(settings) -> list[BaseNotifier]:
    """The notifiers of the channels ``settings`` turns on (a :class:`~sohoa.alerts.channels.ChannelSettings`): a
    channel whose connection id is empty is off."""
    channels: list[BaseNotifier] = []
    if settings.email_conn_id:
        channels.append(EmailAlertNotifier(conn_id=settings.email_conn_id, to=settings.email_to))
    if settings.webhook_conn_id:
        channels.append(WebhookAlertNotifier(conn_id=settings.webhook_conn_id, timeout=settings.timeout_seconds))
    return channels
