"""The simulated chain, checked with the pure-Python classes as oracle: every
block valid as chaintrail checks it, the ground truth consistent with the
blocks, and the structures the analysis methods need actually present."""

from __future__ import annotations

import collections
import hashlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from chaintrail.bitcoin import script_types as st
from chaintrail.bitcoin.address import script_to_address
from chaintrail.bitcoin.block import Block
from chaintrail.bitcoin.networks import REGTEST
from chaintrail.bitcoin.script import bip34_height, classify_script
from chaintrail.sim import simulate
from chaintrail.sim.actors import standard_denominations
from chaintrail.sim.blockfiles import read_blocks
from chaintrail.sim.codes import KIND_NAMES

N_TXS = 4000
SEED = 11


def _h160(b: bytes) -> bytes:
    return hashlib.new("ripemd160", hashlib.sha256(b).digest()).digest()


class Sim:
    def __init__(self, res):
        self.res = res
        self.raw = read_blocks(res.blocks_dir)
        self.blocks = [Block.from_bytes(b) for b in self.raw]
        t = res.truth_dir
        self.txs = pq.read_table(t / "txs.parquet").to_pylist()
        self.addresses = pq.read_table(t / "addresses.parquet").to_pylist()
        self.wallets = pq.read_table(t / "wallets.parquet").to_pylist()
        self.entities = pq.read_table(t / "entities.parquet").to_pylist()
        self.participants = pq.read_table(t / "coinjoin_participants.parquet").to_pylist()
        self.customers = pq.read_table(t / "customers.parquet").to_pylist()
        self.cust_addr = pq.read_table(t / "customer_addresses.parquet").to_pylist()
        self.donations = pq.read_table(t / "donations.parquet").to_pylist()
        self.sanctioned = pq.read_table(t / "sanctioned.parquet").to_pylist()
        self.blocks_truth = pq.read_table(t / "blocks.parquet").to_pylist()
        self.by_address = {a["address"]: a for a in self.addresses if a["address"]}
        self.by_spk = {a["script_pubkey"]: a for a in self.addresses if a["script_pubkey"]}
        self.truth_by_txid = {r["txid"]: r for r in self.txs}
        # every transaction with its height, and every output's (value, script)
        self.tx_list = [(h, i, tx) for h, b in enumerate(self.blocks) for i, tx in enumerate(b.txs)]
        self.outputs = {}
        for h, i, tx in self.tx_list:
            for j, o in enumerate(tx.outputs):
                self.outputs[(tx.txid_bytes(), j)] = o

    def owner(self, spk: bytes):
        a = script_to_address(spk, REGTEST)
        if a is not None:
            return self.by_address.get(a)
        return self.by_spk.get(spk.hex())

    def prevout(self, txin):
        return self.outputs[(txin.prev_txid, txin.prev_vout)]


@pytest.fixture(scope="module")
def sim(tmp_path_factory) -> Sim:
    out = tmp_path_factory.mktemp("sim") / "out"
    res = simulate(out, N_TXS, seed=SEED, profile="test")
    assert res.n_txs == N_TXS
    return Sim(res)


def test_blocks_are_valid(sim):
    assert sim.blocks[0].hash == REGTEST.genesis_hash
    prev = None
    last_time = 0
    for h, b in enumerate(sim.blocks):
        assert b.header.pow_ok(), h
        assert b.header.bits == 0x207FFFFF
        assert b.computed_merkle_root() == b.header.merkle_root, h
        assert b.serialize() == sim.raw[h]
        if h == 0:
            prev = b.header.hash_bytes()
            continue
        assert b.header.version == 0x20000000
        assert b.header.prev_hash == prev
        assert b.witness_commitment() is not None and b.witness_commitment_ok(), h
        assert bip34_height(b.txs[0].inputs[0].script_sig) == h
        assert len(b.txs[0].inputs[0].script_sig) <= 100
        assert b.weight <= 4_000_000
        assert b.header.time > last_time
        last_time = b.header.time
        prev = b.header.hash_bytes()
    assert sim.res.tip_hash == sim.blocks[-1].hash
    assert sum(len(b.txs) for b in sim.blocks) == N_TXS + 1


