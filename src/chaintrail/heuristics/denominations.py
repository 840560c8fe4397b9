"""Constants of the CoinJoin protocols' output values (methods.md section 2):
Wasabi 2's standard denominations and Whirlpool's pool sizes, in satoshis."""

from __future__ import annotations

import numpy as np

COIN = 100_000_000

#: Wasabi 2 standard denominations lie within these bounds (inclusive)
WASABI2_MIN = 5_000
WASABI2_MAX = 134_375_000_000  # 1,343.75 BTC

#: Whirlpool pool sizes: Samourai's 0.001, 0.01, 0.05, 0.5 BTC, Ashigaru's 0.025 and 0.25 BTC
WHIRLPOOL_POOLS = np.array([100_000, 1_000_000, 2_500_000, 5_000_000, 25_000_000, 50_000_000], np.int64)
#: the most a Whirlpool input may differ from the pool size (premix fee allowance)
WHIRLPOOL_TOLERANCE = 110_000  # 0.0011 BTC

#: Wasabi 1 (ZeroLink): the equal outputs lie within 0.1 +- 0.02 BTC
WASABI1_BASE = 10_000_000
WASABI1_PRECISION = 2_000_000
WASABI1_MIN_EQUAL = 10
#: the two ZeroLink coordinator addresses paid by every round before height 610,000
WASABI1_COORDINATORS = (
    "bc1qs604c7jv6amk4cxqlnvuxv26hv3e48cds4m0ew",
    "bc1qa24tsgchvuxsaccp8vrnkfd85hrcpafg20kmjw",
)

#: JoinMarket: at least this many equal outputs (a taker and two makers); with two, the shape
#: is that of an ordinary payment of two equal amounts with change
JOINMARKET_MIN_EQUAL = 3
#: JoinMarket: largest input <= denomination + largest other output - this margin
JOINMARKET_MARGIN = 10_000  # 0.0001 BTC

#: the generic rule asks for at least this many equal outputs (BlockSci's rule fires on
#: ordinary 3-output payments that pay two equal amounts)
GENERIC_MIN_EQUAL = 3

#: the generic rule takes the other outputs for changes: none may be a multiple of this
GENERIC_ROUND = 10_000

#: values the generic (BlockSci-style) rule ignores as the repeated value: dust outputs
GENERIC_DUST = np.array([546, 2_730], np.int64)


def standard_denominations() -> np.ndarray:
    """Wasabi 2's standard denominations, ascending: 2^n, 3^n, 2*3^n and 1, 2, 5 * 10^n
    satoshis between 5,000 sat and 1,343.75 BTC."""
    vals: set[int] = set()
    for base, mults in ((2, (1,)), (3, (1, 2)), (10, (1, 2, 5))):
        p = 1
        while p <= WASABI2_MAX:
            for m in mults:
                v = m * p
                if WASABI2_MIN <= v <= WASABI2_MAX:
                    vals.add(v)
            p *= base
    return np.array(sorted(vals), np.int64)


STANDARD_DENOMINATIONS = standard_denominations()

#: mainnet heights from which each protocol existed (gates apply on mainnet only)
MAINNET_GATES = {"wasabi1": 530_500, "wasabi1_no_coordinator": 610_000, "whirlpool": 570_000,
                 "wasabi2": 741_213}
