"""Normalising person and entity names for matching across scripts and
spellings: any script to Latin (anyascii: Cyrillic, Arabic, Greek,
diacritics...), lowercase, punctuation and apostrophes dropped, then each
token folded so that the usual transliteration variants meet
(Khrushchev/Hruschev, Yuriy/Juri/Iouri, Tsoy/Coi, Mohammed/Muhammad...).
Token order is kept; matching compares tokens, not their order."""

from __future__ import annotations

import re

from anyascii import anyascii

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_DOUBLE = re.compile(r"(.)\1+")
# applied in order; "4" stands for the ch sound until "c" has become "k"
_FOLDS = (
    ("shch", "sh"), ("sch", "sh"), ("tch", "4"), ("dzh", "j"), ("dj", "j"), ("zh", "j"),
    ("ch", "4"), ("kh", "h"), ("gh", "g"), ("ph", "f"), ("th", "t"), ("ck", "k"), ("ts", "z"),
    ("tz", "z"), ("x", "ks"), ("q", "k"), ("w", "v"), ("c", "k"), ("4", "ch"),
    ("ou", "u"), ("oo", "u"), ("ee", "i"), ("yu", "u"), ("iu", "u"), ("ju", "u"),
    ("ya", "a"), ("ia", "a"), ("ja", "a"), ("yo", "o"), ("io", "o"), ("ye", "e"), ("ie", "e"),
    ("y", "i"), ("j", "i"),
)
#: words that say what kind of name it is rather than whose
STOPWORDS = frozenset({"mr", "mrs", "ms", "dr", "sheikh", "shaykh", "haji", "hajji"})


def to_latin(text: str) -> str:
    """Any script in plain lowercase ASCII letters, digits and spaces."""
    t = anyascii(text).lower().replace("'", "").replace("`", "")
    return _NON_ALNUM.sub(" ", t).strip()


def fold_token(token: str) -> str:
    """One token with its transliteration variants folded together."""
    t = _DOUBLE.sub(r"\1", token)
    for a, b in _FOLDS:
        if a in t:
            t = t.replace(a, b)
    return _DOUBLE.sub(r"\1", t)


def name_tokens(name: str) -> list[str]:
    """The folded tokens of a name, stopwords removed (order kept)."""
    toks = [fold_token(t) for t in to_latin(name).split() if t not in STOPWORDS]
    return [t for t in toks if t]


def sdn_display_order(name: str) -> str:
    """'SURNAME, Given Names' as 'Given Names SURNAME' (other names unchanged)."""
    if name.count(",") == 1:
        last, first = (p.strip() for p in name.split(","))
        if first and last:
            return f"{first} {last}"
    return name
