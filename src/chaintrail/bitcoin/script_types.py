"""The output script types of the store contract, with the small integer codes
that the numba kernels and the on-disk columns use."""

from __future__ import annotations

P2PK = 0
P2PKH = 1
P2SH = 2
P2WPKH = 3
P2WSH = 4
P2TR = 5
P2A = 6
MULTISIG = 7
OP_RETURN = 8
WITNESS_UNKNOWN = 9
NONSTANDARD = 10

NAMES: tuple[str, ...] = (
    "p2pk", "p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr", "p2a",
    "multisig", "op_return", "witness_unknown", "nonstandard",
)
CODES: dict[str, int] = {name: code for code, name in enumerate(NAMES)}

#: Types whose outputs have an address (design.md: p2pk shows its key's P2PKH address).
HAS_ADDRESS: frozenset[int] = frozenset({P2PK, P2PKH, P2SH, P2WPKH, P2WSH, P2TR, P2A, WITNESS_UNKNOWN})

#: Longest payload an address encodes: a witness program of 40 bytes.
MAX_PAYLOAD = 40
