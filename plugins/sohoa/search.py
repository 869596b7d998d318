"""Full-text search over the catalogue's page text, with and without diacritics, tolerant to typos.

Text is folded once when it is indexed (:func:`sohoa.vntext.fold`, lower-case) and kept beside the original
in ``trang_text``; its ``tsvector`` ('simple' dictionary) lives in the narrow ``trang_search`` (GIN index). A
query is folded the same way, so "so hoa tai lieu", "SỐ HÓA" and "số hóa tài liệu" meet the same tokens. A
query word that is not in the vocabulary (``search_vocabulary``, trigram index) is replaced by its nearest known
word, so the typo "leu" still finds "lieu". Snippets are cut from the original text at the folded match's
offsets (folding keeps lengths), centred on the place where most query words stand together. Access levels are
enforced in SQL: a caller only ever sees the levels it holds.

Diacritics the user types count in the ranking: the words as written (lower-case, diacritics kept) are indexed
too (``trang_search_exact``), and the score (``diem``) is a tier plus a density in [0, 1):

* +2 when the query carries diacritics and the page holds every word exactly as typed ("số hóa", not «Số» and
  «HÒA»); a word that was typo-corrected no longer counts as typed;
* +1 when the query's words stand next to each other, in order, on the page (folded);
* ``ts_rank_cd`` of the folded words, normalised to [0, 1).

So an exact-diacritics match always outranks a folded one, and a phrase outranks scattered words.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from psycopg2.extensions import connection as Connection
from rapidfuzz.distance import Levenshtein

from .errors import SearchError
from .glossary import MUC_DO_TIEP_CAN
from .vntext import fold, nfc

MAX_QUERY_CHARS = 500
MAX_TERMS = 12
TYPO_SIMILARITY = 0.25
PUBLIC = "cong_khai"
ACCESS_LEVELS = tuple(MUC_DO_TIEP_CAN)  # cong_khai, co_dieu_kien, mat
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Filters:
    """Optional filters; None means 'any'."""

    phong: str | None = None
    year: int | None = None
    ten_loai: str | None = None
    thoi_han_bao_quan: str | None = None
    muc_do_tiep_can: str | None = None


@dataclass(frozen=True)
class Hit:
    """One matching page. The field names are the JSON keys of the CLI (``--json``) and of the API alike."""

    ma_ho_so: str
    tieu_de: str
    trang: int
    diem: float
    trich_doan: str
    muc_do_tiep_can: str


@dataclass(frozen=True)
class HoSoHits:
    """The hits of one hồ sơ, best first; ``diem`` is its best page's."""

    ma_ho_so: str
    tieu_de: str
    muc_do_tiep_can: str
    diem: float
    hits: list[Hit]


@dataclass
class SearchResult:
    query: str
    terms: list[str]
    corrections: dict[str, str] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)

    @property
    def ho_so(self) -> list[HoSoHits]:
        """The hits grouped by hồ sơ, in the order of each hồ sơ's best page."""
        groups: dict[str, list[Hit]] = {}
        for hit in self.hits:
            groups.setdefault(hit.ma_ho_so, []).append(hit)
        return [HoSoHits(h[0].ma_ho_so, h[0].tieu_de, h[0].muc_do_tiep_can, h[0].diem, h) for h in groups.values()]

    def as_json(self) -> dict:
        """The result as the CLI prints it and the API returns it: pages best first (``hits``) and grouped."""
        return {"query": self.query, "terms": self.terms, "corrections": self.corrections,
                "hits": [asdict(h) for h in self.hits], "ho_so": [asdict(g) for g in self.ho_so]}


def _query_words(query: str) -> list[tuple[str, str]]:
    """Each word of a query as (folded lower-case, as typed in NFC lower-case); at most MAX_TERMS."""
    if len(query) > MAX_QUERY_CHARS:
        raise SearchError(f"Câu tìm kiếm quá dài ({len(query)} ký tự); tối đa {MAX_QUERY_CHARS} ký tự.")
    typed = nfc(query)
    words = [(m.group().lower(), typed[m.start():m.end()].lower())  # fold keeps offsets
             for m in _WORD.finditer(fold(typed)) if m.group().strip("_")]
    if not words:
        raise SearchError("Câu tìm kiếm không có từ nào để tìm.")
    return words[:MAX_TERMS]


