"""Core-shaped JSON of transactions and blocks, checked against real Bitcoin
Core RPC responses (getblock verbosity 2, getrawtransaction) and bitcoin-etl's
parsed output, against EXPECTED.json for SegWit blocks, and against
descriptor/asm facts printed by modern Core."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from chaintrail.bitcoin import script_types as st
from chaintrail.bitcoin.block import Block
from chaintrail.bitcoin.decode_json import (
    CORE_TYPE_NAMES,
    block_to_core_json,
    core_script_type,
    descriptor_checksum,
    difficulty,
    infer_descriptor,
    is_valid_xonly_key,
    script_pubkey_json,
    script_to_asm,
    tx_to_core_json,
)
from chaintrail.bitcoin.hashing import hash_to_hex, hex_to_hash
from chaintrail.bitcoin.networks import MAINNET, TESTNET3
from chaintrail.bitcoin.serialize import ser_compact_size
from chaintrail.bitcoin.tx import Tx
from chaintrail.sources.remote import open_remote
from chaintrail.sources.rpc import RpcSource

from support.fake_node import MAINNET_BLK_FILES, SHARED, FakeNode, mainnet_blocks

DATA = SHARED / "data"
RPC_JSON = DATA / "rpc-json"
NODE_STATE = {
    "confirmations",
    "mediantime",
    "chainwork",
    "nextblockhash",
}  # chain state, not in the bytes


def _need(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"shared test data not found ({path}): clone ../shared next to the project")


def _core_blocks() -> dict[str, dict]:
    """Every real getblock-verbosity-2 reply in rpc-json, by block hash."""
    if not RPC_JSON.exists():
        return {}
    found = {}
    for path in sorted(RPC_JSON.glob("*/rpc_response_getblock_*_2.json")):
        doc = json.loads(path.read_text())
        if doc["tx"]:
            found[doc["hash"]] = doc
    return found


CORE_BLOCKS = _core_blocks()
CORE_TXS = [(doc["height"], tx) for doc in CORE_BLOCKS.values() for tx in doc["tx"]]
skip_no_rpc_json = pytest.mark.skipif(
    not CORE_BLOCKS, reason=f"rpc-json fixtures not found in {RPC_JSON}"
)


def _assert_fields_match(
    ours: dict, core: dict, where: str, skip: frozenset[str] = frozenset()
) -> None:
    """Every field Core printed (less chain state a decoder cannot know) equals ours."""
    for key, value in core.items():
        if key in NODE_STATE or key in skip:
            continue
        assert key in ours, f"{where}: field {key!r} missing"
        if key == "tx":
            assert len(ours["tx"]) == len(value)
            for n, (o, c) in enumerate(zip(ours["tx"], value, strict=True)):
                _assert_fields_match(o, c, f"{where} tx {n}")
        else:
            assert ours[key] == value, f"{where}: field {key!r}: {ours[key]!r} != {value!r}"


def _rebuild_block(doc: dict) -> bytes:
    """Serialize a block from getblock-2 JSON: the header fields and each transaction's hex."""
    prev = hex_to_hash(doc.get("previousblockhash", "00" * 32))
    header = (
        doc["version"].to_bytes(4, "little", signed=True)
        + prev
        + hex_to_hash(doc["merkleroot"])
        + doc["time"].to_bytes(4, "little")
        + int(doc["bits"], 16).to_bytes(4, "little")
        + doc["nonce"].to_bytes(4, "little")
    )
    return (
        header
        + ser_compact_size(len(doc["tx"]))
        + b"".join(bytes.fromhex(tx["hex"]) for tx in doc["tx"])
    )


# -- real Core JSON --------------------------------------------------------------------


@skip_no_rpc_json
@pytest.mark.parametrize(
    "height, core_tx", CORE_TXS, ids=[f"{h}-{t['txid'][:8]}" for h, t in CORE_TXS]
)
def test_tx_matches_core_field_by_field(height, core_tx):
    tx = Tx.from_bytes(bytes.fromhex(core_tx["hex"]))
    ours = tx_to_core_json(tx, MAINNET, include_hex=True, legacy_addresses=True)
    _assert_fields_match(ours, core_tx, f"block {height} tx {core_tx['txid']}")
    assert ours["weight"] == 4 * ours["size"]  # these are all pre-SegWit


