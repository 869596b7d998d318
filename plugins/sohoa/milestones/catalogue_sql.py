"""The SQL of milestones, in one place. ``{scope}`` is the phase's compiled membership over ``ho_so hs``
(:meth:`sohoa.milestones.definitions.Milestone.membership`, parameters only).

Stages of a hồ sơ (``STAGES`` in :mod:`.definitions`), judged from the catalogue's current state:
received     some page of it was delivered (batch_item kind 'page', accepted or rejected);
accepted     it has accepted pages (trang), at least as many as its declared số lượng trang;
ocr          accepted, and every accepted page has ocr_status 'done';
reviewed     ocr, it has văn bản, all 'final', and none of its pages has an open review_item;
handed_over  ho_so.handed_over_at is set (column added by this package's migration).
A hồ sơ counts at a stage when all of it got there; its pages count as each page gets there (pages received
include rejected ones). The day a hồ sơ reached a stage comes from the records (batch received_at, trang
created_at / ocr_updated_at, văn bản finalised_at, handed_over_at), so the burn-up needs no earlier runs; the
milestones DAG also stores each day's counts (milestone_progress) as the record of what was reported; the
yearly report lists the last one of each month.
"""

# One row per hồ sơ in scope: its page counts, whether it reached each stage, and when (Việt Nam day).
PER_HO_SO = """
WITH scoped AS (
    SELECT hs.id, hs.ma_ho_so, coalesce(hs.shelf_metres, 0) AS metres, hs.so_luong_trang, hs.handed_over_at
      FROM ho_so hs JOIN agency a ON a.id = hs.agency_id
     WHERE a.ma = %(agency)s AND {scope}
), accepted AS (
    SELECT t.ho_so_id, count(*) AS pages, count(*) FILTER (WHERE t.ocr_status = 'done') AS ocr_pages,
           max(t.created_at) AS accepted_at, max(coalesce(t.ocr_updated_at, t.created_at)) AS ocr_at
      FROM trang t JOIN scoped s ON s.id = t.ho_so_id
     GROUP BY t.ho_so_id
), delivered AS (
    SELECT bi.ma_ho_so, count(*) AS pages, min(b.received_at) AS received_at
      FROM batch_item bi JOIN batch b ON b.id = bi.batch_id JOIN scoped s ON s.ma_ho_so = bi.ma_ho_so
     WHERE bi.kind = 'page'
     GROUP BY bi.ma_ho_so
), reviewed AS (
    SELECT vb.ho_so_id, bool_and(vb.status = 'final') AS all_final, max(vb.finalised_at) AS reviewed_at
      FROM van_ban vb JOIN scoped s ON s.id = vb.ho_so_id
     GROUP BY vb.ho_so_id
), open_review AS (
    SELECT DISTINCT t.ho_so_id
      FROM review_item ri JOIN trang t ON ri.object_type = 'trang' AND ri.object_id = t.id
      JOIN scoped s ON s.id = t.ho_so_id
     WHERE ri.status = 'open'
), per_ho_so AS (
    SELECT s.ma_ho_so, s.metres,
           coalesce(s.so_luong_trang, a.pages, 0) AS planned_pages,
           greatest(coalesce(d.pages, 0), coalesce(a.pages, 0)) AS received_pages,
           coalesce(a.pages, 0) AS accepted_pages,
           coalesce(a.ocr_pages, 0) AS ocr_pages,
           coalesce(a.pages, 0) > 0 AND a.pages >= coalesce(s.so_luong_trang, 1) AS is_accepted,
           coalesce(a.pages, 0) > 0 AND a.pages >= coalesce(s.so_luong_trang, 1) AND a.ocr_pages = a.pages AS is_ocr,
           coalesce(r.all_final, false) AND o.ho_so_id IS NULL AS is_reviewed,
           s.handed_over_at IS NOT NULL AS is_handed_over,
           coalesce(d.received_at, a.accepted_at) AS received_at, a.accepted_at, a.ocr_at,
           greatest(a.ocr_at, r.reviewed_at) AS reviewed_at, s.handed_over_at
      FROM scoped s
      LEFT JOIN accepted a ON a.ho_so_id = s.id
      LEFT JOIN delivered d ON d.ma_ho_so = s.ma_ho_so
      LEFT JOIN reviewed r ON r.ho_so_id = s.id
      LEFT JOIN open_review o ON o.ho_so_id = s.id
), stage AS (
    SELECT st.*, p.ma_ho_so, p.metres
      FROM per_ho_so p
     CROSS JOIN LATERAL (VALUES
           ('registered', true, p.planned_pages, NULL::timestamptz),
           ('received', p.received_pages > 0, p.received_pages, p.received_at),
           ('accepted', p.is_accepted, p.accepted_pages, p.accepted_at),
           ('ocr', p.is_ocr, p.ocr_pages, p.ocr_at),
           ('reviewed', p.is_ocr AND p.is_reviewed, CASE WHEN p.is_reviewed THEN p.ocr_pages ELSE 0 END,
            p.reviewed_at),
           ('handed_over', p.is_handed_over, CASE WHEN p.is_handed_over THEN p.accepted_pages ELSE 0 END,
            p.handed_over_at)
     ) AS st (stage, reached, pages, reached_at)
)
"""

