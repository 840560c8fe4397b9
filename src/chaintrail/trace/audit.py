"""Privacy audit of an organisation that receives payments (a donation
address, a shop): how many of its payers, and how much of their value,
an outsider can identify, and how.

For every incoming payment, a backward trace of k hops that stops at the
first attributed entity measures the value that came from custodial
services (exchanges, wallet services, ATMs), directly (the payment was a
withdrawal) or through unattributed addresses within k hops: those
services can name the payer from their customer records and a short
trace. The payment's direct inputs also say how much came from CoinJoin
outputs and from reused addresses (which link a payer's payments
together). Outgoing payments are read the same way, forward: which
recipients were custodial deposit addresses, or moved the coins into one
within k hops, which spent them in a CoinJoin, which reused addresses.

A payment counts as "from" a source when at least ``threshold`` of its
value (by the policy's apportionment) came from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chaintrail.chain import Chain
from chaintrail.trace import flow_codes as FK
from chaintrail.trace import labels
from chaintrail.trace.engine import chain_arrays
from chaintrail.trace.entities import CUSTODIAL, EntityResolver
from chaintrail.trace.payments import Payments, find_payments
from chaintrail.trace.policies import BACKWARD, FORWARD, POLICY_NAMES, TraceError, policy_code
from chaintrail.trace.records import Raw
from chaintrail.trace.rooms import coinjoin_codes
from chaintrail.trace.start import Start, start_of_addresses

#: work budget of each payment's trace
PAYMENT_BUDGET = 200_000
SOURCES = ("custodial_direct", "custodial_within_k", "other_service", "coinjoin", "reused")


@dataclass
class SideAudit:
    """The audit of one direction (incoming or outgoing) under one policy."""

    direction: str
    payments: int
    value: int
    counts: dict[str, int]  # payments with >= threshold of their value from each source
    values: dict[str, int]  # value from each source
    by_service: list[dict]  # custodial services: payments, value (direct / within k)
    rows: list[dict] = field(default_factory=list)  # per payment

    def share(self, source: str, by: str = "value") -> float:
        if by == "value":
            return self.values[source] / self.value if self.value else 0.0
        return self.counts[source] / self.payments if self.payments else 0.0

    def to_dict(self, with_rows: bool = True) -> dict:
        d = {"direction": self.direction, "payments": self.payments, "value": self.value,
             "counts": self.counts, "values": self.values,
             "shares": {s: {"payments": self.share(s, "count"), "value": self.share(s)}
                        for s in SOURCES},
             "by_service": self.by_service}
        if with_rows:
            d["rows"] = self.rows
        return d


@dataclass
class AuditReport:
    """The privacy audit of a set of addresses under one or more policies."""

    addresses: list[str]
    hops: int
    threshold: float
    custodial: tuple[str, ...]
    policies: dict[str, dict[str, SideAudit]]  # policy -> {"incoming", "outgoing"}
    own_reuse: dict
    attributed_entities: int
    findings: list[str]

    @property
    def primary(self) -> str:
        return next(iter(self.policies))

    def to_dict(self, with_rows: bool = True) -> dict:
        return {"addresses": self.addresses, "hops": self.hops, "threshold": self.threshold,
                "custodial_categories": list(self.custodial), "own_reuse": self.own_reuse,
                "attributed_entities": self.attributed_entities, "findings": self.findings,
                "policies": {p: {d: s.to_dict(with_rows) for d, s in sides.items()}
                             for p, sides in self.policies.items()}}

    def to_html(self, path=None) -> str:
        """The self-contained HTML report (charts inline); written to path when given."""
        from chaintrail.trace.audit_html import render

        html = render(self)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(html)
        return html


class _Ctx:
    """What every payment's analysis shares: arrays, lookups, masks."""

    def __init__(self, chain: Chain, resolver: EntityResolver, custodial: frozenset):
        self.chain = chain
        self.a = chain._arrays
        self.arrays = chain_arrays(chain)
        self.resolver = resolver
        self.kargs = resolver.kernel_args()
        n = max(len(resolver), 1)
        self.stop_all = np.ones(n, np.bool_)
        self.is_custodial = np.array([e.category in custodial for e in resolver.entities] or [False],
                                     np.bool_)
        self.cj = coinjoin_codes(chain)
        start = np.asarray(self.a.ao_start)
        self.addr_outputs = start

    def reused(self, address_ids: np.ndarray) -> np.ndarray:
        """Whether each address received more than one output."""
        a = np.asarray(address_ids, np.int64)
        ok = a >= 0
        out = np.zeros(a.shape, bool)
        s = self.addr_outputs
        out[ok] = (s[a[ok] + 1] - s[a[ok]]) > 1
        return out

    def run(self, direction: int, policy: int, starts: np.ndarray, hops: int, budget: int):
        from chaintrail.trace.flow_kernels import propagate

        return propagate(direction, policy, np.ascontiguousarray(starts, np.int64), hops, 0,
                         budget, *self.arrays, *self.kargs, self.stop_all)


