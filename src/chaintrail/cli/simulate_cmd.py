"""`chaintrail simulate`: write a simulated regtest chain with ground truth.

A thin shell over ``chaintrail.sim.simulate``; see docs/simulator.md.
"""

from __future__ import annotations

import json
from typing import List, Optional

import typer

from chaintrail.errors import ChaintrailError


class SimulateUsageError(ChaintrailError):
    """Bad arguments to `chaintrail simulate`."""


def _parse_sets(sets: list[str]) -> dict:
    """--set name=value pairs -> profile overrides (values parsed as JSON when they can be)."""
    out = {}
    for item in sets or []:
        if "=" not in item:
            raise SimulateUsageError(f"--set {item!r}: expected NAME=VALUE")
        name, raw = item.split("=", 1)
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        if isinstance(value, list):
            value = tuple(value)
        out[name.strip()] = value
    return out


def register(app: typer.Typer) -> None:
    @app.command()
    def simulate(
        out: str = typer.Option(..., "--out", help="Output directory (blocks/, truth/, sim.json)."),
        txs: int = typer.Option(1_000_000, "--txs", help="Transactions to simulate (coinbases included)."),
        seed: int = typer.Option(7, "--seed", help="Random seed: same seed and options, same bytes."),
        profile: str = typer.Option("default", "--profile",
                                    help="Economy profile: default, donations, privacy, test."),
        xor: bool = typer.Option(False, "--xor", help="Obfuscate blk files with a blocks/xor.dat key."),
        max_file_size: int = typer.Option(128 * 1024 * 1024, "--max-file-size",
                                          help="Roll blk files at this size (bytes)."),
        stats: bool = typer.Option(False, "--stats", help="Print realism figures next to their targets."),
        set_: Optional[List[str]] = typer.Option(None, "--set",
                                                 help="Override a profile tunable: NAME=VALUE (repeatable)."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
        json_out: bool = typer.Option(False, "--json", help="Machine-readable summary."),
    ) -> None:
        """Simulate an economy of known actors as real regtest blocks, with ground truth."""
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.table import Table

        from chaintrail.sim import simulate as run
        from chaintrail.sim.profiles import get_profile
        from chaintrail.sim.stats import realism_rows

        overrides = _parse_sets(set_ or [])
        prof = get_profile(profile, **overrides)
        console = Console(stderr=True)
        show = not quiet and not json_out
        if show:
            bar = Progress(TextColumn("simulating"), BarColumn(), MofNCompleteColumn(),
                           TextColumn("txs"), TimeRemainingColumn(), console=console, transient=True)
            with bar:
                task = bar.add_task("sim", total=txs)
                res = run(out, txs, seed, prof, xor=xor, max_file_size=max_file_size,
                          progress=lambda done, total: bar.update(task, completed=done))
        else:
            res = run(out, txs, seed, prof, xor=xor, max_file_size=max_file_size)
        summary = {
            "out": str(res.out_dir), "blocks": res.n_blocks, "txs": res.n_txs,
            "addresses": res.n_addresses, "tip_height": res.tip_height, "tip_hash": res.tip_hash,
            "block_files": [str(p) for p in res.block_files], "bytes": res.bytes_written,
            "elapsed_s": round(res.elapsed, 3), "txs_per_s": round(res.txs_per_second),
            "truth_rows": res.truth_rows, "profile": res.profile, "seed": res.seed,
        }
        if json_out:
            if stats:
                summary["stats"] = res.stats
            typer.echo(json.dumps(summary, indent=1))
            return
        out_console = Console()
        out_console.print(
            f"[bold]chaintrail simulate[/bold]: {res.n_txs:,} transactions in {res.n_blocks:,} blocks "
            f"({len(res.block_files)} blk file(s), {res.bytes_written / 1e6:.1f} MB) in "
            f"{res.elapsed:.1f} s ({res.txs_per_second:,.0f} tx/s); tip {res.tip_height} {res.tip_hash}")
        out_console.print(f"blocks: {res.blocks_dir}   truth: {res.truth_dir}")
        if stats:
            t = Table(title="realism: simulated vs intended")
            t.add_column("figure")
            t.add_column("simulated", justify="right")
            t.add_column("intended", justify="right")
            for row in realism_rows(res.stats, prof):
                t.add_row(*row)
            out_console.print(t)
            k = Table(title="transactions by kind")
            k.add_column("kind")
            k.add_column("count", justify="right")
            for name, n in res.stats["kinds"].items():
                k.add_row(name, f"{n:,}")
            out_console.print(k)
