"""Profiles: named sets of tunables that shape the simulated economy.

A profile is a frozen dataclass. ``simulate(..., profile="default", **overrides)``
takes a profile by name and replaces any of its fields by keyword, so every
behaviour below can be tuned without writing a new profile. docs/simulator.md
explains each field.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from chaintrail.errors import ChaintrailError


class SimulationError(ChaintrailError):
    """Bad simulator parameters or an output directory that cannot be written."""


@dataclass(frozen=True)
class Profile:
    """Tunables of the simulated economy (defaults: the ``default`` profile)."""

    name: str = "default"

    # --- chain shape -------------------------------------------------------
    #: transactions per block aimed at (coinbase included); blocks also stop at the weight limit
    txs_per_block: int = 2500
    #: block weight limit used by the simulator (consensus maximum is 4,000,000)
    max_block_weight: int = 3_990_000
    #: blocks that carry only coinbases while the first coinbases mature (100 on every network)
    bootstrap_blocks: int = 100
    #: seconds between blocks (mean; each gap is drawn around it)
    block_interval: int = 600
    #: header time of block 1 (2014-01-01 UTC)
    start_time: int = 1_388_534_400
    #: economic calendar the chain spans, as fractional years: drives script-type adoption
    calendar_start: float = 2013.0
    calendar_end: float = 2025.0
    #: outputs paid by each bootstrap coinbase to the miners of a P2Pool-like pool
    bootstrap_payouts: int = 400

    # --- population ---------------------------------------------------------
    #: users = max(min_users, n_txs / txs_per_user)
    txs_per_user: float = 12.0
    min_users: int = 1500
    #: share of users by wallet software (core, electrum, mobile, wasabi1, wasabi2, samourai, joinmarket)
    software_mix: tuple = (0.30, 0.20, 0.40, 0.02, 0.03, 0.03, 0.02)
    #: mean address-reuse probability per software (receiving on an already used address)
    reuse_by_software: tuple = (0.06, 0.12, 0.45, 0.0, 0.0, 0.0, 0.02)
    #: probability that a wallet sends its change back to an input address, per software
    change_reuse_by_software: tuple = (0.0, 0.02, 0.30, 0.0, 0.0, 0.0, 0.0)
    #: share of users who are customers of at least one exchange / of two
    customer_share: float = 0.7
    second_exchange_share: float = 0.25
    n_exchanges: int = 6
    n_merchants: int = 60
    #: share of merchants paid through the payment processor (others receive directly)
    processor_merchant_share: float = 0.5
    #: share of merchants whose wallets accept PayJoin (BIP78)
    payjoin_merchant_share: float = 0.3
    n_pools: int = 6
    #: P2Pool-like pool's share of blocks after bootstrap (it pays miners in the coinbase)
    p2pool_share: float = 0.03
    #: customer accounts the illicit actor keeps at exchanges (straw men)
    n_mule_accounts: int = 8
    #: published (listed) addresses of the sanctioned entity
    sanctioned_listed: int = 25

    # --- behaviour: intent mix (relative weights per block) -----------------
    w_payment: float = 40.0
    w_merchant: float = 9.0
    w_deposit: float = 13.0
    w_withdrawal: float = 3.5
    w_sweep: float = 2.2
    w_cold: float = 0.25
    w_consolidation: float = 1.5
    w_donation: float = 0.5
    w_donation_cj: float = 0.25
    w_pool_payout: float = 0.4
    w_settlement: float = 0.5
    w_data: float = 0.8
    w_payjoin: float = 0.5
    w_ransom: float = 0.25
    w_peel: float = 1.0
    w_market: float = 1.0
    w_whirlpool: float = 1.2
    w_tx0: float = 0.3
    w_joinmarket: float = 0.25
    #: Wasabi rounds per block (expected); each round is one large transaction
    wasabi1_rounds: float = 0.15
    wasabi2_rounds: float = 0.25

    # --- behaviour: amounts and fees ----------------------------------------
    #: median payment in satoshis (log-normal), and its log-sd
    payment_median: int = 400_000
    payment_sigma: float = 1.3
    #: share of payments with a round amount (multiple of 10^4..10^6 sat)
    round_share: float = 0.3
    #: median fee rate (sat/vB) around which the block-level rate wanders
    fee_median: float = 12.0
    fee_volatility: float = 0.25
    #: exchange withdrawal batch size (mean recipients) and the chance a withdrawal goes to the donation org
    batch_mean: float = 12.0
    withdrawal_donation_share: float = 0.01
    #: donations: median amount
    donation_median: int = 300_000
    #: hot wallet upper bound as a multiple of the exchange's mean batch value, before moving to cold
    hot_cap_btc: float = 60.0
    #: share of data-carrier transactions' OP_RETURN sizes above 40 bytes
    op_return_long_share: float = 0.3
    #: share of outputs sent to bare multisig by wallets of the early era
    bare_multisig_share: float = 0.004

    # --- script-type adoption -----------------------------------------------
    #: calendar year when P2SH-P2WPKH, P2WPKH and P2TR adoption is half way
    segwit_nested_mid: float = 2017.9
    segwit_native_mid: float = 2019.6
    taproot_mid: float = 2023.6
    #: probability that a wallet switches its receive type to the era's choice at a new address
    upgrade_rate: float = 0.03

    # --- jurisdiction scenario: one country's customers deposit more after a date ----
    #: ISO code of the jurisdiction ("" = off), the header time (unix) from which its customers'
    #: extra deposits start, and how many extra deposits per deposit that its customers would
    #: make anyway (3.0: their deposits become about four times as frequent)
    surge_country: str = ""
    surge_after: int = 0
    surge_factor: float = 0.0

    # --- realism targets printed by --stats ----------------------------------
    target_reuse: float = 0.35
    target_coinjoin: float = 0.01
    target_one_input: float = 0.60
    target_two_outputs: float = 0.60
    target_fee_median: float = 12.0

    def with_overrides(self, **overrides) -> "Profile":
        known = {f.name for f in fields(self)}
        bad = sorted(set(overrides) - known)
        if bad:
            raise SimulationError(f"unknown simulator parameter(s): {', '.join(bad)}")
        return replace(self, **overrides)


PROFILES: dict[str, Profile] = {
    "default": Profile(),
    # a donation-tracing scenario: more donations, more of them after CoinJoins
    "donations": Profile(
        name="donations", w_donation=3.0, w_donation_cj=1.5, withdrawal_donation_share=0.05,
        w_whirlpool=1.5, w_tx0=0.5, wasabi2_rounds=0.4,
    ),
    # privacy-heavy: many CoinJoins and PayJoins
    "privacy": Profile(
        name="privacy", software_mix=(0.25, 0.15, 0.30, 0.06, 0.10, 0.09, 0.05),
        w_whirlpool=3.0, w_tx0=1.0, w_joinmarket=1.0, w_payjoin=2.0,
        wasabi1_rounds=0.4, wasabi2_rounds=0.8, target_coinjoin=0.05,
    ),
    # a sanctioned jurisdiction's activity rising after a date: blocks every 3 days from
    # 2020-06-01 (the 100 bootstrap blocks end in March 2021), Russian customers' deposits
    # four times as frequent from 2022-02-24 on (docs/monitor.md)
    "jurisdiction": Profile(
        name="jurisdiction", txs_per_block=120, min_users=800, block_interval=3 * 86400,
        start_time=1_590_969_600, calendar_start=2020.4, calendar_end=2022.7,
        surge_country="RU", surge_after=1_645_660_800, surge_factor=3.0,
    ),
    # small blocks and rare behaviours boosted, for tests and the quick demo
    "test": Profile(
        name="test", txs_per_block=400, bootstrap_payouts=150, min_users=600,
        w_donation=2.0, w_donation_cj=1.5, w_ransom=1.5, w_peel=3.0, w_payjoin=2.0,
        w_joinmarket=2.0, w_whirlpool=3.0, w_tx0=1.5, w_cold=1.0, w_settlement=1.5,
        w_pool_payout=1.5, w_data=2.0, wasabi1_rounds=1.0, wasabi2_rounds=0.8,
        software_mix=(0.25, 0.15, 0.30, 0.07, 0.08, 0.08, 0.07),
        bare_multisig_share=0.02, hot_cap_btc=3.0,
    ),
}


def get_profile(name: str | Profile, **overrides) -> Profile:
    if isinstance(name, Profile):
        return name.with_overrides(**overrides) if overrides else name
    try:
        prof = PROFILES[name]
    except KeyError:
        raise SimulationError(
            f"unknown simulator profile {name!r}: expected one of {', '.join(PROFILES)}"
        ) from None
    return prof.with_overrides(**overrides) if overrides else prof


__all__ = ["Profile", "PROFILES", "get_profile", "SimulationError", "field"]
