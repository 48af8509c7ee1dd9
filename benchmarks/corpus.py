"""A synthetic but realistic Japanese catalogue of any size, deterministic for a seed.

Nothing here is invented vocabulary: titles are recombined from the morphemes of the real titles
and subtitles in Aozora Bunko's catalogue (segmented with MeCab/UniDic through fugashi, each
morpheme with its reading), so a common word (の, 物語, 日記) is common and a rare one rare, as in
a real catalogue. Creators are recombined from the real family and given names in that catalogue
with their readings and romanised forms, drawn with a Zipf-like skew (a few authors have many
works); publishers and series come from its 底本 columns, weighted by how often they occur there.

On top of the literary titles Aozora gives, about a third of the records get the shape of
non-fiction titles in a public library (「はじめての…」, 「…入門」, 「図解…」), with katakana
loanwords; a few titles are in Latin script or carry a Latin word. Records get an NDC class, a
year skewed towards recent decades, most of them an ISBN, and some a subject (an NDC label).

A corpus is cached under var/bench/ keyed by its size, seed and the generator's version, so the
million-record corpus is made once (about a minute) and loaded in seconds afterwards.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import io
import pickle
import random
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from toshokan.catalog.domain.snapshots import CreatorSource, RecordSource
from toshokan.core.japanese.normalize import to_hiragana
from toshokan.core.japanese.romaji import kana_to_romaji

from . import paths

GENERATOR_VERSION = 3
END = -1

# Loanwords and acronyms common in a public library's non-fiction that a catalogue of pre-war
# literature lacks; segmented and read by UniDic like the rest.
_MODERN_WORDS = (
    "コンピュータ プログラミング デザイン ビジネス マネジメント ガイド ハンドブック レシピ ダイエット "
    "ストーリー ファンタジー ミステリー サイエンス テクノロジー データ ネットワーク インターネット "
    "システム エネルギー グローバル コミュニケーション キャリア マーケティング ヴァイオリン ピアノ "
    "サッカー ワイン コーヒー チーズ ケーキ クッキング ガーデニング トラベル ヨーロッパ アメリカ "
    "フランス イギリス ドイツ イタリア ロンドン パリ ニューヨーク アジア アフリカ モンスター ロボット "
    "ドラゴン プリンセス キッチン ホテル カフェ スポーツ オリンピック ゲーム アニメ マンガ ファッション "
    "メディア アート ミュージアム ライブラリー レッスン トレーニング ソフトウェア セキュリティ "
    "スマートフォン クラウド リーダーシップ メンタル ヘルスケア リハビリテーション ボランティア "
    "エコロジー サステナビリティ イノベーション ウイルス ワクチン ゲノム AI IT DNA SNS Web Excel "
    "Python Java CD DVD NHK JR"
)
MODERN_WORDS = _MODERN_WORDS.split()
NONFICTION_PREFIXES = (
    "はじめての", "図解", "よくわかる", "新しい", "実践", "日本の", "世界の", "現代", "子どものための",
    "やさしい", "最新", "イラストで学ぶ", "",
)  # fmt: skip
NONFICTION_SUFFIXES = (
    "入門", "の基礎", "ガイド", "ハンドブック", "事典", "図鑑", "の歴史", "研究", "概論", "読本", "の世界",
    "のすべて", "100のポイント", "講座", "教室", "完全ガイド", "の科学", "と社会", "論", "の本", "",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Corpus:
    """Records as compact tuples (see `to_source`) and the creators they point to."""

    size: int
    seed: int
    creators: list[tuple[str, str, str]]  # name, reading, romanised
    records: list[tuple]  # type: ignore[type-arg]
    seconds: float  # to generate (or load)
    cached: bool

    def sources(self, start: int = 0, stop: int | None = None) -> Iterator[RecordSource]:
        for rec in self.records[start:stop]:
            yield to_source(rec, self.creators)


def to_source(rec: tuple, creators: list[tuple[str, str, str]]) -> RecordSource:  # type: ignore[type-arg]
    (rid, title, reading, romanized, subtitle, subtitle_reading, original, series, publisher, year, ndc,
     links, isbn, subject) = rec  # fmt: skip
    return RecordSource(
        id=rid,
        title=title,
        title_reading=reading,
        title_romanized_auto=romanized,
        subtitle=subtitle,
        subtitle_reading=subtitle_reading,
        original_title=original,
        series=series,
        publisher=publisher,
        year=year,
        ndc=ndc,
        language="jpn",
        creators=tuple(
            CreatorSource(name=creators[i][0], reading=creators[i][1], romanized=creators[i][2], role=role)
            for i, role in links
        ),
        subjects=(subject,) if subject else (),
        identifiers=(("isbn", isbn),) if isbn else (),
    )


# -- vocabulary -----------------------------------------------------------------------------------
_KATAKANA = re.compile(r"^[\u30a0-\u30ffー・]+$")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]+")
_KANJI = re.compile(r"[\u3400-\u9fff]")
_BRACKETS = set("「」『』（）()〔〕［］[]【】〈〉《》“”\"'‘’")


class Vocabulary:
    """Morphemes of real titles with readings and romaji, and what follows what."""

    def __init__(self, catalogue: Path, ndc_summary: Path | None) -> None:
        import fugashi

        self._tagger = fugashi.Tagger()
        self.morphemes: list[tuple[str, str, str, bool]] = []  # surface, reading, romaji, is_latin
        self._ids: dict[tuple[str, str], int] = {}
        self.follows: dict[int, list[int]] = {}
        self.starts: list[int] = []
        self.unigrams: list[int] = []
        self.nouns: list[int] = []
        works: dict[str, dict[str, str]] = {}
        people: dict[str, dict[str, str]] = {}
        with io.TextIOWrapper(gzip.open(catalogue, "rb"), encoding="utf-8-sig", newline="") as stream:
            for row in csv.DictReader(stream):
                works.setdefault(row["作品ID"], row)
                people.setdefault(row["人物ID"], row)
        publishers: Counter[str] = Counter()
        series: Counter[str] = Counter()
        ndc: Counter[str] = Counter()
        latin: Counter[str] = Counter()
        for row in works.values():
            for text in (row["作品名"], row["副題"]):
                if text:
                    self._learn(self.segment(text))
            parts = [p.strip() for p in row["底本出版社名1"].split("、") if p.strip()]
            if parts:
                publishers[parts[-1]] += 1
                if len(parts) > 1:
                    series[parts[0]] += 1
            book = row["底本名1"].split("\u3000")[0].strip()
            if book.endswith(("全集", "著作集", "作品集", "選集", "文庫", "叢書", "大系")):
                series[book] += 1
            m = re.search(r"(\d{3})", row["分類番号"])
            if m:
                ndc[m.group(1)] += 1
            for word in _LATIN_WORD.findall(row["原題"]):
                latin[word.capitalize()] += 1
        self.modern = [self.segment(w) for w in MODERN_WORDS]
        self.prefixes = [self.segment(p) for p in NONFICTION_PREFIXES]
        self.suffixes = [self.segment(s) for s in NONFICTION_SUFFIXES]
        self.publishers = _weighted(publishers)
        self.series = _weighted(series)
        self.aozora_ndc = _weighted(ndc)
        self.latin_words = [w for w, _ in latin.most_common(3000)]
        self.ndc_sections, self.ndc_labels = _ndc_sections(ndc_summary)
        self.japanese_family: list[tuple[str, str, str]] = []
        self.japanese_given: list[tuple[str, str, str]] = []
        self.foreign_family: list[tuple[str, str, str]] = []
        self.foreign_given: list[tuple[str, str, str]] = []
        for row in people.values():
            family = (row["姓"].strip(), row["姓読み"].strip(), row["姓ローマ字"].strip())
            given = (row["名"].strip(), row["名読み"].strip(), row["名ローマ字"].strip())
            if not family[0]:
                continue
            if _KATAKANA.match(family[0]):
                self.foreign_family.append(family)
                if given[0]:
                    self.foreign_given.append(given)
            elif _KANJI.search(family[0]):
                self.japanese_family.append(family)
                if given[0]:
                    self.japanese_given.append(given)

    def segment(self, text: str) -> list[int]:
        ids: list[int] = []
        for word in self._tagger(text):
            f = word.feature
            surface = word.surface
            pos = f.pos1
            if surface in _BRACKETS:
                continue  # recombined, brackets would rarely pair up
            if pos == "補助記号" or pos == "空白":
                mid = self._morpheme(surface, "", "", False)
            elif getattr(f, "kana", None) and f.kana != "*":
                reading = surface if _KATAKANA.match(surface) else to_hiragana(f.kana)
                sound = f.pron if pos == "助詞" and f.pron and f.pron != "*" else f.kana
                mid = self._morpheme(surface, reading, kana_to_romaji(sound).strip(), False)
            else:
                is_latin = bool(_LATIN_WORD.fullmatch(surface))
                mid = self._morpheme(surface, surface, surface.lower() if surface.isascii() else "", is_latin)
            ids.append(mid)
            if pos == "名詞" and f.pos2 in ("普通名詞", "固有名詞") and len(surface) >= 2:
                self.nouns.append(mid)
        return ids

    def _morpheme(self, surface: str, reading: str, romaji: str, is_latin: bool) -> int:
        key = (surface, reading)
        mid = self._ids.get(key)
        if mid is None:
            mid = self._ids[key] = len(self.morphemes)
            self.morphemes.append((surface, reading, romaji, is_latin))
        return mid

    def _learn(self, ids: list[int]) -> None:
        if not ids:
            return
        self.starts.append(ids[0])
        for a, b in zip(ids, [*ids[1:], END], strict=True):
            self.follows.setdefault(a, []).append(b)
        self.unigrams.extend(i for i in ids if self.morphemes[i][1])


def _weighted(counter: Counter[str]) -> tuple[list[str], list[float]]:
    items = counter.most_common()
    values = [v for v, _ in items]
    cumulative: list[float] = []
    total = 0.0
    for _, n in items:
        total += n
        cumulative.append(total)
    return values, cumulative


def _ndc_sections(path: Path | None) -> tuple[list[str], dict[str, str]]:
    if path is None:
        return [f"{i:03d}" for i in range(0, 1000, 10)], {}
    labels: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if len(row["notation"]) == 3 and row["notation"].isdigit():
                labels[row["notation"]] = row["label_ja"]
    return sorted(labels), labels


# -- generation -----------------------------------------------------------------------------------
class Generator:
    def __init__(self, vocab: Vocabulary, seed: int, size: int) -> None:
        self.v = vocab
        self.rng = random.Random(seed)
        self.size = size
        self.creators = self._creators(max(500, size // 8))
        # Zipf-like: the creator of rank r is drawn with weight 1 / (r + 1).
        total = 0.0
        self._creator_cw: list[float] = []
        for r in range(len(self.creators)):
            total += 1.0 / (r + 1)
            self._creator_cw.append(total)
        self._japanese = [i for i, c in enumerate(self.creators) if not c[0].count("・")]
        self._translator_cw = self._creator_cw[: len(self._japanese)]

    def _creators(self, n: int) -> list[tuple[str, str, str]]:
        rng, v = self.rng, self.v
        out: list[tuple[str, str, str]] = []
        seen: set[str] = set()
        while len(out) < n:
            if rng.random() < 0.15 and v.foreign_family and v.foreign_given:
                fam, giv = rng.choice(v.foreign_family), rng.choice(v.foreign_given)
                name = f"{giv[0]}・{fam[0]}"
                reading = f"{giv[1]}・{fam[1]}"
                romanized = f"{giv[2]} {fam[2]}".strip()
            else:
                fam, giv = rng.choice(v.japanese_family), rng.choice(v.japanese_given)
                name = fam[0] + giv[0]
                reading = f"{fam[1]} {giv[1]}".strip()
                romanized = f"{fam[2]} {giv[2]}".strip()
            if name in seen:
                continue
            seen.add(name)
            out.append((name, reading, romanized))
        rng.shuffle(out)
        return out

    def _pick(self, weighted: tuple[list[str], list[float]]) -> str:
        values, cw = weighted
        return values[bisect.bisect_right(cw, self.rng.random() * cw[-1])]

    def _markov(self, limit: int) -> list[int]:
        rng, v = self.rng, self.v
        parts = [rng.choice(v.starts)]
        while len(parts) < limit:
            if rng.random() < 0.3:
                nxt = rng.choice(v.unigrams)
            else:
                nxt = rng.choice(v.follows.get(parts[-1], (END,)))
            if nxt == END:
                break
            parts.append(nxt)
        return parts

    def _nonfiction(self) -> list[int]:
        rng, v = self.rng, self.v
        topic: list[int] = []
        for _ in range(1 if rng.random() < 0.7 else 2):
            topic += rng.choice(v.modern) if rng.random() < 0.3 else [rng.choice(v.nouns)]
        return rng.choice(v.prefixes) + topic + rng.choice(v.suffixes)

    def _render(self, ids: list[int]) -> tuple[str, str, str]:
        m = self.v.morphemes
        surface: list[str] = []
        reading: list[str] = []
        romaji: list[str] = []
        prev_latin = False
        for i in ids:
            s, r, ro, is_latin = m[i]
            if is_latin and prev_latin:
                surface.append(" ")
                reading.append(" ")
            surface.append(s)
            reading.append(r)
            if ro:
                romaji.append(ro)
            prev_latin = is_latin
        text = "".join(surface)
        romanized = " ".join(romaji)
        return text, "".join(reading), romanized[:1].upper() + romanized[1:]

    def record(self, rid: int) -> tuple:  # type: ignore[type-arg]
        rng, v = self.rng, self.v
        roll = rng.random()
        original = ""
        if roll < 0.02 and v.latin_words:
            words = [rng.choice(v.latin_words) for _ in range(rng.randint(1, 5))]
            title = " ".join(words)
            reading, romanized = "", ""
        else:
            if roll < 0.35:
                ids = self._nonfiction()
            elif roll < 0.38:
                # A Latin word or acronym in a Japanese title: 「Python入門」, 「DNAの科学」.
                ids = rng.choice(v.modern[-12:]) + rng.choice(v.suffixes)
            else:
                ids = self._markov(8)
            title, reading, romanized = self._render(ids)
            if not title.strip():
                title, reading, romanized = self._render(self._nonfiction())
        subtitle = subtitle_reading = ""
        if rng.random() < 0.25:
            subtitle, subtitle_reading, _ = self._render(self._markov(5))
        series = self._pick(v.series) if rng.random() < 0.2 and v.series[0] else ""
        publisher = self._pick(v.publishers) if v.publishers[0] else ""
        year = max(1868, 2024 - int(abs(rng.gauss(0, 28))))
        if rng.random() < 0.4 and v.aozora_ndc[0]:
            ndc = self._pick(v.aozora_ndc)
        else:
            ndc = rng.choice(v.ndc_sections)
        subject = v.ndc_labels.get(ndc, "") if rng.random() < 0.3 else ""
        cw = self._creator_cw
        first = bisect.bisect_right(cw, rng.random() * cw[-1])
        links: list[tuple[int, str]] = [(first, "author")]
        foreign = "・" in self.creators[first][0]
        if foreign and rng.random() < 0.1:
            original = " ".join(rng.choice(v.latin_words) for _ in range(rng.randint(1, 4)))
        extra = rng.random()
        if (foreign and extra < 0.6) or extra < 0.12:
            tcw = self._translator_cw
            second = self._japanese[bisect.bisect_right(tcw, rng.random() * tcw[-1])]
            if second != first:
                links.append((second, "translator" if foreign else "author"))
            if extra < 0.03:
                third = bisect.bisect_right(cw, rng.random() * cw[-1])
                if third not in (first, second):
                    links.append((third, "editor"))
        isbn = ""
        if year >= 1970 and rng.random() < 0.85:
            core = f"9784{rng.randrange(10**8):08d}"
            check = (10 - sum(int(d) * (1 if k % 2 == 0 else 3) for k, d in enumerate(core)) % 10) % 10
            isbn = f"{core}{check}"
        return (rid, title, reading, romanized, subtitle, subtitle_reading, original, series, publisher, year, ndc,
                tuple(links), isbn, subject)  # fmt: skip


def vocabulary() -> Vocabulary:
    catalogue = paths.find_data(paths.AOZORA_CATALOGUE)
    if catalogue is None:
        raise FileNotFoundError(
            f"the Aozora catalogue ({paths.AOZORA_CATALOGUE}) is in neither data directory"
        )
    return Vocabulary(catalogue, paths.find_data(paths.NDC_SUMMARY))


def cache_path(size: int, seed: int) -> Path:
    return paths.bench_dir() / f"corpus-v{GENERATOR_VERSION}-n{size}-s{seed}.pickle"


def generate(size: int, seed: int = 1, *, cache: bool = True) -> Corpus:
    """`size` records with ids 1…size; the same size and seed always give the same records."""
    started = time.perf_counter()
    path = cache_path(size, seed)
    if cache and path.exists():
        with open(path, "rb") as f:
            creators, records = pickle.load(f)
        return Corpus(size, seed, creators, records, time.perf_counter() - started, cached=True)
    gen = Generator(vocabulary(), seed, size)
    records = [gen.record(rid) for rid in range(1, size + 1)]
    if cache:
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            pickle.dump((gen.creators, records), f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    return Corpus(size, seed, gen.creators, records, time.perf_counter() - started, cached=False)
