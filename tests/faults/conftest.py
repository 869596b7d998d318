"""The fault suite (issue 19, item 1): faults driven against the real stack, each followed by a reconciliation of
the pages it touched — every page of the manifest has a verdict; each accepted page is exactly one locked version
in masters and one catalogue row, each rejected page's bytes are in quarantine (a page an interrupted attempt
already locked into masters is recorded as such); each processed page has its derivatives. Each test prints its
counts. After the last fault every batch any fault touched is reconciled again (a later fault — SeaweedFS or
PostgreSQL restarted — must not lose what an earlier one left reconciled), and the session ends with
``faults: N tried, L pages lost, D duplicated`` over that whole-run reconciliation.
"""
from __future__ import annotations

import collections
from dataclasses import dataclass, field

import pytest

from sohoa import storage
from sohoa.catalogue.db import connect, transaction

_RESULTS: list["Reconciliation"] = []
_BATCHES: dict[tuple[str, str], tuple[str, dict]] = {}  # (vendor, batch_id) → (fault, manifest)
_TRIED: set[str] = set()  # faults with no pages of their own to reconcile (the alert sink's disk)
_WHOLE_RUN: list["Reconciliation"] = []


@dataclass
class Reconciliation:
    fault: str
    batch: str
    manifest: int = 0
    masters: int = 0
    quarantine: int = 0
    catalogue: int = 0
    processed: int = 0
    derivatives: int = 0
    pdfs: int = 0
    recorded_in_masters: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.fault} [{self.batch}]: manifest {self.manifest} pages = masters {self.masters} "
                f"+ quarantine {self.quarantine} (also locked in masters before rejection: "
                f"{self.recorded_in_masters}); catalogue {self.catalogue} rows; processed {self.processed} "
                f"with {self.derivatives} derivatives; {self.pdfs} PDF/A; lost {len(self.lost)}, duplicated {len(self.duplicated)}")


def _versions(s3, bucket: str, key: str) -> list[dict]:
    listed = s3.list_object_versions(Bucket=bucket, Prefix=key)
    return [v for v in listed.get("Versions", []) if v["Key"] == key]


def reconcile(fault: str, vendor: str, batch_id: str, manifest: dict) -> Reconciliation:
    """Account for every page ``manifest`` lists in ``vendor/batch_id`` (see the module docstring)."""
    s3, conn = storage.client(), connect()
    result = Reconciliation(fault, f"{vendor}/{batch_id}")
    try:
        with transaction(conn) as cur:
            cur.execute("SELECT id, status FROM batch WHERE vendor = %s AND batch_id = %s", (vendor, batch_id))
            batch_pk, status = cur.fetchone()
            cur.execute("""SELECT ma_ho_so, so_trang, status, sha256, master_key, master_version_id, quarantine_key,
                                  size_bytes, facts, id, name, kind
                           FROM batch_item WHERE batch_id = %s AND name NOT LIKE '%%#resent-%%'""", (batch_pk,))
            listed = cur.fetchall()
            items = {(r[0], r[1]): r[:10] for r in listed if r[11] == "page"}
            by_name = {r[10]: r[:10] for r in listed}  # a batch rejected whole has its files, not its pages
            cur.execute("""SELECT t.batch_item_id, t.sha256, t.ocr_status, t.derivative_keys FROM trang t
                           JOIN batch_item i ON i.id = t.batch_item_id WHERE i.batch_id = %s""", (batch_pk,))
            rows = cur.fetchall()
            cur.execute("SELECT sha256, count(*) FROM trang WHERE sha256 = ANY(%s) GROUP BY sha256",
                        ([r[1] for r in rows],))
            copies = dict(cur.fetchall())
            cur.execute("SELECT ma_ho_so, pdf_keys FROM ho_so WHERE ma_ho_so = ANY(%s) AND pdf_keys IS NOT NULL",
                        ([h["ma_ho_so"] for h in manifest["ho_so"]],))
            pdfs = cur.fetchall()
    finally:
        conn.close()
    by_item = collections.defaultdict(list)
    for row in rows:
        by_item[row[0]].append(row)
    for ho_so in manifest["ho_so"]:
        for trang in ho_so["trang"]:
            result.manifest += 1
            page = f"{ho_so['ma_ho_so']} p.{trang['so_trang']}"
            item = items.get((ho_so["ma_ho_so"], trang["so_trang"])) or by_name.get(trang["ten_tep"])
            if item is None or status != "done":
                result.lost.append(f"{page}: no verdict (batch {status})")
                continue
            _, _, verdict, sha256, master_key, version_id, quarantine_key, size, facts, item_id = item
            if verdict == "accepted":
                found = _versions(s3, storage.MASTERS, master_key)
                if not found or storage.read_sha256(s3, storage.MASTERS, master_key, version_id)[0] != sha256:
                    result.lost.append(f"{page}: not in masters as accepted")
                    continue
                result.masters += 1
                if len(found) > 1:
                    result.duplicated.append(f"{page}: {len(found)} versions of s3://masters/{master_key}")
                catalogued = by_item.get(item_id, [])
                result.catalogue += len(catalogued)
                if len(catalogued) != 1:
                    (result.lost if not catalogued else result.duplicated).append(
                        f"{page}: {len(catalogued)} catalogue rows")
                if copies.get(sha256, 0) > 1:
                    result.duplicated.append(f"{page}: its image is catalogued {copies[sha256]} times")
                for _, _, ocr_status, derivative_keys in catalogued:
                    if ocr_status != "done":
                        continue
                    result.processed += 1
                    for stored in (derivative_keys or {}).values():
                        if storage.stored_sha256(s3, storage.DERIVATIVES, stored["key"]) == stored["sha256"]:
                            result.derivatives += 1
                        else:
                            result.lost.append(f"{page}: derivative {stored['key']} missing or changed")
            elif size is None:
                continue  # listed but never delivered: a verdict, and no bytes to keep
            elif quarantine_key and storage.stored_sha256(s3, storage.QUARANTINE, quarantine_key) == (
                    sha256 or trang["sha256"]):  # a batch rejected whole never read its pages: as declared
                result.quarantine += 1
                result.recorded_in_masters += "in_masters" in (facts or {})
            else:
                result.lost.append(f"{page}: rejected, its bytes not in quarantine")
    for ma_ho_so, pdf_keys in pdfs:
        for stored in (pdf_keys or {}).values():
            if storage.stored_sha256(s3, stored.get("bucket", storage.DERIVATIVES), stored["key"]) == stored["sha256"]:
                result.pdfs += 1
            else:
                result.lost.append(f"{ma_ho_so}: PDF/A {stored['key']} missing or changed")
    return result


