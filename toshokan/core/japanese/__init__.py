"""Japanese text handling for the whole product, in one place: indexing and querying share it.

- `normalize`: width, case, old and new kanji forms, kana folding and the match keys search uses.
- `romaji`: Hepburn romanisation of kana and a folded romaji key that forgives how people type it.
- `readings`: readings and romaji for text that has none, from a morphological analyser (MeCab with
  UniDic-lite through fugashi and cutlet), used only where a record does not carry its own.

What people typed is stored as typed; these functions make derived keys only.
"""

# Bump when a change to normalize or romaji changes any match key: indexes built with other keys
# are then rebuilt instead of misread.
KEYS_VERSION = 2