def query_terms(query: str) -> list[str]:
    """The folded words of a query; SQL and regex metacharacters are simply not words."""
    return [folded for folded, _ in _query_words(query)]


def exact_words(text: str) -> str:
    """A page's words as written, lower-case with their diacritics, space-separated (see :func:`index_words`)."""
    return " ".join(_WORD.findall(nfc(text).lower()))


def index_words(folded: str) -> str:
    """The folded text as the words a query is split into, space-separated: what the tsvector is built from.

    PostgreSQL's parser would keep ``154/kh-ubnd`` as one path-like token; splitting the same way on both
    sides makes "154/KH-UBND" findable as 154, kh and ubnd.
    """
    return " ".join(_WORD.findall(folded))


def _vocabulary(folded: str) -> set[str]:
    return {w for w in _WORD.findall(folded) if 2 <= len(w) <= 40}


def index_page(conn: Connection, trang_id: int, text: str, *, previous: str | None = None) -> None:
    """(Re)index one page's text and add its words to the vocabulary; part of the caller's transaction.

    ``previous`` is the page's text as indexed before, for a re-index after a correction: the vocabulary's page
    counts then change only for the words that appear on the page or leave it.
    """
    text = nfc(text)
    folded = fold(text).lower()
    with conn.cursor() as cur:
        cur.execute(
            """INSERT INTO trang_text (trang_id, text, folded) VALUES (%s, %s, %s)
               ON CONFLICT (trang_id) DO UPDATE SET text = EXCLUDED.text, folded = EXCLUDED.folded""",
            (trang_id, text, folded))
        cur.execute(
            """INSERT INTO trang_search (trang_id, tsv) VALUES (%s, to_tsvector('simple', %s))
               ON CONFLICT (trang_id) DO UPDATE SET tsv = EXCLUDED.tsv""", (trang_id, index_words(folded)))
        cur.execute(
            """INSERT INTO trang_search_exact (trang_id, tsv) VALUES (%s, to_tsvector('simple', %s))
               ON CONFLICT (trang_id) DO UPDATE SET tsv = EXCLUDED.tsv""", (trang_id, exact_words(text)))
        words = _vocabulary(folded)
        if previous is not None:
            before = _vocabulary(fold(nfc(previous)).lower())
            if gone := sorted(before - words):
                cur.execute("UPDATE search_vocabulary SET pages = greatest(pages - 1, 0) WHERE word = ANY(%s)",
                            (gone,))
            words -= before
        words = sorted(words)
        if words:  # a page indexed again counts again: pages is a document frequency for pruning, not an audit
            cur.execute("""INSERT INTO search_vocabulary (word, pages) SELECT unnest(%s::text[]), 1
                           ON CONFLICT (word) DO UPDATE SET pages = search_vocabulary.pages + 1""", (words,))


