"""Pure-Python twin of ``change_kernels``: each change heuristic written
plainly, one transaction at a time, over arrays in the layout of
``store.arrays`` (``ArrayChain`` or ``ChainArrays``). For the property
tests; not for bulk use."""

from __future__ import annotations

from chaintrail.heuristics import codes as C


def _ins(a, t):
    return range(int(a.tx_first_in[t]), int(a.tx_first_in[t] + a.tx_n_in[t]))


def _outs(a, t):
    return range(int(a.tx_first_out[t]), int(a.tx_first_out[t] + a.tx_n_out[t]))


def eligible(a, t: int, coinjoin_code: int) -> bool:
    """Non-coinbase, not a CoinJoin, at least two outputs with an address."""
    if a.tx_flags[t] & 1 or coinjoin_code:
        return False
    return sum(1 for o in _outs(a, t) if a.out_address[o] >= 0) >= 2


def spender(a, o: int, limit: int) -> int | None:
    """The tx spending output o, if it comes before `limit`."""
    i = int(a.out_spent_by[o])
    if i < 0:
        return None
    s = int(a.in_tx[i])
    return s if s < limit else None


def opinion(a, t: int, code: int, param: int | None, limit: int) -> set[int] | None:
    """The candidate outputs of heuristic `code` on tx t, or None (no opinion)."""
    outs = [o for o in _outs(a, t)]
    addressed = [o for o in outs if a.out_address[o] >= 0]
    prev = [int(a.in_spent[i]) for i in _ins(a, t)]
    in_addr = {int(a.out_address[p]) for p in prev if p >= 0 and a.out_address[p] >= 0}
    if code == C.H_FRESH:
        if any(int(a.out_address[o]) in in_addr for o in addressed):
            return set()
        return {o for o in addressed if int(a.ao_ids[a.ao_start[a.out_address[o]]]) == o}
    if code == C.H_OPTIMAL:
        if any(p < 0 for p in prev):
            return None
        lo = min(int(a.out_value[p]) for p in prev)
        return {o for o in addressed if a.out_value[o] < lo}
    if code == C.H_TYPE:
        if any(p < 0 for p in prev):
            return None
        types = {int(a.out_type[p]) for p in prev}
        if len(types) != 1:
            return None
        (ty,) = types
        return {o for o in addressed if a.out_type[o] == ty}
    if code == C.H_POW10:
        unit = 10 ** (param or 0)
        if not any(a.out_value[o] % unit == 0 for o in addressed):
            return None
        return {o for o in addressed if a.out_value[o] % unit != 0}
    if code in (C.H_LOCKTIME, C.H_VERSION, C.H_RBF):
        def feature(s):
            if code == C.H_LOCKTIME:
                return a.tx_locktime[s] > 0
            if code == C.H_VERSION:
                return int(a.tx_version[s])
            return any(int(a.in_sequence[i]) < 0xFFFFFFFE for i in _ins(a, s))
        spenders = {o: spender(a, o, limit) for o in addressed}
        if all(s is None for s in spenders.values()):
            return None
        f = feature(t)
        return {o for o, s in spenders.items() if s is None or feature(s) == f}
    if code == C.H_PEEL:
        def peel_like(s):
            return a.tx_n_in[s] == 1 and a.tx_n_out[s] == 2
        if not peel_like(t):
            return None
        p = prev[0]
        chain = p >= 0 and peel_like(int(a.out_tx[p]))
        kids = {o: spender(a, o, limit) for o in outs}
        chain = chain or any(s is not None and peel_like(s) for s in kids.values())
        if not chain:
            return None
        return {o for o in addressed if kids[o] is None or peel_like(kids[o])}
    if code == C.H_REUSE:
        hit = {o for o in addressed if int(a.out_address[o]) in in_addr}
        return hit or None
    raise ValueError(code)


def combine(node, a, t: int, limit: int) -> set[int] | None:
    """The candidates of a parsed --change expression on tx t (None: no opinion)."""
    from chaintrail.heuristics.change_expr import Leaf

    if isinstance(node, Leaf):
        return opinion(a, t, node.code, node.param, limit)
    x = combine(node.left, a, t, limit)
    y = combine(node.right, a, t, limit)
    if node.op == "&":
        if x is None:
            return y
        return x if y is None else x & y
    if node.op == "|":
        if x is None:
            return y
        return x if y is None else x | y
    if x is None:
        return None
    return x if y is None else x - y


def unique_change(node, a, t: int, limit: int, coinjoin_code: int = 0) -> int:
    """The change output of tx t under an expression: the only candidate, else -1."""
    if node is None or not eligible(a, t, coinjoin_code):
        return -1
    c = combine(node, a, t, limit)
    return next(iter(c)) if c is not None and len(c) == 1 else -1