def _stops(ctx: _Ctx, raw: Raw, hops: int) -> tuple[dict[int, int], dict[int, int], int]:
    """(custodial code -> amount that travelled 1 hop, custodial code -> amount at any hop,
    other services' amount) of a trace's stops."""
    direct: dict[int, int] = {}
    anyhop: dict[int, int] = {}
    other = 0
    # the pieces on stopped slots (the F_STOP rows of terminal_records, read directly: this
    # runs once per payment)
    for s in np.nonzero((raw.fate == FK.F_STOP) & (raw.entity >= 0))[0].tolist():
        e = int(raw.entity[s])
        f, n = int(raw.piece_first[s]), int(raw.piece_count[s])
        for x, h in zip(raw.piece_len[f:f + n].tolist(), raw.piece_hop[f:f + n].tolist()):
            if ctx.is_custodial[e]:
                anyhop[e] = anyhop.get(e, 0) + x
                if h == 1:
                    direct[e] = direct.get(e, 0) + x
            else:
                other += x
    return direct, anyhop, other


def _incoming(ctx: _Ctx, pay: Payments, policy: int, hops: int, budget: int,
              threshold: float) -> SideAudit:
    a = ctx.a
    rows = []
    counts = dict.fromkeys(SOURCES, 0)
    values = dict.fromkeys(SOURCES, 0)
    services: dict[int, dict] = {}
    for k in range(pay.in_tx.size):
        outs = pay.in_outputs[pay.in_start[k]:pay.in_start[k + 1]]
        value = int(pay.in_value[k])
        raw = Raw.of(ctx.run(BACKWARD, policy, outs, hops, budget), BACKWARD)
        direct, anyhop, other = _stops(ctx, raw, hops)
        e_src, e_amt, e_hop = raw.e_src, raw.e_amount, raw.e_hop
        first = (e_hop == 1) & (e_src >= 0)
        src = e_src[first]
        cj = int(e_amt[first][ctx.cj[np.asarray(a.out_tx[src])] != 0].sum()) if src.size else 0
        reused = int(e_amt[first][ctx.reused(np.asarray(a.out_address[src]))].sum()) if src.size else 0
        row = {"tx_id": int(pay.in_tx[k]), "value": value,
               "custodial_direct": sum(direct.values()), "custodial_within_k": sum(anyhop.values()),
               "other_service": other, "coinjoin": cj, "reused": reused,
               "services": sorted(ctx.resolver.entities[e].label for e in anyhop),
               "budget_exhausted": raw.exhausted}
        _tally(row, value, threshold, counts, values)
        _credit_services(ctx, services, direct, anyhop, value, threshold)
        rows.append(row)
    _name_txs(ctx, rows)
    return SideAudit("incoming", int(pay.in_tx.size), int(pay.in_value.sum()), counts, values,
                     _service_list(services), rows)


def _outgoing(ctx: _Ctx, pay: Payments, policy: int, hops: int, budget: int,
              threshold: float) -> SideAudit:
    a = ctx.a
    rows = []
    counts = dict.fromkeys(SOURCES, 0)
    values = dict.fromkeys(SOURCES, 0)
    services: dict[int, dict] = {}
    if pay.out_output.size:
        codes = ctx.resolver.codes(np.asarray(a.out_address[pay.out_output]))
        spent = np.asarray(a.out_spent_by[pay.out_output])
        spender = np.where(spent >= 0, np.asarray(a.in_tx[np.maximum(spent, 0)]), -1)
        into_cj = (spender >= 0) & (ctx.cj[np.maximum(spender, 0)] != 0)
        reused = ctx.reused(np.asarray(a.out_address[pay.out_output]))
    for k in range(pay.out_output.size):
        o = int(pay.out_output[k])
        value = int(pay.out_value[k])
        code = int(codes[k])
        direct: dict[int, int] = {}
        anyhop: dict[int, int] = {}
        other = 0
        exhausted = False
        if code >= 0 and ctx.is_custodial[code]:
            direct[code] = anyhop[code] = value
        elif code >= 0:
            other = value
        else:
            raw = Raw.of(ctx.run(FORWARD, policy, np.array([o]), hops, budget), FORWARD)
            _d, anyhop, other = _stops(ctx, raw, hops)
            exhausted = raw.exhausted
        row = {"tx_id": int(pay.out_tx[k]), "output": o, "value": value,
               "custodial_direct": sum(direct.values()), "custodial_within_k": sum(anyhop.values()),
               "other_service": other, "coinjoin": value if into_cj[k] else 0,
               "reused": value if reused[k] else 0,
               "services": sorted(ctx.resolver.entities[e].label for e in anyhop),
               "budget_exhausted": exhausted}
        _tally(row, value, threshold, counts, values)
        _credit_services(ctx, services, direct, anyhop, value, threshold)
        rows.append(row)
    _name_txs(ctx, rows)
    return SideAudit("outgoing", int(pay.out_output.size), int(pay.out_value.sum()), counts,
                     values, _service_list(services), rows)


