"""Character bigrams with positions: how a match key becomes tokens that find any substring exactly.

A value becomes ^c1 b1 b2 … bn — a start token (the marker fused with the value's first character)
and then its overlapping bigrams (a one-character value is its start token alone). The values of a
field go to the engine as separate values, and Tantivy leaves one empty position between them.

A query key of two or more characters is the phrase of its bigrams, which only matches where they
stand side by side, so 「東京都」 never matches a record that has 東京 and 京都 apart. Every other
bigram is enough (東京@0 and 都庁@2 pin down 東京都庁; an odd-length key adds its last bigram): the
engine intersects half as many postings, and in the romaji fields, whose twenty-odd letters make
every bigram common, that halves the slowest queries. It stays exact because two values are kept
apart by two positions that hold no bigram (the engine's gap, then the start token), and a run of
every-other positions cannot step over two neighbouring positions — so no phrase runs from one
value into the next.

"A value starts with the key" is the phrase of the key's start token and its bigrams. The start
token carries the first character so that this is cheap: a bare marker would stand in every record
(30–60 ms at a million records in the romaji fields). `^` never occurs inside a key: match keys
hold letters and digits only.
"""

from __future__ import annotations

from operator import add

START = "^"

Phrase = list[tuple[int, str]]  # (position in the phrase, token)


def bigrams(key: str) -> list[str]:
    if len(key) < 2:
        return [key] if key else []
    return [key[i : i + 2] for i in range(len(key) - 1)]


def phrase(key: str) -> Phrase:
    """The tokens that find `key` (two characters or more) anywhere in a value: every other bigram,
    and the last one."""
    if len(key) < 2:
        return [(0, key)] if key else []
    return _every_other(key, 2)


def _every_other(key: str, n: int) -> Phrase:
    """Every other n-gram of `key` from its start, and its last n-gram (len(key) >= n)."""
    last = len(key) - n
    tokens = [(i, key[i : i + n]) for i in range(0, last + 1, 2)]
    if last % 2:
        tokens.append((last, key[last:]))
    return tokens


def start_phrase(key: str) -> Phrase:
    """The tokens that find a value starting with `key` (two characters or more)."""
    return [(0, START + key[0]), *((i + 1, gram) for i, gram in phrase(key))]


def value_tokens(values: list[str]) -> list[str]:
    """The token streams of a multi-valued field, one per value: ^c1 b1 … bn.

    It runs for every value of every record at indexing time, so the bigrams are made by C-level
    `map(add, …)` rather than a loop of slices.
    """
    return [f"{START}{v[0]} {' '.join(map(add, v, v[1:]))}" for v in values if v]


# -- romaji: trigrams --------------------------------------------------------------------------------
# Romaji keys are spelt with some twenty letters, so every bigram of them is common and the phrase
# of a romaji word intersects huge postings (「konaka」: 17 ms at a million records). Their fields
# hold trigrams instead: ^ab t1 … tn yz$ per value — a start token with the first two letters, the
# overlapping trigrams, and an end token with the last two (a value of one or two letters is
# ^v v$). A key of three letters or more is the phrase of every other trigram and the last; a key
# of two letters is any token that starts with it (a trigram, or the end token of a value that ends
# with it). Values stay apart as before: the engine's gap, an end token and a start token are three
# positions without a trigram.
END = "$"


def trigram_value_tokens(values: list[str]) -> list[str]:
    """The token streams of a multi-valued romaji field, one per value."""
    out = []
    for v in values:
        if len(v) < 3:
            if v:
                out.append(f"{START}{v} {v}{END}")
        else:
            out.append(f"{START}{v[:2]} {' '.join(map(add, map(add, v, v[1:]), v[2:]))} {v[-2:]}{END}")
    return out


def trigram_phrase(key: str) -> Phrase:
    """The tokens that find `key` (three letters or more) anywhere in a value."""
    return _every_other(key, 3)


def trigram_start_phrase(key: str) -> Phrase:
    """The tokens that find a value starting with `key` (two letters or more)."""
    if len(key) == 2:
        return [(0, START + key)]
    return [(0, START + key[:2]), *((i + 1, gram) for i, gram in trigram_phrase(key))]
