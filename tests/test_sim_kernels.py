"""The simulator's numba kernels against their pure-Python twins."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest

from chaintrail.bitcoin import native_hash as nh
from chaintrail.bitcoin import script_types as st
from chaintrail.bitcoin.address import address_from_payload
from chaintrail.bitcoin.networks import REGTEST
from chaintrail.bitcoin.script import bip34_height
from chaintrail.sim import reference as ref
from chaintrail.sim.actors import standard_denominations
from chaintrail.sim.block_kernels import write_height_push
from chaintrail.sim.rng_kernels import mix, next_u64, py_mix, py_next_u64
from chaintrail.sim.script_kernels import (
    output_size,
    payload,
    write_output,
    write_pubkey,
)
from chaintrail.sim.state_kernels import era_shares
from chaintrail.sim.truth import address_payloads, hex_hashes

KEY = 0x1234_5678_9ABC_DEF0


def test_rng_matches_python_twin():
    s = np.array([42], np.uint64)
    ps = [42]
    for _ in range(100):
        assert int(next_u64(s)) == py_next_u64(ps)
    for a, b in [(0, 0), (1, 2), (10**12, 7), (2**40 + 3, 1000)]:
        assert int(mix(np.uint64(KEY), a, b)) == py_mix(KEY, a, b)


@pytest.mark.parametrize("n", [0, 1, 33, 55, 56, 63, 64, 65, 300, 1000])
def test_native_hashes_match_hashlib(n):
    data = np.frombuffer(os.urandom(n + 20), np.uint8).copy()
    out = np.zeros(40, np.uint8)
    sc = nh.new_hash_scratch()
    sha = hashlib.sha256
    nh.sha256_into(data, 7, n, out, 3, sc)
    assert out[3:35].tobytes() == sha(data[7:7 + n].tobytes()).digest()
    nh.sha256d_into(data, 7, n, out, 1, sc)
    assert out[1:33].tobytes() == sha(sha(data[7:7 + n].tobytes()).digest()).digest()
    nh.hash160_into(data, 2, n, out, 0, sc)
    assert out[:20].tobytes() == hashlib.new("ripemd160", sha(data[2:2 + n].tobytes()).digest()).digest()
    k = n // 3
    nh.sha256d3_into(data, 0, 4, 4, k, 10, n - k, out, 0, sc)
    msg = data[0:4].tobytes() + data[4:4 + k].tobytes() + data[10:10 + n - k].tobytes()
    assert out[:32].tobytes() == sha(sha(msg).digest()).digest()


@pytest.mark.parametrize("stype", [st.P2PKH, st.P2SH, st.P2WPKH, st.P2WSH, st.P2TR, st.MULTISIG])
def test_scripts_match_reference(stype):
    buf = np.zeros(200, np.uint8)
    scratch = np.zeros(160, np.uint8)
    sc = nh.new_hash_scratch()
    for addr in (0, 1, 77, 123_456_789):
        end = write_output(buf, 0, 5000, stype, addr, 0, np.uint64(KEY), 0, 0, scratch, sc)
        spk = ref.output_script(stype, KEY, addr)
        assert end == output_size(stype, 0)
        assert int.from_bytes(buf[:8].tobytes(), "little") == 5000
        assert buf[9:end].tobytes() == spk
        if stype != st.MULTISIG:
            out = np.zeros(40, np.uint8)
            n = payload(stype, np.uint64(KEY), addr, out, 0, scratch, sc)
            assert out[:n].tobytes() == ref.payload(stype, KEY, addr)
        pk = np.zeros(33, np.uint8)
        write_pubkey(pk, 0, np.uint64(KEY), addr, 0)
        assert pk.tobytes() == ref.pubkey(KEY, addr)


def test_address_payloads_encode_like_the_reference_encoder():
    from chaintrail.bitcoin.address_kernels import encode_addresses_arrow

    ids = np.arange(40, dtype=np.int64)
    types = np.array([st.P2PKH, st.P2SH, st.P2WPKH, st.P2WSH, st.P2TR] * 8, np.int64)
    pay = np.zeros((40, 40), np.uint8)
    plen = np.zeros(40, np.uint8)
    wver = np.zeros(40, np.uint8)
    address_payloads(ids, types, np.uint64(KEY), pay, plen, wver)
    arr = encode_addresses_arrow(types.astype(np.uint8), wver, plen, pay, REGTEST).to_pylist()
    for i in range(40):
        p = ref.payload(int(types[i]), KEY, i)
        assert arr[i] == address_from_payload(int(types[i]), p, REGTEST, int(wver[i]))
        assert arr[i].startswith(("m", "n", "2", "bcrt1q", "bcrt1p"))


@pytest.mark.parametrize("h", [0, 1, 16, 17, 127, 128, 255, 256, 32767, 32768, 500_000])
def test_bip34_height_push(h):
    buf = np.zeros(16, np.uint8)
    end = write_height_push(buf, 0, h)
    assert bip34_height(buf[:end].tobytes() + b"\x08" + b"\x00" * 8) == h


def test_standard_denominations():
    d = standard_denominations()
    assert list(d) == sorted(d, reverse=True) and d[-1] == 5_000 and d[0] <= 134_375_000_000
    s = set(int(x) for x in d)
    assert {10_000, 20_000, 50_000, 2 ** 20, 3 ** 12, 2 * 3 ** 12, 100_000_000} <= s
    assert 7_000 not in s


def test_era_shares_follow_adoption():
    early = era_shares(2013.0, 2017.9, 2019.6, 2023.6)
    mid = era_shares(2018.5, 2017.9, 2019.6, 2023.6)
    late = era_shares(2025.0, 2017.9, 2019.6, 2023.6)
    for s in (early, mid, late):
        assert abs(sum(s) - 1) < 1e-9
    assert early[0] > 0.9 and late[0] < 0.15          # legacy falls
    assert mid[1] > early[1] and mid[1] > late[1]      # nested SegWit rises, then falls
    assert late[2] > mid[2] > early[2]                 # native SegWit rises
    assert late[3] > 0.2 and early[3] < 0.01           # Taproot appears late


def test_hex_hashes_display_order():
    h = np.frombuffer(os.urandom(64), np.uint8).reshape(2, 32)
    assert hex_hashes(h).to_pylist() == [bytes(r[::-1]).hex() for r in h]
