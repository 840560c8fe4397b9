"""CoinJoin verdicts and change decisions on Spark: the embedded kernels run
per bucket of transactions on small local arrays built from joined rows.

A transaction's verdicts need, besides its own inputs and outputs, a few
facts about its neighbours: what each input spends (address, value, type:
the inputs table holds them), the fingerprint of its first input's parent
and of each output's spender (`change_kernels.feature_kernel` bits), and
the horizon limit. Spark joins those onto each transaction's row; each
bucket then lays its rows out as the kernels' arrays, in a local id space
that keeps the order of the global ids the kernels compare (spender ids
against the horizon limit), and calls

1. `feature_kernel` and the CoinJoin `detect_kernel` (pass A; the one rule
   that looks at a parent's verdict, a JoinMarket round spending a Wasabi
   output is no JoinMarket round, is then a join);
2. `eligible_kernel` and `change_kernel` (pass B).

The results equal `detect_coinjoins` and `detect_change` over the whole
chain (tests/test_spark_store.py compares the clusterings they lead to).
"""

from __future__ import annotations

import numpy as np

from chaintrail.bitcoin import script_types as st
from chaintrail.heuristics.codes import CJ_JOINMARKET, CJ_WASABI1, CJ_WASABI2

BUCKET_TXS = 1 << 17  # transactions per kernel call
UNKNOWN_TYPE = 255

_IN = "struct<input_id:bigint, addr:bigint, value:bigint, type:int, seq:bigint>"


def _type_code(col):
    """script_type name -> the kernels' uint8 code (st.NAMES index); NULL -> UNKNOWN_TYPE."""
    from pyspark.sql import functions as F

    m = F.create_map(*[x for i, n in enumerate(st.NAMES) for x in (F.lit(n), F.lit(i))])
    return F.coalesce(m[col.cast("string")], F.lit(UNKNOWN_TYPE)).cast("int")


def schedule(blocks: dict, horizon: int, n_tx: int) -> dict:
    """Per block: the tx id its txs' change links are due at (cluster.schedule over the blocks:
    all txs of a block share its height); and the settled boundary."""
    from chaintrail.cluster.schedule import make_schedule

    s = make_schedule(blocks["height"], horizon)
    first = np.append(blocks["first_tx_id"], n_tx)
    due = first[s.due]
    return {"first_tx_id": blocks["first_tx_id"], "due": due.astype(np.int64),
            "settled_upto": int(first[s.settled_upto]), "tip": s.tip}


def tx_rows(spark, tables: dict, addresses):
    """One row per transaction with its inputs' facts and its outputs as sorted lists."""
    from pyspark.sql import functions as F

    a = addresses.select("address", "address_id", "first_output_id")
    ins = (tables["inputs"].join(a.select("address", "address_id"), "address", "left")
           .select("tx_id", F.struct(F.col("input_id"), F.coalesce("address_id", F.lit(-1)).alias("addr"),
                                     F.coalesce("value", F.lit(-1)).alias("value"),
                                     _type_code(F.col("script_type")).alias("type"),
                                     F.col("sequence").alias("seq")).alias("i")))
    outs = (tables["outputs"].join(a, "address", "left")
            .select("tx_id", "output_id", "value", _type_code(F.col("script_type")).alias("type"),
                    F.coalesce("address_id", F.lit(-1)).alias("addr"),
                    F.coalesce(F.col("first_output_id") == F.col("output_id"), F.lit(False)).alias("first"),
                    F.coalesce("spending_tx_id", F.lit(-1)).alias("spender")))
    txs = tables["txs"].select(
        "tx_id", F.coalesce("height", F.lit(-1)).alias("height"),
        (F.col("is_coinbase").cast("int") + 2 * F.col("is_segwit").cast("int")).alias("flags"),
        "locktime", "version")
    gi = ins.groupBy("tx_id").agg(F.sort_array(F.collect_list("i")).alias("ins"))
    return txs.join(gi, "tx_id"), outs


