"""The agency's real figures from its plan, seeded as PLAN FIGURES (table ``plan_figure``), not as records.

Sở Ngoại vụ Hải Phòng's plan (implementing Kế hoạch 154/KH-UBND ngày 18/6/2025), mục II.1.1, states its
holdings; they are what phase 1 and the yearly report are measured against. Records actually processed are only
ever counted from the catalogue (hồ sơ, trang, batches), never from these lines. The HP-Net breakdown is kept
exactly as the plan gives it: it skips 2024 and sums to 1,511, not the 3,035 it reports, and every screen and
report shows that gap instead of hiding it.

:func:`seed` is idempotent: re-running it changes nothing (``seeded_at`` included) unless a figure here changed.
``sohoa seed-demo`` runs it (after the catalogue's migrations).
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt

from .catalogue.db import transaction
from .milestones.definitions import Plan
from .milestones.inventory import HP_NET_BY_YEAR, HP_NET_TOTAL
from .milestones.progress import sync_milestones
from .vntime import add_today

AGENCY = "SNGV-HP"
SOURCE = ("Số liệu kế hoạch (nhập sẵn): Kế hoạch tăng cường công tác số hóa tài liệu lưu trữ của Sở Ngoại vụ, "
          "mục II.1.1")
PHASE_1_HOLDING = "da-chinh-ly-chua-so-hoa"

# line, position, holding, label, year, hồ sơ, shelf-metres, period, note
FIGURES = (
    (PHASE_1_HOLDING, 1, PHASE_1_HOLDING, "Tài liệu đã chỉnh lý, chưa số hóa", None, 158, 2.8, "2010–2015",
     "Số hóa trong giai đoạn 1 (hạn 11/2026). Đã được Chi cục Văn thư Lưu trữ thẩm định tại Công văn số "
     "145/CCVTLT-QLVTLT ngày 20/06/2024."),
    ("da-chinh-ly-da-so-hoa", 2, "da-chinh-ly-da-so-hoa", "Tài liệu đã chỉnh lý và số hóa", None, 9494, 28.07,
     "1955–2023", "Biên mục, chuyển đổi và bàn giao. Thẩm định tại Công văn 115/CCVTLT-QLVTLT ngày 22/05/2024."),
    (HP_NET_TOTAL, 3, HP_NET_TOTAL, "Hồ sơ lưu trữ điện tử trên phần mềm HP-Net", None, 3035, None,
     "2019 – 6/2025", "Chuyển sang hệ thống lưu trữ lịch sử của thành phố."),
    ("hp-net-2019", 10, HP_NET_BY_YEAR, "HP-Net năm 2019", 2019, 43, None, "2019", ""),
    ("hp-net-2020", 11, HP_NET_BY_YEAR, "HP-Net năm 2020", 2020, 59, None, "2020", ""),
    ("hp-net-2021", 12, HP_NET_BY_YEAR, "HP-Net năm 2021", 2021, 61, None, "2021", ""),
    ("hp-net-2022", 13, HP_NET_BY_YEAR, "HP-Net năm 2022", 2022, 69, None, "2022", ""),
    ("hp-net-2023", 14, HP_NET_BY_YEAR, "HP-Net năm 2023", 2023, 1032, None, "2023", ""),
    ("hp-net-2025", 15, HP_NET_BY_YEAR, "HP-Net năm 2025 (đến tháng 5/2025)", 2025, 247, None, "1–5/2025",
     "Chỉ đến tháng 5/2025."),
)

SEED_SQL = """
INSERT INTO plan_figure AS pf (agency_ma, line, position, holding, label, year, ho_so, shelf_metres, period, note,
                               source)
VALUES (%(agency)s, %(line)s, %(position)s, %(holding)s, %(label)s, %(year)s, %(ho_so)s, %(shelf_metres)s,
        %(period)s, %(note)s, %(source)s)
ON CONFLICT (agency_ma, line) DO UPDATE
   SET position = EXCLUDED.position, holding = EXCLUDED.holding, label = EXCLUDED.label, year = EXCLUDED.year,
       ho_so = EXCLUDED.ho_so, shelf_metres = EXCLUDED.shelf_metres, period = EXCLUDED.period,
       note = EXCLUDED.note, source = EXCLUDED.source, seeded_at = now()
 WHERE (pf.position, pf.holding, pf.label, pf.year, pf.ho_so, pf.shelf_metres, pf.period, pf.note, pf.source)
       IS DISTINCT FROM (EXCLUDED.position, EXCLUDED.holding, EXCLUDED.label, EXCLUDED.year, EXCLUDED.ho_so,
                         EXCLUDED.shelf_metres, EXCLUDED.period, EXCLUDED.note, EXCLUDED.source)
"""


def seed(conn, plan: Plan, today: dt.date) -> int:
    """Write the plan figures and register the configured milestones; return how many figure rows changed."""
    changed = 0
    with transaction(conn) as cur:
        for line, position, holding, label, year, ho_so, metres, period, note in FIGURES:
            cur.execute(SEED_SQL, {"agency": AGENCY, "line": line, "position": position, "holding": holding,
                                   "label": label, "year": year, "ho_so": ho_so, "shelf_metres": metres,
                                   "period": period, "note": note, "source": SOURCE})
            changed += cur.rowcount
    sync_milestones(conn, plan.milestones, today)
    return changed


def add_parser(sub) -> None:
    parser = sub.add_parser("seed-demo", help="seed the agency's own plan figures (idempotent)",
                            description="Write Sở Ngoại vụ's inventory figures from its plan as plan figures "
                                        "(not processed records) and register the configured milestones.")
    add_today(parser)
    parser.set_defaults(func=_seed_demo)


def _seed_demo(args: argparse.Namespace) -> int:
    from .catalogue.db import open_catalogue
    from .catalogue.migrate import upgrade
    from .milestones.definitions import load_plan

    upgrade()
    with contextlib.closing(open_catalogue()) as conn:
        changed = seed(conn, load_plan(), args.today)
    print(f"plan figures of {AGENCY}: {changed} row(s) written ({len(FIGURES)} in the plan; 0 means already seeded)")
    return 0
