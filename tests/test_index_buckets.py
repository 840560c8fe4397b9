"""The index's lookups built within a fixed memory budget (``index_lookups``): in
buckets written to temporary files, they are byte for byte those built whole
in memory, whatever the number of buckets and chunks; the spends scattered
and folded through bounded maps give the same arrays and segments."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_index import arrays, check_against_views

from chaintrail.store import index_lookups as L
from chaintrail.store.arrays import LOOKUPS, ROOM
from chaintrail.store.store import Store

from conftest import BUILTIN


@pytest.fixture(scope="module")
def sim_store(tmp_path_factory) -> Path:
    """A store of a small simulated chain (addresses reused), its index built by the ingest."""
    from chaintrail.cli.store_cmds import run_ingest
    from chaintrail.sim import simulate

    base = tmp_path_factory.mktemp("buckets")
    simulate(base / "sim", n_txs=3000, seed=11, profile="test")
    run_ingest([str(base / "sim" / "blocks")], str(base / "store"), show_progress=False)
    return base / "store"


def _file_bytes(root: Path, specs: dict) -> dict[str, bytes]:
    return {name: (root / spec["file"]).read_bytes() for name, spec in specs.items()}


def _reference_bytes(root: Path, entry: dict) -> dict[str, bytes]:
    ref = L.lookups_in_memory(root, entry)
    return {name: np.ascontiguousarray(arr, np.dtype(LOOKUPS[name][0])).tobytes() for name, arr in ref.items()}


@pytest.mark.parametrize("budget", [1 << 30, 20_000, 2_000])
def test_bucketed_lookups_are_the_in_memory_ones(sim_store, monkeypatch, budget):
    monkeypatch.setattr(L, "MIN_CHUNK_ROWS", 97)  # many chunks, too
    with Store.open_writer(sim_store) as s:
        entry = s.manifest.extra[ROOM]
        n_tx, n_addr = entry["upto"]["txs"], entry["upto"]["addresses"]
        if budget < 1 << 30:
            assert L.key_bits(n_tx, L.TXID_REC, budget) >= 3 and L.key_bits(n_addr, L.ADDR_REC, budget) >= 3
        specs = L.build_lookups(s.root, entry, budget)
        got = _file_bytes(s.root, specs)
        assert got == _reference_bytes(s.root, entry)
        assert got == _file_bytes(s.root, entry["lookups"])  # what the ingest's update wrote
        assert {n: sp["length"] for n, sp in specs.items()} == \
            {n: sp["length"] for n, sp in entry["lookups"].items()}
        assert not list((s.root / "state").glob("index-build-*"))


def test_address_outputs_buckets_are_many_and_bounded(sim_store):
    s = Store.open(sim_store)
    a = arrays(sim_store)
    n_addr = s.manifest.extra[ROOM]["upto"]["addresses"]
    out_address = np.asarray(a.out_address)
    hist = np.bincount(out_address[out_address >= 0], minlength=n_addr)
    budget = 4_000
    b = L.address_buckets(hist, 0, n_addr, budget)
    assert b[0] == 0 and np.all(np.diff(b) >= 0) and np.all(np.diff(b) <= 1) and b[-1] > 10
    cost = hist * L.AO_OUTPUT_COST + L.AO_ADDRESS_COST
    per_bucket = np.bincount(b, weights=cost)
    assert np.all(per_bucket <= budget // 2 + cost.max())


def test_update_within_a_tiny_budget_equals_the_default_one(tmp_path, monkeypatch):
    """Spends scattered and folded through maps that let go of their pages, lookups in many
    buckets, over two ingests: the same arrays, lookups and outputs as with the default."""
    from chaintrail.cli.store_cmds import run_ingest
    from chaintrail.ingest import pipeline

    from test_ingest_chain import snapshot

    monkeypatch.setattr(pipeline, "CHECKPOINT_OUTPUTS", 40)  # many output segments to fold
    monkeypatch.setattr(pipeline, "MERGE_ROWS", 100)
    stores = {}
    for name, budget in (("default", L.INDEX_MEMORY_BYTES), ("tiny", 4_000)):
        monkeypatch.setattr(L, "INDEX_MEMORY_BYTES", budget)
        monkeypatch.setattr(L, "MIN_CHUNK_ROWS", 50)
        s = stores[name] = tmp_path / name
        run_ingest([str(BUILTIN / "blk00000.dat")], str(s), show_progress=False, batch_mb=0)
        run_ingest([str(BUILTIN / "blk00001.dat")], str(s), show_progress=False, batch_mb=0)
        check_against_views(s)
    a, b = arrays(stores["default"]), arrays(stores["tiny"])
    for name in [*a.entry["arrays"], *a.entry["lookups"]]:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert snapshot(stores["tiny"])["outputs"] == snapshot(stores["default"])["outputs"]
    m = Store.open(stores["tiny"]).manifest
    assert len(m.segments["outputs"]) > 3
    assert all(sg.spends_upto == m.counts["inputs"] for sg in m.segments["outputs"])


def test_a_build_directory_left_by_a_crash_is_removed(tmp_path):
    from conftest import ingest

    s = tmp_path / "s"
    ingest(s, BUILTIN / "blk00000.dat")
    stale = s / "state" / "index-build-0123456789"
    stale.mkdir()
    (stale / "txid-3.bin").write_bytes(b"\0" * 64)
    Store.open_writer(s).close()
    assert not stale.exists()


def test_released_ingester_commits_no_more_but_aborts(tmp_path):
    from chaintrail.ingest.pipeline import Ingester

    with Store.open_writer(tmp_path / "s") as s:
        ing = Ingester(s)
        ing.commit()
        ing.release()
        assert ing.utxo is None and ing.known is None and ing.gathered is None
        with pytest.raises(RuntimeError, match="released"):
            ing.commit()
        ing.abort()


@st.composite
def index_arrays(draw):
    """Per-id arrays with colliding keys: few distinct txid prefixes and address hashes."""
    n_tx = draw(st.integers(0, 60))
    prefixes = draw(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=4))
    tx_hash = np.zeros((n_tx, 32), np.uint8)
    keys = np.array([draw(st.sampled_from(prefixes)) for _ in range(n_tx)], np.uint64)
    tx_hash[:, :8] = keys.view(np.uint8).reshape(n_tx, 8)
    tx_hash[:, 8:] = np.arange(n_tx, dtype=np.uint8)[:, None]
    n_addr = draw(st.integers(0, 50))
    hashes = st.sampled_from([0, 1, 2**63, 2**64 - 1, 0x9E3779B97F4A7C15])
    ha = np.array([draw(hashes) for _ in range(n_addr)], np.uint64)
    hb = np.array([draw(st.integers(0, 3)) for _ in range(n_addr)], np.uint64)
    out_address = np.array(draw(st.lists(st.integers(-1, n_addr - 1), max_size=80)), np.int64)
    return {"tx_hash": tx_hash, "addr_ha": ha, "addr_hb": hb, "out_address": out_address}


@settings(deadline=None, max_examples=60)
@given(index_arrays(), st.sampled_from([64, 700, 5_000, 1 << 30]), st.integers(1, 9))
def test_bucketed_lookups_match_the_twin(arrs, budget, chunk):
    """Equal keys, all keys equal, nothing at all, one bucket or many: the bucketed build
    writes what the whole sort in memory gives."""
    L.MIN_CHUNK_ROWS, saved = chunk, L.MIN_CHUNK_ROWS
    try:
        with tempfile.TemporaryDirectory() as d:
            root = Path(d)
            (root / "rooms" / ROOM).mkdir(parents=True)
            entry = {"arrays": {}}
            for name, arr in arrs.items():
                rel = f"rooms/{ROOM}/{name}.bin"
                (root / rel).write_bytes(arr.tobytes())
                entry["arrays"][name] = {"file": rel, "dtype": arr.dtype.str, "tail": list(arr.shape[1:]),
                                         "length": len(arr)}
            specs = L.build_lookups(root, entry, budget)
            assert _file_bytes(root, specs) == _reference_bytes(root, entry)
            assert not list((root / "state").iterdir())
    finally:
        L.MIN_CHUNK_ROWS = saved