def _correct(conn: Connection, terms: list[str], levels: tuple[str, ...]) -> dict[str, str]:
    """Map each term found on no page the caller may see to a close word that fits the rest of the query.

    Candidates come from the trigram index over the vocabulary of every page (edit distance at most 2), but
    only a candidate found on a page at ``levels`` can be chosen, so a correction never reveals a word of a
    record the caller may not read. The first, in order of edit distance and similarity, that stands next to a
    neighbouring query word on such a page wins ("tai leu" → "tai lieu", not "tai le"); failing that, the
    first that merely co-occurs with the other words on one.
    """
    corrections: dict[str, str] = {}
    with conn.cursor() as cur:
        cur.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, true)", (str(TYPO_SIMILARITY),))
        cur.execute("SELECT word FROM search_vocabulary WHERE word = ANY(%s)", (terms,))
        known = {row[0] for row in cur.fetchall() if _matches(cur, _tsquery([row[0]]), levels)}
        for position, term in enumerate(terms):
            if term in known or len(term) < 3 or any(c.isdigit() for c in term):
                continue  # numbers are exact: "108" must not become "1808"
            cur.execute("""SELECT word, similarity(word, %s) FROM search_vocabulary WHERE word %% %s
                           ORDER BY similarity(word, %s) DESC, word LIMIT 20""", (term, term, term))
            candidates = [w for d, _, w in sorted((Levenshtein.distance(term, w), -sim, w) for w, sim in cur.fetchall())
                          if d <= 2]
            effective = [corrections.get(t, t) for t in terms]
            neighbours = [(i, effective[i]) for i in (position - 1, position + 1) if 0 <= i < len(terms)]
            others = effective[:position] + effective[position + 1:]
            phrases = [[f"'{n}' <-> '{w}'" if i < position else f"'{w}' <-> '{n}'" for i, n in neighbours]
                       for w in candidates]
            chosen = next((w for w, ph in zip(candidates, phrases)
                           if ph and _matches_phrase(cur, " | ".join(ph), [*(n for _, n in neighbours), w], levels)),
                          None)
            chosen = chosen or next((w for w in candidates if _matches(cur, _tsquery([*others, w]), levels)), None)
            if chosen:
                corrections[term] = chosen
    return corrections


def _selective_terms(cur, terms: list[str]) -> list[str]:
    """The terms the index scan should use (see COMMON_SHARE); page count estimated from the table's stats."""
    cur.execute("""SELECT greatest(reltuples, 1) FROM pg_class WHERE oid = 'trang_search'::regclass""")
    total = cur.fetchone()[0]
    cur.execute("SELECT word, pages FROM search_vocabulary WHERE word = ANY(%s)", (terms,))
    share = {word: pages / total for word, pages in cur.fetchall()}
    chosen = []
    for term in sorted(dict.fromkeys(terms), key=lambda t: share.get(t, 0.0)):
        if share.get(term, 0.0) <= COMMON_SHARE or (len(chosen) < FILTER_WORDS and share[term] <= USEFUL_SHARE):
            chosen.append(term)
    return chosen


def _matches(cur, tsquery: str, levels: tuple[str, ...]) -> bool:
    """Whether some page the caller may see (access ``levels``) matches ``tsquery``."""
    cur.execute("""SELECT 1 FROM trang_search s JOIN trang t ON t.id = s.trang_id JOIN ho_so h ON h.id = t.ho_so_id
                   WHERE s.tsv @@ to_tsquery('simple', %s) AND h.muc_do_tiep_can = ANY(%s) LIMIT 1""",
                (tsquery, list(levels)))
    return cur.fetchone() is not None


# A phrase is looked for among at most PHRASE_SAMPLE visible pages holding its words: two common words that
# never stand together on so many pages are no phrase worth correcting to, and a miss no longer rechecks every
# page holding both (1 s per candidate on 300,000 pages where both words are on 97 % of them).
PHRASE_SAMPLE = 2000


def _matches_phrase(cur, phrase: str, words: list[str], levels: tuple[str, ...]) -> bool:
    """Whether ``phrase`` (a tsquery of ``<->`` phrases over ``words``) is on one of the first PHRASE_SAMPLE pages
    at ``levels`` holding any of its phrases' words."""
    cur.execute("""SELECT 1 FROM (
                       SELECT s.tsv FROM trang_search s JOIN trang t ON t.id = s.trang_id
                       JOIN ho_so h ON h.id = t.ho_so_id
                       WHERE s.tsv @@ to_tsquery('simple', %s) AND h.muc_do_tiep_can = ANY(%s) LIMIT %s) sample
                   WHERE sample.tsv @@ to_tsquery('simple', %s) LIMIT 1""",
                (phrase.replace("<->", "&"), list(levels), PHRASE_SAMPLE, phrase))
    return cur.fetchone() is not None


