"""Mining pools: coinbase tags and payout addresses label coinbase
transactions and their addresses."""

from __future__ import annotations

from test_attribution_fixtures import POOLS, loose_store, screened_store  # noqa: F401

from chaintrail.attribution.mining_pools import coinbase_script_sig, load_pools
from chaintrail.bitcoin.block import Block
from chaintrail.chain import open as open_chain

from conftest import BLOCKS, needs_shared


@needs_shared
def test_both_pool_files_describe_the_same_pools():
    a, b = load_pools(POOLS / "pools.json"), load_pools(POOLS / "pool-list.json")
    tags = lambda p: sorted(t for x in p.pools for t in x.tags)  # noqa: E731
    assert tags(a) == tags(b) and len(tags(a)) == 171
    assert sum(len(x.addresses) for x in a.pools) == sum(len(x.addresses) for x in b.pools) == 200
    assert a.match_coinbase(b"\x03\x1b\x8d\x07/slush/")[0].name == "Braiins Pool"


@needs_shared
def test_coinbase_script_sig_is_read_from_the_block_prefix():
    raw = (BLOCKS / "mainnet" / "block-481829.raw").read_bytes()
    script = coinbase_script_sig(raw[:4096])  # a SegWit-era block: the coinbase has a witness
    assert script == Block.from_bytes(raw).txs[0].inputs[0].script_sig
    assert b"/Bixin/" in script


@needs_shared
def test_early_chain_has_no_pool(screened_store):  # noqa: F811
    # 2009's coinbases carry no pool tag and pay no known payout address: nothing may be labelled
    cb = screened_store["tags"]["coinbases"]
    assert cb["blocks"] == 600 and cb["labelled"] == 0 and not cb["unreadable"]
    chain = open_chain(screened_store["path"])
    assert chain.sql("SELECT count(*) FROM coinbase_pools").fetchall() == [(0,)]


@needs_shared
def test_loose_blocks_coinbases_name_their_pools(loose_store):  # noqa: F811
    cb = loose_store["tags"]["coinbases"]
    assert cb["blocks"] == 10 and cb["labelled"] == 7 and cb["by_method"] == {"coinbase_tag": 7}
    chain = open_chain(loose_store["path"])
    got = dict(chain.sql("SELECT height, pool FROM coinbase_pools").fetchall())
    assert got == {227836: "Braiins Pool", 277647: "BTC Guild", 363703: "AntPool",
                   370661: "Braiins Pool", 413567: "F2Pool", 481829: "Bixin", 514485: "Braiins Pool"}
    # the coinbase's payee is now tagged as the pool's, with the block as the source
    rows = chain.sql("""
        SELECT t.label, t.category, t.source FROM tags t JOIN outputs o ON o.address = t.address
        JOIN coinbase_pools c ON c.tx_id = o.tx_id WHERE c.height = 481829 AND t.pack = 'mining pools'
    """).fetchall()
    assert {(r[0], r[1]) for r in rows} == {("Bixin", "miner")}
    sources = sorted(r[2] for r in rows)  # the pool list's payout address, and the block itself
    assert sources == ["coinbase of block 481829 (coinbase tag '/Bixin/')", "https://haopool.com"]
