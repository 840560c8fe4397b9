"""`chaintrail spark ingest|index|cluster`: the pipeline's stages on Apache Spark
(docs/spark.md). PySpark is imported only when a command runs."""

from __future__ import annotations

from typing import List, Optional

import typer

from chaintrail.cli.output import console, print_json
from chaintrail.errors import ChaintrailError

MasterOpt = typer.Option(None, "--master", envvar="CHAINTRAIL_SPARK_MASTER",
                         help="Spark master: local[*] (default), local[N], spark://host:7077, yarn, "
                              "k8s://...; under spark-submit, its --master.")
StoreOpt = typer.Option(..., "--store", envvar="CHAINTRAIL_STORE",
                        help="Store: a directory, or s3a://bucket/path, hdfs://... (ingest and index).")
ConfOpt = typer.Option(None, "--conf", help="Extra Spark configuration, key=value (repeatable).")
PartsOpt = typer.Option(None, "--partitions", help="Output partitions per table (default: the "
                        "cluster's default parallelism).")
JsonOpt = typer.Option(False, "--json", help="Machine-readable JSON output.")


class SparkMissing(ChaintrailError):
    """PySpark or Java is not installed."""


def _session(master: Optional[str], conf: Optional[List[str]]):
    import shutil

    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise SparkMissing("PySpark is not installed: pip install 'chaintrail[spark]'") from None
    if not shutil.which("java") and not __import__("os").environ.get("JAVA_HOME"):
        raise SparkMissing("Spark needs Java (17 or later): install a JRE, e.g. apt install default-jre-headless")
    from chaintrail.spark.session import get_session, parse_conf

    return get_session(master, parse_conf(conf or []))


def _phases(rep: dict) -> str:
    return ", ".join(f"{k} {v:.1f} s" for k, v in rep.get("phases", rep.get("phases_s", {})).items())


def register(app: typer.Typer) -> None:
    spark_app = typer.Typer(help="The pipeline on Apache Spark: ingest, index, cluster.", no_args_is_help=True)
    app.add_typer(spark_app, name="spark")

    @spark_app.command("ingest")
    def ingest(
        sources: List[str] = typer.Argument(..., help="Block files or directories (blk*.dat, raw, hex), "
                                            "readable by every executor."),
        store: str = StoreOpt, master: Optional[str] = MasterOpt, conf: Optional[List[str]] = ConfOpt,
        network: Optional[str] = typer.Option(None, "--network", help="mainnet, testnet, regtest, signet "
                                              "(default: from the files' magic bytes)."),
        utxo: bool = typer.Option(True, "--utxo/--no-utxo", help="Write the UTXO snapshot the embedded "
                                  "ingest continues from (local stores; built on the driver)."),
        partitions: Optional[int] = PartsOpt, json_out: bool = JsonOpt,
    ) -> None:
        """Build a new store from block files: parse, resolve spends by joins, write segments."""
        from dataclasses import asdict

        from chaintrail.spark.ingest import run_spark_ingest

        spark = _session(master, conf)
        rep = run_spark_ingest(spark, sources, store, network, utxo=utxo, partitions=partitions,
                               progress=None if json_out else lambda p: console.print(f"  {p} done"))
        d = asdict(rep)
        if json_out:
            print_json(d)
        else:
            console.print(f"ingested {rep.blocks:,} blocks, {rep.txs:,} txs ({rep.bytes / 1e6:,.1f} MB) in "
                          f"{rep.seconds:.1f} s on {master or 'local[*]'}: tip {rep.tip_height} {rep.tip_hash}; "
                          f"{rep.loose_blocks} loose, {rep.side_blocks} side blocks; "
                          f"{rep.utxo_count:,} unspent outputs", highlight=False)
            console.print(f"  {_phases(d)}", highlight=False)

    @spark_app.command("index")
    def index(store: str = StoreOpt, master: Optional[str] = MasterOpt, conf: Optional[List[str]] = ConfOpt,
              arrays: bool = typer.Option(True, "--arrays/--no-arrays", help="Build the analysis arrays "
                                          "afterwards (local stores; what the API and web UI read)."),
              partitions: Optional[int] = PartsOpt, json_out: bool = JsonOpt) -> None:
        """Build the addresses table (and the analysis arrays) of a Spark-ingested store."""
        from chaintrail.spark.index import run_spark_index

        rep = run_spark_index(_session(master, conf), store, arrays=arrays, partitions=partitions)
        if json_out:
            print_json(rep)
        else:
            console.print(f"indexed {rep['addresses']:,} addresses in {rep['seconds']:.1f} s "
                          f"({_phases(rep)})", highlight=False)

    @spark_app.command("cluster")
    def cluster(
        store: str = StoreOpt, master: Optional[str] = MasterOpt, conf: Optional[List[str]] = ConfOpt,
        change: str = typer.Option("default", "--change", help="Change heuristics (as `cluster build`)."),
        coinjoin_filter: str = typer.Option("on", "--coinjoin-filter",
                                            help="on: skip detected CoinJoins in the multi-input heuristic."),
        horizon: Optional[int] = typer.Option(None, "--horizon", help="Blocks until a change link is final "
                                              "(default 144)."),
        max_change_outputs: Optional[int] = typer.Option(None, "--max-change-outputs",
                                                         help="Default 3; 0: no limit."),
        guard: str = typer.Option("on", "--guard", help="on (as `cluster build`): Spark decides the links, "
                                  "the guarded union-find runs on the driver; off: distributed connected "
                                  "components."),
        cannot_link: str = typer.Option("off", "--cannot-link", help="As `cluster build`."),
        json_out: bool = JsonOpt,
    ) -> None:
        """Cluster addresses: the links on Spark, the clusters as the embedded build makes them."""
        from chaintrail.cli.cluster_cmds import UsageError, _on_off
        from chaintrail.cluster.params import (
            DEFAULT_HORIZON,
            DEFAULT_MAX_CHANGE_OUTPUTS,
            ClusterParams,
        )
        from chaintrail.spark.cluster import run_spark_cluster

        mco = DEFAULT_MAX_CHANGE_OUTPUTS if max_change_outputs is None else (max_change_outputs or None)
        g = _on_off(guard, "--guard")
        params = ClusterParams(change=change, coinjoin_filter=_on_off(coinjoin_filter, "--coinjoin-filter"),
                               horizon=DEFAULT_HORIZON if horizon is None else horizon, max_change_outputs=mco,
                               guard_tags=g, guard_other_output=g,
                               cannot_link=_on_off(cannot_link, "--cannot-link"))
        if params.horizon < 0:
            raise UsageError("--horizon must be 0 or more")
        rep = run_spark_cluster(_session(master, conf), store, params)
        if json_out:
            print_json(rep)
        else:
            big = rep.get("largest_cluster") or {}
            console.print(f"clustered {rep['addresses']:,} addresses in {rep['seconds']:.1f} s: "
                          f"{rep['clusters']:,} clusters, largest {big.get('n_addresses', 0):,} addresses "
                          f"(cluster {big.get('cluster_id')}); {rep['links']:,} links, "
                          f"{rep['change_events']:,} change links; {rep['cc_rounds']} rounds "
                          f"({_phases(rep)})", highlight=False)
