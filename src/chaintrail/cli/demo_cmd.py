"""`chaintrail demo`: the README's main job. Builds a store from built-in
data and shows what chaintrail finds in it."""

from __future__ import annotations

import shutil
import time
from importlib import resources
from pathlib import Path
from typing import Optional

import typer

from chaintrail.chain import open as open_chain
from chaintrail.cli.output import btc, console, kv_table, rows_table
from chaintrail.errors import StoreError


def builtin_blocks() -> Path:
    """The first 600 mainnet blocks shipped with the package."""
    return Path(str(resources.files("chaintrail") / "data" / "mainnet-0-599"))


def _fresh_store(path: Path) -> None:
    if path.exists():
        if not (path / "manifest.json").exists() and any(path.iterdir()):
            raise StoreError(f"{path}: exists and is not a chaintrail store; choose another --store")
        shutil.rmtree(path)


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(store: Optional[str] = typer.Option("./chaintrail-demo", "--store",
                                                  help="Where the demo store is (re)built."),
             quiet: bool = typer.Option(False, help="No progress bars.")) -> None:
        """Ingest built-in real blocks and show what the store holds."""
        from chaintrail.cli.store_cmds import run_ingest

        path = Path(store)
        _fresh_store(path)
        t0 = time.monotonic()
        rep = run_ingest([str(builtin_blocks())], str(path), show_progress=not quiet)
        console.print(f"[bold]chaintrail demo[/bold]: ingested {rep['blocks_applied']} real mainnet "
                      f"blocks ({rep['txs_applied']} transactions) into {path} in "
                      f"{time.monotonic() - t0:.1f} s; tip {rep['tip_height']} {rep['tip_hash']}")
        chain = open_chain(path)
        s = chain.status()
        kv_table("store", [("network", s["network"]), ("blocks", s["counts"]["blocks"]),
                           ("transactions", s["counts"]["txs"]), ("outputs", s["counts"]["outputs"]),
                           ("addresses", s["counts"]["addresses"]),
                           ("unspent outputs", s["utxo_count"])])
        rows = chain.sql("SELECT script_type, count(*) AS n, sum(value) AS value FROM outputs "
                         "GROUP BY 1 ORDER BY 2 DESC").fetchall()
        rows_table("outputs by script type", ["type", "outputs", "value"],
                   [(t, n, btc(v)) for t, n, v in rows])
        spends = chain.sql("""
            SELECT t.height, t.txid, t.input_value, t.output_value, t.fee
            FROM txs t WHERE NOT t.is_coinbase ORDER BY t.tx_id LIMIT 5""").fetchall()
        rows_table("the first transactions that spent coins", ["height", "txid", "in", "out", "fee"],
                   [(h, txid, btc(i), btc(o), btc(f)) for h, txid, i, o, f in spends])
        top = chain.sql("""
            SELECT address, count(*) AS outputs, sum(value) AS received
            FROM outputs WHERE address IS NOT NULL GROUP BY 1 ORDER BY 3 DESC LIMIT 5""").fetchall()
        rows_table("addresses that received the most", ["address", "outputs", "received"],
                   [(a, n, btc(v)) for a, n, v in top])
        console.print(f"Try: chaintrail sql \"select * from txs where not is_coinbase\" --store {path}")
