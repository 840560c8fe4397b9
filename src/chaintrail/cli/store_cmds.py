"""Store commands: ingest, status, block, tx, address, sql."""

from __future__ import annotations

import csv
import sys
import time
from typing import Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from chaintrail.cli.output import btc, console, kv_table, print_json, rows_table, warn
from chaintrail.errors import ChaintrailError, SourceError


def open_chain(path):
    """The Python API's `chaintrail.open`, imported when a command runs (keeps startup light)."""
    from chaintrail.chain import open as _open

    return _open(path)

StoreOpt = typer.Option(None, "--store", envvar="CHAINTRAIL_STORE",
                        help="Store directory (default ./chaintrail-data).")
JsonOpt = typer.Option(False, "--json", help="Machine-readable JSON output.")


class _Rates(TextColumn):
    def __init__(self, t0: float):
        super().__init__("")
        self.t0 = t0

    def render(self, task):  # type: ignore[override]
        dt = max(time.monotonic() - self.t0, 1e-9)
        txs = task.fields.get("txs", 0)
        mb = task.fields.get("bytes", 0) / 1e6
        from rich.text import Text

        return Text(f"{task.completed / dt:,.0f} blk/s  {txs / dt:,.0f} tx/s  {mb / dt:,.1f} MB/s")


def run_ingest(sources: list[str], store_path: str | None, network: str | None = None,
               cookie: str | None = None, show_progress: bool = True, follow: bool = False,
               poll: float = 30.0, batch_mb: int = 48, checkpoint_seconds: float = 600.0,
               strict: bool = False, index: bool = True) -> dict:
    """Ingest sources into a store and return the report as a dict (used by the CLI and demo)."""
    from chaintrail.bitcoin.networks import get_network
    from chaintrail.ingest.pipeline import Ingester, ingest_remote
    from chaintrail.sources.files import expand_paths
    from chaintrail.sources.remote import is_remote_url, open_remote
    from chaintrail.store.store import Store

    net = get_network(network) if network else None
    store = Store.open_writer(store_path)
    ing = None
    warnings: list[str] = []
    t0 = time.monotonic()
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        TextColumn("{task.completed:,}/{task.total:,} blocks"), _Rates(t0),
                        TimeElapsedColumn(), console=console, transient=True,
                        disable=not show_progress)
    try:
        with progress:
            # a count, never None: the "n/total blocks" column formats it with a separator
            task = progress.add_task("scanning", total=0)

            def on_progress(phase, done, total, txs, nbytes):
                progress.update(task, description=phase, completed=done, total=total or 0,
                                txs=txs, bytes=nbytes)

            ing = Ingester(store, net, batch_bytes=batch_mb << 20,
                           checkpoint_seconds=checkpoint_seconds, progress=on_progress)
            file_specs = [s for s in sources if not is_remote_url(s)]
            remotes = [s for s in sources if is_remote_url(s)]
            t_scan = time.perf_counter()
            for spec in file_specs:
                for src in expand_paths(spec, ing.net or net):
                    for rb in src.scan():
                        ing.offer(rb)
                    scan = src.scan_result
                    if scan is not None:
                        for off, n in scan.skipped:
                            warnings.append(f"{src.description}: skipped {n} bytes of junk at offset {off}")
                        if scan.truncated:
                            off, declared, present = scan.truncated
                            warnings.append(
                                f"{src.description}: block at offset {off} is cut off "
                                f"({present} of {declared} bytes present); blocks before it were read")
            ing.report.timed("scan", t_scan)
            if file_specs:
                ing.run()
            for url in remotes:
                source = open_remote(url, cookie=cookie)
                ingest_remote(ing, source, progress=on_progress)
            ing.commit()
            if not follow:
                ing.release()  # no more commits: the index update need not hold the UTXO set too
            index_report = _update_index(store) if index else None
            while follow and remotes:
                time.sleep(poll)
                for url in remotes:
                    ingest_remote(ing, open_remote(url, cookie=cookie), progress=on_progress)
                ing.commit()
                if index:
                    _update_index(store)
                console.print(f"tip {ing.report.tip_height} {ing.report.tip_hash}")
    except BaseException:
        if ing is not None:
            ing.abort()
        raise
    finally:
        store.close()
    if strict and warnings:
        raise SourceError(warnings[0])
    r = ing.report
    r.warnings = warnings
    elapsed = time.monotonic() - t0
    return {
        "store": str(store.root), "network": ing.net.name if ing.net else None,
        "blocks_seen": r.blocks_seen, "new_headers": r.new_headers,
        "blocks_applied": r.blocks_applied, "blocks_rolled_back": r.blocks_rolled_back,
        "txs_applied": r.txs_applied, "bytes_applied": r.bytes_applied,
        "tip_height": r.tip_height, "tip_hash": r.tip_hash, "loose_blocks": r.loose_blocks,
        "side_blocks": r.side_blocks, "elapsed_s": round(elapsed, 3),
        "tx_per_s": round(r.txs_applied / elapsed, 1) if elapsed > 0 else None,
        "warnings": warnings,
        "phases_s": {k: round(v, 3) for k, v in r.phases.items()},
        "address_lookups": r.address_lookups,
        "utxo": {"count": r.utxo_count, "bytes": r.utxo_bytes},
        "known_addresses_bytes": r.known_bytes,
        "index": index_report,
    }


