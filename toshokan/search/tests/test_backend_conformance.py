"""One suite for every search backend: each must match, count, filter, sort and facet the same way.

The rule is toshokan.search.domain.query's ("Matching rule"): a record matches when every term
occurs as a contiguous run of its match key in one indexed value (one-character terms in the
fields that have unigrams, Latin terms also in the romaji keys), or is an ISBN the record carries.
`brute_force` below states that rule over SearchDocuments directly; the backends must agree with
it exactly. Tantivy always runs; PostgreSQL when the test database is PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toshokan.catalog.domain.snapshots import CreatorSource, HoldingSource, RecordSource
from toshokan.search.backends.base import EngineResult, SearchBackend
from toshokan.search.backends.tantivy_backend import (
    ROMAJI_FIELDS,
    SURFACE_FIELDS,
    UNIGRAM_FIELDS,
    TantivyBackend,
)
from toshokan.search.domain.documents import SearchDocument, build_document
from toshokan.search.domain.query import Filters, ParsedQuery, SearchRequest, Sort, Term, parse_query

pytestmark = pytest.mark.django_db

SOSEKI = CreatorSource(name="夏目漱石", reading="なつめ そうせき", romanized="Natsume Soseki", role="author")
OGAI = CreatorSource(name="森鷗外", reading="もり おうがい", romanized="Mori Ogai", role="author")
AKUTAGAWA = CreatorSource(
    name="芥川竜之介", reading="あくたがわ りゅうのすけ", romanized="Akutagawa Ryunosuke", role="author"
)


@pytest.fixture(params=["tantivy", "postgres"])
def backend(request: pytest.FixtureRequest, search_index: Path) -> SearchBackend:
    if request.param == "tantivy":
        return TantivyBackend(search_index)
    if connection.vendor != "postgresql":
        pytest.skip("the postgres backend needs a PostgreSQL test database (DATABASE_URL=postgres://…)")
    from toshokan.search.backends.postgres_backend import PostgresBackend

    return PostgresBackend()


# -- helpers ---------------------------------------------------------------------------------
def rec(record_id: int, title: str, **fields: object) -> RecordSource:
    return RecordSource(id=record_id, title=title, **fields)  # type: ignore[arg-type]


def load(backend: SearchBackend, *sources: RecordSource) -> list[SearchDocument]:
    docs = [build_document(s) for s in sources]
    backend.rebuild(iter(docs))
    return docs


def search(backend: SearchBackend, q: str = "", **options: object) -> EngineResult:
    filters = options.pop("filters", Filters())
    limit = options.pop("limit", 100)
    request = SearchRequest(q=q, filters=filters, limit=limit, **options)  # type: ignore[arg-type]
    return backend.search(parse_query(q), request)


def ids(result: EngineResult) -> list[int]:
    return [h.id for h in result.hits]


def term_matches(doc: SearchDocument, term: Term) -> bool:
    """The matching rule for one term, stated over the document's match keys."""
    if term.key:
        fields = UNIGRAM_FIELDS if len(term.key) == 1 else SURFACE_FIELDS
        if any(term.key in value for name in fields for value in getattr(doc, name)):
            return True
    if len(term.romaji) >= 2 and any(
        term.romaji in value for name in ROMAJI_FIELDS for value in getattr(doc, name)
    ):
        return True
    return bool(term.isbn) and f"isbn:{term.isbn}" in doc.identifiers


def brute_force(docs: Iterable[SearchDocument], query: ParsedQuery) -> set[int]:
    return {d.id for d in docs if all(term_matches(d, t) for t in query.terms)}


