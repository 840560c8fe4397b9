"""YAML documents as plain Python data, every scalar a string.

libyaml's C parser is fast, but PyYAML builds nodes and resolves implicit
types in Python, which costs ten times the parse on large TagPacks. Here
the C parser's event stream is turned straight into dicts, lists and
strings; callers interpret the few fields that are not text (booleans,
dates) themselves. Aliases are resolved; tags are ignored.
"""

from __future__ import annotations

import yaml
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

_Loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
_NO_KEY = object()


def load_plain(text: str | bytes) -> object:
    """The first document of ``text`` as dicts, lists and strings (None for an empty document)."""
    stack: list[list] = []  # [container, pending key]
    anchors: dict[str, object] = {}
    root: object = None
    for ev in yaml.parse(text, Loader=_Loader):
        kind = type(ev)
        if kind is ScalarEvent:
            value: object = ev.value
            if ev.anchor:
                anchors[ev.anchor] = value
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            container: object = {} if kind is MappingStartEvent else []
            if ev.anchor:
                anchors[ev.anchor] = container
            stack.append([container, _NO_KEY])
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            value = stack.pop()[0]
        elif kind is AliasEvent:
            value = anchors.get(ev.anchor)
        else:
            continue
        if not stack:
            root = value
            break
        top = stack[-1]
        container = top[0]
        if type(container) is list:
            container.append(value)
        elif top[1] is _NO_KEY:
            top[1] = value if isinstance(value, str) else str(value)
        else:
            container[top[1]] = value
            top[1] = _NO_KEY
    return root


def yaml_bool(value: object) -> bool | None:
    """A YAML 1.1 boolean spelled as text (true/yes/on, false/no/off), else None."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return None
    v = value.strip().lower()
    if v in ("true", "yes", "on", "y"):
        return True
    if v in ("false", "no", "off", "n"):
        return False
    return None
