"""Milestone alerts through the real notifiers: a local SMTP sink (aiosmtpd) and a tiny local webhook server."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from sohoa.milestones import daily
from sohoa.alerts.errors import AlertDeliveryError
from test_milestones_catalogue import TODAY, catalogue_agency, milestone_plan  # noqa: F401 (fixture)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture()
def smtp_sink(monkeypatch):
    """An in-process SMTP server on 127.0.0.1 and the Airflow connection ``sohoa_test_smtp`` pointing at it."""
    sink = _Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    _smtp_connection(monkeypatch, port)
    sink.port = port
    yield sink
    controller.stop()


def _smtp_connection(monkeypatch, port: int, conn_id: str = "sohoa_test_smtp") -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": port,
        "extra": {"from_email": "sohoa@localhost", "disable_ssl": True, "disable_tls": True, "timeout": 3,
                  "retry_limit": 1}}))


@pytest.fixture()
def webhook(monkeypatch):
    """A local HTTP server recording JSON posts; set ``server.delay`` to make it answer late."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            time.sleep(self.server.delay)
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.delay = 0
    server.received = received
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _webhook_connection(monkeypatch, server.server_port)
    yield server
    server.shutdown()
    server.server_close()


def _webhook_connection(monkeypatch, port: int, conn_id: str = "sohoa_test_webhook") -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(
        {"conn_type": "http", "host": f"http://127.0.0.1:{port}/alerts"}))


def _channels(timeout: float = 3):
    """Both notifiers on the test connections (Airflow is imported only once the stack's environment is set)."""
    from sohoa.alerts.notifiers import EmailAlertNotifier, WebhookAlertNotifier

    return [EmailAlertNotifier(conn_id="sohoa_test_smtp", to=("vanthu@example.vn",)),
            WebhookAlertNotifier(conn_id="sohoa_test_webhook", timeout=timeout)]


def test_alert_is_sent_once_by_email_and_webhook_and_not_repeated_next_day(
        catalogue, catalogue_agency, smtp_sink, webhook):
    plan = milestone_plan(catalogue_agency)
    sent = daily.alert(catalogue, plan, TODAY, _channels())
    assert sorted(s.rsplit(" -> ", 1)[1] for s in sent) == ["email", "email", "webhook", "webhook"]
    subjects = sorted(m["subject"] for m in smtp_sink.messages)
    assert subjects[0].startswith("[Số hóa] Dự báo không kịp hạn") and "hạn 30/11/2026" in subjects[0]
    assert subjects[1].startswith("[Số hóa] Sắp đến hạn")
    assert {p["condition"] for p in webhook.received} == {"approaching", "forecast_late"}
    assert "còn 6 ngày" in smtp_sink.messages[0].get_body().get_content()

    assert daily.alert(catalogue, plan, TODAY + dt.timedelta(days=1), _channels()) == []
    assert len(smtp_sink.messages) == 2 and len(webhook.received) == 2


def test_alert_is_sent_again_when_its_condition_ends_and_comes_back(catalogue, catalogue_agency, smtp_sink, webhook):
    plan = milestone_plan(catalogue_agency)
    daily.alert(catalogue, plan, TODAY, _channels())
    after_deadline = dt.date(2026, 12, 2)  # approaching and forecast_late end; overdue begins
    sent = daily.alert(catalogue, plan, after_deadline, _channels())
    assert {s.split(":")[1] for s in sent} == {"overdue"}
    assert smtp_sink.messages[-1]["subject"].startswith("[Số hóa] Đã quá hạn, chưa hoàn thành")
    assert "đã quá hạn 2 ngày" in webhook.received[-1]["text"][1]


def test_smtp_down_fails_loudly_and_the_webhook_still_goes_out_and_email_is_retried(
        catalogue, catalogue_agency, webhook, monkeypatch):
    plan = milestone_plan(catalogue_agency)
    _smtp_connection(monkeypatch, _free_port())  # nothing listens there
    with pytest.raises(AlertDeliveryError, match=r"2 alert deliveries failed.*e-mail alert .*"
                                                 r"'sohoa_test_smtp'.*(Connection refused|ConnectionRefused)"):
        daily.alert(catalogue, plan, TODAY, _channels())
    assert len(webhook.received) == 2

    sink = _Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        _smtp_connection(monkeypatch, port)
        sent = daily.alert(catalogue, plan, TODAY + dt.timedelta(days=1), _channels())
    finally:
        controller.stop()
    assert sorted(s.rsplit(" -> ", 1)[1] for s in sent) == ["email", "email"]
    assert len(webhook.received) == 2  # not repeated


def test_webhook_that_times_out_fails_with_the_timeout_in_the_message(
        catalogue, catalogue_agency, smtp_sink, webhook):
    webhook.delay = 2
    plan = milestone_plan(catalogue_agency)
    started = time.monotonic()
    with pytest.raises(AlertDeliveryError, match=r"webhook alert .*'sohoa_test_webhook' failed \(timeout 0.5 s\)"):
        daily.alert(catalogue, plan, TODAY, _channels(timeout=0.5))
    assert time.monotonic() - started < 10
    assert len(smtp_sink.messages) == 2
