"""The rules applied to a set of customer transfers: array masks over the
transfers (exposure shares, CoinJoin parents, customers' jurisdictions,
window sums and counts from the address -> outputs lookup), and for each
transfer a rule selects, an alert finding with its evidence."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from chaintrail.chain import Chain
from chaintrail.desk.jurisdictions import sanctioned_regime
from chaintrail.monitor.exposure import Exposures, Hit, evidence_batch
from chaintrail.monitor.jsontext import RawJSON, canonical_json
from chaintrail.monitor.rules import COIN, DIRECTIONS, Rule, RuleSet
from chaintrail.monitor.transfers import DEPOSIT, CustomerBook, Transfers, history
from chaintrail.monitor.watch import CAT_CODES, Watch, listing_details

COINJOIN_NAMES = {1: "wasabi1", 2: "wasabi2", 3: "whirlpool", 4: "joinmarket"}


@dataclass
class Finding:
    """One alert a rule raises on one transfer."""

    rule: Rule
    row: int  # transfer row
    category: str | None
    score: float
    summary: str
    evidence: dict = field(default_factory=dict)
    listed_since: dt.date | None = None


def _btc(sat: int | float) -> str:
    return f"{sat / COIN:.8f} BTC"


def direction_mask(tr: Transfers, rule: Rule) -> np.ndarray:
    dirs = [DIRECTIONS.index(d) for d in rule.params.get("directions", ["deposit"])]
    return np.isin(tr.direction, dirs)


def exposure_findings(chain: Chain, watch: Watch, rules: list[Rule], tr: Transfers,
                      ex: Exposures, only_addresses: np.ndarray | None = None,
                      threads: int = 1,
                      evidence: dict[tuple[int, int], list[Hit]] | None = None) -> list[Finding]:
    """Transfers whose direct or indirect exposure to a rule's category passes its thresholds,
    their evidence built in one batch (``exposure.evidence_batch``) unless given (per (row,
    category), as ``exposure.trace_with_evidence`` returns it). With `only_addresses` (a
    re-screening), only exposure met at those addresses counts."""
    selected: list[tuple] = []
    for rule in rules:
        cat = CAT_CODES[rule["category"]]
        hops = min(int(rule["max_hops"]), ex.max_hops)
        d_amt, i_amt = ex.direct(cat), ex.indirect(cat, hops)
        base = np.maximum(ex.base, 1)
        d_share, i_share = d_amt / base, i_amt / base
        sel = direction_mask(tr, rule) & (tr.value >= rule["min_amount_btc"] * COIN)
        sel &= ((d_amt > 0) & (d_share >= rule["direct_min_share"])) | \
               ((i_amt > 0) & (i_share >= rule["indirect_min_share"]))
        ks = np.nonzero(sel)[0]
        for k, ds, is_, da, ia in zip(ks.tolist(), d_share[ks].tolist(), i_share[ks].tolist(),
                                      d_amt[ks].tolist(), i_amt[ks].tolist()):
            selected.append((rule, k, cat, float(ds), float(is_), int(da), int(ia), hops))
    only = None if only_addresses is None else np.fromiter(only_addresses, np.int64) \
        if isinstance(only_addresses, (set, frozenset)) else np.asarray(only_addresses, np.int64)
    if evidence is None:  # built here, in one batch (else from the screening's own traces)
        pairs = sorted({(s[1], s[2]) for s in selected})
        evidence = dict(zip(pairs, evidence_batch(chain, watch, tr, ex, pairs, limit=20, keep=5,
                                                  only_addresses=only, threads=threads)))
    pending: list[tuple] = []
    for rule, k, cat, d_sh, i_sh, d_sat, i_sat, hops in selected:
        ev = evidence.get((k, cat), ())
        if only is not None and not ev:
            continue
        pending.append((rule, k, ev, d_sh, i_sh, d_sat, i_sat, hops))
    # the list entries and tags of every address met, in one query: each address's encoded
    # once (the hits' JSON takes them as text) with its earliest listing date
    details = listing_details(chain, sorted({h.address_id for p in pending for h in p[2]}))
    listings = {aid: canonical_json(rows) for aid, rows in details.items()}
    first = {aid: min((dt.date.fromisoformat(x["listed_since"]) for x in rows
                       if x.get("listed_since")), default=None) for aid, rows in details.items()}
    direction, value = tr.direction.tolist(), tr.value.tolist()
    base, exhausted = ex.base.tolist(), ex.exhausted.tolist()
    out: list[Finding] = []
    for rule, k, ev, d_sh, i_sh, d_sat, i_sat, hops in pending:
        dates = [d for h in ev if (d := first.get(h.address_id)) is not None]
        depth = "directly" if d_sat > 0 else "indirectly"
        label, hop = (ev[0].label, ev[0].hop) if ev else ("?", "?")
        summary = (f"{DIRECTIONS[direction[k]]} of {_btc(value[k])}: {d_sh:.1%} direct and "
                   f"{i_sh:.1%} indirect exposure to {rule['category']} ({depth}, first: "
                   f"{label} at hop {hop})")
        hits = RawJSON("[" + ",".join([h.head + listings.get(h.address_id, "[]") + h.tail
                                       for h in ev]) + "]")
        out.append(Finding(rule, k, rule["category"], d_sh + i_sh, summary,
                           {"direct_share": round(d_sh, 6), "indirect_share": round(i_sh, 6),
                            "direct_sat": d_sat, "indirect_sat": i_sat,
                            "base_sat": int(base[k]), "max_hops": hops,
                            "budget_exhausted": bool(exhausted[k]), "hits": hits},
                           min(dates) if dates else None))
    return out


def coinjoin_findings(chain: Chain, rules: list[Rule], tr: Transfers, cj: np.ndarray) -> list[Finding]:
    """Transfers made by a CoinJoin or spending outputs of one (cj: protocol code per tx id)."""
    if not rules or len(tr) == 0 or cj.size == 0:
        return []
    a = chain._arrays
    tx = tr.tx
    first, n = np.asarray(a.tx_first_in)[tx], np.asarray(a.tx_n_in)[tx]
    owner = np.repeat(np.arange(tx.size), n)
    idx = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n) + np.repeat(first, n)
    spent = np.asarray(a.in_spent)[idx]
    ok = spent >= 0
    parent = np.full(spent.shape, -1, np.int64)
    parent[ok] = np.asarray(a.out_tx)[spent[ok]]
    pcode = np.zeros(parent.shape, np.int64)
    inside = ok & (parent < cj.size)
    pcode[inside] = cj[parent[inside]]
    own = np.where(tx < cj.size, cj[np.minimum(tx, cj.size - 1)], 0).astype(np.int64)
    par_any = np.zeros(tx.size, bool)
    np.logical_or.at(par_any, owner[pcode > 0], True)
    out = []
    from chaintrail.trace import labels

    for rule in rules:
        sel = direction_mask(tr, rule) & ((own > 0) | par_any)
        for k in np.nonzero(sel)[0].tolist():
            rows = np.nonzero((owner == k) & (pcode > 0))[0]
            parents = sorted({int(parent[r]) for r in rows})[:10]
            cj_txs = ([{"txid": labels.txids(a, [int(tx[k])])[0],
                        "protocol": COINJOIN_NAMES.get(int(own[k]), str(int(own[k]))), "role": "itself"}]
                      if own[k] > 0 else []) + \
                     [{"txid": labels.txids(a, [p])[0],
                       "protocol": COINJOIN_NAMES.get(int(cj[p]), str(int(cj[p]))), "role": "parent"}
                      for p in parents]
            what = "is a CoinJoin" if own[k] > 0 else f"spends outputs of {len(parents)} CoinJoin(s)"
            out.append(Finding(rule, k, "coinjoin", 1.0,
                               f"{DIRECTIONS[tr.direction[k]]} of {_btc(tr.value[k])} {what} "
                               f"({cj_txs[0]['protocol']})", {"coinjoins": cj_txs}))
    return out


def _windows(keys_sorted: np.ndarray, csum: np.ndarray, lo_keys: np.ndarray,
             hi_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(count, sum) of sorted entries with lo_key <= key <= hi_key, per query."""
    lo = np.searchsorted(keys_sorted, lo_keys, "left")
    hi = np.searchsorted(keys_sorted, hi_keys, "right")
    c = np.concatenate([[0], csum])
    return hi - lo, c[hi] - c[lo]


