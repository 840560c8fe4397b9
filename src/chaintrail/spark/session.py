"""The Spark session the stages run in: one per process, configured for the
store's work (Arrow transfers, modest shuffle width in local mode)."""

from __future__ import annotations

import os
import sys

DEFAULT_CONF = {
    "spark.ui.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.arrow.maxRecordsPerBatch": "262144",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.memory": "2g",
    # workers forked from a daemon that has chaintrail's modules imported already
    "spark.python.daemon.module": "chaintrail.spark.daemon",
    # one numba thread per Python worker: Spark's task slots are the parallelism
    "spark.executorEnv.NUMBA_NUM_THREADS": "1",
    "spark.sql.autoBroadcastJoinThreshold": str(32 << 20),
}


def local_shuffle_partitions(master: str) -> int | None:
    """A shuffle width for local masters (local[N]: 2N, at least 4); None for clusters."""
    if not master.startswith("local"):
        return None
    inner = master[master.find("[") + 1:master.find("]")] if "[" in master else "1"
    n = (os.cpu_count() or 2) if inner == "*" else int(inner.split(",")[0])
    return max(4, 2 * n)


def under_spark_submit() -> bool:
    """Whether spark-submit launched this process (it then owns the master and configuration)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def get_session(master: str | None = "local[*]", conf: dict[str, str] | None = None, app: str = "chaintrail"):
    """The process's SparkSession (created on first use with `master` and `conf`). master None:
    spark-submit's master when launched by it, else local[*]."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if not under_spark_submit():
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        master = master or "local[*]"
    b = SparkSession.builder.appName(app)
    if master:
        b = b.master(master)
    settings = dict(DEFAULT_CONF)
    if under_spark_submit():
        settings.pop("spark.driver.memory")  # fixed by spark-submit before the driver started
    parts = local_shuffle_partitions(master or "")
    if parts:
        settings["spark.sql.shuffle.partitions"] = str(parts)
        settings["spark.default.parallelism"] = str(parts)
    settings.update(conf or {})
    for k, v in settings.items():
        b = b.config(k, v)
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def parse_conf(items: list[str]) -> dict[str, str]:
    """--conf key=value options as a dict (a one-line error on a malformed one)."""
    out = {}
    for it in items:
        if "=" not in it:
            from chaintrail.errors import ChaintrailError

            raise ChaintrailError(f"--conf takes key=value, not {it!r}")
        k, v = it.split("=", 1)
        out[k.strip()] = v.strip()
    return out
