"""Ingest real mainnet and testnet blocks and compare the store with the
independently computed facts of EXPECTED.json."""

from __future__ import annotations

from collections import Counter

import pytest

from chaintrail.chain import open as open_chain
from chaintrail.errors import NetworkMismatchError

from conftest import BLOCKS, BUILTIN, ingest, needs_shared

TYPE_NAME = {"other": "nonstandard"}  # EXPECTED.json calls non-standard scripts "other"


def _check_block(chain, e: dict, height_known: bool = True) -> None:
    b = chain.sql("SELECT * FROM blocks WHERE hash = ?", [e["hash"]]).to_dicts()
    assert len(b) == 1, f"block {e['hash']} missing"
    row = b[0]
    if height_known:
        assert row["height"] == e["height"]
    else:
        assert row["height"] is None
    assert row["prev_hash"] == e["prev_hash"]
    assert row["merkle_root"] == e["merkle_root"]
    assert row["time"] == e["time"]
    assert row["n_tx"] == e["n_tx"]
    assert row["size"] == e["size"]
    assert row["weight"] == e["weight"]
    first, n = row["first_tx_id"], row["n_tx"]
    txids = [r[0] for r in chain.sql(
        "SELECT txid FROM txs WHERE tx_id >= ? AND tx_id < ? ORDER BY tx_id", [first, first + n]).fetchall()]
    assert txids == e["txids"]
    segwit = chain.sql("SELECT count(*) FILTER (WHERE is_segwit), sum(n_inputs), sum(n_outputs), "
                       "sum(output_value) FROM txs WHERE tx_id >= ? AND tx_id < ?",
                       [first, first + n]).fetchall()[0]
    assert segwit == (e["n_segwit_tx"], e["n_inputs"], e["n_outputs"], e["total_output_value_sat"])
    cb = chain.sql("SELECT output_value FROM txs WHERE tx_id = ?", [first]).fetchall()[0][0]
    assert cb == e["coinbase_output_value_sat"]
    types = dict(chain.sql("SELECT script_type, count(*) FROM outputs o JOIN txs t USING (tx_id) "
                           "WHERE t.tx_id >= ? AND t.tx_id < ? GROUP BY 1", [first, first + n]).fetchall())
    assert types == {TYPE_NAME.get(k, k): v for k, v in e["output_types"].items()}


@needs_shared
def test_first_600_mainnet_blocks_match_expected(chain_0_599, expected):
    chain = chain_0_599
    rows = [e for e in expected if e["file"].startswith("mainnet-0-599/")]
    assert len(rows) == 600
    for e in rows:
        _check_block(chain, e)
    assert chain.tip == (599, next(e["hash"] for e in rows if e["height"] == 599))
    assert chain.status()["loose_blocks"] == 0


def test_builtin_blocks_values_conserved_and_resolved(chain_0_599):
    chain = chain_0_599
    # every non-coinbase input of a chain from genesis is resolved
    unresolved = chain.sql("SELECT count(*) FROM inputs i JOIN txs t USING (tx_id) "
                           "WHERE NOT t.is_coinbase AND i.spent_output_id IS NULL").fetchall()[0][0]
    assert unresolved == 0
    # sum of inputs = sum of outputs + fee for every transaction
    bad = chain.sql("""
        SELECT count(*) FROM txs t JOIN (SELECT tx_id, sum(value) v FROM inputs GROUP BY 1) i USING (tx_id)
        WHERE NOT t.is_coinbase AND (i.v != t.input_value OR t.input_value != t.output_value + t.fee
                                     OR t.fee < 0)""").fetchall()[0][0]
    assert bad == 0
    # each resolved input points at an output of the same outpoint, and is its spender
    mism = chain.sql("""
        SELECT count(*) FROM inputs i JOIN outputs o ON o.output_id = i.spent_output_id
        WHERE o.txid != i.prev_txid OR o.vout != i.prev_vout OR o.value != i.value
           OR o.address IS DISTINCT FROM i.address OR o.spending_input_id != i.input_id""").fetchall()[0][0]
    assert mism == 0
    # the UTXO count equals the unspent spendable outputs
    n_unspent = chain.sql("SELECT count(*) FROM outputs WHERE spending_tx_id IS NULL").fetchall()[0][0]
    assert n_unspent == chain.status()["utxo_count"]


def test_first_bitcoin_transaction(chain_0_599):
    # block 170: Satoshi pays Hal Finney 10 BTC, the first transaction that spent coins
    t = chain_0_599.tx("f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16").to_dict()
    assert t["height"] == 170
    assert [o["value"] for o in t["outputs"]] == [1_000_000_000, 4_000_000_000]
    assert t["input_value"] == 5_000_000_000 and t["fee"] == 0
    assert t["inputs"][0]["prev_txid"] == "0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9"
    assert t["inputs"][0]["address"] == "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"
    assert t["inputs"][0]["script_type"] == "p2pk"


