"""Bitcoin Core RPC and Esplora sources against a fake node speaking the real
protocols over loopback HTTP, serving real mainnet blocks and btcd's reorg
fixture: detection, tip, hashes, raw bytes, batching, retries, clean errors,
cookie auth, and following a tip that grows or reorganises."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path

import pytest

from chaintrail.bitcoin.block import Block
from chaintrail.bitcoin.hashing import hash_to_hex
from chaintrail.bitcoin.networks import MAINNET, REGTEST, SIGNET, TESTNET3, TESTNET4, work_from_bits
from chaintrail.errors import SourceError
from chaintrail.sources.esplora import EsploraSource
from chaintrail.sources.remote import is_remote_url, open_remote, redact_url
from chaintrail.sources.rpc import RpcSource

from support.fake_node import (
    MAINNET_BLK_FILES,
    REORG_DIR,
    SHARED,
    FakeNode,
    block_hash,
    mainnet_blocks,
    reorg_branches,
)

EXPECTED_JSON = SHARED / "data" / "blocks" / "EXPECTED.json"
PASSWORD = "correct horse"  # the fake node's; must never show up in messages


def _need(*paths: Path) -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        pytest.skip(
            f"shared test data not found ({', '.join(missing)}): "
            "clone ../shared next to the project"
        )


@pytest.fixture(scope="module")
def blocks() -> list[bytes]:
    _need(*MAINNET_BLK_FILES)
    return mainnet_blocks()


@pytest.fixture(scope="module")
def expected_by_height() -> dict[int, dict]:
    """EXPECTED.json's entries for mainnet blocks 0-599, by height."""
    _need(EXPECTED_JSON)
    entries = json.loads(EXPECTED_JSON.read_text())
    return {e["height"]: e for e in entries if e["file"].startswith("mainnet-0-599/")}


@pytest.fixture
def node(blocks: list[bytes], tmp_path: Path):
    with FakeNode(blocks, cookie_dir=tmp_path) as n:
        yield n


def _rpc(node: FakeNode, **kw) -> RpcSource:
    kw.setdefault("retries", 2)
    kw.setdefault("backoff", 0.001)
    return RpcSource(node.rpc_url, **kw)


def _esplora(node: FakeNode, **kw) -> EsploraSource:
    kw.setdefault("retries", 2)
    kw.setdefault("backoff", 0.001)
    return open_remote(node.esplora_url, **kw)  # type: ignore[return-value]


@pytest.fixture(params=["rpc", "esplora"])
def source(request, node: FakeNode):
    """Each test using it runs once against RPC and once against Esplora."""
    src = _rpc(node) if request.param == "rpc" else _esplora(node)
    yield src
    src.close()


def _assert_clean(message: str) -> None:
    assert "\n" not in message
    assert PASSWORD not in message and "correct%20horse" not in message
    assert "alice" not in message


# -- what both sources serve --------------------------------------------------------


def test_network_tip_and_hashes(source, expected_by_height):
    assert source.network() is MAINNET
    assert source.tip_height() == 599
    for height in (0, 1, 170, 299, 300, 599):
        assert source.block_hash(height) == expected_by_height[height]["hash"]


def test_iter_blocks_is_byte_identical_to_blk_files_and_parses(source, blocks, expected_by_height):
    got = list(source.iter_blocks(0, 599))
    assert [h for h, _, _ in got] == list(range(600))
    for height, h, raw in got:
        assert raw == blocks[height]
        block = Block.from_bytes(raw)
        want = expected_by_height[height]
        assert block.hash == h == want["hash"]
        assert hash_to_hex(block.header.prev_hash) == want["prev_hash"]
        assert hash_to_hex(block.computed_merkle_root()) == want["merkle_root"]
        assert [tx.txid for tx in block.txs] == want["txids"]


def test_raw_block_by_hash(source, blocks, expected_by_height):
    assert source.raw_block(expected_by_height[170]["hash"]) == blocks[170]


