"""Transactions and blocks as Bitcoin Core prints them (decoderawtransaction,
getblock HASH 2), so that chaintrail's output can be compared with a node's
field by field and read by tools written for Core's JSON.

Sections: script assembly (Core's ScriptToAsmStr), output types and
addresses, inferred output descriptors with their BIP380 checksum, and the
transaction and block documents themselves.
"""

from __future__ import annotations

from typing import Any

from chaintrail.bitcoin import script_types as st
from chaintrail.bitcoin.address import address_from_payload
from chaintrail.bitcoin.block import Block
from chaintrail.bitcoin.hashing import hash160, hash_to_hex
from chaintrail.bitcoin.networks import Network
from chaintrail.bitcoin.script import classify_script
from chaintrail.bitcoin.tx import Tx

COIN = 100_000_000
MAX_SCRIPT_SIZE = 10_000
OP_PUSHDATA1, OP_PUSHDATA2, OP_PUSHDATA4 = 0x4C, 0x4D, 0x4E
OP_1, OP_16, OP_RETURN = 0x51, 0x60, 0x6A

# -- script assembly ------------------------------------------------------------

_OP_NAMES: dict[int, str] = {
    0x4F: "-1",
    0x50: "OP_RESERVED",
    **{op: str(op - OP_1 + 1) for op in range(OP_1, OP_16 + 1)},
    **dict(
        enumerate(
            [
                "OP_NOP",
                "OP_VER",
                "OP_IF",
                "OP_NOTIF",
                "OP_VERIF",
                "OP_VERNOTIF",
                "OP_ELSE",
                "OP_ENDIF",
                "OP_VERIFY",
                "OP_RETURN",
                "OP_TOALTSTACK",
                "OP_FROMALTSTACK",
                "OP_2DROP",
                "OP_2DUP",
                "OP_3DUP",
                "OP_2OVER",
                "OP_2ROT",
                "OP_2SWAP",
                "OP_IFDUP",
                "OP_DEPTH",
                "OP_DROP",
                "OP_DUP",
                "OP_NIP",
                "OP_OVER",
                "OP_PICK",
                "OP_ROLL",
                "OP_ROT",
                "OP_SWAP",
                "OP_TUCK",
                "OP_CAT",
                "OP_SUBSTR",
                "OP_LEFT",
                "OP_RIGHT",
                "OP_SIZE",
                "OP_INVERT",
                "OP_AND",
                "OP_OR",
                "OP_XOR",
                "OP_EQUAL",
                "OP_EQUALVERIFY",
                "OP_RESERVED1",
                "OP_RESERVED2",
                "OP_1ADD",
                "OP_1SUB",
                "OP_2MUL",
                "OP_2DIV",
                "OP_NEGATE",
                "OP_ABS",
                "OP_NOT",
                "OP_0NOTEQUAL",
                "OP_ADD",
                "OP_SUB",
                "OP_MUL",
                "OP_DIV",
                "OP_MOD",
                "OP_LSHIFT",
                "OP_RSHIFT",
                "OP_BOOLAND",
                "OP_BOOLOR",
                "OP_NUMEQUAL",
                "OP_NUMEQUALVERIFY",
                "OP_NUMNOTEQUAL",
                "OP_LESSTHAN",
                "OP_GREATERTHAN",
                "OP_LESSTHANOREQUAL",
                "OP_GREATERTHANOREQUAL",
                "OP_MIN",
                "OP_MAX",
                "OP_WITHIN",
                "OP_RIPEMD160",
                "OP_SHA1",
                "OP_SHA256",
                "OP_HASH160",
                "OP_HASH256",
                "OP_CODESEPARATOR",
                "OP_CHECKSIG",
                "OP_CHECKSIGVERIFY",
                "OP_CHECKMULTISIG",
                "OP_CHECKMULTISIGVERIFY",
                "OP_NOP1",
                "OP_CHECKLOCKTIMEVERIFY",
                "OP_CHECKSEQUENCEVERIFY",
                "OP_NOP4",
                "OP_NOP5",
                "OP_NOP6",
                "OP_NOP7",
                "OP_NOP8",
                "OP_NOP9",
                "OP_NOP10",
                "OP_CHECKSIGADD",
            ],
            start=0x61,
        )
    ),
    0xFF: "OP_INVALIDOPCODE",
}

