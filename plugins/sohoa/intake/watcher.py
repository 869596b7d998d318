"""The inbox watcher: a ``_COMPLETE`` marker that appears in the inbox is put in the pending index at once.

A batch uploaded without the vendor tool has a ``_COMPLETE`` marker but no ``<vendor>/_pending/<batch_id>``
entry, and only the full sweep used to find it — a listing of every folder name under the vendor's prefix and
of its done index, whose cost grows with every batch ever delivered (712 ms against 185 ms from ``_COMPLETE``
to verdict with 10,000 judged folders, bench_intake_verdict). The watcher follows the SeaweedFS filer's
metadata events for the inbox bucket (``weed filer.meta.tail``, over the filer's mutual-TLS gRPC port) and, for
each ``_COMPLETE`` written directly under ``inbox/<vendor>/<batch_id>/``, writes that batch's pending-index
entry; the ordinary poll then finds it, whatever the history. The full sweep stays as the safety net.

Guarantees: it only ever writes pending-index entries (nothing a vendor sent is touched); an entry is written
only while the marker is still there; writing one twice is harmless (intake is idempotent). Events missed while
the watcher was down are made up for by a sweep each time it (re)subscribes — started before the sweep, so
nothing falls between the two — and by the intake trigger's own sweep. ``inbox/nop-luu/`` is never looked at.

Run as ``python -m sohoa.intake.watcher --filer HOST:PORT.GRPC_PORT --security-dir DIR`` (the local stack does
this, :mod:`sohoa.localstack.seaweed`); ``DIR`` holds the ``security.toml`` with the gRPC client certificate.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import subprocess
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import botocore.exceptions

from .. import storage
from ..errors import SohoaError
from .manifest import COMPLETE, DONE, PENDING, pending_key
from .process import BATCH_ID, complete_batches

log = logging.getLogger(__name__)

# Where SeaweedFS keeps the S3 buckets in its filer namespace (its default ``-s3.bucketsFolder``).
FILER_BUCKETS = "/buckets"
# Events are read from this long before the subscription starts: the subscription takes a few milliseconds to
# reach the filer, and an event replayed is harmless.
REPLAY_MARGIN_S = 5
# Wait before subscribing again after the filer went away (a SeaweedFS restart takes a few seconds).
RECONNECT_DELAY_S = 2.0


class WatcherError(SohoaError):
    """The metadata subscription ended or could not start; the tail's own messages are in the watcher's log."""


def marked_batch(event: dict) -> tuple[str, str] | None:
    """``(vendor, batch_id)`` when a filer event writes ``inbox/<vendor>/<batch_id>/_COMPLETE`` (created,
    replaced or moved there), else None — deletions, other files, deeper folders, the indexes, ``nop-luu``."""
    notification = event.get("eventNotification") or {}
    entry = notification.get("newEntry")
    if not entry or entry.get("isDirectory") or entry.get("name") != COMPLETE:
        return None
    folder = notification.get("newParentPath") or event.get("directory") or ""
    parts = folder.split("/")
    if parts[:3] != ["", FILER_BUCKETS.strip("/"), storage.INBOX] or len(parts) != 5:
        return None
    vendor, batch_id = parts[3], parts[4]
    if vendor == storage.BORN_DIGITAL_INBOX or batch_id in (PENDING, DONE) or not BATCH_ID.fullmatch(batch_id):
        return None
    return vendor, batch_id


def index(s3, vendor: str, batch_id: str) -> bool:
    """Write the batch's pending-index entry if its ``_COMPLETE`` marker is there and the entry is not; True
    when written and still due.

    Intake finishes a batch by removing its marker, then its entry: a marker found gone after the entry was
    written means intake finished in between, and the entry just written is taken back (else the batch would be
    polled again, judged already)."""
    marker, entry = f"{storage.batch_prefix(vendor, batch_id)}{COMPLETE}", pending_key(vendor, batch_id)
    if storage.stored_sha256(s3, storage.INBOX, marker) is None:
        return False
    if storage.stored_sha256(s3, storage.INBOX, entry) is not None:
        return False
    storage.put_bytes(s3, storage.INBOX, entry,
                      json.dumps({"vendor": vendor, "batch_id": batch_id, "by": "inbox watcher"}).encode(),
                      content_type="application/json")
    if storage.stored_sha256(s3, storage.INBOX, marker) is None:
        s3.delete_object(Bucket=storage.INBOX, Key=entry)
        return False
    log.info("inbox watcher: %s/%s marked complete; added to the pending index", vendor, batch_id)
    return True


def events(lines: Iterable[str]) -> Iterator[dict]:
    """The JSON documents ``weed filer.meta.tail`` prints, one indented object per event (its closing brace
    alone on a line)."""
    buffered: list[str] = []
    for line in lines:
        buffered.append(line)
        if line.rstrip("\n") == "}":
            yield json.loads("".join(buffered))
            buffered = []


def tail_command(weed: str, filer: str, since_s: float) -> list[str]:
    """``weed filer.meta.tail`` for the inbox's ``_COMPLETE`` markers, from ``since_s`` seconds ago."""
    return [weed, "filer.meta.tail", f"-filer={filer}", f"-pathPrefix={FILER_BUCKETS}/{storage.INBOX}/",
            f"-pattern={COMPLETE}", f"-timeAgo={since_s:.3f}s"]