STAGE_COUNTS_SQL = PER_HO_SO + """
SELECT stage, count(*) FILTER (WHERE reached), coalesce(sum(pages), 0),
       coalesce(sum(metres) FILTER (WHERE reached), 0)
  FROM stage
 GROUP BY stage
"""

# Hồ sơ reaching the milestone's done stage per day, up to today: the burn-up, from the records themselves.
BURNUP_SQL = PER_HO_SO + """
SELECT (reached_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS day, count(*)
  FROM stage
 WHERE stage = %(done_stage)s AND reached AND (reached_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date <= %(today)s
 GROUP BY 1 ORDER BY 1
"""

PAGES_PER_DAY_SQL = """
SELECT (t.ocr_updated_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS day, count(*)
  FROM trang t JOIN ho_so hs ON hs.id = t.ho_so_id JOIN agency a ON a.id = hs.agency_id
 WHERE a.ma = %(agency)s AND {scope} AND t.ocr_status = 'done'
   AND (t.ocr_updated_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date BETWEEN %(since)s AND %(today)s
 GROUP BY 1 ORDER BY 1
"""

# Pages refused at intake, from the intake records (batch_item), for the hồ sơ ``{scope}`` holds. A rejected hồ sơ
# never reaches the catalogue, so a hồ sơ is judged by its catalogue row when it has one, else by what its
# batch's manifest declared (the same fields: đã chỉnh lý, giá trị cao, thời hạn bảo quản, mức độ tiếp cận, mức độ
# tin cậy; absent ones take the catalogue's defaults).
DELIVERED_HO_SO = """
WITH declared AS (
    SELECT b.id AS batch_pk, h->>'ma_ho_so' AS ma_ho_so,
           coalesce(h->'da_chinh_ly', 'true'::jsonb) = 'true'::jsonb AS arranged,
           coalesce(h->'gia_tri_cao', 'false'::jsonb) = 'true'::jsonb AS high_value,
           h->>'thoi_han_bao_quan' AS thoi_han_bao_quan, h->>'muc_do_tiep_can' AS muc_do_tiep_can,
           coalesce(h->>'muc_do_tin_cay', 'so_hoa') AS muc_do_tin_cay
      FROM batch b CROSS JOIN LATERAL jsonb_array_elements(b.manifest->'ho_so') AS h
     WHERE b.manifest->'co_quan'->>'ma' = %(agency)s AND jsonb_typeof(b.manifest->'ho_so') = 'array'
       AND NOT EXISTS (SELECT 1 FROM ho_so c WHERE c.ma_ho_so = h->>'ma_ho_so')
), catalogued AS (
    SELECT NULL::bigint AS batch_pk, c.ma_ho_so, c.arranged, c.high_value, c.thoi_han_bao_quan, c.muc_do_tiep_can,
           c.muc_do_tin_cay
      FROM ho_so c JOIN agency a ON a.id = c.agency_id
     WHERE a.ma = %(agency)s
), hs AS (
    SELECT * FROM declared UNION ALL SELECT * FROM catalogued
)
"""
REJECTED_PAGES_SQL = DELIVERED_HO_SO + """
SELECT count(*)
  FROM batch_item bi JOIN hs ON hs.ma_ho_so = bi.ma_ho_so AND (hs.batch_pk IS NULL OR hs.batch_pk = bi.batch_id)
 WHERE bi.kind = 'page' AND bi.status = 'rejected' AND {scope}
"""

