"""Addresses: base58check and bech32/bech32m against the BIP173 / BIP350 and
Bitcoin Core test vectors, the ``base58`` and ``bech32`` packages as
independent oracles, real addresses, and the numba bulk encoder against the
pure-Python one."""

from __future__ import annotations

import json
from pathlib import Path

import base58 as base58_ref
import bech32 as bech32_ref
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as hs

from chaintrail.bitcoin import script_types as stypes
from chaintrail.bitcoin.address import (
    Encoding,
    address_from_payload,
    address_to_script,
    b58check_decode,
    b58check_encode,
    b58decode,
    b58encode,
    bech32_decode,
    bech32_encode,
    decode_address,
    decode_segwit_address,
    encode_segwit_address,
    is_valid_address,
    script_to_address,
)
from chaintrail.bitcoin.address_kernels import encode_addresses, encode_addresses_arrow, hrp_array
from chaintrail.bitcoin.block import Block
from chaintrail.bitcoin.classify_kernels import classify, pack_scripts
from chaintrail.bitcoin.networks import MAINNET, NETWORKS, REGTEST, SIGNET, TESTNET3, TESTNET4
from chaintrail.bitcoin.script import P2A_PROGRAM, classify_script
from chaintrail.errors import AddressError

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_shared = pytest.mark.skipif(
    not DATA.exists(), reason=f"real-data fixtures not available ({DATA.parent} is absent)")

# --------------------------------------------------------------------------- base58

# Bitcoin Core src/test/data/base58_encode_decode.json: (hex, base58).
BASE58_VECTORS = [
    ("", ""),
    ("61", "2g"),
    ("626262", "a3gV"),
    ("636363", "aPEr"),
    ("73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"),
    ("00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"),
    ("516b6fcd0f", "ABnLTmg"),
    ("bf4f89001e670274dd", "3SEo3LWLoPntC"),
    ("572e4794", "3EFU7m"),
    ("ecac89cad93923c02321", "EJDM8drfXA6uyA"),
    ("10c8511e", "Rt5zm"),
    ("00000000000000000000", "1111111111"),
    ("000111d38e5fc9071ffcd20b4a763cc9ae4f252bb4e48fd66a835e252ada93ff480d6dd43dc62a641155a5",
     "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"),
    ("271F359E", "zzzzy"),
    ("271F359F", "zzzzz"),
    ("271F35A0", "211111"),
    ("271F35A1", "211112"),
]


@pytest.mark.parametrize(("hexdata", "text"), BASE58_VECTORS)
def test_base58_vectors(hexdata, text):
    assert b58encode(bytes.fromhex(hexdata)) == text
    assert b58decode(text) == bytes.fromhex(hexdata)


@settings(max_examples=300)
@given(hs.binary(max_size=60))
def test_base58_and_base58check_match_the_base58_package(data):
    assert b58encode(data) == base58_ref.b58encode(data).decode()
    assert b58check_encode(data) == base58_ref.b58encode_check(data).decode()
    assert b58decode(b58encode(data)) == data
    assert b58check_decode(b58check_encode(data)) == data


def test_base58_rejects_characters_outside_the_alphabet():
    for bad in ("0", "O", "I", "l", " 1", "1A1z+"):
        with pytest.raises(AddressError, match="invalid base58 character"):
            b58decode(bad)


def test_base58check_rejects_a_bad_checksum():
    text = b58check_encode(b"\x00" + bytes(range(20)))
    corrupt = text[:-1] + ("2" if text[-1] != "2" else "3")
    with pytest.raises(AddressError, match="checksum"):
        b58check_decode(corrupt)


# --------------------------------------------------------------------------- bech32 / bech32m strings

