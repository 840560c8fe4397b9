"""The bulk address checks agree with the reference decoder, on real tag
addresses and on broken copies of them, for mainnet and testnet; the hash
is the same in the kernel and in Python; the screening index finds exactly
the listed hashes."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from test_attribution_fixtures import TAGPACKS, XBT_TXT, needs_tags

from chaintrail.attribution.addresses import (
    SMALL,
    _check_small,
    canonical_address,
    check_addresses,
    hash_addresses,
)
from chaintrail.attribution.screen_index import ScreenIndex
from chaintrail.attribution.yaml_plain import load_plain
from chaintrail.bitcoin.address import is_valid_address
from chaintrail.bitcoin.networks import MAINNET, TESTNET3

KNOWN = [
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",
    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
    "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",
    "2MzQwSSnBHWHqSAqtTVQ6v47XtaisrJa1Vc", "bcrt1q6rhpng9evdsfnn833a4f4vej0asu6dk5srld6x",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "BC1Qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "", "1", "11111",
    "0xdeadbeef", "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq",
]


def _agree(addresses: list[str]) -> None:
    for net in (MAINNET, TESTNET3):
        got = check_addresses(pa.array(addresses, pa.string()), net)
        want = [is_valid_address(a, net) for a in addresses]
        assert got.valid.tolist() == want, [a for a, g, w in zip(addresses, got.valid, want) if g != w]


def test_known_addresses_agree_with_the_reference():
    _agree(KNOWN * (SMALL // len(KNOWN) + 2))  # the kernel path (many addresses)
    for a in KNOWN:  # the Python path (few addresses)
        assert bool(_check_small([a], MAINNET).valid[0]) == is_valid_address(a, MAINNET)


@needs_tags
def test_real_tag_addresses_and_broken_copies_agree():
    doc = load_plain((TAGPACKS / "packs" / "walletexplorer.yaml").read_text())
    real = [t["address"] for t in doc["tags"]] + XBT_TXT.read_text().split()
    rnd = random.Random(7)
    broken = []
    for a in real:
        i = rnd.randrange(len(a))
        broken += [a[:i] + rnd.choice("13abqpzAQLZ0") + a[i + 1:], a[:-1], a + "q", a.swapcase()]
    _agree(real + broken)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0l",
                        min_size=0, max_size=64), min_size=SMALL, max_size=SMALL + 5))
def test_random_strings_agree(texts):
    _agree(texts)


def test_hash_is_the_same_in_kernel_and_python_and_ignores_bech32_case():
    many = KNOWN * 5
    kernel = hash_addresses(pa.array(many))
    small = np.concatenate([_check_small([a], MAINNET).hashes for a in many])
    assert (kernel == small).all()
    h = check_addresses([KNOWN[2], KNOWN[4]] * SMALL).hashes
    assert h[0] == h[1] and canonical_address(KNOWN[4]) == KNOWN[2]


def test_screen_index_finds_exactly_the_targets():
    targets = hash_addresses(pa.array(KNOWN[:6]))
    idx = ScreenIndex(targets)
    q = hash_addresses(pa.array(KNOWN))
    assert idx.candidates(q).tolist() == [i < 6 or KNOWN[i].lower() == KNOWN[2] for i in range(len(KNOWN))]
    assert not ScreenIndex(np.zeros(0, np.uint64)).candidates(q).any()
