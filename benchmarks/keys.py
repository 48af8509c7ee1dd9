"""The match keys of every record, flattened: what the baselines index and the ground truth scans.

Each record becomes two strings: its surface keys (title, readings, creators, their readings,
publisher and subjects: every value search matches a term's `fold` key against) and its romaji
keys (matched against a Latin term's romaji key), each value separated by a tab. Keys hold only
letters and digits, so a tab never occurs in one and a term can never match across two values.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass

from toshokan.search.domain.documents import SearchDocument

SEP = "\t"


@dataclass(slots=True)
class KeyTable:
    ids: array  # type: ignore[type-arg]
    surface: list[str]
    romaji: list[str]

    def __len__(self) -> int:
        return len(self.ids)

    def values(self, index: int) -> tuple[list[str], list[str]]:
        return self.surface[index].split(SEP), self.romaji[index].split(SEP) if self.romaji[index] else []


def key_table(documents: Iterable[SearchDocument]) -> KeyTable:
    ids: array = array("q")  # type: ignore[type-arg]
    surface: list[str] = []
    romaji: list[str] = []
    for d in documents:
        ids.append(d.id)
        surface.append(SEP.join([*d.title, *d.reading, *d.creator, *d.creator_reading, *d.other]))
        romaji.append(SEP.join([*d.romaji, *d.creator_romaji]))
    return KeyTable(ids, surface, romaji)
