"""The store a server process reads: opened once, re-opened when an ingest
commits a new manifest generation, and handed to each worker thread as a
view with its own DuckDB cursor (a DuckDB connection must not be used by
two threads at once; the memory-mapped arrays are shared).

    holder = StoreHolder("./data")
    chain = holder.chain()          # this thread's view of the current generation
"""

from __future__ import annotations

import copy
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chaintrail.chain import Chain
from chaintrail.chain import open as open_chain

#: how often (seconds) the manifest file is looked at for a new generation
CHECK_INTERVAL = 0.5


def thread_view(chain: Chain) -> Chain:
    """A view of an open chain with its own DuckDB cursor (same views, same arrays)."""
    view = copy.copy(chain)
    view._con = chain._con.cursor()
    return view


@dataclass
class Generation:
    """One opened state of the store and what was built from it (shared by all threads)."""

    chain: Chain
    number: int
    stamp: tuple
    shared: dict[str, Any] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def cached(self, key: str, build):
        """A value built once per generation (under a lock), e.g. the entity resolver."""
        if key in self.shared:
            return self.shared[key]
        with self.lock:
            if key not in self.shared:
                self.shared[key] = build()
            return self.shared[key]


def _stamp(path: Path) -> tuple:
    try:
        st = os.stat(path / "manifest.json")
    except OSError:
        return ()
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class StoreHolder:
    """The server's handle on a store: one generation at a time, per-thread cursors."""

    def __init__(self, path: str | os.PathLike | None):
        first = open_chain(path)
        self.path = Path(first.path)
        self._gen = Generation(first, first._store.manifest.generation, _stamp(self.path))
        self._checked = time.monotonic()
        self._reopen = threading.Lock()
        self._local = threading.local()

    def generation(self) -> Generation:
        """The current generation, re-opening the store when its manifest changed."""
        now = time.monotonic()
        if now - self._checked >= CHECK_INTERVAL:
            self._checked = now
            stamp = _stamp(self.path)
            if stamp and stamp != self._gen.stamp:
                with self._reopen:
                    if stamp != self._gen.stamp:
                        fresh = open_chain(self.path)
                        number = fresh._store.manifest.generation
                        self._gen = Generation(fresh, number, stamp)
        return self._gen

    def chain(self) -> Chain:
        """This thread's view of the current generation."""
        gen = self.generation()
        mine = getattr(self._local, "views", None)
        if mine is None or mine[0] is not gen:
            with gen.lock:  # cursors are made from the shared connection one at a time
                mine = (gen, thread_view(gen.chain), {})
            self._local.views = mine
        return mine[1]

    def local(self, key: str, build):
        """A per-thread, per-generation object (a screener, a clusters handle)."""
        self.chain()
        cache = self._local.views[2]
        if key not in cache:
            cache[key] = build(self._local.views[1])
        return cache[key]