def _arrays_a(t):
    """Kernel arrays of one bucket's rows (pass A), in tx_id order."""
    import pyarrow.compute as pc

    t = t.sort_by("tx_id")
    ins_l, outs_l = t.column("ins").combine_chunks(), t.column("outs").combine_chunks()
    ins, outs = pc.list_flatten(ins_l), pc.list_flatten(outs_l)
    n_in = pc.list_value_length(ins_l).to_numpy(zero_copy_only=False).astype(np.int32)
    n_out = pc.list_value_length(outs_l).to_numpy(zero_copy_only=False).astype(np.int32)
    first_in = np.zeros(len(n_in), np.int64)
    first_in[1:] = np.cumsum(n_in)[:-1]
    first_out = np.zeros(len(n_out), np.int64)
    first_out[1:] = np.cumsum(n_out)[:-1]

    def f(arr, name, dtype):
        return arr.field(name).to_numpy(zero_copy_only=False).astype(dtype)

    return t, {
        "tx_id": t.column("tx_id").to_numpy(), "tx_first_in": first_in, "tx_n_in": n_in,
        "tx_first_out": first_out, "tx_n_out": n_out,
        "tx_height": t.column("height").to_numpy().astype(np.int32),
        "tx_flags": t.column("flags").to_numpy().astype(np.uint8),
        "tx_locktime": t.column("locktime").to_numpy().astype(np.uint32),
        "tx_version": t.column("version").to_numpy().astype(np.int32),
        "in_addr": f(ins, "addr", np.int64), "in_value": f(ins, "value", np.int64),
        "in_type": f(ins, "type", np.uint8), "in_seq": f(ins, "seq", np.uint32),
        "out_id": f(outs, "output_id", np.int64), "out_value": f(outs, "value", np.int64),
        "out_type": f(outs, "type", np.uint8), "out_address": f(outs, "addr", np.int64),
        "outs": outs,
    }


def _pass_a(network: str | None, coord: np.ndarray):
    def run(t):
        import pyarrow as pa

        from chaintrail.heuristics.change_kernels import feature_kernel
        from chaintrail.heuristics.coinjoin import gates
        from chaintrail.heuristics.coinjoin_kernels import detect_kernel
        from chaintrail.heuristics.denominations import STANDARD_DENOMINATIONS, WHIRLPOOL_POOLS

        t, a = _arrays_a(t)
        n = len(a["tx_id"])
        feat = np.zeros(n, np.int64)
        codes = np.zeros(n, np.uint8)
        known = np.ones(n, np.bool_)
        if n:
            feature_kernel(a["tx_locktime"], a["tx_version"], a["tx_first_in"], a["tx_n_in"], a["tx_n_out"],
                           a["in_seq"], feat)
            out_tx = np.repeat(np.arange(n, dtype=np.int64), a["tx_n_out"])
            no_spend = np.full(len(a["in_addr"]), -1, np.int64)  # parents' verdicts: a join, afterwards
            detect_kernel(0, n, a["tx_first_in"], a["tx_n_in"], a["tx_first_out"], a["tx_n_out"],
                          a["tx_height"], a["tx_flags"], a["out_value"], a["out_type"], a["out_address"],
                          out_tx, no_spend, 0, a["in_addr"], a["in_value"], a["in_type"],
                          STANDARD_DENOMINATIONS, np.sort(WHIRLPOOL_POOLS), coord, gates(network), codes, known)
        return pa.table({"tx_id": a["tx_id"], "feat": feat, "code": codes.astype(np.int32), "known": known})

    return run