def test_iter_blocks_past_the_tip_fails_after_yielding_what_exists(source):
    seen = []
    with pytest.raises(SourceError) as err:
        for height, _, _ in source.iter_blocks(590, 620):
            seen.append(height)
    assert seen == list(range(590, 590 + len(seen)))
    assert len(seen) <= 10
    _assert_clean(str(err.value))
    assert "600" in str(err.value) or "out of range" in str(err.value)


# -- batching ---------------------------------------------------------------------


def test_rpc_batches_many_calls_into_one_round_trip(node, expected_by_height):
    src = _rpc(node)
    before = node.http_requests
    hashes = src.block_hashes(range(200))
    assert node.http_requests == before + 1
    assert node.rpc_calls["getblockhash"] == 200
    assert hashes == [expected_by_height[h]["hash"] for h in range(200)]
    raws = src.raw_blocks(hashes[:50])
    assert node.http_requests == before + 2
    assert [block_hash(r) for r in raws] == hashes[:50]


def test_rpc_iter_blocks_needs_far_fewer_round_trips_than_blocks(node, blocks):
    src = _rpc(node)
    before = node.http_requests
    assert [raw for _, _, raw in src.iter_blocks(0, 599)] == blocks
    round_trips = node.http_requests - before
    assert round_trips < 60  # 1200 calls (a hash and a block each) went out in batches


# -- retries and errors ----------------------------------------------------------------


@pytest.mark.parametrize("fault", ["500", "truncate", "drop", "429"])
def test_transient_faults_are_retried(source, node, blocks, fault):
    node.fail(fault, times=1)
    assert source.tip_height() == 599
    node.fail(fault, times=1, match="getblock" if isinstance(source, RpcSource) else "/raw")
    assert source.raw_block(block_hash(blocks[7])) == blocks[7]


def test_persistent_server_error_gives_one_clean_line(source, node):
    node.fail("500", times=100)
    with pytest.raises(SourceError) as err:
        source.tip_height()
    msg = str(err.value)
    _assert_clean(msg)
    assert "127.0.0.1" in msg and "HTTP 500" in msg and "after 3 attempts" in msg


def test_retries_are_logged_without_credentials(node, caplog):
    src = _rpc(node)
    node.fail("500", times=1)
    logger = logging.getLogger("chaintrail.sources.remote")
    logger.addHandler(caplog.handler)  # directly, in case some CLI set propagate=False above it
    try:
        with caplog.at_level(logging.WARNING, logger=logger.name):
            assert src.tip_height() == 599
    finally:
        logger.removeHandler(caplog.handler)
    assert "retrying" in caplog.text
    _assert_clean(caplog.text.replace("\n", " "))


def test_wrong_password_is_a_clear_401(node):
    src = RpcSource(f"http://alice:wrong-password@127.0.0.1:{node.port}", retries=0)
    with pytest.raises(SourceError) as err:
        src.tip_height()
    msg = str(err.value)
    _assert_clean(msg)
    assert "wrong-password" not in msg
    assert "401" in msg and "rejected" in msg and f"127.0.0.1:{node.port}" in msg


def test_injected_401_is_not_retried(node):
    src = _rpc(node)
    node.fail("401", times=1)
    before = node.http_requests
    with pytest.raises(SourceError, match="401"):
        src.tip_height()
    assert node.http_requests == before + 1
    assert src.tip_height() == 599


def test_missing_credentials_say_how_to_give_them(node):
    src = RpcSource(node.base, retries=0)
    with pytest.raises(SourceError, match="--rpc-cookie"):
        src.tip_height()


def test_unknown_hash(source):
    missing = "00" * 32
    with pytest.raises(SourceError) as err:
        source.raw_block(missing)
    msg = str(err.value)
    _assert_clean(msg)
    assert missing in msg and "not found" in msg.lower()


def test_rpc_unknown_hash_carries_cores_code(node):
    with pytest.raises(SourceError, match=r"getblock 0{64} 0: RPC error -5: Block not found"):
        _rpc(node).raw_block("00" * 32)


