"""A small chain held in memory in the layout of the store's analysis
arrays (``store.arrays``), built from plain transaction descriptions: what
the reference twins and the property tests run the kernels on, without a
store."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chaintrail.store.arrays import FLAG_COINBASE, FLAG_SEGWIT


@dataclass
class TxSpec:
    """One transaction: inputs spend (tx index, vout) of earlier txs, or are coinbase when
    `inputs` is empty; outputs are (value, script type code, address id or -1)."""

    inputs: list[tuple[int, int]]
    outputs: list[tuple[int, int, int]]
    height: int = 0
    version: int = 2
    locktime: int = 0
    sequences: list[int] | None = None


@dataclass
class ArrayChain:
    """The analysis arrays of a list of TxSpec (attribute names as in ChainArrays)."""

    specs: list[TxSpec]
    counts: dict = field(default_factory=dict)

    def __post_init__(self):
        txs = self.specs
        n_tx = len(txs)
        n_in = sum(max(len(t.inputs), 1) for t in txs)
        n_out = sum(len(t.outputs) for t in txs)
        self.tx_first_in = np.zeros(n_tx, np.int64)
        self.tx_first_out = np.zeros(n_tx, np.int64)
        self.tx_n_in = np.zeros(n_tx, np.int32)
        self.tx_n_out = np.zeros(n_tx, np.int32)
        self.tx_height = np.array([t.height for t in txs], np.int32)
        self.tx_version = np.array([t.version for t in txs], np.int32)
        self.tx_locktime = np.array([t.locktime for t in txs], np.uint32)
        self.tx_flags = np.array([FLAG_COINBASE if not t.inputs else FLAG_SEGWIT for t in txs], np.uint8)
        self.tx_hash = np.zeros((n_tx, 32), np.uint8)
        for k in range(n_tx):
            self.tx_hash[k, :8] = np.frombuffer(int(k + 1).to_bytes(8, "little"), np.uint8)
        self.out_tx = np.zeros(n_out, np.int64)
        self.out_value = np.zeros(n_out, np.int64)
        self.out_type = np.zeros(n_out, np.uint8)
        self.out_address = np.full(n_out, -1, np.int64)
        self.out_spent_by = np.full(n_out, -1, np.int64)
        self.in_tx = np.zeros(n_in, np.int64)
        self.in_spent = np.full(n_in, -1, np.int64)
        self.in_sequence = np.full(n_in, 0xFFFFFFFF, np.uint32)
        i = o = 0
        for k, t in enumerate(txs):
            self.tx_first_in[k] = i
            self.tx_first_out[k] = o
            self.tx_n_out[k] = len(t.outputs)
            for v, ty, a in t.outputs:
                self.out_tx[o] = k
                self.out_value[o] = v
                self.out_type[o] = ty
                self.out_address[o] = a
                o += 1
            ins = t.inputs or [(-1, -1)]
            self.tx_n_in[k] = len(ins)
            for j, (pt, pv) in enumerate(ins):
                self.in_tx[i] = k
                if pt >= 0:
                    spent = int(self.tx_first_out[pt]) + pv
                    self.in_spent[i] = spent
                    self.out_spent_by[spent] = i
                if t.sequences is not None:
                    self.in_sequence[i] = t.sequences[j]
                i += 1
        n_addr = int(self.out_address.max()) + 1 if n_out and self.out_address.max() >= 0 else 0
        has = np.nonzero(self.out_address >= 0)[0]
        order = has[np.argsort(self.out_address[has], kind="stable")]
        counts = np.bincount(self.out_address[has], minlength=n_addr) if has.size else np.zeros(n_addr, np.int64)
        self.ao_start = np.zeros(n_addr + 1, np.int64)
        np.cumsum(counts, out=self.ao_start[1:])
        self.ao_ids = order.astype(np.int64)
        self.addr_first_height = np.full(n_addr, -1, np.int32)
        self.addr_type = np.zeros(n_addr, np.uint8)
        for a in range(n_addr):
            if self.ao_start[a + 1] > self.ao_start[a]:
                first = self.ao_ids[self.ao_start[a]]
                self.addr_first_height[a] = self.tx_height[self.out_tx[first]]
                self.addr_type[a] = self.out_type[first]
        self.counts = {"txs": n_tx, "outputs": n_out, "inputs": n_in, "addresses": n_addr, "blocks": 0}
