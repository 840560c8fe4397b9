"""The taint split of one transaction in plain Python, with Python's
unbounded integers: the readable statement of every policy, forward and
backward, and the twin that tests hold the numba kernels
(``split_kernels``) to, row for row.

A piece is (index, start, length, hop): a stretch of an input (forward)
or of an output (backward) whose value travelled `hop` transactions. A
result row is (source index, destination index, start inside the
destination or -1, length, hop); forward, destination index n_out is the
fee. Poison, haircut and TIHO keep no positions: they merge pieces into
units, one per (index, hop), in that order.
"""

from __future__ import annotations

from chaintrail.trace.policies import FIFO, HAIRCUT, LIFO, POISON, TIHO

Piece = tuple[int, int, int, int]
Row = tuple[int, int, int, int, int]


def apportion(total: int, weights: list[int]) -> list[int]:
    """total split in proportion to weights: floors, then +1 to the largest remainders
    (ties: lower index first)."""
    w_sum = sum(weights)
    if w_sum == 0 or total == 0:
        return [0] * len(weights)
    out = [total * w // w_sum for w in weights]
    rem = [total * w % w_sum for w in weights]
    for k in _desc(rem)[:total - sum(out)]:
        out[k] += 1
    return out


def fill_residuals(mat: list[list[int]], row_sum: list[int], col_sum: list[int]) -> None:
    """Raise a matrix of floors until rows and columns meet their sums (north-west corner)."""
    rres = [r - sum(row) for r, row in zip(row_sum, mat)]
    cres = [c - sum(row[j] for row in mat) for j, c in enumerate(col_sum)]
    i = j = 0
    while i < len(rres) and j < len(cres):
        if rres[i] == 0:
            i += 1
        elif cres[j] == 0:
            j += 1
        else:
            x = min(rres[i], cres[j])
            mat[i][j] += x
            rres[i] -= x
            cres[j] -= x


def sweep(pieces: list[tuple[int, int, int, int]], layout: list[tuple[int, int]]) -> list[Row]:
    """Lay pieces (source, absolute position, length, hop), sorted by position, over
    destinations (id, length) laid end to end."""
    bounds, acc = [], 0
    for d, length in layout:
        bounds.append((d, acc, acc + length))
        acc += length
    rows = []
    for src, a, length, hop in pieces:
        for d, lo, hi in bounds:
            take_lo, take_hi = max(a, lo), min(a + length, hi)
            if take_hi > take_lo:
                rows.append((src, d, take_lo - lo, take_hi - take_lo, hop))
    return rows


def units(pieces: list[Piece]) -> list[tuple[int, int, int]]:
    """(index, hop, amount) per (index, hop), sorted."""
    acc: dict[tuple[int, int], int] = {}
    for idx, _start, length, hop in pieces:
        if length:
            acc[(idx, hop)] = acc.get((idx, hop), 0) + length
    return [(i, h, a) for (i, h), a in sorted(acc.items())]


def _desc(values: list[int]) -> list[int]:
    """Indices by value, largest first (ties: lower index first)."""
    return sorted(range(len(values)), key=lambda k: -values[k])


def _stream(us: list[tuple[int, int, int]], layout: list[tuple[int, int]]) -> list[Row]:
    placed, acc = [], 0
    for i, h, amt in us:
        placed.append((i, acc, amt, h))
        acc += amt
    return [(s, d, -1, x, h) for s, d, _st, x, h in sweep(placed, layout)]


def _matrix_rows(mat: list[list[int]], us: list[tuple[int, int, int]]) -> list[Row]:
    return [(us[a][0], b, -1, x, us[a][1]) for a, row in enumerate(mat) for b, x in enumerate(row)
            if x > 0]


def split_forward(policy: int, in_val: list[int], out_val: list[int], fee: int,
                  pieces: list[Piece]) -> list[Row]:
    """Forward split: tainted input pieces -> rows (input, output or fee=len(out_val), start,
    length, hop)."""
    n_in, n_out = len(in_val), len(out_val)
    total = sum(p[2] for p in pieces)
    if total == 0:
        return []
    col_val = list(out_val) + [fee]
    value = sum(col_val)
    if policy in (FIFO, LIFO):
        # Clayton's case: inputs end to end in order (LIFO: reversed), outputs in index
        # order, the fee last; positions inside each coin are kept
        order = range(n_in) if policy == FIFO else range(n_in - 1, -1, -1)
        base, acc = {}, 0
        for i in order:
            base[i] = acc
            acc += in_val[i]
        placed = sorted(((i, base[i] + s, n, h) for i, s, n, h in pieces), key=lambda p: p[1])
        return sweep(placed, [(j, col_val[j]) for j in range(n_out + 1)])
    us = units(pieces)
    if policy == TIHO:
        # the tainted amount fills the highest-value outputs first, the fee last
        return _stream(us, [(j, out_val[j]) for j in _desc(out_val)] + [(n_out, fee)])
    if policy == POISON:
        # every output and the fee fully tainted, each split over the units by their taint
        mat = [[c * a // total for c in col_val] for _i, _h, a in us]
        fill_residuals(mat, apportion(value, [a for _i, _h, a in us]), col_val)
        return _matrix_rows(mat, us)
    assert policy == HAIRCUT
    # each output gets total * value / (outputs + fee), floored; the rest to the fee,
    # capped at its value (any excess back to the largest remainders)
    outs = [total * w // value for w in out_val]
    rem = [total * w % value for w in out_val]
    to_fee = total - sum(outs)
    if to_fee > fee:
        for j in _desc(rem)[:to_fee - fee]:
            outs[j] += 1
        to_fee = fee
    mat = [[a * c // value for c in col_val] for _i, _h, a in us]
    fill_residuals(mat, [a for _i, _h, a in us], outs + [to_fee])
    return _matrix_rows(mat, us)


def split_backward(policy: int, in_val: list[int], out_val: list[int],
                   pieces: list[Piece]) -> list[Row]:
    """Backward split: demanded output pieces -> rows (output, input, start, length, hop)."""
    n_in = len(in_val)
    total = sum(p[2] for p in pieces)
    if total == 0:
        return []
    value = sum(in_val)
    if policy in (FIFO, LIFO):
        # the forward stream read from the outputs' side
        obase, acc = [], 0
        for w in out_val:
            obase.append(acc)
            acc += w
        placed = sorted(((j, obase[j] + s, n, h) for j, s, n, h in pieces), key=lambda p: p[1])
        order = range(n_in) if policy == FIFO else range(n_in - 1, -1, -1)
        return sweep(placed, [(i, in_val[i]) for i in order])
    us = units(pieces)
    if policy == TIHO:
        # the demand is drawn from the highest-value inputs first
        return _stream(us, [(i, in_val[i]) for i in _desc(in_val)])
    if policy == POISON:
        # every input is a full source of the demanded outputs
        mat = [[v * a // total for v in in_val] for _j, _h, a in us]
        fill_residuals(mat, apportion(value, [a for _j, _h, a in us]), list(in_val))
        return _matrix_rows(mat, us)
    assert policy == HAIRCUT
    # each input supplies the demand in proportion to its value
    mat = [[a * v // value for v in in_val] for _j, _h, a in us]
    fill_residuals(mat, [a for _j, _h, a in us], apportion(total, list(in_val)))
    return _matrix_rows(mat, us)