def _update_index(store, fold_all: bool = False) -> dict:
    from chaintrail.store.index_build import update_index

    rep = update_index(store, fold_all)
    rep["seconds"] = round(rep["seconds"], 3)
    return rep


def register(app: typer.Typer) -> None:
    @app.command()
    def ingest(
        sources: list[str] = typer.Argument(..., help="Blocks dir, blk*.dat, raw/hex/framed block "
                                            "files, http://user:pass@host:8332 or esplora+https://..."),
        store: Optional[str] = StoreOpt,
        network: Optional[str] = typer.Option(None, help="Network of raw/hex blocks (they carry no "
                                              "magic): mainnet, testnet3, testnet4, signet, regtest."),
        rpc_cookie: Optional[str] = typer.Option(None, "--rpc-cookie", help="Bitcoin Core .cookie file."),
        follow: bool = typer.Option(False, help="Keep following the node's tip (RPC/Esplora)."),
        poll: float = typer.Option(30.0, help="Seconds between polls with --follow."),
        batch_mb: int = typer.Option(48, help="Megabytes of blocks parsed per batch."),
        checkpoint_seconds: float = typer.Option(600.0, help="Commit at least this often on long runs."),
        strict: bool = typer.Option(False, help="Treat a cut-off or junk-filled file as an error."),
        index: bool = typer.Option(True, help="Update the analysis arrays afterwards (see `index`)."),
        json_out: bool = JsonOpt,
    ) -> None:
        """Ingest blocks into the store (incremental, idempotent; reorgs handled)."""
        rep = run_ingest(sources, store, network, rpc_cookie, show_progress=not json_out,
                         follow=follow, poll=poll, batch_mb=batch_mb,
                         checkpoint_seconds=checkpoint_seconds, strict=strict, index=index)
        for w in rep["warnings"]:
            warn(w)
        if json_out:
            print_json(rep)
            return
        console.print(
            f"applied {rep['blocks_applied']:,} blocks ({rep['txs_applied']:,} txs) in "
            f"{rep['elapsed_s']:.1f} s"
            + (f", rolled back {rep['blocks_rolled_back']}" if rep["blocks_rolled_back"] else "")
            + f"; tip {rep['tip_height']} {rep['tip_hash']}"
            + (f"; {rep['loose_blocks']} loose" if rep["loose_blocks"] else "")
            + (f"; {rep['side_blocks']} on side branches" if rep["side_blocks"] else ""))

    @app.command()
    def index(store: Optional[str] = StoreOpt,
              fold_all: bool = typer.Option(False, help="Write every pending spend into the output "
                                             "segments now (fastest `outputs` queries)."),
              json_out: bool = JsonOpt) -> None:
        """Build or update the analysis arrays (memory-mapped, by id) used by clustering,
        tracing and fast lookups. `ingest` does this by default."""
        from chaintrail.store.store import Store

        s = Store.open_writer(store)
        try:
            rep = _update_index(s, fold_all)
        finally:
            s.close()
        if json_out:
            print_json(rep)
        else:
            console.print(f"index {'rebuilt' if rep['rebuilt'] else 'updated'} in {rep['seconds']:.1f} s: "
                          f"{rep['txs']:,} txs, {rep['outputs']:,} outputs, {rep['addresses']:,} addresses")

    @app.command()
    def status(store: Optional[str] = StoreOpt, json_out: bool = JsonOpt) -> None:
        """Tip, counts, store size and schema version."""
        s = open_chain(store).status()
        if json_out:
            print_json(s)
            return
        c = s["counts"]
        kv_table("chaintrail store", [
            ("store", s["store"]), ("network", s["network"]),
            ("schema version", s["schema_version"]),
            ("tip", f"{s['tip_height']} {s['tip_hash']}"),
            ("blocks", f"{c['blocks']:,}" + (f" ({s['loose_blocks']} loose)" if s["loose_blocks"] else "")),
            ("transactions", f"{c['txs']:,}"), ("outputs", f"{c['outputs']:,}"),
            ("inputs", f"{c['inputs']:,}"), ("addresses", f"{c['addresses']:,}"),
            ("unspent outputs", f"{s['utxo_count']:,}"),
            ("analysis index", "current" if s["index_current"] else "missing or stale (run `chaintrail index`)"),
            ("size", f"{s['store_bytes'] / 1e6:,.1f} MB in {s['segments']} segments"),
            ("updated", s["updated"]),
        ])

    @app.command()
    def block(ref: str = typer.Argument(..., help="Height or hash"),
              store: Optional[str] = StoreOpt, json_out: bool = JsonOpt) -> None:
        """One block of the best chain."""
        b = open_chain(store).block(ref).to_dict()
        if json_out:
            print_json(b)
            return
        txids = b.pop("txids")
        kv_table(f"block {b['height']}", list(b.items()))
        rows_table(f"{len(txids)} transactions", ["#", "txid"], [(i, t) for i, t in enumerate(txids[:50])])
        if len(txids) > 50:
            console.print(f"... {len(txids) - 50} more (use --json)")

    @app.command()
    def tx(txid: str, store: Optional[str] = StoreOpt, json_out: bool = JsonOpt) -> None:
        """One transaction with its inputs and outputs."""
        t = open_chain(store).tx(txid).to_dict()
        if json_out:
            print_json(t)
            return
        ins, outs = t.pop("inputs"), t.pop("outputs")
        kv_table(f"transaction {t['txid']}", [
            ("height", t["height"]), ("block position", t["block_pos"]),
            ("size / vsize / weight", f"{t['size']} / {t['vsize']} / {t['weight']}"),
            ("version / locktime", f"{t['version']} / {t['locktime']}"),
            ("segwit", t["is_segwit"]), ("coinbase", t["is_coinbase"]),
            ("input value", btc(t["input_value"])), ("output value", btc(t["output_value"])),
            ("fee", btc(t["fee"])),
        ])
        rows_table("inputs", ["vin", "previous output", "value", "address", "type"],
                   [(i["vin"], f"{i['prev_txid']}:{i['prev_vout']}", btc(i["value"]) if i["value"] is not None else "unknown",
                     i["address"], i["script_type"]) for i in ins])
        rows_table("outputs", ["vout", "value", "address", "type", "spent by"],
                   [(o["vout"], btc(o["value"]), o["address"], o["script_type"],
                     o.get("spending_txid") or "unspent") for o in outs])

    @app.command()
    def address(addr: str = typer.Argument(..., metavar="ADDRESS"), store: Optional[str] = StoreOpt,
                json_out: bool = JsonOpt) -> None:
        """Balance, received, sent, transaction count, first and last seen."""
        a = open_chain(store).address(addr).to_dict()
        if json_out:
            print_json(a)
            return
        kv_table(f"address {addr}", [
            ("type", a["script_type"]), ("balance", btc(a["balance"])),
            ("received", f"{btc(a['received'])} in {a['n_outputs']} outputs"),
            ("sent", f"{btc(a['sent'])} in {a['n_inputs']} inputs"),
            ("transactions", a["n_txs"]), ("unspent outputs", a["n_unspent"]),
            ("first seen (height)", a["first_height"]), ("last seen (height)", a["last_height"]),
        ])

    @app.command()
    def sql(query: str, store: Optional[str] = StoreOpt,
            format: str = typer.Option("table", "--format", help="table, csv or json"),
            limit: int = typer.Option(1000, help="Rows shown in table format.")) -> None:
        """Run SQL (DuckDB) over the blocks, txs, outputs, inputs and addresses views."""
        chain = open_chain(store)
        try:
            rel = chain.sql(query)
        except Exception as exc:  # duckdb errors: report one line
            raise ChaintrailError(f"sql: {str(exc).splitlines()[0]}") from None
        if rel is None:
            return
        cols = rel.columns
        try:
            rows = rel.fetchall()
        except Exception as exc:
            raise ChaintrailError(f"sql: {str(exc).splitlines()[0]}") from None
        if format == "json":
            print_json([dict(zip(cols, r)) for r in rows])
        elif format == "csv":
            w = csv.writer(sys.stdout)
            w.writerow(cols)
            w.writerows(rows)
        elif format == "table":
            rows_table(None, cols, rows[:limit])
            if len(rows) > limit:
                console.print(f"... {len(rows) - limit} more rows (use --format csv)")
        else:
            raise ChaintrailError(f"unknown --format {format!r}: use table, csv or json")
