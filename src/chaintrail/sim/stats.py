"""Realism figures of a simulated chain, gathered per block from the block
tables, and the intended values they are printed next to (``--stats``).

Intended values: the profile's targets, and for shapes the rough shares seen
on the real chain in recent years (about 55-60% of transactions spend one
input, 55-65% have two outputs, about half reuse an address somewhere).
"""

# ruff: noqa: E741  (I and O are the block's input and output tables)

from __future__ import annotations

import numpy as np

from chaintrail.bitcoin import script_types as st
from chaintrail.sim import codes as K

IN_BUCKETS = ("1", "2", "3", "4-5", "6-10", "11+")
OUT_BUCKETS = ("1", "2", "3", "4-5", "6-10", "11+")
_EDGES = np.array([1, 2, 3, 4, 6, 11])
FEE_BINS = np.logspace(-1, 4, 501)  # sat/vB


def _bucket(n: np.ndarray) -> np.ndarray:
    return np.searchsorted(_EDGES, n, side="right") - 1


class SimStats:
    def __init__(self) -> None:
        self.txs = 0
        self.coinbase = 0
        self.reuse = 0
        self.kinds = np.zeros(len(K.KIND_NAMES), np.int64)
        self.protocols = np.zeros(len(K.PROTOCOL_NAMES), np.int64)
        self.nin = np.zeros(len(IN_BUCKETS), np.int64)
        self.nout = np.zeros(len(OUT_BUCKETS), np.int64)
        self.stypes = np.zeros(len(st.NAMES), np.int64)
        self.stypes_thirds = np.zeros((3, len(st.NAMES)), np.int64)
        self.fee_hist = np.zeros(len(FEE_BINS) + 1, np.int64)
        self.segwit = 0
        self.vbytes = 0
        self.blocks = 0

    def add_block(self, T: np.ndarray, ntx: int, O: np.ndarray, nout_rows: int, third: int) -> None:
        self.blocks += 1
        Tn = T[:ntx]
        kinds = Tn[:, K.T_KIND]
        self.kinds += np.bincount(kinds, minlength=len(K.KIND_NAMES))
        self.protocols += np.bincount(Tn[:, K.T_PROTO], minlength=len(K.PROTOCOL_NAMES))
        self.coinbase += 1
        nc = Tn[1:]
        self.txs += len(nc)
        self.reuse += int(nc[:, K.T_REUSE].sum())
        self.nin += np.bincount(_bucket(nc[:, K.T_NIN]), minlength=len(IN_BUCKETS))
        self.nout += np.bincount(_bucket(nc[:, K.T_NOUT]), minlength=len(OUT_BUCKETS))
        self.segwit += int(nc[:, K.T_SEGWIT].sum())
        self.vbytes += int(nc[:, K.T_VSIZE].sum())
        if len(nc):
            rate = nc[:, K.T_FEE] / np.maximum(nc[:, K.T_VSIZE], 1)
            self.fee_hist += np.bincount(np.searchsorted(FEE_BINS, rate), minlength=len(FEE_BINS) + 1)
        types = O[:nout_rows, K.O_STYPE]
        types = types[types < len(st.NAMES)]
        c = np.bincount(types, minlength=len(st.NAMES))
        self.stypes += c
        self.stypes_thirds[third] += c

    def fee_quantile(self, q: float) -> float:
        tot = self.fee_hist.sum()
        if tot == 0:
            return 0.0
        k = int(np.searchsorted(np.cumsum(self.fee_hist), q * tot))
        return float(FEE_BINS[min(k, len(FEE_BINS) - 1)])

    def as_dict(self) -> dict:
        n = max(self.txs, 1)
        outs = max(int(self.stypes.sum()), 1)
        d = {
            "transactions": self.txs + self.coinbase,
            "non_coinbase": self.txs,
            "blocks": self.blocks,
            "address_reuse_share": self.reuse / n,
            "coinjoin_share": int(self.kinds[K.K_COINJOIN]) / n,
            "segwit_share": self.segwit / n,
            "fee_rate_median": self.fee_quantile(0.5),
            "fee_rate_p10": self.fee_quantile(0.1),
            "fee_rate_p90": self.fee_quantile(0.9),
            "inputs": {b: int(v) / n for b, v in zip(IN_BUCKETS, self.nin)},
            "outputs": {b: int(v) / n for b, v in zip(OUT_BUCKETS, self.nout)},
            "script_types": {st.NAMES[i]: int(v) / outs for i, v in enumerate(self.stypes) if v},
            "script_types_by_third": [
                {st.NAMES[i]: int(v) / max(int(row.sum()), 1) for i, v in enumerate(row) if v}
                for row in self.stypes_thirds
            ],
            "kinds": {K.KIND_NAMES[i]: int(v) for i, v in enumerate(self.kinds)},
            "coinjoin_protocols": {K.PROTOCOL_NAMES[i]: int(v) for i, v in enumerate(self.protocols)
                                   if i and v},
        }
        return d


def realism_rows(stats: dict, prof) -> list[tuple[str, str, str]]:
    """(figure, simulated, intended) rows for --stats."""
    pct = lambda x: f"{100 * x:.1f}%"  # noqa: E731
    rows = [
        ("transactions with address reuse", pct(stats["address_reuse_share"]), f"~{pct(prof.target_reuse)}"),
        ("CoinJoin share", pct(stats["coinjoin_share"]), f"~{pct(prof.target_coinjoin)}"),
        ("SegWit transactions", pct(stats["segwit_share"]), "rising over time"),
        ("fee rate median (sat/vB)", f"{stats['fee_rate_median']:.1f}", f"~{prof.target_fee_median:g}"),
        ("fee rate 10-90% (sat/vB)", f"{stats['fee_rate_p10']:.1f} - {stats['fee_rate_p90']:.1f}", "~2 - 60"),
        ("1-input transactions", pct(stats["inputs"]["1"]), f"~{pct(prof.target_one_input)}"),
        ("2-input transactions", pct(stats["inputs"]["2"]), "~20%"),
        ("3+ input transactions", pct(1 - stats["inputs"]["1"] - stats["inputs"]["2"]), "~20%"),
        ("1-output transactions", pct(stats["outputs"]["1"]), "~15%"),
        ("2-output transactions", pct(stats["outputs"]["2"]), f"~{pct(prof.target_two_outputs)}"),
        ("3+ output transactions", pct(1 - stats["outputs"]["1"] - stats["outputs"]["2"]), "~20%"),
    ]
    thirds = stats["script_types_by_third"]
    for name, label in (("p2pkh", "legacy P2PKH"), ("p2sh", "P2SH (nested SegWit)"),
                        ("p2wpkh", "P2WPKH"), ("p2tr", "P2TR")):
        vals = " -> ".join(pct(t.get(name, 0.0)) for t in thirds)
        intended = {"p2pkh": "falls", "p2sh": "rises, then falls", "p2wpkh": "rises",
                    "p2tr": "appears late"}[name]
        rows.append((f"{label} outputs (first/middle/last third)", vals, intended))
    return rows
