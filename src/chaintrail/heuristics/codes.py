"""Integer codes of the heuristics room: CoinJoin protocols (per-transaction
verdicts) and change heuristics (bits of a per-output candidate mask).

Numba reads module-level integers as compile-time constants, so the kernels
use these names directly.
"""

from __future__ import annotations

# ----------------------------------------------------------------- CoinJoin protocols
CJ_NONE = 0
CJ_WASABI1 = 1
CJ_WASABI2 = 2
CJ_WHIRLPOOL = 3
CJ_JOINMARKET = 4
CJ_GENERIC = 5
#: protocol names as stored in the store (``txs.coinjoin_protocol``); index = code
PROTOCOL_NAMES: tuple[str, ...] = ("", "wasabi1", "wasabi2", "whirlpool", "joinmarket", "generic")
PROTOCOL_CODES: dict[str, int] = {n: c for c, n in enumerate(PROTOCOL_NAMES) if n}

# ----------------------------------------------------------------- change heuristics
H_FRESH = 0
H_OPTIMAL = 1
H_TYPE = 2
H_POW10 = 3
H_LOCKTIME = 4
H_VERSION = 5
H_RBF = 6
H_PEEL = 7
H_REUSE = 8
#: command-line names of the change heuristics; index = code (bit of the evidence mask)
HEURISTIC_NAMES: tuple[str, ...] = (
    "fresh-address", "optimal-change", "address-type", "power-of-ten", "locktime", "version",
    "rbf", "peel-chain", "address-reuse",
)
HEURISTIC_CODES: dict[str, int] = {n: c for c, n in enumerate(HEURISTIC_NAMES)}
N_HEURISTICS = len(HEURISTIC_NAMES)

# ----------------------------------------------------------------- merge evidence
#: what an evidence edge (a successful union) rests on
EV_MULTI_INPUT = 1
EV_CHANGE = 2
EVIDENCE_NAMES: dict[int, str] = {EV_MULTI_INPUT: "multi-input", EV_CHANGE: "change"}

#: why a merge was refused
REFUSE_TAGS = 1  # the two clusters hold different attributed services
REFUSE_CANNOT_LINK = 2  # a negative signal (a payee of the cluster) forbids it
REFUSE_OTHER_OUTPUT = 3  # another output of the transaction already pays the inputs' cluster
REFUSE_NAMES: dict[int, str] = {REFUSE_TAGS: "different-services", REFUSE_CANNOT_LINK: "cannot-link",
                                REFUSE_OTHER_OUTPUT: "other-output-in-cluster"}