# BIP173 and BIP350 "valid" string lists.
BECH32_VALID = [
    "A12UEL5L",
    "a12uel5l",
    "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
    "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
    "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
    "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
    "?1ezyfcl",
]
BECH32M_VALID = [
    "A1LQFN3A",
    "a1lqfn3a",
    "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
    "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
    "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
    "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
    "?1v759aa",
]
# BIP173 and BIP350 "invalid" string lists, with the reason each gives.
BECH32_INVALID = [
    ("\x201nwldj5", "out of range"),
    ("\x7f1axkwrx", "out of range"),
    ("\x801eym55h", "out of range"),
    ("an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
     "more than"),
    ("pzry9x0s0muk", "no separator"),
    ("1pzry9x0s0muk", "empty human-readable part"),
    ("x1b4n0q5v", "invalid data character"),
    ("li1dgmt3", "checksum shorter"),
    ("de1lg7wt\xff", "out of range"),
    ("A1G7SGD8", "bad bech32 checksum"),
    ("10a06t8", "empty human-readable part"),
    ("1qzzfhee", "empty human-readable part"),
    ("\x201xj0phk", "out of range"),
    ("\x7f1g6xzxy", "out of range"),
    ("\x801vctc34", "out of range"),
    ("an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
     "more than"),
    ("qyrz8wqd2c9m", "no separator"),
    ("1qyrz8wqd2c9m", "empty human-readable part"),
    ("y1b0jsk6g", "invalid data character"),
    ("lt1igcx5c0", "invalid data character"),
    ("in1muywd", "checksum shorter"),
    ("mm1crxm3i", "invalid data character"),
    ("au1s5cgom", "invalid data character"),
    ("M1VUXWEZ", "bad bech32 checksum"),
    ("16plkw9", "empty human-readable part"),
    ("1p2gdwpf", "empty human-readable part"),
]


@pytest.mark.parametrize(("text", "encoding"), [(s, Encoding.BECH32) for s in BECH32_VALID]
                         + [(s, Encoding.BECH32M) for s in BECH32M_VALID])
def test_bech32_valid_strings_decode_and_reencode(text, encoding):
    hrp, data, got = bech32_decode(text)
    assert got == encoding
    assert bech32_encode(hrp, data, encoding) == text.lower()
    # A string is never valid under both checksums: flipping the variant breaks it.
    other = Encoding.BECH32M if encoding == Encoding.BECH32 else Encoding.BECH32
    assert bech32_encode(hrp, data, other) != text.lower()


@pytest.mark.parametrize(("text", "reason"), BECH32_INVALID)
def test_bech32_invalid_strings_fail_with_their_reason(text, reason):
    with pytest.raises(AddressError, match=reason):
        bech32_decode(text)


# --------------------------------------------------------------------------- segwit addresses

# BIP350 valid segwit addresses (BIP173's v0 ones are among them) with their scriptPubKeys.
SEGWIT_VALID = [
    ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6"),
    ("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
     "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"),
    ("bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
     "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6"),
    ("BC1SW50QGDZ25J", "6002751e"),
    ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323"),
    ("tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
     "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"),
    ("tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
     "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
     "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"),
]
# BIP350 invalid segwit addresses with the reason each gives.
SEGWIT_INVALID_BIP350 = [
    ("tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut", "human-readable part"),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", "bech32 checksum"),
    ("tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf", "bech32 checksum"),
    ("BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL", "bech32 checksum"),
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "bech32m checksum"),
    ("tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47", "bech32m checksum"),
    ("bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", "invalid data character"),
    ("BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R", "witness version"),
    ("bc1pw5dgrnzv", "program length 1"),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav", "program length 41"),
    ("BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", "program length 16 for witness version 0"),
    ("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq", "mixed case"),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", "padding of"),
    ("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j", "non-zero padding"),
    ("bc1gmk9yu", "empty data section"),
]
# BIP173's invalid list (v1+ ones there are also invalid under BIP350, for one reason or another).
SEGWIT_INVALID_BIP173 = [
    "tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",
    "BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2",
    "bc1rw5uspcuh",
    "bc10w508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kw5rljs90",
    "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
    "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7",
    "bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du",
    "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3pjxtptv",
    "bc1gmk9yu",
    # BIP173's own v1+ examples carry bech32 checksums, which BIP350 turned invalid.
    "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx",
    "BC1SW50QA3JX3S",
    "bc1zw508d6qejxtdg4y5r3zarvaryvg6kdaj",
]


