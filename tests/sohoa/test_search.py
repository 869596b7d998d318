"""Search: with and without diacritics, typos, ranking, snippets, filters, access levels, hostile queries."""
from __future__ import annotations

import uuid

import pytest

from sohoa.catalogue.db import connect, transaction
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
    assert result.hits[0].trang == 3


def test_a_number_and_symbol_is_found_by_its_parts(corpus):
    result = _search(corpus, "154/KH-UBND", levels=("cong_khai", "co_dieu_kien", "mat"))
    assert [h.muc_do_tiep_can for h in result.hits] == ["mat"]
    assert "«154»/«KH»-«UBND»" in result.hits[0].trich_doan


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
    assert "«số» «hóa»" in hit.trich_doan


def test_restricted_records_are_never_returned_without_the_right(corpus):
    assert {h.muc_do_tiep_can for h in _search(corpus, "tai lieu luu tru").hits} == {"cong_khai"}
    wider = _search(corpus, "tai lieu luu tru", levels=("cong_khai", "co_dieu_kien"))
    assert {h.muc_do_tiep_can for h in wider.hits} == {"cong_khai", "co_dieu_kien"}
    everything = _search(corpus, "tai lieu luu tru", levels=("cong_khai", "co_dieu_kien", "mat"))
    assert len(everything.hits) == 3


def test_ranking_puts_the_denser_match_first(corpus):
    hits = _search(corpus, "tai lieu", levels=("cong_khai", "co_dieu_kien", "mat")).hits
    assert hits[0].muc_do_tiep_can == "mat"  # "tài liệu" twice on that page
    assert [h.diem for h in hits] == sorted((h.diem for h in hits), reverse=True)


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


LETTERHEAD = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc. Số: {n}/QĐ-UBND. Quyết định về việc "
              "cử cán bộ đi công tác, số cán bộ: {n}; hòa giải ở cơ sở.")
LITERAL = ("Ủy ban nhân dân tỉnh. Báo cáo tình hình công tác năm {n}: đã hoàn thành kế hoạch số hóa tài liệu "
           "lưu trữ của phông, đúng tiến độ.")


@pytest.fixture(scope="module")
def letterheads(stack):
    """The issue's situation: 20 letterheads with «Số» and «HÒA» in two hồ sơ, two pages that say "số hóa"
    (one of them with a letterhead above it) in a third, and a page with "sổ hòa" in a fourth."""
    tag = uuid.uuid4().hex[:8]
    conn = connect()
    with transaction(conn) as cur:
        cur.execute("INSERT INTO agency (ma, ten) VALUES (%s, 'Cơ quan thử') RETURNING id", (f"A{tag}",))
        agency = cur.fetchone()[0]
        cur.execute("INSERT INTO phong (agency_id, ma_phong, ten_phong) VALUES (%s, %s, 'Phông thử') RETURNING id",
                    (agency, f"R{tag}"))
        phong = cur.fetchone()[0]
        pages = {1: [LETTERHEAD.format(n=n) for n in range(10)], 2: [LETTERHEAD.format(n=n) for n in range(10, 20)],
                 3: [LITERAL.format(n=2024), LETTERHEAD.format(n=99) + " " + LITERAL.format(n=2025)],
                 4: ["Sổ hòa giải của tổ dân phố, ghi chép các vụ hòa giải trong năm."]}
        for ho_so, texts in pages.items():
            cur.execute(
                """INSERT INTO ho_so (agency_id, phong_id, ma_ho_so, tieu_de, thoi_han_bao_quan, muc_do_tiep_can,
                                      muc_do_tin_cay, thoi_gian_bat_dau, thoi_gian_ket_thuc)
                   VALUES (%s, %s, %s, %s, 'vinh_vien', 'cong_khai', 'so_hoa', '2025-01-01', '2025-12-31')
                   RETURNING id""", (agency, phong, f"R{tag}.01.2025.{ho_so:02d}", f"Hồ sơ {ho_so}"))
            ho_so_id = cur.fetchone()[0]
            for n, text in enumerate(texts, start=1):
                cur.execute(
                    """INSERT INTO trang (ho_so_id, so_trang, sha256, size_bytes, dpi, color_mode, master_key,
                                          ocr_status) VALUES (%s, %s, %s, 1, 300, 'color', %s, 'done') RETURNING id""",
                    (ho_so_id, n, uuid.uuid4().hex * 2, f"test/{tag}/{ho_so}/{n}.jpg"))
                index_page(conn, cur.fetchone()[0], text)
    yield conn, f"R{tag}"
    conn.close()