def brute_force_facets(docs: Iterable[SearchDocument]) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter[str]] = {
        name: Counter()
        for name in ("ndc", "material_type", "language", "branch", "available", "online", "decade")
    }
    for d in docs:
        digits = "".join(c for c in d.ndc if c.isdigit())
        if digits:
            counts["ndc"][digits[0]] += 1
        counts["material_type"][d.material_type or "book"] += 1
        if d.language:
            counts["language"][d.language] += 1
        counts["branch"].update(d.branches)
        counts["available"].update(d.available_at)
        counts["online"]["1" if d.online else "0"] += 1
        if d.year is not None:
            counts["decade"][str(d.year // 10 * 10)] += 1
    return {name: dict(c) for name, c in counts.items()}


# -- a small catalogue -----------------------------------------------------------------------
def catalogue() -> list[RecordSource]:
    return [
        rec(1, "吾輩は猫である", title_reading="わがはいはねこである", creators=(SOSEKI,), year=1905, ndc="913.6",
            language="jpn", identifiers=(("isbn", "9784101010014"),),
            holdings=(HoldingSource("central", "available"), HoldingSource("east", "on_loan")), has_etext=True),
        rec(2, "こころ", title_reading="こころ", creators=(SOSEKI,), year=1914, ndc="913.6", language="jpn",
            holdings=(HoldingSource("east", "on_loan"),), has_etext=True),
        rec(3, "舞姫", title_reading="まいひめ", creators=(OGAI,), year=1890, ndc="913.6", language="jpn",
            holdings=(HoldingSource("west", "available"),)),
        rec(4, "羅生門", title_reading="らしょうもん", creators=(AKUTAGAWA,), year=1915, ndc="913.6", language="jpn",
            identifiers=(("isbn", "9784003101018"),), holdings=(HoldingSource("central", "available"),)),
        rec(5, "東京都の歴史", title_reading="とうきょうとのれきし", year=1998, ndc="213.6", language="jpn",
            material_type="book", holdings=(HoldingSource("central", "on_loan"),)),
        rec(6, "東京と京都", title_reading="とうきょうときょうと", year=2003, ndc="291.3", language="jpn",
            material_type="map"),
        rec(7, "日本文學の發生", title_reading="にほんぶんがくのはっせい", year=1947, ndc="910.2", language="jpn"),
        rec(8, "ハンスの冒険", title_reading="はんすのぼうけん", year=1960, ndc="949", language="ger",
            material_type="audio"),
        rec(9, "D坂の殺人事件", title_reading="でいざかのさつじんじけん", year=1925, ndc="913.6", language="jpn"),
        rec(10, "Lord Jim", year=1900, ndc="933", language="eng", subjects=("海洋小説",), publisher="Blackwood"),
        rec(11, "猫", title_reading="ねこ", year=None, ndc="", language="", material_type="serial"),
        rec(12, "芥川竜之介論", title_reading="あくたがわりゅうのすけろん", year=1960, ndc="910.268",
            language="jpn", creators=(CreatorSource(name="吉田精一", reading="よしだ せいいち", role="author"),)),
        rec(13, "こころの旅", title_reading="こころのたび", year=1980, ndc="159", language="jpn"),
        rec(14, "旅のこころ", title_reading="たびのこころ", year=1981, ndc="159", language="jpn"),
    ]  # fmt: skip


@pytest.fixture
def docs(backend: SearchBackend) -> list[SearchDocument]:
    return load(backend, *catalogue())


# -- matching and exact counts ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # Three characters never match their overlapping pairs apart.
        ("東京都", {5}),
        ("東京", {5, 6}),
        ("京都", {5, 6}),
        ("京と", {6}),
        # 1-character terms: at the start, in the middle, at the end of a value, and a whole value.
        ("猫", {1, 11}),
        ("吾", {1}),
        ("輩", {1}),
        ("門", {4}),
        ("ね", {1, 11}),
        ("旅", {13, 14}),
        # 2-character terms.
        ("舞姫", {3}),
        ("ここ", {2, 13, 14}),
        ("姫舞", set()),
        # Readings in hiragana or katakana, half-width katakana.
        ("ネコ", {1, 11}),
        ("まいひめ", {3}),
        ("マイヒメ", {3}),
        ("ﾊﾝｽ", {8}),
        # Width variants of Latin letters.
        ("Ｄ坂", {9}),
        ("ｌｏｒｄ", {10}),
        # Old and new kanji, both ways.
        ("日本文学", {7}),
        ("發生", {7}),
        ("鴎外", {3}),
        ("森鷗外", {3}),
        # Romaji with and without spaces, macrons, doubled vowels, any order.
        ("wagahai wa neko de aru", {1}),
        ("wagahaihanekodearu", {1}),
        ("Sōseki", {1, 2}),
        ("souseki", {1, 2}),
        ("natsume soseki", {1, 2}),
        ("soseki natsume", {1, 2}),
        ("rashomon", {4}),
        ("Ōgai", {3}),
        # Author and title terms in any order.
        ("漱石 こころ", {2}),
        ("こころ 漱石", {2}),
        ("夏目 猫", {1}),
        ("芥川 羅生門", {4}),
        ("芥川", {4, 12}),
        # ISBN as a term, 13 or 10 digits, with or without hyphens.
        ("9784101010014", {1}),
        ("978-4-00-310101-8", {4}),
        ("4101010013", {1}),
        # Publisher and subjects.
        ("blackwood", {10}),
        ("海洋", {10}),
        # Every term must match.
        ("猫 舞姫", set()),
        ("東京 歴史", {5}),
    ],
)
def test_totals_are_exact(
    backend: SearchBackend, docs: list[SearchDocument], q: str, expected: set[int]
) -> None:
    result = search(backend, q)
    assert brute_force(docs, parse_query(q)) == expected, "the expectation itself must follow the rule"
    assert result.total == len(expected)
    assert set(ids(result)) == expected


