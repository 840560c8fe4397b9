"""A store built by `chaintrail spark ingest|index|cluster` (local mode) equals the embedded
engine's, table by table, on the simulator's corpus and on the real blocks; the API and the
embedded ingest open and continue it."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from spark_support import spark_or_skip

from chaintrail.errors import InvalidBlockError, StoreError

from conftest import BLOCKS, ingest, needs_shared

TABLES = {"blocks": "chain_seq", "txs": "tx_id", "outputs": "output_id", "inputs": "input_id",
          "addresses": "address_id"}


@pytest.fixture(scope="module")
def spark():
    return spark_or_skip()


def _params():
    from chaintrail.cluster.params import ClusterParams

    return ClusterParams(guard_tags=False, guard_other_output=False)


def _embedded(store: Path, *sources) -> Path:
    from chaintrail.cluster.build import build_clusters

    ingest(store, *sources)
    build_clusters(str(store), _params())
    return store


def _spark(spark, store: Path, *sources) -> dict:
    from chaintrail.spark.cluster import run_spark_cluster
    from chaintrail.spark.index import run_spark_index
    from chaintrail.spark.ingest import run_spark_ingest

    rep = {"ingest": run_spark_ingest(spark, [str(s) for s in sources], str(store), partitions=3)}
    rep["index"] = run_spark_index(spark, str(store), partitions=3)
    rep["cluster"] = run_spark_cluster(spark, str(store), _params())
    return rep


def _view(store: Path, sql: str) -> pa.Table:
    from chaintrail.store.store import Store

    con = Store.open(store).connect()
    try:
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()


def assert_same_store(a: Path, b: Path, clusters: bool = True) -> None:
    """Every table of the store contract (and the clustering's) holds the same rows in both."""
    from chaintrail.store.manifest import load_manifest

    ma, mb = load_manifest(a), load_manifest(b)
    assert ma.counts == mb.counts
    assert (ma.network, ma.tip_height, ma.tip_hash, ma.loose_blocks, ma.utxo_count) == \
           (mb.network, mb.tip_height, mb.tip_hash, mb.loose_blocks, mb.utxo_count)
    names = dict(TABLES)
    if clusters:
        names.update({"clusters": "cluster_id", "coinjoins": "tx_id"})
    for name, key in names.items():
        ta, tb = (_view(s, f"SELECT * FROM {name} ORDER BY {key}") for s in (a, b))
        assert ta.num_rows == tb.num_rows, name
        assert ta.schema.names == tb.schema.names, name
        for col in ta.schema.names:
            assert ta.column(col).to_pylist() == tb.column(col).to_pylist(), f"{name}.{col}"


@pytest.fixture(scope="module")
def sim_blocks(tmp_path_factory) -> Path:
    """2,000 transactions of the default economy: merges, change, CoinJoins of every protocol."""
    from chaintrail.sim import simulate

    out = tmp_path_factory.mktemp("spark-corpus") / "sim"
    simulate(out, 2000, 1)
    return out / "blocks"


@pytest.fixture(scope="module")
def sim_pair(spark, sim_blocks, tmp_path_factory):
    d = tmp_path_factory.mktemp("spark-sim")
    emb = _embedded(d / "embedded", sim_blocks)
    rep = _spark(spark, d / "spark", sim_blocks)
    return emb, d / "spark", rep


def test_sim_store_equals_embedded(sim_pair):
    emb, spk, rep = sim_pair
    assert rep["ingest"].txs > 2000
    assert_same_store(emb, spk)


def test_sim_cluster_partition_equals_embedded(sim_pair):
    emb, spk, rep = sim_pair
    q = "SELECT address_id, cluster_id FROM addresses ORDER BY address_id"
    a, b = _view(emb, q), _view(spk, q)
    assert a.column("cluster_id").to_pylist() == b.column("cluster_id").to_pylist()
    # the corpus has real clustering work in it: merges, change links and CoinJoins
    assert rep["cluster"]["clusters"] < rep["cluster"]["addresses"]
    assert rep["cluster"]["change_events"] > 0
    assert sum(rep["cluster"]["coinjoins"].values()) > 0


def test_guarded_clustering_equals_embedded(spark, sim_pair, sim_blocks, tmp_path):
    """With the guard on (the default), Spark decides the links and the driver runs the embedded
    union-find: the same clusters, evidence and refusals as `cluster build`, here with every
    service's addresses tagged so that the guard keeps services apart."""
    import shutil

    import duckdb

    from chaintrail.attribution.service import import_tags
    from chaintrail.cluster.build import build_clusters
    from chaintrail.cluster.params import ClusterParams
    from chaintrail.spark.cluster import run_spark_cluster

    truth = sim_blocks.parent / "truth"
    rows = duckdb.connect().sql(f"""
        SELECT a.address, e.name, e.name FROM '{truth / 'addresses.parquet'}' a
        JOIN '{truth / 'entities.parquet'}' e USING (entity_id)
        WHERE e.kind <> 'user' AND a.address IS NOT NULL ORDER BY a.address""").fetchall()
    csv = tmp_path / "services.csv"
    csv.write_text("address,label,category,actor,confidence\n"
                   + "".join(f"{a},{n},exchange,{actor},ownership\n" for a, n, actor in rows))
    emb, spk = tmp_path / "embedded", tmp_path / "spark"
    shutil.copytree(sim_pair[0], emb)
    shutil.copytree(sim_pair[1], spk)
    for store in (emb, spk):
        import_tags(store, [str(csv)])
    build_clusters(str(emb), ClusterParams(), full=True)
    rep = run_spark_cluster(spark, str(spk), ClusterParams())
    assert rep["params"] == ClusterParams().to_dict() and rep["params"]["guard_other_output"]
    assert rep["anchors"] > 0
    for q in ("SELECT address_id, cluster_id FROM addresses ORDER BY address_id",
              "SELECT * FROM clusters ORDER BY cluster_id",
              "SELECT * FROM cluster_refusals ORDER BY ALL",
              "SELECT * FROM cluster_evidence ORDER BY ALL"):
        a, b = _view(emb, q), _view(spk, q)
        assert a.num_rows and a.to_pylist() == b.to_pylist(), q
    # the guard refused a merge of two services, so the partition differs from the unguarded one
    q = "SELECT cluster_id FROM addresses ORDER BY address_id"
    assert _view(spk, q).column(0).to_pylist() != _view(sim_pair[1], q).column(0).to_pylist()


def test_api_and_cluster_show_read_spark_store(sim_pair):
    import chaintrail as ct
    from chaintrail.cluster.query import Clusters

    emb, spk, _ = sim_pair
    ce, cs = ct.open(emb), ct.open(spk)
    txid = _view(emb, "SELECT txid FROM txs WHERE n_inputs > 2 ORDER BY tx_id LIMIT 1").column(0)[0].as_py()
    te, ts = ce.tx(txid), cs.tx(txid)
    assert (ts.fee, ts.height, len(ts.inputs), len(ts.outputs)) == (te.fee, te.height, len(te.inputs),
                                                                      len(te.outputs))
    addr = te.inputs[0].address
    assert cs.address(addr).balance == ce.address(addr).balance
    big = _view(emb, "SELECT cluster_id FROM clusters ORDER BY n_addresses DESC, cluster_id LIMIT 1")
    cid = big.column(0)[0].as_py()
    qe, qs = Clusters(ce), Clusters(cs)
    re_, rs = qe.ref(str(cid)), qs.ref(str(cid))
    assert qe.summary(re_) == qs.summary(rs)
    assert qe.page(re_, 1, 50) == qs.page(rs, 1, 50)
    assert qs.ref(addr).cluster_id == qe.ref(addr).cluster_id


@needs_shared
def test_real_blocks_equal_embedded(spark, tmp_path):
    sources = (BLOCKS / "mainnet-0-599", BLOCKS / "mainnet")
    emb = _embedded(tmp_path / "embedded", *sources)
    rep = _spark(spark, tmp_path / "spark", *sources)
    assert rep["ingest"].txs == 8111
    assert rep["ingest"].loose_blocks == 10
    assert_same_store(emb, tmp_path / "spark")


@needs_shared
def test_embedded_ingest_continues_a_spark_store(spark, tmp_path):
    """The UTXO snapshot and chain index Spark writes let the embedded ingest add the next file."""
    from chaintrail.spark.index import run_spark_index
    from chaintrail.spark.ingest import run_spark_ingest

    src = BLOCKS / "mainnet-0-599"
    run_spark_ingest(spark, [str(src / "blk00000.dat")], str(tmp_path / "spark"), partitions=2)
    run_spark_index(spark, str(tmp_path / "spark"), partitions=2)
    ingest(tmp_path / "spark", src / "blk00001.dat")
    ingest(tmp_path / "embedded", src)
    assert_same_store(tmp_path / "embedded", tmp_path / "spark", clusters=False)


def test_invalid_block_refused_with_one_line(spark, tmp_path):
    """A flipped byte inside block 100's transactions: refused naming the block, file and offset."""
    from chaintrail.bitcoin.block import BlockHeader
    from chaintrail.sources.files import expand_paths
    from chaintrail.spark.ingest import run_spark_ingest

    from conftest import BUILTIN

    src = BUILTIN / "blk00000.dat"
    loc = [rb for f in expand_paths(str(src)) for rb in f.scan()][100].location
    data = bytearray(src.read_bytes())
    data[loc.offset + 81 + 60] ^= 0x01
    bad = tmp_path / "blocks" / "blk00000.dat"
    bad.parent.mkdir()
    bad.write_bytes(bytes(data))
    h = BlockHeader.from_bytes(bytes(data[loc.offset:loc.offset + 80])).hash
    with pytest.raises(InvalidBlockError) as e:
        run_spark_ingest(spark, [str(bad.parent)], str(tmp_path / "store"), partitions=2)
    msg = str(e.value)
    assert "\n" not in msg and h in msg and str(bad) in msg and str(loc.offset) in msg and "merkle" in msg
    from chaintrail.store.manifest import load_manifest

    assert load_manifest(tmp_path / "store") is None  # nothing committed


def test_spark_ingest_refuses_a_store_with_blocks(spark, sim_pair, sim_blocks):
    from chaintrail.spark.ingest import run_spark_ingest

    _, spk, _ = sim_pair
    with pytest.raises(StoreError, match="already holds blocks"):
        run_spark_ingest(spark, [str(sim_blocks)], str(spk))
