"""The Python worker daemon Spark forks its workers from, with chaintrail's
modules (pyarrow, the numba kernels from their cache) imported once, so a
worker starts ready instead of spending seconds importing them
(`spark.python.daemon.module`, set by `session.get_session`)."""

from __future__ import annotations


def _preload() -> None:
    import numpy  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    import chaintrail.bitcoin.address_kernels  # noqa: F401
    import chaintrail.bitcoin.parse_kernels  # noqa: F401
    import chaintrail.heuristics.change_kernels  # noqa: F401
    import chaintrail.heuristics.coinjoin_kernels  # noqa: F401
    import chaintrail.ingest.parse_batch  # noqa: F401
    import chaintrail.ingest.tables  # noqa: F401
    import chaintrail.spark.blocks  # noqa: F401
    import chaintrail.spark.segments  # noqa: F401
    import chaintrail.spark.verdicts  # noqa: F401


if __name__ == "__main__":
    _preload()
    from pyspark.daemon import manager

    manager()
