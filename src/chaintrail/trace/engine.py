"""Running one trace: the chain's arrays and the entity lookups handed to
the propagation kernel, and its output wrapped in a ``TraceResult``.

Two engines give identical results (tests hold them equal): the numba
kernel (``flow_kernels``) and its plain-Python twin (``flow_reference``).
A process that has not loaded the kernel yet (a command line) runs a trace
in plain Python first, up to ``PY_WORK`` units of work: most traces are
that small and finish in milliseconds, where the kernel's first call costs
about a second of JIT start-up (loading numba and its cached machine code).
A trace that needs more is handed to the kernel. A process that has the
kernel loaded (the REST API, a notebook, a benchmark) always uses it."""

from __future__ import annotations

import sys
import time
from weakref import WeakKeyDictionary

import numpy as np

from chaintrail.chain import Chain
from chaintrail.trace.entities import EntityResolver, read_only
from chaintrail.trace.policies import (
    DIRECTION_NAMES,
    POLICY_NAMES,
    TraceError,
    direction_code,
    policy_code,
)
from chaintrail.trace.records import Raw
from chaintrail.trace.result import LEVELS, TraceResult
from chaintrail.trace.start import Start
from chaintrail.trace.stop_rules import parse_rules

#: work budget (transactions' inputs + outputs visited, plus pairs split): ~0.1-0.3 s of work
DEFAULT_BUDGET = 2_000_000
#: work done in plain Python before a trace is handed to the kernel (engine "auto")
PY_WORK = 5_000
ENGINES = ("auto", "kernel", "python")

_ARRAYS = ("tx_first_in", "tx_n_in", "tx_first_out", "tx_n_out", "tx_flags", "tx_fee",
           "out_tx", "out_value", "out_address", "out_spent_by", "in_tx", "in_spent")
_CACHE: WeakKeyDictionary = WeakKeyDictionary()


def chain_arrays(chain: Chain) -> tuple[np.ndarray, ...]:
    """The arrays the kernel reads, as plain ndarrays over the memory maps (cached per Chain)."""
    a = chain._index()
    got = _CACHE.get(chain)
    if got is None:
        got = tuple(read_only(getattr(a, n)) for n in _ARRAYS)
        _CACHE[chain] = got
    return got


def run_trace(chain: Chain, start: Start, direction: str | int = "backward",
              policy: str | int = "haircut", max_hops: int = 6, min_value: int = 0,
              budget: int = DEFAULT_BUDGET, stop_at=None, level: str = "output",
              resolver: EntityResolver | None = None, stop_mask: np.ndarray | None = None,
              engine: str = "auto") -> TraceResult:
    """Follow the value of a starting set of outputs; see ``trace.api.trace`` (engine: auto,
    kernel or python; the same result either way)."""
    d = direction_code(direction)
    p = policy_code(policy)
    if level not in LEVELS:
        raise TraceError(f"unknown level {level!r}: use {', '.join(LEVELS)}")
    if max_hops < 0 or min_value < 0 or budget <= 0:
        raise TraceError("max_hops and min_value must be >= 0 and the budget > 0")
    if engine not in ENGINES:
        raise TraceError(f"unknown engine {engine!r}: use {', '.join(ENGINES)}")
    rules = parse_rules(stop_at)
    if resolver is None:
        resolver = EntityResolver.from_chain(chain)
    mask = stop_mask if stop_mask is not None else resolver.stop_mask(rules)
    if mask.size == 0:
        mask = np.zeros(1, np.bool_)
    arrays = chain_arrays(chain)
    starts = np.ascontiguousarray(start.outputs, np.int64)
    t0 = time.perf_counter()
    raw = None
    used = "kernel"
    if engine == "python" or (engine == "auto" and not kernel_loaded()):
        cap = int(budget) if engine == "python" else min(int(budget), PY_WORK)
        raw = run_python(d, p, starts, int(max_hops), int(min_value), cap, arrays, resolver, mask)
        used = "python"
        if raw.exhausted and cap < budget:  # too big for plain Python: the kernel does it all
            raw, used = None, "kernel"
    if raw is None:
        from chaintrail.trace.flow_kernels import propagate

        raw = Raw.of(propagate(d, p, starts, int(max_hops), int(min_value), int(budget), *arrays,
                               *resolver.kernel_args(), np.ascontiguousarray(mask, np.bool_)), d)
    elapsed = time.perf_counter() - t0
    params = {"direction": DIRECTION_NAMES[d], "policy": POLICY_NAMES[p], "max_hops": int(max_hops),
              "min_value": int(min_value), "budget": int(budget), "stop_at": list(rules),
              "level": level, "engine": used}
    return TraceResult(chain, resolver, start, params, raw, elapsed)


def kernel_loaded() -> bool:
    """Whether this process has the propagation kernel compiled or loaded already."""
    mod = sys.modules.get("chaintrail.trace.flow_kernels")
    return mod is not None and bool(mod.propagate.overloads)


def run_python(direction: int, policy: int, starts: np.ndarray, max_hops: int, min_value: int,
               budget: int, arrays: tuple[np.ndarray, ...], resolver: EntityResolver,
               mask: np.ndarray) -> Raw:
    """One trace by the plain-Python twin over the same arrays (entity codes looked up per
    output reached)."""
    from chaintrail.trace.flow_reference import Arrays, propagate

    out_address = arrays[_ARRAYS.index("out_address")]
    seen: dict[int, int] = {}

    def entity_of(o: int) -> int:
        addr = int(out_address[o])
        if addr < 0:
            return -1
        code = seen.get(addr)
        if code is None:
            code = seen[addr] = int(resolver.codes(np.array([addr], np.int64))[0])
        return code

    stop = {int(k) for k in np.nonzero(mask)[0]}
    got = propagate(direction, policy, starts.tolist(), max_hops, min_value, budget,
                    Arrays(*arrays), entity_of, stop)
    return Raw.from_reference(*got, direction)
