"""Taint propagation over a simulated economy: the numba kernel against its
plain-Python twin, exact conservation, hop counts that are path lengths,
stop rules, the work budget, starting points, and the exports."""

from __future__ import annotations

import csv
import io
import json
import random

import networkx as nx
import numpy as np
import pytest

import chaintrail as ct
from chaintrail.trace import api
from chaintrail.trace import flow_kernels as FK
from chaintrail.trace import flow_reference as FR
from chaintrail.trace.engine import chain_arrays
from chaintrail.trace.entities import EntityResolver
from chaintrail.trace.policies import POLICY_NAMES, TraceError
from chaintrail.trace.records import Raw, terminal_records

ARRAYS = ("tx_first_in", "tx_n_in", "tx_first_out", "tx_n_out", "tx_flags", "tx_fee", "out_tx",
          "out_value", "out_address", "out_spent_by", "in_tx", "in_spent")


@pytest.fixture(scope="module")
def donation(eco):
    import pyarrow.parquet as pq

    return pq.read_table(eco["truth"] / "donations.parquet")["donation_address"][0].as_py()


def _spent_outputs(eco_chain) -> np.ndarray:
    a = eco_chain._arrays
    cb = (np.asarray(a.tx_flags)[np.asarray(a.out_tx)] & 1) != 0
    return np.nonzero(~cb & (np.asarray(a.out_value) > 0))[0]