@pytest.mark.parametrize(("address", "spk"), SEGWIT_VALID)
def test_segwit_valid_vectors(address, spk):
    script = bytes.fromhex(spk)
    assert address_to_script(address) == script
    decoded = decode_address(address)
    assert decoded.networks == ((MAINNET,) if address.lower().startswith("bc1") else (TESTNET3, TESTNET4, SIGNET))
    # Encoding the classified script gives the address back, lowercased.
    assert script_to_address(script, decoded.network) == address.lower()
    hrp = address.lower().split("1")[0]
    assert decode_segwit_address(hrp, address) == (decoded.witness_version, decoded.payload)


@pytest.mark.parametrize(("address", "reason"), SEGWIT_INVALID_BIP350)
def test_segwit_invalid_vectors_bip350(address, reason):
    with pytest.raises(AddressError, match=reason) as err:
        decode_address(address)
    assert repr(address) in str(err.value) and "\n" not in str(err.value)
    assert not is_valid_address(address)


@pytest.mark.parametrize("address", SEGWIT_INVALID_BIP173)
def test_segwit_invalid_vectors_bip173(address):
    assert not is_valid_address(address)
    with pytest.raises(AddressError):
        address_to_script(address)


# --------------------------------------------------------------------------- base58check addresses

# Bitcoin Core src/test/data/key_io_valid.json (addresses only): (address, scriptPubKey, chain).
KEY_IO_VALID = [
    ("1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mo", "76a914a31c06bd463e3923bc1aadbde48b16976c08071788ac", "mainnet"),
    ("36j4NfKv6Akva9amjWrLG6MuSQym1GuEmm", "a914373b819a068f32b7a6b38b6b38729647cfde01c287", "mainnet"),
    ("mzK2FFDEhxqHcmrJw1ysqFkVyhUULo45hZ", "76a914ce28b26c57472737f5c3561a1761185bd8589a4388ac", "testnet4"),
    ("2NC2hEhe28ULKAJkW5MjZ3jtTMJdvXmByvK", "a914ce0bba75891ff9ec60148d4bd4a09ee2dc5c933187", "testnet4"),
    ("mww4LvqtTMKvmeQvizPz2EQv26xTneWrbg", "76a914b4110ba93ac54afc14da3bdd19614774a2d55d2988ac", "signet"),
    ("2N1r7aC69VHeE7yQJPDLi9T1PYq4wnwvjuT", "a9145e5a35ab44b3efaea5129ba22b88ba3e2976614587", "signet"),
    ("n4fajahJrAuKbN7uNsKjLjQkz9Qn5ewJXQ", "76a914fdeca3b08e38af53d7c4c60e3ad208ce5066441088ac", "regtest"),
    ("2MxFajLApXpYk4VodBSZSt7rw8y4ryABkfA", "a91436e9f191e0b75036a77f65e2eaa4752443233fbe87", "regtest"),
    ("bc1qvyq0cc6rahyvsazfdje0twl7ez82ndmuac2lhv", "00146100fc6343edc8c874496cb2f5bbfec88ea9b77c", "mainnet"),
    ("bc1qyucykdlhp62tezs0hagqury402qwhk589q80tqs5myh3rxq34nwqhkdhv7",
     "002027304b37f70e94bc8a0fbf500e0c957a80ebda87280ef58214d92f119811acdc", "mainnet"),
    ("bc1p83n3au0rjylefxq2nc2xh2y4jzz4pm6zxj4mw5pagdjjr2a9f36s6jjnnu",
     "51203c671ef1e3913f94980a9e146ba895908550ef4234abb7503d436521aba54c75", "mainnet"),
    ("bc1z2rksukkjr8", "520250ed", "mainnet"),
    ("tb1qcrh3yqn4nlleplcez2yndq2ry8h9ncg3qh7n54", "0014c0ef1202759fff90ff19128936814321ee59e111", "testnet4"),
    ("tb1p35n52jy6xkm4wd905tdy8qtagrn73kqdz73xe4zxpvq9t3fp50aqk3s6gz",
     "51208d2745489a35b75734afa2da43817d40e7e8d80d17a26cd4460b0055c521a3fa", "testnet4"),
    ("tb1rgv5m6uvdk3kc7qsuz0c79v88ycr5w4wa", "53104329bd718db46d8f021c13f1e2b0e726", "testnet4"),
    ("tb1q3vya2h5435jkugq2few7dmktlrwq4ejmfaw7kr", "00148b09d55e958d256e200a4e5de6eecbf8dc0ae65b", "signet"),
    ("tb1rx9n9g37az8mu236e5jpxdt0m67y4fuq8rhs0ss3djnm0kscfrwvq0ntlyg",
     "532031665447dd11f7c54759a48266adfbd78954f0071de0f8422d94f6fb43091b98", "signet"),
    ("bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9", "00146f58bac9506f9bfb821d62e69330410bb56f0085", "regtest"),
    ("bcrt1pfwxjqvtt4tcxrtdluukfmy2dv7xd2qzdfy6kajv5nwn4yam3wxkq3553uh",
     "51204b8d20316baaf061adbfe72c9d914d678cd5004d49356ec9949ba752777171ac", "regtest"),
    ("bcrt1sx6p8njlx7h9mc2agz4yg82dzne23050ncq72cneeecez2pst8mahn8xecsf8g6hzx94420",
     "6028368279cbe6f5cbbc2ba8154883a9a29e5517d1f3c03cac4f39ce3225060b3efb799cd9c412746ae2", "regtest"),
]


