"""The numba hash kernels against hashlib, their pure-Python twin."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from chaintrail.bitcoin import hash_kernels as hk
from chaintrail.bitcoin.block import Block

BLOCKS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "blocks"

# Lengths around the SHA-256 / RIPEMD-160 padding boundaries, and multi-block messages.
EDGE_LENGTHS = [0, 1, 3, 31, 32, 33, 55, 56, 57, 63, 64, 65, 100, 119, 120, 127, 128, 129, 191, 192, 1000]


def sha256(d: bytes) -> bytes:
    return hashlib.sha256(d).digest()


def sha256d(d: bytes) -> bytes:
    return sha256(sha256(d))


def ripemd160(d: bytes) -> bytes:
    return hashlib.new("ripemd160", d).digest()


def hash160(d: bytes) -> bytes:
    return ripemd160(sha256(d))


KERNELS = {  # kernel -> (digest size, hashlib twin)
    hk.sha256_into: (32, sha256),
    hk.sha256d_into: (32, sha256d),
    hk.ripemd160_into: (20, ripemd160),
    hk.hash160_into: (20, hash160),
}


def run_kernel(kernel, data: bytes, before: bytes = b"\xaa" * 5, after: bytes = b"\x55" * 7) -> bytes:
    """Hash ``data`` lying inside a larger buffer, into the middle of a larger output."""
    buf = np.frombuffer(before + data + after, np.uint8)
    size = KERNELS[kernel][0]
    out = np.full(size + 6, 0xEE, np.uint8)
    kernel(buf, len(before), len(data), out, 3)
    assert out[:3].tolist() == [0xEE] * 3 and out[3 + size:].tolist() == [0xEE] * 3, "wrote outside its slot"
    return out[3:3 + size].tobytes()


@pytest.mark.parametrize("kernel", list(KERNELS), ids=lambda k: k.__name__)
@pytest.mark.parametrize("n", EDGE_LENGTHS)
def test_kernels_match_hashlib_at_edge_lengths(kernel, n):
    data = bytes((i * 37 + n) & 0xFF for i in range(n))
    assert run_kernel(kernel, data) == KERNELS[kernel][1](data)


def test_known_digests():
    assert run_kernel(hk.sha256_into, b"abc").hex() == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    assert run_kernel(hk.ripemd160_into, b"abc").hex() == "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"
    assert run_kernel(hk.ripemd160_into, b"").hex() == "9c1185a5c5e9fc54612808977ee8f548b2258d31"


@settings(deadline=None, max_examples=300)
@given(data=hs.binary(max_size=300), before=hs.binary(max_size=70), after=hs.binary(max_size=10))
def test_kernels_match_hashlib_random(data, before, after):
    for kernel, (_, twin) in KERNELS.items():
        assert run_kernel(kernel, data, before, after) == twin(data)


@settings(deadline=None, max_examples=300)
@given(data=hs.binary(max_size=400), cuts=hs.lists(hs.integers(0, 400), min_size=2, max_size=2),
       gap=hs.binary(max_size=9))
def test_three_segments_hash_their_concatenation(data, cuts, gap):
    a, b = sorted(min(c, len(data)) for c in cuts)
    parts = [data[:a], data[a:b], data[b:]]
    # Lay the segments out of order with junk between them: only (offset, length) links them.
    buf = gap + parts[2] + gap + parts[0] + gap + parts[1] + gap
    o2 = len(gap)
    o0 = o2 + len(parts[2]) + len(gap)
    o1 = o0 + len(parts[0]) + len(gap)
    arr = np.frombuffer(buf, np.uint8)
    out = np.zeros(32, np.uint8)
    hk.sha256_3_into(arr, o0, len(parts[0]), o1, len(parts[1]), o2, len(parts[2]), out, 0)
    assert out.tobytes() == sha256(data)
    hk.sha256d_3_into(arr, o0, len(parts[0]), o1, len(parts[1]), o2, len(parts[2]), out, 0)
    assert out.tobytes() == sha256d(data)


@settings(deadline=None, max_examples=50)
@given(msgs=hs.lists(hs.binary(max_size=200), max_size=40))
def test_sha256d_many_serial_and_parallel(msgs):
    buf = np.frombuffer(b"".join(msgs) + b"\x00", np.uint8)
    lengths = np.array([len(m) for m in msgs], np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64) if msgs else lengths
    want = [sha256d(m) for m in msgs]
    for kernel in (hk.sha256d_many, hk.sha256d_many_parallel):
        out = np.zeros((len(msgs), 32), np.uint8)
        kernel(buf, offsets, lengths, out)
        assert [row.tobytes() for row in out] == want


@pytest.mark.parametrize("n", [0, 1, 20, 21, 31, 32, 33, 54, 55])
def test_short_lanes_match_hashlib(n):
    rng = np.random.default_rng(n)
    buf = rng.integers(0, 256, hk.LANES * 60 + 3, dtype=np.uint8)
    offsets = np.arange(hk.LANES, dtype=np.int64) * 60 + 3
    state, work = hk.new_lane_scratch()
    hk.sha256d_short_lanes(buf, offsets, n, state, work)
    for lane in range(hk.LANES):
        msg = buf[offsets[lane]:offsets[lane] + n].tobytes()
        assert state[:, lane].astype(">u4").tobytes() == sha256d(msg)


@pytest.mark.skipif(not BLOCKS.exists(), reason=f"real-data fixtures not available ({BLOCKS} is absent)")
def test_segwit_txids_from_three_segments_of_the_wire_bytes():
    """txid = sha256d(version | inputs+outputs | locktime) cut out of the witness serialization."""
    block = Block.from_bytes(bytes.fromhex((BLOCKS / "mainnet" / "block-514485.hex").read_text().strip()))
    segwit = [tx for tx in block.txs if tx.has_witness]
    assert len(segwit) == 621  # EXPECTED.json: n_segwit_tx
    out = np.zeros(32, np.uint8)
    for tx in segwit:
        wire = tx.serialize(with_witness=True)
        body = len(tx.serialize(with_witness=False)) - 8  # without version and locktime
        buf = np.frombuffer(wire, np.uint8)
        hk.sha256d_3_into(buf, 0, 4, 6, body, len(wire) - 4, 4, out, 0)  # skip marker and flag
        assert out.tobytes() == tx.txid_bytes()
        hk.sha256d_into(buf, 0, len(wire), out, 0)
        assert out.tobytes() == tx.wtxid_bytes()