def coinjoins_and_features(spark, tables: dict, addresses, network: str | None):
    """(tx_id, feat, code, known) of every transaction: pass A, then the Wasabi-parent rule."""
    from pyspark.sql import functions as F

    from chaintrail.heuristics.denominations import WASABI1_COORDINATORS

    coord = np.zeros(0, np.int64)
    if network == "mainnet":
        rows = addresses.filter(F.col("address").isin(list(WASABI1_COORDINATORS))).select("address_id").collect()
        coord = np.array(sorted(r[0] for r in rows), np.int64)
    txs, outs = tx_rows(spark, tables, addresses)
    go = (outs.select("tx_id", F.struct("output_id", "value", "type", "addr").alias("o"))
          .groupBy("tx_id").agg(F.sort_array(F.collect_list("o")).alias("outs")))
    rows = txs.join(go, "tx_id", "left").withColumn(
        "outs", F.coalesce("outs", F.array().cast("array<struct<output_id:bigint,value:bigint,type:int,"
                                                    "addr:bigint>>")))
    fn = _pass_a(network, coord)
    a = (rows.withColumn("bucket", (F.col("tx_id") / BUCKET_TXS).cast("long")).groupBy("bucket")
         .applyInArrow(fn,
                       "tx_id long, feat long, code int, known boolean"))
    a = a.localCheckpoint(eager=True)
    # a JoinMarket verdict is taken back when the tx spends an output of a Wasabi CoinJoin
    wasabi = a.filter(F.col("code").isin(CJ_WASABI1, CJ_WASABI2)).select(F.col("tx_id").alias("parent"))
    spent_parent = (tables["inputs"].filter(F.col("spent_output_id").isNotNull())
                    .select("tx_id", "spent_output_id")
                    .join(tables["outputs"].select(F.col("output_id").alias("spent_output_id"),
                                                   F.col("tx_id").alias("parent")), "spent_output_id"))
    jm = a.filter(F.col("code") == CJ_JOINMARKET).select("tx_id")
    cleared = (spent_parent.join(jm, "tx_id").join(wasabi, "parent").select("tx_id").distinct()
               .withColumn("cleared", F.lit(True)))
    return (a.join(cleared, "tx_id", "left")
            .withColumn("code", F.when(F.col("cleared").isNotNull(), F.lit(0)).otherwise(F.col("code")))
            .drop("cleared"))


def _pass_b(table: np.ndarray, leaf_code: np.ndarray, leaf_unit: np.ndarray, max_outputs: int,
            block_first: np.ndarray, block_due: np.ndarray):
    def run(t):
        import pyarrow as pa

        from chaintrail.heuristics import change_kernels as K

        t, a = _arrays_a(t)
        n = len(a["tx_id"])
        gid = a["tx_id"]
        if n == 0:
            return pa.table({"tx_id": np.zeros(0, np.int64), "output_id": np.zeros(0, np.int64),
                             "support": np.zeros(0, np.int32)})
        outs = a["outs"]
        spender = outs.field("spender").to_numpy(zero_copy_only=False).astype(np.int64)
        s_feat = outs.field("sfeat").to_numpy(zero_copy_only=False).astype(np.int64)
        first = outs.field("first").to_numpy(zero_copy_only=False).astype(np.bool_)
        parent = t.column("parent").to_numpy().astype(np.int64)
        p_feat = t.column("pfeat").to_numpy().astype(np.int64)
        own_feat = t.column("feat").to_numpy().astype(np.int64)
        due = block_due[np.searchsorted(block_first, gid, side="right") - 1]
        # the local id space: every global tx id the kernel indexes or compares, in order
        ids = np.unique(np.concatenate([gid, spender[spender >= 0], parent[parent >= 0], due]))
        m = len(ids)
        r_t = np.searchsorted(ids, gid)
        tx_first_in = np.zeros(m, np.int64)
        tx_n_in = np.zeros(m, np.int32)
        tx_first_out = np.zeros(m, np.int64)
        tx_n_out = np.zeros(m, np.int32)
        flags = np.zeros(m, np.uint8)
        feat = np.zeros(m, np.int64)
        limit = np.zeros(m, np.int64)
        codes = np.zeros(m, np.uint8)
        tx_first_in[r_t], tx_n_in[r_t] = a["tx_first_in"], a["tx_n_in"]
        tx_first_out[r_t], tx_n_out[r_t] = a["tx_first_out"], a["tx_n_out"]
        flags[r_t] = a["tx_flags"]
        codes[r_t] = t.column("code").to_numpy().astype(np.uint8)
        limit[r_t] = np.searchsorted(ids, due)
        sp = spender >= 0
        feat[np.searchsorted(ids, spender[sp])] = s_feat[sp]
        pp = parent >= 0
        feat[np.searchsorted(ids, parent[pp])] = p_feat[pp]
        feat[r_t] = own_feat
        n_out = len(a["out_value"])
        # in_spent of each first input: a stand-in output (after the real ones) owned by its parent
        in_spent = np.full(len(a["in_addr"]), -1, np.int64)
        out_tx = np.concatenate([np.repeat(r_t, a["tx_n_out"]), np.zeros(int(pp.sum()), np.int64)])
        stand_in = n_out + np.arange(int(pp.sum()), dtype=np.int64)
        in_spent[a["tx_first_in"][pp]] = stand_in
        out_tx[stand_in] = np.searchsorted(ids, parent[pp])
        sp_local = np.where(sp, np.searchsorted(ids, np.where(sp, spender, 0)), -1)
        elig = np.zeros(m, np.bool_)
        K.eligible_kernel(0, m, tx_n_out, tx_first_out, flags, a["out_address"], codes,
                          np.int64(max_outputs), elig)
        change = np.full(m, -1, np.int64)
        support = np.zeros(m, np.uint16)
        K.change_kernel(0, m, elig, leaf_code, leaf_unit, table, tx_first_in, tx_n_in, tx_first_out,
                        tx_n_out, feat, 0, a["in_addr"], a["in_value"], a["in_type"], in_spent,
                        a["out_value"], a["out_type"], a["out_address"], out_tx, sp_local, first, limit,
                        change, support)
        hit = np.nonzero(change >= 0)[0]
        tx_of = ids[hit]
        return pa.table({"tx_id": tx_of, "output_id": a["out_id"][change[hit]],
                         "support": support[hit].astype(np.int32)})

    return run


