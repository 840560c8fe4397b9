"""The tracing verbs over an open store, as the CLI, the demo and notebooks
call them (``Chain.trace``/``Chain.exposure``/``Chain.privacy_audit`` are
these functions with the chain bound):

    from chaintrail.trace import api
    res = api.trace(chain, "TXID:VOUT", direction="backward", policy="haircut", max_hops=6)
    res.terminals(); res.to_graphml("flow.graphml", level="address")
"""

from __future__ import annotations

import numpy as np

from chaintrail.chain import Chain
from chaintrail.trace.audit import AuditReport, privacy_audit
from chaintrail.trace.engine import DEFAULT_BUDGET, run_trace
from chaintrail.trace.entities import EntityResolver
from chaintrail.trace.exposure import ExposureReport, exposure
from chaintrail.trace.result import TraceResult
from chaintrail.trace.start import Start, resolve_start


def trace(chain: Chain, start: str | Start | np.ndarray | list[int], direction: str = "backward",
          policy: str = "haircut", max_hops: int = 6, min_value: int = 0,
          budget: int = DEFAULT_BUDGET, stop_at: str | list[str] | None = None,
          level: str = "output", min_confidence: int = 0,
          resolver: EntityResolver | None = None, engine: str = "auto") -> TraceResult:
    """Follow the value of an address, transaction, output (TXID:VOUT), cluster or output ids,
    forward (where it went) or backward (where it came from), under a taint policy (a shared
    entity resolver may be passed; by default the store's, cached; engine: see trace.engine)."""
    if isinstance(start, Start):
        st = start
    elif isinstance(start, str):
        st = resolve_start(chain, start)
    else:
        ids = np.unique(np.asarray(start, np.int64))
        st = Start(f"{ids.size} outputs", "outputs", ids)
    resolver = resolver or EntityResolver.from_chain(chain, min_confidence)
    return run_trace(chain, st, direction, policy, max_hops, min_value, budget, stop_at, level,
                     resolver, engine=engine)


def resolver(chain: Chain, min_confidence: int = 0) -> EntityResolver:
    """The store's entity resolver (tags by address and by cluster)."""
    return EntityResolver.from_chain(chain, min_confidence)


__all__ = ["AuditReport", "ExposureReport", "TraceResult", "exposure", "privacy_audit", "resolver",
           "trace"]
