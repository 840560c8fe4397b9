"""The numba script classifier against ``script.classify_script`` and against
independently computed output-type counts of real blocks."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from chaintrail.bitcoin import script_types as stypes
from chaintrail.bitcoin.block import Block
from chaintrail.bitcoin.classify_kernels import classify, classify_scripts, pack_scripts
from chaintrail.bitcoin.hashing import hash160
from chaintrail.bitcoin.script import classify_script

BLOCKS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "blocks"
needs_shared = pytest.mark.skipif(
    not BLOCKS.exists(), reason=f"real-data fixtures not available ({BLOCKS} is absent)")


def kernel_results(scripts: list[bytes]) -> list[tuple[int, bytes, int]]:
    """(type, payload, witness version) per script, from the kernel, payload tails checked zero."""
    stype, wver, plen, payload = classify(*pack_scripts(scripts))
    rows = []
    for i in range(len(scripts)):
        assert not payload[i, plen[i]:].any(), "payload row not zero after plen"
        rows.append((int(stype[i]), payload[i, :plen[i]].tobytes(), int(wver[i])))
    return rows


def assert_twins_agree(scripts: list[bytes]) -> None:
    got = kernel_results(scripts)
    for script, row in zip(scripts, got):
        assert row == classify_script(script), script.hex()


# --------------------------------------------------------------------------- script strategies


def push(data: bytes) -> bytes:
    n = len(data)
    if n < 0x4C:
        return bytes([n]) + data
    if n <= 0xFF:
        return b"\x4c" + bytes([n]) + data
    if n <= 0xFFFF:
        return b"\x4d" + n.to_bytes(2, "little") + data
    return b"\x4e" + n.to_bytes(4, "little") + data


def small_int(n: int) -> int:
    return 0x50 + n  # OP_1..OP_16


valid_keys = hs.one_of(
    hs.builds(lambda p, x: bytes([p]) + x, hs.sampled_from([2, 3]), hs.binary(min_size=32, max_size=32)),
    hs.builds(lambda p, x: bytes([p]) + x, hs.sampled_from([4, 6, 7]), hs.binary(min_size=64, max_size=64)),
)
any_keys = hs.one_of(valid_keys, hs.binary(min_size=33, max_size=33), hs.binary(min_size=65, max_size=65),
                     hs.binary(min_size=30, max_size=70))
h20 = hs.binary(min_size=20, max_size=20)

p2pkh = hs.builds(lambda h: b"\x76\xa9\x14" + h + b"\x88\xac", h20)
p2sh = hs.builds(lambda h: b"\xa9\x14" + h + b"\x87", h20)
p2pk = hs.builds(lambda k: push(k) + b"\xac", any_keys)
programs = hs.one_of(hs.binary(min_size=20, max_size=20), hs.binary(min_size=32, max_size=32),
                    hs.binary(max_size=41))
witness = hs.builds(lambda v, prog: bytes([0 if v == 0 else small_int(v), len(prog)]) + prog,
                    hs.one_of(hs.integers(0, 1), hs.integers(0, 16)), programs)
p2a = hs.just(bytes.fromhex("51024e73"))
op_return_items = hs.one_of(
    hs.binary(max_size=300).map(push),
    hs.sampled_from([b"\x00", b"\x4f", b"\x50", b"\x51", b"\x60", b"\x61", b"\x6a", b"\xac"]),
)
op_return = hs.builds(lambda items: b"\x6a" + b"".join(items), hs.lists(op_return_items, max_size=5))


@hs.composite
def multisig(draw) -> bytes:
    """m-of-n CHECKMULTISIG, usually consistent, sometimes with a wrong count or a bad key."""
    keys = draw(hs.lists(valid_keys, min_size=1, max_size=4))
    if draw(hs.booleans()):
        keys = draw(hs.lists(any_keys, max_size=4))
    n = draw(hs.one_of(hs.just(len(keys)), hs.integers(1, 16)))
    m = draw(hs.one_of(hs.integers(1, max(1, n)), hs.integers(1, 16)))
    body = b"".join(bytes([len(k)]) + k for k in keys)
    return bytes([small_int(m)]) + body + bytes([small_int(n)]) + b"\xae"


well_formed = hs.one_of(p2pkh, p2sh, p2pk, witness, p2a, op_return, multisig())


@hs.composite
def near_misses(draw) -> bytes:
    """A well-formed script with one byte changed, dropped or added."""
    s = bytearray(draw(well_formed))
    how = draw(hs.sampled_from(["flip", "drop", "add"]))
    pos = draw(hs.integers(0, len(s)))
    if how == "flip" and s:
        s[min(pos, len(s) - 1)] ^= 1 << draw(hs.integers(0, 7))
    elif how == "drop" and s:
        del s[min(pos, len(s) - 1)]
    else:
        s.insert(pos, draw(hs.integers(0, 255)))
    return bytes(s)


# --------------------------------------------------------------------------- twins


@settings(deadline=None, max_examples=300)
@given(hs.lists(hs.binary(max_size=80), max_size=30))
def test_random_bytes_classify_as_the_reference(scripts):
    assert_twins_agree(scripts)


@settings(deadline=None, max_examples=500)
@given(hs.lists(hs.one_of(well_formed, near_misses()), min_size=1, max_size=30))
def test_well_formed_and_near_miss_scripts_classify_as_the_reference(scripts):
    assert_twins_agree(scripts)


def test_every_type_is_produced_with_its_payload():
    key33 = b"\x02" + bytes(range(32))
    key65 = b"\x04" + bytes(range(64))
    cases = {
        "p2pk": (push(key65) + b"\xac", hash160(key65), 0),
        "p2pkh": (b"\x76\xa9\x14" + bytes(20) + b"\x88\xac", bytes(20), 0),
        "p2sh": (b"\xa9\x14" + bytes(range(20)) + b"\x87", bytes(range(20)), 0),
        "p2wpkh": (b"\x00\x14" + bytes(range(20)), bytes(range(20)), 0),
        "p2wsh": (b"\x00\x20" + bytes(range(32)), bytes(range(32)), 0),
        "p2tr": (b"\x51\x20" + bytes(range(32)), bytes(range(32)), 1),
        "p2a": (bytes.fromhex("51024e73"), bytes.fromhex("4e73"), 1),
        "multisig": (b"\x51" + push(key33) + push(key65) + b"\x52\xae", b"", 0),
        "op_return": (b"\x6a" + push(b"hello"), b"", 0),
        "witness_unknown": (b"\x60\x28" + bytes(40), bytes(40), 16),
        "nonstandard": (b"\x00\x15" + bytes(21), b"", 0),
    }
    got = kernel_results([s for s, _, _ in cases.values()])
    for (name, (_, payload, version)), row in zip(cases.items(), got):
        assert row == (stypes.CODES[name], payload, version), name


def test_empty_input_and_empty_script():
    assert kernel_results([]) == []
    assert kernel_results([b""]) == [(stypes.NONSTANDARD, b"", 0)]


def test_kernel_reads_only_its_slices():
    """Scripts inside a larger buffer, out of order, with junk between them."""
    p2wpkh = b"\x00\x14" + bytes(range(20))
    p2pkh = b"\x76\xa9\x14" + bytes(range(1, 21)) + b"\x88\xac"
    buf = np.frombuffer(b"\x51" * 7 + p2pkh + b"\xa9" * 3 + p2wpkh + b"\x87", np.uint8)
    off = np.array([7 + 25 + 3, 7], np.int64)
    length = np.array([22, 25], np.int64)
    n = 2
    stype, wver, plen = (np.full(n, 99, np.uint8) for _ in range(3))
    payload = np.full((n, stypes.MAX_PAYLOAD), 0xEE, np.uint8)
    classify_scripts(buf, off, length, stype, wver, plen, payload)
    assert stype.tolist() == [stypes.P2WPKH, stypes.P2PKH]
    assert payload[0, :20].tobytes() == bytes(range(20)) and payload[1, :20].tobytes() == bytes(range(1, 21))
    assert not payload[:, 20:].any()


# --------------------------------------------------------------------------- real blocks


def load_block(entry: dict) -> bytes:
    """The bytes of one EXPECTED.json block: raw, hex text, or blk-framed at its offset."""
    path = BLOCKS / entry["file"]
    if entry["format"] == "hex":
        return bytes.fromhex(path.read_text().strip())
    data = path.read_bytes()
    if entry["format"] == "raw":
        return data
    start = entry["offset"]
    size = int.from_bytes(data[start + 4:start + 8], "little")
    return data[start + 8:start + 8 + size]


@needs_shared
def test_real_blocks_output_type_counts_and_twin_agreement():
    """Every output of every real block: counts as EXPECTED.json ('other' = nonstandard)."""
    expected = json.loads((BLOCKS / "EXPECTED.json").read_text())
    mismatches = []
    total = Counter()
    for entry in expected:
        block = Block.from_bytes(load_block(entry))
        assert block.hash == entry["hash"]
        scripts = [out.script_pubkey for tx in block.txs for out in tx.outputs]
        rows = kernel_results(scripts)
        counts = Counter("other" if t == stypes.NONSTANDARD else stypes.NAMES[t] for t, _, _ in rows)
        if dict(counts) != entry["output_types"]:
            mismatches.append((entry["file"], entry["height"], dict(counts), entry["output_types"]))
        for script, row in zip(scripts, rows):
            assert row == classify_script(script), (entry["file"], entry["height"], script.hex())
        total.update(counts)
    assert mismatches == []
    assert len(expected) == 621
    # The corpus exercises the common types (sanity check that the loop really ran).
    assert total["p2pkh"] > 10_000 and total["p2wpkh"] > 0 and total["multisig"] > 0


@needs_shared
def test_genesis_coinbase_output_is_p2pk_of_satoshis_key():
    data = (BLOCKS / "mainnet-0-599" / "blk00000.dat").read_bytes()
    genesis = Block.from_bytes(data[8:8 + int.from_bytes(data[4:8], "little")])
    script = genesis.txs[0].outputs[0].script_pubkey
    [(t, payload, version)] = kernel_results([script])
    assert (t, version) == (stypes.P2PK, 0)
    assert payload.hex() == "62e907b15cbf27d5425399ebf6f0fb50ebb88f18"