@pytest.mark.parametrize(("address", "spk", "chain"), KEY_IO_VALID)
def test_bitcoin_core_key_io_vectors(address, spk, chain):
    network = NETWORKS[chain]
    script = bytes.fromhex(spk)
    assert address_to_script(address, network) == script
    assert network in decode_address(address).networks
    assert script_to_address(script, network) == address
    if address[0] not in "123mn":  # bech32: the all-uppercase form is the same address
        assert address_to_script(address.upper(), network) == script


def test_network_inference_and_canonical_choice():
    assert decode_address("1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mo").networks == (MAINNET,)
    shared = decode_address("mzK2FFDEhxqHcmrJw1ysqFkVyhUULo45hZ")
    assert shared.networks == (TESTNET3, TESTNET4, SIGNET, REGTEST)
    assert shared.network == TESTNET3
    assert decode_address("tb1qcrh3yqn4nlleplcez2yndq2ry8h9ncg3qh7n54").network == TESTNET3
    regtest = decode_address("bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9")
    assert regtest.networks == (REGTEST,)
    # Given a network, the result names just that one.
    assert decode_address("mzK2FFDEhxqHcmrJw1ysqFkVyhUULo45hZ", SIGNET).networks == (SIGNET,)


@pytest.mark.parametrize(("address", "network"), [
    ("1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mo", TESTNET3),
    ("mzK2FFDEhxqHcmrJw1ysqFkVyhUULo45hZ", MAINNET),
    ("bc1qvyq0cc6rahyvsazfdje0twl7ez82ndmuac2lhv", SIGNET),
    ("tb1qcrh3yqn4nlleplcez2yndq2ry8h9ncg3qh7n54", REGTEST),
    ("bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9", TESTNET4),
])
def test_wrong_network_is_named(address, network):
    with pytest.raises(AddressError, match=f"wrong network.*expected {network.name}") as err:
        decode_address(address, network)
    assert address in str(err.value)
    assert not is_valid_address(address, network)