def _tsquery(terms: list[str]) -> str:
    """An AND of quoted terms (terms are word characters only, so quoting makes them plain lexemes)."""
    return " & ".join(f"'{t}'" for t in terms)


# Matches are filtered first (access level, phông, year, …), at most RANK_CANDIDATES of them are ranked, and
# the text is read only for the hits returned: a very common word costs a bounded amount of work. A query with
# diacritics first draws up to RANK_CANDIDATES pages holding its words exactly as typed; only when they are fewer
# than the hits asked for (or a word was corrected) are folded matches drawn too. So the pages that rank first
# are among the candidates however many pages match folded, and no more than RANK_CANDIDATES are ranked then.
# 500, not 2,000: ranking (ts_rank_cd, the phrase test) is most of a common query's time. bench_processing.py
# --only search, 300,000 pages, 300 queries, shared and busy 2-core machine, p50 / p95 / max in ms: 2,000 →
# 83 / 197-200 / 316-333; 1,000 → 54-55 / 123-132 / 238-284; 500 → 41-53 / 101-163 / 196-317. The price: when
# more pages match, the best folded pages are sought among the first 500 drawn (exact matches are drawn first).
RANK_CANDIDATES = 500
# The index scan uses the words that narrow the pages down: every word on at most COMMON_SHARE of the pages, and
# the rarest further words on at most USEFUL_SHARE until there are FILTER_WORDS; the other words are checked on
# the candidates. When no word is on less than USEFUL_SHARE of the pages, pages are read in order instead.
COMMON_SHARE = 0.3
USEFUL_SHARE = 0.6
FILTER_WORDS = 3
# Score tiers (see the module docstring); ts_rank_cd normalised with flag 32 (rank / (rank + 1)) stays below 1.
EXACT_TIER = 2
PHRASE_TIER = 1
_FILTERS = """h.muc_do_tiep_can = ANY(%(levels)s)
      AND (%(phong)s::text IS NULL OR p.ma_phong = %(phong)s)
      AND (%(year)s::int IS NULL OR %(year)s BETWEEN extract(year FROM h.thoi_gian_bat_dau)
                                   AND extract(year FROM coalesce(h.thoi_gian_ket_thuc, h.thoi_gian_bat_dau)))
      AND (%(thbq)s::text IS NULL OR h.thoi_han_bao_quan = %(thbq)s)
      AND (%(mdtc)s::text IS NULL OR h.muc_do_tiep_can = %(mdtc)s)
      AND (%(ten_loai)s::text IS NULL OR EXISTS (
            SELECT 1 FROM van_ban v WHERE v.ho_so_id = h.id AND v.ten_loai = %(ten_loai)s))"""
