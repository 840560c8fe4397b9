"""Change heuristics: the --change language, each heuristic on constructed
transactions, combinations, the horizon that hides later spends, and the
kernel against its pure-Python twin on random chains."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaintrail.bitcoin.script_types import OP_RETURN, P2PKH, P2SH, P2TR, P2WPKH
from chaintrail.heuristics import change_reference as REF
from chaintrail.heuristics.array_chain import ArrayChain, TxSpec
from chaintrail.heuristics.change import ChangeContext, compile_program, detect_change, eligible
from chaintrail.heuristics.change_expr import DEFAULT_CHANGE, ChangeSpecError, canonical, parse
from chaintrail.heuristics.codes import HEURISTIC_NAMES

COIN = 100_000_000
NO_LIMIT = 1 << 40


def decide(specs: list[TxSpec], spec: str, t: int, limit: int | None = None) -> int:
    """The change output index (vout) of tx t under --change spec, or -1."""
    a = ArrayChain(specs)
    n = a.counts["txs"]
    lim = np.full(n, NO_LIMIT if limit is None else limit, np.int64)
    ctx = ChangeContext(a, eligible(a, np.zeros(n, np.uint8)), lim)
    c = int(detect_change(ctx, parse(spec), 0, n).change[t])
    assert c == REF.unique_change(parse(spec), a, t, int(lim[t]))
    return c - int(a.tx_first_out[t]) if c >= 0 else -1


# --------------------------------------------------------------------------- the language

@pytest.mark.parametrize("text", [
    "default", "fresh-address", "fresh-address,optimal-change", "fresh-address&rbf",
    "fresh-address|address-reuse", "(fresh-address,address-type)-locktime", "power-of-ten:6",
    "version-(fresh-address-locktime)", "(fresh-address|rbf),locktime,peel-chain",
])
def test_expressions_round_trip(text):
    node = parse(text)
    assert parse(canonical(node)) == node


def test_default_and_none():
    assert canonical(parse("default")) == DEFAULT_CHANGE
    assert parse("none") is None and canonical(None) == "none"
    assert canonical(parse("fresh-address & power-of-ten")) == "fresh-address,power-of-ten:4"


@pytest.mark.parametrize("bad", ["fresh", "fresh-address,", "(rbf", "rbf)", "locktime:3", "rbf||version"])
def test_bad_expressions_are_one_line_errors(bad):
    with pytest.raises(ChangeSpecError) as e:
        parse(bad)
    assert "\n" not in str(e.value)


def test_program_table_of_and_or_diff():
    p = compile_program(parse("fresh-address,rbf"))
    n = 2
    # (opinions << n) | candidates; bit 1 = opinion, bit 0 = candidate
    assert p.table[(0b00 << n) | 0b11] == 0  # no heuristic has an opinion
    assert p.table[(0b01 << n) | 0b01] == 0b11  # only fresh-address has one, and says yes
    assert p.table[(0b11 << n) | 0b01] == 0b10  # both do, rbf says no
    assert p.table[(0b11 << n) | 0b11] == 0b11
    p = compile_program(parse("fresh-address-rbf"))
    assert p.table[(0b10 << n) | 0b10] == 0  # the left side has no opinion: none at all
    assert p.table[(0b11 << n) | 0b11] == 0b10


# --------------------------------------------------------------------------- constructed cases

def funding(values, ty=P2WPKH, first_addr=100, version=2, locktime=0, height=1):
    return TxSpec([], [(v, ty, first_addr + k) for k, v in enumerate(values)], height, version, locktime)


def test_fresh_address_and_self_change():
    # addresses 0 and 1 seen before; the tx pays 0 again (reused) and 7 (new)
    specs = [funding([COIN], first_addr=0), funding([COIN], first_addr=1),
             TxSpec([(0, 0)], [(40_000_000, P2WPKH, 1), (59_000_000, P2WPKH, 7)])]
    assert decide(specs, "fresh-address", 2) == 1
    # paying an input address back is self-change: fresh-address stays silent
    specs[2] = TxSpec([(0, 0)], [(40_000_000, P2WPKH, 0), (59_000_000, P2WPKH, 7)])
    assert decide(specs, "fresh-address", 2) == -1
    assert decide(specs, "address-reuse", 2) == 0


def test_optimal_change_and_address_type():
    specs = [funding([5 * COIN, 2 * COIN]),
             TxSpec([(0, 0), (0, 1)], [(150_000_000, P2PKH, 10), (549_000_000, P2WPKH, 11)])]
    assert decide(specs, "optimal-change", 1) == 0  # only 1.5 BTC is below the smallest input
    assert decide(specs, "address-type", 1) == 1  # the inputs are all P2WPKH
    assert decide(specs, "optimal-change,address-type", 1) == -1  # they disagree: no answer


def test_power_of_ten():
    specs = [funding([COIN]), TxSpec([(0, 0)], [(30_000_000, P2WPKH, 10), (69_987_654, P2WPKH, 11)])]
    assert decide(specs, "power-of-ten", 1) == 1
    assert decide(specs, "power-of-ten:8", 1) == -1  # no output is a multiple of 1 BTC: no opinion


def test_fingerprints_see_spends_only_before_the_horizon():
    specs = [funding([COIN]),
             TxSpec([(0, 0)], [(30_000_000, P2WPKH, 10), (69_000_000, P2WPKH, 11)], version=2, locktime=5),
             # the payee spends output 0 with version 1 and no locktime; output 1 stays unspent
             TxSpec([(1, 0)], [(29_000_000, P2PKH, 12)], version=1, locktime=0)]
    for spec in ("locktime", "version"):
        assert decide(specs, spec, 1) == 1
        assert decide(specs, spec, 1, limit=2) == -1  # the spend is past the horizon: no opinion
    specs[2].sequences = [0xFFFFFFFD]  # the spender signals RBF, tx 1 does not
    assert decide(specs, "rbf", 1) == 1


def test_peel_chain():
    specs = [funding([10 * COIN, COIN]),
             TxSpec([(0, 0)], [(COIN, P2WPKH, 10), (899_000_000, P2WPKH, 11)]),
             TxSpec([(1, 1)], [(COIN, P2WPKH, 12), (798_000_000, P2WPKH, 13)]),
             TxSpec([(1, 0), (0, 1)], [(199_000_000, P2WPKH, 15)]),
             TxSpec([(2, 1), (2, 0)], [(797_000_000, P2WPKH, 14)])]
    # the payment is spent by a 2-input tx, the rest by the next peel step
    assert decide(specs, "peel-chain", 1) == 1
    assert decide(specs, "peel-chain", 2) == -1  # both outputs go to one consolidation


def test_coinbase_and_coinjoin_are_not_eligible():
    a = ArrayChain([funding([COIN, 2 * COIN]),
                    TxSpec([(0, 0)], [(1, P2WPKH, 1), (2, P2WPKH, 2), (3, OP_RETURN, -1)])])
    assert list(eligible(a, np.zeros(2, np.uint8))) == [False, True]
    assert list(eligible(a, np.array([0, 4], np.uint8))) == [False, False]


# --------------------------------------------------------------------------- kernel == twin

LEAVES = [n for n in HEURISTIC_NAMES] + ["power-of-ten:2", "power-of-ten:6"]


@st.composite
def expressions(draw, depth=3):
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return draw(st.sampled_from(LEAVES))
    op = draw(st.sampled_from([",", "|", "-"]))
    return f"({draw(expressions(depth=depth - 1))}{op}{draw(expressions(depth=depth - 1))})"


VALUES = [10_000, 30_000, 100_000, 123_456, 1_000_000, 2_345_678, 50_000_000, COIN, 3 * COIN + 7]


@st.composite
def random_chains(draw):
    specs = []
    addr = 0
    coins = []
    for k in range(draw(st.integers(2, 12))):
        if not coins or draw(st.integers(0, 4)) == 0:
            ins = []
        else:
            ins = [coins.pop(draw(st.integers(0, len(coins) - 1)))
                   for _ in range(draw(st.integers(1, min(3, len(coins)))))]
            if draw(st.integers(0, 6)) == 0:
                ins.append((-1, 0))  # an input outside the store
        outs = []
        in_addrs = [specs[p].outputs[v][2] for p, v in ins if p >= 0]
        for _ in range(draw(st.integers(1, 4))):
            ty = draw(st.sampled_from([P2PKH, P2SH, P2WPKH, P2TR, P2WPKH, OP_RETURN]))
            choice = draw(st.integers(0, 5))
            if ty == OP_RETURN:
                a = -1
            elif choice == 0 and in_addrs:
                a = draw(st.sampled_from(in_addrs))
            elif choice == 1 and addr:
                a = draw(st.integers(0, addr - 1))
            else:
                a, addr = addr, addr + 1
            outs.append((draw(st.sampled_from(VALUES)), ty, a))
        seq = [draw(st.sampled_from([0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD])) for _ in range(max(len(ins), 1))]
        specs.append(TxSpec(ins, outs, k, draw(st.sampled_from([1, 2])), draw(st.sampled_from([0, 0, 7])), seq))
        coins += [(len(specs) - 1, j) for j, o in enumerate(outs) if o[1] != OP_RETURN]
    return ArrayChain(specs)


@settings(max_examples=120, deadline=None)
@given(random_chains(), expressions(), st.integers(0, 14))
def test_kernel_matches_twin(chain, text, limit):
    node = parse(text)
    n = chain.counts["txs"]
    lim = np.minimum(np.arange(n, dtype=np.int64) + 1 + limit, n)
    ctx = ChangeContext(chain, eligible(chain, np.zeros(n, np.uint8)), lim)
    got = detect_change(ctx, node, 0, n)
    for t in range(n):
        assert got.change[t] == REF.unique_change(node, chain, t, int(lim[t])), (t, text)
    # a sub-range gives the same decisions
    if n > 2:
        part = detect_change(ctx, node, 1, n - 1)
        assert list(part.change) == list(got.change[1:n - 1])