def test_a_term_never_runs_from_one_value_into_the_next(backend: SearchBackend) -> None:
    # subjects 日本史 and 史学 stand side by side in one field; creators 山田 and 花子 likewise.
    docs = load(
        backend,
        rec(1, "記録", subjects=("日本史", "史学"),
            creators=(CreatorSource(name="山田", role="author"), CreatorSource(name="花子", role="author"))),
    )  # fmt: skip
    for q, expected in [
        ("日本史", 1),
        ("史学", 1),
        ("史史", 0),
        ("本史学", 0),
        # Longer keys are asked as every other bigram: still never across two values.
        ("本史史学", 0),
        ("日本史史学", 0),
        ("日本史史", 0),
        ("山田", 1),
        ("田花", 0),
        ("山田花子", 0),
    ]:
        assert brute_force(docs, parse_query(q)) == ({1} if expected else set())
        assert search(backend, q).total == expected, q


def test_a_romaji_term_never_runs_from_one_value_into_the_next(backend: SearchBackend) -> None:
    # Two authors' romaji (konaka, mokuan) stand side by side in one field.
    docs = load(
        backend,
        rec(1, "記録", creators=(
            CreatorSource(name="小中", reading="こなか", role="author"),
            CreatorSource(name="木庵", reading="もくあん", role="author"),
        )),
    )  # fmt: skip
    for q, expected in [
        ("konaka", 1),
        ("mokuan", 1),
        ("naka", 1),  # inside a value, not at its start
        ("ka", 1),  # two letters that end a value
        ("ko", 1),  # two letters that start one
        ("an", 1),
        ("kamo", 0),  # the end of one name and the start of the next
        ("nakamo", 0),
        ("konakamokuan", 0),
        ("am", 0),
    ]:
        assert brute_force(docs, parse_query(q)) == ({1} if expected else set()), q
        assert search(backend, q).total == expected, q