@pytest.mark.parametrize(("address", "reason"), [
    ("", "empty"),
    ("1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mp", "checksum"),
    ("1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2m0", "invalid base58 character '0'"),
    (b58check_encode(b"\x00" + bytes(21)), "bad length: 22-byte payload"),
    (b58check_encode(b"\x05" + bytes(19)), "bad length: 20-byte payload"),
    (b58check_encode(b"\x30" + bytes(20)), "unknown version byte 0x30"),
    ("1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mo ", "invalid base58 character ' '"),
])
def test_invalid_base58_addresses_give_one_line_reasons(address, reason):
    with pytest.raises(AddressError, match=reason) as err:
        decode_address(address)
    message = str(err.value)
    assert "\n" not in message and repr(address) in message


def test_p2a_and_p2pk_addresses():
    assert address_from_payload(stypes.P2A, P2A_PROGRAM, MAINNET, 1) == "bc1pfeessrawgf"
    assert address_to_script("bc1pfeessrawgf") == bytes.fromhex("51024e73")
    assert decode_address("bc1pfeessrawgf").script_type == stypes.P2A
    key_hash = bytes.fromhex("62e907b15cbf27d5425399ebf6f0fb50ebb88f18")
    assert address_from_payload(stypes.P2PK, key_hash, MAINNET) == "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"


def test_types_without_address_and_bad_payloads():
    for t in (stypes.MULTISIG, stypes.OP_RETURN, stypes.NONSTANDARD):
        assert address_from_payload(t, b"", MAINNET) is None
    for t, payload, version in [(stypes.P2PKH, bytes(19), 0), (stypes.P2WSH, bytes(20), 0),
                                (stypes.P2A, b"\x4e\x74", 1), (stypes.WITNESS_UNKNOWN, bytes(41), 2),
                                (stypes.WITNESS_UNKNOWN, bytes(20), 17), (99, bytes(20), 0)]:
        with pytest.raises(AddressError):
            address_from_payload(t, payload, MAINNET, version)


# --------------------------------------------------------------------------- round trips and oracles


@hs.composite
def classified(draw) -> tuple[int, bytes, int]:
    """A (script type, payload, witness version) that has an address."""
    t = draw(hs.sampled_from([stypes.P2PK, stypes.P2PKH, stypes.P2SH, stypes.P2WPKH, stypes.P2WSH,
                              stypes.P2TR, stypes.P2A, stypes.WITNESS_UNKNOWN]))
    if t in (stypes.P2PK, stypes.P2PKH, stypes.P2SH, stypes.P2WPKH):
        return t, draw(hs.binary(min_size=20, max_size=20)), 0
    if t in (stypes.P2WSH, stypes.P2TR):
        return t, draw(hs.binary(min_size=32, max_size=32)), int(t == stypes.P2TR)
    if t == stypes.P2A:
        return t, P2A_PROGRAM, 1
    version = draw(hs.integers(1, 16))
    program = draw(hs.binary(min_size=2, max_size=40))
    assume(version != 1 or (len(program) != 32 and program != P2A_PROGRAM))
    return t, program, version


def bech32m_oracle(hrp: str, version: int, program: bytes) -> str:
    """A v1+ address built from the bech32 package's primitives and BIP350's constant."""
    data = [version] + bech32_ref.convertbits(program, 8, 5)
    pm = bech32_ref.bech32_polymod(bech32_ref.bech32_hrp_expand(hrp) + data + [0] * 6) ^ 0x2BC830A3
    return hrp + "1" + "".join(bech32_ref.CHARSET[d] for d in data + [(pm >> 5 * (5 - i)) & 31 for i in range(6)])


networks = hs.sampled_from(list(NETWORKS.values()))


