"""Bitcoin addresses: base58check (P2PKH, P2SH) and bech32 / bech32m segwit
addresses (BIP173, BIP350), to and from the (script type, payload, witness
version) triple that ``script.classify_script`` gives an output.

The pure-Python reference; ``address_kernels`` is the bulk twin.

Network inference (``decode_address(address)`` without a network): an
address names its network only by its prefix, and several networks share
one. ``DecodedAddress.networks`` lists every network the address is valid
for, in the order of ``networks.NETWORKS``; ``DecodedAddress.network`` is the
first of them, the canonical choice: mainnet for ``1``/``3``/``bc1``,
testnet3 for ``m``/``n``/``2``/``tb1`` (shared with testnet4 and signet, and
for base58 also with regtest), regtest for ``bcrt1``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum

from chaintrail.bitcoin import script_types as st
from chaintrail.bitcoin.hashing import sha256d
from chaintrail.bitcoin.networks import NETWORKS, Network
from chaintrail.bitcoin.script import P2A_PROGRAM, classify_script
from chaintrail.errors import AddressError

BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BECH32_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
BECH32_MAX_LENGTH = 90  # BIP173's limit on a whole bech32 string

_B58_INDEX = {c: i for i, c in enumerate(BASE58_ALPHABET)}
_BECH32_INDEX = {c: i for i, c in enumerate(BECH32_CHARSET)}


class Encoding(IntEnum):
    """The two bech32 checksum variants, valued by the constant the checksum XORs in."""

    BECH32 = 1  # BIP173: witness version 0
    BECH32M = 0x2BC830A3  # BIP350: witness versions 1 to 16


class _Invalid(Exception):
    """Internal: the reason a string fails to decode, worded for an error message."""


def _show(text: str) -> str:
    """The string as an error message quotes it: repr, cut to one readable length."""
    return repr(text if len(text) <= 100 else text[:97] + "...")


# --------------------------------------------------------------------------- base58


def b58encode(data: bytes) -> str:
    """Base58 of bytes, each leading zero byte written as '1'."""
    n = int.from_bytes(data, "big")
    digits = []
    while n:
        n, r = divmod(n, 58)
        digits.append(BASE58_ALPHABET[r])
    zeros = len(data) - len(data.lstrip(b"\x00"))
    return "1" * zeros + "".join(reversed(digits))


def _b58decode(text: str) -> bytes:
    n = 0
    for pos, c in enumerate(text):
        digit = _B58_INDEX.get(c)
        if digit is None:
            raise _Invalid(f"invalid base58 character {c!r} at position {pos}")
        n = n * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    return b"\x00" * zeros + n.to_bytes((n.bit_length() + 7) // 8, "big")


def b58decode(text: str) -> bytes:
    """Bytes of a base58 string; AddressError on a character outside the alphabet."""
    try:
        return _b58decode(text)
    except _Invalid as e:
        raise AddressError(f"invalid base58 string {_show(text)}: {e}") from None


def b58check_encode(payload: bytes) -> str:
    """Base58 of payload followed by the first 4 bytes of its SHA-256d."""
    return b58encode(payload + sha256d(payload)[:4])


def _b58check_decode(text: str) -> bytes:
    raw = _b58decode(text)
    if len(raw) < 4:
        raise _Invalid(f"too short for base58check ({len(raw)} bytes)")
    payload, checksum = raw[:-4], raw[-4:]
    if sha256d(payload)[:4] != checksum:
        raise _Invalid("bad base58check checksum")
    return payload


def b58check_decode(text: str) -> bytes:
    """Payload of a base58check string, its 4-byte checksum verified and removed."""
    try:
        return _b58check_decode(text)
    except _Invalid as e:
        raise AddressError(f"invalid base58check string {_show(text)}: {e}") from None


# --------------------------------------------------------------------------- bech32


def bech32_polymod_step(chk: int, value: int) -> int:
    """One 5-bit value into the BCH checksum state of BIP173."""
    top = chk >> 25
    chk = ((chk & 0x1FFFFFF) << 5) ^ value
    for i in range(5):
        if (top >> i) & 1:
            chk ^= BECH32_GENERATOR[i]
    return chk


def bech32_polymod(values: Iterable[int]) -> int:
    """The BCH checksum state of BIP173 over 5-bit values."""
    chk = 1
    for v in values:
        chk = bech32_polymod_step(chk, v)
    return chk


def bech32_hrp_expand(hrp: str) -> list[int]:
    """The human-readable part as the checksum sees it: high bits, 0, low bits."""
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def bech32_checksum(hrp: str, data: Sequence[int], encoding: Encoding) -> list[int]:
    """The six 5-bit checksum values for hrp and data under the given variant."""
    pm = bech32_polymod(bech32_hrp_expand(hrp) + list(data) + [0] * 6) ^ encoding
    return [(pm >> 5 * (5 - i)) & 31 for i in range(6)]


def bech32_encode(hrp: str, data: Sequence[int], encoding: Encoding) -> str:
    """A lowercase bech32/bech32m string of hrp and 5-bit data values."""
    hrp = hrp.lower()
    if not hrp or any(not 33 <= ord(c) <= 126 for c in hrp):
        raise AddressError(f"cannot bech32-encode with human-readable part {_show(hrp)}")
    if any(not 0 <= v < 32 for v in data):
        raise AddressError("cannot bech32-encode data values outside 0..31")
    values = [*data, *bech32_checksum(hrp, data, encoding)]
    text = hrp + "1" + "".join(BECH32_CHARSET[v] for v in values)
    if len(text) > BECH32_MAX_LENGTH:
        raise AddressError(f"bech32 string would be {len(text)} characters (at most 90)")
    return text


def _bech32_decode(text: str) -> tuple[str, list[int], Encoding]:
    if len(text) > BECH32_MAX_LENGTH:
        raise _Invalid(f"{len(text)} characters, more than bech32's 90")
    for pos, c in enumerate(text):
        if not 33 <= ord(c) <= 126:
            raise _Invalid(f"character {c!r} out of range at position {pos}")
    if text.lower() != text and text.upper() != text:
        raise _Invalid("mixed case")
    text = text.lower()
    sep = text.rfind("1")
    if sep < 0:
        raise _Invalid("no separator '1'")
    if sep == 0:
        raise _Invalid("empty human-readable part")
    if len(text) - sep - 1 < 6:
        raise _Invalid("checksum shorter than 6 characters")
    data = []
    for pos in range(sep + 1, len(text)):
        v = _BECH32_INDEX.get(text[pos])
        if v is None:
            raise _Invalid(f"invalid data character {text[pos]!r} at position {pos}")
        data.append(v)
    hrp = text[:sep]
    const = bech32_polymod(bech32_hrp_expand(hrp) + data)
    if const == Encoding.BECH32:
        return hrp, data[:-6], Encoding.BECH32
    if const == Encoding.BECH32M:
        return hrp, data[:-6], Encoding.BECH32M
    raise _Invalid("bad bech32 checksum")


def bech32_decode(text: str) -> tuple[str, list[int], Encoding]:
    """(hrp, 5-bit data without checksum, variant) of a bech32 or bech32m string."""
    try:
        return _bech32_decode(text)
    except _Invalid as e:
        raise AddressError(f"invalid bech32 string {_show(text)}: {e}") from None


def _convertbits(data: Iterable[int], frombits: int, tobits: int, pad: bool) -> list[int]:
    """Regroup a bit string from ``frombits``-bit values into ``tobits``-bit values."""
    acc = 0
    bits = 0
    out = []
    maxv = (1 << tobits) - 1
    for v in data:
        if v < 0 or v >> frombits:
            raise _Invalid(f"value {v} does not fit in {frombits} bits")
        acc = ((acc << frombits) | v) & ((1 << (bits + frombits)) - 1)
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits:
        raise _Invalid(f"padding of {bits} bits (at most {frombits - 1} allowed)")
    elif acc & ((1 << bits) - 1):
        raise _Invalid("non-zero padding bits")
    return out


def _check_program(version: int, program: bytes) -> None:
    if not 0 <= version <= 16:
        raise _Invalid(f"invalid witness version {version}")
    if not 2 <= len(program) <= 40:
        raise _Invalid(f"invalid witness program length {len(program)} (2 to 40 bytes)")
    if version == 0 and len(program) not in (20, 32):
        raise _Invalid(f"invalid program length {len(program)} for witness version 0 (20 or 32)")


def encode_segwit_address(hrp: str, version: int, program: bytes) -> str:
    """The bech32 (v0) or bech32m (v1+) address of a witness program."""
    try:
        _check_program(version, program)
    except _Invalid as e:
        raise AddressError(f"cannot encode witness program {program.hex()}: {e}") from None
    encoding = Encoding.BECH32 if version == 0 else Encoding.BECH32M
    return bech32_encode(hrp, [version, *_convertbits(program, 8, 5, True)], encoding)


def _decode_segwit(text: str) -> tuple[str, int, bytes]:
    hrp, data, encoding = _bech32_decode(text)
    if not data:
        raise _Invalid("empty data section")
    version = data[0]
    if version > 16:
        raise _Invalid(f"invalid witness version {version}")
    program = bytes(_convertbits(data[1:], 5, 8, False))
    _check_program(version, program)
    want = Encoding.BECH32 if version == 0 else Encoding.BECH32M
    if encoding != want:
        raise _Invalid(
            f"{encoding.name.lower()} checksum for witness version {version}, "
            f"which needs {want.name.lower()} (BIP350)"
        )
    return hrp, version, program


def decode_segwit_address(hrp: str, text: str) -> tuple[int, bytes]:
    """(witness version, program) of a segwit address whose hrp must be ``hrp``."""
    try:
        got, version, program = _decode_segwit(text)
        if got != hrp.lower():
            raise _Invalid(f"human-readable part {got!r}, expected {hrp.lower()!r}")
    except _Invalid as e:
        raise AddressError(f"invalid segwit address {_show(text)}: {e}") from None
    return version, program


# --------------------------------------------------------------------------- scripts <-> addresses


def _by_key(key: str) -> dict[object, tuple[Network, ...]]:
    """Networks grouped by one of their address fields (prefix byte or hrp)."""
    table: dict[object, tuple[Network, ...]] = {}
    for net in NETWORKS.values():
        k = getattr(net, key)
        table[k] = (*table.get(k, ()), net)
    return table


_P2PKH_NETS = _by_key("p2pkh_prefix")
_P2SH_NETS = _by_key("p2sh_prefix")
_HRP_NETS = _by_key("hrp")


def _segwit_type(version: int, program: bytes) -> int:
    """The script type of a witness program, as ``classify_script`` names it."""
    if version == 0:
        return st.P2WPKH if len(program) == 20 else st.P2WSH
    if version == 1 and len(program) == 32:
        return st.P2TR
    if version == 1 and program == P2A_PROGRAM:
        return st.P2A
    return st.WITNESS_UNKNOWN


def script_from_payload(script_type: int, payload: bytes, witness_version: int = 0) -> bytes:
    """The scriptPubKey an address stands for (p2pk comes back as its P2PKH script)."""
    if script_type in (st.P2PK, st.P2PKH):
        return b"\x76\xa9\x14" + payload + b"\x88\xac"
    if script_type == st.P2SH:
        return b"\xa9\x14" + payload + b"\x87"
    version = _fixed_witness_version(script_type, witness_version)
    return bytes([0 if version == 0 else 0x50 + version, len(payload)]) + payload


def _fixed_witness_version(script_type: int, witness_version: int) -> int:
    if script_type in (st.P2WPKH, st.P2WSH):
        return 0
    if script_type in (st.P2TR, st.P2A):
        return 1
    return witness_version


_PROGRAM_LENGTH = {st.P2WPKH: 20, st.P2WSH: 32, st.P2TR: 32, st.P2A: len(P2A_PROGRAM)}


def address_from_payload(script_type: int, payload: bytes, network: Network,
                         witness_version: int = 0) -> str | None:
    """The address of a classified output; None for types without one.

    p2pk shows the P2PKH address of its key hash, as explorers do. The
    witness version is read only for witness_unknown; the other segwit types
    fix their own.
    """
    if script_type in (st.P2PK, st.P2PKH, st.P2SH):
        if len(payload) != 20:
            raise AddressError(f"cannot encode a {st.NAMES[script_type]} address from a "
                               f"{len(payload)}-byte payload (needs 20)")
        prefix = network.p2sh_prefix if script_type == st.P2SH else network.p2pkh_prefix
        return b58check_encode(bytes([prefix]) + payload)
    if script_type in _PROGRAM_LENGTH or script_type == st.WITNESS_UNKNOWN:
        want = _PROGRAM_LENGTH.get(script_type, len(payload))
        if len(payload) != want:
            raise AddressError(f"cannot encode a {st.NAMES[script_type]} address from a "
                               f"{len(payload)}-byte payload (needs {want})")
        if script_type == st.P2A and payload != P2A_PROGRAM:
            raise AddressError(f"p2a program must be {P2A_PROGRAM.hex()}, got {payload.hex()}")
        version = _fixed_witness_version(script_type, witness_version)
        return encode_segwit_address(network.hrp, version, payload)
    if script_type in (st.MULTISIG, st.OP_RETURN, st.NONSTANDARD):
        return None
    raise AddressError(f"unknown script type code {script_type}")


def script_to_address(script: bytes, network: Network) -> str | None:
    """The address an output script pays to on ``network`` (None when it has none)."""
    script_type, payload, version = classify_script(script)
    return address_from_payload(script_type, payload, network, version)


@dataclass(frozen=True)
class DecodedAddress:
    """What an address encodes, and every network it is valid for."""

    networks: tuple[Network, ...]
    script_type: int
    payload: bytes
    witness_version: int = 0

    @property
    def network(self) -> Network:
        """The canonical network among ``networks`` (see the module docstring)."""
        return self.networks[0]

    @property
    def script_type_name(self) -> str:
        return st.NAMES[self.script_type]

    @property
    def script_pubkey(self) -> bytes:
        return script_from_payload(self.script_type, self.payload, self.witness_version)


def _decode(address: str) -> DecodedAddress:
    if not address:
        raise _Invalid("empty string")
    lower = address.lower()
    sep = lower.rfind("1")
    if sep > 0 and lower[:sep] in _HRP_NETS:
        hrp, version, program = _decode_segwit(address)
        return DecodedAddress(_HRP_NETS[hrp], _segwit_type(version, program), program, version)
    try:
        raw = _b58check_decode(address)
    except _Invalid as b58_reason:
        try:
            hrp, _, _ = _bech32_decode(address)
        except _Invalid:
            raise b58_reason from None
        raise _Invalid(
            f"unknown human-readable part {hrp!r} (expected one of {', '.join(sorted(_HRP_NETS))})"
        ) from None
    if len(raw) != 21:
        raise _Invalid(f"bad length: {len(raw)}-byte payload, "
                       "expected 21 (version byte + 20-byte hash)")
    version_byte, payload = raw[0], raw[1:]
    if version_byte in _P2PKH_NETS:
        return DecodedAddress(_P2PKH_NETS[version_byte], st.P2PKH, payload)
    if version_byte in _P2SH_NETS:
        return DecodedAddress(_P2SH_NETS[version_byte], st.P2SH, payload)
    raise _Invalid(f"unknown version byte 0x{version_byte:02x}")


def decode_address(address: str, network: Network | None = None) -> DecodedAddress:
    """Decode and validate an address, optionally requiring it to belong to ``network``.

    Raises AddressError naming the address and the reason (bad checksum,
    wrong network, bad length, mixed case, ...).
    """
    try:
        decoded = _decode(address)
    except _Invalid as e:
        raise AddressError(f"invalid address {_show(address)}: {e}") from None
    if network is None:
        return decoded
    if network not in decoded.networks:
        names = "/".join(n.name for n in decoded.networks)
        raise AddressError(f"invalid address {_show(address)}: wrong network: "
                           f"it is a {names} address, expected {network.name}")
    return DecodedAddress((network,), decoded.script_type, decoded.payload, decoded.witness_version)


def address_to_script(address: str, network: Network | None = None) -> bytes:
    """The scriptPubKey that pays to ``address``."""
    return decode_address(address, network).script_pubkey


def is_valid_address(address: str, network: Network | None = None) -> bool:
    """True when ``address`` decodes (for ``network``, when given)."""
    try:
        decode_address(address, network)
    except AddressError:
        return False
    return True
