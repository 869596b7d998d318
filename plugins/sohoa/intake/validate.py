"""Validate a whole batch: the one set of rules shared by the vendor's tool and the intake DAG.

Order of the rules: manifest present, JSON, schema, addressed to this vendor and batch; duplicate of an
accepted batch; per hồ sơ: page count, numbering 1..n in order, văn bản ranges, hộp, not already catalogued;
per page: safe NFC name, listed once, present, non-empty and not oversized, SHA-256 as declared, decodes as the
image its extension says, dpi ≥ 200 and as declared, colour ≥ 24 bit (greyscale/bitonal flagged), colour mode
as declared, not a duplicate of another page (in this batch or catalogued); files present but not listed.
A hồ sơ is accepted whole or not at all: one bad page rejects the hồ sơ (its other pages say why).
"""
from __future__ import annotations

import collections
import hashlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from ..catalogue.batches import Item
from . import checks
from .manifest import MANIFEST, fingerprint, pages, parse
from .source import BatchSource


class Lookups(Protocol):
    """What the catalogue knows; the vendor's tool validates without it (no duplicate checks)."""

    def page_owners(self, sha256s: list[str]) -> dict[str, str]: ...

    def ho_so_owners(self, ma_ho_so: list[str]) -> dict[str, str]: ...

    def batch_with_fingerprint(self, fingerprint: str) -> tuple[int, str] | None: ...


@dataclass
class Verdict:
    vendor: str
    batch_id: str
    verdict: str
    items: list[Item]
    manifest: dict | None
    manifest_sha256: str | None
    fingerprint: str | None
    duplicate_of: int | None

    @property
    def rejected(self) -> list[Item]:
        return [item for item in self.items if item.status == "rejected"]


def _page_label(trang: dict) -> str:
    return f"Trang {trang['so_trang']} ({checks.display_name(trang['ten_tep'])})"


def in_parallel(fn: Callable, args: Iterable[tuple], workers: int) -> Iterator:
    """``fn(*arg)`` for each arg on ``workers`` threads, results in order; at most ``4 × workers`` tasks are in
    flight, so memory stays flat for any batch size. The first exception is re-raised."""
    workers = max(1, workers)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="intake") as executor:
        pending: collections.deque[Future] = collections.deque()
        for arg in args:
            pending.append(executor.submit(fn, *arg))
            if len(pending) >= 4 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _inspect(source: BatchSource, item: Item, trang: dict) -> None:
    data = source.read(item.name)
    item.sha256 = hashlib.sha256(data).hexdigest()
    label = _page_label(trang)
    if item.sha256 != trang["sha256"]:
        item.reject("checksum_mismatch", f"{label}: SHA-256 không khớp (manifest {trang['sha256'][:12]}…, "
                                         f"tệp nhận được {item.sha256[:12]}…); tải lại tệp")
        return
    facts, problems = checks.inspect_image(data, checks.extension(item.name))
    for problem in problems:
        item.reject(problem.code, f"{label}: {problem.message}")
    if facts is None:
        return
    item.facts.update(format=facts.format, width=facts.width, height=facts.height, dpi=facts.dpi,
                      mode=facts.mode, color_mode=facts.color_mode)
    if facts.dpi >= checks.MIN_DPI and facts.dpi != trang["dpi"]:
        item.reject("dpi_mismatch", f"{label}: manifest ghi {trang['dpi']} dpi nhưng tệp ảnh ghi {facts.dpi} dpi")
    if facts.color_mode in ("grayscale", "bitonal"):
        item.flag(facts.color_mode, f"{label}: ảnh {'thang xám' if facts.color_mode == 'grayscale' else 'đen trắng'}"
                                    ", không phải màu 24 bit — được chấp nhận nhưng cần kiểm tra")
    if facts.color_mode != "palette" and facts.color_mode != trang["che_do_mau"]:
        item.reject("color_mismatch", f"{label}: manifest ghi chế độ màu {trang['che_do_mau']} nhưng ảnh là "
                                      f"{facts.color_mode}")