def test_kernel_matches_reference(eco_chain):
    """Every slot, piece and edge identical, for every policy, both directions, random options."""
    a = eco_chain._arrays
    res = EntityResolver.from_chain(eco_chain)
    ref_arrays = FR.Arrays(*[np.asarray(getattr(a, n)).tolist() for n in ARRAYS])
    codes = np.asarray(res.codes(np.arange(a.counts["addresses"])))
    addr = np.asarray(a.out_address)

    def entity_of(o):
        return int(codes[addr[o]]) if addr[o] >= 0 else -1

    pool = _spent_outputs(eco_chain)
    rng = random.Random(7)
    for trial in range(60):
        d, p = trial % 2, (trial // 2) % 5
        starts = np.array(sorted({int(pool[rng.randrange(pool.size)]) for _ in range(rng.choice([1, 3]))}),
                          np.int64)
        hops = rng.choice([2, 4, 6])
        min_value = rng.choice([0, 0, 20_000])
        budget = rng.choice([1_000_000, 5_000])
        rules = rng.choice([(), ("any",), ("exchange",), ("custodial",)])
        mask = res.stop_mask(rules)
        raw = Raw.of(FK.propagate(d, p, starts, hops, min_value, budget, *chain_arrays(eco_chain),
                                  *res.kernel_args(), mask), d)
        slots, edges, work, exhausted, n_txs = FR.propagate(
            d, p, starts.tolist(), hops, min_value, budget, ref_arrays, entity_of,
            {k for k in range(len(res)) if mask[k]})
        got = {}
        for k in range(raw.output.size):
            f, n = int(raw.piece_first[k]), int(raw.piece_count[k])
            pieces = list(zip(raw.piece_start[f:f + n].tolist(), raw.piece_len[f:f + n].tolist(),
                              raw.piece_hop[f:f + n].tolist()))
            got[int(raw.output[k])] = (int(raw.amount[k]), int(raw.returned[k]), int(raw.hop[k]),
                                       int(raw.fate[k]), int(raw.limited[k]), int(raw.entity[k]), pieces)
        want = {o: (s.amount, s.returned, s.hop, s.fate, s.limited, s.entity, s.pieces)
                for o, s in slots.items()}
        assert got == want, (trial, POLICY_NAMES[p], d)
        assert list(zip(raw.e_src.tolist(), raw.e_dst.tolist(), raw.e_tx.tolist(),
                        raw.e_amount.tolist(), raw.e_hop.tolist())) == edges
        assert (raw.work, raw.exhausted, raw.n_txs) == (work, exhausted, n_txs)
        if p != 0:  # every policy but poison conserves, to the satoshi
            rec = terminal_records(raw, hops)
            assert int(rec["amount"].sum()) == int(raw.amount[raw.start].sum())


@pytest.mark.parametrize("policy", POLICY_NAMES)
@pytest.mark.parametrize("direction", ["backward", "forward"])
def test_hops_are_path_lengths(eco_chain, donation, policy, direction):
    res = api.trace(eco_chain, donation, direction, policy, max_hops=5)
    e = res.edges_raw
    rec = res.terminal_records()
    assert rec["hop"].max() <= 5 and e["hop"].min() >= 1
    start = set(res.start.outputs.tolist())
    near = e["dst"] if direction == "backward" else e["src"]  # the end nearer the start
    far = e["src"] if direction == "backward" else e["dst"]
    first = e["hop"] == 1
    assert set(near[first].tolist()) <= start
    # an edge at hop h leaves an output that the flow reached at hop h - 1
    reached = set(zip(far.tolist(), e["hop"].tolist()))
    for n, h in zip(near[~first].tolist(), e["hop"][~first].tolist()):
        assert (n, h - 1) in reached
    if policy != "poison":
        assert res.conserved
    kinds = {t["kind"] for t in res.terminals()}
    assert kinds <= {"unspent", "entity", "below_min_value", "hop_limit", "budget", "unknown_inputs",
                     "coinbase", "returned", "fee"}


def test_stop_at_ends_the_flow(eco_chain, donation):
    res = api.trace(eco_chain, donation, "backward", "haircut", max_hops=6, stop_at="exchange")
    stops = [t for t in res.terminals() if t["kind"] == "entity"]
    assert stops and all(t["category"] == "exchange" for t in stops)
    stopped = set(res.terminal_records()["output"][res.terminal_records()["kind"] == FK.F_STOP].tolist())
    # nothing flows on from a stopped output (backward: it is never a demanded destination)
    assert not stopped & set(res.edges_raw["dst"].tolist())
    nothing = api.trace(eco_chain, donation, "backward", "haircut", max_hops=6)
    assert not [t for t in nothing.terminals() if t["kind"] == "entity"]
    with pytest.raises(TraceError):
        api.trace(eco_chain, donation, stop_at="exchnage")


def test_budget_stops_and_says_so(eco_chain):
    """A trace into a busy exchange hot wallet stops at the budget, flags it, still conserves."""
    a = eco_chain._arrays
    busiest = int(np.argmax(np.diff(np.asarray(a.ao_start))))
    ref = a.address_text(busiest)
    res = api.trace(eco_chain, ref, "backward", "haircut", max_hops=50, budget=3_000)
    assert res.budget_exhausted and res.work <= 3_000 + 50_000
    assert any(t["kind"] == "budget" for t in res.terminals())
    assert res.conserved
    full = api.trace(eco_chain, ref, "backward", "haircut", max_hops=2)
    assert not full.budget_exhausted


def test_min_value_floor(eco_chain, donation):
    res = api.trace(eco_chain, donation, "backward", "haircut", max_hops=6, min_value=50_000)
    rec = res.terminal_records()
    floors = rec["kind"] == FK.F_FLOOR
    assert floors.any() and res.conserved
    s = res.slots
    assert (s["amount"][(~s["start"]) & (s["fate"] == FK.F_CONSUMED)] >= 50_000).all()


def test_start_forms(eco_chain, eco):
    a = eco_chain._arrays
    t = int(np.nonzero(np.asarray(a.tx_n_out) >= 3)[0][-1])
    txid = bytes(a.tx_hash[t]).hex()
    first = int(a.tx_first_out[t])
    r = api.trace(eco_chain, f"{txid}:1", "forward", "fifo", max_hops=2)
    assert r.start.outputs.tolist() == [first + 1] and r.start.kind == "output"
    r = api.trace(eco_chain, txid, "forward", "fifo", max_hops=2)
    assert r.start.outputs.tolist() == list(range(first, first + int(a.tx_n_out[t])))
    aid = int(a.out_address[first])
    r = api.trace(eco_chain, a.address_text(aid), max_hops=1)
    assert set(r.start.outputs.tolist()) == set(eco_chain.address(a.address_text(aid)).output_ids.tolist())
    cid = int(eco_chain.sql("SELECT cluster_id FROM clusters ORDER BY n_addresses DESC LIMIT 1").fetchall()[0][0])
    r = api.trace(eco_chain, f"cluster:{cid}", max_hops=1, budget=10_000)
    members = eco_chain.sql("SELECT count(*) FROM addresses WHERE cluster_id = ?", params=[cid]).fetchall()[0][0]
    assert r.start.address_ids.size == members
    with pytest.raises(ct.errors.NotFoundError if hasattr(ct, "errors") else Exception):
        api.trace(eco_chain, f"{txid}:{int(a.tx_n_out[t])}")


def test_exports_round_trip(eco_chain, donation, tmp_path):
    res = api.trace(eco_chain, donation, "backward", "haircut", max_hops=2, stop_at="custodial",
                    level="address")
    data = json.loads(res.to_json())
    assert data["summary"]["conserved"] and data["summary"]["direction"] == "backward"
    assert sum(t["amount"] for t in data["terminals"]) == data["summary"]["injected"]
    edges = list(csv.DictReader(io.StringIO(res.to_csv())))
    assert len(edges) == len(data["edges"]) and {"source", "target", "amount", "hop"} <= set(edges[0])
    path = tmp_path / "flow.graphml"
    res.to_graphml(path)
    g = nx.read_graphml(path)
    assert g.number_of_edges() == len(data["edges"]) and g.number_of_nodes() == len(data["nodes"])
    assert sum(d["amount"] for _u, _v, d in g.edges(data=True)) == sum(e["amount"] for e in data["edges"])
    assert g.nodes[donation]["start"] is True
    frames = res.to_pandas()
    assert set(frames) == {"nodes", "edges", "terminals"} and len(frames["edges"]) == len(edges)
    gx = res.to_networkx("cluster")
    assert any(n.startswith("cluster:") for n in gx.nodes)
    # one hop back, the edges into the starting set explain all of its value but what was mined
    out = api.trace(eco_chain, donation, "backward", "fifo", max_hops=1)
    first = out.edges_raw["hop"] == 1
    rec = out.terminal_records()
    assert int(out.edges_raw["amount"][first].sum()) == out.injected - int(
        rec["amount"][rec["hop"] == 0].sum())
    assert (rec["hop"][rec["kind"] == 100] == 1).all()  # flows back into the start: 1 hop


def test_path_evidence(eco_chain, donation):
    res = api.trace(eco_chain, donation, "backward", "haircut", max_hops=4, stop_at="exchange")
    rec = res.terminal_records()
    sel = (rec["kind"] == FK.F_STOP) & (rec["hop"] >= 2)
    assert sel.any()
    far, hop = int(rec["output"][sel][0]), int(rec["hop"][sel][0])
    steps = res.path_to(far, hop)
    assert len(steps) == hop
    assert [s["hop"] for s in steps] == sorted((s["hop"] for s in steps), reverse=True)
    for x, y in zip(steps, steps[1:]):
        assert x["target"] == y["source"]  # a chain in money-flow order
    start = set(res.start.outputs.tolist())
    assert eco_chain.tx(steps[-1]["txid"]).tx_id in {int(eco_chain._arrays.out_tx[o]) for o in start}


def test_bare_store_is_unattributed(eco, donation):
    bare = ct.open(eco["bare"])
    res = api.trace(bare, donation, "backward", "haircut", max_hops=3, stop_at="any",
                    level="cluster")
    assert not [t for t in res.terminals() if t["kind"] == "entity"]
    assert all(k in ("output", "address", "fee") for k in res.node_table()["kind"])
    assert res.conserved


def test_resolver_cache_round_trip(eco):
    """A second process (here: a second Chain) loads the resolver from disk, identical."""
    from chaintrail.trace import resolver_cache

    first = EntityResolver.from_chain(ct.open(eco["store"]))
    c2 = ct.open(eco["store"])
    loaded = resolver_cache.load(c2, 0)
    assert loaded is not None
    built = EntityResolver._build(c2, 0)
    for x in (loaded, first):
        assert np.array_equal(x.addr_keys, built.addr_keys) and np.array_equal(x.cl_keys, built.cl_keys)
        assert np.array_equal(x.cl_codes, built.cl_codes)
        assert [e.to_dict() for e in x.entities] == [e.to_dict() for e in built.entities]
    probe = np.arange(c2._arrays.counts["addresses"])
    assert np.array_equal(loaded.codes(probe), built.codes(probe))


def test_engines_agree(eco_chain, donation):
    """The plain-Python engine (small traces of a fresh process) and the kernel give the same
    result, budgets included; engine "auto" hands a trace that outgrows PY_WORK to the kernel."""
    from chaintrail.trace.engine import PY_WORK, run_trace
    from chaintrail.trace.start import Start, resolve_start

    pool = _spent_outputs(eco_chain)
    rng = random.Random(11)
    cases = [(Start("x", "outputs", np.array([int(pool[rng.randrange(pool.size)])], np.int64)),
              rng.choice([3, 6]), rng.choice([PY_WORK, 100_000])) for _ in range(12)]
    cases.append((resolve_start(eco_chain, donation), 2, 3_000))  # a big start that runs out of budget
    for k, (st, hops, budget) in enumerate(cases):
        d, p = ("backward", "forward")[k % 2], POLICY_NAMES[k % 5]
        stop = (None, "exchange", "any")[k % 3]
        got = [run_trace(eco_chain, st, d, p, hops, 0, budget, stop, "address", engine=e).to_dict()
               for e in ("python", "kernel")]
        for g in got:
            g["summary"].pop("elapsed_s")
        assert [g["summary"].pop("engine") for g in got] == ["python", "kernel"]
        assert got[0] == got[1], (k, d, p, stop)
    assert got[0]["summary"]["budget_exhausted"]
    big = run_trace(eco_chain, resolve_start(eco_chain, donation), "backward", "haircut", 4, 0, 1_000_000)
    assert big.params["engine"] == "kernel" and not big.budget_exhausted and big.work > PY_WORK


def test_chain_trace_api(eco_chain, donation):
    """chain.trace(...) as the Python API documents it: tables, networkx, pandas, exposure."""
    res = eco_chain.trace(donation, direction="backward", policy="fifo", max_hops=3)
    assert res.policy == "fifo" and res.conserved
    g = res.to_networkx()
    assert g.number_of_edges() == len(res.edge_table()["amount"])
    frames = res.to_pandas()
    assert int(frames["terminals"]["amount"].sum()) == res.injected
    exp = res.exposure()
    want = eco_chain.exposure(donation, "incoming", max_hops=3, policy="fifo").incoming
    assert [f.to_dict() for f in exp.direct] == [f.to_dict() for f in want.direct]
    assert exp.external == want.external and exp.direct
    stopped = eco_chain.trace(donation, max_hops=3, stop_at="any", level="address")
    assert stopped.exposure().to_dict()["direct"] == want.to_dict()["direct"]
    audit = eco_chain.privacy_audit(donation, hops=2)
    assert audit.findings
