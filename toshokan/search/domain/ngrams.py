"""Character bigrams with positions: how a match key becomes tokens that find any substring exactly.

A value becomes ^ b1 b2 … bn $ — its overlapping bigrams between a start and an end marker (a
one-character value becomes ^ c $). A query key of two or more characters is the phrase of its
bigrams, which only matches where they stand side by side, so 「東京都」 never matches a record
that has 東京 and 京都 apart. The markers keep the values of one field apart (a phrase cannot run
from one value into the next) and let a query ask for a value that starts with, or is exactly, the
key. `^` and `$` never occur inside a key: match keys hold letters and digits only.
"""

from __future__ import annotations

from operator import add

START = "^"
END = "$"


def bigrams(key: str) -> list[str]:
    if len(key) < 2:
        return [key] if key else []
    return [key[i : i + 2] for i in range(len(key) - 1)]


def value_tokens(values: list[str]) -> str:
    """The whitespace-separated token stream of a multi-valued field: ^ b1 … bn $ per value.

    It runs for every value of every record at indexing time, so the bigrams are made by C-level
    `map(add, …)` rather than a loop of slices.
    """
    return " ".join([f"{START} {' '.join(map(add, v, v[1:])) or v} {END}" for v in values if v])
