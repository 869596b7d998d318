"""The catalogue: agencies, phông, mục lục, hộp, hồ sơ, văn bản, trang, batches, batch items, events.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

Coded fields use the codes of ``sohoa.glossary``; the rules live here, in the database.
"""
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE agency (
    id          serial PRIMARY KEY,
    ma          text NOT NULL UNIQUE,
    ten         text NOT NULL
);

CREATE TABLE phong (
    id                  bigserial PRIMARY KEY,
    agency_id           integer NOT NULL REFERENCES agency (id),
    ma_phong            text NOT NULL,
    ten_phong           text NOT NULL,
    lich_su             text,
    thoi_gian_tai_lieu  text,
    tong_so_tai_lieu    integer CHECK (tong_so_tai_lieu >= 0),
    phuong_an_phan_loai text,
    ngon_ngu            text,
    UNIQUE (agency_id, ma_phong)
);

CREATE TABLE muc_luc (
    id          bigserial PRIMARY KEY,
    phong_id    bigint NOT NULL REFERENCES phong (id),
    so          text NOT NULL,
    nam         integer CHECK (nam BETWEEN 1800 AND 2200),
    ten         text,
    UNIQUE (phong_id, so)
);

CREATE TABLE hop (
    id          bigserial PRIMARY KEY,
    phong_id    bigint NOT NULL REFERENCES phong (id),
    hop_so      text NOT NULL,
    ghi_chu     text,
    UNIQUE (phong_id, hop_so)
);

CREATE TABLE batch (
    id              bigserial PRIMARY KEY,
    vendor          text NOT NULL,
    batch_id        text NOT NULL,
    agency_id       integer REFERENCES agency (id),
    status          text NOT NULL DEFAULT 'received'
                    CHECK (status IN ('received', 'validated', 'stored', 'done')),
    verdict         text CHECK (verdict IN ('accepted', 'partial', 'rejected')),
    manifest        jsonb,
    manifest_sha256 char(64) CHECK (manifest_sha256 ~ '^[0-9a-f]{64}$'),
    fingerprint     char(64) CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
    duplicate_of    bigint REFERENCES batch (id),
    item_count      integer CHECK (item_count >= 0),
    accepted_count  integer CHECK (accepted_count >= 0),
    rejected_count  integer CHECK (rejected_count >= 0),
    received_at     timestamptz NOT NULL DEFAULT now(),
    validated_at    timestamptz,
    finished_at     timestamptz,
    UNIQUE (vendor, batch_id),
    CHECK ((status = 'received') = (verdict IS NULL))
);
CREATE INDEX batch_accepted_fingerprint ON batch (fingerprint) WHERE verdict IN ('accepted', 'partial');

CREATE TABLE ho_so (
    id                  bigserial PRIMARY KEY,
    agency_id           integer NOT NULL REFERENCES agency (id),
    phong_id            bigint NOT NULL REFERENCES phong (id),
    muc_luc_id          bigint REFERENCES muc_luc (id),
    hop_id              bigint REFERENCES hop (id),
    batch_id            bigint REFERENCES batch (id),
    ma_ho_so            text NOT NULL UNIQUE CHECK (ma_ho_so ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$'),
    tieu_de             text NOT NULL,
    thoi_han_bao_quan   text NOT NULL
                        CHECK (thoi_han_bao_quan IN ('vinh_vien', '70', '50', '30', '20', '10', 'khac')),
    muc_do_tiep_can     text NOT NULL CHECK (muc_do_tiep_can IN ('cong_khai', 'co_dieu_kien', 'mat')),
    muc_do_tin_cay      text NOT NULL CHECK (muc_do_tin_cay IN ('goc_dien_tu', 'so_hoa', 'hon_hop')),
    ngon_ngu            text,
    thoi_gian_bat_dau   date,
    thoi_gian_ket_thuc  date,
    tu_khoa             text[] NOT NULL DEFAULT '{}',
    tong_so_tai_lieu    integer CHECK (tong_so_tai_lieu >= 0),
    so_luong_to         integer CHECK (so_luong_to >= 0),
    so_luong_trang      integer CHECK (so_luong_trang >= 0),
    tinh_trang_vat_ly   text,
    ky_hieu_thong_tin   text,
    ma_ho_so_goc_giay   text,
    ghi_chu             text,
    arranged            boolean NOT NULL DEFAULT true,
    high_value          boolean NOT NULL DEFAULT false,
    shelf_metres        numeric(9, 3) CHECK (shelf_metres >= 0),
    pdf_key             text,
    pdf_sha256          char(64) CHECK (pdf_sha256 ~ '^[0-9a-f]{64}$'),
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (thoi_gian_ket_thuc >= thoi_gian_bat_dau)
);
CREATE INDEX ho_so_phong ON ho_so (phong_id);

CREATE TABLE van_ban (
    id                  bigserial PRIMARY KEY,
    ho_so_id            bigint NOT NULL REFERENCES ho_so (id),
    stt                 integer NOT NULL CHECK (stt >= 1),
    ma_luu_tru          text NOT NULL UNIQUE,
    ma_dinh_danh        text,
    ten_loai            text,
    so                  text,
    ky_hieu             text,
    so_ky_hieu          text,
    ngay_ban_hanh       date,
    co_quan_ban_hanh    text,
    trich_yeu           text,
    ngon_ngu            text,
    so_trang            integer CHECK (so_trang >= 1),
    trang_dau           integer NOT NULL CHECK (trang_dau >= 1),
    trang_cuoi          integer NOT NULL,
    nguoi_ky            text,
    but_tich            text,
    ghi_chu             text,
    status              text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'final')),
    UNIQUE (ho_so_id, stt),
    CHECK (trang_cuoi >= trang_dau)
);