def _customer_deposits(chain: Chain, book: CustomerBook, customers: np.ndarray, until_tx: int,
                       value_lo: int = 0, value_hi: int | None = None):
    """Sorted (customer << 33 | time) keys and values of these customers' deposits."""
    cust, _tx, val, tm = history(chain._arrays, book, customers, until_tx)
    keep = val >= value_lo
    if value_hi is not None:
        keep &= val < value_hi
    cust, val, tm = cust[keep], val[keep], tm[keep]
    key = (cust << 33) | tm
    order = np.argsort(key, kind="stable")
    return key[order], np.cumsum(val[order]), val[order]


def jurisdiction_findings(chain: Chain, rules: list[Rule], book: CustomerBook, tr: Transfers,
                          times: np.ndarray, until_tx: int) -> list[Finding]:
    """Deposits of customers of a sanctioned jurisdiction above the single or window limit."""
    out = []
    for rule in rules:
        scope = book.in_jurisdiction(rule["countries"], rule["fields"], rule["exempt_permits"])
        pos = np.minimum(book.position(tr.customer), max(len(book) - 1, 0))
        in_scope = (tr.direction == DEPOSIT) & (scope[pos] if len(book) else False)
        rows = np.nonzero(in_scope)[0]
        if rows.size == 0:
            continue
        keys, csum, _ = _customer_deposits(chain, book, tr.customer[rows], until_tx)
        w = int(rule["window_days"]) * 86400
        ck = tr.customer[rows] << 33
        _n, total = _windows(keys, csum, ck | np.maximum(times[rows] - w, 0), ck | times[rows])
        single = tr.value[rows] >= rule["single_limit_btc"] * COIN
        limit = rule["window_limit_btc"] * COIN
        crossed = (total >= limit) & (total - tr.value[rows] < limit)
        for j in np.nonzero(single | crossed)[0].tolist():
            k = int(rows[j])
            p = int(pos[k])
            countries = sorted(set(book.nationality[p]) | {book.residence[p]} & set(rule["countries"]))
            countries = [c for c in countries if c in rule["countries"]]
            on = dt.datetime.fromtimestamp(int(times[k]), dt.timezone.utc).date()
            regimes = [{"country": c, "regime": r.regime, "source": r.source,
                        "in_force_since": r.effective_from.isoformat()}
                       for c in countries if (r := sanctioned_regime(c, on)) is not None]
            why = (f"a single deposit of {_btc(tr.value[k])} (limit {rule['single_limit_btc']} BTC)"
                   if single[j] else
                   f"{_btc(total[j])} deposited within {rule['window_days']} days "
                   f"(limit {rule['window_limit_btc']} BTC)")
            out.append(Finding(rule, k, "jurisdiction", float(total[j] / max(limit, 1)),
                               f"customer of {', '.join(countries)}: {why}",
                               {"countries": countries, "nationality": list(book.nationality[p]),
                                "residence": book.residence[p], "window_days": rule["window_days"],
                                "window_total_sat": int(total[j]), "single": bool(single[j]),
                                "regimes": regimes}))
    return out