def test_height_out_of_range(source):
    with pytest.raises(SourceError) as err:
        source.block_hash(10_000)
    msg = str(err.value)
    _assert_clean(msg)
    assert "10000" in msg


@pytest.mark.parametrize("jsonrpc", ["2.0", "1.0", ""])
def test_rpc_errors_in_every_json_rpc_dialect(node, jsonrpc):
    src = _rpc(node, jsonrpc=jsonrpc)
    assert src.tip_height() == 599
    with pytest.raises(SourceError, match="RPC error -32601: Method not found"):
        src.call("nosuchmethod")
    with pytest.raises(SourceError, match="RPC error -8: Block height out of range"):
        src.call("getblockhash", 600)


def test_non_json_reply_is_named(node):
    src = _rpc(node)
    node.fail("garbage", times=1)
    with pytest.raises(SourceError) as err:
        src.tip_height()
    msg = str(err.value)
    _assert_clean(msg)
    assert "not JSON-RPC" in msg and "text/html" in msg and "nginx" in msg


def test_esplora_wrong_reply_is_refused(node):
    src = _esplora(node)
    node.fail("garbage", times=3, match="/block-height/")
    with pytest.raises(SourceError, match="not a block hash"):
        src.block_hash(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("kind", ["rpc", "esplora"])
def test_connection_refused(kind):
    port = _free_port()
    if kind == "rpc":
        src = open_remote(
            f"http://alice:{PASSWORD.replace(' ', '%20')}@127.0.0.1:{port}",
            retries=1,
            backoff=0.001,
        )
    else:
        src = open_remote(f"esplora+http://127.0.0.1:{port}/api", retries=1, backoff=0.001)
    with pytest.raises(SourceError) as err:
        src.tip_height()
    msg = str(err.value)
    _assert_clean(msg)
    assert f"127.0.0.1:{port}" in msg and "connection refused" in msg and "after 2 attempts" in msg


# -- cookie authentication -----------------------------------------------------------


def test_cookie_file_authenticates(node):
    assert node.cookie_path is not None and node.cookie_path.read_text().startswith("__cookie__:")
    src = RpcSource(node.base, cookie=str(node.cookie_path))
    assert src.tip_height() == 599
    via_url = open_remote(f"{node.base}/?cookie={node.cookie_path}")
    assert via_url.tip_height() == 599
    via_arg = open_remote(node.base, cookie=str(node.cookie_path))
    assert via_arg.network() is MAINNET
    secret = node.cookie_path.read_text().split(":", 1)[1]
    assert secret not in src.description and secret not in repr(src)


def test_cookie_is_read_again_after_the_node_restarts(node):
    src = RpcSource(node.base, cookie=str(node.cookie_path), retries=1, backoff=0.001)
    assert src.tip_height() == 599
    node.rotate_cookie()
    assert src.tip_height() == 599


def test_stale_cookie_is_a_clear_error(node, tmp_path):
    stale = tmp_path / "other.cookie"
    stale.write_text("__cookie__:" + "ab" * 32)
    with pytest.raises(SourceError) as err:
        RpcSource(node.base, cookie=str(stale), retries=0).tip_height()
    assert str(stale) in str(err.value) and "401" in str(err.value)
    assert "ab" * 32 not in str(err.value)


def test_missing_cookie_file(tmp_path):
    with pytest.raises(SourceError, match="cannot read RPC cookie file"):
        RpcSource("http://127.0.0.1:8332", cookie=str(tmp_path / "nope" / ".cookie"))


# -- following the tip --------------------------------------------------------------


def test_following_a_growing_tip(source, node, blocks):
    node.set_tip(99)
    assert source.tip_height() == 99
    first = list(source.iter_blocks(0, source.tip_height()))
    with pytest.raises(SourceError):
        source.block_hash(100)
    node.set_tip(250)
    tip = source.tip_height()
    assert tip == 250
    more = list(source.iter_blocks(100, tip))
    assert Block.from_bytes(more[0][2]).header.prev_hash[::-1].hex() == first[-1][1]
    assert [raw for _, _, raw in first + more] == blocks[:251]


def test_following_a_reorg(tmp_path):
    _need(REORG_DIR)
    branch, a_branch = reorg_branches()
    with FakeNode(branch) as node:
        for src in (_rpc(node), _esplora(node)):
            node.set_chain(branch)
            assert src.network() is MAINNET  # the fixture is mined on the real genesis
            assert src.tip_height() == 4
            old = {h: hh for h, hh, _ in src.iter_blocks(0, 4)}
            node.set_chain(a_branch)
            assert src.tip_height() == 5
            new = {h: hh for h, hh, _ in src.iter_blocks(0, 5)}
            assert [h for h in range(5) if old[h] != new[h]] == [3, 4]
            fork = Block.from_bytes(src.raw_block(new[3]))
            assert hash_to_hex(fork.header.prev_hash) == old[2] == new[2]
            # The stale branch stays readable by hash, as on a real node.
            assert block_hash(src.raw_block(old[4])) == old[4]
            assert _chain_work(src, new.values()) > _chain_work(src, old.values())


def _chain_work(src, hashes) -> int:
    """Total proof of work of the blocks with these hashes, read from the source."""
    return sum(work_from_bits(Block.from_bytes(src.raw_block(h)).header.bits) for h in hashes)


# -- networks and URLs ---------------------------------------------------------------


@pytest.mark.parametrize(
    "chain, network",
    [
        ("main", MAINNET),
        ("test", TESTNET3),
        ("testnet4", TESTNET4),
        ("signet", SIGNET),
        ("regtest", REGTEST),
    ],
)
def test_rpc_network_from_chain_name(chain, network):
    with FakeNode(chain=chain) as node:
        assert _rpc(node).network() is network


def test_rpc_unknown_chain_is_refused():
    with (
        FakeNode(chain="liquidv1") as node,
        pytest.raises(SourceError, match="unknown chain 'liquidv1'"),
    ):
        _rpc(node).network()


def test_open_remote_chooses_by_url():
    rpc = open_remote("http://user:hunter2@node.example:8332")
    assert isinstance(rpc, RpcSource)
    assert rpc.description == "Bitcoin Core RPC http://node.example:8332/"
    assert "hunter2" not in repr(rpc) and "user" not in rpc.description
    assert open_remote("http://node.example").description.endswith("node.example:8332/")
    esplora = open_remote("esplora+https://blockstream.info/api/")
    assert isinstance(esplora, EsploraSource)
    assert esplora.description == "Esplora https://blockstream.info/api"
    assert (
        esplora.location().kind == "esplora"
        and esplora.location().path == "https://blockstream.info/api"
    )
    with pytest.raises(SourceError, match="not a server URL"):
        open_remote("ftp://user:hunter2@example.org")
    with pytest.raises(SourceError) as err:
        open_remote("ftp://user:hunter2@example.org")
    assert "hunter2" not in str(err.value)
    with pytest.raises(SourceError, match="cookie"):
        open_remote("esplora+https://example.org/api", cookie="/tmp/.cookie")
    assert is_remote_url("esplora+https://x/api") and is_remote_url("http://h:8332")
    assert not is_remote_url("/data/blocks") and not is_remote_url("blk00000.dat")
    assert redact_url("https://a:b@h:1/p?cookie=/x") == "https://h:1/p"


def test_esplora_credentials_in_url_stay_out_of_messages(node):
    src = open_remote(f"esplora+http://bob:hunter2@127.0.0.1:{node.port}/api", retries=0)
    assert "hunter2" not in src.description
    with pytest.raises(SourceError) as err:
        src.raw_block("00" * 32)
    assert "hunter2" not in str(err.value) and "bob" not in str(err.value)
