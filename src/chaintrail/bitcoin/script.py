"""Output script classification (the store's script types) and the BIP34
block height in a coinbase scriptSig. The pure-Python reference; the bulk
twin is ``classify_kernels``."""

from __future__ import annotations

from chaintrail.bitcoin import script_types as st
from chaintrail.bitcoin.hashing import hash160

OP_0 = 0x00
OP_PUSHDATA1 = 0x4C
OP_PUSHDATA2 = 0x4D
OP_PUSHDATA4 = 0x4E
OP_1 = 0x51
OP_16 = 0x60
OP_RETURN = 0x6A
OP_DUP = 0x76
OP_EQUAL = 0x87
OP_EQUALVERIFY = 0x88
OP_HASH160 = 0xA9
OP_CHECKSIG = 0xAC
OP_CHECKMULTISIG = 0xAE

P2A_PROGRAM = bytes.fromhex("4e73")


def _valid_pubkey(key: bytes) -> bool:
    """Core's CPubKey::ValidSize: 33 bytes with 02/03, or 65 bytes with 04/06/07."""
    if len(key) == 33:
        return key[0] in (2, 3)
    if len(key) == 65:
        return key[0] in (4, 6, 7)
    return False


def is_push_only(script: bytes, start: int = 0) -> bool:
    """True when every opcode from ``start`` is a data push (OP_RETURN payloads)."""
    i = start
    n = len(script)
    while i < n:
        op = script[i]
        i += 1
        if op < OP_PUSHDATA1:
            size = op
        elif op == OP_PUSHDATA1:
            if i + 1 > n:
                return False
            size = script[i]
            i += 1
        elif op == OP_PUSHDATA2:
            if i + 2 > n:
                return False
            size = int.from_bytes(script[i:i + 2], "little")
            i += 2
        elif op == OP_PUSHDATA4:
            if i + 4 > n:
                return False
            size = int.from_bytes(script[i:i + 4], "little")
            i += 4
        elif op <= OP_16 and op != 0x50:  # OP_1NEGATE, OP_1..OP_16 are pushes; OP_RESERVED is not
            size = 0
        else:
            return False
        if i + size > n:
            return False
        i += size
    return True


def witness_program(script: bytes) -> tuple[int, bytes] | None:
    """(version, program) when the script is a BIP141 witness program."""
    if not 4 <= len(script) <= 42:
        return None
    op = script[0]
    if op != OP_0 and not OP_1 <= op <= OP_16:
        return None
    if script[1] + 2 != len(script):
        return None
    version = 0 if op == OP_0 else op - OP_1 + 1
    return version, script[2:]


def _match_multisig(script: bytes) -> bool:
    n = len(script)
    if n < 3 or script[-1] != OP_CHECKMULTISIG:
        return False
    if not OP_1 <= script[0] <= OP_16 or not OP_1 <= script[-2] <= OP_16:
        return False
    required = script[0] - OP_1 + 1
    i = 1
    keys = 0
    while i < n - 2:
        size = script[i]
        if size not in (33, 65) or i + 1 + size > n - 2:
            return False
        if not _valid_pubkey(script[i + 1:i + 1 + size]):
            return False
        i += 1 + size
        keys += 1
    declared = script[-2] - OP_1 + 1
    return i == n - 2 and keys == declared and 1 <= required <= keys


def classify_script(script: bytes) -> tuple[int, bytes, int]:
    """(script type code, address payload, witness version) of an output script.

    The payload is what the address encodes: hash160 of the key for p2pk, the
    20-byte hash for p2pkh/p2sh/p2wpkh, the 32-byte program for p2wsh/p2tr,
    the witness program for p2a and witness_unknown; empty where there is no
    address. The witness version is 0 for non-witness scripts.
    """
    n = len(script)
    if n == 25 and script[:3] == b"\x76\xa9\x14" and script[23:] == b"\x88\xac":
        return st.P2PKH, script[3:23], 0
    if n == 23 and script[:2] == b"\xa9\x14" and script[22] == OP_EQUAL:
        return st.P2SH, script[2:22], 0
    wp = witness_program(script)
    if wp is not None:
        version, program = wp
        if version == 0:
            if len(program) == 20:
                return st.P2WPKH, program, 0
            if len(program) == 32:
                return st.P2WSH, program, 0
            return st.NONSTANDARD, b"", 0
        if version == 1 and len(program) == 32:
            return st.P2TR, program, 1
        if version == 1 and program == P2A_PROGRAM:
            return st.P2A, program, 1
        return st.WITNESS_UNKNOWN, program, version
    if n in (35, 67) and script[0] == n - 2 and script[-1] == OP_CHECKSIG:
        key = script[1:-1]
        if _valid_pubkey(key):
            return st.P2PK, hash160(key), 0
    if n >= 1 and script[0] == OP_RETURN and is_push_only(script, 1):
        return st.OP_RETURN, b"", 0
    if _match_multisig(script):
        return st.MULTISIG, b"", 0
    return st.NONSTANDARD, b"", 0


def bip34_height(script_sig: bytes) -> int | None:
    """The block height a coinbase states at the start of its scriptSig (BIP34).

    Returns None when the script does not begin with a minimal number push.
    Callers trust it only for blocks of version 2 or more.
    """
    if not script_sig:
        return None
    op = script_sig[0]
    if op == OP_0:
        return 0
    if OP_1 <= op <= OP_16:
        return op - OP_1 + 1
    if 1 <= op <= 8 and len(script_sig) >= 1 + op:
        data = script_sig[1:1 + op]
        if data[-1] & 0x80:
            return None  # negative: not a height
        if op > 1 and data[-1] == 0 and not data[-2] & 0x80:
            return None  # not minimally encoded
        return int.from_bytes(data, "little")
    return None
