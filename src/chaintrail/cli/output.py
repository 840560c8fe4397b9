"""Printing results: JSON for machines, Rich tables for people."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


def btc(sat: int | None) -> str:
    if sat is None:
        return "unknown"
    return f"{sat / 1e8:,.8f} BTC"


def kv_table(title: str, rows: list[tuple[str, Any]]) -> None:
    t = Table(title=title, show_header=False, title_justify="left")
    t.add_column(style="bold cyan")
    t.add_column()
    for k, v in rows:
        t.add_row(k, "" if v is None else str(v))
    console.print(t)


def rows_table(title: str | None, columns: list[str], rows: list[tuple | list]) -> None:
    t = Table(title=title, title_justify="left")
    for c in columns:
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(*["NULL" if v is None else str(v) for v in r])
    console.print(t)


def warn(msg: str) -> None:
    err_console.print(f"[yellow]warning:[/yellow] {msg}", highlight=False)
