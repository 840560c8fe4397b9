"""Pausing Python's cyclic garbage collector around bulk object building."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off for the block (restored after): building millions of small
    objects that form no cycles (tag rows, alert findings and evidence texts) triggers
    collections that walk all of them again for nothing."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
