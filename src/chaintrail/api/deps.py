"""Request dependencies shared by the routes and pages: this thread's view
of the store, per-thread room handles, the shared entity resolver, and the
gate that keeps heavy work (traces, exposure, audits) to one per core."""

from __future__ import annotations

import contextlib
import os
import threading

from fastapi import Request

from chaintrail.api import analysis
from chaintrail.api.holder import StoreHolder
from chaintrail.api.problems import Problem
from chaintrail.api.rooms import has_clustering
from chaintrail.chain import Chain

#: seconds a heavy request waits for a free slot before answering 503
HEAVY_WAIT = 30.0


def holder(request: Request) -> StoreHolder:
    return request.app.state.holder


def chain(request: Request) -> Chain:
    """This thread's view of the store (its own DuckDB cursor)."""
    return request.app.state.holder.chain()


def clusters_or_none(h: StoreHolder):
    """The clustering reader for this thread, or None when the store has none."""
    c = h.chain()
    if not has_clustering(c):
        return None
    return h.local("clusters", analysis.clusters_handle)


def clusters(h: StoreHolder):
    """The clustering reader for this thread (404 problem when the store has none)."""
    return h.local("clusters", analysis.clusters_handle)


def screener(h: StoreHolder):
    return h.local("screener", analysis.make_screener)


def resolver(h: StoreHolder):
    """The entity resolver, built once per store generation and shared by all threads."""
    return h.generation().cached("resolver", lambda: analysis.resolver_for(h.chain()))


class HeavyGate:
    """A semaphore over heavy requests, one slot per core by default."""

    def __init__(self, slots: int | None = None):
        self._sem = threading.BoundedSemaphore(slots or max(1, os.cpu_count() or 1))

    @contextlib.contextmanager
    def slot(self):
        if not self._sem.acquire(timeout=HEAVY_WAIT):
            raise Problem(503, "the server is busy with other traces; try again shortly", "busy")
        try:
            yield
        finally:
            self._sem.release()


def heavy(request: Request) -> HeavyGate:
    return request.app.state.heavy
