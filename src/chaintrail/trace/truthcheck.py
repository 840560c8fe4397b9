"""Tracing checked against the simulator's ground truth: tags written from
the truth (the attribution an investigator would have), and the donation
organisation's true donor sources compared with what ``exposure`` and
``privacy-audit`` report, per policy.

The truth (``truth/donations.parquet``) says, for every donation, whether
it was paid straight from an exchange withdrawal, from the donor's own
wallet, or from a CoinJoin output, and who the donor is; the customers
table says which donors hold an exchange account.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from chaintrail.chain import Chain
from chaintrail.trace.policies import POLICY_NAMES

#: work budget of the check's exposure traces (one trace from every donation at once)
CHECK_BUDGET = 50_000_000
#: truth entity kind -> (tag category, abuse)
KIND_TAGS = {
    "exchange": ("exchange", None),
    "sanctioned_exchange": ("exchange", "sanction"),
    "merchant": ("shop", None),
    "payment_processor": ("payment_processor", None),
    "mining_pool": ("miner", None),
    "coinjoin_coordinator": ("coinjoin", None),
    "ransomware": (None, "ransomware"),
    "donation_org": ("donation", None),
}


def write_truth_tags(truth_dir: str | Path, path: str | Path,
                     kinds: tuple[str, ...] = ("exchange", "sanctioned_exchange"),
                     per_entity: int | None = None, roles: tuple[str, ...] | None = None) -> int:
    """Write a CSV of tags for the addresses of the given entity kinds (all of them, or the
    first `per_entity` each, optionally only of wallets with `roles`); returns the row count."""
    d = Path(truth_dir)
    ents = pq.read_table(d / "entities.parquet").to_pydict()
    kind_of = dict(zip(ents["entity_id"], ents["kind"]))
    name_of = dict(zip(ents["entity_id"], ents["name"]))
    wallets = pq.read_table(d / "wallets.parquet", columns=["wallet_id", "role"]).to_pydict()
    role_of = dict(zip(wallets["wallet_id"], wallets["role"]))
    addrs = pq.read_table(d / "addresses.parquet",
                          columns=["address", "entity_id", "wallet_id", "first_height"])
    taken: dict[int, int] = {}
    n = 0
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["address", "label", "category", "abuse", "actor", "source", "confidence"])
        for a, e, wal, _h in zip(*(addrs[c].to_pylist() for c in addrs.column_names)):
            kind = kind_of.get(e)
            if a is None or kind not in kinds:
                continue
            if roles is not None and role_of.get(wal) not in roles:
                continue
            if per_entity is not None:
                if taken.get(e, 0) >= per_entity:
                    continue
                taken[e] = taken.get(e, 0) + 1
            cat, abuse = KIND_TAGS.get(kind, (None, None))
            w.writerow([a, name_of[e], cat or "", abuse or "", name_of[e], "simulator truth",
                        "ownership"])
            n += 1
    return n


def true_donation_sources(truth_dir: str | Path) -> dict:
    """The donation address and the true shares of its donations by source: by value, and by
    count of donation transactions (one withdrawal batch may pay several donations)."""
    d = Path(truth_dir)
    don = pq.read_table(d / "donations.parquet").to_pydict()
    customers = set(pq.read_table(d / "customers.parquet", columns=["entity_id"])["entity_id"].to_pylist())
    value = np.array(don["value"], np.int64)
    total = int(value.sum())
    src = np.array(don["source"], dtype=object)
    tx_source: dict[str, str] = {}
    for t, s in zip(don["txid"], don["source"]):
        tx_source.setdefault(t, s)
    n_tx = len(tx_source)
    out = {"donation_address": don["donation_address"][0] if don["txid"] else None,
           "donations": len(value), "transactions": n_tx, "value": total, "by_source": {}}
    for s in ("exchange_withdrawal", "own_wallet", "coinjoin"):
        m = src == s
        n = sum(1 for v in tx_source.values() if v == s)
        out["by_source"][s] = {"count": n, "count_share": n / n_tx if n_tx else 0.0,
                               "value": int(value[m].sum()),
                               "value_share": float(value[m].sum() / total) if total else 0.0}
    cust = np.array([e in customers for e in don["donor_entity_id"]], bool)
    out["donor_is_customer"] = {"value_share": float(value[cust].sum() / total) if total else 0.0}
    out["txids"] = sorted(tx_source)
    return out


def donation_check(chain: Chain, truth_dir: str | Path, hops: int = 3,
                   policies: tuple[str, ...] = POLICY_NAMES, threshold: float = 0.5) -> dict:
    """Compare, per policy, the true donor sources with privacy-audit and exposure figures.

    Errors are estimate minus truth, in shares (0.01 = one percentage point)."""
    from chaintrail.trace.audit import privacy_audit
    from chaintrail.trace.exposure import exposure

    truth = true_donation_sources(truth_dir)
    addr = truth["donation_address"]
    audit = privacy_audit(chain, [addr], hops=hops, policies=policies, threshold=threshold)
    t_ex = truth["by_source"]["exchange_withdrawal"]
    t_cj = truth["by_source"]["coinjoin"]
    rows = {}
    for p in policies:
        inc = audit.policies[p]["incoming"]
        exp = exposure(chain, addr, "incoming", max_hops=hops, policy=p, budget=CHECK_BUDGET)
        side = exp.incoming
        ex_direct = sum(f.amount for f in side.direct if f.category == "exchange")
        ex_any = ex_direct + sum(f.amount for f in side.indirect if f.category == "exchange")
        base = side.external or 1
        est = {
            "audit_direct_value_share": inc.share("custodial_direct"),
            "audit_direct_count_share": inc.share("custodial_direct", "count"),
            "audit_within_k_value_share": inc.share("custodial_within_k"),
            "audit_within_k_count_share": inc.share("custodial_within_k", "count"),
            "audit_coinjoin_value_share": inc.share("coinjoin"),
            "audit_coinjoin_count_share": inc.share("coinjoin", "count"),
            "exposure_direct_exchange_share": ex_direct / base,
            "exposure_within_k_exchange_share": ex_any / base,
            "exposure_budget_exhausted": side.budget_exhausted,
        }
        err = {
            "direct_value": est["audit_direct_value_share"] - t_ex["value_share"],
            "direct_count": est["audit_direct_count_share"] - t_ex["count_share"],
            "exposure_direct": est["exposure_direct_exchange_share"] - t_ex["value_share"],
            "coinjoin_value": est["audit_coinjoin_value_share"] - t_cj["value_share"],
            "coinjoin_count": est["audit_coinjoin_count_share"] - t_cj["count_share"],
            "within_k_vs_customers": est["audit_within_k_value_share"]
            - truth["donor_is_customer"]["value_share"],
        }
        rows[p] = {"estimate": est, "error": err}
    matched = _payments_matched(chain, audit, truth)
    return {"truth": {k: v for k, v in truth.items() if k != "txids"}, "hops": hops,
            "threshold": threshold, "payments_found": audit.policies[policies[0]]["incoming"].payments,
            "payments_matched": matched, "policies": rows}


def _payments_matched(chain: Chain, audit, truth: dict) -> dict:
    """How the audit's incoming payments line up with the truth's donation transactions."""
    rows = audit.policies[audit.primary]["incoming"].rows
    found = {r["txid"] for r in rows}
    true = set(truth["txids"])
    return {"true_txs": len(true), "found_txs": len(found), "both": len(found & true),
            "only_found": len(found - true), "only_true": len(true - found)}
