"""Multi-input clustering of GraphSense's test chain equals GraphSense's
reference clustering, with and without its CoinJoin filter (its test data,
../shared/data/clustering/graphsense-transformation)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from chaintrail.bitcoin.script_types import P2PKH, P2SH
from chaintrail.cluster import unionfind_kernels as U
from chaintrail.heuristics.array_chain import ArrayChain, TxSpec
from chaintrail.heuristics.coinjoin import detect_coinjoins
from chaintrail.heuristics.input_facts import InputFacts

from conftest import DATA

GS = DATA / "clustering" / "graphsense-transformation"
pytestmark = pytest.mark.skipif(not GS.exists(), reason="GraphSense test data not available")


def _lines(path):
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def graphsense_chain():
    """The test chain as arrays: address ids are GraphSense's minus one; a multisig output (an
    address list) has no address; inputs spend the unspent output of the same address (and
    value, where the data agrees with itself)."""
    ids = {r["address"]: r["addressId"] - 1 for r in _lines(GS / "reference" / "address_ids.json")
           if r["address"] != "coinbase"}
    txs = sorted(_lines(GS / "test_txs.json"), key=lambda t: t["txId"])
    specs: list[TxSpec] = []
    unspent: dict[tuple[str, int], list[tuple[int, int]]] = {}
    flags = []
    for t in txs:
        ins = []
        for i in t["inputs"]:
            key = ("+".join(i["address"]), i["value"])
            if not unspent.get(key):  # the data's multisig output and its spend disagree on value
                key = next(k for k, v in unspent.items() if k[0] == key[0] and v)
            ins.append(unspent[key].pop(0))
        outs = []
        for k, o in enumerate(t["outputs"]):
            single = len(o["address"]) == 1
            a = ids[o["address"][0]] if single else -1
            outs.append((o["value"], (P2SH if o["address"][0].startswith("3") else P2PKH) if single else 7, a))
            unspent.setdefault(("+".join(o["address"]), o["value"]), []).append((len(specs), k))
        specs.append(TxSpec(ins, outs, t["blockId"]))
        flags.append(bool(t["coinjoin"]))
    return ArrayChain(specs), np.array(flags), len(ids)


def reference(name: str, n_addr: int) -> set[frozenset]:
    groups: dict[int, set] = {}
    for r in _lines(GS / "reference" / name):
        if r["addressId"] >= 1:
            groups.setdefault(r["clusterId"], set()).add(r["addressId"] - 1)
    return {frozenset(g) for g in groups.values()}


def ours(chain: ArrayChain, skip: np.ndarray, n_addr: int) -> set[frozenset]:
    parent = np.arange(n_addr, dtype=np.int64)
    facts = InputFacts.gather(chain)
    U.multi_input_only(skip, chain.tx_first_in, chain.tx_n_in, facts.addr, parent, np.ones(n_addr, np.int64))
    roots = np.empty(n_addr, np.int64)
    U.all_roots(parent, roots)
    groups: dict[int, set] = {}
    for x, r in enumerate(roots):
        groups.setdefault(int(r), set()).add(x)
    return {frozenset(g) for g in groups.values()}


def test_matches_graphsense_with_and_without_its_coinjoin_filter():
    chain, gs_coinjoin, n_addr = graphsense_chain()
    coinbase = (chain.tx_flags & 1) != 0
    assert ours(chain, coinbase | gs_coinjoin, n_addr) == reference("address_cluster.json", n_addr)
    assert ours(chain, coinbase, n_addr) == reference("address_cluster_with_coinjoin.json", n_addr)


def test_our_coinjoin_rules_disagree_with_graphsense_on_its_toy_join():
    """GraphSense marks tx 5 a CoinJoin; it has no two outputs of equal value, which every rule
    of methods.md section 2 asks for, so chaintrail does not."""
    chain, gs_coinjoin, _ = graphsense_chain()
    codes, _ = detect_coinjoins(chain, "mainnet", coordinators=np.zeros(0, np.int64))
    assert gs_coinjoin.sum() == 1 and codes.sum() == 0
