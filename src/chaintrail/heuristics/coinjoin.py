"""CoinJoin verdicts for every transaction of a store: the protocol code of
each transaction (``codes.PROTOCOL_NAMES``) and whether all its inputs were
known when it was judged.

The mainnet height gates of methods.md section 2 (Wasabi 1 from 530,500,
Whirlpool from 570,000, Wasabi 2 from 741,213, Wasabi 1's coordinator
addresses before 610,000) apply on mainnet only: on the other networks
(the simulator writes regtest) every rule applies at every height and
Wasabi 1 is recognised by its post-610,000 shape.
"""

from __future__ import annotations

import numpy as np

from chaintrail.heuristics.coinjoin_kernels import (
    GATE_WASABI1,
    GATE_WASABI1_NOCOORD,
    GATE_WASABI2,
    GATE_WHIRLPOOL,
    detect_kernel,
)
from chaintrail.heuristics.denominations import (
    STANDARD_DENOMINATIONS,
    WASABI1_COORDINATORS,
    WHIRLPOOL_POOLS,
)
from chaintrail.heuristics.input_facts import InputFacts

_NO_GATE = np.iinfo(np.int32).min


def gates(network: str | None) -> np.ndarray:
    """Height gates (wasabi1, wasabi1 without coordinator, whirlpool, wasabi2) for a network."""
    if network == "mainnet":
        return np.array([GATE_WASABI1, GATE_WASABI1_NOCOORD, GATE_WHIRLPOOL, GATE_WASABI2], np.int64)
    return np.full(4, _NO_GATE, np.int64)


def coordinator_ids(arrays, network: str | None) -> np.ndarray:
    """address_ids of the Wasabi 1 coordinator addresses present in the store (mainnet only)."""
    if network != "mainnet":
        return np.zeros(0, np.int64)
    from chaintrail.heuristics.address_ids import address_ids

    ids = address_ids(arrays, list(WASABI1_COORDINATORS))
    return ids[ids >= 0]


def detect_coinjoins(arrays, network: str | None, start: int = 0,
                     previous: tuple[np.ndarray, np.ndarray] | None = None,
                     facts: InputFacts | None = None,
                     coordinators: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(protocol code uint8, inputs known bool) per tx_id; txs before `start` copied from `previous`.
    `facts` must cover the inputs of the txs from `start` (gathered when not given);
    `coordinators`: address ids of the Wasabi 1 coordinator (looked up when not given)."""
    n = arrays.counts["txs"]
    codes = np.zeros(n, np.uint8)
    known = np.ones(n, np.bool_)
    if previous is not None and start:
        codes[:start] = previous[0][:start]
        known[:start] = previous[1][:start]
    else:
        start = 0
    if n > start:
        a = arrays
        i0 = int(a.tx_first_in[start])
        if facts is None or facts.i0 > i0:
            facts = InputFacts.gather(a, i0)
        detect_kernel(start, n, a.tx_first_in, a.tx_n_in, a.tx_first_out, a.tx_n_out, a.tx_height,
                      a.tx_flags, a.out_value, a.out_type, a.out_address, a.out_tx, a.in_spent,
                      facts.i0, facts.addr, facts.value, facts.type, STANDARD_DENOMINATIONS,
                      np.sort(WHIRLPOOL_POOLS),
                      coordinator_ids(a, network) if coordinators is None else np.asarray(coordinators, np.int64),
                      gates(network), codes, known)
    return codes, known