def _credit_services(ctx: _Ctx, services: dict, direct: dict, anyhop: dict, value: int,
                     threshold: float) -> None:
    """Add one payment's value reached directly and within k hops to each service's totals."""
    for e, x in anyhop.items():
        x = min(x, value)
        s = services.setdefault(e, _service(ctx, e))
        s["value_within_k"] += x
        s["value_direct"] += min(direct.get(e, 0), value)
        if value and x / value >= threshold:
            s["payments_within_k"] += 1
            if direct.get(e, 0) / value >= threshold:
                s["payments_direct"] += 1


def _tally(row: dict, value: int, threshold: float, counts: dict, values: dict) -> None:
    for s in SOURCES:  # poison counts a whole payment at most once
        row[s] = min(row[s], value)
        values[s] += row[s]
        if value and row[s] / value >= threshold and row[s] > 0:
            counts[s] += 1


def _service(ctx: _Ctx, code: int) -> dict:
    e = ctx.resolver.entities[code]
    return {"entity_id": e.entity_id, "label": e.label, "category": e.category,
            "payments_direct": 0, "payments_within_k": 0, "value_direct": 0, "value_within_k": 0}


def _service_list(services: dict[int, dict]) -> list[dict]:
    return sorted(services.values(), key=lambda s: (-s["value_within_k"], s["entity_id"]))


def _name_txs(ctx: _Ctx, rows: list[dict]) -> None:
    names = labels.txids(ctx.a, [r["tx_id"] for r in rows])
    for r, t in zip(rows, names):
        r["txid"] = t


def privacy_audit(chain: Chain, addresses: list[str] | Start, hops: int = 3,
                  policies: tuple[str, ...] | list[str] | str = ("haircut",),
                  threshold: float = 0.5, custodial: frozenset | set | None = None,
                  budget: int = PAYMENT_BUDGET, resolver: EntityResolver | None = None,
                  own_cluster: bool = True) -> AuditReport:
    """Audit what a paying public can learn about an organisation's payers and payees (with
    own_cluster, the clusters of its addresses are its own: their moves are not payments)."""
    from chaintrail.trace.findings import findings

    if isinstance(policies, str):
        policies = (policies,)
    codes = [policy_code(p) for p in policies]
    if not codes:
        raise TraceError("privacy audit: give at least one policy")
    if hops < 1:
        raise TraceError("privacy audit: hops must be at least 1")
    start = addresses if isinstance(addresses, Start) else start_of_addresses(chain, list(addresses))
    resolver = resolver or EntityResolver.from_chain(chain)
    cust = frozenset(custodial) if custodial else CUSTODIAL
    ctx = _Ctx(chain, resolver, cust)
    cl = resolver.clusters
    self_ids = None
    if own_cluster and cl is not None:  # the organisation's other addresses (change, consolidations)
        cids = np.unique(cl.cluster_of(start.address_ids))
        self_ids = np.concatenate([cl.members_of(int(c)) for c in cids if c >= 0] or
                                  [np.zeros(0, np.int64)])
    pay = find_payments(chain, start.address_ids, self_ids)
    per: dict[str, dict[str, SideAudit]] = {}
    for p in codes:
        per[POLICY_NAMES[p]] = {"incoming": _incoming(ctx, pay, p, hops, budget, threshold),
                                "outgoing": _outgoing(ctx, pay, p, hops, budget, threshold)}
    addr_text = labels.addresses(ctx.a, start.address_ids)
    n_out = ctx.addr_outputs[start.address_ids + 1] - ctx.addr_outputs[start.address_ids]
    own_reuse = {"addresses": int(start.address_ids.size), "outputs": int(n_out.sum()),
                 "incoming_payments": int(pay.in_tx.size),
                 "self_funded_txs": pay.own_in_txs,
                 "most_used": {"address": addr_text[int(np.argmax(n_out))], "outputs": int(n_out.max())}
                 if n_out.size else None}
    report = AuditReport([x for x in addr_text if x], hops, threshold, tuple(sorted(cust)), per,
                         own_reuse, len(resolver), [])
    report.findings = findings(report)
    return report
