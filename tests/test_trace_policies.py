"""The five taint policies on single transactions: methods.md's worked
example exactly, conservation on random transactions (Hypothesis), the
numba kernels row for row against the plain-Python twins, and FIFO, LIFO
and TIHO against a satoshi-by-satoshi simulation of their definitions."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaintrail.trace import split_kernels as K
from chaintrail.trace import split_reference as R
from chaintrail.trace.policies import FIFO, HAIRCUT, LIFO, POISON, POLICY_CODES, TIHO

BTC = 100_000_000
# in0 = 3 BTC clean, in1 = 2 BTC tainted; out0 = 1, out1 = 3.9; fee 0.1
IN = [3 * BTC, 2 * BTC]
OUT = [1 * BTC, 390_000_000]
FEE = 10_000_000
TABLE = {  # methods.md section 3: (out0, out1, fee) tainted, in BTC
    "poison": ("1", "3.9", "0.1"),
    "haircut": ("0.4", "1.56", "0.04"),
    "fifo": ("0", "1.9", "0.1"),
    "lifo": ("1", "1.0", "0"),
    "tiho": ("0", "2.0", "0"),
}


def kernel_forward(policy, in_val, out_val, fee, pieces):
    """split_kernels.split_forward with list arguments, rows as tuples."""
    n_p = len(pieces)
    cap = max(1, K.forward_bound(policy, n_p, len(in_val), len(out_val)))
    r = [np.zeros(cap, np.int64) for _ in range(5)]
    p = [np.array([x[k] for x in pieces], np.int64) for k in range(4)] if pieces else \
        [np.zeros(0, np.int64)] * 4
    n = K.split_forward(policy, np.array(in_val, np.int64), len(in_val), np.array(out_val, np.int64),
                        len(out_val), fee, p[0], p[1], p[2], p[3], n_p, *r)
    return [tuple(int(a[k]) for a in r) for k in range(n)]


def kernel_backward(policy, in_val, out_val, pieces):
    n_p = len(pieces)
    cap = max(1, K.backward_bound(policy, n_p, len(in_val), len(out_val)))
    r = [np.zeros(cap, np.int64) for _ in range(5)]
    p = [np.array([x[k] for x in pieces], np.int64) for k in range(4)] if pieces else \
        [np.zeros(0, np.int64)] * 4
    n = K.split_backward(policy, np.array(in_val, np.int64), len(in_val), np.array(out_val, np.int64),
                         len(out_val), p[0], p[1], p[2], p[3], n_p, *r)
    return [tuple(int(a[k]) for a in r) for k in range(n)]


def per_dest(rows, n):
    acc = [0] * n
    for _s, d, _st, amount, _h in rows:
        acc[d] += amount
    return acc


@pytest.mark.parametrize("name", list(TABLE))
def test_worked_example(name):
    policy = POLICY_CODES[name]
    pieces = [(1, 0, 2 * BTC, 0)]
    want = [int(Fraction(x) * BTC) for x in TABLE[name]]
    for split in (R.split_forward, kernel_forward):
        rows = split(policy, IN, OUT, FEE, pieces)
        assert per_dest(rows, 3) == want, (name, split)
        assert all(s == 1 for s, *_ in rows)  # all of it comes from the tainted input


def test_worked_example_backward():
    """Backward: where did out1's 3.9 BTC come from? Each policy's own answer."""
    pieces = [(1, 0, 390_000_000, 0)]
    got = {name: per_dest(R.split_backward(POLICY_CODES[name], IN, OUT, pieces), 2) for name in TABLE}
    assert got["haircut"] == [234_000_000, 156_000_000]  # 3/5 and 2/5 of 3.9
    assert got["fifo"] == [200_000_000, 190_000_000]  # out1 = [1, 4.9) of in0 [0,3) + in1 [3,5)
    assert got["lifo"] == [290_000_000, 100_000_000]  # in1 first: [0,2); out1 = [1, 4.9)
    assert got["tiho"] == [300_000_000, 90_000_000]  # the largest input first
    assert got["poison"] == [300_000_000, 200_000_000]  # every input wholly
    for name in TABLE:
        assert kernel_backward(POLICY_CODES[name], IN, OUT, pieces) == \
            R.split_backward(POLICY_CODES[name], IN, OUT, pieces)


# ---------------------------------------------------------------- random transactions

@st.composite
def transactions(draw, max_in=6, max_out=6, small=False):
    """(inputs, outputs, fee): values with sum(inputs) = sum(outputs) + fee."""
    hi = 60 if small else 21_000_000 * BTC // 8
    ins = [draw(st.integers(0 if small else 1, hi)) for _ in range(draw(st.integers(1, max_in)))]
    total = sum(ins)
    fee = draw(st.integers(0, total)) if draw(st.booleans()) else 0
    cuts = sorted(draw(st.integers(0, total - fee)) for _ in range(draw(st.integers(0, max_out - 1))))
    edges = [0, *cuts, total - fee]
    outs = [edges[k + 1] - edges[k] for k in range(len(edges) - 1)]
    return ins, outs, fee


@st.composite
def forward_cases(draw, small=False):
    ins, outs, fee = draw(transactions(small=small))
    pieces = []
    for i, v in enumerate(ins):
        if v and draw(st.booleans()):
            a = draw(st.integers(0, v - 1))
            b = draw(st.integers(a + 1, v))
            pieces.append((i, a, b - a, draw(st.integers(0, 3))))
            if b < v and draw(st.booleans()):  # a second stretch, further in the coin
                c = draw(st.integers(b, v - 1))
                pieces.append((i, c, draw(st.integers(1, v - c)), draw(st.integers(0, 3))))
    return ins, outs, fee, pieces


@st.composite
def backward_cases(draw, small=False):
    ins, outs, fee = draw(transactions(small=small))
    pieces = []
    for j, w in enumerate(outs):
        if w and draw(st.booleans()):
            a = draw(st.integers(0, w - 1))
            pieces.append((j, a, draw(st.integers(1, w - a)), draw(st.integers(0, 3))))
    return ins, outs, fee, pieces


@settings(max_examples=300, deadline=None)
@given(forward_cases(), st.sampled_from([HAIRCUT, FIFO, LIFO, TIHO]))
def test_forward_conserves_exactly(case, policy):
    """Tainted amounts over outputs + fee == the tainted input amount, to the satoshi, per hop."""
    ins, outs, fee, pieces = case
    rows = R.split_forward(policy, ins, outs, fee, pieces)
    assert sum(r[3] for r in rows) == sum(p[2] for p in pieces)
    for hop in {p[3] for p in pieces}:
        assert sum(r[3] for r in rows if r[4] == hop) == sum(p[2] for p in pieces if p[3] == hop)
    for i in range(len(ins)):  # what leaves an input is what was tainted in it
        assert sum(r[3] for r in rows if r[0] == i) == sum(p[2] for p in pieces if p[0] == i)
    dest = per_dest(rows, len(outs) + 1)
    assert all(0 <= dest[j] <= w for j, w in enumerate(outs + [fee]))
    assert rows == kernel_forward(policy, ins, outs, fee, pieces)


@settings(max_examples=300, deadline=None)
@given(backward_cases(), st.sampled_from([HAIRCUT, FIFO, LIFO, TIHO]))
def test_backward_conserves_exactly(case, policy):
    """Demanded amounts over the inputs == the demand on the outputs, to the satoshi."""
    ins, outs, _fee, pieces = case
    rows = R.split_backward(policy, ins, outs, pieces)
    assert sum(r[3] for r in rows) == sum(p[2] for p in pieces)
    for j in range(len(outs)):
        assert sum(r[3] for r in rows if r[0] == j) == sum(p[2] for p in pieces if p[0] == j)
    dest = per_dest(rows, len(ins))
    assert all(0 <= dest[i] <= v for i, v in enumerate(ins))
    assert rows == kernel_backward(policy, ins, outs, pieces)


@settings(max_examples=200, deadline=None)
@given(forward_cases())
def test_poison_taints_everything(case):
    """Poison is not conservative: any taint makes every output and the fee wholly tainted."""
    ins, outs, fee, pieces = case
    rows = R.split_forward(POISON, ins, outs, fee, pieces)
    if sum(p[2] for p in pieces) == 0:
        assert rows == []
        return
    assert per_dest(rows, len(outs) + 1) == outs + [fee]
    assert sum(r[3] for r in rows) == sum(ins)
    assert rows == kernel_forward(POISON, ins, outs, fee, pieces)
    back = [(j, 0, w, 0) for j, w in enumerate(outs) if w]
    brow = R.split_backward(POISON, ins, outs, back)
    if back:
        assert per_dest(brow, len(ins)) == ins
    assert brow == kernel_backward(POISON, ins, outs, back)


@settings(max_examples=300, deadline=None)
@given(forward_cases())
def test_haircut_is_proportional(case):
    """Each output's share is taint * value / (outputs + fee), floored, off by less than one
    satoshi per output (the rest goes to the fee, capped)."""
    ins, outs, fee, pieces = case
    total = sum(p[2] for p in pieces)
    rows = R.split_forward(HAIRCUT, ins, outs, fee, pieces)
    dest = per_dest(rows, len(outs) + 1)
    value = sum(ins)
    for j, w in enumerate(outs):
        exact = Fraction(total * w, value)
        assert exact - 1 < dest[j] <= exact + 1
    assert dest[-1] <= fee


# ---------------------------------------------------------------- satoshi by satoshi


def satoshis_forward(policy, ins, outs, fee, pieces):
    """Each satoshi labelled with its input and hop (None: clean), moved one by one."""
    coins = []
    for i, v in enumerate(ins):
        lab = [None] * v
        for idx, a, n, h in pieces:
            if idx == i:
                for x in range(a, a + n):
                    lab[x] = (i, h)
        coins.append(lab)
    if policy == FIFO:
        stream = [s for c in coins for s in c]
        order = list(range(len(outs))) + [len(outs)]
    elif policy == LIFO:
        stream = [s for c in reversed(coins) for s in c]
        order = list(range(len(outs))) + [len(outs)]
    else:  # TIHO: tainted satoshis first (by input, then hop), into the largest outputs first
        tainted = sorted((s for c in coins for s in c if s is not None))
        stream = tainted + [None] * (sum(ins) - len(tainted))
        order = sorted(range(len(outs)), key=lambda j: -outs[j]) + [len(outs)]
    sizes = outs + [fee]
    acc: dict[tuple, int] = {}
    pos = 0
    for d in order:
        for s in stream[pos:pos + sizes[d]]:
            if s is not None:
                acc[(s[0], d, s[1])] = acc.get((s[0], d, s[1]), 0) + 1
        pos += sizes[d]
    return acc


@settings(max_examples=300, deadline=None)
@given(forward_cases(small=True), st.sampled_from([FIFO, LIFO, TIHO]))
def test_positional_policies_match_satoshi_simulation(case, policy):
    ins, outs, fee, pieces = case
    rows = R.split_forward(policy, ins, outs, fee, pieces)
    got: dict[tuple, int] = {}
    for s, d, _st, n, h in rows:
        got[(s, d, h)] = got.get((s, d, h), 0) + n
    assert got == satoshis_forward(policy, ins, outs, fee, pieces)


@settings(max_examples=200, deadline=None)
@given(backward_cases(small=True), st.sampled_from([FIFO, LIFO]))
def test_fifo_backward_inverts_forward(case, policy):
    """Backward FIFO/LIFO finds exactly the input satoshis that forward FIFO/LIFO put there."""
    ins, outs, fee, pieces = case
    back = R.split_backward(policy, ins, outs, pieces)
    # push those input stretches forward again: they must land exactly on the demanded pieces
    fwd = R.split_forward(policy, ins, outs, fee, [(i, s, n, h) for _j, i, s, n, h in back])
    def stretches(rows):
        out = set()
        for _a, b, s, n, h in rows:
            out |= {(b, x, h) for x in range(s, s + n)}
        return out
    assert stretches(fwd) == {(j, x, h) for j, a, n, h in pieces for x in range(a, a + n)}
