"""Pure-Python twin of ``coinjoin_kernels``: the same rules written plainly
over one transaction at a time, for the property tests. Not for bulk use."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from chaintrail.bitcoin.script_types import OP_RETURN, P2TR, P2WPKH, P2WSH, WITNESS_UNKNOWN
from chaintrail.heuristics import codes as C
from chaintrail.heuristics import denominations as D

NATIVE_SEGWIT = {P2WPKH, P2WSH, P2TR, WITNESS_UNKNOWN}


@dataclass
class In:
    """An input: the spent output's value, script type and address id (None: not in the store),
    and the CoinJoin verdict of the transaction that created it."""

    value: int | None
    script_type: int | None
    address: int | None
    parent_code: int = C.CJ_NONE


@dataclass
class Out:
    value: int
    script_type: int
    address: int | None


def classify(inputs: list[In], outputs: list[Out], height: int, coinbase: bool,
             gates: tuple[int, int, int, int], coordinators: frozenset[int] = frozenset()
             ) -> tuple[int, bool]:
    """(protocol code, all inputs known) of one transaction; gates as in ``coinjoin.gates``."""
    known = all(i.value is not None for i in inputs)
    if coinbase or len(outputs) < 2:
        return C.CJ_NONE, known
    counts = Counter(o.value for o in outputs)
    repeated = {v: c for v, c in counts.items() if c >= 2}
    if not repeated:
        return C.CJ_NONE, known
    m = max(counts.values())
    d = max(v for v, c in counts.items() if c == m)
    singles = sum(1 for c in counts.values() if c == 1)
    n_in, n_out = len(inputs), len(outputs)
    g_w1, g_w1_nocoord, g_wp, g_w2 = gates
    if (height >= g_wp and 5 <= n_in <= 10 and n_in == n_out and known
            and all(o.value == outputs[0].value for o in outputs)
            and outputs[0].value in set(D.WHIRLPOOL_POOLS.tolist())
            and all(o.script_type == P2WPKH for o in outputs)
            and all(i.script_type == P2WPKH and 0 <= i.value - d <= D.WHIRLPOOL_TOLERANCE
                    for i in inputs)):
        return C.CJ_WHIRLPOOL, known
    if height >= g_w2 and n_in >= 15 and known:
        in_vals = [i.value for i in inputs]
        out_vals = [o.value for o in outputs]
        std = set(D.STANDARD_DENOMINATIONS.tolist())
        if (all(i.script_type in (P2WPKH, P2TR) for i in inputs)
                and in_vals == sorted(in_vals, reverse=True)
                and out_vals == sorted(out_vals, reverse=True)
                and sum(v in std for v in out_vals) / n_out > 0.8):
            return C.CJ_WASABI2, known
    if height >= g_w1:
        if height < g_w1_nocoord:
            if any(o.address in coordinators for o in outputs if o.address is not None) and m >= 3:
                return C.CJ_WASABI1, known
        elif (known and m >= D.WASABI1_MIN_EQUAL
              and abs(d - D.WASABI1_BASE) <= D.WASABI1_PRECISION and n_in >= m and singles >= 2
              and all(o.script_type in NATIVE_SEGWIT for o in outputs)
              and all(i.script_type in NATIVE_SEGWIT for i in inputs)):
            return C.CJ_WASABI1, known
    has_data = any(o.script_type == OP_RETURN for o in outputs)
    if has_data:
        return C.CJ_NONE, known
    if len(repeated) == 1 and m >= D.JOINMARKET_MIN_EQUAL and n_out - m in (m, m - 1) and n_in >= m:
        out_scripts = {o.address for o in outputs if o.address is not None}
        in_known = {i.address for i in inputs if i.address is not None}
        in_unknown = sum(1 for i in inputs if i.address is None)
        others = [o.value for o in outputs if o.value != d]
        largest_in = max((i.value for i in inputs if i.value is not None), default=0)
        if (len(out_scripts) >= m and len(in_known) + in_unknown >= m
                and (not known or largest_in <= d + max(others, default=0) - D.JOINMARKET_MARGIN)):
            # the flag is cleared on a transaction spending Wasabi CoinJoin outputs
            if any(i.parent_code in (C.CJ_WASABI1, C.CJ_WASABI2) for i in inputs):
                return C.CJ_NONE, known
            return C.CJ_JOINMARKET, known
    if n_in >= 2 and n_out >= 3:
        k = -(-n_out // 2)
        in_known = {i.address for i in inputs if i.address is not None}
        in_unknown = sum(1 for i in inputs if i.address is None)
        equal = [o for o in outputs if o.value == d]
        if (m == k and m >= D.GENERIC_MIN_EQUAL and d not in (546, 2730) and k <= n_in
                and len(in_known) + in_unknown >= k and len({o.script_type for o in equal}) == 1
                and not any(o.value % D.GENERIC_ROUND == 0 for o in outputs if o.value != d)
                and len({o.address for o in equal if o.address is not None}) == m):
            return C.CJ_GENERIC, known
    return C.CJ_NONE, known