_SIGHASH_NAMES = {
    0x01: "ALL",
    0x02: "NONE",
    0x03: "SINGLE",
    0x81: "ALL|ANYONECANPAY",
    0x82: "NONE|ANYONECANPAY",
    0x83: "SINGLE|ANYONECANPAY",
}


def _script_num(data: bytes) -> int:
    """A script number: little-endian magnitude with the sign in the top bit of the last byte."""
    if not data:
        return 0
    value = int.from_bytes(data, "little")
    if data[-1] & 0x80:
        return -(value & ~(0x80 << (8 * (len(data) - 1))))
    return value


def is_strict_der_signature(sig: bytes) -> bool:
    """BIP66 strict DER encoding of an ECDSA signature followed by one hashtype byte."""
    n = len(sig)
    if n < 9 or n > 73 or sig[0] != 0x30 or sig[1] != n - 3:
        return False
    len_r = sig[3]
    if 5 + len_r >= n:
        return False
    len_s = sig[5 + len_r]
    if len_r + len_s + 7 != n or sig[2] != 0x02 or len_r == 0 or sig[4] & 0x80:
        return False
    if len_r > 1 and sig[4] == 0 and not sig[5] & 0x80:
        return False
    if sig[len_r + 4] != 0x02 or len_s == 0 or sig[len_r + 6] & 0x80:
        return False
    return not (len_s > 1 and sig[len_r + 6] == 0 and not sig[len_r + 7] & 0x80)


def _sighash_suffix(data: bytes) -> tuple[bytes, str]:
    """Split a push that looks like a signature into (DER bytes, '[ALL]'-style suffix)."""
    if is_strict_der_signature(data) and (data[-1] & 0x7F) in (1, 2, 3):
        return data[:-1], f"[{_SIGHASH_NAMES[data[-1]]}]"
    return data, ""


def script_to_asm(script: bytes, sighash_decode: bool = False) -> str:
    """Core's assembly text of a script: opcode names, pushes of up to 4 bytes as
    numbers, longer pushes as hex, ``[error]`` where a push runs past the end.

    ``sighash_decode`` (for scriptSigs) shows a signature's hashtype byte as
    ``[ALL]``, ``[SINGLE|ANYONECANPAY]``..., as Core does for inputs.
    """
    decode = sighash_decode and not (
        script[:1] == bytes((OP_RETURN,)) or len(script) > MAX_SCRIPT_SIZE
    )
    words: list[str] = []
    i, n = 0, len(script)
    while i < n:
        op = script[i]
        i += 1
        if op > OP_PUSHDATA4:
            words.append(_OP_NAMES.get(op, "OP_UNKNOWN"))
            continue
        width = {OP_PUSHDATA1: 1, OP_PUSHDATA2: 2, OP_PUSHDATA4: 4}.get(op, 0)
        if i + width > n:
            words.append("[error]")
            break
        size = int.from_bytes(script[i : i + width], "little") if width else op
        i += width
        if i + size > n:
            words.append("[error]")
            break
        data = script[i : i + size]
        i += size
        if size <= 4:
            words.append(str(_script_num(data)))
        elif decode:
            body, suffix = _sighash_suffix(data)
            words.append(body.hex() + suffix)
        else:
            words.append(data.hex())
    return " ".join(words)


# -- output types and addresses ---------------------------------------------------

CORE_TYPE_NAMES: dict[int, str] = {
    st.P2PK: "pubkey",
    st.P2PKH: "pubkeyhash",
    st.P2SH: "scripthash",
    st.P2WPKH: "witness_v0_keyhash",
    st.P2WSH: "witness_v0_scripthash",
    st.P2TR: "witness_v1_taproot",
    st.P2A: "anchor",
    st.MULTISIG: "multisig",
    st.OP_RETURN: "nulldata",
    st.WITNESS_UNKNOWN: "witness_unknown",
    st.NONSTANDARD: "nonstandard",
}


def core_script_type(script: bytes) -> str:
    """Core's name for an output script's type (``pubkeyhash``, ``witness_v1_taproot``...)."""
    return CORE_TYPE_NAMES[classify_script(script)[0]]


def _address(code: int, payload: bytes, network: Network, witness_version: int) -> str:
    address = address_from_payload(code, payload, network, witness_version)
    assert address is not None, f"script type {code} has no address"
    return address