@skip_no_rpc_json
def test_getrawtransaction_replies_match():
    paths = sorted(RPC_JSON.glob("*/rpc_response_getrawtransaction_*.json"))
    assert paths
    for path in paths:
        core = json.loads(path.read_text())
        tx = Tx.from_bytes(bytes.fromhex(core["hex"]))
        assert path.stem.endswith(tx.txid)
        ours = tx_to_core_json(tx, MAINNET, include_hex=True, legacy_addresses=True)
        _assert_fields_match(
            ours, core, path.name, skip=frozenset({"blockhash", "time", "blocktime"})
        )


@skip_no_rpc_json
@pytest.mark.parametrize("block_hash", sorted(CORE_BLOCKS))
def test_block_rebuilt_from_core_json(block_hash):
    core = CORE_BLOCKS[block_hash]
    block = Block.from_bytes(_rebuild_block(core))
    assert block.hash == core["hash"]
    assert hash_to_hex(block.computed_merkle_root()) == core["merkleroot"]
    assert (block.size, block.stripped_size, block.weight) == (
        core["size"],
        core["strippedsize"],
        core["weight"],
    )
    ours = block_to_core_json(block, MAINNET, height=core["height"], legacy_addresses=True)
    _assert_fields_match(ours, core, f"block {core['height']}")


@skip_no_rpc_json
def test_blocks_0_and_1_from_blk_files_equal_cores():
    _need(MAINNET_BLK_FILES[0])
    raw = mainnet_blocks()
    for height in (0, 1):
        core = next(d for d in CORE_BLOCKS.values() if d["height"] == height)
        assert _rebuild_block(core) == raw[height]
        ours = block_to_core_json(
            Block.from_bytes(raw[height]), MAINNET, height=height, legacy_addresses=True
        )
        _assert_fields_match(ours, core, f"block {height}")
        assert ("previousblockhash" in ours) == (height > 0)


def _etl_lines(name: str) -> list[dict]:
    return [
        json.loads(line)
        for p in sorted(RPC_JSON.glob(f"*/{name}"))
        for line in p.read_text().splitlines()
        if line
    ]


@skip_no_rpc_json
def test_bitcoin_etl_parsed_transactions():
    by_txid = {
        tx["txid"]: (doc, n, tx) for doc in CORE_BLOCKS.values() for n, tx in enumerate(doc["tx"])
    }
    lines = _etl_lines("expected_transactions.json")
    assert lines
    for etl in lines:
        doc, index, core_tx = by_txid[etl["hash"]]
        tx = Tx.from_bytes(bytes.fromhex(core_tx["hex"]))
        ours = tx_to_core_json(tx, MAINNET, legacy_addresses=True)
        assert (etl["block_hash"], etl["block_number"], etl["index"]) == (
            doc["hash"],
            doc["height"],
            index,
        )
        assert (ours["txid"], ours["size"], ours["vsize"]) == (
            etl["hash"],
            etl["size"],
            etl["virtual_size"],
        )
        assert (ours["version"], ours["locktime"], tx.is_coinbase) == (
            etl["version"],
            etl["lock_time"],
            etl["is_coinbase"],
        )
        assert sum(o.value for o in tx.outputs) == etl["output_value"]
        assert len(ours["vout"]) == etl["output_count"]
        for mine, theirs in zip(ours["vout"], etl["outputs"], strict=True):
            spk = mine["scriptPubKey"]
            assert mine["n"] == theirs["index"]
            assert round(mine["value"] * 100_000_000) == theirs["value"]
            assert (spk["asm"], spk["hex"], spk["type"]) == (
                theirs["script_asm"],
                theirs["script_hex"],
                theirs["type"],
            )
            assert spk.get("addresses", []) == theirs["addresses"]
            assert spk.get("reqSigs") == theirs["required_signatures"]
        inputs = [] if tx.is_coinbase else ours["vin"]
        for mine, theirs in zip(inputs, etl["inputs"], strict=True):
            assert (mine["txid"], mine["vout"], mine["sequence"]) == (
                theirs["spent_transaction_hash"],
                theirs["spent_output_index"],
                theirs["sequence"],
            )
            assert (mine["scriptSig"]["asm"], mine["scriptSig"]["hex"]) == (
                theirs["script_asm"],
                theirs["script_hex"],
            )