@pytest.fixture()
def reconciliation():
    """:func:`reconcile` itself, neither asserted nor counted in the summary (to test the reconciliation)."""
    return reconcile


@pytest.fixture()
def reconciled(request):
    """``reconciled(vendor, batch_id, manifest)``: reconcile, print the counts, remember them for the summary,
    and fail on any page lost or duplicated."""
    def check(vendor: str, batch_id: str, manifest: dict) -> Reconciliation:
        result = reconcile(request.node.name, vendor, batch_id, manifest)
        _RESULTS.append(result)
        _BATCHES[(vendor, batch_id)] = (request.node.name, manifest)
        print(result.line())
        assert result.lost == [] and result.duplicated == [], result
        return result
    return check


@pytest.fixture()
def tried(request):
    """Count the calling test as a fault tried although it has no pages to reconcile."""
    _TRIED.add(request.node.name)


@pytest.fixture(scope="session", autouse=True)
def whole_run_reconciliation():
    """After the last fault, every batch reconciled during the run is reconciled again; a page lost or
    duplicated since its own fault fails the session."""
    yield
    _WHOLE_RUN.extend(reconcile(fault, vendor, batch_id, manifest)
                      for (vendor, batch_id), (fault, manifest) in _BATCHES.items())
    spoiled = [r for r in _WHOLE_RUN if r.lost or r.duplicated]
    assert not spoiled, [r.line() for r in spoiled]


def pytest_terminal_summary(terminalreporter):
    if not _RESULTS and not _TRIED:
        return
    terminalreporter.write_sep("-", "fault suite")
    for result in _RESULTS:
        terminalreporter.write_line(result.line())
    final = _WHOLE_RUN or _RESULTS  # the per-fault figures when the session stopped before its end
    total = {name: sum(getattr(r, name) for r in final)
             for name in ("manifest", "masters", "quarantine", "catalogue", "processed", "derivatives", "pdfs")}
    terminalreporter.write_line(
        f"whole run, {'reconciled again after the last fault' if _WHOLE_RUN else 'as reconciled per fault'}: "
        f"{len(final)} batches, manifest {total['manifest']} pages = masters {total['masters']} + quarantine "
        f"{total['quarantine']}; catalogue {total['catalogue']} rows; processed {total['processed']} with "
        f"{total['derivatives']} derivatives; {total['pdfs']} PDF/A")
    faults = {r.fault for r in _RESULTS} | _TRIED
    lost = sum(len(r.lost) for r in final)
    duplicated = sum(len(r.duplicated) for r in final)
    terminalreporter.write_line(f"faults: {len(faults)} tried, {lost} pages lost, {duplicated} duplicated")