# Accepted pages of the hồ sơ in scope whose OCR failed (to be retried), was parked (retries spent, kept for
# review) or that quality control flagged.
PAGE_STATES_SQL = """
SELECT count(*) FILTER (WHERE t.ocr_status = 'failed'), count(*) FILTER (WHERE t.ocr_status = 'parked'),
       count(*) FILTER (WHERE jsonb_array_length(t.qc_flags) > 0)
  FROM trang t JOIN ho_so hs ON hs.id = t.ho_so_id JOIN agency a ON a.id = hs.agency_id
 WHERE a.ma = %(agency)s AND {scope}
"""

# The hồ sơ behind a stage count: those of the phase that reached ``stage`` (all of them for 'registered').
HO_SO_AT_STAGE_SQL = PER_HO_SO + """
SELECT ma_ho_so, pages, reached_at FROM stage WHERE stage = %(stage)s AND reached ORDER BY ma_ho_so LIMIT %(limit)s
"""

# The pages behind each page count of a phase; the same membership and joins as the counts above.
REJECTED_PAGE_LIST_SQL = DELIVERED_HO_SO + """
SELECT b.vendor, b.batch_id, bi.ma_ho_so, bi.so_trang, bi.name, bi.reasons
  FROM batch_item bi JOIN batch b ON b.id = bi.batch_id
  JOIN hs ON hs.ma_ho_so = bi.ma_ho_so AND (hs.batch_pk IS NULL OR hs.batch_pk = bi.batch_id)
 WHERE bi.kind = 'page' AND bi.status = 'rejected' AND {scope}
 ORDER BY b.id, bi.ma_ho_so, bi.so_trang LIMIT %(limit)s
"""
PAGE_LIST_SQL = """
SELECT hs.ma_ho_so, t.so_trang, t.ocr_status, t.qc_flags, t.master_key
  FROM trang t JOIN ho_so hs ON hs.id = t.ho_so_id JOIN agency a ON a.id = hs.agency_id
 WHERE a.ma = %(agency)s AND {scope} AND CASE %(kind)s WHEN 'flagged' THEN jsonb_array_length(t.qc_flags) > 0
                                                      WHEN 'ocr_failed' THEN t.ocr_status = 'failed'
                                                      WHEN 'ocr_parked' THEN t.ocr_status = 'parked' END
 ORDER BY hs.ma_ho_so, t.so_trang LIMIT %(limit)s
"""

RECORD_PROGRESS_SQL = """
INSERT INTO milestone_progress (milestone_id, day, stage, ho_so, pages, shelf_metres)
VALUES (%(milestone)s, %(day)s, %(stage)s, %(ho_so)s, %(pages)s, %(shelf_metres)s)
ON CONFLICT (milestone_id, day, stage)
DO UPDATE SET ho_so = EXCLUDED.ho_so, pages = EXCLUDED.pages, shelf_metres = EXCLUDED.shelf_metres
"""

PLAN_FIGURES_SQL = """
SELECT agency_ma, line, holding, label, year, ho_so, shelf_metres, period, note, source
  FROM plan_figure WHERE agency_ma = %(agency)s
 ORDER BY position, line
"""

KNOWN_MILESTONE_SQL = "SELECT id FROM milestone WHERE id = %(id)s"

UPSERT_MILESTONE_SQL = """
INSERT INTO milestone (id, agency_ma, phase, title, deadline, created_on)
VALUES (%(id)s, %(agency)s, %(phase)s, %(title)s, %(deadline)s, %(created_on)s)
ON CONFLICT (id) DO UPDATE SET agency_ma = EXCLUDED.agency_ma, phase = EXCLUDED.phase, title = EXCLUDED.title,
                               deadline = EXCLUDED.deadline
"""