def structuring_findings(chain: Chain, rules: list[Rule], book: CustomerBook, tr: Transfers,
                         times: np.ndarray, until_tx: int) -> list[Finding]:
    """Deposits just under a threshold that make a customer's count in the window reach the
    rule's minimum (or pass it)."""
    out = []
    for rule in rules:
        hi = int(rule["threshold_btc"] * COIN)
        lo = int(hi * (1 - rule["band"]))
        rows = np.nonzero((tr.direction == DEPOSIT) & (tr.value >= lo) & (tr.value < hi))[0]
        if rows.size == 0:
            continue
        keys, csum, _ = _customer_deposits(chain, book, tr.customer[rows], until_tx, lo, hi)
        w = int(rule["window_days"]) * 86400
        ck = tr.customer[rows] << 33
        count, total = _windows(keys, csum, ck | np.maximum(times[rows] - w, 0), ck | times[rows])
        for j in np.nonzero(count >= rule["min_count"])[0].tolist():
            k = int(rows[j])
            out.append(Finding(rule, k, "structuring", float(count[j] / rule["min_count"]),
                               f"{int(count[j])} deposits between {_btc(lo)} and {_btc(hi)} within "
                               f"{rule['window_days']} days ({_btc(total[j])} in all)",
                               {"count": int(count[j]), "band_sat": [lo, hi],
                                "window_days": rule["window_days"], "total_sat": int(total[j])}))
    return out


def evaluate(chain: Chain, watch: Watch, ruleset: RuleSet, book: CustomerBook, tr: Transfers,
             ex: Exposures, cj: np.ndarray, until_tx: int) -> list[Finding]:
    """Every rule of the set over the transfers."""
    times = np.asarray(chain._arrays.tx_time)[tr.tx].astype(np.int64) if len(tr) else \
        np.zeros(0, np.int64)
    found = exposure_findings(chain, watch, ruleset.of_kind("exposure"), tr, ex)
    found += coinjoin_findings(chain, ruleset.of_kind("coinjoin"), tr, cj)
    found += jurisdiction_findings(chain, ruleset.of_kind("jurisdiction"), book, tr, times, until_tx)
    found += structuring_findings(chain, ruleset.of_kind("structuring"), book, tr, times, until_tx)
    return found
