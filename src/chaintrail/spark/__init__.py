"""chaintrail on Apache Spark: the embedded pipeline's stages (ingest, index,
cluster) as Spark jobs that write the same store layout, for chains and
refresh rates beyond one machine (docs/spark.md)."""
