"""`chaintrail demo`: the README's main job. Simulates a modest economy of
known actors, ingests its blocks, and shows what the store holds next to the
simulator's ground truth; then ingests the built-in real mainnet blocks.
Later rooms (clustering, tracing, the compliance desk) add their scenes
through ``SCENES``."""

from __future__ import annotations

import shutil
import time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

import typer

from chaintrail.cli.output import btc, console, kv_table, rows_table
from chaintrail.cli.store_cmds import open_chain
from chaintrail.errors import StoreError

if TYPE_CHECKING:
    from chaintrail.chain import Chain

DEMO_TXS = 200_000
DEMO_SEED = 7

#: scenes added by later rooms: f(chain, truth_dir, out_dir) -> None, run in order
SCENES: list[Callable[[Chain, Path, Path], None]] = []


def builtin_blocks() -> Path:
    """The first 600 mainnet blocks shipped with the package."""
    return Path(str(resources.files("chaintrail") / "data" / "mainnet-0-599"))


def _fresh_dir(path: Path) -> None:
    if path.exists():
        if not (path / "demo.marker").exists() and any(path.iterdir()):
            raise StoreError(f"{path}: exists and is not a chaintrail demo directory; choose another --out")
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / "demo.marker").write_text("made by chaintrail demo\n")


def _truth(truth: Path, sql: str) -> list[tuple]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        return con.sql(sql.replace("{t}", str(truth).replace("'", "''"))).fetchall()
    finally:
        con.close()


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(out: Optional[str] = typer.Option("./chaintrail-demo", "--out", "--store",
                                                help="Directory the demo (re)builds."),
             txs: int = typer.Option(DEMO_TXS, help="Simulated transactions."),
             quiet: bool = typer.Option(False, help="No progress bars.")) -> None:
        """Simulate an economy, ingest it, and show what chaintrail finds (then real blocks)."""
        from chaintrail.cli.store_cmds import run_ingest
        from chaintrail.sim import simulate

        root = Path(out)
        _fresh_dir(root)
        t0 = time.monotonic()
        sim = simulate(root / "sim", txs, DEMO_SEED, profile="donations")
        console.print(f"[bold]chaintrail demo[/bold]: simulated {sim.n_txs:,} transactions in "
                      f"{sim.n_blocks:,} regtest blocks ({sim.bytes_written / 1e6:,.0f} MB) in "
                      f"{sim.elapsed:.1f} s")
        store = root / "store"
        rep = run_ingest([str(sim.blocks_dir)], str(store), show_progress=not quiet)
        console.print(f"ingested {rep['blocks_applied']:,} blocks, {rep['txs_applied']:,} transactions "
                      f"in {rep['elapsed_s']:.1f} s ({rep['tx_per_s']:,.0f} tx/s); analysis index in "
                      f"{rep['index']['seconds']:.1f} s")
        chain = open_chain(store)
        _show_store(chain)
        _show_truth(chain, sim.truth_dir)
        for scene in SCENES:
            scene(chain, sim.truth_dir, root)
        _show_real_blocks(root, quiet)
        console.print(f"\ndone in {time.monotonic() - t0:.0f} s. Try: chaintrail sql "
                      f"\"select script_type, count(*) from outputs group by 1\" --store {store}")


def _show_store(chain: Chain) -> None:
    s = chain.status()
    c = s["counts"]
    kv_table("the store", [
        ("tip", f"{s['tip_height']} {s['tip_hash']}"), ("transactions", f"{c['txs']:,}"),
        ("outputs / inputs", f"{c['outputs']:,} / {c['inputs']:,}"), ("addresses", f"{c['addresses']:,}"),
        ("unspent outputs", f"{s['utxo_count']:,}"), ("size", f"{s['store_bytes'] / 1e6:,.0f} MB"),
    ])
    rows = chain.sql("SELECT script_type, count(*), sum(value) FROM outputs GROUP BY 1 ORDER BY 2 DESC").fetchall()
    rows_table("outputs by script type", ["type", "outputs", "value"], [(t, f"{n:,}", btc(v)) for t, n, v in rows])
    fees = chain.sql("SELECT median(fee / vsize), sum(fee) FROM txs WHERE NOT is_coinbase").fetchall()[0]
    console.print(f"median fee rate {fees[0]:.1f} sat/vB, {btc(fees[1])} in fees")


def _show_truth(chain: Chain, truth: Path) -> None:
    kinds = _truth(truth, "SELECT kind, count(*) FROM '{t}/entities.parquet' GROUP BY 1 ORDER BY 2 DESC")
    rows_table("who is in the economy (ground truth)", ["entity kind", "entities"], kinds)
    txk = _truth(truth, "SELECT kind, coalesce(protocol, ''), count(*) FROM '{t}/txs.parquet' "
                        "GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 12")
    rows_table("what the transactions are (ground truth)", ["kind", "protocol", "transactions"], txk)
    org = _truth(truth, "SELECT donation_address, count(*), sum(value), "
                        "count(*) FILTER (WHERE source = 'exchange_withdrawal') "
                        "FROM '{t}/donations.parquet' GROUP BY 1")
    for addr, n, value, from_exchange in org:
        a = chain.address(addr)
        console.print(f"the donation organisation's address {addr} received {btc(a.received)} in "
                      f"{a.n_outputs:,} outputs on chain (its own change included); the truth says "
                      f"{n:,} donations "
                      f"({btc(value)}), {from_exchange:,} of them straight from exchange withdrawals "
                      "whose senders the exchanges can name")


def _show_real_blocks(root: Path, quiet: bool) -> None:
    from chaintrail.cli.store_cmds import run_ingest

    store = root / "mainnet-0-599"
    rep = run_ingest([str(builtin_blocks())], str(store), show_progress=not quiet)
    chain = open_chain(store)
    tx = chain.tx("f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16")
    console.print(f"\nreal data: mainnet blocks 0-{rep['tip_height']} ingested; the first payment, "
                  f"block {tx.height}: {tx.inputs[0].address} -> "
                  f"{', '.join(f'{o.address} {btc(o.value)}' for o in tx.outputs)}")