def _multisig_keys(script: bytes) -> tuple[int, list[bytes]]:
    """(required signatures, public keys) of a script already classified as multisig."""
    keys = []
    i = 1
    while i < len(script) - 2:
        size = script[i]
        keys.append(script[i + 1 : i + 1 + size])
        i += 1 + size
    return script[0] - OP_1 + 1, keys


# -- output descriptors -------------------------------------------------------------

_DESC_INPUT = (
    "0123456789()[],'/*abcdefgh@:$%{}"
    "IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~"
    'ijklmnopqrstuvwxyzABCDEFGH`#"\\ '
)
_DESC_CHECKSUM = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_DESC_GENERATORS = (0xF5DEE51989, 0xA9FDCA3312, 0x1BAB10E32D, 0x3706B1677A, 0x644D626FFD)
_SECP256K1_P = 2**256 - 2**32 - 977


def _desc_polymod(chk: int, value: int) -> int:
    top = chk >> 35
    chk = ((chk & 0x7FFFFFFFF) << 5) ^ value
    for bit, gen in enumerate(_DESC_GENERATORS):
        if top >> bit & 1:
            chk ^= gen
    return chk


def descriptor_checksum(desc: str) -> str:
    """The 8-character BIP380 checksum that Core appends to a descriptor after '#'."""
    chk = 1
    groups: list[int] = []
    for ch in desc:
        pos = _DESC_INPUT.find(ch)
        if pos < 0:
            raise ValueError(f"character {ch!r} cannot appear in a descriptor")
        chk = _desc_polymod(chk, pos & 31)
        groups.append(pos >> 5)
        if len(groups) == 3:
            chk = _desc_polymod(chk, groups[0] * 9 + groups[1] * 3 + groups[2])
            groups = []
    if len(groups) == 1:
        chk = _desc_polymod(chk, groups[0])
    elif len(groups) == 2:
        chk = _desc_polymod(chk, groups[0] * 3 + groups[1])
    for _ in range(8):
        chk = _desc_polymod(chk, 0)
    chk ^= 1
    return "".join(_DESC_CHECKSUM[(chk >> (5 * (7 - k))) & 31] for k in range(8))