@settings(max_examples=500)
@given(classified(), networks)
def test_encode_decode_round_trip_and_oracles(row, network):
    t, payload, version = row
    address = address_from_payload(t, payload, network, version)
    shown_type = stypes.P2PKH if t == stypes.P2PK else t
    decoded = decode_address(address, network)
    assert (decoded.script_type, decoded.payload, decoded.witness_version) == (shown_type, payload, version)
    assert network in decode_address(address).networks
    assert classify_script(decoded.script_pubkey) == (shown_type, payload, version)
    if t in (stypes.P2PK, stypes.P2PKH, stypes.P2SH):
        prefix = network.p2sh_prefix if t == stypes.P2SH else network.p2pkh_prefix
        assert address == base58_ref.b58encode_check(bytes([prefix]) + payload).decode()
    elif version == 0:
        assert address == bech32_ref.encode(network.hrp, 0, payload)
        assert bech32_ref.decode(network.hrp, address) == (0, list(payload))
    else:
        assert address == bech32m_oracle(network.hrp, version, payload)
    if t not in (stypes.P2PK, stypes.P2PKH, stypes.P2SH):
        assert decode_address(address.upper(), network) == decoded
        assert encode_segwit_address(network.hrp, version, payload) == address


# --------------------------------------------------------------------------- the numba encoder


def reference_addresses(stype, wver, plen, payload, network) -> list[str | None]:
    """What the pure-Python encoder says per row (None where it has no address or refuses)."""
    out = []
    for t, v, n, row in zip(stype.tolist(), wver.tolist(), plen.tolist(), payload):
        try:
            out.append(address_from_payload(t, row[:n].tobytes(), network, v))
        except AddressError:
            out.append(None)
    return out


def as_arrays(rows: list[tuple[int, bytes, int]]):
    n = len(rows)
    stype = np.array([r[0] for r in rows], np.uint8).reshape(n)
    wver = np.array([r[2] for r in rows], np.uint8).reshape(n)
    plen = np.array([len(r[1]) for r in rows], np.uint8).reshape(n)
    payload = np.zeros((n, stypes.MAX_PAYLOAD), np.uint8)
    for i, (_, p, _) in enumerate(rows):
        payload[i, :len(p)] = np.frombuffer(p, np.uint8)
    return stype, wver, plen, payload


# Rows that may or may not make sense: any type code, version and payload length.
any_row = hs.tuples(hs.integers(0, 12), hs.binary(max_size=40), hs.integers(0, 18))


@settings(deadline=None, max_examples=300)
@given(hs.lists(hs.one_of(classified(), any_row), max_size=60), networks)
def test_numba_encoder_matches_pure_python(rows, network):
    stype, wver, plen, payload = as_arrays(rows)
    want = reference_addresses(stype, wver, plen, payload, network)
    arr = encode_addresses_arrow(stype, wver, plen, payload, network)
    assert arr.type == pa.string() and len(arr) == len(rows)
    assert arr.to_pylist() == want
    assert arr.null_count == want.count(None)
    offsets, data, valid = encode_addresses(stype, wver, plen, payload, network.p2pkh_prefix,
                                            network.p2sh_prefix, hrp_array(network))
    assert valid.tolist() == [a is not None for a in want]
    assert offsets[0] == 0 and (np.diff(offsets) >= 0).all() and offsets[-1] <= len(data)


def test_numba_encoder_handles_leading_zero_bytes_and_lane_batches():
    """All-zero hashes (runs of '1'), more rows than one lane batch and one chunk."""
    rows = [(stypes.P2PKH, bytes(20), 0), (stypes.P2SH, bytes(20), 0), (stypes.P2PK, b"\x00" * 19 + b"\x01", 0)]
    rng = np.random.default_rng(7)
    rows += [(int(t), rng.bytes(20), 0) for t in rng.choice([stypes.P2PKH, stypes.P2SH, stypes.P2WPKH], 3000)]
    arrays = as_arrays(rows)
    for network in (MAINNET, REGTEST):
        assert encode_addresses_arrow(*arrays, network).to_pylist() == reference_addresses(*arrays, network)
    assert encode_addresses_arrow(*arrays, MAINNET)[0].as_py() == "1111111111111111111114oLvT2"


def test_numba_encoder_empty_input():
    arr = encode_addresses_arrow(*as_arrays([]), MAINNET)
    assert len(arr) == 0 and arr.type == pa.string()