def test_pages_that_say_so_hoa_with_its_diacritics_rank_above_letterheads_with_so_and_hoa(letterheads):
    hits = _search(letterheads, "số hóa", limit=50).hits
    assert len(hits) == 23  # every page holds both words folded: nothing is dropped, only ordered
    assert {(h.ma_ho_so[-2:], h.trang) for h in hits[:2]} == {("03", 1), ("03", 2)}
    assert all(h.diem >= 3 for h in hits[:2]) and all(h.diem < 3 for h in hits[2:])


def test_typed_diacritics_decide_between_two_pages_that_fold_alike(letterheads):
    assert _search(letterheads, "sổ hòa", limit=50).hits[0].ma_ho_so.endswith(".04")
    assert _search(letterheads, "số hóa", limit=50).hits[0].ma_ho_so.endswith(".03")


def test_without_diacritics_the_phrase_still_outranks_scattered_words(letterheads):
    hits = _search(letterheads, "so hoa", limit=50).hits
    assert {h.ma_ho_so[-2:] for h in hits[:3]} == {"03", "04"}  # "số hóa" twice and "Sổ hòa": all phrases
    assert all(h.diem < 2 for h in hits)  # no exact tier without typed diacritics


def test_the_snippet_shows_the_match_not_the_letterhead_above_it(letterheads):
    hits = _search(letterheads, "số hóa", limit=50).hits
    hit = next(h for h in hits if h.ma_ho_so.endswith(".03") and h.trang == 2)
    assert "«số» «hóa»" in hit.trich_doan
    assert "CỘNG HÒA" not in hit.trich_doan and hit.trich_doan.startswith("…")


def test_hits_are_grouped_by_ho_so_in_the_order_of_their_best_page(letterheads):
    result = _search(letterheads, "số hóa", limit=50)
    groups = result.ho_so
    assert [g.ma_ho_so[-2:] for g in groups][0] == "03"
    assert sorted(g.ma_ho_so for g in groups) == sorted({h.ma_ho_so for h in result.hits})
    assert [g.diem for g in groups] == sorted((g.diem for g in groups), reverse=True)
    assert sum(len(g.hits) for g in groups) == len(result.hits)
    assert sorted(h.trang for h in groups[0].hits) == [1, 2]


def test_a_typo_corrected_word_no_longer_counts_as_typed(letterheads):
    result = _search(letterheads, "số hóaa", limit=50)
    assert result.corrections == {"hoaa": "hoa"}
    # "số" still counts as typed (letterheads hold «Số»); "hóaa", on no page, no longer does
    assert all((h.diem < 2) == h.ma_ho_so.endswith(".04") for h in result.hits)


def test_the_snippet_is_centred_on_the_window_holding_most_query_words():
    text = "Số: 12/QĐ-UBND. " + "Nội dung không liên quan đến việc tìm kiếm. " * 12 + "Kế hoạch số hóa tài liệu. " + "Phần sau. " * 10
    cut = snippet(text, fold(text).lower(), ["so", "hoa"], width=80, typed=["số", "hóa"])
    assert "«số» «hóa»" in cut and "12/QĐ" not in cut
    body = cut.strip("…")
    assert 20 < body.index("«số»") < 50  # the match sits mid-window, not at its edge


def test_the_snippet_prefers_the_words_as_typed_when_both_spellings_are_near():
    text = "Sổ hòa giải. " + "Đây là phần giữa của trang văn bản dài. " * 8 + "Việc số hóa."
    cut = snippet(text, fold(text).lower(), ["so", "hoa"], width=60, typed=["số", "hóa"])
    assert "«số» «hóa»" in cut and "Sổ" not in cut


def test_exact_matches_rank_first_even_when_more_pages_match_than_are_ranked(letterheads, monkeypatch):
    import sohoa.search

    monkeypatch.setattr(sohoa.search, "RANK_CANDIDATES", 4)  # 23 pages match folded; 4 are ranked
    hits = _search(letterheads, "số hóa", limit=2).hits
    assert {(h.ma_ho_so[-2:], h.trang) for h in hits} == {("03", 1), ("03", 2)}
    folded = _search(letterheads, "so hoa", limit=50).hits
    assert len(folded) == 4  # without diacritics only the 4 drawn are ranked: the cap is real


def test_explain_shows_the_plan_search_runs(letterheads):
    from sohoa.search import explain

    conn, phong = letterheads
    with transaction(conn):
        plan = explain(conn, "số hóa", filters=Filters(phong=phong))
    assert "trang_search_exact" in plan and "actual time=" in plan