def is_valid_xonly_key(key: bytes) -> bool:
    """True when 32 bytes are the x coordinate of a point on secp256k1 (BIP340)."""
    x = int.from_bytes(key, "big")
    if len(key) != 32 or x >= _SECP256K1_P:
        return False
    rhs = (pow(x, 3, _SECP256K1_P) + 7) % _SECP256K1_P
    return rhs == 0 or pow(rhs, (_SECP256K1_P - 1) // 2, _SECP256K1_P) == 1


def infer_descriptor(script: bytes, network: Network) -> str:
    """The descriptor Core (v24 on) infers for an output script knowing no keys or
    scripts, with its checksum: ``pk()``, ``multi()``, ``rawtr()``, ``addr()`` or ``raw()``."""
    code, payload, witness_version = classify_script(script)
    if code == st.P2PK:
        body = f"pk({script[1:-1].hex()})"
    elif code == st.MULTISIG:
        required, keys = _multisig_keys(script)
        body = f"multi({required},{','.join(k.hex() for k in keys)})"
    elif code == st.P2TR and is_valid_xonly_key(payload):
        body = f"rawtr({payload.hex()})"
    elif code in st.HAS_ADDRESS:
        body = f"addr({_address(code, payload, network, witness_version)})"
    else:
        body = f"raw({script.hex()})"
    return f"{body}#{descriptor_checksum(body)}"


# -- transactions and blocks --------------------------------------------------------


def btc_value(sat: int) -> float:
    """Satoshis as the BTC amount Core prints (the nearest double to the 8-decimal value)."""
    return sat / COIN


def script_pubkey_json(
    script: bytes, network: Network, legacy_addresses: bool = False
) -> dict[str, Any]:
    """Core's ``scriptPubKey`` object: asm, desc, hex, address, type.

    ``legacy_addresses`` gives the shape of Core before v22 instead: asm, hex,
    reqSigs, type and an ``addresses`` list (where a pay-to-pubkey output lists
    its key's P2PKH address and a bare multisig lists one per key).
    """
    code, payload, witness_version = classify_script(script)
    asm = script_to_asm(script)
    kind = CORE_TYPE_NAMES[code]
    if legacy_addresses:
        doc: dict[str, Any] = {"asm": asm, "hex": script.hex()}
        if code == st.MULTISIG:
            required, keys = _multisig_keys(script)
            doc["reqSigs"] = required
            doc["type"] = kind
            doc["addresses"] = [_address(st.P2PKH, hash160(k), network, 0) for k in keys]
        elif code in st.HAS_ADDRESS:
            doc["reqSigs"] = 1
            doc["type"] = kind
            doc["addresses"] = [_address(code, payload, network, witness_version)]
        else:
            doc["type"] = kind
        return doc
    doc = {"asm": asm, "desc": infer_descriptor(script, network), "hex": script.hex()}
    if code in st.HAS_ADDRESS and code != st.P2PK:
        doc["address"] = _address(code, payload, network, witness_version)
    doc["type"] = kind
    return doc


def tx_to_core_json(
    tx: Tx,
    network: Network,
    include_hex: bool = False,
    legacy_addresses: bool = False,
) -> dict[str, Any]:
    """A transaction as ``decoderawtransaction`` prints it (``include_hex`` adds the
    ``hex`` field that getblock verbosity 2 and getrawtransaction carry)."""
    coinbase = tx.is_coinbase
    vin = []
    for txin in tx.inputs:
        item: dict[str, Any]
        if coinbase:
            item = {"coinbase": txin.script_sig.hex()}
        else:
            item = {
                "txid": hash_to_hex(txin.prev_txid),
                "vout": txin.prev_vout,
                "scriptSig": {
                    "asm": script_to_asm(txin.script_sig, sighash_decode=True),
                    "hex": txin.script_sig.hex(),
                },
            }
        if txin.witness:
            item["txinwitness"] = [w.hex() for w in txin.witness]
        item["sequence"] = txin.sequence
        vin.append(item)
    vout = [
        {
            "value": btc_value(out.value),
            "n": n,
            "scriptPubKey": script_pubkey_json(out.script_pubkey, network, legacy_addresses),
        }
        for n, out in enumerate(tx.outputs)
    ]
    doc: dict[str, Any] = {
        "txid": tx.txid,
        "hash": tx.wtxid,
        "version": tx.version & 0xFFFFFFFF,  # unsigned since Core 28
        "size": tx.size,
        "vsize": tx.vsize,
        "weight": tx.weight,
        "locktime": tx.locktime,
        "vin": vin,
        "vout": vout,
    }
    if include_hex:
        doc["hex"] = tx.serialize().hex()
    return doc


def difficulty(bits: int) -> float:
    """Core's GetDifficulty: how many times harder than the easiest target, as a double."""
    shift = (bits >> 24) & 0xFF
    diff = 0x0000FFFF / (bits & 0x00FFFFFF) if bits & 0x00FFFFFF else float("inf")
    while shift < 29:
        diff *= 256.0
        shift += 1
    while shift > 29:
        diff /= 256.0
        shift -= 1
    return diff


def block_to_core_json(
    block: Block,
    network: Network,
    height: int | None = None,
    legacy_addresses: bool = False,
) -> dict[str, Any]:
    """A block as ``getblock HASH 2`` prints it, less what only a node's chain
    state knows (confirmations, mediantime, chainwork, nextblockhash; height
    when not given)."""
    header = block.header
    doc: dict[str, Any] = {"hash": block.hash}
    if height is not None:
        doc["height"] = height
    doc.update(
        version=header.version,
        versionHex=f"{header.version & 0xFFFFFFFF:08x}",
        merkleroot=hash_to_hex(header.merkle_root),
        time=header.time,
        nonce=header.nonce,
        bits=f"{header.bits:08x}",
        difficulty=difficulty(header.bits),
        nTx=len(block.txs),
    )
    if header.prev_hash != bytes(32):
        doc["previousblockhash"] = hash_to_hex(header.prev_hash)
    doc.update(strippedsize=block.stripped_size, size=block.size, weight=block.weight)
    doc["tx"] = [
        tx_to_core_json(tx, network, include_hex=True, legacy_addresses=legacy_addresses)
        for tx in block.txs
    ]
    return doc