def test_a_ranking_bonus_never_makes_a_record_match(backend: SearchBackend) -> None:
    # The author bonus compares a term with the author's whole keys; that must rank, not match.
    # (takamurakoun is the stored romaji key of Takamura Kouun, but the typed word's own romaji
    # key is takamurakon, which occurs nowhere, so the record does not match it.)
    kouun = CreatorSource(
        name="高村光雲", reading="たかむら こううん", romanized="Takamura Kouun", role="author"
    )
    docs = load(backend, rec(1, "竹の木", creators=(kouun,)))
    for q in ["takamurakoun", "takamura kouun", "kouun", "高村光雲", "たかむらこううん"]:
        assert search(backend, q).total == len(brute_force(docs, parse_query(q))), q


def test_a_title_and_its_subtitle_are_found_joined_too(backend: SearchBackend) -> None:
    load(backend, rec(1, "東京", subtitle="都の歴史"))
    assert search(backend, "東京都").total == 1
    assert search(backend, "都の歴史").total == 1


def test_a_query_without_terms_finds_everything_in_reading_order(
    backend: SearchBackend, docs: list[SearchDocument]
) -> None:
    result = search(backend, "")
    assert result.total == len(docs)
    readings = [next(d.sort_reading or "\uffff" for d in docs if d.id == i) for i in ids(result)]
    assert readings == sorted(readings)


# -- filters ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(ndc=("9",)), {1, 2, 3, 4, 7, 8, 9, 10, 12}),
        (Filters(ndc=("91",)), {1, 2, 3, 4, 7, 9, 12}),
        (Filters(ndc=("913",)), {1, 2, 3, 4, 9}),
        (Filters(ndc=("913.6",)), {1, 2, 3, 4, 9}),
        (Filters(ndc=("2", "15")), {5, 6, 13, 14}),
        (Filters(material_type=("map",)), {6}),
        (Filters(material_type=("audio", "serial")), {8, 11}),
        (Filters(language=("eng",)), {10}),
        (Filters(language=("ger", "eng")), {8, 10}),
        (Filters(branch=("east",)), {1, 2}),
        (Filters(branch=("west", "central")), {1, 3, 4, 5}),
        (Filters(available=True), {1, 3, 4}),
        (Filters(available=True, branch=("east",)), set()),
        (Filters(available=True, branch=("central",)), {1, 4}),
        (Filters(online=True), {1, 2}),
        (Filters(year_from=1914), {2, 4, 5, 6, 7, 8, 9, 12, 13, 14}),
        (Filters(year_to=1900), {3, 10}),
        (Filters(year_from=1905, year_to=1915), {1, 2, 4}),
        (Filters(year_from=1960, year_to=1960), {8, 12}),
        (Filters(online=True, year_from=1910), {2}),
    ],
)
def test_each_filter_narrows_a_query_without_terms(
    backend: SearchBackend, docs: list[SearchDocument], filters: Filters, expected: set[int]
) -> None:
    result = search(backend, "", filters=filters)
    assert result.total == len(expected)
    assert set(ids(result)) == expected


def test_filters_combine_with_terms(backend: SearchBackend, docs: list[SearchDocument]) -> None:
    assert set(ids(search(backend, "漱石", filters=Filters(available=True)))) == {1}
    assert set(ids(search(backend, "漱石", filters=Filters(year_from=1910)))) == {2}
    assert set(ids(search(backend, "東京", filters=Filters(material_type=("map",))))) == {6}
    assert search(backend, "東京", filters=Filters(ndc=("9",))).total == 0


# -- sorting and paging ----------------------------------------------------------------------
def test_reading_order_is_gojuon_with_records_without_a_reading_last(backend: SearchBackend) -> None:
    load(
        backend,
        rec(1, "さくら", title_reading="さくら"),
        rec(2, "あさがお", title_reading="あさがお"),
        rec(3, "カラス", title_reading="カラス"),
        rec(4, "ん", title_reading="ん"),
        rec(5, "がっこう", title_reading="がっこう"),
    )
    assert ids(search(backend, "", sort=Sort.READING)) == [2, 3, 5, 1, 4]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [(Sort.YEAR_DESC, [3, 1, 2, 4]), (Sort.YEAR_ASC, [2, 1, 3, 4])],
)
def test_year_orders_put_records_without_a_year_last(
    backend: SearchBackend, sort: Sort, expected: list[int]
) -> None:
    load(
        backend,
        rec(1, "本の一", year=1950),
        rec(2, "本の二", year=1890),
        rec(3, "本の三", year=2020),
        rec(4, "本の四"),
    )
    result = search(backend, "本", sort=sort)
    assert ids(result) == expected
    assert all(h.score == 0.0 for h in result.hits)


