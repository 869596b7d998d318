"""The local stack's alert sink: an SMTP server and a webhook endpoint on 127.0.0.1 that keep what they receive.

Production points the ``sohoa_smtp`` and ``sohoa_alert_webhook`` connections at the office's mail server and
chat webhook; locally both point here, and every alert lands as a file in ``<state>/alerts/`` (``*.eml`` for
mail, ``*.json`` for webhook calls) where a person — or a test — can read it.

Run as ``python -m sohoa.localstack.alertsink --dir DIR --smtp-port P --http-port Q`` (the stack does this).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

from ..config import Settings
from .procs import Service, ensure_port_free, wait_until


class _MailToFiles:
    def __init__(self, folder: Path):
        self.folder = folder

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}.eml"
        try:
            _keep(self.folder / name, envelope.original_content or envelope.content)
        except OSError as exc:  # a full disk: a temporary refusal the sender sees and can retry, never a 250
            return f"452 4.3.1 Insufficient system storage ({exc.strerror})"
        return "250 Message accepted"


def _keep(path: Path, data: bytes) -> None:
    """Write ``data`` whole or not at all (a partial file is removed)."""
    try:
        path.write_bytes(data)
    except OSError:
        path.unlink(missing_ok=True)
        raise


def _webhook_handler(folder: Path):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's hook name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                document = json.loads(body or b"{}")
            except ValueError:
                self.send_response(400)
                self.end_headers()
                return
            name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}.json"
            try:
                _keep(folder / name, json.dumps({"path": self.path, "body": document}, ensure_ascii=False)
                      .encode("utf-8"))
            except OSError:  # a full disk: 507, so the sender knows the alert was not kept
                self.send_response(507)
                self.end_headers()
                return
            self.send_response(204)
            self.end_headers()

        def do_GET(self):  # noqa: N802 — a health check
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass
    return Handler


class AlertSink:
    """The sink as a stack component: start, health, stop."""

    def __init__(self, cfg: Settings):
        import sys

        self.cfg = cfg
        self.folder = cfg.state_dir / "alerts"
        self.service = Service(
            name="alertsink",
            argv=[sys.executable, "-m", "sohoa.localstack.alertsink", "--dir", str(self.folder),
                  "--smtp-port", str(cfg.alert_smtp_port), "--http-port", str(cfg.alert_http_port)],
            run_dir=cfg.state_dir / "run", log_dir=cfg.state_dir / "logs")

    def start(self) -> None:
        for port in (self.cfg.alert_smtp_port, self.cfg.alert_http_port):
            ensure_port_free(self.service, "127.0.0.1", port)
        self.service.start()
        wait_until(self.healthy, service=self.service, timeout=30, what="SMTP and webhook ports")

    def healthy(self) -> bool:
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.cfg.alert_http_port}/", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> bool:
        return self.service.stop()

    def describe(self) -> str:
        return (f"smtp://127.0.0.1:{self.cfg.alert_smtp_port}, http://127.0.0.1:{self.cfg.alert_http_port} "
                f"→ {self.folder}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local SMTP + webhook sink that writes each alert to a file.")
    parser.add_argument("--dir", type=Path, required=True, help="folder receiving the alerts")
    parser.add_argument("--smtp-port", type=int, required=True)
    parser.add_argument("--http-port", type=int, required=True)
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    smtp = Controller(_MailToFiles(args.dir), hostname="127.0.0.1", port=args.smtp_port)
    smtp.start()
    http = ThreadingHTTPServer(("127.0.0.1", args.http_port), _webhook_handler(args.dir))
    threading.Thread(target=http.serve_forever, daemon=True).start()
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        http.shutdown()
        smtp.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
