"""Change detection over a range of transactions: a ``--change`` expression
compiled to a lookup table of its verdicts, which ``change_kernels.change_kernel``
applies to every transaction; a transaction gets a change output only where
exactly one candidate is left."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chaintrail.heuristics import change_kernels as K
from chaintrail.heuristics.change_expr import ChangeSpecError, Leaf, Node, Op, leaves
from chaintrail.heuristics.codes import H_POW10
from chaintrail.heuristics.input_facts import InputFacts, spender_tx

#: most distinct heuristics one expression may use (its lookup table has 4^n entries)
MAX_LEAVES = 11


@dataclass
class Program:
    """A compiled expression: its heuristics (code, unit) and the table of its verdicts.

    ``table[(opinions << n) | candidates]`` for a transaction whose heuristics' opinion bits
    are `opinions` and an output whose candidate bits are `candidates` (bit k = heuristic k):
    bit 1 = the expression has an opinion on the transaction, bit 0 = the output is a candidate.
    """

    leaf_code: np.ndarray  # int64
    leaf_unit: np.ndarray  # int64: 10^d for power-of-ten, 1 otherwise
    table: np.ndarray  # uint8


def _verdicts(node: Node, index: dict, op_bits: np.ndarray, c_bits: np.ndarray):
    """(opinion, candidate) of an expression for every combination of bits at once."""
    if isinstance(node, Leaf):
        k = index[node]
        o = ((op_bits >> k) & 1) == 1
        return o, o & (((c_bits >> k) & 1) == 1)
    assert isinstance(node, Op)
    xo, xc = _verdicts(node.left, index, op_bits, c_bits)
    yo, yc = _verdicts(node.right, index, op_bits, c_bits)
    if node.op == "&":
        return xo | yo, np.where(xo & yo, xc & yc, np.where(xo, xc, yc))
    if node.op == "|":
        return xo | yo, xc | yc
    return xo, xc & ~yc


def compile_program(node: Node) -> Program:
    """The heuristics of an expression and the table of its verdicts."""
    ls = leaves(node)
    n = len(ls)
    if n > MAX_LEAVES:
        raise ChangeSpecError(f"--change: at most {MAX_LEAVES} distinct heuristics in one expression")
    index = {leaf: k for k, leaf in enumerate(ls)}
    idx = np.arange(1 << (2 * n), dtype=np.int64)
    op, cand = _verdicts(node, index, idx >> n, idx & ((1 << n) - 1))
    table = (op.astype(np.uint8) << 1) | cand.astype(np.uint8)
    unit = [10 ** (leaf.param or 0) if leaf.code == H_POW10 else 1 for leaf in ls]
    return Program(np.array([leaf.code for leaf in ls], np.int64), np.array(unit, np.int64), table)


def eligible(arrays, coinjoin: np.ndarray, t0: int = 0, t1: int | None = None,
             max_outputs: int | None = None) -> np.ndarray:
    """Per tx of the store (filled for [t0, t1)): non-coinbase, not a CoinJoin, two outputs
    with an address (and at most `max_outputs` outputs)."""
    a = arrays
    n = a.counts["txs"]
    t1 = n if t1 is None else t1
    out = np.zeros(n, np.bool_)
    K.eligible_kernel(t0, t1, a.tx_n_out, a.tx_first_out, a.tx_flags, a.out_address, coinjoin,
                      np.int64(max_outputs if max_outputs is not None else 1 << 40), out)
    return out


class ChangeContext:
    """What change detection needs over one pass: the arrays, eligibility, the horizon limit
    of each tx (spends by txs at or above it are not seen), the inputs' facts, and lazily
    computed per-output and per-tx features."""

    def __init__(self, arrays, elig: np.ndarray, limit: np.ndarray, facts: InputFacts | None = None):
        self.a = arrays
        self.elig = elig
        self.limit = limit
        self.facts = facts if facts is not None else InputFacts.gather(arrays)
        self._feat: np.ndarray | None = None
        self._first: np.ndarray | None = None
        self._spender: np.ndarray | None = None

    def spender(self) -> np.ndarray:
        """Per output: the tx spending it, -1 if unspent."""
        if self._spender is None:
            self._spender = spender_tx(self.a)
        return self._spender

    def first_output(self) -> np.ndarray:
        """Per output: it is the first output ever paying its address."""
        if self._first is None:
            a = self.a
            self._first = np.zeros(a.counts["outputs"], np.bool_)
            K.first_output_kernel(a.ao_start, a.ao_ids, self._first)
        return self._first

    def features(self) -> np.ndarray:
        """Per tx: locktime > 0, RBF signalling and peel shape bits, and the version
        (change_kernels.FEAT_*)."""
        if self._feat is None:
            a = self.a
            self._feat = np.zeros(a.counts["txs"], np.int64)
            K.feature_kernel(a.tx_locktime, a.tx_version, a.tx_first_in, a.tx_n_in, a.tx_n_out,
                             a.in_sequence, self._feat)
        return self._feat


@dataclass
class ChangeResult:
    """Change decisions of txs [t0, t1): the change output id (or -1) and, per tx, the bit mask
    (bit = heuristic code) of heuristics that had an opinion and counted that output a candidate."""

    t0: int
    change: np.ndarray  # int64 output id or -1, per tx of the range
    support: np.ndarray  # uint16


def detect_change(ctx: ChangeContext, node: Node | None, t0: int, t1: int) -> ChangeResult:
    """Unique change output of every tx in [t0, t1) under the expression `node`."""
    a = ctx.a
    n = max(t1 - t0, 0)
    if node is None or n == 0:
        return ChangeResult(t0, np.full(n, -1, np.int64), np.zeros(n, np.uint16))
    p = compile_program(node)
    change = np.full(n, -1, np.int64)
    support = np.zeros(n, np.uint16)
    f = ctx.facts
    if int(a.tx_first_in[t0]) < f.i0:
        raise ValueError("the input facts do not cover the transactions asked for")
    K.change_kernel(t0, t1, ctx.elig, p.leaf_code, p.leaf_unit, p.table, a.tx_first_in, a.tx_n_in,
                    a.tx_first_out, a.tx_n_out, ctx.features(), f.i0, f.addr, f.value,
                    f.type, a.in_spent, a.out_value, a.out_type, a.out_address, a.out_tx, ctx.spender(),
                    ctx.first_output(), ctx.limit, change, support)
    return ChangeResult(t0, change, support)