def test_paging_returns_consecutive_slices_of_one_order(
    backend: SearchBackend, docs: list[SearchDocument]
) -> None:
    whole = ids(search(backend, "", sort=Sort.READING))
    pages = [ids(search(backend, "", sort=Sort.READING, limit=4, offset=o)) for o in range(0, len(whole), 4)]
    assert [i for page in pages for i in page] == whole
    empty = search(backend, "", limit=0)
    assert empty.hits == [] and empty.total == len(docs)
    assert search(backend, "", offset=len(docs)).hits == []


# -- relevance -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("こころ", 2),  # the whole title before titles that contain it
        ("こころの旅", 13),
        ("舞姫", 3),
        ("猫", 11),  # a one-character title that is the term
        ("芥川竜之介", 4),  # a work by him before a work about him
        ("9784101010014", 1),
        ("natsume soseki kokoro", 2),
    ],
)
def test_the_obvious_record_ranks_first(
    backend: SearchBackend, docs: list[SearchDocument], q: str, first: int
) -> None:
    result = search(backend, q)
    assert ids(result)[0] == first
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)


def test_a_title_that_starts_with_the_term_ranks_above_one_that_contains_it(backend: SearchBackend) -> None:
    load(backend, rec(1, "夜の銀河鉄道"), rec(2, "銀河鉄道の夜"))
    assert ids(search(backend, "銀河鉄道")) == [2, 1]


def test_a_title_with_the_marks_typed_ranks_above_the_same_letters_without_them(
    backend: SearchBackend,
) -> None:
    load(backend, rec(1, "白き夢"), rec(2, "「白き夢」"), rec(3, "白き夢の話"))
    result = search(backend, "「白き夢」")
    assert result.total == 3
    assert ids(result)[0] == 2


# -- facets ----------------------------------------------------------------------------------
@pytest.mark.parametrize("q", ["", "東京", "こころ", "漱石", "の", "猫", "nothing-matches-this"])
def test_facets_count_the_whole_match_set(backend: SearchBackend, docs: list[SearchDocument], q: str) -> None:
    result = search(backend, q, limit=1)
    matched = brute_force(docs, parse_query(q))
    expected = brute_force_facets(d for d in docs if d.id in matched)
    assert result.total == len(matched)
    assert result.facets == expected


def test_facets_under_a_filter_count_the_filtered_set(
    backend: SearchBackend, docs: list[SearchDocument]
) -> None:
    result = search(backend, "", filters=Filters(branch=("central",)))
    assert result.facets == brute_force_facets(d for d in docs if "central" in d.branches)


def test_facets_can_be_left_out(backend: SearchBackend, docs: list[SearchDocument]) -> None:
    result = search(backend, "東京", facets=False)
    assert result.total == 2 and result.facets == {}


def test_facets_agree_with_brute_force_on_a_bigger_catalogue(backend: SearchBackend) -> None:
    from .backends.corpus import sources

    docs = [build_document(s) for s in sources(400, seed=3)]
    backend.rebuild(iter(docs))
    for q in ["", "の", "山", "物語", "nothing"]:
        parsed = parse_query(q)
        matched = brute_force(docs, parsed)
        result = search(backend, q, limit=5)
        assert result.total == len(matched), q
        assert result.facets == brute_force_facets(d for d in docs if d.id in matched), q


