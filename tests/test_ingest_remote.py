"""Ingest from a node over the real Bitcoin Core JSON-RPC and Esplora protocols
(a loopback server serving real blocks): the same store as from files,
following a growing tip, and reorganising when the node's chain changes."""

from __future__ import annotations

import pytest

from chaintrail.chain import open as open_chain
from chaintrail.cli.store_cmds import run_ingest
from chaintrail.errors import NetworkMismatchError

from conftest import BLOCKS, BUILTIN, ingest, needs_shared
from support.fake_node import FakeNode, read_framed
from test_ingest_chain import snapshot


@pytest.fixture(scope="module")
def blocks() -> list[bytes]:
    return read_framed(BUILTIN / "blk00000.dat") + read_framed(BUILTIN / "blk00001.dat")


@pytest.fixture(scope="module")
def file_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("files") / "store"
    ingest(store, BUILTIN)
    return snapshot(store)


@pytest.fixture
def node(blocks, tmp_path):
    with FakeNode(blocks, cookie_dir=tmp_path) as n:
        yield n


@pytest.mark.parametrize("kind", ["rpc", "esplora"])
def test_remote_ingest_equals_file_ingest(node, file_store, tmp_path, kind):
    url = node.rpc_url if kind == "rpc" else node.esplora_url
    store = tmp_path / "s"
    r = run_ingest([url], str(store), show_progress=False)
    assert r["blocks_applied"] == 600 and r["tip_height"] == 599
    assert snapshot(store) == file_store
    # the password is nowhere in the store
    assert node.password not in (store / "manifest.json").read_text()


def test_following_a_growing_tip(node, file_store, tmp_path):
    store = tmp_path / "s"
    node.set_tip(250)
    r = run_ingest([node.rpc_url], str(store), show_progress=False)
    assert r["tip_height"] == 250
    node.set_tip(599)
    r = run_ingest([node.rpc_url], str(store), show_progress=False)
    assert r["blocks_applied"] == 349 and r["blocks_rolled_back"] == 0
    assert snapshot(store) == file_store


def test_files_then_node(node, file_store, tmp_path):
    """A store built from blk files continues from the node where the files stopped."""
    store = tmp_path / "s"
    ingest(store, BUILTIN / "blk00000.dat")
    r = run_ingest([node.esplora_url], str(store), show_progress=False)
    assert r["blocks_applied"] == 300
    assert snapshot(store) == file_store


@needs_shared
def test_node_reorg(tmp_path, expected):
    first = read_framed(BLOCKS / "reorg-btcd" / "blk_0_to_4.dat")
    a_branch = first[:3] + [read_framed(BLOCKS / "reorg-btcd" / f"blk_{n}.dat")[0]
                            for n in ("3A", "4A", "5A")]
    store = tmp_path / "s"
    with FakeNode(first, cookie_dir=tmp_path) as node:
        run_ingest([node.rpc_url], str(store), show_progress=False)
        assert open_chain(store).tip[0] == 4
        node.set_chain(a_branch)
        r = run_ingest([node.rpc_url], str(store), show_progress=False)
    assert r["blocks_rolled_back"] == 2 and r["blocks_applied"] == 3
    a5 = next(e for e in expected if e["file"] == "reorg-btcd/blk_5A.dat")
    assert open_chain(store).tip == (5, a5["hash"])
    files = tmp_path / "f"
    ingest(files, *(BLOCKS / "reorg-btcd" / f for f in ("blk_0_to_4.dat", "blk_3A.dat", "blk_4A.dat",
                                                       "blk_5A.dat")))
    got, want = snapshot(store), snapshot(files)
    assert got["txs"] == want["txs"] and got["outputs"] == want["outputs"]
    assert got["inputs"] == want["inputs"]


def test_node_of_another_network_is_refused(node, tmp_path):
    store = tmp_path / "s"
    ingest(store, *sorted(BUILTIN.iterdir())[:1])
    node.chain = "test"
    with pytest.raises(NetworkMismatchError, match="testnet3"):
        run_ingest([node.rpc_url], str(store), show_progress=False)