@skip_no_rpc_json
def test_bitcoin_etl_parsed_blocks():
    for etl in _etl_lines("expected_blocks.json"):
        block = Block.from_bytes(_rebuild_block(CORE_BLOCKS[etl["hash"]]))
        h = block.header
        assert (block.size, block.stripped_size, block.weight) == (
            etl["size"],
            etl["stripped_size"],
            etl["weight"],
        )
        assert (h.version, h.time, f"{h.nonce:x}", f"{h.bits:08x}") == (
            etl["version"],
            etl["timestamp"],
            etl["nonce"],
            etl["bits"],
        )
        assert hash_to_hex(h.merkle_root) == etl["merkle_root"]
        assert len(block.txs) == etl["transaction_count"]
        assert block.txs[0].inputs[0].script_sig.hex() == etl["coinbase_param"]


@skip_no_rpc_json
def test_fake_node_serves_the_rebuilt_blocks(tmp_path):
    docs = sorted(
        (d for d in CORE_BLOCKS.values() if d["height"] >= 50000), key=lambda d: d["height"]
    )
    assert [d["height"] for d in docs] == [50000, 50001, 50002]
    raws = [_rebuild_block(d) for d in docs]
    with FakeNode() as node:
        node.set_chain(raws, start_height=50000)
        src = RpcSource(node.rpc_url)
        assert src.tip_height() == 50002
        got = list(src.iter_blocks(50000, 50002))
        assert [(h, hh, raw) for h, hh, raw in got] == [
            (d["height"], d["hash"], r) for d, r in zip(docs, raws, strict=True)
        ]
        rest = open_remote(node.esplora_url)
        assert rest.block_hash(50001) == docs[1]["hash"]
        assert rest.raw_block(docs[1]["hash"]) == raws[1]
        # getblock 2 from the fake node (our encoder, modern address shape) against Core's reply
        served = src.call("getblock", docs[1]["hash"], 2)
        for key in (
            "hash",
            "height",
            "merkleroot",
            "nTx",
            "size",
            "weight",
            "bits",
            "difficulty",
            "previousblockhash",
        ):
            assert served[key] == docs[1][key]
        for ours, core in zip(served["tx"], docs[1]["tx"], strict=True):
            assert (ours["txid"], ours["hex"], ours["vin"]) == (
                core["txid"],
                core["hex"],
                core["vin"],
            )
            for o, c in zip(ours["vout"], core["vout"], strict=True):
                if c["scriptPubKey"]["type"] == "pubkey":
                    assert (
                        "address" not in o["scriptPubKey"]
                    )  # modern Core shows no address for P2PK
                else:
                    assert [o["scriptPubKey"]["address"]] == c["scriptPubKey"]["addresses"]


# -- SegWit blocks and the Taproot transaction ---------------------------------------------


def _expected(file: str) -> dict:
    _need(DATA / "blocks" / "EXPECTED.json")
    return next(
        e for e in json.loads((DATA / "blocks" / "EXPECTED.json").read_text()) if e["file"] == file
    )


def _load_block(file: str) -> Block:
    path = DATA / "blocks" / file
    _need(path)
    data = path.read_bytes()
    return Block.from_bytes(bytes.fromhex(data.decode().strip()) if file.endswith(".hex") else data)


