"""Exposure of an address or cluster (methods.md section 3): which
attributed services its funds came from (incoming) or went to (outgoing),
directly or through unattributed intermediaries, with amounts, shares and
hop counts, each backed by the transactions behind it.

Incoming exposure is a backward trace from every output the target
received; outgoing exposure a forward trace from the same outputs. Both
stop at the first attributed entity (any category), as commercial
exposure does, and apportion value along the way by the chosen policy
(haircut by default). Hop 1 is direct exposure (the counterparty of the
target's own transactions), hops 2 and more are indirect.

Flows that come back to the target (its own change, its consolidations,
coins still unspent in its outputs) or that meet the target's own entity
are internal: shares are of the rest, the external value.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from chaintrail.chain import Chain
from chaintrail.trace import labels
from chaintrail.trace.engine import run_trace
from chaintrail.trace.entities import EntityResolver
from chaintrail.trace.policies import TraceError
from chaintrail.trace.result import TraceResult
from chaintrail.trace.start import Start, resolve_start

_RETURNED, _FEE, _UNSPENT, _STOP = 100, 101, 3, 4
#: work budget of each direction's trace: a 190k-address exchange cluster (460k outputs) in ~1 s
EXPOSURE_BUDGET = 600_000


@dataclass
class Figure:
    """The exposure to one entity at one depth (direct or indirect)."""

    entity_id: str
    label: str
    category: str | None
    amount: int
    share: float
    min_hop: int
    max_hop: int
    mean_hop: float  # weighted by amount
    transactions: int
    evidence: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in ("entity_id", "label", "category", "amount", "share",
                                           "min_hop", "max_hop", "mean_hop", "transactions")}
        if self.evidence:
            d["evidence"] = self.evidence
        return d


@dataclass
class SideExposure:
    """Exposure in one direction (incoming or outgoing)."""

    direction: str
    total: int  # satoshis followed
    internal: int  # back to the target or its own entity (not exposure)
    external: int  # the base of every share
    direct: list[Figure]
    indirect: list[Figure]
    by_category: list[dict]
    unattributed: dict[str, int]  # where the rest of the external value stopped
    budget_exhausted: bool
    trace: TraceResult

    @property
    def exposed(self) -> int:
        return sum(f.amount for f in self.direct) + sum(f.amount for f in self.indirect)

    def to_dict(self) -> dict:
        return {"direction": self.direction, "total": self.total, "internal": self.internal,
                "external": self.external, "exposed": self.exposed,
                "exposed_share": self.exposed / self.external if self.external else 0.0,
                "direct": [f.to_dict() for f in self.direct],
                "indirect": [f.to_dict() for f in self.indirect],
                "by_category": self.by_category, "unattributed": self.unattributed,
                "budget_exhausted": self.budget_exhausted, "work": self.trace.work,
                "txs": self.trace.n_txs, "elapsed_s": round(self.trace.elapsed_s, 6)}


@dataclass
class ExposureReport:
    """Incoming and/or outgoing exposure of one target."""

    target: Start
    target_entities: list[str]
    policy: str
    max_hops: int
    incoming: SideExposure | None
    outgoing: SideExposure | None

    def sides(self) -> list[SideExposure]:
        return [s for s in (self.incoming, self.outgoing) if s is not None]

    def to_pandas(self):
        """One row per figure: direction, depth (direct or indirect), entity, category, amount,
        share of the external value and hops (a pandas DataFrame, for plotting)."""
        import pandas as pd

        cols = ["direction", "depth", "entity_id", "label", "category", "amount", "share",
                "min_hop", "max_hop", "mean_hop", "transactions"]
        rows = [{"direction": side.direction, "depth": depth, **f.to_dict()}
                for side in self.sides()
                for depth, figs in (("direct", side.direct), ("indirect", side.indirect))
                for f in figs]
        return pd.DataFrame([{c: r[c] for c in cols} for r in rows], columns=cols)

    def to_dict(self) -> dict:
        return {"target": self.target.to_dict(), "target_entities": self.target_entities,
                "policy": self.policy, "max_hops": self.max_hops,
                "incoming": self.incoming.to_dict() if self.incoming else None,
                "outgoing": self.outgoing.to_dict() if self.outgoing else None}


def _evidence(res: TraceResult, rec_rows: np.ndarray, rec: dict, limit: int) -> list[dict]:
    """The transactions where the flow met the entity (largest first), with the path."""
    e = res.edges_raw
    a = res.chain._arrays
    backward = res.direction == "backward"
    out = []
    order = rec_rows[np.argsort(-rec["amount"][rec_rows], kind="stable")][:limit]
    for r in order.tolist():
        o = int(rec["output"][r])
        side = e["src"] if backward else e["dst"]
        ks = np.nonzero(side == o)[0]
        txs = sorted({int(e["tx"][k]) for k in ks})
        aid = int(a.out_address[o])
        out.append({"hop": int(rec["hop"][r]), "amount": int(rec["amount"][r]),
                    "output": labels.outpoints(a, [o])[0],
                    "address": a.address_text(aid) if aid >= 0 else None,
                    "txids": labels.txids(a, txs),
                    "path": res.path_to(o, int(rec["hop"][r])) if int(rec["hop"][r]) > 1 else []})
    return out


def summarise(res: TraceResult, own: set[int], explain: bool = False,
              explain_limit: int = 10) -> SideExposure:
    """Turn a trace that stopped at attributed entities into exposure figures."""
    rec = res.terminal_records()
    kind, ent, amt, hop = rec["kind"], rec["entity"], rec["amount"], rec["hop"]
    internal_mask = kind == _RETURNED
    if res.direction == "forward":  # coins the target still holds were not sent
        internal_mask |= (hop == 0) & (kind == _UNSPENT)
    internal_mask |= np.isin(ent, list(own)) if own else False
    internal = int(amt[internal_mask].sum())
    total_terms = int(amt.sum())
    external = total_terms - internal
    base = external or 1
    hit = (kind == _STOP) & ~internal_mask & (ent >= 0)
    # transactions where the flow met each entity: edges at its stopped outputs
    side = res.edges_raw["src"] if res.direction == "backward" else res.edges_raw["dst"]
    stop_out = np.unique(rec["output"][hit])
    at = np.nonzero(np.isin(side, stop_out))[0]
    e_code = np.full(at.size, -1, np.int64)
    if at.size:
        slot_out = res.raw.output
        order = np.argsort(slot_out, kind="stable")
        e_code = res.raw.entity[order[np.searchsorted(slot_out, side[at], sorter=order)]].astype(np.int64)
    figures: dict[str, list[Figure]] = {"direct": [], "indirect": []}
    for depth, sel in (("direct", hit & (hop == 1)), ("indirect", hit & (hop >= 2))):
        rows = np.nonzero(sel)[0]
        e_hops = res.edges_raw["hop"][at]
        e_sel = (e_hops == 1) if depth == "direct" else (e_hops >= 2)
        for code in np.unique(ent[rows]).tolist():
            mine = rows[ent[rows] == code]
            e = res.resolver.entity(int(code))
            a_sum = int(amt[mine].sum())
            mean = float((amt[mine] * hop[mine]).sum() / a_sum) if a_sum else 0.0
            n_tx = int(np.unique(res.edges_raw["tx"][at[(e_code == code) & e_sel]]).size)
            figures[depth].append(Figure(
                e.entity_id, e.label, e.category, a_sum, a_sum / base, int(hop[mine].min()),
                int(hop[mine].max()), round(mean, 3), n_tx,
                _evidence(res, mine, rec, explain_limit) if explain else []))
        figures[depth].sort(key=lambda f: (-f.amount, f.entity_id))
    cats: dict[str, dict] = {}
    for depth in ("direct", "indirect"):
        for f in figures[depth]:
            c = cats.setdefault(f.category or "unknown", {"category": f.category or "unknown",
                                                          "direct": 0, "indirect": 0})
            c[depth] += f.amount
    by_category = sorted(({**c, "amount": c["direct"] + c["indirect"],
                           "share": (c["direct"] + c["indirect"]) / base} for c in cats.values()),
                         key=lambda c: -c["amount"])
    rest: dict[str, int] = {}
    left = ~internal_mask & ~hit
    for code in np.unique(kind[left]).tolist():
        name = res.kind_name(int(code))
        rest["stopped" if name == "entity" else name] = int(amt[left & (kind == code)].sum())
    return SideExposure("incoming" if res.direction == "backward" else "outgoing",
                        res.injected, internal, external, figures["direct"], figures["indirect"],
                        by_category, dict(sorted(rest.items(), key=lambda kv: -kv[1])),
                        res.budget_exhausted, res)


def exposure(chain: Chain, target: str | Start, direction: str = "both", max_hops: int = 4,
             policy: str = "haircut", min_value: int = 0, budget: int = EXPOSURE_BUDGET,
             explain: bool = False, explain_limit: int = 10,
             resolver: EntityResolver | None = None) -> ExposureReport:
    """Direct and indirect exposure of an address or cluster (``cluster:ID``) to attributed
    entities, incoming, outgoing or both."""
    if direction not in ("incoming", "outgoing", "both"):
        raise TraceError(f"unknown direction {direction!r}: use incoming, outgoing or both")
    start = target if isinstance(target, Start) else resolve_start(chain, target)
    if start.outputs.size == 0:
        raise TraceError(f"{start.ref}: no outputs to follow")
    resolver = resolver or EntityResolver.from_chain(chain)
    codes = resolver.codes(start.address_ids)
    own_codes = set(np.unique(codes[codes >= 0]).tolist())
    mask = np.ones(max(len(resolver), 1), np.bool_)  # stop at every attributed entity
    wanted = [(side, d) for side, d in (("incoming", "backward"), ("outgoing", "forward"))
              if direction in (side, "both")]

    def one(d: str) -> TraceResult:
        return run_trace(chain, start, d, policy, max_hops, min_value, budget, ("any",), "address",
                         resolver, stop_mask=mask)

    # the two directions are independent traces: side by side (the kernel releases the GIL)
    with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
        runs = list(pool.map(one, [d for _, d in wanted]))
    sides = {side: summarise(res, own_codes, explain, explain_limit)
             for (side, _), res in zip(wanted, runs)}
    return ExposureReport(start, sorted(resolver.entities[c].entity_id for c in own_codes),
                          sides[next(iter(sides))].trace.policy, max_hops,
                          sides.get("incoming"), sides.get("outgoing"))