# --------------------------------------------------------------------------- real addresses


def blk_blocks(path: Path) -> list[Block]:
    """Every block of a blk*.dat file (magic, 4-byte length, block; no junk in these)."""
    data = path.read_bytes()
    blocks, pos = [], 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos + 4:pos + 8], "little")
        blocks.append(Block.from_bytes(data[pos + 8:pos + 8 + size]))
        pos += 8 + size
    return blocks


@needs_shared
def test_real_outputs_kernel_equals_pure_python_and_oracles():
    blocks = DATA / "blocks"
    mainnet = blk_blocks(blocks / "mainnet-0-599" / "blk00000.dat") + [
        Block.from_bytes((blocks / "mainnet" / "block-481829.raw").read_bytes()),
        Block.from_bytes(bytes.fromhex((blocks / "mainnet" / "block-514485.hex").read_text().strip())),
    ]
    testnet = [Block.from_bytes(p.read_bytes()) for p in sorted((blocks / "testnet").glob("*.raw"))]
    for network, chain in ((MAINNET, mainnet), (TESTNET3, testnet)):
        scripts = [out.script_pubkey for b in chain for tx in b.txs for out in tx.outputs]
        kernel = encode_addresses_arrow(*classify(*pack_scripts(scripts)), network).to_pylist()
        assert kernel == [script_to_address(s, network) for s in scripts]
        for script, address in zip(scripts, kernel):
            if address is None:
                continue
            _, payload, version = classify_script(script)
            if address[0] in "123mn":
                assert base58_ref.b58decode_check(address)[1:] == payload
            else:
                assert bech32_ref.decode(network.hrp, address) == (version, list(payload))
    genesis_address = encode_addresses_arrow(*classify(*pack_scripts(
        [mainnet[0].txs[0].outputs[0].script_pubkey])), MAINNET)[0].as_py()
    assert genesis_address == "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"


@needs_shared
def test_addresses_bitcoin_core_gave_bitcoin_etl():
    """Output addresses in RPC-derived JSON (blocks 0, 1, 50000-50002): p2pk and p2pkh."""
    outputs = []
    for path in sorted((DATA / "rpc-json").glob("*/expected_transactions.json")):
        for line in path.read_text().splitlines():
            if line.strip():
                outputs += [o for o in json.loads(line)["outputs"] if len(o["addresses"]) == 1]
    scripts = [bytes.fromhex(o["script_hex"]) for o in outputs]
    want = [o["addresses"][0] for o in outputs]
    assert len(want) >= 10 and "12c6DSiU4Rq3P4ZxziKxzrL5LmMBrzjrJX" in want
    assert [script_to_address(s, MAINNET) for s in scripts] == want
    assert encode_addresses_arrow(*classify(*pack_scripts(scripts)), MAINNET).to_pylist() == want


@needs_shared
def test_ofac_bitcoin_list_has_exactly_one_non_bitcoin_entry():
    entries = (DATA / "sanctions" / "ofac-0xB10C" / "sanctioned_addresses_XBT.txt").read_text().split()
    invalid = [a for a in entries if not is_valid_address(a, MAINNET)]
    assert invalid == ["TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq"]  # a Tron address (version byte 0x41)
    with pytest.raises(AddressError, match="unknown version byte 0x41"):
        decode_address(invalid[0])
    for address in entries:
        if address not in invalid:
            d = decode_address(address, MAINNET)
            assert address_from_payload(d.script_type, d.payload, MAINNET, d.witness_version) == address


@needs_shared
def test_mining_pool_payout_addresses_decode_and_reencode():
    pools = json.loads((DATA / "tags" / "mining-pools" / "pool-list.json").read_text())
    addresses = [a for pool in pools for a in pool["addresses"]]
    assert len(addresses) > 100
    for address in addresses:
        d = decode_address(address, MAINNET)
        assert address_from_payload(d.script_type, d.payload, MAINNET, d.witness_version) == address