def test_truth_txids_match_blocks(sim):
    assert [tx.txid for _, _, tx in sim.tx_list] == [r["txid"] for r in sim.txs]
    for (h, i, tx), r in zip(sim.tx_list, sim.txs):
        assert (r["height"], r["block_pos"]) == (h, i)
        assert r["vsize"] == tx.vsize
        assert r["n_outputs"] == len(tx.outputs) and r["n_inputs"] == len(tx.inputs)
    heights = [b["height"] for b in sim.blocks_truth]
    assert heights == list(range(len(sim.blocks)))
    assert [b["hash"] for b in sim.blocks_truth] == [b.hash for b in sim.blocks]


def test_values_conserved_and_only_unspent_outputs_spent(sim):
    utxo = {}
    for h, b in enumerate(sim.blocks):
        fees = 0
        for i, tx in enumerate(b.txs):
            if i > 0:
                inval = 0
                for txin in tx.inputs:
                    key = (txin.prev_txid, txin.prev_vout)
                    assert key in utxo, f"block {h} tx {i} spends a missing or spent output"
                    value, height, coinbase = utxo.pop(key)
                    if coinbase:
                        assert height + 100 <= h, "immature coinbase spent"
                    inval += value
                fee = inval - sum(o.value for o in tx.outputs)
                assert fee >= tx.vsize, f"block {h} tx {i}: fee below 1 sat/vB"
                assert sim.truth_by_txid[tx.txid]["fee"] == fee
                fees += fee
            for j, o in enumerate(tx.outputs):
                t, _, _ = classify_script(o.script_pubkey)
                if t != st.OP_RETURN:
                    assert o.value >= 546 or i == 0
                    utxo[(tx.txid_bytes(), j)] = (o.value, h, i == 0)
        if h:
            subsidy = (50 * 100_000_000) >> (h // 150)
            assert sum(o.value for o in b.txs[0].outputs) == subsidy + fees


def test_script_types_and_op_returns(sim):
    counts = collections.Counter()
    for _, i, tx in sim.tx_list:
        for o in tx.outputs:
            counts[st.NAMES[classify_script(o.script_pubkey)[0]]] += 1
    for name in ("p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr", "multisig", "op_return"):
        assert counts[name] > 0, name
    assert counts["nonstandard"] == 0 and counts["witness_unknown"] == 0


def test_every_kind_appears(sim):
    kinds = collections.Counter(r["kind"] for r in sim.txs)
    for k in KIND_NAMES:
        assert kinds[k] > 0, k
    protos = collections.Counter(r["protocol"] for r in sim.txs if r["kind"] == "coinjoin")
    assert set(protos) == {"wasabi1", "wasabi2", "whirlpool", "joinmarket"}


def test_every_output_address_has_an_owner(sim):
    wallets = {w["wallet_id"]: w for w in sim.wallets}
    entities = {e["entity_id"]: e for e in sim.entities}
    n = 0
    for _, i, tx in sim.tx_list[1:]:
        for o in tx.outputs:
            t = classify_script(o.script_pubkey)[0]
            if t == st.OP_RETURN:
                continue
            a = sim.owner(o.script_pubkey)
            assert a is not None, o.script_pubkey.hex()
            assert wallets[a["wallet_id"]]["entity_id"] == a["entity_id"]
            assert a["entity_id"] in entities
            assert a["script_type"] == st.NAMES[t]
            n += 1
    assert n > 10_000
    # first use is the first time the address receives
    first = {}
    for h, _, tx in sim.tx_list[1:]:
        for o in tx.outputs:
            a = sim.owner(o.script_pubkey)
            if a is not None:
                first.setdefault(a["address_id"], h)
    assert all(first[a["address_id"]] == a["first_height"] for a in sim.addresses)


def test_change_outputs_go_back_to_the_sender(sim):
    wallets = {w["wallet_id"]: w for w in sim.wallets}
    checked = 0
    for _, i, tx in sim.tx_list:
        r = sim.truth_by_txid[tx.txid]
        if r["change_vout"] < 0:
            continue
        a = sim.owner(tx.outputs[r["change_vout"]].script_pubkey)
        assert a["entity_id"] == r["sender_entity_id"]
        if r["kind"] not in ("peel_step",):
            assert a["wallet_id"] == r["sender_wallet_id"] or \
                wallets[a["wallet_id"]]["entity_id"] == r["sender_entity_id"]
        # the sender owns every input of a single-sender transaction
        if r["kind"] not in ("payjoin", "coinjoin"):
            for txin in tx.inputs:
                owner = sim.owner(sim.prevout(txin).script_pubkey)
                assert owner["entity_id"] == r["sender_entity_id"]
        checked += 1
    assert checked > 1000


def _equal_values(tx):
    c = collections.Counter(o.value for o in tx.outputs)
    return c


def test_coinjoin_structures(sim):
    den = set(int(x) for x in standard_denominations())
    seen = collections.Counter()
    for _, _, tx in sim.tx_list:
        r = sim.truth_by_txid[tx.txid]
        if r["kind"] != "coinjoin":
            continue
        proto = r["protocol"]
        seen[proto] += 1
        outs = [o.value for o in tx.outputs]
        ins = [sim.prevout(t).value for t in tx.inputs]
        in_types = {classify_script(sim.prevout(t).script_pubkey)[0] for t in tx.inputs}
        c = _equal_values(tx)
        value, count = c.most_common(1)[0]
        assert count >= 2  # every rule needs a repeated output value
        if proto == "whirlpool":
            assert 5 <= len(ins) <= 10 and len(outs) == len(ins)
            assert len(set(outs)) == 1 and outs[0] in (100_000, 1_000_000, 5_000_000, 50_000_000)
            assert in_types == {st.P2WPKH}
            assert all(outs[0] <= v <= outs[0] + 110_000 for v in ins)
        elif proto == "wasabi1":
            assert count >= 10 and len(ins) >= count
            assert abs(value - 10_000_000) <= 2_000_000
            assert in_types == {st.P2WPKH}
            assert sum(1 for v, k in c.items() if k == 1) >= 2
        elif proto == "wasabi2":
            assert len(ins) >= 15 and in_types <= {st.P2WPKH, st.P2TR}
            assert ins == sorted(ins, reverse=True) and outs == sorted(outs, reverse=True)
            assert sum(1 for v in outs if v in den) > 0.8 * len(outs)
        elif proto == "joinmarket":
            repeated = [v for v, k in c.items() if k > 1]
            assert repeated == [value]
            n = count
            assert len(outs) - n in (n, n - 1)
            assert len({o.script_pubkey for o in tx.outputs}) >= n
            in_scripts = {sim.prevout(t).script_pubkey for t in tx.inputs}
            assert len(in_scripts) >= n
            assert max(ins) <= value + max(v for v in outs if v != value) - 10_000
            # BlockSci's is_coinjoin shape as well
            k = -(-len(outs) // 2)
            assert len(ins) >= 2 and len(outs) >= 3 and k <= len(ins) and count == k
        parts = [p for p in sim.participants if p["txid"] == tx.txid]
        assert sum(p["input_value"] for p in parts) == sum(ins)
        assert sum(p["n_inputs"] for p in parts) == len(ins)
        assert sum(p["output_value"] for p in parts) == sum(outs)
    assert set(seen) == {"whirlpool", "wasabi1", "wasabi2", "joinmarket"}


def test_payjoins_look_like_payments(sim):
    n = 0
    for _, _, tx in sim.tx_list:
        r = sim.truth_by_txid[tx.txid]
        if r["kind"] != "payjoin":
            continue
        n += 1
        assert len(tx.outputs) == 2 and len(tx.inputs) >= 2
        assert tx.outputs[0].value != tx.outputs[1].value
        owners = {sim.owner(sim.prevout(t).script_pubkey)["entity_id"] for t in tx.inputs}
        assert len(owners) == 2  # the multi-input heuristic would merge two entities
        parts = {p["role"] for p in sim.participants if p["txid"] == tx.txid}
        assert parts == {"sender", "receiver"}
        assert len({t.sequence for t in tx.inputs}) == 1
    assert n > 10


def test_keys_and_signatures_have_the_right_shape(sim):
    n = collections.Counter()
    for _, i, tx in sim.tx_list[1:]:
        if i == 0:
            continue
        for txin in tx.inputs:
            spk = sim.prevout(txin).script_pubkey
            t, payload, _ = classify_script(spk)
            if t == st.P2PKH:
                sig = txin.script_sig[1:1 + txin.script_sig[0]]
                pk = txin.script_sig[-33:]
                assert _h160(pk) == payload and pk[0] in (2, 3)
            elif t == st.P2WPKH:
                sig, pk = txin.witness
                assert _h160(pk) == payload
            elif t == st.P2SH:
                sig, pk = txin.witness
                redeem = txin.script_sig[1:]
                assert redeem == b"\x00\x14" + _h160(pk) and _h160(redeem) == payload
            elif t == st.P2WSH:
                assert txin.witness[0] == b""
                ws = txin.witness[-1]
                assert hashlib.sha256(ws).digest() == payload and classify_script(ws)[0] == st.MULTISIG
                sig = txin.witness[1]
            elif t == st.P2TR:
                assert len(txin.witness) == 1 and len(txin.witness[0]) == 64
                n[t] += 1
                continue
            elif t == st.MULTISIG:
                assert txin.script_sig[0] == 0
                sig = txin.script_sig[2:]
            else:
                raise AssertionError(f"unexpected spent type {t}")
            assert len(sig) in (71, 72) and sig[0] == 0x30 and sig[-1] == 0x01
            assert sig[1] == len(sig) - 3
            n[t] += 1
    assert all(n[t] > 0 for t in (st.P2PKH, st.P2WPKH, st.P2SH, st.P2WSH, st.P2TR))


def test_wallet_fingerprints(sim):
    wallets = {w["wallet_id"]: w for w in sim.wallets}
    seen = collections.Counter()
    for h, i, tx in sim.tx_list:
        r = sim.truth_by_txid[tx.txid]
        if r["kind"] not in ("payment", "donation", "ransom_payment") or r["sender_wallet_id"] is None:
            continue
        soft = wallets[r["sender_wallet_id"]]["software"]
        if soft == "bitcoin_core":
            assert tx.version == 2 and h - 101 <= tx.locktime <= h - 1
            assert all(t.sequence == 0xFFFFFFFD for t in tx.inputs)
        elif soft == "electrum":
            vals = [(o.value, o.script_pubkey) for o in tx.outputs]
            assert [v for v, _ in vals] == sorted(v for v, _ in vals)  # BIP69
            keys = [(t.prev_txid[::-1], t.prev_vout) for t in tx.inputs]
            assert keys == sorted(keys)
        elif soft == "mobile":
            assert tx.version == 1 and tx.locktime == 0
            assert all(t.sequence == 0xFFFFFFFF for t in tx.inputs)
        seen[soft] += 1
    assert seen["bitcoin_core"] and seen["electrum"] and seen["mobile"]


def test_exchange_customers_and_deposit_addresses(sim):
    cust = {(c["exchange_id"], c["customer_id"]): c for c in sim.customers}
    assert len({c["customer_id"] for c in sim.customers}) == len(sim.customers)
    nat = collections.Counter(c["nationality"] for c in sim.customers if c["customer_type"] == "person")
    assert len(nat) >= 10 and nat["RU"] > 0
    for c in sim.customers:
        assert c["name"] and c["name"].strip() == c["name"]
        if c["customer_type"] == "person":
            assert c["date_of_birth"] is not None and c["street"] and c["city"] and c["postcode"]
            if c["residence"] != c["nationality"]:
                assert c["residence"] in c["residence_permits"]
    ru = [c["name"] for c in sim.customers if c["nationality"] == "RU"]
    assert all(n.isascii() for n in ru)  # transliterated
    entities = {e["entity_id"]: e for e in sim.entities}
    for ca in sim.cust_addr:
        assert (ca["exchange_id"], ca["customer_id"]) in cust
        a = sim.by_address[ca["address"]]
        assert a["entity_id"] == ca["exchange_id"]
        assert entities[a["entity_id"]]["kind"] in ("exchange", "sanctioned_exchange")
    assert len(sim.cust_addr) > 50


def test_donations(sim):
    addrs = {d["donation_address"] for d in sim.donations}
    assert len(addrs) == 1
    org = sim.by_address[addrs.pop()]
    assert [e for e in sim.entities if e["entity_id"] == org["entity_id"]][0]["kind"] == "donation_org"
    sources = collections.Counter(d["source"] for d in sim.donations)
    assert set(sources) == {"own_wallet", "exchange_withdrawal", "coinjoin"}
    for d in sim.donations:
        tx = [t for h, i, t in sim.tx_list if h == d["height"] and t.txid == d["txid"]][0]
        o = tx.outputs[d["vout"]]
        assert o.value == d["value"] and script_to_address(o.script_pubkey, REGTEST) == d["donation_address"]
        kind = sim.truth_by_txid[d["txid"]]["kind"]
        assert kind == ("withdrawal_batch" if d["source"] == "exchange_withdrawal" else "donation")


def test_sanctions_list(sim, tmp_path):
    listed = (sim.res.truth_dir / "sanctioned_addresses.txt").read_text().split()
    assert listed and len(listed) == sum(1 for s in sim.sanctioned if s["listed"])
    ents = {e["entity_id"]: e for e in sim.entities}
    for s in sim.sanctioned:
        a = sim.by_address[s["address"]]
        assert a["entity_id"] == s["entity_id"] and ents[s["entity_id"]]["sanctioned"]


def test_peel_chains_and_mining_pools(sim):
    peels = [(tx, sim.truth_by_txid[tx.txid]) for _, _, tx in sim.tx_list
             if sim.truth_by_txid[tx.txid]["kind"] == "peel_step"]
    assert peels
    ill = {e["entity_id"] for e in sim.entities if e["kind"] == "ransomware"}
    for tx, r in peels:
        assert len(tx.inputs) == 1 and len(tx.outputs) in (1, 2)
        assert r["sender_entity_id"] in ill
    # pools: tagged coinbases pay pool-owned addresses
    tagged = [b for b in sim.blocks_truth if b["coinbase_tag"]]
    assert tagged
    for b in tagged:
        cb = sim.blocks[b["height"]].txs[0]
        assert b["coinbase_tag"].encode() in cb.inputs[0].script_sig
        assert sim.owner(cb.outputs[0].script_pubkey)["entity_id"] == b["pool_entity_id"]


def test_manifest_and_files(sim):
    out = Path(sim.res.out_dir)
    assert (out / "sim.json").exists()
    names = {p.name for p in sim.res.truth_dir.iterdir()}
    assert {"entities.parquet", "wallets.parquet", "addresses.parquet", "txs.parquet",
            "coinjoin_participants.parquet", "customers.parquet", "customer_addresses.parquet",
            "donations.parquet", "sanctioned.parquet", "sanctioned_addresses.txt",
            "blocks.parquet"} <= names