class InboxWatcher:
    """Follows the filer's events and indexes complete batches (module doc). ``run`` until ``stop``."""

    def __init__(self, s3, *, weed: str, filer: str, security_dir: Path):
        self.s3, self.weed, self.filer, self.security_dir = s3, weed, filer, security_dir
        self._stopped = threading.Event()
        self._tail: subprocess.Popen | None = None
        self.ready = threading.Event()  # set once the first subscription has swept and follows events

    def run(self) -> None:
        """Subscribe, sweep, follow; subscribe again after the filer or S3 went away."""
        while not self._stopped.is_set():
            try:
                self.follow()
            except (WatcherError, ValueError, botocore.exceptions.BotoCoreError,
                    botocore.exceptions.ClientError) as exc:  # ValueError: an event the tail printed garbled
                if self._stopped.is_set():
                    return
                log.warning("inbox watcher: %s; subscribing again in %.0f s", exc, RECONNECT_DELAY_S)
                self._stopped.wait(RECONNECT_DELAY_S)

    def follow(self) -> None:
        """One subscription: the tail starts first, then a sweep indexes what arrived before it, then every
        event is handled as it comes. Raises :class:`WatcherError` when the tail ends."""
        # Its messages go to the watcher's own stderr (the service log): a pipe nobody reads would fill and stall it.
        self._tail = subprocess.Popen(tail_command(self.weed, self.filer, REPLAY_MARGIN_S), cwd=self.security_dir,
                                      stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        try:
            swept = [index(self.s3, found["vendor"], found["batch_id"]) for found in complete_batches(self.s3,
                                                                                                      sweep=True)]
            log.info("inbox watcher: following %s; the sweep indexed %d batch(es)", self.filer, sum(swept))
            self.ready.set()
            for event in events(self._tail.stdout):
                if (batch := marked_batch(event)) is not None:
                    index(self.s3, *batch)
        finally:
            self._tail.terminate()
            try:
                self._tail.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                self._tail.kill()
                self._tail.communicate()
        if not self._stopped.is_set():
            raise WatcherError(f"filer.meta.tail on {self.filer} ended with status {self._tail.returncode}")

    def stop(self) -> None:
        self._stopped.set()
        if self._tail is not None and self._tail.poll() is None:
            self._tail.terminate()


@contextlib.contextmanager
def in_background(watcher: InboxWatcher, *, ready_within: float = 30.0) -> Iterator[InboxWatcher]:
    """Run ``watcher`` in a thread for a ``with`` block, from when it follows events; stopped at the end."""
    thread = threading.Thread(target=watcher.run, name="inbox-watcher", daemon=True)
    thread.start()
    try:
        if not watcher.ready.wait(ready_within):
            raise WatcherError(f"inbox watcher on {watcher.filer} not following events after {ready_within:.0f} s")
        yield watcher
    finally:
        watcher.stop()
        thread.join(timeout=15)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Put each batch marked _COMPLETE in the inbox's pending index.")
    parser.add_argument("--filer", required=True, help="the filer as HOST:PORT.GRPC_PORT")
    parser.add_argument("--security-dir", type=Path, required=True, help="folder of security.toml (gRPC mTLS)")
    parser.add_argument("--weed", required=True, help="the SeaweedFS binary")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    InboxWatcher(storage.client(), weed=args.weed, filer=args.filer, security_dir=args.security_dir).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