CREATE TABLE batch_item (
    id                  bigserial PRIMARY KEY,
    batch_id            bigint NOT NULL REFERENCES batch (id),
    name                text NOT NULL,
    kind                text NOT NULL CHECK (kind IN ('manifest', 'page', 'file')),
    ma_ho_so            text,
    so_trang            integer,
    sha256              char(64) CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes          bigint CHECK (size_bytes >= 0),
    status              text NOT NULL CHECK (status IN ('accepted', 'rejected')),
    reasons             jsonb NOT NULL DEFAULT '[]',
    flags               jsonb NOT NULL DEFAULT '[]',
    facts               jsonb NOT NULL DEFAULT '{}',
    master_key          text,
    master_version_id   text,
    quarantine_key      text,
    UNIQUE (batch_id, name),
    CHECK (status = 'accepted' OR master_key IS NULL),
    CHECK (status = 'rejected' OR quarantine_key IS NULL),
    CHECK (status = 'rejected' OR jsonb_array_length(reasons) = 0)
);

CREATE TABLE trang (
    id                  bigserial PRIMARY KEY,
    ho_so_id            bigint NOT NULL REFERENCES ho_so (id),
    so_trang            integer NOT NULL CHECK (so_trang >= 1),
    sha256              char(64) NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes          bigint NOT NULL CHECK (size_bytes > 0),
    dpi                 integer NOT NULL CHECK (dpi >= 200),
    width               integer CHECK (width > 0),
    height              integer CHECK (height > 0),
    color_mode          text NOT NULL CHECK (color_mode IN ('color', 'grayscale', 'bitonal')),
    format              text,
    master_key          text NOT NULL UNIQUE,
    master_version_id   text,
    batch_item_id       bigint REFERENCES batch_item (id),
    qc_flags            jsonb NOT NULL DEFAULT '[]',
    qc_metrics          jsonb NOT NULL DEFAULT '{}',
    ocr_status          text NOT NULL DEFAULT 'pending'
                        CHECK (ocr_status IN ('pending', 'done', 'failed', 'parked')),
    ocr_text            text,
    ocr_confidence      real CHECK (ocr_confidence BETWEEN 0 AND 1),
    ocr_engine          text,
    ocr_engine_version  text,
    alto_key            text,
    derivative_keys     jsonb NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (ho_so_id, so_trang)
);
CREATE INDEX trang_ocr_pending ON trang (id) WHERE ocr_status = 'pending';

-- PREMIS-style audit trail: one row per thing that happened to an object. Append-only.
CREATE TABLE event (
    id          bigserial PRIMARY KEY,
    event_type  text NOT NULL,
    object_type text NOT NULL CHECK (object_type IN ('batch', 'batch_item', 'ho_so', 'van_ban', 'trang')),
    object_id   text NOT NULL,
    agent       text NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    outcome     text NOT NULL CHECK (outcome IN ('success', 'failure', 'warning')),
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX event_object ON event (object_type, object_id);

CREATE FUNCTION event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'event is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event
    FOR EACH ROW EXECUTE FUNCTION event_refuse_change();
CREATE TRIGGER event_no_truncate BEFORE TRUNCATE ON event
    FOR EACH STATEMENT EXECUTE FUNCTION event_refuse_change();
"""

DOWNGRADE = """
DROP TABLE event, trang, batch_item, van_ban, ho_so, batch, hop, muc_luc, phong, agency;
DROP FUNCTION event_refuse_change();
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
