"""The one local SparkSession the Spark tests share (Spark takes seconds to start), and
a skip when PySpark or Java is missing."""

from __future__ import annotations

import shutil

import pytest

CONF = {"spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2",
        "spark.driver.memory": "1g", "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"}


def spark_or_skip():
    """The shared local[2] session, or a skip saying what is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        pytest.skip("PySpark is not installed (pip install 'chaintrail[spark]')")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime (scripts/system-deps.sh installs default-jre-headless)")
    from chaintrail.spark.session import get_session

    return get_session("local[2]", CONF, app="chaintrail-tests")