def test_address_summary(chain_0_599):
    a = chain_0_599.address("12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S").to_dict()  # block 9's coinbase key
    assert a["first_height"] == 9
    assert a["sent"] >= 5_000_000_000  # the 50 BTC Satoshi spent at height 170, and more later
    assert a["n_inputs"] >= 1 and a["last_height"] >= 170
    assert a["balance"] == a["received"] - a["sent"]
    g = chain_0_599.address("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa").to_dict()
    assert g["received"] == 5_000_000_000 and g["n_txs"] == 1 and g["first_height"] == 0


@needs_shared
def test_loose_single_blocks_match_expected(tmp_path, expected):
    """Single blocks from 2010-2018 (raw, hex, framed), none with its parent: ingested loose."""
    store = tmp_path / "s"
    files = sorted((BLOCKS / "mainnet").iterdir())
    ingest(store, *files)
    chain = open_chain(store)
    rows = [e for e in expected if e["file"].startswith("mainnet/")]
    assert len(rows) == len(files)
    # 227835 states no height, but its child 227836 does: the height carries over the link
    parents_of_stated = {e["prev_hash"] for e in rows if e["height_in_coinbase"]}
    for e in rows:
        _check_block(chain, e, height_known=e["height_in_coinbase"] or e["hash"] in parents_of_stated)
    assert chain.status()["loose_blocks"] == len(files)
    # inputs whose previous output is not in the store stay unresolved: NULL, never 0
    r = chain.sql("""SELECT count(*), count(i.value), count(i.address) FROM inputs i JOIN txs t USING (tx_id)
                     WHERE NOT t.is_coinbase AND i.spent_output_id IS NULL""").fetchall()[0]
    assert r[0] > 10_000 and r[1] == 0 and r[2] == 0
    assert chain.sql("""SELECT count(*) FROM inputs WHERE spent_output_id IS NULL
                        AND prev_txid IN (SELECT txid FROM txs)""").fetchall()[0][0] == 0
    # ... and those whose previous output is here (same block, or 227836 spending 227835) resolve
    r = chain.sql("""SELECT count(*), count(*) FILTER (WHERE o.txid = i.prev_txid AND o.vout = i.prev_vout
                                                        AND o.value = i.value)
                     FROM inputs i JOIN outputs o ON o.output_id = i.spent_output_id""").fetchall()[0]
    assert r[0] > 1000 and r[0] == r[1]
    n_fee = chain.sql("""SELECT count(*) FROM txs t WHERE NOT is_coinbase AND fee IS NOT NULL AND
                         EXISTS (SELECT 1 FROM inputs i WHERE i.tx_id = t.tx_id AND i.value IS NULL)""")
    assert n_fee.fetchall()[0][0] == 0


@needs_shared
def test_testnet_blocks_and_network_mixing(tmp_path, expected):
    store = tmp_path / "t"
    ingest(store, *sorted((BLOCKS / "testnet").iterdir()), network="testnet3")
    chain = open_chain(store)
    assert chain.status()["network"] == "testnet3"
    for e in (e for e in expected if e["file"].startswith("testnet/")):
        _check_block(chain, e, height_known=e["height_in_coinbase"])
    # a testnet address is encoded for testnet
    a = chain.sql("SELECT address FROM outputs WHERE script_type = 'p2pkh' LIMIT 1").fetchall()[0][0]
    assert a[0] in "mn"
    with pytest.raises(NetworkMismatchError, match="mainnet block.*testnet3"):
        ingest(store, BUILTIN)
    assert open_chain(store).status()["counts"] == chain.status()["counts"]


@needs_shared
def test_taproot_transaction_decodes():
    from chaintrail.bitcoin.tx import Tx

    f = next((BLOCKS.parent / "txs").glob("tx-*.hex"))
    tx = Tx.from_bytes(bytes.fromhex(f.read_text().strip()))
    assert tx.txid == f.stem[3:]
    raw = bytes.fromhex(f.read_text().strip())
    assert tx.has_witness and tx.size == len(raw) > 98_000 and tx.vsize < tx.size / 3
    assert tx.serialize() == raw
    # a script-path spend: the last witness item is a control block (leaf version 0xc0)
    w = tx.inputs[0].witness
    assert len(w) >= 3 and w[-1][0] & 0xFE == 0xC0 and (len(w[-1]) - 33) % 32 == 0


def test_output_type_mix_of_early_chain(chain_0_599):
    counts = Counter(dict(chain_0_599.sql("SELECT script_type, count(*) FROM outputs GROUP BY 1").fetchall()))
    assert set(counts) <= {"p2pk", "p2pkh"}
    assert counts["p2pk"] >= 600  # every coinbase of the era pays to a bare key
