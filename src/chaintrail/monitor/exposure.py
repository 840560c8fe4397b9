"""Exposure of customer transfers to the monitored categories, by the trace
engine's propagation kernel: a deposit or a withdrawal is traced backward
from the output the customer's address received (where did the money come
from?), a spend forward from the coins spent (where did it go?), under the
haircut policy, stopping at the first attributed entity as commercial
exposure does. Hop 1 is direct exposure, hops 2 and more indirect. Flow
back into the starting outputs and flow meeting the customer's own entity
are internal and not counted.

All transfers of a block are traced in one compiled call
(``exposure_kernels.screen_exposure`` calls the propagation kernel per
transfer from numba and sums its terminal records in place);
``trace_reference`` is its plain twin. Only transfers that raise an alert
are traced again into a full ``TraceResult`` for their evidence paths. A
re-screening, where most transfers traced alert, gets sums and evidence from
one trace each (``trace_with_evidence``) by the trace specialised to this
case (``haircut_kernels``, identical results)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from weakref import WeakKeyDictionary

import numpy as np

from chaintrail.chain import Chain
from chaintrail.monitor.jsontext import quote, value_text
from chaintrail.monitor.transfers import SPEND, Transfers
from chaintrail.monitor.watch import CAT_NAMES, Watch
from chaintrail.trace import flow_codes as FK
from chaintrail.trace.engine import chain_arrays
from chaintrail.trace.policies import BACKWARD, FORWARD, HAIRCUT
from chaintrail.trace.records import K_RETURNED, Raw, terminal_records

#: work budget of one transfer's trace (inputs + outputs visited): bounded cost per transfer
TRANSFER_BUDGET = 50_000
#: transfers per part of a threaded re-screening (parts are taken in turn)
PART_ROWS = 2_048
_TABLES: WeakKeyDictionary = WeakKeyDictionary()
_ORDER: WeakKeyDictionary = WeakKeyDictionary()
N_CAT = len(CAT_NAMES)


@dataclass
class Exposures:
    """Per transfer: satoshis met per monitored category and hop (hop 1: direct)."""

    by_hop: np.ndarray  # (n, N_CAT, max_hops + 1) int64
    base: np.ndarray  # (n,) int64: the external value (shares are of it)
    exhausted: np.ndarray  # (n,) bool: the budget ran out
    raws: list  # per transfer: the kernel's Raw (None: traced again for the evidence)
    max_hops: int
    seconds: float
    budget: int = TRANSFER_BUDGET

    def direct(self, cat: int) -> np.ndarray:
        """Satoshis met at hop 1 per transfer."""
        return self.by_hop[:, cat, 1] if self.by_hop.shape[2] > 1 else self.by_hop[:, cat, 0] * 0

    def indirect(self, cat: int, max_hops: int) -> np.ndarray:
        """Satoshis met at hops 2..max_hops per transfer."""
        return self.by_hop[:, cat, 2:max_hops + 1].sum(axis=1)


def _in_threads(fn, rows: np.ndarray, threads: int, chunk: int | None = None,
                then=None) -> list:
    """fn over `rows` cut in `threads` contiguous parts run side by side (the kernels release
    the GIL), results in order; one part below a few hundred rows. With `chunk`, parts of
    about that many rows that the threads take in turn (balanced when costs vary); with
    `then`, each result passed through it in the calling thread as soon as it is in."""
    n = max(1, min(int(threads), rows.size // 256))
    if n == 1:
        got = fn(rows)
        return [then(got) if then else got]
    from concurrent.futures import ThreadPoolExecutor

    cuts = np.array_split(rows, max(n, -(-rows.size // chunk)) if chunk else n)
    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="chaintrail-monitor") as pool:
        return [then(got) if then else got for got in pool.map(fn, cuts)]


def in_chain_order(chain: Chain) -> bool:
    """Whether the store numbers inputs and outputs in transaction order (each transaction's
    right after the previous one's), as ``haircut_kernels`` needs; checked once per arrays."""
    (first_in, n_in, first_out, n_out) = chain_arrays(chain)[:4]
    key = ("order", id(first_in), first_in.shape[0])
    got = _ORDER.get(chain)
    if got is None or got[0] != key:
        ok = bool(first_in.size == 0 or (first_in[0] == 0 and first_out[0] == 0
                  and (first_in[1:] == first_in[:-1] + n_in[:-1]).all()
                  and (first_out[1:] == first_out[:-1] + n_out[:-1]).all()))
        got = (key, ok)
        _ORDER[chain] = got
    return got[1]


def output_entities(chain: Chain, watch: Watch) -> np.ndarray:
    """The watch's entity code of every output of the store (``haircut_kernels``' lookup), built
    once per resolver and store arrays."""
    from chaintrail.monitor.haircut_kernels import output_entities as build

    out_address = chain_arrays(chain)[8]
    key = (id(out_address), out_address.shape[0])
    got = _TABLES.get(watch.resolver)
    if got is None or got[0] != key:
        got = (key, build(out_address, *watch.resolver.kernel_args()))
        _TABLES[watch.resolver] = got
    return got[1]


def trace_transfers(chain: Chain, watch: Watch, tr: Transfers, max_hops: int,
                    budget: int = TRANSFER_BUDGET, rows: np.ndarray | None = None,
                    only_addresses: np.ndarray | None = None, threads: int = 1) -> Exposures:
    """Trace the transfers (all, or only `rows`) and sum what they met per category, in one
    compiled call (``exposure_kernels``; with `threads`, one per part of the rows); with
    `only_addresses` (sorted), only what they met at those addresses (a re-screening counts
    exposure to newly listed items)."""
    n = len(tr)
    by_hop = np.zeros((n, N_CAT, max(max_hops, 0) + 1), np.int64)
    base = tr.value.astype(np.int64).copy()
    exhausted = np.zeros(n, bool)
    t0 = time.perf_counter()
    todo = np.arange(n) if rows is None else np.asarray(rows, np.int64)
    if n == 0 or todo.size == 0 or max_hops < 1 or not watch.entity_cat.any():
        return Exposures(by_hop, base, exhausted, [None] * n, max_hops, 0.0, budget)
    from chaintrail.monitor.exposure_kernels import screen_exposure

    only = np.zeros(0, np.int64) if only_addresses is None else \
        np.ascontiguousarray(np.sort(np.asarray(only_addresses, np.int64)))
    args = (watch.entity_cat.astype(np.int64), N_CAT, int(max_hops), int(budget), only,
            *chain_arrays(chain), *watch.resolver.kernel_args(),
            np.ascontiguousarray(watch.mask, np.bool_))

    def part(rows: np.ndarray) -> tuple:
        sub = tr.take(rows)
        return screen_exposure(sub.s0, sub.sn, np.ascontiguousarray(sub.starts),
                               sub.direction == SPEND,
                               watch.resolver.codes(sub.address).astype(np.int64), *args)

    parts = _in_threads(part, todo, threads)
    bh = np.concatenate([p[0] for p in parts])
    bs = np.concatenate([p[1] for p in parts])
    ex = np.concatenate([p[2] for p in parts])
    bh[:, 0, :] = 0
    by_hop[todo], base[todo], exhausted[todo] = bh, bs, ex
    return Exposures(by_hop, base, exhausted, [None] * n, max_hops, time.perf_counter() - t0,
                     budget)


def trace_reference(chain: Chain, watch: Watch, tr: Transfers, max_hops: int,
                    budget: int = TRANSFER_BUDGET, rows: np.ndarray | None = None,
                    only_addresses: np.ndarray | None = None) -> Exposures:
    """The plain twin of ``trace_transfers``: one Python-level kernel call per transfer, its
    terminal records read by ``records.terminal_records`` (keeps each trace's output)."""
    n = len(tr)
    by_hop = np.zeros((n, N_CAT, max(max_hops, 0) + 1), np.int64)
    base = tr.value.astype(np.int64).copy()
    exhausted = np.zeros(n, bool)
    raws: list = [None] * n
    t0 = time.perf_counter()
    if n == 0 or max_hops < 1 or not watch.entity_cat.any():
        return Exposures(by_hop, base, exhausted, raws, max_hops, 0.0, budget)
    only = None if only_addresses is None else np.sort(np.asarray(only_addresses, np.int64))
    ecat = watch.entity_cat.astype(np.int64)
    own_codes = watch.resolver.codes(tr.address)
    out_address = np.asarray(chain._arrays.out_address)
    todo = np.arange(n) if rows is None else np.asarray(rows, np.int64)
    for k in todo.tolist():
        raw = _raw(chain, watch, tr, k, max_hops, budget)
        raws[k] = raw
        exhausted[k] = raw.exhausted
        rec = terminal_records(raw, max_hops)
        kind, ent, amt, hop = rec["kind"], rec["entity"], rec["amount"], rec["hop"]
        internal = kind == K_RETURNED
        if tr.direction[k] == SPEND:
            internal |= (hop == 0) & (kind == FK.F_UNSPENT)
        if own_codes[k] >= 0:
            internal |= ent == own_codes[k]
        base[k] = int(amt.sum() - amt[internal].sum())
        hit = (kind == FK.F_STOP) & ~internal & (ent >= 0)
        if only is not None and hit.any():
            aid = out_address[rec["output"][hit]]
            hit[hit] = np.isin(aid, only)
        if not hit.any():
            continue
        np.add.at(by_hop[k], (ecat[ent[hit]], np.minimum(hop[hit], max_hops)), amt[hit])
    by_hop[:, 0, :] = 0
    return Exposures(by_hop, base, exhausted, raws, max_hops, time.perf_counter() - t0, budget)


def _raw(chain: Chain, watch: Watch, tr: Transfers, k: int, max_hops: int, budget: int) -> Raw:
    """The kernel's output for transfer k, named."""
    from chaintrail.trace.flow_kernels import propagate

    d = FORWARD if tr.direction[k] == SPEND else BACKWARD
    starts = np.ascontiguousarray(tr.starts[tr.s0[k]:tr.s0[k] + tr.sn[k]], np.int64)
    return Raw.of(propagate(d, HAIRCUT, starts, int(max_hops), 0, int(budget), *chain_arrays(chain),
                            *watch.resolver.kernel_args(), np.ascontiguousarray(watch.mask, np.bool_)),
                  d)


def evidence(chain: Chain, watch: Watch, tr: Transfers, ex: Exposures, k: int, cat: int,
             limit: int = 5) -> list[dict]:
    """The places transfer k's flow met category `cat`: address, entity, amount, hop and the
    trace path (transactions in money-flow order), heaviest first."""
    from chaintrail.trace import labels
    from chaintrail.trace.result import TraceResult
    from chaintrail.trace.start import Start

    raw = ex.raws[k]
    if raw is None:
        raw = ex.raws[k] = _raw(chain, watch, tr, k, ex.max_hops, ex.budget)
    rec = terminal_records(raw, ex.max_hops)
    ent = rec["entity"]
    ok = (rec["kind"] == FK.F_STOP) & (ent >= 0)
    ok[ok] = watch.entity_cat[ent[ok]] == cat
    rows = np.nonzero(ok)[0]
    rows = rows[np.argsort(-rec["amount"][rows], kind="stable")][:limit]
    starts = tr.starts[tr.s0[k]:tr.s0[k] + tr.sn[k]]
    d = "forward" if tr.direction[k] == SPEND else "backward"
    res = TraceResult(chain, watch.resolver, Start(f"transfer:{k}", "outputs", np.sort(starts)),
                      {"direction": d, "policy": "haircut", "max_hops": ex.max_hops, "min_value": 0,
                       "budget": ex.budget, "stop_at": ["any"], "level": "output",
                       "engine": "kernel"}, raw, 0.0)
    a = chain._arrays
    out = []
    for r in rows.tolist():
        o = int(rec["output"][r])
        e = watch.resolver.entities[int(ent[r])]
        aid = int(a.out_address[o])
        out.append({"address": a.address_text(aid) if aid >= 0 else None, "address_id": aid,
                    "output": labels.outpoints(a, [o])[0], "entity": e.entity_id,
                    "label": e.label, "category": e.category, "abuse": e.abuse,
                    "sources": list(e.sources), "amount": int(rec["amount"][r]),
                    "hop": int(rec["hop"][r]), "path": res.path_to(o, int(rec["hop"][r]))})
    return out


def _kernel_args(chain: Chain, watch: Watch) -> tuple:
    return (*chain_arrays(chain), *watch.resolver.kernel_args(),
            np.ascontiguousarray(watch.mask, np.bool_))


def _sorted(only_addresses) -> np.ndarray:
    return np.zeros(0, np.int64) if only_addresses is None else \
        np.ascontiguousarray(np.sort(np.asarray(only_addresses, np.int64)))


def evidence_batch(chain: Chain, watch: Watch, tr: Transfers, ex: Exposures,
                   pairs: list[tuple[int, int]], limit: int = 20, keep: int = 5,
                   only_addresses: np.ndarray | None = None, threads: int = 1) -> list[list[Hit]]:
    """``evidence`` of many (transfer row, category) pairs in one compiled call
    (``evidence_kernels.hit_evidence``): per pair the `limit` heaviest places its flow met the
    category, of those the ones at `only_addresses` (when given), the first `keep`, as
    ``Hit``s (``Hit.to_dict`` is the form ``evidence`` gives)."""
    from chaintrail.monitor.evidence_kernels import hit_evidence

    if not pairs:
        return []
    rows = np.array([p[0] for p in pairs], np.int64)
    cats = np.array([p[1] for p in pairs], np.int64)
    args = (tr.s0, tr.sn, np.ascontiguousarray(tr.starts, np.int64),
            np.ascontiguousarray(tr.direction == SPEND), int(ex.max_hops), int(ex.budget),
            int(limit), int(keep), _sorted(only_addresses), watch.entity_cat.astype(np.int64),
            *_kernel_args(chain, watch))

    def part(js: np.ndarray) -> tuple:
        hits, steps = hit_evidence(rows[js], cats[js], *args)
        return (js[hits[0]],) + hits[1:], steps

    out: list[list[Hit]] = [[] for _ in pairs]
    for hits, steps in _in_threads(part, np.arange(rows.size), threads):
        for j, _cat, hit in _hits(chain, watch, hits, steps):
            out[j].append(hit)
    return out


def trace_with_evidence(chain: Chain, watch: Watch, tr: Transfers, max_hops: int,
                        budget: int = TRANSFER_BUDGET, only_addresses: np.ndarray | None = None,
                        threads: int = 1, limit: int = 20,
                        keep: int = 5) -> tuple[Exposures, dict[tuple[int, int], list[Hit]]]:
    """``trace_transfers`` and, from the same traces, ``evidence_batch`` of every (transfer,
    category) with exposure: one trace per transfer, for a re-screening where most transfers
    traced alert. The traces are the specialised haircut kernel's
    (``haircut_kernels.screen_haircut``, identical to ``evidence_kernels.screen_hits`` over
    the general one, several times faster; the general one on a store not numbered in
    transaction order); the transfers are cut in small parts that `threads` threads take in
    turn (trace costs vary a thousandfold)."""
    n = len(tr)
    t0 = time.perf_counter()
    if n == 0 or max_hops < 1 or not watch.entity_cat.any():
        return trace_transfers(chain, watch, tr, max_hops, budget), {}
    args = (watch.entity_cat.astype(np.int64), N_CAT, int(max_hops), int(budget),
            _sorted(only_addresses), int(limit), int(keep))
    if in_chain_order(chain):
        from chaintrail.monitor.haircut_kernels import screen_haircut as kernel

        args += (*chain_arrays(chain), output_entities(chain, watch),
                 np.ascontiguousarray(watch.mask, np.bool_))
    else:
        from chaintrail.monitor.evidence_kernels import screen_hits as kernel

        args += _kernel_args(chain, watch)

    starts = np.ascontiguousarray(tr.starts, np.int64)
    s0 = np.asarray(tr.s0, np.int64)

    def part(rows: np.ndarray) -> tuple:  # the rows' starts read in place
        sums, hits, steps = kernel(
            s0[rows], tr.sn[rows], starts, tr.direction[rows] == SPEND,
            watch.resolver.codes(tr.address[rows]).astype(np.int64), *args)
        return sums, (rows[hits[0]],) + hits[1:], steps

    ev: dict[tuple[int, int], list[Hit]] = {}

    def evidence_of(got: tuple) -> tuple:  # in this thread, while the next parts are traced
        for k, cat, hit in _hits(chain, watch, got[1], got[2]):
            ev.setdefault((k, cat), []).append(hit)
        return got[0]

    sums = _in_threads(part, np.arange(n), threads, chunk=PART_ROWS, then=evidence_of)
    by_hop = np.concatenate([p[0] for p in sums])
    by_hop[:, 0, :] = 0
    ex = Exposures(by_hop, np.concatenate([p[1] for p in sums]),
                   np.concatenate([p[2] for p in sums]), [None] * n, max_hops, 0.0, budget)
    ex.seconds = time.perf_counter() - t0
    return ex, ev


class Hit:
    """One place a transfer's flow met a category, as its alert's evidence keeps it: the
    address id and the label and hop (what a summary reads), and the hit's canonical JSON
    around its list entries (``head`` + listings + ``tail``: an address's entries are encoded
    once and added when the alert is made, ``exposure_findings``). ``to_dict`` is the plain
    form (``evidence`` gives the same)."""

    __slots__ = ("address_id", "label", "hop", "head", "tail")

    def __init__(self, address_id: int, label, hop: int, head: str, tail: str):
        self.address_id, self.label, self.hop, self.head, self.tail = \
            address_id, label, hop, head, tail

    def text(self, listings_json: str = "[]") -> str:
        """The hit's canonical JSON with these list entries (their canonical JSON)."""
        return self.head + listings_json + self.tail

    def to_dict(self) -> dict:
        """The hit as a dict with its address id and without list entries (as ``evidence``)."""
        d = json.loads(self.text())
        del d["listings"]
        d["address_id"] = self.address_id
        return d

    def __repr__(self) -> str:
        return f"Hit({self.text()})"


def _entity_parts(e) -> tuple[str, str, str, str, str]:
    """An entity's fields in a hit (abuse, category, entity, label, sources) as JSON."""
    return (value_text(e.abuse), value_text(e.category), value_text(e.entity_id),
            value_text(e.label), value_text(list(e.sources)))


def _hits(chain: Chain, watch: Watch, hits: tuple, steps: tuple):
    """(owner, category, ``Hit``) of the kernels' hits and path steps, in order. Each
    transaction's txid and each output's ``txid:vout`` is encoded once (paths share them),
    each entity's fields once, and each hit's JSON written directly: its keys in order
    (abuse, address, amount, category, entity, hop, label, listings, output, path, sources),
    each path step's too (amount, hop, source, target, txid)."""
    from chaintrail.trace import labels

    h_own, h_cat, h_out, h_ent, h_amt, h_hop = hits
    p_hit, p_hop, p_tx, p_src, p_dst, p_amt = steps
    a = chain._arrays
    nh, ns = h_out.size, p_src.size
    outs, o_at = np.unique(np.concatenate([h_out, p_src, np.maximum(p_dst, 0)]).astype(np.int64),
                           return_inverse=True)
    o_tx = np.asarray(a.out_tx)[outs] if outs.size else np.zeros(0, np.int64)
    vouts = (outs - np.asarray(a.tx_first_out)[o_tx]).tolist() if outs.size else []
    txs, t_at = np.unique(np.concatenate([o_tx, p_tx]).astype(np.int64), return_inverse=True)
    hexes = [quote(x) for x in labels.txids(a, txs)]  # quoted: "<txid>"
    t_at = t_at.tolist()
    names = [f"{hexes[t][:-1]}:{v}\"" for t, v in zip(t_at[:outs.size], vouts)]  # "<txid>:<vout>"
    tx_names = t_at[outs.size:]
    o_at = o_at.tolist()
    h_name, src_name, dst_name = o_at[:nh], o_at[nh:nh + ns], o_at[nh + ns:]
    path: list[list[str]] = [[] for _ in range(nh)]
    for hit, hop, tx, src, dst, to, amt in zip(p_hit.tolist(), p_hop.tolist(), tx_names,
                                               src_name, dst_name, p_dst.tolist(),
                                               p_amt.tolist()):
        path[hit].append(f'{{"amount":{amt},"hop":{hop},"source":{names[src]},"target":'
                         f'{names[dst] if to >= 0 else FEE},"txid":{hexes[tx]}}}')
    aids = np.asarray(a.out_address)[h_out] if nh else np.zeros(0, np.int64)
    ents = watch.resolver.entities
    text = a.address_texts(aids)
    parts = {e: _entity_parts(ents[e]) for e in set(h_ent.tolist())}
    for i, (own, cat, ent, aid, amt, hop) in enumerate(zip(
            h_own.tolist(), h_cat.tolist(), h_ent.tolist(), aids.tolist(), h_amt.tolist(),
            h_hop.tolist())):
        abuse, category, entity, label, sources = parts[ent]
        address = text.get(aid)
        yield own, cat, Hit(
            aid, ents[ent].label, hop,
            f'{{"abuse":{abuse},"address":{"null" if address is None else quote(address)},'
            f'"amount":{amt},"category":{category},"entity":{entity},"hop":{hop},'
            f'"label":{label},"listings":',
            f',"output":{names[h_name[i]]},"path":[{",".join(path[i])}],"sources":{sources}}}')


#: a path step's target when the flow went to the fee, as JSON
FEE = '"fee"'