def change_events(spark, tables: dict, addresses, verdict, params, sched: dict):
    """(tx_id, output_id, support) of every transaction with a change output (pass B)."""
    from pyspark.sql import functions as F

    from chaintrail.heuristics.change import compile_program
    from chaintrail.heuristics.change_expr import parse

    node = parse(params.change)
    if node is None:
        return spark.createDataFrame([], "tx_id long, output_id long, support int")
    prog = compile_program(node)
    txs, outs = tx_rows(spark, tables, addresses)
    v = verdict.select("tx_id", "feat", "code")
    sfeat = v.select(F.col("tx_id").alias("spender"), F.col("feat").alias("sfeat"))
    go = (outs.join(sfeat, "spender", "left").withColumn("sfeat", F.coalesce("sfeat", F.lit(0)))
          .select("tx_id", F.struct("output_id", "value", "type", "addr", "first", "spender", "sfeat").alias("o"))
          .groupBy("tx_id").agg(F.sort_array(F.collect_list("o")).alias("outs")))
    first_in = (tables["inputs"].filter(F.col("vin") == 0).select("tx_id", "spent_output_id")
                .join(tables["outputs"].select(F.col("output_id").alias("spent_output_id"),
                                               F.col("tx_id").alias("parent")), "spent_output_id")
                .join(v.select(F.col("tx_id").alias("parent"), F.col("feat").alias("pfeat")), "parent")
                .select("tx_id", "parent", "pfeat"))
    empty = "array<struct<output_id:bigint,value:bigint,type:int,addr:bigint,first:boolean,spender:bigint,sfeat:bigint>>"
    rows = (txs.join(go, "tx_id", "left").withColumn("outs", F.coalesce("outs", F.array().cast(empty)))
            .join(v, "tx_id").join(first_in, "tx_id", "left")
            .withColumn("parent", F.coalesce("parent", F.lit(-1)))
            .withColumn("pfeat", F.coalesce("pfeat", F.lit(0))))
    mco = params.max_change_outputs if params.max_change_outputs is not None else 1 << 40
    fn = _pass_b(prog.table, prog.leaf_code, prog.leaf_unit, mco, sched["first_tx_id"], sched["due"])
    return (rows.withColumn("bucket", (F.col("tx_id") / BUCKET_TXS).cast("long")).groupBy("bucket")
            .applyInArrow(fn, "tx_id long, output_id long, support int"))