@pytest.mark.parametrize(
    "file", ["mainnet/block-514485.hex", "mainnet/block-481829.raw", "mainnet/block-363703.raw"]
)
def test_real_blocks_against_expected(file):
    want = _expected(file)
    doc = block_to_core_json(_load_block(file), MAINNET, height=want["height"])
    assert (doc["hash"], doc["size"], doc["weight"], doc["nTx"]) == (
        want["hash"],
        want["size"],
        want["weight"],
        want["n_tx"],
    )
    assert doc["merkleroot"] == want["merkle_root"]
    assert [tx["txid"] for tx in doc["tx"]] == want["txids"]
    types = Counter(out["scriptPubKey"]["type"] for tx in doc["tx"] for out in tx["vout"])
    assert types == {CORE_TYPE_NAMES[st.CODES[name]]: n for name, n in want["output_types"].items()}
    segwit = [tx for tx in doc["tx"] if tx["hash"] != tx["txid"]]
    assert len(segwit) == want["n_segwit_tx"]
    for tx in segwit:
        assert any("txinwitness" in i for i in tx["vin"])
        assert tx["vsize"] == -(-tx["weight"] // 4) < tx["size"]
    header_weight = 4 * (80 + len(ser_compact_size(len(doc["tx"]))))
    assert header_weight + sum(tx["weight"] for tx in doc["tx"]) == doc["weight"]
    assert (
        sum(round(o["value"] * 100_000_000) for tx in doc["tx"] for o in tx["vout"])
        == want["total_output_value_sat"]
    )
    for tx in doc["tx"]:
        for out in tx["vout"]:
            spk = out["scriptPubKey"]
            assert spk["desc"].split("#")[1] == descriptor_checksum(spk["desc"].split("#")[0])
            if spk["type"] in (
                "pubkeyhash",
                "scripthash",
                "witness_v0_keyhash",
                "witness_v0_scripthash",
            ):
                body = f"addr({spk['address']})"
                assert spk["desc"] == f"{body}#{descriptor_checksum(body)}"


def test_testnet_addresses_use_testnet_prefixes():
    want = _expected("testnet/block_testnet700000.raw")
    doc = block_to_core_json(_load_block("testnet/block_testnet700000.raw"), TESTNET3)
    assert doc["hash"] == want["hash"]
    addresses = [
        o["scriptPubKey"]["address"]
        for tx in doc["tx"]
        for o in tx["vout"]
        if "address" in o["scriptPubKey"]
    ]
    assert addresses and all(a[0] in "mn2" for a in addresses)


def test_taproot_script_path_spend():
    paths = sorted((DATA / "txs").glob("tx-*.hex")) if (DATA / "txs").exists() else []
    if not paths:
        pytest.skip(f"shared test data not found ({DATA / 'txs'})")
    tx = Tx.from_bytes(bytes.fromhex(paths[0].read_text().strip()))
    doc = tx_to_core_json(tx, MAINNET)
    assert doc["txid"] == paths[0].stem.removeprefix("tx-")
    assert doc["hash"] != doc["txid"] and doc["size"] > 90_000
    assert (
        doc["vsize"] == -(-doc["weight"] // 4) < doc["size"] // 3
    )  # witness bytes weigh a quarter
    witness = doc["vin"][0]["txinwitness"]
    assert len(witness) >= 3 and witness[-1].startswith(
        ("c0", "c1")
    )  # control block: leaf version 0xc0
    assert doc["vin"][0]["scriptSig"] == {"asm": "", "hex": ""}
    assert list(doc) == [
        "txid",
        "hash",
        "version",
        "size",
        "vsize",
        "weight",
        "locktime",
        "vin",
        "vout",
    ]


# -- facts printed by modern Core ------------------------------------------------------------

GENESIS_SPK = bytes.fromhex(
    "4104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7"
    "ba0b8d578a4c702b6bf11d5fac"
)


def test_modern_pubkey_output_has_descriptor_and_no_address():
    doc = script_pubkey_json(GENESIS_SPK, MAINNET)
    assert list(doc) == ["asm", "desc", "hex", "type"]
    assert doc["desc"] == f"pk({GENESIS_SPK[1:-1].hex()})#vlz6ztea"
    assert doc["asm"] == f"{GENESIS_SPK[1:-1].hex()} OP_CHECKSIG"
    assert doc["type"] == "pubkey"


@pytest.mark.parametrize(
    "spk, desc, address, kind, asm",
    [
        (
            "0014926346eb8e6b9e07847e6b0602c286d718aa3ec6",
            "addr(bc1qjf35d6uwdw0q0pr7dvrq9s5x6uv250kx9ltggy)#dguw6gxx",
            "bc1qjf35d6uwdw0q0pr7dvrq9s5x6uv250kx9ltggy",
            "witness_v0_keyhash",
            "0 926346eb8e6b9e07847e6b0602c286d718aa3ec6",
        ),
        (
            "51203b8b3ab1453eb47e2d4903b963776680e30863df3625d3e74292338ae7928da1",
            "rawtr(3b8b3ab1453eb47e2d4903b963776680e30863df3625d3e74292338ae7928da1)#tv35u9pg",
            "bc1p8w9n4v298668ut2fqwukxamxsr3ssc7lxcja8e6zjgec4euj3ksswckxz6",
            "witness_v1_taproot",
            "1 3b8b3ab1453eb47e2d4903b963776680e30863df3625d3e74292338ae7928da1",
        ),
        ("6a01f0", "raw(6a01f0)#r2xcrtqa", None, "nulldata", "OP_RETURN -112"),
        ("51024e73", None, "bc1pfeessrawgf", "anchor", "1 29518"),
    ],
)
def test_modern_script_pubkeys(spk, desc, address, kind, asm):
    doc = script_pubkey_json(bytes.fromhex(spk), MAINNET)
    assert (doc["asm"], doc["type"], doc.get("address")) == (asm, kind, address)
    if desc:
        assert doc["desc"] == desc
    assert list(doc) == ["asm", "desc", "hex"] + (["address"] if address else []) + ["type"]


def test_rawtr_only_for_keys_on_the_curve():
    on_curve = bytes.fromhex("3b8b3ab1453eb47e2d4903b963776680e30863df3625d3e74292338ae7928da1")
    assert is_valid_xonly_key(on_curve)
    off = next(bytes([i]) * 32 for i in range(256) if not is_valid_xonly_key(bytes([i]) * 32))
    assert infer_descriptor(b"\x51\x20" + off, MAINNET).startswith("addr(bc1p")
    assert not is_valid_xonly_key(b"\xff" * 32)  # above the field size


def test_bare_multisig_descriptor_and_legacy_addresses():
    k1 = bytes.fromhex("02" + "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
    k2 = bytes.fromhex("03" + "c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5")
    spk = b"\x51\x21" + k1 + b"\x21" + k2 + b"\x52\xae"
    assert core_script_type(spk) == "multisig"
    assert infer_descriptor(spk, MAINNET).startswith(f"multi(1,{k1.hex()},{k2.hex()})#")
    modern = script_pubkey_json(spk, MAINNET)
    assert (
        "address" not in modern and modern["asm"] == f"1 {k1.hex()} {k2.hex()} 2 OP_CHECKMULTISIG"
    )
    legacy = script_pubkey_json(spk, MAINNET, legacy_addresses=True)
    assert legacy["reqSigs"] == 1 and len(legacy["addresses"]) == 2
    assert (
        legacy["addresses"][0] == "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"
    )  # P2PKH of the generator point


# -- script assembly -----------------------------------------------------------------------

SIG = bytes.fromhex(
    "3046022100e0bc99e312e428ea1559b5bc2e3210f3a7202a7f8b2ee124c6ea9aeda497ecac022100ccda2dc6aac965b4ba3116bc"
    "529838538ac0c99fe1a295941d00b5e351f86f0f"
)


@pytest.mark.parametrize(
    "hashtype, suffix",
    [
        (0x01, "[ALL]"),
        (0x02, "[NONE]"),
        (0x03, "[SINGLE]"),
        (0x81, "[ALL|ANYONECANPAY]"),
        (0x82, "[NONE|ANYONECANPAY]"),
        (0x83, "[SINGLE|ANYONECANPAY]"),
    ],
)
def test_signature_hashtypes_in_script_sig(hashtype, suffix):
    push = SIG + bytes([hashtype])
    script = bytes([len(push)]) + push
    assert script_to_asm(script, sighash_decode=True) == SIG.hex() + suffix
    assert script_to_asm(script) == push.hex()


def test_undefined_hashtype_and_non_der_stay_hex():
    odd = SIG + b"\x04"
    assert script_to_asm(bytes([len(odd)]) + odd, sighash_decode=True) == odd.hex()
    bad_der = b"\x31" + SIG[1:] + b"\x01"
    assert script_to_asm(bytes([len(bad_der)]) + bad_der, sighash_decode=True) == bad_der.hex()
    unspendable = b"\x6a" + bytes([len(SIG) + 1]) + SIG + b"\x01"
    assert script_to_asm(unspendable, sighash_decode=True) == f"OP_RETURN {SIG.hex()}01"


@pytest.mark.parametrize(
    "script, asm",
    [
        ("00", "0"),
        ("4f", "-1"),
        ("515260", "1 2 16"),
        ("0181", "-1"),
        ("02ff00", "255"),
        ("04ffffff7f", "2147483647"),
        ("04ffffffff", "-2147483647"),
        ("0500000000ff", "00000000ff"),
        ("4c0101", "1"),
        ("4d0100ff", "-127"),
        ("76a9", "OP_DUP OP_HASH160"),
        ("b1b2ba", "OP_CHECKLOCKTIMEVERIFY OP_CHECKSEQUENCEVERIFY OP_CHECKSIGADD"),
        ("50bbff", "OP_RESERVED OP_UNKNOWN OP_INVALIDOPCODE"),
        ("76050102", "OP_DUP [error]"),
        ("4c", "[error]"),
        ("4d01", "[error]"),
        ("", ""),
    ],
)
def test_asm(script, asm):
    assert script_to_asm(bytes.fromhex(script)) == asm


def test_difficulty_as_core_prints_it():
    assert difficulty(0x1D00FFFF) == 1
    assert difficulty(0x1C2A1115) == 6.085476906000794


def test_descriptor_checksum_bip380_vector():
    assert descriptor_checksum("raw(deadbeef)") == "89f8spxm"