_SEARCH_SQL = f"""
WITH q AS (SELECT to_tsquery('simple', %(tsquery)s) AS query, to_tsquery('simple', %(phrase)s) AS phrase,
                  to_tsquery('simple', %(exact)s) AS exact),
exact AS (
    SELECT e.trang_id
    FROM q, trang_search_exact e
    JOIN trang t ON t.id = e.trang_id
    JOIN ho_so h ON h.id = t.ho_so_id
    JOIN phong p ON p.id = h.phong_id
    WHERE %(exact_filter)s::text IS NOT NULL
      AND e.tsv @@ to_tsquery('simple', %(exact_filter)s) AND ts_match_vq(e.tsv, q.exact)
      AND {_FILTERS}
    LIMIT %(cap)s
),
folded AS (
    SELECT s.trang_id, s.tsv
    FROM q, trang_search s
    JOIN trang t ON t.id = s.trang_id
    JOIN ho_so h ON h.id = t.ho_so_id
    JOIN phong p ON p.id = h.phong_id
    WHERE ((SELECT count(*) FROM exact) < %(limit)s OR %(corrected)s)  -- enough exact matches: they rank first
      AND s.tsv @@ to_tsquery('simple', %(filter)s) AND ts_match_vq(s.tsv, q.query)
      AND {_FILTERS}
    LIMIT %(cap)s
),
candidates AS (  -- every exact match is drawn by "exact" (unless there are more than RANK_CANDIDATES)
    SELECT x.trang_id, s.tsv, 1 AS exact FROM exact x JOIN trang_search s ON s.trang_id = x.trang_id
    UNION ALL
    SELECT f.trang_id, f.tsv, 0 FROM folded f WHERE NOT EXISTS (SELECT 1 FROM exact x WHERE x.trang_id = f.trang_id)
),
top AS (
    SELECT c.trang_id,
           {EXACT_TIER} * c.exact + {PHRASE_TIER} * coalesce(c.tsv @@ q.phrase, false)::int
         + ts_rank_cd(c.tsv, q.query, 32) AS rank
    FROM candidates c CROSS JOIN q
    WHERE ts_match_vq(c.tsv, q.query)
    ORDER BY rank DESC, c.trang_id
    LIMIT %(limit)s
)
SELECT h.ma_ho_so, h.tieu_de, t.so_trang, top.rank, x.text, x.folded, h.muc_do_tiep_can
FROM top
JOIN trang t ON t.id = top.trang_id
JOIN ho_so h ON h.id = t.ho_so_id
JOIN trang_text x ON x.trang_id = top.trang_id
ORDER BY top.rank DESC, h.ma_ho_so, t.so_trang
"""


@dataclass(frozen=True)
class _Plan:
    """What one search sends to PostgreSQL: the SQL parameters and whether bitmap scans are worth it."""

    params: dict
    terms: list[str]
    typed: list[str | None]
    corrections: dict[str, str]
    bitmap: bool


def _plan(conn: Connection, query: str, levels: tuple[str, ...], filters: Filters, limit: int) -> _Plan:
    unknown = set(levels) - set(ACCESS_LEVELS)
    if unknown:
        raise SearchError(f"Mức độ tiếp cận không hợp lệ: {', '.join(sorted(unknown))}.")
    words = _query_words(query)
    terms = [folded for folded, _ in words]
    corrections = _correct(conn, terms, tuple(levels))
    effective = [corrections.get(t, t) for t in terms]
    with_diacritics = any(folded != typed for folded, typed in words)
    # a corrected word no longer stands for what was typed; the rest must match as typed
    typed = [w if with_diacritics and t not in corrections else None for t, (_, w) in zip(terms, words)]
    exact = [w for w in typed if w]
    with conn.cursor() as cur:
        selective = _selective_terms(cur, effective)
    # a word typed with diacritics is rarer than its folded form (on 300,000 pages "đã" narrowed 26,000 pages
    # holding "291" and "gm" to 840, checked row by row in 175 ms when it was left out of the index scan)
    exact_filter = [w for t, w in zip(effective, typed) if w and (t in selective or w != t)]
    params = {
        "tsquery": _tsquery(effective), "filter": _tsquery(selective or effective[:1]),
        "phrase": " <-> ".join(f"'{t}'" for t in effective) if len(effective) > 1 else None,
        "exact": _tsquery(exact) if exact else None, "exact_filter": _tsquery(exact_filter) if exact_filter else None,
        "levels": list(levels), "phong": filters.phong, "year": filters.year,
        "thbq": filters.thoi_han_bao_quan, "mdtc": filters.muc_do_tiep_can, "ten_loai": filters.ten_loai,
        "limit": max(1, min(limit, 200)), "cap": RANK_CANDIDATES,
        "corrected": bool(corrections),  # exact matches of the other words may then miss a corrected one
    }
    return _Plan(params, effective, typed, corrections, bitmap=bool(selective or exact_filter))


