"""Canonical JSON (sorted keys, no spaces, ASCII escapes: what
``json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)`` writes)
with parts encoded ahead: a re-screening stores hundreds of thousands of
alerts whose evidence repeats the same pieces (a rule, an address's list
entries, a transaction id on many paths), so those are encoded once, as
``RawJSON``, and spliced into each alert's text instead of being built as
dicts and encoded again per alert. The text is the same, byte for byte, as
the encoding of the plain values (tests hold the two equal)."""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii as quote

__all__ = ["RawJSON", "canonical_json", "plain", "quote", "value_text"]

#: one encoder for every call (``json.dumps`` would build one a call); no circular check:
#: evidence is a tree
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str,
                              check_circular=False)
_UNSET = object()


class RawJSON:
    """A value already encoded as canonical JSON: ``canonical_json`` writes its text as it is.
    Read like the value it encodes (items, iteration, length, equality parse the text once), so
    code that looks into an alert's evidence does not need to know."""

    __slots__ = ("text", "_value")

    def __init__(self, text: str):
        self.text = text
        self._value = _UNSET

    def value(self):
        """The decoded value (parsed once)."""
        if self._value is _UNSET:
            self._value = json.loads(self.text)
        return self._value

    def __getitem__(self, key):
        return self.value()[key]

    def __iter__(self):
        return iter(self.value())

    def __len__(self) -> int:
        return len(self.value())

    def __bool__(self) -> bool:
        return bool(self.value())

    def __eq__(self, other) -> bool:
        if isinstance(other, RawJSON):
            return self.text == other.text
        return self.value() == other

    __hash__ = None  # like the lists and dicts it stands for

    def get(self, key, default=None):
        return self.value().get(key, default)

    def __repr__(self) -> str:
        return f"RawJSON({self.text!r})"


class _Nested(Exception):
    """A RawJSON below the top level: encoded by the slower recursive path."""


def _default(o):
    if type(o) is RawJSON:
        raise _Nested
    return str(o)


_FAST = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=_default,
                         check_circular=False)


def value_text(v) -> str:
    """One value's canonical JSON (strings, ints, None and RawJSON directly, the rest by the
    encoder)."""
    t = type(v)
    if t is str:
        return quote(v)
    if t is RawJSON:
        return v.text
    if t is int:
        return int.__repr__(v)
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    if t is float and v - v == 0.0:  # finite: as json writes it (NaN, infinities below)
        return float.__repr__(v)
    if t is dict or t is list or t is tuple:
        try:
            return _FAST.encode(v)
        except _Nested:
            return _spliced(v)
    return _CANONICAL.encode(v)


def _key(k) -> str:
    return quote(k) if type(k) is str else quote(_CANONICAL.encode(k))


def _spliced(v) -> str:
    """The canonical JSON of containers holding RawJSON somewhere (recursively)."""
    t = type(v)
    if t is dict:
        return "{" + ",".join([_key(k) + ":" + value_text(x) for k, x in sorted(v.items())]) + "}"
    if t is list or t is tuple:
        return "[" + ",".join([value_text(x) for x in v]) + "]"
    return value_text(v)


def canonical_json(obj) -> str:
    """The canonical JSON of `obj` (sorted keys, no spaces, ASCII): what ``json.dumps(obj,
    sort_keys=True, separators=(",", ":"), default=str)`` writes for the plain values, with
    ``RawJSON`` parts spliced in as they are. A dict with RawJSON values at its top level (an
    alert's evidence) is joined here from each value's text."""
    if type(obj) is dict:
        parts = []
        for k, v in sorted(obj.items()):
            if type(k) is not str:
                return value_text(obj)
            parts.append(quote(k) + ":" + value_text(v))
        return "{" + ",".join(parts) + "}"
    return value_text(obj)


def plain(obj):
    """`obj` with every RawJSON replaced by its decoded value (for readers that compare or
    re-encode evidence)."""
    t = type(obj)
    if t is RawJSON:
        return obj.value()
    if t is dict:
        return {k: plain(v) for k, v in obj.items()}
    if t is list or t is tuple:
        return [plain(v) for v in obj]
    return obj