# -- writes ----------------------------------------------------------------------------------
def test_index_and_delete_are_visible_at_once(backend: SearchBackend, docs: list[SearchDocument]) -> None:
    backend.index([build_document(rec(100, "銀河鉄道の夜", title_reading="ぎんがてつどうのよる"))])
    assert ids(search(backend, "銀河")) == [100]
    assert backend.count() == len(docs) + 1
    # Indexing a record again replaces it.
    backend.index([build_document(rec(100, "風の又三郎", title_reading="かぜのまたさぶろう"))])
    assert search(backend, "銀河").total == 0
    assert ids(search(backend, "又三郎")) == [100]
    assert backend.count() == len(docs) + 1
    backend.delete([100, 2])
    assert search(backend, "又三郎").total == 0
    assert set(ids(search(backend, "こころ"))) == {13, 14}
    assert backend.count() == len(docs) - 1
    backend.index([])
    backend.delete([])
    assert backend.count() == len(docs) - 1


def test_a_status_change_moves_a_record_in_and_out_of_available(backend: SearchBackend) -> None:
    load(backend, rec(1, "こころ", holdings=(HoldingSource("central", "available"),)))
    assert search(backend, "", filters=Filters(available=True)).total == 1
    backend.index([build_document(rec(1, "こころ", holdings=(HoldingSource("central", "on_loan"),)))])
    assert search(backend, "", filters=Filters(available=True)).total == 0
    assert search(backend, "", filters=Filters(branch=("central",))).total == 1


def test_rebuild_replaces_everything(backend: SearchBackend, docs: list[SearchDocument]) -> None:
    progress: list[int] = []
    backend.rebuild(
        iter([build_document(rec(200, "山椒大夫")), build_document(rec(201, "高瀬舟"))]),
        on_progress=progress.append,
    )
    assert sum(progress) == 2
    assert backend.count() == 2
    assert search(backend, "").total == 2
    assert search(backend, "猫").total == 0
    assert ids(search(backend, "高瀬")) == [201]
    # The rebuilt index takes incremental changes as before.
    backend.index([build_document(rec(202, "雁"))])
    assert ids(search(backend, "雁")) == [202]


def test_clear_empties_the_index(backend: SearchBackend, docs: list[SearchDocument]) -> None:
    backend.clear()
    assert backend.count() == 0
    assert search(backend, "").total == 0


# -- property: totals equal the brute-force count ---------------------------------------------
ALPHABET = "東京都京山川田日本のあいうアイウ猫ねこ"
texts = st.text(alphabet=ALPHABET, min_size=1, max_size=8)
records = st.lists(
    st.tuples(texts, st.lists(texts, max_size=2), st.lists(texts, max_size=2), st.lists(texts, max_size=2)),
    min_size=1,
    max_size=12,
)


@st.composite
def corpus_and_query(draw: st.DrawFn) -> tuple[list[RecordSource], str]:
    rows = draw(records)
    sources = [
        rec(
            i,
            title,
            subtitle=subtitles[0] if subtitles else "",
            title_reading=readings[0] if readings else "",
            creators=tuple(CreatorSource(name=n, role="author") for n in names),
        )
        for i, (title, subtitles, readings, names) in enumerate(rows, start=1)
    ]
    # Terms are mostly pieces of indexed text (so that they match something), sometimes anything.
    pool = [t for row in rows for t in (row[0], *row[1], *row[2], *row[3])]
    n_terms = draw(st.integers(1, 3))
    terms = []
    for _ in range(n_terms):
        text = draw(st.sampled_from(pool))
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, len(text)))
        terms.append(draw(st.one_of(st.just(text[start:end]), texts)))
    return sources, " ".join(terms)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=corpus_and_query())
def test_totals_equal_the_brute_force_count(
    backend: SearchBackend, case: tuple[list[RecordSource], str]
) -> None:
    sources, q = case
    docs = load(backend, *sources)
    expected = brute_force(docs, parse_query(q))
    result = search(backend, q)
    assert result.total == len(expected)
    assert set(ids(result)) == expected
