"""Writing a clustering into the store's ``clusters`` room: the saved
union-find state, the evidence and refusals, the cluster of every address,
the per-cluster figures, the members lookup, the CoinJoin verdicts, and the
SQL views over them. Files are written by background
threads while the next figures are computed."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa

from chaintrail.cluster import room as R
from chaintrail.cluster import unionfind_kernels as U
from chaintrail.cluster.summary_kernels import (
    S_BALANCE,
    S_FIRST,
    S_LAST,
    S_RECEIVED,
    S_TXS,
    cluster_refs,
    cluster_stats,
    members_csr,
    stats_table,
)
from chaintrail.heuristics.codes import (
    EVIDENCE_NAMES,
    HEURISTIC_NAMES,
    PROTOCOL_NAMES,
    REFUSE_NAMES,
)

EV_KEYS = ("tx", "a", "b", "kind", "support")
REF_KEYS = ("tx", "a", "b", "kind", "reason")


def evidence_table(ev: dict, provisional: bool) -> pa.Table:
    """Evidence edges as stored for the ``cluster_evidence`` view (codes; the view names them)."""
    n = ev["tx"].shape[0]
    return pa.table({
        "tx_id": ev["tx"], "address_id_a": ev["a"].astype(np.int64), "address_id_b": ev["b"].astype(np.int64),
        "heuristic_code": ev["kind"], "change_mask": ev["support"],
        "provisional": pa.array(np.full(n, provisional)),
    })


def refusal_table(ref: dict, provisional: bool) -> pa.Table:
    """Refused merges as stored for the ``cluster_refusals`` view."""
    n = ref["tx"].shape[0]
    return pa.table({
        "tx_id": ref["tx"], "address_id_a": ref["a"].astype(np.int64), "address_id_b": ref["b"].astype(np.int64),
        "heuristic_code": ref["kind"], "reason_code": ref["reason"],
        "provisional": pa.array(np.full(n, provisional)),
    })


def _names_sql(expr: str, names: dict[int, str]) -> str:
    """A SQL CASE naming the integer codes of expr."""
    whens = " ".join(f"WHEN {k} THEN '{v}'" for k, v in sorted(names.items()))
    return f"CASE {expr} {whens} END"


def _mask_sql(expr: str) -> str:
    """The change heuristics of a bit mask, comma-separated (NULL for none)."""
    parts = ", ".join(f"CASE WHEN ({expr} >> {k}) & 1 = 1 THEN '{n}' END"
                      for k, n in enumerate(HEURISTIC_NAMES))
    return f"nullif(concat_ws(',', {parts}), '')"


def _append_group(root, prev_group: dict | None, prefix: str, data: dict, keys) -> dict:
    return {k: R.append_array(root, prev_group.get(k) if prev_group else None, f"{prefix}-{k}", data[k])
            for k in keys}


class EvidenceStream:
    """Writes the settled evidence edges while the union-find pass is still running: every chunk
    the pass flushes (``build.Buffers``) is appended to the evidence arrays and to the build's
    evidence Parquet segment by one background thread, in order (the pass releases the GIL, so
    the writes use a core the sequential pass leaves idle)."""

    def __init__(self, root, prev_group: dict | None, need_segment: bool):
        self.root = root
        self._group = dict(prev_group) if prev_group else None
        self._prev = self._group
        self._need_segment = need_segment  # a segment even without new edges (the first build)
        self._tag = R.new_tag()
        self._parquet: R.ParquetStream | None = None
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._jobs: list = []
        self._chunks = 0

    def put(self, chunk: dict) -> None:
        """Queue one chunk of edges (arrays the caller no longer changes)."""
        self._chunks += 1
        self._jobs.append(self._pool.submit(self._write, chunk))

    def _write(self, chunk: dict) -> None:
        self._group = _append_group(self.root, self._group, "ev", chunk, EV_KEYS)
        table = evidence_table(chunk, False)
        if self._parquet is None:
            self._parquet = R.ParquetStream(self.root, "evidence", self._tag, table.schema)
        self._parquet.write(table)

    def finish(self, empty: dict) -> tuple[dict, str | None]:
        """Wait for the writes; returns the evidence arrays' specs and the new Parquet segment
        (None when there is none). empty: zero-length edge arrays of the right types."""
        try:
            for job in self._jobs:
                job.result()
        finally:
            self._pool.shutdown(wait=True)
        if not self._chunks:
            self._group = _append_group(self.root, self._prev, "ev", empty, EV_KEYS)
            if self._need_segment:
                return self._group, R.write_parquet(self.root, "evidence", self._tag, evidence_table(empty, False))
            return self._group, None
        return self._group, self._parquet.close()


def _members(w: R.Writer, dense: np.ndarray, n_cl: int, idt) -> np.ndarray:
    """The members CSR, handed to the writers; returns its start array."""
    start = np.empty(n_cl + 1, idt)
    members = np.empty(dense.shape[0], idt)
    members_csr(dense, n_cl, start, members)
    w.array("arr_member_start", "member-start", start)
    w.array("arr_members", "members", members)
    return start


#: the per-cluster figures kept as arrays (and columns of the clusters table): name -> column
STAT_COLUMNS = (("n_txs", S_TXS), ("balance", S_BALANCE), ("received", S_RECEIVED),
                ("first_height", S_FIRST), ("last_height", S_LAST))


def _figures(a, facts, dense: np.ndarray, n_cl: int, idt) -> dict[str, np.ndarray]:
    """The per-cluster figures, one contiguous int64 array each (``STAT_COLUMNS``): the arrays
    written and the columns of the clusters table (no second copy), the table of rows dropped."""
    out_k = np.empty(a.counts["outputs"], idt)
    in_k = np.empty(facts.addr.shape[0], idt)
    cluster_refs(dense, a.out_address, facts.addr, out_k, in_k)
    acc = stats_table(n_cl)
    cluster_stats(out_k, in_k, acc, a.tx_first_in, a.tx_n_in, a.tx_first_out, a.tx_n_out, a.tx_height,
                  a.out_value, a.out_spent_by)
    del out_k, in_k
    return {name: np.ascontiguousarray(acc[:, col]) for name, col in STAT_COLUMNS}


def write_outputs(store, arrays, facts, prev, params, anchors, state, prov, codes, known, settled_buf,
                  prov_buf, phase, stream: EvidenceStream | None = None) -> dict:
    """Write everything a clustering leaves in the store; returns the room's new entry. stream:
    the settled evidence already written during the pass (else it is written here)."""
    t = time.perf_counter()
    root = store.root
    tag = R.new_tag()
    n_addr = arrays.counts["addresses"]
    idt = R.id_dtype(n_addr + 1)
    w = R.Writer(root, tag)

    # the saved state (settled links only)
    w.array("st_parent", "parent", state.parent)
    w.array("st_size", "size", state.size)
    w.array("st_cj_codes", "cj-codes", codes)
    w.array("st_cj_known", "cj-known", known)
    if state.svc.size:
        w.array("st_svc", "svc", state.svc)
    if params.cannot_link:
        for k in ("cl_head", "cl_tail", "cl_count"):
            w.array(f"st_{k}", k.replace("_", "-"), getattr(state, k))
        w.array("st_cl_next", "cl-next", state.cl_next[: state.cl_used])
        w.array("st_cl_other", "cl-other", state.cl_other[: state.cl_used])

    # evidence and refusals: settled ones appended, provisional ones rewritten (the settled
    # evidence is empty here when the stream wrote it)
    sev, sref = settled_buf.result("ev"), settled_buf.result("ref")
    pev, pref = prov_buf.result("ev"), prov_buf.result("ref")
    prev_ev = prev.get("evidence") if prev else None
    prev_ref = prev.get("refusals") if prev else None
    if stream is None:
        w.call("evidence", _append_group, root, prev_ev, "ev", sev, EV_KEYS)
    w.call("refusals", _append_group, root, prev_ref, "ref", sref, REF_KEYS)
    for k in EV_KEYS:
        w.array(f"pv_ev_{k}", f"pev-{k}", pev[k])
    for k in REF_KEYS:
        w.array(f"pv_ref_{k}", f"pref-{k}", pref[k])
    segs = list(prev.get("evidence_files", [])) if prev else []
    if stream is None and (sev["tx"].shape[0] or not segs):
        w.parquet("evidence_segment", "evidence", lambda: evidence_table(sev, False))
    w.parquet("evidence_provisional_file", "evidence-provisional", lambda: evidence_table(pev, True))
    rsegs = list(prev.get("refusal_files", [])) if prev else []
    if sref["tx"].shape[0] or not rsegs:
        w.parquet("refusal_segment", "refusals", lambda: refusal_table(sref, False))
    w.parquet("refusals_provisional_file", "refusals-provisional", lambda: refusal_table(pref, True))
    flagged = np.nonzero(codes)[0]
    w.parquet("coinjoin_file", "coinjoin", lambda: pa.table({
        "tx_id": flagged.astype(np.int64),
        "protocol": pa.array(list(PROTOCOL_NAMES), pa.string()).take(pa.array(codes[flagged].astype(np.int64))),
        "inputs_known": known[flagged]}))
    t = phase("write state", t)

    # final clusters: the provisional union-find, numbered by smallest address
    parent = prov.parent  # a copy made for the provisional links: its paths may be compressed
    dense = np.empty(n_addr, idt)
    cmin = np.empty(n_addr, idt)
    croot = np.empty(n_addr, idt)
    n_cl = int(U.dense_clusters(parent, dense, cmin, croot))
    cluster_ids = cmin[:n_cl]
    w.array("arr_dense", "dense", dense)
    w.array("arr_cluster_ids", "cluster-ids", cluster_ids)
    w.parquet("address_cluster_file", "address-cluster", lambda: pa.table({
        "address_id": np.arange(n_addr, dtype=np.int64),
        "cluster_id": np.take(cluster_ids.astype(np.int64), dense)}))
    t = phase("number clusters", t)

    # the members of each cluster and the figures of each cluster: two independent one-thread
    # kernels run side by side (they release the GIL), the figures, the longer, on this thread;
    # each result goes to the writers when ready. (The evidence edges at each address are
    # found when `cluster why` asks: ``why.cluster_incidence``.)
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        members_job = pool.submit(_members, w, dense, n_cl, idt)
        stats = _figures(arrays, facts, dense, n_cl, idt)
        start = members_job.result()
        n_addrs = np.diff(start).astype(np.int64)
        label = pa.nulls(n_cl, pa.string())
        label_names: list[str] = []
        if prov.svc.size and anchors.names:
            code = prov.svc[croot[:n_cl]]
            # -1: no service; -2: several (multi-input joined them with the guard off)
            label_names = anchors.names + ["(several services)"]
            names = pa.array(label_names + [None], pa.string())
            code = np.where(code >= 0, code, np.where(code == -2, len(anchors.names), len(anchors.names) + 1))
            label = names.take(pa.array(code.astype(np.int64)))
            w.array("arr_label_code", "label-code",
                    np.where(code < len(label_names), code, -1).astype(np.int32))
        w.parquet("clusters_file", "clusters", lambda: pa.table({
            "cluster_id": cluster_ids.astype(np.int64), "n_addresses": n_addrs, "n_txs": stats["n_txs"],
            "balance": stats["balance"], "total_received": stats["received"],
            "first_height": pa.array(stats["first_height"], mask=stats["first_height"] < 0),
            "last_height": pa.array(stats["last_height"], mask=stats["last_height"] < 0),
            "label": label}))
        # the figures again as arrays, so `cluster show` reads one cluster's without SQL
        for name, _ in STAT_COLUMNS:
            w.array(f"arr_stat_{name}", f"stat-{name}", stats[name])
    finally:
        pool.shutdown(wait=True)
    t = phase("cluster figures", t)
    done = w.results()
    if stream is not None:
        done["evidence"], segment = stream.finish(sev)
        if segment is not None:
            done["evidence_segment"] = segment
    evidence = done["evidence"]
    phase("write files", t)

    entry: dict = {
        "state": {k[3:]: v for k, v in done.items() if k.startswith("st_")},
        "cl_used": state.cl_used,
        "evidence": evidence,
        "refusals": done["refusals"],
        "provisional": {k[3:]: v for k, v in done.items() if k.startswith("pv_")},
        "arrays": {k[4:]: v for k, v in done.items() if k.startswith("arr_")},
        "evidence_files": segs + ([done["evidence_segment"]] if "evidence_segment" in done else []),
        "evidence_provisional_file": done["evidence_provisional_file"],
        "refusal_files": rsegs + ([done["refusal_segment"]] if "refusal_segment" in done else []),
        "refusals_provisional_file": done["refusals_provisional_file"],
        "coinjoin_file": done["coinjoin_file"],
        "address_cluster_file": done["address_cluster_file"],
        "clusters_file": done["clusters_file"],
        "label_names": label_names,
    }
    n_ev = ((prev_ev["a"]["length"] if prev_ev else 0) + settled_buf.n_sunk + sev["a"].shape[0]
            + pev["a"].shape[0])
    big = int(np.argmax(n_addrs)) if n_cl else -1
    entry["report"] = {
        "clusters": n_cl,
        "singletons": int((n_addrs == 1).sum()),
        "largest_cluster": {"cluster_id": int(cluster_ids[big]), "n_addresses": int(n_addrs[big])}
        if big >= 0 else None,
        "merges": int(n_ev),
        "merges_provisional": int(pev["tx"].shape[0]),
        "refused": int(entry["refusals"]["tx"]["length"] + pref["tx"].shape[0]),
        "coinjoins": {name: int((codes == c).sum()) for c, name in enumerate(PROTOCOL_NAMES) if name},
    }
    entry["views"] = views(entry)
    return entry


def _files_sql(files: list[str]) -> str:
    return "read_parquet([" + ", ".join("'{root}/" + f.replace("'", "''") + "'" for f in files) + "])"


def views(entry: dict) -> dict[str, str]:
    """The room's SQL views ({root} stands for the store directory)."""
    ev = _files_sql(entry["evidence_files"] + [entry["evidence_provisional_file"]])
    ref = _files_sql(entry["refusal_files"] + [entry["refusals_provisional_file"]])
    return {
        "clusters": f"SELECT * FROM {_files_sql([entry['clusters_file']])}",
        "cluster_evidence": f"""SELECT tx_id, address_id_a, address_id_b,
            {_names_sql('heuristic_code', EVIDENCE_NAMES)} AS heuristic,
            {_mask_sql('change_mask')} AS change_heuristics, provisional FROM {ev}""",
        "cluster_refusals": f"""SELECT tx_id, address_id_a, address_id_b,
            {_names_sql('heuristic_code', EVIDENCE_NAMES)} AS heuristic,
            {_names_sql('reason_code', REFUSE_NAMES)} AS reason, provisional FROM {ref}""",
        "coinjoins": f"SELECT * FROM {_files_sql([entry['coinjoin_file']])}",
    }
