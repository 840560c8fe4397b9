"""A trace's result: the flow graph and where the flow ended.

The kernel's arrays (one slot per output reached, one edge per source ->
destination output per transaction) are kept as they are; tables are
built from them on demand at one of three levels: ``output`` (every coin),
``address`` or ``cluster`` (outputs grouped by their address or cluster;
without a clustering, cluster falls back to address). Special nodes:
``fee`` (value paid to miners, forward).

Terminals say where each satoshi of the flow stopped: at an attributed
entity of the stop-at set (``entity``), in an unspent output (``unspent``),
at the hop limit, the value floor or the work budget, in a transaction with
unknown input values, in a coinbase (``coinbase``: newly mined, backward),
in fees (``fee``, forward), or back in the starting set (``returned``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chaintrail.trace import flow_codes as FK
from chaintrail.trace import labels
from chaintrail.trace.policies import CONSERVATIVE, POLICY_CODES
from chaintrail.trace.records import K_RETURNED, KIND_NAMES, Raw, terminal_records

LEVELS = ("output", "address", "cluster")

# node key spaces (top bits of an int64 key)
_K_OUTPUT, _K_ADDRESS, _K_CLUSTER, _K_SPECIAL = 0, 1, 2, 3
_SHIFT = 58
_FEE_KEY = (_K_SPECIAL << _SHIFT) | 0


@dataclass
class TraceResult:
    """Nodes, edges (satoshis, hops) and terminals of one trace, with its parameters."""

    chain: Any
    resolver: Any
    start: Any
    params: dict
    raw: Raw
    elapsed_s: float = 0.0
    _cache: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ totals
    @property
    def direction(self) -> str:
        return self.params["direction"]

    @property
    def policy(self) -> str:
        return self.params["policy"]

    @property
    def level(self) -> str:
        return self.params.get("level", "output")

    @property
    def work(self) -> int:
        return self.raw.work

    @property
    def budget_exhausted(self) -> bool:
        return self.raw.exhausted

    @property
    def n_txs(self) -> int:
        return self.raw.n_txs

    @property
    def slots(self) -> dict[str, np.ndarray]:
        """One row per output reached: output, amount, returned, hop (least), fate, start, entity."""
        r = self.raw
        return {"output": r.output, "amount": r.amount, "returned": r.returned, "hop": r.hop,
                "fate": r.fate, "start": r.start, "entity": r.entity}

    @property
    def edges_raw(self) -> dict[str, np.ndarray]:
        """One row per source -> destination output per transaction and hop (dst -1: the fee)."""
        r = self.raw
        return {"src": r.e_src, "dst": r.e_dst, "tx": r.e_tx, "amount": r.e_amount, "hop": r.e_hop}

    @property
    def injected(self) -> int:
        """Satoshis followed: the value of the starting outputs."""
        return int(self.raw.amount[self.raw.start].sum())

    def terminal_records(self) -> dict[str, np.ndarray]:
        """One row per place a piece of the flow stopped: kind code, output (-1 fee), tx (fee),
        amount, hop (length of the path it travelled), entity code."""
        if "records" not in self._cache:
            self._cache["records"] = terminal_records(self.raw, self.params["max_hops"])
        return self._cache["records"]

    @staticmethod
    def kind_name(code: int) -> str:
        return KIND_NAMES[int(code)]

    @property
    def terminal_total(self) -> int:
        return int(self.terminal_records()["amount"].sum())

    @property
    def conserved(self) -> bool:
        """Whether the terminals hold exactly the satoshis followed (always, except poison)."""
        return self.terminal_total == self.injected

    @property
    def share_base(self) -> int:
        """What shares are shares of: the satoshis followed (poison: the tainted total)."""
        if POLICY_CODES[self.policy] in CONSERVATIVE:
            return self.injected
        return self.terminal_total

    def terminals(self) -> list[dict]:
        """Terminals aggregated by kind and entity: amount, share, least and greatest hop, rows."""
        rec = self.terminal_records()
        base = self.share_base or 1
        out = []
        if rec["amount"].size:
            keys = np.stack([rec["kind"], rec["entity"]], axis=1)
            uniq, inv = np.unique(keys, axis=0, return_inverse=True)
            inv = inv.reshape(-1)
            exact = np.zeros(len(uniq), np.int64)
            np.add.at(exact, inv, rec["amount"])
            hmin = np.full(len(uniq), np.iinfo(np.int64).max)
            np.minimum.at(hmin, inv, rec["hop"])
            hmax = np.zeros(len(uniq), np.int64)
            np.maximum.at(hmax, inv, rec["hop"])
            n = np.bincount(inv, minlength=len(uniq))
            for k, (kc, ec) in enumerate(uniq.tolist()):
                ent = self.resolver.entity(int(ec)) if ec >= 0 else None
                out.append({
                    "kind": self.kind_name(int(kc)), "entity_id": ent.entity_id if ent else None,
                    "label": ent.label if ent else None, "category": ent.category if ent else None,
                    "amount": int(exact[k]), "share": int(exact[k]) / base,
                    "min_hop": int(hmin[k]), "max_hop": int(hmax[k]), "rows": int(n[k])})
        out.sort(key=lambda r: (-r["amount"], r["kind"], r["entity_id"] or ""))
        return out

    def summary(self) -> dict:
        """Parameters, totals and flags in one dict."""
        return {
            "start": self.start.to_dict(), **{k: v for k, v in self.params.items()},
            "injected": self.injected, "terminal_total": self.terminal_total,
            "conserved": self.conserved, "budget_exhausted": self.budget_exhausted,
            "work": self.work, "txs": self.n_txs, "outputs_reached": int(self.slots["output"].size),
            "edges": int(self.edges_raw["src"].size), "elapsed_s": round(self.elapsed_s, 6),
        }

    # ------------------------------------------------------------------ levels
    def _keys(self, output_ids: np.ndarray, level: str) -> np.ndarray:
        """Node key of each output at a level (-1 = the fee)."""
        o = np.asarray(output_ids, np.int64)
        fee = o < 0
        safe = np.where(fee, 0, o)
        keys = (np.int64(_K_OUTPUT) << _SHIFT) | safe
        if level != "output":
            aid = np.asarray(self.chain._arrays.out_address[safe]).astype(np.int64)
            has = (aid >= 0) & ~fee
            cl = self.resolver.cluster_of(aid[has]) if level == "cluster" else None
            if cl is not None:
                ok = cl >= 0
                sub = np.where(ok, (np.int64(_K_CLUSTER) << _SHIFT) | np.maximum(cl, 0),
                               (np.int64(_K_ADDRESS) << _SHIFT) | aid[has])
            else:
                sub = (np.int64(_K_ADDRESS) << _SHIFT) | aid[has]
            keys[has] = sub
        keys[fee] = _FEE_KEY
        return keys

    def _names(self, keys: np.ndarray) -> list[tuple[str, str]]:
        """(node id, node kind) of node keys."""
        kinds = keys >> _SHIFT
        ids = keys & ((np.int64(1) << _SHIFT) - 1)
        a = self.chain._arrays
        out: list[tuple[str, str]] = [("", "")] * keys.size
        m = kinds == _K_OUTPUT
        for k, name in zip(np.nonzero(m)[0].tolist(), labels.outpoints(a, ids[m])):
            out[k] = (name, "output")
        m = kinds == _K_ADDRESS
        for k, name in zip(np.nonzero(m)[0].tolist(), labels.addresses(a, ids[m])):
            out[k] = (name, "address")
        for k in np.nonzero(kinds == _K_CLUSTER)[0].tolist():
            out[k] = (f"cluster:{int(ids[k])}", "cluster")
        for k in np.nonzero(kinds == _K_SPECIAL)[0].tolist():
            out[k] = ("fee", "fee")
        return out

    def node_table(self, level: str | None = None) -> dict[str, list]:
        """Columns of the nodes at a level: node, kind, amount (flow reached), value, hop,
        start, terminal amount, entity, category, outputs."""
        level = level or self.level
        ck = ("nodes", level)
        if ck in self._cache:
            return self._cache[ck]
        s = self.slots
        keys = self._keys(s["output"], level)
        rec = self.terminal_records()
        term_amt = np.zeros(s["output"].size, np.int64)
        sel = (rec["output"] >= 0) & (rec["kind"] != K_RETURNED)
        if sel.any():
            order = np.argsort(s["output"], kind="stable")
            pos = order[np.searchsorted(s["output"], rec["output"][sel], sorter=order)]
            np.add.at(term_amt, pos, rec["amount"][sel])
        fee_amt = int(self.edges_raw["amount"][self.edges_raw["dst"] == FK.FEE].sum())
        uniq, inv = np.unique(keys, return_inverse=True)
        inv = inv.reshape(-1)
        m = uniq.size
        amount = np.zeros(m, np.int64)
        np.add.at(amount, inv, s["amount"])
        value = np.zeros(m, np.int64)
        np.add.at(value, inv, np.asarray(self.chain._arrays.out_value[s["output"]]).astype(np.int64))
        tamt = np.zeros(m, np.int64)
        np.add.at(tamt, inv, term_amt)
        hop = np.full(m, np.iinfo(np.int64).max)
        np.minimum.at(hop, inv, s["hop"].astype(np.int64))
        start = np.zeros(m, bool)
        np.logical_or.at(start, inv, s["start"])
        ent = np.full(m, -1, np.int64)
        np.maximum.at(ent, inv, s["entity"].astype(np.int64))
        count = np.bincount(inv, minlength=m)
        names = self._names(uniq)
        cols: dict[str, list] = {
            "node": [n for n, _ in names], "kind": [k for _, k in names],
            "amount": amount.tolist(), "value": value.tolist(), "hop": hop.tolist(),
            "start": start.tolist(), "terminal_amount": tamt.tolist(),
            "entity_id": [], "label": [], "category": [], "outputs": count.tolist(),
        }
        for c in ent.tolist():
            e = self.resolver.entity(c) if c >= 0 else None
            cols["entity_id"].append(e.entity_id if e else None)
            cols["label"].append(e.label if e else None)
            cols["category"].append(e.category if e else None)
        if fee_amt:
            for k, v in (("node", "fee"), ("kind", "fee"), ("amount", fee_amt), ("value", fee_amt),
                         ("hop", int(self.edges_raw["hop"][self.edges_raw["dst"] == FK.FEE].min())),
                         ("start", False), ("terminal_amount", fee_amt), ("entity_id", None),
                         ("label", "miners (fees)"), ("category", "miner"), ("outputs", 0)):
                cols[k].append(v)
        self._cache[ck] = cols
        return cols

    def edge_table(self, level: str | None = None) -> dict[str, list]:
        """Columns of the edges at a level (money-flow direction): source, target, amount,
        min hop, max hop, transactions, and the txid when one transaction carries it."""
        level = level or self.level
        ck = ("edges", level)
        if ck in self._cache:
            return self._cache[ck]
        e = self.edges_raw
        src = self._keys(e["src"], level)
        dst = self._keys(e["dst"], level)
        cols: dict[str, list] = {"source": [], "target": [], "amount": [], "hop": [], "max_hop": [],
                                 "n_txs": [], "txid": []}
        if src.size:
            pair = np.stack([src, dst], axis=1)
            uniq, inv = np.unique(pair, axis=0, return_inverse=True)
            inv = inv.reshape(-1)
            m = len(uniq)
            amount = np.zeros(m, np.int64)
            np.add.at(amount, inv, e["amount"])
            hmin = np.full(m, np.iinfo(np.int64).max)
            np.minimum.at(hmin, inv, e["hop"].astype(np.int64))
            hmax = np.zeros(m, np.int64)
            np.maximum.at(hmax, inv, e["hop"].astype(np.int64))
            # distinct transactions per edge
            tx_pairs = np.unique(np.stack([inv, e["tx"]], axis=1), axis=0)
            n_tx = np.bincount(tx_pairs[:, 0], minlength=m)
            first_tx = np.full(m, -1, np.int64)
            first_tx[tx_pairs[::-1, 0]] = tx_pairs[::-1, 1]
            node_keys = np.unique(uniq.reshape(-1))
            names = dict(zip(node_keys.tolist(), (n for n, _ in self._names(node_keys))))
            one = n_tx == 1
            tx_names = dict(zip(first_tx[one].tolist(), labels.txids(self.chain._arrays, first_tx[one])))
            cols["source"] = [names[k] for k in uniq[:, 0].tolist()]
            cols["target"] = [names[k] for k in uniq[:, 1].tolist()]
            cols["amount"] = amount.tolist()
            cols["hop"] = hmin.tolist()
            cols["max_hop"] = hmax.tolist()
            cols["n_txs"] = n_tx.tolist()
            cols["txid"] = [tx_names.get(t) if o else None for t, o in zip(first_tx.tolist(), one.tolist())]
        self._cache[ck] = cols
        return cols

    # ------------------------------------------------------------------ evidence
    def path_to(self, output_id: int, hop: int | None = None) -> list[dict]:
        """A chain of edges linking the starting set to an output along which `hop` hops of
        flow travelled (default: the shortest), the heaviest at each step: the evidence for a
        figure, as steps (hop, txid, source, target, amount) in money-flow order."""
        e = self.edges_raw
        backward = self.direction == "backward"
        away = e["src"] if backward else e["dst"]  # the end of an edge further from the start
        toward = e["dst"] if backward else e["src"]
        by_node = self._cache.get("path_index")
        if by_node is None:  # edges by their far end, built once per result
            by_node = {}
            for k, n in enumerate(away.tolist()):
                by_node.setdefault(n, []).append(k)
            self._cache["path_index"] = by_node
        node = int(output_id)
        at = by_node.get(node, [])
        h = hop if hop is not None else min((int(e["hop"][k]) for k in at), default=0)
        steps = []
        while h >= 1:
            cands = [k for k in by_node.get(node, []) if int(e["hop"][k]) == h]
            if not cands:
                break
            k = max(cands, key=lambda j: int(e["amount"][j]))
            steps.append(k)
            node = int(toward[k])
            h -= 1
        if not backward:
            steps.reverse()
        a = self.chain._arrays
        out = []
        for k in steps:
            src, dst = int(e["src"][k]), int(e["dst"][k])
            out.append({"hop": int(e["hop"][k]), "txid": labels.txids(a, [e["tx"][k]])[0],
                        "source": labels.outpoints(a, [src])[0],
                        "target": "fee" if dst < 0 else labels.outpoints(a, [dst])[0],
                        "amount": int(e["amount"][k])})
        return out

    def exposure(self, explain: bool = False):
        """Exposure of this trace's start in its direction (incoming when backward): the attributed
        entities its value first met, direct (hop 1) and indirect, with amounts and shares. A trace
        that stopped at every attributed entity is read as is; otherwise it is run again with
        the same parameters stopping at any entity, since exposure counts the first one met."""
        from chaintrail.trace.exposure import summarise

        res = self
        if not {"any", "all", "attributed"} & set(self.params["stop_at"]):
            from chaintrail.trace.engine import run_trace

            p = self.params
            res = run_trace(self.chain, self.start, p["direction"], p["policy"], p["max_hops"],
                            p["min_value"], p["budget"], ("any",), p["level"], self.resolver)
        codes = self.resolver.codes(self.start.address_ids)
        own = set(np.unique(codes[codes >= 0]).tolist())
        return summarise(res, own, explain)

    # ------------------------------------------------------------------ exports
    def to_pandas(self, level: str | None = None) -> dict:
        """{"nodes", "edges", "terminals"} as pandas DataFrames."""
        import pandas as pd

        return {"nodes": pd.DataFrame(self.node_table(level)),
                "edges": pd.DataFrame(self.edge_table(level)),
                "terminals": pd.DataFrame(self.terminals())}

    def to_networkx(self, level: str | None = None):
        """A networkx DiGraph: node and edge attributes as in the tables (satoshis)."""
        from chaintrail.trace.export import to_networkx

        return to_networkx(self, level or self.level)

    def to_dict(self, level: str | None = None) -> dict:
        """Everything as plain data: summary, terminals, nodes, edges."""
        from chaintrail.trace.export import rows

        return {"summary": self.summary(), "terminals": self.terminals(),
                "nodes": rows(self.node_table(level)), "edges": rows(self.edge_table(level))}

    def to_json(self, path=None, level: str | None = None) -> str:
        """JSON of to_dict(); written to path when given."""
        from chaintrail.trace.export import to_json, write_text

        return write_text(path, to_json(self.to_dict(level)))

    def to_csv(self, path=None, level: str | None = None, table: str = "edges") -> str:
        """CSV of the edges (or nodes, terminals); written to path when given."""
        from chaintrail.trace.export import to_csv, write_text

        if table == "terminals":
            data = self.terminals()
        elif table == "nodes":
            from chaintrail.trace.export import rows

            data = rows(self.node_table(level))
        else:
            from chaintrail.trace.export import rows

            data = rows(self.edge_table(level))
        return write_text(path, to_csv(data))

    def to_graphml(self, path=None, level: str | None = None) -> str:
        """GraphML (Gephi, Cytoscape) of the flow graph; written to path when given."""
        from chaintrail.trace.export import to_graphml, write_text

        return write_text(path, to_graphml(self, level or self.level))

    def __repr__(self) -> str:
        return (f"<TraceResult {self.direction} {self.policy} from {self.start.ref}: "
                f"{self.injected:,} sat, {self.raw.output.size:,} outputs, {self.n_txs:,} txs"
                f"{', budget exhausted' if self.budget_exhausted else ''}>")


__all__ = ["LEVELS", "TraceResult"]
