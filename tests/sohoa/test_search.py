"""Search: with and without diacritics, typos, ranking, snippets, filters, access levels, hostile queries."""
from __future__ import annotations

import uuid

import pytest

from sohoa.catalogue.db import transaction
from sohoa.errors import SearchError
from sohoa.search import Filters, index_page, query_terms, search, snippet
from sohoa.vntext import fold

pytestmark = pytest.mark.stack

def _search(corpus, query, **kw):
    conn, phong = corpus
    with transaction(conn) as cur:
        return search(cur.connection, query, filters=Filters(phong=phong), **kw)


@pytest.mark.parametrize("query", ["số hóa tài liệu", "so hoa tai lieu", "SỐ HÓA", "So Hoa Tai Lieu"])
def test_finds_the_page_with_or_without_diacritics_in_any_case(corpus, query):
    result = _search(corpus, query)
    assert [h.muc_do_tiep_can for h in result.hits] == ["cong_khai"]
    assert result.hits[0].page_number == 3


def test_a_number_and_symbol_is_found_by_its_parts(corpus):
    result = _search(corpus, "154/KH-UBND", levels=("cong_khai", "co_dieu_kien", "mat"))
    assert [h.muc_do_tiep_can for h in result.hits] == ["mat"]
    assert "«154»/«KH»-«UBND»" in result.hits[0].snippet


def test_a_typo_is_corrected_to_the_nearest_known_word(corpus):
    result = _search(corpus, "so hoa tai leu")
    assert result.corrections == {"leu": "lieu"}
    assert len(result.hits) == 1


def test_a_typo_in_the_first_word_is_corrected_too(corpus):
    result = _search(corpus, "hoaa tai lieu")
    assert result.corrections == {"hoaa": "hoa"}
    assert len(result.hits) == 1


def test_the_snippet_is_cut_from_the_original_text_with_matches_marked(corpus):
    hit = _search(corpus, "so hoa").hits[0]
    assert "«số» «hóa»" in hit.snippet


def test_restricted_records_are_never_returned_without_the_right(corpus):
    assert {h.muc_do_tiep_can for h in _search(corpus, "tai lieu luu tru").hits} == {"cong_khai"}
    wider = _search(corpus, "tai lieu luu tru", levels=("cong_khai", "co_dieu_kien"))
    assert {h.muc_do_tiep_can for h in wider.hits} == {"cong_khai", "co_dieu_kien"}
    everything = _search(corpus, "tai lieu luu tru", levels=("cong_khai", "co_dieu_kien", "mat"))
    assert len(everything.hits) == 3


def test_ranking_puts_the_denser_match_first(corpus):
    hits = _search(corpus, "tai lieu", levels=("cong_khai", "co_dieu_kien", "mat")).hits
    assert hits[0].muc_do_tiep_can == "mat"  # "tài liệu" twice on that page
    assert [h.rank for h in hits] == sorted((h.rank for h in hits), reverse=True)


def test_filters_by_year_and_retention(corpus):
    assert _search(corpus, "so hoa", levels=("cong_khai",)).hits
    conn, phong = corpus
    with transaction(conn) as cur:
        assert not search(cur.connection, "so hoa", filters=Filters(phong=phong, year=2019)).hits
        assert not search(cur.connection, "so hoa", filters=Filters(phong=phong, thoi_han_bao_quan="10")).hits
        assert search(cur.connection, "so hoa", filters=Filters(phong=phong, year=2025,
                                                                thoi_han_bao_quan="vinh_vien")).hits


@pytest.mark.parametrize("query", ["'; DROP TABLE trang; --", "(((.*+?^$|\\", "a:* | !b & <->", "%_%"])
def test_sql_and_regex_metacharacters_are_harmless(corpus, query):
    try:
        result = _search(corpus, query)
    except SearchError as exc:
        assert "không có từ" in str(exc)
    else:
        assert result.hits == [] or all(h.ma_ho_so for h in result.hits)
    conn, _ = corpus
    with transaction(conn) as cur:
        cur.execute("SELECT count(*) FROM trang")
        assert cur.fetchone()[0] >= 3


def test_a_query_of_ten_thousand_characters_is_refused_clearly():
    with pytest.raises(SearchError, match="quá dài"):
        query_terms("số hóa " * 1500)


def test_an_unknown_access_level_is_refused(corpus):
    with pytest.raises(SearchError, match="không hợp lệ"):
        _search(corpus, "so hoa", levels=("toi_mat",))


def test_snippet_offsets_survive_folding():
    text = "Ủy ban nhân dân thành phố Hải Phòng về việc số hóa"
    assert snippet(text, fold(text).lower(), ["hai", "phong"]) == text.replace("Hải Phòng", "«Hải» «Phòng»")


def test_a_word_on_no_page_still_excludes_every_page_whatever_the_common_words(corpus):
    """Common words leave the index scan but every word is still required of a hit."""
    assert _search(corpus, "so hoa tai lieu 987654321", levels=("cong_khai", "co_dieu_kien", "mat")).hits == []


def test_numbers_are_never_typo_corrected(corpus):
    result = _search(corpus, "15 KH UBND", levels=("cong_khai", "co_dieu_kien", "mat"))
    assert "15" not in result.corrections and result.hits == []


def test_a_typo_is_never_corrected_to_a_word_only_a_restricted_record_holds(corpus):
    conn, phong = corpus
    secret = "bimat" + uuid.uuid4().hex[:8].translate(str.maketrans("0123456789", "ghijklmnop"))
    with transaction(conn) as cur:
        cur.execute("""SELECT h.agency_id, h.phong_id FROM ho_so h JOIN phong p ON p.id = h.phong_id
                       WHERE p.ma_phong = %s LIMIT 1""", (phong,))
        agency, phong_id = cur.fetchone()
        cur.execute("""INSERT INTO ho_so (agency_id, phong_id, ma_ho_so, tieu_de, thoi_han_bao_quan, muc_do_tiep_can,
                                          muc_do_tin_cay, thoi_gian_bat_dau, thoi_gian_ket_thuc)
                       VALUES (%s, %s, %s, 'Hồ sơ mật', 'vinh_vien', 'mat', 'so_hoa', '2025-01-01', '2025-12-31')
                       RETURNING id""", (agency, phong_id, f"{phong}.01.2025.{secret}"))
        cur.execute("""INSERT INTO trang (ho_so_id, so_trang, sha256, size_bytes, dpi, color_mode, master_key,
                                          ocr_status) VALUES (%s, 1, %s, 1, 300, 'color', %s, 'done') RETURNING id""",
                    (cur.fetchone()[0], uuid.uuid4().hex * 2, f"test/{secret}.jpg"))
        index_page(conn, cur.fetchone()[0], f"Đoàn công tác {secret} sang thăm")
    typo = secret[:-1] + ("a" if secret[-1] != "a" else "b")
    for levels in [("cong_khai",), ("cong_khai", "co_dieu_kien")]:
        result = _search(corpus, f"doan {typo}", levels=levels)
        assert result.corrections == {} and result.hits == []
        assert secret not in result.terms
    allowed = _search(corpus, f"doan {typo}", levels=("cong_khai", "co_dieu_kien", "mat"))
    assert allowed.corrections == {typo: secret} and [h.muc_do_tiep_can for h in allowed.hits] == ["mat"]