def _ho_so_problems(manifest: dict, owners: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    problems: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    hop_so = {hop["hop_so"] for hop in manifest.get("hop", [])}
    seen = collections.Counter(h["ma_ho_so"] for h in manifest["ho_so"])
    for ho_so in manifest["ho_so"]:
        ma, trang = ho_so["ma_ho_so"], ho_so["trang"]
        found = problems[ma]
        if seen[ma] > 1:
            found.append(("ho_so_duplicate", f"mã hồ sơ {ma} xuất hiện {seen[ma]} lần trong manifest"))
        if ma in owners:
            found.append(("ho_so_exists", f"hồ sơ {ma} đã được tiếp nhận trong lô {owners[ma]}; "
                                          "không nộp lại hồ sơ đã được chấp nhận"))
        if ho_so["so_luong_trang"] != len(trang):
            found.append(("page_count", f"so_luong_trang ghi {ho_so['so_luong_trang']} nhưng danh sách có "
                                        f"{len(trang)} trang"))
        numbers = [t["so_trang"] for t in trang]
        if numbers != list(range(1, len(trang) + 1)):
            found.append(("page_order", f"số trang phải liên tục 1, 2, … {len(trang)} theo đúng thứ tự; "
                                        f"manifest ghi {numbers[:10]}{'…' if len(numbers) > 10 else ''}"))
        if hop_so and ho_so.get("hop_so") and ho_so["hop_so"] not in hop_so:
            found.append(("hop_unknown", f"hộp số {ho_so['hop_so']} không có trong danh sách hop"))
        if ho_so.get("thoi_gian_bat_dau", "") > ho_so.get("thoi_gian_ket_thuc", "9999"):
            found.append(("dates", "thời gian bắt đầu sau thời gian kết thúc"))
        last_end = 0
        for van_ban in sorted(ho_so.get("van_ban", []), key=lambda v: v["trang_dau"]):
            if not (last_end < van_ban["trang_dau"] <= van_ban["trang_cuoi"] <= len(trang)):
                found.append(("van_ban_range", f"văn bản số thứ tự {van_ban['stt']}: trang {van_ban['trang_dau']}"
                                               f"–{van_ban['trang_cuoi']} chồng lấn hoặc nằm ngoài 1–{len(trang)}"))
            last_end = max(last_end, van_ban["trang_cuoi"])
        stt = [v["stt"] for v in ho_so.get("van_ban", [])]
        if len(stt) != len(set(stt)):
            found.append(("van_ban_stt", "số thứ tự văn bản (stt) bị trùng"))
    return problems


def _rejected_batch(vendor: str, batch_id: str, manifest_item: Item, files: dict[str, int], reason: str,
                    manifest: dict | None = None, fp: str | None = None, duplicate_of: int | None = None) -> Verdict:
    items = [manifest_item]
    for name, size in files.items():
        if name != MANIFEST:
            items.append(Item(checks.display_name(name), "file", size_bytes=size))
            items[-1].reject("batch_rejected", reason)
    return Verdict(vendor, batch_id, "rejected", items, manifest, manifest_item.sha256, fp, duplicate_of)


def _read_manifest(source: BatchSource, files: dict[str, int], vendor: str,
                   batch_id: str) -> tuple[Item, dict | None]:
    """The manifest's item (rejected when missing, not valid JSON or schema, or addressed elsewhere) and its
    parsed content."""
    manifest_item = Item(MANIFEST, "manifest", size_bytes=files.get(MANIFEST))
    if MANIFEST not in files:
        manifest_item.reject("manifest_missing", "thiếu tệp manifest.json ở thư mục gốc của lô")
        return manifest_item, None
    raw = source.read(MANIFEST)
    manifest_item.sha256 = hashlib.sha256(raw).hexdigest()
    manifest, problems = parse(raw)
    for problem in problems:
        manifest_item.reject("manifest_invalid", problem)
    if manifest and (manifest["vendor"], manifest["batch_id"]) != (vendor, batch_id):
        manifest_item.reject("manifest_address", f"manifest ghi nhà thầu/lô {manifest['vendor']}/"
                                                 f"{manifest['batch_id']} nhưng lô được nộp vào "
                                                 f"{vendor}/{batch_id}")
    return manifest_item, manifest


def _list_pages(source: BatchSource, files: dict[str, int], manifest: dict,
                progress: Callable[[int], object]) -> tuple[list[Item], list[tuple[BatchSource, Item, dict]]]:
    """One item per page the manifest lists, checked without reading it (safe name, listed once, present, size),
    and the pages still to read."""
    items: list[Item] = []
    to_read: list[tuple[BatchSource, Item, dict]] = []
    listed: set[str] = set()
    for ho_so, trang in pages(manifest):
        name = trang["ten_tep"]
        item = Item(checks.display_name(name), "page", ma_ho_so=ho_so["ma_ho_so"], so_trang=trang["so_trang"],
                    size_bytes=files.get(name), facts={"declared_sha256": trang["sha256"]})
        items.append(item)
        label = _page_label(trang)
        for problem in checks.name_problems(name):
            item.reject(problem.code, f"{label}: {problem.message}")
        if name in listed:
            item.reject("name_duplicate", f"{label}: tệp này đã được khai báo cho một trang khác")
            item.name = f"{item.name}#{ho_so['ma_ho_so']}/{trang['so_trang']}"
            item.size_bytes = None
        listed.add(name)
        if item.status == "rejected":
            progress(1 if item.present else 0)
            continue
        if not item.present:
            item.reject("file_missing", f"{label}: có trong manifest.json nhưng không có trong lô")
            continue
        for problem in checks.size_problems(item.size_bytes):
            item.reject(problem.code, f"{label}: {problem.message}")
        if item.status == "accepted":
            to_read.append((source, item, trang))
        else:
            progress(1)
    return items, to_read


def _reject_duplicate_pages(page_items: list[Item], lookups: Lookups | None) -> None:
    """A page whose image another page of this batch, or the catalogue, already holds is rejected."""
    by_sha = collections.defaultdict(list)
    for item in page_items:
        if item.status == "accepted":
            by_sha[item.sha256].append(item)
    for same in by_sha.values():
        for item in same[1:]:
            item.reject("page_duplicate_in_batch", f"Trang {item.so_trang}: ảnh trùng hệt trang "
                                                   f"{same[0].so_trang} của hồ sơ {same[0].ma_ho_so} trong lô này")
    owners = lookups.page_owners(list(by_sha)) if lookups and by_sha else {}
    for item in page_items:
        if item.status == "accepted" and item.sha256 in owners:
            item.reject("page_duplicate", f"Trang {item.so_trang}: ảnh trùng hệt trang đã lưu trữ "
                                          f"({owners[item.sha256]})")


def _reject_incomplete_ho_so(page_items: list[Item], ho_so_problems: dict[str, list[tuple[str, str]]]) -> None:
    """A hồ sơ is accepted whole or not at all: its problems go on each of its pages, and a good page of a hồ sơ
    with a rejected page is rejected too."""
    rejected_ho_so = {ma for ma, found in ho_so_problems.items() if found}
    rejected_ho_so |= {item.ma_ho_so for item in page_items if item.status == "rejected"}
    for item in page_items:
        for code, message in ho_so_problems.get(item.ma_ho_so, []):
            item.reject(code, f"Hồ sơ {item.ma_ho_so}: {message}")
        if item.status == "accepted" and item.ma_ho_so in rejected_ho_so:
            item.reject("ho_so_incomplete", f"Trang {item.so_trang}: trang này đạt yêu cầu nhưng hồ sơ "
                                            f"{item.ma_ho_so} có trang bị từ chối; nộp lại cả hồ sơ")


def _unlisted_files(files: dict[str, int], listed: set[str], progress: Callable[[int], object]) -> list[Item]:
    """A rejected item for each file in the batch that the manifest does not list."""
    items = []
    for name in sorted(set(files) - listed - {MANIFEST}):
        item = Item(checks.display_name(name), "file", size_bytes=files[name])
        item.reject("unlisted", "tệp có trong lô nhưng không được khai báo trong manifest.json")
        for problem in checks.name_problems(name):
            item.reject(problem.code, problem.message)
        items.append(item)
        progress(1)
    return items


def validate_batch(source: BatchSource, *, vendor: str, batch_id: str, lookups: Lookups | None = None,
                   workers: int = 2, progress: Callable[[int], object] = lambda n: None) -> Verdict:
    """Check every file of a batch against the contract and return the verdict for each of them.

    ``progress(n)`` is called as files other than the manifest are decided (n in total = their number).
    Never raises for bad input: every problem becomes a rejected item with a Vietnamese reason. Raises only
    when the source itself cannot be read (S3 or disk errors), so that the caller can retry.
    """
    files = source.files()
    manifest_item, manifest = _read_manifest(source, files, vendor, batch_id)
    if manifest_item.status == "rejected":
        return _rejected_batch(vendor, batch_id, manifest_item, files,
                               "lô bị từ chối vì manifest.json không hợp lệ (xem lỗi của manifest.json)")
    fp = fingerprint(manifest)
    earlier = lookups.batch_with_fingerprint(fp) if lookups else None
    if earlier:
        return _rejected_batch(vendor, batch_id, manifest_item, files,
                               f"lô trùng với lô {earlier[1]} đã được tiếp nhận (cùng các trang ảnh)",
                               manifest, fp, earlier[0])

    ho_so_owners = lookups.ho_so_owners([h["ma_ho_so"] for h in manifest["ho_so"]]) if lookups else {}
    ho_so_problems = _ho_so_problems(manifest, ho_so_owners)
    page_items, to_read = _list_pages(source, files, manifest, progress)
    for _ in in_parallel(_inspect, to_read, workers):
        progress(1)
    _reject_duplicate_pages(page_items, lookups)
    _reject_incomplete_ho_so(page_items, ho_so_problems)
    listed = {trang["ten_tep"] for _, trang in pages(manifest)}
    items = [manifest_item, *page_items, *_unlisted_files(files, listed, progress)]

    accepted_pages = sum(item.status == "accepted" for item in page_items)
    any_rejected = any(item.status == "rejected" for item in items)
    verdict = "rejected" if not accepted_pages else ("partial" if any_rejected else "accepted")
    return Verdict(vendor, batch_id, verdict, items, manifest, manifest_item.sha256, fp, None)
