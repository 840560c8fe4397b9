"""``chaintrail cluster build``: cluster a store's addresses and record the
result in its ``clusters`` room.

One pass in chain order (``unionfind_kernels.cluster_pass``) makes the
multi-input links and applies each change link ``horizon`` blocks after
its transaction. Links that are final ("settled") go into the saved
union-find state; the links of the last ``horizon`` blocks are applied on
a copy ("provisional") and redone by the next build. An update after new
blocks therefore continues from the saved state with the new transactions
only, and gives exactly what a full rebuild gives.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from chaintrail.cluster import room as R
from chaintrail.cluster import unionfind_kernels as U
from chaintrail.cluster.anchors import Anchors, load_anchors, service_array
from chaintrail.cluster.outputs import EvidenceStream, write_outputs
from chaintrail.cluster.params import ClusterParams
from chaintrail.cluster.schedule import make_schedule
from chaintrail.errors import StoreError
from chaintrail.heuristics.change import ChangeContext, detect_change, eligible
from chaintrail.heuristics.change_expr import parse
from chaintrail.heuristics.coinjoin import detect_coinjoins
from chaintrail.heuristics.input_facts import InputFacts
from chaintrail.store.arrays import FLAG_COINBASE, ChainArrays
from chaintrail.store.store import Store

#: format of the room's state; a different one forces a full rebuild
STATE_VERSION = 1


@dataclass
class Buffers:
    """Output buffers of the clustering pass (evidence edges, refusals), flushed to chunks
    whenever the pass stops because one is full; each evidence chunk is handed to `sink` when
    there is one (the ``outputs.EvidenceStream`` that writes it while the pass goes on, and
    then drops it: the edges are not held twice), else kept. ``n_sunk``: the edges handed to
    the sink."""

    cap: int  # evidence edges per chunk
    cap_ref: int = 1 << 14  # refusals per chunk
    ev: dict = field(default_factory=dict)
    ref: dict = field(default_factory=dict)
    chunks_ev: list = field(default_factory=list)
    chunks_ref: list = field(default_factory=list)

    def __post_init__(self):
        self.id_dtype = np.dtype(self.id_dtype)
        self.allocate()

    id_dtype: np.dtype = np.dtype(np.int64)  # of the address ids a and b
    sink: Callable[[dict], None] | None = None
    n_sunk: int = 0

    def allocate(self) -> None:
        c, r, d = self.cap, self.cap_ref, self.id_dtype
        self.ev = {"tx": np.empty(c, np.int64), "a": np.empty(c, d), "b": np.empty(c, d),
                   "kind": np.empty(c, np.uint8), "support": np.empty(c, np.uint16)}
        self.ref = {"tx": np.empty(r, np.int64), "a": np.empty(r, d), "b": np.empty(r, d),
                    "kind": np.empty(r, np.uint8), "reason": np.empty(r, np.uint8)}

    def flush(self, cur: np.ndarray) -> None:
        n = int(cur[U.C_NEV])
        if n:
            chunk = {k: v[:n].copy() for k, v in self.ev.items()}
            if self.sink is not None:
                self.sink(chunk)
                self.n_sunk += n
            else:
                self.chunks_ev.append(chunk)
        m = int(cur[U.C_NREF])
        if m:
            self.chunks_ref.append({k: v[:m].copy() for k, v in self.ref.items()})
        cur[U.C_NEV] = 0
        cur[U.C_NREF] = 0

    def result(self, which: str) -> dict[str, np.ndarray]:
        """All records of one kind ("ev" or "ref") in order (no evidence edges when they went to
        the sink); the chunks are joined into one (which then replaces them: the records are not
        held twice)."""
        chunks = self.chunks_ev if which == "ev" else self.chunks_ref
        keys = ("tx", "a", "b", "kind", "support") if which == "ev" else ("tx", "a", "b", "kind", "reason")
        if not chunks:
            proto = self.ev if which == "ev" else self.ref
            return {k: np.zeros(0, proto[k].dtype) for k in keys}
        if len(chunks) > 1:
            chunks[:] = [{k: np.concatenate([c[k] for c in chunks]) for k in keys}]
        return dict(chunks[0])


@dataclass
class UFState:
    """The union-find and its guard state."""

    parent: np.ndarray
    size: np.ndarray
    svc: np.ndarray  # int32 per address, or empty (no anchors)
    cl_head: np.ndarray  # per address, or empty (no cannot-link)
    cl_tail: np.ndarray
    cl_count: np.ndarray
    cl_next: np.ndarray  # per entry (capacity >= used)
    cl_other: np.ndarray
    cl_used: int

    def copy(self) -> UFState:
        return UFState(self.parent.copy(), self.size.copy(), self.svc.copy(), self.cl_head.copy(),
                       self.cl_tail.copy(), self.cl_count.copy(), self.cl_next.copy(),
                       self.cl_other.copy(), self.cl_used)

    def grow_entries(self, need: int) -> None:
        cap = self.cl_other.shape[0]
        if need <= cap:
            return
        new = max(need, 2 * cap, 1024)
        self.cl_next = np.concatenate([self.cl_next, np.full(new - cap, -1, np.int64)])
        self.cl_other = np.concatenate([self.cl_other, np.full(new - cap, -1, np.int64)])


def _flags(p: ClusterParams) -> int:
    f = U.F_MI_GUARD if p.guard_tags else 0
    if p.cannot_link:
        f |= U.F_CANNOT_LINK
    if p.guard_other_output:
        f |= U.F_OTHER_OUTPUT
    if p.cannot_link and p.cannot_link_multi_input:
        f |= U.F_CL_MULTI_INPUT
    return f


def _index_id(arrays: ChainArrays) -> str:
    """Identifies one build of the analysis arrays (a reorg rebuilds them under new names)."""
    return arrays.entry["arrays"]["tx_hash"]["file"]


def _can_continue(old: dict | None, params: ClusterParams, anchors: Anchors, arrays: ChainArrays) -> bool:
    if not old or old.get("state_version") != STATE_VERSION:
        return False
    if old.get("params") != params.to_dict() or old.get("tags") != anchors.fingerprint:
        return False
    if old.get("index_id") != _index_id(arrays):
        return False
    c = arrays.counts
    if np.dtype(old["state"]["parent"]["dtype"]) != R.id_dtype(c["addresses"] + 1):
        return False  # the ids outgrew int32: everything is rewritten as int64
    return all(c[k] >= old["counts"][k] for k in ("txs", "outputs", "inputs", "addresses"))


def _init_state(old: dict | None, root, n_addr: int, anchors: Anchors, params: ClusterParams) -> UFState:
    idt = R.id_dtype(n_addr + 1)
    n0 = 0
    if old:
        st = old["state"]
        parent = R.load_array(root, st["parent"])
        size = R.load_array(root, st["size"])
        n0 = parent.shape[0]
        svc = R.load_array(root, st["svc"]) if "svc" in st else np.zeros(0, np.int32)
        if params.cannot_link:
            cl = [R.load_array(root, st[k]) for k in ("cl_head", "cl_tail", "cl_count", "cl_next", "cl_other")]
            used = int(old["cl_used"])
        else:
            cl = [np.zeros(0, np.int64) for _ in range(5)]
            used = 0
    else:
        parent = np.zeros(0, idt)
        size = np.zeros(0, np.int32)
        svc = np.zeros(0, np.int32)
        cl = [np.zeros(0, np.int64) for _ in range(5)]
        used = 0
    new = n_addr - n0
    if n0:
        parent = np.concatenate([parent.astype(idt), np.arange(n0, n_addr, dtype=idt)])
        size = np.concatenate([size.astype(np.int32), np.ones(new, np.int32)])
    else:  # a full build: no copy of a second array as large
        parent = np.arange(n_addr, dtype=idt)
        size = np.ones(n_addr, np.int32)
    if anchors.address_id.size or svc.size:
        if svc.size < n0:
            svc = np.full(n0, -1, np.int32)
        svc = np.concatenate([svc, service_array(anchors, n_addr, n0)])
    if params.cannot_link:
        cl[0] = np.concatenate([cl[0], np.full(new, -1, np.int64)])
        cl[1] = np.concatenate([cl[1], np.full(new, -1, np.int64)])
        cl[2] = np.concatenate([cl[2], np.zeros(new, np.int64)])
    return UFState(parent, size, svc, cl[0], cl[1], cl[2], cl[3], cl[4], used)


def _run_pass(state: UFState, arrays, in_addr: np.ndarray, skip, events: dict, start: int, end: int,
              flags: int, buffers: Buffers) -> None:
    """The sequential pass from tx `start` to `end`, growing buffers as needed."""
    a = arrays
    cur = np.zeros(U.N_CURSOR, np.int64)
    cur[U.C_POS] = start
    cur[U.C_NCL] = state.cl_used
    n_ev = events["tx"].shape[0]
    if flags & U.F_CANNOT_LINK:
        # room for two entries per output of every event's transaction
        need = int(2 * np.asarray(a.tx_n_out)[events["tx"]].astype(np.int64).sum()) if n_ev else 0
        state.grow_entries(state.cl_used + need)
    U.encode_roots(state.parent, state.size)  # the pass reads a root's size from its parent entry
    try:
        while True:
            done = U.cluster_pass(end, n_ev, skip, events["tx"], events["due"], events["out"],
                                  events["support"], a.tx_first_in, a.tx_n_in, a.tx_first_out, a.tx_n_out,
                                  0, in_addr, a.out_address, state.parent, state.size, state.svc,
                                  state.cl_head, state.cl_tail, state.cl_count, state.cl_next,
                                  state.cl_other, flags, cur, buffers.ev["tx"], buffers.ev["a"],
                                  buffers.ev["b"], buffers.ev["kind"], buffers.ev["support"],
                                  buffers.ref["tx"], buffers.ref["a"], buffers.ref["b"],
                                  buffers.ref["kind"], buffers.ref["reason"])
            buffers.flush(cur)
            if done:
                break
            u = int(cur[U.C_POS])
            if u < end and int(a.tx_n_in[u]) > min(buffers.cap, buffers.cap_ref):  # one huge tx
                buffers.cap = max(buffers.cap, int(a.tx_n_in[u]))
                buffers.cap_ref = max(buffers.cap_ref, int(a.tx_n_in[u]))
                buffers.allocate()
    finally:
        U.decode_roots(state.parent, state.size)
    state.cl_used = int(cur[U.C_NCL])


def union_passes(arrays: ChainArrays, facts: InputFacts, codes: np.ndarray, settled_ev: dict,
                 provisional_ev: dict, params: ClusterParams, anchors: Anchors, prev: dict | None = None,
                 root=None, tx0: int = 0, phase=None, sink=None) -> tuple[UFState, UFState, Buffers, Buffers]:
    """The settled pass (multi-input links of txs from tx0 on, and the change links that became
    final) and, on a copy, the provisional change links of the last `horizon` blocks: the two
    union-find states and the evidence and refusals each recorded (the settled evidence also
    handed to `sink` chunk by chunk, as the pass makes it)."""
    t = time.perf_counter()
    n_tx, n_addr = arrays.counts["txs"], arrays.counts["addresses"]
    skip = (np.asarray(arrays.tx_flags) & FLAG_COINBASE) != 0
    if params.coinjoin_filter:
        skip |= codes != 0
    state = _init_state(prev, root, n_addr, anchors, params)
    flags = _flags(params)
    idt = R.id_dtype(n_addr + 1)
    # chunks of at most 1 M edges: the sink writes all but the last while the pass still runs
    settled_buf = Buffers(max(1 << 16, min(n_addr + 1024, 1 << 20)), id_dtype=idt, sink=sink)
    _run_pass(state, arrays, facts.addr, skip, settled_ev, tx0, n_tx, flags, settled_buf)
    if phase:
        t = phase("union-find", t)
    prov = state.copy()
    prov_ev = dict(provisional_ev)
    prov_ev["due"] = np.full(prov_ev["tx"].shape[0], n_tx, np.int64)
    prov_buf = Buffers(max(1024, prov_ev["tx"].shape[0] + 1024), id_dtype=idt)
    _run_pass(prov, arrays, facts.addr, skip, prov_ev, n_tx, n_tx, flags, prov_buf)
    if phase:
        phase("provisional", t)
    return state, prov, settled_buf, prov_buf


def _events(change, t0: int, due: np.ndarray, upto: int | None = None) -> dict:
    """Change events of txs [t0, upto): tx, due index, change output, support mask."""
    c = change.change if upto is None else change.change[: max(upto - t0, 0)]
    idx = np.nonzero(c >= 0)[0]
    tx = (idx + t0).astype(np.int64)
    return {"tx": tx, "due": due[tx].astype(np.int64), "out": c[idx].astype(np.int64),
            "support": change.support[idx].astype(np.uint16)}


def _slice_events(ev: dict, lo: int, hi: int) -> dict:
    m = (ev["tx"] >= lo) & (ev["tx"] < hi)
    return {k: v[m] for k, v in ev.items()}


def build_clusters(store_path=None, params: ClusterParams | None = None, full: bool = False,
                   progress=None) -> dict:
    """Build or update the clustering of a store; returns the report recorded with it."""
    params = (params or ClusterParams()).normalised()
    t_begin = time.perf_counter()
    cpu_begin = time.process_time()
    phases: dict[str, float] = {}
    phases_cpu: dict[str, float] = {}
    cpu_mark = [cpu_begin]

    def phase(name: str, t0: float) -> float:
        t1 = time.perf_counter()
        c1 = time.process_time()
        phases[name] = round(phases.get(name, 0.0) + t1 - t0, 4)
        phases_cpu[name] = round(phases_cpu.get(name, 0.0) + c1 - cpu_mark[0], 4)
        cpu_mark[0] = c1
        if progress:
            progress(name)
        return t1

    store = Store.open_writer(store_path)
    try:
        m = store.manifest
        arrays = ChainArrays.open(store.root, m)
        if arrays is None or not arrays.current(m):
            raise StoreError(f"{store.root}: the analysis arrays are missing or behind the store: "
                             "run `chaintrail index` first")
        n_tx, n_addr = arrays.counts["txs"], arrays.counts["addresses"]
        node = parse(params.change)
        t = time.perf_counter()
        anchors = load_anchors(store, arrays, params.min_tag_confidence) if params.guard_tags \
            else Anchors.empty()
        t = phase("anchors", t)
        old = R.entry_of(m)
        incremental = (not full) and _can_continue(old, params, anchors, arrays)
        prev = old if incremental else None
        root = store.root

        # what every input spends, then the CoinJoin verdicts of the new transactions
        # (the change-link schedule, one sequential pass, is made beside them on a spare core)
        with ThreadPoolExecutor(max_workers=1) as pool:
            schedule_job = pool.submit(make_schedule, arrays.tx_height, params.horizon)
            facts = InputFacts.gather(arrays)
            t = phase("input facts", t)
            tx0 = prev["counts"]["txs"] if prev else 0
            previous_cj = (R.load_array(root, prev["state"]["cj_codes"]),
                           R.load_array(root, prev["state"]["cj_known"])) if prev else None
            codes, known = detect_coinjoins(arrays, m.network, tx0, previous_cj, facts)
            t = phase("coinjoin", t)
            sched = schedule_job.result()

        # which change links fall due, and the decisions of every not yet settled tx
        settled0 = prev["settled_upto"] if prev else 0
        elig = eligible(arrays, codes, settled0, n_tx, params.max_change_outputs)
        ctx = ChangeContext(arrays, elig, sched.due, facts)
        change = detect_change(ctx, node, settled0, n_tx)
        events = _events(change, settled0, sched.due)
        settled_ev = _slice_events(events, settled0, sched.settled_upto)
        provisional_ev = _slice_events(events, sched.settled_upto, n_tx)
        settled_upto, tip = sched.settled_upto, sched.tip
        # what only change detection needed (spenders, fingerprints, input values and types:
        # ~0.6 GB at 10 M txs) is dropped before the union-find and the outputs
        del ctx, change, events, elig, sched
        facts = InputFacts(facts.i0, facts.addr, facts.value[:0], facts.type[:0])
        # and so are the memory maps of the index read so far (their pages count in the resident
        # set: ~1 GB at 10 M txs of arrays the rest never reads); what the rest reads is mapped again
        arrays = ChainArrays.open(store.root, m)
        t = phase("change", t)

        # the settled evidence is written while the (sequential) pass goes on
        stream = EvidenceStream(root, prev.get("evidence") if prev else None,
                                need_segment=not (prev and prev.get("evidence_files")))
        state, prov, settled_buf, prov_buf = union_passes(arrays, facts, codes, settled_ev, provisional_ev,
                                                          params, anchors, prev, root, tx0, phase,
                                                          sink=stream.put)
        t = time.perf_counter()

        entry = write_outputs(store, arrays, facts, prev, params, anchors, state, prov, codes, known,
                              settled_buf, prov_buf, phase, stream)
        entry.update({
            "state_version": STATE_VERSION, "params": params.to_dict(), "tags": anchors.fingerprint,
            "index_id": _index_id(arrays), "network": m.network,
            "counts": {k: arrays.counts[k] for k in ("txs", "outputs", "inputs", "addresses", "blocks")},
            "settled_upto": settled_upto, "highest_height": tip,
            "tip": {"height": m.tip_height, "hash": m.tip_hash},
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "incremental": incremental,
            "tx_processed_from": tx0,
        })
        entry["report"].update({
            "incremental": incremental, "txs": n_tx, "new_txs": n_tx - tx0, "addresses": n_addr,
            "change_links_settled": int(settled_ev["tx"].shape[0]),
            "change_links_provisional": int(provisional_ev["tx"].shape[0]),
            "anchors": int(anchors.address_id.size), "anchor_services": len(anchors.names),
            "seconds": round(time.perf_counter() - t_begin, 3), "phases_s": phases, "phases_cpu_s": phases_cpu,
            "cpu_seconds": round(time.process_time() - cpu_begin, 3),
        })
        entry["files"] = R.entry_files(entry)
        store.commit_extra(R.ROOM, entry)
        if "attribution" in store.manifest.extra:  # screening's snapshot covers whole clusters
            from chaintrail.attribution.screen_snapshot import refresh_snapshot

            refresh_snapshot(store.root)
        return {"store": str(store.root), "params": params.to_dict(), **entry["report"],
                "tip": entry["tip"], "seconds": round(time.perf_counter() - t_begin, 3)}
    finally:
        store.close()
