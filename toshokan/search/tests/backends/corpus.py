"""A synthetic catalogue for measuring search backends: the real Aozora Bunko titles and people,
recombined into as many records as asked for, each built into a SearchDocument by the same
`build_document` the product uses.

Deterministic for a given size and seed, so two backends (or two runs) see the same records.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from toshokan.catalog.domain.records import BibRecord
from toshokan.catalog.domain.snapshots import CreatorSource, HoldingSource, RecordSource
from toshokan.search.domain.documents import SearchDocument, build_document

AOZORA = Path(__file__).resolve().parents[4] / "data" / "aozora" / "list_person_all_extended_utf8.csv.gz"
BRANCHES = ("central", "east", "west", "north", "south", "station", "harbor", "hill")
STATUSES = ("available", "available", "available", "on_loan", "on_hold_shelf", "in_transit")
MATERIALS = ("book", "book", "book", "book", "book", "serial", "audio", "video", "map")
LANGUAGES = ("jpn",) * 18 + ("eng", "chi")
NDC_FALLBACK = ("913.6", "914.6", "911.1", "933", "210.1", "289.1", "007", "159", "410", "590", "780")


@dataclass(frozen=True, slots=True)
class Work:
    title: str
    reading: str
    subtitle: str
    subtitle_reading: str
    ndc: str
    publisher: str
    year: int | None


def load_aozora(path: Path = AOZORA) -> tuple[list[Work], list[CreatorSource]]:
    from toshokan.catalog.importers.aozora import open_catalogue, read_catalogue

    works: list[Work] = []
    people: dict[str, CreatorSource] = {}
    with open_catalogue(path) as stream:
        for item in read_catalogue(stream):
            if not isinstance(item, BibRecord):
                continue
            works.append(
                Work(
                    title=item.title,
                    reading=item.title_reading,
                    subtitle=item.subtitle,
                    subtitle_reading=item.subtitle_reading,
                    ndc=item.ndc,
                    publisher=item.publisher,
                    year=item.year,
                )
            )
            for c in item.creators:
                people.setdefault(
                    c.authority_id or c.name,
                    CreatorSource(name=c.name, reading=c.reading, romanized=c.romanized, role=str(c.role)),
                )
    return works, list(people.values())


def sources(n: int, *, seed: int = 7, path: Path = AOZORA) -> Iterator[RecordSource]:
    """`n` records: about a third carry a real title as it is, the rest join two titles (with their
    readings) or add another work's subtitle; creators, holdings and facets are drawn at random."""
    works, people = load_aozora(path)
    rng = random.Random(seed)
    for record_id in range(1, n + 1):
        a = rng.choice(works)
        shape = rng.random()
        title, reading, subtitle, subtitle_reading = a.title, a.reading, a.subtitle, a.subtitle_reading
        if shape >= 0.35:
            b = rng.choice(works)
            if shape < 0.75:
                joiner, joiner_reading = rng.choice((("", ""), ("と", "と"), ("の", "の"), ("・", "")))
                title, reading = a.title + joiner + b.title, a.reading + joiner_reading + b.reading
            else:
                subtitle, subtitle_reading = b.title, b.reading
        creators = tuple(rng.sample(people, 1 if rng.random() < 0.85 else 2))
        holdings = tuple(
            HoldingSource(branch=branch, status=rng.choice(STATUSES))
            for branch in rng.sample(BRANCHES, rng.choice((0, 1, 1, 2, 3)))
        )
        year = a.year if a.year and rng.random() < 0.5 else rng.randint(1880, 2025)
        identifiers: tuple[tuple[str, str], ...] = ()
        if rng.random() < 0.3:
            body = f"9784{rng.randrange(10**8):08d}"
            check = (10 - sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body)) % 10) % 10
            identifiers = (("isbn", body + str(check)),)
        yield RecordSource(
            id=record_id,
            title=title,
            title_reading=reading,
            subtitle=subtitle,
            subtitle_reading=subtitle_reading,
            publisher=a.publisher if rng.random() < 0.7 else rng.choice(works).publisher,
            year=year,
            ndc=a.ndc or rng.choice(NDC_FALLBACK),
            language=rng.choice(LANGUAGES),
            material_type=rng.choice(MATERIALS),
            creators=creators,
            identifiers=identifiers,
            holdings=holdings,
            has_etext=rng.random() < 0.2,
        )


def documents(n: int, *, seed: int = 7, path: Path = AOZORA) -> Iterator[SearchDocument]:
    for src in sources(n, seed=seed, path=path):
        yield build_document(src)


def cached_documents(n: int, *, seed: int = 7, cache_dir: Path | None = None) -> list[SearchDocument]:
    """`documents(n)` kept in a pickle under var/bench/search-backends/ (building a million takes ~10 minutes)."""
    import hashlib
    import pickle
    from dataclasses import fields

    from django.conf import settings

    from toshokan.core.japanese import KEYS_VERSION

    cache_dir = cache_dir or Path(settings.VAR_DIR) / "bench" / "search-backends"
    cache_dir.mkdir(parents=True, exist_ok=True)
    # A new document shape or new match keys make a new corpus.
    shape = hashlib.sha1(",".join(f.name for f in fields(SearchDocument)).encode()).hexdigest()[:8]
    path = cache_dir / f"corpus-{n}-{seed}-{shape}-k{KEYS_VERSION}.pickle"
    if path.exists():
        with open(path, "rb") as cached:
            return list(pickle.load(cached))
    docs = list(documents(n, seed=seed))
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as out:
        pickle.dump(docs, out, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.rename(path)
    return docs