def search(conn: Connection, query: str, *, levels: tuple[str, ...] = (PUBLIC,), filters: Filters = Filters(),
           limit: int = 20) -> SearchResult:
    """Ranked pages matching every word of ``query`` (after typo correction), visible at ``levels``.

    Raises SearchError for an empty or over-long query, or an unknown access level.
    """
    plan = _plan(conn, query, levels, filters, limit)
    with conn.cursor() as cur:
        if not plan.bitmap:  # every word is on most pages: the first pages read already match
            cur.execute("SELECT set_config('enable_bitmapscan', 'off', true)")
        cur.execute(_SEARCH_SQL, plan.params)
        rows = cur.fetchall()
        if not plan.bitmap:
            cur.execute("SELECT set_config('enable_bitmapscan', 'on', true)")
    hits = [Hit(ma, title, page, float(rank), snippet(text, folded, plan.terms, typed=plan.typed), level)
            for ma, title, page, rank, text, folded, level in rows]
    return SearchResult(query=query, terms=plan.terms, corrections=plan.corrections, hits=hits)


def explain(conn: Connection, query: str, *, levels: tuple[str, ...] = (PUBLIC,), filters: Filters = Filters(),
            limit: int = 20) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the statement :func:`search` runs for ``query``: for benchmarks and operators."""
    plan = _plan(conn, query, levels, filters, limit)
    with conn.cursor() as cur:
        if not plan.bitmap:
            cur.execute("SELECT set_config('enable_bitmapscan', 'off', true)")
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + _SEARCH_SQL, plan.params)
        lines = [row[0] for row in cur.fetchall()]
        if not plan.bitmap:
            cur.execute("SELECT set_config('enable_bitmapscan', 'on', true)")
    return "\n".join(lines)


# A snippet's edges move to a word boundary when one is this close, so it neither starts nor ends mid-word.
SNAP_CHARS = 20


def snippet(text: str, folded: str, terms: list[str], width: int = 160,
            typed: list[str | None] | None = None) -> str:
    """About ``width`` characters of ``text`` centred on its best match, matches wrapped in «».

    The best match is the window of ``width`` characters holding the most distinct query words, then the most
    words written exactly as typed (``typed[i]`` is term i as typed, or None), then the earliest.
    """
    index = {t: i for i, t in reversed(list(enumerate(terms)))}  # a repeated term counts once
    pattern = "|".join(re.escape(t) for t in sorted(index, key=len, reverse=True))
    found = [(m.start(), m.end(), index[m.group()]) for m in re.finditer(rf"\b(?:{pattern})\b", folded)]
    if not found:
        return text[:width].replace("\n", " ") + ("…" if len(text) > width else "")

    exact = [bool(typed and typed[i]) and text[s:e].lower() == typed[i] for s, e, i in found]
    # one pass over the windows starting at each match (a common word is found 100 times on a page: comparing
    # every window anew cost 90 ms per search of 20 pages)
    counts: dict[int, int] = {}
    exacts, j, best, best_key = 0, 0, 0, None
    for k, (start_k, _, term_k) in enumerate(found):
        if j <= k:
            counts, exacts, j = {}, 0, k
        while j < len(found) and found[j][1] <= start_k + width:
            counts[found[j][2]] = counts.get(found[j][2], 0) + 1
            exacts += exact[j]
            j += 1
        key = (len(counts), exacts, -k)
        if best_key is None or key > best_key:
            best, best_key = k, key
        if k < j:
            counts[term_k] -= 1
            if not counts[term_k]:
                del counts[term_k]
            exacts -= exact[k]
    inside = [m for m in found[best:] if m[1] <= found[best][0] + width] or [found[best]]
    first, last = inside[0][0], max(m[1] for m in inside)
    start = max(0, min((first + last - width) // 2, len(text) - width, first))
    end = min(len(text), max(start + width, last))
    if start > 0:
        space = text.find(" ", start, min(first, start + SNAP_CHARS))
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.rfind(" ", max(last, end - SNAP_CHARS), end)
        end = space if space >= 0 else end
    out, cursor = [], start
    for s, e, _ in found:
        if s < cursor or e > end:
            continue
        out += [text[cursor:s], "«", text[s:e], "»"]
        cursor = e
    out.append(text[cursor:end])
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return prefix + "".join(out).replace("\n", " ") + suffix
