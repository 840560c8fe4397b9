"""Display names of the store's ids: txids, outpoints (``txid:vout``) and
address strings, for the few thousand rows a result shows or exports."""

from __future__ import annotations

import numpy as np


def txids(arrays, tx_ids) -> list[str]:
    """Display-order hex txid of each tx id."""
    ids = np.asarray(tx_ids, np.int64)
    if ids.size == 0:
        return []
    raw = np.asarray(arrays.tx_hash[ids]).tobytes()
    return [raw[32 * k:32 * k + 32].hex() for k in range(ids.size)]


def outpoints(arrays, output_ids) -> list[str]:
    """``txid:vout`` of each output id."""
    o = np.asarray(output_ids, np.int64)
    if o.size == 0:
        return []
    t = np.asarray(arrays.out_tx[o])
    vout = o - np.asarray(arrays.tx_first_out[t])
    return [f"{h}:{v}" for h, v in zip(txids(arrays, t), vout.tolist())]


def addresses(arrays, address_ids) -> list[str | None]:
    """Address string of each address id (None for -1)."""
    return [None if a < 0 else arrays.address_text(a) for a in np.asarray(address_ids).tolist()]
